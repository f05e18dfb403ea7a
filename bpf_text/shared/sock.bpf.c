// struct sock as the programs read it: each field at the byte offset the
// running kernel's BTF gives. Macros, so that a field a program never reads
// needs no offset (sk_protocol was a bitfield before Linux 5.6).
// Follows: the kernel's definitions (shared/btf_kernel.bpf.c and, for
// tp_btf and fentry programs, shared/sock_loads.bpf.c; or a kprobe
// program's headers).
// Placeholders: the *_OFF offsets, which runtime/progtext.c fills in for
// every program.

// Unless a BTF method's shared/sock_loads.bpf.c came first: helper reads,
// which take any kernel address (kprobe and raw tracepoint arguments are
// plain numbers).
#ifndef SK_READ
#define SK_READ(sk, off, type) ({ \
    type __v = 0; \
    bpf_probe_read_kernel(&__v, sizeof(__v), (void *)(sk) + (off)); \
    __v; })
#define TCP_READ(sk, off, type) SK_READ(sk, off, type)
#define SK_ADDR6(sk, off, dst) \
    bpf_probe_read_kernel(dst, 16, (void *)(sk) + (off))
#endif

#define SK_FAMILY(sk) SK_READ(sk, SKC_FAMILY_OFF, u16)
#define SK_STATE(sk) SK_READ(sk, SKC_STATE_OFF, u8)
// The local port, host order (0 once the socket is closed).
#define SK_LPORT(sk) SK_READ(sk, SKC_NUM_OFF, u16)
// The remote port, network order.
#define SK_DPORT(sk) SK_READ(sk, SKC_DPORT_OFF, u16)
#define SK_SADDR4(sk) SK_READ(sk, SKC_RCV_SADDR_OFF, u32)
#define SK_DADDR4(sk) SK_READ(sk, SKC_DADDR_OFF, u32)
#define SK_SADDR6(sk, dst) SK_ADDR6(sk, SKC_V6_RCV_SADDR_OFF, dst)
#define SK_DADDR6(sk, dst) SK_ADDR6(sk, SKC_V6_DADDR_OFF, dst)
// Not MPTCP's or SCTP's own sockets, which pass the same paths.
#define SK_IS_TCP(sk) (SK_READ(sk, SK_PROTOCOL_OFF, u16) == IPPROTO_TCP)
// tcp_sock.copied_seq: how far the application has read.
#define TCP_COPIED_SEQ(sk) TCP_READ(sk, TCP_COPIED_SEQ_OFF, u32)
// The socket's cookie: 0 until something (sock_diag, here) asks for it.
#define SK_COOKIE(sk) SK_READ(sk, SKC_COOKIE_OFF, u64)
// What the application has read since the connection began, as sock_diag
// shows it: tcpi_bytes_received less the unread queue (rcv_nxt -
// copied_seq). bytes_received and rcv_nxt advance together, so this moves
// exactly with copied_seq, in 64 bits.
#define TCP_BYTES_READ(sk) (TCP_READ(sk, TCP_BYTES_RECEIVED_OFF, u64) - \
    (u32)(TCP_READ(sk, TCP_RCV_NXT_OFF, u32) - TCP_COPIED_SEQ(sk)))
