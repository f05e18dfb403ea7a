/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json: one JSON object per line (NDJSON), built in a struct text, for
 * the tools' -j output. Every string is valid JSON whatever its bytes: a
 * byte that does not begin or continue valid UTF-8 becomes U+FFFD, control
 * characters are escaped. Members are added in order; json_end() closes
 * the object and ends the line.
 */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "text.h"

/* The schema version every object carries as "v". */
#define JSON_VERSION	1

/* Open an object: {"v":1,"type":type */
void json_begin(struct text *t, const char *type);
void json_str(struct text *t, const char *key, const char *val);
/* At most n bytes of val (a fixed-size field such as a COMM). */
void json_strn(struct text *t, const char *key, const char *val, size_t n);
void json_int(struct text *t, const char *key, int64_t val);
void json_uint(struct text *t, const char *key, uint64_t val);
/* A number with this many decimals (a latency in ms). */
void json_fixed(struct text *t, const char *key, double val, int decimals);
void json_null(struct text *t, const char *key);
/*
 * "time": RFC 3339 in UTC with microseconds, and "ts_ns": nanoseconds
 * since the epoch, of the CLOCK_REALTIME instant ts.
 */
void json_time(struct text *t, const struct timespec *ts);
/* Close the object and end the line. */
void json_end(struct text *t);

#endif
