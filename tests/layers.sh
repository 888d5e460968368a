#!/bin/bash
# tests/layers.sh: the layer rules (DESIGN.md "Layers", docs/design-notes.md) hold, read from the #include lines
#
# Which file is a program's and which the library's comes from the build
# itself: the _SOURCES of bin_PROGRAMS and sbin_PROGRAMS in Makefile.am and
# the Makefile.inc files; every other .c/.h under lib/ ca/ ocsp/ seal/ ra/
# tools/ and include/govpki/ is the library's.  Rules:
#  - the modules sit in layers, lib (0) < signer (1) < ca (2) < ocsp, seal (3) < ra (4)
#    (the CA asks ca-signer for what its key signs when the key is the signer's):
#    a library file includes public headers (include/govpki/) of its own
#    module or of a lower layer only, so lib/ includes nothing of ca/, ocsp/,
#    seal/, ra/;
#  - a library file includes private headers of its own folder, of lib/
#    (the foundation's internal API), and of ca/ only ca/ca_lib.h;
#  - no library file includes a program's header;
#  - a program file includes only include/govpki/ and the headers listed in
#    its own program's _SOURCES (and the generated config.h), and a program
#    linked with the static core the lib/ headers core_private gives it.
# System headers (<...> outside govpki/) are not looked at.  Prints TAP.
set -u -o pipefail
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
cd "$top_srcdir" || exit 1

# "NAME WORD" for each word of every NAME_SOURCES, and "PROGRAM NAME" for
# each program, from the automake files (continuation lines joined)
mk_words() {
	awk '
	/^[ \t]*#/ { next }
	{
		line = $0
		while (line ~ /\\$/ && (getline nxt) > 0) { sub(/\\$/, " ", line); line = line nxt }
		if (line ~ /^[A-Za-z0-9_]+_SOURCES[ \t]*\+?=/) {
			name = line; sub(/_SOURCES.*/, "", name)
			rest = line; sub(/^[^=]*=/, "", rest)
			n = split(rest, w); for (i = 1; i <= n; i++) print name, w[i]
		} else if (line ~ /^s?bin_PROGRAMS[ \t]*\+?=/) {
			rest = line; sub(/^[^=]*=/, "", rest)
			n = split(rest, w); for (i = 1; i <= n; i++) print "PROGRAM", w[i]
		}
	}' Makefile.am ./*/Makefile.inc tests/*.inc
}

declare -A is_prog=() prog_of=() prog_has=() rank=() owner=()
rank=([lib]=0 [signer]=1 [ca]=2 [ocsp]=3 [seal]=3 [ra]=4 [all]=5)
# the module each public header belongs to (govpki.h: all of them)
owner=([error]=lib [mem]=lib [export]=lib [version]=lib [store]=lib [audit]=lib [key]=lib [x509util]=lib
	[config]=lib [acme]=lib [backup]=lib [kmc]=lib [signer]=signer [ca]=ca [profile]=ca [verify]=ca [ocsp]=ocsp [seal]=seal [ra]=ra [cmp]=ra
	[govpki]=all)

# breaks still being mended (issue 11.1: the RA, seal and OCSP records still
# sit in lib/ until each module registers its own): "FILE|HEADER", reported
# as TODO, not failed; this list only shrinks
pending=" lib/store_ocsp_int.h|include/govpki/ocsp.h lib/store_ra_int.h|include/govpki/ra.h
	lib/store_seal_int.h|include/govpki/seal.h "

words=$(mk_words)
programs=$(awk '$1 == "PROGRAM" { gsub(/[^A-Za-z0-9_]/, "_", $2); print $2 }' <<<"$words")
for p in $programs; do
	for f in $(awk -v p="$p" '$1 == p { print $2 }' <<<"$words"); do
		is_prog[$f]=1
		prog_of[$f]="${prog_of[$f]:-} $p"
		prog_has["$p|$f"]=1
	done
done

# programs linked with the library's static core (libgovpki_core.la), and
# the private headers of lib/ each may use: ca-signer speaks the signer
# protocol with the library's own framing (lib/signer_proto.h), which
# libgovpki.so does not export
declare -A core_private=([ca_signer]="lib/signer_proto.h")

n=0 bad=0
fail() { bad=$((bad + 1)); echo "not ok $n - $1"; }

# the folder-relative path a quoted include of file f names, or "" when it
# is nowhere (only config.h, which configure writes, may be)
resolve() {
	local f=$1 inc=$2 d c
	for d in "$(dirname "$f")" include lib tools; do
		c=$d/$inc
		if [ -f "$c" ]; then realpath -m --relative-to=. "$c"; return; fi
	done
}

# layer of a library file, from its folder (a public header: its module)
layer_of() {
	case $1 in
	include/govpki/*) local b=${1##*/}; echo "${owner[${b%.h}]:-unknown}" ;;
	*) echo "${1%%/*}" ;;
	esac
}

files=$(ls lib/*.[ch] signer/*.[ch] ca/*.[ch] ocsp/*.[ch] seal/*.[ch] ra/*.[ch] tools/*.[ch] include/govpki/*.h 2>/dev/null)
for f in $files; do
	n=$((n + 1))
	errs=()
	if [ -n "${is_prog[$f]:-}" ]; then
		kind=program
	else
		kind=library
		F=$(layer_of "$f")
		if [ -z "${rank[$F]:-}" ]; then
			fail "$f: not in a known module (add it to tests/layers.sh)"; continue
		fi
	fi
	while IFS= read -r line; do
		q=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' <<<"$line")
		a=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*<\(govpki\/[^>]*\)>.*/\1/p' <<<"$line")
		if [ -n "$q" ]; then
			[ "$q" = config.h ] && continue
			t=$(resolve "$f" "$q")
			if [ -z "$t" ]; then errs+=("\"$q\" is in no folder"); continue; fi
		elif [ -n "$a" ]; then
			t=include/$a
		else
			continue
		fi
		if [ "$kind" = program ]; then
			case $t in include/govpki/*) continue ;; esac
			ok=
			for p in ${prog_of[$f]}; do
				[ -n "${prog_has["$p|$t"]:-}" ] && ok=1
				case " ${core_private[$p]:-} " in *" $t "*) ok=1 ;; esac
			done
			[ -n "$ok" ] || errs+=("includes $t: a program includes only include/govpki/ and its own headers")
			continue
		fi
		# a library file
		if [ -n "${is_prog[$t]:-}" ]; then
			errs+=("includes $t, a program's header")
			continue
		fi
		G=$(layer_of "$t")
		case $pending in *[[:space:]]"$f|$t"[[:space:]]*) echo "# TODO $f includes $t"; continue ;; esac
		case $t in
		include/govpki/*)
			[ "$G" = "$F" ] || { [ "${rank[$G]:-9}" -lt "${rank[$F]}" ] && [ "$G" != all ]; } ||
				errs+=("includes $t: module $F may not use module $G")
			;;
		*)
			[ "$G" = "$F" ] || [ "$G" = lib ] || { [ "$t" = ca/ca_lib.h ] && [ "${rank[$F]}" -gt "${rank[ca]}" ]; } ||
				errs+=("includes $t: another module's private header (ca/ca_lib.h is ca/'s API for the modules above it)")
			;;
		esac
	done < <(grep -E '^[[:space:]]*#[[:space:]]*include' "$f")
	if [ ${#errs[@]} -eq 0 ]; then
		echo "ok $n - $f ($kind)"
	else
		fail "$f ($kind)"
		printf '#   %s\n' "${errs[@]}"
	fi
done
[ -n "$programs" ] || { n=$((n + 1)); fail "found no program in Makefile.am"; }
echo "1..$n"
echo "# $n files, $bad break a layer rule"
[ "$bad" -eq 0 ]
