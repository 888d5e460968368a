#!/bin/bash
# tests/example.sh: a program of one's own builds against libgovpki as
# installed, through pkg-config, and works: docs/examples/issue.c is
# compiled with the installed headers and govpki.pc (make install into a
# scratch DESTDIR), makes a root and an issuing CA, issues a tls-server
# certificate that openssl verify accepts, and fails cleanly on bad input.
set -u -o pipefail
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
. "$top_srcdir/tests/tap.sh"
T=$(mktemp -d) && trap 'rm -rf "$T"' EXIT
root=$T/root
if make -s -C "$top_builddir" install DESTDIR="$root" > "$T/install.log" 2>&1; then
	ok "make install into a scratch DESTDIR"
else
	not_ok "make install into a scratch DESTDIR"; sed -n '1,10s/^/#   /p' "$T/install.log"; finish
fi
libdir=$(sed -n 's/^libdir=//p' "$top_builddir/lib/govpki.pc")
prefix=$(sed -n 's/^prefix=//p' "$top_builddir/lib/govpki.pc")
libdir=${libdir//\$\{prefix\}/$prefix} libdir=${libdir//\$\{exec_prefix\}/$prefix}
[ -f "$root$prefix/share/man/man3/govpki.3" ] && ok "govpki(3) is installed" || not_ok "govpki(3) is installed"
export PKG_CONFIG_SYSROOT_DIR=$root PKG_CONFIG_PATH=$root$libdir/pkgconfig
if flags=$(pkg-config --cflags --libs govpki 2>"$T/pc.err"); then
	ok "pkg-config finds the installed govpki.pc ($(pkg-config --modversion govpki))"
else
	not_ok "pkg-config finds the installed govpki.pc"; sed 's/^/#   /' "$T/pc.err"; finish
fi
[[ $flags == *"-I$root"* && $flags == *"-L$root"* ]] && ok "... and points into the installed tree" ||
	not_ok "... and points into the installed tree ($flags)"
# strict C11 with the installed headers only; the flags of a sanitizer
# build (GP_LDFLAGS from make) so that the program links with that library
# shellcheck disable=SC2086
if ${CC:-cc} -std=c11 -Wall -Wextra -Wpedantic -Werror ${GP_LDFLAGS:-} \
    "$top_srcdir/docs/examples/issue.c" $flags -o "$T/issue" 2>"$T/cc.err"; then
	ok "docs/examples/issue.c builds with -std=c11 -Wpedantic -Werror"
else
	not_ok "docs/examples/issue.c builds"; sed -n '1,10s/^/#   /p' "$T/cc.err"; finish
fi
export LD_LIBRARY_PATH=$root$libdir GOVPKI_PASSPHRASE=example-passphrase-1
ldd "$T/issue" > "$T/ldd" 2>&1
grep -q "libgovpki.so.* => $root$libdir/" "$T/ldd" && ok "it runs with the installed libgovpki" ||
	{ not_ok "it runs with the installed libgovpki"; sed 's/^/#   /' "$T/ldd"; }

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout "$T/k.pem" \
	-subj "/C=CN/O=Example City/CN=www.example.gov.cn" -addext "subjectAltName=DNS:www.example.gov.cn" \
	-out "$T/req.csr" 2>/dev/null
if "$T/issue" "$T/home" "$T/req.csr" "$T/cert.pem" "$T/chain.pem" > "$T/out" 2>&1; then
	ok "the example issues a certificate"
else
	not_ok "the example issues a certificate"; sed 's/^/#   /' "$T/out"; finish
fi
grep -qx "libgovpki $(pkg-config --modversion govpki) (headers $(pkg-config --modversion govpki))" "$T/out" &&
	ok "gp_version() and GP_VERSION_STRING are the installed version" ||
	{ not_ok "gp_version() and GP_VERSION_STRING are the installed version"; sed -n '1s/^/#   /p' "$T/out"; }
# the chain is issuing then root (ca.h): split it for openssl
if T=$T awk '/BEGIN CERT/ { n++ } { print > (ENVIRON["T"] "/ca" n ".pem") }' "$T/chain.pem" &&
    openssl verify -x509_strict -purpose sslserver -CAfile "$T/ca2.pem" -untrusted "$T/ca1.pem" \
    "$T/cert.pem" > "$T/verify" 2>&1; then
	ok "openssl verify -x509_strict -purpose sslserver accepts it"
else
	not_ok "openssl verify -x509_strict -purpose sslserver accepts it"; sed 's/^/#   /' "$T/verify"
fi
openssl x509 -in "$T/cert.pem" -noout -subject -nameopt RFC2253 > "$T/subj"
grep -q "CN=www.example.gov.cn" "$T/subj" && ok "... for www.example.gov.cn" || not_ok "... for www.example.gov.cn"

# bad input: a clear message, exit 1, no file written
printf 'not a CSR\n' > "$T/bad.csr"
rm -f "$T/cert2.pem"
if "$T/issue" "$T/home2" "$T/bad.csr" "$T/cert2.pem" "$T/chain2.pem" > "$T/out" 2>&1; then
	not_ok "a garbage CSR is refused (it succeeded)"
else
	ok "a garbage CSR is refused (exit $?)"
fi
grep -qi "csr\|request\|PEM\|DER" "$T/out" && ok "... saying why" || { not_ok "... saying why"; sed 's/^/#   /' "$T/out"; }
[ ! -e "$T/cert2.pem" ] && ok "... and writes no certificate" || not_ok "... and writes no certificate"
if GOVPKI_PASSPHRASE= "$T/issue" 2>/dev/null; then not_ok "no arguments: usage (it succeeded)"; else
	[ $? -eq 2 ] && ok "no arguments: exit 2" || not_ok "no arguments: exit 2"; fi
finish
