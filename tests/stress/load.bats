#!/usr/bin/env bats
# Load: fifty step-09 containers at once, then five hundred one after
# another, and nothing may be left or keep growing. Long: run by
# `make stress` (tests/stress/run.sh), not by `make test`.

# The complete runtime, and the shared helpers one directory up: they take
# the repository to be the parent of the test file's directory, which here
# it is not, so point them at it first and put REPO right after.
STEP=09
_repo=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
CONTAINER=${CONTAINER:-$(echo "$_repo"/steps/09-*/container)}
ROOTFS=${ROOTFS:-$_repo/build/test-rootfs}
load ../helpers
REPO=$_repo

USERNS_ROOTFS=$REPO/build/test-rootfs-userns
RUSAGE=${RUSAGE:-$REPO/build/stress/rusage}

# The cgroups the runtime PID made, one a line.
cgroup_dirs() {
	find /sys/fs/cgroup -maxdepth 3 -type d -path "*/containers-from-scratch/ctr-$1" 2>/dev/null
}

@test "load: fifty containers at once, each with its own cgroup, overlay and network, each exits with its own status" {
	local n=${LOAD_CONTAINERS:-50} i pids=() w
	WRITERS=()
	for ((i = 0; i < n; i++)); do
		mkfifo "$BATS_TEST_TMPDIR/in.$i"
		ROOTFS=$USERNS_ROOTFS ctr_cmd --memory 64M --pids-limit 32 --cpus 0.5 \
			--upper "$SCRATCH/up.$i" --hostname "c$i" -- \
			sh -c "hostname >/etc/who; ip addr show eth0 | awk '/inet / {print \$2}' >/etc/ip;
				echo ready; read x; exit $i"
		"${CTR_CMD[@]}" <"$BATS_TEST_TMPDIR/in.$i" >"$BATS_TEST_TMPDIR/out.$i" 2>"$BATS_TEST_TMPDIR/err.$i" &
		pids+=($!)
		exec {w}>"$BATS_TEST_TMPDIR/in.$i"
		WRITERS+=("$w")
	done
	test_cleanup() {
		local w
		for w in "${WRITERS[@]}"; do exec {w}>&-; done
		wait
	}
	# All of them running at the same time.
	wait_for "[ \$(grep -lx ready $BATS_TEST_TMPDIR/out.* 2>/dev/null | wc -l) -eq $n ]" 60 || {
		grep -L -x ready "$BATS_TEST_TMPDIR"/out.* >&2
		cat "$BATS_TEST_TMPDIR"/err.* >&2
		false
	}
	local cgroups links ips
	cgroups=$(find /sys/fs/cgroup/memory /sys/fs/cgroup -maxdepth 2 -type d -path '*/containers-from-scratch/ctr-*' 2>/dev/null | sort -u | wc -l)
	links=$(ip -n "$TEST_NETNS" -o link show | grep -c ': ctr')
	ips=$(cat "$SCRATCH"/up.*/etc/ip | sort -u | wc -l)
	echo "# $n running: $cgroups memory cgroups, $links veth pairs, $ips addresses" >&2
	[ "$cgroups" -ge "$n" ]
	[ "$links" -eq "$n" ]
	[ "$ips" -eq "$n" ]
	for ((i = 0; i < n; i++)); do
		[ -n "$(cgroup_dirs "${pids[$i]}")" ]
		[ "$(cat "$SCRATCH/up.$i/etc/who")" = "c$i" ]
	done
	# Let them go; each ends with its own status.
	for w in "${WRITERS[@]}"; do exec {w}>&-; done
	WRITERS=()
	local status wrong=
	for ((i = 0; i < n; i++)); do
		status=0
		wait "${pids[$i]}" || status=$?
		[ "$status" -eq "$i" ] || wrong+=" $i:$status($(cat "$BATS_TEST_TMPDIR/err.$i"))"
	done
	echo "# wrong statuses:${wrong:- none}" >&2
	[ -z "$wrong" ]
	for ((i = 0; i < n; i++)); do
		[ -z "$(cgroup_dirs "${pids[$i]}")" ]
	done
	[ -z "$(find "$SCRATCH" -maxdepth 1 -name '.up.*.work*')" ]
	links_gone "$TEST_NETNS"
}

# A sample of what the host holds, one "name value" a line. Other test runs
# on the same host come and go: what they hold is left out where it can be
# told apart, and only reported ("info-") where it cannot.
sample() {
	echo "mounts $(awk '{print $5}' /proc/self/mountinfo |
		grep -v -e '^/tmp/bats-run-' -e '^/run/netns/' -e "^$REPO/build/scratch\." | wc -l)"
	echo "stale-cgroups $(stale_cgroups | wc -l)"
	echo "host-links $(ip -o link show | wc -l)"
	echo "netns-links $(ip -n "$TEST_NETNS" -o link show | wc -l)"
	echo "shell-fds $(ls /proc/$$/fd | wc -l)"
	echo "scratch-entries $(ls -A "$SCRATCH" | wc -l)"
	echo "info-cgroup-dirs $(find /sys/fs/cgroup -type d 2>/dev/null | wc -l)"
	awk '$1 == "memory" || $1 == "pids" || $1 == "cpu" {print "info-kernel-" $1 "-cgroups", $3}' /proc/cgroups
}

# The cgroups of runtimes that are gone: what a leak would leave.
stale_cgroups() {
	local d
	for d in $(find /sys/fs/cgroup -maxdepth 3 -type d -path '*/containers-from-scratch/ctr-*' 2>/dev/null); do
		alive "${d##*/ctr-}" || echo "$d"
	done
}

# Descriptors of a running container's runtime and init, "runtime N init N".
running_fds() {
	ROOTFS=$USERNS_ROOTFS start_ctr --memory 32M --upper "$SCRATCH/up" -- sh -c 'echo ready; exec sleep 30'
	echo "runtime-fds $(ls "/proc/$CTR_PID/fd" | wc -l)"
	echo "init-fds $(ls "/proc/$CTR_INIT/fd" | wc -l)"
	stop_ctr
}

# The median of the numbers on stdin.
median() {
	sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'
}

@test "load: five hundred containers one after another: mounts, cgroups, links, descriptors and memory do not grow" {
	[ -x "$RUSAGE" ] || skip "no $RUSAGE: run tests/stress/run.sh, which builds it"
	local n=${LOAD_RUNS:-500} i status wrong= before after rss=$BATS_TEST_TMPDIR/rss
	mkdir -p "$SCRATCH/layer/etc" "$SCRATCH/up"
	echo layer >"$SCRATCH/layer/etc/layer"
	chown -R 100000:100000 "$SCRATCH/layer" "$SCRATCH/up"
	before=$( (sample; running_fds) | sort)
	for ((i = 1; i <= n; i++)); do
		local args=(--memory 32M --cpus 0.5 --pids-limit 64)
		((i % 2)) && args+=(--upper "$SCRATCH/up")
		((i % 3)) || args+=(--layer "$SCRATCH/layer")
		status=0
		"$RUSAGE" -n "/run/netns/$TEST_NETNS" -o "$rss" "$CONTAINER" --rootfs "$USERNS_ROOTFS" "${args[@]}" \
			-- sh -c "echo run $i >/etc/run; exit $((i % 7))" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" ||
			status=$?
		[ "$status" -eq $((i % 7)) ] || wrong+=" $i:$status($(head -c 200 "$BATS_TEST_TMPDIR/err"))"
	done
	echo "# wrong statuses:${wrong:- none}" >&2
	[ -z "$wrong" ]
	# Give a last container a moment, then compare; other things on the
	# host may come and go, so a difference must last to count.
	local diffs=
	for i in 1 2 3 4 5; do
		after=$( (sample; running_fds) | sort)
		diffs=$(join <(echo "$before") <(echo "$after") | awk '
			$1 ~ /^info-/ {next}
			$2 != $3 {print}')
		[ -n "$diffs" ] || break
		sleep 1
	done
	echo "# before and after $n runs:" >&2
	join <(echo "$before") <(echo "$after") | sed 's/^/#   /' >&2
	local first last
	first=$(head -n 50 "$rss" | awk '{print $2}' | median)
	last=$(tail -n 50 "$rss" | awk '{print $2}' | median)
	echo "#   runtime peak RSS (median KiB): first 50 runs $first, last 50 runs $last" >&2
	echo "# grew: ${diffs:-nothing}" >&2
	[ -z "$diffs" ]
	[ "$last" -le $((first + first / 10 + 256)) ]
}

@test "load: TERM at a few hundred moments of creation: always 143, never 125 nor a lost signal, nothing left" {
	local n=${TERM_RUNS:-300} i delay wrong=
	for ((i = 1; i <= n; i++)); do
		# From before clone() to after the command has started.
		delay=$(printf '0.%03d' $((RANDOM % 40)))
		ROOTFS=$USERNS_ROOTFS term_after "$delay" --memory 32M --pids-limit 16 \
			--upper "$SCRATCH/up" -- sh -c 'sleep 5; exit 5'
		# A lost TERM would let the command run on and end with 5.
		[ "$status" -eq 143 ] || wrong+=" ${delay}s:$status($(head -c 200 "$BATS_TEST_TMPDIR/err"))"
	done
	echo "# wrong:${wrong:- none}" >&2
	[ -z "$wrong" ]
	[ -z "$(find "$SCRATCH" -maxdepth 1 -name '.up.work*')" ]
	[ -z "$(find /sys/fs/cgroup -maxdepth 3 -type d -path '*/containers-from-scratch/ctr-*')" ]
	links_gone "$TEST_NETNS"
}

@test "load: exec while the container is exiting, a hundred times: each exec ends 0, 125 or 137, none hangs, nothing left" {
	local n=${EXEC_RACE_RUNS:-100} i status runtime wrong= name=race$$ counts=
	for ((i = 1; i <= n; i++)); do
		# The command ends 0 to 290 ms after it starts.
		ctr_cmd --name "$name" -- sh -c "exec sleep 0.$((RANDOM % 3))$((RANDOM % 10))"
		"${CTR_CMD[@]}" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
		runtime=$!
		while alive "$runtime"; do
			status=0
			timeout 10 "$CONTAINER" exec "$name" sh -c 'sleep 0.01' </dev/null >/dev/null \
				2>"$BATS_TEST_TMPDIR/exec.err" || status=$?
			counts+=" $status"
			case $status in
			0 | 137) ;;
			125) [ "$(wc -l <"$BATS_TEST_TMPDIR/exec.err")" -eq 1 ] ||
				wrong+=" $i:125($(head -c 300 "$BATS_TEST_TMPDIR/exec.err"))" ;;
			*) wrong+=" $i:$status($(head -c 200 "$BATS_TEST_TMPDIR/exec.err"))" ;;
			esac
		done
		status=0
		wait "$runtime" || status=$?
		[ "$status" -eq 0 ] || wrong+=" run $i:$status($(head -c 200 "$BATS_TEST_TMPDIR/err"))"
	done
	echo "# exec statuses: $(tr ' ' '\n' <<<"$counts" | sort | uniq -c | tr -s ' \n' ' ')" >&2
	echo "# wrong:${wrong:- none}" >&2
	[ -z "$wrong" ]
	# Some got in, and some found it gone: the race was run.
	[[ " $counts " == *" 0 "* ]]
	[[ " $counts " == *" 125 "* ]]
	[ ! -e "/run/containers-from-scratch/name-$name.lock" ]
}

@test "load: fifty execs at once into one container: each runs inside and ends with its own status" {
	local n=${EXEC_AT_ONCE:-50} i pids=() status wrong= name=many$$
	start_ctr --name "$name" --hostname many --pids-limit 300 -- sh -c 'echo ready; exec sleep 120'
	for ((i = 0; i < n; i++)); do
		"$CONTAINER" exec "$name" sh -c "hostname; exit $((i % 100))" </dev/null \
			>"$BATS_TEST_TMPDIR/x.$i" 2>&1 &
		pids+=($!)
	done
	for ((i = 0; i < n; i++)); do
		status=0
		wait "${pids[$i]}" || status=$?
		[ "$status" -eq $((i % 100)) ] && [ "$(cat "$BATS_TEST_TMPDIR/x.$i")" = many ] ||
			wrong+=" $i:$status($(head -c 200 "$BATS_TEST_TMPDIR/x.$i"))"
	done
	echo "# wrong:${wrong:- none}" >&2
	[ -z "$wrong" ]
	stop_ctr
	[ "$CTR_STATUS" -eq 143 ]
}
