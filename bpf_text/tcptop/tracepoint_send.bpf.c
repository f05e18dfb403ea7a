// tcptop, tracepoint method: sent bytes.
// Follows: tcptop/btf_recv.bpf.c. Placeholders: none.

// Sent bytes: sock:sock_send_length (Linux 6.3+) reports every
// sock_sendmsg() result: send/write/sendmsg, and since 6.5 sendfile() and
// splice() to a socket too, which go through sock_sendmsg().
RAW_TRACEPOINT_PROBE(sock_send_length)
{
    struct sock *sk = (struct sock *)ctx->args[0];
    int size = (int)ctx->args[1];

    if (size <= 0 || !SK_IS_TCP(sk))
        return 0;
    return count_bytes(sk, size, DIR_SEND, SK_LPORT(sk),
                       TP_PREEMPTIBLE);
}
