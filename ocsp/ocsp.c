/* ocsp/ocsp.c: OCSP requests in, signed responses out, and the pre-signed response cache */
#include "config.h"

#include <pthread.h>
#include <sys/stat.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ocsp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <govpki/ocsp.h>
#include <govpki/signer.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "util.h"
#include "../ca/ca_lib.h"

#define N_MD 3                  /* CertID hash algorithms we answer for */
#define MAX_GETS 4              /* GET spellings remembered per CertID */
#define MAX_CHANGED 4096        /* more changes in one round: drop everything */
#define NONCE_MAX 128           /* RFC 9654 §2.1 */

/* RFC 6960 §4.1.1 CertID hashAlgorithm: SHA-1 (RFC 5019), SHA-256
 * (RFC 9919), SM3 (GM/T 0014). */
static const char *const md_names[N_MD] = { "SHA1", "SHA256", "SM3" };
static const int md_nids[N_MD] = { NID_sha1, NID_sha256, NID_sm3 };

struct gp_ocsp_resp {
	atomic_long refs;
	int status;             /* GP_OCSP_* */
	int cacheable;
	int64_t this_update;
	int64_t next_update;
	char etag[36];
	char last_modified[32];
	char expires[32];
	size_t len;
	unsigned char der[];
};

/* The certificate a CA's responses are signed under, and what they carry
 * of it.  Immutable: a renewed delegate (same key) replaces it whole, and
 * the old one stays allocated (linked from the new) until the responder is
 * freed, so signing threads read it without a lock or a reference. */
typedef struct signer_cert {
	struct signer_cert *older;
	X509 *cert;
	int64_t not_after;      /* RFC 5280 §4.1.2.5: valid through it */
	size_t certslen;        /* 0: the CA's own certificate, not sent */
	unsigned char certs[];  /* [0] EXPLICIT SEQUENCE OF Certificate */
} signer_cert;

/* What a file was when read: a change of any of it is a new file. */
typedef struct fstamp {
	int exists;
	dev_t dev;
	ino_t ino;
	off_t size;
	int64_t mtime, mtime_ns;
} fstamp;

typedef struct ocsp_ca {
	int64_t id;
	char *name;
	X509 *cert;
	unsigned char name_hash[N_MD][EVP_MAX_MD_SIZE];
	unsigned char key_hash[N_MD][EVP_MAX_MD_SIZE];
	unsigned int hlen[N_MD];
	EVP_PKEY *key;          /* the signing key: the CA's or its delegate's; NULL
	                         * with remote */
	int remote;             /* the CA's key is ca-signer's: sign-ocsp signs */
	_Atomic(signer_cert *) signer;  /* the certificate of key (NULL: keyless) */
	int delegated;          /* signer is a delegated responder (sent along) */
	/* encoded once by OpenSSL (signer_prepare), copied into every response */
	unsigned char *rid;     /* ResponderID byKey: i2d_OCSP_RESPID */
	size_t ridlen;
	unsigned char *algid;   /* signatureAlgorithm, from a signature by OpenSSL */
	size_t algidlen;
	size_t sigmax;          /* EVP_PKEY_get_size of key */
	char *dpath;            /* the delegate's certificate file, re-read near its end */
	char *inst_cert;        /* where its installed delegate would be (NULL: not */
	char *inst_key;         /*   looked for: sign_with = ca, presigned) */
	fstamp st_cert, st_key; /* those two files as last seen */
} ocsp_ca;

/* A SingleResponse after its CertID (certStatus, thisUpdate, nextUpdate),
 * encoded once by OpenSSL (i2d_OCSP_SINGLERESP of OCSP_basic_add1_status)
 * for each kind of status; a response copies it and writes its times (and
 * reason) at the offsets found then.  GeneralizedTime is always 15 octets
 * here (YYYYMMDDHHMMSSZ, RFC 6960 §4.2.2.1 / RFC 5280 §4.1.2.5.2). */
enum { TPL_GOOD, TPL_UNKNOWN, TPL_REVOKED, TPL_REASON, N_TPL };
typedef struct single_tpl {
	unsigned char der[96];
	size_t len;
	size_t this_at, next_at, rev_at, reason_at;     /* 0: not in this kind */
} single_tpl;

/* What each thread keeps: its store connection, a signing context per CA
 * (initialised once, EVP_MD_CTX_copy_ex'd per signature), a buffer. */
typedef struct tstate {
	gp_store *st;
	EVP_MD_CTX **base;      /* [ncas]; NULL until the thread signs for it */
	EVP_MD_CTX *work;
	unsigned char *buf;
	size_t cap;
	gp_signer *sig;         /* this thread's connection to ca-signer (remote CAs) */
	int64_t t_now, t_next;  /* the last times written, and as text */
	char g_now[15], g_next[15];
} tstate;

typedef struct getent getent;
typedef struct slot slot;

/* A cached response for one CertID (its DER is the key). */
struct slot {
	slot *next;
	uint64_t h;
	size_t ca;
	unsigned char serial[GP_SERIAL_MAX];
	size_t serial_len;
	gp_ocsp_resp *resp;     /* NULL: dropped after a status change */
	int unknown;            /* resp says unknown: kept until the next refresh */
	atomic_int used;        /* served since it was last signed */
	getent *gets[MAX_GETS];
	int ngets;
	size_t idlen;
	unsigned char id[];
};

/* A certificate's status as read from the store, kept until the refresher
 * sees it change (so nonce requests, signed each time, do not query the
 * store each time; they reflect it within refresh_seconds as the
 * pre-signed responses do).  Unknown serials are not kept. */
typedef struct stent {
	struct stent *next;
	uint64_t h;
	size_t ca;
	unsigned char serial[GP_SERIAL_MAX];
	size_t slen;
	int status, reason;
	int64_t at;
} stent;

/* A GET path seen before, pointing at its CertID's slot. */
struct getent {
	getent *next;
	uint64_t h;
	slot *s;
	size_t len;
	char key[];
};

struct gp_ocsp_responder {
	gp_ocsp_settings set;   /* numbers only: the strings are cleared */
	char *store_uri;
	char *signer_path;      /* [signer] socket, when a CA's key is ca-signer's */
	int presign_run;        /* gp_ocsp_presign's: the signer is asked to presign */
	pthread_key_t tkey;
	int tkey_ok;
	pthread_mutex_t stores_lock;
	tstate **states;
	size_t nstates;
	size_t capstates;
	EVP_MD *sha256;         /* ETags; fetched once */
	ASN1_OBJECT *md_objs[N_MD];
	single_tpl tpl[N_TPL];
	unsigned char oid_basic[16];    /* id-pkix-ocsp-basic, DER */
	size_t oid_basic_len;

	ocsp_ca *cas;
	size_t ncas;
	gp_ocsp_resp *err[GP_OCSP_UNAUTHORIZED + 1];

	/* the cache: one lock over both tables; readers only take it shared */
	pthread_rwlock_t lock;
	int lock_ok;
	slot **slots;
	getent **gets;
	stent **stats;
	size_t nstats;
	size_t mask;            /* buckets - 1 */
	size_t nslots;
	size_t nunknown;        /* of them, unknown answers */
	uint64_t seed[2];
	atomic_llong rev;       /* store revision the cache reflects */
	atomic_llong epoch;     /* moves whenever cached entries are dropped */
	int presigned;          /* serving the store's pre-signed responses */
	int64_t gen;            /* presign generation the cache reflects */
	pthread_mutex_t refresh_lock;

	atomic_ullong signed_total;
	atomic_ullong hits;
	atomic_ullong misses;
};

static void stat_clear(gp_ocsp_responder *r);

/* ---- settings ----------------------------------------------------------- */

static const char *const ocsp_keys[] = {
	"listen", "path", "ca", "signer_cert", "signer_key", "pass_file",
	"threads", "next_update_seconds", "refresh_seconds", "max_request_bytes",
	"max_singles", "cache_entries", "timeout_seconds", "drain_seconds", "presigned",
	"max_connections", "max_connections_per_client", "sign_with", "roots",
	"delegate_dir", NULL
};

static void
settings_default(gp_ocsp_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->listen = "127.0.0.1:8080";
	s->path = "/";
	s->next_update = 3600;
	s->refresh = 5;
	s->max_request = 10000;
	s->max_singles = 100;
	s->cache_entries = 100000;
	s->timeout = 30;
	s->max_connections = 1024;
	s->max_per_client = 64;
	s->drain = 10;
}

int
gp_ocsp_settings_load(gp_ocsp_settings *out, const gp_config *cfg)
{
	static const char sec[] = "ocsp";
	gp_ocsp_settings s;
	const char *sw;
	int r;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_settings_load: no output");
	settings_default(out);
	settings_default(&s);
	if (cfg == NULL)
		return 0;
	if ((r = gp_config_check_keys(cfg, sec, ocsp_keys)) != 0 ||
	    (r = gp_config_long(&s.threads, cfg, sec, "threads", 0, 0, 256)) != 0 ||
	    (r = gp_config_long(&s.next_update, cfg, sec, "next_update_seconds",
	    s.next_update, 60, 7L * 86400)) != 0 ||
	    (r = gp_config_long(&s.refresh, cfg, sec, "refresh_seconds",
	    s.refresh, 1, 3600)) != 0 ||
	    (r = gp_config_long(&s.max_request, cfg, sec, "max_request_bytes",
	    s.max_request, 64, 1L << 20)) != 0 ||
	    (r = gp_config_long(&s.max_singles, cfg, sec, "max_singles",
	    s.max_singles, 1, 10000)) != 0 ||
	    (r = gp_config_long(&s.cache_entries, cfg, sec, "cache_entries",
	    s.cache_entries, 0, 10000000)) != 0 ||
	    (r = gp_config_long(&s.timeout, cfg, sec, "timeout_seconds",
	    s.timeout, 1, 3600)) != 0 ||
	    (r = gp_config_long(&s.max_connections, cfg, sec, "max_connections",
	    s.max_connections, 16, 100000)) != 0 ||
	    (r = gp_config_long(&s.max_per_client, cfg, sec,
	    "max_connections_per_client", s.max_per_client, 1, 100000)) != 0 ||
	    (r = gp_config_long(&s.drain, cfg, sec, "drain_seconds", s.drain, 0,
	    600)) != 0 ||
	    (r = gp_config_bool(&s.presigned, cfg, sec, "presigned", 0)) != 0 ||
	    (r = gp_config_bool(&s.roots, cfg, sec, "roots", 0)) != 0)
		return r;
	sw = gp_config_str(cfg, sec, "sign_with", "auto");
	if (strcmp(sw, "auto") == 0)
		s.sign_with = GP_OCSP_SIGN_AUTO;
	else if (strcmp(sw, "delegate") == 0)
		s.sign_with = GP_OCSP_SIGN_DELEGATE;
	else if (strcmp(sw, "ca") == 0)
		s.sign_with = GP_OCSP_SIGN_CA;
	else
		return gp_err(GP_E_CONFIG, "%s:%d: sign_with in [ocsp] is auto, delegate or "
		    "ca, not '%s'", gp_config_path(cfg), gp_config_line(cfg, sec, "sign_with"), sw);
	s.listen = gp_config_str(cfg, sec, "listen", s.listen);
	s.path = gp_config_str(cfg, sec, "path", s.path);
	s.cas = gp_config_str(cfg, sec, "ca", NULL);
	s.signer_cert = gp_config_str(cfg, sec, "signer_cert", NULL);
	s.signer_key = gp_config_str(cfg, sec, "signer_key", NULL);
	s.pass_file = gp_config_str(cfg, sec, "pass_file", NULL);
	if (s.path[0] != '/')
		return gp_err(GP_E_CONFIG, "%s:%d: path in [ocsp] must start with '/', not '%s'",
		    gp_config_path(cfg), gp_config_line(cfg, sec, "path"), s.path);
	if ((s.signer_cert == NULL) != (s.signer_key == NULL))
		return gp_err(GP_E_CONFIG, "%s: [ocsp] needs both signer_cert and "
		    "signer_key, or neither", gp_config_path(cfg));
	*out = s;
	return 0;
}

/* ---- responses ---------------------------------------------------------- */

/* RFC 9110 §5.6.7 IMF-fixdate, without the locale strftime would use. */
static void
http_date(char out[32], int64_t t)
{
	static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char mons[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL) {
		out[0] = '\0';
		return;
	}
	snprintf(out, 32, "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday % 7],
	    tm.tm_mday, mons[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour,
	    tm.tm_min, tm.tm_sec);
}

static int
resp_new(gp_ocsp_resp **out, const EVP_MD *sha256, const unsigned char *der, size_t len,
    int status, int cacheable, int64_t this_update, int64_t next_update)
{
	gp_ocsp_resp *x;
	unsigned char md[32];
	char hex[33];

	*out = NULL;
	if ((x = malloc(sizeof(*x) + len)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	memset(x, 0, sizeof(*x));
	atomic_init(&x->refs, 1);
	x->status = status;
	x->cacheable = cacheable;
	x->this_update = this_update;
	x->next_update = next_update;
	x->len = len;
	memcpy(x->der, der, len);
	if (cacheable) {
		/* RFC 9919 §6.2 (HTTP proxies): an ETag naming this response */
		if (sha256 == NULL || EVP_Digest(der, len, md, NULL, sha256, NULL) != 1) {
			free(x);
			return gp_err_ossl(GP_E_CRYPTO, "hashing a response");
		}
		gp_hex_encode(hex, md, 16);
		snprintf(x->etag, sizeof(x->etag), "\"%s\"", hex);
		http_date(x->last_modified, this_update);
		http_date(x->expires, next_update);
	}
	*out = x;
	return 0;
}

gp_ocsp_resp *
gp_ocsp_resp_ref(gp_ocsp_resp *x)
{
	if (x != NULL)
		atomic_fetch_add_explicit(&x->refs, 1, memory_order_relaxed);
	return x;
}

void
gp_ocsp_resp_free(gp_ocsp_resp *x)
{
	if (x != NULL && atomic_fetch_sub_explicit(&x->refs, 1, memory_order_acq_rel) == 1)
		free(x);
}

const unsigned char *
gp_ocsp_resp_der(const gp_ocsp_resp *x, size_t *len)
{
	if (len != NULL)
		*len = x != NULL ? x->len : 0;
	return x != NULL ? x->der : NULL;
}

int gp_ocsp_resp_status(const gp_ocsp_resp *x) { return x != NULL ? x->status : GP_OCSP_INTERNAL_ERROR; }
int gp_ocsp_resp_cacheable(const gp_ocsp_resp *x) { return x != NULL && x->cacheable; }
int64_t gp_ocsp_resp_this_update(const gp_ocsp_resp *x) { return x != NULL ? x->this_update : 0; }
int64_t gp_ocsp_resp_next_update(const gp_ocsp_resp *x) { return x != NULL ? x->next_update : 0; }
const char *gp_ocsp_resp_etag(const gp_ocsp_resp *x) { return x != NULL ? x->etag : ""; }
const char *gp_ocsp_resp_last_modified(const gp_ocsp_resp *x) { return x != NULL ? x->last_modified : ""; }
const char *gp_ocsp_resp_expires(const gp_ocsp_resp *x) { return x != NULL ? x->expires : ""; }

/* An unsigned error response (RFC 6960 §2.3: no responseBytes). */
static int
error_resp(gp_ocsp_resp **out, int status)
{
	OCSP_RESPONSE *or = NULL;
	unsigned char *der = NULL;
	int len, r;

	*out = NULL;
	if ((or = OCSP_response_create(status, NULL)) == NULL ||
	    (len = i2d_OCSP_RESPONSE(or, &der)) <= 0) {
		r = gp_err_ossl(GP_E_NOMEM, "building an OCSP error response");
		goto out;
	}
	r = resp_new(out, NULL, der, (size_t)len, status, 0, 0, 0);
out:
	OPENSSL_free(der);
	OCSP_RESPONSE_free(or);
	return r;
}

/* ---- SipHash-2-4 over the cache keys (keyed: callers choose GET paths) --- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do { \
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32); \
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2; \
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0; \
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32); \
} while (0)

static uint64_t
siphash(const uint64_t k[2], const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ k[0], v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ k[0], v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t m, b = (uint64_t)len << 56;
	size_t i, n = len & ~(size_t)7;

	for (i = 0; i < n; i += 8) {
		memcpy(&m, p + i, 8);   /* little-endian hosts; any order is fine for a table */
		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (m = 0; i < len; i++)
		m |= (uint64_t)p[i] << (8 * (i & 7));
	b |= m;
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* ---- per-thread state --------------------------------------------------- */

static void
tstate_free(tstate *t, size_t ncas)
{
	size_t i;

	if (t == NULL)
		return;
	gp_store_close(t->st);
	gp_signer_free(t->sig);
	for (i = 0; t->base != NULL && i < ncas; i++)
		EVP_MD_CTX_free(t->base[i]);
	free(t->base);
	EVP_MD_CTX_free(t->work);
	free(t->buf);
	free(t);
}

/* The calling thread's state, with its read-only store connection (a
 * gp_store is one connection, used by one thread at a time); made on
 * first use, freed with r. */
static int
thread_state(gp_ocsp_responder *r, tstate **out)
{
	tstate *t;
	int rc;

	*out = pthread_getspecific(r->tkey);
	if (*out != NULL)
		return 0;
	if ((t = calloc(1, sizeof(*t))) == NULL ||
	    (t->base = calloc(r->ncas ? r->ncas : 1, sizeof(*t->base))) == NULL ||
	    (t->work = EVP_MD_CTX_new()) == NULL) {
		tstate_free(t, r->ncas);
		return gp_err(GP_E_NOMEM, "out of memory");
	}
	if ((rc = gp_store_open(&t->st, r->store_uri, GP_STORE_READONLY)) != 0) {
		tstate_free(t, r->ncas);
		return rc;
	}
	pthread_mutex_lock(&r->stores_lock);
	if (r->nstates == r->capstates) {
		size_t cap = r->capstates ? 2 * r->capstates : 8;
		tstate **n = realloc(r->states, cap * sizeof(*n));

		if (n == NULL) {
			pthread_mutex_unlock(&r->stores_lock);
			tstate_free(t, r->ncas);
			return gp_err(GP_E_NOMEM, "out of memory");
		}
		r->states = n;
		r->capstates = cap;
	}
	r->states[r->nstates++] = t;
	pthread_mutex_unlock(&r->stores_lock);
	if (pthread_setspecific(r->tkey, t) != 0)
		return gp_err(GP_E_INTERNAL, "pthread_setspecific failed");
	*out = t;
	return 0;
}

/* ---- the responder ------------------------------------------------------ */

/* Frees s and the certificates it replaced. */
static void
signer_free(signer_cert *s)
{
	signer_cert *o;

	for (; s != NULL; s = o) {
		o = s->older;
		X509_free(s->cert);
		free(s);
	}
}

static void
ca_clear(ocsp_ca *c)
{
	free(c->name);
	X509_free(c->cert);
	signer_free(atomic_load(&c->signer));
	EVP_PKEY_free(c->key);
	OPENSSL_free(c->rid);
	OPENSSL_free(c->algid);
	free(c->dpath);
	free(c->inst_cert);
	free(c->inst_key);
}

static void
fstamp_get(fstamp *f, const char *path)
{
	struct stat sb;

	memset(f, 0, sizeof(*f));
	if (stat(path, &sb) != 0)
		return;
	f->exists = 1;
	f->dev = sb.st_dev;
	f->ino = sb.st_ino;
	f->size = sb.st_size;
	f->mtime = (int64_t)sb.st_mtim.tv_sec;
	f->mtime_ns = (int64_t)sb.st_mtim.tv_nsec;
}

static int
fstamp_same(const fstamp *a, const fstamp *b)
{
	return a->exists == b->exists && (!a->exists || (a->dev == b->dev &&
	    a->ino == b->ino && a->size == b->size && a->mtime == b->mtime &&
	    a->mtime_ns == b->mtime_ns));
}

void
gp_ocsp_responder_free(gp_ocsp_responder *r)
{
	size_t i;

	if (r == NULL)
		return;
	if (r->slots != NULL) {
		for (i = 0; i <= r->mask; i++) {
			slot *s, *sn;

			for (s = r->slots[i]; s != NULL; s = sn) {
				sn = s->next;
				gp_ocsp_resp_free(s->resp);
				free(s);
			}
		}
	}
	if (r->gets != NULL) {
		for (i = 0; i <= r->mask; i++) {
			getent *g, *gn;

			for (g = r->gets[i]; g != NULL; g = gn) {
				gn = g->next;
				free(g);
			}
		}
	}
	if (r->stats != NULL)
		stat_clear(r);
	free(r->slots);
	free(r->gets);
	free(r->stats);
	for (i = 0; i < r->ncas; i++)
		ca_clear(&r->cas[i]);
	free(r->cas);
	for (i = 0; i < sizeof(r->err) / sizeof(r->err[0]); i++)
		gp_ocsp_resp_free(r->err[i]);
	for (i = 0; i < r->nstates; i++)
		tstate_free(r->states[i], r->ncas);
	free(r->states);
	EVP_MD_free(r->sha256);
	for (i = 0; i < N_MD; i++)
		ASN1_OBJECT_free(r->md_objs[i]);
	if (r->tkey_ok)
		pthread_key_delete(r->tkey);
	if (r->lock_ok) {
		pthread_rwlock_destroy(&r->lock);
		pthread_mutex_destroy(&r->stores_lock);
		pthread_mutex_destroy(&r->refresh_lock);
	}
	free(r->store_uri);
	free(r->signer_path);
	free(r);
}

/* issuerNameHash and issuerKeyHash of c->cert for each algorithm
 * (RFC 6960 §4.1.1: the hash of the issuer's DN DER, and of the value of
 * the BIT STRING subjectPublicKey, without tag, length and unused bits). */
static int
ca_hashes(ocsp_ca *c)
{
	EVP_MD *md = NULL;
	unsigned int n1, n2;
	int i, r = 0;

	for (i = 0; i < N_MD; i++) {
		if ((md = EVP_MD_fetch(NULL, md_names[i], NULL)) == NULL)
			return gp_err_ossl(GP_E_CRYPTO, "no %s digest", md_names[i]);
		if (X509_NAME_digest(X509_get_subject_name(c->cert), md,
		    c->name_hash[i], &n1) != 1 ||
		    X509_pubkey_digest(c->cert, md, c->key_hash[i], &n2) != 1 || n1 != n2) {
			r = gp_err_ossl(GP_E_CRYPTO, "CA %s: hashing its name and key", c->name);
			EVP_MD_free(md);
			return r;
		}
		c->hlen[i] = n1;
		EVP_MD_free(md);
	}
	return 0;
}

/* notBefore and notAfter of x (RFC 5280 §4.1.2.5: valid through notAfter). */
static int
cert_times(int64_t *nb, int64_t *na, const X509 *x)
{
	struct tm b, a;

	if (ASN1_TIME_to_tm(X509_get0_notBefore(x), &b) != 1 ||
	    ASN1_TIME_to_tm(X509_get0_notAfter(x), &a) != 1)
		return gp_err_ossl(GP_E_PARSE, "a bad validity in a signer certificate");
	*nb = (int64_t)timegm(&b);
	*na = (int64_t)timegm(&a);
	return 0;
}

/* The certificates of a PEM file (one or more), or of one DER certificate. */
static int
read_certs(STACK_OF(X509) **out, const unsigned char *buf, size_t len)
{
	STACK_OF(X509) *sk;
	BIO *bio = NULL;
	X509 *x = NULL;
	int r;

	if ((*out = sk = sk_X509_new_null()) == NULL ||
	    (bio = BIO_new_mem_buf(buf, (int)len)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_push(sk, x) <= 0) {
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
		x = NULL;
	}
	ERR_clear_error();
	if (sk_X509_num(sk) == 0) {
		if ((r = gp_cert_parse(&x, buf, len)) != 0)
			goto out;
		if (sk_X509_push(sk, x) <= 0) {
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
		x = NULL;
	}
	r = 0;
out:
	X509_free(x);
	BIO_free(bio);
	if (r != 0) {
		sk_X509_pop_free(sk, X509_free);
		*out = NULL;
	}
	return r;
}

/*
 * The certificate of the file path to sign with key (named keyname in
 * messages) at now: of key, with id-kp-OCSPSigning (RFC 6960 §4.2.2.2),
 * issued by issuer when that is not NULL (§4.2.2.2: directly by the CA),
 * valid at now; of several (a renewal put beside the certificate it
 * renews), the one valid longest.  *out is freed with X509_free.  When none
 * fits, the message says why the one that came closest does not.
 */
static int
signer_pick(X509 **out, const char *path, EVP_PKEY *key, const char *keyname,
    X509 *issuer, int64_t now)
{
	STACK_OF(X509) *sk = NULL;
	unsigned char *buf = NULL;
	X509 *best = NULL;
	int64_t nb, na, best_na = 0, close_na = 0;
	size_t len;
	int i, r, stage, closest = -1;

	*out = NULL;
	if ((r = gp_file_read(&buf, &len, path, 1 << 20)) != 0 ||
	    (r = read_certs(&sk, buf, len)) != 0) {
		gp_err_ctx(r, "signer certificate %s", path);
		goto out;
	}
	for (i = 0; i < sk_X509_num(sk); i++) {
		X509 *x = sk_X509_value(sk, i);

		if ((r = gp_x509_prepare_sm2(x)) != 0)
			goto out;
		/* how far x gets: 4 is a fit */
		nb = na = 0;
		if (X509_check_private_key(x, key) != 1)
			stage = 0;
		else if ((X509_get_extension_flags(x) & EXFLAG_XKUSAGE) == 0 ||
		    (X509_get_extended_key_usage(x) & XKU_OCSP_SIGN) == 0)
			stage = 1;
		else if (issuer != NULL && (X509_check_issued(issuer, x) != X509_V_OK ||
		    X509_verify(x, X509_get0_pubkey(issuer)) != 1))
			stage = 2;
		else if (cert_times(&nb, &na, x) != 0 || now < nb || now >= na)
			stage = 3;
		else
			stage = 4;
		ERR_clear_error();
		if (stage == 4 && (best == NULL || na > best_na)) {
			best = x;
			best_na = na;
		} else if (stage > closest) {
			closest = stage;
			close_na = na;
		}
	}
	if (best == NULL) {
		char when[21];

		gp_time_iso(when, close_na);
		if (closest == 0)
			r = gp_err(GP_E_INVALID, "signer key %s does not match %s", keyname, path);
		else if (closest == 1)
			r = gp_err(GP_E_POLICY, "signer certificate %s has no id-kp-OCSPSigning "
			    "(RFC 6960 4.2.2.2): issue it with the ocsp-signer profile", path);
		else if (closest == 2)
			r = gp_err(GP_E_POLICY, "signer certificate %s was not issued by the CA "
			    "it signs for (RFC 6960 4.2.2.2)", path);
		else
			r = gp_err(GP_E_POLICY, "signer certificate %s is not valid now%s%s", path,
			    close_na != 0 && close_na <= now ? ": it expired at " : "",
			    close_na != 0 && close_na <= now ? when : "");
		goto out;
	}
	if (!X509_up_ref(best)) {
		r = gp_err_ossl(GP_E_INTERNAL, "reference counting");
		goto out;
	}
	*out = best;
	r = 0;
out:
	sk_X509_pop_free(sk, X509_free);
	free(buf);
	return r;
}

static int
load_signer(X509 **cert, EVP_PKEY **key, const gp_ocsp_params *p)
{
	int r;

	*cert = NULL;
	if ((r = gp_key_load(key, p->signer_key, p->pass, p->passlen)) != 0)
		return gp_err_ctx(r, "signer key %s", p->signer_key);
	if ((r = signer_pick(cert, p->signer_cert, *key, p->signer_key, NULL, gp_now())) != 0) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	return r;
}

/* The signer_cert of cert (a reference is taken).  A delegate's
 * certificate goes into every response (RFC 6960 §4.2.2.2: the client
 * needs it; the CA's it knows). */
static int
signer_new(signer_cert **out, X509 *cert, int delegated)
{
	signer_cert *s;
	unsigned char *p;
	int64_t nb;
	int n = 0, inner = 0, total = 0, r;

	*out = NULL;
	if (delegated) {
		if ((n = i2d_X509(cert, NULL)) <= 0)
			return gp_err_ossl(GP_E_CRYPTO, "encoding the responder certificate");
		inner = ASN1_object_size(1, n, V_ASN1_SEQUENCE);
		total = ASN1_object_size(1, inner, 0);
	}
	if ((s = calloc(1, sizeof(*s) + (size_t)total)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if ((r = cert_times(&nb, &s->not_after, cert)) != 0) {
		free(s);
		return r;
	}
	if (!X509_up_ref(cert)) {
		free(s);
		return gp_err_ossl(GP_E_INTERNAL, "reference counting");
	}
	s->cert = cert;
	if (delegated) {
		/* certs [0] EXPLICIT SEQUENCE OF Certificate */
		p = s->certs;
		ASN1_put_object(&p, 1, inner, 0, V_ASN1_CONTEXT_SPECIFIC);
		ASN1_put_object(&p, 1, n, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
		i2d_X509(cert, &p);
		s->certslen = (size_t)total;
	}
	*out = s;
	return 0;
}

static int
wanted(const gp_ocsp_params *p, const char *name)
{
	size_t i;

	if (p->cas == NULL || p->ncas == 0)
		return 1;
	for (i = 0; i < p->ncas; i++)
		if (strcmp(p->cas[i], name) == 0)
			return 1;
	return 0;
}

/* Encodes once what every response of c's key carries, with OpenSSL:
 * the ResponderID byKey (OCSP_RESPID_set_by_key: RFC 6960 §4.2.2.3, SHA-1
 * of the value of the BIT STRING subjectPublicKey) and the
 * signatureAlgorithm (from a test signature made by OpenSSL itself, so it
 * is whatever OpenSSL writes for this key: ECDSA, RSA, Ed25519,
 * SM2-with-SM3, a PKCS#11 key; a key that cannot sign fails here, at
 * start), and makes c's signer_cert for cert. */
static int
signer_prepare(ocsp_ca *c, X509 *cert)
{
	signer_cert *sc = NULL;
	EVP_MD_CTX *m = NULL;
	X509_ALGOR *a1 = NULL, *a2 = NULL;
	ASN1_BIT_STRING *sig = NULL;
	ASN1_OCTET_STRING *dummy = NULL;
	OCSP_RESPID *rid = NULL;
	int n, r;

	if ((rid = OCSP_RESPID_new()) == NULL || OCSP_RESPID_set_by_key(rid, cert) != 1 ||
	    (n = i2d_OCSP_RESPID(rid, &c->rid)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "CA %s: hashing the responder key", c->name);
		goto out;
	}
	c->ridlen = (size_t)n;
	if ((r = gp_sign_ctx_new(&m, c->key)) != 0)
		goto out;
	if ((a1 = X509_ALGOR_new()) == NULL || (a2 = X509_ALGOR_new()) == NULL ||
	    (sig = ASN1_BIT_STRING_new()) == NULL || (dummy = ASN1_OCTET_STRING_new()) == NULL ||
	    ASN1_OCTET_STRING_set(dummy, (const unsigned char *)"govpki", 6) != 1 ||
	    ASN1_item_sign_ctx(ASN1_ITEM_rptr(ASN1_OCTET_STRING), a1, a2, sig, dummy, m) <= 0 ||
	    (n = i2d_X509_ALGOR(a1, &c->algid)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "CA %s: a test signature with the OCSP signing key",
		    c->name);
		goto out;
	}
	c->algidlen = (size_t)n;
	if ((n = EVP_PKEY_get_size(c->key)) <= 0 || n > 1024) {
		r = gp_err(GP_E_CRYPTO, "CA %s: unexpected signature size %d", c->name, n);
		goto out;
	}
	c->sigmax = (size_t)n;
	if ((r = signer_new(&sc, cert, c->delegated)) != 0)
		goto out;
	atomic_store(&c->signer, sc);
	r = 0;
out:
	OCSP_RESPID_free(rid);
	EVP_MD_CTX_free(m);
	X509_ALGOR_free(a1);
	X509_ALGOR_free(a2);
	ASN1_BIT_STRING_free(sig);
	ASN1_OCTET_STRING_free(dummy);
	return r;
}

/*
 * c's key is ca-signer's (sign_with = ca, [signer] socket): the
 * ResponderID byKey from the CA's certificate, no key; each ResponseData
 * goes to the signer (sign-ocsp), whose answer, the signatureAlgorithm and
 * the signature, is at most algidlen + sigmax octets.
 */
static int
remote_prepare(ocsp_ca *c)
{
	signer_cert *sc = NULL;
	OCSP_RESPID *rid = NULL;
	int n, r;

	if ((rid = OCSP_RESPID_new()) == NULL || OCSP_RESPID_set_by_key(rid, c->cert) != 1 ||
	    (n = i2d_OCSP_RESPID(rid, &c->rid)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "CA %s: hashing the CA key", c->name);
		goto out;
	}
	c->ridlen = (size_t)n;
	if ((n = EVP_PKEY_get_size(X509_get0_pubkey(c->cert))) <= 0 || n > 1024) {
		r = gp_err(GP_E_CRYPTO, "CA %s: unexpected signature size %d", c->name, n);
		goto out;
	}
	c->algidlen = 128;          /* an AlgorithmIdentifier with parameters (PSS) */
	c->sigmax = (size_t)n + 8;  /* and the BIT STRING's header */
	c->remote = 1;
	if ((r = signer_new(&sc, c->cert, 0)) != 0)
		goto out;
	atomic_store(&c->signer, sc);
	r = 0;
out:
	OCSP_RESPID_free(rid);
	return r;
}

/* The SingleResponse templates (see single_tpl), made by OpenSSL for a
 * sample CertID and sample times that are found again in its output. */
static int
tpl_make(gp_ocsp_responder *r)
{
	static const char *const sample[3] = {
		"20010203040506Z", "20020304050607Z", "20030405060708Z"   /* this, next, rev */
	};
	OCSP_BASICRESP *bs = NULL;
	OCSP_CERTID *id = NULL;
	OCSP_SINGLERESP *one;
	X509_NAME *nm = NULL;
	ASN1_BIT_STRING *kb = NULL;
	ASN1_GENERALIZEDTIME *t[3] = { NULL, NULL, NULL };
	ASN1_INTEGER *sn = NULL;
	unsigned char *der = NULL, *q;
	int i, k, n, idlen, rc;

	if ((sn = ASN1_INTEGER_new()) == NULL || ASN1_INTEGER_set(sn, 1) != 1 ||
	    (nm = X509_NAME_new()) == NULL || (kb = ASN1_BIT_STRING_new()) == NULL ||
	    ASN1_BIT_STRING_set(kb, (unsigned char *)"key", 3) != 1 ||
	    (id = OCSP_cert_id_new(EVP_sha1(), nm, kb, sn)) == NULL)
		goto fail;
	for (i = 0; i < 3; i++)
		if ((t[i] = ASN1_GENERALIZEDTIME_new()) == NULL ||
		    ASN1_GENERALIZEDTIME_set_string(t[i], sample[i]) != 1)
			goto fail;
	if ((idlen = i2d_OCSP_CERTID(id, NULL)) <= 0)
		goto fail;
	for (k = 0; k < N_TPL; k++) {
		single_tpl *tp = &r->tpl[k];
		static const int st[N_TPL] = { V_OCSP_CERTSTATUS_GOOD, V_OCSP_CERTSTATUS_UNKNOWN,
		    V_OCSP_CERTSTATUS_REVOKED, V_OCSP_CERTSTATUS_REVOKED };
		const unsigned char *body;
		long blen;
		int tag, cls;

		OCSP_BASICRESP_free(bs);
		if ((bs = OCSP_BASICRESP_new()) == NULL ||
		    (one = OCSP_basic_add1_status(bs, id, st[k], k == TPL_REASON ? 1 :
		    OCSP_REVOKED_STATUS_NOSTATUS, t[2], t[0], t[1])) == NULL)
			goto fail;
		OPENSSL_free(der);
		der = NULL;
		if ((n = i2d_OCSP_SINGLERESP(one, &der)) <= 0)
			goto fail;
		/* after the SEQUENCE header and the CertID */
		body = der;
		if ((ASN1_get_object(&body, &blen, &tag, &cls, n) & 0x80) != 0 ||
		    blen - idlen > (long)sizeof(tp->der) || blen <= idlen)
			goto fail;
		tp->len = (size_t)(blen - idlen);
		memcpy(tp->der, body + idlen, tp->len);
		for (i = 0; i < 3; i++) {
			size_t *at = i == 0 ? &tp->this_at : i == 1 ? &tp->next_at : &tp->rev_at;

			for (q = tp->der; q + 15 <= tp->der + tp->len; q++)
				if (memcmp(q, sample[i], 15) == 0)
					*at = (size_t)(q - tp->der);
		}
		/* revocationReason [0] EXPLICIT ENUMERATED 1: its last octet */
		if (k == TPL_REASON)
			tp->reason_at = tp->rev_at + 15 + 4;
		if (tp->this_at == 0 || tp->next_at == 0 || (k >= TPL_REVOKED && tp->rev_at == 0) ||
		    (k == TPL_REASON && (tp->reason_at >= tp->len || tp->der[tp->reason_at] != 1)))
			goto fail;
	}
	q = r->oid_basic;
	if ((n = i2d_ASN1_OBJECT(OBJ_nid2obj(NID_id_pkix_OCSP_basic), NULL)) <= 0 ||
	    n > (int)sizeof(r->oid_basic) ||
	    i2d_ASN1_OBJECT(OBJ_nid2obj(NID_id_pkix_OCSP_basic), &q) != n)
		goto fail;
	r->oid_basic_len = (size_t)n;
	rc = 0;
	goto out;
fail:
	rc = gp_err_ossl(GP_E_CRYPTO, "encoding the OCSP response templates");
out:
	OPENSSL_free(der);
	OCSP_BASICRESP_free(bs);
	OCSP_CERTID_free(id);
	ASN1_INTEGER_free(sn);
	X509_NAME_free(nm);
	ASN1_BIT_STRING_free(kb);
	for (i = 0; i < 3; i++)
		ASN1_GENERALIZEDTIME_free(t[i]);
	return rc;
}

/* c signs with the delegate cert/key (a reference to key is taken),
 * its certificate file being path. */
static int
use_delegate(ocsp_ca *c, X509 *cert, EVP_PKEY *key, const char *path)
{
	int r;

	if (!EVP_PKEY_up_ref(key))
		return gp_err_ossl(GP_E_INTERNAL, "reference counting");
	c->key = key;
	c->delegated = 1;
	if ((r = gp_strdup(&c->dpath, path)) != 0)
		return r;
	return signer_prepare(c, cert);
}

/* The delegate installed for c (gp_ocsp_delegate_paths), when there is
 * one: *found is 1 and c signs with it.  An installed delegate that does
 * not load or fit is an error, never a reason to load the CA's key. */
static int
installed_delegate(int *found, ocsp_ca *c, gp_ctx *ctx, const gp_ocsp_params *p)
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int r;

	*found = 0;
	if ((r = gp_ocsp_delegate_paths(&c->inst_cert, &c->inst_key, ctx, c->name)) != 0)
		return r;
	fstamp_get(&c->st_cert, c->inst_cert);
	fstamp_get(&c->st_key, c->inst_key);
	if (!c->st_cert.exists && !c->st_key.exists)
		return 0;
	*found = 1;
	if ((r = gp_key_load(&key, c->inst_key, p->pass, p->passlen)) != 0)
		return gp_err_ctx(r, "CA %s: OCSP signer key %s", c->name, c->inst_key);
	/* RFC 6960 §4.2.2.2: id-kp-OCSPSigning, issued directly by the CA */
	if ((r = signer_pick(&cert, c->inst_cert, key, c->inst_key, c->cert, gp_now())) != 0)
		gp_err_ctx(r, "CA %s", c->name);
	else
		r = use_delegate(c, cert, key, c->inst_cert);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

/* Sets up c from info: certificate, hashes, and (unless keyless) its
 * signer: the delegate of p when it was issued by this CA, else (as
 * sign_with says) the delegate installed for the CA or the CA's own key. */
static int
ca_setup(ocsp_ca *c, gp_ctx *ctx, const gp_ca_info *info, X509 *dcert,
    EVP_PKEY *dkey, const gp_ocsp_params *p, int sign_with, int keyless)
{
	gp_ca *ca = NULL;
	X509 *cert = NULL;
	int r, found;

	c->id = info->id;
	if ((r = gp_strdup(&c->name, info->name)) != 0 ||
	    (r = gp_cert_parse(&c->cert, info->cert_der, info->cert_len)) != 0 ||
	    (r = gp_x509_prepare_sm2(c->cert)) != 0 ||
	    (r = ca_hashes(c)) != 0 || keyless)
		return r;
	/* RFC 6960 §4.2.2.2: the delegate is issued directly by the CA */
	if (dcert != NULL && X509_check_issued(c->cert, dcert) == X509_V_OK &&
	    X509_verify(dcert, X509_get0_pubkey(c->cert)) == 1)
		return use_delegate(c, dcert, dkey, p->signer_cert);
	ERR_clear_error();
	if (sign_with != GP_OCSP_SIGN_CA) {
		if ((r = installed_delegate(&found, c, ctx, p)) != 0 || found)
			return r;
		if (sign_with == GP_OCSP_SIGN_DELEGATE)
			return gp_err(GP_E_NOTFOUND, "CA %s has no OCSP signer (sign_with = "
			    "delegate): make one with `ca-tool ocsp signer --ca %s`",
			    c->name, c->name);
	}
	/* [signer] socket: the CA's key is ca-signer's */
	if (gp_ctx_signer0(ctx) != NULL)
		return remote_prepare(c);
	if ((r = gp_ca_open(&ca, ctx, info->name, p->pass, p->passlen)) != 0)
		return gp_err_ctx(r, "OCSP responder for CA %s", info->name);
	r = gp_ca_signer_get1(&cert, &c->key, ca);
	gp_ca_free(ca);
	if (r == 0)
		r = signer_prepare(c, cert);
	X509_free(cert);
	return r;
}

int
gp_ocsp_delegates_changed(gp_ocsp_responder *r)
{
	fstamp a, b;
	size_t i;
	int changed = 0;

	if (r == NULL || r->presigned)
		return 0;
	for (i = 0; i < r->ncas; i++) {
		ocsp_ca *c = &r->cas[i];

		if (c->inst_cert == NULL)
			continue;
		fstamp_get(&a, c->inst_cert);
		fstamp_get(&b, c->inst_key);
		if (!fstamp_same(&a, &c->st_cert) || !fstamp_same(&b, &c->st_key)) {
			c->st_cert = a;
			c->st_key = b;
			changed = 1;
		}
	}
	return changed;
}

int
gp_ocsp_responder_new(gp_ocsp_responder **out, gp_ctx *ctx, const gp_ocsp_params *params)
{
	gp_ocsp_params pv;
	const gp_ocsp_params *p = &pv;
	gp_ocsp_responder *r = NULL;
	gp_ca_info **list = NULL;
	size_t n = 0, i, j, buckets;
	X509 *dcert = NULL;
	EVP_PKEY *dkey = NULL;
	int64_t rev = 0;
	int rc, delegate_used = 0;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_responder_new: no output");
	*out = NULL;
	if (ctx == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_responder_new: NULL argument");
	if ((rc = gp_params_in(&pv, sizeof(pv), params, GP_PARAMS_END(gp_ocsp_params, passlen),
	    "gp_ocsp_responder_new")) != 0)
		return rc;
	if ((p->signer_cert == NULL) != (p->signer_key == NULL))
		return gp_err(GP_E_INVALID, "a delegated responder needs both a "
		    "certificate and a key");
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if (p->settings != NULL)
		r->set = *p->settings;
	else
		settings_default(&r->set);
	r->set.listen = r->set.path = r->set.cas = NULL;
	r->set.signer_cert = r->set.signer_key = r->set.pass_file = NULL;
	if (pthread_rwlock_init(&r->lock, NULL) != 0) {
		free(r);
		return gp_err(GP_E_INTERNAL, "pthread_rwlock_init failed");
	}
	pthread_mutex_init(&r->stores_lock, NULL);
	pthread_mutex_init(&r->refresh_lock, NULL);
	r->lock_ok = 1;
	if (pthread_key_create(&r->tkey, NULL) != 0) {
		rc = gp_err(GP_E_INTERNAL, "pthread_key_create failed");
		goto out;
	}
	r->tkey_ok = 1;
	if ((rc = gp_strdup(&r->store_uri, gp_ctx_store_uri(ctx))) != 0 ||
	    (gp_ctx_signer0(ctx) != NULL &&
	    (rc = gp_strdup(&r->signer_path, gp_signer_path(gp_ctx_signer0(ctx)))) != 0))
		goto out;
	if ((r->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		rc = gp_err_ossl(GP_E_CRYPTO, "no SHA-256");
		goto out;
	}
	for (i = 0; i < N_MD; i++)
		if ((r->md_objs[i] = OBJ_nid2obj(md_nids[i])) == NULL) {
			rc = gp_err_ossl(GP_E_CRYPTO, "no OID for %s", md_names[i]);
			goto out;
		}
	if ((rc = tpl_make(r)) != 0)
		goto out;
	for (i = 0; i < sizeof(r->err) / sizeof(r->err[0]); i++) {
		if (i == 0 || i == 4)
			continue;
		if ((rc = error_resp(&r->err[i], (int)i)) != 0)
			goto out;
	}
	r->presigned = r->set.presigned;
	if (!r->presigned && p->signer_cert != NULL &&
	    (rc = load_signer(&dcert, &dkey, p)) != 0)
		goto out;
	if (r->presigned && (rc = gp_store_ocsp_generation(&r->gen, gp_ctx_store(ctx))) != 0)
		goto out;
	if ((rc = gp_store_ca_list(gp_ctx_store(ctx), &list, &n)) != 0 ||
	    (rc = gp_store_revision(gp_ctx_store(ctx), &rev)) != 0)
		goto out;
	for (i = 0; p->cas != NULL && i < p->ncas; i++) {
		for (j = 0; j < n && strcmp(list[j]->name, p->cas[i]) != 0; j++)
			;
		if (j == n) {
			rc = gp_err(GP_E_NOTFOUND, "no CA named '%s' in the store", p->cas[i]);
			goto out;
		}
	}
	if ((r->cas = calloc(n ? n : 1, sizeof(*r->cas))) == NULL) {
		rc = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (!wanted(p, list[i]->name))
			continue;
		if ((rc = ca_setup(&r->cas[r->ncas], ctx, list[i], dcert, dkey, p,
		    r->set.sign_with, r->presigned)) != 0) {
			ca_clear(&r->cas[r->ncas]);
			goto out;
		}
		delegate_used |= r->cas[r->ncas].dpath != NULL && dcert != NULL &&
		    strcmp(r->cas[r->ncas].dpath, p->signer_cert) == 0;
		r->ncas++;
	}
	if (r->ncas == 0) {
		rc = gp_err(GP_E_NOTFOUND, "no CA to answer for: the store has none");
		goto out;
	}
	if (dcert != NULL && !delegate_used) {
		rc = gp_err(GP_E_POLICY, "signer certificate %s was not issued by any CA "
		    "served (RFC 6960 4.2.2.2)", p->signer_cert);
		goto out;
	}
	for (buckets = 64; buckets < (size_t)r->set.cache_entries && buckets < (1u << 24); )
		buckets <<= 1;
	r->mask = buckets - 1;
	if ((r->slots = calloc(buckets, sizeof(*r->slots))) == NULL ||
	    (r->gets = calloc(buckets, sizeof(*r->gets))) == NULL ||
	    (r->stats = calloc(buckets, sizeof(*r->stats))) == NULL) {
		rc = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if (RAND_bytes((unsigned char *)r->seed, sizeof(r->seed)) != 1) {
		rc = gp_err_ossl(GP_E_CRYPTO, "no random bytes");
		goto out;
	}
	atomic_init(&r->rev, rev);
	*out = r;
	r = NULL;
	rc = 0;
out:
	gp_ca_info_list_free(list, n);
	X509_free(dcert);
	EVP_PKEY_free(dkey);
	gp_ocsp_responder_free(r);
	return rc;
}

int
gp_ocsp_get_stats(const gp_ocsp_responder *r, gp_ocsp_stats *out)
{
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_get_stats: no output");
	memset(out, 0, sizeof(*out));
	if (r == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_get_stats: no responder");
	out->revision = atomic_load(&((gp_ocsp_responder *)r)->rev);
	pthread_rwlock_rdlock(&((gp_ocsp_responder *)r)->lock);
	out->cached = r->nslots;
	pthread_rwlock_unlock(&((gp_ocsp_responder *)r)->lock);
	out->signed_total = atomic_load(&r->signed_total);
	out->hits = atomic_load(&r->hits);
	out->misses = atomic_load(&r->misses);
	return 0;
}

/* ---- certificate statuses ----------------------------------------------- */

static uint64_t
stat_hash(const gp_ocsp_responder *r, size_t ca, const unsigned char *serial, size_t slen)
{
	unsigned char k[sizeof(size_t) + GP_SERIAL_MAX];

	memcpy(k, &ca, sizeof(ca));
	memcpy(k + sizeof(ca), serial, slen);
	return siphash(r->seed, k, sizeof(ca) + slen);
}

/* Under a lock: the entry for (ca, serial), and where it is linked. */
static stent **
stat_find(gp_ocsp_responder *r, size_t ca, const unsigned char *serial, size_t slen,
    uint64_t h)
{
	stent **pe;

	for (pe = &r->stats[h & r->mask]; *pe != NULL; pe = &(*pe)->next)
		if ((*pe)->h == h && (*pe)->ca == ca && (*pe)->slen == slen &&
		    memcmp((*pe)->serial, serial, slen) == 0)
			break;
	return pe;
}

/* Under the write lock: forgets every status. */
static void
stat_clear(gp_ocsp_responder *r)
{
	size_t i;

	for (i = 0; i <= r->mask; i++) {
		stent *e, *en;

		for (e = r->stats[i]; e != NULL; e = en) {
			en = e->next;
			free(e);
		}
		r->stats[i] = NULL;
	}
	r->nstats = 0;
}

/* Under the write lock: forgets the status of (ca, serial). */
static void
stat_drop(gp_ocsp_responder *r, size_t ca, const unsigned char *serial, size_t slen)
{
	stent **pe = stat_find(r, ca, serial, slen, stat_hash(r, ca, serial, slen)), *e;

	if ((e = *pe) != NULL) {
		*pe = e->next;
		free(e);
		r->nstats--;
	}
}

/* The status of serial of CA ca (index): from memory, else from the store
 * (then kept, unless the revision moved meanwhile: see cache_put).
 * GP_E_NOTFOUND for a serial the CA never issued. */
static int
stat_get(gp_ocsp_responder *r, gp_store *st, size_t ca, const unsigned char *serial,
    size_t slen, int *status, int64_t *at, int *reason)
{
	uint64_t h;
	stent *e;
	int64_t rev0;
	int rc;

	if (r->set.cache_entries == 0)
		return gp_store_cert_status(st, r->cas[ca].id, serial, slen, status, at, reason);
	h = stat_hash(r, ca, serial, slen);
	pthread_rwlock_rdlock(&r->lock);
	if ((e = *stat_find(r, ca, serial, slen, h)) != NULL) {
		*status = e->status;
		*at = e->at;
		*reason = e->reason;
	}
	pthread_rwlock_unlock(&r->lock);
	if (e != NULL)
		return 0;
	rev0 = atomic_load(&r->epoch);
	if ((rc = gp_store_cert_status(st, r->cas[ca].id, serial, slen, status, at, reason)) != 0)
		return rc;
	if ((e = malloc(sizeof(*e))) == NULL)
		return 0;       /* only a cache */
	e->h = h;
	e->ca = ca;
	memcpy(e->serial, serial, slen);
	e->slen = slen;
	e->status = *status;
	e->at = *at;
	e->reason = *reason;
	pthread_rwlock_wrlock(&r->lock);
	if (atomic_load(&r->epoch) == rev0 && r->nstats < (size_t)r->set.cache_entries &&
	    *stat_find(r, ca, serial, slen, h) == NULL) {
		e->next = r->stats[h & r->mask];
		r->stats[h & r->mask] = e;
		r->nstats++;
		e = NULL;
	}
	pthread_rwlock_unlock(&r->lock);
	free(e);
	return 0;
}

/* ---- the cache ---------------------------------------------------------- */

static slot *
slot_find(gp_ocsp_responder *r, const unsigned char *id, size_t len, uint64_t h)
{
	slot *s;

	for (s = r->slots[h & r->mask]; s != NULL; s = s->next)
		if (s->h == h && s->idlen == len && memcmp(s->id, id, len) == 0)
			return s;
	return NULL;
}

static getent *
get_find(gp_ocsp_responder *r, const char *key, size_t len, uint64_t h)
{
	getent *g;

	for (g = r->gets[h & r->mask]; g != NULL; g = g->next)
		if (g->h == h && g->len == len && memcmp(g->key, key, len) == 0)
			return g;
	return NULL;
}

/* Under the write lock: remembers GET path key for s (bounded per slot). */
static void
get_add(gp_ocsp_responder *r, slot *s, const char *key, size_t len, uint64_t h)
{
	getent *g;

	if (key == NULL || len == 0 || s->ngets >= MAX_GETS || get_find(r, key, len, h) != NULL)
		return;
	if ((g = malloc(sizeof(*g) + len)) == NULL)
		return;         /* only a cache */
	g->h = h;
	g->s = s;
	g->len = len;
	memcpy(g->key, key, len);
	g->next = r->gets[h & r->mask];
	r->gets[h & r->mask] = g;
	s->gets[s->ngets++] = g;
}

int
gp_ocsp_lookup(gp_ocsp_resp **out, gp_ocsp_responder *r, const char *key, size_t len)
{
	getent *g;
	uint64_t h;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_lookup: no output");
	*out = NULL;
	if (r == NULL || key == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_lookup: NULL argument");
	h = siphash(r->seed, key, len);
	pthread_rwlock_rdlock(&r->lock);
	/* RFC 5019 §4: never served past its nextUpdate */
	if ((g = get_find(r, key, len, h)) != NULL && g->s->resp != NULL &&
	    g->s->resp->next_update > gp_now()) {
		*out = gp_ocsp_resp_ref(g->s->resp);
		if (!atomic_load_explicit(&g->s->used, memory_order_relaxed))
			atomic_store_explicit(&g->s->used, 1, memory_order_relaxed);
	}
	pthread_rwlock_unlock(&r->lock);
	if (*out == NULL)
		return GP_E_NOTFOUND;
	atomic_fetch_add_explicit(&r->hits, 1, memory_order_relaxed);
	return 0;
}

/* Stores resp for CertID id, unless entries were dropped since epoch rev0
 * (the status read may predate a change the refresher already handled).
 * An unknown answer (a serial never issued) is kept only until the next
 * refresh, and in at most an eighth of cache_entries, so that a flood of
 * random serials cannot push out the known ones. */
static void
cache_put(gp_ocsp_responder *r, const unsigned char *id, size_t idlen, size_t ca,
    const unsigned char *serial, size_t serial_len, gp_ocsp_resp *resp,
    const char *key, size_t keylen, int64_t rev0, int unknown)
{
	uint64_t h = siphash(r->seed, id, idlen);
	uint64_t gh = key != NULL ? siphash(r->seed, key, keylen) : 0;
	slot *s;

	pthread_rwlock_wrlock(&r->lock);
	if (atomic_load(&r->epoch) != rev0)
		goto out;
	if ((s = slot_find(r, id, idlen, h)) == NULL) {
		if (r->nslots >= (size_t)r->set.cache_entries ||
		    (unknown && r->nunknown >= (size_t)r->set.cache_entries / 8 + 1) ||
		    (s = calloc(1, sizeof(*s) + idlen)) == NULL)
			goto out;
		s->h = h;
		s->ca = ca;
		memcpy(s->serial, serial, serial_len);
		s->serial_len = serial_len;
		s->idlen = idlen;
		memcpy(s->id, id, idlen);
		s->next = r->slots[h & r->mask];
		r->slots[h & r->mask] = s;
		r->nslots++;
		s->unknown = unknown;
		r->nunknown += (size_t)unknown;
	}
	if (s->unknown != unknown) {
		r->nunknown = r->nunknown - (size_t)s->unknown + (size_t)unknown;
		s->unknown = unknown;
	}
	if (s->resp != resp) {
		gp_ocsp_resp_free(s->resp);
		s->resp = gp_ocsp_resp_ref(resp);
	}
	atomic_store(&s->used, 1);
	get_add(r, s, key, keylen, gh);
out:
	pthread_rwlock_unlock(&r->lock);
}

/* The cached response for CertID id, or NULL. */
static gp_ocsp_resp *
cache_get(gp_ocsp_responder *r, const unsigned char *id, size_t idlen,
    const char *key, size_t keylen)
{
	uint64_t h = siphash(r->seed, id, idlen), gh = 0;
	gp_ocsp_resp *x = NULL;
	int add = 0;
	slot *s;

	pthread_rwlock_rdlock(&r->lock);
	if ((s = slot_find(r, id, idlen, h)) != NULL && s->resp != NULL &&
	    s->resp->next_update > gp_now()) {
		x = gp_ocsp_resp_ref(s->resp);
		atomic_store_explicit(&s->used, 1, memory_order_relaxed);
		if (key != NULL && keylen > 0 && s->ngets < MAX_GETS) {
			gh = siphash(r->seed, key, keylen);
			add = get_find(r, key, keylen, gh) == NULL;
		}
	}
	pthread_rwlock_unlock(&r->lock);
	if (add) {
		pthread_rwlock_wrlock(&r->lock);
		if ((s = slot_find(r, id, idlen, h)) != NULL)
			get_add(r, s, key, keylen, gh);
		pthread_rwlock_unlock(&r->lock);
	}
	return x;
}

/* Under the write lock: unlinks s and its GET paths and frees them. */
static void
slot_remove(gp_ocsp_responder *r, slot *s)
{
	slot **ps;
	getent **pg;
	int i;

	for (ps = &r->slots[s->h & r->mask]; *ps != NULL; ps = &(*ps)->next)
		if (*ps == s) {
			*ps = s->next;
			break;
		}
	for (i = 0; i < s->ngets; i++) {
		getent *g = s->gets[i];

		for (pg = &r->gets[g->h & r->mask]; *pg != NULL; pg = &(*pg)->next)
			if (*pg == g) {
				*pg = g->next;
				break;
			}
		free(g);
	}
	gp_ocsp_resp_free(s->resp);
	r->nunknown -= (size_t)s->unknown;
	free(s);
	r->nslots--;
}

/* ---- requests ----------------------------------------------------------- */

/* Which CA (index) a CertID names, or -1 (RFC 6960 §4.1.1: both hashes
 * must match, with the CertID's own algorithm). */
static int
match_ca(const gp_ocsp_responder *r, OCSP_CERTID *cid, int *md)
{
	ASN1_OCTET_STRING *nh = NULL, *kh = NULL;
	ASN1_OBJECT *alg = NULL;
	ASN1_INTEGER *sn = NULL;
	int m, nlen, klen;
	size_t i;

	if (OCSP_id_get0_info(&nh, &alg, &kh, &sn, cid) != 1 || nh == NULL || kh == NULL)
		return -1;
	/* compared as DER: OBJ_obj2nid would search OpenSSL's tables */
	for (m = 0; m < N_MD && OBJ_cmp(alg, r->md_objs[m]) != 0; m++)
		;
	if (m == N_MD)
		return -1;
	nlen = ASN1_STRING_length(nh);
	klen = ASN1_STRING_length(kh);
	for (i = 0; i < r->ncas; i++) {
		const ocsp_ca *c = &r->cas[i];

		if ((unsigned)nlen == c->hlen[m] && (unsigned)klen == c->hlen[m] &&
		    memcmp(ASN1_STRING_get0_data(nh), c->name_hash[m], c->hlen[m]) == 0 &&
		    memcmp(ASN1_STRING_get0_data(kh), c->key_hash[m], c->hlen[m]) == 0) {
			*md = m;
			return (int)i;
		}
	}
	return -1;
}

/* RFC 9654 §2.1: a Nonce is an OCTET STRING of 1 to 128 octets inside the
 * extnValue; 0 or more than 128 octets is malformedRequest.  *nonce gets
 * the request's Nonce extension (borrowed from req) or NULL.  GP_E_PARSE
 * for a bad one. */
static int
check_nonce(OCSP_REQUEST *req, X509_EXTENSION **nonce)
{
	X509_EXTENSION *ext;
	ASN1_OCTET_STRING *v;
	const unsigned char *p, *end;
	long len;
	int idx, tag, xclass, ret;

	*nonce = NULL;
	if ((idx = OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, -1)) < 0)
		return 0;
	/* RFC 5280 §4.2: an extension appears at most once */
	if (OCSP_REQUEST_get_ext_by_NID(req, NID_id_pkix_OCSP_Nonce, idx) >= 0)
		return gp_err(GP_E_PARSE, "two nonces");
	ext = OCSP_REQUEST_get_ext(req, idx);
	v = X509_EXTENSION_get_data(ext);
	p = ASN1_STRING_get0_data(v);
	end = p + ASN1_STRING_length(v);
	/* the header only: primitive, universal OCTET STRING, filling extnValue */
	ret = ASN1_get_object(&p, &len, &tag, &xclass, (long)(end - p));
	if ((ret & 0x80) != 0 || (ret & V_ASN1_CONSTRUCTED) != 0 ||
	    xclass != V_ASN1_UNIVERSAL || tag != V_ASN1_OCTET_STRING || p + len != end) {
		ERR_clear_error();
		return gp_err(GP_E_PARSE, "the nonce is not an OCTET STRING (RFC 9654 2.1)");
	}
	if (len < 1 || len > NONCE_MAX)
		return gp_err(GP_E_PARSE, "nonce of %ld octets: 1 to %d are allowed "
		    "(RFC 9654 2.1)", len, NONCE_MAX);
	*nonce = ext;
	return 0;
}

/* RFC 5280 §4.2: a critical extension we do not understand is refused. */
static int
check_critical(STACK_OF(X509_EXTENSION) *exts, int n, X509_EXTENSION *(*get)(void *, int),
    void *obj)
{
	int i;

	(void)exts;
	for (i = 0; i < n; i++) {
		X509_EXTENSION *e = get(obj, i);

		if (X509_EXTENSION_get_critical(e) &&
		    OBJ_obj2nid(X509_EXTENSION_get_object(e)) != NID_id_pkix_OCSP_Nonce)
			return gp_err(GP_E_PARSE, "unknown critical extension");
	}
	return 0;
}

static X509_EXTENSION *req_ext(void *o, int i) { return OCSP_REQUEST_get_ext(o, i); }
static X509_EXTENSION *onereq_ext(void *o, int i) { return OCSP_ONEREQ_get_ext(o, i); }

/* One single request: its CertID (DER) and the serial it names. */
typedef struct one {
	const unsigned char *id;
	size_t idlen;
	unsigned char serial[GP_SERIAL_MAX];
	size_t slen;
	int ours;               /* 0: negative or too long, never issued by us */
} one;

/* 0 when ca's signer certificate sc has not expired at now, else
 * GP_E_STATE: the answer is tryLater (RFC 6960 §2.3) until it is renewed.
 * (It was valid when it was chosen, so notBefore has passed.) */
static int
signer_usable(const ocsp_ca *ca, const signer_cert *sc, int64_t now)
{
	char when[21];

	if (sc == NULL)
		return gp_err(GP_E_STATE, "CA %s: no signing key (pre-signed responses only)",
		    ca->name);
	if (now < sc->not_after)
		return 0;
	gp_time_iso(when, sc->not_after);
	return gp_err(GP_E_STATE, "CA %s: the OCSP signer certificate expired at %s: "
	    "answering tryLater until it is renewed", ca->name, when);
}

/* t as GeneralizedTime text (15 octets, no NUL), formatted by OpenSSL. */
static int
gentime(char out[15], int64_t t)
{
	ASN1_GENERALIZEDTIME *g = ASN1_GENERALIZEDTIME_set(NULL, (time_t)t);
	int ok = g != NULL && ASN1_STRING_length(g) == 15;

	if (ok)
		memcpy(out, ASN1_STRING_get0_data(g), 15);
	ASN1_GENERALIZEDTIME_free(g);
	return ok ? 0 : gp_err_ossl(GP_E_INVALID, "time %lld as GeneralizedTime", (long long)t);
}

/* Writes an element header (tag, length) with OpenSSL's ASN1_put_object. */
static unsigned char *
hdr(unsigned char *p, int constructed, int len, int tag, int cls)
{
	ASN1_put_object(&p, constructed, len, tag, cls);
	return p;
}

/* Makes sure t->buf holds n octets. */
static int
tbuf(tstate *t, size_t n)
{
	unsigned char *np;

	if (n <= t->cap)
		return 0;
	if ((np = realloc(t->buf, n + 1024)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	t->buf = np;
	t->cap = n + 1024;
	return 0;
}

#define FRAME_MAX 64    /* the headers in front of tbsResponseData fit in it */

/*
 * The signature of tbs by ca-signer (sign-ocsp, docs/signer.md), on this
 * thread's own connection: the signer checks the ResponseData against the
 * store before it signs.  Its answer (signatureAlgorithm, signature BIT
 * STRING) is written at out, *taillen octets, after a check that it is
 * those two elements and fits what the buffer holds for them.
 */
static int
sign_remote(unsigned char *out, size_t *taillen, gp_ocsp_responder *r, tstate *t,
    const ocsp_ca *ca, const unsigned char *tbs, size_t tbslen)
{
	unsigned char *part = NULL;
	const unsigned char *q;
	size_t len = 0;
	X509_ALGOR *alg = NULL;
	ASN1_BIT_STRING *bits = NULL;
	int rc;

	if (t->sig == NULL && (rc = gp_signer_new(&t->sig, r->signer_path)) != 0)
		return rc;
	if ((rc = gp_signer_sign_ocsp_batch(&part, &len, t->sig, r->presign_run, ca->name, &tbs,
	    &tbslen, 1)) != 0)
		return gp_err_ctx(rc, "CA %s: the OCSP response", ca->name);
	q = part;
	if (len > ca->algidlen + ca->sigmax || (alg = d2i_X509_ALGOR(NULL, &q, (long)len)) == NULL ||
	    (bits = d2i_ASN1_BIT_STRING(NULL, &q, (long)(part + len - q))) == NULL ||
	    q != part + len) {
		rc = gp_err(GP_E_PARSE, "CA %s: ca-signer's OCSP signature does not parse", ca->name);
		goto out;
	}
	memcpy(out, part, len);
	*taillen = len;
	rc = 0;
out:
	X509_ALGOR_free(alg);
	ASN1_BIT_STRING_free(bits);
	OPENSSL_free(part);
	return rc;
}

/* Signs tbs with ca's key: a copy of the thread's prepared context (one
 * DigestSignInit per thread and signer, not per signature). */
static int
sign_tbs(unsigned char *sig, size_t *siglen, tstate *t, size_t cai, const ocsp_ca *ca,
    const unsigned char *tbs, size_t tbslen)
{
	EVP_MD_CTX *fresh = NULL;
	int r;

	if (t->base[cai] == NULL && (r = gp_sign_ctx_new(&t->base[cai], ca->key)) != 0)
		return r;
	*siglen = ca->sigmax;
	if (EVP_MD_CTX_copy_ex(t->work, t->base[cai]) == 1) {
		if (EVP_DigestSign(t->work, sig, siglen, tbs, tbslen) != 1)
			return gp_err_ossl(GP_E_CRYPTO, "signing the OCSP response for CA %s",
			    ca->name);
		return 0;
	}
	/* a key whose context cannot be copied (an engine's): a fresh one */
	ERR_clear_error();
	if ((r = gp_sign_ctx_new(&fresh, ca->key)) != 0)
		return r;
	r = EVP_DigestSign(fresh, sig, siglen, tbs, tbslen) == 1 ? 0 :
	    gp_err_ossl(GP_E_CRYPTO, "signing the OCSP response for CA %s", ca->name);
	EVP_MD_CTX_free(fresh);
	return r;
}



/*
 * Signs an OCSPResponse with a BasicOCSPResponse (RFC 6960 §4.2.1) by CA
 * cai for the n single requests ones, with the store's status of each,
 * the request's Nonce extension echoed when nonce is not NULL (RFC 9654).
 * Every piece is encoded by OpenSSL: the ResponderID, signatureAlgorithm
 * and certs once per signer (signer_prepare, signer_new), the
 * SingleResponses from templates OpenSSL encoded once (tpl_make), the
 * CertIDs and the Nonce by i2d, the times by ASN1_GENERALIZEDTIME, the
 * element headers by ASN1_put_object with lengths from ASN1_object_size.
 * Built from templates rather than OCSP_BASICRESP objects because those
 * answered 32% fewer requests per CPU second (docs/PERFORMANCE.md);
 * tests/unit/test_ocsp.c checks the bytes against the earlier encoder.
 * nextUpdate is never past the signer certificate's notAfter (a client
 * would hold an answer it can no longer verify), and GP_E_STATE (tryLater)
 * when that certificate is not valid at now.
 * *known is cleared when a CertID names a serial the CA never issued.
 */
static int
build(gp_ocsp_resp **out, gp_ocsp_responder *r, tstate *t, size_t cai,
    const one *ones, int n, X509_EXTENSION *nonce, int64_t now, int *known)
{
	ocsp_ca *ca = &r->cas[cai];
	const signer_cert *sc = atomic_load(&ca->signer);
	unsigned char sig[1024], *p, *tbsp;
	char grev[15];
	size_t siglen, tail = 0;
	int64_t at, next;
	int i, rc, status, reason, k;
	int singles = 0, noncelen = 0, ext = 0, tbsc, tbs, basicc, basic, octet, rbc, rb,
	    exp0, respc, total, front;

	*out = NULL;
	*known = 1;
	if ((rc = signer_usable(ca, sc, now)) != 0)
		return rc;
	next = now + r->set.next_update;
	if (next > sc->not_after)
		next = sc->not_after;
	if (now != t->t_now) {
		if ((rc = gentime(t->g_now, now)) != 0)
			return rc;
		t->t_now = now;
	}
	if (next != t->t_next) {
		if ((rc = gentime(t->g_next, next)) != 0)
			return rc;
		t->t_next = next;
	}
	for (i = 0; i < n; i++)
		singles += ASN1_object_size(1, (int)(ones[i].idlen + r->tpl[TPL_REASON].len),
		    V_ASN1_SEQUENCE);
	if (nonce != NULL && (noncelen = i2d_X509_EXTENSION(nonce, NULL)) <= 0)
		return gp_err_ossl(GP_E_NOMEM, "encoding the nonce");
	/* the largest it can be (every single with a reason): the buffer */
	if ((rc = tbuf(t, FRAME_MAX + 64 + ca->ridlen + (size_t)singles + (size_t)noncelen +
	    ca->algidlen + ca->sigmax + sc->certslen)) != 0)
		return rc;

	/* tbsResponseData { responderID, producedAt, responses, [1] Nonce },
	 * version v1 left out (DEFAULT) */
	tbsp = t->buf + FRAME_MAX;
	p = tbsp + 6;           /* its header goes in front once its length is known */
	memcpy(p, ca->rid, ca->ridlen);
	p += ca->ridlen;
	p = hdr(p, 0, 15, V_ASN1_GENERALIZEDTIME, V_ASN1_UNIVERSAL);
	memcpy(p, t->g_now, 15);
	p += 15;
	{
		unsigned char *resps = p + 6, *q = resps;
		int rlen;

		for (i = 0; i < n; i++) {
			const single_tpl *tp;

			status = GP_STATUS_GOOD;
			reason = GP_REASON_NONE;
			at = 0;
			rc = ones[i].ours ? stat_get(r, t->st, cai, ones[i].serial, ones[i].slen,
			    &status, &at, &reason) : GP_E_NOTFOUND;
			if (rc == GP_E_NOTFOUND || rc == GP_E_INVALID) {
				/* RFC 6960 §2.2: a serial we never issued is never "good" */
				gp_error_clear();
				k = TPL_UNKNOWN;
				*known = 0;
			} else if (rc != 0) {
				return rc;
			} else if (status == GP_STATUS_GOOD) {
				k = TPL_GOOD;
			} else {
				/* revoked (RevokedInfo); on hold is certificateHold */
				if (status == GP_STATUS_HOLD)
					reason = GP_REASON_CERTIFICATE_HOLD;
				k = reason >= 0 && reason <= GP_REASON_AA_COMPROMISE ? TPL_REASON :
				    TPL_REVOKED;
				if ((rc = gentime(grev, at)) != 0)
					return rc;
			}
			tp = &r->tpl[k];
			q = hdr(q, 1, (int)(ones[i].idlen + tp->len), V_ASN1_SEQUENCE,
			    V_ASN1_UNIVERSAL);
			memcpy(q, ones[i].id, ones[i].idlen);
			q += ones[i].idlen;
			memcpy(q, tp->der, tp->len);
			memcpy(q + tp->this_at, t->g_now, 15);
			memcpy(q + tp->next_at, t->g_next, 15);
			if (k == TPL_REVOKED || k == TPL_REASON)
				memcpy(q + tp->rev_at, grev, 15);
			if (k == TPL_REASON)
				q[tp->reason_at] = (unsigned char)reason;
			q += tp->len;
		}
		/* responses SEQUENCE OF: its header, then the singles moved to it */
		rlen = (int)(q - resps);
		p = hdr(p, 1, rlen, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
		memmove(p, resps, (size_t)rlen);
		p += rlen;
	}
	if (nonce != NULL) {
		/* RFC 6960 §4.4.1, RFC 9654: the Nonce comes back unchanged, in
		 * responseExtensions [1] EXPLICIT Extensions */
		ext = ASN1_object_size(1, noncelen, V_ASN1_SEQUENCE);
		p = hdr(p, 1, ext, 1, V_ASN1_CONTEXT_SPECIFIC);
		p = hdr(p, 1, noncelen, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
		i2d_X509_EXTENSION(nonce, &p);
	}
	tbsc = (int)(p - (tbsp + 6));
	tbs = ASN1_object_size(1, tbsc, V_ASN1_SEQUENCE);
	/* the header in front: the contents move down to it */
	p = tbsp + 6 - (tbs - tbsc);
	(void)hdr(p, 1, tbsc, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	tbsp = p;
	p = tbsp + tbs;
	if (ca->remote) {
		/* the signer's signatureAlgorithm and signature BIT STRING */
		if ((rc = sign_remote(p, &tail, r, t, ca, tbsp, (size_t)tbs)) != 0)
			return rc;
		p += tail;
	} else {
		if ((rc = sign_tbs(sig, &siglen, t, cai, ca, tbsp, (size_t)tbs)) != 0)
			return rc;
		memcpy(p, ca->algid, ca->algidlen);             /* signatureAlgorithm */
		p += ca->algidlen;
		p = hdr(p, 0, (int)siglen + 1, V_ASN1_BIT_STRING, V_ASN1_UNIVERSAL);
		*p++ = 0;                                       /* no unused bits */
		memcpy(p, sig, siglen);
		p += siglen;
		tail = ca->algidlen + (size_t)ASN1_object_size(0, (int)siglen + 1, V_ASN1_BIT_STRING);
	}
	atomic_fetch_add_explicit(&r->signed_total, 1, memory_order_relaxed);
	memcpy(p, sc->certs, sc->certslen);
	p += sc->certslen;

	/* OCSPResponse { successful, [0] EXPLICIT ResponseBytes { id-pkix-
	 * ocsp-basic, OCTET STRING { BasicOCSPResponse } } }, its headers
	 * written in front of tbsResponseData */
	basicc = tbs + (int)tail + (int)sc->certslen;
	basic = ASN1_object_size(1, basicc, V_ASN1_SEQUENCE);
	octet = ASN1_object_size(0, basic, V_ASN1_OCTET_STRING);
	rbc = (int)r->oid_basic_len + octet;
	rb = ASN1_object_size(1, rbc, V_ASN1_SEQUENCE);
	exp0 = ASN1_object_size(1, rb, 0);
	respc = 3 + exp0;
	total = ASN1_object_size(1, respc, V_ASN1_SEQUENCE);
	front = total - basicc;
	if (front > (int)(tbsp - t->buf))
		return gp_err(GP_E_INTERNAL, "OCSP response headers of %d octets", front);
	p = tbsp - front;
	{
		unsigned char *q = p;

		q = hdr(q, 1, respc, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
		q = hdr(q, 0, 1, V_ASN1_ENUMERATED, V_ASN1_UNIVERSAL);
		*q++ = OCSP_RESPONSE_STATUS_SUCCESSFUL;
		q = hdr(q, 1, rb, 0, V_ASN1_CONTEXT_SPECIFIC);
		q = hdr(q, 1, rbc, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
		memcpy(q, r->oid_basic, r->oid_basic_len);
		q += r->oid_basic_len;
		q = hdr(q, 0, basic, V_ASN1_OCTET_STRING, V_ASN1_UNIVERSAL);
		q = hdr(q, 1, basicc, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
		if (q != tbsp)
			return gp_err(GP_E_INTERNAL, "OCSP response headers misplaced");
	}
	/* an unknown answer is never cacheable over HTTP: the serial may be
	 * issued in a moment (RFC 9919 §6.2's caching is for known statuses) */
	return resp_new(out, r->sha256, p, (size_t)total, GP_OCSP_SUCCESSFUL,
	    nonce == NULL && *known, now, next);
}

static int
err_out(gp_ocsp_resp **out, gp_ocsp_responder *r, int status)
{
	*out = gp_ocsp_resp_ref(r->err[status]);
	return 0;
}

/*
 * A key-less replica's answer: the response the store holds for the
 * certificate, pre-signed by gp_ocsp_presign for the CertID's hash
 * algorithm, from memory when it was asked for before.  The nonce, if
 * any, is not echoed (RFC 5019 §2.2.1 lets a responder of pre-produced
 * responses leave it out).  tryLater (RFC 6960 §2.3) when there is none
 * or it is no longer valid: presign has not run since, or this CertID
 * hash (SM3) is not pre-signed; unauthorized for more than one
 * certificate per request (RFC 5019 §2.1.1: one).
 */
static int
presigned_answer(gp_ocsp_resp **out, unsigned *flags, gp_ocsp_responder *r, size_t ca,
    int md, const one *o, int n, const char *get_key, size_t get_keylen)
{
	gp_ocsp_presigned *p = NULL;
	gp_ocsp_resp *x = NULL;
	tstate *t;
	const unsigned char *der;
	size_t len;
	int64_t rev0, now = gp_now();
	int rc;

	if (n != 1) {
		gp_err(GP_E_NOTFOUND, "%d certificates in one request: pre-signed "
		    "responses answer for one", n);
		return err_out(out, r, GP_OCSP_UNAUTHORIZED);
	}
	if (r->set.cache_entries > 0 &&
	    (x = cache_get(r, o->id, o->idlen, get_key, get_keylen)) != NULL) {
		atomic_fetch_add_explicit(&r->hits, 1, memory_order_relaxed);
		if (flags != NULL)
			*flags = GP_OCSP_HIT;
		*out = x;
		return 0;
	}
	atomic_fetch_add_explicit(&r->misses, 1, memory_order_relaxed);
	rev0 = atomic_load(&r->epoch);
	if (!o->ours || md > 1) {
		gp_err(GP_E_NOTFOUND, "no pre-signed response for this CertID");
		return err_out(out, r, GP_OCSP_TRY_LATER);
	}
	if ((rc = thread_state(r, &t)) != 0 ||
	    (rc = gp_store_ocsp_get(&p, t->st, r->cas[ca].id, o->serial, o->slen, 1)) != 0) {
		if (rc == GP_E_NOTFOUND)
			gp_err(GP_E_NOTFOUND, "no pre-signed response for this certificate");
		return err_out(out, r, rc == GP_E_NOTFOUND || rc == GP_E_BUSY ?
		    GP_OCSP_TRY_LATER : GP_OCSP_INTERNAL_ERROR);
	}
	der = md == 0 ? p->der_sha1 : p->der_sha256;
	len = md == 0 ? p->der_sha1_len : p->der_sha256_len;
	/* RFC 5019 §4: never serve a response past its nextUpdate */
	if (p->next_update <= now || der == NULL) {
		gp_err(GP_E_NOTFOUND, "the pre-signed response expired");
		rc = err_out(out, r, GP_OCSP_TRY_LATER);
		goto out;
	}
	if ((rc = resp_new(&x, r->sha256, der, len, GP_OCSP_SUCCESSFUL, 1, p->this_update,
	    p->next_update)) != 0) {
		rc = err_out(out, r, GP_OCSP_INTERNAL_ERROR);
		goto out;
	}
	if (r->set.cache_entries > 0)
		cache_put(r, o->id, o->idlen, ca, o->serial, o->slen, x, get_key, get_keylen, rev0,
		    0);
	*out = x;
	rc = 0;
out:
	gp_ocsp_presigned_free(p);
	return rc;
}

int
gp_ocsp_respond(gp_ocsp_resp **out, unsigned *flags, gp_ocsp_responder *r,
    const unsigned char *der, size_t len, const char *get_key, size_t get_keylen)
{
	OCSP_REQUEST *req = NULL;
	X509_EXTENSION *nonce = NULL;
	one *ones = NULL, one1;
	gp_ocsp_resp *x = NULL;
	tstate *t;
	const unsigned char *p = der;
	unsigned char *iddr = NULL;
	int64_t rev0;
	int i, n, rc, ca = -1, c, known, cacheable, idlen, md = 0;

	if (flags != NULL)
		*flags = 0;
	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_respond: no output");
	*out = NULL;
	if (r == NULL || (der == NULL && len > 0))
		return gp_err(GP_E_INVALID, "gp_ocsp_respond: NULL argument");
	/* RFC 6960 §4.1.1 OCSPRequest, DER, within our limits */
	if (len == 0 || len > (size_t)r->set.max_request) {
		gp_err(GP_E_PARSE, "request of %zu bytes", len);
		rc = err_out(out, r, GP_OCSP_MALFORMED);
		goto out;
	}
	if ((req = d2i_OCSP_REQUEST(NULL, &p, (long)len)) == NULL || p != der + len) {
		gp_err_ossl(GP_E_PARSE, "not a DER OCSPRequest");
		rc = err_out(out, r, GP_OCSP_MALFORMED);
		goto out;
	}
	n = OCSP_request_onereq_count(req);
	if (n < 1 || n > r->set.max_singles) {
		gp_err(GP_E_PARSE, "%d single requests: 1 to %ld are allowed", n,
		    r->set.max_singles);
		rc = err_out(out, r, GP_OCSP_MALFORMED);
		goto out;
	}
	if (check_nonce(req, &nonce) != 0 ||
	    check_critical(NULL, OCSP_REQUEST_get_ext_count(req), req_ext, req) != 0) {
		rc = err_out(out, r, GP_OCSP_MALFORMED);
		goto out;
	}
	/* one single request (the usual case) needs no allocation */
	if (n == 1) {
		memset(&one1, 0, sizeof(one1));
		ones = &one1;
	} else if ((ones = calloc((size_t)n, sizeof(*ones))) == NULL) {
		rc = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		OCSP_ONEREQ *onereq = OCSP_request_onereq_get0(req, i);
		OCSP_CERTID *id = OCSP_onereq_get0_id(onereq);
		ASN1_INTEGER *sn = NULL;
		unsigned char *q = NULL;

		if (check_critical(NULL, OCSP_ONEREQ_get_ext_count(onereq), onereq_ext,
		    onereq) != 0) {
			rc = err_out(out, r, GP_OCSP_MALFORMED);
			goto out;
		}
		/* RFC 6960 §2.3: unauthorized when we cannot answer for the
		 * issuer (or its hash algorithm); one signer per response, so
		 * every CertID must name the same CA */
		c = match_ca(r, id, &md);
		if (c < 0 || (ca >= 0 && c != ca)) {
			gp_err(GP_E_NOTFOUND, c < 0 ? "issuer not served" :
			    "single requests for different CAs");
			rc = err_out(out, r, GP_OCSP_UNAUTHORIZED);
			goto out;
		}
		ca = c;
		/* the CertID goes back as DER (re-encoded: the request may
		 * have been BER); it is also the cache key */
		if ((idlen = i2d_OCSP_CERTID(id, &q)) <= 0) {
			rc = gp_err_ossl(GP_E_NOMEM, "encoding a CertID");
			goto out;
		}
		ones[i].id = q;
		ones[i].idlen = (size_t)idlen;
		/* a negative or over-long serial was never ours: unknown */
		OCSP_id_get0_info(NULL, NULL, NULL, &sn, id);
		ones[i].ours = sn != NULL && ASN1_STRING_type(sn) != V_ASN1_NEG_INTEGER &&
		    gp_serial_from_asn1(ones[i].serial, &ones[i].slen, sn) == 0;
		if (!ones[i].ours)
			gp_error_clear();
	}
	iddr = (unsigned char *)ones[0].id;
	if (r->presigned) {
		rc = presigned_answer(out, flags, r, (size_t)ca, md, ones, n, get_key, get_keylen);
		goto out;
	}
	/* RFC 9919: a nonce-less request for one certificate is answered with
	 * a pre-signed response */
	cacheable = nonce == NULL && n == 1 && r->set.cache_entries > 0;
	if (cacheable) {
		if ((x = cache_get(r, iddr, ones[0].idlen, get_key, get_keylen)) != NULL) {
			atomic_fetch_add_explicit(&r->hits, 1, memory_order_relaxed);
			if (flags != NULL)
				*flags = GP_OCSP_HIT;
			*out = x;
			rc = 0;
			goto out;
		}
		atomic_fetch_add_explicit(&r->misses, 1, memory_order_relaxed);
	}
	rev0 = atomic_load(&r->epoch);
	if ((rc = thread_state(r, &t)) != 0 ||
	    (rc = build(&x, r, t, (size_t)ca, ones, n, nonce, gp_now(), &known)) != 0) {
		/* the store or the signer failed: say so in OCSP (§2.3); a busy
		 * store or an expired signer is tryLater */
		rc = err_out(out, r, rc == GP_E_BUSY || rc == GP_E_STATE ? GP_OCSP_TRY_LATER :
		    GP_OCSP_INTERNAL_ERROR);
		goto out;
	}
	/* unknown is kept only until the next refresh (the serial may be
	 * issued in a moment, and issuance does not move the revision): a
	 * repeated request is not signed again, and a new certificate shows
	 * within refresh_seconds, as a revocation does */
	if (cacheable)
		cache_put(r, iddr, ones[0].idlen, (size_t)ca, ones[0].serial, ones[0].slen, x,
		    get_key, get_keylen, rev0, !known);
	*out = x;
	rc = 0;
out:
	for (i = 0; ones != NULL && i < n; i++)
		OPENSSL_free((void *)ones[i].id);
	if (ones != &one1)
		free(ones);
	OCSP_REQUEST_free(req);
	return rc;
}

/* ---- the refresher ------------------------------------------------------ */

typedef struct changed {
	struct { int64_t ca_id; unsigned char serial[GP_SERIAL_MAX]; size_t len; } *v;
	size_t n;
	int overflow;
} changed;

static int
changed_cb(void *arg, const gp_cert_info *cert)
{
	changed *ch = arg;

	if (ch->n == MAX_CHANGED) {
		ch->overflow = 1;
		return 1;
	}
	ch->v[ch->n].ca_id = cert->ca_id;
	memcpy(ch->v[ch->n].serial, cert->serial, cert->serial_len);
	ch->v[ch->n].len = cert->serial_len;
	ch->n++;
	return 0;
}

static int
is_changed(const gp_ocsp_responder *r, const changed *ch, const slot *s)
{
	size_t i;

	for (i = 0; i < ch->n; i++)
		if (ch->v[i].ca_id == r->cas[s->ca].id && ch->v[i].len == s->serial_len &&
		    memcmp(ch->v[i].serial, s->serial, s->serial_len) == 0)
			return 1;
	return 0;
}

/* Drops the responses of certificates whose status changed after the
 * revision the cache reflects, and moves it to rev. */
static int
drop_changed(gp_ocsp_responder *r, gp_store *st, int64_t rev)
{
	changed ch = { NULL, 0, 0 };
	int64_t since = atomic_load(&r->rev);
	size_t i;
	int all = 1, rc;

	if ((ch.v = malloc(MAX_CHANGED * sizeof(*ch.v))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	/* only what changed is dropped; when that cannot be told (too many
	 * changes, a store error), everything is */
	rc = gp_store_cert_changed(st, since, changed_cb, &ch);
	all = rc != 0 || ch.overflow;
	if (rc != 0)
		gp_error_clear();
	pthread_rwlock_wrlock(&r->lock);
	if (all) {
		stat_clear(r);
	} else {
		for (i = 0; i < ch.n; i++) {
			size_t c;

			for (c = 0; c < r->ncas; c++)
				if (r->cas[c].id == ch.v[i].ca_id)
					stat_drop(r, c, ch.v[i].serial, ch.v[i].len);
		}
	}
	for (i = 0; i <= r->mask; i++) {
		slot *s;

		for (s = r->slots[i]; s != NULL; s = s->next)
			if (s->resp != NULL && (all || is_changed(r, &ch, s))) {
				gp_ocsp_resp_free(s->resp);
				s->resp = NULL;
			}
	}
	atomic_store(&r->rev, rev);
	atomic_fetch_add(&r->epoch, 1);
	pthread_rwlock_unlock(&r->lock);
	free(ch.v);
	return 0;
}

/* A replica: when presign wrote responses since (its generation moved),
 * drops every response held, so that the next request reads the new ones
 * from the store. */
static int
drop_presigned(gp_ocsp_responder *r, gp_store *st)
{
	int64_t gen;
	size_t i;
	int rc;

	if ((rc = gp_store_ocsp_generation(&gen, st)) != 0)
		return rc;
	if (gen == r->gen)
		return 0;
	pthread_rwlock_wrlock(&r->lock);
	for (i = 0; i <= r->mask; i++) {
		slot *s;

		for (s = r->slots[i]; s != NULL; s = s->next) {
			gp_ocsp_resp_free(s->resp);
			s->resp = NULL;
		}
	}
	r->gen = gen;
	atomic_fetch_add(&r->epoch, 1);
	pthread_rwlock_unlock(&r->lock);
	return 0;
}

/*
 * A delegate's certificate near its end (less of it left than
 * next_update_seconds, so that nextUpdate is being cut short) or past it:
 * its file is read again, and a certificate there for the same key, from
 * the same CA, valid now and longer than the current one replaces it (the
 * key stays, so the responderID and the signing contexts do too).  A new
 * key needs a reload (SIGHUP).
 */
static void
renew_signers(gp_ocsp_responder *r, int64_t now)
{
	size_t i;

	for (i = 0; i < r->ncas; i++) {
		ocsp_ca *c = &r->cas[i];
		signer_cert *sc = atomic_load(&c->signer), *nsc = NULL;
		X509 *x = NULL;

		if (!c->delegated || c->dpath == NULL || sc == NULL ||
		    sc->not_after - now >= r->set.next_update)
			continue;
		if (signer_pick(&x, c->dpath, c->key, "", c->cert, now) != 0 ||
		    signer_new(&nsc, x, 1) != 0) {
			/* nothing better there yet: the current one stays */
			gp_error_clear();
			X509_free(x);
			continue;
		}
		X509_free(x);
		if (nsc->not_after <= sc->not_after) {
			signer_free(nsc);
			continue;
		}
		/* sc stays allocated: a signing thread may still be reading it */
		nsc->older = sc;
		atomic_store(&c->signer, nsc);
	}
}

int
gp_ocsp_health(gp_ocsp_responder *r, int64_t now)
{
	size_t i;
	int rc;

	if (r == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_health: no responder");
	if (r->presigned)
		return 0;
	if (now == 0)
		now = gp_now();
	for (i = 0; i < r->ncas; i++)
		if ((rc = signer_usable(&r->cas[i], atomic_load(&r->cas[i].signer), now)) != 0)
			return rc;
	return 0;
}

int
gp_ocsp_refresh(size_t *resigned, gp_ocsp_responder *r, int64_t now)
{
	slot **todo = NULL, **gone = NULL;
	size_t ntodo = 0, ngone = 0, i, nres = 0;
	tstate *t;
	int64_t rev, rev0;
	int rc;

	if (resigned != NULL)
		*resigned = 0;
	if (r == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_refresh: no responder");
	if (now == 0)
		now = gp_now();
	pthread_mutex_lock(&r->refresh_lock);
	if ((rc = thread_state(r, &t)) != 0 ||
	    (rc = gp_store_revision(t->st, &rev)) != 0)
		goto out;
	if (rev != atomic_load(&r->rev) && (rc = drop_changed(r, t->st, rev)) != 0)
		goto out;
	if (r->presigned && (rc = drop_presigned(r, t->st)) != 0)
		goto out;
	renew_signers(r, now);

	/* only this function removes slots, so the pointers stay valid
	 * between the locks below */
	pthread_rwlock_rdlock(&r->lock);
	if (r->nslots > 0 && ((todo = calloc(r->nslots, sizeof(*todo))) == NULL ||
	    (gone = calloc(r->nslots, sizeof(*gone))) == NULL)) {
		pthread_rwlock_unlock(&r->lock);
		rc = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i <= r->mask && r->nslots > 0; i++) {
		slot *s;

		for (s = r->slots[i]; s != NULL; s = s->next) {
			/* re-sign at half the validity (RFC 9919 §4: responses are
			 * refreshed well before nextUpdate) */
			int old = s->resp == NULL || now >= s->resp->this_update +
			    (s->resp->next_update - s->resp->this_update) / 2;

			if (s->unknown) {
				gone[ngone++] = s;   /* asked again, it is read again */
				continue;
			}
			if (!old)
				continue;
			/* a replica signs nothing: it reads the store again */
			if (atomic_load(&s->used) && !r->presigned)
				todo[ntodo++] = s;
			else
				gone[ngone++] = s;
		}
	}
	pthread_rwlock_unlock(&r->lock);

	for (i = 0; i < ntodo; i++) {
		slot *s = todo[i];
		gp_ocsp_resp *x = NULL;
		one o;
		int known = 0;

		/* the slot keeps the CertID's DER and its serial: nothing to parse */
		memset(&o, 0, sizeof(o));
		o.id = s->id;
		o.idlen = s->idlen;
		memcpy(o.serial, s->serial, s->serial_len);
		o.slen = s->serial_len;
		o.ours = 1;
		rev0 = atomic_load(&r->epoch);
		rc = build(&x, r, t, s->ca, &o, 1, NULL, now, &known);
		if (rc == GP_E_STATE) {
			/* the signer expired: nothing to serve until it is renewed */
			gp_error_clear();
			pthread_rwlock_wrlock(&r->lock);
			gp_ocsp_resp_free(s->resp);
			s->resp = NULL;
			atomic_store(&s->used, 0);
			pthread_rwlock_unlock(&r->lock);
			continue;
		}
		if (rc != 0)
			goto out;
		nres++;
		pthread_rwlock_wrlock(&r->lock);
		if (atomic_load(&r->epoch) == rev0 && known) {
			gp_ocsp_resp_free(s->resp);
			s->resp = x;
			x = NULL;
			atomic_store(&s->used, 0);
		}
		pthread_rwlock_unlock(&r->lock);
		gp_ocsp_resp_free(x);
	}
	if (ngone > 0) {
		pthread_rwlock_wrlock(&r->lock);
		for (i = 0; i < ngone; i++)
			slot_remove(r, gone[i]);
		pthread_rwlock_unlock(&r->lock);
	}
	rc = 0;
out:
	pthread_mutex_unlock(&r->refresh_lock);
	free(todo);
	free(gone);
	if (resigned != NULL)
		*resigned = nres;
	return rc;
}

/* ---- pre-signing for key-less replicas ---------------------------------- */

#define PRESIGN_BATCH 256       /* certificates per transaction */

/* Frees the responses of made[0..n) and clears them for the next batch. */
static void
made_clear(gp_ocsp_presigned *made, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(made[i].der_sha1);
		free(made[i].der_sha256);
		memset(&made[i], 0, sizeof(made[i]));
	}
}

typedef struct pcert {
	int64_t id;
	unsigned char serial[GP_SERIAL_MAX];
	size_t slen;
	int64_t status_rev;
} pcert;

typedef struct pbatch {
	pcert v[PRESIGN_BATCH];
	size_t n;
} pbatch;

static int
presign_cb(void *arg, const gp_cert_info *cert)
{
	pbatch *b = arg;
	pcert *c = &b->v[b->n++];

	c->id = cert->id;
	memcpy(c->serial, cert->serial, cert->serial_len);
	c->slen = cert->serial_len;
	c->status_rev = cert->status_rev;
	return b->n == PRESIGN_BATCH;
}

/* The CertID (RFC 6960 §4.1.1) of serial under ca with digest md, as DER
 * (OPENSSL_malloc'ed), the way OpenSSL's clients build it. */
static int
certid_der(unsigned char **out, size_t *len, const ocsp_ca *ca, const EVP_MD *md,
    const unsigned char *serial, size_t slen)
{
	BIGNUM *bn = NULL;
	ASN1_INTEGER *sn = NULL;
	OCSP_CERTID *id = NULL;
	int n, r;

	*out = NULL;
	if ((bn = BN_bin2bn(serial, (int)slen, NULL)) == NULL ||
	    (sn = BN_to_ASN1_INTEGER(bn, NULL)) == NULL ||
	    (id = OCSP_cert_id_new(md, X509_get_subject_name(ca->cert),
	    X509_get0_pubkey_bitstr(ca->cert), sn)) == NULL ||
	    (n = i2d_OCSP_CERTID(id, out)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "building a CertID");
		goto out;
	}
	*len = (size_t)n;
	r = 0;
out:
	BN_free(bn);
	ASN1_INTEGER_free(sn);
	OCSP_CERTID_free(id);
	return r;
}

/* Signs the SHA-1 and SHA-256 CertID responses of one certificate into p. */
static int
presign_one(gp_ocsp_presigned *p, gp_ocsp_responder *r, tstate *t, EVP_MD *const mds[2],
    const pcert *c, int64_t now)
{
	unsigned char *der[2] = { NULL, NULL };
	size_t len[2] = { 0, 0 };
	int64_t next = 0;
	int i, rc, known;

	for (i = 0; i < 2; i++) {
		gp_ocsp_resp *x = NULL;
		one o;

		memset(&o, 0, sizeof(o));
		if ((rc = certid_der((unsigned char **)&o.id, &o.idlen, &r->cas[0], mds[i],
		    c->serial, c->slen)) != 0)
			goto out;
		memcpy(o.serial, c->serial, c->slen);
		o.slen = c->slen;
		o.ours = 1;
		rc = build(&x, r, t, 0, &o, 1, NULL, now, &known);
		OPENSSL_free((void *)o.id);
		if (rc == 0 && (der[i] = malloc(x->len)) == NULL)
			rc = gp_err(GP_E_NOMEM, "out of memory");
		if (rc == 0) {
			memcpy(der[i], x->der, x->len);
			len[i] = x->len;
			next = x->next_update;  /* cut to the signer's notAfter */
		}
		gp_ocsp_resp_free(x);
		if (rc != 0)
			goto out;
	}
	p->der_sha1 = der[0];
	p->der_sha1_len = len[0];
	p->der_sha256 = der[1];
	p->der_sha256_len = len[1];
	der[0] = der[1] = NULL;
	p->this_update = now;
	p->next_update = next;
	rc = 0;
out:
	free(der[0]);
	free(der[1]);
	return rc;
}

int
gp_ocsp_presign(gp_ocsp_presign_stats *stats, gp_ctx *ctx, const char *ca,
    const gp_ocsp_params *p, int64_t now)
{
	gp_ocsp_responder *r = NULL;
	gp_ocsp_settings set;
	gp_ocsp_params q;
	gp_ocsp_presign_stats sts;
	gp_cert_filter f;
	gp_store *st;
	pbatch *b = NULL;
	gp_ocsp_presigned *made = NULL;         /* [PRESIGN_BATCH]: signed, to store */
	EVP_MD *mds[2] = { NULL, NULL };
	tstate *t;
	int64_t rev;
	size_t i;
	int rc, intx = 0;

	memset(&sts, 0, sizeof(sts));
	if (stats != NULL)
		*stats = sts;
	if (ctx == NULL || ca == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_presign: NULL argument");
	if ((rc = gp_params_in(&q, sizeof(q), p, GP_PARAMS_END(gp_ocsp_params, passlen),
	    "gp_ocsp_presign")) != 0)
		return rc;
	if ((st = gp_ctx_store(ctx)) == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_presign: no store");
	if (now == 0)
		now = gp_now();
	/* a responder for this CA alone, with its signer, without a cache
	 * (statuses are read from the store each time) */
	if (q.settings != NULL)
		set = *q.settings;
	else
		settings_default(&set);
	set.cache_entries = 0;
	set.presigned = 0;
	q.settings = &set;
	q.cas = &ca;
	q.ncas = 1;
	if ((rc = gp_ocsp_responder_new(&r, ctx, &q)) != 0)
		goto out;
	r->presign_run = 1;
	if ((mds[0] = EVP_MD_fetch(NULL, "SHA1", NULL)) == NULL ||
	    (mds[1] = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL) {
		rc = gp_err_ossl(GP_E_CRYPTO, "no SHA-1 or SHA-256");
		goto out;
	}
	if ((rc = thread_state(r, &t)) != 0)
		goto out;
	if ((b = calloc(1, sizeof(*b))) == NULL ||
	    (made = calloc(PRESIGN_BATCH, sizeof(*made))) == NULL) {
		rc = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	f = (gp_cert_filter)GP_CERT_FILTER_INIT;
	f.ca_id = r->cas[0].id;
	f.status = -1;
	f.limit = PRESIGN_BATCH;
	for (;;) {
		b->n = 0;
		if ((rc = gp_store_cert_list(st, &f, presign_cb, b)) < 0)
			goto out;
		if (b->n == 0)
			break;
		f.after_id = b->v[b->n - 1].id;
		/* statuses are read after this: a change that comes later has a
		 * higher status_rev and is re-signed by the next run.  The batch
		 * is signed before the transaction that stores it, so that no
		 * write lock is held while ca-signer (which writes its audit
		 * into this store) is asked to sign */
		if ((rc = gp_store_revision(st, &rev)) != 0)
			goto out;
		for (i = 0; i < b->n; i++) {
			const pcert *c = &b->v[i];
			gp_ocsp_presigned *old = NULL, *np = &made[i];
			int why;

			sts.certs++;
			rc = gp_store_ocsp_get(&old, st, f.ca_id, c->serial, c->slen, 0);
			if (rc != 0 && rc != GP_E_NOTFOUND)
				goto out;
			/* re-signed when missing, changed since, or past half its
			 * validity (RFC 5019 §4: well before nextUpdate) */
			why = old == NULL ? 1 : c->status_rev > old->revision ? 2 :
			    now >= old->this_update + (old->next_update - old->this_update) / 2 ? 3 : 0;
			gp_ocsp_presigned_free(old);
			if (why == 0)
				continue;
			np->ca_id = f.ca_id;
			memcpy(np->serial, c->serial, c->slen);
			np->serial_len = c->slen;
			np->revision = rev;
			if ((rc = presign_one(np, r, t, mds, c, now)) != 0)
				goto out;
			sts.signed_certs++;
			sts.missing += why == 1;
			sts.changed += why == 2;
			sts.old += why == 3;
		}
		if ((rc = gp_store_begin(st)) != 0)
			goto out;
		intx = 1;
		for (i = 0; i < b->n; i++)
			if (made[i].der_sha1 != NULL && (rc = gp_store_ocsp_put(st, &made[i])) != 0)
				goto out;
		intx = 0;
		if ((rc = gp_store_commit(st)) != 0)
			goto out;
		made_clear(made, b->n);
		if (b->n < PRESIGN_BATCH)
			break;
	}
	/* a new generation tells replicas to read again */
	if (sts.signed_certs > 0 && (rc = gp_store_ocsp_run_add(st, f.ca_id, now, rev,
	    (int64_t)sts.signed_certs)) != 0)
		goto out;
	if (stats != NULL)
		*stats = sts;
	rc = 0;
out:
	if (intx)
		gp_store_rollback(st);
	if (made != NULL)
		made_clear(made, PRESIGN_BATCH);
	free(made);
	free(b);
	EVP_MD_free(mds[0]);
	EVP_MD_free(mds[1]);
	gp_ocsp_responder_free(r);
	return rc;
}
