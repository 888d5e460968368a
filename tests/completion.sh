#!/bin/bash
# tests/completion.sh: contrib/completion/govpki.bash completes what the
# programs as built accept. Each line of the table below is a command line
# (the word being completed last, maybe empty) and the completions bash must
# offer, written here from the programs' documented commands and options.
set -u -o pipefail
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
PATH=$top_builddir:$PATH
. "$top_srcdir/tests/tap.sh"
# shellcheck source=../contrib/completion/govpki.bash
. "$top_srcdir/contrib/completion/govpki.bash"
complete -p ca-tool seal-tool > /dev/null && ok "ca-tool and seal-tool are completed by it" ||
	not_ok "ca-tool and seal-tool are completed by it"
T=$(mktemp -d) && trap 'rm -rf "$T"' EXIT
touch "$T/req.csr" "$T/req.pem"
# completes LINE: the completions bash offers for LINE (words split on
# spaces; a trailing space starts an empty word). Rows name a few letters
# of a command, not the whole list, so that a new command needs no change here, sorted, on one line
completes() {
	local -a words
	read -r -a words <<<"$1"
	[[ $1 == *" " ]] && words+=("")
	COMP_WORDS=("${words[@]}")
	COMP_CWORD=$((${#words[@]} - 1))
	COMPREPLY=()
	_govpki
	printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' ' | sed 's/ $//'
}
while IFS='|' read -r line want; do
	[ -z "$line" ] && continue
	line=${line//\$T/$T} want=${want//\$T/$T}
	got=$(completes "$line")
	[ "$got" = "$want" ] && ok "'$line' completes to: $want" || not_ok "'$line' completes to: $want (got: $got)"
done <<'TABLE'
ca-tool c|ceremony cmp config crl csr
ca-tool config |check show
ca-tool e|est export
ca-tool i|import-ca import-crl init issue
ca-tool --home /tmp o|ocsp officer
ca-tool --json re|restore retire revoke
ca-tool officer |add disable enable list
ca-tool token |create list revoke
ca-tool officer add --role |admin auditor officer
ca-tool issue --c|--ca --csr
ca-tool issue --csr $T/req.|$T/req.csr $T/req.pem
ca-tool list --status |good hold revoked
ca-tool revoke --reason c|cACompromise certificateHold cessationOfOperation
ca-tool revoke --serial |
ca-tool --conf|--config
seal-tool ca|cades-sign cades-verify
seal-tool m|make
seal-tool e|
seal-tool make --image-type |BMP GIF JPG PNG SVG
seal-tool make --type |official personal
seal-tool verify --ocsp |aia
seal-tool sign --se|--seal
TABLE
finish
