"""tcptop on hosts that lack something: one line naming cause and fix, exit 1.

Each missing piece is made real for the tool only: a private mount
namespace (lib.mounts) hides headers, BTF or tracefs from it.
"""
import os

from lib.mounts import HIDE_BTF, in_private_mounts
from lib.paths import KVER, TCPTOP
from lib.proc import as_nobody, run


def one_line(stderr):
    lines = stderr.splitlines()
    assert len(lines) == 1, stderr
    return lines[0]


def test_not_root():
    r = run(as_nobody([TCPTOP, "1", "1"]))
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert line.startswith("tcptop: must be run as root")
    assert "sudo" in line
    assert r.stdout == ""


def test_no_kernel_headers(live):
    assert not os.path.exists("/sys/kernel/kheaders.tar.xz")
    r = run(in_private_mounts(["mount -t tmpfs none /lib/modules/%s" % KVER],
                              [TCPTOP, "1", "1"]), timeout=60)
    assert r.returncode == 1, r.stderr
    line = one_line(r.stderr)
    assert line == ("tcptop: kernel headers not found at /lib/modules/%s/build:"
                    " install linux-headers-%s, or run scripts/setup.sh"
                    % (KVER, KVER))


def test_missing_pinned_map(live):
    path = "/sys/fs/bpf/tcptop-test-does-not-exist"
    for opt in ("--cgroupmap", "--mntnsmap"):
        r = run([TCPTOP, opt, path, "1", "1"])
        assert r.returncode == 1
        line = one_line(r.stderr)
        assert line.startswith("tcptop: cannot open pinned map %s: "
                               "No such file or directory" % path)


def test_no_usable_method(live):
    """Without BTF this kernel (no kprobes) has no method: say why, per method."""
    r = run(in_private_mounts([HIDE_BTF],
                              [TCPTOP, "1", "1"]), timeout=60)
    assert r.returncode == 1, r.stderr
    line = one_line(r.stderr)
    assert line.startswith("tcptop: no usable attach method on this kernel: ")
    assert "tracepoint: needs kernel BTF" in line
    assert "fentry: needs kernel BTF" in line
    assert "kprobe: kprobes unavailable" in line


def test_forced_method_that_cannot_attach(live):
    """--attach kprobe here: the attach error, exit 1, nothing left behind."""
    r = run([TCPTOP, "--attach", "kprobe", "1", "1"], timeout=120)
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert line.startswith("tcptop: kprobe: failed to attach ")
    assert line.endswith("; try --attach auto)")


def test_works_without_tracefs(live):
    """Raw tracepoints need no tracefs: still runs with it unmounted."""
    r = run(in_private_mounts(
        ["umount -l /sys/kernel/tracing 2>/dev/null || true",
         "umount -l /sys/kernel/debug 2>/dev/null || true",
         "test ! -e /sys/kernel/tracing/events"],
        [TCPTOP, "-C", "-S", "1", "1"]), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("Tracing... Output every 1 secs.")


def v1_dirs():
    """(a cgroup v1 hierarchy, the reason) for each one mounted here."""
    with open("/proc/self/mounts") as f:
        return [(line.split()[1], "not a cgroup v2 directory")
                for line in f if line.split()[2] == "cgroup"]


def test_bad_cgroup_dir(live, tmp_path):
    """-c needs a cgroup v2 directory: a missing path, a plain directory,
    a file, procfs and a cgroup v1 hierarchy (where one is mounted) are
    each one line, exit 1, before anything is compiled."""
    f = tmp_path / "file"
    f.write_text("")
    bad = [(str(tmp_path / "missing"), "No such file or directory"),
           (str(tmp_path), "not a cgroup v2 directory"),
           (str(f), "not a cgroup v2 directory"),
           ("/proc/self", "not a cgroup v2 directory")] + v1_dirs()[:1]
    for path, why in bad:
        r = run([TCPTOP, "-c", path, "1", "1"], timeout=30)
        assert r.returncode == 1, r.stderr
        line = one_line(r.stderr)
        assert line.startswith("tcptop: cannot use cgroup %s: %s"
                               % (path, why)), line
        assert r.stdout == ""
