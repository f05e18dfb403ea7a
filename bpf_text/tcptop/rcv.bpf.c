// tcptop: the receive baseline, per socket (kprobe and BTF methods).
// Follows: tcptop/generation.bpf.c.
// Placeholders: RCV_SEQ_TABLE: "lru_hash" for the kprobe method (nothing
// deletes its entries), "hash" for the others, which delete an entry when
// its socket is destroyed (an LRU's updates cost more).

// Per socket: tp->copied_seq when last counted. The bytes an application
// read are the advance of copied_seq.
struct rcv_seq_t {
    u32 copied_seq;
    u16 lport;      // a close zeroes skc_num while unread data remains
    u16 dport;      // the connection it belongs to, in case sk is reused
    u32 base;       // copied_seq when first seen mid-read (fresh)
    u32 fresh;      // first seen mid-read: that read's first chunk is owed
};
BPF_TABLE(RCV_SEQ_TABLE, struct sock *, struct rcv_seq_t, rcv_seq, 65536);

// Start counting this socket's reads from its current copied_seq. fresh:
// it was first seen in the middle of a read, whose first chunk is owed.
static inline void rcv_reset(struct sock *sk, u32 fresh)
{
    u32 seq = TCP_COPIED_SEQ(sk);
    struct rcv_seq_t now = {.copied_seq = seq, .base = seq, .fresh = fresh};
    now.lport = SK_LPORT(sk);
    now.dport = SK_DPORT(sk);
    if (rcv_seq.update(&sk, &now))
        count_dropped();
}

// How far tp->copied_seq advanced since the last call for this socket. A
// socket not seen before (or sk now belongs to another connection) was
// opened before tcptop started and is in the middle of a read: it gets its
// baseline and is marked fresh (that read's first chunk is owed). *lport:
// the connection's local port, even after a close zeroed skc_num.
static inline int rcv_advance(struct sock *sk, u16 *lport)
{
    u16 num = SK_LPORT(sk), dport = SK_DPORT(sk);
    struct rcv_seq_t *last = rcv_seq.lookup(&sk);
    if (last && last->dport == dport && (num == 0 || num == last->lport)) {
        u32 seq = TCP_COPIED_SEQ(sk);
        int advance = seq - last->copied_seq;
        last->copied_seq = seq;
        *lport = last->lport;
        return advance;
    }
    *lport = num;
    rcv_reset(sk, 1);
    return 0;
}
