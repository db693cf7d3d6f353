#!/usr/bin/env bats
# 04-ipc: System V IPC objects and POSIX message queues of the container's own.

load helpers

KEY=0x43545201
PROBE=$REPO/tests/probe/probe

test_cleanup() {
	ipcrm -Q "$KEY" 2>/dev/null || true
	ipcrm -S "$KEY" 2>/dev/null || true
	ipcrm -M "$KEY" 2>/dev/null || true
}

@test "ipc: System V objects made on the host are invisible inside" {
	local kind
	for kind in msgget semget shmget; do
		"$PROBE" "$kind-create" "$KEY"
		"$PROBE" "$kind" "$KEY"
		run_ctr -1 probe "$kind" "$KEY"
		[ "$output" = "$kind: ENOENT" ]
	done
	run_ctr -0 cat /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm
	! [[ $output =~ (^|[[:space:]])$((KEY))[[:space:]] ]]
	[ "${#lines[@]}" -eq 3 ]
}

@test "ipc: System V objects made inside are invisible on the host" {
	run_ctr -0 sh -c "probe msgget-create $KEY && probe semget-create $KEY && probe shmget-create $KEY && cat /proc/sysvipc/msg"
	[[ $output =~ (^|[[:space:]])$((KEY))[[:space:]] ]]
	run "$PROBE" msgget "$KEY"
	[ "$output" = "msgget: ENOENT" ]
	run "$PROBE" semget "$KEY"
	[ "$output" = "semget: ENOENT" ]
	run "$PROBE" shmget "$KEY"
	[ "$output" = "shmget: ENOENT" ]
}

@test "ipc: two containers do not share System V objects" {
	start_ctr -- sh -c "probe msgget-create $KEY >/dev/null && echo ready && exec sleep 30"
	run_ctr -1 probe msgget "$KEY"
	stop_ctr
	[ "$output" = "msgget: ENOENT" ]
}

@test "ipc: /dev/mqueue is a fresh mqueue filesystem" {
	run_ctr -0 cat /proc/mounts
	[[ $output == *"mqueue /dev/mqueue mqueue rw,nosuid,nodev,noexec"* ]]
}

@test "ipc: POSIX queues of the host are not there inside, and the reverse" {
	QUEUE=/ctrtest-$$
	"$PROBE" mq_open-create "$QUEUE"
	test_cleanup() { "$PROBE" mq_unlink "$QUEUE"; }
	run_ctr -1 probe mq_open "$QUEUE"
	[ "$output" = "mq_open: ENOENT" ]
	run_ctr -0 sh -c "probe mq_open-create /inside && ls /dev/mqueue"
	[ "${lines[1]}" = inside ]
	run "$PROBE" mq_open /inside
	[ "$output" = "mq_open: ENOENT" ]
}

@test "ipc: the IPC namespace differs from the host's" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local c h
	c=$(ns_of "$CTR_INIT" ipc)
	h=$(ns_of $$ ipc)
	stop_ctr
	[ "$c" != "$h" ]
}
