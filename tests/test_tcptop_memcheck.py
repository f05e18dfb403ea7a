"""tcptop under AddressSanitizer/UBSan and valgrind, on a live run:
compile, load, attach, intervals with real traffic, drain and teardown.
"""
import os

from lib.loopback import loopback_traffic
from lib.memcheck import SAN_ENV, assert_sanitizers_clean, valgrind
from lib.paths import BUILD
from lib.proc import Background


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
