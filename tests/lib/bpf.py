"""BPF objects through bpftool and /proc: what is loaded on the system,
what a process holds open, pinned maps and map contents, kernel BTF."""
import errno
import functools
import json
import os

from lib.proc import run
from lib.require import need, skip_or_fail
from lib.wait import wait_until


def bpftool(*args, timeout=30):
    """bpftool's stdout; an AssertionError when it fails."""
    need("bpftool")
    r = run(["bpftool"] + list(args), timeout=timeout)
    if r.returncode:
        raise AssertionError("bpftool %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def bpftool_json(*args):
    """bpftool -j's answer, parsed (None when it prints nothing)."""
    out = bpftool("-j", *args)
    return json.loads(out) if out.strip() else None


# --- objects on the system and in a process ---------------------------------

def loaded_bpf_ids(kind):
    """ids of every BPF object of kind ("prog", "link", "map") loaded on the
    system."""
    return {o["id"] for o in bpftool_json(kind, "show") or []}


def held_bpf_objects(pid):
    """{"prog": ids, "link": ids, "map": ids, "links": [fdinfo]} held by the
    process's descriptors (a link's program counts as held)."""
    held = {"prog": set(), "link": set(), "map": set(), "links": []}
    fddir = "/proc/%d/fd" % pid
    for fd in os.listdir(fddir):
        try:
            target = os.readlink(os.path.join(fddir, fd))
            with open("/proc/%d/fdinfo/%s" % (pid, fd)) as f:
                info = dict(line.split(":", 1) for line in f.read().split("\n")
                            if ":" in line)
        except OSError:
            continue
        info = {k.strip(): v.strip() for k, v in info.items()}
        if target == "anon_inode:bpf-prog":
            held["prog"].add(int(info["prog_id"]))
        elif target == "anon_inode:bpf_link":
            held["link"].add(int(info["link_id"]))
            held["prog"].add(int(info["prog_id"]))
            held["links"].append(info)
        elif target == "anon_inode:bpf-map":
            held["map"].add(int(info["map_id"]))
    return held


def held_bpf_ids(pid, kind):
    """ids of the BPF objects of kind ("prog", "link", "map") that process
    pid holds open."""
    return held_bpf_objects(pid)[kind]


def still_present(held, timeout=5.0):
    """Which of the held BPF objects still exist once the holder has exited.
    The kernel frees a program shortly after its last reference goes (RCU),
    so poll for a bounded time."""
    def left():
        now = {k: held[k] & loaded_bpf_ids(k) for k in ("prog", "link", "map")
               if held.get(k)}
        return {k: v for k, v in now.items() if v}
    wait_until(lambda: not left(), timeout, step=0.1)
    return left()


def held_bpf_shown(pid, kind):
    """[(id, bpftool's description)] of the programs ("prog") or maps
    ("map") process pid holds, by id (one gone meanwhile is left out)."""
    return [(i, d) for i in sorted(held_bpf_ids(pid, kind))
            for d in [bpftool_json(kind, "show", "id", str(i))] if d]


def map_by_name(pid, name):
    """bpftool's description of the map called name that process pid
    holds."""
    for _, m in held_bpf_shown(pid, "map"):
        if m.get("name") == name:
            return m
    raise AssertionError("process %d has no BPF map %r" % (pid, name))


# --- map contents -------------------------------------------------------------

def pin_map(name, key_size, value_size, map_name):
    """A hash map of 1024 entries pinned at /sys/fs/bpf/name; its path."""
    path = "/sys/fs/bpf/" + name
    bpftool("map", "create", path, "type", "hash", "key", str(key_size),
            "value", str(value_size), "entries", "1024", "name", map_name)
    return path


def map_update(ref, key, value, *flags):
    """Set one entry (key and value: bytes) of the map ref, bpftool's way
    of naming it: ("pinned", path) or ("id", "12")."""
    bpftool("map", "update", *ref, "key", "hex",
            *["%02x" % b for b in key], "value", "hex",
            *["%02x" % b for b in value], *flags)


def map_delete(ref, key):
    """Delete one entry (key: bytes) of the map ref, as map_update names it."""
    bpftool("map", "delete", *ref, "key", "hex", *["%02x" % b for b in key])


def map_entries(map_id):
    """[(key bytes, value bytes)] of a hash map."""
    def raw(v):
        return bytes(int(x, 16) for x in v)
    ents = []
    for e in bpftool_json("map", "dump", "id", str(map_id)) or []:
        if "key" in e and isinstance(e["key"], list):
            ents.append((raw(e["key"]), raw(e["value"])))
        elif "formatted" in e:   # never with raw dumps, kept for safety
            raise AssertionError("unexpected formatted dump: %r" % e)
    return ents


# --- kernel BTF ---------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def vmlinux_btf():
    """bpftool's raw dump of the running kernel's BTF."""
    return bpftool("btf", "dump", "file", "/sys/kernel/btf/vmlinux",
                   "format", "raw", timeout=120)


# --- running a loaded program by hand ------------------------------------------

_BPF_SYSCALL = {"x86_64": 321, "aarch64": 280}
_BPF_PROG_TEST_RUN, _BPF_PROG_GET_FD_BY_ID = 10, 13


def _bpf(cmd, attr):
    import ctypes
    if os.uname().machine not in _BPF_SYSCALL:
        skip_or_fail("no bpf() syscall number for " + os.uname().machine)
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(bytes(attr), len(attr))
    r = libc.syscall(_BPF_SYSCALL[os.uname().machine], cmd, buf, len(attr))
    if r < 0:
        e = ctypes.get_errno()
        raise OSError(e, os.strerror(e))
    return r, buf.raw


def raw_tp_test_run(prog_id, args):
    """Run a loaded raw tracepoint program once, in this process, with the
    tracepoint arguments args (u64 each): BPF_PROG_TEST_RUN, which bpftool
    prog run cannot do for raw tracepoints (it always passes data_in).
    Returns the program's return value."""
    import ctypes
    import struct
    fd, _ = _bpf(_BPF_PROG_GET_FD_BY_ID, struct.pack("=III", prog_id, 0, 0))
    try:
        raw = struct.pack("=%dQ" % len(args), *args)
        ctx = ctypes.create_string_buffer(raw, len(raw))
        # union bpf_attr's test: prog_fd retval data_size_in data_size_out
        # data_in data_out repeat duration ctx_size_in ctx_size_out ctx_in
        # ctx_out flags cpu batch_size.
        attr = struct.pack("=IIIIQQIIIIQQIII4x", fd, 0, 0, 0, 0, 0, 0, 0,
                           len(ctx.raw), 0, ctypes.addressof(ctx), 0, 0, 0,
                           0)
        try:
            _, out = _bpf(_BPF_PROG_TEST_RUN, attr)
        except OSError as e:
            # Raw tracepoint programs can be run so since Linux 5.10.
            # (524: the kernel's ENOTSUPP)
            if e.errno in (errno.EINVAL, errno.EOPNOTSUPP, 524):
                skip_or_fail("BPF_PROG_TEST_RUN of a raw tracepoint: %s" % e)
            raise
        return struct.unpack_from("=I", out, 4)[0]
    finally:
        os.close(fd)


# --- a witness of the test's own on a tracepoint -----------------------------

_BPF_MAP_CREATE, _BPF_MAP_LOOKUP_ELEM, _BPF_PROG_LOAD = 0, 1, 5
_BPF_MAP_GET_NEXT_KEY = 4
_BPF_RAW_TRACEPOINT_OPEN = 17
_BPF_MAP_TYPE_HASH, _BPF_PROG_TYPE_RAW_TRACEPOINT = 1, 17


def _insn(op, dst=0, src=0, off=0, imm=0):
    import struct
    return struct.pack("<BBhi", op, (src << 4) | dst, off, imm)


@functools.lru_cache(maxsize=None)
def inet_sport_offset():
    """inet_sport's offset in struct inet_sock (which begins with struct
    sock), from the kernel's BTF."""
    need("bpftool")
    out = run(["bpftool", "btf", "dump", "file",
               "/sys/kernel/btf/vmlinux"]).stdout
    inside = False
    for line in out.split("\n"):
        if not line.startswith("\t"):
            inside = "STRUCT 'inet_sock' size=" in line
        elif inside and line.startswith("\t'inet_sport' "):
            return int(line.split("bits_offset=")[1].split()[0]) // 8
    raise AssertionError("no inet_sock.inet_sport in the kernel's BTF")


class ConnectEndWitness:
    """A raw tracepoint program of the test's own, apart from the tool, on
    sock:inet_sock_set_state: it counts a connect's ends, as the tool sees
    them: changes out of SYN_SENT but to SYN_RECV (ESTABLISHED, or CLOSE
    when it fails), and out of SYN_RECV (a simultaneous open's end), per
    socket address and ports. For telling a
    connect the tool missed from one whose end the kernel ran no BPF
    program for at all (seen on the test VM: README, Known gaps), which no
    tool can report. StateTrace.unseen_ends() compares ends() with
    ftrace's count of the same changes."""

    MAX = 65536

    def __init__(self):
        import ctypes
        import struct
        self.fds = []
        try:
            fd, _ = _bpf(_BPF_MAP_CREATE, struct.pack(
                "=IIIII", _BPF_MAP_TYPE_HASH, 16, 8, self.MAX, 0)
                .ljust(72, b"\0"))
            self.map_fd = fd
            self.fds.append(fd)
            i = _insn
            sport = inet_sport_offset()
            # The key on the stack at -16: sk, inet_sport and skc_dport (as
            # in memory: network order), 4 bytes of zeros. Not skc_num: a
            # close has zeroed it by the time the tracepoint fires.
            prog = [
                i(0xbf, 6, 1),                  # r6 = ctx
                i(0x79, 2, 6, 8),               # r2 = args[1]: oldstate
                i(0x15, 2, 0, 3, 3),            # TCP_SYN_RECV: count
                i(0x55, 2, 0, 35, 2),           # not TCP_SYN_SENT: out
                i(0x79, 3, 6, 16),              # r3 = args[2]: newstate
                i(0x15, 3, 0, 33, 3),           # to TCP_SYN_RECV: out
                i(0x79, 7, 6, 0),               # count: r7 = args[0]: sk
                i(0x7b, 10, 7, -16),            # key.sk
                i(0x7a, 10, 0, -8, 0),          # key.ports, pad = 0
                i(0xbf, 1, 10), i(0x07, 1, 0, 0, -8),
                i(0xb7, 2, 0, 0, 2),
                i(0xbf, 3, 7), i(0x07, 3, 0, 0, sport),
                i(0x85, 0, 0, 0, 113),          # bpf_probe_read_kernel()
                i(0xbf, 1, 10), i(0x07, 1, 0, 0, -6),
                i(0xb7, 2, 0, 0, 2),
                i(0xbf, 3, 7), i(0x07, 3, 0, 0, 12),    # skc_dport
                i(0x85, 0, 0, 0, 113),          # bpf_probe_read_kernel()
                i(0x18, 1, 1, 0, fd), i(0),     # r1 = the map
                i(0xbf, 2, 10), i(0x07, 2, 0, 0, -16),
                i(0x85, 0, 0, 0, 1),            # bpf_map_lookup_elem()
                i(0x15, 0, 0, 3, 0),            # none yet: new
                i(0xb7, 1, 0, 0, 1),
                i(0xdb, 0, 1, 0, 0),            # lock *(u64 *)r0 += 1
                i(0x05, 0, 0, 9, 0),            # out
                i(0x7a, 10, 0, -24, 1),         # new: value 1
                i(0x18, 1, 1, 0, fd), i(0),     # r1 = the map
                i(0xbf, 2, 10), i(0x07, 2, 0, 0, -16),
                i(0xbf, 3, 10), i(0x07, 3, 0, 0, -24),
                i(0xb7, 4, 0, 0, 0),            # BPF_ANY
                i(0x85, 0, 0, 0, 2),            # bpf_map_update_elem()
                i(0xb7, 0, 0, 0, 0),            # out: return 0
                i(0x95)]
            code = b"".join(prog)
            self._keep = [ctypes.create_string_buffer(code, len(code)),
                          ctypes.create_string_buffer(b"GPL"),
                          ctypes.create_string_buffer(b"inet_sock_set_state")]
            attr = struct.pack("=IIQQIIQII16s", _BPF_PROG_TYPE_RAW_TRACEPOINT,
                               len(prog), ctypes.addressof(self._keep[0]),
                               ctypes.addressof(self._keep[1]), 0, 0, 0, 0, 0,
                               b"test_witness")
            pfd, _ = _bpf(_BPF_PROG_LOAD, attr.ljust(128, b"\0"))
            self.prog_fd = pfd
            self.fds.append(pfd)
            lfd, _ = _bpf(_BPF_RAW_TRACEPOINT_OPEN, struct.pack(
                "=QI4x", ctypes.addressof(self._keep[2]), pfd))
            self.fds.append(lfd)
        except BaseException:
            self.close()
            raise

    @staticmethod
    def is_end(old, new):
        """Whether the change old -> new (TCP_* numbers) is an end that
        the program counts (the rule its first six instructions apply)."""
        return old == 3 or old == 2 and new != 3

    @staticmethod
    def key(sk, lport, dport):
        """The map's key for socket address sk with these ports."""
        import struct
        return (struct.pack("=Q", sk) + lport.to_bytes(2, "big") +
                dport.to_bytes(2, "big") + bytes(4))

    def ends(self, sk, lport, dport):
        """How many ends (see the class) the program ran for at sk with
        these ports."""
        import ctypes
        import struct
        key = ctypes.create_string_buffer(self.key(sk, lport, dport), 16)
        val = ctypes.create_string_buffer(8)
        try:
            _bpf(_BPF_MAP_LOOKUP_ELEM, struct.pack(
                "=I4xQQQ", self.map_fd, ctypes.addressof(key),
                ctypes.addressof(val), 0))
        except OSError as e:
            if e.errno == errno.ENOENT:
                return 0
            raise
        return struct.unpack("=Q", val.raw)[0]

    def _keys(self):
        """The map's keys (16 bytes each), at most MAX + 1 of them."""
        import ctypes
        import struct
        key, nxt = ctypes.create_string_buffer(16), ctypes.create_string_buffer(16)
        for n in range(self.MAX + 1):
            try:
                _bpf(_BPF_MAP_GET_NEXT_KEY, struct.pack(
                    "=I4xQQ", self.map_fd,
                    0 if n == 0 else ctypes.addressof(key),
                    ctypes.addressof(nxt)))
            except OSError as e:
                if e.errno == errno.ENOENT:
                    return
                raise
            key.raw = nxt.raw
            yield nxt.raw

    def missed_any(self):
        """Whether the program itself may have missed an end: the kernel
        skipped a run of it (recursion_misses: an end that came in an
        interrupt while it ran on that CPU), or its map is full (an update
        failed)."""
        with open("/proc/self/fdinfo/%d" % self.prog_fd) as f:
            info = dict(line.split(":", 1) for line in f if ":" in line)
        if int(info.get("recursion_misses", "0")):
            return True
        return sum(1 for _ in self._keys()) >= self.MAX

    def ends_to(self, dport):
        """How many ends the program ran for at any socket connecting to
        port dport."""
        import struct
        total = 0
        for k in self._keys():
            if int.from_bytes(k[10:12], "big") == dport:
                total += self.ends(struct.unpack_from("=Q", k)[0],
                                   int.from_bytes(k[8:10], "big"), dport)
        return total

    def close(self):
        for fd in reversed(self.fds):
            os.close(fd)
        self.fds = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
