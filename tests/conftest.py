"""pytest fixtures shared by the suites; the helpers are in tests/lib/.

Live BPF tests need root. Outside CI they skip when they cannot run; under
CI (CI=true) a live test that cannot run is a failure, never a skip
(lib.require.skip_or_fail).
"""
import atexit
import os
import shutil
import tempfile

import pytest

from lib.paths import ROOT, SAN_BUILD, TCPTOP
from lib.proc import run
from lib.require import skip_or_fail

# The tools' program cache (runtime/progcache.h): one for this run, so most
# starts are warm (the cached program is what the live tests then check)
# and nothing is left in /var/cache. tests/test_progcache.py uses its own.
if "TCPTOOLS_CACHE_DIR" not in os.environ:
    os.environ["TCPTOOLS_CACHE_DIR"] = tempfile.mkdtemp(prefix="tcptools-cache-")
    atexit.register(shutil.rmtree, os.environ["TCPTOOLS_CACHE_DIR"], True)


@pytest.fixture
def live():
    """Marks a test that loads BPF programs: needs root."""
    if os.geteuid() != 0:
        skip_or_fail("live BPF tests need root")


@pytest.fixture
def ends():
    """tcpconnlat tests: a lib.tcpconnlat_live.ConnectEnds for the whole
    test (it needs tracefs)."""
    from lib.tcpconnlat_live import ConnectEnds, StateTrace
    if not os.path.isdir(os.path.join(StateTrace.TRACEFS, "instances")):
        skip_or_fail("no tracefs at %s" % StateTrace.TRACEFS)
    with ConnectEnds() as e:
        yield e


@pytest.fixture(scope="session")
def san_build():
    """make SANITIZE=1: AddressSanitizer + UBSan binaries in build-san/."""
    r = run(["make", "-C", ROOT, "SANITIZE=1"], timeout=600)
    assert r.returncode == 0, r.stderr
    return SAN_BUILD


@pytest.fixture
def tcptop_live_but_parser(request):
    """For tcptop's live modules: every test is live (root, the built tool)
    except the output parser's own checks (test_parser_*)."""
    if request.node.name.startswith("test_parser"):
        return
    request.getfixturevalue("live")
    if not os.access(TCPTOP, os.X_OK):
        pytest.fail("no tcptop binary at %s (run make, or set TOOLS_BUILD)"
                    % TCPTOP)
