#!/usr/bin/env bats
# 01-uts: the hostname, and what every step shares: the command line, exit
# statuses, signals, bad input, and the namespace matrix.

load helpers

@test "uts: the hostname inside is the one given, the host's is unchanged" {
	local before
	before=$(hostname)
	run_ctr -0 --hostname demo-box -- hostname
	[ "$output" = demo-box ]
	[ "$(hostname)" = "$before" ]
}

@test "uts: the default hostname is 'container'" {
	run_ctr -0 hostname
	[ "$output" = container ]
}

@test "uts: setting the hostname inside does not reach the host" {
	requires before:09 # from 09 the command lacks CAP_SYS_ADMIN; 09's tests check that
	local before
	before=$(hostname)
	run_ctr -0 sh -c 'hostname changed-inside && hostname'
	[ "$output" = changed-inside ]
	[ "$(hostname)" = "$before" ]
}

@test "namespaces: exactly the step's namespace types differ from the host's" {
	local t differ=()
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	for t in "${NS_TYPES[@]}"; do
		if [ "$(ns_of "$CTR_INIT" "$t")" != "$(ns_of $$ "$t")" ]; then
			differ+=("$t")
		fi
	done
	stop_ctr
	echo "# differ: ${differ[*]}; expected: $(expected_ns | tr '\n' ' ')" >&2
	[ "$(printf '%s\n' "${differ[@]}" | sort)" = "$(expected_ns)" ]
}

@test "pid file: holds the host PID of the container's first process, and goes at exit" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	alive "$CTR_INIT"
	[ "$(ns_of "$CTR_INIT" uts)" != "$(ns_of $$ uts)" ]
	stop_ctr
	[ ! -e "$BATS_TEST_TMPDIR/ctr.pid" ]
}

@test "pid file: written whole, by rename over any file there; removed only if still ours" {
	local pidfile=$BATS_TEST_TMPDIR/ctr.pid before
	echo stale >"$pidfile"
	before=$(stat -c %i "$pidfile")
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	# A new file took the old one's place: never seen empty or half written.
	[ "$(stat -c %i "$pidfile")" != "$before" ]
	[ "$(cat "$pidfile")" = "$CTR_INIT" ]
	# Someone else's file in its place now: ours to leave alone.
	echo theirs >"$pidfile.new"
	mv "$pidfile.new" "$pidfile"
	stop_ctr
	[ "$(cat "$pidfile")" = theirs ]
	[ -z "$(find "$BATS_TEST_TMPDIR" -name 'ctr.pid.*')" ]
}

@test "exit status: the command's own status is the runtime's" {
	run_ctr -0 true
	run_ctr -1 false
	run_ctr -7 sh -c 'exit 7'
}

@test "exit status: 128+N when the command is killed by signal N" {
	run_ctr -137 sh -c 'kill -KILL $$'
	run_ctr -143 sh -c 'kill -TERM $$'
}

@test "exit status: 127 and one line when the command does not exist" {
	run_ctr -127 no-such-command
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"no-such-command: command not found"* ]]
}

@test "exit status: 126 and one line when the command cannot be executed" {
	run_ctr -126 /
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"cannot execute /"* ]]
}

@test "signals: INT, TERM, HUP, QUIT, USR1 and USR2 to the runtime reach the command" {
	local sig code=40
	for sig in INT TERM HUP QUIT USR1 USR2; do
		code=$((code + 1))
		start_ctr -- sh -c "trap 'exit $code' $sig; echo ready; while :; do sleep 0.05; done"
		stop_ctr "$sig"
		echo "# $sig: status $CTR_STATUS, want $code" >&2
		[ "$CTR_STATUS" -eq "$code" ]
	done
}

@test "signals: a command that does not handle TERM dies of it, status 143" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	stop_ctr TERM
	[ "$CTR_STATUS" -eq 143 ]
}

@test "kill -9 of the runtime: the container dies with it, nothing is left" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local init=$CTR_INIT
	stop_ctr KILL
	[ "$CTR_STATUS" -eq 137 ]
	wait_for "! alive $init" 5
}

@test "help: -h prints usage and exits 0" {
	run_ctr -0 --help
	[[ ${lines[0]} == Usage:* ]]
	[[ $output == *--hostname* ]]
}

@test "bad input: an unknown option gets one line and status 125" {
	run_ctr -125 --no-such-option true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"unknown option --no-such-option"* ]]
}

@test "bad input: an option without its value gets one line and status 125" {
	run "$CONTAINER" --hostname
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"--hostname needs a value"* ]]
}

@test "bad input: a hostname longer than 64 bytes is refused before anything starts" {
	run_ctr -125 --hostname "$(printf 'h%.0s' {1..65})" true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"longer than 64 bytes"* ]]
	run_ctr -0 --hostname "$(printf 'h%.0s' {1..64})" true
}

@test "bad input: an empty or repeated hostname is refused" {
	run_ctr -125 --hostname '' true
	[[ $stderr == *"--hostname needs a non-empty value"* ]]
	run_ctr -125 --hostname a --hostname b true
	[[ $stderr == *"--hostname given more than once"* ]]
}

@test "bad input: a pid file that cannot be written fails the run, status 125" {
	run_ctr -125 --pid-file /nonexistent-dir/pid true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"pid file /nonexistent-dir/pid"* ]]
}

@test "bad input: run by an ordinary user, one line says root is needed, status 125" {
	requires before:06 cmd:setpriv
	CTR_AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	run_ctr -125 true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"creating namespaces needs root"* ]]
}

# ------------------------------------------------------------ the terminal

@test "session: the container has a session of its own and no controlling terminal" {
	# On a terminal, as a person runs it: the terminal is the runtime's,
	# not the container's.
	ctr_cmd "$(probe_path)" ctty
	in_terminal '' "${CTR_CMD[@]}"
	[ "$status" -eq 0 ]
	[[ $output == *"ctty: ENXIO"* ]]
	[[ $output == *"pty: exit 1"* ]]
	# The session (field 6 of stat) is the container's first process's own.
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	[ "$(awk '{print $6}' "/proc/$CTR_INIT/stat")" -eq "$CTR_INIT" ]
	[ "$(awk '{print $6}' "/proc/$CTR_PID/stat")" -ne "$CTR_INIT" ]
}

@test "terminal: an interactive shell inside: Ctrl-C stops its command, not the shell; exit 3 is the status" {
	ctr_cmd sh
	in_terminal 'send echo st""arted\n
expect started
send sleep 100\n
sleep 0.5
send \x03
send echo al""ive\n
expect alive
send exit 3\n' "${CTR_CMD[@]}"
	[ "$status" -eq 0 ]
	[[ $output == *"pty: exit 3"* ]]
}

@test "terminal: Ctrl-Z stops the container with the runtime, fg resumes both, Ctrl-C ends them: 130" {
	local cmd screen between
	ctr_cmd sh -c 'i=0; while :; do i=$((i + 1)); echo tick$i; sleep 0.1; done'
	cmd=$(typed "${CTR_CMD[@]}")
	# A shell with job control, on a terminal, starts the container.
	in_terminal "send $cmd\\n
expect tick3
send \\x1a
expect Stopped
sleep 0.5
send echo ma\"\"rk\\n
expect mark
send fg\\n
expect \\ntick
send \\x03
send echo st\"\"atus=\$?\\n
expect status=
send exit\\n" sh -i
	[ "$status" -eq 0 ]
	[[ $output == *"status=130"* ]]
	# While stopped, the container printed nothing (one tick may have been
	# on its way); after fg it went on.
	screen=${output//$'\r'/}
	between=${screen#*Stopped}
	between=${between%%mark*}
	echo "# between Stopped and mark: $(grep -c tick <<<"$between")" >&2
	[ "$(grep -c tick <<<"$between")" -le 1 ]
}

@test "terminal: TERM is passed on only when the caller's input is a terminal" {
	ctr_cmd env
	TERM=xterm-test in_terminal '' "${CTR_CMD[@]}"
	[[ $output == *"TERM=xterm-test"* ]]
	TERM=xterm-test run_ctr -0 env
	[[ $output != *TERM=* ]]
}

# ------------------------------------------------------------ the environment

@test "environment: the command gets PATH, HOSTNAME and HOME, and none of the caller's variables" {
	SSH_AUTH_SOCK=/tmp/agent.sock SUDO_USER=someone SECRET=1 run_ctr -0 --hostname envbox env
	[ "$(sort <<<"$output")" = "$(printf '%s\n' HOME=/root HOSTNAME=envbox \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)" ]
}

@test "environment: -e and --env add variables, and may replace the defaults" {
	run_ctr -0 -e A=1 --env 'B=two words' -e C= -e HOME=/srv env
	grep -qx 'A=1' <<<"$output"
	grep -qx 'B=two words' <<<"$output"
	grep -qx 'C=' <<<"$output"
	grep -qx 'HOME=/srv' <<<"$output"
	! grep -qx 'HOME=/root' <<<"$output"
}

@test "bad input: -e without KEY=VALUE, or with an empty KEY: 125, one line" {
	local bad
	for bad in FOO =x ''; do
		run_ctr -125 -e "$bad" true
		[ "${#stderr_lines[@]}" -eq 1 ]
	done
	[[ $stderr == *"expected KEY=VALUE"* || $stderr == *"needs a value"* ]]
	run_ctr -125 -e FOO true
	[[ $stderr == *"--env FOO: expected KEY=VALUE"* ]]
}

@test "environment: files are made with umask 022, whatever the caller's" {
	run_ctr -0 sh -c umask
	[ "$output" = 0022 ]
	(umask 077 && ctr sh -c umask) >"$BATS_TEST_TMPDIR/umask" </dev/null
	[ "$(cat "$BATS_TEST_TMPDIR/umask")" = 0022 ]
}

# ------------------------------------------------------------ signals

@test "signals: one the caller ignored (nohup) stays ignored, by the runtime and the command" {
	CTR_AS=(env --ignore-signal=HUP)
	start_ctr -- sh -c 'grep SigIgn /proc/self/status; echo ready; exec sleep 30'
	kill -HUP "$CTR_PID"
	sleep 0.3
	alive "$CTR_PID"
	# HUP is signal 1: the lowest bit of the mask.
	local ign
	ign=$(awk '/^SigIgn/ {print $2}' "$CTR_OUT")
	echo "# the command's SigIgn: $ign" >&2
	[ $((0x$ign & 1)) -eq 1 ]
	stop_ctr TERM
	[ "$CTR_STATUS" -eq 143 ]
}

@test "signals: PIPE, ALRM and a real-time signal end the container and the runtime, after its clean-up" {
	local sig want
	for sig in PIPE:141 ALRM:142 RTMIN+1:163; do
		want=${sig#*:}
		sig=${sig%:*}
		# A child of the command too: it must not outlive the run.
		start_ctr -- sh -c 'sleep 30 & echo ready; wait'
		local init=$CTR_INIT
		stop_ctr "$sig"
		echo "# $sig: status $CTR_STATUS, want $want" >&2
		[ "$CTR_STATUS" -eq "$want" ]
		wait_for "! alive $init" 5
		# The clean-up ran: the pid file went with it.
		[ ! -e "$BATS_TEST_TMPDIR/ctr.pid" ]
	done
}

@test "signals: the command's whole process group gets them, as from a terminal" {
	# A child in the command's group, which does not pass signals on. (A
	# shell starts its background children with INT ignored: USR1 here.)
	start_ctr -- sh -c 'sh -c "trap \"echo child got USR1; exit 0\" USR1; while :; do sleep 0.05; done" &
		trap "sleep 0.5; exit 7" USR1; echo ready; while :; do sleep 0.05; done'
	# (Step 01 has no init to end a child that did not get it.)
	test_cleanup() {
		local p
		for p in /proc/[0-9]*; do
			grep -qs 'child got USR1' "$p/cmdline" && kill "${p#/proc/}" 2>/dev/null
		done
		return 0
	}
	stop_ctr USR1
	echo "# status $CTR_STATUS" >&2
	[ "$CTR_STATUS" -eq 7 ]
	grep -qx 'child got USR1' "$CTR_OUT"
}
