# bash completion for tcptop and tcpconnlat (tcptools).
#
# Installed as completions/tcptop, with completions/tcpconnlat a link to it
# (bash-completion loads a command's file on first use); sourcing it
# defines both. Needs only bash: bash-completion's helpers are not used.
#
# Each tool is two tables: the options that take no value, and the options
# that take one, with what completes it: pid (a process id), path (a file),
# dir (a directory), word (anything: nothing offered) or the choices
# themselves. A new option is one entry in one of them.

_tcptools_tcptop_flags='-h --help -C --noclear -S --nosummary -4 --ipv4
	-6 --ipv6 -j --json --no-cache -v --verbose --ebpf'
declare -gA _tcptools_tcptop_args=(
	[-p]=pid [--pid]=pid
	[--cgroupmap]=path [--mntnsmap]=path
	[-c]=dir [--cgroup]=dir
	[-s]='all sent received' [--sort]='all sent received'
	[-r]=word [--rows]=word
	[--attach]='auto kprobe tracepoint fentry'
)

_tcptools_tcpconnlat_flags='-h --help -t --timestamp -L --lport -j --json
	--failed -4 --ipv4 -6 --ipv6 -v --verbose --no-cache --ebpf'
declare -gA _tcptools_tcpconnlat_args=(
	[-p]=pid [--pid]=pid
	[--attach]='auto kprobe tracepoint fentry'
)

# Complete the value of an option of kind $1 from word $2.
_tcptools_value()
{
	local kind=$1 cur=$2
	case $kind in
	pid)
		local p pids=()
		for p in /proc/[0-9]*; do
			pids+=("${p#/proc/}")
		done
		COMPREPLY=($(compgen -W "${pids[*]}" -- "$cur"))
		;;
	path)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -f -- "$cur"))
		;;
	dir)
		compopt -o filenames 2>/dev/null
		COMPREPLY=($(compgen -d -- "$cur"))
		;;
	word)
		COMPREPLY=()
		;;
	*)
		COMPREPLY=($(compgen -W "$kind" -- "$cur"))
		;;
	esac
}

_tcptools()
{
	local tool=${1##*/} cur=${COMP_WORDS[COMP_CWORD]} prev= opt
	local -n args=_tcptools_${tool}_args
	local -n flags=_tcptools_${tool}_flags
	[ "$COMP_CWORD" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}

	# --opt=value: bash splits it into "--opt", "=", "value".
	if [ "$cur" = "=" ]; then
		prev=${COMP_WORDS[COMP_CWORD-1]}
		cur=
	elif [ "$prev" = "=" ] && [ "$COMP_CWORD" -gt 1 ]; then
		prev=${COMP_WORDS[COMP_CWORD-2]}
	fi
	opt=$prev
	# Bundled short options (-Cp PID): the last one takes the value.
	case $opt in
	--*) ;;
	-?*) opt=-${opt: -1} ;;
	esac
	if [ -n "$opt" ] && [ -n "${args[$opt]+set}" ]; then
		_tcptools_value "${args[$opt]}" "$cur"
		return 0
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags ${!args[*]}" -- "$cur"))
	fi
	return 0
}

complete -F _tcptools tcptop tcpconnlat
