// tcptop, every method: received bytes as the advance of each socket's
// tp->copied_seq from its baseline.
// Follows: tcptop/rcv_lru.bpf.c or tcptop/rcv_storage.bpf.c (rcv_get,
// rcv_set), and on the tracepoint and fentry methods tcptop/rcv_slot.bpf.c
// (rslot_claim). Placeholders: none.

// Start counting this socket's reads from its current copied_seq. fresh:
// it was first seen in the middle of a read, whose first chunk is owed.
// Not 0: there was no memory for the baseline (socket storage is charged
// to the socket's option memory, net.core.optmem_max). Nothing is lost
// until a read finds no baseline: that read counts the loss.
static inline int rcv_reset(struct sock *sk, u32 fresh)
{
    u32 seq = TCP_COPIED_SEQ(sk);
    struct rcv_seq_t now = {.copied_seq = seq, .base = seq, .fresh = fresh};
    now.lport = SK_LPORT(sk);
    now.dport = SK_DPORT(sk);
#ifdef RCV_SLOTS
    // Its receive slot if it can take it, else its storage or LRU entry.
    if (rslot_claim(sk, &now))
        return 0;
#endif
    return rcv_set(sk, &now);
}

// How far tp->copied_seq advanced since the last call for this socket. A
// socket not seen before (or sk now belongs to another connection) was
// opened before tcptop started and is in the middle of a read. If tcptop's
// start saw it, what it read since then is exact; otherwise it gets its
// baseline and is marked fresh (that read's first chunk is owed). *lport:
// the connection's local port, even after a close zeroed skc_num.
static inline int rcv_advance(struct sock *sk, u16 *lport)
{
    u16 num = SK_LPORT(sk), dport = SK_DPORT(sk);
    struct rcv_seq_t *last = rcv_get(sk);
    if (last && last->dport == dport && (num == 0 || num == last->lport)) {
        u32 seq = TCP_COPIED_SEQ(sk);
        int advance = seq - last->copied_seq;
        last->copied_seq = seq;
        *lport = last->lport;
        return advance;
    }
    *lport = num;
    // A cookie: sock_diag (tcptop's start, or ss) has seen this socket.
    u64 cookie = SK_COOKIE(sk), mark = RCV_START_MARK;
    u64 *start = cookie ? rcv_start.lookup(&cookie) : 0;
    if (start && *start != RCV_START_MARK) {
        u64 read = TCP_BYTES_READ(sk) - *start;
        rcv_start.update(&cookie, &mark);
        // One read: under 2 GiB. Anything else is not a reading to trust.
        if (read < 0x80000000ULL) {
            rcv_reset(sk, 0);
            return read;
        }
    } else if (cookie && !start) {
        rcv_start.insert(&cookie, &mark);
    }
    // Without a baseline, this read's first chunk and every later one go
    // uncounted: each call that finds none counts one loss.
    if (rcv_reset(sk, 1))
        count_unmeasured();
    return 0;
}
