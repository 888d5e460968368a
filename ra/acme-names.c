/* ra/acme-names.c: the names of an ACME order and of a CSR, compared by ra-server and by ca-signer (RFC 8555 §7.4) */
#include "config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509v3.h>

#include <govpki/acme.h>

/* An IP identifier (RFC 8738 §3) in its canonical text form. */
int
gp_acme_ip_canon(char *out, size_t len, const char *s)
{
	unsigned char b[16];

	if (inet_pton(AF_INET, s, b) == 1)
		return inet_ntop(AF_INET, b, out, (socklen_t)len) ? 4 : 0;
	if (inet_pton(AF_INET6, s, b) == 1)
		return inet_ntop(AF_INET6, b, out, (socklen_t)len) ? 16 : 0;
	return 0;
}

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorts and dedups a comma list in place. */
void
gp_acme_names_sort(char *s)
{
	char *v[GP_ACME_MAX_IDS * 2 + 2], *save = NULL, *copy = strdup(s);
	size_t n = 0, i;

	if (copy == NULL)
		return;
	for (char *t = strtok_r(copy, ",", &save); t && n < sizeof(v) / sizeof(v[0]);
	    t = strtok_r(NULL, ",", &save))
		v[n++] = t;
	qsort(v, n, sizeof(v[0]), entry_cmp);
	s[0] = '\0';
	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(v[i], v[i - 1]) == 0)
			continue;
		if (s[0])
			strcat(s, ",");
		strcat(s, v[i]);
	}
	free(copy);
}

int
gp_acme_csr_names(char **out, X509_REQ *req, char *err, size_t errlen)
{
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(req);
	GENERAL_NAMES *gns = exts ? X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL) : NULL;
	X509_NAME *nm = X509_REQ_get_subject_name(req);
	size_t cap = 64, len = 0;
	char *b = malloc(cap), entry[300];
	int r = -1, pos = -1;

	*out = NULL;
	if (b == NULL)
		goto out;
	b[0] = '\0';
#define ADD(e) do { \
	size_t el_ = strlen(e); \
	if (len + el_ + 2 > cap) { \
		char *nb_ = realloc(b, cap = 2 * (len + el_ + 2)); \
		if (nb_ == NULL) goto out; \
		b = nb_; \
	} \
	if (len) b[len++] = ','; \
	memcpy(b + len, e, el_ + 1); \
	len += el_; \
} while (0)
	for (int i = 0; gns != NULL && i < sk_GENERAL_NAME_num(gns); i++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gns, i);
		char ip[64];

		if (g->type == GEN_DNS) {
			const ASN1_IA5STRING *s = g->d.dNSName;

			if (s->length <= 0 || s->length > 255 || memchr(s->data, 0, (size_t)s->length)) {
				snprintf(err, errlen, "the CSR has a malformed DNS name");
				goto out;
			}
			snprintf(entry, sizeof(entry), "dns:%.*s", s->length, (const char *)s->data);
			for (char *p = entry; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		} else if (g->type == GEN_IPADD && (g->d.iPAddress->length == 4 ||
		    g->d.iPAddress->length == 16)) {
			inet_ntop(g->d.iPAddress->length == 4 ? AF_INET : AF_INET6, g->d.iPAddress->data,
			    ip, sizeof(ip));
			snprintf(entry, sizeof(entry), "ip:%s", ip);
		} else {
			snprintf(err, errlen, "the CSR asks for a subjectAltName of a type ACME does not "
			    "validate");
			goto out;
		}
		ADD(entry);
	}
	/* §7.4: a CN, if any, is one of the identifiers too */
	while ((pos = X509_NAME_get_index_by_NID(nm, NID_commonName, pos)) >= 0) {
		ASN1_STRING *d = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, pos));
		unsigned char *u = NULL;
		int ul = ASN1_STRING_to_UTF8(&u, d);
		char ip[64];

		if (ul <= 0 || ul > 255 || memchr(u, 0, (size_t)ul)) {
			OPENSSL_free(u);
			snprintf(err, errlen, "the CSR's CN is malformed");
			goto out;
		}
		snprintf(entry, sizeof(entry), "%.*s", ul, (const char *)u);
		OPENSSL_free(u);
		if (gp_acme_ip_canon(ip, sizeof(ip), entry))
			snprintf(entry, sizeof(entry), "ip:%s", ip);
		else {
			memmove(entry + 4, entry, strlen(entry) + 1);
			memcpy(entry, "dns:", 4);
			for (char *p = entry; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		}
		ADD(entry);
	}
#undef ADD
	if (len == 0) {
		snprintf(err, errlen, "the CSR names nothing");
		goto out;
	}
	gp_acme_names_sort(b);
	*out = b;
	b = NULL;
	r = 0;
out:
	free(b);
	GENERAL_NAMES_free(gns);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}

