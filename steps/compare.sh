#!/usr/bin/env bash
# compare.sh NN-name [ROOTFS]: run a step with a long-lived command and show,
# for all eight namespace types, the host's namespace next to the
# container's: the facts `lsns -p PID` shows, side by side with the host.
set -u
cd "$(dirname "$0")/.."

step=${1:?usage: compare.sh NN-name [ROOTFS]}
rootfs=${2:-build/rootfs}
bin=steps/$step/container
[ -x "$bin" ] || { echo "compare.sh: $bin is not built (run make)" >&2; exit 2; }
if [ "$(id -u)" -ne 0 ]; then
	echo "compare.sh: run as root (sudo make compare STEP=${step:0:2})" >&2
	exit 2
fi

args=(--hostname "step-${step:0:2}")
[ "$((10#${step:0:2}))" -ge 3 ] && args+=(--rootfs "$rootfs")

dir=$(mktemp -d /tmp/ctr-compare.XXXXXX)
runtime=
finish() {
	[ -n "$runtime" ] && kill -TERM "$runtime" 2>/dev/null && wait "$runtime" 2>/dev/null
	rm -rf "$dir"
}
trap finish EXIT

# The command says "ready" once every namespace is in place.
"$bin" "${args[@]}" --pid-file "$dir/pid" -- sh -c 'echo ready; exec sleep 600' \
	>"$dir/out" 2>"$dir/err" &
runtime=$!
for _ in $(seq 100); do
	grep -qx ready "$dir/out" 2>/dev/null && break
	kill -0 "$runtime" 2>/dev/null || break
	sleep 0.05
done
if ! grep -qx ready "$dir/out" 2>/dev/null; then
	echo "compare.sh: the container did not start:" >&2
	cat "$dir/err" >&2
	exit 1
fi
pid=$(cat "$dir/pid")

printf 'Namespaces of this shell (PID %d) and of step %s'"'"'s container (host PID %d)\n\n' \
	$$ "$step" "$pid"
printf '%-8s %-22s %-22s %s\n' TYPE HOST CONTAINER ""
differ=0
for t in cgroup ipc mnt net pid time user uts; do
	h=$(readlink "/proc/$$/ns/$t")
	c=$(readlink "/proc/$pid/ns/$t")
	if [ "$h" = "$c" ]; then
		mark=same
	else
		mark="differs"
		differ=$((differ + 1))
	fi
	h=${h#*:[} c=${c#*:[}
	printf '%-8s %-22s %-22s %s\n' "$t" "${h%]}" "${c%]}" "$mark"
done
printf '\n%d of 8 namespace types differ from the host'"'"'s.\n' "$differ"
if command -v lsns >/dev/null; then
	printf '\n$ lsns -p %d -o NS,TYPE,NPROCS,PID,COMMAND\n' "$pid"
	lsns -p "$pid" -o NS,TYPE,NPROCS,PID,COMMAND | cut -c1-79
fi
