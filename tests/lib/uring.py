"""A minimal io_uring (raw io_uring_setup/io_uring_enter and the rings'
mmaps, no liburing): sends and receives on a socket, one request at a
time, for the traffic of tests/traffic.py's "uring" pair kind.

Where the kernel runs a request decides whose COMM tcptop shows for its
bytes: inline in the task that submits it (its own COMM; a request that
must wait is polled and then run by the task too), in an io-wq worker of
the process for IOSQE_ASYNC (COMM "iou-wrk-<tid>", the submitting
thread's id; before Linux 6.3 a request of those that had to wait for
its socket completed in the task instead), or in the ring's SQPOLL
thread (COMM "iou-sqp-<tid>", every request). The PID is the process's
in every case: the workers and the SQPOLL thread are threads of it.
x86-64 only (syscall numbers, and the ring's memory ordering: see
_submit())."""
import ctypes
import mmap
import os
import socket
import struct

SYS_IO_URING_SETUP = 425        # x86-64 (and the unified numbering)
SYS_IO_URING_ENTER = 426
IORING_SETUP_SQPOLL = 1 << 1
IORING_FEAT_SINGLE_MMAP = 1 << 0
IORING_OFF_SQES = 0x10000000
IORING_ENTER_GETEVENTS = 1 << 0
IORING_ENTER_SQ_WAKEUP = 1 << 1
IOSQE_ASYNC = 1 << 4
IORING_CQE_F_MORE = 1 << 1
IORING_CQE_F_NOTIF = 1 << 3
OP_CONNECT, OP_SEND, OP_RECV, OP_SEND_ZC = 16, 26, 27, 47
MSG_WAITALL = 0x100

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def _sys(*args):
    r = _libc.syscall(*args)
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r


class Ring:
    """One io_uring. sqpoll: a kernel thread of the process takes the
    requests from the ring (and runs them)."""

    def __init__(self, sqpoll=False, entries=4):
        params = ctypes.create_string_buffer(120)
        flags = IORING_SETUP_SQPOLL if sqpoll else 0
        struct.pack_into("=II", params, 8, flags, 0)
        struct.pack_into("=I", params, 16, 2000)   # sq_thread_idle, ms
        self.fd = _sys(SYS_IO_URING_SETUP, entries, params)
        try:
            sq_n, cq_n, _, _, _, feat = struct.unpack_from("=6I", params, 0)
            if not feat & IORING_FEAT_SINGLE_MMAP:
                raise OSError("io_uring without IORING_FEAT_SINGLE_MMAP "
                              "(Linux 5.4+) is not supported here")
            sq = struct.unpack_from("=7I", params, 40)
            cq = struct.unpack_from("=7I", params, 80)
            self.sq_head, self.sq_tail, sq_mask, _, self.sq_flags, _, \
                sq_array = sq
            self.cq_head, self.cq_tail, cq_mask, _, _, self.cqes, _ = cq
            size = max(sq_array + 4 * sq_n, self.cqes + 16 * cq_n)
            prot = mmap.PROT_READ | mmap.PROT_WRITE
            self.ring = mmap.mmap(self.fd, size, mmap.MAP_SHARED, prot,
                                  offset=0)
            self.sqe_map = mmap.mmap(self.fd, 64 * sq_n, mmap.MAP_SHARED,
                                     prot, offset=IORING_OFF_SQES)
            self.sq_mask = struct.unpack_from("=I", self.ring, sq[2])[0]
            self.cq_mask = struct.unpack_from("=I", self.ring, cq[2])[0]
            self.sq_array = sq_array
            self.sqpoll = sqpoll
        except BaseException:
            os.close(self.fd)
            raise

    def _u32(self, off, val=None):
        if val is None:
            return struct.unpack_from("=I", self.ring, off)[0]
        struct.pack_into("=I", self.ring, off, val & 0xffffffff)

    def _submit(self, op, fd, addr, length, msg_flags, sqe_flags, off):
        """One request, alone in the ring: slot 0 of the SQE array."""
        sqe = struct.pack("=BBHiQQIIQHHiQQ", op, sqe_flags, 0, fd, off,
                          addr, length, msg_flags, 1, 0, 0, 0, 0, 0)
        self.sqe_map[0:64] = sqe
        tail = self._u32(self.sq_tail)
        self._u32(self.sq_array + 4 * (tail & self.sq_mask), 0)
        self._u32(self.sq_tail, tail + 1)     # x86: stores stay in order
        # An SQPOLL thread is always woken: reading its NEED_WAKEUP flag
        # here could pass the tail's store (x86 lets a load pass a store),
        # and a thread that went to sleep just then would never see the
        # request. Waking an awake thread costs nothing.
        _sys(SYS_IO_URING_ENTER, self.fd, 0 if self.sqpoll else 1, 0,
             IORING_ENTER_SQ_WAKEUP if self.sqpoll else 0, None, 0)

    def _reap(self):
        """The next completion: (res, flags), waiting for it."""
        while True:
            head = self._u32(self.cq_head)
            if head != self._u32(self.cq_tail):
                off = self.cqes + 16 * (head & self.cq_mask)
                _, res, flags = struct.unpack_from("=QiI", self.ring, off)
                self._u32(self.cq_head, head + 1)
                return res, flags
            _sys(SYS_IO_URING_ENTER, self.fd, 0, 1, IORING_ENTER_GETEVENTS,
                 None, 0)

    def _run(self, op, sock, buf, length, msg_flags=0, sqe_flags=0, off=0):
        self._submit(op, sock.fileno(), ctypes.addressof(buf), length,
                     msg_flags, sqe_flags, off)
        res, flags = self._reap()
        if op == OP_SEND_ZC and flags & IORING_CQE_F_MORE:
            # The buffer is the kernel's until its notification.
            while not self._reap()[1] & IORING_CQE_F_NOTIF:
                pass
        if res < 0:
            raise OSError(-res, os.strerror(-res))
        return res

    def send(self, sock, data, zerocopy=False, force_async=False):
        """Bytes the kernel took from data (IORING_OP_SEND or SEND_ZC)."""
        buf = ctypes.create_string_buffer(bytes(data), len(data))
        return self._run(OP_SEND_ZC if zerocopy else OP_SEND, sock, buf,
                         len(data), 0, IOSQE_ASYNC if force_async else 0)

    def recv(self, sock, n, force_async=False):
        """Bytes received, at most n (IORING_OP_RECV; 0 at EOF)."""
        buf = ctypes.create_string_buffer(n)
        return self._run(OP_RECV, sock, buf, n, 0,
                         IOSQE_ASYNC if force_async else 0)

    def connect(self, sock, host, port, force_async=False):
        """connect(2) through IORING_OP_CONNECT (the socket's family)."""
        if sock.family == socket.AF_INET6:
            sa = struct.pack("=H", socket.AF_INET6) + struct.pack(
                "!HI16sI", port, 0, socket.inet_pton(socket.AF_INET6, host),
                0)
        else:
            sa = struct.pack("=H", socket.AF_INET) + struct.pack(
                "!H4s8x", port, socket.inet_pton(socket.AF_INET, host))
        buf = ctypes.create_string_buffer(sa, len(sa))
        return self._run(OP_CONNECT, sock, buf, 0, 0,
                         IOSQE_ASYNC if force_async else 0, off=len(sa))

    def close(self):
        self.sqe_map.close()
        self.ring.close()
        os.close(self.fd)
