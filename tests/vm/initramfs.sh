#!/bin/sh
# tests/vm/initramfs.sh KVER OUT
#
# Builds a tiny gzip'd newc initramfs that boots Debian kernel KVER with the
# HOST's root filesystem as the guest's root: read-only over virtio-9p (tag
# `hostroot`) with a tmpfs overlay on top, so the guest sees exactly the host's
# tools, headers and build tree, and may scribble anywhere without harm.
# It holds only a static busybox, the kernel package's own modules needed to
# get there (virtio-pci, 9p, overlay), and /init.  The module list and load
# order come from /lib/modules/KVER/modules.dep, never from a hand-kept list.
set -eu
KVER=${1:?usage: initramfs.sh KVER OUT} OUT=${2:?usage: initramfs.sh KVER OUT}
MODDIR=/lib/modules/$KVER
BUSYBOX=/bin/busybox            # Debian's busybox-static: no libc needed in the initramfs
WANT="virtio_pci 9pnet_virtio 9p overlay"

die() { echo "initramfs.sh: $*" >&2; exit 1; }
[ -f "$MODDIR/modules.dep" ] || die "no $MODDIR/modules.dep: is the kernel package for $KVER installed?"
# ldd fails on a static binary; a dynamic busybox would not run without libc.
[ -x "$BUSYBOX" ] && ! ldd "$BUSYBOX" >/dev/null 2>&1 \
	|| die "$BUSYBOX is not a static busybox (apt-get install busybox-static)"

# Print MODULE's dependencies then MODULE itself, as paths relative to MODDIR,
# in load order.  modules.dep lists the full transitive closure with the
# deepest dependency last (modprobe loads the list back to front), so reverse.
# Module names compare with '-' and '_' as equal, as the kernel does.
resolve() {
	awk -v want="$1" '{
		f = $1; sub(/:$/, "", f); n = f; sub(/.*\//, "", n)
		sub(/\.ko(\.(xz|zst|gz))?$/, "", n); gsub(/-/, "_", n)
		if (n == want) { for (i = NF; i >= 2; i--) print $i; print f; found = 1; exit }
	} END { exit !found }' "$MODDIR/modules.dep"
}
is_builtin() {
	tr - _ < "$MODDIR/modules.builtin" | grep -q "/$1\.ko\$"
}

STAGE=$(mktemp -d); trap 'rm -rf "$STAGE"' EXIT
mkdir -p "$STAGE/bin" "$STAGE/dev" "$STAGE/proc" "$STAGE/sys" "$STAGE/lib/modules" \
	"$STAGE/lower" "$STAGE/rw" "$STAGE/newroot"
cp "$BUSYBOX" "$STAGE/bin/busybox"
# The kernel opens /dev/console for /init before anything is mounted.
[ "$(id -u)" = 0 ] && mknod -m 600 "$STAGE/dev/console" c 5 1

# Copy the modules, decompressed (busybox insmod loads plain ELF only), and
# write the load order to /modules.load, one module file name a line.
: > "$STAGE/modules.load"
for m in $WANT; do
	if ! list=$(resolve "$m"); then
		is_builtin "$m" && { echo "initramfs.sh: $m is built into $KVER, skipped"; continue; }
		die "module $m is neither in $MODDIR/modules.dep nor in modules.builtin"
	fi
	echo "$list" >> "$STAGE/modules.load"
done
awk '!seen[$0]++' "$STAGE/modules.load" > "$STAGE/modules.tmp"
: > "$STAGE/modules.load"
while read -r rel; do
	base=$(basename "$rel"); ko=${base%.xz}; ko=${ko%.zst}; ko=${ko%.gz}
	case $base in
	*.ko.xz)  xz -dc "$MODDIR/$rel" ;;
	*.ko.zst) zstd -qdc "$MODDIR/$rel" ;;
	*.ko.gz)  gzip -dc "$MODDIR/$rel" ;;
	*.ko)     cat "$MODDIR/$rel" ;;
	*)        die "unknown module format: $rel" ;;
	esac > "$STAGE/lib/modules/$ko" || die "cannot read $MODDIR/$rel"
	echo "$ko" >> "$STAGE/modules.load"
done < "$STAGE/modules.tmp"
rm "$STAGE/modules.tmp"
echo "initramfs.sh: $KVER modules: $(tr "\n" " " < "$STAGE/modules.load")"

# /init: PID 1 inside the initramfs.  Any failure prints VM-INIT-FAIL and
# powers off at once, so the host sees a clean exit instead of a hang.
cat > "$STAGE/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "VM-INIT-FAIL: $*"; sync; poweroff -f; echo o > /proc/sysrq-trigger; sleep 60; }
mount -t proc proc /proc && mount -t sysfs sysfs /sys && mount -t devtmpfs devtmpfs /dev \
	|| fail "cannot mount proc/sysfs/devtmpfs"
for ko in $(cat /modules.load); do
	insmod "/lib/modules/$ko" || fail "insmod $ko"
done
# The entry point to exec after switch_root, from vm.entry= on the command line
# (dotted parameters are not passed to init as arguments or environment).
entry=
for arg in $(cat /proc/cmdline); do
	case $arg in vm.entry=*) entry=${arg#vm.entry=} ;; esac
done
[ -n "$entry" ] || fail "no vm.entry= on the kernel command line"
# Host root, read-only.  cache=loose: the host tree does not change under a
# test run, and caching dentries and pages is what makes compiles bearable.
mount -t 9p -o trans=virtio,version=9p2000.L,ro,msize=512000,cache=loose hostroot /lower \
	|| fail "cannot mount 9p tag hostroot (qemu -virtfs ... mount_tag=hostroot missing?)"
mount -t tmpfs -o mode=755 tmpfs /rw && mkdir /rw/upper /rw/work \
	|| fail "cannot mount tmpfs for the overlay"
mount -t overlay -o lowerdir=/lower,upperdir=/rw/upper,workdir=/rw/work overlay /newroot \
	|| fail "cannot mount overlay of 9p root + tmpfs"
# Results share, read-write, uncached so every write reaches the host at once
# (output survives even if the guest is killed at the timeout).
mkdir -p /newroot/mnt/vmresults \
	&& mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 results /newroot/mnt/vmresults \
	|| fail "cannot mount 9p tag results at /mnt/vmresults"
[ -x "/newroot$entry" ] || fail "entry $entry is not executable in the new root"
for d in dev proc sys; do
	mount --move "/$d" "/newroot/$d" || fail "cannot move /$d into the new root"
done
exec switch_root /newroot "$entry"
fail "switch_root to $entry failed"
EOF
chmod 755 "$STAGE/init"

mkdir -p "$(dirname "$OUT")"
(cd "$STAGE" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -6) > "$OUT.$$"
mv "$OUT.$$" "$OUT"   # atomic: a concurrent run never reads half a file
echo "initramfs.sh: wrote $OUT ($(du -k "$OUT" | cut -f1) KiB)"
