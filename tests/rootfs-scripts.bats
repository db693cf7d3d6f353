#!/usr/bin/env bats
# The rootfs builders' command lines: every builder takes --help, --owner,
# --NAME VALUE and --NAME=VALUE alike, and refuses a mistake in one line with
# status 2 before it creates anything. Needs no network: only busybox.sh
# builds a tree here, from the host.

bats_require_minimum_version 1.5.0

setup() {
	top=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
	dest=$BATS_TEST_TMPDIR/dest
}

# refused SCRIPT WANT ARGS...: SCRIPT with ARGS exits 2 with the one line
# "SCRIPT: WANT (try --help)" and leaves no DEST behind.
refused() {
	local script=$1 want=$2
	shift 2
	run --separate-stderr "$top/rootfs-scripts/$script" "$@"
	echo "# $script $*: status $status, stderr: $stderr" >&2
	[ "$status" -eq 2 ]
	[ -z "$output" ]
	[ "${#stderr_lines[@]}" -eq 1 ]
	[ "$stderr" = "$script: $want (try --help)" ]
	[ ! -e "$dest" ]
}

@test "rootfs-scripts: --help prints the usage and exits 0, in every builder" {
	local s
	for s in busybox.sh alpine.sh debootstrap.sh image-export.sh; do
		run --separate-stderr "$top/rootfs-scripts/$s" --help
		[ "$status" -eq 0 ]
		[[ ${lines[0]} == "usage: $s "* ]]
	done
}

@test "rootfs-scripts: an unknown option, or one without its value, is refused in every builder" {
	local s
	for s in busybox.sh alpine.sh debootstrap.sh image-export.sh; do
		refused "$s" "unknown option --bogus" --bogus x "$dest"
		refused "$s" "unknown option -x" -x "$dest"
		refused "$s" "--owner needs a value" "$dest" --owner
		refused "$s" "--owner wants numeric UID:GID, got 'abc'" --owner abc "$dest"
		refused "$s" "--owner wants numeric UID:GID, got 'abc'" --owner=abc "$dest"
	done
	refused busybox.sh "--source needs a value" "$dest" --source
	refused alpine.sh "--mirror needs a value" "$dest" --mirror
	refused debootstrap.sh "--suite needs a value" "$dest" --suite
	refused image-export.sh "--engine needs a value" "$dest" alpine --engine
}

@test "rootfs-scripts: a missing, empty or extra argument is refused" {
	refused busybox.sh "missing DEST, the directory to build the root filesystem in"
	refused busybox.sh "missing DEST, the directory to build the root filesystem in" ""
	refused busybox.sh "unexpected argument 'more'" "$dest" more
	refused alpine.sh "missing DEST, the directory to unpack Alpine in" --version 3.22.0
	refused debootstrap.sh "missing DEST, the directory to install Debian in"
	refused image-export.sh "missing IMAGE, such as alpine:3.22 or alpine@sha256:<digest>" "$dest"
	refused image-export.sh "unexpected argument 'more'" "$dest" alpine more
}

@test "rootfs-scripts: option values are checked, given as --NAME VALUE or --NAME=VALUE" {
	refused busybox.sh "--source must be auto, host, deb or copy, not 'bogus'" --source bogus "$dest"
	refused busybox.sh "--source must be auto, host, deb or copy, not 'bogus'" "$dest" --source=bogus
	refused alpine.sh "--version wants a release number like 3.22.2, not '3'" --version=3 "$dest"
	refused debootstrap.sh "--suite wants a name like bookworm, not 'a b'" --suite 'a b' "$dest"
	refused image-export.sh "--engine must be docker or podman, not 'lxc'" --engine=lxc "$dest" alpine
}

@test "rootfs-scripts: busybox.sh builds with --source=copy and --owner=UID:GID, as with spaces" {
	[ "$(id -u)" -eq 0 ] || skip "--owner for another uid needs root"
	run "$top/rootfs-scripts/busybox.sh" --source=copy --owner=100000:100000 "$dest"
	[ "$status" -eq 0 ]
	[ -x "$dest/bin/sh" ]
	[ "$(stat -c %u:%g "$dest/etc")" = 100000:100000 ]
	grep -q "from host programs" "$dest/etc/rootfs-scripts"
	rm -rf "$dest"
	run "$top/rootfs-scripts/busybox.sh" --source copy "$dest"
	[ "$status" -eq 0 ]
	[ "$(stat -c %u:%g "$dest/etc")" = 0:0 ]
}
