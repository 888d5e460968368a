/* tools/daemon_log.h: the [daemon] settings and the access log of ocsp-responder, ra-server and tsa-server */
#ifndef GP_DAEMON_LOG_H
#define GP_DAEMON_LOG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <sys/socket.h>

#include <govpki/config.h>

/* What [daemon] says (every daemon reads it; strings borrowed from the
 * configuration). */
typedef struct daemon_settings {
	const char *access_log;   /* access_log: a path ("%s": the program's
	                             name), or NULL for "off", the default */
	int access_log_json;      /* access_log_format: clf (0, the default) or json */
	const char *publish_dir;  /* publish_dir: the folder served at /ca/ and
	                             /crl/ (daemon_files.h), or NULL */
} daemon_settings;

/* Fills *out from cfg's [daemon] (cfg may be NULL: the defaults).  Returns
 * 0, or -1 with what is wrong, naming the file and line, in err. */
int daemon_settings_load(daemon_settings *out, const gp_config *cfg, char *err, size_t errlen);

/* "clf" or "json" into *json; -1 for anything else. */
int daemon_log_format(int *json, const char *s);

/*
 * An access log: one line per request, in the Common Log Format
 *   HOST - - [07/Dec/2026:12:00:00 +0000] "GET /path HTTP/1.1" 200 1234
 * or as JSON lines
 *   {"time":"2026-12-07T12:00:00.123Z","daemon":"ocsp-responder",
 *    "remote":"HOST","method":"GET","path":"/path","protocol":"HTTP/1.1",
 *    "status":200,"bytes":1234,"duration_ms":0.213}
 * Only the path is logged: never the query (it may carry a token), a
 * header (Authorization, cookies) or a body.  Bytes that are not printable
 * ASCII, '"' and '\' are escaped (\xHH in CLF, \uHHHH in JSON), so that a
 * request cannot forge a line; a path takes at most 1024 bytes of a line,
 * cut with "...", so that a line always ends with its status and size.  Each line is one write(2) to a file opened
 * with O_APPEND: no lock, whichever thread answered; a write that fails is
 * counted, not retried, and never delays an answer.
 */
typedef struct daemon_log daemon_log;

/* Opens path (a "%s" in it becomes prog) for appending, 0640, creating it.
 * path NULL or "off": *out NULL, no log, and 0.  Returns 0, or -1 with
 * errno set. */
int daemon_log_open(daemon_log **out, const char *path, int json, const char *prog);

/* The access log a daemon named prog keeps: path and format (NULL: not
 * given) from its command line, else [daemon] of cfg (NULL: none).
 * Prints what is wrong to stderr and returns -1; 0 with *out NULL when the
 * log is off. */
int daemon_log_setup(daemon_log **out, const gp_config *cfg, const char *path,
    const char *format, const char *prog);

/* Reopens the file under the same descriptor (dup2: a line being written
 * goes to the old file or the new one), for log rotation (SIGHUP).
 * Returns 0, or -1 with errno set (the old file is kept then). */
int daemon_log_reopen(daemon_log *l);
void daemon_log_free(daemon_log *l);

/* One request, as daemon_conns gathered it. */
typedef struct daemon_log_req {
	const struct sockaddr *remote;   /* may be NULL */
	struct timespec start;           /* CLOCK_REALTIME */
	uint64_t duration_ns;
	const char *method, *path, *protocol;
	unsigned status;                 /* 0: no answer was sent */
	unsigned long long bytes;
} daemon_log_req;

/* Writes the line of q (l NULL: nothing). */
void daemon_log_write(daemon_log *l, const daemon_log_req *q);

/* s as a JSON string, quoted and escaped as the log's lines are (for the
 * daemons' JSON answers that do not need Jansson). */
void daemon_json_string(FILE *f, const char *s);

/* Lines that could not be written. */
unsigned long long daemon_log_failures(const daemon_log *l);

#endif
