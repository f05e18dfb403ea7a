// bcc's containers.py mount namespace filter (--mntnsmap): trace only the
// mount namespaces in a pinned hash, each field at its BTF offset. Without
// --mntnsmap, containers_mntns_none.bpf.c.
// Follows: containers_mntns_types.bpf.c in a kprobe program (bcc's text).
// Precedes: shared/containers.bpf.c.
// Placeholders: MOUNT_NS_PATH (the pinned map's path, checked by args.c),
// TASK_NSPROXY_OFFSET, NSPROXY_MNT_NS_OFFSET, MNT_NS_INUM_OFFSET (BTF).

    BPF_TABLE_PINNED("hash", u64, u32, mount_ns_set, 1024, "MOUNT_NS_PATH");

    static inline int _mntns_filter() {
        struct task_struct *current_task;
        struct nsproxy *nsproxy;
        struct mnt_namespace *mnt_ns;
        unsigned int inum;
        u64 ns_id;

        current_task = (struct task_struct *)bpf_get_current_task();

        if (bpf_probe_read_kernel(&nsproxy, sizeof(nsproxy), (void *)current_task + TASK_NSPROXY_OFFSET))
            return 0;

        if (bpf_probe_read_kernel(&mnt_ns, sizeof(mnt_ns), (void *)nsproxy + NSPROXY_MNT_NS_OFFSET))
            return 0;

        if (bpf_probe_read_kernel(&inum, sizeof(inum), (void *)mnt_ns + MNT_NS_INUM_OFFSET))
            return 0;

        ns_id =  (u64) inum;

        return mount_ns_set.lookup(&ns_id) == NULL;
    }
    