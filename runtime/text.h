/* SPDX-License-Identifier: Apache-2.0 */
/*
 * text: a growable string, for building the BPF program text at run time
 * the way the Python tools do (concatenation and str.replace()).
 */
#ifndef TEXT_H
#define TEXT_H

#include <stddef.h>

struct text {
	char *s;	/* always NUL-terminated once non-empty */
	size_t len, cap;
};

/* Append; printf-style. Aborts the process on out-of-memory. */
void text_add(struct text *t, const char *s);
void text_addf(struct text *t, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Replace every occurrence of from with to (like Python's str.replace). */
void text_replace(struct text *t, const char *from, const char *to);

/* The string ("" when empty). */
const char *text_str(const struct text *t);

void text_free(struct text *t);

#endif
