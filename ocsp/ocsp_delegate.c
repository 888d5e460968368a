/* ocsp/ocsp_delegate.c: delegated OCSP responders (RFC 6960 §4.2.2.2): issuing and installing one per CA */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <govpki/audit.h>
#include <govpki/key.h>
#include <govpki/ocsp.h>
#include <govpki/store.h>
#include <govpki/x509util.h>

#include "error_int.h"
#include "util.h"

#define DELEGATE_PROFILE "ocsp-signer"

void
gp_ocsp_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}

int
gp_ocsp_default_cas(char ***names, size_t *n, gp_ctx *ctx, const gp_ocsp_settings *set)
{
	gp_ca_info **list = NULL;
	size_t nl = 0, i, roots = 0;
	char **v = NULL;
	int r;

	if (names == NULL || n == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_default_cas: no output");
	*names = NULL;
	*n = 0;
	if (ctx == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_default_cas: NULL argument");
	if ((r = gp_store_ca_list(gp_ctx_store(ctx), &list, &nl)) != 0)
		return r;
	if ((v = calloc(nl ? nl : 1, sizeof(*v))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nl; i++) {
		if (list[i]->parent_id == 0 && (set == NULL || !set->roots)) {
			roots++;
			continue;
		}
		if ((r = gp_strdup(&v[*n], list[i]->name)) != 0)
			goto out;
		(*n)++;
	}
	if (*n == 0 && roots > 0) {
		r = gp_err(GP_E_NOTFOUND, "every CA of the store is a root, and a root is "
		    "answered for only when asked (its key stays offline): name it with "
		    "--ca (or [ocsp] ca), or set [ocsp] roots = yes");
		goto out;
	}
	*names = v;
	v = NULL;
	r = 0;
out:
	if (v != NULL) {
		gp_ocsp_names_free(v, *n);
		*n = 0;
	}
	gp_ca_info_list_free(list, nl);
	return r;
}

int
gp_ocsp_delegate_paths(char **cert, char **key, gp_ctx *ctx, const char *ca_name)
{
	const char *dir, *home;
	size_t len;

	if (cert == NULL || key == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_delegate_paths: no output");
	*cert = *key = NULL;
	if (ctx == NULL || ca_name == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_delegate_paths: NULL argument");
	/* a CA name is a file name here: no folder in it */
	if (ca_name[0] == '\0' || ca_name[0] == '.' || strchr(ca_name, '/') != NULL)
		return gp_err(GP_E_INVALID, "CA name '%s' cannot name a delegate file", ca_name);
	dir = gp_config_str(gp_ctx_config(ctx), "ocsp", "delegate_dir", "ocsp");
	home = dir[0] == '/' ? "" : gp_ctx_home(ctx);
	len = strlen(home) + strlen(dir) + strlen(ca_name) + 8;
	if ((*cert = malloc(len)) == NULL || (*key = malloc(len)) == NULL) {
		free(*cert);
		*cert = NULL;
		return gp_err(GP_E_NOMEM, "out of memory");
	}
	snprintf(*cert, len, "%s%s%s/%s.crt", home, home[0] ? "/" : "", dir, ca_name);
	snprintf(*key, len, "%s%s%s/%s.key", home, home[0] ? "/" : "", dir, ca_name);
	return 0;
}

/* The delegate's subject: the CA's C, ST, L, O and OU (what the
 * ocsp-signer profile allows), and CN "<the CA's CN> OCSP Signer". */
static int
delegate_subject(X509_NAME **out, X509 *cacert, const char *ca_name)
{
	static const int keep[] = { NID_countryName, NID_stateOrProvinceName,
		NID_localityName, NID_organizationName, NID_organizationalUnitName };
	const X509_NAME *cn = X509_get_subject_name(cacert);
	X509_NAME *n;
	char base[65], cnbuf[65];
	size_t k;
	int i;

	*out = NULL;
	if ((n = X509_NAME_new()) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	for (k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
		for (i = -1; (i = X509_NAME_get_index_by_NID(cn, keep[k], i)) >= 0; )
			if (X509_NAME_add_entry(n, X509_NAME_get_entry(cn, i), -1, 0) != 1)
				goto fail;
	if (X509_NAME_get_text_by_NID(cn, NID_commonName, base, sizeof(base)) <= 0)
		snprintf(base, sizeof(base), "%s", ca_name);
	/* ub-common-name is 64 (RFC 5280 Appendix A.1) */
	snprintf(cnbuf, sizeof(cnbuf), "%.52s OCSP Signer", base);
	if (X509_NAME_add_entry_by_NID(n, NID_commonName, MBSTRING_UTF8,
	    (const unsigned char *)cnbuf, -1, -1, 0) != 1)
		goto fail;
	*out = n;
	return 0;
fail:
	X509_NAME_free(n);
	return gp_err_ossl(GP_E_CRYPTO, "building the OCSP signer's subject");
}

/* A CSR of key for subject, DER (free()). */
static int
delegate_csr(unsigned char **der, size_t *len, EVP_PKEY *key, X509_NAME *subject)
{
	X509_REQ *req = NULL;
	unsigned char *p = NULL;
	int n, r;

	*der = NULL;
	if ((req = X509_REQ_new()) == NULL || X509_REQ_set_version(req, 0) != 1 ||
	    X509_REQ_set_subject_name(req, subject) != 1 || X509_REQ_set_pubkey(req, key) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "building the OCSP signer's request");
		goto out;
	}
	if ((r = gp_req_sign(req, key)) != 0)
		goto out;
	if ((n = i2d_X509_REQ(req, &p)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "encoding the OCSP signer's request");
		goto out;
	}
	if ((*der = malloc((size_t)n)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	memcpy(*der, p, (size_t)n);
	*len = (size_t)n;
	r = 0;
out:
	OPENSSL_free(p);
	X509_REQ_free(req);
	return r;
}

/* path + suffix (free()). */
static int
with_suffix(char **out, const char *path, const char *suffix)
{
	size_t len = strlen(path) + strlen(suffix) + 1;

	if ((*out = malloc(len)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	snprintf(*out, len, "%s%s", path, suffix);
	return 0;
}

int
gp_ocsp_delegate_issue(X509 **out, gp_ctx *ctx, gp_ca *ca, const gp_ocsp_delegate_params *params)
{
	gp_ocsp_delegate_params pv;
	const gp_ocsp_delegate_params *p = &pv;
	gp_issue_req req = GP_ISSUE_REQ_INIT;
	gp_key_type type;
	X509_NAME *subject = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	BIO *bio = NULL;
	char *cpath = NULL, *kpath = NULL, *ctmp = NULL, *ktmp = NULL, *dir = NULL, *slash;
	char *pem, detail[512];
	unsigned char *csr = NULL;
	size_t csrlen = 0;
	long pemlen;
	int bits, r, key_written = 0, made_dir = 0;

	if (out != NULL)
		*out = NULL;
	if (ctx == NULL || ca == NULL)
		return gp_err(GP_E_INVALID, "gp_ocsp_delegate_issue: NULL argument");
	if ((r = gp_params_in(&pv, sizeof(pv), params,
	    GP_PARAMS_END(gp_ocsp_delegate_params, actor), "gp_ocsp_delegate_issue")) != 0)
		return r;
	if (p->days < 0)
		return gp_err(GP_E_INVALID, "an OCSP signer's validity must be positive days");
	if (p->pass == NULL || p->passlen == 0)
		return gp_err(GP_E_PASSPHRASE, "the OCSP signer's key needs a passphrase: "
		    "keys never touch disk unencrypted");
	if (p->key_type >= 0) {
		if (p->key_type >= GP_KEY__COUNT)
			return gp_err(GP_E_INVALID, "unknown key type %d", p->key_type);
		type = (gp_key_type)p->key_type;
	} else if ((r = gp_key_classify(&type, &bits, X509_get0_pubkey(gp_ca_cert0(ca)))) != 0)
		return gp_err_ctx(r, "CA %s: its key type", gp_ca_name(ca));
	/* refuse what cannot be issued before making anything */
	if ((r = gp_ca_may_issue(ca, DELEGATE_PROFILE)) != 0)
		return gp_err_ctx(r, "CA %s: an OCSP signer", gp_ca_name(ca));
	if ((r = gp_ocsp_delegate_paths(&cpath, &kpath, ctx, gp_ca_name(ca))) != 0 ||
	    (r = with_suffix(&ctmp, cpath, ".new")) != 0 ||
	    (r = with_suffix(&ktmp, kpath, ".new")) != 0 ||
	    (r = gp_strdup(&dir, cpath)) != 0)
		goto out;
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if ((r = gp_key_generate(&key, type)) != 0 ||
	    (r = delegate_subject(&subject, gp_ca_cert0(ca), gp_ca_name(ca))) != 0 ||
	    (r = delegate_csr(&csr, &csrlen, key, subject)) != 0)
		goto out;
	if (mkdir(dir, 0700) == 0)
		made_dir = 1;
	else if (errno != EEXIST) {
		r = gp_err(GP_E_IO, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	/* the key first, beside the old one: an issued certificate is never
	 * left without its key */
	if (unlink(ktmp) != 0 && errno != ENOENT) {
		r = gp_err(GP_E_IO, "cannot remove %s: %s", ktmp, strerror(errno));
		goto out;
	}
	if ((r = gp_key_save(ktmp, key, p->pass, p->passlen)) != 0)
		goto out;
	key_written = 1;
	req.csr = csr;
	req.csr_len = csrlen;
	req.profile = DELEGATE_PROFILE;
	req.days = p->days;
	req.actor = p->actor;
	if ((r = gp_ca_issue(&cert, ca, &req)) != 0)
		goto out;
	if ((bio = BIO_new(BIO_s_mem())) == NULL || PEM_write_bio_X509(bio, cert) != 1 ||
	    (pemlen = BIO_get_mem_data(bio, &pem)) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "encoding the OCSP signer certificate");
		goto out;
	}
	/* key, then certificate: a responder that reads the pair between the
	 * two renames finds them not matching, keeps what it has and reads
	 * them again at the next change */
	if ((r = gp_file_write_atomic(ctmp, pem, (size_t)pemlen, 0644)) != 0)
		goto out;
	if (rename(ktmp, kpath) != 0) {
		r = gp_err(GP_E_IO, "cannot install %s: %s", kpath, strerror(errno));
		unlink(ctmp);
		goto out;
	}
	key_written = 0;
	if (rename(ctmp, cpath) != 0) {
		r = gp_err(GP_E_IO, "cannot install %s: %s", cpath, strerror(errno));
		goto out;
	}
	snprintf(detail, sizeof(detail), "cert=%s key=%s", cpath, kpath);
	if ((r = gp_audit_append(gp_ctx_store(ctx), p->actor != NULL ? p->actor : "ca-tool",
	    "ocsp.signer", gp_ca_name(ca), detail)) != 0)
		goto out;
	if (out != NULL) {
		*out = cert;
		cert = NULL;
	}
	r = 0;
out:
	if (key_written)
		unlink(ktmp);
	/* a failure leaves no folder behind either (only an empty one goes) */
	if (r != 0 && made_dir)
		rmdir(dir);
	BIO_free(bio);
	X509_free(cert);
	X509_NAME_free(subject);
	EVP_PKEY_free(key);
	free(csr);
	free(cpath);
	free(kpath);
	free(ctmp);
	free(ktmp);
	free(dir);
	return r;
}
