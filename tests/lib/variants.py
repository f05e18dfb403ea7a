"""The program variants of both tools: attach methods and the flag sets the
BPF text changes with (the --ebpf tests and the verifier matrix use them)."""

METHODS = ["kprobe", "tracepoint", "fentry"]

# tcptop: CG and MNT stand for pinned map paths, CGDIR for a cgroup v2
# directory (with_paths).
TCPTOP_FLAG_SETS = [
    [], ["-p", "181"], ["-4"], ["-6"], ["-p", "4242", "-6"],
    ["--cgroupmap", "CG"], ["--mntnsmap", "MNT"],
    ["--cgroupmap", "CG", "--mntnsmap", "MNT", "-4", "-p", "7"],
    ["-c", "CGDIR"], ["-c", "CGDIR", "--cgroupmap", "CG", "-6"]]


def with_paths(flags, paths):
    """flags with the CG/MNT placeholders replaced by paths[...]."""
    return [paths.get(f, f) for f in flags]


# tcpconnlat: (flags, duration_ms or None): every -p x family x threshold.
TCPCONNLAT_VARIANTS = [(pid + fam, dur) for pid in ([], ["-p", "181"])
                       for fam in ([], ["-4"], ["-6"])
                       for dur in (None, "2.5")]
# -4/-6 do not change tcpconnlat's kprobe program (they choose what is
# attached, see test_tcpconnlat_ebpf.py); one family per text is enough.
TCPCONNLAT_KPROBE_VARIANTS = [(f, d) for f, d in TCPCONNLAT_VARIANTS
                              if "-4" not in f and "-6" not in f]

# -j and --failed change the BTF methods' programs (#define CONNLAT_EXT,
# CONNLAT_FAILED); kprobe refuses both, fentry --failed.
TCPCONNLAT_EXT_VARIANTS = [(["-j"], None), (["-j", "-p", "181", "-6"], "2.5"),
                           (["--failed"], None),
                           (["--failed", "-j", "-4"], "2.5")]


def tcpconnlat_variants(method):
    """tcpconnlat's (flags, duration_ms) variants that method runs."""
    if method == "kprobe":
        return TCPCONNLAT_KPROBE_VARIANTS
    return TCPCONNLAT_VARIANTS + [
        (f, d) for f, d in TCPCONNLAT_EXT_VARIANTS
        if method == "tracepoint" or "--failed" not in f]


def argv_of(flags, dur):
    """tcpconnlat's arguments for a (flags, duration_ms) variant."""
    return flags + ([dur] if dur is not None else [])


def variant_id(v):
    """A pytest id for a flag list or a duration."""
    return " ".join(v) if isinstance(v, list) else str(v)
