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
        struct ipv4_key_t k4 = {.pid = pid, .gen = current_gen(),
                                .saddr = SK_SADDR4(sk), .daddr = SK_DADDR4(sk),
                                .lport = lport, .dport = ntohs(SK_DPORT(sk))};
        CURRENT_COMM(k4.name);
        val = dir == DIR_SEND ? ipv4_send_bytes.lookup_or_try_init(&k4, &zero) :
                                ipv4_recv_bytes.lookup_or_try_init(&k4, &zero);
    } else if (family == AF_INET6) {
        struct ipv6_key_t k6 = {.pid = pid, .gen = current_gen(),
                                .lport = lport, .dport = ntohs(SK_DPORT(sk))};
        CURRENT_COMM(k6.name);
        SK_SADDR6(sk, &k6.saddr);
        SK_DADDR6(sk, &k6.daddr);
        val = dir == DIR_SEND ? ipv6_send_bytes.lookup_or_try_init(&k6, &zero) :
                                ipv6_recv_bytes.lookup_or_try_init(&k6, &zero);
    } else {
        return 0;
    }
    if (val)
        lock_xadd(val, bytes);
    else
        count_dropped();
    return 0;
}
