"""Helpers for the tcpconnlat tests: nftables rules that make connects
slow, refused or unanswered (for a lib.netns.Netns); the ground-truth client
(tests/connlat_client.py); running the tool and parsing its lines; and its
`start` map, read and changed with bpftool.

All traffic stays inside network namespaces (on their loopback).
"""
import codecs
import datetime
import json
import os
import re
import select
import struct
import subprocess
import time

from lib.bpf import ConnectEndWitness, map_entries, map_update
from lib.paths import CONNLAT_CLIENT, PYTHON, TCPCONNLAT
from lib.proc import Background, run

HEADER = "LAT(ms)\n"


def drop_first_syns(port, drops=1):
    """nft rules dropping the first `drops` SYNs of every connect to port.

    A connect is told apart by its source port: the first SYN puts the port
    into set seen1 and is dropped, the retransmission puts it into seen2 and
    is dropped, and so on; once in the last set, SYNs pass. The kernel
    retransmits an unanswered SYN after 1 s, then (tcp_syn_linear_timeouts,
    Linux 6.15+) 1 s or 2 s, ...
    """
    sets = "".join(
        "  set seen%d { type inet_service; flags dynamic,timeout; timeout 120s; }\n"
        % i for i in range(1, drops + 1))
    syn = "tcp dport %d tcp flags & (syn|ack) == syn" % port
    rules = ["    %s tcp sport @seen%d accept\n" % (syn, drops)]
    for i in range(drops, 1, -1):
        rules.append("    %s tcp sport @seen%d add @seen%d { tcp sport } drop\n"
                     % (syn, i - 1, i))
    rules.append("    %s add @seen1 { tcp sport } drop\n" % syn)
    return ("table inet connlat {\n%s"
            "  chain out { type filter hook output priority 0; policy accept;\n"
            "%s  }\n}\n" % (sets, "".join(rules)))


def drop_all_syns(port):
    """nft rules dropping every SYN to port: connects never get an answer."""
    return ("table inet connlat {\n"
            "  chain out { type filter hook output priority 0; policy accept;\n"
            "    tcp dport %d tcp flags & (syn|ack) == syn drop\n  }\n}\n" % port)


def reject_icmp(port, kind="port-unreachable"):
    """nft rules refusing connects to port with an ICMP error of kind
    (nft's icmpx: port-unreachable, host-unreachable, admin-prohibited,
    no-route; ICMP or ICMPv6 by the connect's family)."""
    return ("table inet connlat {\n"
            "  chain out { type filter hook output priority 0; policy accept;\n"
            "    tcp dport %d tcp flags & (syn|ack) == syn reject with icmpx %s\n"
            "  }\n}\n" % (port, kind))


def client_argv(ns=None, **kw):
    argv = [PYTHON, CONNLAT_CLIENT]
    for k, v in kw.items():
        flag = "--" + k.replace("_", "-")
        if v is True:
            argv.append(flag)
        elif v is not None and v is not False:
            argv += [flag, str(v)]
    return ns.argv(argv) if ns else argv


def client(ns=None, timeout=120, **kw):
    """Run the client to completion; return its JSON records."""
    r = run(client_argv(ns, **kw), timeout=timeout)
    assert r.returncode == 0, "client failed: %s" % r.stderr
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def client_bg(ns=None, **kw):
    """Start the client; returns the Popen (stdout: JSON lines)."""
    return subprocess.Popen(client_argv(ns, **kw), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(proc, timeout=120):
    out, err = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, "client failed: %s" % err
    return [json.loads(l) for l in out.splitlines() if l.strip()]


def tool(args=(), method="tracepoint", wait=True, **kw):
    """Start tcpconnlat; returns once its header is printed (it is live),
    or at once without wait (then call bg.wait_for(HEADER, 60))."""
    argv = [TCPCONNLAT] + (["--attach", method] if method else []) + list(args)
    return Background(argv, ready=HEADER if wait else None, **kw)


def read_json_line(proc, timeout=30):
    """One JSON record from a running client, waiting at most timeout."""
    r, _, _ = select.select([proc.stdout], [], [], timeout)
    assert r, "client printed nothing in %s s" % timeout
    line = proc.stdout.readline()
    assert line, "client ended: %s" % proc.stderr.read()
    return json.loads(line)


def wait_for_event(bg, pred, timeout=30, timestamp=False, lport=False):
    """Read until an event line satisfies pred; return all such lines."""
    end = time.monotonic() + timeout
    while True:
        got = [e for e in events(bg.out, timestamp, lport) if pred(e)]
        if got or time.monotonic() > end:
            return got
        if not bg.read_some(0.1):
            return got


def wait_for_all(bg, recs, timeout=30, **fmt):
    """Wait until every client connect has its line."""
    wait_for_event(bg, lambda e: all(for_conn(events(bg.out, **fmt), r)
                                     for r in recs),
                   timeout=timeout, **fmt)


def parse_event(line, timestamp=False, lport=False, failed=False):
    """One event line -> dict, by the original's column layout:
    [%-9.3f]%-7d %-12.12s %-2d %-16s [%-6d ]%-16s %-5d %.2f
    (--failed: %-9.2f %s, the RESULT last)"""
    e = {"line": line}
    if timestamp:
        e["time"] = float(line[:9])
        line = line[9:]
    e["pid"] = int(line[:7])
    assert line[7] == " ", line
    e["comm"] = line[8:20]
    assert line[20] == " ", line
    rest = line[21:].split()
    e["ip"] = int(rest.pop(0))
    e["saddr"] = rest.pop(0)
    if lport:
        e["lport"] = int(rest.pop(0))
    e["daddr"] = rest.pop(0)
    e["dport"] = int(rest.pop(0))
    lat = rest.pop(0)
    assert re.fullmatch(r"\d+\.\d\d", lat), line
    e["lat"] = float(lat)
    if failed:
        e["result"] = rest.pop(0)
    assert not rest, line
    return e


def events(out, timestamp=False, lport=False, failed=False):
    """The event lines after the header, parsed."""
    needle = FAILED_HEADER if failed else HEADER
    head = out.find(needle)
    if head < 0:
        return []
    body = out[head + len(needle):]
    lines = body.split("\n")[:-1]      # the last piece may be incomplete
    return [parse_event(l, timestamp, lport, failed) for l in lines if l]


def header(timestamp=False, lport=False, failed=False):
    """The original's header line (--failed: RESULT last)."""
    h = "%-9s" % "TIME(s)" if timestamp else ""
    if lport:
        h += "%-7s %-12s %-2s %-16s %-6s %-16s %-5s " % (
            "PID", "COMM", "IP", "SADDR", "LPORT", "DADDR", "DPORT")
    else:
        h += "%-7s %-12s %-2s %-16s %-16s %-5s " % (
            "PID", "COMM", "IP", "SADDR", "DADDR", "DPORT")
    return h + ("%-9s %s" % ("LAT(ms)", "RESULT") if failed else "LAT(ms)")


FAILED_HEADER = "RESULT\n"


# --- -j -------------------------------------------------------------------

def wait_stderr(bg, needle, timeout=60):
    """Read the tool's stderr until needle appears (-j: the header is there,
    once tracing is live); what was read is kept in bg.err_seen."""
    bg.err_seen = getattr(bg, "err_seen", "")
    fd = bg.proc.stderr.fileno()
    end = time.monotonic() + timeout
    while needle not in bg.err_seen:
        left = end - time.monotonic()
        assert left > 0, "timeout waiting for %r: %s" % (needle, bg.err_seen)
        r, _, _ = select.select([fd], [], [], min(left, 0.1))
        if r:
            chunk = os.read(fd, 65536)
            assert chunk, "tool ended: %s" % bg.err_seen
            bg.err_seen += chunk.decode(errors="replace")


def json_tool(args=(), method="tracepoint", **kw):
    """tcpconnlat -j, once live (its header on stderr)."""
    bg = tool(["-j"] + list(args), method=method, wait=False, **kw)
    wait_stderr(bg, "LAT(ms)")
    return bg


def json_records(out):
    """Every complete line of stdout, each parsed as JSON on its own."""
    return [json.loads(l) for l in out.split("\n")[:-1]]


def wait_for_records(bg, recs, timeout=30):
    """Wait until every client connect has its JSON record."""
    end = time.monotonic() + timeout
    while not all(records_for(json_records(bg.out), r) for r in recs):
        if time.monotonic() > end or not bg.read_some(0.1):
            return


def records_for(objs, rec):
    """The tool's JSON records for one client connect."""
    return [o for o in objs if o["pid"] == rec["pid"] and
            o["lport"] == rec["lport"] and o["dport"] == rec["dport"] and
            o["saddr"] == rec["saddr"] and o["family"] == rec["family"]]


codecs.register_error("per_byte", lambda e: ("\ufffd", e.start + 1))


def json_comm(comm_hex):
    """A COMM as -j gives it: whole, each byte that is not part of valid
    UTF-8 replaced by U+FFFD (runtime/json.c)."""
    return bytes.fromhex(comm_hex).decode("utf-8", "per_byte")


def check_record(o, rec, failed=False):
    """Every field of a JSON record against what the client saw."""
    assert o["v"] == 1 and o["type"] == "connect", o
    for k in ("pid", "tid", "family", "saddr", "lport", "daddr", "dport"):
        assert o[k] == rec[k], (k, o, rec)
    assert o["comm"] == json_comm(rec["comm"]), (o, rec)
    assert type(o["lat_us"]) is int and type(o["lat_ms"]) in (int, float), o
    assert abs(o["lat_ms"] - o["lat_us"] / 1000) < 0.0006, o
    # The tool's interval lies inside the client's connect() call.
    assert 0 <= o["lat_ms"] <= rec["ms"] + 0.01, (o, rec)
    # time is ts_ns in RFC 3339 (to the microsecond), near now.
    sec, ns = divmod(o["ts_ns"], 10 ** 9)
    t = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
    assert o["time"] == t.strftime("%Y-%m-%dT%H:%M:%S") + ".%06dZ" % (
        ns // 1000), o
    assert abs(o["ts_ns"] / 1e9 - time.time()) < 300, o
    if failed:
        assert o["result"] == rec["result"], (o, rec)
    else:
        assert "result" not in o, o


def shown_comm(comm_hex):
    """What the original prints for a task name: decode, cut, pad."""
    return "%-12.12s" % bytes.fromhex(comm_hex).decode("utf-8", "replace")


def for_conn(evs, rec):
    """The tool's lines for one client connect (same pid and local port)."""
    return [e for e in evs if e["pid"] == rec["pid"] and
            e["dport"] == rec["dport"] and e["saddr"] == rec["saddr"] and
            e.get("lport", rec["lport"]) == rec["lport"] and
            e["ip"] == rec["family"]]


def check_event(e, rec, lport=False):
    """Every field of the tool's line against what the client saw."""
    assert e["pid"] == rec["pid"], (e, rec)
    assert e["comm"] == shown_comm(rec["comm"]), (e, rec)
    assert e["ip"] == rec["family"], (e, rec)
    assert e["saddr"] == rec["saddr"], (e, rec)
    if lport:
        assert e["lport"] == rec["lport"], (e, rec)
    assert e["daddr"] == rec["daddr"], (e, rec)
    assert e["dport"] == rec["dport"], (e, rec)
    # The tool's interval lies inside the client's connect() call.
    assert 0 <= e["lat"] <= rec["ms"] + 0.01, (e, rec)


# --- the tool's start map (lib.bpf.map_by_name(pid, "start")) -----------

def start_entries(map_id, pid=None):
    """Entries of the start map: (key, ts, pid, task, value), optionally
    one pid's.
    The value is struct info_t { u64 ts; u32 pid; char task[16]; }."""
    ents = []
    for k, v in map_entries(map_id):
        ts, p = struct.unpack_from("<QI", v)
        if pid is None or p == pid:
            ents.append((k, ts, p, v[12:28], v))
    return ents


def start_entry_at(map_id, key):
    """Whether the start map holds an entry for key (a socket address,
    packed)."""
    return any(e[0] == key for e in start_entries(map_id))


def set_start_ts(map_id, key, value_ts, old_value):
    """Overwrite the ts of one start entry."""
    new = struct.pack("<Q", value_ts) + old_value[8:]
    map_update(("id", str(map_id)), key, new, "exist")


def monotonic_ns():
    """bpf_ktime_get_ns()'s clock."""
    return time.clock_gettime_ns(time.CLOCK_MONOTONIC)


class StateTrace:
    """The kernel's own record of TCP state changes while open: the
    sock:inet_sock_set_state tracepoint in an ftrace instance of its own
    (tracefs), for telling a change the programs never saw from one that
    never happened when a test fails. lines(sport) reads it back."""

    TRACEFS = "/sys/kernel/tracing"

    def __init__(self):
        self.dir = os.path.join(self.TRACEFS, "instances",
                                "tcpconnlat-test-%d" % os.getpid())
        os.mkdir(self.dir)
        try:
            self._write("buffer_size_kb", "4096")
            # Every field, the socket's address (skaddr, the programs' key)
            # too, unhashed: "sport=0x1388 (5000)", where tracefs has the
            # option; else the event's own format, "sport=5000".
            if os.path.exists(os.path.join(self.dir, "options", "fields")):
                self._write("options/fields", "1")
                self._write("options/hash-ptr", "0")
            ev = "events/sock/inet_sock_set_state/"
            self._write(ev + "filter", "protocol == 6")
            self._write(ev + "enable", "1")
        except BaseException:
            self.close()
            raise

    def _write(self, name, value):
        with open(os.path.join(self.dir, name), "w") as f:
            f.write(value)

    def lines(self, sports):
        """The recorded changes of the sockets with these local ports (a
        list), and with skaddr shown, every change of those sockets: a
        connect's CLOSE -> SYN_SENT comes before its port is chosen."""
        with open(os.path.join(self.dir, "trace")) as f:
            lines = [line.strip() for line in f]
        mine = [line for line in lines if any(
            " sport=%d " % p in line or " sport=0x%x (" % p in line
            for p in sports)]
        socks = {m.group(0) for m in
                 (re.search(r"skaddr=0x[0-9a-f]+", line) for line in mine)
                 if m}
        return [line for line in lines if line in mine or any(
            sk + " " in line for sk in socks)]

    CHANGE = re.compile(
        r"skaddr=0x([0-9a-f]+) .* oldstate=0x[0-9a-f]+ \((\d+)\) "
        r"newstate=0x[0-9a-f]+ \((\d+)\) sport=0x[0-9a-f]+ \((\d+)\) "
        r"dport=0x[0-9a-f]+ \((\d+)\) ")

    def changes(self):
        """Every change recorded, as (sk, old, new, sport, dport) (TCP_*
        numbers, ports in host order); none where tracefs has no
        options/fields (no skaddr)."""
        with open(os.path.join(self.dir, "trace")) as f:
            found = [self.CHANGE.search(line) for line in f]
        return [(int(m.group(1), 16),) + tuple(int(g) for g in m.groups()[1:])
                for m in found if m]

    def _changed_sks(self, old, new, sport, dport, changes=None):
        """The addresses (skaddr) of the sockets from local port sport to
        dport whose change old -> new (new None: any) this trace recorded
        (of changes, if given)."""
        return [sk for sk, o, n, sp, dp in
                (self.changes() if changes is None else changes)
                if (o, sp, dp) == (old, sport, dport) and new in (None, n)]

    def established_sks(self, lport, dport):
        """The sockets from lport to dport whose SYN_SENT -> ESTABLISHED
        this trace recorded (see _changed_sks)."""
        return self._changed_sks(2, 1, lport, dport)

    def accepted_sks(self, lport, dport):
        """The sockets a listener on lport accepted from dport, by their
        SYN_RECV -> ESTABLISHED (their LISTEN -> SYN_RECV shows the
        listener's ports before Linux 6.15; see _changed_sks)."""
        return self._changed_sks(3, 1, lport, dport)

    def unseen_ends(self, witness, recs):
        """{(lport, dport): sk} of the connects of recs (see conn) whose end
        this trace recorded (with skaddr) but the kernel ran no BPF program
        for: witness, a lib.bpf.ConnectEndWitness attached before this
        trace, counted fewer ends (ConnectEndWitness.is_end) at sk with the
        connect's ports than this trace did (read first), and missed none
        itself. No tool can report those (README, Known gaps)."""
        changes = self.changes()
        out = {}
        for r in recs:
            for sk in self._changed_sks(2, None, *conn(r), changes=changes):
                traced = sum(ConnectEndWitness.is_end(o, n)
                             for s, o, n, sp, dp in changes
                             if (s, sp, dp) == (sk,) + conn(r))
                if witness.ends(sk, *conn(r)) < traced:
                    out[conn(r)] = sk
        if out and witness.missed_any():
            return {}
        return out

    def close(self):
        try:
            self._write("events/sock/inet_sock_set_state/enable", "0")
        except OSError:
            pass
        os.rmdir(self.dir)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def conn(rec):
    """A client connect's (local port, destination port)."""
    return rec["lport"], rec["dport"]


class ConnectEnds:
    """unseen(recs) for the connects made while open: {(lport, dport): sk}
    of those whose end the kernel ran no BPF program for (README, Known
    gaps): a ConnectEndWitness, attached first, counted fewer of its
    ends than the StateTrace (states) did (StateTrace.unseen_ends)."""

    def __init__(self):
        self.witness = ConnectEndWitness()
        try:
            self.states = StateTrace()
        except BaseException:
            self.witness.close()
            raise

    def __call__(self, recs):
        return self.states.unseen_ends(self.witness, recs)

    def judge(self, recs, shown, left):
        """(unseen, left): the connects of recs whose end the kernel ran no
        program for, asked only when one is not shown (shown(rec) false)
        or left holds start entries; and left less those connects'
        entries (see excused)."""
        unseen = {}
        if left or not all(shown(r) for r in recs):
            unseen = self(recs)
        return unseen, excused(unseen, recs, left)

    def close(self):
        self.states.close()
        self.witness.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def excused(unseen, recs, left):
    """The start entries of left but those of an unseen connect (see
    ConnectEnds): its socket's address and its process's. Fails when every
    connect of recs went unseen (then nothing of the tool was shown to
    work)."""
    assert len(unseen) < len(recs), unseen
    gone = set()
    for r in recs:
        if conn(r) in unseen:
            print("not shown, as the kernel ran no BPF program for its "
                  "end: %r" % r)
            gone.add((unseen[conn(r)], r["pid"]))
    return [e for e in left
            if (int.from_bytes(e[0], "little"), e[2]) not in gone]
