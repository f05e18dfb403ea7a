"""The calling thread's name (comm, what the tools print as COMM), set and
read with prctl(2); used by both traffic clients (tests/traffic.py,
tests/connlat_client.py)."""
import ctypes

PR_SET_NAME = 15
PR_GET_NAME = 16
_libc = ctypes.CDLL(None, use_errno=True)


def set_comm(name):
    """Name the calling thread: bytes, or str (encoded as UTF-8); the
    kernel keeps the first 15 bytes. Checked by reading it back."""
    if isinstance(name, str):
        name = name.encode()
    buf = ctypes.create_string_buffer(name[:15], 16)
    if _libc.prctl(PR_SET_NAME, buf, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NAME)")
    if get_comm() != name[:15]:
        raise RuntimeError("comm not set: %r" % get_comm())


def get_comm():
    """The calling thread's name, as bytes."""
    buf = ctypes.create_string_buffer(16)
    if _libc.prctl(PR_GET_NAME, buf, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_GET_NAME)")
    return buf.value
