"""The program cache (runtime/progcache.h): a warm start loads what a cold
start compiled, and nothing else.

  same programs   a warm start attaches programs with the same tags (the
                  kernel's hash of the instructions) and maps of the same
                  name, type, sizes and flags as a cold start; tcptop's
                  counts from a warm start are exact
  bad entries     a damaged, truncated, foreign-owned, writable-by-others,
                  symlinked or other-key entry is ignored (-v says why),
                  compiled again and replaced
  key             a changed option (-p, -4/-6, duration) never reuses
                  another's entry
  trust           a cache directory that is not root's with mode 0700 is
                  not read or written, with a warning
  controls        --no-cache neither reads nor writes; pinned maps
                  (--cgroupmap) are never cached; two tools starting at
                  once both work and leave one whole entry

Each test has a cache directory of its own (TCPTOOLS_CACHE_DIR).
"""
import os
import stat

import pytest

from lib.bpf import pin_map
from lib.paths import TOOLS
from lib.proc import Background
from lib.progcache import entries, once, start
from lib.tcptop_live import (KiB, Tool, Traffic, assert_exact, exchange,
                             new_tag, stop_single)

NOBODY_UID = 65534


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A cache directory not yet made (the tool makes it, mode 0700)."""
    d = str(tmp_path / "cache")
    monkeypatch.setenv("TCPTOOLS_CACHE_DIR", d)
    return d


def entry_path(d):
    names = entries(d)
    assert len(names) == 1, names
    return os.path.join(d, names[0])


@pytest.mark.parametrize("tool", TOOLS)
def test_warm_start_loads_what_the_cold_start_compiled(live, cache, tool):
    cold_note, cold = once(tool)
    path = entry_path(cache)
    assert cold_note == "miss (no %s); stored %s" % (cache, path)
    assert stat.S_IMODE(os.stat(cache).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    warm_note, warm = once(tool)
    assert warm_note == "hit %s" % path
    assert cold[0] and warm == cold
    off_note, off = once(tool, ["--no-cache"])
    assert off_note == "off"
    assert off == cold


def test_warm_tcptop_counts_exactly(live, cache):
    """The warm start's maps, the generation map-in-map among them, work:
    every row exact. The entry is left as it was (a miss or a rejected
    entry would have been replaced by a new file)."""
    once("tcptop")
    before = os.stat(entry_path(cache))
    tag = new_tag()
    plan = {"tag": tag, "pairs": [{"kind": "exchange", "conns": [
        exchange(4, 300 * KiB + 5, 200 * KiB + 1023),
        exchange(6, 150 * KiB + 1023, 100 * KiB + 7)]}]}
    with Traffic(plan) as tr:
        with Tool(["-C", "-S", "60"]) as tool:
            truth = tr.run()
            iv, _ = stop_single(tool)
    after = os.stat(entry_path(cache))
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino,
                                                 before.st_mtime_ns)
    assert_exact([iv], truth, tag)


def damage_corrupt(path, cache):
    with open(path, "r+b") as f:
        f.seek(-100, os.SEEK_END)
        b = f.read(1)
        f.seek(-100, os.SEEK_END)
        f.write(bytes([b[0] ^ 0x40]))
    return "checksum mismatch"


def damage_truncated(path, cache):
    os.truncate(path, os.path.getsize(path) - 64)
    return "truncated"


def damage_short(path, cache):
    os.truncate(path, 10)
    return "truncated or too large"


def damage_foreign(path, cache):
    os.chown(path, NOBODY_UID, NOBODY_UID)
    return "not owned by us"


def damage_world_writable(path, cache):
    os.chmod(path, 0o646)
    return "writable by others"


def damage_group_writable(path, cache):
    os.chmod(path, 0o620)
    return "writable by others"


def damage_symlink(path, cache):
    os.rename(path, path + ".real")
    os.symlink(os.path.basename(path) + ".real", path)
    return "a symbolic link"


DAMAGE = {"corrupt": damage_corrupt, "truncated": damage_truncated,
          "short": damage_short, "foreign-owned": damage_foreign,
          "world-writable": damage_world_writable,
          "group-writable": damage_group_writable, "symlink": damage_symlink}


@pytest.mark.parametrize("damage", DAMAGE)
def test_bad_entry_is_not_loaded_and_is_rebuilt(live, cache, damage):
    _, cold = once("tcpconnlat")
    path = entry_path(cache)
    why = DAMAGE[damage](path, cache)
    note, objs = once("tcpconnlat")
    assert note == "ignored %s: %s; stored %s" % (path, why, path)
    assert objs == cold
    st = os.lstat(path)
    assert stat.S_ISREG(st.st_mode) and st.st_uid == 0
    assert stat.S_IMODE(st.st_mode) == 0o600
    assert once("tcpconnlat")[0] == "hit %s" % path


def test_entry_of_another_key_is_not_loaded(live, cache):
    """A whole, root-owned entry whose stored key is another program's (as
    if the names' hashes collided) is not loaded."""
    once("tcpconnlat", ["-p", "1"])
    (a,) = entries(cache)
    once("tcpconnlat", ["-p", "2"])
    (b,) = set(entries(cache)) - {a}
    os.rename(os.path.join(cache, a), os.path.join(cache, b))
    note, _ = once("tcpconnlat", ["-p", "2"])
    path = os.path.join(cache, b)
    assert note == "ignored %s: another key (a hash collision); stored %s" % (
        path, path)


@pytest.mark.parametrize("tool,variants", [
    ("tcpconnlat", [["-p", "1"], ["-p", "2"], ["-4"], ["-6"], ["1"], ["2"],
                    ["-p", "1", "-4"]]),
    ("tcptop", [["-p", "1"], ["-p", "2"], ["-4"], ["-6"]])])
def test_changed_options_never_reuse_an_entry(live, cache, tool, variants):
    for i, args in enumerate(variants):
        note, _ = once(tool, args)
        assert note.startswith("miss"), (args, note)
        assert len(entries(cache)) == i + 1
    for args in variants:
        assert once(tool, args)[0].startswith("hit "), args


def untrusted_mode(cache):
    os.mkdir(cache, 0o755)
    os.chmod(cache, 0o755)


def untrusted_owner(cache):
    os.mkdir(cache, 0o700)
    os.chown(cache, NOBODY_UID, NOBODY_UID)


def untrusted_symlink(cache):
    os.mkdir(cache + ".real", 0o700)
    os.symlink(cache + ".real", cache)


@pytest.mark.parametrize("make", [untrusted_mode, untrusted_owner,
                                  untrusted_symlink])
def test_untrusted_directory_is_not_used(live, cache, make):
    make(cache)
    real = os.path.realpath(cache)
    bg = start("tcpconnlat", verbose=False)
    rc, _, err = bg.stop()
    assert rc == 0
    if make is untrusted_symlink:
        want = "not used: %s is a symbolic link" % cache
    else:
        want = "not used: %s is not a directory of uid 0 with mode 0700" % cache
    assert err == "tcpconnlat: WARNING: program cache %s\n" % want
    assert entries(real) == []


def test_no_cache_neither_reads_nor_writes(live, cache):
    assert once("tcpconnlat", ["--no-cache"])[0] == "off"
    assert not os.path.exists(cache)
    once("tcpconnlat")
    path = entry_path(cache)
    before = os.stat(path)
    os.chmod(path, 0o666)        # would be "ignored" if it were read
    assert once("tcpconnlat", ["--no-cache"])[0] == "off"
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino,
                                                 before.st_mtime_ns)


def test_pinned_maps_are_never_cached(live, cache):
    path = pin_map("tcptools_test_cgroupset", 8, 8, "cgroupset")
    try:
        note, _ = once("tcptop", ["--cgroupmap", path])
    finally:
        os.unlink(path)
    assert note == "off (the program has pinned maps)"
    assert not os.path.exists(cache)


def test_two_tools_starting_at_once(live, cache):
    """Both compile (nothing cached yet), both trace, and the cache holds
    one whole entry, no temporary file, which the next start uses."""
    argv = [TOOLS["tcpconnlat"], "-v"]
    a, b = Background(argv), Background(argv)
    try:
        a.wait_for("LAT(ms)", 120)
        b.wait_for("LAT(ms)", 120)
    finally:
        ra, rb = a.stop(), b.stop()
    assert ra[0] == 0 and rb[0] == 0, (ra[2], rb[2])
    path = entry_path(cache)
    assert os.listdir(cache) == [os.path.basename(path)]
    assert once("tcpconnlat")[0] == "hit %s" % path
