#!/usr/bin/env bats
# Faults: a step-09 runtime killed halfway, signalled, or failing while it
# creates the container; and commands that die, fail, run out of memory or
# leave orphans and zombies. Each is reported right, and what the runtime
# made on the host is undone, by itself, by the next run, or by
# `container --cleanup`, which touches only what dead runtimes left.

# Not a per-step file: the complete runtime is the one tested.
STEP=09
load helpers

# The rootfs the container's root owns, so it can write through the overlay.
USERNS_ROOTFS=$REPO/build/test-rootfs-userns

# cgroup_dirs PID: the cgroup directories of the runtime PID, one a line.
cgroup_dirs() {
	find /sys/fs/cgroup -maxdepth 3 -type d -path "*/containers-from-scratch/ctr-$1" 2>/dev/null
}

# gone_within SECONDS PID: wait for a process to be gone.
gone_within() {
	wait_for "! alive $2" "$1"
}

# cgroup_empty PID: no process is left in the cgroups of the runtime PID.
cgroup_empty() {
	local d
	for d in $(cgroup_dirs "$1"); do
		[ -z "$(cat "$d/cgroup.procs" 2>/dev/null)" ] || return 1
	done
}

# veths: the links in the test's network namespace other than lo.
veths() {
	links_in "$TEST_NETNS"
}

# ------------------------------------------------------------ kill -9

@test "kill -9 of the runtime: the container's processes die; --cleanup removes its cgroup and nothing of a live one" {
	local up=$SCRATCH/up
	# A second container, alive throughout: --cleanup must leave it alone.
	ctr_cmd --memory 64M -- sh -c 'echo ready; exec sleep 60'
	"${CTR_CMD[@]}" >"$BATS_TEST_TMPDIR/other.out" 2>&1 </dev/null &
	OTHER=$!
	test_cleanup() {
		kill -TERM "$OTHER" 2>/dev/null || true
		wait "$OTHER" || true
	}
	local other=$OTHER
	wait_for "grep -qx ready '$BATS_TEST_TMPDIR/other.out'"
	ROOTFS=$USERNS_ROOTFS start_ctr --memory 64M --pids-limit 20 --upper "$up" -- \
		sh -c 'sleep 60 & sleep 60 & echo ready; exec sleep 60'
	local runtime=$CTR_PID init=$CTR_INIT dirs procs
	dirs=$(cgroup_dirs "$runtime")
	procs=$(cat "$(cgroup_of "$init")/cgroup.procs")
	[ "$(wc -l <<<"$procs")" -eq 4 ]
	[ -n "$(veths)" ]
	kill -KILL "$runtime"
	stop_ctr NONE
	# Every process of the container goes: init, the command, its children.
	local p
	for p in $procs; do gone_within 5 "$p"; done
	# What only the runtime could remove is still there...
	[ "$(cgroup_dirs "$runtime")" = "$dirs" ]
	[ -d "$SCRATCH/.up.work" ]
	# ...and --cleanup removes the cgroup, but not the live container's.
	run -0 "$CONTAINER" --cleanup
	[ -z "$(cgroup_dirs "$runtime")" ]
	[ -n "$(cgroup_dirs "$other")" ]
	alive "$other"
	# The work directory beside --upper goes with the next run that uses it.
	ROOTFS=$USERNS_ROOTFS run_ctr -0 --upper "$up" true
	[ ! -e "$SCRATCH/.up.work" ]
	test_cleanup
	links_gone "$TEST_NETNS"
}

@test "kill -9 of the runtime at any moment of start-up: nothing is left that --cleanup and the next run do not reclaim" {
	local up=$SCRATCH/up delay runtime ROOTFS=$USERNS_ROOTFS
	for delay in 0 0.002 0.004 0.006 0.008 0.01 0.015 0.02 0.03 0.05 0.1; do
		ctr_cmd --memory 64M --upper "$up" --pid-file "$SCRATCH/pid" -- sh -c 'sleep 30'
		"${CTR_CMD[@]}" </dev/null >/dev/null 2>&1 &
		runtime=$!
		sleep "$delay"
		kill -KILL "$runtime"
		wait "$runtime" || true
		# The container dies with its runtime: its cgroup empties.
		wait_for "cgroup_empty $runtime" 5
		"$CONTAINER" --cleanup
		echo "# killed after ${delay}s: left after --cleanup: $(cgroup_dirs "$runtime") $(veths)" >&2
		[ -z "$(cgroup_dirs "$runtime")" ]
		links_gone "$TEST_NETNS"
		# A pid file is the caller's: a runtime killed with SIGKILL leaves it.
		rm -f "$SCRATCH/pid"
	done
	ROOTFS=$USERNS_ROOTFS run_ctr -0 --upper "$up" true
	[ -z "$(find "$SCRATCH" -maxdepth 1 -name '.up.work*')" ]
}

# ------------------------------------------------------------ signals

@test "signals: INT, TERM and HUP reach the command; the runtime cleans up and exits with its status" {
	local sig code=60 dir work
	for sig in INT TERM HUP; do
		code=$((code + 1))
		ROOTFS=$USERNS_ROOTFS start_ctr --memory 64M --upper "$SCRATCH/up" -- \
			sh -c "trap 'exit $code' $sig; echo ready; while :; do sleep 0.05; done"
		dir=$(cgroup_of "$CTR_INIT")
		work=$SCRATCH/.up.work
		[ -d "$dir" ] && [ -d "$work" ] && [ -n "$(veths)" ]
		stop_ctr "$sig"
		echo "# $sig: status $CTR_STATUS, want $code" >&2
		[ "$CTR_STATUS" -eq "$code" ]
		[ ! -e "$dir" ] && [ ! -e "$work" ] && links_gone "$TEST_NETNS"
	done
}

@test "signals: a command that does not handle INT, TERM or HUP dies of it: 130, 143, 129" {
	local sig want
	for sig in INT:130 TERM:143 HUP:129; do
		want=${sig#*:}
		sig=${sig%:*}
		start_ctr --memory 64M -- sh -c 'echo ready; exec sleep 30'
		stop_ctr "$sig"
		echo "# $sig: status $CTR_STATUS, want $want" >&2
		[ "$CTR_STATUS" -eq "$want" ]
	done
}

@test "signals: TERM to the runtime while it is still creating the container is not lost" {
	local delay started took lost=
	for delay in 0.001 0.002 0.003 0.004 0.005 0.007 0.01 0.015 0.02 0.03; do
		started=$SECONDS
		term_after "$delay" --memory 64M -- sh -c 'sleep 3; exit 5'
		took=$((SECONDS - started))
		echo "# TERM after ${delay}s: status $status in ${took}s; $(cat "$BATS_TEST_TMPDIR/err")" >&2
		# Either the command got it (143), or the runtime stopped before
		# starting it; never does the command run on as if nothing happened.
		[ "$status" -eq 143 ] && [ "$took" -lt 2 ] || lost+=" ${delay}s"
	done
	echo "# lost after:${lost:- none}" >&2
	[ -z "$lost" ]
}

# ------------------------------------------------------------ the command's end

@test "command: its non-zero status is the runtime's" {
	local code
	for code in 1 2 42 124 255; do
		run_ctr -"$code" --memory 64M sh -c "exit $code"
		[ -z "$stderr" ]
	done
	run_ctr -0 sh -c 'exit 256'
}

@test "command: killed by a signal: 128+N, and no message" {
	local sig
	for sig in KILL:137 TERM:143 SEGV:139 ABRT:134 INT:130 USR1:138; do
		run_ctr -"${sig#*:}" --memory 64M sh -c "kill -${sig%:*} \$\$"
		[ -z "$stderr" ]
	done
}

@test "command: OOM-killed: 137 and one line; a child OOM-killed is the command's business" {
	run_ctr -137 --memory 16M probe alloc 256
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"killed by the OOM killer: it went over --memory 16M"* ]]
	# A child killed, the command lives on and decides.
	run_ctr -0 --memory 16M sh -c 'probe alloc 256 >/dev/null 2>&1; echo survived $?'
	[ "$output" = "survived 137" ]
}

@test "command: orphans it leaves behind die with the container, and do not hold the runtime" {
	local started=$SECONDS
	run_ctr -3 sh -c 'sleep 60 & sleep 60 & (sleep 60 &); exit 3'
	[ $((SECONDS - started)) -lt 10 ]
	# The leftover sweep (teardown) checks that no sleep survives.
}

@test "command: zombies are reaped by the container's init, whoever their parent was" {
	run_ctr -4 sh -c 'for i in 1 2 3 4 5 6 7 8; do (sleep 0.1 &); done; sleep 1; ps -o stat= | grep -c Z; exit 4'
	[ "$output" = 0 ]
	# ...also children the command never waited for, once it is gone.
	run_ctr -0 sh -c 'sleep 0.1 & exec probe spin 0.5'
}

# ------------------------------------------------------------ creation failing halfway

@test "creation fails halfway: an --upper the kernel cannot use (on an overlay): 125, one line, nothing left" {
	local o=$SCRATCH/ovl
	mkdir -p "$o/lower" "$o/upper" "$o/work" "$o/merged"
	mount -t overlay overlay -o "lowerdir=$o/lower,upperdir=$o/upper,workdir=$o/work" "$o/merged"
	test_cleanup() { umount -l "$SCRATCH/ovl/merged"; }
	ROOTFS=$USERNS_ROOTFS run_ctr -125 --memory 64M --upper "$o/merged/up" true
	[ "${#stderr_lines[@]}" -eq 1 ]
	# Nothing the runtime made stays: no work directory, and not the upper
	# directory it created for this run either.
	echo "# left in $o/merged: $(ls -A "$o/merged")" >&2
	[ -z "$(ls -A "$o/merged")" ]
	# It says which option the kernel would not take.
	[[ $stderr == *upper* ]]
}

@test "creation fails halfway: an --upper on a read-only filesystem: 125, one line, nothing left" {
	local ro=$SCRATCH/ro
	mkdir -p "$SCRATCH/src" "$ro"
	mount --bind -o ro "$SCRATCH/src" "$ro"
	test_cleanup() { umount -l "$SCRATCH/ro"; }
	ROOTFS=$USERNS_ROOTFS run_ctr -125 --memory 64M --upper "$ro/up" true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"Read-only file system"* ]]
	[ -z "$(ls -A "$SCRATCH/src")" ]
}

@test "creation fails halfway: a CPU limit the kernel rejects (over the parent cgroup's quota): 125, one line, nothing left" {
	cgroup_v2 && skip "cgroup v2 caps a child at its parent's quota instead of refusing it"
	# The hierarchy that holds cpu: /sys/fs/cgroup/cpu, or cpu,cpuacct.
	parent=$(cgroup_mount cpu)/containers-from-scratch
	# A parent allowed 2 CPUs, kept by a cgroup of ours so no runtime
	# removes it; v1 then refuses a child quota above that: EINVAL.
	mkdir -p "$parent/faults-hold-$$"
	echo 200000 >"$parent/cpu.cfs_quota_us"
	test_cleanup() {
		echo -1 >"$parent/cpu.cfs_quota_us"
		rmdir "$parent/faults-hold-$$"
		rmdir "$parent" 2>/dev/null || true
	}
	ROOTFS=$USERNS_ROOTFS run_ctr -125 --memory 64M --upper "$SCRATCH/up" --cpus 4 true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"cpu.cfs_quota_us"*"Invalid argument"* ]]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -path '*/containers-from-scratch/ctr-*')" ]
	[ -z "$(find "$SCRATCH" -maxdepth 1 -name '.up.work*')" ]
	links_gone "$TEST_NETNS"
	# Within the parent's quota it works.
	run_ctr -0 --cpus 1 true
}

@test "creation fails halfway: layers that turn /proc into a symlink: 125, one line, nothing left" {
	mkdir -p "$SCRATCH/bad"
	ln -s / "$SCRATCH/bad/proc"
	chown -h 100000:100000 "$SCRATCH/bad" "$SCRATCH/bad/proc"
	ROOTFS=$USERNS_ROOTFS run_ctr -125 --memory 64M --upper "$SCRATCH/up" --layer "$SCRATCH/bad" true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"/proc"* ]]
	[ -z "$(find "$SCRATCH" -maxdepth 1 -name '.up.work*')" ]
	links_gone "$TEST_NETNS"
}

@test "creation fails halfway: a pid file that cannot be written: 125, one line, nothing left" {
	run_ctr -125 --memory 64M --pid-file "$SCRATCH/no/such/dir/pid" true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"pid file"* ]]
	links_gone "$TEST_NETNS"
}
