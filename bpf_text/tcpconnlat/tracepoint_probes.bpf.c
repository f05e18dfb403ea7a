// tcpconnlat, tracepoint method: the stable sock:inet_sock_set_state and
// tcp:tcp_receive_reset tracepoints, as raw tracepoints.
// Follows: tcpconnlat/btf_report.bpf.c. Placeholders: none.

// CLOSE -> SYN_SENT happens in tcp_v4_connect(), in the connecting task
// (tcp_v6_connect() too, or calls it): remember who and when.
// SYN_SENT -> ESTABLISHED: the handshake completed: report it.
// SYN_SENT -> SYN_RECV: a simultaneous open (both ends connect, as in NAT
// traversal): it completes at SYN_RECV -> ESTABLISHED. Only sockets that
// connected have an entry, so accepted ones are never reported.
// SYN_SENT or SYN_RECV -> anything else: it never completes (closed by
// the application, timed out, unreachable; a reset was reported just
// before): forget it, or with --failed (#define CONNLAT_FAILED) report it
// with the error connect() returns, sk_err, set by then (none: the
// application closed the socket first).
// A connect whose change to ESTABLISHED reached neither program keeps its
// start entry: the kernel sometimes runs no BPF program at all for a
// tracepoint hit (README, Known gaps). Left there, it would be taken for
// the start of whatever socket next gets that address and completes
// (an accepted one, at SYN_RECV -> ESTABLISHED), and printed with that
// socket's addresses. So it goes when the socket leaves ESTABLISHED, and
// is counted here for user space to report (tools/tcpconnlat.c). By the
// first program only: a lookup per socket leaving ESTABLISHED is the cost
// (every connection, ours or not). Should the first program skip that
// leaving too (nested in its own run), the entry goes when a socket next
// gets the address, before it can complete: when it is accepted
// (LISTEN -> SYN_RECV, an accepted socket's first change; by both
// programs, as a handshake's last step often comes in a softirq that
// could land in the first one's run) or connects (-> SYN_SENT, before
// -p or -4/-6 can pass over the connect; in the connecting task, where
// nothing of ours runs, so the first program sees it).
BPF_ARRAY(unseen, u64, 1);

// Drop a start entry left at sk's address, counted (see unseen). A
// lookup first: nearly always there is none, and a lookup takes no lock
// where a delete takes the bucket's.
static inline void forget_unseen(struct sock *sk)
{
    if (start.lookup(&sk) && start.delete(&sk) == 0)
        unseen.atomic_increment(0);
}

// starts: whether this program records starts too (one program does).
static inline int on_state_change(struct bpf_raw_tracepoint_args *ctx,
                                  int starts)
{
    struct sock *sk = (struct sock *)ctx->args[0];
    int oldstate = (int)ctx->args[1];
    int newstate = (int)ctx->args[2];

    if (oldstate == TCP_SYN_SENT || oldstate == TCP_SYN_RECV) {
        if (newstate == TCP_ESTABLISHED)
            return report(ctx, sk, 0);
        if (oldstate == TCP_SYN_SENT && newstate == TCP_SYN_RECV)
            return 0;
#ifdef CONNLAT_FAILED
        int err = SK_ERR(sk);
        return report(ctx, sk, err > 0 ? err : -1);
#else
        start.delete(&sk);
        return 0;
#endif
    }
    if (oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV) {
        forget_unseen(sk);
        return 0;
    }
    if (!starts)
        return 0;
    if (oldstate == TCP_ESTABLISHED) {
        forget_unseen(sk);
        return 0;
    }
    if (newstate != TCP_SYN_SENT)
        return 0;
    forget_unseen(sk);
    // Not MPTCP's or SCTP's own sockets, which pass through SYN_SENT too.
    if (!SK_IS_TCP(sk))
        return 0;
    return record_start(sk);
}

RAW_TRACEPOINT_PROBE(inet_sock_set_state)
{
    return on_state_change(ctx, 1);
}

// The same tracepoint again, for the ends of connects only. The kernel
// skips a program's run when an event comes while that program is
// running on the same CPU (its recursion_misses). A timer interrupt that
// lands in a run in process context (a connect's start, a close) can run
// softirqs before the run resumes, and one softirq can end a whole batch
// of connects (SYN retransmits whose timers expire together, replies
// delayed by a qdisc): every one of those runs would be skipped, and the
// connects never reported. This program is not running then (each runs
// to its end before the other starts on the same event, and softirqs do
// not nest), so it handles them. Each end is reported once: by whichever
// program finds the start entry first; it deletes it. Starts happen only
// in process context (connect()), where nothing of ours can be running
// on the CPU.
int raw_tracepoint__inet_sock_set_state_again(
        struct bpf_raw_tracepoint_args *ctx)
{
    return on_state_change(ctx, 0);
}

// A reset in SYN_SENT refuses the connect. The kprobe method reports it
// (tcp_rcv_state_process() runs for the reset), so this one does too.
// With --failed the change to CLOSE that follows reports it, as
// ECONNREFUSED (this tracepoint comes before sk_err is set).
static inline int on_reset(struct bpf_raw_tracepoint_args *ctx)
{
#ifdef CONNLAT_FAILED
    return 0;
#else
    struct sock *sk = (struct sock *)ctx->args[0];
    if (SK_STATE(sk) != TCP_SYN_SENT)
        return 0;
    return report(ctx, sk, 0);
#endif
}

RAW_TRACEPOINT_PROBE(tcp_receive_reset)
{
    return on_reset(ctx);
}

// Again, for resets a softirq brings in the middle of the other's run.
int raw_tracepoint__tcp_receive_reset_again(
        struct bpf_raw_tracepoint_args *ctx)
{
    return on_reset(ctx);
}
