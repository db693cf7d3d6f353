#!/usr/bin/env bats
# 03-mnt: a mount table and a root filesystem of the container's own.

load helpers

@test "mnt: / is the rootfs, not the host's root" {
	run_ctr -0 cat /etc/os-release
	[[ $output == *containers-from-scratch* ]]
	[ ! -e "$ROOTFS/$BATS_TEST_TMPDIR" ]
	run_ctr ! ls "$BATS_TEST_TMPDIR"
}

@test "mnt: ps inside lists only the container's processes" {
	run_ctr -0 ps -o pid,comm
	echo "# ${#lines[@]} lines" >&2
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[1]} == *" 1 container"* ]]
	[[ ${lines[2]} == *" 2 ps"* ]]
}

@test "mnt: a fresh /proc, a read-only /sys and a small tmpfs /dev" {
	run_ctr -0 cat /proc/mounts
	[[ $output == *"proc /proc proc rw,nosuid,nodev,noexec"* ]]
	[[ $output == *"sysfs /sys sysfs ro,"* ]]
	[[ $output == *"tmpfs /dev tmpfs rw,nosuid,nodev,noexec"* ]]
	[[ $output == *"devpts /dev/pts devpts"* ]]
	[[ $output == *"tmpfs /dev/shm tmpfs"* ]]
	run_ctr ! touch /sys/kernel/x
	[[ $stderr == *"Read-only file system"* ]]
}

@test "mnt: /dev/shm takes data but runs no program (noexec), as Docker mounts it" {
	run_ctr -0 grep ' /dev/shm ' /proc/mounts
	[[ $output == *"tmpfs /dev/shm tmpfs rw,nosuid,nodev,noexec"* ]]
	# A copy of a program runs from /tmp, and not from /dev/shm.
	# (A rootfs whose files container root owns, so it can write /tmp.)
	local ROOTFS=$REPO/build/test-rootfs-userns
	run_ctr -0 sh -c 'cp /bin/probe /tmp/p && /tmp/p syscall getpid >/dev/null && echo ran; rm -f /tmp/p'
	[ "$output" = ran ]
	run_ctr -126 sh -c 'echo data >/dev/shm/d && cat /dev/shm/d && cp /bin/probe /dev/shm/p && exec /dev/shm/p syscall getpid'
	[ "$output" = data ]
	[[ $stderr == *"Permission denied"* ]]
}

@test "mnt: /dev holds only the devices a program expects, and they work" {
	local want="fd full null ptmx pts random shm stderr stdin stdout tty urandom zero"
	step_has 04 && want="fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero"
	run_ctr -0 ls /dev
	[ "$(echo $output)" = "$want" ]
	run_ctr -0 sh -c 'echo x >/dev/null && head -c 8 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c'
	[ "$(echo $output)" = "8 8" ]
	run_ctr ! sh -c 'echo x >/dev/full'
}

@test "mnt: the host's mount table is the same during and after the run" {
	local before during
	before=$(findmnt -rn -o TARGET,SOURCE,FSTYPE,PROPAGATION)
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	during=$(findmnt -rn -o TARGET,SOURCE,FSTYPE,PROPAGATION)
	stop_ctr
	[ "$before" = "$during" ]
	[ "$before" = "$(findmnt -rn -o TARGET,SOURCE,FSTYPE,PROPAGATION)" ]
}

@test "mnt: the container's mounts do not reach the host, even from a shared rootfs" {
	# systemd makes / shared; a rootfs on a shared mount would otherwise
	# show the container's /proc, /sys and /dev mounts on the host.
	SHARED=$SCRATCH/rootfs
	mkdir "$SHARED"
	mount --bind -o ro "$ROOTFS" "$SHARED"
	mount --make-shared "$SHARED"
	# Lazily and recursively: a leak stacks mounts on it, and bats removes
	# the test's temp dir afterwards.
	test_cleanup() { umount -R -l "$SHARED"; }
	local before during
	before=$(findmnt -rn -o TARGET | sort)
	ROOTFS=$SHARED start_ctr -- sh -c 'echo ready; exec sleep 30'
	during=$(findmnt -rn -o TARGET | sort)
	stop_ctr
	diff <(echo "$before") <(echo "$during") >&2
}

@test "mnt: the old root is gone: only the container's own mounts are inside" {
	run_ctr -0 cat /proc/self/mountinfo
	local point strays
	strays=$(awk '{print $5}' <<<"$output" | grep -Ev '^/$|^/(proc|sys|dev)(/|$)' || true)
	echo "# mounts inside that should not be there: ${strays:-none}" >&2
	[ -z "$strays" ]
	[ "${#lines[@]}" -ge 10 ]
}

@test "bad input: a missing rootfs gets one line and status 125" {
	run "$CONTAINER" --rootfs /nonexistent true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"rootfs /nonexistent: No such file or directory"* ]]
}

@test "bad input: the host's own root as rootfs, by any path, gets one line and status 125" {
	ln -s / "$SCRATCH/slash"
	for ROOTFS in / "$SCRATCH/slash" /usr/..; do
		run_ctr -125 true
		[ "${#stderr_lines[@]}" -eq 1 ]
		[[ $stderr == *"is the host's own root"* ]]
	done
}

@test "bad input: a rootfs that is a file gets one line and status 125" {
	touch "$BATS_TEST_TMPDIR/file"
	run "$CONTAINER" --rootfs "$BATS_TEST_TMPDIR/file" true
	[ "$status" -eq 125 ]
	[[ $output == *"is not a directory"* ]]
}

@test "bad input: no --rootfs gets one line and status 125" {
	run "$CONTAINER" true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"--rootfs DIR is required"* ]]
}

@test "bad input: a rootfs whose /proc or /dev is a symlink is refused" {
	local bad=$BATS_TEST_TMPDIR/bad
	mkdir -p "$bad/sys" "$bad/dev"
	ln -s / "$bad/proc"
	run "$CONTAINER" --rootfs "$bad" true
	[ "$status" -eq 125 ]
	[[ $output == *"/proc is a symlink"* ]]
	rm "$bad/proc" && mkdir "$bad/proc" && rmdir "$bad/dev" && ln -s / "$bad/dev"
	run "$CONTAINER" --rootfs "$bad" true
	[ "$status" -eq 125 ]
	[[ $output == *"/dev is a symlink"* ]]
}

@test "bad input: an empty rootfs has no /proc: one line, status 125" {
	mkdir "$BATS_TEST_TMPDIR/empty"
	run "$CONTAINER" --rootfs "$BATS_TEST_TMPDIR/empty" true
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"has no /proc"* ]]
}

@test "bad input: a rootfs without a shell: the default command is not found, 127" {
	local bare=$SCRATCH/bare
	mkdir -p "$bare/proc" "$bare/sys" "$bare/dev"
	run -127 "$CONTAINER" --rootfs "$bare"
	[[ $output == *"/bin/sh: command not found"* ]]
}

@test "volume: --volume binds a host directory and a file; :ro is read-only down to a submount" {
	# Not local: test_cleanup runs after the test.
	t=/mnt/ctrvol-$$
	mkdir -p "$SCRATCH/vol/sub"
	echo host >"$SCRATCH/vol/file"
	echo one >"$SCRATCH/one"
	# Shared, as systemd makes every mount: the volume must leave the peer group.
	mount --bind "$SCRATCH/vol" "$SCRATCH/vol"
	mount --make-shared "$SCRATCH/vol"
	mount -t tmpfs ctrvol "$SCRATCH/vol/sub"
	test_cleanup() { umount -R -l "$SCRATCH/vol"; rm -rf "$ROOTFS/mnt/ctrvol-$$"; }
	# The paths are made in the rootfs: $t does not exist yet.
	run_ctr -0 --volume "$SCRATCH/vol:$t/rw" --volume "$SCRATCH/one:$t/deep/one:ro" \
		--volume "$SCRATCH/vol:$t/ro:ro" -- sh -c "
		cat $t/rw/file $t/deep/one && echo new >$t/rw/sub/new && echo in >$t/rw/in
		probe open-write $t/deep/one; probe open-write $t/ro/file; probe open-write $t/ro/sub/new; true"
	[ "${lines[*]}" = "host one open-write: EROFS open-write: EROFS open-write: EROFS" ]
	[ "$(cat "$SCRATCH/vol/in")" = in ] && [ "$(cat "$SCRATCH/vol/sub/new")" = new ]
	# What the mount points cover is the rootfs's, and stays empty.
	if ! step_has 09; then
		[ -d "$ROOTFS$t/rw" ] && [ -z "$(ls -A "$ROOTFS$t/rw")" ] && [ ! -s "$ROOTFS$t/deep/one" ]
	fi
	# A container without the volume sees none of it.
	run_ctr -0 sh -c "cat $t/rw/file 2>/dev/null; ls /mnt"
	[[ $output != *host* ]]
	# The host never sees the mount, nor one made under it inside (root
	# may mount before step 09), and a runtime killed with SIGKILL leaves
	# none behind (the leftover sweep checks after the test).
	local before
	before=$(findmnt -rn -o TARGET | sort)
	start_ctr --volume "$SCRATCH/vol:$t/rw" -- sh -c "
		mount -t tmpfs inside $t/rw/sub 2>/dev/null; echo ready; exec sleep 30"
	[ "$before" = "$(findmnt -rn -o TARGET | sort)" ]
	stop_ctr KILL
}

@test "volume: a container path cannot lead out of the rootfs: '..', a symlink to /etc, a symlink swapped during start" {
	# Not local: test_cleanup runs after the test.
	name=ctresc-$$
	mkdir -p "$SCRATCH/vol" "$SCRATCH/outside"
	echo secret >"$SCRATCH/vol/file"
	ln -s /etc "$ROOTFS/mnt/$name"
	test_cleanup() {
		if [ -n "${swapper:-}" ]; then
			kill "$swapper" 2>/dev/null || true
			wait "$swapper" 2>/dev/null || true
		fi
		rm -rf "$ROOTFS/mnt/ctresc-$$"* "$ROOTFS/etc/ctresc-$$"*
	}
	# An absolute symlink resolves inside the rootfs, as it would after
	# pivot_root; ".." stops at the container's /.
	run_ctr -0 --volume "$SCRATCH/vol:/mnt/$name/$name" \
		--volume "$SCRATCH/vol:/../../../../../../../../etc/$name-dots" -- \
		sh -c "cat /etc/$name/file /etc/$name-dots/file"
	[ "$output" = "secret"$'\n'"secret" ]
	[ ! -e "/etc/$name" ] && [ ! -e "/etc/$name-dots" ]
	# A directory swapped for a symlink to a host directory, again and
	# again, while containers start: each one mounts inside the rootfs or
	# fails, and the host directory is never written.
	mkdir "$ROOTFS/mnt/$name-swap"
	(
		set +e
		cd "$ROOTFS/mnt" || exit
		while :; do
			mv -T "$name-swap" "$name-dir"
			ln -s "$SCRATCH/outside" "$name-swap"
			rm "$name-swap"
			mv -T "$name-dir" "$name-swap"
		done
	) 2>/dev/null &
	swapper=$!
	local i ok=0
	for i in $(seq 12); do
		# The path keeps changing inside too: look for the mount instead.
		run_ctr --volume "$SCRATCH/vol:/mnt/$name-swap/x" -- grep -c " $SCRATCH/vol " /proc/self/mountinfo
		[ "$status" -eq 0 ] || [ "$status" -eq 125 ]
		[ "$status" -ne 0 ] || { [ "$output" = 1 ] && ok=$((ok + 1)); }
	done
	# Still swapping: it ran all along.
	kill "$swapper"
	wait "$swapper" || true
	swapper=
	rm -rf "$ROOTFS/mnt/$name-dir"
	echo "# $ok of 12 mounted" >&2
	[ -z "$(ls -A "$SCRATCH/outside")" ]
}
