"""The one start-up path both tools share (runtime/tool.c): the same
behaviour for -v and --ebpf in every tool.

  -v        prints the program of the method actually attached, after it
            attached (never one that was only tried, or none at all)
  --ebpf    prints the program of the method auto would try first; with no
            usable method it says why and exits 1, as a start would
"""
import os
import re
import signal

import pytest

from lib.mounts import HIDE_ALL_METHODS, in_private_mounts
from lib.paths import ROOT, TOOLS
from lib.proc import NOBODY, Background, run
from lib.progcache import verbose_err



@pytest.mark.parametrize("tool", TOOLS)
def test_verbose_prints_nothing_before_attaching(tool):
    """-v without root: nothing was attached, so no program is printed."""
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to nobody")
    r = run(NOBODY + [TOOLS[tool], "-v"])
    assert r.returncode == 1, r.stderr
    assert r.stdout == ""
    assert r.stderr.startswith("%s: must be run as root" % tool), r.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_ebpf_without_usable_method(live, tool):
    r = run(in_private_mounts(HIDE_ALL_METHODS, [TOOLS[tool], "--ebpf"]))
    assert r.returncode == 1, (r.stdout[:200], r.stderr)
    assert r.stdout == ""
    assert r.stderr.startswith(
        "%s: no usable attach method on this kernel: tracepoint: needs kernel BTF"
        % tool), r.stderr
    assert r.stderr.count("\n") == 1, r.stderr


@pytest.mark.parametrize("tool", TOOLS)
def test_ebpf_names_the_method_it_prints(tool):
    """An explicit method is printed even where it is not usable."""
    for method in ("kprobe", "tracepoint", "fentry"):
        r = run([TOOLS[tool], "--ebpf", "--attach", method])
        assert r.returncode == 0, r.stderr
        assert r.stderr == "%s: attach method: %s\n" % (tool, method)


@pytest.mark.parametrize("tool", TOOLS)
def test_verbose_prints_attached_program(live, tool):
    """-v: 'attached method: M' on stderr, then M's program on stdout,
    exactly what --ebpf --attach M prints, then the tool's output."""
    args = ["-C", "-S", "600"] if tool == "tcptop" else []
    ebpf = run([TOOLS[tool], "--ebpf", "--attach", "tracepoint"] + args)
    assert ebpf.returncode == 0, ebpf.stderr
    bg = Background([TOOLS[tool], "-v"] + args)
    try:
        bg.wait_for("Tracing..." if tool == "tcptop" else "LAT(ms)", 60)
    finally:
        rc, out, err = bg.stop(signal.SIGINT)
    assert rc == 0, err
    verbose_err(err, tool, "tracepoint")
    assert out.startswith(ebpf.stdout), out[:300]
    assert "attach" not in out[len(ebpf.stdout):]


# -- the program text: fragments say what they expect, and get it ----------

BPF_TEXT = os.path.join(ROOT, "bpf_text")


def fragments():
    """{path: (header lines, body)} of every bpf_text/*/*.bpf.c."""
    out = {}
    for d in sorted(os.listdir(BPF_TEXT)):
        for f in sorted(os.listdir(os.path.join(BPF_TEXT, d))):
            path = os.path.join(d, f)
            with open(os.path.join(BPF_TEXT, path)) as fh:
                lines = fh.read().split("\n")
            n = 0
            while n < len(lines) and lines[n].startswith("//"):
                n += 1
            out[path] = ([l[2:].strip() for l in lines[:n]],
                         "\n".join(lines[n:]))
    return out


def placeholders(header):
    """The upper-case names after 'Placeholders:' in a fragment header
    ('*_OFF' stands for every such name in the body)."""
    text = " ".join(header)
    if "Placeholders:" not in text:
        return None
    names = text.split("Placeholders:", 1)[1]
    names = re.sub(r"\([^)]*\)", "", names)  # drop explanations
    return set(re.findall(r"\b[A-Z][A-Z0-9_]{2,}\b|\*_OFF", names)) - {
        "MIN_LATENCY"}


def test_every_fragment_names_what_it_follows_and_expects():
    for path, (header, body) in fragments().items():
        text = " ".join(header)
        assert header, "%s has no opening comment" % path
        assert "Follows:" in text or "Follows" in text, path
        names = placeholders(header)
        assert names is not None, "%s: no 'Placeholders:'" % path
        used = set(re.findall(r"\b(?:FILTER\w*|DURATION_US|CGROUP_PATH|"
                              r"MOUNT_NS_PATH|\w+_OFF(?:SET)?)\b", body))
        if "*_OFF" in names:
            names = (names - {"*_OFF"}) | {u for u in used if u.endswith("_OFF")}
        assert names == used, (path, sorted(names), sorted(used))


ALL_PLACEHOLDERS = set()
for _h, _b in fragments().values():
    _n = placeholders(_h) or set()
    ALL_PLACEHOLDERS |= {x for x in _n if x != "*_OFF"}
    ALL_PLACEHOLDERS |= set(re.findall(r"\b\w+_OFF\b", _b))

VARIANTS = {
    "tcptop": [[], ["-p", "181"], ["-4"], ["-6"],
               ["--cgroupmap", "/sys/fs/bpf/x", "--mntnsmap", "/sys/fs/bpf/y"]],
    "tcpconnlat": [[], ["-p", "181", "2.5"], ["-4"], ["-6", "0.1"]],
}


@pytest.mark.parametrize("tool", TOOLS)
@pytest.mark.parametrize("method", ["kprobe", "tracepoint", "fentry"])
def test_no_placeholder_is_left(tool, method):
    assert "FILTER_PID" in ALL_PLACEHOLDERS and "SKC_NUM_OFF" in ALL_PLACEHOLDERS
    for flags in VARIANTS[tool]:
        r = run([TOOLS[tool], "--ebpf", "--attach", method] + flags)
        assert r.returncode == 0, r.stderr
        left = {p for p in ALL_PLACEHOLDERS if re.search(r"\b%s\b" % p, r.stdout)}
        # As bcc's: without a minimum it stays, under an #ifdef not taken.
        if "#define MIN_LATENCY" not in r.stdout:
            left.discard("DURATION_US")
        assert not left, (flags, left)
