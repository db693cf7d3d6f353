#!/usr/bin/env bash
#
# busybox.sh: build the default root filesystem for the containers, offline.
#
# One statically linked busybox, a symlink per applet, a small FHS-shaped
# tree and the handful of /etc files that programs expect.  A static binary
# matters: the tree then needs no dynamic loader and no shared libraries,
# so what the container sees is exactly what this script wrote.
#
# usage: busybox.sh DEST [--source auto|host|deb|copy] [--owner UID:GID]

set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'EOF'
usage: busybox.sh DEST [--source auto|host|deb|copy] [--owner UID:GID]

Build a small root filesystem in DEST from a statically linked busybox:
/bin/busybox, a symlink per applet, a mini-FHS tree (/proc /sys /dev /tmp
/root /etc /run /var /usr/bin /usr/sbin /sbin ...) and /etc/passwd, group,
hostname, hosts and os-release.  Works offline.  Running it again rebuilds
DEST from scratch; a failed run leaves DEST as it was.

Where busybox comes from (--source; the default, auto, tries them in order):
  host   a static busybox already on this machine: $BUSYBOX if set, else
         /bin/busybox, /usr/bin/busybox or busybox on PATH (package
         busybox-static; the dynamically linked package busybox is skipped)
  deb    package busybox-static fetched with `apt-get download` and
         unpacked with dpkg-deb, never installed; apt checks the file
         against the signed package index
  copy   no busybox: copy a few host programs (sh, ls, ps, mount, ip ...)
         and the shared libraries and dynamic loader they need (from ldd)

Options:
  --source WHERE    where busybox comes from, see above
  --owner UID:GID   chown the whole tree to UID:GID, for a user namespace
                    whose root is mapped to that host uid (needs root)
  -h, --help        show this help and exit

Example:
  rootfs-scripts/busybox.sh build/rootfs
  sudo chroot build/rootfs /bin/sh -c 'ls /; cat /etc/os-release'
EOF
}

# Programs copied by --source copy, one per line so the list grows by a line.
COPY_PROGRAMS=(
	sh
	ls
	cat
	echo
	ps
	mount
	umount
	hostname
	id
	sleep
	true
	false
	env
	grep
	uname
	mkdir
	rmdir
	rm
	touch
	cp
	mv
	ln
	chmod
	readlink
	head
	wc
	kill
	ip
)

# ---------------------------------------------------------------- ELF check

# _elf_uint OFFSET SIZE: set _elf_v to the unsigned integer of SIZE bytes at
# OFFSET in the byte array _elf, in the file's byte order (_elf_le).
_elf_uint() {
	local off=$1 size=$2 i
	_elf_v=0
	for ((i = 0; i < size; i++)); do
		if [ "$_elf_le" = 1 ]; then
			_elf_v=$((_elf_v | _elf[off + i] << 8 * i))
		else
			_elf_v=$((_elf_v << 8 | _elf[off + i]))
		fi
	done
}

# is_static_elf FILE: true if FILE is an ELF executable with no program
# interpreter, that is no PT_INTERP entry among its program headers.  The
# kernel loads such a file by itself; anything else needs ld.so and
# libraries inside the tree.  The headers are read with od, so this works
# without readelf or file(1), and never runs FILE.
is_static_elf() {
	local f=$1 phoff phentsize phnum i
	local -a _elf
	[ -f "$f" ] && [ -r "$f" ] || return 1
	read -r -a _elf < <(od -An -v -tu1 -N64 -- "$f" | tr '\n' ' ')
	[ "${#_elf[@]}" = 64 ] || return 1
	[ "${_elf[*]:0:4}" = "127 69 76 70" ] || return 1 # "\177ELF"
	_elf_le=$((_elf[5] == 1))                          # EI_DATA: 1 = little-endian
	_elf_uint 16 2                                     # e_type: 2 = EXEC, 3 = DYN (static-pie)
	[ "$_elf_v" = 2 ] || [ "$_elf_v" = 3 ] || return 1
	case ${_elf[4]} in # EI_CLASS
	1) # ELF32
		_elf_uint 28 4 && phoff=$_elf_v
		_elf_uint 42 2 && phentsize=$_elf_v
		_elf_uint 44 2 && phnum=$_elf_v
		;;
	2) # ELF64
		_elf_uint 32 8 && phoff=$_elf_v
		_elf_uint 54 2 && phentsize=$_elf_v
		_elf_uint 56 2 && phnum=$_elf_v
		;;
	*) return 1 ;;
	esac
	((phentsize >= 4 && phnum > 0 && phnum < 256)) || return 1
	read -r -a _elf < <(od -An -v -tu1 -j "$phoff" -N $((phentsize * phnum)) -- "$f" | tr '\n' ' ')
	[ "${#_elf[@]}" = $((phentsize * phnum)) ] || return 1
	for ((i = 0; i < phnum; i++)); do
		_elf_uint $((i * phentsize)) 4 # p_type
		[ "$_elf_v" != 3 ] || return 1 # PT_INTERP
	done
}

# ---------------------------------------------------------------- sources

# Each busybox_from_* sets BB (the binary) and FROM (for the summary) and
# returns 0, or sets REASON and returns 1.

busybox_from_host() {
	local c seen=" "
	local -a candidates
	if [ -n "${BUSYBOX:-}" ]; then
		if [ ! -e "$BUSYBOX" ]; then
			REASON="BUSYBOX=$BUSYBOX: no such file"
			return 1
		fi
		candidates=("$BUSYBOX")
	else
		candidates=(/bin/busybox /usr/bin/busybox /sbin/busybox /usr/sbin/busybox)
		if c=$(type -P busybox); then
			candidates+=("$c")
		fi
	fi
	for c in "${candidates[@]}"; do
		[ -e "$c" ] || continue
		# /bin and /usr/bin are often one directory (merged /usr)
		[[ $seen != *" $(realpath -- "$c") "* ]] || continue
		seen+="$(realpath -- "$c") "
		if is_static_elf "$c"; then
			BB=$c
			FROM="host $c"
			return 0
		fi
		note "skipping $c: not a statically linked executable"
	done
	if [ -n "${BUSYBOX:-}" ]; then
		REASON="BUSYBOX=$BUSYBOX is not a statically linked executable"
	else
		REASON="no static busybox on this machine (install busybox-static, or set BUSYBOX=PATH)"
	fi
	return 1
}

busybox_from_deb() {
	local deb c
	if ! have apt-get || ! have dpkg-deb; then
		REASON="cannot fetch busybox-static: apt-get and dpkg-deb are needed"
		return 1
	fi
	scratch_dir
	if ! (cd "$SCRATCH" && apt-get download busybox-static) >/dev/null 2>"$SCRATCH/apt.err"; then
		REASON="apt-get download busybox-static failed: $(grep -m1 '^E:' "$SCRATCH/apt.err" || tail -n1 "$SCRATCH/apt.err")"
		return 1
	fi
	for deb in "$SCRATCH"/busybox-static_*.deb; do
		[ -f "$deb" ] || continue
		if ! dpkg-deb -x "$deb" "$SCRATCH/pkg"; then
			REASON="dpkg-deb could not unpack ${deb##*/}"
			return 1
		fi
		for c in "$SCRATCH/pkg/bin/busybox" "$SCRATCH/pkg/usr/bin/busybox"; do
			if is_static_elf "$c"; then
				BB=$c
				FROM="package busybox-static $(dpkg-deb -f "$deb" Version) (apt-get download)"
				return 0
			fi
		done
	done
	REASON="the downloaded busybox-static package holds no static busybox"
	return 1
}

# ---------------------------------------------------------------- the tree

make_dirs() {
	mkdir -p -- "$STAGE"/{bin,sbin,usr/bin,usr/sbin,etc,dev,proc,sys,run,mnt,root,tmp,var/tmp}
	chmod 1777 "$STAGE/tmp" "$STAGE/var/tmp"
	chmod 0700 "$STAGE/root"
}

# updirs DIR: "../" once per component of DIR ("usr/bin" gives "../../").
updirs() {
	local d=$1 up=../
	while [[ $d == */* ]]; do
		d=${d#*/}
		up+=../
	done
	printf '%s' "$up"
}

# install_busybox: /bin/busybox plus a relative symlink per applet, placed
# where busybox says it belongs (usr/bin/awk, sbin/ifconfig ...).  Relative
# links resolve the same inside the container and when the tree is
# inspected from the host.
install_busybox() {
	local list path dir
	cp -- "$BB" "$STAGE/bin/busybox"
	chmod 0755 "$STAGE/bin/busybox"
	if ! list=$("$STAGE/bin/busybox" --list-full 2>/dev/null); then
		list=$("$STAGE/bin/busybox" --list 2>/dev/null | sed 's|^|bin/|') ||
			die "$BB --list failed; is it a busybox for this machine's architecture?"
	fi
	APPLETS=0
	while IFS= read -r path; do
		case $path in
		*/*) ;;
		*) continue ;; # linuxrc: an initramfs init, not a command
		esac
		[ "${path##*/}" != busybox ] || continue
		[ ! -e "$STAGE/$path" ] || continue
		dir=${path%/*}
		mkdir -p -- "$STAGE/$dir"
		if [ "$dir" = bin ]; then
			ln -s busybox "$STAGE/$path"
		else
			ln -s "$(updirs "$dir")bin/busybox" "$STAGE/$path"
		fi
		APPLETS=$((APPLETS + 1))
	done <<<"$list"
	[ "$APPLETS" -gt 0 ] || die "$BB lists no applets"
	VERSION=$("$STAGE/bin/busybox" 2>&1 | sed -n '1s/^BusyBox \(v[^ ]*\).*/\1/p' || true)
}

# copy_host_programs: the fallback when there is no static busybox.  Each
# program needs its shared libraries and the dynamic loader named in its
# PT_INTERP header, at the same absolute paths as on the host.  ldd prints
# both kinds of line:
#     libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)
#     /lib64/ld-linux-x86-64.so.2 (0x...)
copy_host_programs() {
	local name path lib
	local -a copied=() libs=()
	have ldd || die "no static busybox and no ldd to find the libraries of host programs"
	for name in "${COPY_PROGRAMS[@]}"; do
		path=$(type -P "$name") || continue
		cp -L -- "$path" "$STAGE/bin/$name"
		copied+=("$path")
	done
	[ -e "$STAGE/bin/sh" ] || die "no static busybox and no sh on this machine to copy"
	mapfile -t libs < <(LC_ALL=C ldd "${copied[@]}" 2>/dev/null |
		awk '$2 == "=>" && $3 ~ /^\// { print $3 }
		     NF == 2 && $1 ~ /^\// { print $1 }' | sort -u)
	for lib in "${libs[@]}"; do
		mkdir -p -- "$STAGE${lib%/*}"
		cp -L -- "$lib" "$STAGE$lib"
	done
	FROM="host programs (${#copied[@]} programs, ${#libs[@]} libraries; no busybox)"
}

write_etc() {
	local pretty variant variant_id
	if [ -n "$BB" ]; then
		pretty="Containers from Scratch busybox rootfs (BusyBox ${VERSION:-unknown version})"
		variant="busybox rootfs"
		variant_id="busybox"
	else
		pretty="Containers from Scratch rootfs (host programs, no busybox)"
		variant="host programs rootfs"
		variant_id="host-programs"
	fi
	cat >"$STAGE/etc/os-release" <<EOF
NAME="Containers from Scratch"
PRETTY_NAME="$pretty"
ID=containers-from-scratch
VARIANT="$variant"
VARIANT_ID=$variant_id
EOF
	cat >"$STAGE/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
	cat >"$STAGE/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
	echo container >"$STAGE/etc/hostname"
	cat >"$STAGE/etc/hosts" <<'EOF'
127.0.0.1	localhost
127.0.1.1	container
::1	localhost ip6-localhost ip6-loopback
EOF
	# mount(8) and df read the mount table from here, as on any distribution.
	ln -s ../proc/self/mounts "$STAGE/etc/mtab"
}

# ---------------------------------------------------------------- main

SOURCE=auto
parse_args source=SOURCE -- "$@"
want_args "DEST, the directory to build the root filesystem in"
DEST_ARG=${ARGS[0]}
case $SOURCE in
auto | host | deb | copy) ;;
*) usage_error "--source must be auto, host, deb or copy, not '$SOURCE'" ;;
esac

stage_begin "$DEST_ARG"

BB=
REASON=
case $SOURCE in
host) busybox_from_host || die "$REASON" ;;
deb) busybox_from_deb || die "$REASON" ;;
auto)
	if ! busybox_from_host; then
		note "$REASON; trying apt-get download busybox-static"
		busybox_from_deb || note "$REASON; copying host programs instead"
	fi
	;;
esac

make_dirs
if [ -n "$BB" ]; then
	install_busybox
else
	copy_host_programs
fi
write_etc
stage_commit "made by rootfs-scripts/busybox.sh from $FROM"

if [ -n "$BB" ]; then
	echo "$PROG: built $DEST with BusyBox ${VERSION:-(unknown version)} from $FROM, $APPLETS applets${OWNER:+, owned by $OWNER}"
else
	echo "$PROG: built $DEST from $FROM${OWNER:+, owned by $OWNER}"
fi
