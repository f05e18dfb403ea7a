"""tcpconnlat --ebpf: its programs against bcc's.

--ebpf needs no root; it prints the program the tool would load. For the
kprobe method that program must be bcc's (/usr/sbin/tcpconnlat-bpfcc) for
the same flags, except for the fixes listed in README.md, pinned in
tests/golden/tcpconnlat_kprobe.diff. Every variant compiled and verified:
test_verifier.py; live output: test_tcpconnlat_live.py.
"""
import os
import re
import shutil

import pytest

from lib import ebpf_compare
from lib.bpf import vmlinux_btf
from lib.paths import REFERENCE_ARGV, TCPCONNLAT
from lib.proc import as_nobody, run
from lib.require import skip_or_fail
from lib.variants import argv_of, variant_id

REF = REFERENCE_ARGV["tcpconnlat"][0]


def duration_us(d):
    """The original's int(args.duration_ms * 1000), 0 when unset or 0."""
    return int(float(d) * 1000) if d is not None and float(d) else 0


def combos():
    """Flag sets: every -p x family x duration_ms, with -t and -L mixed in."""
    out = []
    for pid in ([], ["-p", "181"]):
        for fam in ([], ["-4"], ["-6"]):
            for dur in (None, "0", "0.1", "1.005", "0.0001", "250"):
                n = len(out)
                flags = pid + fam + (["-t"] if n % 2 else []) + \
                    (["-L"] if n % 3 == 1 else [])
                out.append((flags, dur))
    return out


@pytest.mark.parametrize("flags,dur", combos(),
                         ids=variant_id)
def test_ebpf_kprobe_is_bccs_program(flags, dur):
    """The kprobe program is the current bcc tool's for the same flags, but
    for the fixes in README.md, pinned in tests/golden/tcpconnlat_kprobe.diff
    (whitespace-insensitive; the same for every flag set)."""
    if not os.path.exists(REF):
        skip_or_fail("%s missing (apt-get install bpfcc-tools)" % REF)
    ref = run([REF, "--ebpf"] + argv_of(flags, dur))
    ours = run([TCPCONNLAT, "--attach", "kprobe", "--ebpf"] + argv_of(flags, dur))
    assert ref.returncode == 0, ref.stderr
    assert ours.returncode == 0, ours.stderr
    assert ours.stderr == "tcpconnlat: attach method: kprobe\n"
    diff = ebpf_compare.without_prelude(
        ebpf_compare.content_diff(ref.stdout, ours.stdout))
    if os.environ.get("UPDATE_GOLDEN") and not flags and dur is None:
        ebpf_compare.write_golden("tcpconnlat_kprobe.diff", diff)
    assert diff == ebpf_compare.golden("tcpconnlat_kprobe.diff")


def test_ebpf_without_root():
    """--ebpf prints the program as an unprivileged user."""
    r = run(as_nobody([TCPCONNLAT, "--ebpf", "--attach", "tracepoint", "-p",
                       "181"]))
    assert r.returncode == 0, r.stderr
    assert "if (pid != 181) { return 0; }" in r.stdout


def sk_protocol_offset():
    """struct sock's sk_protocol offset per the kernel's BTF, or None."""
    if not os.path.exists("/sys/kernel/btf/vmlinux") or \
            not shutil.which("bpftool"):
        return None
    m = re.search(r"STRUCT 'sock' size=\d+ vlen=\d+\n((?:\s+'.*\n)+)",
                  vmlinux_btf())
    f = m and re.search(r"'sk_protocol' type_id=\d+ bits_offset=(\d+)", m.group(1))
    return int(f.group(1)) // 8 if f else None


@pytest.fixture(scope="module")
def proto_off():
    return sk_protocol_offset()


@pytest.mark.parametrize("method", ["tracepoint", "fentry", "auto"])
@pytest.mark.parametrize("flags,dur", combos()[::3],
                         ids=variant_id)
def test_ebpf_other_methods(method, flags, dur, proto_off):
    r = run([TCPCONNLAT, "--attach", method, "--ebpf"] + argv_of(flags, dur))
    assert r.returncode == 0, r.stderr
    shown = re.fullmatch(r"tcpconnlat: attach method: (\w+)\n", r.stderr)
    assert shown, r.stderr
    if method == "auto":
        # What auto picks here without trying: the tracepoint, given BTF.
        if os.path.exists("/sys/kernel/btf/vmlinux"):
            assert shown.group(1) == "tracepoint"
        method = shown.group(1)
        same = run([TCPCONNLAT, "--attach", method, "--ebpf"] + argv_of(flags, dur))
        assert same.stdout == r.stdout
    else:
        assert shown.group(1) == method
    t = r.stdout
    us = duration_us(dur)
    for token in ("FILTER", "FAMILY_CHECK"):
        assert token not in t
    assert not re.search(r"\b[A-Z_0-9]+_OFF\b", t), "offset not substituted"

    # As in the original, DURATION_US stays (unused) without MIN_LATENCY.
    assert ("DURATION_US" in t) == (not us)
    # The PID is printed back from an integer; nothing else is pasted in.
    if "-p" in flags:
        assert t.count("if (pid != 181) { return 0; }") == 1
    assert t.count("pid !=") == (1 if "-p" in flags else 0)
    fam = "AF_INET6" if "-6" in flags else "AF_INET" if "-4" in flags else None
    assert t.count("if (family != ") == (1 if fam and method != "kprobe" else 0)
    if fam and method != "kprobe":
        assert "if (family != %s) { return 0; }" % fam in t
    assert t.startswith("#define MIN_LATENCY\n") == bool(us)
    if us:
        assert "delta_us < %d)" % us in t.replace(" )", ")")
    if method == "tracepoint":
        m = re.search(r"SK_IS_TCP\(sk\) \(SK_READ\(sk, (\d+), u16\)", t)
        assert m, "sk_protocol offset not substituted"
        if proto_off is not None:
            assert int(m.group(1)) == proto_off
    # The event structs are the kprobe program's (tools/tcpconnlat.h).
    kp = run([TCPCONNLAT, "--attach", "kprobe", "--ebpf"] + argv_of(flags, dur)).stdout
    for struct in ("info_t", "ipv4_data_t", "ipv6_data_t"):
        pat = r"struct %s \{[^}]*\};" % struct
        assert re.search(pat, t).group(0) == re.search(pat, kp).group(0)


def test_ebpf_pid_is_an_integer():
    """-p is parsed: a leading zero never reaches the C text as octal."""
    r = run([TCPCONNLAT, "--attach", "tracepoint", "--ebpf", "-p", "0181"])
    if r.returncode == 0:
        assert "if (pid != 181) { return 0; }" in r.stdout
    else:
        assert r.returncode == 2, r.stderr


@pytest.mark.parametrize("method,flags,ok", [
    ("tracepoint", ["-j"], True), ("tracepoint", ["--failed"], True),
    ("tracepoint", ["-j", "--failed", "-p", "181", "2.5"], True),
    ("fentry", ["-j"], True), ("fentry", ["--failed"], False),
    ("kprobe", ["-j"], False), ("kprobe", ["--failed"], False),
    ("auto", ["-j", "--failed"], True)])
def test_ebpf_json_failed(method, flags, ok):
    """-j and --failed switch the BTF programs to ext_maps.bpf.c's event
    (CONNLAT_EXT, CONNLAT_FAILED); the methods that cannot run them say so
    in one line, exit 1; the default program has none of it."""
    r = run([TCPCONNLAT, "--attach", method, "--ebpf"] + flags)
    if not ok:
        assert r.returncode == 1 and r.stdout == "", r.stderr
        assert re.fullmatch(r"tcpconnlat: (-j|--failed) needs the .*\n",
                            r.stderr), r.stderr
        return
    assert r.returncode == 0, r.stderr
    t = r.stdout
    assert t.count("#define CONNLAT_EXT\n") == 1
    assert ("#define CONNLAT_FAILED\n" in t) == ("--failed" in flags)
    assert "struct event_t {" in t and "struct ipv4_data_t {" not in t
    assert not re.search(r"\b[A-Z_0-9]+_OFF\b", t), "offset not substituted"
    assert t.count("pid !=") == (1 if "-p" in flags else 0)
    plain = run([TCPCONNLAT, "--attach", "tracepoint", "--ebpf"]).stdout
    assert "CONNLAT_EXT\n" not in plain.replace("#ifdef CONNLAT_EXT\n", "")
    assert "struct event_t {" not in plain
