#!/usr/bin/env bash
# setup.sh: prepare a Debian host to build, run and test tcptop/tcpconnlat.
#
# Installs the Debian packages, mounts tracefs/debugfs when absent, and when
# /lib/modules/$(uname -r)/build is missing links the newest installed kernel
# headers there (saying plainly when they do not match the running kernel).
# Idempotent: safe to run again. Needs root.
set -euo pipefail

say() { printf 'setup: %s\n' "$*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
	say "must run as root (try: sudo $0)"
	exit 1
fi

# Build and run: libbcc (libbpfcc-dev), libbpf for BTF lookups, kernel
# headers for bcc's compiles. Tests: pytest, nftables (drop a SYN to make a
# slow connect), iproute2 (netns/veth), the Python bcc tools as references
# for --ebpf, valgrind for the memory checks.
pkgs=(build-essential pkg-config libbpfcc-dev libbpf-dev linux-headers-amd64
      bpfcc-tools python3-bpfcc python3-pytest nftables iproute2 valgrind
      procps util-linux bpftool)
# Man pages and completion (tests/test_man.py, tests/test_completion.py):
# groff and mandoc render and lint the pages, man-db's man -w finds them,
# bash-completion loads the completion. make deb-check: debhelper builds
# the package (dpkg-buildpackage, fakeroot), lintian checks it.
pkgs+=(groff-base mandoc man-db bash-completion debhelper dpkg-dev fakeroot
       lintian)
# make fuzz / fuzz-smoke (in make check): clang's libFuzzer.
pkgs+=(clang libclang-rt-14-dev)
# make vm-check: Debian's 6.1 (linux-image-amd64) and 6.12 kernels with their
# headers, booted under qemu with a busybox initramfs (tests/vm/). Only these:
# qemu's recommends and other kernel flavours are gigabytes.
pkgs+=(qemu-system-x86 busybox-static cpio xz-utils linux-image-amd64
       linux-image-6.12-amd64 linux-headers-6.12-amd64)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	say "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# INITRD=No: the kernels boot with tests/vm's own initramfs; Debian's
	# would take minutes to generate, for nothing.
	apt-get update -qq
	INITRD=No apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! mountpoint -q /sys/kernel/tracing 2>/dev/null; then
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null &&
		say "mounted tracefs on /sys/kernel/tracing" ||
		say "could not mount tracefs (kprobe attach will not work)"
fi
if ! mountpoint -q /sys/kernel/debug 2>/dev/null; then
	mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null &&
		say "mounted debugfs on /sys/kernel/debug" || true
fi

# Pinned maps (--cgroupmap/--mntnsmap) live in the BPF filesystem.
if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
	mount -t bpf bpf /sys/fs/bpf 2>/dev/null &&
		say "mounted bpffs on /sys/fs/bpf" || true
fi

kver=$(uname -r)
mods=/lib/modules/$kver
# bcc compiles from $mods/source when it exists, with generated headers from
# $mods/build: on Debian those are linux-headers-*-common and -amd64.
if [ ! -e "$mods/build/include" ] || [ ! -e "$mods/source/include/linux" ]; then
	# Debian's default headers (linux-headers-amd64's), not the newest:
	# the 6.12 ones installed for make vm-check are for its VM.
	dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
	      grep -o 'linux-headers-[^ ,]*-amd64' | head -n 1 || true)
	hdr=/usr/src/$dep
	[ -n "$dep" ] && [ -d "$hdr" ] ||
		hdr=$(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V | tail -n 1 || true)
	if [ -z "$hdr" ]; then
		say "no kernel headers under /usr/src; install linux-headers-$kver"
		exit 1
	fi
	hv=${hdr#/usr/src/linux-headers-}
	src=$(readlink -f "/lib/modules/$hv/source" 2>/dev/null || true)
	[ -d "$src/include/linux" ] || src=${hdr%-amd64}-common
	[ -d "$src/include/linux" ] || src=$hdr
	mkdir -p "$mods"
	ln -sfn "$hdr" "$mods/build"
	ln -sfn "$src" "$mods/source"
	if [ "$hv" != "$kver" ]; then
		say "WARNING: linked headers $hv for running kernel $kver: they do" \
		    "not match. bcc compiles against them; the tools read every" \
		    "field beyond struct sock_common at its BTF offset instead."
	else
		say "linked $hdr as $mods/build"
	fi
fi
