// tcpconnlat, tracepoint method: the stable sock:inet_sock_set_state and
// tcp:tcp_receive_reset tracepoints, as raw tracepoints.
// Follows: tcpconnlat/btf_report.bpf.c. Placeholders: none.

// CLOSE -> SYN_SENT happens in tcp_v4_connect(), in the connecting task
// (tcp_v6_connect() too, or calls it): remember who and when.
// SYN_SENT -> ESTABLISHED: the handshake completed: report it.
// SYN_SENT -> SYN_RECV: a simultaneous open (both ends connect, as in NAT
// traversal): it completes at SYN_RECV -> ESTABLISHED. Only sockets that
// connected have an entry, so accepted ones are never reported.
// SYN_SENT or SYN_RECV -> anything else: it never completes (closed by
// the application, timed out, unreachable; a reset was reported just
// before): forget it, or with --failed (#define CONNLAT_FAILED) report it
// with the error connect() returns, sk_err, set by then (none: the
// application closed the socket first).
RAW_TRACEPOINT_PROBE(inet_sock_set_state)
{
    struct sock *sk = (struct sock *)ctx->args[0];
    int oldstate = (int)ctx->args[1];
    int newstate = (int)ctx->args[2];

    if (oldstate == TCP_SYN_SENT || oldstate == TCP_SYN_RECV) {
        if (newstate == TCP_ESTABLISHED)
            return report(ctx, sk, 0);
        if (oldstate == TCP_SYN_SENT && newstate == TCP_SYN_RECV)
            return 0;
#ifdef CONNLAT_FAILED
        int err = SK_ERR(sk);
        return report(ctx, sk, err > 0 ? err : -1);
#else
        start.delete(&sk);
        return 0;
#endif
    }
    // Not MPTCP's or SCTP's own sockets, which pass through SYN_SENT too.
    if (newstate != TCP_SYN_SENT || !SK_IS_TCP(sk))
        return 0;
    return record_start(sk);
}

// A reset in SYN_SENT refuses the connect. The kprobe method reports it
// (tcp_rcv_state_process() runs for the reset), so this one does too.
// With --failed the change to CLOSE that follows reports it, as
// ECONNREFUSED (this tracepoint comes before sk_err is set).
RAW_TRACEPOINT_PROBE(tcp_receive_reset)
{
#ifdef CONNLAT_FAILED
    return 0;
#else
    struct sock *sk = (struct sock *)ctx->args[0];
    if (SK_STATE(sk) != TCP_SYN_SENT)
        return 0;
    return report(ctx, sk, 0);
#endif
}
