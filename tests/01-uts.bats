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
