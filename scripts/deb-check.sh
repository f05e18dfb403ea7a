#!/usr/bin/env bash
# deb-check.sh: make deb-check. Builds the Debian package from this tree
# (a copy of it, so build/ is untouched), runs lintian on it (no errors; a
# warning fails unless debian/ overrides and explains it), installs it with
# apt, and checks the installed tools: --ebpf, a live `tcptop 1 1` that sees
# loopback traffic, tcpconnlat --ebpf, man -w for both pages, bash
# completion loaded on demand for both, the example sessions. Then purges the package and checks
# that nothing is left: not a file it installed, not its dpkg state, not
# the program cache the tools made in /var/cache/tcptools.
#
# Leaves the system as it found it: refuses to run when tcptools is already
# installed, and puts back a /var/cache/tcptools that existed before. Needs
# root and what scripts/setup.sh installs; never skips (a missing tool is a
# failure). A minute or two.
set -euo pipefail

say() { printf 'deb-check: %s\n' "$*" >&2; }
fail() { say "FAIL: $*"; exit 1; }

root=$(cd "$(dirname "$0")/.." && pwd)
cache=/var/cache/tcptools
[ "$(id -u)" -eq 0 ] || fail "must run as root (apt installs the package)"
for c in dpkg-buildpackage dh lintian apt-get man bash; do
	command -v "$c" >/dev/null || fail "$c is missing: run scripts/setup.sh"
done
[ -r /usr/share/bash-completion/bash_completion ] ||
	fail "bash-completion is missing: run scripts/setup.sh"
if dpkg-query -W -f='${Status}' tcptools 2>/dev/null | grep -qv 'not-installed'; then
	fail "tcptools is installed already: purge it first (apt-get purge tcptools)"
fi

# The package's version is the tools' (Makefile VERSION), Debian revision 1+.
version=$(sed -n 's/^VERSION = //p' "$root/Makefile")
deb_version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
[ "${deb_version%-*}" = "$version" ] ||
	fail "debian/changelog is $deb_version, the Makefile's VERSION $version"

work=$(mktemp -d /tmp/deb-check.XXXXXX)
installed=
stash=
cleanup() {
	if [ -n "$installed" ]; then
		apt-get purge -y -qq tcptools >/dev/null 2>&1 || true
	fi
	if [ -n "$stash" ]; then
		rm -rf "$cache"
		mv "$stash/tcptools" "$cache"
	fi
	rm -rf "$work"
}
trap cleanup EXIT
if [ -e "$cache" ]; then
	stash=$work/stash
	mkdir "$stash"
	mv "$cache" "$stash/tcptools"
fi

say "building the package (dpkg-buildpackage -us -uc -b)"
mkdir "$work/src"
(cd "$root" && git ls-files -co --exclude-standard -z |
	tar -cf - --null -T -) | tar -xf - -C "$work/src"
# No -dbgsym package: it is not installed here.
(cd "$work/src" && DEB_BUILD_OPTIONS=noddebs dpkg-buildpackage -us -uc -b \
	>"$work/build.log" 2>&1) || { tail -40 "$work/build.log"; fail "dpkg-buildpackage"; }
deb=$(ls "$work"/tcptools_"$deb_version"_*.deb)

say "lintian"
lintian --allow-root --fail-on error,warning "$work"/tcptools_*.changes ||
	fail "lintian: fix, or override and explain in debian/tcptools.lintian-overrides"

say "installing $(basename "$deb")"
installed=1
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
	"$deb" >"$work/apt.log" 2>&1 || { cat "$work/apt.log"; fail "apt-get install"; }
files=$(dpkg -L tcptools)

[ "$(command -v tcptop)" = /usr/sbin/tcptop ] || fail "tcptop is not /usr/sbin/tcptop"
[ "$(command -v tcpconnlat)" = /usr/sbin/tcpconnlat ] ||
	fail "tcpconnlat is not /usr/sbin/tcpconnlat"
tcptop --ebpf >"$work/ebpf" 2>/dev/null && grep -q 'BPF_' "$work/ebpf" ||
	fail "tcptop --ebpf"
tcpconnlat --ebpf >"$work/ebpf" 2>/dev/null && grep -q 'BPF_' "$work/ebpf" ||
	fail "tcpconnlat --ebpf"
for t in tcptop tcpconnlat; do
	[ "$(man -w "$t")" = "/usr/share/man/man8/$t.8.gz" ] ||
		fail "man -w $t: $(man -w "$t" 2>&1)"
	man "$t" 2>/dev/null | grep -q '^OVERHEAD' || fail "man $t does not render"
done
# Completion as bash-completion loads it on first use, then driven: the
# --attach choice that "tr" completes to.
for t in tcptop tcpconnlat; do
	got=$(bash -c 'source /usr/share/bash-completion/bash_completion
		__load_completion "$1" || exit 1
		COMP_WORDS=("$1" --attach tr) COMP_CWORD=2
		$(complete -p "$1" | sed "s/.*-F \([^ ]*\) .*/\1/") "$1" tr --attach
		echo "${COMPREPLY[*]}"' bash "$t")
	[ "$got" = tracepoint ] || fail "bash completion of $t --attach tr: '$got'"
done
for t in tcptop tcpconnlat; do
	ls /usr/share/doc/tcptools/"$t"_example.txt* >/dev/null 2>&1 ||
		fail "no ${t}_example.txt in /usr/share/doc/tcptools"
done

say "live: tcptop 1 1 during loopback traffic"
plan='{"tag": "debchk", "pairs": [{"kind": "rpc", "conns": [{"fam": 4}],
	"msgs": [{"size": 65536, "reply": 65536}], "rounds": 100000,
	"duration": 30, "gap": 0.02}], "timeout": 60}'
/usr/bin/python3 "$root/tests/traffic.py" "$plan" >"$work/traffic" 2>&1 &
traffic=$!
for _ in $(seq 100); do
	grep -q '^READY' "$work/traffic" && break
	sleep 0.1
done
grep -q '^READY' "$work/traffic" || { kill "$traffic"; fail "traffic: $(cat "$work/traffic")"; }
timeout 60 tcptop -C 1 1 >"$work/tcptop" 2>&1 || status=$?
kill "$traffic" 2>/dev/null || true
wait "$traffic" 2>/dev/null || true
[ "${status:-0}" -eq 0 ] || { cat "$work/tcptop"; fail "tcptop 1 1: exit ${status}"; }
grep -q ' debchkc0 .*127\.0\.0\.1:' "$work/tcptop" ||
	{ cat "$work/tcptop"; fail "tcptop 1 1 did not show the traffic"; }
[ -d "$cache" ] || fail "tcptop made no program cache in $cache"

say "purging"
DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq tcptools >"$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log"; fail "apt-get purge"; }
installed=
! dpkg-query -W -f='${Status}' tcptools 2>/dev/null | grep -qv 'not-installed' ||
	fail "tcptools still known to dpkg: $(dpkg-query -W -f='${Status}' tcptools)"
left=
while read -r f; do
	# Directories are shared (/usr/sbin); a package's own ones must go.
	if [ -e "$f" ] || [ -L "$f" ]; then
		[ -d "$f" ] && [ ! -L "$f" ] && [ "${f#/usr/share/doc/tcptools}" = "$f" ] &&
			continue
		left="$left $f"
	fi
done <<<"$files"
[ -z "$left" ] || fail "left behind:$left"
[ ! -e "$cache" ] || fail "left behind: $cache"
say "ok: $(basename "$deb") builds, passes lintian, installs, works, purges clean"
