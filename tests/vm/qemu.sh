#!/bin/sh
# tests/vm/qemu.sh KVER INITRD RESULTS_DIR CONSOLE_LOG TIMEOUT_S ACCEL [KERNEL_ARG...]
#
# The one qemu command line of the VM tests: boots /boot/vmlinuz-KVER with
# INITRD (from initramfs.sh), shares the host's / read-only (9p tag
# `hostroot`) and RESULTS_DIR read-write (tag `results`), copies the serial
# console to stdout and CONSOLE_LOG, and kills qemu after TIMEOUT_S seconds.
# ACCEL is `tcg` or `kvm` (see kvm-probe.sh).  Extra KERNEL_ARGs are appended
# to the kernel command line (run.sh passes vm.entry=...).
# Exit status: qemu's (0 after the guest powers off), 124 on timeout.
set -eu
[ $# -ge 6 ] || { echo "usage: qemu.sh KVER INITRD RESULTS_DIR CONSOLE_LOG TIMEOUT_S ACCEL [KERNEL_ARG...]" >&2; exit 2; }
KVER=$1 INITRD=$2 RESULTS=$3 LOG=$4 TIMEOUT=$5 ACCEL=$6
shift 6
# qemu option values escape a comma by doubling it.
RESULTS=$(printf '%s' "$RESULTS" | sed 's/,/,,/g') LOG=$(printf '%s' "$LOG" | sed 's/,/,,/g')

case $ACCEL in
kvm) accel="-accel kvm -cpu host" ;;
# thread=multi: one host thread per vCPU, so -smp 2 really uses both cores.
# -cpu max: every feature TCG can emulate (BPF JIT, clang's code need no less).
*)   accel="-accel tcg,thread=multi -cpu max" ;;
esac

# panic=-1 + -no-reboot: a guest panic (e.g. PID 1 exiting) ends qemu at once.
# -nodefaults: no NIC, VGA, floppy or CD; only the devices listed here.
# The serial port is stdio with a log file; stdin is /dev/null so an
# interactive terminal is never put in raw mode, and the monitor is off.
# security_model=none: qemu (root) reads files as they are, ownership and
#   modes pass through, the guest cannot change host metadata.
# multidevs=remap: / spans several host filesystems (/proc, /sys, /dev, any
#   submount); remap keeps their inode numbers from colliding in the guest.
# shellcheck disable=SC2086  # $accel is meant to split into words
exec timeout --kill-after=5 "$TIMEOUT" qemu-system-x86_64 \
	-nodefaults -no-user-config -nographic -no-reboot \
	$accel -smp 2 -m 4096 \
	-kernel "/boot/vmlinuz-$KVER" -initrd "$INITRD" \
	-append "console=ttyS0 panic=-1 quiet $*" \
	-chardev "stdio,id=con,logfile=$LOG" -serial chardev:con -monitor none \
	-fsdev local,id=hostroot,path=/,readonly=on,security_model=none,multidevs=remap \
	-device virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot \
	-fsdev "local,id=results,path=$RESULTS,security_model=none,multidevs=remap" \
	-device virtio-9p-pci,fsdev=results,mount_tag=results \
	< /dev/null
