/* signer/ca-signer.c: the ca-signer daemon: the one process that opens the CA keys and answers permitted requests (docs/signer.md) */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include <openssl/x509.h>

#include <govpki/audit.h>
#include <govpki/ca.h>
#include <govpki/config.h>
#include <govpki/error.h>
#include <govpki/key.h>
#include <govpki/ocsp.h>
#include <govpki/profile.h>
#include <govpki/ra.h>
#include <govpki/version.h>

#include "signer_proto.h"

/*
 * Like OpenSSH's monitor (shared/STYLE.md, "Privilege separation"): the
 * keys are opened before anything is read from a caller, then the process
 * gives up what it does not need (its uid, new privileges, most system
 * calls), and every request is judged by who sent it (SO_PEERCRED, never
 * the message) and by the store, not by what the caller says.
 */

#define MAX_CALLERS 32
#define MAX_CAS 16
#define MAX_CONNS 64
#define IO_TIMEOUT_S 5          /* a stalled caller loses its connection */

struct caller {
	char name[64];               /* the section's name: a user name or a uid */
	uid_t uid;
	unsigned types;              /* bit t: request type t is allowed */
	char *cas;                   /* "a,b" (borrowed from the configuration) */
	char *profiles;              /* NULL: every profile of the CA's callers */
	char *channels;              /* issue-auto-request's: "est,acme" (NULL: all) */
	double tokens;               /* rate limit: a bucket of `rate` tokens */
	struct timespec last;
};

struct ca_slot {
	gp_ca *ca;
	gp_ra *ra;
};

static struct {
	gp_ctx *ctx;
	const gp_config *cfg;
	struct caller callers[MAX_CALLERS];
	size_t ncallers;
	struct ca_slot cas[MAX_CAS];
	size_t ncas;
	long rate;
	long ocsp_max;               /* [signer] ocsp_max_validity: seconds */
	const char *socket_path;
} S;

static volatile sig_atomic_t stopping;

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: ca-signer [--config FILE] [--home DIR] [--pass-file FILE] [--socket PATH]\n"
	    "\n"
	    "The process that alone opens the CA keys ([signer.caller.NAME] CAs) and\n"
	    "signs what its callers may ask for (docs/signer.md, man ca-signer).\n"
	    "  --config FILE     the configuration ([signer], [signer.caller.NAME])\n"
	    "  --home DIR        the CA home (default: GOVPKI_HOME, then [govpki] home)\n"
	    "  --pass-file FILE  the CA keys' passphrase (else GOVPKI_PASSPHRASE)\n"
	    "  --socket PATH     listen here instead of [signer] socket\n"
	    "  --help, --version\n");
}

/* ------------------------------------------------------------ callers */

static const char *const request_names[] = {
	NULL, "health", "issue-approved-request", "issue-batch", "sign-crl", "sign-ocsp",
	"presign", "seal-make", "issue-auto-request",
};

/* 1 when the comma-separated list has item (spaces around items skipped). */
static int
list_has(const char *list, const char *item)
{
	size_t n = strlen(item);
	const char *p = list;

	while (p != NULL && *p != '\0') {
		const char *e;
		size_t k;

		while (*p == ' ' || *p == ',')
			p++;
		e = p + strcspn(p, ",");
		k = (size_t)(e - p);
		while (k > 0 && p[k - 1] == ' ')
			k--;
		if (k == n && memcmp(p, item, n) == 0)
			return 1;
		p = e;
	}
	return 0;
}

/* The next item of a comma-separated list at *p into w (at most len - 1
 * bytes, spaces around it dropped); 0 at the end of the list. */
static int
list_next(const char **p, char *w, size_t len)
{
	size_t k;

	while (**p == ' ' || **p == ',')
		(*p)++;
	if (**p == '\0')
		return 0;
	k = strcspn(*p, ",");
	snprintf(w, len, "%.*s", (int)(k < len - 1 ? k : len - 1), *p);
	for (size_t e = strlen(w); e > 0 && w[e - 1] == ' '; e--)
		w[e - 1] = '\0';
	*p += k;
	return 1;
}

static int
caller_cb(void *arg, const char *section, const char *rest)
{
	static const char *const keys[] = { "requests", "cas", "profiles", "channels", NULL };
	struct caller *c;
	const char *req;
	char *end;
	int r;

	(void)arg;
	if (S.ncallers == MAX_CALLERS) {
		fprintf(stderr, "ca-signer: more than %d callers\n", MAX_CALLERS);
		return GP_E_CONFIG;
	}
	if ((r = gp_config_check_keys(S.cfg, section, keys)) != 0)
		return r;
	c = &S.callers[S.ncallers];
	memset(c, 0, sizeof(*c));
	snprintf(c->name, sizeof(c->name), "%s", rest);
	errno = 0;
	unsigned long u = strtoul(rest, &end, 10);
	if (rest[0] != '\0' && *end == '\0' && errno == 0 && u < (unsigned long)(uid_t)-1) {
		c->uid = (uid_t)u;
	} else {
		struct passwd *pw = getpwnam(rest);

		if (pw == NULL) {
			fprintf(stderr, "ca-signer: %s:%d: [%s]: no such user '%s'\n",
			    gp_config_path(S.cfg), gp_config_line(S.cfg, section, "requests"),
			    section, rest);
			return GP_E_CONFIG;
		}
		c->uid = pw->pw_uid;
	}
	for (size_t i = 0; i < S.ncallers; i++)
		if (S.callers[i].uid == c->uid) {
			fprintf(stderr, "ca-signer: [%s]: uid %u has a section already ([signer.caller.%s])\n",
			    section, (unsigned)c->uid, S.callers[i].name);
			return GP_E_CONFIG;
		}
	req = gp_config_str(S.cfg, section, "requests", "health");
	for (size_t t = 1; t < sizeof(request_names) / sizeof(request_names[0]); t++)
		if (list_has(req, request_names[t]))
			c->types |= 1u << t;
	/* every name in the list must be a request type: a typo would
	 * otherwise allow less than the admin meant, silently */
	{
		const char *p = req;
		char w[64];

		while (list_next(&p, w, sizeof(w))) {
			int known = 0;

			for (size_t t = 1; t < sizeof(request_names) / sizeof(request_names[0]); t++)
				known |= strcmp(w, request_names[t]) == 0;
			if (!known) {
				fprintf(stderr, "ca-signer: %s:%d: [%s] requests: unknown request '%s'\n",
				    gp_config_path(S.cfg), gp_config_line(S.cfg, section, "requests"),
				    section, w);
				return GP_E_CONFIG;
			}
		}
	}
	/* the channels issue-auto-request may name: est, acme, cmp */
	c->channels = (char *)gp_config_str(S.cfg, section, "channels", NULL);
	{
		const char *p = c->channels;
		char w[64];
		int ch;

		while (p != NULL && list_next(&p, w, sizeof(w)))
			if (gp_ra_channel_from_name(&ch, w) != 0) {
				fprintf(stderr, "ca-signer: %s:%d: [%s] channels: unknown channel '%s' (est, "
				    "acme or cmp)\n", gp_config_path(S.cfg),
				    gp_config_line(S.cfg, section, "channels"), section, w);
				return GP_E_CONFIG;
			}
	}
	c->cas = (char *)gp_config_str(S.cfg, section, "cas", "");
	c->profiles = (char *)gp_config_str(S.cfg, section, "profiles", NULL);
	c->tokens = (double)S.rate;
	clock_gettime(CLOCK_MONOTONIC, &c->last);
	S.ncallers++;
	return 0;
}

static struct caller *
caller_of(uid_t uid)
{
	for (size_t i = 0; i < S.ncallers; i++)
		if (S.callers[i].uid == uid)
			return &S.callers[i];
	return NULL;
}

/* A token of c's bucket (rate per second, a burst of the same). */
static int
rate_take(struct caller *c)
{
	struct timespec now;
	double dt;

	clock_gettime(CLOCK_MONOTONIC, &now);
	dt = (double)(now.tv_sec - c->last.tv_sec) + (double)(now.tv_nsec - c->last.tv_nsec) / 1e9;
	c->last = now;
	c->tokens += dt * (double)S.rate;
	if (c->tokens > (double)S.rate)
		c->tokens = (double)S.rate;
	if (c->tokens < 1.0)
		return 0;
	c->tokens -= 1.0;
	return 1;
}

/* ----------------------------------------------------------------- CAs */

static int
open_cas(const char *pass_file)
{
	char *pass = NULL;
	size_t passlen = 0;
	int r = 0;

	for (size_t i = 0; i < S.ncallers; i++) {
		const char *p = S.callers[i].cas;
		char name[65];
		size_t j;

		while (list_next(&p, name, sizeof(name))) {
			if (name[0] == '\0')
				continue;
			for (j = 0; j < S.ncas; j++)
				if (strcmp(gp_ca_name(S.cas[j].ca), name) == 0)
					break;
			if (j < S.ncas)
				continue;
			if (S.ncas == MAX_CAS) {
				fprintf(stderr, "ca-signer: more than %d CAs\n", MAX_CAS);
				r = GP_E_CONFIG;
				goto out;
			}
			if (pass == NULL &&
			    (r = gp_pass_get(&pass, &passlen, pass_file, "CA key passphrase: ")) != 0)
				goto fail;
			if ((r = gp_ca_open(&S.cas[S.ncas].ca, S.ctx, name, pass, passlen)) != 0)
				goto fail;
			if ((r = gp_ra_new(&S.cas[S.ncas].ra, S.ctx, S.cas[S.ncas].ca)) != 0) {
				gp_ca_free(S.cas[S.ncas].ca);
				goto fail;
			}
			S.ncas++;
		}
	}
	r = 0;
	goto out;
fail:
	fprintf(stderr, "ca-signer: %s\n", gp_error_last());
out:
	gp_pass_free(pass, passlen);
	return r;
}

static struct ca_slot *
ca_of(const char *name)
{
	for (size_t i = 0; i < S.ncas; i++)
		if (strcmp(gp_ca_name(S.cas[i].ca), name) == 0)
			return &S.cas[i];
	return NULL;
}

/* --------------------------------------------------------------- audit */

/* An audit entry in its own transaction; a failure is logged, and the
 * caller refuses what it was auditing. */
static int
audit(const char *actor, const char *action, const char *object, const char *detail)
{
	gp_store *st = gp_ctx_store(S.ctx);
	int r;

	if ((r = gp_store_begin(st)) != 0 ||
	    (r = gp_audit_append(st, actor, action, object, detail)) != 0 ||
	    (r = gp_store_commit(st)) != 0) {
		fprintf(stderr, "ca-signer: audit %s %s: %s\n", action, object ? object : "-",
		    gp_error_last());
		gp_store_rollback(st);
	}
	return r;
}

static void
actor_of(char *buf, size_t len, uid_t uid, const struct caller *c)
{
	if (c != NULL)
		snprintf(buf, len, "signer:uid=%u(%s)", (unsigned)uid, c->name);
	else
		snprintf(buf, len, "signer:uid=%u", (unsigned)uid);
}

/* ------------------------------------------------------------ requests */

struct conn {
	int fd;
	uid_t uid;
	pid_t pid;
	struct caller *caller;
};

/* Sends a reply of status st (0 or GP_E_*) with message text and the
 * items given. */
static int
reply(int fd, uint32_t type, int st, const char *text, const unsigned char *item, size_t len)
{
	gp_signer_msg *m = NULL;
	int r;

	if ((r = gp_signer_msg_new(&m, type | GP_SIGNER_REPLY)) != 0)
		return r;
	m->num = st;
	if ((r = gp_signer_msg_set_text(m, text ? text : "")) == 0 &&
	    (item == NULL || (r = gp_signer_msg_add_item(m, item, len)) == 0))
		r = gp_signer_send(fd, m);
	gp_signer_msg_free(m);
	return r;
}

/* Refuses a request: audited (signer.refuse), answered with st and why. */
static int
refuse(struct conn *c, uint32_t type, const char *object, int st, const char *why)
{
	char actor[128], detail[1024];

	actor_of(actor, sizeof(actor), c->uid, c->caller);
	snprintf(detail, sizeof(detail), "result=refused request=%s pid=%ld reason=%.900s",
	    gp_signer_type_name(type) ? gp_signer_type_name(type) : "?", (long)c->pid, why);
	audit(actor, "signer.refuse", object, detail);
	fprintf(stderr, "ca-signer: refused %s from %s: %s\n",
	    gp_signer_type_name(type) ? gp_signer_type_name(type) : "?", actor, why);
	return reply(c->fd, type, st, why, NULL, 0);
}

/*
 * issue-approved-request (channel 0) and issue-auto-request (a request no
 * officer approved, channel GP_RA_AUTO_*): the caller's right (the CA and
 * the profile of the request as the store has it) first; then the store
 * decides, in the library: gp_ra_issue_approved counts the approvals
 * again, gp_ra_issue_auto re-reads the profile's channel setting as
 * configured here and, for ACME, the order and its authorizations
 * (docs/signer.md, "Deciding").
 */
static int
do_issue(struct conn *c, const gp_signer_msg *m, int channel)
{
	struct caller *cl = c->caller;
	gp_ra_request *q = NULL;
	struct ca_slot *slot;
	X509 *cert = NULL;
	unsigned char *der = NULL;
	char obj[32], actor[128], why[1024];
	int n, r;

	snprintf(obj, sizeof(obj), "request:%lld", (long long)m->num);
	/* which CA: the store's, never the caller's word */
	if ((r = gp_ra_request_get(S.cas[0].ra, m->num, &q)) != 0) {
		snprintf(why, sizeof(why), "%s", gp_error_last());
		return refuse(c, m->type, obj, r, why);
	}
	if (!list_has(cl->cas, q->ca) || (slot = ca_of(q->ca)) == NULL) {
		snprintf(why, sizeof(why), "request %lld is for CA %.64s, which caller %s may not "
		    "use", (long long)m->num, q->ca, cl->name);
		gp_ra_request_free(q);
		return refuse(c, m->type, obj, GP_E_DENIED, why);
	}
	if (cl->profiles != NULL && (q->profile == NULL || !list_has(cl->profiles, q->profile))) {
		snprintf(why, sizeof(why), "request %lld is for profile %.64s, which caller %s may "
		    "not use", (long long)m->num, q->profile ? q->profile : "-", cl->name);
		gp_ra_request_free(q);
		return refuse(c, m->type, obj, GP_E_DENIED, why);
	}
	gp_ra_request_free(q);
	actor_of(actor, sizeof(actor), c->uid, cl);
	r = channel == 0 ? gp_ra_issue_approved(&cert, slot->ra, m->num, actor) :
	    gp_ra_issue_auto(&cert, slot->ra, m->num, channel, m->num2, actor);
	if (r != 0) {
		snprintf(why, sizeof(why), "%s", gp_error_last());
		return refuse(c, m->type, obj, r, why);
	}
	if ((n = i2d_X509(cert, &der)) <= 0) {
		X509_free(cert);
		return refuse(c, m->type, obj, GP_E_INTERNAL, "cannot encode the certificate");
	}
	if (channel == 0)
		fprintf(stderr, "ca-signer: issued %s for %s\n", obj, actor);
	else
		fprintf(stderr, "ca-signer: issued %s (%s, no officer) for %s\n", obj,
		    gp_ra_channel_name(channel), actor);
	r = reply(c->fd, m->type, 0, "issued", der, (size_t)n);
	OPENSSL_free(der);
	X509_free(cert);
	return r;
}

/* The CA a request names, when the caller may use it (its cas list), or
 * NULL with the refusal sent (*r its status). */
static struct ca_slot *
named_ca(struct conn *c, const gp_signer_msg *m, const char *object, int *r)
{
	struct ca_slot *slot;
	char why[256];

	if (!list_has(c->caller->cas, m->name) || (slot = ca_of(m->name)) == NULL) {
		snprintf(why, sizeof(why), "caller %s may not use CA %.64s", c->caller->name, m->name);
		*r = refuse(c, m->type, object, GP_E_DENIED, why);
		return NULL;
	}
	return slot;
}

/*
 * sign-crl: the caller names the CA and the type only; the signer builds
 * the next CRL from the store (the number, RFC 5280 §5.2.3, the entries
 * and the times are its own), lints, signs, stores it and audits it
 * (crl.publish by the caller's uid) in gp_ca_crl, as ca-tool crl would in
 * process.  A lint's refusal is audited there too (lint.refuse).
 */
static int
do_sign_crl(struct conn *c, const gp_signer_msg *m)
{
	struct ca_slot *slot;
	gp_crl_info *crl = NULL;
	char obj[96], actor[128], why[1024];
	int r;

	snprintf(obj, sizeof(obj), "%.64s/crl", m->name);
	if ((slot = named_ca(c, m, obj, &r)) == NULL)
		return r;
	actor_of(actor, sizeof(actor), c->uid, c->caller);
	if ((r = gp_ca_crl(&crl, slot->ca, (int)m->num, actor)) != 0) {
		snprintf(why, sizeof(why), "%s", gp_error_last());
		return refuse(c, m->type, obj, r, why);
	}
	fprintf(stderr, "ca-signer: signed %s CRL number %lld of %s for %s\n",
	    crl->is_delta ? "delta" : "full", (long long)crl->number, m->name, actor);
	r = reply(c->fd, m->type, 0, "signed", crl->der, crl->der_len);
	gp_crl_info_free(crl);
	return r;
}

/*
 * issue-batch (an administrator's ca-tool issue): the CA and the profile
 * must be the caller's; a CA profile only when its profiles list names it.
 * Each CSR is issued as gp_ca_issue does in process (the CSR's signature,
 * the profile, the key checks, the lint; stored with its cert.issue entry
 * by the caller's uid), one after the other (no signing threads: the
 * seccomp filter allows no clone).  A refused CSR gets an empty item, a
 * line "INDEX STATUS REASON" in the message and a signer.refuse entry.
 */
static int
do_issue_batch(struct conn *c, const gp_signer_msg *m)
{
	struct caller *cl = c->caller;
	struct ca_slot *slot;
	const gp_profile *p;
	gp_signer_msg *rep = NULL;
	char obj[96], actor[128], why[1024], text[GP_SIGNER_MAX_TEXT + 1], detail[1200];
	size_t issued = 0, tl = 0;
	int r;

	snprintf(obj, sizeof(obj), "%.64s/issue-batch", m->name);
	if ((slot = named_ca(c, m, obj, &r)) == NULL)
		return r;
	if ((p = gp_profiles_get(gp_ctx_profiles(S.ctx), m->text)) == NULL) {
		snprintf(why, sizeof(why), "no profile %.64s", m->text);
		return refuse(c, m->type, obj, GP_E_NOTFOUND, why);
	}
	if ((cl->profiles != NULL && !list_has(cl->profiles, m->text)) ||
	    (cl->profiles == NULL && gp_profile_is_ca(p))) {
		snprintf(why, sizeof(why), "caller %s may not use profile %.64s%s", cl->name, m->text,
		    gp_profile_is_ca(p) ? " (a CA profile: only when its profiles name it)" : "");
		return refuse(c, m->type, obj, GP_E_DENIED, why);
	}
	actor_of(actor, sizeof(actor), c->uid, cl);
	if ((r = gp_signer_msg_new(&rep, m->type | GP_SIGNER_REPLY)) != 0)
		return r;
	text[0] = '\0';
	for (size_t i = 0; i < m->nitems; i++) {
		gp_issue_req q = GP_ISSUE_REQ_INIT;
		X509 *cert = NULL;
		unsigned char *der = NULL;
		int n = 0;

		q.csr = m->item[i];
		q.csr_len = m->item_len[i];
		q.profile = m->text;
		q.days = (int)m->num;
		q.actor = actor;
		if ((r = gp_ca_issue(&cert, slot->ca, &q)) == 0 && (n = i2d_X509(cert, &der)) <= 0)
			r = GP_E_INTERNAL;
		X509_free(cert);
		if (r != 0) {
			snprintf(why, sizeof(why), "%s", r == GP_E_INTERNAL && n < 0 ?
			    "cannot encode the certificate" : gp_error_last());
			snprintf(detail, sizeof(detail), "result=refused request=issue-batch pid=%ld "
			    "index=%zu reason=%.900s", (long)c->pid, i, why);
			audit(actor, "signer.refuse", obj, detail);
			if (tl < sizeof(text) - 1)
				tl += (size_t)snprintf(text + tl, sizeof(text) - tl, "%zu %d %.200s\n", i, r,
				    why);
			if (tl >= sizeof(text))
				tl = sizeof(text) - 1;
			r = gp_signer_msg_add_item(rep, (const unsigned char *)"", 0);
		} else {
			issued++;
			r = gp_signer_msg_add_item(rep, der, (size_t)n);
		}
		OPENSSL_free(der);
		if (r != 0) {
			gp_signer_msg_free(rep);
			return refuse(c, m->type, obj, r, gp_error_last());
		}
	}
	/* a line cut short by the bound is dropped: the client says "see the audit" */
	if (tl == sizeof(text) - 1) {
		char *nl = strrchr(text, '\n');

		if (nl != NULL)
			nl[1] = '\0';
	}
	fprintf(stderr, "ca-signer: issue-batch of %s: %zu issued, %zu refused, for %s\n", m->name,
	    issued, m->nitems - issued, actor);
	rep->num = 0;
	if ((r = gp_signer_msg_set_text(rep, text[0] != '\0' ? text : "issued")) == 0)
		r = gp_signer_send(c->fd, rep);
	gp_signer_msg_free(rep);
	return r;
}

/*
 * sign-ocsp and presign: each ResponseData is decoded and signed only when
 * it is what the responder would build from the store (its responder ID
 * the CA's key, each SingleResponse this CA's with the store's status,
 * its times now and its validity within [signer] ocsp_max_validity, the
 * only extension a nonce: RFC 6960 §4.2.1, §4.4.1; gp_ocsp_sign_checked).
 * One that is not refuses the whole request, audited with why.  The
 * signatures are not audited one by one (a responder signs one per
 * request with a nonce); their count is in the signer's log.
 */
static int
do_sign_ocsp(struct conn *c, const gp_signer_msg *m)
{
	struct ca_slot *slot;
	gp_signer_msg *rep = NULL;
	char obj[96], why[1100];
	int64_t now = (int64_t)time(NULL);
	int r;

	snprintf(obj, sizeof(obj), "%.64s/ocsp", m->name);
	if ((slot = named_ca(c, m, obj, &r)) == NULL)
		return r;
	if ((r = gp_signer_msg_new(&rep, m->type | GP_SIGNER_REPLY)) != 0)
		return r;
	for (size_t i = 0; i < m->nitems; i++) {
		unsigned char *sig = NULL;
		size_t siglen = 0;

		if ((r = gp_ocsp_sign_checked(&sig, &siglen, slot->ca, gp_ctx_store(S.ctx),
		    m->item[i], m->item_len[i], now, S.ocsp_max)) != 0) {
			snprintf(why, sizeof(why), "ResponseData %zu of %zu: %.1000s", i + 1, m->nitems,
			    gp_error_last());
			gp_signer_msg_free(rep);
			return refuse(c, m->type, obj, r, why);
		}
		r = gp_signer_msg_add_item(rep, sig, siglen);
		OPENSSL_free(sig);
		if (r != 0) {
			gp_signer_msg_free(rep);
			return refuse(c, m->type, obj, r, gp_error_last());
		}
	}
	rep->num = 0;
	if ((r = gp_signer_msg_set_text(rep, "signed")) == 0)
		r = gp_signer_send(c->fd, rep);
	gp_signer_msg_free(rep);
	return r;
}

/* Carries out one request of c; < 0 ends the connection. */
static int
dispatch(struct conn *c, const gp_signer_msg *m)
{
	char why[256], obj[96], *object = NULL;

	if (m->type == GP_SIGNER_ISSUE_APPROVED || m->type == GP_SIGNER_ISSUE_AUTO) {
		snprintf(obj, sizeof(obj), "request:%lld", (long long)m->num);
		object = obj;
	} else if (m->type == GP_SIGNER_ISSUE_BATCH) {
		snprintf(obj, sizeof(obj), "%.64s/issue-batch", m->name);
		object = obj;
	} else if (m->type == GP_SIGNER_SIGN_CRL) {
		snprintf(obj, sizeof(obj), "%.64s/crl", m->name);
		object = obj;
	} else if (m->type == GP_SIGNER_SIGN_OCSP || m->type == GP_SIGNER_PRESIGN) {
		snprintf(obj, sizeof(obj), "%.64s/ocsp", m->name);
		object = obj;
	}

	if (m->type == GP_SIGNER_DEBUG_SYSCALL) {
#ifdef GP_SIGNER_DEBUG
		/* the test build only: a system call the filter does not allow
		 * (no network socket), which must kill the process (SIGSYS) */
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		fprintf(stderr, "ca-signer (debug): socket() was allowed: fd %d\n", fd);
		return reply(c->fd, m->type, GP_E_INTERNAL, "the forbidden call returned", NULL, 0);
#else
		return refuse(c, m->type, NULL, GP_E_DENIED, "debug-syscall: not in this build");
#endif
	}
	if (m->type >= 32 || !(c->caller->types & (1u << m->type))) {
		snprintf(why, sizeof(why), "caller %s may not ask for %s", c->caller->name,
		    gp_signer_type_name(m->type));
		return refuse(c, m->type, object, GP_E_DENIED, why);
	}
	if (!rate_take(c->caller)) {
		snprintf(why, sizeof(why), "caller %s is over its rate of %ld requests per second",
		    c->caller->name, S.rate);
		return refuse(c, m->type, object, GP_E_BUSY, why);
	}
	switch (m->type) {
	case GP_SIGNER_HEALTH:
		snprintf(why, sizeof(why), "%lld", (long long)m->num);
		return reply(c->fd, m->type, 0, why, NULL, 0);
	case GP_SIGNER_ISSUE_APPROVED:
		return do_issue(c, m, 0);
	case GP_SIGNER_ISSUE_AUTO: {
		int channel;

		/* the parser allows only the three names */
		if (gp_ra_channel_from_name(&channel, m->name) != 0)
			return refuse(c, m->type, object, GP_E_INVALID, gp_error_last());
		if (c->caller->channels != NULL && !list_has(c->caller->channels, m->name)) {
			snprintf(why, sizeof(why), "caller %s may not ask for issue-auto-request over %s "
			    "(channels = %.64s)", c->caller->name, m->name, c->caller->channels);
			return refuse(c, m->type, object, GP_E_DENIED, why);
		}
		return do_issue(c, m, channel);
	}
	case GP_SIGNER_SIGN_CRL:
		return do_sign_crl(c, m);
	case GP_SIGNER_ISSUE_BATCH:
		return do_issue_batch(c, m);
	case GP_SIGNER_SIGN_OCSP:
	case GP_SIGNER_PRESIGN:
		return do_sign_ocsp(c, m);
	default:
		snprintf(why, sizeof(why), "%s is not carried out by this signer yet",
		    gp_signer_type_name(m->type));
		return refuse(c, m->type, NULL, GP_E_STATE, why);
	}
}

/* Accepts a connection: the caller's uid from the kernel (SO_PEERCRED);
 * an uid with no [signer.caller.NAME] is refused before anything is read. */
static int
accept_one(int lfd, struct conn *c)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	struct timeval tv = { IO_TIMEOUT_S, 0 };
	char actor[64], detail[128];
	int fd;

	if ((fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) < 0)
		return -1;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) {
		close(fd);
		return -1;
	}
	if (caller_of(cred.uid) == NULL) {
		actor_of(actor, sizeof(actor), cred.uid, NULL);
		snprintf(detail, sizeof(detail), "result=refused pid=%ld reason=no [signer.caller] "
		    "section for uid %u", (long)cred.pid, (unsigned)cred.uid);
		audit(actor, "signer.refuse", "connect", detail);
		fprintf(stderr, "ca-signer: refused a connection of uid %u (pid %ld): not a "
		    "configured caller\n", (unsigned)cred.uid, (long)cred.pid);
		close(fd);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	c->fd = fd;
	c->uid = cred.uid;
	c->pid = cred.pid;
	c->caller = caller_of(cred.uid);
	return 0;
}

/* Reads and answers one message of c; < 0: close it. */
static int
serve(struct conn *c)
{
	gp_signer_msg *m = NULL;
	char why[512];
	int r;

	if ((r = gp_signer_recv(&m, c->fd)) != 0) {
		if (r == GP_E_NOTFOUND)       /* the caller closed it */
			return -1;
		/* malformed, oversized, truncated: the connection ends, nothing
		 * more of it is read (docs/signer.md, "The protocol") */
		snprintf(why, sizeof(why), "%s", gp_error_last());
		{
			char actor[128], detail[700];

			actor_of(actor, sizeof(actor), c->uid, c->caller);
			snprintf(detail, sizeof(detail), "result=refused pid=%ld reason=%.600s",
			    (long)c->pid, why);
			audit(actor, "signer.refuse", "message", detail);
		}
		fprintf(stderr, "ca-signer: closed the connection of %s: %s\n", c->caller->name, why);
		return -1;
	}
	r = dispatch(c, m);
	gp_signer_msg_free(m);
	return r;
}

/* ------------------------------------------------------- confinement */

/* Becomes [signer] user (and group) when started as root; checked. */
static int
drop_privileges(const char *user, const char *group)
{
	uid_t uid;
	gid_t gid;
	char *end;

	if (user == NULL) {
		if (geteuid() == 0)
			fprintf(stderr, "ca-signer: warning: running as root: set [signer] user\n");
		return 0;
	}
	errno = 0;
	unsigned long u = strtoul(user, &end, 10);
	if (user[0] != '\0' && *end == '\0' && errno == 0) {
		uid = (uid_t)u;
		gid = (gid_t)u;
	} else {
		struct passwd *pw = getpwnam(user);

		if (pw == NULL) {
			fprintf(stderr, "ca-signer: [signer] user: no such user '%s'\n", user);
			return -1;
		}
		uid = pw->pw_uid;
		gid = pw->pw_gid;
	}
	if (group != NULL) {
		unsigned long g = strtoul(group, &end, 10);
		struct group *gr;

		if (group[0] != '\0' && *end == '\0')
			gid = (gid_t)g;
		else if ((gr = getgrnam(group)) != NULL)
			gid = gr->gr_gid;
		else {
			fprintf(stderr, "ca-signer: [signer] group: no such group '%s'\n", group);
			return -1;
		}
	}
	if (geteuid() != 0) {
		if (geteuid() == uid)
			return 0;
		fprintf(stderr, "ca-signer: [signer] user is %s, but not started as root\n", user);
		return -1;
	}
	if (setgroups(1, &gid) != 0 || setgid(gid) != 0 || setuid(uid) != 0) {
		fprintf(stderr, "ca-signer: cannot become %s: %s\n", user, strerror(errno));
		return -1;
	}
	/* the drop holds: root cannot be had back */
	if (uid != 0 && (setuid(0) == 0 || seteuid(0) == 0)) {
		fprintf(stderr, "ca-signer: could become root again after dropping to %s\n", user);
		return -1;
	}
	return 0;
}

/*
 * The seccomp allow-list: what the accept loop, SQLite (files, locks,
 * fsync, mmap of the WAL index) and OpenSSL (memory, randomness, time)
 * need.  Not allowed, among everything else: socket, connect, bind,
 * listen, execve, ptrace, fork/clone (no network socket and no new
 * program, docs/signer.md "Privileges").  A forbidden call kills the
 * process with SIGSYS.
 */
static int
load_seccomp(void)
{
	static const int allowed[] = {
		SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
		SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(close), SCMP_SYS(lseek),
		SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(stat), SCMP_SYS(lstat),
		SCMP_SYS(statx), SCMP_SYS(openat), SCMP_SYS(open), SCMP_SYS(access),
		SCMP_SYS(faccessat), SCMP_SYS(faccessat2), SCMP_SYS(unlink), SCMP_SYS(unlinkat),
		SCMP_SYS(fcntl), SCMP_SYS(fsync), SCMP_SYS(fdatasync), SCMP_SYS(ftruncate),
		SCMP_SYS(getcwd), SCMP_SYS(readlink), SCMP_SYS(readlinkat), SCMP_SYS(fchown),
		SCMP_SYS(fchmod), SCMP_SYS(getdents64),
		SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(mprotect),
		SCMP_SYS(brk), SCMP_SYS(madvise),
		SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(poll), SCMP_SYS(ppoll),
		SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(sendto), SCMP_SYS(recvfrom),
		SCMP_SYS(sendmsg), SCMP_SYS(recvmsg), SCMP_SYS(shutdown),
		SCMP_SYS(getrandom), SCMP_SYS(clock_gettime), SCMP_SYS(gettimeofday),
		SCMP_SYS(time), SCMP_SYS(nanosleep), SCMP_SYS(clock_nanosleep),
		SCMP_SYS(futex), SCMP_SYS(sched_yield), SCMP_SYS(getpid), SCMP_SYS(gettid),
		SCMP_SYS(getuid), SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
		SCMP_SYS(uname), SCMP_SYS(sysinfo), SCMP_SYS(prlimit64), SCMP_SYS(getrusage),
		SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(sigaltstack), SCMP_SYS(restart_syscall), SCMP_SYS(tgkill),
		SCMP_SYS(exit), SCMP_SYS(exit_group),
#if defined(__SANITIZE_ADDRESS__)
		/*
		 * LeakSanitizer stops the world at exit with a tracer task of its
		 * own, which asks getppid() whether its parent still lives; when
		 * the tracer is killed, the parent waits for it for ever
		 */
		SCMP_SYS(clone), SCMP_SYS(clone3), SCMP_SYS(ptrace), SCMP_SYS(wait4),
		SCMP_SYS(prctl), SCMP_SYS(sched_getaffinity), SCMP_SYS(getppid),
		SCMP_SYS(getdents),
#endif
	};
	scmp_filter_ctx f;
	int r = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		fprintf(stderr, "ca-signer: PR_SET_NO_NEW_PRIVS: %s\n", strerror(errno));
		return -1;
	}
	if ((f = seccomp_init(SCMP_ACT_KILL_PROCESS)) == NULL) {
		fprintf(stderr, "ca-signer: seccomp_init failed\n");
		return -1;
	}
	for (size_t i = 0; r == 0 && i < sizeof(allowed) / sizeof(allowed[0]); i++)
		if (allowed[i] >= 0)   /* a call this architecture does not have is < 0 */
			r = seccomp_rule_add(f, SCMP_ACT_ALLOW, allowed[i], 0);
	if (r == 0)
		r = seccomp_load(f);
	seccomp_release(f);
	if (r != 0) {
		fprintf(stderr, "ca-signer: seccomp: %s\n", strerror(-r));
		return -1;
	}
	return 0;
}

/* Binds the socket at path (mode 0660, a stale socket there replaced). */
static int
listen_at(const char *path)
{
	struct sockaddr_un sa;
	struct stat sb;
	mode_t old;
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "ca-signer: socket path %s is too long\n", path);
		return -1;
	}
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (lstat(path, &sb) == 0) {
		if (!S_ISSOCK(sb.st_mode)) {
			fprintf(stderr, "ca-signer: %s exists and is not a socket\n", path);
			return -1;
		}
		unlink(path);
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0) {
		fprintf(stderr, "ca-signer: socket: %s\n", strerror(errno));
		return -1;
	}
	old = umask(0117);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 64) != 0) {
		fprintf(stderr, "ca-signer: cannot listen at %s: %s\n", path, strerror(errno));
		umask(old);
		close(fd);
		return -1;
	}
	umask(old);
	return fd;
}

/* ---------------------------------------------------------------- main */

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "home", required_argument, NULL, 'H' },
		{ "pass-file", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const signer_keys[] = { "socket", "user", "group", "rate",
		"ocsp_max_validity", NULL };
	const char *config = NULL, *home = NULL, *pass_file = NULL, *sock = NULL, *group;
	struct conn conns[MAX_CONNS];
	struct pollfd pfd[MAX_CONNS + 1];
	size_t nconns = 0;
	int o, lfd = -1, rc = 1;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'c': config = optarg; break;
		case 'H': home = optarg; break;
		case 'p': pass_file = optarg; break;
		case 's': sock = optarg; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("ca-signer (govpki) %s\n", gp_version()); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (gp_ctx_open(&S.ctx, config, home, GP_CTX_EXISTING | GP_CTX_NO_SIGNER) != 0) {
		fprintf(stderr, "ca-signer: %s\n", gp_error_last());
		return 1;
	}
	S.cfg = gp_ctx_config(S.ctx);
	if (gp_config_check_keys(S.cfg, "signer", signer_keys) != 0 ||
	    gp_config_long(&S.rate, S.cfg, "signer", "rate", 200, 1, 1000000) != 0 ||
	    /* as [ocsp] next_update_seconds allows at most */
	    gp_config_long(&S.ocsp_max, S.cfg, "signer", "ocsp_max_validity", 7L * 86400, 60,
	    7L * 86400) != 0 ||
	    gp_config_sections(S.cfg, "signer.caller.", caller_cb, NULL) != 0) {
		fprintf(stderr, "ca-signer: %s\n", gp_error_last());
		goto out;
	}
	if (S.ncallers == 0) {
		fprintf(stderr, "ca-signer: %s: no [signer.caller.NAME] section: nobody may ask\n",
		    gp_config_path(S.cfg));
		goto out;
	}
	if (sock == NULL)
		sock = gp_config_str(S.cfg, "signer", "socket", NULL);
	if (sock == NULL) {
		fprintf(stderr, "ca-signer: no socket: [signer] socket or --socket\n");
		goto out;
	}
	S.socket_path = sock;
	if (open_cas(pass_file) != 0)
		goto out;
	if (S.ncas == 0) {
		fprintf(stderr, "ca-signer: no caller names a CA ([signer.caller.NAME] cas)\n");
		goto out;
	}
	if ((lfd = listen_at(sock)) < 0)
		goto out;
	group = gp_config_str(S.cfg, "signer", "group", NULL);
	if (geteuid() == 0 && group != NULL) {
		/* the callers' group may connect (mode 0660) */
		struct group *gr = getgrnam(group);
		char *end;
		unsigned long g = strtoul(group, &end, 10);
		gid_t gid = gr != NULL ? gr->gr_gid : (gid_t)g;

		if ((gr == NULL && *end != '\0') || chown(sock, (uid_t)-1, gid) != 0) {
			fprintf(stderr, "ca-signer: cannot give %s to group %s\n", sock, group);
			goto out;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	{
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
	}
	if (drop_privileges(gp_config_str(S.cfg, "signer", "user", NULL), group) != 0 ||
	    load_seccomp() != 0)
		goto out;
	fprintf(stderr, "ca-signer: listening at %s (uid %u, %zu CAs, %zu callers)\n", sock,
	    (unsigned)geteuid(), S.ncas, S.ncallers);

	while (!stopping) {
		int n;

		pfd[0].fd = lfd;
		pfd[0].events = POLLIN;
		for (size_t i = 0; i < nconns; i++) {
			pfd[i + 1].fd = conns[i].fd;
			pfd[i + 1].events = POLLIN;
			pfd[i + 1].revents = 0;
		}
		if ((n = poll(pfd, nconns + 1, -1)) < 0) {
			if (errno == EINTR)
				continue;
			fprintf(stderr, "ca-signer: poll: %s\n", strerror(errno));
			goto out;
		}
		for (size_t i = nconns; i-- > 0;) {
			if (pfd[i + 1].revents == 0)
				continue;
			if (serve(&conns[i]) < 0) {
				close(conns[i].fd);
				conns[i] = conns[--nconns];
			}
		}
		if (pfd[0].revents & POLLIN) {
			struct conn c;

			if (accept_one(lfd, &c) == 0) {
				if (nconns == MAX_CONNS) {
					fprintf(stderr, "ca-signer: %d connections: refused one\n", MAX_CONNS);
					close(c.fd);
				} else {
					conns[nconns++] = c;
				}
			}
		}
	}
	fprintf(stderr, "ca-signer: stopping\n");
	rc = 0;
out:
	for (size_t i = 0; i < nconns; i++)
		close(conns[i].fd);
	if (lfd >= 0)
		close(lfd);
	for (size_t i = 0; i < S.ncas; i++) {
		gp_ra_free(S.cas[i].ra);
		gp_ca_free(S.cas[i].ca);
	}
	gp_ctx_free(S.ctx);
	return rc;
}
