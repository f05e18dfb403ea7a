"""tcptop --ebpf (every variant compiled and verified: test_verifier.py).

--ebpf needs no root; it prints the program the tool would load. For the
kprobe method that program must be bcc's (../shared/reference/tcptop.py)
for the same flags, except for the fixes listed in README.md under
"Differences from bcc", pinned in tests/golden/tcptop_kprobe.diff.
"""
import itertools
import os
import re

import pytest

from lib import ebpf_compare
from lib.paths import REFERENCE_ARGV, TCPTOP
from lib.proc import as_nobody, run
from lib.require import skip_or_fail
from lib.variants import METHODS, TCPTOP_FLAG_SETS as FLAG_SETS, with_paths


PATHS = {"CG": "/sys/fs/bpf/a", "MNT": "/sys/fs/bpf/b",
         "CGDIR": "/sys/fs/cgroup"}


def reference_ebpf(flags):
    r = run(REFERENCE_ARGV["tcptop"] + ["--ebpf"] + flags, timeout=60)
    if r.returncode != 0:
        skip_or_fail("reference tcptop.py --ebpf failed (python3-bpfcc?): "
                     + r.stderr[-300:])
    return r.stdout


@pytest.mark.parametrize("method,flags", itertools.product(METHODS, FLAG_SETS))
def test_ebpf_without_root(method, flags):
    """--ebpf prints the program and exits 0, as an unprivileged user."""
    flags = with_paths(flags, PATHS)
    r = run(as_nobody([TCPTOP, "--ebpf", "--attach", method] + flags))
    assert r.returncode == 0, r.stderr
    assert "container_should_be_filtered" in r.stdout
    assert r.stderr == "tcptop: attach method: %s\n" % method
    if "-p" in flags:
        pid = flags[flags.index("-p") + 1]
        assert "if (pid != %s) { return 0; }" % pid in r.stdout
    else:
        assert "FILTER_PID" not in r.stdout and "if (pid !=" not in r.stdout
    if "-4" in flags:
        assert "if (family != AF_INET) { return 0; }" in r.stdout
    elif "-6" in flags:
        assert "if (family != AF_INET6) { return 0; }" in r.stdout
    assert "FILTER_FAMILY" not in r.stdout


def test_ebpf_auto_names_method():
    r = run([TCPTOP, "--ebpf"])
    assert r.returncode == 0
    # This kernel has the tracepoints and BTF: auto picks tracepoint.
    assert r.stderr == "tcptop: attach method: tracepoint\n"


# -c is libbpf-tools', not bcc's: no reference text to compare with.
@pytest.mark.parametrize("flags", [f for f in FLAG_SETS if "-c" not in f])
def test_kprobe_program_is_bccs_but_for_fixes(flags):
    flags = with_paths(flags, PATHS)
    ref = reference_ebpf(flags)
    ours = ebpf_compare.run_ebpf([TCPTOP, "--ebpf", "--attach", "kprobe"]
                                 + flags)
    diff = ebpf_compare.without_prelude(ebpf_compare.content_diff(ref, ours))
    # --mntnsmap adds one fix: its filter reads task_struct, nsproxy and
    # mnt_namespace fields at BTF offsets, not through the headers.
    name = ("tcptop_kprobe_mntnsmap.diff" if "--mntnsmap" in flags
            else "tcptop_kprobe.diff")
    if os.environ.get("UPDATE_GOLDEN") and flags in (
            [], ["--mntnsmap", "/sys/fs/bpf/b"]):
        ebpf_compare.write_golden(name, diff)
    assert diff == ebpf_compare.golden(name)


@pytest.mark.parametrize("method", METHODS)
def test_cgroup_dir_filter_only_with_c(method):
    """-c adds the cgroup array and its check to container_should_be_filtered()
    (every method); without -c the program has neither (bcc's text)."""
    base = run(as_nobody([TCPTOP, "--ebpf", "--attach", method]))
    with_c = run(as_nobody([TCPTOP, "--ebpf", "--attach", method, "-c",
                            "/sys/fs/cgroup"]))
    assert base.returncode == 0 and with_c.returncode == 0, with_c.stderr
    for out, has in ((base.stdout, False), (with_c.stdout, True)):
        assert ("BPF_CGROUP_ARRAY(cgroup_dir, 1);" in out) == has
        assert ("cgroup_dir.check_current_task(0) != 1" in out) == has
    # The path is not in the text: one cached program for every directory.
    assert "/sys/fs/cgroup" not in with_c.stdout


def cpu_ids():
    """The highest possible CPU id + 1, from /sys/devices/system/cpu/possible
    ("0-1", "0", "0-3,8-11"): the cache's pages are indexed by CPU id."""
    with open("/sys/devices/system/cpu/possible") as f:
        return max(int(x) for x in re.findall(r"\d+", f.read())) + 1


def preempt_rt():
    try:
        with open("/sys/kernel/realtime") as f:
            if f.read().strip() == "1":
                return True
    except OSError:
        pass
    v = os.uname().version
    return "PREEMPT_RT" in v or "PREEMPT RT" in v


@pytest.mark.parametrize("method", ["tracepoint", "fentry"])
def test_ebpf_count_cache_fits_this_host(method):
    """The count cache's size and locking are filled in for this host: a
    part for every possible CPU id (up to 512), up to 16 pages each within
    512 pages in all; tracepoint programs take a page with plain loads and stores unless
    the kernel is PREEMPT_RT; fexit programs always atomically."""
    r = run([TCPTOP, "--ebpf", "--attach", method])
    assert r.returncode == 0, r.stderr
    cpus = min(cpu_ids(), 512)
    bits = 4
    while bits and cpus << bits > 512:
        bits -= 1
    assert "#define CCACHE_CPUS %d\n" % cpus in r.stdout
    assert "#define CCACHE_PAGE_BITS %d\n" % bits in r.stdout
    assert "#define TP_PREEMPTIBLE %d\n" % preempt_rt() in r.stdout
    for token in ("POSSIBLE_CPUS", "PAGE_BITS_PER_CPU",
                  "TRACEPOINTS_PREEMPTIBLE"):
        assert token not in r.stdout
    fexit = r.stdout.count("SK_LPORT(sk), 1);")
    assert fexit == (0 if method == "tracepoint" else
                     r.stdout.count("KRETFUNC_PROBE(")), r.stdout
