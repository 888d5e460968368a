#!/usr/bin/env python3
# docs/examples/svs_verify.py: verify a certificate through svs-server with
# Python's standard library only (urllib, ssl, json), as docs/svs.md shows.
#   svs_verify.py URL CA_FILE TOKEN_FILE CERT.pem
# Prints the verdict; exit 0 valid, 1 invalid, 2 an error answer.
import json
import ssl
import sys
import urllib.error
import urllib.request

url, cafile, token_file, cert_file = sys.argv[1:5]
token = open(token_file).read().strip()
body = json.dumps({"certificate": open(cert_file).read()}).encode()
req = urllib.request.Request(url + "/api/v1/verify/certificate", data=body, method="POST",
                             headers={"Content-Type": "application/json",
                                      "Authorization": "Bearer " + token})
ctx = ssl.create_default_context(cafile=cafile)
try:
    with urllib.request.urlopen(req, context=ctx, timeout=30) as r:
        v = json.load(r)
except urllib.error.HTTPError as e:
    p = json.load(e)  # application/problem+json (RFC 9457)
    print(f"error {p['status']}: {p['title']}: {p.get('detail', '')}")
    sys.exit(2)
if v["valid"]:
    print("valid; chain: " + " <- ".join(c["subject"] for c in v["chain"]))
    sys.exit(0)
fail = v["checks"][0]
print(f"invalid: {fail['rule']} ({fail['source']}): {fail.get('reason', '')}")
sys.exit(1)
