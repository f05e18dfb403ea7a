#!/bin/bash
# tests/vm/check.sh: `make vm-check`. Boots Debian's 6.1 and 6.12 kernels
# (scripts/setup.sh installs them with their headers) under qemu with this
# tree visible (tests/vm/run.sh) and runs, inside each, the live suites for
# every attach method that kernel offers, plus the kprobe --ebpf parity and
# verifier tests. Each kernel's pytest summary and logs come back in
# build/vm/<kernel>/. Fails when a VM fails to boot or any test fails.
#
# Which methods each kernel offers, and what auto must pick there:
#   6.1   tcptop:     kprobe, fentry (no sock:sock_send_length); auto fentry
#         tcpconnlat: tracepoint, kprobe, fentry; auto tracepoint
#   6.12  both:       tracepoint, kprobe, fentry; auto tracepoint
# VM_KERNELS="6.1 6.12" selects kernels; VM_TESTS, a pytest -k expression,
# selects tests (e.g. VM_TESTS="guest_tcptop and kprobe").
set -u
cd "$(dirname "$0")/../.."
TIMEOUT=${VM_TIMEOUT:-1500}

tcptop_methods() { case $1 in 6.1) echo "kprobe fentry" ;; *) echo "tracepoint kprobe fentry" ;; esac; }
tcptop_auto() { case $1 in 6.1) echo fentry ;; *) echo tracepoint ;; esac; }

# The host-side tests that matter on every kernel: kprobe --ebpf parity with
# bcc, and the verifier on the one kprobe variant the live suites do not
# load (tcptop with both container maps); each compile costs a minute.
EXTRA=(
	tests/test_tcptop_ebpf.py::test_kprobe_program_is_bccs_but_for_fixes
	"tests/test_verifier.py::test_variant[tcptop-kprobe-load-flags7]"
	"tests/test_tcpconnlat_ebpf.py::test_ebpf_kprobe_is_bccs_program[-None]"
	"tests/test_tcpconnlat_ebpf.py::test_ebpf_kprobe_is_bccs_program[-t -L-0]"
	tests/test_kernel_headers.py::test_btf_methods_include_no_kernel_header
)

fail=0
summary=()
for series in ${VM_KERNELS:-6.1 6.12}; do
	kver=$(cd /boot && ls vmlinuz-"$series".*-amd64 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -n 1)
	if [ -z "$kver" ] || [ ! -d "/lib/modules/$kver/build/include" ]; then
		echo "vm-check: no Debian $series kernel with headers installed (scripts/setup.sh)" >&2
		fail=1
		summary+=("$series: NOT INSTALLED")
		continue
	fi
	res=build/vm/$kver
	echo "vm-check: $kver: tcptop $(tcptop_methods "$series") (auto: $(tcptop_auto "$series")), tcpconnlat tracepoint kprobe fentry (auto: tracepoint)" >&2
	tests/vm/run.sh "$kver" "$res" "$TIMEOUT" -- \
		env CI="${CI:-}" \
		VM_TCPTOP_METHODS="$(tcptop_methods "$series")" VM_TCPTOP_AUTO="$(tcptop_auto "$series")" \
		VM_TCPCONNLAT_METHODS="tracepoint kprobe fentry" VM_TCPCONNLAT_AUTO=tracepoint \
		/usr/bin/python3 -m pytest -v -rfEs -p no:cacheprovider \
		--junitxml="/mnt/vmresults/junit.xml" ${VM_TESTS:+-k "$VM_TESTS"} \
		tests/vm/guest_tcptop.py tests/vm/guest_tcpconnlat.py "${EXTRA[@]}"
	rc=$?
	last=$(grep -E '^(=+ )?[0-9]+ (passed|failed)|(passed|failed|error).* in [0-9.]+s' "$res/output.log" 2>/dev/null | tail -n 1)
	summary+=("$kver: exit $rc: ${last:-no pytest summary (see $res/console.log)}")
	[ "$rc" = 0 ] || fail=1
done
echo "vm-check summary:" >&2
printf '  %s\n' "${summary[@]}" >&2
exit $fail
