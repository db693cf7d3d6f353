#!/usr/bin/env bats
# 08-time: clocks of the container's own.

load helpers

# seconds FILE-CONTENT: the first field of /proc/uptime, whole seconds.
seconds() {
	echo "${1%%.*}"
}

@test "time: inside, the uptime starts near zero; the host's is untouched" {
	local before after
	before=$(seconds "$(cat /proc/uptime)")
	run_ctr -0 cat /proc/uptime
	after=$(seconds "$(cat /proc/uptime)")
	echo "# host $before -> $after, container $output" >&2
	[ "$(seconds "$output")" -lt 5 ]
	[ "$after" -ge "$before" ]
	[ "$before" -gt "$(seconds "$output")" ] || [ "$before" -lt 5 ]
}

@test "time: --uptime sets where the container's clocks start" {
	run_ctr -0 --uptime 86400 sh -c 'cat /proc/uptime; uptime'
	local up
	up=$(seconds "${lines[0]}")
	[ "$up" -ge 86400 ] && [ "$up" -lt 86405 ]
	[[ ${lines[1]} == *"up 1 day"* ]]
}

@test "time: /proc/self/timens_offsets shows the offsets" {
	local host
	host=$(seconds "$(cat /proc/uptime)")
	run_ctr -0 --uptime 100 cat /proc/self/timens_offsets
	local mono boot
	mono=$(awk '$1 == "monotonic" {print $2}' <<<"$output")
	boot=$(awk '$1 == "boottime" {print $2}' <<<"$output")
	echo "# host uptime $host, offsets $mono $boot" >&2
	[ "$boot" -le $((100 - host)) ] && [ "$boot" -ge $((100 - host - 5)) ]
	[ "$mono" -le 100 ]
}

@test "time: the wall clock is not namespaced" {
	run_ctr -0 date +%s
	local now
	now=$(date +%s)
	[ "$output" -ge $((now - 2)) ] && [ "$output" -le "$now" ]
}

@test "time: the offsets cannot be changed once the container runs" {
	run_ctr ! sh -c 'echo "monotonic 0 0" > /proc/self/timens_offsets'
	echo "# $stderr" >&2
	[[ $stderr == *"Permission denied"* || $stderr == *"Operation not permitted"* ]]
	run_ctr -0 cat /proc/uptime
	[ "$(seconds "$output")" -lt 5 ]
}

@test "time: the container's first process is in the new time namespace" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local c h
	c=$(ns_of "$CTR_INIT" time)
	h=$(ns_of $$ time)
	stop_ctr
	[ "$c" != "$h" ]
}

@test "time: containers started together keep their own clocks" {
	ctr_cmd --uptime 1000 -- sh -c 'sleep 0.5; cat /proc/uptime'
	"${CTR_CMD[@]}" >"$BATS_TEST_TMPDIR/a" &
	local a=$!
	run_ctr -0 --uptime 5000 cat /proc/uptime
	wait "$a"
	[ "$(seconds "$(cat "$BATS_TEST_TMPDIR/a")")" -lt 1005 ]
	[ "$(seconds "$output")" -ge 5000 ]
}

@test "rootless: the time namespace works for an ordinary user" {
	requires userns
	as_user
	run_ctr -0 --net none --uptime 42 cat /proc/uptime
	[ "$(seconds "$output")" -ge 42 ] && [ "$(seconds "$output")" -lt 47 ]
}

@test "bad input: --uptime takes whole seconds from 0 to 315360000" {
	run_ctr -125 --uptime -1 true
	[[ $stderr == *"--uptime -1: expected whole seconds"* ]]
	run_ctr -125 --uptime 1.5 true
	run_ctr -125 --uptime soon true
	run_ctr -125 --uptime 315360001 true
	run_ctr -125 --uptime 1 --uptime 2 true
	[[ $stderr == *"--uptime given more than once"* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
}
