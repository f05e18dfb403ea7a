/* SPDX-License-Identifier: Apache-2.0 */
/*
 * containers: bcc's containers.filter_by_containers() as text: the
 * container_should_be_filtered() a tool's programs call first, for
 * --cgroupmap and --mntnsmap (pinned maps of cgroup ids and mount
 * namespace ids to trace).
 */
#ifndef CONTAINERS_H
#define CONTAINERS_H

#include <stdbool.h>

#include "text.h"

struct containers {
	const char *cgroupmap, *mntnsmap;	/* paths, or NULL */
};

/*
 * Append the filter. with_types: bcc's struct mnt_namespace and its
 * includes (a kprobe program: bcc's text); the filter itself reads every
 * field at its BTF offset.
 */
void containers_filter(struct text *t, const struct containers *c,
		       bool with_types);

/* Whether the pinned maps can be opened; false after saying why. */
bool containers_ready(const struct containers *c);

#endif
