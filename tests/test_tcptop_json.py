"""tcptop -j against ground truth: every stdout line is JSON, in bytes.

The same design as test_tcptop_live.py (a long interval stopped by SIGINT
after the traffic; tests/traffic.py's exact byte counts), but compared in
bytes, not KB: rx_bytes and tx_bytes must equal the truth exactly. The
parser (lib.tcptop_live.parse_json) checks every line against the README's
schema: exactly its keys, counts as integers, "time" and "ts_ns" the same
instant, an interval's conn objects then its interval object with their
number in "rows".
"""
import json
import signal
import time

import pytest

from lib.tcptop_live import (
    KiB, ParseError, Tool, Traffic, assert_json_exact, exchange, json_banner,
    json_truth_key, new_tag, open_and_counted, parse_json, start_tools,
    truth_value)


# Live (root, the built tool) but for the parser's own checks.
pytestmark = pytest.mark.usefixtures("tcptop_live_but_parser")


CONN = {"v": 1, "type": "conn", "time": "2026-01-02T03:04:05.123456Z",
        "ts_ns": 1767323045123456789, "pid": 1, "comm": "a", "family": 4,
        "laddr": "127.0.0.1", "lport": 1, "raddr": "127.0.0.1", "rport": 2,
        "rx_bytes": 0, "tx_bytes": 1}
SUMMARY = {"v": 1, "type": "interval", "time": CONN["time"],
           "ts_ns": CONN["ts_ns"], "rows": 1, "dropped": 0,
           "rx_unmeasured": 0}


def lines(*objs):
    return "".join(json.dumps(o) + "\n" for o in objs)


def test_parser_reads_the_schema():
    ivs = parse_json(lines(CONN, SUMMARY, dict(SUMMARY, rows=0)),
                     nosummary=True)
    assert [len(iv.conns) for iv in ivs] == [1, 0]


@pytest.mark.parametrize("damage", [
    lambda: lines(CONN, SUMMARY)[:-1],                      # cut short
    lambda: lines(CONN, dict(SUMMARY, rows=2)),             # wrong count
    lambda: lines(CONN),                                    # no summary
    lambda: lines(dict(CONN, rx_kb=0), SUMMARY),            # extra key
    lambda: lines(dict(CONN, rx_bytes=1.5), SUMMARY),       # not a count
    lambda: lines(dict(CONN, ts_ns=1), SUMMARY),            # time != ts_ns
    lambda: lines(dict(CONN, v=2), SUMMARY),                # version
    lambda: lines(CONN, SUMMARY).replace("}", "", 1),       # not JSON
    lambda: lines(CONN, dict(SUMMARY, load1=0.5)),          # load under -S
])
def test_parser_rejects_other_output(damage):
    with pytest.raises(ParseError):
        parse_json(damage(), nosummary=True)


# A COMM that is not UTF-8: the traffic's thread name ends in these bytes.
BAD_UTF8 = b"\xff\xe2\x82"


def mixed_plan(tag):
    """IPv4, IPv6 and v4-mapped connections; pair 0's client in a thread
    whose COMM is not valid UTF-8."""
    return {"tag": tag, "pairs": [
        {"kind": "exchange", "thread": True,
         "thread_comm_hex": BAD_UTF8.hex(), "conns": [
             exchange(4, 40 * KiB, 30 * KiB + 1023),
             exchange(6, 20 * KiB + 1023, 10 * KiB)]},
        {"kind": "exchange", "conns": [
            exchange(4, 300 * KiB + 1, 200 * KiB + 1023),
            exchange(6, 150 * KiB + 1023, 100 * KiB + 7),
            exchange(46, 50 * KiB, 60 * KiB + 1023)]}]}


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM],
                         ids=["SIGINT", "SIGTERM"])
def test_exact_bytes_ipv4_ipv6_comm_and_partial_interval(sig):
    """-j, stopped by a signal in the middle of a 60-second interval: the
    interval in progress as JSON, exit 0; the banner alone on stderr; every
    connection's row exact in bytes (not KB) with its pid, comm (U+FFFD for
    the bytes that are not UTF-8), family, addresses and ports; one
    interval object with loadavg and the row count, last."""
    tag = new_tag()
    with Traffic(mixed_plan(tag)) as tr:
        with Tool(["-j", "60"]) as tool:
            t0 = time.time_ns()
            truth = tr.run()
            rc, out, err = tool.stop(sig)
            t1 = time.time_ns()
    assert rc == 0, err
    assert err == "Tracing... Output every 60 secs. Hit Ctrl-C to end\n"
    ivs = parse_json(out)
    assert len(ivs) == 1, out
    iv = ivs[0]
    assert_json_exact(ivs, truth, tag)
    assert t0 <= iv.summary["ts_ns"] <= t1
    s = iv.summary
    assert s["dropped"] == 0 and s["rx_unmeasured"] == 0
    assert s["tasks_running"] >= 1
    assert s["tasks_total"] >= s["tasks_running"]
    assert all(isinstance(s[k], float) for k in ("load1", "load5", "load15"))
    # IPv4 rows first, each table largest first.
    fams = [c["family"] for c in iv.conns]
    assert fams == sorted(fams), fams
    ours = [c for c in iv.conns if c["comm"].startswith(tag)]
    assert len(ours) == 2 * 5
    odd = tag + "c0t" + "\ufffd" * len(BAD_UTF8)
    assert sum(c["comm"] == odd for c in ours) == 2, ours
    assert {c["laddr"] for c in ours if c["family"] == 6} == \
        {"::1", "::ffff:127.0.0.1"}
    assert all(c["lport"] and c["rport"] for c in ours)
    # Bytes, where KB would round: 300 KiB + 1 sent.
    assert any(c["tx_bytes"] == 300 * KiB + 1 for c in ours)


def many_plan(tag, n4=12, n6=8):
    """Distinct sizes: the order of rows is the order of the truth."""
    conns = [exchange(4 if i < n4 else 6, (3 * i + 5) * KiB + 1023,
                      (40 - 2 * i) * KiB + 7) for i in range(n4 + n6)]
    return {"tag": tag, "pairs": [{"kind": "exchange", "conns": conns}]}


def test_rows_sort_and_nosummary_apply():
    """-r N keeps the N largest conns of each family (by -s), "rows" counts
    what was printed; -S leaves the loadavg out of the interval object.
    With -p the client's rows alone compete."""
    tag = new_tag()
    with Traffic(many_plan(tag)) as tr:
        cpid = tr.pid(0, "client")
        tools = start_tools([
            ["-j", "-S", "-p", cpid, "-s", "sent", "-r", 3, "60"],
            ["-j", "-p", cpid, "--sort", "received", "-r", 5, "60"],
            ["-j", "-S", "-p", cpid, "60"]])
        try:
            truth = tr.run()
            res = [t.stop() for t in tools]
        finally:
            for t in tools:
                t.kill()
    client = [s for s in truth["sockets"] if s["pid"] == cpid]
    for (rc, out, err), (sort, n, nosum) in zip(
            res, [("sent", 3, True), ("received", 5, False),
                  ("all", None, True)]):
        assert rc == 0 and json_banner(err, 60), err
        ivs = parse_json(out, nosummary=nosum)
        assert len(ivs) == 1
        iv = ivs[0]
        assert {c["pid"] for c in iv.conns} == {cpid}
        for fam in (4, 6):
            socks = sorted((s for s in client if s["fam"] == fam),
                           key=lambda s: truth_value(s, sort), reverse=True)
            want = [json_truth_key(s) for s in socks[:n]]
            got = [(c["family"], c["pid"], c["comm"], c["laddr"], c["lport"],
                    c["raddr"], c["rport"])
                   for c in (iv.v4 if fam == 4 else iv.v6)]
            assert got == want, (sort, fam)
        assert iv.summary["rows"] == (2 * n if n else len(client))
        if n is None:
            assert_json_exact(ivs, truth, tag,
                              want=lambda s: s["pid"] == cpid)


def test_intervals_and_count():
    """-j 1 over several intervals: an interval object every second (rows
    matching, times one second apart and increasing), the sum of the
    intervals exact in bytes; with a count of 3, exactly 3 interval objects
    and exit 0."""
    tag = new_tag()
    msgs = [{"size": n * KiB, "reply": r * KiB}
            for n, r in ((1, 1), (4, 2), (16, 1), (2, 8))]
    plan = {"tag": tag, "timeout": 60, "pairs": [
        {"kind": "rpc", "conns": [{"fam": f}], "msgs": msgs,
         "duration": 3.5, "gap": 0.005} for f in (4, 6)]}
    truth, (rc, out, err), (crc, cout, cerr) = open_and_counted(
        plan, ["-j", "-S", "1"], ["-j", "-S", "1", "3"])
    assert rc == 0 and crc == 0, (err, cerr)
    assert json_banner(err, 1) and json_banner(cerr, 1), (err, cerr)
    ivs = parse_json(out, nosummary=True)
    assert len(ivs) >= 4, out
    ts = [iv.summary["ts_ns"] for iv in ivs]
    assert ts == sorted(ts)
    # A full interval lasts a second (the last one, cut short by SIGINT,
    # less).
    for a, b in zip(ts[:-2], ts[1:-1]):
        assert 0.8e9 < b - a < 1.5e9, ts
    assert sum(bool(iv.conns) for iv in ivs) >= 2
    assert_json_exact(ivs, truth, tag)
    assert len(parse_json(cout, nosummary=True)) == 3


def test_verbose_keeps_stdout_json():
    """-j -v: the method, the cache note and the program go to stderr;
    stdout is still JSON only."""
    with Tool(["-j", "-v", "-S", "1", "1"]) as tool:
        rc, out, err = tool.wait(60)
    assert rc == 0, err
    assert len(parse_json(out, nosummary=True)) == 1
    assert "tcptop: attached method: " in err
    assert "container_should_be_filtered" in err
