"""Zerocopy sends and receives on a TCP socket, for tests/traffic.py's "io"
pair kind: send(MSG_ZEROCOPY) (with its completions drained from the
error queue) and TCP_ZEROCOPY_RECEIVE (the received pages mapped into a
region of the socket's mmap(), what is not page-sized copied to a small
buffer or left to recv(), as the kernel's hint says)."""
import ctypes
import mmap
import os
import select
import socket
import struct

SO_ZEROCOPY = 60
MSG_ZEROCOPY = 0x4000000
TCP_ZEROCOPY_RECEIVE = 35
PROT_READ, MAP_SHARED, MADV_DONTNEED = 1, 1, 4
PAGE = mmap.PAGESIZE
# struct tcp_zerocopy_receive (Linux 5.11+ with copybuf; 64 bytes):
# address, length, recv_skip_hint, inq, err, copybuf_address, copybuf_len,
# flags, msg_control, msg_controllen, msg_flags, reserved.
ZC = struct.Struct("=QIIIiQiIQQII")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int,
                       ctypes.c_int, ctypes.c_int, ctypes.c_long]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.madvise.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]


def _errno(what):
    e = ctypes.get_errno()
    return OSError(e, "%s: %s" % (what, os.strerror(e)))


def drain_notifications(sock):
    """MSG_ZEROCOPY's completions: left in the error queue, they hold
    socket memory until sends fail with ENOBUFS."""
    while True:
        try:
            sock.recvmsg(0, 256, socket.MSG_ERRQUEUE | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return


def send_zerocopy(sock, data):
    """One send(MSG_ZEROCOPY) of data (bytes-like); bytes taken."""
    sock.setsockopt(socket.SOL_SOCKET, SO_ZEROCOPY, 1)
    n = sock.send(data, MSG_ZEROCOPY)
    drain_notifications(sock)
    return n


class ZerocopyReceiver:
    """TCP_ZEROCOPY_RECEIVE on one socket. recv(n) returns the bytes moved
    by one round that moved any: mapped pages, the copy buffer, and a
    recv() of the remainder the kernel hints at; at most n. Under a page
    to go, when the kernel maps and copies nothing (more than n queued),
    a plain recv(). At the end of the stream the kernel's EIO is
    raised."""

    def __init__(self, sock, window=256 * 1024):
        self.sock, self.window = sock, window
        self.addr = _libc.mmap(None, window, PROT_READ, MAP_SHARED,
                               sock.fileno(), 0)
        if self.addr in (None, ctypes.c_void_p(-1).value):
            raise _errno("mmap of a TCP socket")
        self.copybuf = ctypes.create_string_buffer(PAGE)
        self.poll = select.poll()
        self.poll.register(sock.fileno(), select.POLLIN)
        self.mapped = self.copied = 0      # bytes each way, for the tests

    def recv(self, n):
        while True:
            self.poll.poll(10000)
            # MSG_ZEROCOPY's completions of this socket's own sends wake
            # the poll too (POLLERR), with nothing to read.
            drain_notifications(self.sock)
            got = self._round(n)
            if got:
                return got
            if n < PAGE:
                return len(self.sock.recv(n))

    def _round(self, n):
        # Map whole pages only, never past n; the copy buffer only for a
        # tail under a page (it would take bytes of the next pages too).
        maplen = min(self.window, n // PAGE * PAGE)
        zc = ctypes.create_string_buffer(ZC.pack(
            self.addr, maplen, 0, 0, 0, ctypes.addressof(self.copybuf),
            n if n < PAGE else 0, 0, 0, 0, 0, 0), ZC.size)
        size = ctypes.c_uint(ZC.size)
        if _libc.getsockopt(self.sock.fileno(), socket.IPPROTO_TCP,
                            TCP_ZEROCOPY_RECEIVE, zc, ctypes.byref(size)):
            raise _errno("TCP_ZEROCOPY_RECEIVE")
        _, length, skip, _, err, _, copied, *_ = ZC.unpack(zc.raw)
        if err:
            raise OSError(err, "TCP_ZEROCOPY_RECEIVE: socket error")
        if copied < 0:
            raise OSError(-copied, "TCP_ZEROCOPY_RECEIVE: copy buffer")
        if length:
            _libc.madvise(self.addr, length, MADV_DONTNEED)
        got = length + copied
        self.mapped += length
        self.copied += copied
        if skip and got < n:
            got += len(self.sock.recv(min(skip, n - got)))
        return got

    def close(self):
        _libc.munmap(self.addr, self.window)
