"""Commands in a private mount namespace: what they mount or unmount
there (to hide headers, BTF or tracefs from a tool, or to lend it other
headers) dies with them and is never seen outside."""

# Setup commands that hide what the tools need, each in its own mount.
HIDE_BTF = "mount -t tmpfs none /sys/kernel/btf"
HIDE_TRACEFS = ("mount -t tmpfs none /sys/kernel/tracing; "
                "mount -t tmpfs none /sys/kernel/debug")
HIDE_KPROBE_PMU = ("if [ -d /sys/bus/event_source/devices/kprobe ]; then "
                   "mount -t tmpfs none /sys/bus/event_source/devices/kprobe; fi")
# A kernel without BTF and without kprobes: no attach method is usable.
HIDE_ALL_METHODS = [HIDE_BTF, HIDE_TRACEFS, HIDE_KPROBE_PMU]


def in_private_mounts(setup, argv):
    """argv, run after the shell commands setup (set -e: each must succeed)
    in a new mount namespace with private propagation. argv reaches the
    shell as its arguments, so it needs no quoting."""
    script = "; ".join(list(setup) + ['exec "$@"'])
    return ["unshare", "--mount", "--propagation", "private", "sh", "-ec",
            script, "sh"] + list(argv)
