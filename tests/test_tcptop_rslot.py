"""tcptop's receive slots (bpf_text/tcptop/rcv_slot.bpf.c).

A connection established while the tool runs takes a slot, picked by a
hash of its ports and remote address, if the slot is free: the slot holds
its receive baseline and what it read, so a read's program touches one
page. Another connection whose hash lands there keeps its baseline in its
socket's storage and counts through the cache. Destroying the owner frees
the slot; the next connection there takes it, and hands the bytes the
slot still holds for the earlier one to the count tables.

A connection opened before the tool started takes its slot at its first
read (then its reads cost what an owner's do).

Here the client's and server's ports are chosen so that two connections'
server sockets share a slot (the hash computed apart, tests/lib/ccache.py).
The kernel's maps are read with bpftool: exactly one of the two reads
through the slot, every byte is once in the cache or the tables, slots are
freed when the sockets go, and the tool's output is exact. Where the one
left without the slot cannot have socket storage either (no option memory
in its namespace), its reads are reported lost, not miscounted.
"""
import socket
import subprocess

import pytest

from lib.ccache import cache_bytes, generation, slot_of, slots, table_bytes
from lib.require import skip_or_fail
from lib.tcptop_live import (KiB, Tool, Traffic, assert_exact, exchange,
                             json_key, json_truth_key, new_tag, parse,
                             parse_json, wait_until)

pytestmark = pytest.mark.usefixtures("tcptop_live_but_parser")

ADDR = {4: "127.0.0.1", 6: "::1"}


def hashed_daddr(fam, accepted):
    """The IPv4 remote address the hash takes: for IPv6, what the kernel
    keeps there, LOOPBACK4_IPV6 in an accepted socket
    (tcp_v6_syn_recv_sock()), nothing in a connected one."""
    if fam == 4:
        return "127.0.0.1"
    return "127.0.0.6" if accepted else "0.0.0.0"


def bindable(fam, port):
    s = socket.socket(socket.AF_INET if fam == 4 else socket.AF_INET6)
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ADDR[fam], port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def free_port(fam):
    s = socket.socket(socket.AF_INET if fam == 4 else socket.AF_INET6)
    s.bind((ADDR[fam], 0))
    port = s.getsockname()[1]
    s.close()
    return port


def colliding_ports(fam, server_port, n):
    """(slot, [n client ports]) whose connections' server sockets share
    that slot, while their client sockets' slots lie elsewhere."""
    by_slot = {}
    for port in range(20000, 32000):
        slot = slot_of(server_port, port, hashed_daddr(fam, True))
        if slot_of(port, server_port, hashed_daddr(fam, False)) == slot or \
                not bindable(fam, port):
            continue
        by_slot.setdefault(slot, []).append(port)
        if len(by_slot[slot]) == n:
            return slot, by_slot[slot]
    raise AssertionError("no %d ports share a slot" % n)


def our_slots(fam, server_port, ports):
    return {slot_of(server_port, p, hashed_daddr(fam, True))
            for p in ports} | \
        {slot_of(p, server_port, hashed_daddr(fam, False)) for p in ports}


def slots_freed(pid, which):
    got = slots(pid)
    return all(got[s][0].owner == 0 and got[s][0].claims == 0 for s in which)


def plan(tag, fam, server_port, conns):
    return {"tag": tag, "pairs": [{"kind": "exchange", "port": server_port,
                                   "conns": [dict(exchange(fam, c2s, s2c),
                                                  lport=port)
                                             for port, c2s, s2c in conns]}]}


def assert_every_byte_once(pid, truths):
    """Each socket's bytes are in the cache (CPUs' entries and slots) and
    the tables exactly once."""
    cached, tables = cache_bytes(pid), table_bytes(pid)
    for truth in truths:
        for s in truth["sockets"]:
            k = (s["pid"], s["lport"], s["rport"])
            c, t = cached.get(k, [0, 0]), tables.get(k, [0, 0])
            assert [c[0] + t[0], c[1] + t[1]] == [s["sent"], s["recv"]], \
                (s, c, t)


def server_socket(truth, client_port):
    [s] = [s for s in truth["sockets"]
           if s["role"] == "server" and s["rport"] == client_port]
    return s


@pytest.mark.parametrize("fam", [4, 6])
def test_two_connections_one_slot(fam):
    port = free_port(fam)
    slot, (p1, p2) = colliding_ports(fam, port, 2)
    tag = new_tag()
    with Traffic(plan(tag, fam, port, [(p1, 200 * KiB + 11, 30 * KiB + 3),
                                       (p2, 100 * KiB + 5, 50 * KiB + 7)])) \
            as tr:
        with Tool(["-C", "-S", "60"]) as tool:
            pid = tool.proc.pid
            assert slots(pid)[slot][0].owner == 0
            truth = tr.run()
            gen = generation(pid)
            entry = slots(pid)[slot][gen & 1]
            assert_every_byte_once(pid, [truth])
            # Destroying the sockets frees their slots.
            assert wait_until(lambda: slots_freed(
                pid, our_slots(fam, port, [p1, p2])), 20)
            rc, out, err = tool.stop()
    assert rc == 0, err
    # One of the two server sockets read through the slot; the other,
    # which found it taken, did not.
    assert entry.used and entry.gen == gen and entry.lport == port, entry
    assert entry.dport in (p1, p2), entry
    assert (entry.sent, entry.recv) == (
        0, server_socket(truth, entry.dport)["recv"]), entry
    _, ivs = parse(out)
    assert_exact(ivs, truth, tag)


def test_a_freed_slot_is_taken_again():
    """The second connection takes the slot the first left, and its first
    read hands the first one's bytes, still in the slot, to the tables."""
    fam = 4
    port = free_port(fam)
    slot, (p1, p2) = colliding_ports(fam, port, 2)
    tag1, tag2 = new_tag(), new_tag()
    with Tool(["-C", "-S", "60"]) as tool:
        pid = tool.proc.pid
        with Traffic(plan(tag1, fam, port, [(p1, 120 * KiB + 1, 9)])) as tr:
            truth1 = tr.run()
        assert wait_until(lambda: slots_freed(
            pid, our_slots(fam, port, [p1])), 20)
        gen = generation(pid)
        first = slots(pid)[slot][gen & 1]
        with Traffic(plan(tag2, fam, port, [(p2, 80 * KiB + 3, 5)])) as tr:
            truth2 = tr.run()
        second = slots(pid)[slot][gen & 1]
        tables = table_bytes(pid)
        assert_every_byte_once(pid, [truth1, truth2])
        assert generation(pid) == gen
        rc, out, err = tool.stop()
    assert rc == 0, err
    s1, s2 = server_socket(truth1, p1), server_socket(truth2, p2)
    assert (first.lport, first.dport, first.recv) == (port, p1, s1["recv"])
    assert (second.lport, second.dport, second.recv) == \
        (port, p2, s2["recv"])
    assert tables[(s1["pid"], port, p1)][1] == s1["recv"], tables
    _, ivs = parse(out)
    assert_exact(ivs, truth1, tag1)
    assert_exact(ivs, truth2, tag2)


def test_connection_opened_before_start_takes_its_slot():
    """Connections opened and used before the tool starts: from their first
    read under it, each socket reads through its slot (its first read's
    bytes go through the CPU's cache: they were counted from the reading
    tcptop's start took). Sockets whose slots coincide are left out of the
    slot check; every byte is still counted once, and the output is
    exact."""
    tag = new_tag()
    rounds, reply = 3, 40 * KiB + 7
    traffic = {"tag": tag, "pairs": [{
        "kind": "rpc", "conns": [{"fam": 4}, {"fam": 6}],
        "pre": [{"size": 4 * KiB, "reply": KiB}],
        "msgs": [{"size": 8 * KiB + 5, "reply": reply}], "rounds": rounds}]}
    with Traffic(traffic) as tr:
        with Tool(["-C", "-S", "60"]) as tool:
            pid = tool.proc.pid
            truth = tr.run()
            gen = generation(pid)
            got = slots(pid)
            assert_every_byte_once(pid, [truth])
            rc, out, err = tool.stop()
    assert rc == 0, err
    where = {}
    for s in truth["sockets"]:
        slot = slot_of(s["lport"], s["rport"],
                       hashed_daddr(s["fam"], s["role"] == "server"))
        where.setdefault(slot, []).append(s)
    alone = [(slot, ss[0]) for slot, ss in where.items() if len(ss) == 1]
    assert len(alone) >= 3, where
    for slot, s in alone:
        entry = got[slot][gen & 1]
        assert entry.used and entry.gen == gen, (s, entry)
        assert (entry.lport, entry.dport) == (s["lport"], s["rport"]), \
            (s, entry)
        assert 0 < entry.recv <= s["recv"] and entry.recv >= \
            s["recv"] - s["first_recvs"][0], (s, entry)
    _, ivs = parse(out)
    assert_exact(ivs, truth, tag)


# Traffic in a network namespace of its own whose sockets get no option
# memory: socket storage (charged to it) cannot be created there.
NO_OPTMEM = ["unshare", "-n", "sh", "-c",
             'echo 0 > /proc/sys/net/core/optmem_max && exec "$@"', "sh"]


class SlotHolder:
    """A connection on loopback, here (not in the traffic's namespace), from
    client_port to server_port: its accepted socket takes the slot that
    the traffic's server sockets at those ports hash to."""

    def __init__(self, fam, server_port, client_port):
        af = socket.AF_INET if fam == 4 else socket.AF_INET6
        self.ls = socket.socket(af)
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind((ADDR[fam], server_port))
        self.ls.listen(1)
        self.c = socket.socket(af)
        self.c.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.c.bind((ADDR[fam], client_port))
        self.c.connect((ADDR[fam], server_port))
        self.s, _ = self.ls.accept()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for sock in (self.s, self.c, self.ls):
            sock.close()


def holder_for(slot, spare):
    """SlotHolder ports (server, client) whose accepted socket takes slot
    and whose connected socket leaves slot spare alone."""
    for server in range(33000, 34000):
        for client in range(20000, 32000):
            if slot_of(server, client, hashed_daddr(4, True)) == slot and \
                    slot_of(client, server, hashed_daddr(4, False)) \
                    not in (slot, spare) and \
                    bindable(4, server) and bindable(4, client):
                return server, client
    raise AssertionError("no holder for slot %s" % (slot,))


def run_without_storage(tag, holder_ports, port, client_port):
    """One connection from client_port to port in a namespace whose sockets
    get no storage, the client sending 4 bytes and reading nothing, while a
    SlotHolder (here) on holder_ports takes the slot of one of its ends.
    Returns the one interval, the tool's stderr and {key: (sent, recv)} of
    the truth."""
    # Per namespace since Linux 6.9; before, the namespace sees init's.
    probe = subprocess.run(NO_OPTMEM + ["cat", "/proc/sys/net/core/optmem_max"],
                           capture_output=True, text=True)
    if probe.returncode or probe.stdout.strip() != "0":
        skip_or_fail("net.core.optmem_max is not per network namespace: %r"
                     % (probe.stdout + probe.stderr))
    fam = 4
    slot = slot_of(*holder_ports, hashed_daddr(fam, True))
    with Traffic(plan(tag, fam, port, [(client_port, 4, 0)]),
                 prefix=NO_OPTMEM, lo_up=True) as tr:
        with Tool(["-j", "-S", "60"]) as tool:
            pid = tool.proc.pid
            assert slots(pid)[slot][0].owner == 0
            with SlotHolder(fam, *holder_ports):
                assert wait_until(lambda: slots(pid)[slot][0].owner, 10)
                truth = tr.run()
            rc, out, err = tool.stop()
    assert rc == 0, err
    [iv] = parse_json(out, nosummary=True)
    want = {json_truth_key(s): (s["sent"], s["recv"]) for s in
            truth["sockets"]}
    assert sorted(want.values()) == [(0, 4), (4, 0)], want
    return iv, err, want


def tool_bytes(iv, tag):
    return {json_key(c): (c["tx_bytes"], c["rx_bytes"]) for c in iv.conns
            if c["comm"].startswith(tag)}


def test_no_memory_for_a_baseline():
    """The server socket finds its slot taken (by a connection held open
    outside its namespace, whose net.core.optmem_max is 0): it has nowhere
    to keep its receive baseline (its storage is refused), so its reads
    cannot be measured. The tool says so, as lost receive counts
    (rx_unmeasured and its warning: one per call that found no
    baseline), not as a full table. The client's count is exact; the
    server, which sent nothing, has no row."""
    port = free_port(4)
    _, (p1, p2) = colliding_ports(4, port, 2)
    tag = new_tag()
    iv, err, want = run_without_storage(tag, (port, p1), port, p2)
    assert iv.summary["rx_unmeasured"] >= 1 and iv.summary["dropped"] == 0, \
        (iv.summary, err)
    assert "receive counts lost: no memory for a connection's receive " \
        "baseline" in err, err
    assert "counts dropped" not in err, err
    assert tool_bytes(iv, tag) == {k: v for k, v in want.items()
                                   if v == (4, 0)}, want


def test_no_memory_for_a_baseline_never_read():
    """The client socket finds its slot taken and its storage refused, but
    never reads: nothing is lost, so nothing is reported (setting the
    baseline at establishment counts nothing), and every count is exact."""
    port, client_port = free_port(4), free_port(4)
    tag = new_tag()
    iv, err, want = run_without_storage(
        tag, holder_for(slot_of(client_port, port, "127.0.0.1"),
                        slot_of(port, client_port, "127.0.0.1")),
        port, client_port)
    assert (iv.summary["rx_unmeasured"], iv.summary["dropped"]) == (0, 0), \
        (iv.summary, err)
    assert "WARNING" not in err, err
    assert tool_bytes(iv, tag) == want
