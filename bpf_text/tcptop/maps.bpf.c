// tcptop's maps and the receive accounting every method shares. The keys
// must match tools/tcptop.h.
// Follows: shared/sock.bpf.c and shared/containers.bpf.c.
// Placeholders: none.

struct ipv4_key_t {
    u32 pid;
    char name[TASK_COMM_LEN];
    u32 saddr;
    u32 daddr;
    u16 lport;
    u16 dport;
    u32 gen;
};
BPF_HASH(ipv4_send_bytes, struct ipv4_key_t);
BPF_HASH(ipv4_recv_bytes, struct ipv4_key_t);

struct ipv6_key_t {
    unsigned __int128 saddr;
    unsigned __int128 daddr;
    u32 pid;
    char name[TASK_COMM_LEN];
    u16 lport;
    u16 dport;
    u32 gen;
    u32 __pad__;
};
BPF_HASH(ipv6_send_bytes, struct ipv6_key_t);
BPF_HASH(ipv6_recv_bytes, struct ipv6_key_t);
BPF_HASH(sock_store, u32, struct sock *);

// Counts are keyed by generation: user space flips it, waits for running
// programs to finish (an update of gen_sync does synchronize_rcu), then reads
// and deletes the old generation, which nothing can write any more.
BPF_ARRAY(generation, u32, 1);
BPF_ARRAY_OF_MAPS(gen_sync, "generation", 1);
// Counts that could not be stored (table full): reported, never silent.
BPF_ARRAY(dropped, u64, 1);

// Per socket: tp->copied_seq when last counted. The bytes an application
// read are the advance of copied_seq.
struct rcv_seq_t {
    u32 copied_seq;
    u16 lport;      // a close zeroes skc_num while unread data remains
    u16 dport;      // the connection it belongs to, in case sk is reused
    u32 base;       // copied_seq when first seen mid-read (fresh)
    u32 fresh;      // first seen mid-read: that read's first chunk is owed
};
BPF_TABLE("lru_hash", struct sock *, struct rcv_seq_t, rcv_seq, 65536);
// Its key is always a copy of sk, never &sk: the verifier of Linux 6.1
// and 6.12 (not 6.18) forgets the type of a pointer kept in a stack slot
// once the slot has been a helper's key, so a tp_btf program could no
// longer load from sk read back from there ("R1 type=scalar").

// Per connection open when tcptop started: TCP_BYTES_READ then, keyed by
// socket cookie. User space fills it once, after attaching and before the
// banner (tools/tcptop_start.c, through sock_diag); an entry is taken by
// the connection's first read. A connection met here without one (read
// before user space filled it in) gets RCV_START_MARK, which user space
// does not overwrite: its reading would count what was counted already.
BPF_F_TABLE("hash", u64, u64, rcv_start, 65536, BPF_F_NO_PREALLOC);
#define RCV_START_MARK 0xffffffffffffffffULL

static inline u32 current_gen()
{
    int zero = 0;
    u32 *gen = generation.lookup(&zero);
    return gen ? *gen : 0;
}

static inline void count_dropped()
{
    dropped.atomic_increment(0);
}

// Start counting this socket's reads from its current copied_seq. fresh:
// it was first seen in the middle of a read, whose first chunk is owed.
static inline void rcv_reset(struct sock *sk, u32 fresh)
{
    u32 seq = TCP_COPIED_SEQ(sk);
    struct rcv_seq_t now = {.copied_seq = seq, .base = seq, .fresh = fresh};
    now.lport = SK_LPORT(sk);
    now.dport = SK_DPORT(sk);
    struct sock *key = sk;
    if (rcv_seq.update(&key, &now))
        count_dropped();
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
    struct sock *key = sk;
    struct rcv_seq_t *last = rcv_seq.lookup(&key);
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
    rcv_reset(sk, 1);
    return 0;
}
