#!/bin/sh
# The solution to chapter 05's exercise 3: two containers joined through a
# bridge on the host, and a ping from one to the other. Run from the top of
# the repository, as root, best in a network namespace of its own so that
# nothing touches the host's network:
#
#   sudo ip netns add bridge-demo
#   sudo nsenter --net=/run/netns/bridge-demo steps/05-net/solutions/bridge.sh
#   sudo ip netns delete bridge-demo
#
# It starts two step-05 containers on one /24, 10.250.0.2 and 10.250.0.3,
# each waiting for a line on its standard input. Each has its own veth pair,
# and the host end of each took the network's first address, 10.250.0.1.
# Then, on the host side: a bridge, br-demo, with both host ends as its ports,
# their addresses moved to the bridge (a port of a bridge is a cable, not an
# interface with an address of its own). Last, the first container pings the
# second, and both are told to exit; the runtime deletes each host end, and
# the script deletes the bridge. CONTAINER and ROOTFS override the binary
# (default steps/05-net/container) and the root filesystem (build/rootfs).
set -eu
ctr=${CONTAINER:-steps/05-net/container}
rootfs=${ROOTFS:-build/rootfs}
bridge=br-demo
dir=$(mktemp -d)
cleanup() {
	exec 3>&- 4>&- 2>/dev/null
	wait 2>/dev/null || true
	ip link delete "$bridge" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

mkfifo "$dir/a.in" "$dir/b.in"
"$ctr" --rootfs "$rootfs" --hostname a --ip 10.250.0.2/24 --pid-file "$dir/a.pid" \
	sh -c 'read go; ping -c 3 -W 2 10.250.0.3' <"$dir/a.in" >"$dir/a.out" 2>&1 &
a=$!
"$ctr" --rootfs "$rootfs" --hostname b --ip 10.250.0.3/24 --pid-file "$dir/b.pid" \
	sh -c 'read stop' <"$dir/b.in" >"$dir/b.out" 2>&1 &
b=$!
exec 3>"$dir/a.in" 4>"$dir/b.in"
i=0
until [ -s "$dir/a.pid" ] && [ -s "$dir/b.pid" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "the containers did not start:"; cat "$dir/a.out" "$dir/b.out"; exit 1; }
	sleep 0.1
done

# host_end PID: the host end of the veth pair whose other end is eth0 in the
# network namespace of PID: eth0's peer, "eth0@ifN", is link N out here.
host_end() {
	peer=$(nsenter --target "$1" --net ip -o link show eth0 | sed -n 's/^[0-9]*: eth0@if\([0-9]*\):.*/\1/p')
	ip -o link show | awk -F': ' -v n="$peer" '$1 == n {sub(/@.*/, "", $2); print $2}'
}
end_a=$(host_end "$(cat "$dir/a.pid")")
end_b=$(host_end "$(cat "$dir/b.pid")")
echo "host ends: $end_a (to a), $end_b (to b)"

ip link add "$bridge" type bridge
for end in "$end_a" "$end_b"; do
	ip address flush dev "$end"
	ip link set "$end" master "$bridge"
done
ip address add 10.250.0.1/24 dev "$bridge"
ip link set "$bridge" up
echo "bridge $bridge: ports $(ip -o link show master "$bridge" | awk -F': ' '{sub(/@.*/, "", $2); printf "%s ", $2}')"

echo go >&3
status=0
wait "$a" || status=$?
exec 4>&-
wait "$b" || true
sed 's/^/a: /' "$dir/a.out"
echo "a's ping exited with status $status"
exit "$status"
