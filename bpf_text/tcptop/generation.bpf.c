// tcptop, every method: the generation the programs count into, and the
// count of what could not be stored.
// Follows: tcptop/maps.bpf.c or tcptop/btf_maps.bpf.c. Placeholders: none.

// Counts are keyed by generation: user space flips it, waits for running
// programs to finish (an update of gen_sync does synchronize_rcu), then reads
// and deletes the old generation, which nothing can write any more.
BPF_ARRAY(generation, u32, 1);
BPF_ARRAY_OF_MAPS(gen_sync, "generation", 1);
// Counts that could not be stored (table full): reported, never silent.
BPF_ARRAY(dropped, u64, 1);

static inline u32 current_gen()
{
    int zero = 0;
    u32 *gen = generation.lookup(&zero);
    return gen ? *gen : 0;
}

static inline void count_dropped()
{
    dropped.atomic_increment(0);
}

