// SPDX-License-Identifier: Apache-2.0
/* Unit tests for text: the substitutions the BPF program is built with. */
#include <stdlib.h>

#include "text.h"
#include "unit.h"

int main(void)
{
	struct text t = { 0 };

	CHECK_STR(text_str(&t), "");
	text_replace(&t, "A", "B");	/* empty: nothing to do */
	CHECK_STR(text_str(&t), "");

	/* Like str.replace: every occurrence, left to right, no rescan. */
	text_add(&t, "FILTER_PID x FILTER_PID FILTER_PIDFILTER_PID");
	text_replace(&t, "FILTER_PID", "if (pid != 181) { return 0; }");
	CHECK_STR(text_str(&t), "if (pid != 181) { return 0; } x "
		  "if (pid != 181) { return 0; } if (pid != 181) { return 0; }"
		  "if (pid != 181) { return 0; }");
	text_free(&t);

	text_add(&t, "aaa");
	text_replace(&t, "a", "aa");
	CHECK_STR(text_str(&t), "aaaaaa");
	text_replace(&t, "aa", "");
	CHECK_STR(text_str(&t), "");
	text_free(&t);

	text_addf(&t, "%d-%s", 42, "x");
	for (int i = 0; i < 1000; i++)
		text_add(&t, "0123456789");
	CHECK(t.len == 4 + 10000);
	text_replace(&t, "0123456789", "");
	CHECK_STR(text_str(&t), "42-x");
	text_free(&t);
	return unit_done("test_text");
}
