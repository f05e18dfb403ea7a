"""The tools under AddressSanitizer/UBSan and valgrind, on a live run.

Each run covers compile, load, attach, intervals with real traffic, drain
and teardown. valgrind's suppressions (tests/valgrind.supp) cover only
libbpf's bpf() syscall wrapper (see the file for why).
"""
import os
import socket
import subprocess
import threading

import pytest

from conftest import BUILD, ROOT, Background

SAN_BUILD = os.path.join(ROOT, "build-san")
SUPP = os.path.join(ROOT, "tests", "valgrind.supp")


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


@pytest.fixture(scope="module")
def san_build():
    r = subprocess.run(["make", "-C", ROOT, "SANITIZE=1"], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return SAN_BUILD


@pytest.mark.parametrize("tool", ["tcptop"])
def test_sanitizers_clean(live, san_build, tool):
    env = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1")
    bg = Background([os.path.join(san_build, tool), "-C", "-S", "1", "3"],
                    ready="Tracing...", env=env)
    loopback_traffic()
    rc, out, err = bg.wait(timeout=60)
    assert rc == 0, err
    assert "AddressSanitizer" not in err and "runtime error" not in err, err
    assert "LeakSanitizer" not in err, err


def test_valgrind_clean(live):
    bg = Background(["valgrind", "-q", "--error-exitcode=9",
                     "--suppressions=" + SUPP, "--leak-check=full",
                     "--errors-for-leak-kinds=definite",
                     os.path.join(BUILD, "tcptop"), "-C", "-S", "1", "2"],
                    ready="Tracing...", ready_timeout=400)
    loopback_traffic()
    rc, out, err = bg.wait(timeout=400)
    assert rc == 0, err
    assert "TX_KB" in out
