# scripts/common.sh: installing what is missing and building (sourced by demo.sh and test.sh)

GOVPKI_PACKAGES="bc build-essential autoconf automake libtool pkg-config
 libssl-dev openssl libsqlite3-dev sqlite3 libjansson-dev libmicrohttpd-dev
 libp11-dev libcmocka-dev libgnutls28-dev softhsm2 gnutls-bin curl python3 util-linux
 opensc libp11-kit-dev python3-pyasn1 python3-yaml"

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
