#!/usr/bin/env bats
# Escapes: the known ways out of a container, tried as root inside a step-09
# container. Every one must fail, and each test names the errno the kernel
# (or the seccomp filter) answers with, so a change in why it fails shows up
# as clearly as a change in whether it fails.

# Not a per-step file: the complete runtime is the one under attack.
STEP=09
load helpers

# A file only the host has, to tell whether a path leads out.
host_marker() {
	MARKER=$BATS_TEST_TMPDIR/host-only-$$
	echo host >"$MARKER"
}

# expect LINE...: the output is exactly these lines, in this order.
expect() {
	local want
	want=$(printf '%s\n' "$@")
	if [ "$output" != "$want" ]; then
		echo "# want:" >&2
		printf '#   %s\n' "$@" >&2
		return 1
	fi
}

@test "escape: the classic chroot escape (chroot, chdir .. , chroot .) ends at the container's root" {
	host_marker
	# The climb works: it reaches the container's root...
	run_ctr -0 probe chroot-escape /etc/os-release
	expect "chroot-escape: ok 0"
	# ...and nothing above it: the host's files are not there.
	run_ctr -1 probe chroot-escape "$MARKER"
	expect "chroot-escape: ENOENT"
}

@test "escape: mounting proc, a cgroup filesystem, or a tmpfs over a masked path: EPERM" {
	local cgroupfs="cgroup /tmp memory"
	cgroup_v2 && cgroupfs="cgroup2 /tmp"
	run_ctr sh -c "probe mount-fs proc /tmp; probe mount-fs $cgroupfs;
		probe mount-fs tmpfs /proc/timer_list; probe mount-fs tmpfs /sys/firmware;
		probe mount-fs sysfs /tmp; probe mount-fs devpts /tmp"
	expect "mount-fs: EPERM" "mount-fs: EPERM" "mount-fs: EPERM" "mount-fs: EPERM" \
		"mount-fs: EPERM" "mount-fs: EPERM"
	# The masked file still reads empty.
	run_ctr -0 wc -c /proc/timer_list
	[ "$output" = "0 /proc/timer_list" ]
}

@test "escape: a cgroup release_agent cannot be written (CVE-2022-0492)" {
	local dir=/sys/fs/cgroup
	cgroup_v2 || dir=/sys/fs/cgroup/memory
	# Only a hierarchy's root has release_agent, and the container's root
	# is its own cgroup; a fresh v1 hierarchy would need mount(2).
	run_ctr sh -c "probe open-write $dir/release_agent; probe mount-fs cgroup /tmp rdma"
	expect "open-write: ENOENT" "mount-fs: EPERM"
	if ! cgroup_v2; then
		local before
		before=$(cat /sys/fs/cgroup/memory/release_agent)
		run_ctr -1 probe open-write $dir/notify_on_release
		expect "open-write: EACCES"
		[ "$(cat /sys/fs/cgroup/memory/release_agent)" = "$before" ]
	fi
}

@test "escape: /proc/sysrq-trigger cannot be opened for writing" {
	run_ctr -1 probe open-write /proc/sysrq-trigger
	if [ -e /proc/sysrq-trigger ]; then
		# Owned by the host's root, and mounted read-only.
		[[ $output == "open-write: EACCES" || $output == "open-write: EROFS" ]]
	else
		# This kernel has no magic SysRq key: nothing to write to.
		expect "open-write: ENOENT"
	fi
}

@test "escape: no file under /proc/sys can be opened for writing" {
	# Not run_ctr: a thousand lines of "EACCES" would bury a failure.
	run -0 ctr sh -c 'for f in $(find /proc/sys -type f -perm -200 2>/dev/null); do
			echo "$f $(probe open-write "$f")"; done' </dev/null
	echo "# ${#lines[@]} files: $(awk '{print $3}' <<<"$output" | sort | uniq -c | tr '\n' ' ')" >&2
	[ "${#lines[@]}" -ge 50 ]
	# Host-wide settings belong to the host's root: EACCES. The ones the
	# container's namespaces own are still on a read-only mount: EROFS.
	grep -v -e ': EACCES$' -e ': EROFS$' <<<"$output" >&2 && return 1
	[[ $output == *"/proc/sys/kernel/core_pattern open-write: EACCES"* ]]
	[[ $output == *"/proc/sys/kernel/shmmax open-write: EROFS"* ]]
	if [ -e /proc/sys/kernel/modprobe ]; then
		[[ $output == *"/proc/sys/kernel/modprobe open-write: EACCES"* ]]
	fi
}

@test "escape: mknod of a block device: EPERM" {
	run_ctr -1 probe mknod-block /dev/shm/sda
	expect "mknod-block: EPERM"
	ROOTFS=$REPO/build/test-rootfs-userns run_ctr -1 probe mknod-block /tmp/sda
	expect "mknod-block: EPERM"
}

@test "escape: loading or removing a kernel module: EPERM" {
	run_ctr sh -c 'probe syscall init_module; probe syscall finit_module; probe syscall delete_module'
	expect "init_module: EPERM" "finit_module: EPERM" "delete_module: EPERM"
}

@test "escape: ptrace of the container's init, or of another process inside: EPERM" {
	run_ctr -0 sh -c 'probe ptrace-attach 1; sleep 5 & probe ptrace-attach $!; kill $!'
	expect "ptrace-attach: EPERM" "ptrace-attach: EPERM"
}

@test "escape: open_by_handle_at with a forged handle (the \"shocker\" escape): EPERM" {
	run_ctr -1 probe shocker
	expect "shocker: EPERM"
}

@test "escape: no new user namespace, nor any other, nor entering one: EPERM" {
	run_ctr sh -c 'probe unshare-user; probe clone-newuser; probe clone-newns;
		probe syscall unshare; probe syscall setns; probe syscall clone3'
	expect "unshare-user: EPERM" "clone-newuser: EPERM" "clone-newns: EPERM" \
		"unshare: EPERM" "setns: EPERM" "clone3: ENOSYS"
}

@test "escape: /proc/1/root leads nowhere: init's links are closed to the container" {
	host_marker
	run_ctr sh -c "readlink /proc/self/root; probe open-read /proc/1/root/etc/os-release;
		probe open-read /proc/1/root$MARKER; probe open-read /proc/self/root$MARKER"
	expect / "open-read: EACCES" "open-read: EACCES" "open-read: ENOENT"
}

@test "escape: a descriptor the runtime was started with does not reach the command" {
	exec 9</
	run_ctr sh -c 'ls /proc/self/fd | tr "\n" " "; echo; probe openat 9 etc/hostname;
		probe open-read /proc/1/fd/9'
	exec 9<&-
	expect "0 1 2 3 " "openat: EBADF" "open-read: EACCES"
}

@test "escape: the container's init holds no descriptor of the host either" {
	exec 9</
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	exec 9<&-
	local fds
	fds=$(ls -l "/proc/$CTR_INIT/fd" | awk 'NR > 1 {print $9, $11}')
	stop_ctr
	echo "# init's descriptors:"$'\n'"$fds" >&2
	# Its own stdio, and at most the pipe it was synchronised with.
	[ -z "$(awk '$1 > 2 && $2 !~ /^pipe:/' <<<"$fds")" ]
}

@test "escape: a directory as the runtime's stdin does not open the host to the command" {
	ctr_cmd probe openat 0 etc/hostname
	run "${CTR_CMD[@]}" </
	echo "# status $status: $output" >&2
	[[ $output != *"openat: ok"* ]]
}

@test "escape: no host processes are visible" {
	run_ctr -0 sh -c 'ls /proc | grep -c "^[0-9]"; ps -o pid,comm'
	# /proc holds the container's init, sh, ls and grep; ps sees init, sh, ps.
	[ "${lines[0]}" -le 4 ]
	[ "${#lines[@]}" -eq 4 ]
	[[ ${lines[2]} == *" 1 container"* ]]
	run_ctr -1 probe open-read "/proc/$$/cmdline"
	expect "open-read: ENOENT"
}

@test "escape: no host mounts are visible" {
	run_ctr -0 awk '{print $5}' /proc/self/mountinfo
	local strays
	strays=$(grep -Ev '^/$|^/(proc|sys|dev)(/|$)' <<<"$output" || true)
	echo "# mount points inside that are not the container's: ${strays:-none}" >&2
	[ -z "$strays" ]
	# Nor do host paths show up as mount points.
	[[ $output != *"$REPO"* && $output != */run/netns* && $output != */tmp/* ]]
}

@test "escape: no host interfaces are visible, only lo and the container's eth0" {
	run_ctr -0 sh -c 'ls /sys/class/net | tr "\n" " "; echo; tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\n" " "'
	expect "eth0 lo " "eth0 lo "
	run_ctr -0 --net none ls /sys/class/net
	expect lo
}
