// tcptop, tracepoint and fentry methods: the per-socket count table. Its
// key and value must match tools/tcptop.h.
// Follows: tcptop/rcv.bpf.c. Placeholders: none.

// Counts per socket and process, in one entry for both directions: an
// event costs one lookup of this small key. The entry's identity (the
// family, the addresses, the COMM) is filled once, when the first event of
// an interval creates it; user space turns the entries into bcc's rows.
// lport, dport and skc_hash (the 4-tuple's hash) tell a connection from a
// later one that reuses the same struct sock within the interval.
#define SK_HASH(sk) SK_READ(sk, SKC_HASH_OFF, u32)

struct sock_key_t {
    u64 sk;
    u32 pid;
    u32 gen;
    u32 hash;
    u16 lport;      // host order (the connection's, even after a close)
    u16 dport;      // network order, as in the socket
};

struct sock_count_t {
    u64 sent;
    u64 recv;
    unsigned __int128 saddr;    // IPv4: the first 4 bytes
    unsigned __int128 daddr;
    char name[TASK_COMM_LEN];
    u32 family;
    u32 __pad__;
};
BPF_HASH(sock_counts, struct sock_key_t, struct sock_count_t, 20480);
