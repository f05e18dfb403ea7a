#!/bin/bash
# tests/vm/run.sh KVER RESULTS_DIR TIMEOUT_S -- CMD [ARG...]
#
# Runs CMD inside a qemu VM booted from Debian kernel /boot/vmlinuz-KVER with
# the host's root filesystem (read-only, tmpfs overlay on top), in the current
# directory, and exits with CMD's exit status.  RESULTS_DIR (created; shared
# read-write with the guest at /mnt/vmresults) ends up holding:
#   console.log  the whole serial console     output.log  CMD's stdout+stderr
#   status       CMD's exit status            entry       guest uptime at entry
# Exit status: CMD's; 124 when TIMEOUT_S passed first; 125 when the VM did
# not get as far as running CMD (no kernel, init failure, early power off).
# VM_ACCEL=kvm|tcg skips kvm-probe.sh; VM_KERNEL_ARGS adds kernel parameters.
# Example, from the repo root:
#   tests/vm/run.sh 6.1.0-57-amd64 build/vm/r61 600 -- build/tcptop -C 1 1
set -u
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
die() { echo "run.sh: $*" >&2; exit 125; }

[ $# -ge 5 ] && [ "$4" = "--" ] || {
	echo "usage: run.sh KVER RESULTS_DIR TIMEOUT_S -- CMD [ARG...]" >&2; exit 2; }
KVER=$1 RESDIR=$2 TIMEOUT=$3
shift 4
case $TIMEOUT in ''|*[!0-9]*) die "TIMEOUT_S must be whole seconds, not '$TIMEOUT'" ;; esac
[ -f "/boot/vmlinuz-$KVER" ] || die "no kernel /boot/vmlinuz-$KVER (installed: $(cd /boot && echo vmlinuz-* | sed 's/vmlinuz-//g'))"
[ -f "/lib/modules/$KVER/modules.dep" ] || die "no /lib/modules/$KVER/modules.dep for kernel $KVER"
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
mkdir -p "$RESDIR" && RES=$(cd "$RESDIR" && pwd) || die "cannot create $RESDIR"

# The initramfs depends only on the kernel's modules and on initramfs.sh
# (which also holds /init): rebuild when either is newer.
INITRD=$TOP/build/vm/initramfs-$KVER.cpio.gz
if [ ! -s "$INITRD" ] || [ "/lib/modules/$KVER/modules.dep" -nt "$INITRD" ] \
	|| [ "$HERE/initramfs.sh" -nt "$INITRD" ]; then
	sh "$HERE/initramfs.sh" "$KVER" "$INITRD" >&2 || die "initramfs build failed"
fi

# Hand the command to the guest through the results share: NUL-separated
# argv, so arguments with spaces, quotes or newlines arrive intact.
rm -f "$RES/cmd" "$RES/cwd" "$RES/status" "$RES/entry" "$RES/output.log" "$RES/console.log"
printf '%s\0' "$@" > "$RES/cmd"
pwd > "$RES/cwd"

ACCEL=$(sh "$HERE/kvm-probe.sh" "$KVER")
echo "run.sh: booting $KVER ($ACCEL, timeout ${TIMEOUT}s), results in $RES" >&2
t0=$(date +%s.%N)
sh "$HERE/qemu.sh" "$KVER" "$INITRD" "$RES" "$RES/console.log" "$TIMEOUT" "$ACCEL" \
	"vm.entry=$HERE/guest.sh" ${VM_KERNEL_ARGS:-}
qrc=$?
t1=$(date +%s.%N)

# Boot-to-entry on the host clock: the guest writes `entry` first thing.
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }
boot='?'; [ -f "$RES/entry" ] && boot=$(sub "$(stat -c %.3Y "$RES/entry")" "$t0")
total=$(sub "$t1" "$t0")
echo "run.sh: $KVER $ACCEL: boot-to-entry ${boot}s (guest uptime $(cat "$RES/entry" 2>/dev/null || echo ?)s), whole run ${total}s, qemu exit $qrc" >&2

if [ -s "$RES/status" ]; then
	rc=$(cat "$RES/status")
	echo "run.sh: guest command exited $rc" >&2
	exit "$rc"
fi
why="the VM stopped before the command finished (qemu exit $qrc)"
[ "$qrc" = 124 ] && why="timeout: killed qemu after ${TIMEOUT}s"
grep -q 'VM-INIT-FAIL' "$RES/console.log" 2>/dev/null && why="initramfs failed: $(grep -m1 -o 'VM-INIT-FAIL.*' "$RES/console.log")"
[ -f "$RES/entry" ] || why="$why; the guest never reached $HERE/guest.sh"
echo "run.sh: FAILED: $why. Last console lines ($RES/console.log):" >&2
tail -n 25 "$RES/console.log" >&2 2>/dev/null
[ "$qrc" = 124 ] && exit 124
exit 125
