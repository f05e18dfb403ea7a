/* SPDX-License-Identifier: Apache-2.0 */
/* comm: a task name (COMM) as the Python tools print it. */
#ifndef COMM_H
#define COMM_H

#include <stddef.h>

#define TASK_COMM_LEN 16

/*
 * comm as Python's "%-12.12s" % name.decode('utf-8', 'replace') prints it
 * (width 12): invalid UTF-8 as U+FFFD, cut and padded by characters. comm
 * is NUL-terminated or maxlen bytes; dst needs 4 * width + 1 bytes.
 */
void comm_fmt(char *dst, const char *comm, size_t maxlen, int width);

#endif
