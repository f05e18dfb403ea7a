"""pytest fixtures shared by the suites; the helpers are in tests/lib/.

Live BPF tests need root. Outside CI they skip when they cannot run; under
CI (CI=true) a live test that cannot run is a failure, never a skip
(lib.require.skip_or_fail).
"""
import os

import pytest

from lib.paths import ROOT, SAN_BUILD
from lib.proc import run
from lib.require import skip_or_fail


@pytest.fixture
def live():
    """Marks a test that loads BPF programs: needs root."""
    if os.geteuid() != 0:
        skip_or_fail("live BPF tests need root")


@pytest.fixture(scope="session")
def san_build():
    """make SANITIZE=1: AddressSanitizer + UBSan binaries in build-san/."""
    r = run(["make", "-C", ROOT, "SANITIZE=1"], timeout=600)
    assert r.returncode == 0, r.stderr
    return SAN_BUILD
