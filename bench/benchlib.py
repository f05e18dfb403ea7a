"""What the benchmarks share: the builds they compare (ours, build/, and
with BENCH_BASELINE=DIR another build's tools, e.g. an older commit's
build/), the load generator, and stopping a tool."""
import os
import signal
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LOADGEN = os.path.join(ROOT, "build", "bench", "loadgen")


def tool_builds(tool):
    """[(name, path of tool)]: ours, then the baseline's if given."""
    out = [("ours", os.path.join(ROOT, "build", tool))]
    if os.environ.get("BENCH_BASELINE"):
        out.append(("baseline", os.path.join(os.environ["BENCH_BASELINE"],
                                             tool)))
    return out


def stop(p, timeout=30):
    """Ctrl-C the tool p and wait for it (killed if it ignores that)."""
    p.send_signal(signal.SIGINT)
    try:
        p.wait(timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
