// tcpconnlat, fentry method: the kprobe method's functions through BPF
// trampolines (kernels 5.5+ with BTF).
// Follows: tcpconnlat/btf_report.bpf.c. Placeholders: none.

KFUNC_PROBE(tcp_v4_connect, struct sock *sk)
{
    return record_start(sk);
}

KFUNC_PROBE(tcp_v6_connect, struct sock *sk)
{
    return record_start(sk);
}

// A connect that leaves SYN_SENT other than through
// tcp_rcv_state_process() (closed by the application, timed out,
// unreachable) will never complete: forget it.
static inline int on_set_state(struct sock *sk, int state)
{
    if (SK_STATE(sk) == TCP_SYN_SENT && state != TCP_SYN_SENT)
        start.delete(&sk);
    return 0;
}

KFUNC_PROBE(tcp_set_state, struct sock *sk, int state)
{
    return on_set_state(sk, state);
}

// Handshake completion (or a reset), as in the kprobe method.
static inline int on_rcv_state_process(void *ctx, struct sock *sk)
{
    if (SK_STATE(sk) != TCP_SYN_SENT)
        return 0;
    return report(ctx, sk, 0);
}

KFUNC_PROBE(tcp_rcv_state_process, struct sock *sk)
{
    return on_rcv_state_process(ctx, sk);
}

// The same functions again, for the ends of connects only. As for the
// tracepoint method's pair (tracepoint_probes.bpf.c): the kernel skips a
// program's run when the function is hit while that program is running on
// the same CPU, e.g. a softirq ending connects in an interrupt that
// landed in a run in process context. This program is not running then,
// so it handles them; whichever program finds the start entry first
// reports the end and deletes the entry, so it is reported once.
BPF_PROG(kfunc__tcp_set_state_again, struct sock *sk, int state)
{
    return on_set_state(sk, state);
}

BPF_PROG(kfunc__tcp_rcv_state_process_again, struct sock *sk)
{
    return on_rcv_state_process(ctx, sk);
}
