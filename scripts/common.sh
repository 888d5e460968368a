# scripts/common.sh: installing what is missing and building (sourced by demo.sh and test.sh)

# (chromium and fonts-wqy-microhei, CJK glyphs for its screenshots: the
# officers' console in a browser, tests/integration/console_browser.sh)
GOVPKI_PACKAGES="bc build-essential autoconf automake libtool pkg-config
 libssl-dev openssl libsqlite3-dev sqlite3 libjansson-dev libmicrohttpd-dev
 libp11-dev libcmocka-dev libgnutls28-dev softhsm2 gnutls-bin curl python3 util-linux
 opensc libp11-kit-dev python3-pyasn1 python3-yaml python3-cryptography-vectors
 systemd certbot lego uacme dnsmasq-base jq libseccomp-dev p11-kit-modules
 postgresql libpq-dev
 scep strongswan-pki libstrongswan-standard-plugins libstrongswan-extra-plugins certmonger
 chromium fonts-wqy-microhei
 libcurl4-openssl-dev"

# what the benchmarks (make bench) need beside: scripts/bench.sh installs it
GOVPKI_BENCH_PACKAGES="time wrk nginx-light"

# Installs the Debian packages of $GOVPKI_PACKAGES (and any given) that are missing.
need_packages() {
	local missing=() p
	for p in $GOVPKI_PACKAGES "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
	done
	# Node.js runs sm-crypto, an independent SM2 check: Debian's unless
	# a node and npm are there already (from NodeSource, say)
	command -v node >/dev/null && command -v npm >/dev/null || missing+=(nodejs npm)
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "== installing: ${missing[*]}"
	if [ "$(id -u)" -ne 0 ]; then
		echo "missing packages and not root: run as root, or apt-get install ${missing[*]}" >&2
		return 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The npm packages the tests use, in GOVPKI_NPM_CACHE, where
# tests/integration/lib.sh looks for them (make check installs nothing):
# sm-crypto, the SM2/SM3 implementation independent of OpenSSL that SM2
# signatures are checked with, and swagger-parser, which validates
# docs/ra-api.yaml against the OpenAPI schema (tests/openapi.sh), and
# playwright-core, which drives Debian's chromium through the officers'
# console (tests/integration/console_browser.sh; clientCertificates since 1.46).
export GOVPKI_NPM_CACHE=${GOVPKI_NPM_CACHE:-$HOME/.cache/govpki-npm}
GOVPKI_NPM_PACKAGES="sm-crypto@0.5.8 @apidevtools/swagger-parser@10.1.1 playwright-core@1.65.2"
need_npm() {
	local missing=() p
	for p in $GOVPKI_NPM_PACKAGES; do
		[ -d "$GOVPKI_NPM_CACHE/node_modules/${p%@*}" ] || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	echo "== installing ${missing[*]} (npm) into $GOVPKI_NPM_CACHE"
	npm install --prefix "$GOVPKI_NPM_CACHE" --no-audit --no-fund "${missing[@]}" >/dev/null && return 0
	echo "npm could not install ${missing[*]}: the checks that need them skip" >&2
	return 1
}

# build DIR [configure flags...]: an out-of-tree build of the source tree in DIR
build() {
	local dir=$1; shift
	local src; src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	if [ ! -x "$src/configure" ] || [ "$src/configure.ac" -nt "$src/configure" ]; then
		(cd "$src" && autoreconf -fi >/dev/null 2>&1) || { echo "autoreconf failed" >&2; return 1; }
	fi
	mkdir -p "$dir"
	(cd "$dir" &&
		{ [ -f Makefile ] && [ config.status -nt "$src/configure" ] || "$src/configure" -q "$@"; } &&
		make -s -j"$(nproc)" all >/dev/null)
}
