"""A tool's options as its -h shows them, for the tests that hold the man
pages and the shell completion to them (new options are then demanded
there without a test change)."""
import re

from lib.paths import TOOLS
from lib.proc import run

OPTION_RE = re.compile(r"(?<![\w-])--?[A-Za-z0-9][\w-]*")


class Entry:
    """One entry of -h: its names (-p and --pid; a positional's one name),
    and whether it takes a value (PID, {a,b}) or is a positional."""

    def __init__(self, names, takes_value, positional=False):
        self.names = names
        self.takes_value = takes_value
        self.positional = positional

    def __repr__(self):
        return "Entry(%s)" % sorted(self.names)


def entries(tool):
    """-h's entries, from its sections, not from descriptions or usage."""
    r = run([TOOLS[tool], "-h"])
    assert r.returncode == 0, r.stderr
    found, section = [], None
    for line in r.stdout.splitlines():
        if line and not line[0].isspace():
            section = line
            continue
        if not line.startswith("  ") or line.startswith("   "):
            continue            # a description's continuation line
        entry = re.split(r"\s{2,}", line.strip())[0]
        if section == "positional arguments:":
            found.append(Entry({entry}, True, positional=True))
        elif section == "options:":
            first = entry.split(",")[0].split()
            found.append(Entry(set(OPTION_RE.findall(entry)), len(first) > 1))
    names = [e.names for e in found]
    assert {"-h", "--help"} in names and len(found) > 5, r.stdout
    return found


def options(tool):
    """Every name -h shows: options, short and long, and positionals."""
    return set().union(*(e.names for e in entries(tool)))
