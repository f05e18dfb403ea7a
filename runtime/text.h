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

/*
 * A task name as Python's "%-12.12s" % name.decode('utf-8', 'replace')
 * prints it (width 12): invalid UTF-8 as U+FFFD, cut and padded by
 * characters. comm is NUL-terminated or maxlen bytes; dst needs
 * 4 * width + 1 bytes.
 */
void text_fmt_comm(char *dst, const char *comm, size_t maxlen, int width);

/* The string ("" when empty). */
const char *text_str(const struct text *t);

void text_free(struct text *t);

#endif
