/* tools/daemon_files.c: the CA certificates and CRLs a daemon serves from the publish folder */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <govpki/x509util.h>

#include "daemon_conns.h"
#include "daemon_files.h"
#include "daemon_http.h"

#define MAX_FILE (512u << 20)   /* a CRL of a few million entries */
#define MAX_NAME 128
#define MAX_ENTRIES 256         /* versions kept: one per file of the folder */
#define CERT_MAX_AGE 3600

/* One version of a file, read and checked: shared by the responses that
 * send it (a reference each). */
typedef struct blob {
	atomic_int refs;
	unsigned char *data;
	size_t len;
	int is_crl;
	int64_t last_modified;  /* a CRL's thisUpdate, else the mtime */
	int64_t next_update;    /* a CRL's nextUpdate; 0: none */
	char etag[68];          /* "SHA-256 in hex" */
	char date[40];          /* last_modified as an HTTP-date */
} blob;

/* The version kept of one file, known by what fstat says of it. */
typedef struct entry {
	struct entry *next;
	char rel[MAX_NAME + 8]; /* "crl/NAME.crl" (good_name: at most MAX_NAME) */
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtim;
	blob *b;
} entry;

struct daemon_files {
	int dirfd;
	pthread_mutex_t mu;     /* the list; not taken by OCSP answers */
	entry *head;
	size_t n;
};

static void
blob_put(blob *b)
{
	if (b == NULL || atomic_fetch_sub(&b->refs, 1) != 1)
		return;
	free(b->data);
	free(b);
}

static void
blob_release(void *cls)
{
	blob_put(cls);
}

int
daemon_files_new(daemon_files **out, const char *dir)
{
	daemon_files *f;

	*out = NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL)
		return -1;
	if ((f->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		int e = errno;

		free(f);
		errno = e;
		return -1;
	}
	pthread_mutex_init(&f->mu, NULL);
	*out = f;
	return 0;
}

void
daemon_files_free(daemon_files *f)
{
	entry *e, *next;

	if (f == NULL)
		return;
	for (e = f->head; e != NULL; e = next) {
		next = e->next;
		blob_put(e->b);
		free(e);
	}
	pthread_mutex_destroy(&f->mu);
	close(f->dirfd);
	free(f);
}

int
daemon_files_claims(const char *url)
{
	return strncmp(url, "/ca/", 4) == 0 || strncmp(url, "/crl/", 5) == 0;
}

/* 1 for NAME.EXT as daemon_files.h says: a single path segment, no dot
 * segment, nothing a file name in a URL would need escaped. */
static int
good_name(const char *s, const char *ext)
{
	size_t n = strlen(s), el = strlen(ext);

	if (n == 0 || n > MAX_NAME || s[0] == '.' ||
	    strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") != n)
		return -1;   /* 400 */
	return n > el && strcmp(s + n - el, ext) == 0 ? 1 : 0;   /* 0: 404 */
}

static void
http_date(char *out, size_t size, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;

	/* RFC 9110 §5.6.7 IMF-fixdate; the daemons run in the C locale */
	if (gmtime_r(&tt, &tm) == NULL || strftime(out, size, "%a, %d %b %Y %H:%M:%S GMT", &tm) == 0)
		snprintf(out, size, "Thu, 01 Jan 1970 00:00:00 GMT");
}

/* Reads the open file fd of st into a new blob and checks it: a DER
 * certificate (is_crl 0) or CRL.  Returns NULL (saying why in *why) for
 * anything else or when out of memory. */
static blob *
blob_read(int fd, const struct stat *st, int is_crl, const char **why)
{
	blob *b = NULL;
	const unsigned char *p;
	X509_CRL *crl = NULL;
	X509 *x = NULL;
	unsigned char md[32];
	unsigned mdlen = 0;
	size_t got = 0;
	ssize_t n;
	int64_t t;
	int ok = 0;

	*why = "out of memory";
	if (st->st_size <= 0 || (uintmax_t)st->st_size > MAX_FILE) {
		*why = "empty or too large";
		return NULL;
	}
	if ((b = calloc(1, sizeof(*b))) == NULL || (b->data = malloc((size_t)st->st_size)) == NULL)
		goto out;
	b->len = (size_t)st->st_size;
	while (got < b->len && (n = read(fd, b->data + got, b->len - got)) > 0)
		got += (size_t)n;
	if (got != b->len) {
		*why = "short read";
		goto out;
	}
	p = b->data;
	b->is_crl = is_crl;
	b->last_modified = (int64_t)st->st_mtim.tv_sec;
	*why = is_crl ? "not a DER CRL" : "not a DER certificate";
	if (is_crl) {
		const ASN1_TIME *nu;

		if ((crl = d2i_X509_CRL(NULL, &p, (long)b->len)) == NULL || p != b->data + b->len ||
		    gp_time_from_asn1(&t, X509_CRL_get0_lastUpdate(crl)) != 0)
			goto out;
		b->last_modified = t;
		if ((nu = X509_CRL_get0_nextUpdate(crl)) != NULL &&
		    gp_time_from_asn1(&b->next_update, nu) != 0)
			goto out;
	} else if ((x = d2i_X509(NULL, &p, (long)b->len)) == NULL || p != b->data + b->len) {
		goto out;
	}
	if (EVP_Digest(b->data, b->len, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != 32) {
		*why = "cannot hash it";
		goto out;
	}
	b->etag[0] = '"';
	for (unsigned i = 0; i < 32; i++)
		snprintf(b->etag + 1 + 2 * i, 3, "%02x", md[i]);
	b->etag[65] = '"';
	b->etag[66] = '\0';
	http_date(b->date, sizeof(b->date), b->last_modified);
	atomic_init(&b->refs, 1);
	ok = 1;
out:
	X509_CRL_free(crl);
	X509_free(x);
	if (!ok && b != NULL) {
		free(b->data);
		free(b);
		b = NULL;
	}
	return b;
}

/* The blob of rel (open at fd, of st), from the list when this version is
 * there, else read and put there; a reference for the caller, or NULL. */
static blob *
blob_get(daemon_files *f, const char *rel, int fd, const struct stat *st, int is_crl,
    const char **why)
{
	entry *e, **pp;
	blob *b = NULL, *old = NULL;

	pthread_mutex_lock(&f->mu);
	for (e = f->head; e != NULL; e = e->next) {
		if (strcmp(e->rel, rel) != 0)
			continue;
		if (e->dev == st->st_dev && e->ino == st->st_ino && e->size == st->st_size &&
		    e->mtim.tv_sec == st->st_mtim.tv_sec && e->mtim.tv_nsec == st->st_mtim.tv_nsec) {
			b = e->b;
			atomic_fetch_add(&b->refs, 1);
		}
		break;
	}
	pthread_mutex_unlock(&f->mu);
	if (b != NULL)
		return b;
	/* read outside the lock: a large CRL takes a while */
	if ((b = blob_read(fd, st, is_crl, why)) == NULL)
		return NULL;
	pthread_mutex_lock(&f->mu);
	for (pp = &f->head; *pp != NULL && strcmp((*pp)->rel, rel) != 0; pp = &(*pp)->next)
		;
	if ((e = *pp) == NULL && f->n < MAX_ENTRIES && (e = calloc(1, sizeof(*e))) != NULL) {
		snprintf(e->rel, sizeof(e->rel), "%s", rel);
		e->next = f->head;
		f->head = e;
		f->n++;
	}
	if (e != NULL) {
		old = e->b;
		e->b = b;
		atomic_fetch_add(&b->refs, 1);   /* the list's */
		e->dev = st->st_dev;
		e->ino = st->st_ino;
		e->size = st->st_size;
		e->mtim = st->st_mtim;
	}
	pthread_mutex_unlock(&f->mu);
	blob_put(old);
	return b;
}

static enum MHD_Result
queue_text(struct MHD_Connection *c, unsigned code, const char *text, unsigned *out)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	*out = code;
	if ((r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	    MHD_RESPMEM_PERSISTENT)) == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	ret = daemon_queue(c, code, r, strlen(text));
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result
daemon_files_answer(daemon_files *f, struct MHD_Connection *c, const char *url,
    const char *prog, unsigned *code)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	struct stat st;
	const char *name, *why = NULL;
	char rel[MAX_NAME + 8], cc[96];
	blob *b;
	int is_crl = strncmp(url, "/crl/", 5) == 0, fd, g;
	long long age;

	name = url + (is_crl ? 5 : 4);
	if ((g = good_name(name, is_crl ? ".crl" : ".crt")) < 0)
		return queue_text(c, MHD_HTTP_BAD_REQUEST, "not a file name of the publish folder\n",
		    code);
	if (g == 0 || f == NULL)
		return queue_text(c, MHD_HTTP_NOT_FOUND, "not found\n", code);
	snprintf(rel, sizeof(rel), "%s/%s", is_crl ? "crl" : "ca", name);
	/* not through a link, and not a FIFO someone left there */
	if ((fd = openat(f->dirfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return queue_text(c, MHD_HTTP_NOT_FOUND, "not found\n", code);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return queue_text(c, MHD_HTTP_NOT_FOUND, "not found\n", code);
	}
	b = blob_get(f, rel, fd, &st, is_crl, &why);
	close(fd);
	if (b == NULL) {
		fprintf(stderr, "%s: publish folder: %s: %s\n", prog, rel, why);
		return queue_text(c, MHD_HTTP_INTERNAL_SERVER_ERROR, "cannot serve this file\n", code);
	}
	if (daemon_http_not_modified(c, b->etag, b->last_modified)) {
		*code = MHD_HTTP_NOT_MODIFIED;
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	} else {
		*code = MHD_HTTP_OK;
		/* the response holds a reference: a newer version renamed in
		 * meanwhile does not free what is being sent */
		atomic_fetch_add(&b->refs, 1);
		r = MHD_create_response_from_buffer_with_free_callback_cls(b->len, b->data,
		    blob_release, b);
		if (r == NULL)
			blob_put(b);
	}
	if (r == NULL) {
		blob_put(b);
		return MHD_NO;
	}
	if (*code == MHD_HTTP_OK)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		    b->is_crl ? "application/pkix-crl" : "application/pkix-cert");
	if (b->is_crl && b->next_update > 0) {
		/* a cache keeps a CRL no longer than its nextUpdate (RFC 5280
		 * §5.1.2.5), when the next one is due */
		age = (long long)b->next_update - (long long)time(NULL);
		snprintf(cc, sizeof(cc), "max-age=%lld, public, no-transform, must-revalidate",
		    age > 0 ? age : 0);
	} else if (b->is_crl) {
		snprintf(cc, sizeof(cc), "no-cache");
	} else {
		snprintf(cc, sizeof(cc), "max-age=%d, public, no-transform", CERT_MAX_AGE);
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, b->etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_LAST_MODIFIED, b->date);
	ret = daemon_queue(c, *code, r, *code == MHD_HTTP_OK ? b->len : 0);
	MHD_destroy_response(r);
	blob_put(b);
	return ret;
}

int
daemon_files_crls(daemon_files *f,
    void (*cb)(void *arg, const char *name, int64_t this_update, int64_t next_update), void *arg)
{
	DIR *d;
	struct dirent *de;
	struct stat st;
	char rel[sizeof(de->d_name) + 8];
	const char *why;
	blob *b;
	int dfd, fd, n = 0;

	if (f == NULL || (dfd = openat(f->dirfd, "crl", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	if ((d = fdopendir(dfd)) == NULL) {
		close(dfd);
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (good_name(de->d_name, ".crl") != 1)
			continue;   /* ".", "..", and temporary files ("NAME.crl.tmp.PID") */
		snprintf(rel, sizeof(rel), "crl/%.*s", MAX_NAME, de->d_name);
		if ((fd = openat(f->dirfd, rel, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
			continue;   /* renamed away meanwhile */
		b = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ?
		    blob_get(f, rel, fd, &st, 1, &why) : NULL;
		close(fd);
		n++;
		if (b == NULL)
			cb(arg, de->d_name, -1, -1);
		else
			cb(arg, de->d_name, b->last_modified, b->next_update);
		blob_put(b);
	}
	closedir(d);
	return n;
}
