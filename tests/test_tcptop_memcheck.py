"""tcptop under AddressSanitizer/UBSan and valgrind, on a live run:
compile, load, attach, intervals with real traffic, drain and teardown.
"""
import os
import select
import time

from lib.loopback import loopback_traffic
from lib.memcheck import SAN_ENV, assert_sanitizers_clean, valgrind
from lib.paths import BUILD
from lib.proc import Background
from lib.tcptop_live import cgroup2_root, parse_json


def test_sanitizers_clean(live, san_build):
    bg = Background([os.path.join(san_build, "tcptop"), "-C", "-S", "1", "3"],
                    ready="Tracing...", env=SAN_ENV)
    loopback_traffic()
    rc, out, err = bg.wait(timeout=60)
    assert rc == 0, err
    assert_sanitizers_clean(err)
    assert "TX_KB" in out


def wait_stderr(bg, needle, timeout):
    """Read bg's stderr until needle (-j's banner is there); returns it."""
    buf, fd = b"", bg.proc.stderr.fileno()
    end = time.monotonic() + timeout
    while needle not in buf and time.monotonic() < end:
        if select.select([fd], [], [], 0.1)[0]:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            buf += chunk
    assert needle in buf, buf
    return buf.decode()


def test_sanitizers_clean_json_cgroup(live, san_build):
    """-j and -c: the JSON writer, the cgroup directory's checks and its
    array (the root of the cgroup v2 hierarchy: everything is below it)."""
    bg = Background([os.path.join(san_build, "tcptop"), "-j", "-c",
                     cgroup2_root(), "1", "3"], env=SAN_ENV)
    err = wait_stderr(bg, b"Tracing...", 120)
    loopback_traffic()
    rc, out, rest = bg.wait(timeout=60)
    assert rc == 0, err + rest
    assert_sanitizers_clean(err + rest)
    ivs = parse_json(out)
    assert len(ivs) == 3 and any(iv.conns for iv in ivs), out


def test_valgrind_clean(live):
    bg = Background(valgrind([os.path.join(BUILD, "tcptop"), "-C", "-S", "1",
                              "2"]), ready="Tracing...", ready_timeout=400)
    loopback_traffic()
    rc, out, err = bg.wait(timeout=400)
    assert rc == 0, err
    assert "TX_KB" in out
