// tcptop, fentry method: sent bytes.
// Follows: tcptop/btf_recv.bpf.c. Placeholders: none.

// Sent bytes: fexit of tcp_sendmsg() has both the socket and the result
// (kernels 5.5+ that allow BPF trampolines, without sock_send_length).
struct msghdr;

KRETFUNC_PROBE(tcp_sendmsg, struct sock *sk, struct msghdr *msg, size_t size,
               int ret)
{
    if (ret <= 0)
        return 0;
    return count_bytes(sk, ret, DIR_SEND, SK_LPORT(sk), 1);
}
