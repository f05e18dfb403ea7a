// tcptop, kprobe method (and the fentry method before Linux 5.11): each
// socket's receive baseline in an LRU hash keyed by the socket's address.
// Past 65,536 sockets with a baseline, the least recently used lose theirs.
// The other choice: tcptop/rcv_storage.bpf.c.
// Follows: tcptop/maps.bpf.c. Placeholders: none.

BPF_TABLE("lru_hash", struct sock *, struct rcv_seq_t, rcv_seq, 65536);
// Its key is always a copy of sk, never &sk: the verifier of Linux 6.1
// and 6.12 (not 6.18) forgets the type of a pointer kept in a stack slot
// once the slot has been a helper's key, so a tp_btf program could no
// longer load from sk read back from there ("R1 type=scalar").

static inline struct rcv_seq_t *rcv_get(struct sock *sk)
{
    struct sock *key = sk;
    return rcv_seq.lookup(&key);
}

static inline int rcv_set(struct sock *sk, struct rcv_seq_t *now)
{
    struct sock *key = sk;
    return rcv_seq.update(&key, now);
}

static inline void rcv_forget(struct sock *sk)
{
    struct sock *key = sk;
    rcv_seq.delete(&key);
}
