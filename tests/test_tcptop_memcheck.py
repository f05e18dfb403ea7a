"""tcptop under AddressSanitizer/UBSan and valgrind, on a live run:
compile, load, attach, intervals with real traffic, drain and teardown.
"""
import os
import socket
import threading

from lib.memcheck import SAN_ENV, assert_sanitizers_clean, valgrind
from lib.paths import BUILD
from lib.proc import Background


def loopback_traffic(nbytes=200000):
    """One IPv4 connection carrying nbytes each way."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve():
        c, _ = srv.accept()
        got = 0
        while got < nbytes:
            got += len(c.recv(65536))
        c.sendall(b"y" * nbytes)
        c.close()

    t = threading.Thread(target=serve)
    t.start()
    c = socket.create_connection(srv.getsockname())
    c.sendall(b"x" * nbytes)
    got = 0
    while got < nbytes:
        got += len(c.recv(65536))
    c.close()
    t.join()
    srv.close()


def test_sanitizers_clean(live, san_build):
    bg = Background([os.path.join(san_build, "tcptop"), "-C", "-S", "1", "3"],
                    ready="Tracing...", env=SAN_ENV)
    loopback_traffic()
    rc, out, err = bg.wait(timeout=60)
    assert rc == 0, err
    assert_sanitizers_clean(err)
    assert "TX_KB" in out


def test_valgrind_clean(live):
    bg = Background(valgrind([os.path.join(BUILD, "tcptop"), "-C", "-S", "1",
                              "2"]), ready="Tracing...", ready_timeout=400)
    loopback_traffic()
    rc, out, err = bg.wait(timeout=400)
    assert rc == 0, err
    assert "TX_KB" in out
