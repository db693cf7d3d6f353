# Containers from Scratch, in C.
#
#   make                  build every step
#   sudo make tour        build, make the root filesystem, walk through every step
#   sudo make test        the whole test suite
#   sudo make test-cgroup2  the cgroup tests of steps 07-09 in a cgroup v2 VM
#   sudo make test-cgroup1  the same in a VM with systemd's cgroup v1 layout
#   sudo make stress      the long tests: fifty at once, five hundred in a row, fuzz
#   make compare STEP=03  host and container namespaces side by side
#   make diff STEP=03     what step 03 adds to step 02
#   make quiz STEP=03     the quiz for a chapter (00: containers in general)
#   sudo make bench       start-to-exit time of every step beside runc, crun, bwrap
#   make rootfs           (re)build the default root filesystem in build/rootfs
#   make rootfs-userns    the same, owned by uid 100000 (steps 06-09)
#   make clean

STEPS := \
	01-uts \
	02-pid \
	03-mnt \
	04-ipc \
	05-net \
	06-user \
	07-cgroup \
	08-time \
	09-overlay-cgroup-seccomp

CC ?= cc
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra
ifdef WERROR
CFLAGS += -Werror
endif

BINS := $(STEPS:%=steps/%/container)
ROOTFS := build/rootfs
# The tests' rootfs: the default one plus a static probe program.
TEST_ROOTFS := build/test-rootfs
PROBE := tests/probe/probe
# The tests' terminal: runs a command on a pty and types into it.
PTY := tests/pty/pty
# The step a per-step target works on: STEP=03 or STEP=03-mnt.
STEP_DIR = $(firstword $(filter $(STEP)%,$(STEPS)))

.PHONY: all rootfs rootfs-userns test test-cgroup2 test-cgroup1 stress tour compare diff quiz clean check-step bench

all: $(BINS)

steps/%/container: steps/%/container.c
	$(CC) $(CFLAGS) -o $@ $<

# Built when missing; `make rootfs` rebuilds it (the builder is idempotent).
$(ROOTFS)/etc/os-release:
	rootfs-scripts/busybox.sh $(ROOTFS)

rootfs:
	rootfs-scripts/busybox.sh $(ROOTFS)

# For steps 06-09: owned by the host uid the container's root maps to.
rootfs-userns:
	rootfs-scripts/busybox.sh --owner 100000:100000 build/rootfs-userns

$(PROBE): $(PROBE).c
	$(CC) $(CFLAGS) -static -o $@ $<

$(PTY): $(PTY).c
	$(CC) $(CFLAGS) -o $@ $<

$(TEST_ROOTFS)/bin/probe: $(PROBE) $(ROOTFS)/etc/os-release
	rm -rf $(TEST_ROOTFS)
	cp -a $(ROOTFS) $(TEST_ROOTFS)
	cp $(PROBE) $@

# The long tests, kept out of `make test`: fifty containers at once, five
# hundred in a row, and a few thousand fuzzed command lines.
stress: all $(TEST_ROOTFS)/bin/probe $(TEST_ROOTFS)-userns/bin/probe $(PTY)
	tests/stress/run.sh

# The same, owned by the host uid that container root maps to by default
# (06-user), so that root inside owns its files.
$(TEST_ROOTFS)-userns/bin/probe: $(TEST_ROOTFS)/bin/probe
	rm -rf $(TEST_ROOTFS)-userns
	cp -a $(TEST_ROOTFS) $(TEST_ROOTFS)-userns
	chown -R 100000:100000 $(TEST_ROOTFS)-userns

test: all $(TEST_ROOTFS)/bin/probe $(TEST_ROOTFS)-userns/bin/probe $(PTY)
	tests/run.sh

# The cgroup tests of steps 07-09 on a machine with only cgroup v2 (and step
# 06's, for idmapped mounts on an older kernel), and on one with cgroup v1 as
# systemd mounts it (cpu,cpuacct in one hierarchy): a stock Debian kernel
# under qemu (tests/vm/README.md). VM_ARGS are passed on.
test-cgroup2: all $(TEST_ROOTFS)/bin/probe $(TEST_ROOTFS)-userns/bin/probe $(PTY)
	tests/vm/run.sh --layout v2 $(VM_ARGS)

test-cgroup1: all $(TEST_ROOTFS)/bin/probe $(TEST_ROOTFS)-userns/bin/probe $(PTY)
	tests/vm/run.sh --layout v1 $(VM_ARGS)

tour: all $(ROOTFS)/etc/os-release
	steps/tour.sh

compare: all $(ROOTFS)/etc/os-release
	@test -n "$(STEP_DIR)" || { echo "make compare: say which step, e.g. STEP=03" >&2; exit 2; }
	steps/compare.sh $(STEP_DIR)

diff:
	@test -n "$(STEP_DIR)" || { echo "make diff: say which step, e.g. STEP=03" >&2; exit 2; }
	@prev=$$(echo $(STEPS) | tr ' ' '\n' | grep -B1 -x '$(STEP_DIR)' | head -n 1); \
	if [ "$$prev" = "$(STEP_DIR)" ]; then \
		echo "$(STEP_DIR) is the first step; read steps/$(STEP_DIR)/container.c"; \
	else \
		diff -u steps/$$prev/container.c steps/$(STEP_DIR)/container.c; test $$? -le 1; \
	fi

quiz:
	quiz/run.sh $(STEP)

# Start-to-exit time of every step and of the runtimes the machine has;
# BENCH_ARGS=--quick for the short form (tests/bench/run.sh --help).
bench: all $(ROOTFS)/etc/os-release
	tests/bench/run.sh $(BENCH_ARGS)

# The workshop self-check: the tests of step STEP against your own binary.
#   sudo make check-step STEP=03 CONTAINER=$PWD/my/container
check-step: all $(TEST_ROOTFS)/bin/probe $(TEST_ROOTFS)-userns/bin/probe $(PTY)
	@test -n "$(STEP_DIR)" || { echo "make check-step: say which step, e.g. STEP=03" >&2; exit 2; }
	CONTAINER=$(CONTAINER) tests/run.sh $(STEP_DIR)

clean:
	rm -f $(BINS) $(PROBE) $(PTY)
	rm -rf build
