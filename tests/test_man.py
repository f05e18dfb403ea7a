"""The man pages (man/<tool>.8) stay true: every option the tool's -h shows
is in the page's OPTIONS and SYNOPSIS, and every option there is in -h
(but --ebpf, which bcc's pages document and -h hides); every output column
is in FIELDS; the pages render without a warning from groff or mandoc."""
import os
import re

import pytest

from lib import helptext, tcpconnlat_live, tcptop_live
from lib.helptext import OPTION_RE
from lib.paths import ROOT, TOOLS
from lib.proc import run
from lib.require import need

# Documented in the page, not shown by -h (as in bcc's pages).
HIDDEN = {"--ebpf"}
COLUMNS = {
    "tcptop": ["loadavg:"] + tcptop_live.HDR4.split() + tcptop_live.HDR6.split(),
    "tcpconnlat": tcpconnlat_live.header(timestamp=True, lport=True).split(),
}


def page_path(tool):
    return os.path.join(ROOT, "man", tool + ".8")


def plain(roff):
    """A line of roff as text: \\- is -, font changes and \\% go."""
    return re.sub(r"\\f[BIRP]|\\%|\\&", "", roff).replace("\\-", "-")


def sections(tool):
    """{section name: [source lines]}"""
    out, name = {}, None
    with open(page_path(tool)) as f:
        for line in f.read().splitlines():
            if line.startswith(".SH "):
                name = line[4:].strip('"')
                out[name] = []
            elif name:
                out[name].append(line)
    return out


def tags(lines):
    """The tag lines of a section's .TP paragraphs, as text."""
    return [plain(lines[i + 1]) for i, l in enumerate(lines[:-1])
            if l == ".TP"]


def page_options(tool):
    found = set()
    for tag in tags(sections(tool)["OPTIONS"]):
        words = re.sub(r"^\.\w+\s+", "", tag)
        opts = OPTION_RE.findall(words)
        found.update(opts if opts else [words.split()[0]])
    return found


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_sections_are_bccs(tool):
    names = list(sections(tool))
    for want in ("NAME", "SYNOPSIS", "DESCRIPTION", "REQUIREMENTS", "OPTIONS",
                 "EXAMPLES", "FIELDS", "OVERHEAD", "SOURCE", "OS",
                 "STABILITY", "SEE ALSO"):
        assert want in names, (want, names)


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_options_match_help(tool):
    shown, page = helptext.options(tool), page_options(tool)
    assert shown - page == set(), "in -h, not in man/%s.8" % tool
    assert page - shown - HIDDEN == set(), "in man/%s.8, not in -h" % tool
    assert HIDDEN <= page


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_synopsis_matches_help(tool):
    synopsis = plain(" ".join(sections(tool)["SYNOPSIS"]))
    words = set(OPTION_RE.findall(synopsis)) | set(re.findall(r"\w+", synopsis))
    # The synopsis names each entry once (as -h's usage line does).
    for entry in helptext.entries(tool):
        assert entry.names & words, entry
    opts = set(OPTION_RE.findall(synopsis))
    assert opts - helptext.options(tool) - HIDDEN == set()


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_fields_cover_every_column(tool):
    fields = {t.strip() for t in tags(sections(tool)["FIELDS"])}
    assert set(COLUMNS[tool]) <= fields, set(COLUMNS[tool]) - fields


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_groff_renders_without_warnings(tool):
    need("groff")
    r = run(["groff", "-ww", "-man", "-z", page_path(tool)])
    assert r.returncode == 0 and r.stderr == "", r.stderr


@pytest.mark.parametrize("tool", sorted(TOOLS))
def test_mandoc_lint_is_clean(tool):
    need("mandoc")
    r = run(["mandoc", "-T", "lint", page_path(tool)])
    assert r.returncode == 0 and r.stdout + r.stderr == "", r.stdout + r.stderr
