#!/bin/sh
# The solution to chapter 07's exercise 2: freeze a running container, then
# thaw it, from the host. Run from the top of the repository, as root:
#
#   sudo steps/07-cgroup/solutions/freeze.sh
#
# It starts step 07's container with a shell that prints a number every
# tenth of a second, and then:
#  - on cgroup v2, writes 1 to the container's cgroup.freeze, waits for
#    cgroup.events to say "frozen 1", and later writes 0;
#  - on cgroup v1, where step 07 makes no freezer cgroup, makes one in the
#    freezer hierarchy, moves every process of the container into it, writes
#    FROZEN to freezer.state and waits for it to read FROZEN, later THAWED;
#    and at the end moves them back and removes it.
# It counts the lines the container printed before, during and after the
# freeze, then stops the container with SIGTERM. CONTAINER and ROOTFS
# override the binary (default steps/07-cgroup/container) and build/rootfs.
set -eu
ctr=${CONTAINER:-steps/07-cgroup/container}
rootfs=${ROOTFS:-build/rootfs}
dir=$(mktemp -d)
freezer=
cleanup() {
	if [ -n "$freezer" ] && [ -d "$freezer" ]; then
		echo THAWED >"$freezer/freezer.state" 2>/dev/null || true
		for p in $(cat "$freezer/cgroup.procs" 2>/dev/null); do
			echo "$p" >/sys/fs/cgroup/freezer/cgroup.procs 2>/dev/null || true
		done
		rmdir "$freezer" 2>/dev/null || true
	fi
	rm -rf "$dir"
}
trap cleanup EXIT

"$ctr" --rootfs "$rootfs" --pid-file "$dir/pid" sh -c \
	'i=0; while :; do i=$((i + 1)); echo "$i"; sleep 0.1; done' >"$dir/out" 2>&1 &
runtime=$!
i=0
until [ -s "$dir/pid" ] && [ -s "$dir/out" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "the container did not start:"; cat "$dir/out"; exit 1; }
	sleep 0.1
done
init=$(cat "$dir/pid")
lines() { wc -l <"$dir/out"; }
# wait_until FILE TEXT: up to 5 s for FILE to hold a line TEXT.
wait_until() {
	i=0
	until grep -qx "$2" "$1"; do
		i=$((i + 1))
		[ "$i" -lt 50 ] || { echo "host: $1 never said $2"; exit 1; }
		sleep 0.1
	done
}

sleep 0.5
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$init/cgroup")
	echo 1 >"$cg/cgroup.freeze"
	wait_until "$cg/cgroup.events" "frozen 1"
	echo "host: cgroup v2, $cg/cgroup.freeze is 1, cgroup.events says frozen 1"
else
	pids=/sys/fs/cgroup/pids$(awk -F: '$2 == "pids" {print $3}' "/proc/$init/cgroup")
	freezer=/sys/fs/cgroup/freezer/$(basename "$pids")-frozen
	mkdir "$freezer"
	# Every process of the container is in its pids cgroup. One forked
	# meanwhile is born in its parent's freezer cgroup: a second pass, once
	# the parents are in, catches it.
	for pass in 1 2; do
		for p in $(cat "$pids/cgroup.procs"); do
			echo "$p" >"$freezer/cgroup.procs" 2>/dev/null || true
		done
	done
	echo FROZEN >"$freezer/freezer.state"
	wait_until "$freezer/freezer.state" FROZEN
	echo "host: cgroup v1, $(wc -w <"$freezer/cgroup.procs") processes in $freezer, freezer.state is FROZEN"
fi
before=$(lines)
sleep 1
during=$(($(lines) - before))
echo "host: lines printed in 1 s while frozen: $during"

if [ -n "$freezer" ]; then
	echo THAWED >"$freezer/freezer.state"
	wait_until "$freezer/freezer.state" THAWED
else
	echo 0 >"$cg/cgroup.freeze"
	wait_until "$cg/cgroup.events" "frozen 0"
fi
before=$(lines)
sleep 1
after=$(($(lines) - before))
echo "host: thawed; lines printed in the next 1 s: $after"

kill -TERM "$runtime"
status=0
wait "$runtime" || status=$?
echo "the runtime exited with status $status"
