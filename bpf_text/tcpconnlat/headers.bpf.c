// tcpconnlat, kprobe method: bcc's includes (first).
#include <uapi/linux/ptrace.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <bcc/proto.h>
