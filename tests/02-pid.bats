#!/usr/bin/env bats
# 02-pid: the container's first process is PID 1, an init of our own.

load helpers

@test "pid: the command runs as the child of PID 1" {
	run_ctr -0 sh -c 'echo "$$ $PPID"'
	[ "$output" = "2 1" ]
}

@test "pid: one process, two PIDs: the host's and the container's (NSpid)" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local nspid
	nspid=$(awk '/^NSpid:/ {print $2, $3}' "/proc/$CTR_INIT/status")
	stop_ctr
	echo "# NSpid of $CTR_INIT: $nspid" >&2
	[ "$nspid" = "$CTR_INIT 1" ]
}

# zombies_in PIDNS: the zombie processes in a PID namespace, seen from the host.
zombies_in() {
	local p
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$1" ] || continue
		awk '/^State:/ && $2 == "Z" {print FILENAME}' "$p/status" 2>/dev/null
	done
}

@test "pid: orphans are re-parented to PID 1 and reaped" {
	# The subshell exits at once, so its sleep is orphaned and handed to
	# PID 1; an init that did not reap would leave it a zombie.
	start_ctr -- sh -c '(sleep 0.2 &); echo ready; exec sleep 30'
	local pidns
	pidns=$(ns_of "$CTR_INIT" pid)
	sleep 1
	run zombies_in "$pidns"
	stop_ctr TERM
	echo "# zombies in the container: ${output:-none}" >&2
	[ -z "$output" ]
	[ "$CTR_STATUS" -eq 143 ]
}

@test "pid: the chapter's sh -c 'sleep 1 & exec sleep 2', shortened, ends cleanly with status 0" {
	# The zombie of the first sleep belongs to the second, which never
	# waits; once that exits, PID 1 reaps it.
	run_ctr -0 sh -c 'sleep 0.2 & exec sleep 0.5'
}

@test "pid: the runtime exits when the command does, even if orphans remain" {
	run_ctr -3 sh -c 'sleep 30 & exit 3'
}

@test "pid: processes of the host cannot be seen or signalled from inside" {
	run_ctr ! sh -c "kill -0 $$"
	[[ $stderr == *"No such process"* ]]
}

@test "pid: ps still lists the host's processes (no mount namespace yet)" {
	requires before:03
	run_ctr -0 ps -e -o pid=
	[ "${#lines[@]}" -gt 10 ]
}

@test "pid: kill -9 of the runtime kills every process in the container" {
	start_ctr -- sh -c 'sleep 30 & sleep 30 & echo ready; wait'
	local pidns=$(ns_of "$CTR_INIT" pid)
	stop_ctr KILL
	in_ns() {
		local p
		for p in /proc/[0-9]*; do
			[ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$pidns" ] && alive "${p#/proc/}" && return 0
		done
		return 1
	}
	wait_for '! in_ns' 5
}

@test "pid: signals sent to the runtime reach the command through PID 1" {
	start_ctr -- sh -c "trap 'exit 9' USR1; echo ready; while :; do sleep 0.05; done"
	stop_ctr USR1
	[ "$CTR_STATUS" -eq 9 ]
}
