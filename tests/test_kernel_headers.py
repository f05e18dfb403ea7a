"""Both tools compile against every installed kernel's headers, including
kernels newer than libbcc (Debian's 6.12: its linux/bpf.h sizes uapi structs
libbcc 0.26's bpf.h lacks).

Each case runs in a private mount namespace where /lib/modules/$(uname -r)
holds build/ and source/ links to one installed headers tree (Debian's
-amd64 and -common), so the tool compiles against those headers on this
kernel. The BTF methods must include no kernel header that pulls in
linux/bpf.h; the kprobe programs (bcc's, which include net/sock.h) get the
prelude of runtime/kcompat.c, pinned in tests/golden/kcompat_prelude_6.12.diff.
"""
import glob
import os
import re

import pytest

from lib import ebpf_compare
from lib.bpf import vmlinux_btf
from lib.memcheck import SAN_ENV, assert_sanitizers_clean, valgrind
from lib.mounts import in_private_mounts
from lib.paths import KVER, REFERENCE_ARGV, TCPTOP, TOOLS
from lib.proc import run
from lib.require import skip_or_fail
from lib.variants import METHODS


def header_trees():
    """(version, build dir, source dir) of every installed headers package."""
    out = []
    for build in sorted(glob.glob("/usr/src/linux-headers-*-amd64")):
        ver = build[len("/usr/src/linux-headers-"):]
        source = build[:-len("-amd64")] + "-common"
        if os.path.isdir(os.path.join(source, "include", "linux")):
            out.append((ver, build, source))
    return out


TREES = header_trees()
# Debian's 6.12 (scripts/setup.sh installs it): newer than libbcc 0.26.
NEWER = next((v for v, _, _ in TREES if v.startswith("6.12.")), None)


def with_headers(ver, argv, timeout=180):
    """argv run with kernel headers ver linked as the running kernel's."""
    build, source = [(b, s) for v, b, s in TREES if v == ver][0]
    modules = "/lib/modules/%s" % KVER
    return run(in_private_mounts(
        ["mount -t tmpfs none %s" % modules,
         "ln -s %s %s/build" % (build, modules),
         "ln -s %s %s/source" % (source, modules)], argv), timeout=timeout)


@pytest.fixture(autouse=True)
def _needs_trees():
    if not TREES:
        skip_or_fail("no kernel headers under /usr/src (scripts/setup.sh)")


@pytest.fixture
def root():
    if os.geteuid() != 0:
        skip_or_fail("mount namespaces and loading need root")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("tool", sorted(TOOLS))
@pytest.mark.parametrize("ver", [t[0] for t in TREES])
def test_compiles_against_installed_headers(root, ver, tool, method):
    """Compiled, and loaded by this kernel's verifier where it can be (not
    fentry: trampolines are refused here)."""
    check = "compile" if method == "fentry" else "load"
    r = with_headers(ver, [TOOLS[tool], "--x-check", check, "--attach",
                           method])
    assert r.returncode == 0, r.stderr[-3000:]
    done = "compiled" if check == "compile" else "loaded"
    assert r.stderr == "%s: %s method: %s\n" % (tool, done, method)


@pytest.mark.parametrize("method", ["tracepoint", "fentry"])
@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_btf_methods_include_no_kernel_header(tool, method):
    """The BTF methods' programs include nothing at all: bcc's helpers are
    all they compile with, so a newer kernel's headers cannot break them."""
    r = run([TOOLS[tool], "--ebpf", "--attach", method])
    assert r.returncode == 0, r.stderr
    assert "#include" not in r.stdout
    assert "__sk_common" not in r.stdout


def prelude(text):
    return [l for l in text.splitlines()
            if l.startswith("struct bpf_") and "__opaque" in l]


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_kprobe_prelude_pinned_for_newer_headers(root, tool):
    """Against Debian's 6.12 headers the kprobe program is bcc's, plus the
    pinned fixes, plus exactly the pinned prelude, which comes first.
    Against the headers this host links (6.1: nothing missing) there is
    none: the plain golden diffs (tests/test_*_ebpf.py) pin that."""
    if not NEWER:
        skip_or_fail("linux-headers-6.12-amd64 not installed (scripts/setup.sh)")
    ref = run(REFERENCE_ARGV[tool] + ["--ebpf"])
    if ref.returncode:
        skip_or_fail("reference --ebpf failed: " + ref.stderr[-300:])
    r = with_headers(NEWER, [TOOLS[tool], "--ebpf", "--attach", "kprobe"])
    assert r.returncode == 0, r.stderr
    diff = ebpf_compare.content_diff(ref.stdout, r.stdout)
    pinned = ebpf_compare.golden("%s_kprobe.diff" % tool)
    extra = diff[:len(diff) - len(pinned)]
    if os.environ.get("UPDATE_GOLDEN") and tool == "tcptop":
        ebpf_compare.write_golden(ebpf_compare.PRELUDE_612, extra)
    assert diff[len(extra):] == pinned
    assert extra == ebpf_compare.golden(ebpf_compare.PRELUDE_612)
    assert r.stdout.lstrip().startswith("// uapi structs")
    here = run([TOOLS[tool], "--ebpf", "--attach", "kprobe"])
    assert prelude(here.stdout) == []


def test_prelude_sizes_are_btfs(root):
    """Each struct of the prelude has the size and alignment the running
    kernel's BTF gives it (bpftool's view)."""
    if not NEWER:
        skip_or_fail("linux-headers-6.12-amd64 not installed")
    r = with_headers(NEWER, [TCPTOP, "--ebpf", "--attach", "kprobe"])
    assert r.returncode == 0, r.stderr
    structs = re.findall(r"^struct (bpf_\w+) \{ char __opaque\[(\d+)\]; \} "
                         r"__attribute__\(\(aligned\((\d+)\)\)\);$",
                         r.stdout, re.M)
    assert structs, r.stdout[:500]
    dump = vmlinux_btf()
    for name, size, align in structs:
        m = re.search(r"^\[\d+\] STRUCT '%s' size=(\d+)" % name, dump, re.M)
        assert m, name
        assert int(m.group(1)) == int(size), name
        assert int(align) in (1, 2, 4, 8) and int(size) % int(align) == 0


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_prelude_is_memory_clean(root, san_build, tool):
    """Working the prelude out (reading the headers, searching libbcc's
    segments, BTF) under AddressSanitizer/UBSan and under valgrind."""
    if not NEWER:
        skip_or_fail("linux-headers-6.12-amd64 not installed")
    argv = [tool, "--ebpf", "--attach", "kprobe"]
    r = with_headers(NEWER, ["env"] + ["%s=%s" % kv for kv in SAN_ENV.items()
                                       if kv[0].endswith("SAN_OPTIONS")]
                     + [os.path.join(san_build, tool)] + argv[1:])
    assert_sanitizers_clean(r.stderr)
    assert r.returncode == 0, r.stderr[-2000:]
    assert prelude(r.stdout)
    r = with_headers(NEWER, valgrind([TOOLS[tool]] + argv[1:]), timeout=300)
    assert r.returncode == 0, r.stderr[-2000:]
    assert prelude(r.stdout)
