#!/usr/bin/env python3
# tests/integration/seal_asn1_check.py: decodes seals and seal signatures with
# pyasn1 (independent of OpenSSL's templates), checks them field by field
# against what the test asked for, and writes the signed bytes and signature
# values out for independent signature checks (sm-crypto, openssl pkeyutl).
#
#   seal_asn1_check.py seal FILE OUTDIR key=value...   (id name type vid image width height maker holder digests)
#   seal_asn1_check.py sig FILE OUTDIR key=value...    (hash signer property seal)
# Prints "ok FIELD" per check; exits 1 at the first mismatch.
import hashlib
import sys

from pyasn1.codec.der import decoder, encoder
from pyasn1.type import char, namedtype, tag, univ, useful


class Header(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('id', char.IA5String()),
        namedtype.NamedType('version', univ.Integer()),
        namedtype.NamedType('vid', char.IA5String()))


class CertDigestObj(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('type', char.PrintableString()),
        namedtype.NamedType('value', univ.OctetString()))


class CertInfoList(univ.SequenceOf):
    componentType = univ.OctetString()


class CertDigestList(univ.SequenceOf):
    componentType = CertDigestObj()


class PropertyInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('type', univ.Integer()),
        namedtype.NamedType('name', char.UTF8String()),
        namedtype.NamedType('certListType', univ.Integer()),
        namedtype.NamedType('certList', univ.Any()),
        namedtype.NamedType('createDate', useful.GeneralizedTime()),
        namedtype.NamedType('validStart', useful.GeneralizedTime()),
        namedtype.NamedType('validEnd', useful.GeneralizedTime()))


class PictureInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('type', char.IA5String()),
        namedtype.NamedType('data', univ.OctetString()),
        namedtype.NamedType('width', univ.Integer()),
        namedtype.NamedType('height', univ.Integer()))


class ExtData(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('extnID', univ.ObjectIdentifier()),
        namedtype.DefaultedNamedType('critical', univ.Boolean(False)),
        namedtype.NamedType('extnValue', univ.OctetString()))


class ExtensionDatas(univ.SequenceOf):
    componentType = ExtData()


class SealInfo(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('header', Header()),
        namedtype.NamedType('esID', char.IA5String()),
        namedtype.NamedType('property', PropertyInfo()),
        namedtype.NamedType('picture', PictureInfo()),
        namedtype.OptionalNamedType('extDatas', ExtensionDatas()))


class SESeal(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('eSealInfo', SealInfo()),
        namedtype.NamedType('cert', univ.OctetString()),
        namedtype.NamedType('signAlgID', univ.ObjectIdentifier()),
        namedtype.NamedType('signedValue', univ.BitString()))


class TBSSign(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('version', univ.Integer()),
        namedtype.NamedType('eseal', SESeal()),
        namedtype.NamedType('timeInfo', useful.GeneralizedTime()),
        namedtype.NamedType('dataHash', univ.BitString()),
        namedtype.NamedType('propertyInfo', char.IA5String()),
        namedtype.OptionalNamedType('extDatas', ExtensionDatas().subtype(
            explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0))))


class SESSignature(univ.Sequence):
    componentType = namedtype.NamedTypes(
        namedtype.NamedType('toSign', TBSSign()),
        namedtype.NamedType('cert', univ.OctetString()),
        namedtype.NamedType('signatureAlgID', univ.ObjectIdentifier()),
        namedtype.NamedType('signature', univ.BitString()),
        namedtype.OptionalNamedType('timeStamp', univ.BitString().subtype(
            explicitTag=tag.Tag(tag.tagClassContext, tag.tagFormatConstructed, 0))))


ALG = {'sm2': '1.2.156.10197.1.501', 'ec-p256': '1.2.840.10045.4.3.2',
       'rsa2048': '1.2.840.113549.1.1.11', 'ed25519': '1.3.101.112'}


def fail(msg):
    print('not ok ' + msg)
    sys.exit(1)


def check(name, got, want):
    if got != want:
        fail('%s: got %r, want %r' % (name, got, want))
    print('ok ' + name)


def pem_der(path):
    import base64
    text = open(path).read()
    b = text.index('-----BEGIN CERTIFICATE-----') + len('-----BEGIN CERTIFICATE-----')
    e = text.index('-----END CERTIFICATE-----')
    return base64.b64decode(''.join(text[b:e].split()))


def bits(b):
    return b.asOctets()


def check_seal(seal, args, out, prefix='seal'):
    info = seal['eSealInfo']
    check(prefix + '.header.id', str(info['header']['id']), 'ES')
    check(prefix + '.header.version', int(info['header']['version']), 4)
    check(prefix + '.header.vid', str(info['header']['vid']), args.get('vid', 'govpki'))
    if 'id' in args:
        check(prefix + '.esID', str(info['esID']), args['id'])
    prop = info['property']
    if 'name' in args:
        check(prefix + '.property.name', str(prop['name']), args['name'])
    if 'type' in args:
        check(prefix + '.property.type', int(prop['type']), int(args['type']))
    lt = int(prop['certListType'])
    check(prefix + '.property.certListType', lt, 2 if args.get('digests') else 1)
    if lt == 1:
        lst, rest = decoder.decode(prop['certList'].asOctets(), asn1Spec=CertInfoList())
    else:
        lst, rest = decoder.decode(prop['certList'].asOctets(), asn1Spec=CertDigestList())
    check(prefix + '.property.certList (no trailing bytes)', rest, b'')
    if 'holder' in args:
        h = pem_der(args['holder'])
        if lt == 1:
            found = any(bytes(x) == h for x in lst)
        else:
            found = any(hashlib.new(str(d['type']), h).digest() == bytes(d['value']) for d in lst)
        check(prefix + '.property.certList holds the holder', found, True)
    for f in ('createDate', 'validStart', 'validEnd'):
        check(prefix + '.property.%s is GeneralizedTime Z' % f, str(prop[f]).endswith('Z'), True)
    check(prefix + '.validStart < validEnd', str(prop['validStart']) < str(prop['validEnd']), True)
    pic = info['picture']
    if 'image' in args:
        check(prefix + '.picture.data', bytes(pic['data']), open(args['image'], 'rb').read())
        check(prefix + '.picture.type', str(pic['type']), args['imagetype'])
        check(prefix + '.picture.width', int(pic['width']), int(args['width']))
        check(prefix + '.picture.height', int(pic['height']), int(args['height']))
    if 'maker' in args:
        check(prefix + '.cert is the maker', bytes(seal['cert']), pem_der(args['maker']))
    if 'alg' in args:
        check(prefix + '.signAlgID', str(seal['signAlgID']), ALG[args['alg']])
    # what the maker signed: DER(SES_SealInfo) (seal-asn1.md, v4 form)
    open(out + '/sealinfo.der', 'wb').write(encoder.encode(info))
    open(out + '/seal.sigval', 'wb').write(bits(seal['signedValue']))


def main():
    kind, path, out = sys.argv[1], sys.argv[2], sys.argv[3]
    args = dict(a.split('=', 1) for a in sys.argv[4:])
    data = open(path, 'rb').read()
    if kind == 'seal':
        seal, rest = decoder.decode(data, asn1Spec=SESeal())
        check('no bytes after the seal', rest, b'')
        check('the seal is DER (re-encodes to the same bytes)', encoder.encode(seal), data)
        check_seal(seal, args, out)
    else:
        sig, rest = decoder.decode(data, asn1Spec=SESSignature())
        check('no bytes after the signature', rest, b'')
        check('the signature is DER (re-encodes to the same bytes)', encoder.encode(sig), data)
        tbs = sig['toSign']
        check('toSign.version', int(tbs['version']), 4)
        check('toSign.timeInfo is GeneralizedTime Z', str(tbs['timeInfo']).endswith('Z'), True)
        if 'hash' in args:
            check('toSign.dataHash', bits(tbs['dataHash']).hex(), args['hash'])
        if 'property' in args:
            check('toSign.propertyInfo', str(tbs['propertyInfo']), args['property'])
        if 'seal' in args:
            check('toSign.eseal is the seal file', encoder.encode(tbs['eseal']), open(args['seal'], 'rb').read())
        if 'signer' in args:
            check('cert is the signer', bytes(sig['cert']), pem_der(args['signer']))
        if 'alg' in args:
            check('signatureAlgID', str(sig['signatureAlgID']), ALG[args['alg']])
        check('timeStamp present', sig['timeStamp'].isValue, args.get('ts') == '1')
        if sig['timeStamp'].isValue:
            open(out + '/ts.der', 'wb').write(bits(sig['timeStamp']))
        open(out + '/tbs.der', 'wb').write(encoder.encode(tbs))
        open(out + '/sig.sigval', 'wb').write(bits(sig['signature']))
        check_seal(tbs['eseal'], {}, out, 'toSign.eseal')


if __name__ == '__main__':
    main()
