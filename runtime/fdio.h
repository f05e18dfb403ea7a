/* SPDX-License-Identifier: Apache-2.0 */
/* fdio: whole reads and writes on a file descriptor, through EINTR. */
#ifndef FDIO_H
#define FDIO_H

#include <stddef.h>

/* Read exactly len bytes: 0, or -1 (an error or end of file first). */
int fd_read_all(int fd, void *buf, size_t len);

/* Write all len bytes: 0, or -1 (errno set, or 0 if nothing was taken). */
int fd_write_all(int fd, const void *buf, size_t len);

#endif
