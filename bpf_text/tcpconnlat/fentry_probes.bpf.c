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
KFUNC_PROBE(tcp_set_state, struct sock *sk, int state)
{
    if (SK_STATE(sk) == TCP_SYN_SENT && state != TCP_SYN_SENT)
        start.delete(&sk);
    return 0;
}

// Handshake completion (or a reset), as in the kprobe method.
KFUNC_PROBE(tcp_rcv_state_process, struct sock *sk)
{
    if (SK_STATE(sk) != TCP_SYN_SENT)
        return 0;
    return report(ctx, sk, 0);
}
