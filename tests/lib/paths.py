"""Where things are: this checkout, the built tools, the Python references."""
import os

TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(TESTS)
BUILD = os.environ.get("TOOLS_BUILD", os.path.join(ROOT, "build"))
SAN_BUILD = os.path.join(ROOT, "build-san")      # make SANITIZE=1
TCPTOP = os.path.join(BUILD, "tcptop")
TCPCONNLAT = os.path.join(BUILD, "tcpconnlat")
TOOLS = {"tcptop": TCPTOP, "tcpconnlat": TCPCONNLAT}
GOLDEN = os.path.join(TESTS, "golden")

# The Python interpreter for the reference tools and the traffic clients
# (the system one: it has bcc's python3-bpfcc).
PYTHON = "/usr/bin/python3"
REFERENCE = os.path.join(os.path.dirname(ROOT), "shared", "reference")
# The original tools, as commands.
REFERENCE_ARGV = {"tcptop": [PYTHON, os.path.join(REFERENCE, "tcptop.py")],
                  "tcpconnlat": ["/usr/sbin/tcpconnlat-bpfcc"]}

# The ground-truth clients, run as scripts.
TRAFFIC = os.path.join(TESTS, "traffic.py")
CONNLAT_CLIENT = os.path.join(TESTS, "connlat_client.py")

IN_CI = os.environ.get("CI", "").lower() == "true"
# The running kernel's release (its /lib/modules directory).
KVER = os.uname().release
