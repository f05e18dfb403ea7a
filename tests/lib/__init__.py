"""Helpers shared by the pytest suites, one module per concern.

  paths     where things are: the checkout, the built tools, the references
  require   skip_or_fail (skip outside CI, fail under CI=true), need(command)
  proc      run(), Background (a tool stopped with a signal), NOBODY
  wait      wait_until(): poll a condition for a bounded time
  memcheck  the sanitizer environment and valgrind command line
  loopback  loopback_traffic(): some IPv4 loopback traffic, unmeasured
  bpf       bpftool, BPF objects loaded or held by a process, map contents
  mounts    argv for a command in a private mount namespace
  netns     Netns: a network namespace with nftables rules
  comm      set_comm/get_comm (prctl PR_SET_NAME) for the traffic clients
  variants  each tool's attach methods and program flag sets
  ebpf_compare  --ebpf programs against bcc's, golden diffs
  argref    argparse replicas of both tools' parsers (also a script)
  tcptop_live      tcptop: run it, parse its output, drive tests/traffic.py
  tcpconnlat_live  tcpconnlat: run it, parse its lines, drive
                   tests/connlat_client.py, nftables rules, its start map

Test files import these as `from lib.proc import run`: tests/ is on
sys.path (pytest puts it there for tests/conftest.py; the traffic clients
run as scripts from tests/).
"""
