// tcptop, tracepoint and fentry methods on Linux 5.11+ (socket storage for
// tracing programs; tools/tcptop.c checks): each socket's receive baseline
// in the socket's own storage. It lives exactly as long as the socket,
// however many sockets there are. The other choice: tcptop/rcv_lru.bpf.c.
// Follows: tcptop/maps.bpf.c. Placeholders: none.

BPF_SK_STORAGE(rcv_sk, struct rcv_seq_t);
#define RCV_IN_STORAGE 1

static inline struct rcv_seq_t *rcv_get(struct sock *sk)
{
    return rcv_sk.sk_storage_get(sk, 0, 0);
}

static inline int rcv_set(struct sock *sk, struct rcv_seq_t *now)
{
    struct rcv_seq_t *r = rcv_sk.sk_storage_get(sk, now,
                                                 BPF_SK_STORAGE_GET_F_CREATE);
    if (!r)
        return -1;
    *r = *now;
    return 0;
}

// Freed with the socket.
static inline void rcv_forget(struct sock *sk)
{
}
