// Sent bytes: sock:sock_send_length (Linux 6.3+) reports every
// sock_sendmsg() result: send/write/sendmsg, and since 6.5 sendfile() and
// splice() to a socket too, which go through sock_sendmsg().
RAW_TRACEPOINT_PROBE(sock_send_length)
{
    struct sock *sk = (struct sock *)ctx->args[0];
    int size = (int)ctx->args[1];

    if (size <= 0 || !sock_proto_is_tcp(sk))
        return 0;
    u16 lport = 0;
    bpf_probe_read_kernel(&lport, sizeof(lport), &sk->__sk_common.skc_num);
    return count_bytes(sk, size, DIR_SEND, lport);
}
