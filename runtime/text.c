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
