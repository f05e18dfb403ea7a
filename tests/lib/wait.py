"""Polling with a bound."""
import time


def wait_until(cond, timeout, step=0.05):
    """Call cond() until it returns something true or timeout seconds have
    passed (it is called at least once); returns
    its last value."""
    end = time.monotonic() + timeout
    while True:
        value = cond()
        if value or time.monotonic() > end:
            return value
        time.sleep(step)
