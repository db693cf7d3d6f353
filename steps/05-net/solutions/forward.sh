#!/bin/sh
# The solution to chapter 05's exercise 2: what a container needs to reach a
# network beyond the host, tried against a pretend uplink that never leaves
# the machine. Run from the top of the repository, as root, in a network
# namespace of its own (the script changes that namespace's ip_forward):
#
#   sudo ip netns add forward-demo
#   sudo nsenter --net=/run/netns/forward-demo steps/05-net/solutions/forward.sh
#   sudo ip netns delete forward-demo
#
# "Upstream" is a network namespace held by a shell of unshare(1), joined to
# this one by a veth pair: 192.0.2.1 there, 192.0.2.2 here (TEST-NET-1, an
# address range kept for examples). It knows a route to nothing else, as a
# router of your provider knows nothing of your private addresses. A step-05
# container, 10.250.0.2/24, pings 192.0.2.1 three times:
#   1. as the runtime leaves things: the host does not forward;
#   2. with net.ipv4.ip_forward=1: the request goes out, the reply has no way
#      back to 10.250.0.2;
#   3. with a route back to 10.250.0.0/24 upstream: the reply comes home.
# Docker does 2, and instead of 3 masquerades (rewrites the source address of
# what leaves to the uplink's own, nftables or iptables NAT), because the real
# upstream will never route a private range to you. CONTAINER and ROOTFS
# override the binary (default steps/05-net/container) and build/rootfs.
set -eu
ctr=${CONTAINER:-steps/05-net/container}
rootfs=${ROOTFS:-build/rootfs}
dir=$(mktemp -d)
cleanup() {
	exec 3>&- 4>&- 2>/dev/null
	wait 2>/dev/null || true
	ip link delete up0 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

mkfifo "$dir/up.in" "$dir/ctr.in"
# Upstream: a new network namespace, held open until its input closes.
unshare --net sh -c 'echo $$ >'"$dir/up.pid"'; read stop' <"$dir/up.in" &
exec 3>"$dir/up.in"
"$ctr" --rootfs "$rootfs" --ip 10.250.0.2/24 --pid-file "$dir/ctr.pid" sh -c '
	for try in 1 2 3; do
		read go
		echo "try $try: $(ping -c 1 -W 1 192.0.2.1 | grep -o "[0-9]* packets received")"
	done' <"$dir/ctr.in" >"$dir/ctr.out" 2>&1 &
runtime=$!
exec 4>"$dir/ctr.in"
i=0
until [ -s "$dir/up.pid" ] && [ -s "$dir/ctr.pid" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "upstream or the container did not start"; cat "$dir/ctr.out"; exit 1; }
	sleep 0.1
done
up=$(cat "$dir/up.pid")
in_up() { nsenter --target "$up" --net "$@"; }

ip link add up0 type veth peer name eth0 netns "$up"
ip address add 192.0.2.2/24 dev up0
ip link set up0 up
in_up ip address add 192.0.2.1/24 dev eth0
in_up ip link set eth0 up
in_up ip link set lo up

# try TEXT: say what changed, let the container ping once, show its answer.
try() {
	echo "$1"
	# Count the answers before asking: a quick one must not be counted as old.
	n=$(grep -c '^try' "$dir/ctr.out" || true)
	echo go >&4
	i=0
	while [ "$(grep -c '^try' "$dir/ctr.out" || true)" -eq "$n" ]; do
		i=$((i + 1))
		[ "$i" -lt 50 ] || { echo "the container stopped answering"; cat "$dir/ctr.out"; exit 1; }
		sleep 0.1
	done
	tail -n 1 "$dir/ctr.out"
}
try "host: ip_forward is $(cat /proc/sys/net/ipv4/ip_forward); upstream routes: $(in_up ip route | tr '\n' ';')"
echo 1 >/proc/sys/net/ipv4/ip_forward
try "host: ip_forward is 1 now"
in_up ip route add 10.250.0.0/24 via 192.0.2.2
try "upstream: a route back, 10.250.0.0/24 via 192.0.2.2"
exec 4>&-
status=0
wait "$runtime" || status=$?
echo "the runtime exited with status $status"
