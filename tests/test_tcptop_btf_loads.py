"""tcptop's tracepoint method loads its programs as BTF-typed tracepoints
(tp_btf), so that what they read of struct sock, tcp_sock and the task is
plain loads, not helper calls (bpf_text/shared/sock.bpf.c, SK_BTF_LOADS):

- bpftool shows every program of the method as a tracing program (a raw
  tracepoint program would show as raw_tracepoint);
- the translated instructions of the programs that run per call
  (sock_send_length, tcp_rcv_space_adjust, sock_recv_length) call neither
  bpf_probe_read_kernel() nor bpf_get_current_comm().

The counts these programs make are checked against ground truth by
test_tcptop_live.py and test_tcptop_json.py, which run this method.
"""
from lib.bpf import bpftool, held_bpf_shown
from lib.progcache import start

# bpftool's names: the first 15 characters of the tracepoint's.
PROGRAMS = {"sock_send_lengt", "tcp_rcv_space_a", "inet_sock_set_s",
            "tcp_destroy_soc", "sock_recv_lengt"}
HOT = {"sock_send_lengt", "tcp_rcv_space_a", "sock_recv_lengt"}
HELPERS = ("bpf_probe_read_kernel", "bpf_get_current_comm")


def test_tracepoint_programs_are_tp_btf_with_plain_loads(live):
    bg = start("tcptop", ["--no-cache"], verbose=False, method="tracepoint")
    try:
        progs = {}
        for i, p in held_bpf_shown(bg.proc.pid, "prog"):
            progs[p["name"]] = (i, p["type"])
        assert set(progs) == PROGRAMS, progs
        assert {t for _, t in progs.values()} == {"tracing"}, progs
        for name in HOT:
            xlated = bpftool("prog", "dump", "xlated", "id",
                             str(progs[name][0]))
            assert "call " in xlated, xlated[:500]
            for helper in HELPERS:
                assert helper not in xlated, (name, helper)
    finally:
        bg.stop()
