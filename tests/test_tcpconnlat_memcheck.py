"""tcpconnlat under AddressSanitizer/UBSan and valgrind, on a live run:
compile, load, attach, events from real connects (IPv4 and IPv6, a refused
one, a COMM with invalid UTF-8), Ctrl-C, teardown.
"""
import os
import subprocess

import pytest

from conftest import BUILD, ROOT, Background
from connlat_util import HEADER, Netns, client, events, for_conn, wait_for_event

SAN_BUILD = os.path.join(ROOT, "build-san")
SUPP = os.path.join(ROOT, "tests", "valgrind.supp")
FMT = {"timestamp": True, "lport": True}          # -t -L


@pytest.fixture(scope="module")
def san_build():
    r = subprocess.run(["make", "-C", ROOT, "SANITIZE=1"], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return SAN_BUILD


def traffic_and_stop(bg):
    """Connects the tool must report; then Ctrl-C. Returns (rc, out, err)."""
    with Netns() as ns:
        try:
            recs = client(ns, port=5000, listen=True, comm=b"m\xffem".hex())
            recs += client(ns, family=6, port=5000, listen=True)
            recs += client(ns, port=5001)                # refused
            wait_for_event(bg, lambda e: all(for_conn(events(bg.out, **FMT), r)
                                             for r in recs),
                           timeout=120, **FMT)
        finally:
            rc, out, err = bg.stop(timeout=120)
    for r in recs:
        assert len(for_conn(events(out, **FMT), r)) == 1, (r, out)
    return rc, out, err


def test_sanitizers_clean(live, san_build):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1")
    bg = Background([os.path.join(san_build, "tcpconnlat"), "-t", "-L"],
                    ready=HEADER, env=env)
    rc, out, err = traffic_and_stop(bg)
    assert rc == 0, err
    assert "AddressSanitizer" not in err and "runtime error" not in err, err
    assert "LeakSanitizer" not in err, err


def test_valgrind_clean(live):
    bg = Background(["valgrind", "-q", "--error-exitcode=9",
                     "--suppressions=" + SUPP, "--leak-check=full",
                     "--errors-for-leak-kinds=definite",
                     os.path.join(BUILD, "tcpconnlat"), "-t", "-L"],
                    ready=HEADER, ready_timeout=400)
    rc, out, err = traffic_and_stop(bg)
    assert rc == 0, err
