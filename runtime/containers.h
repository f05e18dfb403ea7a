/* SPDX-License-Identifier: Apache-2.0 */
/*
 * containers: bcc's containers.filter_by_containers() as text: the
 * container_should_be_filtered() a tool's programs call first, for
 * --cgroupmap and --mntnsmap (pinned maps of cgroup ids and mount
 * namespace ids to trace); and libbpf-tools' -c (a cgroup v2 directory,
 * its descendants included).
 */
#ifndef CONTAINERS_H
#define CONTAINERS_H

#include <stdbool.h>

#include "bccprog.h"
#include "text.h"

struct containers {
	const char *cgroupmap, *mntnsmap;	/* paths, or NULL */
	const char *cgroup;	/* -c: a cgroup v2 directory, or NULL */
};

/*
 * Append the filter. with_types: bcc's struct mnt_namespace and its
 * includes (a kprobe program: bcc's text); the filter itself reads every
 * field at its BTF offset.
 */
void containers_filter(struct text *t, const struct containers *c,
		       bool with_types);

/*
 * Whether the pinned maps can be opened and -c names a cgroup v2
 * directory; false after saying why.
 */
bool containers_ready(const struct containers *c);

/*
 * With -c: put the directory's fd in the program's cgroup_dir array. Call
 * after every load, cached or not: until then -c lets nothing through.
 * 0, or -1 after saying why.
 */
int containers_fill(const struct containers *c, struct bprog *p);

#endif
