#!/usr/bin/env python3
"""ocsp_forge.py: the tbsResponseData of an OCSP response, as it is or forged

  ocsp_forge.py RESPONSE.der OUT.der MUTATION [ARG]

writes the ResponseData (RFC 6960 §4.2.1) of RESPONSE.der (an OCSPResponse
as openssl ocsp -respout writes it) to OUT.der, changed by MUTATION:
  asis            unchanged
  good            the first SingleResponse's certStatus made good
  certid REQ.der  its CertID replaced by the first one of an OCSPRequest
  validity DAYS   its nextUpdate DAYS days after its thisUpdate
  extension       a second responseExtension (1.3.6.1.4.1.32473.1, not a Nonce)
  responder       the responderID's key hash with one bit flipped
A plain DER walk and encoder (X.690 §8.1), no ASN.1 library, so that the
forgeries do not depend on govpki or OpenSSL.
"""
import datetime
import sys


def parse(buf, off=0, end=None):
    """The DER elements of buf[off:end] as [tag, bytes or children]."""
    end = len(buf) if end is None else end
    out = []
    while off < end:
        tag = buf[off]
        n = buf[off + 1]
        off += 2
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(buf[off:off + k], 'big')
            off += k
        body = buf[off:off + n]
        out.append([tag, parse(buf, off, off + n) if tag & 0x20 else body])
        off += n
    return out


def enc(e):
    tag, v = e
    body = b''.join(enc(c) for c in v) if tag & 0x20 else v
    n = len(body)
    if n < 0x80:
        ln = bytes([n])
    else:
        b = n.to_bytes((n.bit_length() + 7) // 8, 'big')
        ln = bytes([0x80 | len(b)]) + b
    return bytes([tag]) + ln + body


def gentime(s):
    return datetime.datetime.strptime(s.decode(), '%Y%m%d%H%M%SZ')


def main():
    resp = parse(open(sys.argv[1], 'rb').read())[0]
    # OCSPResponse { status, [0] { ResponseBytes { type, OCTET STRING } } }
    basic = parse(resp[1][1][1][0][1][1][1])[0]
    tbs = basic[1][0]
    kids = tbs[1]
    rid = next(e for e in kids if e[0] in (0xa1, 0xa2))
    resps = next(e for e in kids if e[0] == 0x30)
    single = resps[1][0]
    what = sys.argv[3]
    if what == 'good':
        single[1][1] = [0x80, b'']
    elif what == 'certid':
        req = parse(open(sys.argv[4], 'rb').read())[0]
        tbsreq = req[1][0]
        reqlist = next(e for e in tbsreq[1] if e[0] == 0x30)
        single[1][0] = reqlist[1][0][1][0]
    elif what == 'validity':
        this = next(e for e in single[1] if e[0] == 0x18)
        nxt = next(e for e in single[1] if e[0] == 0xa0)
        t = gentime(this[1]) + datetime.timedelta(days=int(sys.argv[4]))
        nxt[1] = [[0x18, t.strftime('%Y%m%d%H%M%SZ').encode()]]
    elif what == 'extension':
        ext = [0x30, [[0x06, bytes([0x2b, 6, 1, 4, 1, 0x81, 0xfd, 0x59, 1])], [0x04, b'\x04\x01x']]]
        exts = next((e for e in kids if e[0] == 0xa1), None)
        if exts is None:
            kids.append([0xa1, [[0x30, [ext]]]])
        else:
            exts[1][0][1].append(ext)
    elif what == 'responder':
        h = rid[1][0][1]
        rid[1][0][1] = bytes([h[0] ^ 1]) + h[1:]
    elif what != 'asis':
        sys.exit('ocsp_forge: unknown mutation ' + what)
    open(sys.argv[2], 'wb').write(enc(tbs))


if __name__ == '__main__':
    main()
