"""Network namespaces for live traffic: loopback up, nftables rules of
their own, deleted on close() (with their rules) even when a test fails."""
import itertools
import os
import subprocess

from lib.require import need

_names = itertools.count()


class Netns:
    """A network namespace with its loopback up; deleted on close()."""

    def __init__(self):
        need("ip")
        need("nft")
        self.name = "connlat%d_%d" % (os.getpid(), next(_names))
        subprocess.run(["ip", "netns", "add", self.name], check=True)
        try:
            subprocess.run(["ip", "-n", self.name, "link", "set", "lo", "up"],
                           check=True)
        except Exception:
            self.close()
            raise

    def argv(self, argv):
        return ["ip", "netns", "exec", self.name] + list(argv)

    def nft(self, ruleset):
        subprocess.run(self.argv(["nft", "-f", "-"]), input=ruleset,
                       text=True, check=True)

    def close(self):
        subprocess.run(["ip", "netns", "del", self.name],
                       stderr=subprocess.DEVNULL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
