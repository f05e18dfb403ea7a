// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer target for comm_fmt() (runtime/comm.c): the first byte
 * picks the width, the rest is the task name, as many bytes as the kernel
 * would give (not NUL-terminated). The output must fit the documented
 * 4 * width + 1 bytes (ASan sees the exact allocation) and be valid UTF-8
 * of exactly width characters: cut or padded, invalid input as U+FFFD.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"

/* Characters in valid UTF-8, or -1 (overlong, surrogate, > U+10FFFF...). */
static long utf8_chars(const unsigned char *s)
{
	long n = 0;
	uint32_t cp;
	int len, i;

	for (; *s; s += len, n++) {
		len = *s < 0x80 ? 1 : *s >= 0xc2 && *s <= 0xdf ? 2 :
		      *s >= 0xe0 && *s <= 0xef ? 3 :
		      *s >= 0xf0 && *s <= 0xf4 ? 4 : 0;
		if (!len)
			return -1;
		cp = len == 1 ? *s : *s & (0x7f >> len);
		for (i = 1; i < len; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
	}
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int width;
	char *comm, *dst;

	if (!size)
		return 0;
	width = data[0] % 40;
	size--;
	comm = malloc(size ? size : 1);
	memcpy(comm, data + 1, size);
	dst = malloc(4 * (size_t)width + 1);
	comm_fmt(dst, comm, size, width);
	if (utf8_chars((const unsigned char *)dst) != width)
		__builtin_trap();
	free(dst);
	free(comm);
	return 0;
}
