// tcptop, tracepoint and fentry methods: add bytes to the row of the
// current process and this connection, every field at its BTF offset.
// Follows: tcptop/maps.bpf.c.
// Placeholders: FILTER_PID, FILTER_FAMILY (as bcc's tcptop.py), and the
// cache's size (below).

#define DIR_SEND 0
#define DIR_RECV 1

// A row's key as the programs build it: both families in one shape.
struct who_t {
    u64 saddr[2];       // IPv4: the address in the low 4 bytes of [0]
    u64 daddr[2];
    u64 comm[2];
    u32 pid;
    u32 gen;
    u16 family;
    u16 lport;          // host order
    u16 dport;          // host order
    u16 used;           // a cache entry: 1 once filled
};

// Per CPU, a direct-mapped cache in front of the count tables: a row's
// bytes add up here, with no hash lookup and no shared cache line, until
// another row takes the entry (its bytes then go to the tables) or the
// generation ends.
// Laid out so that a call touches one 4 KiB page of it: what a call costs
// is mostly the pages and lines it touches that the kernel's own path did
// not (each a TLB miss, where kernel entry flushes the TLB). So the cache
// is one mmapable array (its values start on a page boundary), not a
// per-CPU map plus a generation map: each CPU owns CCACHE_PAGES pages of
// CCACHE_PAGE elements; a row hashes to one page of its CPU. An element
// of 128 bytes is an entry, but the first of each page is the page's head:
// the generation (w.gen, written by user space into every head before it
// waits for the programs) and busy. Half of each page's entries per
// generation parity: user space reads (mmap) the half of the generation
// it flipped away from (tools/tcptop_ccache.c) while the programs fill the
// other. Entries of an older generation are stale: already read,
// overwritten without a flush.
// One program at a time uses a page (busy): another of ours can run on
// the same CPU in the middle of one, in an interrupt (tcp_read_sock() from
// a softirq, for kTLS or strparser) or, where programs can be preempted, in
// a task that preempted it: fexit programs always, tracepoint programs on
// PREEMPT_RT kernels (TP_PREEMPTIBLE). A program that can be preempted
// adds 1 to the page's counter and uses the page only if its own is the
// only one there (BPF's atomic add has no fetch form under bcc, so it reads
// the counter back). One that cannot checks and sets it with plain loads
// and stores, as an interrupt ends before it resumes: two locked
// instructions fewer (about 15 ns here). Mixing the two is safe: a
// preemptible one (fexit of tcp_sendmsg(), process context) never runs
// inside a tracepoint program that preemption cannot leave.
// The CPU ids covered (the highest possible + 1, at most 512; others
// count in the tables), log2 of the pages each has, and whether tracepoint
// programs can be preempted: filled in by tools/tcptop_ccache.c.
#define CCACHE_CPUS POSSIBLE_CPUS
#define CCACHE_PAGE_BITS PAGE_BITS_PER_CPU
#define TP_PREEMPTIBLE TRACEPOINTS_PREEMPTIBLE
#define CCACHE_PAGE 32              // 128-byte elements in 4 KiB
#define CCACHE_SLOTS 15             // entries per page per parity
#define CCACHE_PAGES (1 << CCACHE_PAGE_BITS)
// After the CPUs' pages, 2^RSLOT_PAGE_BITS pages of receive slots, laid
// out alike (tcptop/rcv_slot.bpf.c); also filled in by tcptop_ccache.c.
#define RSLOT_PAGE_BITS SLOT_PAGES_LOG2
#define RSLOT_FIRST (CCACHE_CPUS * CCACHE_PAGES * CCACHE_PAGE)
struct ccache_t {
    struct who_t w;     // a head: w.gen only
    u64 bytes[2];       // DIR_SEND, DIR_RECV
    u64 busy;           // a head: programs using the page
    // A receive slot's parity-0 entry: the slot's owner and its baseline.
    u64 owner;          // the owning socket's address; 0: none
    u64 claims;         // sockets taking or holding it (1: owned)
    struct rcv_seq_t rcv;
    u64 pad;
};
BPF_F_TABLE("array", int, struct ccache_t, ccache,
            RSLOT_FIRST + (1 << RSLOT_PAGE_BITS) * CCACHE_PAGE,
            BPF_F_MMAPABLE);

// The tables: lookup_or_try_init() and an atomic add.
static inline void count_table(struct who_t *w, int dir, u64 bytes)
{
    u64 *val, zero = 0;

    if (w->family == AF_INET) {
        struct ipv4_key_t k4 = {.pid = w->pid, .gen = w->gen,
                                .saddr = (u32)w->saddr[0],
                                .daddr = (u32)w->daddr[0],
                                .lport = w->lport, .dport = w->dport};
        __builtin_memcpy(k4.name, w->comm, sizeof(k4.name));
        val = dir == DIR_SEND ? ipv4_send_bytes.lookup_or_try_init(&k4, &zero) :
                                ipv4_recv_bytes.lookup_or_try_init(&k4, &zero);
    } else {
        struct ipv6_key_t k6 = {.pid = w->pid, .gen = w->gen,
                                .lport = w->lport, .dport = w->dport};
        __builtin_memcpy(k6.name, w->comm, sizeof(k6.name));
        __builtin_memcpy(&k6.saddr, w->saddr, sizeof(k6.saddr));
        __builtin_memcpy(&k6.daddr, w->daddr, sizeof(k6.daddr));
        val = dir == DIR_SEND ? ipv6_send_bytes.lookup_or_try_init(&k6, &zero) :
                                ipv6_recv_bytes.lookup_or_try_init(&k6, &zero);
    }
    if (val)
        lock_xadd(val, bytes);
    else
        count_dropped();
}

static inline int same_who(struct who_t *a, struct who_t *b)
{
    return a->saddr[0] == b->saddr[0] && a->saddr[1] == b->saddr[1] &&
           a->daddr[0] == b->daddr[0] && a->daddr[1] == b->daddr[1] &&
           a->comm[0] == b->comm[0] && a->comm[1] == b->comm[1] &&
           a->pid == b->pid && a->gen == b->gen && a->family == b->family &&
           a->lport == b->lport && a->dport == b->dport && a->used;
}

// Whether this program may use this page now (see busy). The plain
// flag's loads and stores are volatile, and compiler barriers keep the
// entry's accesses between its take and its release.
static inline int ccache_take(u64 *busy, int preemptible)
{
    if (preemptible) {
        lock_xadd(busy, 1);
        if (*(volatile u64 *)busy == 1)
            return 1;
        lock_xadd(busy, -1);
        return 0;
    }
    if (*(volatile u64 *)busy)
        return 0;
    *(volatile u64 *)busy = 1;
    asm volatile("" ::: "memory");
    return 1;
}

static inline void ccache_release(u64 *busy, int preemptible)
{
    asm volatile("" ::: "memory");
    if (preemptible)
        lock_xadd(busy, -1);
    else
        *(volatile u64 *)busy = 0;
}

// Add bytes to entry e for w (whose gen is set): an entry holding another
// row of this generation hands that row's bytes to the tables first.
static inline void ccache_add(struct ccache_t *e, struct who_t *w, int dir,
                              u64 bytes)
{
    if (!same_who(&e->w, w)) {
        if (e->w.used && e->w.gen == w->gen) {
            if (e->bytes[DIR_SEND])
                count_table(&e->w, DIR_SEND, e->bytes[DIR_SEND]);
            if (e->bytes[DIR_RECV])
                count_table(&e->w, DIR_RECV, e->bytes[DIR_RECV]);
        }
        e->w = *w;
        e->bytes[DIR_SEND] = 0;
        e->bytes[DIR_RECV] = 0;
    }
    e->bytes[dir] += bytes;
}

// The head of the page at base (a CPU's page or a receive slot's), with
// w->gen set to the page's generation (to the current one if there is no
// head: it is always there, but the verifier wants it checked).
static inline struct ccache_t *ccache_head(u32 base, struct who_t *w)
{
    struct ccache_t *head = ccache.lookup(&base);
    // User space writes it (mmap): one load, as it is.
    w->gen = head ? *(volatile u32 *)&head->w.gen : current_gen();
    return head;
}

// Entry k of the page at base, in the half of generation gen.
static inline struct ccache_t *ccache_entry(u32 base, u32 k, u32 gen)
{
    u32 idx = base + 1 + (gen & 1) * CCACHE_SLOTS + k;
    return ccache.lookup(&idx);
}

// Count through this CPU's cache entry for w, or the tables if its page
// is in use. w->gen is set here: the page's generation.
static inline void count_cached(struct who_t *w, int dir, u64 bytes,
                                int preemptible)
{
    // Fibonacci hashing: the product's top bits depend on every bit. The
    // top CCACHE_PAGE_BITS pick the page, the 16 bits below them the entry.
    u32 h = ((u32)w->lport << 16 | w->dport) ^ (u32)w->daddr[0] ^
            (u32)(w->daddr[1] >> 32) ^ w->pid;
    h *= 0x9E3779B1u;
    u32 base = (bpf_get_smp_processor_id() * CCACHE_PAGES +
                (u32)((u64)h >> (32 - CCACHE_PAGE_BITS))) * CCACHE_PAGE;
    struct ccache_t *head = ccache_head(base, w);
    if (!head || !ccache_take(&head->busy, preemptible)) {
        count_table(w, dir, bytes);
        return;
    }
    struct ccache_t *e = ccache_entry(base, ((h << CCACHE_PAGE_BITS >> 16) *
                                             CCACHE_SLOTS) >> 16, w->gen);
    if (e)
        ccache_add(e, w, dir, bytes);
    ccache_release(&head->busy, preemptible);
    if (!e)
        count_table(w, dir, bytes);
}

// The row of this call: the current process and sk's connection, its
// local port lport (skc_num is 0 once it is closed). 0: a filter leaves
// the call out.
static inline int who_fill(struct who_t *w, struct sock *sk, u16 lport)
{
    if (container_should_be_filtered()) {
        return 0;
    }

    // One fetch of the task for both its process id and COMM.
    struct task_struct *task = bpf_get_current_task_btf();
    u32 pid = TASK_TGID(task);
    FILTER_PID
    u16 family = SK_FAMILY(sk);
    FILTER_FAMILY

    *w = (struct who_t){.pid = pid, .family = family,
                        .lport = lport, .dport = ntohs(SK_DPORT(sk)),
                        .used = 1};
    if (family == AF_INET) {
        w->saddr[0] = SK_SADDR4(sk);
        w->daddr[0] = SK_DADDR4(sk);
    } else if (family == AF_INET6) {
        SK_SADDR6(sk, w->saddr);
        SK_DADDR6(sk, w->daddr);
    } else {
        return 0;
    }
    TASK_COMM(task, w->comm);
    return 1;
}

// preemptible: whether the calling program can be preempted (see busy).
static inline int count_bytes(struct sock *sk, u64 bytes, int dir, u16 lport,
                              int preemptible)
{
    struct who_t w;

    if (who_fill(&w, sk, lport))
        count_cached(&w, dir, bytes, preemptible);
    return 0;
}
