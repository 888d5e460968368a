#!/bin/bash
# tests/integration/svs_pkits.sh: the NIST PKITS tests of sections 4.1-4.16
# through svs-server's POST /api/v1/verify/certificate, with the inputs and
# the verdicts of the data file that pkits.sh runs through ca-tool
# (tests/data/pkits.tsv): each answer's "valid" is compared with the
# document's verdict, not with ca-tool's. One curl process sends every
# request over one kept-alive HTTPS connection.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/svs_lib.sh"

DATA="$top_srcdir/tests/data/pkits.tsv"
PKITS=${GOVPKI_PKITS_DIR:-/usr/lib/python3/dist-packages/cryptography_vectors/x509/PKITS_data}
if [ ! -f "$PKITS/certs/TrustAnchorRootCertificate.crt" ]; then
	echo "not ok - no PKITS data in $PKITS (install python3-cryptography-vectors: scripts/common.sh)"
	exit 1
fi
[ -r "$DATA" ] || { echo "not ok - no $DATA"; exit 1; }

svs_tls
cat > "$T/svs.cnf" <<CNF
[svs]
tls_cert = $T/tls.pem
tls_key = $T/tls.key
tls_key_pass_file = $T/pass

[svs.app.pkits]
token_sha256 = $(token pkits)
scopes = verify
trust = $PKITS/certs/TrustAnchorRootCertificate.crt
revocation = require
CNF
start_svs "$T/svs.cnf" || { not_ok "svs-server starts"; finish; }
ok "svs-server starts with the PKITS trust anchor"

# one JSON body per data line (the same columns and settings as pkits.sh:
# time 2020-01-01T12:00:00Z, rules path, revocation required, the NIST
# test policies), and a curl config that POSTs them all
mkdir "$T/req" "$T/resp"
python3 - "$DATA" "$PKITS" "$T" "$URL" "$(cat "$T/pkits.token")" > "$T/cases" <<'PY'
import base64, json, os, sys
data, pkits, tmp, url, tok = sys.argv[1:6]
NIST = "2.16.840.1.101.3.2.1.48."
def b64(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()
cfg = open(os.path.join(tmp, "curl.cfg"), "w")
n = 0
for line in open(data, encoding="utf-8"):
    line = line.rstrip("\n")
    if line == "" or line.startswith("#"):
        continue
    n += 1
    cols = line.split("\t")
    if len(cols) != 10:
        print(f"bad\t{n}\tline {n} of the data file does not have 10 columns")
        continue
    tid, name, ee, untrusted, crls, pset, explicit, nomap, noany, expected = cols
    try:
        body = {"certificate": b64(f"{pkits}/certs/{ee}"),
                "chain": [b64(f"{pkits}/certs/{c}") for c in untrusted.split() if c != "-"],
                "crls": [b64(f"{pkits}/crls/{c}") for c in crls.split()],
                "time": "2020-01-01T12:00:00Z", "rules": "path", "revocation": "require",
                "explicit_policy": explicit == "1", "inhibit_policy_mapping": nomap == "1",
                "inhibit_any_policy": noany == "1"}
        pols = []
        for p in pset.split():
            if p == "anyPolicy":
                continue
            if len(p) == 2 and p[0] == "P" and p[1] in "123456789":
                pols.append(NIST + p[1])
            else:
                raise ValueError(f"policy '{p}'")
        if pols:
            body["policies"] = pols
    except (OSError, ValueError) as e:
        print(f"bad\t{n}\t{tid} {name}: not in the PKITS data or not understood: {e}")
        continue
    with open(f"{tmp}/req/{n}.json", "w") as f:
        json.dump(body, f)
    what = f"{tid} {name} [policy-set {pset}, explicit {explicit}, no-mapping {nomap}, no-any {noany}]"
    print(f"case\t{n}\t{expected}\t{what}")
    if n > 1:
        cfg.write("next\n")
    cfg.write(f'url = "{url}/api/v1/verify/certificate"\n'
              f'header = "Authorization: Bearer {tok}"\n'
              f'header = "Content-Type: application/json"\n'
              f'data-binary = "@{tmp}/req/{n}.json"\n'
              f'output = "{tmp}/resp/{n}.json"\n'
              f'cacert = "{tmp}/tls.pem"\n'
              f'write-out = "{n} %{{http_code}}\\n"\n')
cfg.close()
PY
curl -sS -K "$T/curl.cfg" > "$T/codes" 2> "$T/curl.err" || { not_ok "curl ran every request"; show 5 "$T/curl.err"; }

ran=0
while IFS=$'\t' read -r kind n expected what; do
	if [ "$kind" = bad ]; then not_ok "$expected"; continue; fi
	ran=$((ran + 1))
	code=$(awk -v n="$n" '$1 == n { print $2 }' "$T/codes")
	got=$(jq -r 'if .valid == true then "valid" elif .valid == false then "invalid" else "none" end' "$T/resp/$n.json" 2>/dev/null) || got=none
	if [ "$code" != 200 ] || [ "$got" = none ]; then
		not_ok "$what: no verdict (HTTP $code)"; show 3 "$T/resp/$n.json"
	elif [ "$got" = "$expected" ]; then
		ok "$what: $got"
	else
		not_ok "$what: $got, the document says $expected"
		jq -c '.checks[0]' "$T/resp/$n.json" | show 3 /dev/stdin
	fi
done < "$T/cases"

want=$(grep -cv -e '^#' -e '^$' "$DATA")
if [ "$ran" -eq "$want" ] && [ "$want" -gt 0 ]; then
	ok "all $want PKITS cases of the data file ran through the service"
else
	not_ok "$ran PKITS cases ran through the service, the data file has $want"
fi
# the invalid verdicts say why: a rule that failed, with its reason
nofail=$(jq -s '[.[] | select(.valid == false and ([.checks[] | select(.result == "fail" and (.reason // "") != "")] | length == 0))] | length' "$T"/resp/*.json)
[ "$nofail" -eq 0 ] && ok "every invalid verdict names the failed rule and its reason" ||
	not_ok "$nofail invalid verdicts without a failed rule and reason"
stop_svs && ok "svs-server stops with exit 0" || not_ok "svs-server stops with exit 0"
finish
