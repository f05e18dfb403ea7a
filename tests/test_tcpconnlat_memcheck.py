"""tcpconnlat under AddressSanitizer/UBSan and valgrind, on a live run:
compile, load, attach, events from real connects (IPv4 and IPv6, a refused
one, a COMM with invalid UTF-8), Ctrl-C, teardown; as text, and with -j
--failed (a given-up connect too).
"""
import os

import pytest

from lib.memcheck import SAN_ENV, assert_sanitizers_clean, valgrind
from lib.netns import Netns
from lib.paths import BUILD
from lib.proc import Background
from lib.tcpconnlat_live import (
    HEADER, client, drop_all_syns, events, for_conn, json_records,
    records_for, wait_for_all, wait_for_records, wait_stderr)

FMT = {"timestamp": True, "lport": True}          # -t -L
MODES = {"text": ["-t", "-L"], "json": ["-j", "--failed"]}


def start(argv, mode, **kw):
    bg = Background(argv + MODES[mode], **kw)
    if mode == "json":
        wait_stderr(bg, "RESULT\n", 400)
    else:
        bg.wait_for(HEADER, 400)
    return bg


def traffic_and_stop(bg, mode):
    """Connects the tool must report; then Ctrl-C. Returns (rc, out, err)."""
    with Netns() as ns:
        try:
            recs = client(ns, port=5000, listen=True, comm=b"m\xffem".hex())
            recs += client(ns, family=6, port=5000, listen=True)
            recs += client(ns, port=5001)                # refused
            if mode == "json":
                ns.nft(drop_all_syns(5002))
                recs += client(ns, mode="giveup", port=5002)
                wait_for_records(bg, recs, timeout=120)
            else:
                wait_for_all(bg, recs, timeout=120, **FMT)
        finally:
            rc, out, err = bg.stop(timeout=120)
    for r in recs:
        got = records_for(json_records(out), r) if mode == "json" else \
            for_conn(events(out, **FMT), r)
        assert len(got) == 1, (r, out)
    return rc, out, getattr(bg, "err_seen", "") + err


@pytest.mark.parametrize("mode", sorted(MODES))
def test_sanitizers_clean(live, san_build, mode):
    bg = start([os.path.join(san_build, "tcpconnlat")], mode, env=SAN_ENV)
    rc, out, err = traffic_and_stop(bg, mode)
    assert rc == 0, err
    assert_sanitizers_clean(err)


@pytest.mark.parametrize("mode", sorted(MODES))
def test_valgrind_clean(live, mode):
    bg = start(valgrind([os.path.join(BUILD, "tcpconnlat")]), mode)
    rc, out, err = traffic_and_stop(bg, mode)
    assert rc == 0, err
