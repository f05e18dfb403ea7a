#!/bin/sh
# tests/vm/kvm-probe.sh [KVER]
#
# Prints `kvm` if KVM really works here, else `tcg`.  /dev/kvm existing is not
# enough: nested KVM on some clouds opens fine and then hangs the guest in
# early boot.  So, only when /dev/kvm is usable, boot a kernel (KVER, or the
# newest in /boot) with no root and wait a few seconds for it to get as far as
# panicking on the missing root fs.  Without /dev/kvm this costs nothing.
# VM_ACCEL=kvm|tcg in the environment overrides the probe.
case ${VM_ACCEL:-} in kvm|tcg) echo "$VM_ACCEL"; exit 0 ;; esac
if [ ! -c /dev/kvm ] || [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
	echo tcg; exit 0
fi
if [ -n "${1:-}" ]; then kernel=/boot/vmlinuz-$1
else kernel=$(printf "%s\n" /boot/vmlinuz-* | sort -V | tail -n 1)
fi
[ -f "$kernel" ] || { echo tcg; exit 0; }
# A healthy KVM boot reaches the root-mount panic in ~1-2 s; 20 s is generous.
# panic=-1 + -no-reboot make qemu exit right after the marker.
out=$(timeout --kill-after=2 20 qemu-system-x86_64 -accel kvm -cpu host -m 256 \
	-nodefaults -no-user-config -display none -no-reboot -serial stdio \
	-kernel "$kernel" -append "console=ttyS0 panic=-1" < /dev/null 2>/dev/null)
case $out in
*"Unable to mount root"*|*"Kernel panic"*) echo kvm ;;
*) echo tcg ;;
esac
