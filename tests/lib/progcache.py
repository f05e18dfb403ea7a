"""The tools' program cache (runtime/progcache.h) as the tests see it:
-v's "program cache:" line, and the entries in a cache directory."""
import os
import re
import signal

from lib.bpf import held_bpf_shown
from lib.paths import TOOLS
from lib.proc import Background

NOTE_RE = re.compile(r"^(\S+): program cache: (.*)$", re.M)


START_RE = re.compile(r"^tcptop: connections open before tracing: \d+, "
                      r"each counted from its next read$")


def verbose_err(err, tool, method):
    """-v's stderr is exactly: the attached method, then what the cache
    did, then for tcptop how many connections open before it got a reading
    (tools/tcptop_start.c); returns what the cache did ("hit PATH", "miss;
    stored PATH", ...)."""
    lines = err.splitlines()
    assert len(lines) == (3 if tool == "tcptop" else 2), err
    assert lines[0] == "%s: attached method: %s" % (tool, method), err
    m = NOTE_RE.match(lines[1])
    assert m and m.group(1) == tool, err
    assert tool != "tcptop" or START_RE.match(lines[2]), err
    return m.group(2)


def cache_note(err):
    """What the cache did, from a -v run's stderr (the last such line)."""
    notes = NOTE_RE.findall(err)
    assert notes, "no 'program cache:' line in:\n%s" % err
    return notes[-1][1]


def entries(d):
    """The entry files in cache directory d (not the temporary ones)."""
    return sorted(f for f in os.listdir(d) if f.endswith(".prog"))


LIVE = {"tcptop": "Tracing...", "tcpconnlat": "LAT(ms)"}
ARGS = {"tcptop": ["-C", "-S", "600"], "tcpconnlat": []}


def objects(pid):
    """{prog name: [tags]} and {map name: (type, key, value, entries,
    flags)} of the BPF objects process pid holds (two programs can share a
    name: tcpconnlat's second ones on a tracepoint)."""
    progs, maps = {}, {}
    for _, p in held_bpf_shown(pid, "prog"):
        progs[p["name"]] = sorted(progs.get(p["name"], []) + [p["tag"]])
    for _, m in held_bpf_shown(pid, "map"):
        maps[m["name"]] = (m["type"], m["bytes_key"], m["bytes_value"],
                           m["max_entries"], m["flags"])
    return progs, maps


def start(tool, args=(), verbose=True, method=None):
    """The tool, live (in the cache directory of the environment's
    TCPTOOLS_CACHE_DIR)."""
    argv = [TOOLS[tool]] + (["-v"] if verbose else []) + ARGS[tool] + \
        (["--attach", method] if method else []) + list(args)
    return Background(argv, ready=LIVE[tool], ready_timeout=120)


def once(tool, args=(), method="tracepoint"):
    """Start with -v, note the BPF objects, stop: (cache note, objects)."""
    bg = start(tool, args, method=method)
    try:
        objs = objects(bg.proc.pid)
    finally:
        rc, _, err = bg.stop(signal.SIGINT)
    assert rc == 0, err
    return verbose_err(err, tool, method), objs


def check_warm_start(run, tool, auto_err):
    """For the VM suites' per-method runs: the tests' cache starts empty, so
    a method's instances compile and store its programs, and the start
    after them (run.warm_note, run.warm) must load them from the cache with
    the same program tags and maps as the cold instance's (run.objects).
    auto, last, must start warm from its method's entry (auto_err: its -v
    stderr). Every guest test takes every method: a subset would make
    pytest set a method's instances up twice."""
    if run.method == "auto":
        assert "%s: program cache: hit " % tool in auto_err, auto_err
        return
    assert run.warm_note.startswith("hit "), run.warm_note
    assert run.warm == run.objects
