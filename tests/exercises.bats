#!/usr/bin/env bats
# The exercise solutions that ship with the chapters, run for real: each
# script must do what its exercise asks, as the numbers it prints show. Every
# test runs in a network namespace of its own (helpers.bash makes it: STEP is
# 09 here, so step_has 05), so that no packet leaves namespaces the test made,
# and the leftover sweep checks that a solution leaves nothing behind.
# tests/run.sh runs this file with the other suites.

STEP=09
load helpers

# solution SCRIPT ARGS...: run a chapter's solution script from the top of the
# repository, inside this test's network namespace, on the tests' rootfs.
solution() {
	run env ROOTFS="$ROOTFS" nsenter --net="/run/netns/$TEST_NETNS" "$REPO/$@"
	{
		echo "# $*: status $status"
		printf '# %s\n' "${lines[@]}"
	} >&2
}

# number_after TEXT: the number that follows TEXT in $output.
number_after() {
	echo "$output" | sed -n "s/.*$1 \([0-9][0-9]*\).*/\1/p" | head -n 1
}

@test "exercise 05-2: forwarding takes a container's ping out, and a way back brings the reply home" {
	requires root cmd:nsenter cmd:ip cmd:unshare
	cd "$REPO"
	solution steps/05-net/solutions/forward.sh
	[ "$status" -eq 0 ]
	# Nothing without forwarding, nothing without a way back, then a reply.
	[[ $output == *"ip_forward is 0;"* ]]
	[[ $output == *"try 1: 0 packets received"* ]]
	[[ $output == *"try 2: 0 packets received"* ]]
	[[ $output == *"try 3: 1 packets received"* ]]
	[[ $output == *"the runtime exited with status 0"* ]]
	links_gone "$TEST_NETNS"
}

@test "exercise 05-3: two containers joined through a bridge on the host ping each other" {
	requires root cmd:nsenter cmd:ip
	cd "$REPO"
	solution steps/05-net/solutions/bridge.sh
	[ "$status" -eq 0 ]
	# Both host ends are ports of the bridge, and every ping came back.
	[[ $output == *"bridge br-demo: ports ctr"*" ctr"* ]]
	[[ $output == *"a: 3 packets transmitted, 3 packets received"* ]]
	# The bridge went with the script, the host ends with their runtimes.
	links_gone "$TEST_NETNS"
}

@test "exercise 07-1: a pids limit written from the host stops a fork bomb" {
	requires root cmd:nsenter
	local most refused
	cd "$REPO"
	solution steps/07-cgroup/solutions/pids-limit.sh 20
	[ "$status" -eq 0 ]
	[[ $output == *"inside: pids.max is 20; the bomb goes off"* ]]
	most=$(number_after "pids.current was at most")
	refused=$(number_after "pids.events counts")
	# The bomb ran (more than init and the shell), never past the limit,
	# and the kernel refused its forks.
	[ "$most" -gt 2 ]
	[ "$most" -le 20 ]
	[ "$refused" -gt 0 ]
	[[ $output == *"the runtime exited with status 0"* ]]
}

@test "exercise 07-2: a frozen container prints nothing until it is thawed" {
	requires root cmd:nsenter
	local during after
	cd "$REPO"
	solution steps/07-cgroup/solutions/freeze.sh
	[ "$status" -eq 0 ]
	if cgroup_v2; then
		[[ $output == *"cgroup.freeze is 1, cgroup.events says frozen 1"* ]]
	else
		[[ $output == *"freezer.state is FROZEN"* ]]
	fi
	during=$(number_after "while frozen:")
	after=$(number_after "in the next 1 s:")
	# A tenth of a second per line: none while frozen, several after.
	[ "$during" -eq 0 ]
	[ "$after" -ge 3 ]
	# SIGTERM, forwarded to the command: 128 + 15.
	[[ $output == *"the runtime exited with status 143"* ]]
}
