/* lib/key_p11_token.c: key pairs generated and listed inside a PKCS#11 token */
#include "config.h"

/*
 * libp11 0.4.12 can generate RSA keys only (PKCS11_generate_key, deprecated)
 * and cannot set or read CKA_EXTRACTABLE / CKA_SENSITIVE, so this file
 * speaks PKCS#11 v2.40 directly, through the module's C_GetFunctionList
 * (the OASIS header as shipped by p11-kit).  Signing stays with libp11
 * (lib/key_p11.c).  If libp11 has already initialised the module in this
 * process, C_Initialize answers CKR_CRYPTOKI_ALREADY_INITIALIZED and we
 * leave C_Finalize to it.
 */

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit-1/p11-kit/pkcs11.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <govpki/key.h>

#include "error_int.h"
#include "key_p11_int.h"
#include "util.h"

#define P11_ID_LEN 16
#define P11_MAX_KEYS 4096

/* DER of the named curves' OIDs (RFC 5480 §2.1.1.1): CKA_EC_PARAMS */
static const unsigned char oid_p256[] = {
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07
};
static const unsigned char oid_p384[] = {
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22
};

struct raw {
	void *dl;
	CK_FUNCTION_LIST *f;
	int finalize;           /* we initialised the module */
	CK_SESSION_HANDLE sess;
	int has_sess;
	char token[33];         /* the token's label, blank-trimmed */
	p11_uri *uri;
};

/* A name for the commonest return values. */
static const char *
ckr_name(CK_RV rv)
{
	switch (rv) {
	case CKR_PIN_INCORRECT: return "CKR_PIN_INCORRECT";
	case CKR_PIN_LOCKED: return "CKR_PIN_LOCKED";
	case CKR_PIN_LEN_RANGE: return "CKR_PIN_LEN_RANGE";
	case CKR_USER_NOT_LOGGED_IN: return "CKR_USER_NOT_LOGGED_IN";
	case CKR_TOKEN_WRITE_PROTECTED: return "CKR_TOKEN_WRITE_PROTECTED";
	case CKR_MECHANISM_INVALID: return "CKR_MECHANISM_INVALID";
	case CKR_TEMPLATE_INCONSISTENT: return "CKR_TEMPLATE_INCONSISTENT";
	case CKR_ATTRIBUTE_VALUE_INVALID: return "CKR_ATTRIBUTE_VALUE_INVALID";
	case CKR_DEVICE_MEMORY: return "CKR_DEVICE_MEMORY";
	case CKR_TOKEN_NOT_PRESENT: return "CKR_TOKEN_NOT_PRESENT";
	case CKR_SESSION_READ_ONLY: return "CKR_SESSION_READ_ONLY";
	case CKR_GENERAL_ERROR: return "CKR_GENERAL_ERROR";
	case CKR_FUNCTION_FAILED: return "CKR_FUNCTION_FAILED";
	default: return "CKR_?";
	}
}

/* Copies a blank-padded PKCS#11 string field into buf, trimmed. */
static void
trim_field(char *buf, const unsigned char *field, size_t len)
{
	while (len > 0 && (field[len - 1] == ' ' || field[len - 1] == '\0'))
		len--;
	memcpy(buf, field, len);
	buf[len] = '\0';
}

static void
raw_close(struct raw *x)
{
	if (x == NULL)
		return;
	if (x->has_sess)
		x->f->C_CloseSession(x->sess);
	if (x->finalize)
		x->f->C_Finalize(NULL);
	if (x->dl != NULL)
		dlclose(x->dl);
	p11_uri_free(x->uri);
	free(x);
}

/* Logs the session in unless the application already is (PKCS#11 v2.40
 * §5.6: login state is shared by all sessions of an application). */
static int
raw_login(struct raw *x, const char *pin, size_t pinlen)
{
	CK_SESSION_INFO si;
	char *p = NULL;
	size_t plen = 0;
	CK_RV rv;
	int r;

	if ((rv = x->f->C_GetSessionInfo(x->sess, &si)) != CKR_OK)
		return gp_err(GP_E_CRYPTO, "PKCS#11: C_GetSessionInfo: %s (0x%lx)", ckr_name(rv), rv);
	if (si.state == CKS_RO_USER_FUNCTIONS || si.state == CKS_RW_USER_FUNCTIONS)
		return 0;
	if (pin != NULL && pinlen > 0) {
		if ((p = malloc(pinlen + 1)) == NULL)
			return gp_err(GP_E_NOMEM, "out of memory");
		memcpy(p, pin, pinlen);
		p[pinlen] = '\0';
		plen = pinlen;
	} else if ((r = p11_pin(&p, &plen, x->uri, NULL, 0)) != 0) {
		return r;
	}
	if (p == NULL)
		return gp_err(GP_E_PASSPHRASE, "PKCS#11: no PIN for token '%s': use "
		    "--pin-file, GOVPKI_PIN or [pkcs11] pin_file", x->token);
	rv = x->f->C_Login(x->sess, CKU_USER, (CK_UTF8CHAR *)p, (CK_ULONG)plen);
	p11_pin_free(p, plen);
	if (rv == CKR_OK || rv == CKR_USER_ALREADY_LOGGED_IN)
		return 0;
	if (rv == CKR_PIN_INCORRECT || rv == CKR_PIN_LOCKED || rv == CKR_PIN_LEN_RANGE)
		return gp_err(GP_E_PASSPHRASE, "PKCS#11: login to token '%s' failed: %s%s",
		    x->token, ckr_name(rv), rv == CKR_PIN_INCORRECT ? " (wrong PIN)" : "");
	return gp_err(GP_E_CRYPTO, "PKCS#11: login to token '%s' failed: %s (0x%lx)",
	    x->token, ckr_name(rv), rv);
}

/* Loads the module, finds the token of uri, opens a session, logs in. */
static int
raw_open(struct raw **out, const char *uri, int rw, const char *pin, size_t pinlen)
{
	struct raw *x = NULL;
	CK_C_GetFunctionList gfl;
	CK_C_INITIALIZE_ARGS args;
	CK_SLOT_ID *slots = NULL, slot = 0;
	CK_ULONG n = 0, i;
	char *module = NULL, names[512];
	size_t nl = 0;
	int found = 0, r;
	CK_RV rv;

	*out = NULL;
	names[0] = '\0';
	if ((x = calloc(1, sizeof(*x))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if ((r = p11_uri_parse(&x->uri, uri)) != 0 ||
	    (r = p11_module_path(&module, x->uri)) != 0)
		goto out;
	if ((x->dl = dlopen(module, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		r = gp_err(GP_E_CRYPTO, "cannot load PKCS#11 module %s: %s", module, dlerror());
		goto out;
	}
	if ((gfl = (CK_C_GetFunctionList)dlsym(x->dl, "C_GetFunctionList")) == NULL) {
		r = gp_err(GP_E_CRYPTO, "%s is not a PKCS#11 module (no C_GetFunctionList)", module);
		goto out;
	}
	if ((rv = gfl(&x->f)) != CKR_OK || x->f == NULL) {
		r = gp_err(GP_E_CRYPTO, "PKCS#11 module %s: C_GetFunctionList: 0x%lx", module, rv);
		goto out;
	}
	memset(&args, 0, sizeof(args));
	args.flags = CKF_OS_LOCKING_OK;
	rv = x->f->C_Initialize(&args);
	if (rv == CKR_OK)
		x->finalize = 1;
	else if (rv != CKR_CRYPTOKI_ALREADY_INITIALIZED) {
		r = gp_err(GP_E_CRYPTO, "PKCS#11 module %s: C_Initialize: %s (0x%lx)",
		    module, ckr_name(rv), rv);
		goto out;
	}
	if ((rv = x->f->C_GetSlotList(CK_TRUE, NULL, &n)) != CKR_OK ||
	    (n > 0 && (slots = calloc(n, sizeof(*slots))) == NULL) ||
	    (n > 0 && (rv = x->f->C_GetSlotList(CK_TRUE, slots, &n)) != CKR_OK)) {
		r = gp_err(GP_E_CRYPTO, "PKCS#11 module %s: cannot list slots (0x%lx)", module, rv);
		goto out;
	}
	for (i = 0; i < n && !found; i++) {
		CK_TOKEN_INFO ti;
		char label[33], manuf[33], model[17], serial[17];

		if (x->f->C_GetTokenInfo(slots[i], &ti) != CKR_OK ||
		    !(ti.flags & CKF_TOKEN_INITIALIZED))
			continue;
		trim_field(label, ti.label, sizeof(ti.label));
		trim_field(manuf, ti.manufacturerID, sizeof(ti.manufacturerID));
		trim_field(model, ti.model, sizeof(ti.model));
		trim_field(serial, ti.serialNumber, sizeof(ti.serialNumber));
		if (p11_uri_match_token(x->uri, label, manuf, model, serial, slots[i])) {
			found = 1;
			slot = slots[i];
			memcpy(x->token, label, sizeof(x->token));
		} else if (nl < sizeof(names) - 1) {
			int k = snprintf(names + nl, sizeof(names) - nl, "%s'%s'", nl ? ", " : "", label);

			if (k > 0)
				nl += (size_t)k;
		}
	}
	if (!found) {
		r = gp_err(GP_E_NOTFOUND, "PKCS#11: no token %s%s%s in module %s (tokens: %s)",
		    x->uri->token ? "'" : "matching the URI", x->uri->token ? x->uri->token : "",
		    x->uri->token ? "'" : "", module, nl ? names : "none");
		goto out;
	}
	if ((rv = x->f->C_OpenSession(slot, CKF_SERIAL_SESSION | (rw ? CKF_RW_SESSION : 0),
	    NULL, NULL, &x->sess)) != CKR_OK) {
		r = gp_err(GP_E_CRYPTO, "PKCS#11: cannot open a session with token '%s': %s (0x%lx)",
		    x->token, ckr_name(rv), rv);
		goto out;
	}
	x->has_sess = 1;
	if ((r = raw_login(x, pin, pinlen)) != 0)
		goto out;
	*out = x;
	x = NULL;
	r = 0;
out:
	free(slots);
	free(module);
	raw_close(x);
	return r;
}

/* A boolean attribute; -1 when the token does not say. */
static int
get_bool(struct raw *x, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t)
{
	CK_BBOOL v = CK_FALSE;
	CK_ATTRIBUTE a = { t, &v, sizeof(v) };

	if (x->f->C_GetAttributeValue(x->sess, h, &a, 1) != CKR_OK ||
	    a.ulValueLen != sizeof(v))
		return -1;
	return v == CK_TRUE;
}

/* A variable-length attribute, malloc'ed (NUL appended); *len 0 and
 * *out NULL when absent. */
static int
get_bytes(struct raw *x, CK_OBJECT_HANDLE h, CK_ATTRIBUTE_TYPE t,
    unsigned char **out, size_t *len)
{
	CK_ATTRIBUTE a = { t, NULL, 0 };

	*out = NULL;
	*len = 0;
	if (x->f->C_GetAttributeValue(x->sess, h, &a, 1) != CKR_OK ||
	    a.ulValueLen == CK_UNAVAILABLE_INFORMATION || a.ulValueLen > 65536)
		return 0;
	if ((a.pValue = malloc(a.ulValueLen + 1)) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if (x->f->C_GetAttributeValue(x->sess, h, &a, 1) != CKR_OK) {
		free(a.pValue);
		return 0;
	}
	((unsigned char *)a.pValue)[a.ulValueLen] = '\0';
	*out = a.pValue;
	*len = a.ulValueLen;
	return 0;
}

/* Up to max objects matching tmpl. */
static int
find_objects(struct raw *x, CK_ATTRIBUTE *tmpl, CK_ULONG nt,
    CK_OBJECT_HANDLE *objs, CK_ULONG max, CK_ULONG *n)
{
	CK_RV rv;

	*n = 0;
	if ((rv = x->f->C_FindObjectsInit(x->sess, tmpl, nt)) != CKR_OK)
		return gp_err(GP_E_CRYPTO, "PKCS#11: C_FindObjectsInit: %s (0x%lx)", ckr_name(rv), rv);
	rv = x->f->C_FindObjects(x->sess, objs, max, n);
	x->f->C_FindObjectsFinal(x->sess);
	if (rv != CKR_OK)
		return gp_err(GP_E_CRYPTO, "PKCS#11: C_FindObjects: %s (0x%lx)", ckr_name(rv), rv);
	return 0;
}

void
gp_p11_key_info_free(gp_p11_key_info *k)
{
	if (k == NULL)
		return;
	free(k->label);
	free(k->id_hex);
	free(k->uri);
	free(k->token);
	free(k);
}

void
gp_p11_key_info_list_free(gp_p11_key_info **list, size_t n)
{
	size_t i;

	if (list == NULL)
		return;
	for (i = 0; i < n; i++)
		gp_p11_key_info_free(list[i]);
	free(list);
}

/* Describes the private key object h. */
static int
describe(gp_p11_key_info **out, struct raw *x, CK_OBJECT_HANDLE h)
{
	gp_p11_key_info *k = NULL;
	unsigned char *label = NULL, *id = NULL, *v = NULL;
	size_t labellen, idlen, vlen, ulen;
	char *elabel = NULL, *eid = NULL, *etoken = NULL;
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE a = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_OBJECT_CLASS pub = CKO_PUBLIC_KEY;
	CK_OBJECT_HANDLE ph;
	CK_ULONG np = 0;
	int r;

	*out = NULL;
	if ((k = calloc(1, sizeof(*k))) == NULL)
		return gp_err(GP_E_NOMEM, "out of memory");
	if ((r = get_bytes(x, h, CKA_LABEL, &label, &labellen)) != 0 ||
	    (r = get_bytes(x, h, CKA_ID, &id, &idlen)) != 0)
		goto out;
	if ((r = gp_strdup(&k->label, label ? (char *)label : "")) != 0 ||
	    (r = gp_strdup(&k->token, x->token)) != 0)
		goto out;
	if ((k->id_hex = malloc(2 * idlen + 1)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	gp_hex_encode(k->id_hex, id ? id : (const unsigned char *)"", idlen);
	if (x->f->C_GetAttributeValue(x->sess, h, &a, 1) != CKR_OK)
		kt = (CK_KEY_TYPE)-1;
	if (kt == CKK_RSA) {
		k->kind = "rsa";
		if ((r = get_bytes(x, h, CKA_MODULUS, &v, &vlen)) != 0)
			goto out;
		k->bits = (int)(8 * vlen);
	} else if (kt == CKK_EC) {
		k->kind = "ec";
		if ((r = get_bytes(x, h, CKA_EC_PARAMS, &v, &vlen)) != 0)
			goto out;
		if (vlen == sizeof(oid_p256) && memcmp(v, oid_p256, vlen) == 0)
			k->bits = 256;
		else if (vlen == sizeof(oid_p384) && memcmp(v, oid_p384, vlen) == 0)
			k->bits = 384;
	} else {
		k->kind = "other";
	}
	k->sensitive = get_bool(x, h, CKA_SENSITIVE);
	k->extractable = get_bool(x, h, CKA_EXTRACTABLE);
	k->always_sensitive = get_bool(x, h, CKA_ALWAYS_SENSITIVE);
	k->never_extractable = get_bool(x, h, CKA_NEVER_EXTRACTABLE);
	if (idlen > 0) {
		CK_ATTRIBUTE t[2] = {
			{ CKA_CLASS, &pub, sizeof(pub) },
			{ CKA_ID, id, (CK_ULONG)idlen },
		};

		if ((r = find_objects(x, t, 2, &ph, 1, &np)) != 0)
			goto out;
		k->has_public = np > 0;
	}
	/* RFC 7512 §2.3: token, object, id and type name the key exactly */
	if ((r = p11_pct_encode(&etoken, (const unsigned char *)x->token, strlen(x->token))) != 0 ||
	    (r = p11_pct_encode(&elabel, (const unsigned char *)k->label, strlen(k->label))) != 0 ||
	    (r = p11_pct_encode(&eid, id ? id : (const unsigned char *)"", idlen)) != 0)
		goto out;
	ulen = strlen(etoken) + strlen(elabel) + strlen(eid) + 64;
	if ((k->uri = malloc(ulen)) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	snprintf(k->uri, ulen, "pkcs11:token=%s;object=%s%s%s;type=private", etoken, elabel,
	    idlen ? ";id=" : "", idlen ? eid : "");
	*out = k;
	k = NULL;
	r = 0;
out:
	free(label);
	free(id);
	free(v);
	free(elabel);
	free(eid);
	free(etoken);
	gp_p11_key_info_free(k);
	return r;
}

int
gp_key_p11_generate(gp_p11_key_info **out, const char *token_uri,
    const char *label, gp_key_type type, const char *pin, size_t pinlen)
{
	struct raw *x = NULL;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ULONG bits = 0, n = 0, llen;
	CK_BYTE e[] = { 0x01, 0x00, 0x01 };     /* 65537 */
	CK_BYTE id[P11_ID_LEN];
	CK_MECHANISM mech = { 0, NULL, 0 };
	CK_OBJECT_HANDLE hpub = 0, hpriv = 0, found[1];
	CK_ATTRIBUTE pubt[8], privt[12];
	CK_ULONG npub = 0, npriv = 0;
	int generated = 0, r;
	CK_RV rv;

	if (out == NULL)
		return gp_err(GP_E_INVALID, "gp_key_p11_generate: NULL argument");
	*out = NULL;
	if (token_uri == NULL || label == NULL || *label == '\0')
		return gp_err(GP_E_INVALID, "key generate: a token URI and a label are needed");
	if ((llen = (CK_ULONG)strlen(label)) > 64)
		return gp_err(GP_E_INVALID, "key generate: label longer than 64 bytes");
	switch (type) {
	case GP_KEY_RSA2048: bits = 2048; break;
	case GP_KEY_RSA3072: bits = 3072; break;
	case GP_KEY_RSA4096: bits = 4096; break;
	case GP_KEY_EC_P256:
	case GP_KEY_EC_P384: break;
	default:
		return gp_err(GP_E_INVALID, "key generate: %s keys cannot be made in a token "
		    "(ec-p256, ec-p384, rsa2048, rsa3072, rsa4096)", gp_key_type_name(type));
	}
	if ((r = raw_open(&x, token_uri, 1, pin, pinlen)) != 0)
		goto out;
	if (x->uri->object != NULL || x->uri->has_id) {
		r = gp_err(GP_E_INVALID, "key generate: --token names a token, not an object "
		    "(no object= or id=); the label is given with --label");
		goto out;
	}
	{
		CK_ATTRIBUTE t[1] = { { CKA_LABEL, (void *)label, llen } };

		if ((r = find_objects(x, t, 1, found, 1, &n)) != 0)
			goto out;
		if (n > 0) {
			r = gp_err(GP_E_EXISTS, "PKCS#11: token '%s' already holds an "
			    "object labelled '%s'", x->token, label);
			goto out;
		}
	}
	if (RAND_bytes(id, sizeof(id)) != 1) {
		r = gp_err_ossl(GP_E_CRYPTO, "key generate: no random bytes for CKA_ID");
		goto out;
	}
#define ATTR(arr, cnt, t, p, l) do { arr[cnt].type = (t); arr[cnt].pValue = (void *)(p); \
	arr[cnt].ulValueLen = (CK_ULONG)(l); cnt++; } while (0)
	ATTR(pubt, npub, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(pubt, npub, CKA_VERIFY, &yes, sizeof(yes));
	ATTR(pubt, npub, CKA_LABEL, label, llen);
	ATTR(pubt, npub, CKA_ID, id, sizeof(id));
	ATTR(privt, npriv, CKA_TOKEN, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_PRIVATE, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_SIGN, &yes, sizeof(yes));
	/* the key never leaves the token: PKCS#11 v2.40 §4.9 */
	ATTR(privt, npriv, CKA_SENSITIVE, &yes, sizeof(yes));
	ATTR(privt, npriv, CKA_EXTRACTABLE, &no, sizeof(no));
	ATTR(privt, npriv, CKA_DECRYPT, &no, sizeof(no));
	ATTR(privt, npriv, CKA_UNWRAP, &no, sizeof(no));
	ATTR(privt, npriv, CKA_LABEL, label, llen);
	ATTR(privt, npriv, CKA_ID, id, sizeof(id));
	if (bits != 0) {
		mech.mechanism = CKM_RSA_PKCS_KEY_PAIR_GEN;
		ATTR(pubt, npub, CKA_MODULUS_BITS, &bits, sizeof(bits));
		ATTR(pubt, npub, CKA_PUBLIC_EXPONENT, e, sizeof(e));
	} else {
		mech.mechanism = CKM_EC_KEY_PAIR_GEN;
		if (type == GP_KEY_EC_P256)
			ATTR(pubt, npub, CKA_EC_PARAMS, oid_p256, sizeof(oid_p256));
		else
			ATTR(pubt, npub, CKA_EC_PARAMS, oid_p384, sizeof(oid_p384));
	}
#undef ATTR
	if ((rv = x->f->C_GenerateKeyPair(x->sess, &mech, pubt, npub, privt, npriv,
	    &hpub, &hpriv)) != CKR_OK) {
		r = gp_err(GP_E_CRYPTO, "key generate: token '%s' could not make a %s key: %s (0x%lx)",
		    x->token, gp_key_type_name(type), ckr_name(rv), rv);
		goto out;
	}
	generated = 1;
	if ((r = describe(out, x, hpriv)) != 0)
		goto out;
	if ((*out)->sensitive != 1 || (*out)->extractable != 0) {
		r = gp_err(GP_E_POLICY, "key generate: token '%s' made key '%s' with "
		    "CKA_SENSITIVE=%d CKA_EXTRACTABLE=%d; removed", x->token, label,
		    (*out)->sensitive, (*out)->extractable);
		goto out;
	}
	generated = 0;          /* keep it */
	r = 0;
out:
	if (r != 0) {
		gp_p11_key_info_free(*out);
		*out = NULL;
		if (generated) {
			x->f->C_DestroyObject(x->sess, hpriv);
			x->f->C_DestroyObject(x->sess, hpub);
		}
	}
	raw_close(x);
	return r;
}

int
gp_key_p11_list(gp_p11_key_info ***out, size_t *n, const char *token_uri,
    const char *pin, size_t pinlen)
{
	struct raw *x = NULL;
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_ATTRIBUTE t[1] = { { CKA_CLASS, &cls, sizeof(cls) } };
	CK_OBJECT_HANDLE *objs = NULL;
	CK_ULONG nobj = 0, i;
	gp_p11_key_info **list = NULL;
	int r;

	if (out == NULL || n == NULL)
		return gp_err(GP_E_INVALID, "gp_key_p11_list: NULL argument");
	*out = NULL;
	*n = 0;
	if (token_uri == NULL)
		return gp_err(GP_E_INVALID, "key list: no token URI");
	if ((r = raw_open(&x, token_uri, 0, pin, pinlen)) != 0)
		goto out;
	if ((objs = calloc(P11_MAX_KEYS, sizeof(*objs))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	if ((r = find_objects(x, t, 1, objs, P11_MAX_KEYS, &nobj)) != 0)
		goto out;
	if ((list = calloc(nobj + 1, sizeof(*list))) == NULL) {
		r = gp_err(GP_E_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nobj; i++) {
		if ((r = describe(&list[i], x, objs[i])) != 0)
			goto out;
		if (x->uri->object != NULL && strcmp(list[i]->label, x->uri->object) != 0) {
			gp_p11_key_info_free(list[i]);
			list[i] = NULL;
		}
	}
	/* close the gaps of filtered keys */
	for (i = 0; i < nobj; i++)
		if (list[i] != NULL)
			list[(*n)++] = list[i];
	*out = list;
	list = NULL;
	r = 0;
out:
	if (list != NULL)
		gp_p11_key_info_list_free(list, nobj);
	free(objs);
	raw_close(x);
	return r;
}
