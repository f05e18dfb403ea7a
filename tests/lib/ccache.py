"""tcptop's count cache and receive slots as the kernel holds them: the
ccache array (bpf_text/tcptop/btf_count.bpf.c, rcv_slot.bpf.c) and the
count tables, read with bpftool while the tool runs."""
import collections
import socket
import struct

from lib.bpf import bpftool_json, map_by_name, map_entries

# struct ccache_t: who_t (saddr[16] daddr[16] comm[16] pid gen family
# lport dport used), bytes[2], busy, then a receive slot's owner, claims
# and baseline (struct rcv_seq_t: copied_seq lport dport base fresh), pad.
ENTRY = struct.Struct("<16s16s16sIIHHHHQQQQQIHHII8x")
Element = collections.namedtuple("Element", (
    "saddr daddr comm pid gen family lport dport used sent recv busy "
    "owner claims rcv_seq rcv_lport rcv_dport rcv_base rcv_fresh"))
PAGE = 32   # elements per 4 KiB page; the first is the page's head
SLOTS = 15  # entries per page per generation parity
RSLOT_PAGES = 64    # receive slot pages, after the CPUs' (tcptop_ccache.c)
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
    """[(index, Element)] of the cache array, in order."""
    m = map_by_name(pid, "ccache")
    assert m["type"] == "array" and m["bytes_value"] == ENTRY.size, m
    out = [(int.from_bytes(raw(e["key"]), "little"), Element(*ENTRY.unpack(
        raw(e["value"])))) for e in bpftool_json("map", "dump", "id",
                                                  str(m["id"]))]
    assert len(out) == m["max_entries"] and len(out) % PAGE == 0, m
    return sorted(out)


def cache_bytes(pid):
    """{(pid, lport, dport): [sent, received]} over every entry of the
    current generation (the CPUs' and the receive slots')."""
    gen = generation(pid)
    got = {}
    for i, e in cache_elements(pid):
        if i % PAGE and e.used and e.gen == gen:
            b = got.setdefault((e.pid, e.lport, e.dport), [0, 0])
            b[0] += e.sent
            b[1] += e.recv
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


def slots(pid):
    """{(page, k): (parity-0 Element, parity-1 Element)} of the receive
    slots; page counts from the first slot page."""
    els = cache_elements(pid)
    first = len(els) - RSLOT_PAGES * PAGE
    assert first >= 0 and first % PAGE == 0, len(els)
    out = {}
    for page in range(RSLOT_PAGES):
        base = first + page * PAGE
        for k in range(SLOTS):
            out[(page, k)] = (els[base + 1 + k][1],
                              els[base + 1 + SLOTS + k][1])
    return out


def _net16(port):
    """A port as a u16 load of its network-order bytes gives it here."""
    return struct.unpack("=H", struct.pack("!H", port))[0]


def slot_of(sport, dport, daddr):
    """(page, k) of the slot of a socket with these local and remote ports
    and IPv4 remote address: rcv_slot.bpf.c's hash, computed apart."""
    h = (_net16(sport) << 16 | _net16(dport)) ^ struct.unpack(
        "=I", socket.inet_aton(daddr))[0]
    h = (h * 0x9E3779B1) & 0xffffffff
    return h >> 26, ((((h << 6) & 0xffffffff) >> 16) * SLOTS) >> 16
