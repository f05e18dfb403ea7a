// tcpconnlat: the maps and events every method shares. With
// kprobe_headers.bpf.c before it and kprobe_probes.bpf.c after it, this is
// bcc's tools/tcpconnlat.py program (the current one: -L, -4/-6, -p by
// process), with the fixes listed under "Differences from bcc" in
// README.md. The event structs must match tools/tcpconnlat.h.
// Follows: kprobe_headers.bpf.c (kprobe) or shared/btf_kernel.bpf.c.
// Placeholders: none.

struct info_t {
    u64 ts;
    u32 pid;
    char task[TASK_COMM_LEN];
};
// LRU: a connect whose end is never seen cannot fill the table and stop
// tracing; trace_tcp_set_state() forgets the ones that end unanswered.
BPF_TABLE("lru_hash", struct sock *, struct info_t, start, 10240);
// Completions skipped because their start time is later than now.
BPF_ARRAY(skipped, u64, 1);

// separate data structs for ipv4 and ipv6
struct ipv4_data_t {
    u64 ts_us;
    u32 pid;
    u32 saddr;
    u32 daddr;
    u64 ip;
    u16 lport;
    u16 dport;
    u64 delta_us;
    char task[TASK_COMM_LEN];
};
BPF_PERF_OUTPUT(ipv4_events);

struct ipv6_data_t {
    u64 ts_us;
    u32 pid;
    unsigned __int128 saddr;
    unsigned __int128 daddr;
    u64 ip;
    u16 lport;
    u16 dport;
    u64 delta_us;
    char task[TASK_COMM_LEN];
};
BPF_PERF_OUTPUT(ipv6_events);
