/* tools/daemon_conns.h: the connection limits of ocsp-responder, ra-server and tsa-server */
#ifndef GP_DAEMON_CONNS_H
#define GP_DAEMON_CONNS_H

#include <stddef.h>

#include <microhttpd.h>

/*
 * Idle connections must not stop a daemon (a few thousand silent TCP
 * connections once took every connection libmicrohttpd would accept).
 * Three limits, each a setting of the daemon:
 *   per_client  connections from one client address at once; more are
 *               closed as soon as they are accepted
 *               (MHD_OPTION_PER_IP_CONNECTION_LIMIT);
 *   timeout     seconds a connection may stay silent before it is closed
 *               (MHD_OPTION_CONNECTION_TIMEOUT);
 *   max         connections open at once: a new connection past it closes
 *               the connection that has been idle longest (no request in
 *               progress: none sent yet, or between keep-alive requests;
 *               RFC 9112 §9.5 lets a server close those at any time).
 *               libmicrohttpd's own limit sits above it, so that it is
 *               only reached when every connection is busy.
 */
typedef struct daemon_limits {
	unsigned max;              /* max_connections: 1024 */
	unsigned per_client;       /* max_connections_per_client: 64 */
	unsigned timeout;          /* timeout_seconds: 30 */
} daemon_limits;

/* The documented defaults, and the ranges the settings accept. */
#define DAEMON_MAX_CONNECTIONS 1024
#define DAEMON_MAX_CONNECTIONS_PER_CLIENT 64
#define DAEMON_TIMEOUT 30
#define DAEMON_MAX_CONNECTIONS_MIN 16
#define DAEMON_MAX_CONNECTIONS_MAX 100000

typedef struct daemon_conns daemon_conns;

/* Enough MHD_OptionItems for daemon_conns_options, with its end mark. */
#define DAEMON_CONNS_NOPTIONS 5

/*
 * A tracker for lim (copied).  Raises the soft limit of open files to
 * what lim->max connections need, up to the hard limit; when that is too
 * low, lowers the tracker's max to fit and says so on stderr, naming
 * prog.  Returns 0, or -1 when out of memory.  Free with
 * daemon_conns_free (NULL is fine).
 */
int daemon_conns_new(daemon_conns **out, const daemon_limits *lim, const char *prog);
void daemon_conns_free(daemon_conns *dc);

/*
 * Fills opts (DAEMON_CONNS_NOPTIONS entries, the last MHD_OPTION_END)
 * with the options that put dc's limits on a daemon: pass them as
 * MHD_OPTION_ARRAY, opts to MHD_start_daemon.  dc must outlive the daemon
 * (free it after MHD_stop_daemon).  A daemon may set none of these
 * options itself.
 */
void daemon_conns_options(struct MHD_OptionItem *opts, daemon_conns *dc);

typedef struct daemon_log daemon_log;

/* Requests end with a line in log (daemon_log.h; NULL: none).  Set it
 * before the daemon starts; log must outlive it. */
void daemon_conns_set_log(daemon_conns *dc, daemon_log *log);

/*
 * A request started on c (the access handler's first call for it, with
 * its method, path and protocol version) and ended (the request-completed
 * callback): a busy connection is never closed to make room, and with a
 * log the end writes the request's line.  Cheap: no lock (without a log
 * an atomic store; with one a copy of the path and two clock reads); c's
 * daemon must have been started with daemon_conns_options.
 */
void daemon_conn_busy(struct MHD_Connection *c, const char *method, const char *url,
    const char *version);
void daemon_conn_idle(struct MHD_Connection *c);

/* MHD_queue_response, with the size of r's body noted for the access log. */
enum MHD_Result daemon_queue(struct MHD_Connection *c, unsigned code, struct MHD_Response *r,
    size_t bytes);

/* Connections open now, and how many were closed to make room. */
unsigned long long daemon_conns_open(daemon_conns *dc);
unsigned long long daemon_conns_closed_idle(const daemon_conns *dc);

#endif
