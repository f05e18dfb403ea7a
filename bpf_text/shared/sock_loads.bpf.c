// How the tp_btf and fentry programs read the kernel: their arguments are
// BTF-typed pointers, so a field is a single load, which the verifier
// checks against BTF, instead of a bpf_probe_read_kernel() call. In asm,
// because bcc's rewriter turns a C dereference into a probe read.
// Follows: shared/btf_kernel.bpf.c. Precedes: shared/sock.bpf.c, which
// uses these instead of its helper reads.
// Placeholders: TASK_COMM_OFF, TASK_TGID_OFF (runtime/progtext.c).

struct tcp_sock;
struct task_struct;

#define BTF_LOAD(p, off, type) ({ \
    u64 __r; \
    asm volatile("%0 = *(" #type " *)(%1 + %2)" : "=r"(__r) : "r"(p), \
                 "i"(off)); \
    (type)__r; })
#define SK_READ(sk, off, type) BTF_LOAD(sk, off, type)
// tcp_sock's fields lie beyond struct sock: through the checked cast.
#define TCP_READ(sk, off, type) ({ \
    struct tcp_sock *__tp = bpf_skc_to_tcp_sock(sk); \
    __tp ? BTF_LOAD(__tp, off, type) : 0; })
#define SK_ADDR6(sk, off, dst) ({ \
    ((u64 *)(dst))[0] = BTF_LOAD(sk, off, u64); \
    ((u64 *)(dst))[1] = BTF_LOAD(sk, (off) + 8, u64); })
// A task's COMM, as bpf_get_current_comm() gives it for the current one:
// the kernel keeps it NUL-padded, so two loads of its 16 bytes are the
// same bytes.
#define TASK_COMM(t, dst) ({ \
    struct task_struct *__t = (t); \
    ((u64 *)(dst))[0] = BTF_LOAD(__t, TASK_COMM_OFF, u64); \
    ((u64 *)(dst))[1] = BTF_LOAD(__t, TASK_COMM_OFF + 8, u64); })
// A task's process id, as bpf_get_current_pid_tgid() >> 32 gives it for
// the current one.
#define TASK_TGID(t) BTF_LOAD(t, TASK_TGID_OFF, u32)
