#!/usr/bin/python3
"""TCP traffic with exactly known byte counts: the ground truth for tcptop.

Every pair of a plan is a server process and a client process, each with its
own comm name (prctl PR_SET_NAME), talking over loopback (127.0.0.1 or ::1).
Every socket's byte counts are what the application moved: the sum of the
return values of send/sendfile (sent) and recv/splice (received), counted in
the process that made the call. The truth names each socket by the key tcptop
prints: pid (process id), comm (the thread's name), local and remote
address:port.

CLI (what the live tests run, so that the traffic can be put in a cgroup, a
mount namespace or a network namespace of its own):

    traffic.py PLAN.json|-|'{json}' [--wait-go] [--cgroup DIR] [--lo-up]
               [--hidden-netns]

prints `READY {json}` (pids and comms of every process) once every server is
listening (and pre-connected traffic is done), then with --wait-go waits for
a line on stdin, runs the traffic and prints `TRUTH {json}`; exit 0 when every
process finished its traffic and every byte arrived, else 1 with the reason
on stderr.

--hidden-netns: the traffic runs in a network namespace of its own (loopback
up) that no process is in and no path names by READY: every process leaves
it once its sockets exist (the listeners, and an rpc client's "pre"
connections), and only those sockets keep it alive. READY's "netns" is its
inode. Only rpc pairs with "pre" (every connection made before READY).

Plan: {"tag": "tq1a2b", "pairs": [PAIR, ...], "timeout": 60}. "fam" is 4
(127.0.0.1), 6 (::1) or 46 (an IPv6 socket on ::ffff:127.0.0.1). Comms are
TAG + "s"/"c" + pair index (a "thread" pair's client traffic runs in a thread
named TAG + "c" + index + "t", then the bytes of "thread_comm_hex" if given:
a COMM that need not be UTF-8; the truth then has it decoded with
surrogateescape). Keep the tag at most 8 characters, so that
the names stay within tcptop's 12-character COMM column. Pair kinds:

  exchange  {"kind": "exchange", "conns": [{"fam": 4, "c2s": N, "s2c": M,
             "wsize": W, "rsize": R, "lport": L}], "nodelay": true,
             "thread": false, "port": P}
            all connections open at once, both directions concurrently,
            non-blocking; writes of at most W bytes, reads of at most R.
            The first 4 bytes the client sends name the connection (the
            server peeks them), so c2s >= 4. "lport": the client's local
            port; "port": the server's (both SO_REUSEADDR), else any.
  rpc       {"kind": "rpc", "conns": [{"fam": 4}], "msgs": [MSG, ...],
             "rounds": K, "duration": S, "pre": [MSG, ...]}
            MSG = {"size": N, "reply": R, "chunks": [n, ...], "pause": s}.
            Blocking sockets with TCP_NODELAY. The client sends a message
            (one send per chunk, pausing between chunks); the server peeks
            its 8-byte header (size, reply), reads it with ONE
            recv(size, MSG_WAITALL) and answers with `reply` bytes, read by
            the client with one recv(reply, MSG_WAITALL). Messages go round
            robin over the connections, the msgs list cycled `rounds` times
            or until `duration` seconds passed, sleeping `gap` seconds
            after each round (if given). "read": how the client takes
            replies: "recv" (the default, as above), "splice" (splice(2)
            into a pipe, at most 64 KiB a call) or "read" (read(2) until
            the reply is in); with "queued", each only once the whole
            reply (at most 64 KiB of it) is queued, so that the first
            call takes a large chunk. "pre" messages are exchanged
            on every connection before READY (they are not in the truth:
            the connection exists before tcptop starts).
  sendfile  {"kind": "sendfile", "conns": [{"fam": 4, "c2s": N, "s2c": M,
             "chunk": C}]}
            one connection after the other: the client sends N bytes of a
            file with sendfile(2) (at most C per call), the server takes
            them with splice(2) from the socket into a pipe (at most C per
            call), then the server answers M bytes the same way. With
            "crowd": K, the client opens K more connections, idle, between
            listeners of its own, right after each of its connections is
            established and before any byte is sent on it (held by child
            processes, 8,000 each: their fd limit, raised to the hard
            limit, must allow 16,064), and closes them once it is done.
  closed    {"kind": "closed", "conns": [{"fam": 4, "dir": "c2s", "size": N,
             "shut": false}]}
            the sender sends N bytes and closes; the receiver reads only
            once its socket is in CLOSE_WAIT (peer's FIN received); with
            "shut" it first shuts down its own side and waits for TCP_CLOSE
            (the kernel has released its port by then). N must fit in the
            receiver's initial window (keep it under 48 KiB).
  short     {"kind": "short", "fam": 4, "count": K, "size": N}
            K connections one after the other: connect, send N, close
            (client first: no port is used twice).
  urgent    {"kind": "urgent", "conns": [{"fam": 4, "before": N,
             "after": M}], "inline": false}
            one connection after the other: the client sends N bytes, one
            urgent byte (send(MSG_OOB)), then M bytes, and waits for the
            server's close. The server reads the N bytes (a read stops at
            the urgent mark), the urgent byte with recv(MSG_OOB), then the
            M bytes; with "inline" (SO_OOBINLINE) all N + 1 + M in line.
  io        {"kind": "io", "io": IO, "conns": [{"fam": 4, "c2s": N,
             "s2c": M, "chunk": C}]}
            one connection after the other, as sendfile, each side moving
            its bytes in calls of at most C by IO: through io_uring
            (tests/lib/uring.py, one ring a side) "uring" (IORING_OP_SEND
            and IORING_OP_RECV), "uring_zc" (IORING_OP_SEND_ZC),
            "uring_async" (IOSQE_ASYNC: io-wq workers), "uring_sqpoll"
            (the ring's SQPOLL thread); "msg_zerocopy" (send(MSG_ZEROCOPY),
            recv()); "tcp_zerocopy" (send(MSG_ZEROCOPY) from page-aligned
            memory, TCP_ZEROCOPY_RECEIVE: tests/lib/zerocopy.py; the
            receiver's record has "zc_mapped", the bytes it got as mapped
            pages). Each socket's record lists in "comms" the COMMs its
            bytes may show under (where the kernel runs io_uring's
            requests: lib.uring).

For sizes that are multiples of 1024 every count tcptop sees is a multiple
of 1024 too (rpc with messages up to 32 KiB: one segment, one recv chunk),
so per-interval rounding down to KB cannot change a sum.
"""
import errno
import fcntl
import json
import mmap
import os
import re
import resource
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
import traceback

from lib.comm import get_comm, set_comm
from lib.uring import Ring
from lib.zerocopy import ZerocopyReceiver, send_zerocopy

TCP_INFO_STATE_CLOSE = 7
TCP_INFO_STATE_CLOSE_WAIT = 8
# 46: an IPv6 socket talking IPv4 (v4-mapped ::ffff:127.0.0.1), as a
# dual-stack server or client does; it shows in the IPv6 table.
ADDR = {4: "127.0.0.1", 6: "::1", 46: "::ffff:127.0.0.1"}
FAMILY = {4: socket.AF_INET, 6: socket.AF_INET6, 46: socket.AF_INET6}
CLONE_NEWNET = 0x40000000
# --hidden-netns: where every process goes back to once its sockets exist.
HOME_NETNS = None


def _libc_call(name, *args):
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    if getattr(libc, name)(*args) != 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (name, os.strerror(e)))


def hide_netns():
    """Enter a new network namespace, remembering the one we were in."""
    global HOME_NETNS
    HOME_NETNS = os.open("/proc/self/ns/net", os.O_RDONLY)
    _libc_call("unshare", CLONE_NEWNET)


def leave_hidden_netns():
    """Back to the namespace hide_netns() left (if it was called)."""
    if HOME_NETNS is not None:
        _libc_call("setns", HOME_NETNS, CLONE_NEWNET)

class Counted:
    """A socket whose application-level byte counts are the truth."""

    def __init__(self, sock, role, conn):
        self.sock = sock
        self.role = role
        self.conn = conn
        self.sent = 0
        self.recv = 0
        self.recv_calls = []    # sizes of the first few reads
        self.nsend = self.nrecv = 0
        self.pid = os.getpid()
        self.comm = get_comm().decode("utf-8", "surrogateescape")
        self.notes = {}         # more of the record ("io" kind)
        local, peer = sock.getsockname(), sock.getpeername()
        self.fam = 6 if sock.family == socket.AF_INET6 else 4
        self.laddr, self.lport = local[0], local[1]
        self.raddr, self.rport = peer[0], peer[1]

    def send(self, data, flags=0):
        n = self.sock.send(data, flags)
        self.sent += n
        self.nsend += 1
        return n

    def sendall(self, data):
        view = memoryview(data)
        while view:
            n = self.send(view)
            view = view[n:]

    def recv_into(self, buf, n, flags=0):
        got = self.sock.recv_into(buf, n, flags)
        if not flags & socket.MSG_PEEK:
            self._got(got)
        return got

    def _got(self, n):
        self.recv += n
        self.nrecv += 1
        if n and len(self.recv_calls) < 4:
            self.recv_calls.append(n)

    def reset(self):
        self.sent = self.recv = self.nsend = self.nrecv = 0
        self.recv_calls = []

    def record(self):
        rec = {"role": self.role, "conn": self.conn, "pid": self.pid,
               "comm": self.comm, "fam": self.fam, "laddr": self.laddr,
               "lport": self.lport, "raddr": self.raddr,
               "rport": self.rport, "sent": self.sent, "recv": self.recv,
               "first_recvs": self.recv_calls, "nsend": self.nsend,
               "nrecv": self.nrecv}
        rec.update(self.notes)
        return rec


def kernel_at_least(major, minor):
    rel = re.match(r"(\d+)\.(\d+)", os.uname().release)
    return (int(rel[1]), int(rel[2])) >= (major, minor)


def filler(n):
    return bytes(range(256)) * (n // 256) + bytes(range(n % 256))


def read_exactly(cs, n, buf):
    """Read n bytes from a Counted socket, at most len(buf) a call."""
    while n:
        k = cs.recv_into(buf, min(n, len(buf)))
        if k == 0:
            raise ConnectionError("EOF with %d bytes to come" % n)
        n -= k


def expect_eof(sock):
    """Wait for the peer's close, which must come after all its data."""
    if sock.recv(1) != b"":
        raise ConnectionError("unexpected data")


def tcp_state(sock):
    return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0]


def wait_state(sock, state, deadline):
    deadline = min(deadline, time.monotonic() + 10)
    while tcp_state(sock) != state:
        if time.monotonic() > deadline:
            raise TimeoutError("TCP state %d, never reached %d"
                               % (tcp_state(sock), state))
        time.sleep(0.005)


def wait_close_wait(sock, deadline):
    """Until the peer's FIN (after all its data) has arrived. The data must
    fit in the receive window, or the FIN never comes."""
    wait_state(sock, TCP_INFO_STATE_CLOSE_WAIT, deadline)


def connect(fam, port, nodelay=True, timeout=30, lport=0):
    """A connected socket in blocking mode (MSG_WAITALL, sendfile and
    splice need a truly blocking descriptor; each child process is bounded
    by an alarm instead), from local port lport if given."""
    s = socket.socket(FAMILY[fam], socket.SOCK_STREAM)
    if nodelay:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if lport:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ADDR[fam], lport))
    s.settimeout(timeout)
    s.connect((ADDR[fam], port))
    s.settimeout(None)
    return s


def accept(ls, deadline):
    """Accept in blocking mode, bounded by the deadline."""
    ls.settimeout(max(1.0, deadline - time.monotonic()))
    s, _ = ls.accept()
    s.settimeout(None)
    return s


# ---------------------------------------------------------------- exchange

def pump(cs, st, c, mask, buf, write_first, peer):
    """One turn of an exchange on socket cs, as far as it goes without
    blocking: send what is left of st[0], read what is left of st[1] (the
    client writes first, the server reads first). Returns the events still
    wanted: 0 once both are done."""
    def send():
        if mask & selectors.EVENT_WRITE and st[0]:
            try:
                n = cs.send(st[0][:c["wsize"]])
                st[0] = st[0][n:]
            except BlockingIOError:
                pass

    def recv():
        if mask & selectors.EVENT_READ and st[1]:
            try:
                n = cs.recv_into(buf, min(c["rsize"], st[1]))
                if n == 0:
                    raise ConnectionError("%s closed early" % peer)
                st[1] -= n
            except BlockingIOError:
                pass

    for step in (send, recv) if write_first else (recv, send):
        step()
    return ((selectors.EVENT_WRITE if st[0] else 0) |
            (selectors.EVENT_READ if st[1] else 0))


def exchange_client(pair, ports, deadline):
    conns = pair["conns"]
    nodelay = pair.get("nodelay", True)
    socks = []
    for i, c in enumerate(conns):
        s = connect(c["fam"], ports[c["fam"]], nodelay,
                    lport=c.get("lport", 0))
        s.setblocking(False)
        socks.append(Counted(s, "client", i))
    sel = selectors.DefaultSelector()
    state = {}
    for i, (c, cs) in enumerate(zip(conns, socks)):
        out = struct.pack("!I", i) + filler(c["c2s"] - 4)
        state[i] = [memoryview(out), c["s2c"]]
        sel.register(cs.sock, selectors.EVENT_READ | selectors.EVENT_WRITE, i)
    buf = bytearray(max([c["rsize"] for c in conns] + [1]))
    pending = len(conns)
    while pending:
        if time.monotonic() > deadline:
            raise TimeoutError("exchange client: %d connections unfinished"
                               % pending)
        for key, mask in sel.select(1.0):
            i = key.data
            cs = socks[i]
            ev = pump(cs, state[i], conns[i], mask, buf, True, "server")
            if ev:
                sel.modify(cs.sock, ev, i)
            else:
                sel.unregister(cs.sock)
                pending -= 1
    for cs in socks:
        cs.sock.close()
    return socks


def exchange_server(pair, listeners, deadline):
    conns = pair["conns"]
    nodelay = pair.get("nodelay", True)
    sel = selectors.DefaultSelector()
    for ls in listeners.values():
        ls.setblocking(False)
        sel.register(ls, selectors.EVENT_READ, None)
    done, accepted, state = [], 0, {}
    buf = bytearray(max([c["rsize"] for c in conns] + [4]))
    while len(done) < len(conns):
        if time.monotonic() > deadline:
            raise TimeoutError("exchange server: %d of %d done"
                               % (len(done), len(conns)))
        for key, mask in sel.select(1.0):
            if key.data is None:
                try:
                    s, _ = key.fileobj.accept()
                except BlockingIOError:
                    continue
                if nodelay:
                    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                s.setblocking(False)
                cs = Counted(s, "server", None)
                accepted += 1
                state[id(cs)] = [None, 0]
                sel.register(s, selectors.EVENT_READ, cs)
                continue
            cs = key.data
            st = state[id(cs)]
            if cs.conn is None:
                # Which connection: peek the client's first 4 bytes.
                try:
                    n = cs.recv_into(buf, 4, socket.MSG_PEEK)
                except BlockingIOError:
                    continue
                if n == 0:
                    raise ConnectionError("client closed before its header")
                if n < 4:
                    time.sleep(0.001)
                    continue
                cs.conn = struct.unpack("!I", bytes(buf[:4]))[0]
                c = conns[cs.conn]
                st[0] = memoryview(filler(c["s2c"]))
                st[1] = c["c2s"]
                mask = 0
            ev = pump(cs, st, conns[cs.conn], mask, buf, False, "client")
            if ev:
                sel.modify(cs.sock, ev, cs)
            else:
                sel.unregister(cs.sock)
                cs.sock.close()
                done.append(cs)
    return sorted(done, key=lambda cs: cs.conn)


# --------------------------------------------------------------------- rpc

def wait_queued(cs, n, deadline):
    """Until n bytes are queued for reading on cs (or the deadline)."""
    buf = bytearray(4)
    while time.monotonic() < deadline:
        fcntl.ioctl(cs.sock.fileno(), termios.FIONREAD, buf)
        if struct.unpack("i", buf)[0] >= n:
            return
        time.sleep(0.001)


def read_in(cs, n):
    """Take n bytes with read(2)."""
    left = n
    while left:
        k = len(os.read(cs.sock.fileno(), left))
        if k == 0:
            raise ConnectionError("EOF after %d of %d" % (n - left, n))
        cs._got(k)
        left -= k


def rpc_send_msg(cs, msg, rbuf, pair):
    size, reply = msg["size"], msg.get("reply", 0)
    how = pair.get("read", "recv")
    data = struct.pack("!II", size, reply) + filler(size - 8)
    view = memoryview(data)
    chunks = msg.get("chunks") or [size]
    if sum(chunks) != size:
        raise ValueError("chunks %r do not add up to %d" % (chunks, size))
    for k, n in enumerate(chunks):
        if k and msg.get("pause"):
            time.sleep(msg["pause"])
        cs.sendall(view[:n])
        view = view[n:]
    if reply and pair.get("queued"):
        wait_queued(cs, min(reply, 65536), time.monotonic() + 10)
    if reply and how == "splice":
        splice_in(cs, reply, 65536)
    elif reply and how == "read":
        read_in(cs, reply)
    elif reply:
        got = cs.recv_into(rbuf, reply, socket.MSG_WAITALL)
        if got != reply:
            raise ConnectionError("short reply %d of %d" % (got, reply))


def rpc_serve_one(cs, rbuf, reply_data):
    """One message: False at the client's end of stream."""
    hdr = bytearray(8)
    n = cs.recv_into(hdr, 8, socket.MSG_PEEK | socket.MSG_WAITALL)
    if n == 0:
        return False
    if n < 8:
        raise ConnectionError("short header")
    size, reply = struct.unpack("!II", hdr)
    got = cs.recv_into(rbuf, size, socket.MSG_WAITALL)   # ONE read
    if got != size:
        raise ConnectionError("short message %d of %d" % (got, size))
    if reply:
        cs.sendall(reply_data[:reply])
    return True


def rpc_max(pair):
    msgs = pair.get("msgs", []) + pair.get("pre", [])
    return max([m["size"] for m in msgs] + [m.get("reply", 0) for m in msgs]
               + [8])


def rpc_client_connect(pair, ports):
    socks = []
    for i, c in enumerate(pair["conns"]):
        s = connect(c["fam"], ports[c["fam"]])
        socks.append(Counted(s, "client", i))
    rbuf = bytearray(rpc_max(pair))
    for msg in pair.get("pre", []):
        for cs in socks:
            rpc_send_msg(cs, msg, rbuf, pair)
    for cs in socks:      # the truth starts now
        cs.reset()
    return socks


def rpc_client(pair, socks, deadline):
    rbuf = bytearray(rpc_max(pair))
    msgs = pair["msgs"]
    end = time.monotonic() + pair["duration"] if "duration" in pair else None
    rounds = 0
    while True:
        if end is None and rounds >= pair.get("rounds", 1):
            break
        if end is not None and time.monotonic() >= end:
            break
        if time.monotonic() > deadline:
            raise TimeoutError("rpc client")
        for msg in msgs:
            for cs in socks:
                rpc_send_msg(cs, msg, rbuf, pair)
        rounds += 1
        if pair.get("gap"):
            time.sleep(pair["gap"])
    for cs in socks:
        cs.sock.close()
    return socks


def rpc_server(pair, listeners, deadline):
    """Serve every connection until its client closes; counts after "pre"."""
    npre = len(pair.get("pre", []))
    rbuf = bytearray(rpc_max(pair))
    reply_data = filler(len(rbuf))
    sel = selectors.DefaultSelector()
    for ls in listeners.values():
        sel.register(ls, selectors.EVENT_READ, None)
    done, served = [], {}
    expect = len(pair["conns"])
    while len(done) < expect:
        if time.monotonic() > deadline:
            raise TimeoutError("rpc server: %d of %d done"
                               % (len(done), expect))
        for key, _ in sel.select(1.0):
            if key.data is None:
                s = accept(key.fileobj, deadline)
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                cs = Counted(s, "server", None)
                served[id(cs)] = 0
                sel.register(s, selectors.EVENT_READ, cs)
                continue
            cs = key.data
            if not rpc_serve_one(cs, rbuf, reply_data):
                sel.unregister(cs.sock)
                cs.sock.close()
                done.append(cs)
                continue
            served[id(cs)] += 1
            if served[id(cs)] == npre:          # the truth starts now
                cs.reset()
    return done


# ---------------------------------------------------------------- sendfile

class Spooler:
    """A file of n bytes to sendfile() from."""

    def __init__(self, n):
        self.f = tempfile.TemporaryFile()
        self.f.write(filler(n))
        self.f.flush()

    def sendfile(self, cs, n, chunk):
        off = 0
        while off < n:
            k = os.sendfile(cs.sock.fileno(), self.f.fileno(), off,
                            min(chunk, n - off))
            if k <= 0:
                raise ConnectionError("sendfile returned %d" % k)
            cs.sent += k
            cs.nsend += 1
            off += k


def splice_in(cs, n, chunk):
    """Take n bytes from the socket with splice(2) into a pipe; drain it."""
    r, w = os.pipe()
    try:
        left = n
        while left:
            k = os.splice(cs.sock.fileno(), w, min(chunk, left, 65536))
            if k == 0:
                raise ConnectionError("EOF after %d of %d" % (n - left, n))
            cs._got(k)
            left -= k
            while k:
                k -= len(os.read(r, k))
    finally:
        os.close(r)
        os.close(w)


CROWD_PER_PROCESS = 8000   # 16,000 fds each


def crowd(n, deadline):
    """n idle IPv4 connections, held by child processes of this one (up to
    CROWD_PER_PROCESS each, their fd limit raised to its hard limit:
    raising that takes CAP_SYS_RESOURCE, which a container may not give),
    over 8 listeners each, so that the ephemeral ports (about 28,000 per
    destination) do not run out. Returns once every connection is
    established: the children, for crowd_end()."""
    kids = []
    try:
        while n > 0:
            k = min(n, CROWD_PER_PROCESS)
            n -= k
            r, w = os.pipe()
            end_r, end_w = os.pipe()
            pid = os.fork()
            if pid == 0:
                crowd_child(k, deadline, w, end_r)
            os.close(w)
            os.close(end_r)
            kids.append((pid, end_w))
            with os.fdopen(r, "rb") as f:
                said = f.readline()
            if said != b"ok\n":
                raise ConnectionError("a crowd process failed: %s" %
                                      said.decode(errors="replace"))
    except BaseException:
        crowd_end(kids, kill=True)
        raise
    return kids


def crowd_child(n, deadline, w, end_r):
    """A child of crowd(): hold n connections until end_r reads EOF. Only
    its two pipes are kept of the fds it inherited (so that it holds no
    socket of the parent's open)."""
    code = 1
    try:
        keep = {w, end_r}
        for fd in map(int, os.listdir("/proc/self/fd")):
            if fd > 2 and fd not in keep:
                try:
                    os.close(fd)
                except OSError:
                    pass
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft < 2 * n + 64:
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        lss = []
        for _ in range(8):
            ls = socket.socket()
            ls.bind(("127.0.0.1", 0))
            ls.listen(4096)
            lss.append(ls)
        socks = list(lss)
        for i in range(n):
            ls = lss[i % len(lss)]
            c = socket.create_connection(ls.getsockname(), timeout=30)
            a, _ = ls.accept()
            socks += [c, a]
            if i % 1024 == 0 and time.monotonic() > deadline:
                raise TimeoutError("crowd")
        os.write(w, b"ok\n")
        os.read(end_r, 1)
        for x in socks:
            x.close()
        code = 0
    except BaseException:
        os.write(w, (traceback.format_exc().replace("\n", " | ") +
                     "\n").encode())
    finally:
        os._exit(code)


def crowd_end(kids, kill=False):
    """End crowd()'s children (SIGKILL with kill) and reap them."""
    for pid, end_w in kids:
        if kill:
            os.kill(pid, signal.SIGKILL)
        os.close(end_w)
    for pid, _ in kids:
        os.waitpid(pid, 0)


def sendfile_client(pair, ports, deadline):
    out = []
    spool = Spooler(max(c["c2s"] for c in pair["conns"]))
    for i, c in enumerate(pair["conns"]):
        s = connect(c["fam"], ports[c["fam"]])
        kids = crowd(pair.get("crowd", 0), deadline)
        try:
            cs = Counted(s, "client", i)
            spool.sendfile(cs, c["c2s"], c["chunk"])
            splice_in(cs, c["s2c"], c["chunk"])
            s.close()
        finally:
            crowd_end(kids)
        out.append(cs)
    return out


def sendfile_server(pair, listeners, deadline):
    out = []
    spool = Spooler(max(c["s2c"] for c in pair["conns"]))
    for i, c in enumerate(pair["conns"]):
        s = accept(listeners[c["fam"]], deadline)
        cs = Counted(s, "server", i)
        splice_in(cs, c["c2s"], c["chunk"])
        spool.sendfile(cs, c["s2c"], c["chunk"])
        # Wait for the client's close so no byte is left in flight.
        expect_eof(s)
        s.close()
        out.append(cs)
    return out


# ------------------------------------------------------------------ closed

def drain_after_close(cs, deadline, shut=False):
    """Read everything once the peer has closed. shut: first close our
    side too (shutdown(SHUT_WR)) and wait until the connection is fully
    closed (TCP_CLOSE: the kernel has released the local port), then
    read what is still queued."""
    wait_close_wait(cs.sock, deadline)
    if shut:
        cs.sock.shutdown(socket.SHUT_WR)
        wait_state(cs.sock, TCP_INFO_STATE_CLOSE, deadline)
    buf = bytearray(65536)
    while True:
        n = cs.recv_into(buf, len(buf))
        if n == 0:
            return


def closed_client(pair, ports, deadline):
    out = []
    for i, c in enumerate(pair["conns"]):
        s = connect(c["fam"], ports[c["fam"]])
        cs = Counted(s, "client", i)
        if c["dir"] == "c2s":
            cs.sendall(filler(c["size"]))
            s.close()
        else:
            drain_after_close(cs, deadline, c.get("shut", False))
            s.close()
        out.append(cs)
    return out


def closed_server(pair, listeners, deadline):
    out = []
    for i, c in enumerate(pair["conns"]):
        s = accept(listeners[c["fam"]], deadline)
        cs = Counted(s, "server", i)
        if c["dir"] == "c2s":
            drain_after_close(cs, deadline, c.get("shut", False))
            s.close()
        else:
            cs.sendall(filler(c["size"]))
            s.close()
        out.append(cs)
    return out


# ------------------------------------------------------------------- short

def short_client(pair, ports, deadline):
    out = []
    data = filler(pair["size"])
    for i in range(pair["count"]):
        s = connect(pair["fam"], ports[pair["fam"]])
        cs = Counted(s, "client", i)
        cs.sendall(data)
        # Close first: this end keeps TIME_WAIT, so no later connection
        # reuses the port (each connection is a row of its own).
        s.close()
        out.append(cs)
        if i % 256 == 0 and time.monotonic() > deadline:
            raise TimeoutError("short client")
    return out


def short_server(pair, listeners, deadline):
    out = []
    ls = listeners[pair["fam"]]
    buf = bytearray(pair["size"])
    for i in range(pair["count"]):
        s = accept(ls, deadline)
        cs = Counted(s, "server", i)
        read_exactly(cs, pair["size"], buf)
        expect_eof(s)
        s.close()
        out.append(cs)
    return out


# ------------------------------------------------------------------ urgent

def urgent_client(pair, ports, deadline):
    out = []
    for i, c in enumerate(pair["conns"]):
        s = connect(c["fam"], ports[c["fam"]])
        cs = Counted(s, "client", i)
        cs.sendall(filler(c["before"]))
        if cs.send(b"!", socket.MSG_OOB) != 1:
            raise ConnectionError("urgent byte not sent")
        cs.sendall(filler(c["after"]))
        expect_eof(s)
        s.close()
        out.append(cs)
    return out


def urgent_server(pair, listeners, deadline):
    out, buf = [], bytearray(16 * 1024)
    for i, c in enumerate(pair["conns"]):
        s = accept(listeners[c["fam"]], deadline)
        cs = Counted(s, "server", i)
        if pair.get("inline"):
            s.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
            read_exactly(cs, c["before"] + 1 + c["after"], buf)
        else:
            read_exactly(cs, c["before"], buf)
            # EINVAL until the urgent pointer has come, EAGAIN until the
            # byte itself has.
            while True:
                try:
                    cs._got(len(s.recv(1, socket.MSG_OOB)))
                    break
                except OSError as e:
                    if e.errno not in (errno.EAGAIN, errno.EINVAL) or \
                            time.monotonic() > deadline:
                        raise
                    time.sleep(0.002)
            read_exactly(cs, c["after"], buf)
        s.close()
        out.append(cs)
    return out


# ---------------------------------------------------------------------- io

class SideIO:
    """One side's sends and receives for the "io" kind (IO: see the
    module's docstring), counted into a Counted."""

    def __init__(self, io):
        self.io = io
        self.ring = Ring(sqpoll=io == "uring_sqpoll") \
            if io.startswith("uring") else None
        # Page-aligned memory to send from (zerocopy receive maps whole
        # pages only when the sender's are whole too).
        self.page_buf = mmap.mmap(-1, 256 * 1024)

    def note_comms(self, cs):
        tid = threading.get_native_id()
        # IOSQE_ASYNC: since Linux 6.3 a request that waited for its
        # socket runs in a worker too; before, it completed in the task.
        worker = ["iou-wrk-%d" % tid] if kernel_at_least(6, 3) else \
            [cs.comm, "iou-wrk-%d" % tid]
        cs.notes["comms"] = {
            "uring_async": worker,
            "uring_sqpoll": ["iou-sqp-%d" % tid]}.get(self.io, [cs.comm])

    def send(self, cs, n, chunk):
        data = memoryview(self.page_buf)[:min(n, chunk, len(self.page_buf))]
        while n:
            part = data[:n]
            if self.ring:
                k = self.ring.send(cs.sock, part,
                                   zerocopy=self.io == "uring_zc",
                                   force_async=self.io == "uring_async")
            else:
                k = send_zerocopy(cs.sock, part)
            cs.sent += k
            cs.nsend += 1
            n -= k

    def recv(self, cs, n, chunk):
        buf, zc = bytearray(chunk), None
        if self.io == "tcp_zerocopy":
            zc = ZerocopyReceiver(cs.sock)
        try:
            while n:
                if self.ring:
                    k = self.ring.recv(cs.sock, min(n, chunk),
                                       force_async=self.io == "uring_async")
                elif zc:
                    k = zc.recv(min(n, chunk))
                else:
                    k = cs.sock.recv_into(buf, min(n, chunk))
                if k == 0:
                    raise ConnectionError("EOF with %d bytes to come" % n)
                cs._got(k)
                n -= k
        finally:
            if zc:
                zc.close()
                cs.notes["zc_mapped"] = zc.mapped
                cs.notes["zc_copied"] = zc.copied

    def close(self):
        if self.ring:
            self.ring.close()
        try:
            self.page_buf.close()
        except BufferError:
            pass    # a traceback in flight holds a view: unmapped at exit


def io_client(pair, ports, deadline):
    out, io = [], SideIO(pair["io"])
    try:
        for i, c in enumerate(pair["conns"]):
            s = connect(c["fam"], ports[c["fam"]])
            cs = Counted(s, "client", i)
            io.note_comms(cs)
            io.send(cs, c["c2s"], c["chunk"])
            io.recv(cs, c["s2c"], c["chunk"])
            s.close()
            out.append(cs)
    finally:
        io.close()
    return out


def io_server(pair, listeners, deadline):
    out, io = [], SideIO(pair["io"])
    try:
        for i, c in enumerate(pair["conns"]):
            s = accept(listeners[c["fam"]], deadline)
            cs = Counted(s, "server", i)
            io.note_comms(cs)
            io.recv(cs, c["c2s"], c["chunk"])
            io.send(cs, c["s2c"], c["chunk"])
            expect_eof(s)
            s.close()
            out.append(cs)
    finally:
        io.close()
    return out


KINDS = {
    "urgent": (urgent_server, urgent_client),
    "io": (io_server, io_client),
    "exchange": (exchange_server, exchange_client),
    "rpc": (rpc_server, rpc_client),
    "sendfile": (sendfile_server, sendfile_client),
    "closed": (closed_server, closed_client),
    "short": (short_server, short_client),
}


def families(pair):
    if pair["kind"] == "short":
        return [pair["fam"]]
    return sorted({c["fam"] for c in pair["conns"]})


# --------------------------------------------------------------- processes

class Child:
    """A forked process running one side of a pair."""

    def __init__(self, comm, body, timeout):
        self.comm = comm
        rd, wr = os.pipe()         # child -> parent: JSON lines
        grd, gwr = os.pipe()       # parent -> child: go
        self.pid = os.fork()
        if self.pid == 0:
            os.close(rd)
            os.close(gwr)
            code = 1
            try:
                signal.alarm(int(timeout) + 5)
                set_comm(comm)
                out = os.fdopen(wr, "w")

                def say(**kw):
                    out.write(json.dumps(kw) + "\n")
                    out.flush()

                def wait_go():
                    if os.read(grd, 1) != b"g":
                        raise RuntimeError("no go")
                body(say, wait_go)
                code = 0
            except BaseException:
                try:
                    os.write(wr, (json.dumps(
                        {"error": "%s: %s" % (comm, traceback.format_exc())})
                        + "\n").encode())
                except OSError:
                    pass
            finally:
                os._exit(code)
        os.close(wr)
        os.close(grd)
        self.rfile = os.fdopen(rd)
        self.gofd = gwr

    def read(self):
        line = self.rfile.readline()
        if not line:
            raise RuntimeError("%s (pid %d) died silently" % (self.comm,
                                                               self.pid))
        msg = json.loads(line)
        if "error" in msg:
            raise RuntimeError(msg["error"])
        return msg

    def go(self):
        os.write(self.gofd, b"g")

    def reap(self):
        _, status = os.waitpid(self.pid, 0)
        return status


def listen(fams, port=0):
    """{fam: listening socket} on loopback, on port if given."""
    out = {}
    for fam in fams:
        s = socket.socket(FAMILY[fam], socket.SOCK_STREAM)
        if fam == 46:
            s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)
        if port:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((ADDR[fam], port))
        s.listen(4096)
        out[fam] = s
    return out


def run(plan, ready_cb=None):
    """Run a plan; ready_cb(ready_info) is called before the traffic starts.

    Returns the truth: {"pairs": [{"server": pid, "client": pid, ...}],
    "sockets": [record, ...]}."""
    tag = plan["tag"]
    timeout = plan.get("timeout", 60)
    deadline = time.monotonic() + timeout
    children, info = [], {"pid": os.getpid(), "pairs": []}
    for i, pair in enumerate(plan["pairs"]):
        server_fn, client_fn = KINDS[pair["kind"]]
        ls = listen(families(pair), pair.get("port", 0))
        ports = {fam: s.getsockname()[1] for fam, s in ls.items()}
        scomm, ccomm = "%ss%d" % (tag, i), "%sc%d" % (tag, i)
        tcomm = None
        if pair.get("thread"):
            tcomm = (ccomm + "t").encode() + bytes.fromhex(
                pair.get("thread_comm_hex", ""))

        def server_body(say, wait_go, pair=pair, ls=ls, fn=server_fn):
            leave_hidden_netns()        # its listeners stay where they are
            say(ready=True)
            socks = fn(pair, ls, deadline)
            say(result=[cs.record() for cs in socks])

        def client_body(say, wait_go, pair=pair, ports=ports, fn=client_fn,
                        tcomm=tcomm):
            # rpc with "pre": connected (and used) before READY, that is
            # before tcptop starts; otherwise every connection is made after
            # the go.
            early = pair["kind"] == "rpc" and "pre" in pair
            pre = rpc_client_connect(pair, ports) if early else None
            if early:
                leave_hidden_netns()
            say(ready=True)
            wait_go()
            result = {}

            def work():
                try:
                    if tcomm:
                        set_comm(tcomm)
                    if pair["kind"] == "rpc":
                        socks = fn(pair, pre or rpc_client_connect(
                            pair, ports), deadline)
                    else:
                        socks = fn(pair, ports, deadline)
                    result["socks"] = socks
                except BaseException:
                    result["error"] = traceback.format_exc()
            if tcomm:
                t = threading.Thread(target=work)
                t.start()
                t.join()
            else:
                work()
            if "error" in result:
                raise RuntimeError(result["error"])
            say(result=[cs.record() for cs in result["socks"]])

        srv = Child(scomm, server_body, timeout)
        cli = Child(ccomm, client_body, timeout)
        for s in ls.values():
            s.close()
        children += [srv, cli]
        info["pairs"].append({
            "kind": pair["kind"], "ports": ports,
            "server": {"pid": srv.pid, "comm": scomm},
            "client": {"pid": cli.pid, "comm": tcomm.decode(
                "utf-8", "surrogateescape") if tcomm else ccomm}})
    if HOME_NETNS is not None:
        info["netns"] = os.stat("/proc/self/ns/net").st_ino
        leave_hidden_netns()
    try:
        for ch in children:
            ch.read()                          # ready
        if ready_cb:
            ready_cb(info)
        for ch in children:
            ch.go()
        sockets = []
        for ch in children:
            if ch.comm[len(tag)] == "c":
                sockets += ch.read()["result"]
        for ch in children:
            if ch.comm[len(tag)] == "s":
                sockets += ch.read()["result"]
    except BaseException:
        for ch in children:
            try:
                os.kill(ch.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        raise
    finally:
        for ch in children:
            ch.reap()
    for rec in sockets:
        rec["pair"] = int(re.match(r"\d+", rec["comm"][len(tag) + 1:])[0])
    # Name the server's end of each connection like the client's.
    by_port = {(r["pair"], r["lport"]): r["conn"] for r in sockets
               if r["role"] == "client"}
    for rec in sockets:
        if rec["conn"] is None:
            rec["conn"] = by_port.get((rec["pair"], rec["rport"]))
    info["sockets"] = sockets
    return info


def main(argv):
    import argparse
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("plan", help="JSON, a file name, or - for stdin")
    ap.add_argument("--wait-go", action="store_true",
                    help="after READY, wait for a line on stdin")
    ap.add_argument("--cgroup", help="move into this cgroup v2 directory")
    ap.add_argument("--lo-up", action="store_true",
                    help="bring lo up first, and reuse no port from TIME_WAIT "
                         "(in a new network namespace)")
    ap.add_argument("--hidden-netns", action="store_true",
                    help="run in a network namespace that only the sockets "
                         "keep (implies --lo-up)")
    a = ap.parse_args(argv)
    if a.plan.lstrip().startswith("{"):
        plan = json.loads(a.plan)
    elif a.plan == "-":
        plan = json.loads(sys.stdin.readline())
    else:
        with open(a.plan) as f:
            plan = json.load(f)
    if a.hidden_netns:
        hide_netns()
    if a.lo_up or a.hidden_netns:
        subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
        # A namespace of our own: no client port is reused from TIME_WAIT
        # (loopback's default, tcp_tw_reuse=2), so every connection of a
        # plan is a row of its own.
        with open("/proc/sys/net/ipv4/tcp_tw_reuse", "w") as f:
            f.write("0")
    if a.cgroup:
        with open(os.path.join(a.cgroup, "cgroup.procs"), "w") as f:
            f.write(str(os.getpid()))
    set_comm(plan["tag"] + "main")

    def ready(info):
        print("READY " + json.dumps(info), flush=True)
        if a.wait_go:
            if not sys.stdin.readline():
                raise SystemExit("stdin closed before go")

    try:
        truth = run(plan, ready)
    except Exception as e:   # the reason, then exit 1
        print("traffic: %s" % e, file=sys.stderr)
        return 1
    print("TRUTH " + json.dumps(truth), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
