// Shared by the tracepoint and fentry methods: add bytes to the row of the
// current process and this connection. Fields beyond struct sock_common are
// read at offsets the tool took from the kernel's BTF, never from headers.
#define DIR_SEND 0
#define DIR_RECV 1

// lport: the connection's local port (skc_num is 0 once it is closed).
static inline int count_bytes(struct sock *sk, u64 bytes, int dir, u16 lport)
{
    if (container_should_be_filtered()) {
        return 0;
    }

    u32 pid = bpf_get_current_pid_tgid() >> 32;
    FILTER_PID
    u16 dport = 0, family = 0;
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
        ipv4_key.lport = lport;
        bpf_probe_read_kernel(&dport, sizeof(dport),
            &sk->__sk_common.skc_dport);
        ipv4_key.dport = ntohs(dport);
        if (dir == DIR_SEND)
            val = ipv4_send_bytes.lookup_or_try_init(&ipv4_key, &zero);
        else
            val = ipv4_recv_bytes.lookup_or_try_init(&ipv4_key, &zero);
        if (val) lock_xadd(val, bytes); else count_dropped();

    } else if (family == AF_INET6) {
        struct ipv6_key_t ipv6_key = {.pid = pid, .gen = current_gen()};
        bpf_get_current_comm(&ipv6_key.name, sizeof(ipv6_key.name));
        bpf_probe_read_kernel(&ipv6_key.saddr, sizeof(ipv6_key.saddr),
            &sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
        bpf_probe_read_kernel(&ipv6_key.daddr, sizeof(ipv6_key.daddr),
            &sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32);
        ipv6_key.lport = lport;
        bpf_probe_read_kernel(&dport, sizeof(dport),
            &sk->__sk_common.skc_dport);
        ipv6_key.dport = ntohs(dport);
        if (dir == DIR_SEND)
            val = ipv6_send_bytes.lookup_or_try_init(&ipv6_key, &zero);
        else
            val = ipv6_recv_bytes.lookup_or_try_init(&ipv6_key, &zero);
        if (val) lock_xadd(val, bytes); else count_dropped();
    }
    // else drop

    return 0;
}

static inline int sock_proto_is_tcp(struct sock *sk)
{
    u16 protocol = 0;
    bpf_probe_read_kernel(&protocol, sizeof(protocol),
        (void *)sk + SK_PROTOCOL_OFFSET);
    return protocol == IPPROTO_TCP;
}
