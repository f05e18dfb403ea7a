/* Minimal unit-test helpers: CHECK() counts; CHECK_MSG() also prints a
 * formatted message when it fails; unit_done() prints the
 * "N passed, N failed" line and returns the exit status. */
#ifndef UNIT_H
#define UNIT_H

#include <stdio.h>
#include <string.h>

static int unit_passed, unit_failed;

#define CHECK_MSG(cond, ...) do {					\
	if (cond) {							\
		unit_passed++;						\
	} else {							\
		unit_failed++;						\
		fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__,	\
			__LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
	}								\
} while (0)

#define CHECK(cond) CHECK_MSG(cond, "%s", "")

#define CHECK_STR(got, want) do {					\
	const char *g_ = (got), *w_ = (want);				\
	if (!strcmp(g_, w_)) {						\
		unit_passed++;						\
	} else {							\
		unit_failed++;						\
		fprintf(stderr, "%s:%d: got\n[%s]\nwant\n[%s]\n",	\
			__FILE__, __LINE__, g_, w_);			\
	}								\
} while (0)

static inline int unit_done(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_passed, unit_failed);
	return unit_failed ? 1 : 0;
}

#endif
