#!/usr/bin/env bats
# 05-net: a network stack of the container's own. Every container here runs
# inside a network namespace this test made (see ctr in helpers.bash), so no
# packet leaves namespaces the test owns.

load helpers

# host_links: the links of the test's network namespace, the container's "host".
host_links() {
	ip -n "$TEST_NETNS" -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}'
}

@test "net: lo is up and eth0 has an address and a default route" {
	run_ctr -0 sh -c 'ip -o link show; ip -4 -o addr show eth0; ip route'
	[[ $output == *"1: lo: <LOOPBACK,UP,LOWER_UP>"* ]]
	[[ $output =~ eth0[[:space:]]+inet\ 10\.200\.[0-9]+\.[0-9]+/30 ]]
	[[ $output =~ default\ via\ 10\.200\.[0-9]+\.[0-9]+\ dev\ eth0 ]]
}

@test "net: the host end has an address and the container reaches it" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local link addr
	link=$(host_links | grep '^ctr')
	addr=$(ip -n "$TEST_NETNS" -4 -o addr show dev "$link" | awk '{print $4}')
	echo "# host end $link $addr" >&2
	[[ $addr == 10.200.*/30 ]]
	run_ctr -0 true
	stop_ctr
	run_ctr -0 sh -c 'ping -c 1 -W 2 "$(ip route | awk "/default/ {print \$3}")"'
	[[ $output == *"1 packets received"* ]]
}

@test "net: --net none gives loopback only" {
	run_ctr -0 --net none ls /sys/class/net
	[ "$output" = lo ]
	run_ctr -0 --net none ip -o link show lo
	[[ $output == *"<LOOPBACK,UP,LOWER_UP>"* ]]
	[ -z "$(links_in "$TEST_NETNS")" ]
}

@test "net: --ip chooses eth0's address; the host end takes the network's first" {
	run_ctr -0 --ip 192.168.77.9/24 sh -c 'ip -4 -o addr show eth0; ping -c 1 -W 2 192.168.77.1'
	[[ $output == *"inet 192.168.77.9/24"* ]]
	[[ $output == *"1 packets received"* ]]
	run_ctr -0 --ip 192.168.77.1/24 sh -c 'ip route'
	[[ $output == *"default via 192.168.77.2"* ]]
}

@test "net: the host's other interfaces are not visible inside" {
	ip -n "$TEST_NETNS" link add ctrtest-a type veth peer name ctrtest-b
	test_cleanup() { ip -n "$TEST_NETNS" link del ctrtest-a; }
	run_ctr -0 ls /sys/class/net
	[ "$(echo $output)" = "eth0 lo" ]
	run_ctr -0 cat /proc/net/dev
	[[ $output != *ctrtest-* ]]
}

@test "net: a port bound inside is not bound on the host" {
	start_ctr -- sh -c 'nc -l -p 7777 -e true & sleep 0.2; echo ready; wait'
	local inside outside
	inside=$(nsenter --target "$CTR_INIT" --net cat /proc/net/tcp /proc/net/tcp6)
	outside=$(nsenter --net="/run/netns/$TEST_NETNS" cat /proc/net/tcp /proc/net/tcp6)
	stop_ctr
	[[ $inside == *":1E61 "* ]]
	[[ $outside != *":1E61 "* ]]
}

@test "net: several containers at once get distinct names and addresses" {
	local i pids=() out
	for i in 1 2 3; do
		ctr_cmd -- sh -c 'ip -4 -o addr show eth0; sleep 1'
		"${CTR_CMD[@]}" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
		pids+=($!)
	done
	for i in 0 1 2; do
		wait "${pids[$i]}"
	done
	out=$(cat "$BATS_TEST_TMPDIR"/out.* | awk '{print $4}' | sort)
	echo "# $out" >&2
	[ "$(echo "$out" | grep -c '^10\.200\.')" -eq 3 ]
	[ "$(echo "$out" | sort -u | wc -l)" -eq 3 ]
}

@test "net: the veth pair is gone when the container exits, however it exits" {
	run_ctr -0 true
	links_gone "$TEST_NETNS"
	run_ctr -3 sh -c 'exit 3'
	links_gone "$TEST_NETNS"
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	[ "$(host_links | grep -c '^ctr')" -eq 1 ]
	stop_ctr KILL
	links_gone "$TEST_NETNS"
}

@test "net: the host end goes with the container's namespace, renamed or not; a link that took its name stays" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local name
	name=$(host_links | grep '^ctr')
	# The host end is renamed, and a link of someone else's takes its name.
	ip -n "$TEST_NETNS" link set "$name" name moved0
	ip -n "$TEST_NETNS" link add "$name" type veth peer name other0
	test_cleanup() { ip -n "$TEST_NETNS" link del other0 2>/dev/null || true; }
	stop_ctr
	[ "$CTR_STATUS" -eq 143 ]
	# The container's pair is gone; the other link stays.
	wait_for '! host_links | grep -qx moved0' 5
	host_links | grep -qx "$name"
	host_links | grep -qx other0
}

@test "net: the pair lives as long as the container's network namespace: held from outside, it stays until let go" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local name
	name=$(host_links | grep '^ctr')
	# A descriptor of the namespace holds it, as nsenter or a bind mount would.
	exec {NS_FD}<"/proc/$CTR_INIT/ns/net"
	test_cleanup() { [ -z "${NS_FD:-}" ] || exec {NS_FD}<&-; }
	stop_ctr
	[ "$CTR_STATUS" -eq 143 ]
	# Far longer than the kernel takes to delete a pair whose namespace died.
	sleep 1
	host_links | grep -qx "$name"
	exec {NS_FD}<&-
	NS_FD=
	links_gone "$TEST_NETNS"
}

@test "bad input: --net and --ip values are checked before anything is made" {
	run_ctr -125 --net bridge true
	[[ $stderr == *"--net bridge: expected veth or none"* ]]
	run_ctr -125 --net none --ip 10.1.1.2/24 true
	[[ $stderr == *"--ip needs --net veth"* ]]
	run_ctr -125 --ip 10.1.1.2 true
	[[ $stderr == *"expected ADDR/PREFIX"* ]]
	run_ctr -125 --ip 10.1.1.300/24 true
	[[ $stderr == *"is not an IPv4 address"* ]]
	run_ctr -125 --ip 10.1.1.2/31 true
	[[ $stderr == *"prefix must be a number from 8 to 30"* ]]
	run_ctr -125 --ip 10.1.1.0/24 true
	[[ $stderr == *"network's own or broadcast address"* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$(host_links)" = lo ]
}
