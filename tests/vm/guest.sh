#!/bin/bash
# tests/vm/guest.sh: the in-VM entry point (vm.entry= on the kernel command line).
#
# Runs as PID 1 after the initramfs switch_root into the overlay of the host's
# root.  It mounts what a tracing test expects of a normal system, runs the
# command that run.sh left in the results share, records its output and exit
# status there, and powers the VM off.  PID 1 must never just exit (that is a
# kernel panic), so every path ends in poweroff via the EXIT trap.
#
# Results share (/mnt/vmresults, the host's RESULTS_DIR), written by run.sh:
#   cmd     the argv, NUL-separated (any bytes, spaces and quotes survive)
#   cwd     the directory to run it in
# and written here:
#   entry       guest uptime (s) when this script started: boot-to-entry time
#   output.log  the command's stdout+stderr (also copied to the console)
#   status      the command's exit status, written last
R=/mnt/vmresults
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root LANG=C.UTF-8 TERM=dumb

off() {
	sync
	busybox poweroff -f 2>/dev/null    # reboot(2) at once; qemu -no-reboot exits
	echo o > /proc/sysrq-trigger       # fallback: the kernel powers off by itself
	read -r -t 30 _ < /dev/console     # wait for it without exec'ing anything
}
trap off EXIT

read -r up _ < /proc/uptime 2>/dev/null || up='?'
echo "$up" > "$R/entry"
echo "VM-ENTRY: $0 at uptime ${up}s, kernel $(uname -r)"

# Mount each filesystem unless the initramfs already moved it in.  Bash
# tests only: every exec costs ~0.1 s under TCG (binaries come over 9p).
mounted=$(< /proc/mounts)
mnt() {  # TYPE DIR [OPTIONS]
	[[ $mounted == *" $2 "* ]] && return
	[ -d "$2" ] || mkdir -p "$2"
	mount -t "$1" -o "${3:-defaults}" "$1" "$2" || echo "VM-GUEST-WARN: cannot mount $1 on $2"
}
mnt proc /proc
mnt sysfs /sys
mnt devtmpfs /dev
mnt devpts /dev/pts gid=5,mode=620,ptmxmode=666
mnt tmpfs /dev/shm mode=1777
mnt tmpfs /tmp mode=1777
mnt tmpfs /run mode=755
mnt cgroup2 /sys/fs/cgroup
mnt tracefs /sys/kernel/tracing
mnt debugfs /sys/kernel/debug
mnt bpf /sys/fs/bpf
ln -sf /proc/self/fd /dev/fd 2>/dev/null   # bash process substitution needs it
ip link set lo up || echo "VM-GUEST-WARN: cannot bring lo up"
hostname vm 2>/dev/null

kb=/lib/modules/$(uname -r)/build
if [ -d "$kb/include" ]; then
	echo "VM-GUEST: kernel headers at $kb -> $(readlink -f "$kb")"
else
	echo "VM-GUEST-WARN: no kernel headers at $kb"
fi

if [ ! -r "$R/cmd" ]; then
	echo "VM-GUEST-FAIL: no $R/cmd"
	exit 1
fi
mapfile -d '' -t argv < "$R/cmd"
cd "$(cat "$R/cwd" 2>/dev/null || echo /)" || cd /
echo "VM-GUEST: running in $PWD: ${argv[*]}"
"${argv[@]}" < /dev/null 2>&1 | tee "$R/output.log"
rc=${PIPESTATUS[0]}
echo "VM-GUEST: exit status $rc"
echo "$rc" > "$R/status"
