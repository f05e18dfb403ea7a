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
    r = run(["make", "-C", ROOT, "install", "PREFIX=/opt/tt",
             "DESTDIR=%s" % tmp_path], timeout=600)
    assert r.returncode == 0, r.stderr
    for tool in ("tcptop", "tcpconnlat"):
        path = tmp_path / "opt" / "tt" / "sbin" / tool
        assert path.is_file() and os.access(path, os.X_OK), path
    r = run(["make", "-C", ROOT, "uninstall", "PREFIX=/opt/tt",
             "DESTDIR=%s" % tmp_path])
    assert r.returncode == 0, r.stderr
    assert not any((tmp_path / "opt" / "tt" / "sbin").iterdir())
