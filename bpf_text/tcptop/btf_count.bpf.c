// tcptop, tracepoint and fentry methods: add bytes to the entry of this
// socket and the current process, created with its identity on the first
// event of an interval.
// Follows: tcptop/btf_maps.bpf.c.
// Placeholders: FILTER_PID, FILTER_FAMILY (as bcc's tcptop.py).

#define DIR_SEND 0
#define DIR_RECV 1

// lport: the connection's local port (skc_num is 0 once it is closed);
// dport: its remote port, network order.
static inline int count_bytes(struct sock *sk, u64 bytes, int dir, u16 lport,
                              u16 dport)
{
    if (container_should_be_filtered()) {
        return 0;
    }

    u32 pid = bpf_get_current_pid_tgid() >> 32;
    FILTER_PID
    struct sock_key_t k = {.sk = (u64)sk, .pid = pid, .gen = current_gen(),
                           .hash = SK_HASH(sk), .lport = lport,
                           .dport = dport};
    struct sock_count_t *c = sock_counts.lookup(&k);

    if (c) {
        // Created: its family passed the filter.
        lock_xadd(dir == DIR_SEND ? &c->sent : &c->recv, bytes);
        return 0;
    }
    u16 family = SK_FAMILY(sk);
    FILTER_FAMILY
    struct sock_count_t init = {.family = family};
    if (family == AF_INET) {
        u32 saddr = SK_SADDR4(sk), daddr = SK_DADDR4(sk);
        __builtin_memcpy(&init.saddr, &saddr, 4);
        __builtin_memcpy(&init.daddr, &daddr, 4);
    } else if (family == AF_INET6) {
        SK_SADDR6(sk, &init.saddr);
        SK_DADDR6(sk, &init.daddr);
    } else {
        return 0;
    }
    // The COMM of the interval's first event for this socket and process.
    bpf_get_current_comm(&init.name, sizeof(init.name));
    if (dir == DIR_SEND)
        init.sent = bytes;
    else
        init.recv = bytes;
    int err = sock_counts.insert(&k, &init);
    if (err == -17) {   // -EEXIST
        // Another CPU created it meanwhile.
        c = sock_counts.lookup(&k);
        if (c) {
            lock_xadd(dir == DIR_SEND ? &c->sent : &c->recv, bytes);
            return 0;
        }
    }
    if (err)
        count_dropped();
    return 0;
}
