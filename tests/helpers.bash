# Shared set-up for every test file. Load with `load helpers`.
#
# Which binary is tested:
#   STEP       the step under test, as its number (01..09); tests/run.sh sets it.
#              Default: the step the test file is named after.
#   CONTAINER  the binary; default steps/NN-*/container of that step. Point it at
#              your own build to check your work against a step's tests.
#   ROOTFS     the root filesystem for steps 03 and later; default
#              build/test-rootfs: build/rootfs plus tests/probe/probe as /bin/probe.

bats_require_minimum_version 1.5.0

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
FILE_STEP=$(basename "$BATS_TEST_FILENAME" | cut -c1-2)
STEP=${STEP:-$FILE_STEP}
STEP=${STEP:0:2}
STEP_NUM=$((10#$STEP))
if [ -z "${CONTAINER:-}" ]; then
	CONTAINER=$(echo "$REPO"/steps/"$STEP"-*/container)
fi
CONTAINER=$(readlink -f "$CONTAINER")
ROOTFS=${ROOTFS:-$REPO/build/test-rootfs}

# The namespace types each step adds, in order; a step isolates its own and
# every earlier step's.
NS_ADDED=(none uts pid mnt ipc net user cgroup time)
NS_TYPES=(cgroup ipc mnt net pid time user uts)

# expected_ns: the namespace types the step under test must isolate.
expected_ns() {
	local i
	{
		for ((i = 1; i <= STEP_NUM && i < ${#NS_ADDED[@]}; i++)); do
			echo "${NS_ADDED[$i]}"
		done
		if [ "$STEP_NUM" -ge 9 ]; then
			printf '%s\n' "${NS_TYPES[@]}"
		fi
	} | sort -u
}

# step_has N: the step under test includes step N's feature.
step_has() {
	[ "$STEP_NUM" -ge "$((10#$1))" ]
}

# requires WHAT...: skip the test, with the reason, unless the machine has it.
requires() {
	local what
	for what in "$@"; do
		case $what in
		root) [ "$(id -u)" -eq 0 ] || skip "needs root" ;;
		step:*) step_has "${what#step:}" || skip "step $STEP has no step-${what#step:} feature" ;;
		before:*) [ "$STEP_NUM" -lt "$((10#${what#before:}))" ] || skip "holds only before step ${what#before:}" ;;
		userns) unshare --user true 2>/dev/null || skip "user namespaces are disabled here" ;;
		cgroup2) [ -f /sys/fs/cgroup/cgroup.controllers ] || skip "needs a cgroup v2 host" ;;
		cmd:*) command -v "${what#cmd:}" >/dev/null || skip "needs ${what#cmd:}" ;;
		*) echo "requires: unknown requirement $what" >&2; return 1 ;;
		esac
	done
}

# ctr_cmd ARGS...: set CTR_CMD to the command line that runs the binary under
# test with what its step needs: a rootfs from step 03 on, and from step 05
# on the network namespace this test made, so that no packet leaves
# namespaces the test owns. nsenter execs, so the PID is the runtime's.
# CTR_AS, an array, runs the binary through a wrapper such as setpriv.
ctr_cmd() {
	# As if typed at an interactive shell: bats runs tests with SIGINT and
	# SIGQUIT ignored, and the runtime leaves ignored signals ignored.
	CTR_CMD=(env --default-signal=INT,QUIT)
	# `container exec|ps|kill ...` (09) works on a running container: no
	# rootfs, no network namespace of its own.
	if [ -n "${CTR_SUBCOMMAND:-}" ]; then
		CTR_CMD+=("$CONTAINER" "$@")
		return
	fi
	if step_has 05 && [ -n "${TEST_NETNS:-}" ]; then
		CTR_CMD+=(nsenter --net="/run/netns/$TEST_NETNS")
	fi
	CTR_CMD+=(${CTR_AS[@]+"${CTR_AS[@]}"} "$CONTAINER")
	if step_has 03; then
		CTR_CMD+=(--rootfs "$ROOTFS")
	fi
	CTR_CMD+=("$@")
}

# ctr ARGS...: run the binary under test, as ctr_cmd says.
ctr() {
	ctr_cmd "$@"
	"${CTR_CMD[@]}"
}

# run_ctr [-N|!] ARGS...: run ctr ARGS..., like bats' `run --separate-stderr`
# (sets status, output, lines, stderr, stderr_lines), print the command,
# status and output on stderr (bats shows them only when the test fails),
# then fail unless the status is N (or, with !, unless it is non-zero).
run_ctr() {
	local want= out=$BATS_TEST_TMPDIR/run.out err=$BATS_TEST_TMPDIR/run.err
	case ${1:-} in
	-[0-9]* | !) want=${1#-}; shift ;;
	esac
	status=0
	ctr "$@" >"$out" 2>"$err" </dev/null || status=$?
	output=$(<"$out")
	stderr=$(<"$err")
	mapfile -t lines <"$out"
	mapfile -t stderr_lines <"$err"
	{
		echo "# ctr $*"
		echo "# status: $status"
		printf '# stdout: %s\n' "${lines[@]}"
		printf '# stderr: %s\n' "${stderr_lines[@]}"
	} >&2
	case $want in
	'') ;;
	!) [ "$status" -ne 0 ] ;;
	*) [ "$status" -eq "$want" ] ;;
	esac
}

# run_sub [-N|!] ARGS...: run_ctr for `container exec|ps|kill ARGS...`.
run_sub() {
	CTR_SUBCOMMAND=1 run_ctr "$@"
}

# start_ctr ARGS...: run the container in the background. Sets CTR_PID (the
# runtime) and CTR_INIT (the container's first process, host PID), and sends
# the runtime's stdout/stderr to $CTR_OUT/$CTR_ERR. Waits until the container
# is set up: the command must print "ready" once it is.
start_ctr() {
	CTR_OUT=$BATS_TEST_TMPDIR/ctr.out
	CTR_ERR=$BATS_TEST_TMPDIR/ctr.err
	local pidfile=$BATS_TEST_TMPDIR/ctr.pid
	# A stale "ready" from an earlier container must not count.
	rm -f "$pidfile" "$CTR_OUT" "$CTR_ERR"
	ctr_cmd --pid-file "$pidfile" "$@"
	"${CTR_CMD[@]}" >"$CTR_OUT" 2>"$CTR_ERR" &
	CTR_PID=$!
	wait_for "grep -qx ready '$CTR_OUT'" || {
		echo "# the container never said ready" >&2
		cat "$CTR_OUT" "$CTR_ERR" >&2
		return 1
	}
	CTR_INIT=$(cat "$pidfile")
}

# stop_ctr [SIGNAL|NONE]: signal the runtime (default TERM; NONE: just wait)
# and collect its status in CTR_STATUS.
stop_ctr() {
	[ "${1:-}" = NONE ] || kill -"${1:-TERM}" "$CTR_PID" 2>/dev/null || true
	CTR_STATUS=0
	wait "$CTR_PID" 2>/dev/null || CTR_STATUS=$?
	CTR_PID=
	# A runtime killed with SIGKILL cannot clean up after itself; from
	# 07-cgroup on, `container --cleanup` is the documented way to reclaim
	# what it left, once its container is gone.
	if [ "${1:-}" = KILL ] && step_has 07; then
		wait_for '[ -z "$(strays)" ]' 5 || true
		"$CONTAINER" --cleanup
	fi
}

# probe_path: the test probe (tests/probe) as the container sees it: in the
# test rootfs from step 03 on, on the host's filesystem before that.
probe_path() {
	if step_has 03; then echo /bin/probe; else echo "$REPO/tests/probe/probe"; fi
}

# The tests' terminal (tests/pty): runs a command on a pty of its own and
# types into it from a script.
PTY=$REPO/tests/pty/pty

# in_terminal SCRIPT COMMAND...: run COMMAND on a terminal as a person
# would, typing SCRIPT (tests/pty/pty.c's directives); sets output (the
# screen, ending "pty: exit N") and status (0 when every expect matched).
in_terminal() {
	local script=$1
	shift
	status=0
	output=$("$PTY" -t 20 "$@" <<<"$script") || status=$?
	echo "# terminal: $*" >&2
	sed 's/^/# screen: /' <<<"${output//$'\r'/}" >&2
}

# typed ARGS...: ARGS as one command line to type at a shell through
# in_terminal: quoted for the shell, and its backslashes doubled for pty.
typed() {
	local line
	line=$(printf '%q ' "$@")
	echo "${line//\\/\\\\}"
}

# term_after DELAY ARGS...: start the container with ARGS, send its
# runtime TERM DELAY seconds later, and set status to how the run ended
# (its stderr is in $BATS_TEST_TMPDIR/err).
term_after() {
	local delay=$1 runtime
	shift
	ctr_cmd "$@"
	"${CTR_CMD[@]}" </dev/null >/dev/null 2>"$BATS_TEST_TMPDIR/err" &
	runtime=$!
	sleep "$delay"
	kill -TERM "$runtime"
	status=0
	wait "$runtime" || status=$?
}

# wait_for CONDITION [SECONDS]: poll a shell condition, default up to 10 s.
wait_for() {
	local tries=$((${2:-10} * 20))
	while ! eval "$1"; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || return 1
		sleep 0.05
	done
}

# alive PID: the process exists and is not a zombie. (PID 1 here may be slow
# to reap, so kill -0 is not enough.)
alive() {
	local state
	state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null) || return 1
	[ -n "$state" ] && [ "$state" != Z ]
}

# An ordinary user for the rootless tests (06-user on); it needs no account.
USER_ID=1000

# as_user: run the containers of this test as USER_ID (see ctr_cmd).
as_user() {
	CTR_AS=(setpriv --reuid="$USER_ID" --regid="$USER_ID" --clear-groups)
}

# idmap_works DIR: root can give a clone of DIR's mount a user namespace's
# map here (the kernel and DIR's filesystem allow idmapped mounts), as the
# runtime does from step 06 on. Asked of the kernel, through the probe.
idmap_works() {
	[ "$("$REPO/tests/probe/probe" idmap "$1")" = "idmap: ok 0" ]
}

# tree_state DIR [SUBDIR...]: path, owner, mode and link target of
# everything under DIR's SUBDIRs (default: all of DIR), and every file's
# checksum, to show that a run changed none of it.
tree_state() {
	local dir=$1
	shift
	[ $# -gt 0 ] || set -- .
	(cd "$dir" && find "$@" -printf '%p %U:%G %m %l\n' | sort &&
		find "$@" -type f -print0 | sort -z | xargs -0 -r md5sum)
}

# ramfs_copy DIR: a copy of $ROOTFS on a ramfs mounted at DIR, a filesystem
# that takes no idmapped mount; test_cleanup must unmount it.
ramfs_copy() {
	mkdir -p "$1"
	mount -t ramfs -o mode=755 ramfs "$1"
	cp -a "$ROOTFS/." "$1"
}

# cgroup_v2: the host mounts cgroup v2 at /sys/fs/cgroup (else v1 or hybrid).
cgroup_v2() {
	[ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ]
}

# cgroup_v1_mounts [MOUNTINFO]: the cgroup v1 hierarchies of a mount table
# (default ours) that hold memory, cpu or pids, one a line: the mount point
# and the controllers (the superblock's options less rw and ro), e.g.
# "/sys/fs/cgroup/cpu,cpuacct cpu,cpuacct". Reads stdin for "-".
cgroup_v1_mounts() {
	awk '{
		for (i = 7; i < NF && $i != "-"; i++) ;
		if ($(i + 1) != "cgroup") next
		n = split($(i + 3), opt, ",")
		set = ""; ours = 0
		for (j = 1; j <= n; j++) {
			if (opt[j] == "rw" || opt[j] == "ro") continue
			set = set (set == "" ? "" : ",") opt[j]
			if (opt[j] == "memory" || opt[j] == "cpu" || opt[j] == "pids") ours = 1
		}
		if (ours) print $5, set
	}' "${1:-/proc/self/mountinfo}"
}

# cgroup_mount CONTROLLER: where the host mounts the cgroup v1 hierarchy that
# holds CONTROLLER: /sys/fs/cgroup/cpu,cpuacct for cpu where systemd joins
# cpu and cpuacct, /sys/fs/cgroup/cpu where each is alone.
cgroup_mount() {
	cgroup_v1_mounts | awk -v c="$1" '{
		n = split($2, opt, ",")
		for (j = 1; j <= n; j++) if (opt[j] == c) { print $1; exit }
	}'
}

# cgroup_of PID [CONTROLLER]: the directory of a process's cgroup, as the
# host sees it: on v2 the one hierarchy, on v1 the one that holds CONTROLLER
# (default memory).
cgroup_of() {
	local c=${2:-memory}
	if cgroup_v2; then
		echo "/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/$1/cgroup")"
	else
		echo "$(cgroup_mount "$c")$(awk -F: -v c="$c" '{
			n = split($2, a, ",")
			for (i = 1; i <= n; i++) if (a[i] == c) print $3
		}' "/proc/$1/cgroup")"
	fi
}

# ns_of PID TYPE: the namespace inode of a process, e.g. "uts:[4026531838]".
ns_of() {
	readlink "/proc/$1/ns/$2"
}

# links_in NETNS: the links of network namespace NETNS other than lo, one a line.
links_in() {
	ip -n "$1" -o link show | awk -F': ' '{sub(/@.*/, "", $2)} $2 != "lo" {print $2}'
}

# links_gone NETNS: wait until NETNS has no link but lo; fail if one stays.
# The runtime leaves its veth pair to the kernel, which deletes it with the
# container's network namespace a moment after the runtime has exited
# (DOC: veth-cleanup; tens of milliseconds, see the README): a test that
# looked at once would race it. Five seconds without it going means it stays.
links_gone() {
	wait_for "[ -z \"\$(links_in '$1')\" ]" 5
}

# ------------------------------------------------------------------------
# The leftover sweep. setup() records the host's state; teardown() fails the
# test if a mount, cgroup, link, network namespace, process or temp dir
# appeared and did not go away.

host_state() {
	# Other test runs on the same machine (their own bats temp dirs and
	# network namespaces) are not ours to judge.
	echo "== mounts"
	findmnt -rn -o TARGET,FSTYPE | sort |
		awk -v own="$BATS_RUN_TMPDIR" 'index($1, "/tmp/bats-run-") != 1 || index($1, own) == 1' |
		grep -v '^/run/netns/' || true
	echo "== links"
	ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print $2}' | sort
	echo "== netns"
	ip netns list 2>/dev/null | awk '$1 ~ /^ctrtest-/ {print $1}' | sort
	echo "== cgroups"
	find /sys/fs/cgroup -mindepth 1 -type d \
		\( -name 'ctr-*' -o -name 'containers-from-scratch' \) 2>/dev/null | sort
	echo "== System V IPC objects"
	tail -q -n +2 /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm | awk '{print $1, $2}'
	echo "== temp"
	find /tmp /var/tmp /run -maxdepth 1 \( -name 'ctr-*' -o -name 'container*' \) 2>/dev/null | sort
}

# Processes of the runtime or in a PID namespace other than ours, not zombies.
strays() {
	local p
	# -ef compares device and inode: no readlink process per entry.
	for p in /proc/[0-9]*; do
		[ -e "$p/ns/pid" ] || continue
		if ! [[ $p/ns/pid -ef /proc/self/ns/pid ]] || [[ $p/exe -ef $CONTAINER ]]; then
			alive "${p#/proc/}" && echo "${p#/proc/} $(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)"
		fi
	done
	return 0
}

setup() {
	CTR_PID=
	TEST_NETNS=
	# Scratch space a container's root can reach: from 06-user on, it is an
	# unprivileged user on the host, and bats' own temp dirs are private.
	mkdir -p "$REPO/build"
	SCRATCH=$(mktemp -d "$REPO/build/scratch.XXXXXX")
	chmod 755 "$SCRATCH"
	host_state >"$BATS_TEST_TMPDIR/state.before"
	if step_has 05; then
		TEST_NETNS=ctrtest-$$-$BATS_TEST_NUMBER
		ip netns add "$TEST_NETNS"
	fi
}

teardown() {
	local leaks=
	if [ -n "${CTR_PID:-}" ]; then
		stop_ctr KILL
	fi
	if declare -F test_cleanup >/dev/null; then
		test_cleanup
	fi
	rm -rf --one-file-system "$SCRATCH"
	if ! wait_for '[ -z "$(strays)" ]' 5; then
		leaks+="processes left running:"$'\n'"$(strays)"$'\n'
	fi
	if [ -n "$TEST_NETNS" ]; then
		links_gone "$TEST_NETNS" || leaks+="links left in $TEST_NETNS: $(links_in "$TEST_NETNS")"$'\n'
		ip netns delete "$TEST_NETNS"
	fi
	if ! wait_for 'host_state | cmp -s - "$BATS_TEST_TMPDIR/state.before"' 3; then
		leaks+="host state changed:"$'\n'
		leaks+=$(host_state | diff "$BATS_TEST_TMPDIR/state.before" - | grep '^[<>]')
	fi
	if [ -n "$leaks" ]; then
		echo "# left behind: $leaks" >&2
		return 1
	fi
}
