"""Reference argument parsers: Python argparse replicas of the C tools' specs.

The C tools parse their options with runtime/args.c, which accepts what
argparse accepts and prints its messages and its help at 80 columns. These are the same parsers written with argparse itself, with
the Python tools' own type functions, so tests can compare the C binaries'
help text, usage errors and exit codes with what Python prints.

Run as a script to behave like the tool's parser:
    python3 argref.py tcptop [ARGS...]        parse; exit 0 silently if valid
    python3 argref.py --error MSG tcptop      print a usage error, exit 2
The prog shown in usage is the tool name (the C binary's basename), or
$ARGREF_PROG if set.

Keep the texts and the option order in step with the arg_opt tables in
tools/tcptop.c and tools/tcpconnlat.c, hidden options included: they
take part in long-option abbreviation.
"""
import argparse
import os
import sys

# Extra examples the C tools document for the options they add.
TCPTOP_EXAMPLES = """examples:
    ./tcptop           # trace TCP send/recv by host
    ./tcptop -C        # don't clear the screen
    ./tcptop -p 181    # only trace PID 181
    ./tcptop --cgroupmap mappath  # only trace cgroups in this BPF map
    ./tcptop --mntnsmap mappath   # only trace mount namespaces in the map
    ./tcptop -c /sys/fs/cgroup/app  # only trace this cgroup and below
    ./tcptop -4        # trace IPv4 family only
    ./tcptop -6        # trace IPv6 family only
    ./tcptop -s sent   # sort by bytes sent
    ./tcptop -r 10     # show at most 10 rows per table
    ./tcptop -j        # JSON lines: bytes per connection per interval
    ./tcptop --attach tracepoint  # use stable tracepoints
"""

TCPCONNLAT_EXAMPLES = """examples:
    ./tcpconnlat           # trace all TCP connect()s
    ./tcpconnlat 1         # trace connection latency slower than 1 ms
    ./tcpconnlat 0.1       # trace connection latency slower than 100 us
    ./tcpconnlat -t        # include timestamps
    ./tcpconnlat -p 181    # only trace PID 181
    ./tcpconnlat -L        # include LPORT while printing outputs
    ./tcpconnlat -4        # trace IPv4 family only
    ./tcpconnlat -6        # trace IPv6 family only
    ./tcpconnlat --attach tracepoint  # use stable tracepoints
    ./tcpconnlat -j        # JSON lines, one object per connect
    ./tcpconnlat --failed  # also failed connects, with a RESULT
"""

ATTACH_CHOICES = ["auto", "kprobe", "tracepoint", "fentry"]
SORT_CHOICES = ["all", "sent", "received"]


# tcptop.py's type function, verbatim
def range_check(string):
    value = int(string)
    if value < 1:
        msg = "value must be stricly positive, got %d" % (value,)
        raise argparse.ArgumentTypeError(msg)
    return value


# tcpconnlat.py's type function, verbatim
def positive_float(val):
    try:
        ival = float(val)
    except ValueError:
        raise argparse.ArgumentTypeError("must be a float")

    if ival < 0:
        raise argparse.ArgumentTypeError("must be positive")
    return ival


def _add_family_group(parser):
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-4", "--ipv4", action="store_true",
        help="trace IPv4 family only")
    group.add_argument("-6", "--ipv6", action="store_true",
        help="trace IPv6 family only")


def _add_attach(parser):
    parser.add_argument("--attach", choices=ATTACH_CHOICES, default="auto",
        help="how to attach: auto (default) picks what works here")
    parser.add_argument("--no-cache", action="store_true",
        help="compile the BPF program, neither reading nor writing the cache")


def _new_parser(prog, description, examples):
    return argparse.ArgumentParser(
        prog=prog, description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=examples)


def _add_hidden(parser):
    """--ebpf, and the test hooks --x-check and --x-second-only
    (runtime/tool.h): hidden, but they take part in abbreviations."""
    parser.add_argument("--ebpf", action="store_true",
        help=argparse.SUPPRESS)
    parser.add_argument("--x-check", choices=["compile", "load"],
        help=argparse.SUPPRESS)
    parser.add_argument("--x-second-only", action="store_true",
        help=argparse.SUPPRESS)


def tcptop_parser(prog="tcptop"):
    parser = _new_parser(prog, "Summarize TCP send/recv throughput by host",
                         TCPTOP_EXAMPLES)
    parser.add_argument("-C", "--noclear", action="store_true",
        help="don't clear the screen")
    parser.add_argument("-S", "--nosummary", action="store_true",
        help="skip system summary line")
    parser.add_argument("-p", "--pid",
        help="trace this PID only")
    parser.add_argument("interval", nargs="?", default=1, type=range_check,
        help="output interval, in seconds (default 1)")
    parser.add_argument("count", nargs="?", default=-1, type=range_check,
        help="number of outputs")
    parser.add_argument("--cgroupmap",
        help="trace cgroups in this BPF map only")
    parser.add_argument("--mntnsmap",
        help="trace mount namespaces in this BPF map only")
    parser.add_argument("-c", "--cgroup", metavar="PATH",
        help="trace only processes in this cgroup v2 directory and its "
             "descendants")
    _add_family_group(parser)
    parser.add_argument("-s", "--sort", choices=SORT_CHOICES, default="all",
        help="sort rows by this byte count (default all)")
    parser.add_argument("-r", "--rows", type=range_check,
        help="show at most ROWS rows per table (default: fit the screen)")
    parser.add_argument("-j", "--json", action="store_true",
        help="print JSON lines (one object per line) instead of text")
    _add_attach(parser)
    parser.add_argument("-v", "--verbose", action="store_true",
        help="print the attach method and BPF program")
    _add_hidden(parser)
    return parser


def tcpconnlat_parser(prog="tcpconnlat"):
    parser = _new_parser(prog,
                         "Trace TCP connects and show connection latency",
                         TCPCONNLAT_EXAMPLES)
    parser.add_argument("-t", "--timestamp", action="store_true",
        help="include timestamp on output")
    parser.add_argument("-p", "--pid",
        help="trace this PID only")
    parser.add_argument("-L", "--lport", action="store_true",
        help="include LPORT on output")
    parser.add_argument("-j", "--json", action="store_true",
        help="print JSON lines (one object per line) instead of text")
    parser.add_argument("--failed", action="store_true",
        help="also show connects that fail, with a RESULT (tracepoint method)")
    _add_family_group(parser)
    parser.add_argument("duration_ms", nargs="?", default=0,
        type=positive_float,
        help="minimum duration to trace (ms)")
    parser.add_argument("-v", "--verbose", action="store_true",
        help="print the BPF program for debugging purposes")
    _add_attach(parser)
    _add_hidden(parser)
    return parser


PARSERS = {"tcptop": tcptop_parser, "tcpconnlat": tcpconnlat_parser}


def main(argv):
    error = None
    if argv[:1] == ["--error"]:
        error, argv = argv[1], argv[2:]
    tool, args = argv[0], argv[1:]
    parser = PARSERS[tool](os.environ.get("ARGREF_PROG", tool))
    if error is not None:
        parser.error(error)
    parser.parse_args(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
