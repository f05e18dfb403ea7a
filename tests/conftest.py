"""Shared test harness.

Live BPF tests need root. Outside CI they skip when they cannot run; under
CI (CI=true) a live test that cannot run is a failure, never a skip.
"""
import os
import select
import signal
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("TOOLS_BUILD", os.path.join(ROOT, "build"))
TCPTOP = os.path.join(BUILD, "tcptop")
TCPCONNLAT = os.path.join(BUILD, "tcpconnlat")
REFERENCE = os.path.join(os.path.dirname(ROOT), "shared", "reference")
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(why):
    """Skip outside CI; fail under CI, where every test must run."""
    if IN_CI:
        pytest.fail("cannot run under CI: " + why)
    pytest.skip(why)


@pytest.fixture
def live():
    """Marks a test that loads BPF programs: needs root."""
    if os.geteuid() != 0:
        skip_or_fail("live BPF tests need root")


def run(argv, timeout=30, **kw):
    """Run to completion; returns CompletedProcess with text output."""
    return subprocess.run(argv, capture_output=True, text=True,
                          timeout=timeout, **kw)


class Background:
    """A tool running in the background, stopped with a signal."""

    def __init__(self, argv, ready=None, ready_timeout=60, **kw):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, **kw)
        self.out = ""
        if ready:
            self.wait_for(ready, ready_timeout)

    def wait_for(self, needle, timeout):
        """Read stdout until needle appears (the tool is then live)."""
        fd = self.proc.stdout.fileno()
        end = time.monotonic() + timeout
        while needle not in self.out:
            left = end - time.monotonic()
            if left <= 0:
                self.proc.kill()
                raise AssertionError("timeout waiting for %r:\n%s" % (
                    needle, self.out))
            ready, _, _ = select.select([fd], [], [], min(left, 0.1))
            chunk = os.read(fd, 65536) if ready else b""
            self.out += chunk.decode(errors="replace")
            if ready and not chunk and needle not in self.out:
                self.proc.wait(timeout=30)
                raise AssertionError("tool exited %s before %r:\n%s\n%s" % (
                    self.proc.returncode, needle, self.out,
                    self.proc.stderr.read()))

    def wait(self, timeout=60):
        """Wait for the tool to end by itself: (returncode, stdout, stderr)."""
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.communicate()
            raise AssertionError("tool did not exit in %ss" % timeout)
        self.out += out or ""
        return self.proc.returncode, self.out, err

    def stop(self, sig=signal.SIGINT, timeout=30):
        """Signal, wait, and return (returncode, stdout, stderr)."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            out, err = self.proc.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError("tool ignored signal %s" % sig)
        self.out += out or ""
        return self.proc.returncode, self.out, err


# Memory checks: the sanitizer build and valgrind, shared by both tools.
SAN_BUILD = os.path.join(ROOT, "build-san")
SAN_ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1")


@pytest.fixture(scope="session")
def san_build():
    """make SANITIZE=1: AddressSanitizer + UBSan binaries in build-san/."""
    r = subprocess.run(["make", "-C", ROOT, "SANITIZE=1"], capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    return SAN_BUILD


def assert_sanitizers_clean(err):
    for report in ("AddressSanitizer", "runtime error", "LeakSanitizer"):
        assert report not in err, err


def valgrind(argv):
    """argv under valgrind: any error or definite leak makes it exit 9.
    The suppressions cover only libbpf's bpf() wrapper (see the file)."""
    return ["valgrind", "-q", "--error-exitcode=9",
            "--suppressions=" + os.path.join(ROOT, "tests", "valgrind.supp"),
            "--leak-check=full", "--errors-for-leak-kinds=definite"] + argv

