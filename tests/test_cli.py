"""Command-line parity with the Python tools' argparse.

For a corpus of command lines, the C binary's stdout, stderr and exit
status must equal, byte for byte, what Python 3.11's argparse prints for
the same parser (tests/lib/argref.py) at 80 columns: the C tools always lay
out help for 80 columns, whatever $COLUMNS or the terminal says. Where the
C tools validate more strictly than Python on purpose (Python takes
"-p abc" or "nan" and fails later, or never), the exact message is
asserted instead, with argparse's usage text around it.

The corpus:
  SAME      command lines whose output must match argparse exactly:
            help, and usage errors from the parser or from the Python
            tools' own type functions
  VALID     command lines both accept (each with --ebpf, so nothing is
            traced: the tool prints its BPF program and exits 0)
  STRICTER  (command line, our message): Python accepts these, we say no
  OURS      (command line, our message): argparse quirks we do not copy

The replica runs in-process (argparse reads $COLUMNS when it formats);
test_replica_matches_python_process checks that this equals a real
python3 process, surrogate escapes and all.
"""
import contextlib
import io
import os
import resource
import subprocess
import sys
import time

import pytest

from lib import argref
from lib.paths import TOOLS as BINARIES
from lib.require import skip_or_fail

WIDTHS = (80,)
ARGREF = argref.__file__

# A usage error must be reported at once: no BPF work before parsing.
ERROR_SECONDS = 1.0

MAP_BAD = " (quotes, backslashes and control characters are not allowed)"

SAME = {
    "tcptop": [
        # help, and what comes before it
        ["-h"], ["--help"], ["--he"], ["--h"], ["-Ch"], ["-hC"],
        ["-p", "5", "-h"], ["--bogus", "-h"], ["-h", "-4", "-6"],
        ["1", "2", "-h"], ["-h", "abc"],
        ["abc", "-h"], ["--ip", "-h"], ["-4", "-6", "-h"], ["-hx"], ["-hp"],
        # abbreviations
        ["--ip"], ["--ipv"], ["--ip=4"], ["--no"], ["--n"], ["--=5"],
        ["--m"], ["--c"], ["--s", "bogus"], ["--a"], ["--noc=1"],
        # options missing their value
        ["-p"], ["--pid"], ["-p", "-C"], ["-p", "-5"], ["-p", "--"],
        ["-p", "1", "-p"], ["-s"], ["-r"], ["--attach"], ["--cgroupmap"],
        ["--mntnsmap", "-4"], ["-Cp"],
        # the mutually exclusive group
        ["-4", "-6"], ["-6", "-4"], ["--ipv4", "--ipv6"], ["-46"],
        ["-C4S6"], ["--ipv6", "-C", "--ipv4"],
        # unknown options and explicit arguments
        ["--bogus"], ["-x"], ["-Cx"], ["-C=x"], ["-C="], ["--noclear=x"],
        ["--ebpf=1"], ["---"], ["-5"], ["-1.5"], ["-.5"], ["-C", "-Sz"],
        # positionals: range_check's messages and argparse's consumption
        ["1", "2", "3"], ["1", "-C", "2"], ["-C", "1", "-S", "2"],
        ["1", "2", "--bogus", "3"], ["0"], ["-1"], ["--", "-1"],
        ["--", "-007"], ["--", "-99999999999999999999"], ["abc"], ["1.5"],
        ["1", "0"], ["1", "abc"], ["--", "--"], ["1", "--", "2", "3"],
        ["1", "-C", "--"], ["1", "2", "3", "--"],
        ["-"], ["a b"], ["-x y"], ["0x10"], [""],
        # choices
        ["-s", "bogus"], ["--sort=x"], ["-sx"], ["-s", "SENT"], ["-s", ""],
        ["--attach", "bpf"], ["--att=uprobe"], ["--attach", "KPROBE"],
        # repr() in messages (ASCII, printable UTF-8)
        ["-s", "it's"], ["-s", "a\"b'c"], ["-s", "tab\there\n"],
        ["-s", "\u00e9\x7f\x1b"], ["\u00e9"], [b"--bogus\xff", "x\u00e9"],
        ["-s", "\\"],
        # -r takes tcptop's range_check
        ["-r", "0"], ["-r", "x"], ["-r", "-1"], ["-r=-1"], ["-r", "1.5"],
        # -c/--cgroup and -j/--json (issue 10)
        ["-c"], ["--cgroup"], ["--cg"], ["--cgr"], ["-Cc"], ["-c", "-j"],
        ["-jc"], ["-j", "-h"], ["--json=1"], ["-jx"],
        ["-c", "/sys/fs/cgroup", "-h"],
    ],
    "tcpconnlat": [
        ["-h"], ["--help"], ["--he"], ["-tLh"], ["-p", "1", "--help"],
        ["abc", "-h"],
        ["--i"], ["--ip"], ["--=1"], ["--l", "x"], ["--a"], ["--at", "no"],
        ["-4", "-6"], ["-6L4"], ["--ipv6", "--ipv4"],
        ["abc"], ["1", "2"], ["1", "-t", "2"], ["-t", "1", "-L", "2"],
        ["-p"], ["-p", "-t"], ["-Lx"], ["-t=1"], ["--lport=1"],
        ["--", "-1"], ["--", "-inf"], ["--", "--"], ["--", "-0.5"],
        ["0x10"], ["1e"], ["."], ["1,5"], ["nan(1)"], ["1e5x"], [""],
        ["-1"], ["-inf"], ["-nan"], ["--bogus"], ["-x"], ["--ebpf=x"],
        ["--attach", "x"], ["--attach=Auto"], [b"\xfe"],
        ["-j=1"], ["--json=x"], ["--failed=1"], ["-jx"], ["--fail", "x"],
    ],
}

VALID = {
    "tcptop": [
        ["--ebpf"], ["-C", "--ebpf"], ["-CS", "--ebpf"], ["-SC", "--ebpf"],
        ["--noc", "--nos", "--ebpf"], ["-p", "181", "--ebpf"],
        ["-p181", "--ebpf"], ["--pid=181", "--ebpf"],
        ["--pi", "181", "--ebpf"], ["-p", "4194304", "--ebpf"],
        ["-p", "007", "--ebpf"], ["5", "--ebpf"], ["5", "3", "--ebpf"],
        ["--ebpf", "5", "3"], ["-C", "-S", "5", "3", "--ebpf"],
        ["--ebpf", "--", "5", "3"], ["--ebpf", "--"],
        ["--ebpf", "5", "3", "--"],
        ["-4", "-4", "--ebpf"], ["-6", "--ebpf"], ["--ipv6", "--ebpf"],
        ["-s", "sent", "--ebpf"], ["-sreceived", "--ebpf"],
        ["--sort=all", "--ebpf"], ["-r", "10", "--ebpf"], ["-r10", "--ebpf"],
        ["--attach", "auto", "--ebpf"], ["--att=auto", "--ebpf"],
        ["--cgroupmap", "/sys/fs/bpf/x", "--ebpf"],
        ["--mntnsmap", "mappath", "--ebpf"], ["-v", "--ebpf"], ["--e"],
        ["--eb"], ["2147483", "--ebpf"], ["007", "--ebpf"],
        ["+5", "--ebpf"], ["-CSv4p1", "--ebpf"], ["-C=S", "--ebpf"],
        ["-j", "--ebpf"], ["--json", "--ebpf"], ["-jCS", "--ebpf"],
        ["--js", "--ebpf"], ["-c", "/sys/fs/cgroup", "--ebpf"],
        ["-c/sys/fs/cgroup", "--ebpf"], ["--cgroup=x", "--ebpf"],
        ["--cgroupmap", "/sys/fs/bpf/x", "--cgroup", "y", "--ebpf"],
        ["-jc", "/sys/fs/cgroup", "-s", "sent", "-r", "3", "--ebpf"],
    ],
    "tcpconnlat": [
        ["--ebpf"], ["1", "--ebpf"], ["0.1", "--ebpf"], [".5", "--ebpf"],
        ["5.", "--ebpf"], ["1e3", "--ebpf"], ["+1.5", "--ebpf"],
        ["--ebpf", "--", "-0"], ["-tL", "-4", "--ebpf"], ["-tL6", "--ebpf"],
        ["-p", "1", "--ebpf"], ["--t", "--l", "--v", "--ebpf"], ["--e"],
        ["--attach=auto", "--ebpf"], ["0", "--ebpf"], ["1e-400", "--ebpf"],
        ["--ebpf", "1e10"],
        ["-j", "--ebpf"], ["--json", "--ebpf"], ["--failed", "--ebpf"],
        ["--fa", "--j", "--ebpf"], ["-jtL", "--failed", "1", "--ebpf"],
    ],
}

STRICTER = {
    "tcptop": [
        (["-p", "abc"], "argument -p/--pid: invalid pid value: 'abc'"),
        (["-p", "12abc"], "argument -p/--pid: invalid pid value: '12abc'"),
        (["-p", "0"],
         "argument -p/--pid: invalid pid value: '0' (must be 1..4194304)"),
        (["-p", "4194305"], "argument -p/--pid: invalid pid value: "
         "'4194305' (must be 1..4194304)"),
        (["-p", "99999999999999999999"], "argument -p/--pid: invalid pid "
         "value: '99999999999999999999' (must be 1..4194304)"),
        (["-p", "+5"], "argument -p/--pid: invalid pid value: '+5'"),
        (["-p", " 5"], "argument -p/--pid: invalid pid value: ' 5'"),
        (["-p="], "argument -p/--pid: invalid pid value: ''"),
        (["--pid=-5"], "argument -p/--pid: invalid pid value: '-5'"),
        (["-p-5"], "argument -p/--pid: invalid pid value: '-5'"),
        (["-p", "1\n"], "argument -p/--pid: invalid pid value: '1\\n'"),
        # argparse would store an empty list: "no PID filter"
        (["-p=--"], "argument -p/--pid: expected one argument"),
        (["99999999999999999999"], "argument interval: value too large, "
         "got 99999999999999999999 (max 2147483)"),
        (["2147484"],
         "argument interval: value too large, got 2147484 (max 2147483)"),
        (["1", "0099999999999"],
         "argument count: value too large, got 99999999999 (max 2147483)"),
        ([" 5"], "argument interval: invalid range_check value: ' 5'"),
        (["1_0"], "argument interval: invalid range_check value: '1_0'"),
        (["\u0663"],
         "argument interval: invalid range_check value: '\u0663'"),
        (["-r", "2147484"],
         "argument -r/--rows: value too large, got 2147484 (max 2147483)"),
        (["--cgroupmap", ""],
         "argument --cgroupmap: map path must not be empty"),
        (["--cgroupmap="],
         "argument --cgroupmap: map path must not be empty"),
        (["--cgroupmap", 'a"b'],
         "argument --cgroupmap: invalid map path: 'a\"b'" + MAP_BAD),
        (["--mntnsmap", "/a\nb"],
         "argument --mntnsmap: invalid map path: '/a\\nb'" + MAP_BAD),
        (["--mntnsmap", "a\\b"],
         "argument --mntnsmap: invalid map path: 'a\\\\b'" + MAP_BAD),
        (["--mntnsmap", "/x\x1b[2J"],
         "argument --mntnsmap: invalid map path: '/x\\x1b[2J'" + MAP_BAD),
        (["--cgroupmap", "/" + "a" * 4095],
         "argument --cgroupmap: map path too long (max 4095 bytes)"),
    ],
    "tcpconnlat": [
        (["nan"], "argument duration_ms: must be a finite number"),
        (["NaN"], "argument duration_ms: must be a finite number"),
        (["--", "-nan"], "argument duration_ms: must be a finite number"),
        (["inf"], "argument duration_ms: must be a finite number"),
        (["Infinity"], "argument duration_ms: must be a finite number"),
        (["1e400"], "argument duration_ms: must be a finite number"),
        (["1e17"], "argument duration_ms: too large: the microseconds "
         "must fit in 64 bits"),
        ([" 1"], "argument duration_ms: must be a float"),
        (["1_0"], "argument duration_ms: must be a float"),
        (["\u0661"], "argument duration_ms: must be a float"),
        (["-p", "x"], "argument -p/--pid: invalid pid value: 'x'"),
        (["-p=--"], "argument -p/--pid: expected one argument"),
    ],
}


# argparse quirks and Python's repr() beyond ASCII, which the C parser
# does not copy (runtime/args.c; README.md, "Differences from bcc"); our
# message, with argparse's usage text around it.
OURS = {
    "tcptop": [
        # argparse gives the second "--" to count, then drops it as it
        # drops the first: count stays unset and "2" is unrecognized
        (["--", "1", "--", "2"],
         "argument count: invalid range_check value: '--'"),
        # repr() escapes non-printable characters beyond ASCII and shows
        # undecodable bytes as \udcXX; we print such bytes as given
        (["-s", "\u00a0\u2028"], "argument -s/--sort: invalid choice: "
         "'\u00a0\u2028' (choose from 'all', 'sent', 'received')"),
        ([b"\xff"], b"argument interval: invalid range_check value: '\xff'"),
        ([b"-s", b"\xc3("], b"argument -s/--sort: invalid choice: '\xc3(' "
         b"(choose from 'all', 'sent', 'received')"),
    ],
}


def binary(tool):
    path = BINARIES[tool]
    if not os.access(path, os.X_OK):
        skip_or_fail("%s is not built" % path)
    return path


def as_bytes(argv):
    return [a if isinstance(a, bytes) else os.fsencode(a) for a in argv]


def run_c(tool, argv, columns=80, argv0=None, env=None):
    """Run the C tool; returns (status, stdout, stderr, seconds).

    seconds is the larger of the child's CPU time and its wall-clock
    time, but a slow wall clock alone (a loaded machine) gets one rerun.
    """
    path = binary(tool)
    if env is None:
        env = dict(os.environ, COLUMNS=str(columns))
    args = [argv0 if argv0 is not None else os.fsencode(path)]
    for attempt in range(2):
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.monotonic()
        p = subprocess.run(args + as_bytes(argv), executable=path,
                           capture_output=True, env=env, timeout=30)
        wall = time.monotonic() - start
        end = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (end.ru_utime - cpu.ru_utime) + (end.ru_stime - cpu.ru_stime)
        if wall < ERROR_SECONDS or cpu >= ERROR_SECONDS:
            break
    return p.returncode, p.stdout, p.stderr, max(cpu, wall)


@contextlib.contextmanager
def columns_env(columns):
    saved = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(columns)
    try:
        yield
    finally:
        if saved is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = saved


def run_ref(tool, argv, columns=80, prog=None, error=None):
    """The argparse replica in-process; returns (status, stdout, stderr).

    Encoded as python3 writes them: stdout keeps undecodable argv bytes
    (surrogateescape), stderr shows them as \\udcXX (backslashreplace).
    """
    out, err = io.StringIO(), io.StringIO()
    status = 0
    with columns_env(columns), contextlib.redirect_stdout(out), \
            contextlib.redirect_stderr(err):
        parser = argref.PARSERS[tool](tool if prog is None else prog)
        try:
            if error is not None:
                parser.error(error)
            parser.parse_args([os.fsdecode(a) for a in as_bytes(argv)])
        except SystemExit as e:
            status = e.code
    return (status, out.getvalue().encode("utf-8", "surrogateescape"),
            err.getvalue().encode("utf-8", "backslashreplace"))


def show(argv):
    return " ".join(repr(a) for a in argv) or "(none)"


def assert_same(c, ref, what):
    status, out, err = c[:3]
    assert (status, err) == (ref[0], ref[2]), what
    assert out == ref[1], what


def cases(table):
    return [pytest.param(tool, argv, id="%s:%s" % (tool, show(argv)))
            for tool in table for argv in table[tool]]


def stricter_cases():
    return [pytest.param(tool, argv, msg, id="%s:%s" % (tool, show(argv)))
            for tool in STRICTER for argv, msg in STRICTER[tool]]


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("tool,argv", cases(SAME))
def test_same_as_argparse(tool, argv, columns):
    ref = run_ref(tool, argv, columns)
    c = run_c(tool, argv, columns)
    assert_same(c, ref, "%s %s, COLUMNS=%d" % (tool, show(argv), columns))
    if ref[0]:
        assert c[3] < ERROR_SECONDS


@pytest.mark.parametrize("tool,argv", cases(VALID))
def test_valid(tool, argv):
    assert run_ref(tool, argv)[0] == 0, "argparse rejects it too"
    status, out, err, _ = run_c(tool, argv)
    assert status == 0, err.decode(errors="replace")
    assert not err.startswith(b"usage:") and b"error:" not in err
    assert out, "--ebpf prints the program"


@pytest.mark.parametrize("columns", WIDTHS)
@pytest.mark.parametrize("tool,argv,msg", stricter_cases())
def test_stricter_than_argparse(tool, argv, msg, columns):
    assert run_ref(tool, argv, columns)[0] == 0, \
        "argparse accepts this; the message belongs in SAME otherwise"
    want = run_ref(tool, [], columns, error=msg)
    status, out, err, secs = run_c(tool, argv, columns)
    assert (status, out, err) == want
    assert secs < ERROR_SECONDS


@pytest.mark.parametrize("tool,argv,msg",
                         [pytest.param(tool, argv, msg, id="%s:%s" % (
                             tool, show(argv)))
                          for tool in OURS for argv, msg in OURS[tool]])
def test_our_messages(tool, argv, msg):
    status, out, err = run_ref(tool, [], error="MSG")
    msg = msg if isinstance(msg, bytes) else msg.encode()
    want = (status, out, err.replace(b": error: MSG\n", b": error: " + msg +
                                     b"\n"))
    status, out, err, secs = run_c(tool, argv)
    assert (status, out, err) == want
    assert secs < ERROR_SECONDS


# The prog is basename(argv[0]); a long one moves the usage to its own
# line, non-ASCII counts by code point.
PROGS = [b"/usr/sbin/tcptop-bpfcc", b"t", b"x" * 45, b"x" * 150,
         b"/opt/\xc3\xa9t\xc3\xa9/tcp-\xc3\xa9", b"./sp ace"]


@pytest.mark.parametrize("argv0", PROGS, ids=lambda p: repr(p)[:20])
@pytest.mark.parametrize("tool", sorted(BINARIES))
def test_prog_from_argv0(tool, argv0):
    prog = os.fsdecode(os.path.basename(argv0))
    for argv in (["-h"], ["-4", "-6"], ["--ip"]):
        ref = run_ref(tool, argv, prog=prog)
        c = run_c(tool, argv, argv0=argv0)
        assert_same(c, ref, "argv[0]=%r %s" % (argv0, argv))


# An argv[0] that is not UTF-8 prints as given; nothing else changes.
@pytest.mark.parametrize("tool", sorted(BINARIES))
def test_prog_not_utf8(tool):
    status, out, err, _ = run_c(tool, ["-4", "-6"], argv0=b"/bin/t\xffp")
    ref = run_ref(tool, ["-4", "-6"], prog="t?p")
    assert (status, out) == ref[:2]
    assert err == ref[2].replace(b"t?p", b"t\xffp")


# The layout is for 80 columns whatever $COLUMNS says (argparse would
# follow it; scripts do not parse help).
@pytest.mark.parametrize("value", [None, "", "40", "200", "abc"])
def test_columns_env_ignored(value):
    tool = "tcptop"
    env = dict(os.environ)
    env.pop("COLUMNS", None)
    if value is not None:
        env["COLUMNS"] = value
    for argv in (["-h"], ["-4", "-6"]):
        assert_same(run_c(tool, argv, env=env), run_ref(tool, argv, 80),
                    "COLUMNS=%r %s" % (value, argv))


# The in-process replica must print what a real python3 process prints.
@pytest.mark.parametrize("argv", [["-h"], ["--ip"], [b"\xff"],
                                  [b"--x\xfe"], ["-s", "\u00e9\u2028"],
                                  ["-4", "-6"]], ids=repr)
def test_replica_matches_python_process(argv):
    env = dict(os.environ, COLUMNS="61")
    p = subprocess.run([sys.executable, ARGREF, "tcptop"] + as_bytes(argv),
                       capture_output=True, env=env, timeout=30)
    assert run_ref("tcptop", argv, 61) == (p.returncode, p.stdout, p.stderr)


def test_many_arguments_are_fast():
    # argparse's own loop is quadratic; ours must not be
    argv = ["-C"] * 20000
    status, out, err, secs = run_c("tcptop", argv + ["-x"])
    assert status == 2 and err.endswith(b"error: unrecognized arguments: -x\n")
    assert secs < ERROR_SECONDS
    status, out, err, secs = run_c("tcptop", argv + ["--ebpf"])
    assert status == 0, err


def test_long_argument():
    arg = "x" * 100000
    for tool in sorted(BINARIES):
        ref = run_ref(tool, [arg])
        c = run_c(tool, [arg])
        assert_same(c, ref, "100 kB positional")
        assert c[3] < ERROR_SECONDS
