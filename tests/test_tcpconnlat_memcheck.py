"""tcpconnlat under AddressSanitizer/UBSan and valgrind, on a live run:
compile, load, attach, events from real connects (IPv4 and IPv6, a refused
one, a COMM with invalid UTF-8), Ctrl-C, teardown.
"""
import os

from lib.memcheck import SAN_ENV, assert_sanitizers_clean, valgrind
from lib.netns import Netns
from lib.paths import BUILD
from lib.proc import Background
from lib.tcpconnlat_live import HEADER, client, events, for_conn, wait_for_all

FMT = {"timestamp": True, "lport": True}          # -t -L


def traffic_and_stop(bg):
    """Connects the tool must report; then Ctrl-C. Returns (rc, out, err)."""
    with Netns() as ns:
        try:
            recs = client(ns, port=5000, listen=True, comm=b"m\xffem".hex())
            recs += client(ns, family=6, port=5000, listen=True)
            recs += client(ns, port=5001)                # refused
            wait_for_all(bg, recs, timeout=120, **FMT)
        finally:
            rc, out, err = bg.stop(timeout=120)
    for r in recs:
        assert len(for_conn(events(out, **FMT), r)) == 1, (r, out)
    return rc, out, err


def test_sanitizers_clean(live, san_build):
    bg = Background([os.path.join(san_build, "tcpconnlat"), "-t", "-L"],
                    ready=HEADER, env=SAN_ENV)
    rc, out, err = traffic_and_stop(bg)
    assert rc == 0, err
    assert_sanitizers_clean(err)


def test_valgrind_clean(live):
    bg = Background(valgrind([os.path.join(BUILD, "tcpconnlat"), "-t", "-L"]),
                    ready=HEADER, ready_timeout=400)
    rc, out, err = traffic_and_stop(bg)
    assert rc == 0, err
