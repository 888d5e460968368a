#!/usr/bin/env python3
"""der_split: writes the signed part (TBSCertificate, TBSCertList or
CertificationRequestInfo, as DER) and the signature value (the BIT STRING's
bytes) of a signed X.509 structure, so that another implementation can
check the signature:   der_split.py IN.der TBS.out SIG.out
A plain DER walk (X.690 §8.1), no ASN.1 library: SEQUENCE { tbs, alg, BIT STRING }."""
import sys


def tlv(buf, off):
    """(tag, start of content, end) of the DER element at off (pem_serials.py uses it too)"""
    tag = buf[off]
    n = buf[off + 1]
    off += 2
    if n & 0x80:
        k = n & 0x7f
        n = int.from_bytes(buf[off:off + k], 'big')
        off += k
    return tag, off, off + n


def main():
    der = open(sys.argv[1], 'rb').read()
    tag, start, end = tlv(der, 0)
    if tag != 0x30 or end != len(der):
        sys.exit('der_split: not one DER SEQUENCE')
    _, tstart, tend = tlv(der, start)
    tbs = der[start:tend]
    _, _, aend = tlv(der, tend)                 # signatureAlgorithm
    tag, sstart, send = tlv(der, aend)
    if tag != 0x03 or der[sstart] != 0 or send != end:
        sys.exit('der_split: no signature BIT STRING')
    open(sys.argv[2], 'wb').write(tbs)
    open(sys.argv[3], 'wb').write(der[sstart + 1:send])


if __name__ == '__main__':
    main()
