/* tools/daemon_conns.c: the connection limits of ocsp-responder, ra-server and tsa-server */
#include "config.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>

#include <govpki/x509util.h>

#include "daemon_conns.h"
#include "daemon_log.h"

/* Files a daemon holds besides its connections: the store, keys, logs. */
#define OTHER_FILES 64

/* One open connection.  Its thread writes busy and idle_since without a
 * lock; the rest is under the tracker's mutex. */
struct dconn {
	struct dconn *prev, *next;   /* all open connections, oldest first */
	int fd;
	int closing;                 /* shut down to make room, not yet closed */
	atomic_int busy;             /* a request is in progress */
	atomic_llong idle_since;     /* ms (monotonic) since it has been idle */
	daemon_conns *dc;
	/* the request in progress, for the access log (its thread only; set
	 * only when there is a log) */
	int logged;                  /* daemon_conn_busy has filled what follows */
	struct timespec start;       /* CLOCK_REALTIME */
	struct timespec start_mono;
	char method[16], protocol[16];
	char path[1028];             /* the access log's PATH_LOGGED and "..." */
	unsigned long long bytes;
	unsigned status;             /* queued through daemon_queue; 0: not */
};

struct daemon_conns {
	daemon_limits lim;
	pthread_mutex_t mu;
	struct dconn *head, *tail;
	unsigned long long open;     /* connections libmicrohttpd holds */
	unsigned long long closing;  /* of them, shut down to make room */
	atomic_ullong closed_idle;
	daemon_log *log;             /* NULL: no access log */
};

/* libmicrohttpd's own limit: room above max for the connections shut down
 * to make room that their threads have not closed yet. */
static unsigned
mhd_limit(unsigned max)
{
	return max + max / 4 + 16;
}

int
daemon_conns_new(daemon_conns **out, const daemon_limits *lim, const char *prog)
{
	daemon_conns *dc;
	struct rlimit rl;
	rlim_t need;

	*out = NULL;
	if ((dc = calloc(1, sizeof(*dc))) == NULL)
		return -1;
	dc->lim = *lim;
	pthread_mutex_init(&dc->mu, NULL);
	atomic_init(&dc->closed_idle, 0);
	/* a descriptor per connection, and the daemon's own files */
	need = (rlim_t)mhd_limit(dc->lim.max) + OTHER_FILES;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < need) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > need ? need : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < need) {
			unsigned max = rl.rlim_cur > OTHER_FILES + 16 + 20 ?
			    (unsigned)((rl.rlim_cur - OTHER_FILES - 16) * 4 / 5) : 16;

			fprintf(stderr, "%s: at most %llu open files (ulimit -n): max_connections "
			    "lowered from %u to %u\n", prog, (unsigned long long)rl.rlim_cur,
			    dc->lim.max, max);
			dc->lim.max = max;
		}
	}
	*out = dc;
	return 0;
}

void
daemon_conns_free(daemon_conns *dc)
{
	struct dconn *e, *next;

	if (dc == NULL)
		return;
	for (e = dc->head; e != NULL; e = next) {
		next = e->next;
		free(e);
	}
	pthread_mutex_destroy(&dc->mu);
	free(dc);
}

/* Past max: shuts down the connection idle longest (under dc->mu).  The
 * descriptor is still the connection's: libmicrohttpd closes it only
 * after the CLOSED notification, which waits for dc->mu.  shutdown()
 * wakes the connection's thread, which sees the end of the stream and
 * closes it as it would any other. */
static void
make_room(daemon_conns *dc)
{
	struct dconn *e, *v = NULL;
	long long vt = 0, t;

	for (e = dc->head; e != NULL; e = e->next) {
		if (e->closing || e->fd < 0 || atomic_load_explicit(&e->busy, memory_order_relaxed))
			continue;
		t = atomic_load_explicit(&e->idle_since, memory_order_relaxed);
		if (v == NULL || t < vt) {
			v = e;
			vt = t;
		}
	}
	if (v == NULL)
		return;   /* every connection is busy: libmicrohttpd's limit applies */
	v->closing = 1;
	dc->closing++;
	shutdown(v->fd, SHUT_RDWR);
	atomic_fetch_add_explicit(&dc->closed_idle, 1, memory_order_relaxed);
}

/* MHD_OPTION_NOTIFY_CONNECTION: called in the connection's thread. */
static void
notify(void *cls, struct MHD_Connection *c, void **socket_context,
    enum MHD_ConnectionNotificationCode code)
{
	daemon_conns *dc = cls;
	struct dconn *e;

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		const union MHD_ConnectionInfo *ci =
		    MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);

		*socket_context = NULL;
		if ((e = calloc(1, sizeof(*e))) == NULL) {
			/* out of memory: not served rather than not counted */
			if (ci != NULL)
				shutdown(ci->connect_fd, SHUT_RDWR);
			return;
		}
		e->fd = ci != NULL ? ci->connect_fd : -1;
		e->dc = dc;
		atomic_init(&e->busy, 0);
		atomic_init(&e->idle_since, gp_monotonic_ms());
		pthread_mutex_lock(&dc->mu);
		e->prev = dc->tail;
		if (dc->tail != NULL)
			dc->tail->next = e;
		else
			dc->head = e;
		dc->tail = e;
		dc->open++;
		*socket_context = e;
		if (dc->open - dc->closing > dc->lim.max)
			make_room(dc);
		pthread_mutex_unlock(&dc->mu);
		return;
	}
	if (code != MHD_CONNECTION_NOTIFY_CLOSED || (e = *socket_context) == NULL)
		return;
	pthread_mutex_lock(&dc->mu);
	if (e->prev != NULL)
		e->prev->next = e->next;
	else
		dc->head = e->next;
	if (e->next != NULL)
		e->next->prev = e->prev;
	else
		dc->tail = e->prev;
	dc->open--;
	if (e->closing)
		dc->closing--;
	pthread_mutex_unlock(&dc->mu);
	free(e);
	*socket_context = NULL;
}

void
daemon_conns_options(struct MHD_OptionItem *o, daemon_conns *dc)
{
	o[0] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT,
	    (intptr_t)mhd_limit(dc->lim.max), NULL };
	o[1] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT,
	    (intptr_t)dc->lim.per_client, NULL };
	o[2] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT,
	    (intptr_t)dc->lim.timeout, NULL };
	/* two pointers: the first as intptr_t (microhttpd.h, MHD_OPTION_ARRAY) */
	o[3] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)notify, dc };
	o[4] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

static struct dconn *
conn_of(struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);

	return ci != NULL ? ci->socket_context : NULL;
}

/* Some daemon of the process logs: without one, daemon_queue is
 * MHD_queue_response and nothing more (the cached OCSP GET's path). */
static atomic_int logging;

void
daemon_conns_set_log(daemon_conns *dc, daemon_log *log)
{
	dc->log = log;
	if (log != NULL)
		atomic_store(&logging, 1);
}

/* At most size - 1 bytes of s into out, marked "..." when cut. */
static void
copy_cut(char *out, size_t size, const char *s)
{
	size_t n = strlen(s);

	if (n < size) {
		memcpy(out, s, n + 1);
		return;
	}
	memcpy(out, s, size - 4);
	memcpy(out + size - 4, "...", 4);
}

void
daemon_conn_busy(struct MHD_Connection *c, const char *method, const char *url,
    const char *version)
{
	struct dconn *e = conn_of(c);

	if (e == NULL)
		return;
	atomic_store_explicit(&e->busy, 1, memory_order_relaxed);
	if (e->dc->log == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &e->start);
	clock_gettime(CLOCK_MONOTONIC, &e->start_mono);
	copy_cut(e->method, sizeof(e->method), method);
	copy_cut(e->path, sizeof(e->path), url);
	copy_cut(e->protocol, sizeof(e->protocol), version);
	e->bytes = 0;
	e->status = 0;
	e->logged = 1;
}

enum MHD_Result
daemon_queue(struct MHD_Connection *c, unsigned code, struct MHD_Response *r, size_t bytes)
{
	struct dconn *e;

	if (!atomic_load_explicit(&logging, memory_order_relaxed))
		return MHD_queue_response(c, code, r);
	if ((e = conn_of(c)) != NULL && e->logged) {
		e->bytes = bytes;
		e->status = code;
	}
	return MHD_queue_response(c, code, r);
}

/* The access log line of the request that ended on c. */
static void
log_request(struct dconn *e, struct MHD_Connection *c)
{
	const union MHD_ConnectionInfo *ci;
	struct timespec now;
	daemon_log_req q;

	clock_gettime(CLOCK_MONOTONIC, &now);
	memset(&q, 0, sizeof(q));
	ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	q.remote = ci != NULL ? ci->client_addr : NULL;
	q.start = e->start;
	q.duration_ns = (uint64_t)(now.tv_sec - e->start_mono.tv_sec) * 1000000000u +
	    (uint64_t)now.tv_nsec - (uint64_t)e->start_mono.tv_nsec;
	q.method = e->method;
	q.path = e->path;
	q.protocol = e->protocol;
	/* the status queued through daemon_queue, else what libmicrohttpd
	 * says it queued (0.9.75: MHD_CONNECTION_INFO_HTTP_STATUS) */
	q.status = e->status;
	if (q.status == 0 && (ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_HTTP_STATUS)) != NULL)
		q.status = ci->http_status;
	/* HEAD: the headers only (RFC 9110 §9.3.2) */
	q.bytes = strcmp(e->method, MHD_HTTP_METHOD_HEAD) == 0 ? 0 : e->bytes;
	daemon_log_write(e->dc->log, &q);
}

void
daemon_conn_idle(struct MHD_Connection *c)
{
	struct dconn *e = conn_of(c);

	if (e == NULL)
		return;
	if (e->logged) {
		e->logged = 0;
		log_request(e, c);
	}
	atomic_store_explicit(&e->idle_since, gp_monotonic_ms(), memory_order_relaxed);
	atomic_store_explicit(&e->busy, 0, memory_order_relaxed);
}

unsigned long long
daemon_conns_open(daemon_conns *dc)
{
	unsigned long long n;

	pthread_mutex_lock(&dc->mu);
	n = dc->open - dc->closing;
	pthread_mutex_unlock(&dc->mu);
	return n;
}

unsigned long long
daemon_conns_closed_idle(const daemon_conns *dc)
{
	return atomic_load_explicit(&dc->closed_idle, memory_order_relaxed);
}
