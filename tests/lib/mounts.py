"""Commands in a private mount namespace: what they mount or unmount
there (to hide headers, BTF or tracefs from a tool, or to lend it other
headers) dies with them and is never seen outside."""


def in_private_mounts(setup, argv):
    """argv, run after the shell commands setup (set -e: each must succeed)
    in a new mount namespace with private propagation. argv reaches the
    shell as its arguments, so it needs no quoting."""
    script = "; ".join(list(setup) + ['exec "$@"'])
    return ["unshare", "--mount", "--propagation", "private", "sh", "-ec",
            script, "sh"] + list(argv)
