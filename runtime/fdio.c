// SPDX-License-Identifier: Apache-2.0
/* fdio: see fdio.h. */
#include <errno.h>
#include <stdbool.h>
#include <unistd.h>

#include "fdio.h"

static int whole(int fd, char *p, size_t len, bool out)
{
	while (len) {
		ssize_t n = out ? write(fd, p, len) : read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int fd_read_all(int fd, void *buf, size_t len)
{
	return whole(fd, buf, len, false);
}

int fd_write_all(int fd, const void *buf, size_t len)
{
	return whole(fd, (char *)buf, len, true);
}
