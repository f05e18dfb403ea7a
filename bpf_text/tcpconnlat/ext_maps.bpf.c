// tcpconnlat, -j and --failed (tracepoint and fentry methods): the maps of
// maps.bpf.c, with the connecting thread kept, and one event for both
// families that carries it and how the connect ended. The event struct
// must match struct event in tools/tcpconnlat.h.
// Follows: shared/btf_kernel.bpf.c (shared/sock.bpf.c, whose SK_READ the
// macros below use, comes next).
// Placeholders: the *_OFF offsets, which runtime/progtext.c fills in.

// inet_sock.inet_sport: the source port, network order (kept when a
// closing socket gives up its skc_num).
#define SK_SPORT(sk) SK_READ(sk, INET_SPORT_OFF, u16)
// The socket's pending error (an errno), as connect() will return it.
#define SK_ERR(sk) SK_READ(sk, SK_ERR_OFF, int)

// maps.bpf.c's info_t, and the thread id after it (the tests read the
// first fields of both alike).
struct info_t {
    u64 ts;
    u32 pid;
    char task[TASK_COMM_LEN];
    u32 tid;
};
// LRU: a connect whose end is never seen cannot fill the table and stop
// tracing; the end of every connect removes its entry.
BPF_TABLE("lru_hash", struct sock *, struct info_t, start, 10240);
// Completions skipped because their start time is later than now.
BPF_ARRAY(skipped, u64, 1);

struct event_t {
    u64 ts_ns;          // bpf_ktime_get_ns() at the end
    u64 delta_us;
    u32 pid;
    u32 tid;
    u8 saddr[16];       // IPv4: the first 4 bytes
    u8 daddr[16];
    u16 lport;          // host order
    u16 dport;          // host order
    u16 ip;             // 4 or 6
    s16 result;         // 0: completed; > 0: sk_err; -1: closed, no error
    char task[TASK_COMM_LEN];
};
BPF_PERF_OUTPUT(events);
