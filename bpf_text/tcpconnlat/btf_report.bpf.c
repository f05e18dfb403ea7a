// tcpconnlat, tracepoint and fentry methods: record a connect's start, and
// report it once the handshake is answered (a SYN-ACK or a reset).
// Follows: tcpconnlat/maps.bpf.c and shared/sock.bpf.c.
// Placeholders: FILTER (the PID test), FILTER_FAMILY, DURATION_US under
// #define MIN_LATENCY. With -j or --failed (#define CONNLAT_EXT), it follows
// tcpconnlat/ext_maps.bpf.c instead and sends its one event.

// result: 0 for a completed connect, else how it failed (ext_maps.bpf.c).
static inline int report(void *ctx, struct sock *sk, int result)
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

#ifdef CONNLAT_EXT
    // The source port as inet_sport: a failed connect has already lost
    // its skc_num when the state changes to CLOSE.
    struct event_t ev = {.pid = info.pid, .tid = info.tid, .result = result};
    u16 fam = SK_FAMILY(sk);
    ev.ts_ns = now;
    ev.delta_us = delta_us;
    ev.lport = ntohs(SK_SPORT(sk));
    ev.dport = ntohs(SK_DPORT(sk));
    if (fam == AF_INET) {
        u32 a4 = SK_SADDR4(sk);
        ev.ip = 4;
        __builtin_memcpy(ev.saddr, &a4, sizeof(a4));
        a4 = SK_DADDR4(sk);
        __builtin_memcpy(ev.daddr, &a4, sizeof(a4));
    } else if (fam == AF_INET6) {
        ev.ip = 6;
        SK_SADDR6(sk, ev.saddr);
        SK_DADDR6(sk, ev.daddr);
    } else {
        return 0;
    }
    __builtin_memcpy(&ev.task, info.task, sizeof(ev.task));
    events.perf_submit(ctx, &ev, sizeof(ev));
    return 0;
#else
    u16 family = SK_FAMILY(sk), lport = SK_LPORT(sk), dport = SK_DPORT(sk);

    if (family == AF_INET) {
        struct ipv4_data_t data4 = {.pid = info.pid, .ip = 4};
        data4.ts_us = now / 1000;
        data4.saddr = SK_SADDR4(sk);
        data4.daddr = SK_DADDR4(sk);
        data4.lport = lport;
        data4.dport = ntohs(dport);
        data4.delta_us = delta_us;
        __builtin_memcpy(&data4.task, info.task, sizeof(data4.task));
        ipv4_events.perf_submit(ctx, &data4, sizeof(data4));

    } else if (family == AF_INET6) {
        struct ipv6_data_t data6 = {.pid = info.pid, .ip = 6};
        data6.ts_us = now / 1000;
        SK_SADDR6(sk, &data6.saddr);
        SK_DADDR6(sk, &data6.daddr);
        data6.lport = lport;
        data6.dport = ntohs(dport);
        data6.delta_us = delta_us;
        __builtin_memcpy(&data6.task, info.task, sizeof(data6.task));
        ipv6_events.perf_submit(ctx, &data6, sizeof(data6));
    }
    return 0;
#endif
}

// The connecting task, at the start of the connect: who and when.
static inline int record_start(struct sock *sk)
{
    u64 pid_tgid = bpf_get_current_pid_tgid();
    u32 pid = pid_tgid >> 32;
    FILTER
    u16 family = SK_FAMILY(sk);
    FILTER_FAMILY
    struct info_t info = {.pid = pid};
#ifdef CONNLAT_EXT
    info.tid = (u32)pid_tgid;
#endif
    info.ts = bpf_ktime_get_ns();
    bpf_get_current_comm(&info.task, sizeof(info.task));
    start.update(&sk, &info);
    return 0;
}
