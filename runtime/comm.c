// SPDX-License-Identifier: Apache-2.0
/* comm: a task name as the Python tools print it. */
#include <string.h>

#include "comm.h"

/*
 * What Python's "%-12.12s" % task.decode('utf-8', 'replace') prints: each
 * maximal ill-formed UTF-8 subsequence becomes one U+FFFD (as Python's
 * decoder does), then the text is cut and padded to width characters.
 * comm is NUL-terminated or maxlen bytes; dst needs 4 * width + 1 bytes.
 */
void comm_fmt(char *dst, const char *comm, size_t maxlen, int width)
{
	const unsigned char *s = (const unsigned char *)comm;
	size_t n = strnlen(comm, maxlen), i = 0;
	int chars = 0;

	while (i < n && chars < width) {
		unsigned char b = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t need, j;

		if (b < 0x80) {
			*dst++ = (char)b;
			i++;
			chars++;
			continue;
		}
		if (b >= 0xc2 && b <= 0xdf)
			need = 1;
		else if (b >= 0xe0 && b <= 0xef)
			need = 2;
		else if (b >= 0xf0 && b <= 0xf4)
			need = 3;
		else
			need = 0;	/* never starts a sequence */
		/* Second-byte limits that exclude overlongs, surrogates, > U+10FFFF. */
		if (b == 0xe0)
			lo = 0xa0;
		else if (b == 0xed)
			hi = 0x9f;
		else if (b == 0xf0)
			lo = 0x90;
		else if (b == 0xf4)
			hi = 0x8f;
		for (j = 1; need && j <= need && i + j < n; j++) {
			unsigned char c = s[i + j];

			if (j == 1 ? (c < lo || c > hi) : (c < 0x80 || c > 0xbf))
				break;
		}
		if (need && j == need + 1) {
			memcpy(dst, s + i, j);
			dst += j;
		} else {
			memcpy(dst, "\xef\xbf\xbd", 3);
			dst += 3;
			if (!need)
				j = 1;
		}
		i += j;
		chars++;
	}
	while (chars++ < width)
		*dst++ = ' ';
	*dst = '\0';
}
