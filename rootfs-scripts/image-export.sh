#!/usr/bin/env bash
#
# image-export.sh: build a root filesystem from a container image that
# docker or podman can get: create a container that never runs, export its
# filesystem as a tar stream, unpack it, and remove the container.
#
# usage: image-export.sh DEST IMAGE [--engine docker|podman] [--owner UID:GID]

set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

usage() {
	cat <<'EOF'
usage: image-export.sh DEST IMAGE [--engine docker|podman] [--owner UID:GID]

Unpack the filesystem of container image IMAGE into DEST, using docker or
podman (whichever is installed and working).  The image is pulled if it is
not there yet.  Running it again rebuilds DEST from scratch; a failed run
leaves DEST as it was.

Integrity: if IMAGE is pinned by digest (NAME@sha256:...), the engine
verifies the content it pulls against that digest, and this script checks
that the local image really carries it.  Otherwise the digest that was used
is printed, so that the next run can pin it.

Only the image's files are kept: its environment, entrypoint and user
are not, and the marker files the engine adds (/.dockerenv,
/run/.containerenv) are removed.

Options:
  --engine NAME     docker or podman (default: the first that works)
  --owner UID:GID   chown the whole tree to UID:GID, for a user namespace
                    whose root is mapped to that host uid (needs root)
  -h, --help        show this help and exit

Example:
  rootfs-scripts/image-export.sh build/alpine-img alpine:3.22
  rootfs-scripts/image-export.sh build/alpine-img alpine@sha256:<digest>
EOF
}

# engine_works NAME: true if NAME can talk to its image store.  For docker
# that needs the daemon; podman has none.
engine_works() {
	"$1" info >/dev/null 2>&1
}

# pick_engine: set ENGINE to the engine to use, or die saying why none works.
pick_engine() {
	local e found=
	if [ -n "$ENGINE" ]; then
		have "$ENGINE" || die "$ENGINE is not installed (apt-get install ${ENGINE/docker/docker.io})"
		engine_works "$ENGINE" || die "$(engine_broken "$ENGINE")"
		return 0
	fi
	for e in docker podman; do
		have "$e" || continue
		found=${found:-$e}
		if engine_works "$e"; then
			ENGINE=$e
			return 0
		fi
	done
	[ -n "$found" ] || die "neither docker nor podman is installed (apt-get install docker.io, or podman)"
	die "$(engine_broken "$found")"
}

engine_broken() {
	case $1 in
	docker) echo "docker is installed but its daemon is not reachable: is dockerd running, and may you use its socket (group docker)?" ;;
	*) echo "$1 is installed but '$1 info' fails; run it to see why" ;;
	esac
}

remove_container() {
	"$ENGINE" rm -f "$1" >/dev/null 2>&1
}

ENGINE=
parse_args engine=ENGINE -- "$@"
want_args "DEST, the directory to unpack the image in" "IMAGE, such as alpine:3.22 or alpine@sha256:<digest>"
DEST_ARG=${ARGS[0]}
IMAGE=${ARGS[1]}
case $ENGINE in
"" | docker | podman) ;;
*) usage_error "--engine must be docker or podman, not '$ENGINE'" ;;
esac
PINNED=
if [[ $IMAGE == *@* ]]; then
	PINNED=${IMAGE##*@}
	[[ $PINNED =~ ^sha256:[0-9a-f]{64}$ ]] ||
		usage_error "a pinned IMAGE ends in @sha256: and 64 hex digits, not @$PINNED"
fi
have tar || die "tar is not installed (apt-get install tar)"
pick_engine

stage_begin "$DEST_ARG"

if ! "$ENGINE" image inspect "$IMAGE" >/dev/null 2>&1; then
	note "pulling $IMAGE with $ENGINE"
	"$ENGINE" pull "$IMAGE" >&2 || die "$ENGINE could not pull $IMAGE; its message is above"
fi

# RepoDigests lists NAME@sha256:... for every registry the image came from;
# an image built or imported locally has none.
DIGESTS=$("$ENGINE" image inspect --format '{{range .RepoDigests}}{{println .}}{{end}}' "$IMAGE") ||
	die "$ENGINE cannot inspect $IMAGE"
if [ -n "$PINNED" ]; then
	grep -q "@$PINNED\$" <<<"$DIGESTS" ||
		die "$IMAGE: $ENGINE's copy of the image has digest $(paste -sd' ' <<<"$DIGESTS"), not $PINNED"
	USED=$IMAGE
else
	USED=$(sed -n 1p <<<"$DIGESTS")
fi

# The command is never run, but create wants one for images that set none.
CID=$("$ENGINE" create "$IMAGE" /bin/true) || die "$ENGINE could not create a container from $IMAGE"
at_exit remove_container "$CID"
"$ENGINE" export "$CID" | tar -x -p --numeric-owner -f - -C "$STAGE" ||
	die "exporting the filesystem of $IMAGE failed"
rm -f -- "$STAGE/.dockerenv" "$STAGE/run/.containerenv"

stage_commit "made by rootfs-scripts/image-export.sh from ${USED:-$IMAGE} with $ENGINE"
if [ -n "$PINNED" ]; then
	echo "$PROG: built $DEST from $IMAGE with $ENGINE, digest verified${OWNER:+, owned by $OWNER}"
elif [ -n "$USED" ]; then
	echo "$PROG: built $DEST from $IMAGE with $ENGINE${OWNER:+, owned by $OWNER}; to get the same files again, pin the digest: $USED"
else
	echo "$PROG: built $DEST from $IMAGE with $ENGINE; it has no registry digest (built or imported locally), image id $("$ENGINE" image inspect --format '{{.Id}}' "$IMAGE")${OWNER:+, owned by $OWNER}"
fi
