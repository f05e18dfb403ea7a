// tcptop, kprobe method: bcc's probes on tcp_sendmsg()/tcp_sendpage(),
// with receives counted at tcp_rcv_space_adjust() as the other methods do.
// Follows: tcptop/maps.bpf.c.
// Placeholders: FILTER_PID, FILTER_FAMILY (as bcc's tcptop.py).

static int tcp_sendstat(int size)
{
    if (container_should_be_filtered()) {
        return 0;
    }

    u32 pid = bpf_get_current_pid_tgid() >> 32;
    FILTER_PID
    u32 tid = bpf_get_current_pid_tgid();
    struct sock **sockpp;
    sockpp = sock_store.lookup(&tid);
    if (sockpp == 0) {
        return 0; //miss the entry
    }
    struct sock *sk = *sockpp;
    u16 dport = 0, family;
    u64 *val, zero = 0;
    bpf_probe_read_kernel(&family, sizeof(family),
        &sk->__sk_common.skc_family);
    FILTER_FAMILY
    
    if (family == AF_INET) {
        struct ipv4_key_t ipv4_key = {.pid = pid, .gen = current_gen()};
        bpf_get_current_comm(&ipv4_key.name, sizeof(ipv4_key.name));
        bpf_probe_read_kernel(&ipv4_key.saddr, sizeof(ipv4_key.saddr),
            &sk->__sk_common.skc_rcv_saddr);
        bpf_probe_read_kernel(&ipv4_key.daddr, sizeof(ipv4_key.daddr),
            &sk->__sk_common.skc_daddr);
        bpf_probe_read_kernel(&ipv4_key.lport, sizeof(ipv4_key.lport),
            &sk->__sk_common.skc_num);
        bpf_probe_read_kernel(&dport, sizeof(dport),
            &sk->__sk_common.skc_dport);
        ipv4_key.dport = ntohs(dport);
        val = ipv4_send_bytes.lookup_or_try_init(&ipv4_key, &zero);
        if (val) lock_xadd(val, size); else count_dropped();

    } else if (family == AF_INET6) {
        struct ipv6_key_t ipv6_key = {.pid = pid, .gen = current_gen()};
        bpf_get_current_comm(&ipv6_key.name, sizeof(ipv6_key.name));
        bpf_probe_read_kernel(&ipv6_key.saddr, sizeof(ipv6_key.saddr),
            &sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
        bpf_probe_read_kernel(&ipv6_key.daddr, sizeof(ipv6_key.daddr),
            &sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32);
        bpf_probe_read_kernel(&ipv6_key.lport, sizeof(ipv6_key.lport),
            &sk->__sk_common.skc_num);
        bpf_probe_read_kernel(&dport, sizeof(dport),
            &sk->__sk_common.skc_dport);
        ipv6_key.dport = ntohs(dport);
        val = ipv6_send_bytes.lookup_or_try_init(&ipv6_key, &zero);
        if (val) lock_xadd(val, size); else count_dropped();
    }
    sock_store.delete(&tid);
    // else drop

    return 0;
}

int tcp_send_ret(struct pt_regs *ctx)
{
    int size = PT_REGS_RC(ctx);
    if (size > 0)
        return tcp_sendstat(size);
    else
        return 0;
}

int tcp_send_entry(struct pt_regs *ctx, struct sock *sk)
{
    if (container_should_be_filtered()) {
        return 0;
    }
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    FILTER_PID
    u32 tid = bpf_get_current_pid_tgid();
    u16 family = sk->__sk_common.skc_family;
    FILTER_FAMILY
    sock_store.update(&tid, &sk);
    return 0;
}

/*
 * tcp_recvmsg() would be obvious to trace, but is less suitable because:
 * - we'd need to trace both entry and return, to have both sock and size
 * - misses tcp_read_sock() traffic
 * we'd much prefer tracepoints once they are available.
 */
// Not tcp_cleanup_rbuf(): its "copied" is a running total passed more than
// once per read (bcc issue 5352) and counts peeked bytes, and by the time it
// runs copied_seq has also moved past a FIN. Every path that moves data to
// the application advances copied_seq and then calls tcp_rcv_space_adjust()
// (before any FIN): count the advance since the socket was last counted,
// as the tracepoint method does. The baseline moves on every read, filtered
// or not, or a shared socket overcounts.
int kprobe__tcp_rcv_space_adjust(struct pt_regs *ctx, struct sock *sk)
{
    u16 lport = 0;
    int copied = rcv_advance(sk, &lport);

    if (container_should_be_filtered()) {
        return 0;
    }

    u32 pid = bpf_get_current_pid_tgid() >> 32;
    FILTER_PID

    u16 dport = 0, family = sk->__sk_common.skc_family;
    u64 *val, zero = 0;

    if (copied <= 0)
        return 0;

    FILTER_FAMILY
    
    if (family == AF_INET) {
        struct ipv4_key_t ipv4_key = {.pid = pid, .gen = current_gen()};
        bpf_get_current_comm(&ipv4_key.name, sizeof(ipv4_key.name));
        ipv4_key.saddr = sk->__sk_common.skc_rcv_saddr;
        ipv4_key.daddr = sk->__sk_common.skc_daddr;
        ipv4_key.lport = lport;
        dport = sk->__sk_common.skc_dport;
        ipv4_key.dport = ntohs(dport);
        val = ipv4_recv_bytes.lookup_or_try_init(&ipv4_key, &zero);
        if (val) lock_xadd(val, copied); else count_dropped();

    } else if (family == AF_INET6) {
        struct ipv6_key_t ipv6_key = {.pid = pid, .gen = current_gen()};
        bpf_get_current_comm(&ipv6_key.name, sizeof(ipv6_key.name));
        bpf_probe_read_kernel(&ipv6_key.saddr, sizeof(ipv6_key.saddr),
            &sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
        bpf_probe_read_kernel(&ipv6_key.daddr, sizeof(ipv6_key.daddr),
            &sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32);
        ipv6_key.lport = lport;
        dport = sk->__sk_common.skc_dport;
        ipv6_key.dport = ntohs(dport);
        val = ipv6_recv_bytes.lookup_or_try_init(&ipv6_key, &zero);
        if (val) lock_xadd(val, copied); else count_dropped();
    }
    // else drop

    return 0;
}

// Baseline at establishment: a connection's reads are then counted from its
// first byte, and on its real local port even once a close has zeroed it.
int kprobe__tcp_set_state(struct pt_regs *ctx, struct sock *sk, int state)
{
    if (state == TCP_ESTABLISHED)
        rcv_reset(sk, 0);
    return 0;
}
