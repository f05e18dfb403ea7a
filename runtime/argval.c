// SPDX-License-Identifier: Apache-2.0
/*
 * argval: values on the command line, for args.h: the strict parsers
 * (arg_parse_fn) and the quoting of values in messages. Parsing the
 * command line is args.c's.
 */
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "args.h"
#include "text.h"

void args_repr(struct text *t, const char *s)
{
	static const char ctl[] = "\t\n\r", esc[] = "tnr";
	char q = strchr(s, '\'') && !strchr(s, '"') ? '"' : '\'';
	const char *e;

	text_addf(t, "%c", q);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == q || c == '\\')
			text_addf(t, "\\%c", c);
		else if ((e = strchr(ctl, c)))
			text_addf(t, "\\%c", esc[e - ctl]);
		else if (c < 0x20 || c == 0x7f)
			text_addf(t, "\\x%02x", c);
		else
			text_addf(t, "%c", c);	/* UTF-8 as it is */
	}
	text_addf(t, "%c", q);
}

/* err: what, s as argparse's %r shows it, tail */
static int fail(char *err, size_t errlen, const char *what, const char *s,
		const char *tail)
{
	struct text t = { 0 };

	text_add(&t, what);
	args_repr(&t, s);
	snprintf(err, errlen, "%s%s", t.s, tail);
	text_free(&t);
	return -1;
}

/*
 * Decimal digits only (Python's int() also takes " 5", "1_0" and
 * non-ASCII digits), a sign only for range_check, checked without
 * overflow however long: both limits have 7 digits.
 */
static int parse_int(const char *s, int *dst, char *err, size_t errlen,
		     bool pid)
{
	const char *d = s + (!pid && (*s == '+' || *s == '-'));
	bool neg = !pid && *s == '-';
	char tail[64];
	long v;

	if (!*d || d[strspn(d, "0123456789")])
		return fail(err, errlen, pid ? "invalid pid value: " :
			    "invalid range_check value: ", s, "");
	while (d[0] == '0' && d[1])
		d++;
	v = strlen(d) > 7 ? LONG_MAX : strtol(d, NULL, 10);
	neg = neg && v;
	if (pid ? v >= 1 && v <= ARGS_PID_MAX :
	    !neg && v >= 1 && v <= ARGS_POSITIVE_INT_MAX) {
		*dst = (int)v;
		return 0;
	}
	snprintf(tail, sizeof(tail), " (must be 1..%d)", ARGS_PID_MAX);
	if (pid)
		return fail(err, errlen, "invalid pid value: ", s, tail);
	if (neg || v < 1)
		snprintf(err, errlen, "value must be stricly positive, got %s%s",
			 neg ? "-" : "", d);
	else	/* Python takes any size; the tool makes it ms in an int */
		snprintf(err, errlen, "value too large, got %s (max %d)", d,
			 ARGS_POSITIVE_INT_MAX);
	return -1;
}

/*
 * Python's tcptop pastes any -p string into the BPF text, where "12abc"
 * fails to compile much later; reject it here.
 */
int args_parse_pid(const char *s, void *dst, char *err, size_t errlen)
{
	return parse_int(s, dst, err, errlen, true);
}

int args_parse_positive_int(const char *s, void *dst, char *err,
			    size_t errlen)
{
	return parse_int(s, dst, err, errlen, false);
}

int args_parse_duration_ms(const char *s, void *dst, char *err, size_t errlen)
{
	const char *u = s + (*s == '+' || *s == '-'), *msg = NULL;
	char *end;
	double v;

	/* The tools never call setlocale(), so '.' is the decimal point. */
	v = strtod(s, &end);
	/* float() takes "inf", "infinity" and "nan", signed, in any case */
	if (!strcasecmp(u, "nan") || !strcasecmp(u, "inf") ||
	    !strcasecmp(u, "infinity"))
		msg = *s == '-' && strcasecmp(u, "nan") ? "must be positive" :
		      "must be a finite number";
	/* float()'s decimal syntax: strtod's without hex and whitespace */
	else if (end == s || *end || s[strspn(s, "0123456789.eE+-")])
		msg = "must be a float";
	else if (v < 0)
		msg = "must be positive";
	/* 1e400 is inf, which Python accepts and then crashes on */
	else if (isinf(v))
		msg = "must be a finite number";
	/* the tool compares against ms * 1000 as a u64 */
	else if (!(v * 1000.0 < 18446744073709551616.0))
		msg = "too large: the microseconds must fit in 64 bits";
	if (msg)
		return snprintf(err, errlen, "%s", msg), -1;
	*(double *)dst = v == 0 ? 0 : v;	/* no "-0" */
	return 0;
}

/*
 * bcc's filter_by_containers() pastes the path into the BPF text as
 * BPF_TABLE_PINNED(..., "PATH"): a '"', a '\' or a control character
 * would end or change that C string literal, so they are refused here
 * rather than surfacing as a compiler error (or a different program).
 * Relative paths are accepted, as bcc accepts them: libbcc opens the pin
 * from this process, so they resolve against its working directory.
 */
int args_parse_map_path(const char *s, void *dst, char *err, size_t errlen)
{
	const unsigned char *c;

	if (!*s || strlen(s) >= 4096) {
		snprintf(err, errlen, "%s", *s ? "map path too long (max 4095 "
			 "bytes)" : "map path must not be empty");
		return -1;
	}
	for (c = (const unsigned char *)s; *c; c++)
		if (*c == '"' || *c == '\\' || *c < 0x20 || *c == 0x7f)
			return fail(err, errlen, "invalid map path: ", s,
				    " (quotes, backslashes and control "
				    "characters are not allowed)");
	*(const char **)dst = s;
	return 0;
}
