#!/usr/bin/env python3
"""tests/integration/kmc_env.py: reads a GM/T 0009-2012 SM2EnvelopedKey with
pyasn1 (a parser independent of ours) and prints its parts as hex, one a line:
the symmetric algorithm's OID, the SM2Cipher as C1 C3 C2 raw (x || y || hash ||
ciphertext, each coordinate 32 bytes: what sm-crypto's doDecrypt takes), the
public key and the encrypted private key.
    python3 kmc_env.py ENVELOPE.der
Exit 1, saying why, for anything that is not that structure."""
import sys

from pyasn1.codec.der import decoder
from pyasn1.type import namedtype, univ


class AlgorithmIdentifier(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('algorithm', univ.ObjectIdentifier()),
        namedtype.OptionalNamedType('parameters', univ.Any()))


class SM2Cipher(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('xCoordinate', univ.Integer()),
        namedtype.NamedType('yCoordinate', univ.Integer()),
        namedtype.NamedType('hash', univ.OctetString()),
        namedtype.NamedType('cipherText', univ.OctetString()))


class SM2EnvelopedKey(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('symAlgID', AlgorithmIdentifier()),
        namedtype.NamedType('symEncryptedKey', SM2Cipher()),
        namedtype.NamedType('sm2PublicKey', univ.BitString()),
        namedtype.NamedType('sm2EncryptedPrivateKey', univ.BitString()))


def main():
    der = open(sys.argv[1], 'rb').read()
    env, rest = decoder.decode(der, asn1Spec=SM2EnvelopedKey())
    if rest:
        sys.exit('trailing bytes after the SM2EnvelopedKey')
    c = env['symEncryptedKey']
    if len(bytes(c['hash'])) != 32:
        sys.exit('SM2Cipher hash is not 32 bytes')
    raw = (int(c['xCoordinate']).to_bytes(32, 'big') + int(c['yCoordinate']).to_bytes(32, 'big') +
           bytes(c['hash']) + bytes(c['cipherText']))
    print(env['symAlgID']['algorithm'].prettyPrint())
    print(raw.hex())
    print(env['sm2PublicKey'].asOctets().hex())
    print(env['sm2EncryptedPrivateKey'].asOctets().hex())


main()
