// SPDX-License-Identifier: Apache-2.0
/* Unit tests for json: valid JSON lines whatever the bytes. */
#include "json.h"
#include "unit.h"

static const char *one(const char *s, size_t n)
{
	static struct text t;

	text_free(&t);
	json_begin(&t, "x");
	json_strn(&t, "s", s, n);
	json_end(&t);
	return text_str(&t);
}

int main(void)
{
	struct text t = { 0 };
	struct timespec ts = { .tv_sec = 1764684000, .tv_nsec = 123456789 };

	json_begin(&t, "connect");
	json_int(&t, "pid", -1);
	json_uint(&t, "n", 18446744073709551615ull);
	json_fixed(&t, "lat_ms", 1.23456, 3);
	json_null(&t, "none");
	json_time(&t, &ts);
	json_str(&t, "comm", "curl");
	json_end(&t);
	CHECK_STR(text_str(&t), "{\"v\":1,\"type\":\"connect\",\"pid\":-1,"
		  "\"n\":18446744073709551615,\"lat_ms\":1.235,\"none\":null,"
		  "\"time\":\"2025-12-02T14:00:00.123456Z\","
		  "\"ts_ns\":1764684000123456789,\"comm\":\"curl\"}\n");
	text_free(&t);

	/* Quotes, backslashes, control characters, DEL. */
	CHECK_STR(one("a\"b\\c\n\t\x01\x7f", 16),
		  "{\"v\":1,\"type\":\"x\",\"s\":\"a\\\"b\\\\c\\u000a\\u0009"
		  "\\u0001\\u007f\"}\n");
	/* Valid UTF-8 is kept: 2, 3 and 4 bytes. */
	CHECK_STR(one("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 16),
		  "{\"v\":1,\"type\":\"x\",\"s\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}\n");
	/* Invalid: a lone continuation, a truncated sequence, an overlong
	 * form, a surrogate, beyond U+10FFFF, 0xff: U+FFFD per byte. */
	CHECK_STR(one("\x80", 16), "{\"v\":1,\"type\":\"x\",\"s\":\"\\ufffd\"}\n");
	CHECK_STR(one("\xe2\x82", 16),
		  "{\"v\":1,\"type\":\"x\",\"s\":\"\\ufffd\\ufffd\"}\n");
	CHECK_STR(one("\xc0\xaf", 16),
		  "{\"v\":1,\"type\":\"x\",\"s\":\"\\ufffd\\ufffd\"}\n");
	CHECK_STR(one("\xed\xa0\x80", 16),
		  "{\"v\":1,\"type\":\"x\",\"s\":\"\\ufffd\\ufffd\\ufffd\"}\n");
	CHECK_STR(one("\xf4\x90\x80\x80", 16),
		  "{\"v\":1,\"type\":\"x\",\"s\":\"\\ufffd\\ufffd\\ufffd\\ufffd\"}\n");
	CHECK_STR(one("a\xff" "b", 16),
		  "{\"v\":1,\"type\":\"x\",\"s\":\"a\\ufffdb\"}\n");
	/* A sequence cut by the field's end is invalid; a NUL ends it. */
	CHECK_STR(one("ab\xc3\xa9", 3),
		  "{\"v\":1,\"type\":\"x\",\"s\":\"ab\\ufffd\"}\n");
	CHECK_STR(one("ab\0cd", 5), "{\"v\":1,\"type\":\"x\",\"s\":\"ab\"}\n");
	one("", 0);
	text_free(&t);
	return unit_done("test_json");
}
