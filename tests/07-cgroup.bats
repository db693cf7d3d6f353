#!/usr/bin/env bats
# 07-cgroup: a cgroup of the container's own, and a cgroup namespace that
# shows it as the root of the tree.

load helpers

@test "cgroup: the container gets a cgroup of its own, named after the runtime" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local dir
	dir=$(cgroup_of "$CTR_INIT")
	echo "# $dir" >&2
	[ "$dir" = "$(dirname "$dir")/ctr-$CTR_PID" ]
	[[ $dir == */containers-from-scratch/ctr-$CTR_PID ]]
	grep -qx "$CTR_INIT" "$dir/cgroup.procs"
	if ! cgroup_v2; then
		[ "$(cgroup_of "$CTR_INIT" pids)" = "$(cgroup_mount pids)/containers-from-scratch/ctr-$CTR_PID" ]
		[ "$(cgroup_of "$CTR_INIT" cpu)" = "$(cgroup_mount cpu)/containers-from-scratch/ctr-$CTR_PID" ]
		grep -qx "$CTR_INIT" "$(cgroup_of "$CTR_INIT" cpu)/cgroup.procs"
	fi
	stop_ctr
}

@test "cgroup: the command's processes are in the container's cgroup too" {
	start_ctr -- sh -c 'sleep 30 & echo ready; wait'
	local dir
	dir=$(cgroup_of "$CTR_INIT")
	run cat "$dir/cgroup.procs"
	stop_ctr
	[ "${#lines[@]}" -eq 3 ]
}

@test "cgroup: inside, /proc/self/cgroup shows the container at the root" {
	run_ctr -0 cat /proc/self/cgroup
	if cgroup_v2; then
		[ "$output" = "0::/" ]
	else
		[[ $output == *":memory:/"* ]]
		[[ $output != *containers-from-scratch* ]]
	fi
}

@test "cgroup: the cgroup filesystem is mounted read-only inside" {
	run_ctr -0 grep ' /sys/fs/cgroup' /proc/mounts
	local c
	if cgroup_v2; then
		[[ $output == "cgroup2 /sys/fs/cgroup cgroup2 ro,"* ]]
	else
		for c in memory cpu pids; do
			[[ $output == *"cgroup $(cgroup_mount $c) cgroup ro,"* ]]
		done
	fi
	local f=/sys/fs/cgroup/cgroup.procs
	cgroup_v2 || f=/sys/fs/cgroup/memory/cgroup.procs
	run_ctr ! sh -c "echo 1 > $f"
	[[ $stderr == *"Read-only file system"* ]]
}

# links_to DIR...: the symlinks in /sys/fs/cgroup that point to one of DIRs
# (by name, as systemd makes them: cpu -> cpu,cpuacct), as "LINK -> TARGET".
# shellcheck disable=SC2016
links_to='for l in /sys/fs/cgroup/*; do
	[ -L "$l" ] || continue
	for d in "$@"; do
		[ "$(readlink "$l")" = "${d##*/}" ] && echo "$l -> ${d##*/}"
	done
done; true'

@test "cgroup: on v1, each hierarchy is inside where the host has it, with its controllers and symlinks, and no other" {
	cgroup_v2 && skip "cgroup v2 has one hierarchy"
	local host dirs
	host=$(cgroup_v1_mounts | sort)
	mapfile -t dirs < <(echo "$host" | cut -d' ' -f1)
	echo "# host: $host" >&2
	run_ctr -0 sh -c "cat /proc/self/mountinfo; echo ==; $links_to" sh "${dirs[@]}"
	[ "$(echo "$output" | sed '/^==$/,$d' | cgroup_v1_mounts - | sort)" = "$host" ]
	# Only those: none of the hierarchies the container has no cgroup in.
	[ "$(echo "$output" | sed '/^==$/,$d' | awk '$0 ~ / - cgroup2? / {print $5}' | sort)" = "$(printf '%s\n' "${dirs[@]}" | sort)" ]
	[ "$(echo "$output" | sed '1,/^==$/d')" = "$(sh -c "$links_to" sh "${dirs[@]}")" ]
}

# In a mount namespace of its own, the host's cgroup hierarchies bind-mounted
# as moved-1, moved-2, ... in the directory $0, and nothing at
# /sys/fs/cgroup; then exec "$@".
# shellcheck disable=SC2016
move_cgroups='set -e
mount -t tmpfs -o mode=755 tmpfs "$0"
grep -E " - cgroup2? " /proc/self/mountinfo | {
	i=0
	while read -r _ _ _ _ dir _; do
		i=$((i + 1))
		mkdir "$0/moved-$i"
		mount --bind "$dir" "$0/moved-$i"
	done
}
umount -R /sys/fs/cgroup
exec "$@"'

@test "cgroup: the hierarchies are found where they are mounted, whatever their names" {
	mkdir "$SCRATCH/cgroups"
	CTR_AS=(unshare -m --propagation private sh -c "$move_cgroups" "$SCRATCH/cgroups")
	start_ctr -- sh -c 'ls /sys/fs/cgroup; cat /proc/self/cgroup; echo ready; exec sleep 30'
	local c
	for c in memory cpu pids; do
		[[ $(cgroup_of "$CTR_INIT" $c) == */containers-from-scratch/ctr-$CTR_PID ]]
		grep -qx "$CTR_INIT" "$(cgroup_of "$CTR_INIT" $c)/cgroup.procs"
	done
	if cgroup_v2; then
		grep -qx '0::/' "$CTR_OUT"
	else
		# Inside, each where the runtime found it: moved-N.
		[ "$(grep -c '^moved-[0-9]*$' "$CTR_OUT")" -eq "$(cgroup_v1_mounts | wc -l)" ]
		! grep -qx memory "$CTR_OUT"
	fi
	stop_ctr
	[ "$CTR_STATUS" -eq 143 ]
}

@test "cgroup: a controller no mounted hierarchy holds: one line, 125, nothing made" {
	local gone=/sys/fs/cgroup
	cgroup_v2 || gone=$(cgroup_mount pids)
	CTR_AS=(unshare -m --propagation private sh -c 'umount "$0"; exec "$@"' "$gone")
	run_ctr -125 true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"no mounted cgroup hierarchy holds the "* ]]
	cgroup_v2 || [[ $stderr == *" pids controller"* ]]
}

@test "cgroup: the host's cgroup tree is not visible inside" {
	run_ctr -0 sh -c 'find /sys/fs/cgroup -type d | wc -l; ls /sys/fs/cgroup/memory 2>/dev/null || ls /sys/fs/cgroup'
	[ "${lines[0]}" -le 4 ]
	[[ $output != *containers-from-scratch* ]]
	[[ $output != *process_api* ]]
	[[ $output != *system.slice* ]]
}

@test "cgroup: removed when the container exits, also after its processes were killed" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local dir
	dir=$(cgroup_of "$CTR_INIT")
	[ -d "$dir" ]
	kill -KILL "$CTR_INIT"
	stop_ctr NONE
	[ "$CTR_STATUS" -eq 137 ]
	[ ! -e "$dir" ]
	[ ! -e "$(dirname "$dir")" ]
}

@test "cgroup: on v2, a process that joined the container's cgroup and network dies with it, and the veth goes" {
	requires cgroup2
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local dir
	dir=$(cgroup_of "$CTR_INIT")
	# From the host, as an exec would: into the container's network
	# namespace and cgroup, but not its PID namespace, which would take
	# it along when the container's PID 1 dies anyway.
	nsenter --net="/proc/$CTR_INIT/ns/net" sh -c "echo \$\$ >'$dir/cgroup.procs' && exec sleep 30" &
	JOINED=$!
	test_cleanup() { kill -KILL "$JOINED" 2>/dev/null || true; wait "$JOINED" || true; }
	wait_for "grep -qx $JOINED '$dir/cgroup.procs'" 5
	stop_ctr
	[ "$CTR_STATUS" -eq 143 ]
	# Killed with the cgroup, so it no longer holds the network namespace.
	wait_for "! alive $JOINED" 5
	[ ! -e "$dir" ]
	links_gone "$TEST_NETNS"
}

# kill_runtime: start a container, SIGKILL its runtime and wait for the
# container to die; sets dir to the cgroup it leaves behind, and checks it is.
kill_runtime() {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	dir=$(cgroup_of "$CTR_INIT")
	# Not stop_ctr KILL, which would run --cleanup itself.
	kill -KILL "$CTR_PID"
	stop_ctr NONE
	wait_for "! alive $CTR_INIT" 5
	[ -d "$dir" ]
}

@test "cgroup: a runtime killed with SIGKILL leaves a cgroup that --cleanup removes" {
	local dir
	kill_runtime
	run -0 "$CONTAINER" --cleanup
	[ ! -e "$dir" ]
}

@test "cgroup: the next run removes cgroups of runtimes that died" {
	local dir
	kill_runtime
	run_ctr -0 true
	[ ! -e "$dir" ]
}

@test "cgroup: --cleanup leaves the cgroups of running containers alone" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local dir
	dir=$(cgroup_of "$CTR_INIT")
	run -0 "$CONTAINER" --cleanup
	[ -d "$dir" ]
	grep -qx "$CTR_INIT" "$dir/cgroup.procs"
	stop_ctr
}

@test "cgroup: several containers at once, each in its own cgroup" {
	local i pids=()
	for i in 1 2 3; do
		ctr_cmd -- sh -c 'cat /proc/self/cgroup; sleep 1'
		"${CTR_CMD[@]}" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
		pids+=($!)
	done
	sleep 0.5
	local dirs
	dirs=$(find /sys/fs/cgroup -maxdepth 3 -type d -path '*/containers-from-scratch/ctr-*' | sort)
	echo "# $dirs" >&2
	for i in 0 1 2; do
		wait "${pids[$i]}"
		echo "$dirs" | grep -q "/ctr-${pids[$i]}\$"
	done
}

@test "rootless: no cgroup of its own, said in one line; the namespace still works" {
	requires userns
	as_user
	run_ctr -0 --net none cat /proc/self/cgroup
	[ "$(printf '%s\n' "${stderr_lines[@]}" | grep -c "cgroup")" -eq 1 ]
	[[ $stderr == *"container: rootless: no cgroup of its own without root"* ]]
	if cgroup_v2; then
		[ "$output" = "0::/" ]
	fi
}

@test "cgroup: a runtime holds a lock under /run while it runs; once it is killed, --cleanup takes it" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local lock=/run/containers-from-scratch/ctr-$CTR_PID.lock runtime=$CTR_PID
	[ -f "$lock" ]
	run ! flock -n "$lock" true
	kill -KILL "$runtime"
	stop_ctr NONE
	wait_for "! alive $CTR_INIT" 5
	# The kernel let go of the lock when the runtime died; the file stays
	# until --cleanup, which removes it with the cgroup.
	[ -f "$lock" ]
	run -0 flock -n "$lock" true
	run -0 "$CONTAINER" --cleanup
	[ ! -e "$lock" ]
	[ ! -e /run/containers-from-scratch ]
}

@test "cgroup: --cleanup from another PID namespace, which sees no runtime's PID, leaves a live container alone" {
	requires cmd:unshare
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local dir
	dir=$(cgroup_of "$CTR_INIT")
	run -0 unshare --pid --fork --mount-proc "$CONTAINER" --cleanup
	[ -z "$output" ]
	[ -d "$dir" ]
	alive "$CTR_INIT"
	grep -qx "$CTR_INIT" "$dir/cgroup.procs"
	stop_ctr
	[ "$CTR_STATUS" -eq 143 ]
}

@test "cgroup: two runtimes with the same PID, in two PID namespaces, get two cgroups" {
	requires cmd:unshare
	local i pids=() parent
	# Each runtime is PID 1 of a PID namespace of its own.
	CTR_AS=(unshare --pid --fork --mount-proc --kill-child=SIGTERM)
	for i in 1 2; do
		ctr_cmd -- sh -c 'echo ready; exec sleep 30'
		"${CTR_CMD[@]}" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 </dev/null &
		pids+=($!)
		wait_for "grep -qx ready '$BATS_TEST_TMPDIR/out.$i'"
	done
	# unshare ignores TERM while it waits: signal the runtimes, its children.
	test_cleanup() {
		local p
		for p in "${pids[@]}"; do
			kill -TERM $(cat "/proc/$p/task/$p/children" 2>/dev/null) 2>/dev/null
		done
		wait "${pids[@]}" 2>/dev/null || true
	}
	parent=/sys/fs/cgroup/containers-from-scratch
	cgroup_v2 || parent=/sys/fs/cgroup/memory/containers-from-scratch
	echo "# $(ls "$parent")" >&2
	[ "$(ls "$parent" | grep -c '^ctr-1\(-2\)\?$')" -eq 2 ]
	# Each has its container in it.
	[ -n "$(cat "$parent/ctr-1/cgroup.procs")" ]
	[ -n "$(cat "$parent/ctr-1-2/cgroup.procs")" ]
	test_cleanup
}

@test "cgroup: a stale cgroup named after our PID (a killed runtime's) is replaced" {
	# exec keeps the shell's PID, so the runtime finds "its" cgroup made.
	ctr_cmd -- cat /proc/self/cgroup
	# The first hierarchy is enough: v1's memory one, or v2's only one.
	run -0 sh -c 'for d in /sys/fs/cgroup/memory /sys/fs/cgroup; do
			if [ -e "$d/cgroup.procs" ]; then
				mkdir -p "$d/containers-from-scratch/ctr-$$"
				break
			fi
		done
		exec "$@"' sh "${CTR_CMD[@]}"
}
