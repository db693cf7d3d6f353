#!/bin/sh
# The solution to chapter 07's exercise 1: a pids limit written from the host
# stops a fork bomb. Run from the top of the repository, as root:
#
#   sudo steps/07-cgroup/solutions/pids-limit.sh [LIMIT]
#
# It starts step 07's container with a shell that waits for a line on its
# standard input; writes LIMIT (default 20) into the container's pids.max
# from the host; lets the shell set off a fork bomb (every process forks
# copies of itself, without end, and retries when a fork fails); watches pids.current and
# pids.events from the host for two seconds; then closes the shell's input:
# the shell exits, and with it init, and the kernel kills every process left
# in the container's PID namespace. CONTAINER and ROOTFS override the binary
# (default steps/07-cgroup/container) and the root filesystem (build/rootfs).
#
# The bomb only goes off under a limit: the shell reads pids.max first, and
# refuses when it says "max".
set -eu
ctr=${CONTAINER:-steps/07-cgroup/container}
rootfs=${ROOTFS:-build/rootfs}
limit=${1:-20}
dir=$(mktemp -d)
trap 'exec 3>&- 2>/dev/null; rm -rf "$dir"' EXIT

mkfifo "$dir/stdin"
"$ctr" --rootfs "$rootfs" --pid-file "$dir/pid" sh -c '
	read go
	max=$(cat /sys/fs/cgroup/pids.max 2>/dev/null || cat /sys/fs/cgroup/pids/pids.max)
	if [ "$max" = max ]; then echo "inside: no pids limit, no bomb"; exit 1; fi
	echo "inside: pids.max is $max; the bomb goes off"
	bomb() { while :; do bomb & done; }
	bomb 2>/dev/null &
	read stop; exit 0' <"$dir/stdin" >"$dir/out" 2>&1 &
runtime=$!
exec 3>"$dir/stdin"

i=0
until [ -s "$dir/pid" ]; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "the container did not start:"; cat "$dir/out"; exit 1; }
	sleep 0.1
done
init=$(cat "$dir/pid")

# The container's cgroup, as the host sees it: cgroup v2's one tree, or
# cgroup v1's pids hierarchy.
if [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ]; then
	cg=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$init/cgroup")
else
	cg=/sys/fs/cgroup/pids$(awk -F: '$2 == "pids" {print $3}' "/proc/$init/cgroup")
fi
echo "$limit" >"$cg/pids.max"
echo "host: wrote $limit to $cg/pids.max"
echo go >&3

# Two seconds of the bomb, seen from the host.
most=0
i=0
while [ "$i" -lt 20 ]; do
	n=$(cat "$cg/pids.current")
	[ "$n" -gt "$most" ] && most=$n
	sleep 0.1
	i=$((i + 1))
done
refused=$(awk '$1 == "max" {print $2}' "$cg/pids.events")
echo "host: for 2 s pids.current was at most $most; pids.events counts $refused refused forks"

# Closing the shell's input ends it, and the kernel ends the rest with init.
exec 3>&-
status=0
wait "$runtime" || status=$?
sed 's/^/container: /' "$dir/out" | grep -v "can't fork" || true
echo "the runtime exited with status $status"
