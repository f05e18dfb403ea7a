// tcptop, tracepoint and fentry methods: receive slots, in front of the
// receive baselines of tcptop/rcv.bpf.c and the count cache.
// Follows: tcptop/btf_count.bpf.c (the ccache map and its helpers,
// who_fill) and tcptop/rcv_storage.bpf.c or rcv_lru.bpf.c.
// Placeholders: INET_SPORT_OFF (the slots' pages are sized in
// btf_count.bpf.c).

// rcv_reset() (tcptop/rcv.bpf.c, which follows) tries the slot first.
#define RCV_SLOTS 1

// Forget sk's baseline now, while the socket lives on (its slot holds
// it): in its storage, or (the LRU hash, whose text is also the kprobe
// method's and stays as it is) as at its destruction.
#ifdef RCV_IN_STORAGE
static inline void rcv_drop(struct sock *sk)
{
    rcv_sk.sk_storage_delete(sk);
}
#else
static inline void rcv_drop(struct sock *sk)
{
    rcv_forget(sk);
}
#endif

// What a read's program costs is mostly the pages of BPF memory it
// touches (README, Per-call cost): a socket's storage is three (the map,
// the socket's storage, its element) and the count cache one more. A slot
// is one: a connection's baseline and what it read, in one page. Slot
// pages are laid out as the cache's (a head with the generation, then
// half the entries per generation parity); a slot is the pair of entries
// k and k + CCACHE_SLOTS, and its parity-0 entry also holds the owner
// and its baseline. User space reads and flips them as the cache's.
// A connection takes its slot, picked by a hash of it, wherever it gets
// its baseline (rcv_reset()): when it is established under tcptop, or at
// its first read if it was opened before tcptop started, if the slot is
// free then; one that finds it taken keeps its baseline in its storage
// (or the LRU hash) and counts through the cache.
// Only the owner reads or writes a slot's baseline and entries, and its
// reads hold the socket's lock, so a slot needs no busy flag. Destroying
// the socket frees the slot. A slot left owned (both destroy programs
// skipped, or the ports hashed changed by a disconnect) is lost to others
// until a socket at the same address takes it back (established, or at
// its first read); the ports kept with the baseline stop another
// connection at that address from using it unestablished.

// The parity-0 entry of sk's slot; *base: its page's first element, *k:
// the slot in the page. The hash is of what stays while the socket can
// be read: inet_sport, as a close zeroes skc_num while data remains.
static inline struct ccache_t *rslot_of(struct sock *sk, u32 *base, u32 *k)
{
    u32 h = ((u32)TCP_READ(sk, INET_SPORT_OFF, u16) << 16 | SK_DPORT(sk)) ^
            SK_DADDR4(sk);
    h *= 0x9E3779B1u;
    *base = RSLOT_FIRST + (h >> (32 - RSLOT_PAGE_BITS)) * CCACHE_PAGE;
    *k = ((h << RSLOT_PAGE_BITS >> 16) * CCACHE_SLOTS) >> 16;
    u32 idx = *base + 1 + *k;
    return ccache.lookup(&idx);
}

// sk's slot if sk owns it, else 0.
static inline struct ccache_t *rslot_mine(struct sock *sk, u32 *base, u32 *k)
{
    struct ccache_t *s = rslot_of(sk, base, k);
    if (!s || s->owner != (u64)sk)
        return 0;
    u16 num = SK_LPORT(sk);
    if (s->rcv.dport != SK_DPORT(sk) || (num && num != s->rcv.lport))
        return 0;
    return s;
}

// Take sk's slot with its baseline now. 0: it is taken. Two sockets can
// race for a slot from two CPUs: each adds itself to the claims and keeps
// the slot only if it was alone (BPF's atomic add has no fetch form under
// bcc, so it reads the count back).
static inline int rslot_claim(struct sock *sk, struct rcv_seq_t *now)
{
    u32 base, k;
    struct ccache_t *s = rslot_of(sk, &base, &k);
    if (!s)
        return 0;
    if (s->owner != (u64)sk) {
        if (*(volatile u64 *)&s->claims)
            return 0;
        lock_xadd(&s->claims, 1);
        if (*(volatile u64 *)&s->claims != 1) {
            lock_xadd(&s->claims, -1);
            return 0;
        }
        s->owner = (u64)sk;
    }
    s->rcv = *now;
    // A baseline of an earlier connection of this socket (reconnected):
    // never to be read instead of the slot's.
    rcv_drop(sk);
    return 1;
}

static inline void rslot_free(struct sock *sk)
{
    u32 base, k;
    struct ccache_t *s = rslot_of(sk, &base, &k);
    if (s && s->owner == (u64)sk) {
        s->owner = 0;
        lock_xadd(&s->claims, -1);
    }
}

// A read of sk, which owns slot s: count the advance of copied_seq in the
// slot's entry of this generation.
static inline void rslot_count(struct sock *sk, struct ccache_t *s, u32 base,
                               u32 k)
{
    u32 seq = TCP_COPIED_SEQ(sk);
    int copied = seq - s->rcv.copied_seq;
    s->rcv.copied_seq = seq;
    struct who_t w;
    if (copied <= 0 || !who_fill(&w, sk, s->rcv.lport))
        return;
    struct ccache_t *e = ccache_head(base, &w) ?
                         ccache_entry(base, k, w.gen) : 0;
    if (e)
        ccache_add(e, &w, DIR_RECV, copied);
    else
        count_table(&w, DIR_RECV, copied);
}
