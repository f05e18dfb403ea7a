// SPDX-License-Identifier: Apache-2.0
/* msg: one-line messages on stderr. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include "msg.h"

static void say(const char *kind, const char *fmt, va_list ap)
{
	fprintf(stderr, "%s: %s", program_invocation_short_name, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void p_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}

void p_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("WARNING: ", fmt, ap);
	va_end(ap);
}

void p_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say("", fmt, ap);
	va_end(ap);
}
