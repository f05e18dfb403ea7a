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
import pytest

from lib.ccache import (PAGE, cache_bytes, cache_elements, generation,
                        table_bytes)
from lib.tcptop_live import (KiB, Tool, Traffic, assert_exact, exchange,
                             new_tag, parse, wait_until)

pytestmark = pytest.mark.usefixtures("tcptop_live_but_parser")


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
        heads = [e.gen for i, e in cache_elements(tool.proc.pid)
                 if i % PAGE == 0]
        after = generation(tool.proc.pid)
        rc, out, err = tool.stop()
    assert rc == 0, err
    assert before >= 3, before
    assert heads and all(before <= g <= after for g in heads), \
        (before, after, heads)
