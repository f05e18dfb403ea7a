// SPDX-License-Identifier: Apache-2.0
/* json: see json.h. */
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>

#include "json.h"

static void key(struct text *t, const char *k)
{
	if (t->len && t->s[t->len - 1] != '{')
		text_add(t, ",");
	text_addf(t, "\"%s\":", k);
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_len(const unsigned char *p, size_t n)
{
	size_t len, i;
	uint32_t cp;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

static void string(struct text *t, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	char one[8];

	text_add(t, "\"");
	for (size_t i = 0; i < n && p[i];) {
		size_t len = utf8_len(p + i, n - i);

		if (len == 0) {
			text_add(t, "\\ufffd");
			i++;
			continue;
		}
		if (p[i] == '"' || p[i] == '\\') {
			snprintf(one, sizeof(one), "\\%c", p[i]);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			snprintf(one, sizeof(one), "\\u%04x", p[i]);
		} else {
			snprintf(one, sizeof(one), "%.*s", (int)len, p + i);
		}
		text_add(t, one);
		i += len;
	}
	text_add(t, "\"");
}

void json_begin(struct text *t, const char *type)
{
	text_addf(t, "{\"v\":%d", JSON_VERSION);
	json_str(t, "type", type);
}

void json_str(struct text *t, const char *k, const char *val)
{
	key(t, k);
	string(t, val, (size_t)-1);
}

void json_strn(struct text *t, const char *k, const char *val, size_t n)
{
	key(t, k);
	string(t, val, n);
}

void json_int(struct text *t, const char *k, int64_t val)
{
	key(t, k);
	text_addf(t, "%" PRId64, val);
}

void json_uint(struct text *t, const char *k, uint64_t val)
{
	key(t, k);
	text_addf(t, "%" PRIu64, val);
}

void json_fixed(struct text *t, const char *k, double val, int decimals)
{
	key(t, k);
	text_addf(t, "%.*f", decimals, val);
}

void json_null(struct text *t, const char *k)
{
	key(t, k);
	text_add(t, "null");
}

void json_time(struct text *t, const struct timespec *ts)
{
	struct tm tm;
	char buf[64];

	gmtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	key(t, "time");
	text_addf(t, "\"%s.%06ldZ\"", buf, ts->tv_nsec / 1000);
	json_uint(t, "ts_ns", (uint64_t)ts->tv_sec * 1000000000ull +
		  (uint64_t)ts->tv_nsec);
}

void json_end(struct text *t)
{
	text_add(t, "}\n");
}
