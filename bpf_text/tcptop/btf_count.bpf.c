// tcptop, tracepoint and fentry methods: add bytes to the row of the
// current process and this connection, every field at its BTF offset.
// Follows: tcptop/maps.bpf.c.
// Placeholders: FILTER_PID, FILTER_FAMILY (as bcc's tcptop.py).

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
    u16 family = SK_FAMILY(sk);
    u64 *val, zero = 0;
    FILTER_FAMILY

    if (family == AF_INET) {
        struct ipv4_key_t ipv4_key = {.pid = pid, .gen = current_gen()};
        bpf_get_current_comm(&ipv4_key.name, sizeof(ipv4_key.name));
        ipv4_key.saddr = SK_SADDR4(sk);
        ipv4_key.daddr = SK_DADDR4(sk);
        ipv4_key.lport = lport;
        ipv4_key.dport = ntohs(SK_DPORT(sk));
        if (dir == DIR_SEND)
            val = ipv4_send_bytes.lookup_or_try_init(&ipv4_key, &zero);
        else
            val = ipv4_recv_bytes.lookup_or_try_init(&ipv4_key, &zero);
        if (val) lock_xadd(val, bytes); else count_dropped();

    } else if (family == AF_INET6) {
        struct ipv6_key_t ipv6_key = {.pid = pid, .gen = current_gen()};
        bpf_get_current_comm(&ipv6_key.name, sizeof(ipv6_key.name));
        SK_SADDR6(sk, &ipv6_key.saddr);
        SK_DADDR6(sk, &ipv6_key.daddr);
        ipv6_key.lport = lport;
        ipv6_key.dport = ntohs(SK_DPORT(sk));
        if (dir == DIR_SEND)
            val = ipv6_send_bytes.lookup_or_try_init(&ipv6_key, &zero);
        else
            val = ipv6_recv_bytes.lookup_or_try_init(&ipv6_key, &zero);
        if (val) lock_xadd(val, bytes); else count_dropped();
    }
    // else drop

    return 0;
}
