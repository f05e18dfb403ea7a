// libbpf-tools' -c/--cgroup on top of bcc's filter: in place of
// shared/containers.bpf.c when a cgroup v2 directory is given. User space
// puts the directory's fd in cgroup_dir[0] after every load (a map from the
// program cache is new and empty); until then, and for a task outside the
// directory and its descendants, the check is not 1: filtered out.
// Follows: containers_cgroup*.bpf.c and containers_mntns*.bpf.c.
// Placeholders: none.

BPF_CGROUP_ARRAY(cgroup_dir, 1);

static inline int container_should_be_filtered() {
    return _cgroup_filter() || _mntns_filter() ||
           cgroup_dir.check_current_task(0) != 1;
}
