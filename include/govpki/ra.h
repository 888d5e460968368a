/* govpki/ra.h: the registration authority: requests, approvals (dual control), officers, API tokens, challenges */
#ifndef GOVPKI_RA_H
#define GOVPKI_RA_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/x509.h>

#include <govpki/ca.h>
#include <govpki/export.h>
#include <govpki/store.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The RA workflow, shared by ra-server and ca-tool.  A request is
 * submitted (pending), approved by gp_profile_approvals() distinct
 * officers (never its submitter), then carried out: an issue request is
 * issued (gp_ca_issue_prepare/_store, in the approval's own transaction:
 * status issued, or failed with the reason),
 * a revoke request through gp_ca_revoke (status revoked).  An officer may
 * reject a pending request with a reason.  Every change goes to the audit
 * chain with actor, action, object and result.
 *
 * A gp_ra borrows a gp_ctx (and, to carry out approvals, an opened gp_ca)
 * and, like them, is used from one thread at a time.
 */
typedef struct gp_ra gp_ra;

/* Request kinds and states (stored by name: "issue", "pending", ...). */
enum { GP_RA_ISSUE = 0, GP_RA_REVOKE = 1 };
enum {
	GP_RA_PENDING = 0,
	GP_RA_APPROVED = 1,     /* enough approvals, being carried out */
	GP_RA_ISSUED = 2,       /* final */
	GP_RA_REJECTED = 3,     /* final */
	GP_RA_FAILED = 4,       /* final, reason says why */
	GP_RA_REVOKED = 5,      /* final (revoke requests) */
	GP_RA__NSTATUS
};

/* Officer roles (ra-server's authorisation table is in terms of these). */
enum { GP_RA_ROLE_OFFICER = 0, GP_RA_ROLE_ADMIN = 1, GP_RA_ROLE_AUDITOR = 2 };

/* Limits on what a request may carry. */
#define GP_RA_MAX_NAME 128       /* officer, token, submitter names */
#define GP_RA_MAX_TEXT 1024      /* subject, SANs, contact fields, reasons */
#define GP_RA_MAX_CSR 65536      /* CSR bytes */

typedef struct gp_ra_request {
	int64_t id;
	int kind;                  /* GP_RA_ISSUE, GP_RA_REVOKE */
	int status;                /* GP_RA_PENDING, ... */
	char *ca;                  /* CA name */
	char *profile;             /* issue: the profile */
	unsigned char *csr;        /* issue: the CSR as submitted (PEM or DER) */
	size_t csr_len;
	char *subject;             /* vetted subject or NULL (the CSR's) */
	char *sans;                /* "DNS:a,IP:b" or NULL (the CSR's) */
	char *contact_name, *contact_email, *contact_phone;  /* may be NULL */
	char *submitter;           /* "token:NAME" or "officer:NAME" */
	int64_t submitted, updated;
	int approvals_needed;
	int revoke_reason;         /* revoke: GP_REASON_*; else GP_REASON_NONE */
	char *reason;              /* rejection or failure reason; NULL */
	unsigned char serial[GP_SERIAL_MAX];  /* issued (issue) or target (revoke) */
	size_t serial_len;         /* 0: none yet */
	char **approvers;          /* officers who approved, in order (get only) */
	char **comments;           /* comments[i]: approvers[i]'s comment or NULL;
	                            * the array may be NULL when no approver has one */
	size_t napprovers;
} gp_ra_request;

/* Filter of gp_ra_request_list; zero it, set status to -1, then what matters. */
typedef struct gp_ra_filter {
	int status;                /* -1: any */
	const char *profile;       /* NULL: any */
	const char *submitter;     /* NULL: any */
	int64_t since;             /* submitted at or after (unix time), 0: any */
	int64_t after_id;          /* cursor: ids greater than this */
	int64_t limit;             /* 0: no limit */
} gp_ra_filter;

typedef struct gp_ra_officer {
	char *name;
	int role;                  /* GP_RA_ROLE_* */
	int64_t ca_id;             /* the CA that issued its certificate */
	unsigned char serial[GP_SERIAL_MAX];
	size_t serial_len;
	unsigned char fingerprint[32];  /* SHA-256 of the certificate's DER */
	char *subject;
	int enabled;
	int64_t created;
} gp_ra_officer;

typedef struct gp_ra_token {
	int64_t id;
	char *name;
	unsigned char hash[32];    /* SHA-256 of the token string; the token itself is never stored */
	char *profiles;            /* "tls-server,person" or "*" */
	int64_t expires;           /* unix time */
	int revoked;
	int64_t created;
} gp_ra_token;

typedef int (*gp_ra_request_cb)(void *arg, const gp_ra_request *req);
typedef int (*gp_ra_officer_cb)(void *arg, const gp_ra_officer *o);
typedef int (*gp_ra_token_cb)(void *arg, const gp_ra_token *t);

/*
 * What an officer sees of a request's CSR before approving it (docs/ra-api.md
 * "csr"): decoded from the CSR as submitted, not from what the applicant
 * claims beside it.  Cleared with gp_ra_csr_summary_clear.
 */
typedef struct gp_ra_csr_summary {
	char *subject;             /* RFC 2253 */
	char *sans;                /* "DNS:a.example, IP:10.0.0.1", NULL for none */
	char key[16];              /* gp_key_type_name ("ec-p256", "rsa2048", ...) */
	int key_bits;              /* the key's size (RSA: the modulus) */
	char sig_alg[64];          /* the signature algorithm's name, or its OID */
	int signature_ok;          /* the CSR's own signature verifies (RFC 2986 §3) */
} gp_ra_csr_summary;

/* GP_E_PARSE for what is not a CSR, GP_E_POLICY for a key no profile
 * takes (gp_key_classify). */
GP_EXPORT int gp_ra_csr_summary_of(gp_ra_csr_summary *out, const unsigned char *csr, size_t len);
GP_EXPORT void gp_ra_csr_summary_clear(gp_ra_csr_summary *s);

/* "pending" <-> GP_RA_PENDING, ...; from_name GP_E_INVALID for others. */
GP_EXPORT const char *gp_ra_status_name(int status);
GP_EXPORT int gp_ra_status_from_name(int *out, const char *name);
GP_EXPORT const char *gp_ra_role_name(int role);
GP_EXPORT int gp_ra_role_from_name(int *out, const char *name);

/* A new RA over ctx (borrowed, outlives the RA).  ca (borrowed, may be
 * NULL) is the CA that approvals issue from and revoke at; without it
 * approvals that complete a request fail with GP_E_STATE.  Free with
 * gp_ra_free. */
GP_EXPORT int gp_ra_new(gp_ra **out, gp_ctx *ctx, gp_ca *ca);
GP_EXPORT void gp_ra_free(gp_ra *ra);

/* The 32-byte key of the challenges (gp_ra_challenge_*); every gp_ra that
 * must accept another's challenges gets the same key.  Copied. */
GP_EXPORT int gp_ra_set_challenge_key(gp_ra *ra, const unsigned char key[32], int64_t ttl);

typedef struct gp_ra_submission {
	const char *profile;
	const unsigned char *csr;  /* PEM or DER */
	size_t csr_len;
	const char *subject;       /* NULL: the CSR's */
	const char *sans;          /* NULL: the CSR's */
	const char *contact_name, *contact_email, *contact_phone;
	const char *submitter;     /* required */
} gp_ra_submission;

/* Checks a submission (the RA's CA may issue the profile:
 * gp_ca_may_issue; the CSR parses, its signature verifies and it meets
 * the profile with the given subject and SANs) and stores it as pending
 * with an audit entry, in one transaction.  The request needs
 * gp_profile_approvals() approvals.  GP_E_NOTFOUND for an unknown
 * profile, GP_E_POLICY for one the CA may not issue, GP_E_STATE when the
 * CA is revoked, GP_E_PARSE / GP_E_VERIFY / GP_E_POLICY / GP_E_INVALID
 * for a bad request: nothing is stored. */
GP_EXPORT int gp_ra_submit(gp_ra *ra, int64_t *id, const gp_ra_submission *sub);

/* A revocation request for serial of the RA's CA (reason GP_REASON_*,
 * not removeFromCRL), pending approval by officers. GP_E_NOTFOUND for a
 * serial the CA never issued, GP_E_STATE for one already revoked. */
GP_EXPORT int gp_ra_submit_revoke(gp_ra *ra, int64_t *id, const unsigned char *serial,
    size_t serial_len, int reason, const char *submitter);

/* One request with its approvers; *out freed with gp_ra_request_free.
 * GP_E_NOTFOUND when there is no such id. */
GP_EXPORT int gp_ra_request_get(gp_ra *ra, int64_t id, gp_ra_request **out);
/* Calls cb for each matching request in id order (approvers not filled;
 * the record is borrowed for the call). */
GP_EXPORT int gp_ra_request_list(gp_ra *ra, const gp_ra_filter *f,
    gp_ra_request_cb cb, void *arg);
GP_EXPORT void gp_ra_request_free(gp_ra_request *req);
/* A deep copy of req (approvers included); *out: gp_ra_request_free. */
GP_EXPORT int gp_ra_request_dup(gp_ra_request **out, const gp_ra_request *req);

/*
 * Officer officer approves request id, with a comment (NULL: none; at
 * most GP_RA_MAX_TEXT bytes, kept with the approval and in the audit
 * entry).  GP_E_NOTFOUND: no such request;
 * GP_E_STATE: it is not pending (rejected, issued, ...); GP_E_EXISTS: this
 * officer approved it already; GP_E_POLICY: the officer submitted it, or
 * it would revoke the officer's own certificate.
 * When this is the last approval needed the request is carried out at
 * once: issued or revoked, or failed with the reason (which is then also
 * in gp_error_last(), but the call returns 0: the approval stands).
 * *final (may be NULL) gets the request's status afterwards.
 */
GP_EXPORT int gp_ra_approve(gp_ra *ra, int *final, int64_t id, const char *officer,
    const char *comment);

/*
 * Group commit, for a caller that funnels the writes of many threads into
 * one (ra-server's writer thread): between gp_ra_group_begin and
 * gp_ra_group_commit every write of this gp_ra (submit, approve, reject,
 * submit_revoke, officer, token and login writes) runs in a savepoint of
 * one transaction, so that a refused write undoes only itself; nothing
 * is durable, nor may be answered, before gp_ra_group_commit returns 0.
 * gp_ra_group_rollback drops the whole group (the group is closed even
 * when the store's rollback fails, which it reports).  GP_E_STATE when a
 * group is already open (begin) or none is (commit, rollback).
 */
GP_EXPORT int gp_ra_group_begin(gp_ra *ra);
GP_EXPORT int gp_ra_group_commit(gp_ra *ra);
GP_EXPORT int gp_ra_group_rollback(gp_ra *ra);

/*
 * gp_ra_submit in two halves: _check makes every check of the submission
 * (reads only the profiles; safe on any thread's gp_ra) with the same
 * errors; _store stores a submission that passed _check (it does not
 * check the CSR again) with its audit entry, as gp_ra_submit does.
 */
GP_EXPORT int gp_ra_submit_check(gp_ra *ra, const gp_ra_submission *sub);
/* *out: the request as stored (its id, times, approvals needed), for the
 * answer without reading it back; gp_ra_request_free. */
GP_EXPORT int gp_ra_submit_store(gp_ra *ra, gp_ra_request **out, const gp_ra_submission *sub);

/*
 * gp_ra_approve in two halves.  _prepare reads the request and makes the
 * checks gp_ra_approve makes (same errors); when this approval will
 * complete an issue request it also builds and signs the certificate
 * (gp_ca_issue_prepare), outside any transaction.  _store records the
 * approval on ra (which may be another thread's gp_ra of the same CA):
 * the approval, and when it completes an issue request the certificate,
 * the final state and their audit entries, all in one write; errors as
 * gp_ra_approve (a store failure undoes the approval too).  An approval
 * that completes a revocation request carries it out through
 * gp_ca_revoke, which commits on its own: such an approval cannot join a
 * group (gp_ra_approval_grouped() is 0; GP_E_STATE inside one).
 * With a signer on the RA's context (gp_ctx_set_signer) _prepare signs
 * nothing: _store commits the approval (status approved) and then asks
 * ca-signer to issue the request (gp_signer_issue_approved), so such an
 * approval cannot join a group either.  When the signer cannot be
 * reached the request stays approved and _store returns the error (the
 * approval stands); approving an approved issue request again then asks
 * the signer again, recording no second approval.
 * *out: gp_ra_approval_free.
 */
typedef struct gp_ra_approval gp_ra_approval;
GP_EXPORT int gp_ra_approve_prepare(gp_ra_approval **out, gp_ra *ra, int64_t id,
    const char *officer, const char *comment);
GP_EXPORT int gp_ra_approve_store(gp_ra *ra, int *final, gp_ra_approval *a);
GP_EXPORT int gp_ra_approval_grouped(const gp_ra_approval *a);
/* After a successful _store: the request as this approval left it, when
 * that is known without reading it back (the one approval that completed
 * an issue request: issued with its serial, or failed with the reason);
 * NULL otherwise (read it with gp_ra_request_get).  Borrowed from a. */
GP_EXPORT const gp_ra_request *gp_ra_approval_request(const gp_ra_approval *a);
GP_EXPORT void gp_ra_approval_free(gp_ra_approval *a);

/*
 * Issues request id, which the store must hold as an approved issue
 * request of the RA's CA: what ca-signer does for an
 * issue-approved-request (docs/signer.md), trusting nothing but the store
 * and its own configuration.  It re-reads the request and counts its
 * approvals itself: distinct registered, enabled officers of role officer
 * or admin, none the submitter, at least gp_profile_approvals() of the
 * profile as configured here (never fewer than the row says); a CA
 * profile is refused.  Then the certificate is built, linted, signed
 * (actor, e.g. "signer:uid=N(user)", goes into its audit entry) and
 * stored, and the request marked issued, in one write.  *out: the
 * certificate (X509_free).  GP_E_NOTFOUND (no such request or profile),
 * GP_E_STATE (not approved), GP_E_DENIED (another CA's), GP_E_POLICY
 * (a revocation request, a CA profile, too few approvals): nothing is
 * written.  A refusal of the CA (profile, key, lint) marks the request
 * failed with the reason and returns that error.
 */
GP_EXPORT int gp_ra_issue_approved(X509 **out, gp_ra *ra, int64_t id, const char *actor);

/*
 * Issuance without an officer: EST (est_approval = auto), ACME (the
 * order's authorizations valid, acme_approval = auto) and CMP
 * (cmp_approval = auto), SCEP (scep_approval = auto).  Through ca-signer (docs/signer.md,
 * issue-auto-request) the certificate is not signed on the RA's word:
 * the RA stores the request, the signer re-reads it and judges it itself.
 */
enum { GP_RA_AUTO_EST = 1, GP_RA_AUTO_ACME = 2, GP_RA_AUTO_CMP = 3, GP_RA_AUTO_SCEP = 4 };
/* "est", "acme", "cmp", "scep"; NULL for another number. */
GP_EXPORT const char *gp_ra_channel_name(int channel);
GP_EXPORT int gp_ra_channel_from_name(int *out, const char *name);

/*
 * What ca-signer does for an issue-auto-request, trusting nothing but the
 * store and its own configuration: request id must be a pending issue
 * request of the RA's CA for a non-CA profile that, as configured here,
 * is served over channel and issues there without an officer.  For ACME
 * (order > 0; 0 for the others) the order must be processing for this
 * request, of the submitting account, unexpired, with every authorization
 * valid and together covering exactly its identifiers, which are exactly
 * the names of the CSR and of the request (RFC 8555 §7.4); EST and CMP
 * requests carry no subject or SANs of their own (the CSR's are checked
 * against the profile's name rules).  Then the certificate is built,
 * linted, signed (actor in its audit entry), stored, and the request
 * marked issued (and the order valid), in one write.  *out: X509_free.
 * GP_E_NOTFOUND, GP_E_STATE (not pending), GP_E_DENIED (another CA's),
 * GP_E_POLICY (what the store or the profile does not allow): nothing is
 * written.  A refusal of the CA (profile, key, lint) marks the request
 * failed with the reason and returns that error.
 */
GP_EXPORT int gp_ra_issue_auto(X509 **out, gp_ra *ra, int64_t id, int channel, int64_t order,
    const char *actor);

/*
 * The RA's side of it, on a context with a signer (gp_ctx_set_signer):
 * asks the signer for a health answer first (GP_E_IO when it cannot be
 * reached: nothing is written), then stores sub (checked by
 * gp_ra_submit_check) as a pending request with its audit entry and, for
 * ACME, moves order from ready to processing with the request's id, in
 * one commit, and asks ca-signer to issue it (issue-auto-request).  *out:
 * the certificate (X509_free), *id the request.  A refusal leaves the
 * request failed with the signer's reason (an ACME order follows its
 * request to invalid) and returns the signer's error.  Not inside a group
 * (GP_E_STATE); without a signer, GP_E_STATE: sign in process then.
 */
GP_EXPORT int gp_ra_submit_auto(X509 **out, int64_t *id, gp_ra *ra,
    const gp_ra_submission *sub, int channel, int64_t order);

/* Rejects a pending request with a reason (required).  Same errors
 * (GP_E_POLICY: a revocation of the officer's own certificate). */
GP_EXPORT int gp_ra_reject(gp_ra *ra, int64_t id, const char *officer, const char *reason);

/* Marks requests left approved by a stopped server as failed (their
 * issuance may or may not have committed; the audit log says), and
 * returns how many.  With a signer (gp_ctx_set_signer) an approved
 * request is one the signer has not issued yet: each is asked of the
 * signer instead, *count says how many it issued, and the others stay
 * approved. */
GP_EXPORT int gp_ra_recover(gp_ra *ra, int64_t *count);

/* Counts requests in each state: counts[GP_RA__NSTATUS]. */
GP_EXPORT int gp_ra_count(gp_ra *ra, int64_t counts[GP_RA__NSTATUS]);

/*
 * Challenges for proof of possession: an opaque printable string of at
 * most 128 characters (malloc'ed, free()) valid for the RA's ttl (default
 * 300 s), and once.  A holder revokes its own certificate at once by
 * signing "govpki-revoke:" || challenge || ":" || hex serial || ":" ||
 * reason (its RFC 5280 §5.3.1 name, gp_reason_name) with the
 * certificate's key (the algorithm's default digest: SHA-256, SM3 for
 * SM2, none for Ed25519).  gp_ra_revoke_proven checks the challenge
 * (GP_E_VERIFY when forged, expired or used already), the signature
 * (GP_E_VERIFY), spends the challenge, and revokes through gp_ca_revoke
 * with actor "holder:SERIAL".  A holder may not claim certificateHold,
 * removeFromCRL, cACompromise or aACompromise (GP_E_INVALID).
 * *stored_reason (may be NULL) gets the reason the store holds
 * afterwards, which an earlier revocation may have set.
 */
GP_EXPORT int gp_ra_challenge_new(gp_ra *ra, char **out);
GP_EXPORT int gp_ra_revoke_proven(int *stored_reason, gp_ra *ra, const unsigned char *serial,
    size_t serial_len, int reason, const char *challenge, const unsigned char *sig,
    size_t siglen);

/* Officers.  add: cert must be issued by a CA of the store (its status is
 * checked at every login); name [A-Za-z0-9_.@-]{1,128}; GP_E_EXISTS for a
 * taken name or certificate. */
GP_EXPORT int gp_ra_officer_add(gp_ra *ra, const char *name, int role, X509 *cert,
    const char *actor);
GP_EXPORT int gp_ra_officer_set_enabled(gp_ra *ra, const char *name, int enabled,
    const char *actor);
GP_EXPORT int gp_ra_officer_list(gp_ra *ra, gp_ra_officer_cb cb, void *arg);
GP_EXPORT void gp_ra_officer_free(gp_ra_officer *o);

/*
 * Authenticates an officer by its TLS client certificate leaf: registered
 * to an enabled officer, issued by the CA officer_ca or a CA below it, its
 * path (the issuer's chain from the store, up to the root) verifying
 * (gp_chain_verify, now), and it and every CA on the path good in the store.
 * untrusted (the certificates the client sent, may be NULL) is not used: a
 * path through CAs the client offers let a sibling CA's certificate in.  GP_E_VERIFY (with the reason) otherwise.  Verified chains are
 * remembered (per gp_ra) until the earliest notAfter of the chain; the
 * store status and registration are read at every call, so a revoked or
 * disabled officer is refused at once.  *out: gp_ra_officer_free.
 */
GP_EXPORT int gp_ra_officer_auth(gp_ra *ra, gp_ra_officer **out, const char *officer_ca,
    X509 *leaf, STACK_OF(X509) *untrusted);

/* API tokens: 256 bits from the CSPRNG, given out once as "gpt_" + 64 hex
 * digits (*token malloc'ed, free with gp_pass_free); only its SHA-256 is
 * stored.  profiles: comma-separated profile names or "*".  expires: unix
 * time in the future. */
GP_EXPORT int gp_ra_token_create(gp_ra *ra, char **token, int64_t *id, const char *name,
    const char *profiles, int64_t expires, const char *actor);
GP_EXPORT int gp_ra_token_revoke(gp_ra *ra, int64_t id, const char *actor);
GP_EXPORT int gp_ra_token_list(gp_ra *ra, gp_ra_token_cb cb, void *arg);
/* GP_E_VERIFY for a malformed, unknown, revoked or expired token. */
GP_EXPORT int gp_ra_token_auth(gp_ra *ra, gp_ra_token **out, const char *token);
/* 1 when the token may submit requests for profile p: one its list
 * names; "*" means every profile that is not a CA profile (a CA profile
 * must be named). */
GP_EXPORT int gp_ra_token_allows(const gp_ra_token *t, const gp_profile *p);
GP_EXPORT void gp_ra_token_free(gp_ra_token *t);

/*
 * Principals: who acts, as the front end authenticated it.  Every front
 * end (ra-server's REST API, and ACME, CMP, EST, SCEP, the console)
 * authenticates its caller its own way, builds a principal with one of
 * the constructors below, and asks the gp_ra_may_* checks before it acts
 * on an object, so that each gets the same object-level rules:
 *
 *   kind     built from                        name (audit actor)
 *   OFFICER  gp_ra_officer_auth's officer      "officer:NAME"
 *   TOKEN    gp_ra_token_auth's token, or      "token:ID", or the name given
 *            any applicant with a profile list
 *   HOLDER   a proof of possession of the key  "holder:SERIAL" (lower-case hex)
 *            of one certificate of the RA's CA
 *   ADMIN    a local administrator with the    the actor given ("admin:alice")
 *            store (ca-tool)
 *
 * The checks return 0, or GP_E_DENIED with a message naming the rule
 * (gp_error_last()) and the rule in *rule (may be NULL: GP_RA_RULE_*),
 * whose gp_ra_rule_name is the stable last part of a problem type.
 * A principal copies what it is built from; free it with
 * gp_ra_principal_free (NULL is fine).
 */
typedef struct gp_ra_principal gp_ra_principal;
enum {
	GP_RA_PRINCIPAL_OFFICER = 1,
	GP_RA_PRINCIPAL_TOKEN = 2,
	GP_RA_PRINCIPAL_HOLDER = 3,
	GP_RA_PRINCIPAL_ADMIN = 4
};
enum {
	GP_RA_RULE_NONE = 0,
	GP_RA_RULE_ROLE = 1,         /* "forbidden": this kind or role may not */
	GP_RA_RULE_SCOPE = 2,        /* "profile-not-allowed": outside the token's profiles */
	GP_RA_RULE_OWN_REQUEST = 3,  /* "own-request": nobody approves their own request */
	GP_RA_RULE_OWN_CERT = 4,     /* "own-certificate": nor decides revoking their own certificate */
	GP_RA_RULE_NOT_OWNER = 5,    /* "not-your-certificate": a certificate not issued to it */
	GP_RA_RULE_OTHERS = 6        /* "not-found": another applicant's request (not told apart from none) */
};
GP_EXPORT const char *gp_ra_rule_name(int rule);

GP_EXPORT int gp_ra_principal_officer(gp_ra_principal **out, const gp_ra_officer *o);
GP_EXPORT int gp_ra_principal_token(gp_ra_principal **out, const gp_ra_token *t);
/* An applicant of another front end (an ACME account): name as it is to
 * be audited and matched as a request's submitter; profiles as a token's
 * ("a,b" or "*", which leaves out CA profiles). */
GP_EXPORT int gp_ra_principal_applicant(gp_ra_principal **out, const char *name,
    const char *profiles);
/* The front end has checked the proof (gp_ra_revoke_proven does it for
 * the REST API's challenge; RFC 8555 §7.6 a JWS signed with the key). */
GP_EXPORT int gp_ra_principal_holder(gp_ra_principal **out, const unsigned char *serial,
    size_t serial_len);
GP_EXPORT int gp_ra_principal_admin(gp_ra_principal **out, const char *actor);
GP_EXPORT void gp_ra_principal_free(gp_ra_principal *p);
GP_EXPORT int gp_ra_principal_kind(const gp_ra_principal *p);
/* Borrowed from p: what gp_ra_submission.submitter and the audit take. */
GP_EXPORT const char *gp_ra_principal_name(const gp_ra_principal *p);

/* p may submit a request for profile: a token (or applicant) within its
 * profiles (gp_ra_token_allows), an officer of role officer or admin, an
 * admin; never a holder or an auditor. */
GP_EXPORT int gp_ra_may_submit(int *rule, gp_ra *ra, const gp_ra_principal *p,
    const gp_profile *profile);
/* p may read request q: an applicant only its own (GP_RA_RULE_OTHERS, so
 * that a front end answers as for a request that does not exist); every
 * officer role and an admin all; a holder none. */
GP_EXPORT int gp_ra_may_read(int *rule, gp_ra *ra, const gp_ra_principal *p,
    const gp_ra_request *q);
/* p may list the requests f selects; an applicant lists only its own:
 * f->submitter NULL becomes p's name (borrowed from p), another name is
 * GP_RA_RULE_ROLE. */
GP_EXPORT int gp_ra_may_list(int *rule, gp_ra *ra, const gp_ra_principal *p, gp_ra_filter *f);
/* p may approve (approve 1) or reject (approve 0) request q: an officer
 * of role officer or admin, never an approval of a request it submitted,
 * never either decision on a revocation of its own certificate (issue
 * 21.6).  gp_ra_approve and gp_ra_reject make the same checks by name. */
GP_EXPORT int gp_ra_may_decide(int *rule, gp_ra *ra, const gp_ra_principal *p,
    const gp_ra_request *q, int approve);
/* p may ask for the revocation of certificate serial of the RA's CA: the
 * holder of that very certificate; an applicant only a certificate issued
 * on one of its own requests (as an ACME account revokes what it ordered,
 * RFC 8555 §7.6); an officer of role officer or admin; an admin. */
GP_EXPORT int gp_ra_may_revoke(int *rule, gp_ra *ra, const gp_ra_principal *p,
    const unsigned char *serial, size_t serial_len);

/* Audits a refused login ("ra.login", result refused) of who (a
 * certificate subject, "token:ID", an address) with the reason, in its
 * own transaction.  The auth functions do not write: the caller decides
 * when (ra-server hands it to its writer thread). */
GP_EXPORT int gp_ra_audit_login_refused(gp_ra *ra, const char *who, const char *reason);

/* Store functions of the RA (lib/store_ra.c dispatches them to the backend).
 * Statuses as GP_RA_*; records in **out are freed by their _free function. */
GP_EXPORT int gp_store_ra_req_add(gp_store *s, gp_ra_request *req);   /* sets id */
GP_EXPORT int gp_store_ra_req_get(gp_store *s, int64_t id, gp_ra_request **out);
GP_EXPORT int gp_store_ra_req_list(gp_store *s, const gp_ra_filter *f,
    gp_ra_request_cb cb, void *arg);
/* Moves request id from status from to status to (GP_E_STATE when it is
 * not in from, GP_E_NOTFOUND when absent); reason and serial may be NULL. */
GP_EXPORT int gp_store_ra_req_set_status(gp_store *s, int64_t id, int from, int to,
    const char *reason, const unsigned char *serial, size_t serial_len, int64_t when);
GP_EXPORT int gp_store_ra_req_count(gp_store *s, int64_t counts[GP_RA__NSTATUS]);
/* Records an approval with its comment (NULL: none); GP_E_EXISTS when
 * that officer approved already.  *count gets the number of approvals of
 * the request afterwards. */
GP_EXPORT int gp_store_ra_approval_add(gp_store *s, int64_t req_id, const char *officer,
    const char *comment, int64_t when, int *count);
/* Spends challenge (valid until expires): GP_E_EXISTS when it was spent
 * before; challenges expired before now are forgotten. */
GP_EXPORT int gp_store_ra_challenge_use(gp_store *s, const char *challenge, int64_t expires,
    int64_t now);
GP_EXPORT int gp_store_ra_officer_add(gp_store *s, const gp_ra_officer *o);
/* By name (fingerprint NULL) or by certificate fingerprint (name NULL). */
GP_EXPORT int gp_store_ra_officer_get(gp_store *s, const char *name,
    const unsigned char *fingerprint, gp_ra_officer **out);
GP_EXPORT int gp_store_ra_officer_set_enabled(gp_store *s, const char *name, int enabled);
GP_EXPORT int gp_store_ra_officer_list(gp_store *s, gp_ra_officer_cb cb, void *arg);
GP_EXPORT int gp_store_ra_token_add(gp_store *s, gp_ra_token *t);  /* sets id */
GP_EXPORT int gp_store_ra_token_get(gp_store *s, const unsigned char hash[32],
    gp_ra_token **out);
GP_EXPORT int gp_store_ra_token_revoke(gp_store *s, int64_t id);
GP_EXPORT int gp_store_ra_token_list(gp_store *s, gp_ra_token_cb cb, void *arg);
/* A savepoint inside the transaction open on s (GP_E_STATE when none is):
 * BEGIN marks, RELEASE keeps what was written since, UNDO drops it (and
 * ends the savepoint). */
enum { GP_RA_SP_BEGIN = 0, GP_RA_SP_RELEASE = 1, GP_RA_SP_UNDO = 2 };
GP_EXPORT int gp_store_ra_savepoint(gp_store *s, int what);

#ifdef __cplusplus
}
#endif
#endif
