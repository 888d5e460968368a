#!/usr/bin/env python3
# tests/integration/cades_extract.py: a minimal DER walker (independent of
# OpenSSL) that takes a detached CMS / GM/T 0010 SignedData apart: writes the
# signed attributes as the SET the signature covers (RFC 5652 §5.4), the
# signature value, and prints the content type, the message digest (hex) and
# the signature algorithm OID.
#   cades_extract.py SIG.der OUTDIR
import sys


def tlv(b, i):
    tag = b[i]
    n = b[i + 1]
    j = i + 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(b[j:j + k], 'big')
        j += k
    return tag, j, j + n      # tag, start of value, end


def children(b, start, end):
    out = []
    i = start
    while i < end:
        t, s, e = tlv(b, i)
        out.append((t, i, s, e))
        i = e
    return out


def oid(v):
    parts = [v[0] // 40, v[0] % 40]
    x = 0
    for c in v[1:]:
        x = (x << 7) | (c & 0x7f)
        if not c & 0x80:
            parts.append(x)
            x = 0
    return '.'.join(map(str, parts))


b = open(sys.argv[1], 'rb').read()
out = sys.argv[2]
t, s, e = tlv(b, 0)
ci = children(b, s, e)
print('contentType', oid(b[ci[0][2]:ci[0][3]]))
_, _, s0, e0 = ci[1]                              # [0] EXPLICIT
t, s, e = tlv(b, s0)                              # SignedData
sd = children(b, s, e)
signer_infos = sd[-1]
si_list = children(b, signer_infos[2], signer_infos[3])
assert len(si_list) == 1, 'one signer expected'
si = children(b, si_list[0][2], si_list[0][3])
attrs = [c for c in si if c[0] == 0xa0][0]
idx = si.index(attrs)
sigalg = si[idx + 1]
sigval = si[idx + 2]
alg = children(b, sigalg[2], sigalg[3])[0]
print('signatureAlgorithm', oid(b[alg[2]:alg[3]]))
signed = bytearray(b[attrs[1]:attrs[3]])
signed[0] = 0x31                                  # [0] IMPLICIT -> SET OF
open(out + '/signed_attrs.der', 'wb').write(bytes(signed))
open(out + '/cms.sigval', 'wb').write(b[sigval[2]:sigval[3]])
for a in children(b, attrs[2], attrs[3]):
    kids = children(b, a[2], a[3])
    name = oid(b[kids[0][2]:kids[0][3]])
    vals = children(b, kids[1][2], kids[1][3])
    v = b[vals[0][2]:vals[0][3]]
    if name == '1.2.840.113549.1.9.4':
        print('messageDigest', v.hex())
    elif name == '1.2.840.113549.1.9.3':
        print('contentTypeAttr', oid(v))
    elif name == '1.2.840.113549.1.9.16.2.47':
        print('signingCertificateV2', 'present')
    elif name == '1.2.840.113549.1.9.5':
        print('signingTime', v.decode())
