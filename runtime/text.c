// SPDX-License-Identifier: Apache-2.0
/* text: growable strings for building BPF program text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

static void text_reserve(struct text *t, size_t need)
{
	size_t cap = t->cap ? t->cap : 256;

	if (t->len + need + 1 <= t->cap)
		return;
	while (cap < t->len + need + 1)
		cap *= 2;
	t->s = realloc(t->s, cap);
	if (!t->s) {
		fputs("out of memory\n", stderr);
		abort();
	}
	t->cap = cap;
}

void text_add(struct text *t, const char *s)
{
	size_t n = strlen(s);

	text_reserve(t, n);
	memcpy(t->s + t->len, s, n + 1);
	t->len += n;
}

void text_addf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	text_reserve(t, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(t->s + t->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	t->len += (size_t)n;
}

void text_replace(struct text *t, const char *from, const char *to)
{
	struct text out = { 0 };
	size_t flen = strlen(from);
	const char *p, *hit;

	if (!t->len || !flen)
		return;
	for (p = t->s; (hit = strstr(p, from)); p = hit + flen) {
		text_reserve(&out, (size_t)(hit - p));
		memcpy(out.s + out.len, p, (size_t)(hit - p));
		out.len += (size_t)(hit - p);
		out.s[out.len] = '\0';
		text_add(&out, to);
	}
	text_add(&out, p);
	free(t->s);
	*t = out;
}

/*
 * What Python's "%-12.12s" % task.decode('utf-8', 'replace') prints: each
 * maximal ill-formed UTF-8 subsequence becomes one U+FFFD (as Python's
 * decoder does), then the text is cut and padded to width characters.
 * comm is NUL-terminated or maxlen bytes; dst needs 4 * width + 1 bytes.
 */
void text_fmt_comm(char *dst, const char *comm, size_t maxlen, int width)
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

const char *text_str(const struct text *t)
{
	return t->s ? t->s : "";
}

void text_free(struct text *t)
{
	free(t->s);
	t->s = NULL;
	t->len = t->cap = 0;
}
