#!/usr/bin/env bats
# Bad input, for every step: each option given no value, an empty one, one
# too long, of the wrong type, out of range, twice, or in conflict with
# another; root filesystems that cannot work; commands that cannot run; and
# a bounded fuzz of the whole command line. Every refusal is status 125 and
# one line on stderr that names the option; a command that does not exist
# is 127, one that cannot be executed 126. The leftover sweep (helpers.bash)
# checks that nothing is left behind.

# Not a per-step file: each test runs every step's own binary. Step 09's
# set-up (a test network namespace) serves them all.
STEP=09
load helpers

LONG=$(printf 'x%.0s' {1..5000})
NINES=$(printf '9%.0s' {1..5000})
ZEROS=$(printf '0%.0s' {1..100})

# The steps, as their two-digit numbers.
all_steps() {
	local d
	for d in "$REPO"/steps/[0-9][0-9]-*/; do
		d=${d%/}
		d=${d##*/}
		echo "${d:0:2}"
	done
}

# options_of N: the long options step N's --help lists.
options_of() {
	"$(echo "$REPO"/steps/"$1"-*/container)" --help | grep -oE -- '--[a-z][a-z-]+' | sort -u
}

# has_option N OPTION
has_option() {
	options_of "$1" | grep -qx -- "$2"
}

# run_step N [--no-rootfs] ARGS...: run step N's binary as its tests do (a
# rootfs from 03 on, unless --no-rootfs; from 05 on in the test's network
# namespace), with stdin from /dev/null. Sets status, output, stderr and
# stderr_lines, and prints them on stderr for a failing test to show.
run_step() {
	local n=$1 cmd=() out=$BATS_TEST_TMPDIR/step.out err=$BATS_TEST_TMPDIR/step.err
	shift
	[ "$((10#$n))" -lt 5 ] || cmd+=(nsenter --net="/run/netns/$TEST_NETNS")
	cmd+=(${CTR_AS[@]+"${CTR_AS[@]}"} "$(echo "$REPO"/steps/"$n"-*/container)")
	if [ "${1:-}" = --no-rootfs ]; then
		shift
	elif [ "$((10#$n))" -ge 3 ]; then
		cmd+=(--rootfs "$ROOTFS")
	fi
	cmd+=("$@")
	status=0
	"${cmd[@]}" </dev/null >"$out" 2>"$err" || status=$?
	output=$(<"$out")
	stderr=$(<"$err")
	mapfile -t stderr_lines <"$err"
	{
		printf '# step %s:' "$n"
		printf ' %q' "$@" | cut -c1-200
		echo
		echo "#   status $status; stderr: $(head -c 300 "$err")"
	} >&2
}

# Failures are collected, so that one run lists every case that is wrong.
FAILS=
fail_case() {
	FAILS+="$1"$'\n'
}

# refused N OPTION ARGS...: step N, run with ARGS, must exit 125 with one
# line on stderr that names OPTION (as --name, name, or "name" with spaces).
refused() {
	local n=$1 opt=$2 name
	shift 2
	run_step "$n" "$@"
	name=${opt#--}
	local what
	what="step $n: $(printf '%q ' "$@" | cut -c1-120)"
	if [ "$status" -ne 125 ]; then
		fail_case "$what: status $status, want 125"
	elif [ "${#stderr_lines[@]}" -ne 1 ]; then
		fail_case "$what: ${#stderr_lines[@]} lines on stderr, want 1"
	elif [[ $stderr != *"$name"* && $stderr != *"${name//-/ }"* ]]; then
		fail_case "$what: the message does not name $opt: ${stderr:0:160}"
	fi
}

# No case may have failed.
no_fails() {
	if [ -n "$FAILS" ]; then
		echo "# cases that went wrong:" >&2
		printf '%s' "$FAILS" | sed 's/^/#   /' >&2
		return 1
	fi
}

# A valid value of OPTION, for the repeated and conflicting cases.
good_value() {
	case $1 in
	--hostname) echo demo ;;
	--pid-file) echo "$SCRATCH/pid" ;;
	--rootfs) echo "$ROOTFS" ;;
	--volume) echo "$SCRATCH/layer:/mnt" ;;
	--net) echo none ;;
	--ip) echo 10.77.0.2/24 ;;
	--uid-map | --gid-map) echo 0:100000:65536 ;;
	--uptime) echo 5 ;;
	--layer) echo "$SCRATCH/layer" ;;
	--upper) echo "$SCRATCH/up" ;;
	--memory) echo 64M ;;
	--cpus) echo 0.5 ;;
	--pids-limit) echo 10 ;;
	--user) echo 1000 ;;
	--workdir | --tmpfs) echo /tmp ;;
	--cap-add) echo NET_ADMIN ;;
	--cap-drop) echo CHOWN ;;
	esac
}

# The values of OPTION that are of the wrong type, one a line.
wrong_type() {
	case $1 in
	--pid-file) echo "$SCRATCH" ;; # a directory
	--rootfs) echo "$SCRATCH/file" ;;
	# No path inside, one not from /, a mode other than ro or rw, a file
	# onto a directory, a directory onto a file, the container's / itself.
	--volume) printf '%s\n' "$SCRATCH/layer" "$SCRATCH/layer:mnt" "$SCRATCH/layer:/mnt:rx" \
		":/mnt" "$SCRATCH/file:/mnt" "$SCRATCH/layer:/etc/hostname" "$SCRATCH/layer:/" \
		"$SCRATCH/layer:/.." ;;
	--net) printf '%s\n' bridge VETH ;;
	--ip) printf '%s\n' abc/24 10.77.0.2 10.77.0.2/24x ;;
	--uid-map | --gid-map) printf '%s\n' 0:abc:1 root 0:100000 0:100000:65536:1 0:+100000:65536 ;;
	--uptime) printf '%s\n' abc 1.5 0x10 ;;
	--layer) echo "$SCRATCH/file" ;;
	--upper) printf '%s\n' "$SCRATCH/file" / ;;
	--memory) printf '%s\n' 64MB abc M 1e9 ;;
	--cpus) printf '%s\n' abc 1,5 ;;
	--pids-limit) printf '%s\n' x 1.5 ;;
	--name) printf '%s\n' a.b 'a b' -x ../x ;;
	--user) printf '%s\n' root 1000: :1000 1:2:3 -1 1.5 " 1" ;;
	--workdir) printf '%s\n' rel /etc/hostname ;;
	--tmpfs) printf '%s\n' rel /etc/hostname /run:size=64k ;;
	--cap-add | --cap-drop) printf '%s\n' bogus CAP_ "NET ADMIN" CAP_ALL ;;
	esac
}

# The values of OPTION that are out of range, one a line.
out_of_range() {
	case $1 in
	--hostname) printf 'h%.0s' {1..65}; echo ;;
	--pid-file) echo "$SCRATCH/no/such/dir/pid" ;;
	--rootfs) echo "$SCRATCH/missing" ;;
	--volume) echo "$SCRATCH/missing:/mnt" ;;
	--ip) printf '%s\n' 10.77.0.2/31 10.77.0.2/7 300.1.1.1/24 10.77.0.0/24 10.77.0.255/24 ;;
	--uid-map | --gid-map) printf '%s\n' 1:100000:1 0:4294967295:1 0:100000:0 0:4294967000:1000 ;;
	--uptime) printf '%s\n' -1 315360001 99999999999999999999 ;;
	--layer) echo "$SCRATCH/missing" ;;
	--memory) printf '%s\n' 1K 4194303 2T -64M 17179869185G 17592186044480M ;;
	--cpus) printf '%s\n' 0 0.001 1025 -1 nan inf ;;
	--pids-limit) printf '%s\n' 1 0 -5 4194305 99999999999999999999 ;;
	--name) printf 'n%.0s' {1..41}; echo ;;
	--user) printf '%s\n' 4294967295 0:4294967295 99999999999999999999 ;;
	--tmpfs) echo / ;;
	esac
}

# A value that is too long, but made of what the option takes.
long_value() {
	case $1 in
	--uid-map | --gid-map) echo "0:${ZEROS}100000:65536" ;;
	--uptime | --memory | --cpus | --pids-limit | --user) echo "$NINES" ;;
	--ip) echo "10.77.0.2/${NINES}" ;;
	*) echo "$SCRATCH/$LONG" ;;
	esac
}

VALUED="--hostname --pid-file --rootfs --volume --net --ip --uid-map --gid-map --uptime --layer --upper --memory --cpus --pids-limit --name --user --workdir --tmpfs --cap-add --cap-drop"

# each_value GEN: refused() for every step, every valued option it has and
# every value GEN OPT prints, one a line, each given as OPT VALUE.
each_value() {
	local gen=$1 n opt v
	for n in $(all_steps); do
		for opt in $VALUED; do
			has_option "$n" "$opt" || continue
			while IFS= read -r v; do
				if [ "$opt" = --rootfs ]; then
					refused "$n" "$opt" --no-rootfs --rootfs "$v" true
				else
					refused "$n" "$opt" "$opt" "$v" true
				fi
			done < <("$gen" "$opt")
		done
	done
}

# Run refused() for every step and every valued option it has; CASE OPT N
# prints the arguments, one a line (none: the case does not apply).
each_option() {
	local fn=$1 n opt args
	for n in $(all_steps); do
		for opt in $VALUED; do
			has_option "$n" "$opt" || continue
			mapfile -t args < <("$fn" "$opt" "$n")
			[ "${#args[@]}" -gt 0 ] || continue
			if [ "$opt" = --rootfs ]; then
				refused "$n" "$opt" --no-rootfs "${args[@]}"
			else
				refused "$n" "$opt" "${args[@]}"
			fi
		done
	done
}

fixtures() {
	touch "$SCRATCH/file"
	mkdir -p "$SCRATCH/layer"
}

# ------------------------------------------------------------ options

@test "bad input: every option of every step, without its value: 125, one line naming it" {
	fixtures
	missing() { echo "$1"; }
	each_option missing
	no_fails
}

@test "bad input: every option of every step, with an empty value: 125, one line naming it" {
	fixtures
	empty() { echo "$1"; echo ""; echo true; }
	each_option empty
	# The --opt= spelling too.
	emptyeq() { echo "$1="; echo true; }
	each_option emptyeq
	no_fails
}

@test "bad input: every option of every step, with a 5000-byte value: 125, one line naming it" {
	fixtures
	too_long() { echo "$1"; echo "$SCRATCH/$LONG"; echo true; }
	each_option too_long
	# ...also when the long value is made of digits or a valid-looking map.
	long_digits() {
		case $1 in --hostname | --pid-file | --rootfs | --volume | --net | --layer | --upper | --workdir | --tmpfs | --cap-add | --cap-drop) return ;; esac
		echo "$1"; long_value "$1"; echo true
	}
	each_option long_digits
	no_fails
}

@test "bad input: every option of every step, with a value of the wrong type: 125, one line naming it" {
	fixtures
	each_value wrong_type
	no_fails
}

@test "bad input: every option of every step, with a value out of range: 125, one line naming it" {
	fixtures
	each_value out_of_range
	local n
	for n in $(all_steps); do
		if has_option "$n" --layer; then
			local layers=() i
			for i in $(seq 17); do layers+=(--layer "$SCRATCH/layer"); done
			refused "$n" --layer "${layers[@]}" true
		fi
		if has_option "$n" --volume; then
			local volumes=() i
			for i in $(seq 17); do volumes+=(--volume "$SCRATCH/layer:/mnt/$i"); done
			refused "$n" --volume "${volumes[@]}" true
		fi
		if has_option "$n" --tmpfs; then
			local mounts=() i
			for i in $(seq 17); do mounts+=(--tmpfs "/mnt/$i"); done
			refused "$n" --tmpfs "${mounts[@]}" true
		fi
	done
	no_fails
}

@test "bad input: every option of every step, given twice: 125, one line naming it" {
	fixtures
	local n opt v
	for n in $(all_steps); do
		for opt in $VALUED; do
			has_option "$n" "$opt" || continue
			v=$(good_value "$opt")
			if [ "$opt" = --rootfs ]; then
				refused "$n" "$opt" --no-rootfs --rootfs "$v" --rootfs "$v" true
			else
				# --layer, --volume, --tmpfs and the --cap options are
				# repeatable; the same value twice is not.
				refused "$n" "$opt" "$opt" "$v" "$opt" "$v" true
			fi
		done
	done
	no_fails
}

@test "bad input: flags given twice do no harm" {
	local n
	for n in $(all_steps); do
		run_step "$n" -v -v true
		[ "$status" -eq 0 ] || fail_case "step $n: -v -v true: status $status"
		run_step "$n" --help --help
		[ "$status" -eq 0 ] || fail_case "step $n: --help --help: status $status"
	done
	no_fails
}

@test "bad input: conflicting options: 125, one line naming the one refused" {
	fixtures
	local n
	for n in $(all_steps); do
		if has_option "$n" --ip; then
			refused "$n" --ip --net none --ip 10.77.0.2/24 true
		fi
		if has_option "$n" --cleanup; then
			# --cleanup runs nothing: a command with it is a mistake.
			refused "$n" --cleanup --no-rootfs --cleanup true
		fi
		if has_option "$n" --upper; then
			# The rootfs is never written, and a layer is read-only.
			refused "$n" --upper --upper "$ROOTFS/etc" true
			refused "$n" --upper --layer "$SCRATCH/layer" --upper "$SCRATCH/layer" true
		fi
	done
	no_fails
	[ -z "$(find "$ROOTFS" -maxdepth 2 -name '.*.work*')" ]
}

@test "bad input: an unknown option, and a short option that does not exist: 125, one line" {
	local n
	for n in $(all_steps); do
		refused "$n" --no-such-option --no-such-option true
		refused "$n" -x -x true
		refused "$n" --no-such-option --no-such-option=3 true
	done
	no_fails
}

@test "bad input: a pid file that is a device or a FIFO is refused, and left alone" {
	mknod "$SCRATCH/null" c 1 3
	mkfifo "$SCRATCH/fifo"
	local n
	for n in $(all_steps); do
		refused "$n" --pid-file --pid-file "$SCRATCH/null" true
		[ -c "$SCRATCH/null" ] || { fail_case "step $n: the device node $SCRATCH/null was removed"; mknod "$SCRATCH/null" c 1 3; }
		# Not a hang on open(2): a FIFO has no reader.
		CTR_AS=(timeout -s KILL 3)
		refused "$n" --pid-file --pid-file "$SCRATCH/fifo" true
		CTR_AS=()
		[ -p "$SCRATCH/fifo" ] || { fail_case "step $n: the FIFO $SCRATCH/fifo was removed"; mkfifo "$SCRATCH/fifo"; }
	done
	no_fails
}

# ------------------------------------------------------------ root filesystems

@test "bad input: a rootfs that does not exist, is a file, or is empty: 125, one line, every step" {
	mkdir "$SCRATCH/empty"
	touch "$SCRATCH/file"
	local n
	for n in $(all_steps); do
		has_option "$n" --rootfs || continue
		refused "$n" rootfs --no-rootfs --rootfs "$SCRATCH/missing" true
		refused "$n" rootfs --no-rootfs --rootfs "$SCRATCH/file" true
		refused "$n" rootfs --no-rootfs --rootfs "$SCRATCH/empty" true
		refused "$n" rootfs --no-rootfs true # none at all
	done
	no_fails
}

@test "bad input: a rootfs whose /proc, /sys or /dev is a symlink or a file: 125, one line, every step" {
	local n d kind bad=$SCRATCH/bad
	for n in $(all_steps); do
		has_option "$n" --rootfs || continue
		for d in proc sys dev; do
			for kind in symlink file; do
				rm -rf "$bad"
				mkdir -p "$bad/proc" "$bad/sys" "$bad/dev"
				rmdir "$bad/$d"
				if [ $kind = symlink ]; then ln -s / "$bad/$d"; else touch "$bad/$d"; fi
				refused "$n" "/$d" --no-rootfs --rootfs "$bad" true
			done
		done
	done
	no_fails
}

@test "bad input: a rootfs without a shell: the default command is not found, 127, one line, every step" {
	local n bare=$SCRATCH/bare
	mkdir -p "$bare/proc" "$bare/sys" "$bare/dev"
	for n in $(all_steps); do
		has_option "$n" --rootfs || continue
		run_step "$n" --no-rootfs --rootfs "$bare"
		[ "$status" -eq 127 ] && [ "${#stderr_lines[@]}" -eq 1 ] &&
			[[ $stderr == *"/bin/sh: command not found"* ]] ||
			fail_case "step $n: a rootfs without /bin/sh: status $status, stderr: $stderr"
	done
	no_fails
}

@test "bad input: a rootfs on a read-only filesystem works; from 09 the container can write through the overlay" {
	local ro=$SCRATCH/ro n
	mkdir "$ro"
	# The rootfs the container's root owns (06-user), so that only the
	# read-only mount stands in the way of a write.
	mount --bind -o ro "$REPO/build/test-rootfs-userns" "$ro"
	test_cleanup() { umount -l "$SCRATCH/ro"; }
	for n in $(all_steps); do
		has_option "$n" --rootfs || continue
		run_step "$n" --no-rootfs --rootfs "$ro" sh -c 'cat /etc/os-release >/dev/null && echo read; echo x >/etc/new 2>/dev/null && cat /etc/new'
		if [ "$((10#$n))" -ge 9 ]; then
			[ "$status" -eq 0 ] && [ "$output" = "$(printf 'read\nx')" ] ||
				fail_case "step $n: read-only rootfs: status $status, output: $output"
		else
			# Before 09 the rootfs itself is the container's /: it stays read-only.
			[ "$status" -eq 1 ] && [ "$output" = read ] ||
				fail_case "step $n: read-only rootfs: status $status, output: $output"
		fi
	done
	[ ! -e "$ROOTFS/etc/new" ]
	no_fails
}

# ------------------------------------------------------------ commands

@test "bad input: a command that does not exist: 127 and one line, every step" {
	local n
	for n in $(all_steps); do
		run_step "$n" no-such-command
		[ "$status" -eq 127 ] && [ "${#stderr_lines[@]}" -eq 1 ] &&
			[[ $stderr == *"no-such-command: command not found"* ]] ||
			fail_case "step $n: no-such-command: status $status, stderr: $stderr"
		run_step "$n" /no/such/path
		[ "$status" -eq 127 ] && [ "${#stderr_lines[@]}" -eq 1 ] ||
			fail_case "step $n: /no/such/path: status $status, stderr: $stderr"
		run_step "$n" ''
		[ "$status" -eq 127 ] && [ "${#stderr_lines[@]}" -eq 1 ] ||
			fail_case "step $n: an empty command: status $status, stderr: $stderr"
	done
	no_fails
}

@test "bad input: a command that cannot be executed: 126 and one line, every step" {
	local n cmd noexec
	# Steps 01 and 02 run the host's files; from 03 on, the rootfs's.
	echo 'echo never' >"$SCRATCH/noexec"
	chmod 644 "$SCRATCH/noexec"
	for n in $(all_steps); do
		noexec=/etc/os-release
		[ "$((10#$n))" -ge 3 ] || noexec=$SCRATCH/noexec
		for cmd in "$noexec" / /etc; do
			run_step "$n" "$cmd"
			[ "$status" -eq 126 ] && [ "${#stderr_lines[@]}" -eq 1 ] &&
				[[ $stderr == *"cannot execute $cmd"* ]] ||
				fail_case "step $n: $cmd: status $status, stderr: $stderr"
		done
	done
	no_fails
}

# ------------------------------------------------------------ fuzz

@test "fuzz: 300 random command lines over every step: no crash, hang or leftover" {
	# The few-thousand-case run is in `make stress`.
	run "$REPO/tests/fuzz-args.sh" -n "${FUZZ_CASES:-300}" -s "${FUZZ_SEED:-1}" \
		--netns "$TEST_NETNS" --scratch "$SCRATCH"
	echo "$output" | grep -v -e '^ok ' | tail -n 60 >&2
	[ "$status" -eq 0 ]
	[[ ${lines[-1]} == *" passed, 0 failed" ]]
}
