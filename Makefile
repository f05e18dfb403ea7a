# Makefile for tcptop and tcpconnlat (C, on libbcc).
#   make              build build/tcptop and build/tcpconnlat
#   make check        unit tests + all tests (live BPF tests need root)
#   make install      PREFIX=/usr/local DESTDIR=
#   make SANITIZE=1   build with AddressSanitizer/UBSan
#   make V=1          show commands

TOOLS = \
	tcptop \
	tcpconnlat

# Linked into every tool and unit test.
COMMON = bccprog args btf_off kcompat text tool tcptop_report

PREFIX ?= /usr/local
DESTDIR ?=
BINDIR = $(PREFIX)/sbin
OUT = build
OBJ = $(OUT)/obj
GEN = $(OUT)/gen

CC ?= cc
PKG_CONFIG ?= pkg-config
BCC_CFLAGS := $(shell $(PKG_CONFIG) --cflags libbcc 2>/dev/null)
BCC_LIBS := $(shell $(PKG_CONFIG) --libs libbcc 2>/dev/null || echo -lbcc)
CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -Wall -Wextra -Werror -Wno-unused-parameter -Itools -I$(GEN) \
	  $(BCC_CFLAGS) -D_GNU_SOURCE -MMD -MP
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

COMMON_OBJS = $(patsubst %,$(OBJ)/%.o,$(COMMON))
UNIT_TESTS = $(patsubst tests/unit/%.c,$(OUT)/unit/%,$(wildcard tests/unit/*.c))

.PHONY: all clean install uninstall check unit-test test bench vm-check
# Objects and generated text are intermediates of pattern rules: keep them,
# or every make rebuilds everything.
.SECONDARY:
all: $(patsubst %,$(OUT)/%,$(TOOLS))

$(OUT)/%: $(OBJ)/%.o $(OBJ)/%_text.o $(COMMON_OBJS) | $(OUT)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(OBJ)/%.o: tools/%.c | $(OBJ)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Each tool embeds every bpf_text/<tool>_*.bpf.c and bpf_text/shared_*.bpf.c.
.SECONDEXPANSION:
$(GEN)/%_text.c: $$(wildcard bpf_text/$$*_*.bpf.c bpf_text/shared_*.bpf.c) scripts/embed.sh | $(GEN)
	$(call msg,EMBED,$@)
	$(Q)scripts/embed.sh $@ $(filter %.bpf.c,$^)

$(OBJ)/%_text.o: $(GEN)/%_text.c | $(OBJ)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

# Tool objects include the generated text declarations.
$(patsubst %,$(OBJ)/%.o,$(TOOLS)): $(OBJ)/%.o: $(GEN)/%_text.c

$(OUT)/unit/%: tests/unit/%.c tests/unit/unit.h $(COMMON_OBJS) | $(OUT)/unit
	$(call msg,LINK,$@)
	$(Q)$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) $(filter %.c %.o,$^) $(LDLIBS) -o $@

$(OUT) $(OBJ) $(GEN) $(OUT)/unit:
	$(Q)mkdir -p $@

unit-test: $(UNIT_TESTS)
	$(Q)set -e; for t in $(UNIT_TESTS); do $$t; done

# The README's test command. Live BPF tests need root; under CI=true they
# must run (a live test that cannot run fails instead of skipping).
check: all unit-test
	$(Q)/usr/bin/python3 -m pytest -q tests $(PYTEST_ARGS)

test: check

# The live suites inside Debian's 6.1 and 6.12 kernels under qemu, every
# attach method each offers (tests/vm/check.sh; about 25 minutes under TCG).
vm-check: all
	$(Q)tests/vm/check.sh

bench: all
	$(Q)bench/run.sh

install: all
	install -d $(DESTDIR)$(BINDIR)
	$(foreach t,$(TOOLS),install -m 0755 $(OUT)/$(t) $(DESTDIR)$(BINDIR)/$(t);)

uninstall:
	$(foreach t,$(TOOLS),rm -f $(DESTDIR)$(BINDIR)/$(t);)

clean:
	rm -rf build build-san tests/__pycache__ .pytest_cache

-include $(wildcard $(OBJ)/*.d $(OUT)/unit/*.d)
