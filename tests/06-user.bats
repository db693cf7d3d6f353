#!/usr/bin/env bats
# 06-user: root inside the container, an unprivileged user outside.

load helpers

# only_rootless_notes: stderr holds nothing but one-line notes on what a
# rootless container goes without.
only_rootless_notes() {
	local line
	for line in "${stderr_lines[@]}"; do
		[[ $line == "container: rootless: "* ]] || return 1
	done
}

USERNS_ROOTFS=${USERNS_ROOTFS:-$REPO/build/test-rootfs-userns}

@test "user: root inside is uid 100000 on the host" {
	start_ctr -- sh -c 'id -u; echo ready; exec sleep 30'
	local uids gids
	uids=$(awk '/^Uid:/ {print $2, $3, $4, $5}' "/proc/$CTR_INIT/status")
	gids=$(awk '/^Gid:/ {print $2, $3, $4, $5}' "/proc/$CTR_INIT/status")
	stop_ctr
	[ "$(head -n 1 "$CTR_OUT")" = 0 ]
	[ "$uids" = "100000 100000 100000 100000" ]
	[ "$gids" = "100000 100000 100000 100000" ]
}

@test "terminal: root inside cannot push input into the terminal it was started from (TIOCSTI): EPERM" {
	local mark=$SCRATCH/injected cmd
	# Typed at a shell on a terminal; what the container pushes into that
	# terminal's input, the shell would read and run as host root.
	ctr_cmd probe tiocsti "touch $mark"
	cmd=$(typed "${CTR_CMD[@]}")
	in_terminal "expect # 
send $cmd; echo st\"\"atus=\$?\\n
expect status=
sleep 0.5
send echo do\"\"ne\\n
expect done
send exit\\n" sh -i
	[ "$status" -eq 0 ]
	[[ $output == *"tiocsti: EPERM"* ]]
	[[ $output == *"status=1"* ]]
	[ ! -e "$mark" ]
}

@test "user: the maps read 0 100000 65536 inside" {
	run_ctr -0 cat /proc/self/uid_map /proc/self/gid_map
	[ "$(echo ${lines[0]})" = "0 100000 65536" ]
	[ "$(echo ${lines[1]})" = "0 100000 65536" ]
}

@test "user: --uid-map and --gid-map choose the mapping" {
	run_ctr -0 --uid-map 0:200000:1000 --gid-map 0:300000:10 sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id'
	[ "$(echo ${lines[0]})" = "0 200000 1000" ]
	[ "$(echo ${lines[1]})" = "0 300000 10" ]
	[[ ${lines[2]} == "uid=0(root) gid=0(root)"* ]]
}

@test "user: root inside has no power over the host: mknod of a device is refused" {
	run_ctr ! mknod /dev/shm/sda b 8 0
	[[ $stderr == *"Operation not permitted"* ]]
}

@test "idmap: --idmap no shows a root-owned rootfs as nobody's, and root inside cannot change it" {
	run_ctr -0 --idmap no stat -c '%u %g' /etc/passwd
	[ "$output" = "65534 65534" ]
	[ -z "$stderr" ]
	run_ctr ! --idmap no touch /etc/made-inside
	[[ $stderr == *"touch: /etc/made-inside: Permission denied" ]]
	[ ! -e "$ROOTFS/etc/made-inside" ]
	run_ctr -125 --idmap maybe true
	[ "$stderr" = "container: --idmap maybe: expected yes or no" ]
}

@test "idmap: root inside owns a root-owned rootfs: it creates, changes, chmods and deletes in /etc, /bin and /root" {
	idmap_works "$ROOTFS" || skip "no idmapped mount of $(stat -f -c %T "$ROOTFS") on Linux $(uname -r): the fallback tests cover it"
	local t=idmap-$$ d before
	# Host root's files, for the container to change and to delete.
	for d in etc bin root; do
		echo old >"$ROOTFS/$d/$t.old"
		echo gone >"$ROOTFS/$d/$t.gone"
	done
	# $t is gone by teardown: name the files again.
	test_cleanup() { rm -rf "$ROOTFS"/{etc,bin,root}/idmap-$$.*; }
	before=$(tree_state "$ROOTFS" etc bin root)
	run_ctr -0 sh -c "stat -c '%u %g' /etc/passwd /bin/busybox /root
		for d in /etc /bin /root; do
			echo new >\$d/$t.new && echo more >>\$d/$t.old && chmod 600 \$d/$t.old &&
				rm \$d/$t.gone || exit 1
		done
		mkdir /root/$t.dir && chown 1000:1000 /root/$t.dir
		stat -c '%n %u %g %a' /etc/$t.new /bin/$t.old /root/$t.dir; [ ! -e /root/$t.gone ] && echo gone"
	[ -z "$stderr" ]
	[ "$(echo ${lines[@]:0:3})" = "0 0 0 0 0 0" ]
	[ "${lines[3]}" = "/etc/$t.new 0 0 644" ]
	[ "${lines[4]}" = "/bin/$t.old 0 0 600" ]
	[ "${lines[5]}" = "/root/$t.dir 1000 1000 755" ]
	[ "${lines[6]}" = gone ]
	if step_has 09; then
		# The overlay's lower layer is never written.
		[ "$(tree_state "$ROOTFS" etc bin root)" = "$before" ]
	else
		# Written through the idmap, as host root's files, as in 03-05.
		for d in etc bin root; do
			[ "$(stat -c '%u %g' "$ROOTFS/$d/$t.new")" = "0 0" ]
			[ "$(stat -c '%u %g %a' "$ROOTFS/$d/$t.old")" = "0 0 600" ]
			[ "$(cat "$ROOTFS/$d/$t.old")" = "$(printf 'old\nmore')" ]
			[ ! -e "$ROOTFS/$d/$t.gone" ]
		done
		[ "$(stat -c '%u %g' "$ROOTFS/root/$t.dir")" = "1000 1000" ]
	fi
}

@test "idmap: -v narrates open_tree, mount_setattr and move_mount, and the host sees no new mount" {
	idmap_works "$ROOTFS" || skip "no idmapped mount of $(stat -f -c %T "$ROOTFS") on Linux $(uname -r): the fallback tests cover it"
	local before during
	before=$(awk '{print $5}' /proc/self/mountinfo | sort)
	start_ctr -v -- sh -c 'echo ready; exec sleep 30'
	during=$(awk '{print $5}' /proc/self/mountinfo | sort)
	stop_ctr
	[ "$during" = "$before" ]
	grep -Fx "[container] open_tree(\"$ROOTFS\", OPEN_TREE_CLONE | AT_RECURSIVE)" "$CTR_ERR"
	grep -Ex "\[container\] mount_setattr\(clone of $ROOTFS, AT_RECURSIVE, MOUNT_ATTR_IDMAP of /proc/$CTR_INIT/ns/user\)" "$CTR_ERR"
	grep -E "^\[container\] move_mount\(clone of $ROOTFS, \"$ROOTFS(/lower0)?\"\)$" "$CTR_ERR"
}

@test "idmap: where the filesystem takes no idmapped mount (ramfs), one line says so, and the run goes on as with --idmap no" {
	local rf=$SCRATCH/ramfs
	test_cleanup() { umount "$SCRATCH/ramfs"; }
	ramfs_copy "$rf"
	! idmap_works "$rf"
	ROOTFS=$rf run_ctr -0 stat -c '%u %g' /etc/passwd
	[ "$output" = "65534 65534" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "container: $rf: no idmapped mount here (mount_setattr: Invalid argument), so its files show as nobody, and root inside cannot change them"* ]]
	ROOTFS=$rf run_ctr -0 --idmap no true
	[ -z "$stderr" ]
}

@test "idmap: a rootfs owned by the mapped range is mounted as it is, and -v says why" {
	ROOTFS=$USERNS_ROOTFS run_ctr -0 stat -c '%u %g' /etc/passwd
	[ "$output" = "0 0" ]
	[ -z "$stderr" ]
	ROOTFS=$USERNS_ROOTFS run_ctr -0 -v true
	[[ $stderr == *"[container] $USERNS_ROOTFS already belongs to uid 100000, root in the container: no idmapped mount needed"* ]]
	[[ $stderr != *open_tree* ]]
}

@test "user: in a rootfs owned by the mapped range, root owns its files, and files made inside belong to 100000 on the host" {
	requires before:09 # from 09 writes go to an overlay upper layer; 09 checks that
	[ "$(stat -c %u "$USERNS_ROOTFS/etc/passwd")" = 100000 ]
	MADE=/root/made-inside-$$
	test_cleanup() { rm "$USERNS_ROOTFS$MADE"; }
	ROOTFS=$USERNS_ROOTFS run_ctr -0 sh -c "stat -c '%u %g' /etc/passwd; touch $MADE"
	[ "$output" = "0 0" ]
	[ "$(stat -c '%u %g' "$USERNS_ROOTFS$MADE")" = "100000 100000" ]
}

@test "user: a rootfs under a directory closed to others is refused in one line naming the uid; opened, it runs" {
	# Host root can reach it; uid 100000, root in the container, cannot.
	mkdir -m 700 "$SCRATCH/private"
	ln -s "$ROOTFS" "$SCRATCH/private/rootfs"
	ROOTFS=$SCRATCH/private/rootfs run_ctr -125 true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == "container: rootfs $SCRATCH/private/rootfs is out of reach of uid 100000, the container's root on the host"*": Permission denied" ]]
	chmod 711 "$SCRATCH/private"
	ROOTFS=$SCRATCH/private/rootfs run_ctr -0 true
}

@test "user: reachable.sh names the directory that stops uid 100000, and passes an open path" {
	mkdir -m 700 "$SCRATCH/private"
	mkdir "$SCRATCH/private/rootfs"
	run "$REPO/rootfs-scripts/reachable.sh" "$SCRATCH/private/rootfs"
	[ "$status" -eq 1 ]
	[[ $output == "reachable.sh: uid 100000 cannot enter $SCRATCH/private, "* ]]
	chmod 711 "$SCRATCH/private"
	run "$REPO/rootfs-scripts/reachable.sh" "$SCRATCH/private/rootfs" 100000 "$USER_ID"
	[ "$status" -eq 0 ]
	[ -z "$output" ]
}

@test "user: the user namespace differs from the host's" {
	start_ctr -- sh -c 'echo ready; exec sleep 30'
	local c h
	c=$(ns_of "$CTR_INIT" user)
	h=$(ns_of $$ user)
	stop_ctr
	[ "$c" != "$h" ]
}

@test "rootless: an ordinary user runs the same binary; root inside is the caller outside" {
	as_user
	run_ctr -0 sh -c 'id -u; cat /proc/self/uid_map'
	[ "${lines[0]}" = 0 ]
	[ "$(echo ${lines[1]})" = "0 $USER_ID 1" ]
	[[ $stderr == *"rootless: no veth without root, so loopback only"* ]]
	only_rootless_notes
}

@test "rootless: loopback only, and files made inside belong to the caller" {
	requires before:09 # from 09 writes go to an overlay upper layer; 09 checks that
	as_user
	MADE=/tmp/rootless-$$
	test_cleanup() { rm "$ROOTFS$MADE"; }
	run_ctr -0 --net none sh -c "ls /sys/class/net; touch $MADE"
	[ "$output" = lo ]
	[[ $stderr != *veth* ]]
	only_rootless_notes
	[ "$(stat -c %u "$ROOTFS$MADE")" = "$USER_ID" ]
}

@test "rootless: PID, mount and the other namespaces still work" {
	as_user
	# Not ps | wc: whether wc is listed too depends on who starts first.
	run_ctr -0 --net none sh -c 'echo $$; set -- $(ps -o pid=); echo $#; hostname'
	[ "$(echo $output)" = "2 3 container" ]
}

@test "rootless: what needs host privileges is refused in one line" {
	as_user
	run_ctr -125 --net veth true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"--net veth needs root"* ]]
	run_ctr -125 --net none --uid-map 0:100000:65536 true
	[ "${#stderr_lines[@]}" -eq 1 ]
	[[ $stderr == *"an ordinary user may map only their own id, e.g. 0:$USER_ID:1"* ]]
}

@test "rootless: refused user namespaces name the setting that refused them" {
	# user.max_user_namespaces is per user namespace: set it to 0 in one
	# made for this test, so the host's setting is not touched.
	run unshare --user --map-root-user sh -c \
		'echo 0 >/proc/sys/user/max_user_namespaces && exec "$@"' \
		sh "$CONTAINER" --rootfs "$ROOTFS" --net none true
	echo "# $output" >&2
	[ "$status" -eq 125 ]
	[ "${#lines[@]}" -eq 1 ]
	[[ $output == *"user.max_user_namespaces is 0"* ]]
}

@test "bad input: malformed maps are refused before anything starts" {
	run_ctr -125 --uid-map 0:100000 true
	[[ $stderr == *"expected INSIDE:OUTSIDE:COUNT"* ]]
	run_ctr -125 --uid-map 1:100000:10 true
	[[ $stderr == *"must start at 0"* ]]
	run_ctr -125 --gid-map 0:100000:0 true
	[[ $stderr == *"COUNT must be 1 or more"* ]]
	run_ctr -125 --uid-map 0:4294967295:2 true
	[[ $stderr == *"fit in 32 bits"* ]]
	[ "${#stderr_lines[@]}" -eq 1 ]
}

@test "user: several containers at once, each in a user namespace of its own" {
	local i pids=() ns=()
	for i in 1 2 3; do
		ctr_cmd --pid-file "$BATS_TEST_TMPDIR/pid.$i" -- sh -c 'sleep 1; id -u'
		"${CTR_CMD[@]}" >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
		pids+=($!)
	done
	for i in 1 2 3; do
		wait_for "[ -s $BATS_TEST_TMPDIR/pid.$i ]" 5
		ns+=("$(ns_of "$(cat "$BATS_TEST_TMPDIR/pid.$i")" user)")
	done
	for i in 0 1 2; do
		wait "${pids[$i]}"
		[ "$(cat "$BATS_TEST_TMPDIR/out.$((i + 1))")" = 0 ]
	done
	[ "$(printf '%s\n' "${ns[@]}" | sort -u | wc -l)" -eq 3 ]
}

@test "volume: files keep their owners inside (idmapped); with --idmap no they are nobody's; rootless, the caller's are root's" {
	mkdir "$SCRATCH/vol"
	touch "$SCRATCH/vol/root" "$SCRATCH/vol/user"
	chown "$USER_ID:$USER_ID" "$SCRATCH/vol/user"
	chmod 777 "$SCRATCH/vol"
	run_ctr -0 --volume "$SCRATCH/vol:/mnt" sh -c 'stat -c "%u:%g" /mnt/root /mnt/user && touch /mnt/made'
	[ "$(echo $output)" = "0:0 $USER_ID:$USER_ID" ]
	# What root inside makes, the host sees as root's: the map works both ways.
	[ "$(stat -c %u:%g "$SCRATCH/vol/made")" = 0:0 ]
	run_ctr -0 --idmap no --volume "$SCRATCH/vol:/mnt" sh -c 'stat -c "%u:%g" /mnt/root /mnt/user'
	[ "$(echo $output)" = "65534:65534 65534:65534" ]
	as_user
	run_ctr -0 --volume "$SCRATCH/vol:/mnt:ro" sh -c 'stat -c "%u:%g" /mnt/root /mnt/user; probe open-write /mnt/user; true'
	[ "$(echo $output)" = "65534:65534 0:0 open-write: EROFS" ]
}
