"""tcptop on a terminal: without -C the tables are cut to fit the screen.

The tool runs on a real pseudo-terminal of a known size, with more rows
than fit; -C (no clearing) and -r N behave as documented.
"""
import fcntl
import json
import os
import pty
import select
import socket
import struct
import subprocess
import termios
import threading
import time

from lib.paths import TCPTOP

CONNS = 30


def traffic():
    """CONNS connections; connection i sends (i + 1) * 10 KiB."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(CONNS)

    def serve():
        for _ in range(CONNS):
            c, _ = srv.accept()
            while c.recv(65536):
                pass
            c.close()

    t = threading.Thread(target=serve)
    t.start()
    for i in range(CONNS):
        c = socket.create_connection(srv.getsockname())
        c.sendall(b"x" * ((i + 1) * 10240))
        c.close()
    t.join()
    srv.close()


def run_on_pty(argv, rows, cols=200, timeout=60):
    """Run argv with stdout on a rows x cols terminal (stderr too with -j,
    whose banner is there); returns its output."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    attrs = termios.tcgetattr(slave)
    attrs[1] &= ~termios.ONLCR          # keep "\n" as the tool wrote it
    termios.tcsetattr(slave, termios.TCSANOW, attrs)
    proc = subprocess.Popen(argv, stdout=slave, stderr=slave if "-j" in argv
                            else subprocess.PIPE)
    os.close(slave)
    out = b""
    end = time.monotonic() + timeout
    started = False
    while time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:         # EIO: the tool closed the terminal
                break
            if not chunk:
                break
            out += chunk
        if not started and b"Tracing..." in out:
            started = True
            traffic()
        if proc.poll() is not None and not ready:
            break
    os.close(master)
    proc.wait(timeout=30)
    assert proc.returncode == 0, proc.stderr.read() if proc.stderr else out
    return out.decode()


def last_screen(out):
    """What the last interval drew after its clear sequence."""
    return out.rsplit("\033[H\033[2J\033[3J", 1)[1]


def row_bytes(line):
    fields = line.split()
    return int(fields[-1]) + int(fields[-2])


def test_fits_screen(live):
    out = run_on_pty([TCPTOP, "-S", "-p", str(os.getpid()), "3", "1"], rows=15)
    screen = last_screen(out).splitlines()
    # 15 lines: one kept for the cursor, one for the header: 13 rows.
    assert screen[0].startswith("PID     COMM")
    rows = screen[1:]
    assert len(rows) == 13, screen
    # The largest first: the 13 largest of 60 rows (30 connections x 2 ends).
    sizes = [row_bytes(r) for r in rows]
    assert sizes == sorted(sizes, reverse=True)
    assert sizes[0] == CONNS * 10 and sizes[-1] == (CONNS - 6) * 10


def test_noclear_shows_everything(live):
    out = run_on_pty([TCPTOP, "-C", "-S", "-p", str(os.getpid()), "3", "1"], rows=15)
    lines = [l for l in out.splitlines() if l and l[0].isdigit()]
    assert len(lines) == 2 * CONNS


def test_rows_option(live):
    out = run_on_pty([TCPTOP, "-S", "-r", "4", "-p", str(os.getpid()), "3", "1"], rows=50)
    rows = last_screen(out).splitlines()[1:]
    assert len(rows) == 4


def test_json_never_clears_or_fits(live):
    """-j on a terminal too small for the rows: no escape sequence, every
    row, each line (after the banner) one JSON object."""
    out = run_on_pty([TCPTOP, "-j", "-S", "-p", str(os.getpid()), "3", "1"],
                     rows=15)
    assert "\033" not in out
    lines = out.splitlines()
    assert lines[0].startswith("Tracing... Output every 3 secs.")
    objs = [json.loads(l) for l in lines[1:]]
    assert len([o for o in objs if o["type"] == "conn"]) == 2 * CONNS
    assert objs[-1]["type"] == "interval" and objs[-1]["rows"] == 2 * CONNS
