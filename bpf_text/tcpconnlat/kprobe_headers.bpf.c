// tcpconnlat, kprobe method: bcc's includes.
// Follows: nothing (first; the runtime may put its kcompat prelude before).
// Placeholders: none.

#include <uapi/linux/ptrace.h>
#include <net/sock.h>
#include <net/tcp_states.h>
#include <bcc/proto.h>
