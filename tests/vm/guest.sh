#!/bin/bash
# PID 1 of the test VM, after the initramfs (tests/vm/init) has switched to
# the overlay root: the host's tree, writable, with nothing mounted on it yet.
# tests/vm/run.sh boots the VM; this script is not meant to run anywhere else.
#
#  1. mounts what a booted system has: /proc, /sys, /dev, /run, /tmp, and
#     the cgroups as systemd would for the layout the host asked for: v2,
#     cgroup v2 only at /sys/fs/cgroup, every controller enabled; or v1,
#     systemd's hybrid layout (cpu,cpuacct and net_cls,net_prio joined, an
#     empty v2 tree at /sys/fs/cgroup/unified); checks that it is so;
#  2. copies the repository into an ext4 file system (a loop device) at its
#     own path, so the tests write on a real disk file system, one that
#     takes idmapped mounts, and never touch the host;
#  3. runs the bats groups that the host put in the job file, writing each
#     group's TAP output to the host's run directory (9p tag vmrun);
#  4. powers off.
#
# The host reads the results from the run directory, not from the console.

# All of it is one function, read whole before it runs: the file is on the
# host and may be edited while a VM runs it.
main() {
	set -u
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export HOME=/root TERM=dumb
	umask 022

	REPO=$(cd "$(dirname "$0")/../.." && pwd)
	OUT=/run/vm

	# say MESSAGE: on the console, with the seconds since boot.
	say() {
		local up _
		read -r up _ </proc/uptime 2>/dev/null
		echo "vm [${up:-?}]: $*"
	}

	poweroff_now() {
		sync
		[ -d "$OUT" ] && umount "$OUT" 2>/dev/null
		echo o >/proc/sysrq-trigger
		sleep 60
	}

	# die MESSAGE: report, power off. The host sees no "done" file and fails.
	die() {
		say "FATAL: $*"
		[ -w "$OUT" ] && echo "$*" >>"$OUT/fatal"
		poweroff_now
		exit 1
	}

	# ---- 1. the file systems of a booted system -------------------------------

	mount -t proc proc /proc || die "cannot mount /proc"
	mount -t sysfs sysfs /sys
	mount -t devtmpfs devtmpfs /dev
	ln -sf /proc/self/fd /dev/fd
	ln -sf /proc/self/fd/0 /dev/stdin
	ln -sf /proc/self/fd/1 /dev/stdout
	ln -sf /proc/self/fd/2 /dev/stderr
	mkdir -p /dev/pts /dev/shm
	mount -t devpts -o mode=620,ptmxmode=666 devpts /dev/pts
	mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /dev/shm
	mount -t tmpfs -o mode=755,nosuid,nodev tmpfs /run
	# Empty temporary directories, unless the repository is in one (CI may
	# test a copy in /var/tmp): the overlay's view of it is writable too.
	for d in /tmp /var/tmp; do
		case $REPO/ in
		"$d"/*) echo "vm: $d is the host's (the repository is in it)" ;;
		*) mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$d" ;;
		esac
	done
	mkdir -p "$OUT"
	mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144,cache=none vmrun "$OUT" ||
		die "cannot mount the run directory (9p tag vmrun)"
	echo "boot $(cut -d' ' -f1 /proc/uptime)" >"$OUT/times"
	hostname cgroup-vm
	ip link set lo up
	# `ip netns add` makes /run/netns a mount the first time it runs. Do that now,
	# as on a host where it has run before, or the first test that adds a
	# network namespace would see a new mount in its leftover sweep.
	ip netns add cgroup-vm-boot && ip netns delete cgroup-vm-boot

	say "stage 2 started"

	# The host wrote the job: the bats groups and the environment to pass on.
	[ -f "$OUT/job" ] || die "no job file in the run directory"
	# shellcheck source=/dev/null
	. "$OUT/job"

	# The kernel's modules are on the host tree (build/vm/kernel); put them where
	# modprobe looks, and let the kernel load what it needs on demand (veth for
	# `ip link add`, overlay for a mount) with BusyBox's modprobe, whatever the
	# host has installed.
	KVER=$(uname -r)
	if [ -d "$VM_MODULES/$KVER" ]; then
		mkdir -p "/lib/modules/$KVER" /run/vm-bin
		mount --bind -o ro "$VM_MODULES/$KVER" "/lib/modules/$KVER"
		ln -s /bin/busybox /run/vm-bin/modprobe
		echo /run/vm-bin/modprobe >/proc/sys/kernel/modprobe
		for m in veth overlay dummy loop; do
			/run/vm-bin/modprobe "$m" 2>/dev/null || say "note: could not load module $m"
		done
	else
		say "note: no modules for $KVER in $VM_MODULES"
	fi

	say "modules loaded"

	CG=/sys/fs/cgroup
	# check: the cgroup mounts, and what they offer, for the report.
	check() {
		{
			echo "kernel: $(uname -r), command line: $(cat /proc/cmdline)"
			echo "cgroup mounts:"
			awk '$3 == "tmpfs" && $2 == "'"$CG"'" || $3 ~ /^cgroup/ {print "  " $2, $3, $4}' /proc/mounts
			find "$CG" -maxdepth 1 -type l -printf '  %p -> %l\n'
			echo "$CG is: $(stat -f -c %T "$CG")"
			"$@"
		} | tee "$OUT/cgroup-check" | sed 's/^/vm: /'
	}

	# ---- cgroup v2, and only v2 -----------------------------------------------

	# Every controller the kernel offers, in DIR and in the slices down to the
	# tests' cgroup, as systemd enables them.
	enable_all() {
		local c
		for c in $(cat "$1/cgroup.controllers"); do
			echo "+$c" >"$1/cgroup.subtree_control" || say "note: cannot enable $c in $1"
		done
	}
	setup_v2() {
		mount -t cgroup2 -o nsdelegate,memory_recursiveprot cgroup2 "$CG" ||
			mount -t cgroup2 cgroup2 "$CG" || die "cannot mount cgroup2 on $CG"
		check echo "$CG/cgroup.controllers: $(cat "$CG/cgroup.controllers" 2>/dev/null)"
		v1=$(awk '$3 == "cgroup" {print $2}' /proc/mounts)
		[ -z "$v1" ] || die "cgroup v1 hierarchies are mounted: $v1"
		[ "$(stat -f -c %T "$CG")" = cgroup2fs ] || die "$CG is not cgroup2"
		[ -f "$CG/cgroup.controllers" ] || die "$CG/cgroup.controllers is missing"
		for d in memory cpu cpuacct cpuset pids blkio io devices freezer systemd unified; do
			[ ! -d "$CG/$d" ] || die "$CG/$d exists: that is a cgroup v1 layout"
		done
		enable_all "$CG"
		HIERARCHIES=("$CG")
	}

	# ---- cgroup v1, as systemd mounts it ---------------------------------------

	# systemd's "hybrid" mode, the default of Debian 10, Ubuntu 20.04 and
	# RHEL 8 (RHEL 7's "legacy" mode lacks only the unified tree): a read-only
	# tmpfs at /sys/fs/cgroup; v2 at unified, for systemd's own tracking, with
	# no controller; name=systemd; and every v1 controller the kernel offers
	# (/proc/cgroups), cpu with cpuacct and net_cls with net_prio in one
	# hierarchy each, as systemd's JoinControllers= did, with a symlink for
	# each name of a joined pair.
	setup_v1() {
		local c dir
		mount -t tmpfs -o mode=755,nosuid,nodev,noexec tmpfs "$CG" || die "cannot mount a tmpfs on $CG"
		mkdir "$CG/unified" "$CG/systemd"
		mount -t cgroup2 -o nosuid,nodev,noexec,nsdelegate cgroup2 "$CG/unified" ||
			die "cannot mount cgroup2 on $CG/unified"
		mount -t cgroup -o nosuid,nodev,noexec,none,name=systemd,xattr cgroup "$CG/systemd" ||
			die "cannot mount the name=systemd hierarchy"
		for c in $(awk '!/^#/ && $4 == 1 {print $1}' /proc/cgroups); do
			case $c in
			cpu | cpuacct) dir=cpu,cpuacct ;;
			net_cls | net_prio) dir=net_cls,net_prio ;;
			*) dir=$c ;;
			esac
			if [ ! -d "$CG/$dir" ]; then
				mkdir "$CG/$dir"
				mount -t cgroup -o "nosuid,nodev,noexec,$dir" cgroup "$CG/$dir" ||
					die "cannot mount the cgroup v1 hierarchy $dir"
			fi
			[ "$dir" = "$c" ] || ln -s "$dir" "$CG/$c"
		done
		mount -o remount,ro "$CG" || die "cannot make $CG read-only"
		check echo "$CG/unified/cgroup.controllers: '$(cat "$CG/unified/cgroup.controllers")'"
		[ "$(stat -f -c %T "$CG")" = tmpfs ] || die "$CG is not a tmpfs"
		[ "$(readlink "$CG/cpu")" = cpu,cpuacct ] || die "$CG/cpu is not a symlink to cpu,cpuacct"
		for dir in cpu,cpuacct net_cls,net_prio memory pids; do
			awk -v d="$CG/$dir" -v o=",$dir" '$2 == d && $3 == "cgroup" && substr($4, length($4) - length(o) + 1) == o {f = 1}
				END {exit !f}' /proc/mounts || die "no v1 hierarchy of $dir alone at $CG/$dir"
		done
		[ -z "$(cat "$CG/unified/cgroup.controllers")" ] || die "the unified tree has controllers"
		# A new cpuset group holds no process until given CPUs and memory
		# nodes, and systemd makes none: the tests stay in its root.
		HIERARCHIES=()
		for dir in $(awk '$3 ~ /^cgroup/ {print $2}' /proc/mounts); do
			case $dir in */cpuset) ;; *) HIERARCHIES+=("$dir") ;; esac
		done
	}

	case $VM_LAYOUT in
	v2) setup_v2 ;;
	v1) setup_v1 ;;
	*) die "unknown cgroup layout $VM_LAYOUT" ;;
	esac

	# The tests run in a leaf cgroup below a slice, in each hierarchy, as a
	# command started from a login shell or a CI service does on a systemd
	# host (VM_CGROUP=/ runs them in the root cgroup instead).
	JOIN=()
	leaf=${VM_CGROUP:-/system.slice/cgroup${VM_LAYOUT#v}-tests.service}
	[ "$leaf" != / ] || leaf=
	for dir in "${HIERARCHIES[@]}"; do
		mkdir -p "$dir$leaf" || die "cannot create the cgroup $dir$leaf"
		if [ "$VM_LAYOUT" = v2 ] && [ -n "$leaf" ]; then
			d=$dir
			IFS=/ read -ra parts <<<"${leaf#/}"
			for p in "${parts[@]:0:${#parts[@]}-1}"; do
				d=$d/$p
				enable_all "$d"
			done
		fi
		JOIN+=("$dir$leaf/cgroup.procs")
	done
	if [ "$VM_LAYOUT" = v2 ]; then
		echo "$CG/cgroup.subtree_control: $(cat "$CG/cgroup.subtree_control")" |
			tee -a "$OUT/cgroup-check" | sed 's/^/vm: /'
		for c in memory cpu pids; do
			grep -qw "$c" "$CG/cgroup.subtree_control" || die "the $c controller is not available"
		done
		grep -qw io "$CG/cgroup.subtree_control" || say "note: no io controller"
	fi
	echo "tests run in the cgroup: ${leaf:-/}" | tee -a "$OUT/cgroup-check" | sed 's/^/vm: /'

	# ---- 2. the repository, on a real writable file system ---------------------

	# The overlay root would do for most tests, but an overlay cannot be the upper
	# layer of another overlay, and the tests make their own mounts in build/:
	# give the repository a file system of its own, at the same path as on the
	# host. ext4, as on most hosts: from step 06 on the runtime idmaps the
	# rootfs, which a tmpfs allows only from Linux 6.3. BusyBox's mke2fs makes
	# ext2, which the ext4 driver mounts. build/vm (the kernel) stays behind.
	say "copying $REPO into an ext4 file system"
	mode=$(stat -c %a "$REPO") owner=$(stat -c %u:%g "$REPO")
	truncate -s 1G /run/repo.img && busybox mke2fs -q -F /run/repo.img >/dev/null ||
		die "cannot make a file system for $REPO"
	mount -t ext4 -o loop /run/repo.img "$REPO" || die "cannot mount an ext4 file system on $REPO"
	rmdir "$REPO/lost+found"
	chmod "$mode" "$REPO"
	chown "$owner" "$REPO"
	tar -C "$REPO" -xpf "$OUT/repo.tar" || die "cannot unpack the repository"
	rm -f "$OUT/repo.tar"
	cd "$REPO" || die "cannot enter $REPO"
	say "repository ready"

	# ---- 3. the bats groups ---------------------------------------------------

	for v in "${VM_ENV[@]}"; do
		export "${v?}"
	done

	# group_args I: set args to the bats arguments of group I.
	group_args() {
		local -n ref=VM_GROUP_ARGS_$1
		args=("${ref[@]}")
	}
	echo "tests $(cut -d' ' -f1 /proc/uptime)" >>"$OUT/times"
	for ((i = 0; i < ${#VM_GROUP_STEP[@]}; i++)); do
		step=${VM_GROUP_STEP[$i]}
		group_args "$i"
		say "== group $i${step:+ (STEP=$step)}: bats --tap ${args[*]}"
		(
			for f in "${JOIN[@]}"; do
				echo "$BASHPID" >"$f" || exit 125
			done
			if [ -n "$step" ]; then export STEP=$step; fi
			exec bats --tap "${args[@]}"
		) </dev/null 2>&1 | tee "$OUT/tap.$i"
		echo "${PIPESTATUS[0]}" >"$OUT/status.$i"
	done

	echo "end $(cut -d' ' -f1 /proc/uptime)" >>"$OUT/times"
	echo ok >"$OUT/done"
	say "all groups ran; powering off"
	poweroff_now
}

main "$@"
