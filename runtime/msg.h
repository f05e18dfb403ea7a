/* SPDX-License-Identifier: Apache-2.0 */
/*
 * msg: one-line messages on stderr, prefixed with the program's name, as
 * bpftool's p_err()/p_info(). An error names the cause and the fix; a
 * warning says what was lost and why, and tracing goes on.
 */
#ifndef MSG_H
#define MSG_H

/* "prog: message" */
void p_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: WARNING: message" */
void p_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "prog: message": what the tool is doing (-v, --ebpf, --x-check). */
void p_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
