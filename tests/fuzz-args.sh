#!/usr/bin/env bash
# A bounded fuzz of every step's command line: random argument vectors made
# of the options the steps know (and some they do not), good and bad values,
# junk, and a command. Each case runs with a time limit, then is checked:
#
#   - the exit status is one the runtime may give: 0, 1 and 7 (the commands
#     used here), 125, 126, 127, and 137 only for an OOM kill it reports;
#   - 125, 126 and 127 come with exactly one line on stderr;
#   - no crash, no hang, and no sanitizer report (the steps are rebuilt with
#     AddressSanitizer and UBSan into build/fuzz/, unless --plain);
#   - nothing left: no cgroup, veth, overlay work directory, pid file or
#     process of that run, and no new mount under the fuzz's directories.
#
#   tests/fuzz-args.sh [-n CASES] [-s SEED] [-t SECONDS] [--plain] [--list]
#                      [--netns NAME] [--scratch DIR] [STEP...]
#
# Defaults: 300 cases, seed 1, 10 s per case, every step. The same seed
# gives the same cases: a failure names its case and prints its argument
# vector, quoted for the shell; --list prints the cases without running
# them. Needs root. The last line reads "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
REPO=$PWD

cases=300 seed=1 limit=10 plain= netns= scratch= steps=() list=
while [ $# -gt 0 ]; do
	case $1 in
	-n) cases=$2; shift 2 ;;
	-s) seed=$2; shift 2 ;;
	-t) limit=$2; shift 2 ;;
	--plain) plain=1; shift ;;
	--list) list=1; shift ;;
	--netns) netns=$2; shift 2 ;;
	--scratch) scratch=$2; shift 2 ;;
	-h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	-*) echo "fuzz-args.sh: unknown option $1" >&2; exit 2 ;;
	*) steps+=("$1"); shift ;;
	esac
done
[ "$(id -u)" -eq 0 ] || { echo "fuzz-args.sh: needs root" >&2; exit 2; }
ROOTFS=${ROOTFS:-$REPO/build/test-rootfs}
[ -x "$ROOTFS/bin/probe" ] || { echo "fuzz-args.sh: no $ROOTFS (make build/test-rootfs/bin/probe)" >&2; exit 2; }

# The steps, and the binary each case runs: a sanitizer build of the same
# source, or with --plain (or no libasan) the step's own binary.
dirs=()
for d in steps/[0-9][0-9]-*/; do
	d=${d%/}
	if [ "${#steps[@]}" -gt 0 ]; then
		for s in "${steps[@]}"; do [[ ${d#steps/} == "$s"* ]] && dirs+=("$d"); done
	else
		dirs+=("$d")
	fi
done
[ "${#dirs[@]}" -gt 0 ] || { echo "fuzz-args.sh: no such step: ${steps[*]}" >&2; exit 2; }
declare -A BIN OPTS
CC=${CC:-cc}
for d in "${dirs[@]}"; do
	n=${d#steps/}
	BIN[$n]=$REPO/$d/container
	if [ -z "$plain" ]; then
		out=$REPO/build/fuzz/$n/container
		mkdir -p "${out%/*}"
		if [ "$out" -nt "$d/container.c" ] ||
			$CC -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
				-fno-omit-frame-pointer -o "$out" "$d/container.c" 2>/dev/null; then
			BIN[$n]=$out
		else
			echo "# fuzz-args.sh: no sanitizer build of $n here; fuzzing its own binary" >&2
		fi
	fi
	[ -x "${BIN[$n]}" ] || { echo "fuzz-args.sh: ${BIN[$n]} is not built (make)" >&2; exit 2; }
	# The options this step knows, from its --help.
	OPTS[$n]=$("$REPO/$d/container" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u | tr '\n' ' ')
done
export ASAN_OPTIONS=detect_leaks=0:allocator_may_return_null=1
export UBSAN_OPTIONS=print_stacktrace=1

# Scratch space, and a network namespace for steps 05 and later, so that no
# veth pair lands in the host's namespace.
own_scratch= own_netns=
if [ -z "$scratch" ]; then
	scratch=$(mktemp -d /var/tmp/fuzz-args.XXXXXX)
	own_scratch=1
fi
if [ -z "$netns" ]; then
	netns=ctrfuzz-$$
	ip netns add "$netns" || exit 2
	own_netns=1
fi
finish() {
	[ -z "$own_netns" ] || ip netns delete "$netns"
	[ -z "$own_scratch" ] || rm -rf --one-file-system "$scratch"
}
trap finish EXIT
S=$scratch
fixtures() {
	mkdir -p "$S/cwd" "$S/empty" "$S/bare/proc" "$S/bare/sys" "$S/bare/dev" "$S/layer/etc" "$S/layer2"
	chmod 755 "$S" "$S/cwd"
	touch "$S/file"
	echo layer >"$S/layer/etc/layer"
	chown -R 100000:100000 "$S/layer" "$S/layer2"
	cd "$S/cwd" || exit 2
}
fixtures

long=$(printf 'x%.0s' {1..5000})
zeros=$(printf '0%.0s' {1..100})
h64=$(printf 'h%.0s' {1..64})

# Values for each option: good ones, so that runs get far, and bad ones.
V_hostname=(demo demo "" "$h64" "${h64}h" "$long" "a b" -x héllo)
V_pid_file=("$S/pid" "$S/pid" "$S/no/such/dir/pid" "$S" "" "$S/$long" pidrel)
V_rootfs=("$ROOTFS" "$ROOTFS" "$ROOTFS" "$ROOTFS" "$S/empty" "$S/file" "$S/bare" "$S/missing" "" "/$long")
V_volume=("$S/layer:/mnt" "$S/layer:/mnt:ro" "$S/file:/etc/hostname:rw" "$S/missing:/mnt" "$S/layer:mnt"
	"$S/layer:/" "$S/layer:/mnt:rx" "$S/file:/mnt" "" : "$long")
V_net=(veth none none "" bogus VETH)
V_ip=(10.77.0.2/24 10.77.0.0/24 1.2.3.4 300.1.1.1/24 10.0.0.2/7 10.0.0.2/31 10.0.0.2/24x ""
	"10.0.0.2/${zeros}24" "$long")
V_map=(0:100000:65536 0:100000:65536 0:0:1 1:2:3 0:100000 0:100000:0 0:-1:5 0:4294967295:1
	0:100000:65536:1 0:abc:1 " 0:1:1" 0:+1:1 "0:${zeros}100000:65536" "0:100000:${zeros}65536" ""
	"$long")
V_idmap=(yes no no "" maybe YES "$long")
V_uptime=(0 5 -1 abc 1.5 315360000 315360001 99999999999999999999 +5 " 5" "" "$long")
V_layer=("$S/layer" "$S/layer" "$S/layer2" "$S/file" "$S/missing" "$ROOTFS" "" "/$long")
V_upper=("$S/up" "$S/up" "$S/up2" "$S/file" "$S/a:b" "$S/missing/deep/up" uprel "" "$S/$long")
V_env=(A=1 A=1 "B=two words" C= "" =x noequals "D=$long")
V_memory=(64M 64M 4M 1K 0 -64M 1025G 17179869185G 17592186044480M 64MB 1e9 "" abc 4194304 1024G "$long")
V_cpus=(0.5 0.5 0.01 0.001 0 -1 1024 1025 nan inf 1e3 0x1 "" abc "$long")
V_pids_limit=(10 10 2 1 0 -5 4194304 4194305 0x10 99999999999999999999 "" abc "$long")
V_name=("fuzz$$" "fuzz$$" "" a.b "a b" -x "$long")
V_user=(1000 1000:1000 0 root 1: 4294967295 "" "$long")
V_workdir=(/tmp /srv/app rel /etc/hostname / "" "/$long")
V_tmpfs=(/tmp /run rel /etc/hostname / "" "/$long")
V_cap_add=(NET_ADMIN sys_admin CAP_CHOWN ALL bogus "" "$long")
V_cap_drop=(CHOWN ALL net_raw bogus "" "$long")
FLAGS=(-v --verbose -h --help --cleanup -t --tty --read-only)
VALUED=(--hostname --pid-file --rootfs --volume --net --ip --uid-map --gid-map --idmap --uptime --layer
	--upper --memory --cpus --pids-limit --name --user --workdir --tmpfs --cap-add --cap-drop)
# Junk never names a real program: it may end up as the command.
JUNK=(--nope -x - -- "" --- -vh --= -v- @ @@junk --host --p --mem)
COMMANDS=("true" "false" "sh -c 'exit 7'" "no-such-command@" "/" "/etc/os-release" "''" "")

# pick NAME: a random element of the array NAME, in $REPLY.
pick() {
	local -n arr=$1
	REPLY=${arr[RANDOM % ${#arr[@]}]}
}

# junk_word: a random word that no PATH holds.
junk_word() {
	local chars=abcdefghijklmnopqrstuvwxyz0123456789=:,.-_ w=@ i
	for ((i = RANDOM % 12; i > 0; i--)); do w+=${chars:RANDOM % ${#chars}:1}; done
	REPLY=$w
}

# make_case: a random step in $step and argument vector in ARGV.
make_case() {
	local d=${dirs[RANDOM % ${#dirs[@]}]} i n opt name value known
	step=${d#steps/}
	ARGV=()
	known=(${OPTS[$step]})
	n=$((RANDOM % 7))
	for ((i = 0; i < n; i++)); do
		case $((RANDOM % 10)) in
		0 | 1 | 2 | 3 | 4 | 5)
			# An option of this step (mostly) or of a later one.
			if ((RANDOM % 4)); then opt=${known[RANDOM % ${#known[@]}]}; else pick VALUED; opt=$REPLY; fi
			case " ${FLAGS[*]} " in *" $opt "*) ARGV+=("$opt"); continue ;; esac
			name=${opt#--}
			name=${name//-/_}
			[[ $name == uid_map || $name == gid_map ]] && name=map
			pick "V_$name"
			value=$REPLY
			case $((RANDOM % 12)) in
			0) ARGV+=("$opt=$value") ;;     # --opt=value
			1) ARGV+=("${opt:0:5}" "$value") ;; # an abbreviation, maybe ambiguous
			2) ARGV+=("$opt") ;;              # no value: the next word becomes it
			*) ARGV+=("$opt" "$value") ;;
			esac
			;;
		6) pick FLAGS; ARGV+=("$REPLY") ;;
		7) pick JUNK; ARGV+=("$REPLY") ;;
		8) junk_word; ARGV+=("$REPLY") ;;
		9) pick VALUED; ARGV+=("$REPLY") ;; # an option at the very end: no value
		esac
	done
	# Mostly a good rootfs first, so that runs get past the parser.
	if [ "$((10#${step:0:2}))" -ge 3 ] && ((RANDOM % 5)); then
		ARGV=(--rootfs "$ROOTFS" "${ARGV[@]}")
	fi
	pick COMMANDS
	eval "ARGV+=($REPLY)"
}

# The leftovers of the run whose runtime was PID, on stdout.
leftovers() {
	local pid=$1 f
	for f in /sys/fs/cgroup/containers-from-scratch/ctr-"$pid" \
		/sys/fs/cgroup/*/containers-from-scratch/ctr-"$pid" \
		"$S"/.*.work "$S"/cwd/.*.work "$S"/pid "$S"/pid.* "$S"/cwd/pidrel* \
		/run/containers-from-scratch/ctr-"$pid".lock; do
		[ -e "$f" ] && echo "left: $f"
	done
	if [ "$((10#${step:0:2}))" -ge 5 ]; then
		ip -n "$netns" -o link show | awk -F': ' '$2 != "lo" {print "left: link " $2}'
	fi
	grep -F -e " $S" -e " $ROOTFS" /proc/self/mountinfo | awk '{print "left: mount " $5}'
	if [ -z "$plain" ] && [[ ${BIN[$step]} == */build/fuzz/* ]]; then
		pgrep -a -f -- "^${BIN[$step]}" | sed 's/^/left: process /'
	fi
	return 0
}

passed=0 failed=0 vanished=0 unjudged=0
out=$S/out err=$S/err
RANDOM=$seed
started=$SECONDS
for ((c = 1; c <= cases; c++)); do
	# Something else on the host may tidy up under us; say so, and go on.
	if [ ! -e "$S/cwd/." ] || [ ! -e "/run/netns/$netns" ]; then
		echo "# before case $c, $S or /run/netns/$netns went away; made again"
		vanished=$((vanished + 1))
		[ "$vanished" -le 5 ] || { echo "fuzz-args.sh: they keep going away" >&2; exit 2; }
		[ -e "/run/netns/$netns" ] || ip netns add "$netns" || exit 2
		fixtures
	fi
	make_case
	if [ -n "$list" ]; then
		printf '%d %s' "$c" "$step"
		printf ' %q' "${ARGV[@]}" | cut -c1-300
		continue
	fi
	cmd=("${BIN[$step]}" "${ARGV[@]}")
	[ "$((10#${step:0:2}))" -lt 5 ] || cmd=(nsenter --net="/run/netns/$netns" "${cmd[@]}")
	"${cmd[@]}" </dev/null >"$out" 2>"$err" &
	pid=$!
	sleep "$limit" &
	timer=$!
	done_pid=
	wait -n -p done_pid "$pid" "$timer"
	status=$?
	problem=
	if [ "$done_pid" = "$timer" ]; then
		problem="hang: still running after ${limit}s"
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		sleep 0.5
	else
		kill "$timer" 2>/dev/null
		wait "$timer" 2>/dev/null
	fi
	if [ ! -e "$S/cwd/." ]; then
		echo "# case $c not judged: $S went away while it ran"
		unjudged=$((unjudged + 1))
		continue
	fi
	# Narration (-v) aside, and ASan's note about clone(2)'s stack.
	errs=$(grep -v -e '^\[container\] ' -e '^==[0-9]*==WARNING: ASan is ignoring requested __asan_handle_no_return' \
		-e '^False positive error reports may follow' -e '^For details see https://github.com/google/sanitizers/issues/189' "$err")
	nerr=$(grep -c . <<<"$errs")
	if [ -z "$problem" ] && grep -q '^nsenter: ' "$err"; then
		problem="the fuzz could not run it: $(grep -m1 '^nsenter: ' "$err")"
	fi
	if [ -z "$problem" ]; then
		if grep -qE 'runtime error:|ERROR: AddressSanitizer|Sanitizer:DEADLYSIGNAL' "$err"; then
			problem="sanitizer: $(grep -m1 -E 'runtime error:|ERROR: AddressSanitizer|DEADLYSIGNAL' "$err")"
		fi
	fi
	if [ -z "$problem" ]; then
		case $status in
		0 | 1 | 7) ;;
		125 | 126 | 127)
			[ "$nerr" -eq 1 ] && [[ $errs == container:* ]] ||
				problem="status $status with $nerr lines on stderr, not one"
			;;
		137) [[ $errs == *"OOM killer"* ]] || problem="status 137 (killed) without an OOM report" ;;
		*) problem="status $status" ;;
		esac
	fi
	left=$(leftovers "$pid")
	if [ -n "$left" ]; then
		# A moment for an exiting container, then look again.
		sleep 0.5
		left=$(leftovers "$pid")
	fi
	[ -z "$left" ] || problem+="${problem:+; }$(echo $left)"
	if [ -z "$problem" ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "not ok $c $step (seed $seed): $problem"
		printf '#   %s' "${BIN[$step]}"
		printf ' %q' "${ARGV[@]}" | cut -c1-400
		sed 's/^/#   stderr: /' "$err" | cut -c1-300 | head -n 8
	fi
	# Tidy up what a failed case left, so the next one starts clean.
	rm -f "$S/pid" "$S/cwd/pidrel"
	[ -z "$left" ] || "$REPO/steps/09-overlay-cgroup-seccomp/container" --cleanup 2>/dev/null
done
[ -z "$list" ] || exit 0
echo "# $cases cases ($unjudged not judged) of steps $(printf '%s\n' "${!BIN[@]}" | sort | tr '\n' ' ')in $((SECONDS - started)) s, seed $seed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
