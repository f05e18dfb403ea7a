"""Bash completion (completion/tcptools.bash), driven through bash's own
completion function: options, --attach/--sort choices, pids for -p, paths
for the map options; its tables hold every option -h shows; once installed
(make install), bash-completion's loader finds it for both tools."""
import os
import shlex

import pytest

from lib import helptext
from lib.paths import ROOT, TOOLS
from lib.proc import run
from lib.require import need, skip_or_fail

SCRIPT = os.path.join(ROOT, "completion", "tcptools.bash")
BASH_COMPLETION = "/usr/share/bash-completion/bash_completion"
ATTACH = ["auto", "fentry", "kprobe", "tracepoint"]
# Options -h does not show that the completion offers (bcc's --ebpf).
HIDDEN = {"--ebpf"}


def complete(words, cwd=None, setup="source %s" % shlex.quote(SCRIPT)):
    """COMPREPLY for the command line words (the last one is being
    completed, "" for a new word), as bash splits them (--opt=v is
    "--opt", "=", "v")."""
    script = "%s\nCOMP_WORDS=(%s)\nCOMP_CWORD=%d\n" \
        "COMP_LINE=%s\nCOMP_POINT=${#COMP_LINE}\n" \
        "$(complete -p %s | sed 's/.*-F \\([^ ]*\\) .*/\\1/') %s\n" \
        "printf '%%s\\n' \"${COMPREPLY[@]}\"\n" % (
            setup, " ".join(shlex.quote(w) for w in words), len(words) - 1,
            shlex.quote(" ".join(words)), words[0],
            " ".join(shlex.quote(w) for w in (words[0], words[-1],
                                              words[-2])))
    r = run(["bash", "-c", script], cwd=cwd)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr
    return sorted(w for w in r.stdout.split("\n") if w)


def table(tool, kind):
    """The completion's own table: flags or options with a value."""
    expr = {"flags": "$_tcptools_%s_flags" % tool,
            "args": "${!_tcptools_%s_args[*]}" % tool}[kind]
    r = run(["bash", "-c", "source %s; echo %s" % (shlex.quote(SCRIPT), expr)])
    assert r.returncode == 0, r.stderr
    return set(r.stdout.split())


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_tables_hold_every_option_of_help(tool):
    entries = [e for e in helptext.entries(tool) if not e.positional]
    flags = set().union(*(e.names for e in entries if not e.takes_value))
    args = set().union(*(e.names for e in entries if e.takes_value))
    assert table(tool, "flags") - HIDDEN == flags
    assert table(tool, "args") == args


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_options(tool):
    want = helptext.options(tool) | HIDDEN
    want = {o for o in want if o.startswith("-")}
    assert set(complete([tool, "-"])) == want
    assert complete([tool, "--no"]) == sorted(
        o for o in want if o.startswith("--no"))
    # Not an option being typed: nothing (interval, count, duration_ms).
    assert complete([tool, ""]) == []


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_attach_choices(tool):
    assert complete([tool, "--attach", ""]) == ATTACH
    assert complete([tool, "-v", "--attach", "tr"]) == ["tracepoint"]
    assert complete([tool, "--attach", "="]) == ATTACH   # --attach=<TAB>
    assert complete([tool, "--attach", "=", ""]) == ATTACH
    assert complete([tool, "--attach", "=", "k"]) == ["kprobe"]


def test_sort_choices():
    assert complete(["tcptop", "-s", ""]) == ["all", "received", "sent"]
    assert complete(["tcptop", "--sort", "=", "s"]) == ["sent"]
    assert complete(["tcptop", "-Cs", "r"]) == ["received"]


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_pids(tool):
    mine = str(os.getpid())
    for words in ([tool, "-p", ""], [tool, "--pid", mine[:-1]],
                  [tool, "--pid", "=", ""]):
        got = complete(words)
        assert mine in got, (words, got[:20])
        assert all(p.isdigit() for p in got)
    if tool == "tcptop":
        assert mine in complete([tool, "-Cp", ""])


@pytest.mark.parametrize("opt", ["--cgroupmap", "--mntnsmap"])
def test_map_paths(tmp_path, opt):
    (tmp_path / "maps").mkdir()
    (tmp_path / "maps" / "cgroups").touch()
    (tmp_path / "maps" / "mntns").touch()
    (tmp_path / "other").touch()
    assert complete(["tcptop", opt, "maps/"], cwd=tmp_path) == [
        "maps/cgroups", "maps/mntns"]
    assert complete(["tcptop", opt, "m"], cwd=tmp_path) == ["maps"]
    assert complete(["tcptop", opt, "=", "o"], cwd=tmp_path) == ["other"]


def test_values_without_completion():
    assert complete(["tcptop", "-r", ""]) == []
    assert complete(["tcptop", "--rows", "1"]) == []


def test_installed_loads_on_demand(tmp_path):
    """make install's files, as bash-completion finds them on first use of
    each command (completions/<command> under $XDG_DATA_DIRS)."""
    need("bash")
    if not os.path.exists(BASH_COMPLETION):
        skip_or_fail("bash-completion is not installed (scripts/setup.sh "
                     "installs it)")
    r = run(["make", "-C", ROOT, "install", "PREFIX=/usr",
             "DESTDIR=%s" % tmp_path], timeout=600)
    assert r.returncode == 0, r.stderr
    share = tmp_path / "usr" / "share"
    setup = ("export XDG_DATA_DIRS=%s; source %s; __load_completion tcptop; "
             "__load_completion tcpconnlat" % (shlex.quote(str(share)),
                                               BASH_COMPLETION))
    assert complete(["tcptop", "--attach", "f"], setup=setup) == ["fentry"]
    assert complete(["tcpconnlat", "-"], setup=setup) == sorted(
        o for o in helptext.options("tcpconnlat") | HIDDEN
        if o.startswith("-"))
