// SPDX-License-Identifier: Apache-2.0
/*
 * containers: bcc's container filter, from bpf_text/shared/containers*,
 * and libbpf-tools' cgroup directory filter (-c).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>
#include <linux/magic.h>

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
	text_add(t, c->cgroup ? bpf_shared_containers_cgroup_dir :
				bpf_shared_containers);
	prog_subst_offset(t, "TASK_NSPROXY_OFFSET", "task_struct", "nsproxy");
	prog_subst_offset(t, "NSPROXY_MNT_NS_OFFSET", "nsproxy", "mnt_ns");
	prog_subst_offset(t, "MNT_NS_INUM_OFFSET", "mnt_namespace", "ns.inum");
}

/*
 * -c's directory, checked before the slow compile: libbpf-tools would
 * fail later with a bare EBADF, or trace nothing at all.
 */
static bool cgroup_dir_ok(const char *path)
{
	struct statfs fs;
	struct stat st;

	if (stat(path, &st) || statfs(path, &fs)) {
		p_err("cannot use cgroup %s: %s", path, strerror(errno));
		return false;
	}
	if (!S_ISDIR(st.st_mode) || fs.f_type != CGROUP2_SUPER_MAGIC) {
		p_err("cannot use cgroup %s: not a cgroup v2 directory (see /proc/self/mounts for where cgroup2 is mounted)",
		      path);
		return false;
	}
	return true;
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
	return !c->cgroup || cgroup_dir_ok(c->cgroup);
}

int containers_fill(const struct containers *c, struct bprog *p)
{
	int zero = 0, map, fd;

	if (!c->cgroup)
		return 0;
	map = bprog__table_fd(p, "cgroup_dir");
	if (map < 0) {
		p_err("%s", bprog__errmsg(p));
		return -1;
	}
	fd = open(c->cgroup, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	/* The array takes a reference to the cgroup: fd is not needed after. */
	if (fd < 0 || bpf_update_elem(map, &zero, &fd, 0)) {
		p_err("cannot use cgroup %s: %s", c->cgroup, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}
