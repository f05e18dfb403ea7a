#!/bin/sh
# tcptop overhead benchmark: `make bench` (needs root; about 1.5 minutes).
# Builds the loopback load generator bench/loadgen.c into build/bench/, then
# runs bench/bench.py, which prints one table: workload throughput with and
# without build/tcptop attached, and tcptop's own CPU time and peak memory,
# and (section E, bench/progcost.py) the in-kernel ns per traced call.
# Not a test: it asserts nothing about timing.
set -eu
cd "$(dirname "$0")/.."

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: must be run as root (tcptop loads BPF programs): sudo make bench" >&2
	exit 1
fi
if [ ! -x build/tcptop ]; then
	echo "bench: build/tcptop not built (run make bench, or make first)" >&2
	exit 1
fi

mkdir -p build/bench
if [ ! -x build/bench/loadgen ] || [ bench/loadgen.c -nt build/bench/loadgen ]; then
	${CC:-cc} -O2 -g -std=gnu11 -Wall -Wextra -Werror -pthread \
		bench/loadgen.c -o build/bench/loadgen
fi
exec /usr/bin/python3 bench/bench.py
