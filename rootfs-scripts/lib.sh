# shellcheck shell=bash
#
# lib.sh: what the rootfs builders share.  Sourced, never run.
#
# Every builder follows the same plan, so that a half-built or interrupted
# run never leaves a broken tree where the runtime expects a root
# filesystem:
#
#   stage_begin DEST    check DEST may be replaced, make an empty STAGE
#                       directory next to it (same filesystem, so mv works)
#   ...fill STAGE...
#   stage_commit TEXT   stamp it, chown it if --owner was given, then swap
#                       STAGE in place of DEST and delete the old tree
#
# Anything registered with at_exit runs when the script exits, whether it
# succeeded, failed or was interrupted, so temporary directories and
# containers never outlive a failure.

set -o pipefail
umask 022

PROG=${0##*/}

# The stamp marks a tree as made by these scripts.  A non-empty DEST without
# it is refused: replacing DEST deletes it, and a typo such as `busybox.sh ~`
# must not delete a home directory.
STAMP=etc/rootfs-scripts

# Set by --owner in every builder; see check_owner.
OWNER=

die() {
	printf '%s: %s\n' "$PROG" "$*" >&2
	exit 1
}

# A mistake on the command line: status 2, as getopt-style tools do.
usage_error() {
	printf '%s: %s (try --help)\n' "$PROG" "$*" >&2
	exit 2
}

note() {
	printf '%s: %s\n' "$PROG" "$*" >&2
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# need_value OPTION ARGS...: an option that takes a value must have one.
need_value() {
	[ $# -ge 2 ] || usage_error "$1 needs a value"
}

# parse_args NAME=VAR... -- ARGS...: a builder's command line. Each
# --NAME VALUE (or --NAME=VALUE) sets the variable VAR; --help and --owner
# are every builder's; the other words go, in order, to the array ARGS.
parse_args() {
	local -A var=()
	while [ "$1" != -- ]; do
		var[${1%%=*}]=${1#*=}
		shift
	done
	shift
	ARGS=()
	while [ $# -gt 0 ]; do
		case $1 in
		--?*=*) set -- "${1%%=*}" "${1#*=}" "${@:2}" ;;
		esac
		case $1 in
		-h | --help)
			usage
			exit 0
			;;
		--owner)
			need_value "$@"
			check_owner "$2"
			shift 2
			;;
		--?*)
			[ -n "${var[${1#--}]+set}" ] || usage_error "unknown option $1"
			need_value "$@"
			printf -v "${var[${1#--}]}" '%s' "$2"
			shift 2
			;;
		-?*) usage_error "unknown option $1" ;;
		*)
			ARGS+=("$1")
			shift
			;;
		esac
	done
}

# want_args WHAT...: ARGS must hold one word for each WHAT (such as "DEST,
# the directory to build in"), no more and no fewer.
want_args() {
	local i
	[ "${#ARGS[@]}" -le $# ] || usage_error "unexpected argument '${ARGS[$#]}'"
	for ((i = 1; i <= $#; i++)); do
		[ -n "${ARGS[i - 1]:-}" ] || usage_error "missing ${!i}"
	done
}

# ---------------------------------------------------------------- cleanup

_at_exit=()

# at_exit CMD ARGS...: run CMD when the script exits, last registered first.
at_exit() {
	_at_exit+=("$(printf '%q ' "$@")")
}

_run_at_exit() {
	local status=$? i
	trap - EXIT
	for ((i = ${#_at_exit[@]} - 1; i >= 0; i--)); do
		eval "${_at_exit[i]}" || true
	done
	exit "$status"
}

trap _run_at_exit EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# mounts_under DIR: print every mount point at or below DIR (absolute).
# mountinfo escapes blanks in paths as \040 and friends; %b undoes that.
mounts_under() {
	local dir=$1 mp
	while read -r _ _ _ _ mp _; do
		printf -v mp '%b' "$mp"
		case $mp in
		"$dir" | "$dir"/*) printf '%s\n' "$mp" ;;
		esac
	done </proc/self/mountinfo
}

# discard DIR: delete a tree this script created.  A tool killed halfway
# (debootstrap mounts /proc and /sys in its target) can leave mounts
# behind; they are detached first, and rm stays on one filesystem so that
# it can never walk into a host directory.
discard() {
	local dir=$1 mp
	[ -e "$dir" ] || return 0
	if [ "$(id -u)" = 0 ]; then
		while read -r mp; do
			umount -l -- "$mp" 2>/dev/null || true
		done < <(mounts_under "$(realpath -- "$dir")" | sort -r)
	fi
	rm -rf --one-file-system -- "$dir"
}

# ---------------------------------------------------------------- options

# check_owner UID:GID: validate --owner before any work is done.  Numbers
# only: names would be looked up on the host, but what matters is the id
# that container root is mapped to (see the README).
check_owner() {
	[[ $1 =~ ^[0-9]+:[0-9]+$ ]] || usage_error "--owner wants numeric UID:GID, got '$1'"
	if [ "$(id -u)" != 0 ] && [ "$1" != "$(id -u):$(id -g)" ]; then
		die "--owner $1 needs root: only root can give files to another user (run as root, or drop --owner and the tree stays owned by $(id -u):$(id -g))"
	fi
	OWNER=$1
}

# ---------------------------------------------------------------- staging

# stage_begin DEST: set DEST and STAGE, or die explaining why DEST may not
# be replaced.
stage_begin() {
	local real entries
	DEST=$1
	real=$(realpath -m -- "$DEST")
	[ "$real" != / ] || die "refusing to replace / with a root filesystem"
	while [[ $DEST == */ ]]; do
		DEST=${DEST%/}
	done
	if [ -L "$DEST" ]; then
		die "$DEST is a symbolic link; give the directory it points to"
	elif [ -e "$DEST" ]; then
		[ -d "$DEST" ] || die "$DEST exists and is not a directory"
		entries=$(ls -A -- "$DEST" 2>/dev/null) || die "cannot read $DEST"
		if [ ! -e "$DEST/$STAMP" ] && [ -n "$entries" ]; then
			die "$DEST is not empty and was not made by rootfs-scripts; remove it or choose another DEST"
		fi
		if [ -n "$(mounts_under "$real")" ]; then
			die "$DEST has something mounted on or below it ($(mounts_under "$real" | head -n1)); unmount it first"
		fi
	fi
	mkdir -p -- "$(dirname -- "$DEST")" 2>/dev/null || die "cannot create $(dirname -- "$DEST"), the directory to hold $DEST"
	STAGE=$(mktemp -d -- "$DEST.new.XXXXXX" 2>/dev/null) || die "cannot create a directory next to $DEST: is $(dirname -- "$DEST") writable?"
	at_exit discard "$STAGE"
	chmod 0755 "$STAGE"
}

# scratch_dir: set SCRATCH to a new temporary directory next to DEST, for
# downloads and unpacking; it is deleted on exit.  Not $(...)-safe: the
# cleanup must be registered in the main shell.
scratch_dir() {
	SCRATCH=$(mktemp -d -- "$DEST.tmp.XXXXXX" 2>/dev/null) || die "cannot create a directory next to $DEST: is $(dirname -- "$DEST") writable?"
	at_exit discard "$SCRATCH"
}

# stage_commit TEXT: stamp STAGE with TEXT, apply --owner, and put STAGE
# where DEST was.  The old tree is moved aside before the new one moves in,
# so DEST is never a mix of the two; if the second move fails the old tree
# goes back.
stage_commit() {
	local old
	mkdir -p -- "$STAGE/${STAMP%/*}"
	printf '%s\n' "$1" >"$STAGE/$STAMP"
	if [ -n "$OWNER" ]; then
		chown -hR -- "$OWNER" "$STAGE" || die "cannot chown $DEST to $OWNER"
	fi
	if [ -e "$DEST" ]; then
		old=$(mktemp -d -- "$DEST.old.XXXXXX" 2>/dev/null) || die "cannot create a directory next to $DEST: is $(dirname -- "$DEST") writable?"
		at_exit discard "$old"
		mv -- "$DEST" "$old/" || die "cannot move the old $DEST aside"
		if ! mv -T -- "$STAGE" "$DEST"; then
			mv -T -- "$old/${DEST##*/}" "$DEST" || true
			die "cannot move the new tree to $DEST"
		fi
	else
		mv -T -- "$STAGE" "$DEST" || die "cannot move the new tree to $DEST"
	fi
}

# ---------------------------------------------------------------- downloads

# pick_fetcher: set FETCHER to curl, or wget if there is no curl;
# ROOTFS_FETCH=curl|wget chooses.  Call it before any work, so that a
# missing tool is reported first.
pick_fetcher() {
	FETCHER=${ROOTFS_FETCH:-}
	case $FETCHER in
	"")
		if have curl; then
			FETCHER=curl
		elif have wget; then
			FETCHER=wget
		else
			die "neither curl nor wget is installed; install one (apt-get install curl)"
		fi
		;;
	curl | wget) have "$FETCHER" || die "$FETCHER is not installed (apt-get install $FETCHER)" ;;
	*) die "ROOTFS_FETCH must be curl or wget, not '$FETCHER'" ;;
	esac
}

# fetch URL FILE [HINT]: download URL to FILE with FETCHER.  On failure,
# one line saying whether the network, the server or the URL is at fault;
# HINT is added when the server has no such file.
fetch() {
	local url=$1 out=$2 hint=${3:+ ($3)} host status=0 code=
	host=${url#*://}
	host=${host%%/*}
	[ -n "${FETCHER:-}" ] || pick_fetcher
	case $FETCHER in
	curl)
		code=$(curl -fsSL --connect-timeout 20 --retry 2 -w '%{http_code}' -o "$out" "$url" 2>/dev/null) || status=$?
		case $status in
		0) return 0 ;;
		5 | 6 | 7 | 28) die "cannot reach $host (is the network up?): curl exit $status" ;;
		22) die "$url: the server answered HTTP $code$hint" ;;
		35 | 51 | 58 | 60) die "TLS failure talking to $host: curl exit $status" ;;
		37) die "$url: no such file$hint" ;;
		*) die "downloading $url failed: curl exit $status" ;;
		esac
		;;
	wget)
		wget -q -T 20 -t 3 -O "$out" "$url" 2>/dev/null || status=$?
		case $status in
		0) return 0 ;;
		4) die "cannot reach $host (is the network up?): wget exit 4" ;;
		5) die "TLS failure talking to $host: wget exit 5" ;;
		8) die "$url: the server answered with an error$hint" ;;
		*) die "downloading $url failed: wget exit $status" ;;
		esac
		;;
	esac
}

# verify_sha256 FILE SUMFILE: FILE must hash to the first word of SUMFILE,
# the format sha256sum writes and most download sites publish.
verify_sha256() {
	local file=$1 sums=$2 want got
	read -r want _ <"$sums" || true
	want=${want,,}
	if [ ${#want} != 64 ] || [[ $want == *[!0-9a-f]* ]]; then
		die "${sums##*/} does not hold a SHA-256 checksum"
	fi
	got=$(sha256sum -- "$file") || die "cannot read $file"
	got=${got%% *}
	[ "$got" = "$want" ] || die "checksum mismatch for ${file##*/}: published $want, downloaded file has $got"
}
