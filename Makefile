# Makefile for tcptop and tcpconnlat (C, on libbcc).
#   make              build build/tcptop and build/tcpconnlat
#   make check        unit tests + all tests (live BPF tests need root)
#   make install      PREFIX=/usr/local DESTDIR= (tools, man pages, completion)
#   make uninstall    remove what make install put down
#   make deb-check    build, lint, install, use and purge the .deb
#   make SANITIZE=1   build with AddressSanitizer/UBSan
#   make V=1          show commands

# A tool is tools/<tool>.c, its BPF text in bpf_text/<tool>/, and what it
# lists in <tool>_OBJS (more of its own objects from tools/).
TOOLS = \
	tcptop \
	tcpconnlat
tcptop_OBJS = tcptop_report tcptop_start tcptop_ccache

# The shared runtime (runtime/), linked into every tool and unit test, with
# the fragments of bpf_text/shared/.
RUNTIME = args argval bccprog btf_off comm compile containers events fdio host image \
	json kcompat method msg progcache progtext text tool shared_text

# The tools' version: part of the program cache's key (runtime/progcache.c).
VERSION = 0.9.0
PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/sbin
MANDIR = $(PREFIX)/share/man/man8
COMPLETIONDIR = $(PREFIX)/share/bash-completion/completions
DOCDIR = $(PREFIX)/share/doc/tcptools
OUT = build
OBJ = $(OUT)/obj
GEN = $(OUT)/gen

CC ?= cc
PKG_CONFIG ?= pkg-config
BCC_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbcc 2>/dev/null)
# Only libbcc_bpf (maps, loads, attaches, perf buffers): the compile
# dlopen()s libbcc, with LLVM and clang, in a short-lived child (compile.c).
BCC_LIBS := -lbcc_bpf -ldl
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Iruntime -Itools -I$(GEN) \
	  $(BCC_CFLAGS) -D_GNU_SOURCE -DTOOLS_VERSION='"$(VERSION)"' -MMD -MP
LDLIBS += $(BCC_LIBS) -lbpf -lm
ifeq ($(SANITIZE),1)
CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
OUT = build-san
endif
CFLAGS += $(EXTRA_CFLAGS)
LDFLAGS += $(EXTRA_LDFLAGS)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

RUNTIME_OBJS = $(patsubst %,$(OBJ)/%.o,$(RUNTIME))
UNIT_TESTS = $(patsubst tests/unit/%.c,$(OUT)/unit/%,$(wildcard tests/unit/*.c))
# A unit test of a tool's own code links that code.
test_report_OBJS = tcptop_report
test_start_OBJS = tcptop_start

.PHONY: all clean install uninstall check unit-test test bench vm-check deb-check fuzz fuzz-smoke
# Objects and generated text are intermediates of pattern rules: keep them,
# or every make rebuilds everything.
.SECONDARY:
all: $(patsubst %,$(OUT)/%,$(TOOLS))

.SECONDEXPANSION:
$(OUT)/%: $(OBJ)/%.o $(OBJ)/%_text.o $$(addprefix $(OBJ)/,$$(addsuffix .o,$$($$*_OBJS))) \
	  $(RUNTIME_OBJS) | $(OUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OBJ)/%.o: tools/%.c | $(OBJ)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(OBJ)/%.o: runtime/%.c | $(OBJ)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# bpf_text/<dir>/*.bpf.c -> strings bpf_<dir>_<file> in <dir>_text.[ch].
$(GEN)/%_text.c $(GEN)/%_text.h: $$(wildcard bpf_text/$$*/*.bpf.c) scripts/embed.sh | $(GEN)
	$(call msg,EMBED,$@)
	$(Q)scripts/embed.sh $* $(GEN) $(filter %.bpf.c,$^)

$(OBJ)/%_text.o: $(GEN)/%_text.c | $(OBJ)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Tools and the runtime include the generated declarations.
$(patsubst %,$(OBJ)/%.o,$(TOOLS)): $(OBJ)/%.o: $(GEN)/%_text.h
$(patsubst %,$(OBJ)/%.o,$(RUNTIME)): $(GEN)/shared_text.h

$(OUT)/unit/%: tests/unit/%.c tests/unit/unit.h \
	       $$(addprefix $(OBJ)/,$$(addsuffix .o,$$($$*_OBJS))) $(RUNTIME_OBJS) | $(OUT)/unit
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) $(filter %.c %.o,$^) $(LDLIBS) -o $@

$(OUT) $(OBJ) $(GEN) $(OUT)/unit:
	$(Q)mkdir -p $@

# A program cache of their own (runtime/progcache.h), not /var/cache's.
unit-test: $(UNIT_TESTS)
	$(Q)set -e; c=$$(mktemp -d); trap 'rm -rf "$$c"' EXIT; \
	for t in $(UNIT_TESTS); do TCPTOOLS_CACHE_DIR=$$c/cache $$t; done

# The README's test command. Live BPF tests need root; under CI=true they
# must run (a live test that cannot run fails instead of skipping).
check: all unit-test fuzz-smoke
	$(Q)/usr/bin/python3 -m pytest -q tests $(PYTEST_ARGS)

test: check

# The live suites inside Debian's 6.1 and 6.12 kernels under qemu, every
# attach method each offers (tests/vm/check.sh; about 25 minutes under TCG).
vm-check: all
	$(Q)tests/vm/check.sh

# Build the Debian package (debian/), lint it, install it, use it, purge it
# (scripts/deb-check.sh; a minute or two, as root).
deb-check:
	$(Q)scripts/deb-check.sh

bench: all
	$(Q)bench/run.sh

# Each tool: its binary, man/<tool>.8, doc/<tool>_example.txt, and its
# bash completion, one script for all tools (completion/tcptools.bash) under
# the first tool's name with a link for each other, as bash-completion loads
# a command's own file. uninstall removes exactly these.
install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(COMPLETIONDIR) \
		$(DESTDIR)$(DOCDIR)
	$(foreach t,$(TOOLS),install -m 0755 $(OUT)/$(t) $(DESTDIR)$(BINDIR)/$(t);)
	$(foreach t,$(TOOLS),install -m 0644 man/$(t).8 $(DESTDIR)$(MANDIR)/$(t).8;)
	$(foreach t,$(TOOLS),install -m 0644 doc/$(t)_example.txt $(DESTDIR)$(DOCDIR)/;)
	install -m 0644 completion/tcptools.bash $(DESTDIR)$(COMPLETIONDIR)/$(firstword $(TOOLS))
	$(foreach t,$(wordlist 2,$(words $(TOOLS)),$(TOOLS)),\
		ln -sf $(firstword $(TOOLS)) $(DESTDIR)$(COMPLETIONDIR)/$(t);)

uninstall:
	$(foreach t,$(TOOLS),rm -f $(DESTDIR)$(BINDIR)/$(t) $(DESTDIR)$(MANDIR)/$(t).8 \
		$(DESTDIR)$(COMPLETIONDIR)/$(t) $(DESTDIR)$(DOCDIR)/$(t)_example.txt;)
	rmdir $(DESTDIR)$(DOCDIR) 2>/dev/null || true

clean:
	rm -rf build build-san tests/__pycache__ tests/lib/__pycache__ \
		tests/vm/__pycache__ .pytest_cache

-include $(wildcard $(OBJ)/*.d $(OUT)/unit/*.d)

# ---- fuzzing ----------------------------------------------------------------
# libFuzzer targets fuzz/<target>.c under ASan/UBSan (Debian's clang), built
# into build-fuzz/ with the runtime sources they test. Inputs it finds go to
# build-fuzz/corpus/<target>/; fuzz/corpus/<target>/ holds the seeds and
# every input that once crashed (regression tests).
#   make fuzz         each target for FUZZ_SECONDS (default 300) seconds
#   make fuzz-smoke   replay fuzz/corpus/, then each target for
#                     FUZZ_SMOKE_SECONDS (default 15) seconds
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_OUT = build-fuzz
FUZZ_TARGETS = fuzz_args fuzz_comm
fuzz_args_SRCS = runtime/args.c runtime/argval.c runtime/text.c
fuzz_comm_SRCS = runtime/comm.c
FUZZ_CFLAGS = -g -O1 -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter \
	      -D_GNU_SOURCE -Iruntime -fno-omit-frame-pointer \
	      -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_BINS = $(patsubst %,$(FUZZ_OUT)/%,$(FUZZ_TARGETS))
# run TARGET ARGS...: its log in build-fuzz/TARGET.log, shown if it fails
fuzz_run = $(FUZZ_OUT)/$(1) $(2) >$(FUZZ_OUT)/$(1).log 2>&1 || \
	   { tail -40 $(FUZZ_OUT)/$(1).log; exit 1; }; tail -1 $(FUZZ_OUT)/$(1).log
# fuzz TARGET SECONDS, from the seeds and earlier finds
fuzz_for = mkdir -p $(FUZZ_OUT)/corpus/$(1) && $(call fuzz_run,$(1),\
	   -max_total_time=$(2) -artifact_prefix=$(FUZZ_OUT)/$(1)- \
	   $(FUZZ_OUT)/corpus/$(1) fuzz/corpus/$(1))

$(FUZZ_OUT)/%: fuzz/%.c $$($$*_SRCS) runtime/args.h runtime/comm.h runtime/text.h
	@mkdir -p $(FUZZ_OUT)
	$(call msg,FUZZCC,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(filter %.c,$^) -o $@

fuzz: $(FUZZ_BINS)
	$(Q)set -e; $(foreach t,$(FUZZ_TARGETS),$(call fuzz_for,$(t),$(FUZZ_SECONDS));)

fuzz-smoke: $(FUZZ_BINS)
	$(Q)set -e; $(foreach t,$(FUZZ_TARGETS),$(call fuzz_run,$(t),-runs=0 fuzz/corpus/$(t));)
	$(Q)set -e; $(foreach t,$(FUZZ_TARGETS),$(call fuzz_for,$(t),$(FUZZ_SMOKE_SECONDS));)

# make clean removes build-fuzz/ too
clean: fuzz-clean
fuzz-clean:
	rm -rf $(FUZZ_OUT)
