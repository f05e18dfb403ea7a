// SPDX-License-Identifier: Apache-2.0
/* containers: bcc's container filter, from bpf_text/shared/containers*. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <bcc/libbpf.h>

#include "containers.h"
#include "msg.h"
#include "progtext.h"
#include "shared_text.h"

/* A fragment with its pinned map's path: args.c let no quote through. */
static void add_with_path(struct text *t, const char *frag,
			  const char *token, const char *path)
{
	struct text part = { 0 };

	text_add(&part, frag);
	text_replace(&part, token, path);
	text_add(t, text_str(&part));
	text_free(&part);
}

void containers_filter(struct text *t, const struct containers *c,
		       bool with_types)
{
	if (c->cgroupmap)
		add_with_path(t, bpf_shared_containers_cgroup, "CGROUP_PATH",
			      c->cgroupmap);
	else
		text_add(t, bpf_shared_containers_cgroup_none);
	if (c->mntnsmap && with_types)
		text_add(t, bpf_shared_containers_mntns_types);
	if (c->mntnsmap)
		add_with_path(t, bpf_shared_containers_mntns, "MOUNT_NS_PATH",
			      c->mntnsmap);
	else
		text_add(t, bpf_shared_containers_mntns_none);
	text_add(t, bpf_shared_containers);
	prog_subst_offset(t, "TASK_NSPROXY_OFFSET", "task_struct", "nsproxy");
	prog_subst_offset(t, "NSPROXY_MNT_NS_OFFSET", "nsproxy", "mnt_ns");
	prog_subst_offset(t, "MNT_NS_INUM_OFFSET", "mnt_namespace", "ns.inum");
}

bool containers_ready(const struct containers *c)
{
	const char *paths[] = { c->cgroupmap, c->mntnsmap };

	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		int fd;

		if (!paths[i])
			continue;
		fd = bpf_obj_get(paths[i]);
		if (fd < 0) {
			p_err("cannot open pinned map %s: %s (create and pin it first, e.g. with bpftool map create)",
			      paths[i], strerror(errno));
			return false;
		}
		close(fd);
	}
	return true;
}
