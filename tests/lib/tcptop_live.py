"""Helpers for tcptop's live ground-truth tests: run the tool, parse its
output (text or -j's JSON lines) into intervals and rows, run traffic
(tests/traffic.py) and compare the two exactly; the cgroup v2 hierarchy for
the container filters."""
import codecs
import datetime
import json
import os
import queue
import re
import secrets
import signal
import subprocess
import threading
import time

from lib.paths import PYTHON, TCPTOP, TRAFFIC
from lib.wait import wait_until

KiB = 1024
BANNER_RE = re.compile(
    r"^Tracing\.\.\. Output every (\d+) secs\. Hit Ctrl-C to end$")
LOADAVG_RE = re.compile(
    r"^\d\d:\d\d:\d\d loadavg: \d+\.\d\d \d+\.\d\d \d+\.\d\d \d+/\d+ \d+$")
HDR4 = "%-7s %-12s %-21s %-21s %6s %6s" % (
    "PID", "COMM", "LADDR", "RADDR", "RX_KB", "TX_KB")
HDR6 = "%-7s %-12s %-32s %-32s %6s %6s" % (
    "PID", "COMM", "LADDR6", "RADDR6", "RX_KB", "TX_KB")
ROWFMT = {4: "%-7d %-12.12s %-21s %-21s %6d %6d",
          6: "%-7d %-12.12s %-32s %-32s %6d %6d"}
CLEAR = "\033[H\033[2J\033[3J"


class ParseError(AssertionError):
    pass


class Row:
    __slots__ = ("fam", "pid", "comm", "laddr", "lport", "raddr", "rport",
                 "rx_kb", "tx_kb", "line")

    @property
    def key(self):
        return (self.fam, self.pid, self.comm, self.laddr, self.lport,
                self.raddr, self.rport)

    def __repr__(self):
        return "Row(%r)" % self.line


class Interval:
    def __init__(self):
        self.loadavg = None
        self.v4 = None          # None: no IPv4 table printed
        self.v6 = None
        self.lines = []

    @property
    def rows(self):
        return (self.v4 or []) + (self.v6 or [])

    def __repr__(self):
        return "Interval(%s)" % "\n".join(self.lines)


def split_endpoint(s):
    addr, _, port = s.rpartition(":")
    if not addr or not port.isdigit():
        raise ParseError("bad endpoint %r" % s)
    return addr, int(port)


def parse_row(line, fam):
    """One table row, checked against the original's exact format."""
    m = re.match(r"^(\d+)", line)
    if not m:
        raise ParseError("row without a PID: %r" % line)
    digits = m.group(1)
    width = max(7, len(digits))
    if line[len(digits):width + 1].strip(" ") or line[width:width + 1] != " ":
        raise ParseError("bad PID column: %r" % line)
    rest = line[width + 1:]
    comm = rest[:12]
    if rest[12:13] != " ":
        raise ParseError("bad COMM column: %r" % line)
    fields = rest[13:].split()
    if len(fields) != 4 or not fields[2].isdigit() or not fields[3].isdigit():
        raise ParseError("bad row: %r" % line)
    r = Row()
    r.fam = fam
    r.pid = int(digits)
    r.comm = comm.rstrip(" ")
    r.laddr, r.lport = split_endpoint(fields[0])
    r.raddr, r.rport = split_endpoint(fields[1])
    r.rx_kb, r.tx_kb = int(fields[2]), int(fields[3])
    r.line = line
    again = ROWFMT[fam] % (r.pid, comm, fields[0], fields[1], r.rx_kb,
                           r.tx_kb)
    if again != line:
        raise ParseError("row not in the original's layout:\n%r\n%r"
                         % (line, again))
    return r


def parse_interval(lines):
    """The lines of one interval, after its "\n" or clear-screen."""
    iv, table = Interval(), None
    iv.lines = lines
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if line == "":
            # /proc/loadavg's own newline, or the one before the IPv6 table
            if nxt != HDR6 and not (i == 1 and iv.loadavg):
                raise ParseError("stray blank line in %r" % lines)
            table = None
        elif LOADAVG_RE.match(line) and i == 0:
            if nxt != "":
                raise ParseError("no blank line after loadavg: %r" % lines)
            iv.loadavg = line
        elif line == HDR4:
            if iv.v4 is not None or iv.v6 is not None or \
                    i != (2 if iv.loadavg else 0):
                raise ParseError("misplaced IPv4 header in %r" % lines)
            iv.v4, table = [], 4
        elif line == HDR6:
            if iv.v6 is not None or i == 0 or lines[i - 1] != "":
                raise ParseError("misplaced IPv6 header in %r" % lines)
            iv.v6, table = [], 6
        elif table is None:
            raise ParseError("line outside a table: %r" % line)
        else:
            (iv.v4 if table == 4 else iv.v6).append(parse_row(line, table))
    for t in (iv.v4, iv.v6):
        if t is not None and not t:
            raise ParseError("table header without rows: %r" % lines)
    return iv


def parse(out):
    """tcptop's stdout -> (interval seconds, [Interval]).

    An interval starts with "\n" (-C) or the clear-screen sequence; a blank
    line directly before the IPv6 header belongs to the interval."""
    first, nl, body = out.partition("\n")
    m = BANNER_RE.match(first)
    if not m or not nl:
        raise ParseError("no banner: %r" % first)
    if body and not body.endswith("\n") and not body.endswith(CLEAR):
        raise ParseError("output does not end with a newline: %r"
                         % body[-200:])
    groups = []
    if CLEAR in body:
        pieces = body.split(CLEAR)
        if pieces[0]:
            raise ParseError("text before the first clear: %r" % pieces[0])
        for piece in pieces[1:]:
            if piece and not piece.endswith("\n"):
                raise ParseError("interval not ending in a newline: %r"
                                 % piece)
            groups.append(piece.split("\n")[:-1] if piece else [])
    else:
        lines = body.split("\n")[:-1]
        for i, line in enumerate(lines):
            nxt = lines[i + 1] if i + 1 < len(lines) else None
            after_loadavg = i > 0 and LOADAVG_RE.match(lines[i - 1]) and \
                groups and len(groups[-1]) == 1
            if line == "" and nxt != HDR6 and not after_loadavg:
                groups.append([])
            elif not groups:
                raise ParseError("text before the first interval: %r" % line)
            else:
                groups[-1].append(line)
    return int(m.group(1)), [parse_interval(g) for g in groups]


# ------------------------------------------------------------ -j's output

CONN_KEYS = {"v", "type", "time", "ts_ns", "pid", "comm", "family", "laddr",
             "lport", "raddr", "rport", "rx_bytes", "tx_bytes"}
INTERVAL_KEYS = {"v", "type", "time", "ts_ns", "rows", "dropped",
                 "rx_unmeasured"}
LOAD_KEYS = {"load1", "load5", "load15", "tasks_running", "tasks_total"}
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


class JsonInterval:
    """One interval of -j: its conn objects, then its interval object."""

    def __init__(self, conns, summary):
        self.conns = conns
        self.summary = summary

    @property
    def v4(self):
        return [c for c in self.conns if c["family"] == 4]

    @property
    def v6(self):
        return [c for c in self.conns if c["family"] == 6]

    def __repr__(self):
        return "JsonInterval(%r, %r)" % (self.conns, self.summary)


def check_time(obj):
    """"time" (RFC 3339, UTC, microseconds) is "ts_ns" (ns since the
    epoch) cut to microseconds."""
    if not TIME_RE.match(obj["time"]):
        raise ParseError("bad time %r" % obj["time"])
    t = datetime.datetime.strptime(obj["time"], "%Y-%m-%dT%H:%M:%S.%fZ")
    t = t.replace(tzinfo=datetime.timezone.utc)
    us = (t - datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)) \
        // datetime.timedelta(microseconds=1)
    if us != obj["ts_ns"] // 1000:
        raise ParseError("time %r is not ts_ns %d" % (obj["time"],
                                                      obj["ts_ns"]))


def parse_json(out, nosummary=False):
    """tcptop -j's stdout -> [JsonInterval]. Every line is one JSON object
    of the README's schema (exactly its keys, with types); an interval is
    its conn objects, all with the interval's time, then one interval
    object whose "rows" counts them."""
    if out and not out.endswith("\n"):
        raise ParseError("output does not end with a newline: %r" % out[-200:])
    ivs, conns = [], []
    for line in out.splitlines():
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise ParseError("not JSON: %r (%s)" % (line, e))
        if not isinstance(obj, dict) or obj.get("v") != 1:
            raise ParseError("not a v1 object: %r" % line)
        if obj.get("type") == "conn":
            if set(obj) != CONN_KEYS:
                raise ParseError("conn keys %r" % sorted(obj))
            if obj["family"] not in (4, 6) or not isinstance(obj["comm"], str):
                raise ParseError("bad conn %r" % line)
            for k in ("ts_ns", "pid", "lport", "rport", "rx_bytes",
                      "tx_bytes"):
                if not isinstance(obj[k], int) or obj[k] < 0:
                    raise ParseError("%s not a count: %r" % (k, line))
            conns.append(obj)
        elif obj.get("type") == "interval":
            want = INTERVAL_KEYS | (set() if nosummary else LOAD_KEYS)
            if set(obj) != want:
                raise ParseError("interval keys %r, want %r"
                                 % (sorted(obj), sorted(want)))
            if obj["rows"] != len(conns):
                raise ParseError("interval says %d rows, %d came: %r"
                                 % (obj["rows"], len(conns), line))
            if any(c["ts_ns"] != obj["ts_ns"] for c in conns):
                raise ParseError("a conn of another time in %r" % conns)
            ivs.append(JsonInterval(conns, obj))
            conns = []
        else:
            raise ParseError("unknown type: %r" % line)
        check_time(obj)
    if conns:
        raise ParseError("conns without their interval object: %r" % conns)
    return ivs


def _one_byte_replace(e):
    return "\ufffd", e.start + 1


codecs.register_error("tcptop_json", _one_byte_replace)


def json_comm(comm):
    """A truth comm (surrogateescape) as -j shows it (runtime/json.c):
    every byte that does not begin or continue valid UTF-8 one U+FFFD (a
    truncated sequence is one per byte, where Python's "replace" gives
    one)."""
    return comm.encode("utf-8", "surrogateescape").decode("utf-8",
                                                          "tcptop_json")


def json_key(c):
    return (c["family"], c["pid"], c["comm"], c["laddr"], c["lport"],
            c["raddr"], c["rport"])


def json_truth_key(s):
    return (s["fam"], s["pid"], json_comm(s["comm"]), s["laddr"], s["lport"],
            s["raddr"], s["rport"])


def json_compare(ivs, truth, tag, want=lambda s: True):
    """compare() for -j, in bytes: every socket of the truth that want()
    selects shows exactly its bytes (summed over the intervals), the others
    not at all, and no conn of ours that is not in the truth; a key twice
    in one interval is an error. Returns a list of problems."""
    problems, got, expect = [], {}, {}
    for n, iv in enumerate(ivs):
        seen = set()
        for c in iv.conns:
            if not c["comm"].startswith(tag):
                continue
            k = json_key(c)
            if k in seen:
                problems.append("interval %d shows %r twice" % (n, k))
            seen.add(k)
            g = got.setdefault(k, [0, 0])
            g[0] += c["rx_bytes"]
            g[1] += c["tx_bytes"]
    for s in truth["sockets"]:
        k = json_truth_key(s)
        e = expect.setdefault(k, {"sent": 0, "recv": 0, "want": want(s),
                                  "role": s["role"]})
        e["sent"] += s["sent"]      # a port used again: one row, summed
        e["recv"] += s["recv"]
    for k, e in expect.items():
        g = got.get(k)
        if not e["want"] or e["sent"] + e["recv"] == 0:
            if g is not None:
                problems.append("conn should not show: %r -> %r" % (k, g))
        elif g is None:
            problems.append("missing conn %r (truth sent %d recv %d)"
                            % (k, e["sent"], e["recv"]))
        elif g != [e["recv"], e["sent"]]:
            problems.append("%s %r: rx_bytes %d tx_bytes %d, truth recv %d "
                            "sent %d" % (e["role"], k, g[0], g[1], e["recv"],
                                         e["sent"]))
    for k, g in got.items():
        if k not in expect:
            problems.append("conn of ours not in the truth: %r -> %r" % (k, g))
    return problems


def assert_json_exact(ivs, truth, tag, **kw):
    problems = json_compare(ivs, truth, tag, **kw)
    assert not problems, "%d problems:\n%s" % (len(problems),
                                               "\n".join(problems[:60]))


def json_banner(err, interval):
    """-j's stderr starts with the banner, alone on its line."""
    return err.startswith(
        "Tracing... Output every %d secs. Hit Ctrl-C to end\n" % interval)


# ----------------------------------------------------------------- the tool

class Tool:
    """tcptop in the background; its output is drained continuously, so a
    full pipe never stalls it."""

    def __init__(self, args, ready="Tracing...", timeout=90):
        self.argv = [TCPTOP] + [str(a) for a in args]
        # -j prints its banner on stderr (stdout is JSON only).
        self.json = "-j" in self.argv or "--json" in self.argv
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self._out, self._err = bytearray(), bytearray()
        self._threads = [
            threading.Thread(target=self._drain, args=(self.proc.stdout,
                                                       self._out),
                             daemon=True),
            threading.Thread(target=self._drain, args=(self.proc.stderr,
                                                       self._err),
                             daemon=True)]
        for t in self._threads:
            t.start()
        self.ready_at = None
        if ready:
            self.wait_for(ready, timeout)
            self.ready_at = time.monotonic()

    @staticmethod
    def _drain(f, buf):
        while True:
            chunk = f.read1(65536)
            if not chunk:
                return
            buf += chunk

    @property
    def out(self):
        return bytes(self._out).decode("utf-8", "surrogateescape")

    @property
    def err(self):
        return bytes(self._err).decode("utf-8", "surrogateescape")

    def _seen(self, needle):
        return needle in (self.err if self.json and needle == "Tracing..."
                          else self.out)

    def wait_for(self, needle, timeout):
        end = time.monotonic() + timeout
        while not self._seen(needle):
            if self.proc.poll() is not None:
                for t in self._threads:
                    t.join(5)
                if self._seen(needle):
                    return
                raise AssertionError("%s exited %s before %r:\n%s\n%s" % (
                    self.argv, self.proc.returncode, needle, self.out,
                    self.err))
            if time.monotonic() > end:
                self.kill()
                raise AssertionError("timeout waiting for %r from %s:\n%s\n%s"
                                     % (needle, self.argv, self.out,
                                        self.err))
            time.sleep(0.02)

    def wait(self, timeout):
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("%s did not exit within %ss" % (self.argv,
                                                                 timeout))
        for t in self._threads:
            t.join(10)
        return self.proc.returncode, self.out, self.err

    def stop(self, sig=signal.SIGINT, timeout=30):
        """Signal, wait; returns (returncode, stdout, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.wait(timeout)

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


def start_tools(arg_lists, timeout=120):
    """Start several instances at once (they compile in parallel)."""
    tools = []
    try:
        for args in arg_lists:
            tools.append(Tool(args, ready=None))
        for t in tools:
            t.wait_for("Tracing...", timeout)
    except BaseException:
        for t in tools:
            t.kill()
        raise
    return tools


def traced(tr, arg_lists):
    """Run tr's traffic under several instances started at once (as
    start_tools), each stopped afterwards with one interval (stop_single):
    (truth, [interval of each])."""
    tools = start_tools(arg_lists)
    try:
        truth = tr.run()
        return truth, [stop_single(t)[0] for t in tools]
    finally:
        for t in tools:
            t.kill()


def open_and_counted(plan, open_args, counted_args):
    """plan's traffic under two instances started at once: one without a
    count, stopped by SIGINT after the traffic, and one with a count, which
    must stop by itself: (truth, (rc, out, err) of each)."""
    with Traffic(plan) as tr:
        tool, counted = start_tools([open_args, counted_args])
        try:
            truth = tr.run()
            res = tool.stop(signal.SIGINT)
            cres = counted.wait(30)
        finally:
            tool.kill()
            counted.kill()
    return truth, res, cres


def stop_single(tool, sig=signal.SIGINT, quiet=True):
    """Stop an instance running with a long interval: it must print exactly
    the one interval in progress and exit 0 (quiet: with nothing on
    stderr)."""
    rc, out, err = tool.stop(sig)
    assert rc == 0, "%s exited %s:\n%s" % (tool.argv, rc, err)
    assert not quiet or err == "", "%s complained:\n%s" % (tool.argv, err)
    _, ivs = parse(out)
    assert len(ivs) == 1, "expected exactly one interval from %s, got %d:\n%s" \
        % (tool.argv, len(ivs), out)
    return ivs[0], err


# ------------------------------------------------------------------ traffic

def exchange(fam, c2s, s2c, wsize=16 * KiB, rsize=16 * KiB):
    """One connection of an "exchange" pair (see tests/traffic.py)."""
    return {"fam": fam, "c2s": c2s, "s2c": s2c, "wsize": wsize,
            "rsize": rsize}


def new_tag():
    return "t" + secrets.token_hex(3)[:5]


class Traffic:
    """tests/traffic.py in a process of its own; READY, then go(), then
    result()."""

    def __init__(self, plan, prefix=(), cgroup=None, lo_up=False,
                 timeout=None, hidden_netns=False):
        self.plan = plan
        self.tag = plan["tag"]
        tmo = plan.get("timeout", 60)
        argv = list(prefix) + [PYTHON, TRAFFIC, "-", "--wait-go"]
        if cgroup:
            argv += ["--cgroup", cgroup]
        if lo_up:
            argv.append("--lo-up")
        if hidden_netns:
            argv.append("--hidden-netns")
        # A session of its own: kill() ends the server and client processes
        # too (each is also bounded by an alarm of its own).
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True,
                                     start_new_session=True)
        self.lines = queue.Queue()
        self._err = []
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self._err.append(
            self.proc.stderr.read()), daemon=True).start()
        self.proc.stdin.write(json.dumps(plan) + "\n")
        self.proc.stdin.flush()
        self.info = self._expect("READY", timeout or 60)
        self.timeout = timeout or tmo + 30

    def _read(self):
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def _expect(self, word, timeout):
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            self.kill()
            raise AssertionError("traffic: no %s within %ss" % (word, timeout))
        if line is None or not line.startswith(word + " "):
            self.proc.wait(10)
            raise AssertionError("traffic failed before %s (exit %s): %r\n%s"
                                 % (word, self.proc.returncode, line,
                                    "".join(self._err)))
        return json.loads(line[len(word) + 1:])

    def pid(self, pair, role):
        return self.info["pairs"][pair][role]["pid"]

    def pids(self):
        return {self.info["pid"]} | {p[r]["pid"] for p in self.info["pairs"]
                                     for r in ("server", "client")}

    def go(self):
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def result(self):
        truth = self._expect("TRUTH", self.timeout)
        rc = self.proc.wait(30)
        assert rc == 0, "traffic exited %s: %s" % (rc, "".join(self._err))
        return truth

    def run(self):
        self.go()
        return self.result()

    def kill(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.kill()


# --------------------------------------------------------------- comparing

def truth_key(s):
    return (s["fam"], s["pid"], s["comm"][:12], s["laddr"], s["lport"],
            s["raddr"], s["rport"])


def ours(rows, tag):
    return [r for r in rows if r.comm.startswith(tag)]


def tool_sums(intervals, tag):
    """Per row key: [RX_KB, TX_KB] summed over intervals (our rows only).
    A key twice in one interval is an error."""
    sums = {}
    for n, iv in enumerate(intervals):
        seen = set()
        for r in ours(iv.rows, tag):
            if r.key in seen:
                raise AssertionError("interval %d shows %r twice" % (n, r.key))
            seen.add(r.key)
            s = sums.setdefault(r.key, [0, 0])
            s[0] += r.rx_kb
            s[1] += r.tx_kb
    return sums


def compare(intervals, truth, tag, want=lambda s: True, exact_sum=False,
            rx_ok=None):
    """Every socket of the truth that want() selects must show exactly its
    bytes (KB, rounded down); the others must not show at all; no row of
    ours may show that is not in the truth. Returns a list of problems.

    exact_sum: the rows are summed over several intervals; then every
    count must be a multiple of 1024 (the traffic's design) for the sum of
    rounded-down values to be exact.
    rx_ok(sock, rx_kb) -> bool overrides the RX check (documented
    exceptions)."""
    problems = []
    got = tool_sums(intervals, tag)
    expect = {}
    for s in truth["sockets"]:
        k = truth_key(s)
        if k in expect:
            # A port used again by a later connection: the tool merges
            # both into one row, like the original.
            e = expect[k] = dict(expect[k])
            e["sent"] += s["sent"]
            e["recv"] += s["recv"]
            e["first_recvs"] = e["first_recvs"] + s["first_recvs"]
        else:
            expect[k] = s
        if exact_sum and (s["sent"] % 1024 or s["recv"] % 1024):
            problems.append("traffic design: %r is not in whole KiB" % s)
    for k, s in expect.items():
        g = got.get(k)
        if not want(s) or s["sent"] + s["recv"] == 0:
            if g is not None:
                problems.append("row should not show: %r -> %r" % (k, g))
            continue
        if g is None:
            problems.append("missing row %r (truth sent %d recv %d)"
                            % (k, s["sent"], s["recv"]))
            continue
        rx_good = rx_ok(s, g[0]) if rx_ok else g[0] == s["recv"] // 1024
        if not rx_good or g[1] != s["sent"] // 1024:
            problems.append("%s %r: RX_KB %d TX_KB %d, truth recv %d (%d KB)"
                            " sent %d (%d KB)" % (
                                s["role"], k, g[0], g[1], s["recv"],
                                s["recv"] // 1024, s["sent"],
                                s["sent"] // 1024))
    for k, g in got.items():
        if k not in expect:
            problems.append("row of ours not in the truth: %r -> %r" % (k, g))
    return problems


def assert_exact(intervals, truth, tag, **kw):
    problems = compare(intervals, truth, tag, **kw)
    assert not problems, "%d problems:\n%s" % (len(problems),
                                               "\n".join(problems[:60]))


def truth_value(s, sort="all"):
    return {"all": s["sent"] + s["recv"], "sent": s["sent"],
            "received": s["recv"]}[sort]


# ----------------------------------------------------------------- cgroups

def cgroup2_root():
    """Where the cgroup v2 hierarchy is mounted (hybrid hosts: .../unified)."""
    with open("/proc/self/mounts") as f:
        for line in f:
            dev, mnt, fstype = line.split()[:3]
            if fstype == "cgroup2":
                return mnt
    return None


class Cgroups:
    """Fresh cgroup v2 directories under the root; removed at exit, their
    processes killed first."""

    def __init__(self):
        self.root = cgroup2_root()
        if self.root is None:
            raise AssertionError("no cgroup v2 hierarchy mounted (mount -t cgroup2 "
                        "none /sys/fs/cgroup/unified)")
        self.dirs = []

    def make(self, *parts):
        d = os.path.join(self.root, *parts)
        os.mkdir(d)
        self.dirs.append(d)
        return d

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for d in reversed(self.dirs):
            with open(os.path.join(d, "cgroup.procs")) as f:
                left = [int(p) for p in f.read().split()]
            for p in left:
                try:
                    os.kill(p, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            wait_gone(left)
            os.rmdir(d)


def wait_gone(pids, timeout=10):
    """Whether all of pids have exited within timeout seconds."""
    return wait_until(lambda: not any(os.path.exists("/proc/%d" % p)
                                      for p in pids), timeout)
