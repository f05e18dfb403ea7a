"""tcptop's count cache (bpf_text/tcptop/btf_count.bpf.c, ccache).

The tp_btf and fexit programs add a connection's bytes to an entry of their
CPU's part of one mmapable array instead of updating a hash table on every
call; an entry's bytes go to the tables only when another row takes the
entry, and the tool reads what is left in the cache at each interval's end
through a shared mapping (tools/tcptop_ccache.c). The first element of each
4 KiB page is its head: the generation, which the tool writes there.

Here, in the middle of an interval, the kernel's own maps are read with
bpftool: for every socket of the traffic, what waits in the cache plus what
is in the count tables is exactly what it sent and received (no byte lost
or counted twice by an eviction), and the cache holds bytes (the programs
use it). Then the tool's output for the interval is exact too. Every
page's head carries the tool's current generation. Evictions at scale
(320 sockets over 240 entries per CPU) and interval ends under load are
checked by test_tcptop_live.py (many connections, lossless intervals),
which run the same programs.
"""
import struct

import pytest

from lib.bpf import bpftool_json, map_by_name, map_entries
from lib.tcptop_live import (KiB, Tool, Traffic, assert_exact, exchange,
                             new_tag, parse, wait_until)

pytestmark = pytest.mark.usefixtures("tcptop_live_but_parser")

# struct ccache_t: saddr[16] daddr[16] comm[16] pid gen family lport dport
# used bytes[2] busy pad[5].
ENTRY = struct.Struct("<16s16s16sIIHHHHQQQ40x")
PAGE = 32   # elements per 4 KiB page; the first is the page's head
# struct ipv4_key_t and ipv6_key_t (tools/tcptop.h).
KEY4 = struct.Struct("<I16sIIHHI")
KEY6 = struct.Struct("<16s16sI16sHHII")


def raw(v):
    return bytes(int(x, 16) for x in v)


def generation(pid):
    return struct.unpack("<I", raw(bpftool_json(
        "map", "dump", "id", str(map_by_name(pid, "generation")["id"]))[0]
        ["value"]))[0]


def cache_elements(pid):
    """[(index, fields)] of the cache array, in order."""
    m = map_by_name(pid, "ccache")
    assert m["type"] == "array" and m["bytes_value"] == ENTRY.size, m
    out = [(int.from_bytes(raw(e["key"]), "little"), ENTRY.unpack(
        raw(e["value"]))) for e in bpftool_json("map", "dump", "id",
                                                 str(m["id"]))]
    assert len(out) == m["max_entries"] and len(out) % PAGE == 0, m
    return sorted(out)


def cache_bytes(pid):
    """{(pid, lport, dport): [sent, received]} over every CPU's entries of
    the current generation."""
    gen = generation(pid)
    got = {}
    for i, (_, _, _, epid, egen, fam, lport, dport, used, sent, recv,
            _) in cache_elements(pid):
        if i % PAGE and used and egen == gen:
            b = got.setdefault((epid, lport, dport), [0, 0])
            b[0] += sent
            b[1] += recv
    return got


def table_bytes(pid):
    """{(pid, lport, dport): [sent, received]} of the four count tables."""
    got = {}
    for name, key, col in (("ipv4_send_bytes", KEY4, 0),
                           ("ipv4_recv_bytes", KEY4, 1),
                           ("ipv6_send_bytes", KEY6, 0),
                           ("ipv6_recv_bytes", KEY6, 1)):
        for k, v in map_entries(map_by_name(pid, name)["id"]):
            f = key.unpack(k)
            kpid, lport, dport = ((f[0], f[4], f[5]) if key is KEY4
                                  else (f[2], f[4], f[5]))
            b = got.setdefault((kpid, lport, dport), [0, 0])
            b[col] += struct.unpack("<Q", v)[0]
    return got


def test_cache_and_tables_hold_every_byte_once():
    tag = new_tag()
    plan = {"tag": tag, "pairs": [{"kind": "exchange", "conns": [
        exchange(4, 300 * KiB + 5, 20 * KiB + 7),
        exchange(6, 70 * KiB + 1, 2 * KiB + 3, wsize=KiB)]}]}
    with Traffic(plan) as tr:
        with Tool(["-C", "-S", "60"]) as tool:
            truth = tr.run()
            cached = cache_bytes(tool.proc.pid)
            tables = table_bytes(tool.proc.pid)
            rc, out, err = tool.stop()
    assert rc == 0, err
    socks = truth["sockets"]
    assert len(socks) == 4
    for s in socks:
        k = (s["pid"], s["lport"], s["rport"])
        c, t = cached.get(k, [0, 0]), tables.get(k, [0, 0])
        assert [c[0] + t[0], c[1] + t[1]] == [s["sent"], s["recv"]], \
            (s, c, t)
    assert sum(sum(cached.get((s["pid"], s["lport"], s["rport"]), [0, 0]))
               for s in socks) > 0, cached
    _, ivs = parse(out)
    assert_exact(ivs, truth, tag)


def test_every_page_head_holds_the_generation():
    """The programs take a row's generation from its page's head, which
    the tool writes at every interval's end: after a few intervals every
    head holds the generation of the generation map."""
    with Tool(["-C", "-S", "1", "10"]) as tool:
        assert wait_until(lambda: generation(tool.proc.pid) >= 3, 20)
        before = generation(tool.proc.pid)
        heads = [f[4] for i, f in cache_elements(tool.proc.pid)
                 if i % PAGE == 0]
        after = generation(tool.proc.pid)
        rc, out, err = tool.stop()
    assert rc == 0, err
    assert before >= 3, before
    assert heads and all(before <= g <= after for g in heads), \
        (before, after, heads)
