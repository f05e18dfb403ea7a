"""Compare a tool's --ebpf program with the bcc reference's.

The comparison ignores whitespace (line breaks and indentation), as the
issue asks, and the result is the list of lines only one side has: that
list is what "Differences from bcc" must explain, and it is pinned in
tests/golden/ so any other change to the program fails a test.
"""
import difflib
import os
import re

from lib.paths import GOLDEN
from lib.proc import run


def normalize(text):
    """Lines with whitespace collapsed; blank lines dropped."""
    out = []
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            out.append(line)
    return out


def content_diff(ref, ours):
    """'-'/'+' lines of a diff, without positions (flags shift them)."""
    lines = []
    for line in difflib.unified_diff(normalize(ref), normalize(ours),
                                     lineterm="", n=0):
        if line.startswith(("---", "+++", "@@")):
            continue
        # BTF offsets differ between kernels: compare their place, not value.
        line = re.sub(r"\(void \*\)(\w+|\(sk\)) \+ \d+", r"(void *)\1 + OFFSET",
                      line)
        lines.append(re.sub(r"\b(SK_READ|TCP_READ|SK_ADDR6)\(sk, \d+,",
                            r"\1(sk, OFFSET,", line))
    return lines


def golden(name):
    with open(os.path.join(GOLDEN, name)) as f:
        return f.read().splitlines()


def write_golden(name, lines):
    with open(os.path.join(GOLDEN, name), "w") as f:
        f.write("\n".join(lines) + "\n")


PRELUDE_612 = "kcompat_prelude_6.12.diff"


def headers_release():
    """The release of the kernel headers bcc compiles against here."""
    build = os.path.realpath("/lib/modules/%s/build" % os.uname().release)
    return os.path.basename(build)[len("linux-headers-"):]


def without_prelude(diff):
    """A kprobe program's diff without its leading kcompat prelude
    (tools/kcompat.c), which is there only with kernel headers newer than
    libbcc: then it must be exactly the one pinned for Debian's 6.12."""
    if not diff or not diff[0].startswith("+// uapi structs"):
        return diff
    pinned = golden(PRELUDE_612)
    assert headers_release().startswith("6.12."), \
        "a prelude with headers %s:\n%s" % (headers_release(), diff[:8])
    assert diff[:len(pinned)] == pinned
    return diff[len(pinned):]


def run_ebpf(argv):
    r = run(argv, timeout=60)
    assert r.returncode == 0, (argv, r.stderr)
    return r.stdout
