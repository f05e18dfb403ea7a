"""The build: warnings are errors, install honours PREFIX and DESTDIR."""
import os

from lib.paths import ROOT
from lib.proc import run


def test_compiles_with_warnings_as_errors():
    r = run(["make", "-C", ROOT, "-n", "-B", "V=1", "OUT=build-dry"])
    assert r.returncode == 0, r.stderr
    cc = [l for l in r.stdout.splitlines() if " -c tools/" in l or " -c runtime/" in l]
    assert len(cc) >= 8, r.stdout
    for line in cc:
        assert "-Wall -Wextra -Werror" in line, line


def test_install_honours_prefix_and_destdir(tmp_path):
    """make install puts down the tools, their man pages, example sessions
    and bash completion; make uninstall removes every file and link of
    them, and the tools' own doc directory."""
    r = run(["make", "-C", ROOT, "install", "PREFIX=/opt/tt",
             "DESTDIR=%s" % tmp_path], timeout=600)
    assert r.returncode == 0, r.stderr
    prefix = tmp_path / "opt" / "tt"
    completions = prefix / "share" / "bash-completion" / "completions"
    for tool in ("tcptop", "tcpconnlat"):
        path = prefix / "sbin" / tool
        assert path.is_file() and os.access(path, os.X_OK), path
        assert (prefix / "share" / "man" / "man8" / (tool + ".8")).is_file()
        assert (completions / tool).is_file(), tool
        assert (prefix / "share" / "doc" / "tcptools" /
                (tool + "_example.txt")).is_file()
    assert os.readlink(completions / "tcpconnlat") == "tcptop"
    r = run(["make", "-C", ROOT, "uninstall", "PREFIX=/opt/tt",
             "DESTDIR=%s" % tmp_path])
    assert r.returncode == 0, r.stderr
    left = [p for p in tmp_path.rglob("*") if not p.is_dir() or p.is_symlink()]
    assert left == []
    assert not (prefix / "share" / "doc" / "tcptools").exists()
