#!/usr/bin/env bash
# make bench: how long a container takes to start and exit, step by step and
# next to other runtimes, all in one run.
#
#   sudo tests/bench/run.sh            the full run (one to three minutes)
#   sudo tests/bench/run.sh --quick    a short one, for CI (under a minute)
#   sudo tests/bench/run.sh --runs 200 more samples per row
#   sudo tests/bench/run.sh --without runc   leave a runtime out (runc, crun, bwrap)
#
# Every row runs /bin/true. Steps 01-02 run the host's; step 03 on, and
# every other runtime, the one in build/rootfs. Each row is timed by
# tests/bench/bench.c from fork() to wait4(), after warm-up runs. The rows
# take turns in interleaved rounds, so a burst of load from elsewhere on the
# machine falls on all of them alike. Everything runs in a network namespace
# made for the run, so that no veth pair appears on the host's interfaces.
#
# Rows, and what each one isolates:
#   /bin/true       the floor: fork, exec, exit, wait
#   unshare         util-linux unshare with step 09's eight namespaces and
#                   --map-root-user; namespaces only, no root filesystem
#   01-uts .. 08    each step with its defaults (05-08: with a veth pair)
#   09 --net none   step 09 with every isolation feature but the network
#                   (loopback only), and limits: --memory 256M --cpus 1
#                   --pids-limit 1024
#   09 veth         the same with its default veth pair
#   bwrap           bubblewrap --unshare-all, the rootfs read-only, fresh
#                   /proc, /dev and /tmp; no cgroup, limits or seccomp
#   crun, runc      an OCI bundle written below (oci_config) with step 09's
#                   namespaces, id maps, limits, capabilities, masked paths
#                   and seccomp filter; the rootfs read-only where step 09
#                   puts a tmpfs overlay on it; runc has no time namespace
#                   before 1.2, so there it has seven
#   09 exec         step 09's `container exec NAME /bin/true` into a running
#                   step-09 container (--net none, the same limits)
#   nsenter --all   util-linux nsenter --all --target into that container's
#                   first process: its namespaces, root and working
#                   directory; not its cgroup, credentials or seccomp filter
#   crun exec, runc exec   into a container each started with run -d from
#                   its run row's bundle
# and the scale rows, of 09 with and without its network and of the other
# runtimes: 100 in a row (does the time per container grow?) and 50 at once
# (the time per container when they overlap). Last, how long 09's veth pair
# outlives its runtime (tests/bench/linger.c): the kernel deletes it with the
# container's network namespace once the runtime has exited.
#
# The table goes to stdout and, with the date and the machine, to
# build/bench/results.md (--quick: results-quick.md). runc, crun and bwrap
# are used when installed and otherwise left out with a note: nothing is
# installed here.
set -u
cd "$(dirname "$0")/../.."
REPO=$PWD
OUT=$REPO/build/bench

quick=0 runs= rounds= without=" "
while [ $# -gt 0 ]; do
	case $1 in
	--quick) quick=1 ;;
	--runs) runs=${2:-}; shift ;;
	--rounds) rounds=${2:-}; shift ;;
	--without) without+="${2:-} "; shift ;;
	-h | --help)
		sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*) echo "bench: unknown option $1 (try --help)" >&2; exit 2 ;;
	esac
	shift
done

if [ "$quick" = 1 ]; then
	# Fewer samples, the other runtimes once each, small scale rows.
	RUNS=${runs:-10} ROUNDS=${rounds:-1} WARMUP=2 SEQ=20 AT_ONCE=10 AT_ONCE_RUNS=2
else
	RUNS=${runs:-100} ROUNDS=${rounds:-5} WARMUP=3 SEQ=100 AT_ONCE=50 AT_ONCE_RUNS=5
fi
case $RUNS$ROUNDS in *[!0-9]*) echo "bench: --runs and --rounds take numbers" >&2; exit 2 ;; esac
[ "$ROUNDS" -ge 1 ] && [ "$RUNS" -ge "$ROUNDS" ] || { echo "bench: need --runs >= --rounds >= 1" >&2; exit 2; }
PER_ROUND=$((RUNS / ROUNDS))
RUNS=$((PER_ROUND * ROUNDS))

if [ "$(id -u)" -ne 0 ]; then
	echo "bench: needs root, to make namespaces, cgroups and veth pairs (sudo make bench)" >&2
	exit 1
fi
for cmd in "${CC:-cc}" make ip nsenter unshare; do
	command -v "$cmd" >/dev/null || { echo "bench: needs $cmd" >&2; exit 1; }
done

# ------------------------------------------------------------------------
# Build, and the things every row needs.

make -s all || exit 1
[ -e build/rootfs/etc/os-release ] || make -s rootfs || exit 1
ROOTFS=$REPO/build/rootfs
STEP09=$REPO/steps/09-overlay-cgroup-seccomp/container
mkdir -p "$OUT"
BENCH=$OUT/bench
"${CC:-cc}" -O2 -Wall -Wextra -o "$BENCH" tests/bench/bench.c || exit 1
LINGER=$OUT/linger
"${CC:-cc}" -O2 -Wall -Wextra -o "$LINGER" tests/bench/linger.c || exit 1

TAG=cfsb$$              # names this run's containers, state and netns
NETNS=ctrbench-$$
WORK=$OUT/run-$$        # bundles, runtime state and samples; removed at exit
LOG=$OUT/log            # the runtimes' stderr
: >"$LOG"

EXEC09=        # the step-09 runtime behind the exec rows, while it runs
EXEC_RTS=()    # the OCI runtimes that have an exec container running

# rt_eval RUNTIME ARG...: RUNTIME with ARGs, in its WRAP if it has one.
rt_eval() {
	local rt=$1
	shift
	eval "${WRAP[$rt]:-} $(printf '%q ' "$rt" --root "$WORK/$rt-state" "$@")"
}

stop_exec_targets() {
	local rt
	if [ -n "$EXEC09" ]; then
		"$STEP09" kill "$TAG-exec" 2>>"$LOG" || kill -KILL "$EXEC09" 2>/dev/null
		wait "$EXEC09" 2>/dev/null
		EXEC09=
	fi
	for rt in "${EXEC_RTS[@]}"; do
		rt_eval "$rt" delete -f "$TAG-exec" >/dev/null 2>>"$LOG"
	done
	EXEC_RTS=()
}

cleanup() {
	local rt id
	stop_exec_targets
	for rt in runc crun; do
		[ -d "$WORK/$rt-state" ] || continue
		# A run that was interrupted can leave a container behind.
		for id in $(ls "$WORK/$rt-state"); do
			"$rt" --root "$WORK/$rt-state" delete -f "$id" >/dev/null 2>&1
		done
	done
	# Cgroups of step-07+ runtimes that were killed, should any have been.
	"$STEP09" --cleanup 2>/dev/null
	ip netns delete "$NETNS" 2>/dev/null
	rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rm -rf --one-file-system "$WORK"
mkdir -p "$WORK/samples"
ip netns add "$NETNS" || exit 1
IN_NETNS=(nsenter --net="/run/netns/$NETNS")

# cgroup_mode: v2, hybrid (v1 controllers and a v2 tree at .../unified) or v1.
cgroup_mode() {
	if [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]; then
		echo v2
	elif [ "$(stat -f -c %T /sys/fs/cgroup/unified 2>/dev/null)" = cgroup2fs ]; then
		echo hybrid
	else
		echo v1
	fi
}
CGROUP_MODE=$(cgroup_mode)

# ------------------------------------------------------------------------
# OCI bundles for runc and crun: step 09's isolation in the runtime spec.

# oci_config TIME_NS: a config.json on stdout; TIME_NS=1 adds a time namespace.
oci_config() {
	local caps syscalls flag clone=
	caps=$(printf '"CAP_%s", ' CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID SETUID SETPCAP \
		NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE SETFCAP)
	caps="[${caps%, }]"
	# Step 09's blocked_syscalls, each refused with EPERM.
	syscalls=$(printf '"%s", ' add_key keyctl request_key ptrace mount umount2 pivot_root \
		open_tree move_mount fsopen fsconfig fsmount fspick mount_setattr unshare setns \
		kexec_load kexec_file_load init_module finit_module delete_module bpf \
		perf_event_open userfaultfd io_uring_setup io_uring_enter io_uring_register \
		open_by_handle_at swapon swapoff reboot acct settimeofday clock_settime \
		clock_adjtime adjtimex syslog)
	# clone() with any namespace flag is refused too: one rule per flag
	# (CLONE_NEWNS, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET, NEWCGROUP).
	for flag in 0x00020000 0x04000000 0x08000000 0x10000000 0x20000000 0x40000000 0x02000000; do
		clone+=$(printf ',\n        {"names": ["clone"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 0, "value": %d, "valueTwo": %d, "op": "SCMP_CMP_MASKED_EQ"}]}' $((flag)) $((flag)))
	done
	cat <<EOF
{
  "ociVersion": "1.0.2",
  "process": {
    "terminal": false,
    "user": {"uid": 0, "gid": 0},
    "args": ["/bin/true"],
    "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
    "cwd": "/",
    "capabilities": {"bounding": $caps, "effective": $caps, "permitted": $caps},
    "noNewPrivileges": true
  },
  "root": {"path": "$ROOTFS", "readonly": true},
  "hostname": "container",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/dev", "type": "tmpfs", "source": "tmpfs", "options": ["nosuid", "noexec", "mode=755", "size=64k"]},
    {"destination": "/dev/pts", "type": "devpts", "source": "devpts", "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"]},
    {"destination": "/dev/shm", "type": "tmpfs", "source": "shm", "options": ["nosuid", "nodev", "mode=1777", "size=65536k"]},
    {"destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue", "options": ["nosuid", "noexec", "nodev"]},
    {"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]},
    {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "ro"]}
  ],
  "linux": {
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "namespaces": [{"type": "pid"}, {"type": "network"}, {"type": "ipc"}, {"type": "uts"},
      {"type": "mount"}, {"type": "user"}, {"type": "cgroup"}$([ "$1" = 1 ] && echo ', {"type": "time"}')],
    "resources": {
      "memory": {"limit": 268435456, "swap": 268435456},
      "cpu": {"quota": 100000, "period": 100000},
      "pids": {"limit": 1024}
    },
    "maskedPaths": ["/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
      "/proc/latency_stats", "/proc/sched_debug", "/proc/scsi", "/proc/timer_list",
      "/proc/timer_stats", "/sys/devices/virtual/powercap", "/sys/firmware"],
    "readonlyPaths": ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"],
    "seccomp": {
      "defaultAction": "SCMP_ACT_ALLOW",
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
      "syscalls": [
        {"names": [${syscalls%, }], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}$clone
      ]
    }
  }
}
EOF
}

# ------------------------------------------------------------------------
# The rows. row KEY LABEL GROUP -- COMMAND...: a row of the table. GROUP is
# "one" (one container at a time), "seq" (SEQ in a row) or "par" (AT_ONCE at
# once); ratios compare rows of the same group. WRAP[KEY], if set, is a
# command that runs bench itself (not each container) in a different way.

KEYS=() NOTES=()
declare -A LABEL GROUP CMD WRAP
row() {
	local key=$1
	KEYS+=("$key")
	LABEL[$key]=$2
	GROUP[$key]=$3
	shift 4
	CMD[$key]=$(printf '%q ' "$@")
}
note() {
	NOTES+=("$*")
	echo "bench: $*" >&2
}

# try KEY: run KEY's command once; on failure, say why in LOG and return 1.
try() {
	local cmd=${CMD[$1]//%i/probe}
	echo "== $1: trying it once" >>"$LOG"
	eval "${WRAP[$1]:-} ${IN_NETNS[*]} $cmd" >/dev/null 2>>"$LOG" </dev/null
}

row true "/bin/true (floor)" one -- /bin/true
row unshare "unshare, 8 namespaces" one -- unshare -U -m -p -f -u -i -n -C -T --map-root-user /bin/true
for dir in steps/[0-9][0-9]-*/; do
	step=$(basename "$dir")
	n=${step:0:2}
	[ "$n" = 09 ] && continue
	if [ "$n" -le 02 ]; then
		row "$n" "$step" one -- "$REPO/$dir/container" /bin/true
	else
		row "$n" "$step" one -- "$REPO/$dir/container" --rootfs "$ROOTFS" /bin/true
	fi
done
LIMITS=(--memory 256M --cpus 1 --pids-limit 1024)
row 09none "09 --net none (all but network)" one -- "$STEP09" --rootfs "$ROOTFS" --net none "${LIMITS[@]}" /bin/true
row 09veth "09 with its veth network" one -- "$STEP09" --rootfs "$ROOTFS" "${LIMITS[@]}" /bin/true

if [[ $without == *" bwrap "* ]]; then
	note "bwrap left out (--without)"
elif command -v bwrap >/dev/null; then
	row bwrap "bwrap $(bwrap --version | awk '{print $2}')" one -- bwrap --unshare-all --uid 0 --gid 0 \
		--ro-bind "$ROOTFS" / --proc /proc --dev /dev --tmpfs /tmp --die-with-parent /bin/true
	try bwrap || { note "bwrap fails here: $(tail -n 1 "$LOG")"; unset 'KEYS[-1]'; }
else
	note "bwrap (bubblewrap) is not installed: its rows are left out"
fi

for rt in crun runc; do
	if [[ $without == *" $rt "* ]]; then
		note "$rt left out (--without): so are the ratios to it"
		continue
	fi
	if ! command -v "$rt" >/dev/null; then
		note "$rt is not installed: its rows and the ratios to it are left out"
		continue
	fi
	mkdir -p "$WORK/$rt-bundle" "$WORK/$rt-state"
	row "$rt" "$rt $("$rt" --version | awk 'NR == 1 {print $3}')" one -- \
		"$rt" --root "$WORK/$rt-state" run --bundle "$WORK/$rt-bundle" "$TAG-%i"
	if [ "$rt" = crun ] && [ "$CGROUP_MODE" = hybrid ]; then
		# crun refuses hybrid hosts ("cgroups in hybrid mode not supported"),
		# --cgroup-manager=disabled included (crun 1.8), and without a cgroup
		# it would set no limits anyway.
		# Unmounting the v2 tree at /sys/fs/cgroup/unified, in a mount
		# namespace of bench's own, makes the host look like v1 to crun,
		# which then sets its limits there as runc does. bench enters that
		# namespace once; each crun is still bench's own child.
		WRAP[crun]="unshare -m --propagation private sh -c 'umount /sys/fs/cgroup/unified && exec \"\$@\"' sh"
		note "crun: this host's cgroups are hybrid; crun runs in a private mount namespace with /sys/fs/cgroup/unified unmounted"
	fi
	# A time namespace where the runtime knows one, as step 09 has.
	oci_config 1 >"$WORK/$rt-bundle/config.json"
	if ! try "$rt"; then
		oci_config 0 >"$WORK/$rt-bundle/config.json"
		if try "$rt"; then
			note "$rt: no time namespace (this version does not know it), so 7 namespaces to step 09's 8"
		else
			note "$rt fails here, left out: $(tail -n 1 "$LOG")"
			unset 'KEYS[-1]'
		fi
	fi
done

# The exec rows: /bin/true run in a container that is already running,
# started once for its row with `sleep` as its command and stopped after
# the rounds (stop_exec_targets; cleanup too, should the run end early).
# Step 09's `container exec NAME` beside util-linux nsenter --all into the
# same container's first process (its namespaces, root and working
# directory; not its cgroup, credentials or seccomp filter), and crun
# exec, runc exec into a container each of them started with run -d.
echo "== 09-exec: starting $TAG-exec" >>"$LOG"
"${IN_NETNS[@]}" "$STEP09" --rootfs "$ROOTFS" --net none "${LIMITS[@]}" --name "$TAG-exec" \
	--pid-file "$WORK/09-exec.pid" sleep 1000000 </dev/null >/dev/null 2>>"$LOG" &
EXEC09=$!
# Ready once it answers an exec (--name registers it once it is made).
for ((i = 0; i < 100; i++)); do
	"$STEP09" exec "$TAG-exec" true </dev/null >/dev/null 2>&1 && break
	kill -0 "$EXEC09" 2>/dev/null || break
	sleep 0.05
done
row 09-exec "09 exec (into a running 09)" exec -- "$STEP09" exec "$TAG-exec" /bin/true
if try 09-exec && [ -s "$WORK/09-exec.pid" ]; then
	row nsenter-exec "nsenter --all $(nsenter --version | awk '{print $NF}')" exec -- \
		nsenter --all --target "$(cat "$WORK/09-exec.pid")" /bin/true
	try nsenter-exec || { note "nsenter --all fails here: $(tail -n 1 "$LOG")"; unset 'KEYS[-1]'; }
else
	# Kept: step 09's own row fails the run, as its other rows do.
	note "09 exec fails here: $(tail -n 1 "$LOG")"
fi
for rt in crun runc; do
	[[ " ${KEYS[*]} " == *" $rt "* ]] || continue
	# The run row's bundle, with sleep in place of /bin/true.
	mkdir -p "$WORK/$rt-exec-bundle"
	sed 's|"args": \["/bin/true"\]|"args": ["sleep", "1000000"]|' "$WORK/$rt-bundle/config.json" \
		>"$WORK/$rt-exec-bundle/config.json"
	echo "== $rt-exec: starting $TAG-exec" >>"$LOG"
	if ! rt_eval "$rt" run -d --bundle "$WORK/$rt-exec-bundle" "$TAG-exec" </dev/null >/dev/null 2>>"$LOG"; then
		note "$rt run -d fails here, so no $rt exec row: $(tail -n 1 "$LOG")"
		rt_eval "$rt" delete -f "$TAG-exec" >/dev/null 2>&1
		continue
	fi
	EXEC_RTS+=("$rt")
	row "$rt-exec" "${LABEL[$rt]%% *} exec" exec -- "$rt" --root "$WORK/$rt-state" exec "$TAG-exec" /bin/true
	[ -z "${WRAP[$rt]:-}" ] || WRAP[$rt-exec]=${WRAP[$rt]}
	try "$rt-exec" || { note "$rt exec fails here: $(tail -n 1 "$LOG")"; unset 'KEYS[-1]'; }
done

# The scale rows, of step 09 with and without its network and of each
# runtime that is there.
for key in 09none 09veth bwrap crun runc; do
	[ "$quick" = 1 ] && [ "$key" != 09none ] && [ "$key" != 09veth ] && continue
	[[ " ${KEYS[*]} " == *" $key "* ]] || continue
	short=${LABEL[$key]%% (*}
	for g in seq par; do
		if [ $g = seq ]; then
			row "$key-$g" "$short: $SEQ in a row" $g --
		else
			row "$key-$g" "$short: $AT_ONCE at once" $g --
		fi
		CMD[$key-$g]=${CMD[$key]}
		[ -z "${WRAP[$key]:-}" ] || WRAP[$key-$g]=${WRAP[$key]}
	done
done

# measure KEY BENCH_ARGS...: take samples of KEY, appended to its file.
measure() {
	local key=$1
	shift
	echo "== $key: $*" >>"$LOG"
	eval "${WRAP[$key]:-} ${IN_NETNS[*]} \"\$BENCH\" -t 120 -o \"\$WORK/samples/\$key\" $* -- ${CMD[$key]}" \
		>/dev/null 2>>"$LOG" </dev/null
}

# progress TEXT: where the run is, on a terminal only.
progress() {
	[ -t 2 ] && printf '\r%-70.70s' "bench: $*" >&2
	return 0
}

START=$(date -u '+%Y-%m-%d %H:%M UTC')
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
echo "bench: $RUNS runs per row ($ROUNDS x $PER_ROUND, each after $WARMUP warm-up runs), then the scale rows" >&2
for ((r = 1; r <= ROUNDS; r++)); do
	for key in "${KEYS[@]}"; do
		case ${GROUP[$key]} in one | exec) ;; *) continue ;; esac
		progress "round $r of $ROUNDS: ${LABEL[$key]}"
		measure "$key" -n "$PER_ROUND" -w "$WARMUP"
	done
done
stop_exec_targets
for key in "${KEYS[@]}"; do
	case ${GROUP[$key]} in one | exec) ;; *) progress "${LABEL[$key]}" ;; esac
	case ${GROUP[$key]} in
	seq) measure "$key" -n "$SEQ" -w "$WARMUP" ;;
	par) measure "$key" -n "$AT_ONCE_RUNS" -w 1 -j "$AT_ONCE" ;;
	esac
done
# How long 09's veth pair outlives its runtime: the kernel deletes it with
# the container's network namespace (DOC: veth-cleanup), after one
# container and after AT_ONCE that end together.
declare -A LINGERED
if [[ " ${KEYS[*]} " == *" 09veth "* ]]; then
	progress "how long a veth pair outlives its runtime"
	LINGERED[one]=$(eval "${IN_NETNS[*]} \"\$LINGER\" -n $SEQ -- ${CMD[09veth]}" 2>>"$LOG" </dev/null)
	printf 'for i in $(seq %d); do %s & done; wait\n' "$AT_ONCE" "${CMD[09veth]}" >"$WORK/at-once.sh"
	LINGERED[par]=$("${IN_NETNS[@]}" "$LINGER" -n "$AT_ONCE_RUNS" -- bash "$WORK/at-once.sh" 2>>"$LOG" </dev/null)
fi
[ -t 2 ] && printf '\r%78s\r' '' >&2
LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)

# ------------------------------------------------------------------------
# The table.

declare -A MED P90 MIN PER FIRST LAST RSS CPUT FAILED
for key in "${KEYS[@]}"; do
	j=1
	[ "${GROUP[$key]}" = par ] && j=$AT_ONCE
	line=$("$BENCH" -s -j "$j" "$WORK/samples/$key" 2>/dev/null) || [ -n "$line" ] || continue
	for kv in $line; do
		case $kv in
		median_ms=*) MED[$key]=${kv#*=} ;;
		p90_ms=*) P90[$key]=${kv#*=} ;;
		min_ms=*) MIN[$key]=${kv#*=} ;;
		per_ms=*) PER[$key]=${kv#*=} ;;
		first10_ms=*) FIRST[$key]=${kv#*=} ;;
		last10_ms=*) LAST[$key]=${kv#*=} ;;
		rss_kb=*) RSS[$key]=${kv#*=} ;;
		cpu_ms=*) CPUT[$key]=${kv#*=} ;;
		failed=*) FAILED[$key]=${kv#*=} ;;
		esac
	done
done

# The figure a row is judged by: per container for "par", else the median.
figure() { [ "${GROUP[$1]}" = par ] && echo "${PER[$1]:-}" || echo "${MED[$1]:-}"; }
# ref KEY RUNTIME: RUNTIME's row of KEY's group.
ref() { [ "${GROUP[$1]}" = one ] && echo "$2" || echo "$2-${GROUP[$1]}"; }
# ratio KEY RUNTIME: KEY's figure over RUNTIME's row of the same group.
ratio() {
	local a b
	a=$(figure "$1") b=$(figure "$(ref "$1" "$2")" 2>/dev/null)
	[ -n "$a" ] && [ -n "$b" ] || { echo "-"; return; }
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'
}
fmt() { [ -n "${1:-}" ] && awk -v x="$1" 'BEGIN { printf (x < 10 ? "%.2f" : "%.1f"), x }' || echo "-"; }

CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
OS=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-}")
failures=0
{
	title="make bench$([ "$quick" = 1 ] && echo " (--quick)"), $START:"
	if [ "$ROUNDS" -gt 1 ]; then
		echo "$title $RUNS runs per row in $ROUNDS interleaved rounds, each after $WARMUP warm-up runs;"
	else
		echo "$title $RUNS runs per row after $WARMUP warm-up runs;"
	fi
	echo "start to exit of /bin/true in ms (p90: 90th percentile), ratios of medians."
	echo "Machine: ${CPU:-unknown CPU}, $(nproc) CPUs, Linux $(uname -r) $(uname -m), ${OS:-unknown OS},"
	echo "cgroup $CGROUP_MODE; load average $LOAD at the start, $LOAD_END at the end."
	echo
	echo "| row | median | p90 | min | × crun | × runc | CPU | peak RSS | note |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
	for key in "${KEYS[@]}"; do
		rownote=
		med=${MED[$key]:-} p90=${P90[$key]:-}
		case ${GROUP[$key]} in
		seq)
			rownote="per container; first 10: $(fmt "${FIRST[$key]:-}"), last 10: $(fmt "${LAST[$key]:-}")" ;;
		par)
			rownote="per container; all $AT_ONCE: $(fmt "$med") wall (median of $AT_ONCE_RUNS)"
			med=${PER[$key]:-}
			[ -n "$p90" ] && p90=$(awk -v x="$p90" -v k="$AT_ONCE" 'BEGIN { print x / k }') ;;
		esac
		if [ -z "$med" ]; then
			rownote="no samples: see ${LOG#$REPO/}"
			case $key in 0* | true) failures=$((failures + 1)) ;; esac
		elif [ "${FAILED[$key]:-0}" != 0 ]; then
			rownote="${FAILED[$key]} runs FAILED (see ${LOG#$REPO/}); $rownote"
			case $key in 0* | true) failures=$((failures + 1)) ;; esac
		fi
		min=${MIN[$key]:-}
		[ "${GROUP[$key]}" = par ] && min=
		rss=-
		[ -n "${RSS[$key]:-}" ] && rss=$(awk -v k="${RSS[$key]}" 'BEGIN { printf "%.1f MiB", k / 1024 }')
		printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "${LABEL[$key]}" "$(fmt "$med")" \
			"$(fmt "$p90")" "$(fmt "$min")" "$(ratio "$key" crun)" "$(ratio "$key" runc)" \
			"$(fmt "${CPUT[$key]:-}")" "$rss" "$rownote"
	done
	echo
	echo "CPU: user and system time of the runtime and every process it waited for, per"
	echo "container (wait4's ru_utime + ru_stime, median); the kernel's deferred work, such"
	echo "as tearing down a network namespace, is not in it. Peak RSS: the largest resident"
	echo "set of any one of those processes (ru_maxrss), median over the runs. Step 09 runs"
	echo "with ${LIMITS[*]}; crun and runc get the same limits,"
	echo "namespaces, id maps (0:100000:65536), capabilities, masked paths and seccomp"
	echo "filter from an OCI bundle, with the rootfs read-only where 09 puts a tmpfs"
	echo "overlay on it. bwrap and unshare set no limits and no seccomp filter; bwrap has"
	echo "no time namespace, and unshare maps root to root (--map-root-user), since a"
	echo "0:100000:65536 map would need newuidmap(1)."
	echo "The exec rows run /bin/true in a container already running (sleep), started"
	echo "once for the row; their × crun and × runc are to crun exec and runc exec."
	echo "nsenter --all enters the namespaces, root and working directory of 09's"
	echo "container; 09 exec also joins its cgroup and takes on its credentials,"
	echo "capabilities and seccomp filter."
	for n in "${NOTES[@]}"; do
		echo "Note: $n."
	done
	# linger's line: runs= median_ms= p90_ms= max_ms= failed=
	lingered() {
		local kv runs= med= p90= max= failed=
		for kv in ${LINGERED[$1]:-}; do
			case $kv in
			runs=*) runs=${kv#*=} ;;
			median_ms=*) med=${kv#*=} ;;
			p90_ms=*) p90=${kv#*=} ;;
			max_ms=*) max=${kv#*=} ;;
			failed=*) failed=${kv#*=} ;;
			esac
		done
		[ -n "$med" ] || { echo "- (not measured, see ${LOG#$REPO/})"; return; }
		echo "$(fmt "$med") ms (median), $(fmt "$p90") (p90), $(fmt "$max") at most, over $runs runs$([ "${failed:-0}" = 0 ] || echo ", $failed FAILED")"
	}
	if [ -n "${LINGERED[one]:-}${LINGERED[par]:-}" ]; then
		echo "The host end of 09's veth pair outlives its runtime until the kernel has"
		echo "destroyed the container's network namespace (DOC: veth-cleanup). One"
		echo "container: by $(lingered one). $AT_ONCE at once,"
		echo "the last pair after the last runtime: by $(lingered par)."
	fi
	# The aims: 09 without network at most half of crun's time, within
	# 1.5x of bubblewrap's; 09 with its veth network at most crun's time
	# (crun has no network); 09 exec within 1.5x of nsenter --all, and
	# below crun exec ("<1": strictly below).
	for row in "09none:09 --net none:crun:0.5 bwrap:1.5" "09veth:09 with its veth:crun:1.0" \
		"09-exec:09 exec:nsenter:1.5 crun:<1"; do
		key=${row%%:*} row=${row#*:}
		what=${row%%:*} row=${row#*:}
		aims=()
		for aim in $row; do
			r=$(ratio "$key" "${aim%:*}")
			[ "$r" != - ] || continue
			# Judged on the figures themselves, not on the rounded ratio.
			max=${aim#*:} below=0
			[ "${max#<}" = "$max" ] || below=1 max=${max#<}
			aims+=("${r}x ${LABEL[$(ref "$key" "${aim%:*}")]%% [0-9]*}'s time (aim: $([ "$below" = 1 ] &&
				echo below || echo at most) ${max}x, $(awk -v a="$(figure "$key")" \
				-v b="$(figure "$(ref "$key" "${aim%:*}")")" -v max="$max" -v below="$below" \
				'BEGIN { print (below ? a < max * b : a <= max * b) ? "met" : "NOT met" }'))")
		done
		[ "${#aims[@]}" -eq 0 ] || echo "Aims: $what takes $(printf '%s; ' "${aims[@]}" | sed 's/; $/./')"
	done
} >"$WORK/table.md"

cat "$WORK/table.md"
RESULTS=$OUT/results.md
[ "$quick" = 1 ] && RESULTS=$OUT/results-quick.md
cp "$WORK/table.md" "$RESULTS"
echo
echo "bench: written to ${RESULTS#$REPO/}"

# Nothing of ours may stay: state, cgroups, links. A veth pair goes with its
# container's network namespace, a moment after the runtime has exited
# (DOC: veth-cleanup in the steps): give it up to five seconds.
for ((i = 0; i < 100; i++)); do
	left=$(find /sys/fs/cgroup -name "$TAG-*" 2>/dev/null; ip -n "$NETNS" -o link show 2>/dev/null | awk -F': ' '$2 != "lo" {print $2}')
	[ -n "$left" ] || break
	sleep 0.05
done
[ -z "$left" ] || echo "bench: left behind: $left" >&2
[ "$failures" -eq 0 ]
