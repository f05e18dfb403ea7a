// bcc's containers.py cgroup filter (--cgroupmap): trace only the cgroups
// in a pinned hash. Without --cgroupmap, containers_cgroup_none.bpf.c.
// Follows: the kernel's definitions. Precedes: shared/containers.bpf.c.
// Placeholders: CGROUP_PATH (the pinned map's path, checked by args.c).


    BPF_TABLE_PINNED("hash", u64, u64, cgroupset, 1024, "CGROUP_PATH");

    static inline int _cgroup_filter() {
        u64 cgroupid = bpf_get_current_cgroup_id();
        return cgroupset.lookup(&cgroupid) == NULL;
    }
    