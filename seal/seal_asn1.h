/* seal/seal_asn1.h: the ASN.1 structures of GB/T 38540-2020 (v4/v5) and GM/T 0031-2014 (v1/v2) */
#ifndef GP_SEAL_ASN1_H
#define GP_SEAL_ASN1_H

#include <openssl/asn1.h>
#include <openssl/asn1t.h>
#include <openssl/pkcs7.h>
#include <openssl/x509.h>

/* GB/T 38540-2020 §7.2 (and /work/shared/seal-asn1.md); names follow the standard. */

DEFINE_STACK_OF(ASN1_OCTET_STRING)

typedef struct SES_HEADER_st {
	ASN1_IA5STRING *id;            /* "ES" */
	ASN1_INTEGER *version;
	ASN1_IA5STRING *vid;
} SES_HEADER;

typedef struct CERT_DIGEST_OBJ_st {
	ASN1_PRINTABLESTRING *type;    /* digest name, e.g. "sm3" */
	ASN1_OCTET_STRING *value;
} CERT_DIGEST_OBJ;
DEFINE_STACK_OF(CERT_DIGEST_OBJ)

/* CertInfoList ::= SEQUENCE OF OCTET STRING; CertDigestList ::= SEQUENCE OF CertDigestObj.
 * SES_CertList is a CHOICE of the two, both SEQUENCE OF: the tags cannot
 * tell them apart, certListType does; the field is decoded as ANY and then
 * by one of these two items. */
typedef STACK_OF(ASN1_OCTET_STRING) CERT_INFO_LIST;
typedef STACK_OF(CERT_DIGEST_OBJ) CERT_DIGEST_LIST;

typedef struct SES_PROPERTY4_st {
	ASN1_INTEGER *type;
	ASN1_UTF8STRING *name;
	ASN1_INTEGER *cert_list_type;
	ASN1_TYPE *cert_list;          /* SES_CertList, see above */
	ASN1_TIME *create_date;        /* GeneralizedTime (UTCTime read too) */
	ASN1_TIME *valid_start;
	ASN1_TIME *valid_end;
} SES_PROPERTY4;

typedef struct SES_PROPERTY1_st {  /* GM/T 0031-2014: no certListType, UTCTime */
	ASN1_INTEGER *type;
	ASN1_UTF8STRING *name;
	STACK_OF(ASN1_OCTET_STRING) *cert_list;
	ASN1_TIME *create_date;
	ASN1_TIME *valid_start;
	ASN1_TIME *valid_end;
} SES_PROPERTY1;

typedef struct SES_PICTURE_st {    /* SES_ESPictrueInfo */
	ASN1_IA5STRING *type;
	ASN1_OCTET_STRING *data;
	ASN1_INTEGER *width;
	ASN1_INTEGER *height;
} SES_PICTURE;

typedef struct SES_EXTDATA_st {
	ASN1_OBJECT *id;
	ASN1_BOOLEAN critical;         /* DEFAULT FALSE */
	ASN1_OCTET_STRING *value;
} SES_EXTDATA;
DEFINE_STACK_OF(SES_EXTDATA)

typedef struct SES_SEALINFO4_st {
	SES_HEADER *header;
	ASN1_IA5STRING *es_id;
	SES_PROPERTY4 *property;
	SES_PICTURE *picture;
	STACK_OF(SES_EXTDATA) *ext;
	ASN1_ENCODING enc;             /* the bytes as received: the maker signed them */
} SES_SEALINFO4;

typedef struct SES_SEALINFO1_st {
	SES_HEADER *header;
	ASN1_IA5STRING *es_id;
	SES_PROPERTY1 *property;
	SES_PICTURE *picture;
	STACK_OF(SES_EXTDATA) *ext;
	ASN1_ENCODING enc;
} SES_SEALINFO1;

/* v4: SESeal ::= SEQUENCE { eSealInfo, cert, signAlgID, signedValue [, timeStamp (v5)] } */
typedef struct SESEAL4_st {
	SES_SEALINFO4 *info;
	ASN1_OCTET_STRING *cert;
	ASN1_OBJECT *alg;
	ASN1_BIT_STRING *sig;
	ASN1_BIT_STRING *ts;           /* version 5 only */
	ASN1_ENCODING enc;
} SESEAL4;

/* v1: the signed part SEQUENCE { SES_SealInfo, cert, signatureAlgorithm } */
typedef struct SES_SIGNINFO1_st {
	ASN1_OCTET_STRING *cert;
	ASN1_OBJECT *alg;
	ASN1_BIT_STRING *sig;
} SES_SIGNINFO1;

typedef struct SESEAL1_st {
	SES_SEALINFO1 *info;
	SES_SIGNINFO1 *sign;
	ASN1_ENCODING enc;
} SESEAL1;

/* The v4 alternative signed form: SEQUENCE { SES_SealInfo, cert, signAlgID } */
typedef struct SES_SEAL_TBS_st {
	ASN1_TYPE *info;               /* the SES_SealInfo DER as received */
	ASN1_OCTET_STRING *cert;
	ASN1_OBJECT *alg;
} SES_SEAL_TBS;

typedef struct TBS_SIGN4_st {
	ASN1_INTEGER *version;
	SESEAL4 *eseal;
	ASN1_TIME *time;               /* GeneralizedTime */
	ASN1_BIT_STRING *data_hash;
	ASN1_IA5STRING *property;
	STACK_OF(SES_EXTDATA) *ext;    /* [0] EXPLICIT OPTIONAL */
	ASN1_ENCODING enc;
} TBS_SIGN4;

typedef struct SES_SIGNATURE4_st {
	TBS_SIGN4 *tbs;
	ASN1_OCTET_STRING *cert;
	ASN1_OBJECT *alg;
	ASN1_BIT_STRING *sig;
	ASN1_BIT_STRING *ts;           /* [0] EXPLICIT OPTIONAL: RFC 3161 token over sig */
} SES_SIGNATURE4;

typedef struct TBS_SIGN1_st {
	ASN1_INTEGER *version;
	SESEAL1 *eseal;
	ASN1_BIT_STRING *time;         /* a time-stamp token or a time */
	ASN1_BIT_STRING *data_hash;
	ASN1_IA5STRING *property;
	ASN1_OCTET_STRING *cert;
	ASN1_OBJECT *alg;
	STACK_OF(SES_EXTDATA) *ext;    /* OPTIONAL */
	ASN1_ENCODING enc;
} TBS_SIGN1;

typedef struct SES_SIGNATURE1_st {
	TBS_SIGN1 *tbs;
	ASN1_BIT_STRING *sig;
} SES_SIGNATURE1;

/* GM/T 0010-2012 §7: ContentInfo / SignedData with the SM2 OIDs (RFC 2315 shapes) */
typedef struct GM_CONTENT_st {
	ASN1_OBJECT *type;
	ASN1_TYPE *content;            /* [0] EXPLICIT OPTIONAL; absent: detached */
} GM_CONTENT;

typedef struct GM_SIGNED_st {
	ASN1_INTEGER *version;
	STACK_OF(X509_ALGOR) *md_algs;
	GM_CONTENT *contents;
	STACK_OF(X509) *cert;          /* [0] IMPLICIT OPTIONAL */
	STACK_OF(X509_CRL) *crl;       /* [1] IMPLICIT OPTIONAL */
	STACK_OF(PKCS7_SIGNER_INFO) *signer_info;
} GM_SIGNED;

typedef struct GM_CMS_st {
	ASN1_OBJECT *type;             /* 1.2.156.10197.6.1.4.2.2 */
	GM_SIGNED *signed_data;        /* [0] EXPLICIT */
} GM_CMS;

DECLARE_ASN1_FUNCTIONS(SES_HEADER)
DECLARE_ASN1_FUNCTIONS(CERT_DIGEST_OBJ)
DECLARE_ASN1_ITEM(CERT_INFO_LIST)
DECLARE_ASN1_ITEM(CERT_DIGEST_LIST)
DECLARE_ASN1_FUNCTIONS(SES_PROPERTY4)
DECLARE_ASN1_FUNCTIONS(SES_PROPERTY1)
DECLARE_ASN1_FUNCTIONS(SES_PICTURE)
DECLARE_ASN1_FUNCTIONS(SES_EXTDATA)
DECLARE_ASN1_FUNCTIONS(SES_SEALINFO4)
DECLARE_ASN1_FUNCTIONS(SES_SEALINFO1)
DECLARE_ASN1_FUNCTIONS(SESEAL4)
DECLARE_ASN1_FUNCTIONS(SES_SIGNINFO1)
DECLARE_ASN1_FUNCTIONS(SESEAL1)
DECLARE_ASN1_FUNCTIONS(SES_SEAL_TBS)
DECLARE_ASN1_FUNCTIONS(TBS_SIGN4)
DECLARE_ASN1_FUNCTIONS(SES_SIGNATURE4)
DECLARE_ASN1_FUNCTIONS(TBS_SIGN1)
DECLARE_ASN1_FUNCTIONS(SES_SIGNATURE1)
DECLARE_ASN1_FUNCTIONS(GM_CONTENT)
DECLARE_ASN1_FUNCTIONS(GM_SIGNED)
DECLARE_ASN1_FUNCTIONS(GM_CMS)

#endif
