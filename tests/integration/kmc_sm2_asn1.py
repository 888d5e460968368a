#!/usr/bin/env python3
"""tests/integration/kmc_sm2_asn1.py: converts sm-crypto's raw SM2 ciphertext
(C1 C3 C2 in hex, C1 as x || y without the 04) into the DER SM2Cipher of
GM/T 0009-2012 §7.2 (x INTEGER, y INTEGER, hash OCTET STRING, cipherText
OCTET STRING) that OpenSSL decrypts, with pyasn1.
    python3 kmc_sm2_asn1.py HEX OUT.der"""
import sys

from pyasn1.codec.der import encoder
from pyasn1.type import namedtype, univ


class SM2Cipher(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('xCoordinate', univ.Integer()),
        namedtype.NamedType('yCoordinate', univ.Integer()),
        namedtype.NamedType('hash', univ.OctetString()),
        namedtype.NamedType('cipherText', univ.OctetString()))


raw = bytes.fromhex(sys.argv[1].strip())
if len(raw) < 97:
    sys.exit('too short for C1 C3 C2')
c = SM2Cipher()
c['xCoordinate'] = int.from_bytes(raw[0:32], 'big')
c['yCoordinate'] = int.from_bytes(raw[32:64], 'big')
c['hash'] = raw[64:96]
c['cipherText'] = raw[96:]
open(sys.argv[2], 'wb').write(encoder.encode(c))
