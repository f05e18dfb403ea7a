"""Skipping: outside CI a test that cannot run skips; under CI (CI=true)
every test must run, so it fails instead."""
import shutil

import pytest

from lib.paths import IN_CI


def skip_or_fail(why):
    """Skip outside CI; fail under CI, where every test must run."""
    if IN_CI:
        pytest.fail("cannot run under CI: " + why)
    pytest.skip(why)


def need(command):
    """Skip (fail under CI) when a command the test drives is missing."""
    if not shutil.which(command):
        skip_or_fail("%s is not installed (scripts/setup.sh installs it)"
                     % command)
