// tcptop, fentry method, when the kernel has tcp_sendpage(): its bytes.
// Follows: tcptop/fentry_send.bpf.c. Placeholders: none.

// Before Linux 6.5, sendfile() and splice() to a socket reached TCP as
// tcp_sendpage(), not tcp_sendmsg(): added to the fentry method when the
// kernel has it.
struct page;

KRETFUNC_PROBE(tcp_sendpage, struct sock *sk, struct page *page, int offset,
               size_t size, int flags, int ret)
{
    if (ret <= 0)
        return 0;
    return count_bytes(sk, ret, DIR_SEND, SK_LPORT(sk), 1);
}
