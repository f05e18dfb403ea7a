"""Memory checks shared by both tools: the sanitizer build's environment
(the build itself is conftest's san_build fixture) and valgrind."""
import os

from lib.paths import TESTS

SAN_ENV = dict(os.environ, ASAN_OPTIONS="detect_leaks=1:abort_on_error=0",
               UBSAN_OPTIONS="print_stacktrace=1")


def assert_sanitizers_clean(err):
    for report in ("AddressSanitizer", "runtime error", "LeakSanitizer"):
        assert report not in err, err


def valgrind(argv):
    """argv under valgrind: any error or definite leak makes it exit 9.
    The suppressions cover only libbpf's bpf() wrapper (see the file).
    The compiler child (runtime/compile.c) is libbcc's and LLVM's, killed
    with its module alive: it is silent (its exit-time report filled the
    stderr pipe nobody drains while the tool runs)."""
    return ["valgrind", "-q", "--error-exitcode=9", "--child-silent-after-fork=yes",
            "--suppressions=" + os.path.join(TESTS, "valgrind.supp"),
            "--leak-check=full", "--errors-for-leak-kinds=definite"] + argv
