// tcpconnlat, shared by the tracepoint and fentry methods (follows
// tcpconnlat_common.bpf.c): the handshake of sk has been answered (a
// SYN-ACK or a reset): report it as the kprobe method does, and forget it.
static inline int report(void *ctx, struct sock *sk)
{
    struct info_t info;
    struct info_t *infop = start.lookup(&sk);
    if (infop == 0) {
        return 0;   // missed entry or filtered
    }
    // Copy before deleting: the element may be reused once deleted.
    __builtin_memcpy(&info, infop, sizeof(info));
    start.delete(&sk);

    u64 now = bpf_ktime_get_ns();
    // A start later than now (a clock that seems to run backwards) would
    // print as a huge latency: skip it, and count it for user space.
    if ((s64)(now - info.ts) < 0) {
        skipped.atomic_increment(0);
        return 0;
    }
    u64 delta_us = (now - info.ts) / 1000ul;

#ifdef MIN_LATENCY
    if (delta_us < DURATION_US) {
        return 0; // connect latency is below latency filter minimum
    }
#endif

    u16 family = 0, lport = 0, dport = 0;
    bpf_probe_read_kernel(&family, sizeof(family), &sk->__sk_common.skc_family);
    bpf_probe_read_kernel(&lport, sizeof(lport), &sk->__sk_common.skc_num);
    bpf_probe_read_kernel(&dport, sizeof(dport), &sk->__sk_common.skc_dport);

    if (family == AF_INET) {
        struct ipv4_data_t data4 = {.pid = info.pid, .ip = 4};
        data4.ts_us = now / 1000;
        bpf_probe_read_kernel(&data4.saddr, sizeof(data4.saddr),
            &sk->__sk_common.skc_rcv_saddr);
        bpf_probe_read_kernel(&data4.daddr, sizeof(data4.daddr),
            &sk->__sk_common.skc_daddr);
        data4.lport = lport;
        data4.dport = ntohs(dport);
        data4.delta_us = delta_us;
        __builtin_memcpy(&data4.task, info.task, sizeof(data4.task));
        ipv4_events.perf_submit(ctx, &data4, sizeof(data4));

    } else if (family == AF_INET6) {
        struct ipv6_data_t data6 = {.pid = info.pid, .ip = 6};
        data6.ts_us = now / 1000;
        bpf_probe_read_kernel(&data6.saddr, sizeof(data6.saddr),
            sk->__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32);
        bpf_probe_read_kernel(&data6.daddr, sizeof(data6.daddr),
            sk->__sk_common.skc_v6_daddr.in6_u.u6_addr32);
        data6.lport = lport;
        data6.dport = ntohs(dport);
        data6.delta_us = delta_us;
        __builtin_memcpy(&data6.task, info.task, sizeof(data6.task));
        ipv6_events.perf_submit(ctx, &data6, sizeof(data6));
    }
    return 0;
}

// The connecting task, at the start of the connect: who and when.
static inline int record_start(struct sock *sk)
{
    u32 pid = bpf_get_current_pid_tgid() >> 32;
    FILTER
    FAMILY_CHECK
    struct info_t info = {.pid = pid};
    info.ts = bpf_ktime_get_ns();
    bpf_get_current_comm(&info.task, sizeof(info.task));
    start.update(&sk, &info);
    return 0;
}
