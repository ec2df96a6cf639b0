# tiu - TCP-in-UDP datapath. Non-recursive: every output goes to $(BUILD).
#   make            build the BPF objects, skeletons, the `tiu` loader, tests, benchmarks
#   make test       run every test (root for the BPF and namespace tests), TAP through prove
#   make demo       the end-to-end demonstration (root)
#   make deps       install the Debian packages needed to build and test (root)
#   make static [CROSS=TRIPLET]  one static `tiu` for this or another CPU; make cross: all
#   make test-cross the static binaries of every CPU, checked (root; installs CROSS_PKGS)
#   make V=1        show full commands
.DELETE_ON_ERROR:
.SUFFIXES:

BUILD    ?= build
# The version `tiu --version` and the Debian package carry.
VERSION  := 0.2.0
PREFIX   ?= /usr/local
DESTDIR  ?=
SBINDIR  ?= $(PREFIX)/sbin
BPFDIR   ?= $(PREFIX)/lib/bpf
UNITDIR  ?= $(PREFIX)/lib/systemd/system
UDEVDIR  ?= $(PREFIX)/lib/udev/rules.d
DOCDIR   ?= $(PREFIX)/share/doc/tiu
MANDIR   ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# The unit reads /etc/tiu/IFACE.conf whatever PREFIX is.
CONFDIR  ?= /etc/tiu

CLANG    ?= clang
BPFTOOL  ?= bpftool
CC       ?= cc

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

ARCH_INC := /usr/include/$(shell $(CC) -dumpmachine)
# The BPF objects' byte order is the loader's target's, as its compiler says
# (__BYTE_ORDER__ of $(CC)), or BPF_TARGET=bpfel|bpfeb. The programs use no
# __TARGET_ARCH_* (no PT_REGS: they read packets, not registers), and the
# build host's <asm/*.h> give only types: tiu reads no kernel-header
# bitfield (docs/DESIGN.md, "Byte order").
bpf_target_of = $(if $(shell echo | $(1) -dM -E - 2>/dev/null | grep '__BYTE_ORDER__ __ORDER_BIG_ENDIAN__'),bpfeb,bpfel)
ifeq ($(origin BPF_TARGET),undefined)
BPF_TARGET := $(call bpf_target_of,$(CC))
endif
BPF_CFLAGS := -O2 -g -target $(BPF_TARGET) -Wall -Werror \
	-Iheaders -I$(ARCH_INC)
USER_CFLAGS := -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Wno-missing-field-initializers \
	-Iheaders -I$(BUILD) -D_GNU_SOURCE
USER_LIBS := -lbpf -lelf -lz
LOADER_LIBS := -lxdp -lbpf -lelf -lz -lmnl

HEADERS := $(wildcard headers/*.h)

# BPF objects: the XDP object holds XDP programs only (libxdp's single-program
# fallback loads every program of the object it is given as XDP). The TC object
# is built twice: with the bpf_cast_to_kern_ctx kfunc (reads ip_summed) and
# without it, for kernels that lack the kfunc (Debian 6.1). The sock_ops
# object (keepalive for tunnelled connections) lives next to the TC programs.
BPF_OBJS := $(BUILD)/tiu_xdp.bpf.o $(BUILD)/tiu_tc.bpf.o $(BUILD)/tiu_tc_compat.bpf.o \
	$(BUILD)/tiu_sockops.bpf.o
SKELS    := $(BPF_OBJS:.bpf.o=.skel.h)

# The loader in three layers, each calling only the ones below it:
# loader/cmd/ (the commands) -> loader/state/ (pins, maps, endpoints) ->
# loader/sys/ (kernel and library adapters); one header each.
LOADER_SRCS := $(wildcard loader/cmd/*.c loader/state/*.c loader/sys/*.c)
LOADER_HDRS := $(wildcard loader/*/*.h)
LOADER  := $(BUILD)/tiu
# The same loader with the test hooks compiled in (TIU_TEST_HOOKS: the crash
# points of `up` and `endpoint`, TIU_TEST_CRASH_AT): the tests that kill tiu
# halfway run this one; build/tiu, which `make install` and the package
# ship, has none of it.
LOADER_TEST := $(BUILD)/test/tiu

# BPF programs the tests load next to tiu's (tests/bpf/*.bpf.c) and the VM
# lane's counting and netkit probe programs, with the same flags as tiu's objects.
TEST_BPF_OBJS := $(patsubst tests/bpf/%.bpf.c,$(BUILD)/tests/%.bpf.o,$(wildcard tests/bpf/*.bpf.c)) \
	$(BUILD)/vm/xdp_count.bpf.o $(BUILD)/vm/netkit_probe.bpf.o
# The VM lane's netkit tool: makes a netkit pair through rtnetlink and
# attaches a program to it (iproute2 6.1 and libbpf 1.1 cannot).
VM_BINS := $(BUILD)/vm/netkit_probe

# Programs the shell tests run (tests/tools/*.c: not tests themselves, e.g.
# the tun forwarder and middlebox of tests/l3.t), linked with tests/lib/pkt.c.
TEST_TOOLS := $(patsubst tests/tools/%.c,$(BUILD)/tests/tools/%,$(wildcard tests/tools/*.c))
# libraries a tool links besides (realskb: libbpf, for its probe program)
TOOL_LIBS_realskb := $(USER_LIBS)

# C test programs (TAP): tests/*.c, one binary each.
TEST_SRCS := $(wildcard tests/*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
# The tests link the loader's kernel probes (one answer for both).
TEST_LIB_SRCS := $(wildcard tests/lib/*.c) loader/sys/probe.c loader/sys/elem.c loader/sys/epgen.c \
	loader/sys/align.c
# Loader sources a C test links besides its own (tests/test_NAME.c: the
# loader's pure parts, which stub tiu_fail themselves)
TEST_UNDER_TEST_test_epspec := loader/state/epspec.c
TEST_UNDER_TEST_test_counters := loader/cmd/counters.c
# Shell tests (TAP): tests/*.t
TEST_SCRIPTS := $(sort $(wildcard tests/*.t))

# libFuzzer targets (tests/libfuzzer/fuzz_NAME.c, run by tests/libfuzzer.t):
# clang with the fuzzer and sanitizers, otherwise the flags of the tests.
# -fno-sanitize=alignment: the parsers read IP/TCP headers at the offsets the
# frame gives them (IPv4 at 14 mod 4 = 2), as the kernel does on x86
# (NET_IP_ALIGN 0) and as BPF allows; not a defect of the code under test.
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	-fno-sanitize=alignment $(filter-out -O2 -g,$(USER_CFLAGS)) -Itests/lib -Iloader
FUZZ_BINS := $(patsubst tests/libfuzzer/%.c,$(BUILD)/libfuzzer/%,$(wildcard tests/libfuzzer/fuzz_*.c))
# the code each target fuzzes
FUZZ_UNDER_TEST_fuzz_hdrs := tests/lib/pkt.c
FUZZ_UNDER_TEST_fuzz_loader_cli := loader/cmd/cli.c loader/state/epspec.c
# writes the seed corpus of fuzz_hdrs (tests/libfuzzer/corpus/hdrs)
FUZZ_TOOLS := $(BUILD)/libfuzzer/mkseeds

BENCH_SRCS := $(wildcard bench/*.c)
BENCH_BINS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

DEPS_PKGS := clang llvm gcc make libc6-dev pkg-config libbpf-dev libxdp-dev xdp-tools \
	bpftool libelf-dev zlib1g-dev libmnl-dev iproute2 ethtool nftables tcpdump iperf3 \
	perl python3 libclang-rt-dev conntrack debhelper dpkg-dev busybox-static systemd \
	groff-base lintian strace
VM_PKGS := qemu-system-x86 busybox-static wireguard-tools systemd udev qemu-system-arm qemu-system-misc \
	qemu-system-mips
# make cross / test-cross: the cross compilers with their C libraries (the
# 32-bit x86 one checks -m32 builds: gcc-multilib conflicts with them all),
# qemu's user-mode emulators for tests/cross.t, llvm-readelf and file.
CROSS_PKGS := gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf \
	libc6-dev-armhf-cross gcc-mipsel-linux-gnu libc6-dev-mipsel-cross gcc-mips-linux-gnu \
	libc6-dev-mips-cross gcc-s390x-linux-gnu libc6-dev-s390x-cross gcc-i686-linux-gnu \
	libc6-dev-i386-cross qemu-user-static file llvm dpkg-dev debian-archive-keyring

.PHONY: all test test-unit test-vm demo deps deps-check clean install uninstall deb bench bench-quick bench-reconnect soak \
	static static-cc static-tests cross cross-deps test-cross mutants

all: $(BPF_OBJS) $(SKELS) $(LOADER) $(LOADER_TEST) $(TEST_BINS) $(TEST_BPF_OBJS) $(TEST_TOOLS) $(FUZZ_BINS) \
	$(FUZZ_TOOLS) $(BENCH_BINS) $(VM_BINS)

$(BUILD) $(BUILD)/test $(BUILD)/tests $(BUILD)/tests/tools $(BUILD)/bench $(BUILD)/vm $(BUILD)/libfuzzer:
	$(Q)mkdir -p $@

$(BUILD)/tiu_xdp.bpf.o: xdp/tiu_xdp.bpf.c $(HEADERS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tiu_tc.bpf.o: tc/tiu_tc.bpf.c $(HEADERS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tiu_tc_compat.bpf.o: tc/tiu_tc.bpf.c $(HEADERS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -DTIU_NO_KFUNC -c $< -o $@

$(BUILD)/tiu_sockops.bpf.o: cgroup/tiu_sockops.bpf.c $(HEADERS) | $(BUILD)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/tests/%.bpf.o: tests/bpf/%.bpf.c | $(BUILD)/tests
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/vm/%.bpf.o: tests/vm/%.bpf.c | $(BUILD)/vm
	$(call msg,BPF,$@)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/vm/netkit_probe: tests/vm/netkit_probe.c | $(BUILD)/vm
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) $< -o $@ -lmnl $(USER_LIBS)

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@

$(LOADER): $(LOADER_SRCS) $(LOADER_HDRS) $(HEADERS) $(SKELS) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -DTIU_VERSION='"$(VERSION)"' $(LOADER_SRCS) -o $@ $(LOADER_LIBS)

$(LOADER_TEST): $(LOADER_SRCS) $(LOADER_HDRS) $(HEADERS) $(SKELS) | $(BUILD)/test
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -DTIU_TEST_HOOKS -DTIU_VERSION='"$(VERSION)"' $(LOADER_SRCS) -o $@ $(LOADER_LIBS)

# A test in parts: tests/test_NAME.c links tests/NAME/*.c (e.g. the packet
# fuzzer: tests/test_pktfuzz.c + tests/pktfuzz/).
test_parts = $(wildcard tests/$(patsubst test_%,%,$(1))/*.$(2))
.SECONDEXPANSION:
$(BUILD)/tests/%: tests/%.c $$(call test_parts,$$*,c) $$(call test_parts,$$*,h) $$(TEST_UNDER_TEST_$$*) \
		$(TEST_LIB_SRCS) $(wildcard tests/lib/*.h) $(LOADER_HDRS) $(HEADERS) $(SKELS) | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/lib -Iloader $< $(call test_parts,$*,c) $(TEST_UNDER_TEST_$*) $(TEST_LIB_SRCS) -o $@ $(USER_LIBS) -lm

$(BUILD)/libfuzzer/fuzz_%: tests/libfuzzer/fuzz_%.c $$(FUZZ_UNDER_TEST_fuzz_$$*) $(HEADERS) \
		$(wildcard tests/lib/*.h tests/libfuzzer/*.h) $(LOADER_HDRS) | $(BUILD)/libfuzzer
	$(call msg,FUZZ,$@)
	$(Q)$(CLANG) $(FUZZ_CFLAGS) $< $(FUZZ_UNDER_TEST_fuzz_$*) -o $@

$(BUILD)/libfuzzer/mkseeds: tests/libfuzzer/mkseeds.c tests/lib/pkt.c tests/lib/pkt.h | $(BUILD)/libfuzzer
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/lib $< tests/lib/pkt.c -o $@

$(BUILD)/tests/tools/%: tests/tools/%.c tests/lib/pkt.c tests/lib/pkt.h | $(BUILD)/tests/tools
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/lib $< tests/lib/pkt.c -o $@ $(TOOL_LIBS_$*)

$(BUILD)/bench/%: bench/%.c $(TEST_LIB_SRCS) $(wildcard tests/lib/*.h) $(HEADERS) $(SKELS) | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(USER_CFLAGS) -Itests/lib -Iloader $< $(TEST_LIB_SRCS) -o $@ $(USER_LIBS) -lm

# ---------------------------------------------------------------------------
# Static and cross builds: one file for a router.
#   make static                        this machine's CPU
#   make static CROSS=aarch64-linux-gnu  another CPU ($(CROSS)-gcc)
#   make cross                         every CPU of CROSS_TARGETS
# The result, $(BUILD)/static/TRIPLET/tiu, is statically linked and stripped,
# with the BPF objects of the target's byte order embedded (the unstripped
# file is tiu.debug). The libraries are the static ones of Debian's own
# packages of that architecture: installed ones for this machine's, for
# another one fetched once into $(BUILD)/sysroot/ARCH (scripts/sysroot.sh;
# the machine's apt sources and dpkg architectures stay as they are).
# libmnl-dev ships no libmnl.a: loader/static/mnl.c stands in for it.
# ---------------------------------------------------------------------------
CROSS_TARGETS := x86_64-linux-gnu i686-linux-gnu aarch64-linux-gnu arm-linux-gnueabihf mipsel-linux-gnu \
	s390x-linux-gnu
# Compiled warning-free, not linked: Debian has no userland (no libbpf,
# libxdp, libelf, zlib) for 32-bit big-endian MIPS since Debian 11. Its
# headers are those of the mipsel packages (the same files).
CROSS_COMPILE_ONLY := mips-linux-gnu
CROSS_HEADERS_mips-linux-gnu := mipsel

HOST_TRIPLET := $(shell $(CC) -dumpmachine)
STATIC_TRIPLET := $(or $(CROSS),$(HOST_TRIPLET))
STATIC_CC := $(if $(CROSS),$(CROSS)-gcc,$(CC))
STATIC_STRIP := $(if $(CROSS),$(CROSS)-strip,strip)
STATIC_DIR := $(BUILD)/static/$(STATIC_TRIPLET)
STATIC_NATIVE := $(filter $(HOST_TRIPLET),$(STATIC_TRIPLET))
STATIC_LINK := $(if $(filter $(CROSS_COMPILE_ONLY),$(STATIC_TRIPLET)),,1)
deb_arch_of = $(shell dpkg-architecture -t$(1) -qDEB_HOST_ARCH 2>/dev/null)
STATIC_DEB_ARCH = $(or $(CROSS_HEADERS_$(STATIC_TRIPLET)),$(call deb_arch_of,$(STATIC_TRIPLET)))
STATIC_SYSROOT = $(if $(STATIC_NATIVE),,$(BUILD)/sysroot/$(STATIC_DEB_ARCH))
STATIC_SYSROOT_STAMP = $(if $(STATIC_SYSROOT),$(STATIC_SYSROOT)/.complete)
STATIC_CFLAGS = -I$(STATIC_DIR) $(USER_CFLAGS) -DTIU_VERSION='"$(VERSION)"' \
	$(if $(STATIC_SYSROOT),-isystem $(STATIC_SYSROOT)/usr/include)
STATIC_MULTIARCH = $(shell dpkg-architecture -t$(STATIC_TRIPLET) -qDEB_HOST_MULTIARCH 2>/dev/null)
STATIC_LDFLAGS = -static $(if $(STATIC_SYSROOT),-L$(STATIC_SYSROOT)/usr/lib/$(STATIC_MULTIARCH))
STATIC_BPF_TARGET = $(call bpf_target_of,$(STATIC_CC))
STATIC_BPF_OBJS := $(patsubst $(BUILD)/%,$(STATIC_DIR)/%,$(BPF_OBJS))
STATIC_SKELS := $(STATIC_BPF_OBJS:.bpf.o=.skel.h)
STATIC_SRCS := $(LOADER_SRCS) loader/static/mnl.c
static_src_tiu_xdp := xdp/tiu_xdp.bpf.c
static_src_tiu_tc := tc/tiu_tc.bpf.c
static_src_tiu_tc_compat := tc/tiu_tc.bpf.c
static_def_tiu_tc_compat := -DTIU_NO_KFUNC
static_src_tiu_sockops := cgroup/tiu_sockops.bpf.c

.SECONDARY: $(STATIC_BPF_OBJS) $(STATIC_SKELS)

static: static-cc $(if $(STATIC_LINK),$(STATIC_DIR)/tiu,$(STATIC_DIR)/compiled)

static-cc:
	$(Q)command -v $(STATIC_CC) >/dev/null || { echo "make static: $(STATIC_CC) not found: install the cross compilers (sudo make cross-deps)" >&2; exit 1; }

$(STATIC_DIR):
	$(Q)mkdir -p $@

$(STATIC_DIR)/%.bpf.o: $$(static_src_$$*) $(HEADERS) | $(STATIC_DIR)
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -O2 -g -target $(STATIC_BPF_TARGET) -Wall -Werror -Iheaders -I$(ARCH_INC) \
		$(static_def_$*) -c $< -o $@

# The skeleton of the build host's object with the target's bytes: the same
# maps, variables and programs (scripts/bpf-layout.sh) or no skeleton.
$(STATIC_DIR)/%.skel.h: $(STATIC_DIR)/%.bpf.o $(BUILD)/%.skel.h $(BUILD)/%.bpf.o \
		scripts/skel-embed.pl scripts/bpf-layout.sh
	$(call msg,SKEL,$@)
	$(Q)scripts/bpf-layout.sh $(BUILD)/$*.bpf.o >$@.host-layout
	$(Q)scripts/bpf-layout.sh $< >$@.layout
	$(Q)cmp -s $@.host-layout $@.layout || { echo "$<: its maps, variables or programs differ from $(BUILD)/$*.bpf.o's (diff $@.host-layout $@.layout): cannot embed it in that skeleton" >&2; exit 1; }
	$(Q)scripts/skel-embed.pl $(BUILD)/$*.skel.h $< >$@

$(BUILD)/sysroot/%/.complete: scripts/sysroot.sh scripts/private-apt.sh
	$(Q)scripts/sysroot.sh $* $(BUILD)/sysroot/$*

$(STATIC_DIR)/tiu: $(STATIC_SRCS) $(LOADER_HDRS) $(HEADERS) $(STATIC_SKELS) $(STATIC_SYSROOT_STAMP) | $(STATIC_DIR)
	$(call msg,STATIC,$@)
	$(Q)$(STATIC_CC) $(STATIC_CFLAGS) $(STATIC_SRCS) -o $@.debug $(STATIC_LDFLAGS) -lxdp -lbpf -lelf -lz
	$(Q)$(STATIC_STRIP) -o $@ $@.debug
	$(Q)printf '  %-8s %s: %s bytes\n' SIZE $@ "$$(stat -c %s $@)"

$(STATIC_DIR)/compiled: $(STATIC_SRCS) $(LOADER_HDRS) $(HEADERS) $(STATIC_SKELS) $(STATIC_SYSROOT_STAMP) | $(STATIC_DIR)
	$(call msg,CC,$(STATIC_DIR)/*.o)
	$(Q)for f in $(STATIC_SRCS); do \
		$(STATIC_CC) $(STATIC_CFLAGS) -c $$f -o $(STATIC_DIR)/$$(basename $$f .c).o || exit 1; \
	done
	$(Q)echo "$(STATIC_TRIPLET): compiled, not linked: Debian has no libbpf, libxdp, libelf or zlib for this CPU" | tee $@

# The other-CPU VM lanes (tests/vm/arch-lane.sh) run these in their guest:
# the golden table and the packet fuzzer built statically for the target,
# against the skeletons of its byte order ($(STATIC_DIR) comes first in the
# include path), and the lane's own small tools (tests/vm/archlane.c).
STATIC_TESTS := test_datapath test_pktfuzz
static-tests: static-cc $(addprefix $(STATIC_DIR)/tests/,$(STATIC_TESTS)) $(STATIC_DIR)/vm/archlane

$(STATIC_DIR)/tests/%: tests/%.c $$(call test_parts,$$*,c) $$(call test_parts,$$*,h) $(TEST_LIB_SRCS) \
		$(wildcard tests/lib/*.h) loader/sys/probe.h $(HEADERS) $(STATIC_SKELS) $(STATIC_SYSROOT_STAMP)
	$(call msg,STATIC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(STATIC_CC) $(STATIC_CFLAGS) -Itests/lib -Iloader $< $(call test_parts,$*,c) $(TEST_LIB_SRCS) \
		-o $@ $(STATIC_LDFLAGS) -lbpf -lelf -lz -lm

$(STATIC_DIR)/vm/archlane: tests/vm/archlane.c
	$(call msg,STATIC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(STATIC_CC) -static -O2 -Wall -Wextra -Werror $< -o $@

cross:
	$(Q)for t in $(CROSS_TARGETS) $(CROSS_COMPILE_ONLY); do \
		$(MAKE) --no-print-directory static CROSS=$$t || exit 1; \
	done

cross-deps:
	$(Q)missing=; for p in $(CROSS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; fi

# Every static binary of `make cross`, checked by tests/cross/cross.t (minutes:
# not part of make test; .ci/run runs it).
test-cross: cross-deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory cross
	$(Q)prove -v tests/cross/cross.t

# Install the packages only when one is missing (make test / make demo call this).
deps-check:
	$(Q)missing=; for p in $(DEPS_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		echo "missing packages:$$missing -- installing (make deps)"; \
		$(MAKE) --no-print-directory deps; \
	fi

deps:
	$(Q)if [ "$$(id -u)" != 0 ]; then echo "make deps: run as root (sudo make deps)" >&2; exit 1; fi
	DEBIAN_FRONTEND=noninteractive apt-get update -q
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $(DEPS_PKGS)

# The README's test command. Tests that need root skip with a reason without it.
test: deps-check
	$(Q)$(MAKE) --no-print-directory all
	$(Q)prove -v $(TEST_BINS) $(TEST_SCRIPTS)

test-unit: all
	$(Q)prove -v $(TEST_BINS)

# Stock-kernel lanes (Debian 12's 6.1 and 13's 6.12 under qemu; KERNELS=trixie
# runs one): dispatcher, no-kfunc and kfunc paths, WireGuard, netkit.
# The other-CPU lanes (arm64, s390x, mipsel) run the static binaries of
# their CPU (make static static-tests CROSS=TRIPLET; cross compilers from
# CROSS_PKGS).
VM_LANE_TRIPLET_arm64 := aarch64-linux-gnu
VM_LANE_TRIPLET_s390x := s390x-linux-gnu
VM_LANE_TRIPLET_mipsel := mipsel-linux-gnu
VM_LANE_TRIPLETS = $(foreach l,$(or $(KERNELS),bookworm trixie arm64 s390x mipsel),$(VM_LANE_TRIPLET_$(l)))

test-vm: all $(if $(VM_LANE_TRIPLETS),cross-deps)
	$(Q)missing=; for p in $(VM_PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $$missing; fi
	$(Q)for t in $(VM_LANE_TRIPLETS); do \
		$(MAKE) --no-print-directory static static-tests CROSS=$$t || exit 1; \
	done
	$(Q)BUILD=$(abspath $(BUILD)) $(if $(KERNELS),KERNELS='$(KERNELS)') tests/vm/lane.sh

demo: deps-check
	$(Q)$(MAKE) --no-print-directory all
	$(Q)BUILD=$(abspath $(BUILD)) tests/demo.sh

# The 10-minute soak (the CI-sized one, 60 s, runs in make test).
soak: all
	$(Q)prove -v tests/robust.t :: --soak 600

# The mutation run (tests/mutants/): each mutation of
# tests/mutants/mutations.txt applied alone to a scratch copy under
# $(BUILD)/mutants, rebuilt, run through the fast tests; the table goes to
# tests/results/mutants-DATE.md. Root; not part of make test.
# ONLY=name,name runs those mutations.
mutants: all
	$(Q)python3 tests/mutants/run.py -j 2 --build $(abspath $(BUILD)) $(if $(ONLY),--only $(ONLY))

bench: all
	$(Q)BUILD=$(abspath $(BUILD)) bench/run.sh full

bench-quick: all
	$(Q)BUILD=$(abspath $(BUILD)) bench/run.sh quick

# bench/results/DATE-reconnect.md: a device's return to its first tunnelled
# packet, with `tiu apply` started by a hook (bench/reconnect.sh). Root.
bench-reconnect: all
	$(Q)BUILD=$(abspath $(BUILD)) bench/reconnect.sh

# make install [PREFIX=/usr/local] [DESTDIR=...]; make uninstall with the same
# variables removes exactly what it installed (a configuration of your own in
# /etc/tiu stays).
INSTALLED := $(SBINDIR)/tiu $(addprefix $(BPFDIR)/,$(notdir $(BPF_OBJS))) \
	$(UNITDIR)/tiu@.service $(CONFDIR)/example.conf $(DOCDIR)/README.md \
	$(UNITDIR)/tiu.service $(UNITDIR)/tiu-apply@.service $(UDEVDIR)/90-tiu.rules \
	$(MANDIR)/man8/tiu.8 $(BASHCOMPDIR)/tiu

install: $(LOADER) $(BPF_OBJS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BPFDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(CONFDIR) $(DESTDIR)$(DOCDIR) $(DESTDIR)$(UDEVDIR) \
		$(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(BASHCOMPDIR)
	install -m 0755 $(LOADER) $(DESTDIR)$(SBINDIR)/tiu
	install -m 0644 $(BPF_OBJS) $(DESTDIR)$(BPFDIR)/
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/systemd/tiu@.service > $(DESTDIR)$(UNITDIR)/tiu@.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/systemd/tiu.service > $(DESTDIR)$(UNITDIR)/tiu.service
	sed 's|@SBINDIR@|$(SBINDIR)|g' packaging/systemd/tiu-apply@.service > $(DESTDIR)$(UNITDIR)/tiu-apply@.service
	install -m 0644 packaging/udev/90-tiu.rules $(DESTDIR)$(UDEVDIR)/90-tiu.rules
	install -m 0644 packaging/example.conf $(DESTDIR)$(CONFDIR)/example.conf
	install -m 0644 README.md $(DESTDIR)$(DOCDIR)/README.md
	install -m 0644 docs/tiu.8 $(DESTDIR)$(MANDIR)/man8/tiu.8
	install -m 0644 packaging/bash-completion/tiu $(DESTDIR)$(BASHCOMPDIR)/tiu

uninstall:
	rm -f $(addprefix $(DESTDIR),$(INSTALLED))
	-rmdir $(DESTDIR)$(BPFDIR) $(DESTDIR)$(CONFDIR) $(DESTDIR)$(DOCDIR) 2>/dev/null

# The Debian package, built with debhelper from a staging copy of the source
# tree ($(BUILD)/deb/tiu-VERSION, debian/ from packaging/debian/): the .deb lands
# in $(BUILD)/deb/.
DEB_STAGE := $(BUILD)/deb/tiu-$(VERSION)
DEB_SRCS  := Makefile README.md headers xdp tc cgroup loader docs packaging

deb:
	$(Q)rm -rf $(BUILD)/deb && mkdir -p $(DEB_STAGE)
	$(Q)cp -a $(DEB_SRCS) $(DEB_STAGE)/
	$(Q)rm -rf $(DEB_STAGE)/packaging/debian && cp -a packaging/debian $(DEB_STAGE)/debian
	$(Q)printf 'tiu (%s) unstable; urgency=medium\n\n  * Built by make deb.\n\n -- %s  %s\n' \
		'$(VERSION)' "$$(sed -n 's/^Maintainer: //p' packaging/debian/control)" \
		"$$(date -R -d @$${SOURCE_DATE_EPOCH:-$$(git log -1 --format=%ct 2>/dev/null || date +%s)})" \
		> $(DEB_STAGE)/debian/changelog
	$(call msg,DEB,$(BUILD)/deb/tiu_$(VERSION)_amd64.deb)
	$(Q)cd $(DEB_STAGE) && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL dpkg-buildpackage -b -us -uc $(if $(filter 1,$(V)),,>../build.log 2>&1) || \
		{ echo "dpkg-buildpackage failed: see $(BUILD)/deb/build.log"; exit 1; }

clean:
	rm -rf $(BUILD)
