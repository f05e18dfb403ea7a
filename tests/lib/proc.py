"""Running commands: to completion (run), or in the background until a
signal (Background); as an unprivileged user (NOBODY, as_nobody)."""
import os
import select
import signal
import subprocess
import time

# uid/gid 65534 with no supplementary groups.
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def as_nobody(argv):
    """argv run as nobody (as it is when the tests are not root)."""
    return NOBODY + list(argv) if os.geteuid() == 0 else list(argv)


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

    def read_some(self, wait):
        """Append what the tool printed within wait seconds to out; False
        at end of file."""
        fd = self.proc.stdout.fileno()
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            return True
        chunk = os.read(fd, 65536)
        self.out += chunk.decode(errors="replace")
        return bool(chunk)

    def read_for(self, seconds):
        """Collect the tool's output for a while (it keeps running)."""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            if not self.read_some(max(0.0, min(0.1, end - time.monotonic()))):
                break

    def wait_for(self, needle, timeout):
        """Read stdout until needle appears (the tool is then live)."""
        end = time.monotonic() + timeout
        while needle not in self.out:
            left = end - time.monotonic()
            if left <= 0:
                self.proc.kill()
                raise AssertionError("timeout waiting for %r:\n%s" % (
                    needle, self.out))
            if not self.read_some(min(left, 0.1)) and needle not in self.out:
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
