#!/usr/bin/env bash
# docs-run-it.sh CHAPTER...: run every command a chapter shows in its
# "## Run it" section and check that the output has the shape the chapter
# shows. tests/docs.bats runs it on every step's chapter; run it by hand on
# the chapter you are writing:
#
#   sudo tests/docs-run-it.sh steps/03-mnt/README.md
#
# The format, inside "## Run it" (up to the next "## " heading): fenced blocks
# opened with ```console hold lines "$ COMMAND" (continued on the following
# lines while a line ends with "\"), each followed by its expected output, up
# to the next "$ " line or the end of the block.
#
# Each command runs as root with bash, from the repository root, a leading
# "sudo " dropped ("sudo -OPTION" stays), stdout and stderr merged, stdin from
# /dev/null, a clean environment and a time limit (DOCS_TIMEOUT seconds,
# default 30). For the chapters of steps 05 and later it runs inside a fresh
# network namespace made for it, so that no packet leaves namespaces the check
# owns. A missing step binary or build/rootfs is built first.
#
# Output matches when, line by line, it equals the expected lines, with
# trailing whitespace and trailing empty lines ignored. An expected line that
# is exactly "..." stands for any number of lines, zero included; "..." inside
# a line stands for any text, so what changes from run to run (a PID, a
# namespace's inode number, a time) is written as "..." in the chapter and
# every other number must be what the chapter says. In a run of more than
# three dots the last three are the wildcard: "0.... ..." is "0." then text.
#
# A command must leave nothing behind: no mount, network link, network
# namespace, runtime cgroup or System V IPC object that was not there before,
# and no process still running (its processes are found by DOCS_RUN_ID in their
# environment, and killed). The host gets DOCS_SETTLE seconds (default 5) to
# get back to how it was.
#
# Exit status: 0 when every command of every chapter matches; 1 otherwise,
# with the command, a diff and the chapter's file and line on stdout.
# DOCS_VERBOSE=1 also prints the commands that match, with their output.
set -u

repo=$(cd "$(dirname "$0")/.." && pwd)
limit=${DOCS_TIMEOUT:-30}
clean_path=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin

if [ $# -eq 0 ]; then
	echo "usage: $0 CHAPTER..." >&2
	exit 2
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "$0: the chapters' commands need root" >&2
	exit 2
fi

work=$(mktemp -d)
# Every command runs with DOCS_RUN_ID=$tag-CHAPTER-COMMAND in its environment.
tag=${DOCS_RUN_TAG:-docs-$$}
trap 'rm -rf "$work"' EXIT

# split CHAPTER DIR: write each command of the chapter's "## Run it" section
# to DIR/N.cmd, its expected output to DIR/N.exp and its line to DIR/N.line,
# N = 1, 2, ... Prints a problem with the section's format and fails.
split() {
	awk -v dir="$2" '
	function fence_open(s) {
		if (match(s, /^ *(```+|~~~+)/)) {
			indent = index(s, substr(s, RSTART + RLENGTH - 1, 1)) - 1
			mark = substr(s, indent + 1, RLENGTH - indent)
			info = substr(s, RSTART + RLENGTH)
			gsub(/^[ \t]+|[ \t]+$/, "", info)
			return 1
		}
		return 0
	}
	function fence_close(s, m) {
		m = s
		sub(/^ */, "", m)
		sub(/[ \t]+$/, "", m)
		return substr(m, 1, 1) == substr(mark, 1, 1) && m ~ /^(`+|~+)$/ &&
		       length(m) >= length(mark)
	}
	BEGIN { insec = 0; found = 0; infence = 0; n = 0; bad = 0 }
	infence {
		if (fence_close($0)) { infence = 0; console = 0; cont = 0; next }
		if (!console) next
		line = $0
		# Drop the fence'"'"'s own indentation (a block inside a list).
		for (k = 0; k < indent && substr(line, 1, 1) == " "; k++) line = substr(line, 2)
		if (cont) {
			printf "%s\n", line > (dir "/" n ".cmd")
			cont = line ~ /\\$/
			next
		}
		if (substr(line, 1, 2) == "$ ") {
			n++
			cmds_in_block++
			printf "%s\n", substr(line, 3) > (dir "/" n ".cmd")
			printf "" > (dir "/" n ".exp")
			print FNR > (dir "/" n ".line")
			cont = line ~ /\\$/
			next
		}
		if (cmds_in_block == 0) {
			if (line ~ /^[ \t]*$/) next
			printf "line %d: output before the first \"$ \" command of the block\n", FNR
			bad = 1
			next
		}
		printf "%s\n", line > (dir "/" n ".exp")
		next
	}
	fence_open($0) {
		infence = 1
		console = insec && info == "console"
		cmds_in_block = 0
		cont = 0
		next
	}
	/^## / {
		insec = $0 ~ /^## Run it[ \t]*$/
		if (insec) found = 1
		next
	}
	END {
		if (infence) { printf "a code block is never closed\n"; bad = 1 }
		if (!found) { print "no \"## Run it\" section"; exit 1 }
		if (n == 0) { print "no \"$ \" command in a ```console block of its \"## Run it\" section"; exit 1 }
		exit bad
	}' "$1"
}

# matches EXPECTED ACTUAL: the actual output has the shape of the expected one.
matches() {
	awk '
	function norm(s) {
		sub(/[ \t\r]+$/, "", s)
		return s
	}
	# like(E, A): line A matches expected line E, where each "..." in E
	# stands for any text. The pieces between them are found left to
	# right, the first at the start of A and the last at its end.
	function like(e, a,    n, p, i, pos, k) {
		if (index(e, "...") == 0)
			return e == a
		# In a run of more than three dots the last three are the
		# wildcard: "0.... ..." is "0." and any text, " " and any text.
		while (match(e, /\.\.\.\.+/))
			e = substr(e, 1, RSTART + RLENGTH - 4) "\001" substr(e, RSTART + RLENGTH)
		n = split(e, p, /\.\.\.|\001/)
		if (substr(a, 1, length(p[1])) != p[1])
			return 0
		pos = length(p[1]) + 1
		for (i = 2; i < n; i++) {
			k = index(substr(a, pos), p[i])
			if (k == 0)
				return 0
			pos += k - 1 + length(p[i])
		}
		return length(a) - length(p[n]) + 1 >= pos &&
		    substr(a, length(a) - length(p[n]) + 1) == p[n]
	}
	FILENAME == ARGV[1] { e[ne++] = norm($0); next }
	{ a[na++] = norm($0) }
	END {
		while (ne > 0 && e[ne - 1] == "") ne--
		while (na > 0 && a[na - 1] == "") na--
		# Wildcard matching, "..." being the wildcard: on a mismatch, let the
		# last "..." seen take one more line and try again from there.
		i = 0; j = 0; star = -1; mark = 0
		while (j < na) {
			if (i < ne && e[i] == "...") { star = i; mark = j; i++ }
			else if (i < ne && like(e[i], a[j])) { i++; j++ }
			else if (star >= 0) { i = star + 1; mark++; j = mark }
			else exit 1
		}
		while (i < ne && e[i] == "...") i++
		exit i == ne ? 0 : 1
	}' "$1" "$2"
}

# state: what a command could leave behind on the host, one thing a line, in
# sorted order. /run/netns itself is mounted by the first "ip netns add" ever,
# and stays. The network namespaces of test runs (tests/helpers.bash's, this
# script's) come and go on their own.
others='^(ctrtest-[0-9]+-[0-9]+|docs-[0-9a-z-]+)$'
state() {
	{
		findmnt -rn -o TARGET,FSTYPE | grep -Ev '^/run/netns( |/)' | sed 's/^/mount: /'
		ip -o link show | awk -F': ' '{sub(/@.*/, "", $2); print "link: " $2}'
		ip netns list 2>/dev/null | awk '{print $1}' | grep -Ev "$others" | sed 's/^/network namespace: /'
		find /sys/fs/cgroup -mindepth 1 -type d \
			\( -name 'ctr-*' -o -name 'containers-from-scratch' \) 2>/dev/null | sed 's/^/cgroup: /'
		tail -q -n +2 /proc/sysvipc/msg /proc/sysvipc/sem /proc/sysvipc/shm |
			awk '{print "System V IPC object: key " $1 ", id " $2}'
	} | LC_ALL=C sort
}

# appeared BEFORE: what is on the host now and was not in the file BEFORE.
appeared() {
	state | LC_ALL=C comm -13 "$1" -
}

# marked ID: the live processes that carry DOCS_RUN_ID=ID in their environment
# (every command's processes do, containers included: the runtimes pass their
# environment on), one per line with their command line.
marked() {
	local f p st
	grep -lzxF "DOCS_RUN_ID=$1" /proc/[0-9]*/environ 2>/dev/null | while read -r f; do
		p=${f#/proc/}
		p=${p%%/*}
		st=$(awk '/^State:/ {print $2}' "/proc/$p/status" 2>/dev/null) || continue
		[ -n "$st" ] && [ "$st" != Z ] &&
			echo "$p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null)"
	done
	return 0
}

# settle ID BEFORE: wait up to DOCS_SETTLE seconds for ID's processes to end
# and for what appeared on the host since BEFORE to go; print what is left and
# fail if anything is.
settle() {
	local tries=$((${DOCS_SETTLE:-5} * 20)) procs left pids
	while :; do
		procs=$(marked "$1")
		left=$(appeared "$2")
		[ -z "$procs$left" ] && return 0
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || break
		sleep 0.05
	done
	if [ -n "$procs" ]; then
		printf 'process still running (now killed): %s\n' "$procs"
		mapfile -t pids < <(echo "$procs" | awk '{print $1}')
		kill -KILL "${pids[@]}" 2>/dev/null
	fi
	[ -z "$left" ] || printf '%s\n' "$left"
	return 1
}

failed=0
count=0
for chapter in "$@"; do
	chapter_abs=$(readlink -f "$chapter")
	step=$(basename "$(dirname "$chapter_abs")")
	num=${step:0:2}
	[[ $num == [0-9][0-9] ]] || num=00
	dir=$work/$count
	mkdir -p "$dir"
	count=$((count + 1))
	if ! problem=$(split "$chapter_abs" "$dir"); then
		printf '%s: %s\n' "$chapter" "$problem"
		failed=1
		continue
	fi
	[ -n "$problem" ] && printf '%s: %s\n' "$chapter" "$problem" && failed=1

	# What the commands use: the step's binary and the default rootfs.
	if [ -f "$repo/steps/$step/container.c" ] && [ ! -x "$repo/steps/$step/container" ]; then
		make -s -C "$repo" "steps/$step/container" >&2 || failed=1
	fi
	if [ ! -f "$repo/build/rootfs/etc/os-release" ]; then
		make -s -C "$repo" rootfs >&2 || failed=1
	fi

	n=1
	while [ -f "$dir/$n.cmd" ]; do
		cmd=$(<"$dir/$n.cmd")
		line=$(<"$dir/$n.line")
		# "sudo CMD" is CMD, run as root; "sudo -u USER CMD" and the like stay.
		run=$cmd
		[[ $cmd == "sudo "[!-]* ]] && run=${cmd#sudo }
		id=$tag-$count-$n
		state >"$dir/$n.before"
		prefix=()
		netns=
		if [ "$((10#$num))" -ge 5 ]; then
			netns=$id
			ip netns add "$netns" || { failed=1; n=$((n + 1)); continue; }
			prefix=(nsenter --net="/run/netns/$netns")
		fi
		status=0
		(cd "$repo" && timeout -k 5 "$limit" ${prefix[@]+"${prefix[@]}"} \
			env -i PATH="$clean_path" HOME=/root USER=root LOGNAME=root \
			SHELL=/bin/bash TERM=dumb LANG=C.UTF-8 DOCS_RUN_ID="$id" \
			bash -c "$run") </dev/null >"$dir/$n.out" 2>&1 || status=$?
		problems=
		if [ "$status" -eq 124 ]; then
			problems+="timed out after ${limit}s"$'\n'
		fi
		if [ -n "$netns" ]; then
			# A veth pair goes with its container's network namespace, a
			# moment after the runtime exits (DOC: veth-cleanup).
			tries=$((${DOCS_SETTLE:-5} * 20))
			while links=$(ip -n "$netns" -o link show | awk -F': ' '{sub(/@.*/, "", $2)} $2 != "lo" {print $2}' | tr '\n' ' ') &&
				[ -n "$links" ] && [ "$((tries -= 1))" -gt 0 ]; do
				sleep 0.05
			done
			[ -z "$links" ] || problems+="links left in its network namespace: $links"$'\n'
			ip netns delete "$netns"
		fi
		if ! left=$(settle "$id" "$dir/$n.before"); then
			problems+="left behind:"$'\n'"$left"$'\n'
		fi
		if ! matches "$dir/$n.exp" "$dir/$n.out"; then
			problems+="the output does not have the chapter's shape:"$'\n'
			problems+=$(diff -u --label "expected ($chapter line $line)" --label "actual" \
				"$dir/$n.exp" "$dir/$n.out")$'\n'
		fi
		if [ -n "$problems" ]; then
			printf '%s:%s: $ %s\n%s\n' "$chapter" "$line" "$cmd" "$problems"
			failed=1
		elif [ -n "${DOCS_VERBOSE:-}" ]; then
			printf '%s:%s: $ %s\n%s\n\n' "$chapter" "$line" "$cmd" "$(cat "$dir/$n.out")"
		fi
		n=$((n + 1))
	done
done
exit "$failed"
