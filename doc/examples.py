#!/usr/bin/python3
"""Writes doc/tcptop_example.txt and doc/tcpconnlat_example.txt, as bcc
ships tools/*_example.txt: annotated sessions whose output lines come from
the real tools (build/, or TOOLS_BUILD) watching real loopback traffic,
made by the tests' own generators (tests/traffic.py,
tests/connlat_client.py). Regenerate, as root, with

    /usr/bin/python3 doc/examples.py [tcptop|tcpconnlat]

and diff: a session whose shape changed is a behaviour that changed.
Pids, ports, times and load averages differ from run to run.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

DOC = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(DOC), "tests"))

from lib.netns import Netns                                   # noqa: E402
from lib.paths import PYTHON, TCPCONNLAT, TCPTOP, TRAFFIC     # noqa: E402
from lib.tcpconnlat_live import client, drop_first_syns      # noqa: E402

os.environ.setdefault("TCPTOOLS_CACHE_DIR",
                      tempfile.mkdtemp(prefix="tcptools-examples-"))


def rpc(fam, size, reply, tag_conns=1):
    return {"kind": "rpc", "conns": [{"fam": fam}] * tag_conns,
            "msgs": [{"size": size, "reply": reply}], "rounds": 10 ** 6,
            "duration": 30, "gap": 0.01}


class Traffic:
    """tests/traffic.py running a plan until stopped; .ready: its pids."""

    def __init__(self, tag, pairs):
        plan = {"tag": tag, "pairs": pairs, "timeout": 60}
        # A session of its own: stop() ends its servers and clients too.
        self.proc = subprocess.Popen([PYTHON, TRAFFIC, json.dumps(plan)],
                                     stdout=subprocess.PIPE, text=True,
                                     start_new_session=True)
        line = self.proc.stdout.readline()
        assert line.startswith("READY "), line
        self.ready = json.loads(line[6:])
        time.sleep(0.5)

    def stop(self):
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()


def run_tool(argv, timeout=60):
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == 0, r.stderr
    return r.stdout


def session(argv, out):
    """A prompt line and the tool's output, as bcc's examples show them."""
    shown = [os.path.basename(argv[0])] + argv[1:]
    return "# %s\n%s" % (" ".join(shown), out)


def shown(argv):
    """argv's session: the prompt line and what the tool printed."""
    return session(argv, run_tool(argv))


def tcptop_examples():
    parts = []
    busy = Traffic("web", [rpc(4, 2000, 60000, 3), rpc(4, 300, 9000),
                           rpc(6, 50000, 100), rpc(4, 12000, 12000)])
    try:
        parts.append(
            "Demonstrations of tcptop, the C port of bcc's tcptop (tcptools).\n"
            "\n"
            "tcptop summarizes throughput by host and port. Here a busy host\n"
            "(loopback traffic: a few request/response clients and servers,\n"
            "named webc0..webc3 and webs0..webs3, over IPv4 and IPv6):\n\n")
        parts.append(shown([TCPTOP, "-C", "1", "2"]))
        parts.append(
            "\nEvery interval: the time and load averages, then the IPv4\n"
            "table and the IPv6 table, largest total first. RX_KB and TX_KB\n"
            "are what the process read and wrote on that connection in the\n"
            "interval, in Kbytes (bytes / 1024, rounded down). Both ends of\n"
            "each loopback connection are on this host, so each shows twice:\n"
            "the client's row and the server's, with the addresses swapped.\n"
            "-C printed the intervals one after the other; without it the\n"
            "screen is cleared every interval and the tables cut to fit it.\n"
            "\n\n"
            "-s sent orders rows by bytes sent, and -r 5 keeps the first 5\n"
            "of each table:\n\n")
        parts.append(shown([TCPTOP, "-C", "-S", "-s", "sent", "-r", "5",
                              "1", "1"]))
        parts.append(
            "\n-S left out the load average line. Rows are in order of TX_KB:\n"
            "whoever sends more comes first (in IPv6 the client webc2, whose\n"
            "requests are larger than the answers).\n"
            "\n\n"
            "-6 traces IPv6 only (and -4 IPv4 only):\n\n")
        parts.append(shown([TCPTOP, "-C", "-S", "-6", "1", "1"]))
    finally:
        busy.stop()
    mixed = Traffic("v6", [rpc(4, 4000, 4000), rpc(6, 8000, 8000),
                           rpc(46, 16000, 16000)])
    try:
        parts.append(
            "\n\nConnections of an IPv6 socket to an IPv4-mapped address\n"
            "(::ffff:127.0.0.1, pair v6c2/v6s2) are IPv6 connections, in the\n"
            "IPv6 table, as in bcc:\n\n")
        parts.append(shown([TCPTOP, "-C", "-S", "1", "1"]))
        pid = server_pid(mixed.ready)
        parts.append(
            "\n\n-p traces one process (here the server v6s0, pid %d):\n\n"
            % pid)
        parts.append(shown([TCPTOP, "-C", "-S", "-p", str(pid), "1", "1"]))
        parts.append(
            "\n\n-j prints JSON lines instead: one conn object per row (bytes,\n"
            "not KB), then the interval's summary; -r and -s apply as to the\n"
            "tables (here 2 rows per family). The banner goes to stderr:\n\n")
        parts.append(shown([TCPTOP, "-j", "-r", "2", "1", "1"]))
    finally:
        mixed.stop()
    parts.append(
        "\n\nUSAGE message:\n\n" + shown([TCPTOP, "-h"]))
    return "".join(parts)


def server_pid(ready):
    """The pid of the first pair's server, from traffic.py's READY line."""
    return ready["pairs"][0]["server"]["pid"]


def tcpconnlat_examples():
    parts = []

    def watch(args, connects):
        argv = [TCPCONNLAT] + args
        bg = subprocess.Popen(argv, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
        # Live once the header is out: on stdout, or on stderr under -j.
        header = (bg.stderr if "-j" in args else bg.stdout).readline()
        if "-j" in args:
            header = ""
        connects()
        time.sleep(0.5)
        bg.terminate()
        rest, _ = bg.communicate(timeout=30)
        assert bg.returncode == 0
        return session(argv, header + rest)

    def fast(ns):
        client(ns, family=4, port=5000, listen=True, count=3,
               comm="637572")                        # "cur"
        client(ns, family=6, port=5001, listen=True, count=2,
               comm="77676574")                      # "wget"

    # The connects are made in a network namespace of their own (listeners
    # on ports 5000 and 5001, nftables rules); tcpconnlat sees every one.
    with Netns() as ns:
        parts.append(
            "Demonstrations of tcpconnlat, the C port of bcc's tcpconnlat\n"
            "(tcptools).\n"
            "\n"
            "tcpconnlat shows the latency of each active TCP connect: from the\n"
            "connect() to the SYN-ACK (or reset), measured in the kernel. Here\n"
            "a few connects over loopback, IPv4 then IPv6 (clients named cur\n"
            "and wget):\n\n")
        parts.append(watch([], lambda: fast(ns)))
        parts.append(
            "\nLoopback answers within about a tenth of a millisecond.\n"
            "A connect across a network shows its round trip time.\n"
            "\n\n"
            "-L adds the local port and -t the time in seconds since the first\n"
            "connect shown:\n\n")
        parts.append(watch(["-L", "-t"], lambda: fast(ns)))

        def with_refused():
            fast(ns)
            client(ns, family=4, port=5009, count=1, comm="6e63")   # "nc"

        parts.append(
            "\n\n--failed also shows connects that fail, with a RESULT column\n"
            "last: here a connect to port 5009, where nothing listens, is\n"
            "refused by a reset (ECONNREFUSED); the others are ok:\n\n")
        parts.append(watch(["--failed"], with_refused))
        parts.append(
            "\n\n-j prints one JSON object per connect (the header goes to\n"
            "stderr), with the thread id, the whole COMM and the latency in\n"
            "microseconds too; with --failed, a result member:\n\n")
        parts.append(watch(["-j", "--failed"], with_refused))
        ns.nft(drop_first_syns(5000))
        parts.append(
            "\n\nA minimum duration in ms shows only slower connects. Here\n"
            "the first SYN of every IPv4 connect to port 5000 is dropped\n"
            "(nftables), so the kernel resends it a second later; the IPv6\n"
            "connects are fast and not shown:\n\n")
        parts.append(watch(["-L", "500"], lambda: fast(ns)))
    parts.append(
        "\nThe slow connects took one SYN retransmission: about 1000 ms.\n"
        "\n\nUSAGE message:\n\n" + shown([TCPCONNLAT, "-h"]))
    return "".join(parts)


def main():
    """doc/examples.py [TOOL...]: those tools' files, or both."""
    for name, make in (("tcptop", tcptop_examples),
                       ("tcpconnlat", tcpconnlat_examples)):
        if sys.argv[1:] and name not in sys.argv[1:]:
            continue
        text = make()
        with open(os.path.join(DOC, name + "_example.txt"), "w") as f:
            f.write(text)
        print("wrote doc/%s_example.txt" % name)


if __name__ == "__main__":
    main()
