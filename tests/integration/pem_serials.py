#!/usr/bin/env python3
"""pem_serials: prints the serial number (lowercase hex, as sqlite3's
lower(hex(serial)) gives it) of each PEM certificate file named, one per
line; thousands of files in one process instead of one openssl each.
A plain DER walk (X.690 §8.1): Certificate ::= SEQUENCE { tbsCertificate
SEQUENCE { [0] version OPTIONAL, serialNumber INTEGER, ... } ... }."""
import base64
import sys

from der_split import tlv


for path in sys.argv[1:]:
    text = open(path).read()
    body = text.split('-----BEGIN CERTIFICATE-----')[1].split('-----END CERTIFICATE-----')[0]
    der = base64.b64decode(''.join(body.split()))
    _, start, _ = tlv(der, 0)          # Certificate
    _, off, _ = tlv(der, start)        # tbsCertificate
    tag, cstart, cend = tlv(der, off)
    if tag == 0xa0:                    # [0] version
        tag, cstart, cend = tlv(der, cend)
    if tag != 0x02:
        sys.exit('pem_serials: %s: no serial number' % path)
    print(der[cstart:cend].hex())
