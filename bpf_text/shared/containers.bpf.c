// bcc's containers.py: container_should_be_filtered(), which a tool's
// programs call first.
// Follows: containers_cgroup*.bpf.c and containers_mntns*.bpf.c.
// Placeholders: none.


    static inline int container_should_be_filtered() {
        return _cgroup_filter() || _mntns_filter();
    }
