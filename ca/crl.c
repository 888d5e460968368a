/* ca/crl.c: full and delta CRLs assembled from stored entries (RFC 5280 §5) */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

#include <govpki/audit.h>
#include <govpki/signer.h>
#include <govpki/x509util.h>

#include "ca_int.h"
#include "error_int.h"
#include "lint_int.h"
#include "util.h"

/*
 * TBSCertList of RFC 5280 §5.1 with revokedCertificates kept as one
 * pre-encoded SEQUENCE OF (an ASN1_SEQUENCE string is written out as it
 * is).  Each entry was encoded once, when the certificate was revoked, so
 * a CRL of a million entries is a concatenation and one signature, not a
 * million X509_REVOKED objects.  OpenSSL's ASN.1 templates do all the
 * encoding.
 */
typedef struct gp_tbs_crl_st {
	ASN1_INTEGER *version;
	X509_ALGOR *sig_alg;
	X509_NAME *issuer;
	ASN1_TIME *this_update;
	ASN1_TIME *next_update;
	ASN1_STRING *revoked;
	STACK_OF(X509_EXTENSION) *extensions;
} GP_TBS_CRL;

typedef struct gp_crl_st {
	GP_TBS_CRL *tbs;
	X509_ALGOR *sig_alg;
	ASN1_BIT_STRING *signature;
} GP_CRL;

DECLARE_ASN1_ITEM(GP_TBS_CRL)
DECLARE_ASN1_ITEM(GP_CRL)

ASN1_SEQUENCE(GP_TBS_CRL) = {
	ASN1_OPT(GP_TBS_CRL, version, ASN1_INTEGER),
	ASN1_SIMPLE(GP_TBS_CRL, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(GP_TBS_CRL, issuer, X509_NAME),
	ASN1_SIMPLE(GP_TBS_CRL, this_update, ASN1_TIME),
	ASN1_OPT(GP_TBS_CRL, next_update, ASN1_TIME),
	ASN1_OPT(GP_TBS_CRL, revoked, ASN1_SEQUENCE),
	ASN1_EXP_SEQUENCE_OF_OPT(GP_TBS_CRL, extensions, X509_EXTENSION, 0)
} ASN1_SEQUENCE_END(GP_TBS_CRL)

ASN1_SEQUENCE(GP_CRL) = {
	ASN1_SIMPLE(GP_CRL, tbs, GP_TBS_CRL),
	ASN1_SIMPLE(GP_CRL, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(GP_CRL, signature, ASN1_BIT_STRING)
} ASN1_SEQUENCE_END(GP_CRL)

/* A growing buffer for the entries. */
typedef struct buf {
	unsigned char *data;
	size_t len, cap;
	size_t count;
} buf;

static int
append_entry(void *arg, const unsigned char *p, size_t len)
{
	buf *b = arg;

	if (b->cap - b->len < len) {
		size_t ncap = b->cap ? b->cap : 65536;
		unsigned char *nd;

		while (ncap - b->len < len)
			ncap *= 2;
		if ((nd = realloc(b->data, ncap)) == NULL)
			return gp_err(GP_E_NOMEM, "out of memory for CRL entries");
		b->data = nd;
		b->cap = ncap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	b->count++;
	return 0;
}

/* Wraps the concatenated entries into the SEQUENCE OF (as an ASN1_SEQUENCE
 * string holding its own tag and length); NULL when there are none, since
 * RFC 5280 §5.1.2.6 leaves an empty list out. */
static int
revoked_seq(ASN1_STRING **out, buf *b)
{
	ASN1_STRING *s = NULL;
	unsigned char *der = NULL, *p;
	int total;

	*out = NULL;
	if (b->len == 0)
		return 0;
	if (b->len > 0x7fffff00)
		return gp_err(GP_E_INVALID, "CRL larger than 2 GiB");
	total = ASN1_object_size(1, (int)b->len, V_ASN1_SEQUENCE);
	if (total <= 0 || (der = malloc((size_t)total)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory for CRL");
	p = der;
	ASN1_put_object(&p, 1, (int)b->len, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	memcpy(p, b->data, b->len);
	/* the entries are copied: free them early to keep the peak low */
	free(b->data);
	b->data = NULL;
	b->cap = 0;
	if ((s = ASN1_STRING_type_new(V_ASN1_SEQUENCE)) == NULL) {
		free(der);
		return gp_err_ossl(GP_E_NOMEM, "out of memory for CRL");
	}
	ASN1_STRING_set0(s, der, total);
	*out = s;
	return 0;
}

static int
add_ext(STACK_OF(X509_EXTENSION) **exts, int nid, void *value, int crit)
{
	if (X509V3_add1_i2d(exts, nid, value, crit, X509V3_ADD_DEFAULT) != 1)
		return gp_err_ossl(GP_E_NOMEM, "cannot add CRL extension %s", OBJ_nid2sn(nid));
	return 0;
}

int
gp_crl_shard_of(const ASN1_INTEGER *serial, unsigned nshards, unsigned *shard)
{
	BIGNUM *bn;
	BN_ULONG m;

	if (serial == NULL || nshards == 0 || shard == NULL)
		return gp_err(GP_E_INVALID, "gp_crl_shard_of: no serial or no shards");
	if (ASN1_STRING_type(serial) == V_ASN1_NEG_INTEGER)
		return gp_err(GP_E_INVALID, "a negative serial has no CRL shard");
	if ((bn = ASN1_INTEGER_to_BN(serial, NULL)) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	m = BN_mod_word(bn, nshards);
	BN_free(bn);
	if (m == (BN_ULONG)-1)
		return gp_err_ossl(GP_E_CRYPTO, "cannot compute a CRL shard");
	*shard = (unsigned)m;
	return 0;
}

int
gp_crl_shard_url(char *out, size_t n, const gp_issuer_defaults *d, unsigned shard)
{
	int len;

	if (d->crl_shard_prefix == NULL || shard >= d->crl_shards)
		return gp_err(GP_E_INVALID, "no CRL shard %u", shard);
	len = snprintf(out, n, "%s%u.crl", d->crl_shard_prefix, shard);
	if (len < 0 || (size_t)len >= n)
		return gp_err(GP_E_INVALID, "the URL of CRL shard %u is too long", shard);
	return 0;
}

/* A fullName of one URI (RFC 5280 §4.2.1.13), for freshestCRL and the
 * issuingDistributionPoint. */
static int
uri_dp_name(DIST_POINT_NAME **out, const char *url)
{
	DIST_POINT_NAME *dpn = NULL;
	GENERAL_NAME *gn = NULL;
	ASN1_IA5STRING *uri = NULL;

	*out = NULL;
	if ((dpn = DIST_POINT_NAME_new()) == NULL ||
	    (dpn->name.fullname = GENERAL_NAMES_new()) == NULL ||
	    (gn = GENERAL_NAME_new()) == NULL || (uri = ASN1_IA5STRING_new()) == NULL ||
	    ASN1_STRING_set(uri, url, -1) != 1)
		goto fail;
	dpn->type = 0;      /* fullName */
	GENERAL_NAME_set0_value(gn, GEN_URI, uri);
	uri = NULL;
	if (sk_GENERAL_NAME_push(dpn->name.fullname, gn) <= 0)
		goto fail;
	*out = dpn;
	return 0;
fail:
	ASN1_IA5STRING_free(uri);
	GENERAL_NAME_free(gn);
	DIST_POINT_NAME_free(dpn);
	return gp_err_ossl(GP_E_NOMEM, "out of memory");
}

/* RFC 5280 §5.2.5: issuingDistributionPoint, critical, naming the shard
 * (the name a certificate's cRLDistributionPoints carries, §6.3.3 (b)(2)). */
static int
add_idp(STACK_OF(X509_EXTENSION) **exts, const char *url)
{
	ISSUING_DIST_POINT *idp;
	int r;

	if ((idp = ISSUING_DIST_POINT_new()) == NULL)
		return gp_err_ossl(GP_E_NOMEM, "out of memory");
	if ((r = uri_dp_name(&idp->distpoint, url)) == 0)
		r = add_ext(exts, NID_issuing_distribution_point, idp, 1);
	ISSUING_DIST_POINT_free(idp);
	return r;
}

/* RFC 5280 §5.2.6: freshestCRL in a complete CRL tells relying parties
 * where the delta CRLs are (OpenSSL, for one, looks for deltas only then). */
static int
add_freshest(STACK_OF(X509_EXTENSION) **exts, const char *url_tmpl, const char *ca_name)
{
	CRL_DIST_POINTS *cdp = NULL;
	DIST_POINT *dp = NULL;
	char url[1024];
	int r;

	if (strstr(url_tmpl, "%s") != NULL) {
		const char *p = strstr(url_tmpl, "%s");

		snprintf(url, sizeof(url), "%.*s%s%s", (int)(p - url_tmpl), url_tmpl, ca_name, p + 2);
	} else {
		snprintf(url, sizeof(url), "%s", url_tmpl);
	}
	if ((cdp = sk_DIST_POINT_new_null()) == NULL || (dp = DIST_POINT_new()) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = uri_dp_name(&dp->distpoint, url)) != 0)
		goto out;
	if (sk_DIST_POINT_push(cdp, dp) <= 0) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	dp = NULL;
	r = add_ext(exts, NID_freshest_crl, cdp, 0);
out:
	DIST_POINT_free(dp);
	CRL_DIST_POINTS_free(cdp);
	return r;
}

/*
 * RFC 5280 §5.2.3: CRL numbers only grow.  A restored store lacks the CRLs
 * the old CA published after its backup, so gp_backup_restore leaves a
 * floor (ca.NAME.crl_floor, GP_BACKUP_CRL_MARGIN above the backup's last
 * number) that the next number does not go under.
 */
static int
crl_number_floor(gp_store *st, const char *name, int64_t *number)
{
	char key[128], *v = NULL, *end;
	long long floor;
	int r;

	snprintf(key, sizeof(key), "ca.%s.crl_floor", name);
	if ((r = gp_store_meta_get(st, key, &v)) != 0)
		return r == GP_E_NOTFOUND ? 0 : r;
	errno = 0;
	floor = strtoll(v, &end, 10);
	if (errno != 0 || end == v || *end != '\0' || floor < 1)
		r = gp_err(GP_E_STORE, "store: %s is '%.32s', not a CRL number", key, v);
	else if (floor > *number)
		*number = floor;
	gp_free(v);
	return r;
}

static int
crl_extensions(GP_TBS_CRL *tbs, gp_ca *ca, int64_t number, int64_t base, const char *idp)
{
	X509 *cacert = ca->cert;
	AUTHORITY_KEYID *akid = NULL;
	ASN1_INTEGER *num = NULL, *bnum = NULL;
	const ASN1_OCTET_STRING *ski;
	int r;

	if ((akid = AUTHORITY_KEYID_new()) == NULL || (num = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set_int64(num, number) != 1) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	/* RFC 5280 §5.2.1: the AKI keyIdentifier, matching the CA's SKI */
	if ((ski = X509_get0_subject_key_id(cacert)) != NULL &&
	    (akid->keyid = ASN1_OCTET_STRING_dup(ski)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((ski != NULL && (r = add_ext(&tbs->extensions, NID_authority_key_identifier, akid, 0)) != 0) ||
	    /* §5.2.3: cRLNumber, non-critical */
	    (r = add_ext(&tbs->extensions, NID_crl_number, num, 0)) != 0)
		goto out;
	if (base > 0) {
		/* §5.2.4: deltaCRLIndicator, critical, naming the base CRL */
		if ((bnum = ASN1_INTEGER_new()) == NULL || ASN1_INTEGER_set_int64(bnum, base) != 1) {
			r = gp_err_ossl(GP_E_NOMEM, "out of memory");
			goto out;
		}
		if ((r = add_ext(&tbs->extensions, NID_delta_crl, bnum, 1)) != 0)
			goto out;
	} else if (idp != NULL) {
		/* a shard: complete for its scope, without deltas */
		if ((r = add_idp(&tbs->extensions, idp)) != 0)
			goto out;
	} else if (ca->ctx->delta_url != NULL &&
	    (r = add_freshest(&tbs->extensions, ca->ctx->delta_url, ca->info->name)) != 0) {
		goto out;
	}
	r = 0;
out:
	AUTHORITY_KEYID_free(akid);
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(bnum);
	return r;
}

/* The lint's view of crl (ca/lint.c): the parts its rules read. */
static void
lint_view(gp_lint_crl_parts *v, const GP_CRL *crl, EVP_PKEY *key)
{
	memset(v, 0, sizeof(*v));
	v->version = crl->tbs->version;
	v->tbs_sig_alg = crl->tbs->sig_alg;
	v->sig_alg = crl->sig_alg;
	v->this_update = crl->tbs->this_update;
	v->next_update = crl->tbs->next_update;
	v->exts = crl->tbs->extensions;
	v->issuer_key = key;
}

/* Builds and signs the CRL; *der (free()) is the CertificateList.  The
 * lint runs before the signature and after it; *lint_refused is 1 when it
 * refused the CRL (GP_E_POLICY). */
static int
build_crl(unsigned char **der, size_t *derlen, int *lint_refused, gp_ca *ca, buf *entries,
    int64_t number, int64_t base, int64_t this_update, int64_t next_update, const char *idp)
{
	GP_CRL *crl = NULL;
	GP_TBS_CRL *tbs;
	gp_lint_crl_parts lv;
	EVP_MD_CTX *md = NULL;
	unsigned char *out = NULL;
	int len, r;

	*der = NULL;
	*derlen = 0;
	*lint_refused = 0;
	if ((crl = (GP_CRL *)ASN1_item_new(ASN1_ITEM_rptr(GP_CRL))) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	tbs = crl->tbs;
	X509_NAME_free(tbs->issuer);
	tbs->issuer = NULL;
	if ((tbs->version = ASN1_INTEGER_new()) == NULL ||
	    ASN1_INTEGER_set(tbs->version, 1) != 1 ||          /* v2 */
	    (tbs->issuer = X509_NAME_dup(X509_get_subject_name(ca->cert))) == NULL ||
	    ASN1_TIME_set(tbs->this_update, (time_t)this_update) == NULL ||
	    (tbs->next_update = ASN1_TIME_set(NULL, (time_t)next_update)) == NULL) {
		r = gp_err_ossl(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = gp_ca_need_key(ca)) != 0 ||
	    (r = revoked_seq(&tbs->revoked, entries)) != 0 ||
	    (r = crl_extensions(tbs, ca, number, base, idp)) != 0)
		goto out;
	lint_view(&lv, crl, ca->key);
	if ((r = gp_lint_crl(&lv, GP_LINT_TBS)) != 0) {
		*lint_refused = 1;
		goto out;
	}
	if ((r = gp_sign_ctx_new(&md, ca->key)) != 0)
		goto out;
	/* sets both AlgorithmIdentifiers from the key and signs the TBS */
	if (ASN1_item_sign_ctx(ASN1_ITEM_rptr(GP_TBS_CRL), tbs->sig_alg, crl->sig_alg,
	    crl->signature, tbs, md) <= 0) {
		r = gp_err_ossl(GP_E_CRYPTO, "cannot sign CRL");
		goto out;
	}
	if ((r = gp_lint_crl(&lv, GP_LINT_SIGNED)) != 0) {
		*lint_refused = 1;
		goto out;
	}
	if ((len = ASN1_item_i2d((ASN1_VALUE *)crl, &out, ASN1_ITEM_rptr(GP_CRL))) <= 0) {
		r = gp_err_ossl(GP_E_NOMEM, "cannot encode CRL");
		goto out;
	}
	/* gp_crl_info owns plain malloc'ed memory */
	if ((*der = malloc((size_t)len)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory for CRL");
		goto out;
	}
	memcpy(*der, out, (size_t)len);
	*derlen = (size_t)len;
	r = 0;
out:
	OPENSSL_free(out);
	EVP_MD_CTX_free(md);
	ASN1_item_free((ASN1_VALUE *)crl, ASN1_ITEM_rptr(GP_CRL));
	return r;
}

/*
 * The CRL through ca-signer (sign-crl, docs/signer.md): the signer alone
 * builds it from the store (its number, entries and times), lints, signs
 * and stores it, and audits it by the caller's uid.  Here it is checked
 * as a relying party would (it parses, the CA's name and signature, the
 * type asked for: a delta has its deltaCRLIndicator, RFC 5280 §5.2.4) and
 * must be the store's latest of its type, which *out is.
 */
static int
crl_by_signer(gp_crl_info **out, gp_ca *ca, int delta)
{
	const char *name = ca->info->name;
	unsigned char *der = NULL;
	const unsigned char *p;
	size_t len = 0;
	X509_CRL *x = NULL;
	ASN1_INTEGER *num = NULL, *dind = NULL;
	EVP_PKEY *pk = X509_get0_pubkey(ca->cert);   /* borrowed */
	gp_crl_info *info = NULL;
	int64_t n = 0;
	int r;

	if ((r = gp_signer_sign_crl(&der, &len, ca->ctx->signer, name, delta)) != 0)
		goto out;
	p = der;
	if ((x = d2i_X509_CRL(NULL, &p, (long)len)) == NULL || p != der + len) {
		r = gp_err_ossl(GP_E_PARSE, "CA %s: the CRL ca-signer answered does not parse", name);
		goto out;
	}
	if (X509_NAME_cmp(X509_CRL_get_issuer(x), X509_get_subject_name(ca->cert)) != 0 ||
	    pk == NULL || X509_CRL_verify(x, pk) != 1) {
		r = gp_err_ossl(GP_E_VERIFY, "CA %s: the CRL ca-signer answered is not signed by "
		    "the CA", name);
		goto out;
	}
	num = X509_CRL_get_ext_d2i(x, NID_crl_number, NULL, NULL);
	dind = X509_CRL_get_ext_d2i(x, NID_delta_crl, NULL, NULL);
	if (num == NULL || ASN1_INTEGER_get_int64(&n, num) != 1 || (dind != NULL) != (delta != 0)) {
		r = gp_err(GP_E_VERIFY, "CA %s: ca-signer answered a CRL without a number or not "
		    "of the type asked for (%s)", name, delta ? "delta" : "full");
		goto out;
	}
	if ((r = gp_store_crl_latest(ca->ctx->store, ca->info->id, delta, &info)) != 0)
		goto out;
	if (info->number != n || info->der_len != len || memcmp(info->der, der, len) != 0) {
		r = gp_err(GP_E_STATE, "CA %s: ca-signer's CRL number %lld is not the store's latest "
		    "(%lld)", name, (long long)n, (long long)info->number);
		goto out;
	}
	*out = info;
	info = NULL;
	r = 0;
out:
	gp_crl_info_free(info);
	ASN1_INTEGER_free(num);
	ASN1_INTEGER_free(dind);
	X509_CRL_free(x);
	OPENSSL_free(der);
	return r;
}

/* The entries of a sharded CRL run: every entry into the full CRL's
 * buffer, and each into its shard's (by the serial it names). */
typedef struct sharder {
	buf full;
	buf *shard;
	unsigned n;
} sharder;

static int
append_sharded(void *arg, const unsigned char *p, size_t len)
{
	sharder *sh = arg;
	const unsigned char *q = p;
	ASN1_INTEGER *serial = NULL;
	long clen;
	int tag, cls, r;
	unsigned k;

	/* RFC 5280 §5.1: SEQUENCE { userCertificate CertificateSerialNumber, ... } */
	if ((ASN1_get_object(&q, &clen, &tag, &cls, (long)len) & 0x80) != 0 ||
	    tag != V_ASN1_SEQUENCE ||
	    (serial = d2i_ASN1_INTEGER(NULL, &q, clen)) == NULL) {
		ERR_clear_error();
		return gp_err(GP_E_STORE, "store: a CRL entry that is not a revoked certificate");
	}
	r = gp_crl_shard_of(serial, sh->n, &k);
	ASN1_INTEGER_free(serial);
	if (r != 0 || (r = append_entry(&sh->full, p, len)) != 0)
		return r;
	return append_entry(&sh->shard[k], p, len);
}

void
gp_crl_shards_free(gp_crl_shard *shards, size_t n)
{
	size_t i;

	if (shards == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(shards[i].der);
		free(shards[i].url);
	}
	free(shards);
}

/* Builds each shard's CRL into out[k] with the full CRL's number and times. */
static int
build_shards(gp_crl_shard *out, gp_ca *ca, sharder *sh, const gp_crl_info *crl, int *refused)
{
	char url[600];
	unsigned k;
	int r;

	for (k = 0; k < sh->n; k++) {
		out[k].entries = sh->shard[k].count;
		if ((r = gp_crl_shard_url(url, sizeof(url), &ca->dflt, k)) != 0 ||
		    (r = gp_strdup(&out[k].url, url)) != 0 ||
		    (r = build_crl(&out[k].der, &out[k].der_len, refused, ca, &sh->shard[k],
		    crl->number, 0, crl->this_update, crl->next_update, url)) != 0)
			return r;
	}
	return 0;
}

/* The next CRL of ca; with shards (not NULL, a full CRL) the CA's shards
 * too, from the same reading of the store inside the same transaction. */
static int
crl_make(gp_crl_info **out, gp_crl_shard **shards, gp_ca *ca, int delta, const char *actor)
{
	gp_store *st;
	gp_crl_info *base = NULL, *crl = NULL;
	gp_crl_shard *sv = NULL;
	sharder sh = { { 0 }, NULL, 0 };
	char object[96], detail[256];
	unsigned k;
	int r, in_tx = 0, refused = 0;

	*out = NULL;
	if (ca == NULL)
		return gp_err(GP_E_INVALID, "no CA");
	/* the key is ca-signer's: it makes the CRL (the actor is the caller's
	 * uid, as the signer audits it) */
	if (ca->key == NULL && ca->ctx->signer != NULL) {
		if (shards != NULL)
			return gp_err(GP_E_STATE, "CA %s: sharded CRLs are not made through ca-signer "
			    "yet (docs/signer.md)", ca->info->name);
		return crl_by_signer(out, ca, delta);
	}
	st = ca->ctx->store;
	if (shards != NULL) {
		*shards = NULL;
		sh.n = ca->dflt.crl_shards;
		if (sh.n == 0)
			return gp_err(GP_E_STATE, "CA %s has no CRL shards: set crl_shards in [ca.%s]",
			    ca->info->name, ca->info->name);
		if ((sh.shard = calloc(sh.n, sizeof(*sh.shard))) == NULL ||
		    (sv = calloc(sh.n, sizeof(*sv))) == NULL) {
			free(sh.shard);
			return gp_err(GP_E_NOMEM, "out of memory");
		}
	}
	if ((crl = calloc(1, sizeof(*crl))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = gp_store_begin(st)) != 0)
		goto out;
	in_tx = 1;
	if (delta) {
		if ((r = gp_store_crl_latest_info(st, ca->info->id, 0, &base)) != 0) {
			if (r == GP_E_NOTFOUND)
				r = gp_err(GP_E_STATE, "CA %s has no full CRL yet: a delta CRL needs a base",
				    ca->info->name);
			goto out;
		}
	}
	crl->ca_id = ca->info->id;
	crl->is_delta = delta ? 1 : 0;
	crl->base_number = base ? base->number : 0;
	crl->this_update = gp_now();
	crl->next_update = crl->this_update +
	    3600 * (int64_t)(delta ? ca->ctx->delta_hours : ca->ctx->crl_hours);
	if ((r = gp_store_revision(st, &crl->revision)) != 0 ||
	    (r = gp_store_crl_next_number(st, ca->info->id, &crl->number)) != 0 ||
	    (r = crl_number_floor(st, ca->info->name, &crl->number)) != 0 ||
	    (r = gp_store_crl_entries(st, ca->info->id, base ? base->revision : 0,
	    shards ? append_sharded : append_entry, shards ? (void *)&sh : (void *)&sh.full)) != 0 ||
	    /* RFC 5280 §5.2.3: each shard is a scope of its own (its
	     * issuingDistributionPoint), numbered as the full CRL made with it */
	    (shards && (r = build_shards(sv, ca, &sh, crl, &refused)) != 0) ||
	    (r = build_crl(&crl->der, &crl->der_len, &refused, ca, &sh.full, crl->number,
	    crl->base_number, crl->this_update, crl->next_update, NULL)) != 0 ||
	    (r = gp_store_crl_add(st, crl)) != 0 ||
	    (shards && (r = gp_ca_crl_shards_record(ca)) != 0)) {
		if (refused) {
			/* nothing of the CRL is kept; the refusal is audited alone */
			char context[160], msg[1024];

			snprintf(msg, sizeof(msg), "%s", gp_error_last());
			snprintf(context, sizeof(context), "ca=%s crl=%lld type=%s", ca->info->name,
			    (long long)crl->number, delta ? "delta" : shards ? "sharded" : "full");
			gp_store_rollback(st);
			in_tx = 0;
			r = gp_lint_audit(st, actor ? actor : "ca-tool", ca->info->name, context, r, msg);
		}
		goto out;
	}
	snprintf(object, sizeof(object), "%s/crl/%lld", ca->info->name, (long long)crl->number);
	snprintf(detail, sizeof(detail), "ca=%s number=%lld type=%s base=%lld entries=%zu shards=%u",
	    ca->info->name, (long long)crl->number, delta ? "delta" : "full",
	    (long long)crl->base_number, sh.full.count, sh.n);
	if ((r = gp_audit_append(st, actor ? actor : "ca-tool", GP_AUDIT_CRL_PUBLISH, object, detail)) != 0 ||
	    (r = gp_store_commit(st)) != 0)
		goto out;
	in_tx = 0;
	*out = crl;
	crl = NULL;
	if (shards != NULL) {
		*shards = sv;
		sv = NULL;
	}
out:
	if (in_tx)
		gp_store_rollback(st);
	free(sh.full.data);
	for (k = 0; k < sh.n; k++)
		free(sh.shard[k].data);
	free(sh.shard);
	gp_crl_shards_free(sv, sh.n);
	gp_crl_info_free(base);
	gp_crl_info_free(crl);
	return r;
}

int
gp_ca_crl(gp_crl_info **out, gp_ca *ca, int delta, const char *actor)
{
	return crl_make(out, NULL, ca, delta, actor);
}

int
gp_ca_crl_shards(gp_crl_info **full, gp_crl_shard **shards, size_t *nshards, gp_ca *ca,
    const char *actor)
{
	int r;

	if (full == NULL || shards == NULL || nshards == NULL)
		return gp_err(GP_E_INVALID, "gp_ca_crl_shards: NULL argument");
	*nshards = 0;
	if ((r = crl_make(full, shards, ca, 0, actor)) == 0)
		*nshards = ca->dflt.crl_shards;
	return r;
}
