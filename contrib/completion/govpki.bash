# bash completion for ca-tool and seal-tool (installed by make install as
# PREFIX/share/bash-completion/completions/ca-tool and .../seal-tool).
#
# It reads what it completes from the programs' own --help, so it knows
# every command and option the installed version has: commands from the
# "Commands:" list, options from "TOOL COMMAND --help", and an option's
# values from its placeholder there (a|b|c lists its choices; FILE, DIR, F,
# CERT, a name ending in .pem and the like complete file names).

# _govpki_help TOOL [ARGS...]: TOOL's help text (on stdout or stderr)
_govpki_help() {
	"$@" --help 2>&1
}

# _govpki_commands TOOL: the command names of TOOL --help's "Commands:" list
# (each one that TOOL NAME --help accepts: a line of prose is no command)
_govpki_commands() {
	local w
	for w in $(_govpki_command_words "$1"); do
		"$1" "$w" --help >/dev/null 2>&1 && printf '%s\n' "$w"
	done
}

_govpki_command_words() {
	_govpki_help "$1" | awk '
		/^Commands:/ { on = 1; next }
		on && /^$/ { exit }
		on && match($0, /^  [a-z][a-z0-9-]*(  +[a-z]| --| \[| [A-Z][A-Z]|$)/) {
			w = substr($0, 3); sub(/[ \t].*/, "", w); print w
		}'
}

# _govpki_subcommands TOOL COMMAND HELP: the words that follow COMMAND in
# its usage lines ("usage: ca-tool officer add ...", "| officer enable ...")
_govpki_subcommands() {
	{
		grep -E "^(usage:)? *$1 $2 [a-z]" <<<"$3" | grep -oE "$1 $2 [a-z][a-z0-9-]*" | awk '{ print $3 }'
		grep -oE "[|] $2 [a-z][a-z0-9-]*" <<<"$3" | awk '{ print $3 }'
	} | sort -u
}

# _govpki_arg HELP OPTION: the placeholder that follows OPTION in HELP, or
# nothing when OPTION takes no value
_govpki_arg() {
	local re="(^|[[ |])$2 [^- ][^] ]*"
	[[ $1 =~ $re ]] || return 0
	local m=${BASH_REMATCH[0]}
	m=${m#*"$2 "}
	printf '%s\n' "${m%%]*}"
}

_govpki() {
	local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
	local tool=${COMP_WORDS[0]} cmd="" i w help arg
	# the global options that take a value (their value is no command)
	local globals_with_arg=" --config --home --pass-file --pin-file "
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		if [[ $globals_with_arg == *" $w "* ]]; then
			((i++))
		elif [[ $w != -* ]]; then
			cmd=$w
			break
		fi
	done
	COMPREPLY=()
	if [[ -z $cmd ]]; then
		help=$(_govpki_help "$tool")
	else
		help=$(_govpki_help "$tool" "$cmd")
	fi
	if [[ $prev == --* ]]; then
		arg=$(_govpki_arg "$help" "$prev")
		if [[ -z $arg && -n $cmd ]]; then
			arg=$(_govpki_arg "$(_govpki_help "$tool")" "$prev")
		fi
		if [[ $prev == --reason ]]; then
			# RFC 5280 5.3.1, as ca-tool revoke --help lists them
			arg="unspecified|keyCompromise|cACompromise|affiliationChanged|superseded|cessationOfOperation|certificateHold|privilegeWithdrawn|aACompromise|removeFromCRL"
		fi
		case $arg in
		*FILE* | F | DIR* | *CERT* | ROOTS* | CSR* | *.pem | LIST | DATA)
			mapfile -t COMPREPLY < <(compgen -f -- "$cur")
			compopt -o filenames 2>/dev/null
			return 0 ;;
		*"|"*)
			# choices: good|revoked|hold, PNG|JPG|GIF; in URL|aia the
			# upper-case word is a placeholder, not a choice
			local words="${arg//|/ }" choice keep=""
			if [[ $arg == *[a-z]* ]]; then
				for choice in $words; do [[ $choice == *[a-z]* ]] && keep+=" $choice"; done
				words=$keep
			fi
			mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
			return 0 ;;
		?*)
			return 0 ;;  # a value to type: NAME, N, HEX, TIME
		esac
	fi
	if [[ -z $cmd && $cur != -* ]]; then
		mapfile -t COMPREPLY < <(compgen -W "$(_govpki_commands "$tool")" -- "$cur")
	elif [[ $prev == "$cmd" && $cur != -* ]] && [[ -n $(_govpki_subcommands "$tool" "$cmd" "$help") ]]; then
		# officer add|list|disable|enable, token create, ...
		mapfile -t COMPREPLY < <(compgen -W "$(_govpki_subcommands "$tool" "$cmd" "$help")" -- "$cur")
	elif [[ $cur == -* ]]; then
		local opts
		opts=$(grep -o -- '--[a-z][a-z0-9-]*' <<<"$help" | sort -u)
		mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
	else
		mapfile -t COMPREPLY < <(compgen -f -- "$cur")
		compopt -o filenames 2>/dev/null
	fi
	return 0
}
complete -F _govpki ca-tool seal-tool
