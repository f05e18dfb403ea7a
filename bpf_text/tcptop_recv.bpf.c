// Received bytes: every path that moves data to the application
// (recvmsg, splice/tcp_read_sock, zerocopy) advances tp->copied_seq and then
// calls tcp_rcv_space_adjust(). The advance is exactly what was read.
RAW_TRACEPOINT_PROBE(tcp_rcv_space_adjust)
{
    struct sock *sk = (struct sock *)ctx->args[0];
    int copied = rcv_advance(sk, 0);

    if (copied > 0)
        count_bytes(sk, copied, DIR_RECV);
    return 0;
}

// Baseline at establishment, forget at close: a connection's reads are
// then counted from its first byte, and no entry outlives its socket.
RAW_TRACEPOINT_PROBE(inet_sock_set_state)
{
    struct sock *sk = (struct sock *)ctx->args[0];
    int newstate = (int)ctx->args[2];

    if (!sock_proto_is_tcp(sk))
        return 0;
    if (newstate == TCP_ESTABLISHED)
        rcv_advance(sk, 0);
    else if (newstate == TCP_CLOSE)
        rcv_seq.delete(&sk);
    return 0;
}
