#!/usr/bin/env bats
# Step 09's terminal (-t) and its running containers: --name, ps, kill and
# exec. Driven as a person would: at a terminal (tests/pty), and from a
# second shell while the container runs.

load helpers

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	# A name per test, so that one left by a failed test cannot fail the next.
	export NAME_PREFIX=t$$
}

# name: this test's container name.
name() {
	echo "$NAME_PREFIX-$BATS_TEST_NUMBER"
}

# pid_running INIT CMDLINE: the host PID of the process in INIT's PID
# namespace whose command line is CMDLINE (words joined by spaces).
pid_running() {
	local p
	for p in /proc/[0-9]*; do
		[[ $p/ns/pid -ef /proc/$1/ns/pid ]] || continue
		[ "$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null)" = "$2 " ] && alive "${p#/proc/}" &&
			echo "${p#/proc/}"
	done
	return 0
}

# status_lines PID: what /proc/PID/status says of privileges.
status_lines() {
	grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs|Seccomp|Seccomp_filters):' "/proc/$1/status"
}

# at_terminal SCRIPT ARGS...: run the binary under test with ARGS at a
# terminal, from a shell that then prints "exit=STATUS", after which the
# script can check the terminal (the pty's "termios" directive).
at_terminal() {
	local script=$1
	shift
	ctr_cmd "$@"
	in_terminal "$script" sh -c "$(printf '%q ' "${CTR_CMD[@]}")"'; echo "exit=$?"'
}

# ------------------------------------------------------------ the terminal

@test "terminal: -t: a terminal from the container's devpts, its /dev/console; window size; Ctrl-C, Ctrl-Z, Ctrl-\\, jobs and fg; the status; the caller's terminal put back" {
	requires root step:09
	at_terminal 'expect #
termios
send tty; ls /dev/pts; [ $(stat -c %t:%T /dev/console) = $(stat -c %t:%T /dev/pts/0) ] && echo con""sole; stty size\r
expect /dev/pts/0
expect console
expect 24 80
resize 30 100
send stty size\r
expect 30 100
send sleep 100\r
sleep 0.3
send \x03
send echo st=$?\r
expect st=130
send sleep 50 &\r
send sleep 60\r
sleep 0.3
send \x1a
expect Stopped
send jobs\r
expect Running
send fg %2\r
sleep 0.3
send \x1c
send echo st=$?\r
expect st=131
send kill %1; wait; exit 7\r
expect exit=7
termios' -t -- sh
	[ "$status" -eq 0 ]
	# Raw while the container ran, as it was once it ended.
	[[ $output == *"termios -icanon -echo -isig"*"termios icanon echo isig"* ]]
	[[ $output == *"ptmx"* ]]
}

@test "terminal: -t: vi draws to the window's size and redraws when it changes" {
	requires root step:09
	at_terminal 'expect \x1b[24;1H
resize 30 100
expect \x1b[30;1H
send :q\r
expect exit=0' -t -- vi /etc/new-file
	[ "$status" -eq 0 ]
}

@test "terminal: TERM, HUP or ALRM to the runtime: the caller's terminal is put back" {
	requires root step:09
	local sig want
	for sig in TERM:143 HUP:129 ALRM:142; do
		want=${sig#*:} sig=${sig%:*}
		# A second shell signals the runtime once the command runs.
		(
			wait_for "[ -s '$SCRATCH/pid' ] && [ -n \"\$(pid_running \$(cat '$SCRATCH/pid') 'sleep 100')\" ]"
			kill -"$sig" "$(awk '{print $4}' "/proc/$(cat "$SCRATCH/pid")/stat")"
		) &
		at_terminal "expect ready
termios
expect exit=$want
termios" --pid-file "$SCRATCH/pid" -t -- sh -c 'echo ready; exec sleep 100'
		wait
		rm -f "$SCRATCH/pid"
		[ "$status" -eq 0 ]
		[[ $output == *"termios -icanon -echo -isig"*"termios icanon echo isig"* ]]
	done
}

@test "bad input: -t without a terminal on stdin, for a run or an exec: one line, 125" {
	requires root step:09
	run_ctr -125 -t true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"-t needs a terminal on standard input"* ]]
	run_sub -125 exec -t any-name true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"-t needs a terminal on standard input"* ]]
}

# ------------------------------------------------------------ names

@test "names: ps lists a named container; a second one with its name is refused in one line; the name goes at exit, and after a kill -9" {
	requires root step:09
	start_ctr --name "$(name)" -- sh -c 'echo ready; exec sleep 60'
	run_sub -0 ps
	[[ ${lines[0]} == "NAME "*"PID "*"UPTIME "*"COMMAND"* ]]
	[[ $output == *"$(name) "*" $CTR_INIT "*" 0:0"*" sh -c echo ready; exec sleep 60"* ]]
	run_ctr -125 --name "$(name)" true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"--name $(name): a running container has that name"* ]]
	stop_ctr
	[ "$CTR_STATUS" -eq 143 ]
	run_sub -0 ps
	[[ $output != *"$(name)"* ]]
	# A runtime killed with SIGKILL cannot remove it: the next look does,
	# be it ps (or exec, or kill), or --cleanup.
	local look
	for look in ps --cleanup; do
		start_ctr --name "$(name)" -- sh -c 'echo ready; exec sleep 60'
		kill -KILL "$CTR_PID"
		wait "$CTR_PID" || true
		CTR_PID=
		[ -e "/run/containers-from-scratch/name-$(name).lock" ]
		wait_for '[ -z "$(strays)" ]' 5
		run_sub -0 "$look"
		[[ $output != *"$(name)"* ]]
		[ ! -e "/run/containers-from-scratch/name-$(name).lock" ]
		"$CONTAINER" --cleanup
	done
}

@test "bad input: names that are not names, names nobody has, and the subcommands' arguments: one line, 125" {
	requires root step:09
	local bad
	for bad in a.b -x "a b" "../x" "$(printf 'n%.0s' {1..41})"; do
		run_ctr -125 --name "$bad" true
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr == *"--name $bad: expected a letter or digit"* ]]
	done
	run_sub -125 exec "$(name)" true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"no running container is named $(name)"* ]]
	run_sub -125 kill "$(name)"
	[[ $stderr == *"no running container is named $(name)"* ]]
	run_sub -125 kill -s BOGUS "$(name)"
	[[ $stderr == *"-s BOGUS: expected a signal"* ]]
	run_sub -125 exec "$(name)"
	[[ $stderr == *"exec $(name): say which command to run"* ]]
	run_sub -125 exec
	[[ $stderr == *"exec: say which container"* ]]
	run_sub -125 ps extra
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "kill: a signal reaches the command through the container's first process; the default, KILL, ends the container" {
	requires root step:09
	start_ctr --name "$(name)" -- sh -c 'trap "echo got USR1; exit 5" USR1; echo ready; while :; do sleep 0.1; done'
	run_sub -0 kill -s USR1 "$(name)"
	stop_ctr NONE
	[ "$CTR_STATUS" -eq 5 ]
	grep -qx "got USR1" "$CTR_OUT"
	start_ctr --name "$(name)" -- sh -c 'trap "" TERM; echo ready; exec sleep 60'
	run_sub -0 kill "$(name)"
	stop_ctr NONE
	[ "$CTR_STATUS" -eq 137 ]
}

# ------------------------------------------------------------ exec

@test "exec: the process joins all eight namespaces, the cgroup and the root of the container, with its command's capabilities, no_new_privs and seccomp filter" {
	requires root step:09
	local cmd joined t
	start_ctr --name "$(name)" --memory 64M -- sh -c 'echo ready; exec sleep 60'
	CTR_SUBCOMMAND=1 ctr_cmd exec -e FOO=bar "$(name)" sleep 61
	"${CTR_CMD[@]}" </dev/null &
	local runner=$!
	wait_for '[ -n "$(pid_running "$CTR_INIT" "sleep 61")" ]'
	joined=$(pid_running "$CTR_INIT" "sleep 61")
	cmd=$(pid_running "$CTR_INIT" "sleep 60")
	for t in "${NS_TYPES[@]}"; do
		[ "$(ns_of "$joined" "$t")" = "$(ns_of "$CTR_INIT" "$t")" ] || { echo "# $t differs" >&2; false; }
		# ...and not the host's, which the test can tell apart.
		[ "$(ns_of "$joined" "$t")" != "$(ns_of $$ "$t")" ]
	done
	for t in memory pids cpu; do
		[ "$(cgroup_of "$joined" "$t")" = "$(cgroup_of "$CTR_INIT" "$t")" ]
	done
	[ "$(status_lines "$joined")" = "$(status_lines "$cmd")" ]
	status_lines "$joined" | grep -qx $'NoNewPrivs:\t1'
	status_lines "$joined" | grep -qx $'Seccomp:\t2'
	[[ /proc/$joined/root -ef /proc/$cmd/root ]]
	[ "$(readlink "/proc/$joined/cwd")" = / ]
	# A clean environment: ours does not leak in; -e adds to it.
	tr '\0' '\n' <"/proc/$joined/environ" | grep -qx FOO=bar
	! tr '\0' '\n' <"/proc/$joined/environ" | grep -q '^BATS_'
	# Root of the container, not the host's uid 0.
	[ "$(awk '/^Uid:/ {print $2}' "/proc/$joined/status")" -eq 100000 ]
	# ps inside sees it beside the command.
	run_sub -0 exec "$(name)" ps
	[[ $output == *"sleep 60"* ]]
	[[ $output == *"sleep 61"* ]]
	kill "$runner"
	wait "$runner" || true
}

@test "exec: its command is the container's --user, with the capabilities --cap-add and --cap-drop gave the container's" {
	requires root step:09
	start_ctr --name "$(name)" --user 1000:1000 --cap-add NET_ADMIN --cap-drop CHOWN -- sh -c 'echo ready; exec sleep 60'
	run_sub -0 exec "$(name)" sh -c 'id -u; id -g; grep -E "^Cap(Eff|Bnd|Amb):" /proc/self/status'
	local cmd
	cmd=$(grep -E '^Cap(Eff|Bnd|Amb):' "/proc/$(pid_running "$CTR_INIT" "sleep 60")/status")
	[ "${lines[0]}" = 1000 ] && [ "${lines[1]}" = 1000 ]
	[ "$(printf '%s\n' "${lines[@]:2}")" = "$cmd" ]
	# NET_ADMIN, and only it, as the container's user holds it.
	[[ ${lines[2]} == *$'\t'0000000000001000 ]]
	run_sub -0 exec "$(name)" sh -c 'ip link set lo down && ip link set lo up'
	run_sub -1 exec "$(name)" chown 1000 /etc/hostname
	[[ $stderr == *"Operation not permitted"* ]]
}

@test "exec: its status is the command's; 126 and 127 as for a run; attacks from inside fail as in the container's command" {
	requires root step:09
	start_ctr --name "$(name)" -- sh -c 'echo ready; exec sleep 60'
	run_sub -3 exec "$(name)" sh -c 'exit 3'
	# Options before the name, as docker exec has them, or after it.
	run_sub -0 exec -e A=1 "$(name)" -e B=2 -- sh -c 'echo $A$B'
	[ "$output" = 12 ]
	run_sub -127 exec "$(name)" no-such-command
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"no-such-command: command not found"* ]]
	run_sub -126 exec "$(name)" /etc
	[ "${#stderr_lines[@]}" -eq 1 ]
	run_sub -0 exec "$(name)" -- sh -c 'probe syscall setns; probe syscall unshare; probe mknod-block /dev/shm/sda; probe shocker; true'
	[ "${lines[0]}" = "setns: EPERM" ]
	[ "${lines[1]}" = "unshare: EPERM" ]
	[ "${lines[2]}" = "mknod-block: EPERM" ]
	[ "${lines[3]}" = "shocker: EPERM" ]
}

@test "exec: killing the container ends the exec'd process; a kill -9 of exec ends it too" {
	requires root step:09
	local runner joined
	start_ctr --name "$(name)" -- sh -c 'echo ready; exec sleep 60'
	CTR_SUBCOMMAND=1 ctr_cmd exec "$(name)" sleep 62
	"${CTR_CMD[@]}" </dev/null &
	runner=$!
	wait_for '[ -n "$(pid_running "$CTR_INIT" "sleep 62")" ]'
	joined=$(pid_running "$CTR_INIT" "sleep 62")
	kill -KILL "$runner"
	wait_for '! alive "$joined"'
	"${CTR_CMD[@]}" </dev/null &
	runner=$!
	wait_for '[ -n "$(pid_running "$CTR_INIT" "sleep 62")" ]'
	run_sub -0 kill "$(name)"
	stop_ctr NONE
	[ "$CTR_STATUS" -eq 137 ]
	status=0
	wait "$runner" || status=$?
	[ "$status" -eq 137 ]
}

@test "exec: into a container that is exiting: one line, 125" {
	requires root step:09
	start_ctr --name "$(name)" -- sh -c 'echo ready; exec sleep 60'
	# The runtime stopped, its container's init dead and not yet reaped.
	kill -STOP "$CTR_PID"
	kill -KILL "$CTR_INIT"
	wait_for '[ "$(awk "/^State:/ {print \$2}" /proc/$CTR_INIT/status)" = Z ]'
	run_sub -125 exec "$(name)" true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"container $(name) is exiting"* ]]
	run_sub -125 kill "$(name)"
	[[ $stderr == *"container $(name) is exiting"* ]]
	kill -CONT "$CTR_PID"
	stop_ctr NONE
	[ "$CTR_STATUS" -eq 137 ]
}

@test "exec -t: a terminal of its own from the container's devpts, which the command cannot push input into; Ctrl-C; Ctrl-D ends the shell; the status" {
	requires root step:09
	start_ctr --name "$(name)" -- sh -c 'echo ready; exec sleep 60'
	CTR_SUBCOMMAND=1 at_terminal 'expect #
send tty; probe tiocsti echo pwn""ed\r
expect /dev/pts/0
expect tiocsti: EPERM
send sleep 100\r
sleep 0.3
send \x03
send echo st=$?\r
expect st=130
send echo ma""rk; false\r
expect mark
# The shell asks where the cursor is once it reads a line again.
expect \x1b[6n
send \x04
expect exit=1
termios' exec -t "$(name)" sh
	[ "$status" -eq 0 ]
	[[ $output != *pwned* ]]
	[[ $output == *"termios icanon echo isig"* ]]
}
