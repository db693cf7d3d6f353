#!/usr/bin/env bash
# tour.sh: walk through every step in order, non-interactively. For each: what
# it adds, a command that shows it, and its namespaces next to the host's.
# Run it as `sudo make tour`, which builds the steps and the rootfs first.
set -u
cd "$(dirname "$0")/.."
rootfs=build/rootfs

if [ "$(id -u)" -ne 0 ]; then
	echo "tour.sh: the steps need root: sudo make tour" >&2
	exit 2
fi
# Steps 06-09 run the container's root as uid 100000 on the host, which must
# be able to reach the rootfs: say so now rather than at step 06.
rootfs-scripts/reachable.sh "$rootfs" || exit 1
if [ -t 1 ]; then
	bold=$(printf '\033[1m') dim=$(printf '\033[2m') off=$(printf '\033[0m')
else
	bold= dim= off=
fi

# show COMMAND...: print a command as a user would type it, then run it.
show() {
	local arg line=
	for arg in "$@"; do
		case $arg in
		*[!A-Za-z0-9_./=:-]*) line+=" '$arg'" ;;
		*) line+=" $arg" ;;
		esac
	done
	printf '%s$%s%s\n' "$bold" "$line" "$off"
	"$@" 2>&1 | sed 's/^/  /'
	echo
}

# say TEXT: a paragraph, wrapped for the terminal.
say() {
	echo "$*" | fold -s -w 78
	echo
}

heading() {
	printf '%s== %s ==%s\n\n' "$bold" "$1" "$off"
}

heading "Containers from Scratch: the tour"
say "Each step below is one small C program, steps/NN-name/container.c, that adds one kind of isolation to the step before it. For every step you will see what it adds, a command that shows it, and which of the eight namespace types now differ from this shell's. Read the chapters in steps/*/README.md for the why."
show hostname

for dir in steps/[0-9][0-9]-*/; do
	step=$(basename "$dir")
	bin=steps/$step/container
	heading "Step $step"
	case $step in
	01-uts)
		say "clone(2) with CLONE_NEWUTS gives the child its own hostname. Setting it inside leaves the host's alone. Everything else, processes and files included, is still shared."
		show "$bin" --hostname tour-01 -- sh -c 'hostname; echo "my PID is $$"'
		show hostname
		;;
	02-pid)
		say "CLONE_NEWPID: the container's first process is PID 1, a small init of our own that runs the command, reaps orphans and forwards signals. The shell below is PID 2. But ps still reads the host's /proc, so it lists every host process: the next step fixes that."
		show "$bin" --hostname tour-02 -- sh -c 'echo "my PID is $$, my parent is $PPID"; ps -e | wc -l'
		;;
	03-mnt)
		say "CLONE_NEWNS: a mount table of its own. The runtime makes propagation private, pivots into the root filesystem in $rootfs, and mounts a fresh /proc, a read-only /sys and a small /dev. Now ps sees only the container's processes, and the host's files are out of reach."
		show "$bin" --rootfs "$rootfs" --hostname tour-03 -- sh -c 'ps; echo; cat /etc/os-release | head -n 1; echo /dev: $(ls /dev)'
		;;
	04-ipc)
		say "CLONE_NEWIPC: System V message queues, semaphores and shared memory of its own, and a fresh mqueue filesystem for POSIX message queues. The tables in /proc/sysvipc are empty inside, whatever the host has."
		show "$bin" --rootfs "$rootfs" -- sh -c 'cat /proc/sysvipc/msg; ls -a /dev/mqueue'
		;;
	05-net)
		say "CLONE_NEWNET: a network stack of its own. Loopback is up, and a veth pair, made with rtnetlink from C, links eth0 inside to a ctrN interface on the host. The host's other interfaces are not visible."
		show "$bin" --rootfs "$rootfs" -- sh -c 'ip -o -4 addr | awk "{print \$2, \$4}"; ip route'
		;;
	06-user)
		say "CLONE_NEWUSER: root inside is uid 100000 outside. The parent writes the uid and gid maps. Host root's files would show up as nobody's, but the rootfs is mounted through an idmapped mount that carries the same map, so root inside owns it; with --idmap no, nobody does. The same binary also runs for an ordinary user, without root."
		show "$bin" --rootfs "$rootfs" -- sh -c 'id; cat /proc/self/uid_map; ls -ln /etc/passwd'
		show "$bin" --rootfs "$rootfs" --idmap no -- ls -ln /etc/passwd
		;;
	07-cgroup)
		say "A cgroup of its own, and CLONE_NEWCGROUP: the container sees its cgroup as the root of the tree, mounted read-only. The runtime removes the cgroup when the container exits."
		show "$bin" --rootfs "$rootfs" -- sh -c 'head -n 3 /proc/self/cgroup; grep cgroup /proc/mounts | head -n 2'
		;;
	08-time)
		say "CLONE_NEWTIME: CLOCK_MONOTONIC and CLOCK_BOOTTIME start near zero inside, or wherever --uptime says. The wall clock is shared: no namespace covers it. All eight namespace types are now in use."
		show "$bin" --rootfs "$rootfs" --uptime 3600 -- sh -c 'cat /proc/uptime; cat /proc/self/timens_offsets'
		;;
	09-overlay-cgroup-seccomp)
		say "The complete runtime: the rootfs becomes the read-only bottom layer of an overlay, --memory, --cpus and --pids-limit go into the cgroup, and the command runs with Docker's fourteen capabilities, no_new_privs, masked /proc paths and a seccomp filter: the mount at the end is refused."
		show "$bin" --rootfs "$rootfs" --memory 64M --pids-limit 32 -- sh -c 'grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; grep " / " /proc/mounts | cut -c1-60; mount -t tmpfs x /mnt'
		say "A container started in the background with --name can be reached from another shell, as with docker exec: exec runs a command in all eight of its namespaces and its cgroup, under the same capabilities and seccomp filter. ps inside shows it beside the container's own command. (-t gives a command a terminal of its own: try it at a real terminal, with sh.)"
		"$bin" --rootfs "$rootfs" --net none --name tour -- sleep 60 </dev/null >/dev/null 2>&1 &
		for _ in $(seq 100); do "$bin" ps | grep -q '^tour ' && break; sleep 0.1; done
		show "$bin" ps
		show "$bin" exec tour ps
		show "$bin" kill tour
		wait
		;;
	*)
		say "See steps/$step/README.md."
		;;
	esac
	steps/compare.sh "$step" "$rootfs" | sed '/^$ lsns/,$d'
	echo
done

heading "Next"
say "Read steps/README.md, then one chapter per step. See what a step adds with 'make diff STEP=NN', compare it with the host with 'sudo make compare STEP=NN', and check yourself with 'make quiz STEP=NN'. 'sudo make test' runs every test."
