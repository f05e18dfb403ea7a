// tcptop's maps every method shares. The keys must match tools/tcptop.h.
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
// Counts lost, reported, never silent: [0] not stored, as a table was full;
// [1] receive counts of a connection whose baseline could not be stored
// (rcv_reset()), so its reads could not be measured.
BPF_ARRAY(dropped, u64, 2);

// Per socket: tp->copied_seq when last counted. The bytes an application
// read are the advance of copied_seq.
struct rcv_seq_t {
    u32 copied_seq;
    u16 lport;      // a close zeroes skc_num while unread data remains
    u16 dport;      // the connection it belongs to, in case sk is reused
    u32 base;       // copied_seq when first seen mid-read (fresh)
    u32 fresh;      // first seen mid-read: that read's first chunk is owed
};

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

static inline void count_unmeasured()
{
    dropped.atomic_increment(1);
}
