// The kernel's constants for the BTF methods (tracepoint, fentry), which
// include no kernel header: net/sock.h and linux/tcp.h pull in the kernel's
// linux/bpf.h, which fails to compile whenever the kernel is newer than
// libbcc's own uapi bpf.h (bcc issues 4575, 5444), and parsing them is most
// of a compile's time. These values are ABI: they never change. Struct
// layouts come from BTF instead (shared/sock.bpf.c).
// Follows: nothing (first). Placeholders: none.

#define TASK_COMM_LEN 16
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define MSG_PEEK 2

enum {
    TCP_ESTABLISHED = 1,
    TCP_SYN_SENT,
    TCP_SYN_RECV,
    TCP_FIN_WAIT1,
    TCP_FIN_WAIT2,
    TCP_TIME_WAIT,
    TCP_CLOSE,
    TCP_CLOSE_WAIT,
    TCP_LAST_ACK,
    TCP_LISTEN,
    TCP_CLOSING,
    TCP_NEW_SYN_RECV,
};

struct sock;
