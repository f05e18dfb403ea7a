// tcptop, tracepoint and fentry methods: received bytes, and the
// establishment baseline they are counted from.
// Follows: tcptop/rcv.bpf.c. Placeholders: none.

// Received bytes: every path that moves data to the application
// (recvmsg, splice/tcp_read_sock, zerocopy) advances tp->copied_seq and then
// calls tcp_rcv_space_adjust(). The advance is exactly what was read.
RAW_TRACEPOINT_PROBE(tcp_rcv_space_adjust)
{
    struct sock *sk = (struct sock *)ctx->args[0];
    u32 base, k;
    struct ccache_t *s = rslot_mine(sk, &base, &k);
    if (s) {
        rslot_count(sk, s, base, k);
        return 0;
    }
    u16 lport = 0;
    int copied = rcv_advance(sk, &lport);

    if (copied > 0)
        count_bytes(sk, copied, DIR_RECV, lport, TP_PREEMPTIBLE);
    return 0;
}

// Baseline at establishment: a connection's reads are then counted from
// its first byte. Reads go on after TCP_CLOSE (data the peer sent before
// closing), so the entry lives until the socket is destroyed.
static inline int on_state(struct bpf_raw_tracepoint_args *ctx)
{
    struct sock *sk = (struct sock *)ctx->args[0];
    int newstate = (int)ctx->args[2];

    if (newstate == TCP_ESTABLISHED && SK_IS_TCP(sk))
        rcv_reset(sk, 0);
    return 0;
}

static inline int on_destroy(struct bpf_raw_tracepoint_args *ctx)
{
    struct sock *sk = (struct sock *)ctx->args[0];
    u64 cookie = SK_COOKIE(sk);

    rslot_free(sk);
    rcv_forget(sk);
    if (cookie)
        rcv_start.delete(&cookie);
    return 0;
}

RAW_TRACEPOINT_PROBE(inet_sock_set_state)
{
    return on_state(ctx);
}

RAW_TRACEPOINT_PROBE(tcp_destroy_sock)
{
    return on_destroy(ctx);
}

// Both again, as second programs on the same tracepoints. The kernel
// skips a program's run when an event comes while that program is
// running on the same CPU (its recursion_misses). These fire in process
// context (connect, accept, close) and in softirqs (handshakes, resets,
// timers), and an interrupt that lands in a process-context run can run
// softirqs that change or destroy a whole batch of sockets before the run
// resumes: the first program skips all of them, the second (not running
// then: each runs to its end before the other starts) sees them. Both
// are idempotent (the same baseline set twice, a delete of nothing), so
// seeing every event twice changes nothing.
int raw_tracepoint__inet_sock_set_state_again(
        struct bpf_raw_tracepoint_args *ctx)
{
    return on_state(ctx);
}

int raw_tracepoint__tcp_destroy_sock_again(
        struct bpf_raw_tracepoint_args *ctx)
{
    return on_destroy(ctx);
}

// A connection first seen mid-read (established before tcptop started):
// the first chunk of that read only set its baseline. sock:sock_recv_length
// (6.3+) reports what the whole recvmsg() returned, so the chunk the
// advances missed is what the read returned beyond them.
RAW_TRACEPOINT_PROBE(sock_recv_length)
{
    struct sock *sk = (struct sock *)ctx->args[0];
    int ret = (int)ctx->args[1];
    int flags = (int)ctx->args[2];

    if (ret <= 0 || (flags & MSG_PEEK) || !SK_IS_TCP(sk))
        return 0;
    // Its baseline: in its slot if it owns one, else in its storage.
    u32 base, k;
    struct ccache_t *s = rslot_mine(sk, &base, &k);
    struct rcv_seq_t *last = s ? &s->rcv : rcv_get(sk);
    if (!last || !last->fresh)
        return 0;
    last->fresh = 0;
    int missed = ret - (int)(TCP_COPIED_SEQ(sk) - last->base);
    if (missed > 0)
        count_bytes(sk, missed, DIR_RECV, last->lport, TP_PREEMPTIBLE);
    return 0;
}
