#!/usr/bin/python3
# tests/integration/acme_client.py: a small ACME (RFC 8555) client for the bad-input
# tests, built on python3-cryptography (an independent JWS signer): every request it
# sends can be spoiled one way, and it prints what the server answered
import base64, hashlib, http.server, ipaddress, json, ssl, subprocess, sys, threading, time, urllib.request, urllib.error
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID


def b64(b):
    return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def san(name):
    """a subjectAltName entry: an iPAddress for an address, else a dNSName"""
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


class Client:
    def __init__(self, directory, cafile, kind="ES256"):
        self.ctx = ssl.create_default_context(cafile=cafile)
        self.kind = kind
        if kind == "RS256":
            self.key = rsa.generate_private_key(65537, 2048)
            n = self.key.public_key().public_numbers()
            self.jwk = {"e": b64(n.e.to_bytes((n.e.bit_length() + 7) // 8, "big")), "kty": "RSA",
                        "n": b64(n.n.to_bytes((n.n.bit_length() + 7) // 8, "big"))}
        else:
            self.key = ec.generate_private_key(ec.SECP256R1())
            n = self.key.public_key().public_numbers()
            self.jwk = {"crv": "P-256", "kty": "EC", "x": b64(n.x.to_bytes(32, "big")),
                        "y": b64(n.y.to_bytes(32, "big"))}
        self.dir = json.loads(self.raw("GET", directory)[2])
        self.kid = None

    def raw(self, method, url, body=None, ctype="application/jose+json"):
        rq = urllib.request.Request(url, data=body, method=method)
        if body is not None:
            rq.add_header("Content-Type", ctype)
        try:
            with urllib.request.urlopen(rq, context=self.ctx) as r:
                return r.status, r.headers, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.headers, e.read()

    def nonce(self):
        return self.raw("HEAD", self.dir["newNonce"])[1]["Replay-Nonce"]

    def sign(self, data):
        if self.kind == "RS256":
            return self.key.sign(data, padding.PKCS1v15(), hashes.SHA256())
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def jws(self, url, payload, nonce=None, alg=None, hurl=None, kid=None, spoil=None,
            raw_payload=None):
        prot = {"alg": alg or self.kind, "nonce": nonce or self.nonce(), "url": hurl or url}
        if kid or self.kid:
            prot["kid"] = kid or self.kid
        else:
            prot["jwk"] = self.jwk
        p = b64(json.dumps(prot).encode())
        if raw_payload is not None:
            pl = b64(raw_payload)
        else:
            pl = "" if payload is None else b64(json.dumps(payload).encode())
        sig = self.sign((p + "." + pl).encode())
        if spoil == "sig":
            sig = bytes([sig[0] ^ 1]) + sig[1:]
        return json.dumps({"protected": p, "payload": pl, "signature": b64(sig)}).encode()

    def post(self, url, payload, **kw):
        st, h, b = self.raw("POST", url, self.jws(url, payload, **kw))
        try:
            j = json.loads(b)
        except ValueError:
            j = None
        return st, h, j, b

    def account(self):
        st, h, j, _ = self.post(self.dir["newAccount"], {"termsOfServiceAgreed": True})
        self.kid = h["Location"]
        return st

    def keyauth(self, token):
        """RFC 8555 8.1: token || '.' || base64url(JWK thumbprint, RFC 7638)"""
        return token + "." + b64(hashlib.sha256(json.dumps(
            self.jwk, sort_keys=True, separators=(",", ":")).encode()).digest())

    def csr(self, names):
        k = ec.generate_private_key(ec.SECP256R1())
        c = (x509.CertificateSigningRequestBuilder()
             .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
             .add_extension(x509.SubjectAlternativeName([san(n) for n in names]), False)
             .sign(k, hashes.SHA256()))
        return b64(c.public_bytes(serialization.Encoding.DER))


def main():
    directory, cafile = sys.argv[1], sys.argv[2]
    out = []

    def check(what, st, j, status, typ):
        got = (j or {}).get("type", "") if isinstance(j, dict) else ""
        want = "urn:ietf:params:acme:error:" + typ
        res = "PASS" if st == status and got == want else "FAIL"
        out.append("%s %s: %d %s" % (res, what, st, got or "(no problem type)"))
        if res == "FAIL":
            out.append("# " + json.dumps(j))

    c = Client(directory, cafile)
    st = c.account()
    out.append(("PASS" if st == 201 else "FAIL") + " newAccount with ES256: %d" % st)
    r = Client(directory, cafile, "RS256")
    st = r.account()
    out.append(("PASS" if st == 201 else "FAIL") + " newAccount with RS256: %d" % st)
    no = c.dir["newOrder"]
    order = {"identifiers": [{"type": "dns", "value": "a.acme.test"}]}

    st, _, j, _ = c.post(no, order, spoil="sig")
    check("a wrong JWS signature", st, j, 400, "malformed")
    st, _, j, _ = c.post(no, order, kid=c.kid.rsplit("/", 1)[0] + "/999999")
    check("an unknown kid", st, j, 400, "accountDoesNotExist")
    n = c.nonce()
    c.post(no, order, nonce=n)
    st, _, j, _ = c.post(no, order, nonce=n)
    check("a replayed nonce", st, j, 400, "badNonce")
    st, _, j, _ = c.post(no, order, hurl=c.dir["newAccount"])
    check("a url header that is not the request's URL", st, j, 403, "unauthorized")
    st, _, j, _ = c.post(no, order, alg="none")
    check("alg none", st, j, 400, "badSignatureAlgorithm")
    st, _, j, _ = c.post(no, order, alg="HS256")
    check("alg HS256", st, j, 400, "badSignatureAlgorithm")
    st, _, j, _ = c.post(no, None, raw_payload=b"this is { not json")
    check("a payload that is not JSON", st, j, 400, "malformed")
    many = {"identifiers": [{"type": "dns", "value": "h%d.acme.test" % i} for i in range(10000)]}
    st, _, j, _ = c.post(no, many)
    # 10,000 identifiers are over the body limit already: malformed with 413
    check("10,000 identifiers in one order", st, j, 413, "malformed")
    hundred = {"identifiers": [{"type": "dns", "value": "h%d.acme.test" % i} for i in range(101)]}
    st, _, j, _ = c.post(no, hundred)
    check("101 identifiers in one order (over GP_ACME_MAX_IDS)", st, j, 400, "rejectedIdentifier")

    st, h, j, _ = c.post(no, order)
    out.append(("PASS" if st == 201 else "FAIL") + " the server still serves: newOrder %d" % st)
    if st == 201:
        fin = j["finalize"]
        st, _, j2, _ = c.post(fin, {"csr": c.csr(["a.acme.test"])})
        check("finalize before the order is ready", st, j2, 403, "orderNotReady")
        st, _, z, _ = c.post(j["authorizations"][0], None)
        ch = [x for x in z["challenges"] if x["type"] == "http-01"][0]
        st, _, j3, _ = r.post(ch["url"], {})
        check("a challenge response from another account", st, j3, 403, "unauthorized")
        st, _, j4, _ = r.post(fin, {"csr": r.csr(["a.acme.test"])})
        check("finalize of another account's order", st, j4, 403, "unauthorized")
        # http-01 (RFC 8555 8.3) answered here, on the port the server's map points at
        keyauth = c.keyauth(ch["token"])

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                ok = self.path == "/.well-known/acme-challenge/" + ch["token"]
                self.send_response(200 if ok else 404)
                self.end_headers()
                if ok:
                    self.wfile.write(keyauth.encode())

            def log_message(self, *a):
                pass
        srv = http.server.HTTPServer(("127.0.0.1", int(sys.argv[3])), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        c.post(ch["url"], {})
        # polled, at most 10 s: the order's state decides, not the delay
        for _ in range(100):
            st, _, o, _ = c.post(h["Location"], None)
            if o["status"] != "pending":
                break
            time.sleep(0.1)
        out.append(("PASS" if o["status"] == "ready" else "FAIL") +
                   " http-01 makes the order ready: %s" % o["status"])
        st, _, j5, _ = c.post(fin, {"csr": c.csr(["a.acme.test", "b.acme.test"])})
        check("a CSR with a name not in the order", st, j5, 400, "badCSR")
        st, _, j6, _ = c.post(fin, {"csr": "not-a-csr!"})
        check("a CSR that is not base64url DER", st, j6, 400, "malformed")
        st, _, j7, _ = c.post(fin, {"csr": c.csr(["a.acme.test"])})
        out.append(("PASS" if st == 200 and j7["status"] in ("valid", "processing") else "FAIL") +
                   " then a right CSR is accepted: %d %s" % (st, (j7 or {}).get("status")))
        if st != 200:
            out.append("# " + json.dumps(j7))
        srv.shutdown()
    print("\n".join(out))


def new_account():
    """new-account DIRECTORY CAFILE: one newAccount without a binding; prints
    the status and the problem type (what a client that does not read the
    directory's meta would get)"""
    c = Client(sys.argv[2], sys.argv[3])
    st, _, j, _ = c.post(c.dir["newAccount"], {"termsOfServiceAgreed": True})
    print(st, (j or {}).get("type", "") if isinstance(j, dict) else "")


def alpn():
    """alpn DIRECTORY CAFILE TYPE VALUE HOOK: one tls-alpn-01 attempt (RFC 8737)
    for the identifier TYPE:VALUE: newAccount, newOrder, then HOOK KEYAUTH VALUE
    (it starts the TLS server the validator reaches and returns once it
    listens), the challenge answered and polled to its end (at most 10 s);
    prints the challenge's status, error type and detail, then finalize's
    answer, one "key value" a line"""
    c = Client(sys.argv[2], sys.argv[3])
    typ, value, hook = sys.argv[4], sys.argv[5], sys.argv[6]
    c.account()
    st, h, o, _ = c.post(c.dir["newOrder"], {"identifiers": [{"type": typ, "value": value}]})
    if st != 201:
        sys.exit("newOrder: %d %s" % (st, json.dumps(o)))
    st, _, z, _ = c.post(o["authorizations"][0], None)
    print("offered", " ".join(x["type"] for x in z["challenges"]))
    ch = [x for x in z["challenges"] if x["type"] == "tls-alpn-01"]
    if not ch:
        sys.exit("no tls-alpn-01 challenge offered")
    subprocess.run([hook, c.keyauth(ch[0]["token"]), value], check=True)
    c.post(ch[0]["url"], {})
    for _ in range(100):
        st, _, j, _ = c.post(ch[0]["url"], None)
        if j["status"] not in ("pending", "processing"):
            break
        time.sleep(0.1)
    print("status", j["status"])
    print("error", j.get("error", {}).get("type", "-"))
    print("detail", j.get("error", {}).get("detail", "-"))
    st, _, j, _ = c.post(o["finalize"], {"csr": c.csr([value])})
    print("finalize", st, (j or {}).get("type", (j or {}).get("status", "-")))


class Report:
    """PASS/FAIL lines, one a check, for the shell to count"""
    def __init__(self):
        self.lines = []

    def want(self, what, st, j, status, typ=None):
        got = (j or {}).get("type", "") if isinstance(j, dict) else ""
        good = st == status and (typ is None or got == "urn:ietf:params:acme:error:" + typ)
        self.lines.append("%s %s: %d %s" % ("PASS" if good else "FAIL", what, st,
                                            got or "(no problem type)"))
        if not good:
            self.lines.append("# " + json.dumps(j))

    def show(self):
        print("\n".join(self.lines))


def deactivate():
    """deactivate DIRECTORY CAFILE: RFC 8555 7.3.6.  An account with a pending
    order deactivates itself; then each request it signs is refused.  Prints
    the check lines, then "account URL" and "authz URL" for the store checks"""
    rep = Report()
    c = Client(sys.argv[2], sys.argv[3])
    c.account()
    st, h, o, _ = c.post(c.dir["newOrder"], {"identifiers": [{"type": "dns", "value": "d.acme.test"}]})
    rep.want("newOrder before deactivation", st, o, 201)
    st, _, j, _ = c.post(c.kid, {"status": "valid"})
    rep.want("status valid is no deactivation (malformed)", st, j, 400, "malformed")
    st, _, j, _ = c.post(c.kid, {"status": "deactivated"})
    rep.want("the account deactivates itself", st, j, 200)
    good = isinstance(j, dict) and j.get("status") == "deactivated"
    rep.lines.append(("PASS" if good else "FAIL") + " its answer says deactivated: %s" % json.dumps(j))
    st, _, j, _ = c.post(c.dir["newOrder"], {"identifiers": [{"type": "dns", "value": "e.acme.test"}]})
    rep.want("then newOrder is refused", st, j, 401, "unauthorized")
    st, _, j, _ = c.post(o["authorizations"][0], None)
    rep.want("then reading its authorization is refused", st, j, 401, "unauthorized")
    st, _, j, _ = c.post(c.kid, {"status": "deactivated"})
    rep.want("deactivating it again is refused", st, j, 401, "unauthorized")
    kid, c.kid = c.kid, None
    st, _, j, _ = c.post(c.dir["newAccount"], {"termsOfServiceAgreed": True})
    rep.want("newAccount with its key is refused", st, j, 401, "unauthorized")
    rep.show()
    print("account", kid)
    print("authz", o["authorizations"][0])


def p256():
    """a new P-256 key and its public JWK"""
    k = ec.generate_private_key(ec.SECP256R1())
    n = k.public_key().public_numbers()
    return k, {"crv": "P-256", "kty": "EC", "x": b64(n.x.to_bytes(32, "big")),
               "y": b64(n.y.to_bytes(32, "big"))}


def thumb(jwk):
    """RFC 7638 thumbprint, hex (as sqlite3 prints hex(thumb))"""
    return hashlib.sha256(json.dumps(jwk, sort_keys=True, separators=(",", ":")).encode()).hexdigest().upper()


def es256(key, data):
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


def keychange():
    """keychange DIRECTORY CAFILE: RFC 8555 7.3.5.  Inner JWS mistakes are each
    refused, the account's key still the old one after each; then a right
    rollover: the new key works, the old one no more.  Prints the check
    lines, then "account URL", "old HEX", "new HEX" (thumbprints)"""
    rep = Report()
    c = Client(sys.argv[2], sys.argv[3])
    c.account()
    other = Client(sys.argv[2], sys.argv[3])
    other.account()
    kc = c.dir["keyChange"]
    nk, njwk = p256()
    old_jwk = c.jwk

    def inner(url=None, account=None, old=None, jwk=None, signer=None, extra=None, kid=None):
        prot = {"alg": "ES256", "url": url or kc}
        if kid:
            prot["kid"] = kid
        else:
            prot["jwk"] = jwk or njwk
        prot.update(extra or {})
        p = b64(json.dumps(prot).encode())
        pl = b64(json.dumps({"account": account or c.kid, "oldKey": old or old_jwk}).encode())
        return {"protected": p, "payload": pl,
                "signature": b64(es256(signer or nk, (p + "." + pl).encode()))}

    def still_old(what):
        st, _, j, _ = c.post(c.kid, None)
        rep.want("  the old key still signs for the account after: " + what, st, j, 200)

    bad = [
        ("an inner url that is not keyChange's", inner(url=c.dir["newOrder"]), 400, "malformed"),
        ("an inner account that is another's", inner(account=other.kid), 400, "malformed"),
        ("an inner oldKey that is not the account's", inner(old=p256()[1]), 400, "malformed"),
        ("an inner JWS of the old key (jwk and signature)", inner(jwk=old_jwk, signer=c.key),
         400, "malformed"),
        ("an inner JWS naming the new key, signed by the old", inner(signer=c.key), 400, "malformed"),
        ("an inner JWS with a nonce", inner(extra={"nonce": c.nonce()}), 400, "malformed"),
        ("an inner JWS with a kid, not a jwk", inner(kid=c.kid), 400, "malformed"),
        ("a new key that another account has", inner(jwk=other.jwk, signer=other.key), 409,
         "malformed"),
    ]
    for what, payload, status, typ in bad:
        st, h, j, _ = c.post(kc, payload)
        rep.want(what, st, j, status, typ)
        if status == 409:
            loc = h.get("Location")
            rep.lines.append(("PASS" if loc == other.kid else "FAIL") +
                             "  409 names the other account in Location: %s" % loc)
        still_old(what)
    # the outer JWS signed by the new key (the inner one right) is no key change either
    ok_inner = inner()
    ck, cj = c.key, c.jwk
    c.key = nk
    st, _, j, _ = c.post(kc, ok_inner)
    c.key = ck
    rep.want("an outer JWS signed by the new key", st, j, 400, "malformed")
    still_old("an outer JWS of the new key")

    st, _, j, _ = c.post(kc, inner())
    rep.want("the key change", st, j, 200)
    c.key, c.jwk = nk, njwk
    st, _, j, _ = c.post(c.kid, None)
    rep.want("the new key signs for the account", st, j, 200)
    st, _, j, _ = c.post(c.dir["newOrder"], {"identifiers": [{"type": "dns", "value": "k.acme.test"}]})
    rep.want("  newOrder with the new key", st, j, 201)
    kid = c.kid
    c.kid = None
    st, h, j, _ = c.post(c.dir["newAccount"], {"onlyReturnExisting": True})
    rep.want("  newAccount onlyReturnExisting finds the account by the new key", st, j, 200)
    rep.lines.append(("PASS" if h.get("Location") == kid else "FAIL") +
                     "  at its URL: %s" % h.get("Location"))
    c.key, c.jwk, c.kid = ck, cj, kid
    st, _, j, _ = c.post(c.kid, None)
    rep.want("the old key no longer signs for the account", st, j, 400, "malformed")
    st, _, j, _ = c.post(c.dir["newOrder"], {"identifiers": [{"type": "dns", "value": "o.acme.test"}]})
    rep.want("  nor newOrder", st, j, 400, "malformed")
    c.kid = None
    st, _, j, _ = c.post(c.dir["newAccount"], {"onlyReturnExisting": True})
    rep.want("  and newAccount onlyReturnExisting finds no account by it", st, j, 400,
             "accountDoesNotExist")
    rep.show()
    print("account", kid)
    print("old", thumb(old_jwk))
    print("new", thumb(njwk))


def ratelimit():
    """ratelimit DIRECTORY CAFILE ORDERS ACCOUNTS: RFC 8555 6.6, with the server's
    [acme] orders_per_hour = ORDERS and accounts_per_hour = ACCOUNTS of which
    this client makes them all: an account's orders up to its limit, then
    429 rateLimited with Retry-After; the same for new accounts from this
    address.  Prints the check lines, then "account URL" of the first"""
    rep = Report()
    orders, accounts = int(sys.argv[4]), int(sys.argv[5])
    cs = [Client(sys.argv[2], sys.argv[3]) for _ in range(accounts + 1)]
    c = cs[0]
    rep.want("the first account", c.account(), None, 201)

    def limited(what, st, h, j, typ="rateLimited"):
        rep.want(what, st, j, 429, typ)
        # one Retry-After: when the earliest counted request leaves its hour,
        # made in this test's first minutes
        ras = h.get_all("Retry-After") or []
        good = len(ras) == 1 and ras[0].isdigit() and 3000 <= int(ras[0]) <= 3600
        rep.lines.append(("PASS" if good else "FAIL") +
                         "  with one Retry-After, when the hour is over: %s" % ras)

    order = {"identifiers": [{"type": "dns", "value": "r.acme.test"}]}
    for i in range(orders):
        st, _, j, _ = c.post(c.dir["newOrder"], order)
        rep.want("order %d of %d an hour" % (i + 1, orders), st, j, 201)
    st, h, j, _ = c.post(c.dir["newOrder"], order)
    limited("one order more is refused", st, h, j)
    st, h, j, _ = c.post(c.dir["newOrder"], order)
    limited("  and the next one too", st, h, j)
    for i in range(1, accounts):
        rep.want("account %d of %d an hour from this address" % (i + 1, accounts),
                 cs[i].account(), None, 201)
    st, h, j, _ = cs[accounts].post(cs[accounts].dir["newAccount"], {"termsOfServiceAgreed": True})
    limited("one account more is refused", st, h, j)
    kid, c.kid = c.kid, None
    st, h, j, _ = c.post(c.dir["newAccount"], {"onlyReturnExisting": True})
    rep.want("the existing account is still found (no new account: no limit)", st, j, 200)
    c.kid = kid
    st, _, j, _ = c.post(c.kid, None)
    rep.want("  and still reads its account", st, j, 200)
    rep.show()
    print("account", kid)


if sys.argv[1] == "new-account":
    new_account()
elif sys.argv[1] == "ratelimit":
    ratelimit()
elif sys.argv[1] == "keychange":
    keychange()
elif sys.argv[1] == "deactivate":
    deactivate()
elif sys.argv[1] == "alpn":
    alpn()
else:
    main()
