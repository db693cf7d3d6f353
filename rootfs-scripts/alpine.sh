#!/usr/bin/env bash
#
# alpine.sh: build a root filesystem from Alpine Linux's minirootfs, a
# real distribution (musl, busybox, apk) in about 3 MB.  Needs the network.
#
# usage: alpine.sh DEST [--version X.Y.Z] [--arch ARCH] [--mirror URL]
#                       [--owner UID:GID]

set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

# A fixed default so that every reader gets the same tree; bump it here.
DEFAULT_VERSION=3.22.2
DEFAULT_MIRROR=https://dl-cdn.alpinelinux.org/alpine

usage() {
	cat <<EOF
usage: alpine.sh DEST [--version X.Y.Z] [--arch ARCH] [--mirror URL]
                      [--owner UID:GID]

Download Alpine Linux's minirootfs tarball, check it against the SHA-256
checksum published next to it, and unpack it into DEST.  Running it again
rebuilds DEST from scratch; a failed run leaves DEST as it was.  Needs curl
or wget and the network.

Options:
  --version X.Y.Z   Alpine release (default $DEFAULT_VERSION)
  --arch ARCH       x86_64, x86, aarch64, armv7, armhf, ppc64le, s390x,
                    riscv64 or loongarch64 (default: this machine's)
  --mirror URL      where releases live (default $DEFAULT_MIRROR);
                    file:// URLs work with curl
  --owner UID:GID   chown the whole tree to UID:GID, for a user namespace
                    whose root is mapped to that host uid (needs root)
  -h, --help        show this help and exit

The checksum comes from the same server as the tarball: it catches a
corrupted or truncated download, not a compromised mirror.  For that,
check the .asc signature next to the tarball with Alpine's signing key.

Environment: ROOTFS_FETCH=curl|wget picks the download tool.

Example:
  rootfs-scripts/alpine.sh build/alpine
  sudo chroot build/alpine /bin/sh -c 'cat /etc/alpine-release; apk --version'
EOF
}

# alpine_arch MACHINE: Alpine's name for a `uname -m` architecture.
alpine_arch() {
	case $1 in
	x86_64 | amd64) echo x86_64 ;;
	i?86 | x86) echo x86 ;;
	aarch64 | arm64) echo aarch64 ;;
	armv7*) echo armv7 ;;
	armv6* | armhf) echo armhf ;;
	ppc64le | s390x | riscv64 | loongarch64) echo "$1" ;;
	*) return 1 ;;
	esac
}

VERSION=$DEFAULT_VERSION
ARCH=
MIRROR=$DEFAULT_MIRROR
parse_args version=VERSION arch=ARCH mirror=MIRROR -- "$@"
want_args "DEST, the directory to unpack Alpine in"
DEST_ARG=${ARGS[0]}
MIRROR=${MIRROR%/}
[[ $VERSION =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
	usage_error "--version wants a release number like $DEFAULT_VERSION, not '$VERSION'"
if [ -z "$ARCH" ]; then
	ARCH=$(alpine_arch "$(uname -m)") || die "Alpine has no build for this machine ($(uname -m)); pass --arch"
else
	alpine_arch "$ARCH" >/dev/null || usage_error "--arch: Alpine has no architecture '$ARCH'"
	ARCH=$(alpine_arch "$ARCH")
fi
have tar || die "tar is not installed (apt-get install tar)"
have sha256sum || die "sha256sum is not installed (apt-get install coreutils)"
pick_fetcher

stage_begin "$DEST_ARG"
scratch_dir

# Releases live under the branch: v3.22/releases/x86_64/alpine-minirootfs-3.22.2-x86_64.tar.gz
TARBALL=alpine-minirootfs-$VERSION-$ARCH.tar.gz
URL=$MIRROR/v${VERSION%.*}/releases/$ARCH/$TARBALL

note "downloading $URL with $FETCHER"
fetch "$URL.sha256" "$SCRATCH/$TARBALL.sha256" "is there an Alpine $VERSION for $ARCH? check --version and --arch"
fetch "$URL" "$SCRATCH/$TARBALL" "the checksum exists but the tarball does not"
verify_sha256 "$SCRATCH/$TARBALL" "$SCRATCH/$TARBALL.sha256"
read -r SUM _ <"$SCRATCH/$TARBALL.sha256"

# As root, tar keeps the owners recorded in the archive (root, and the few
# system users Alpine ships); otherwise every file belongs to the caller.
tar -x -z -p --numeric-owner -f "$SCRATCH/$TARBALL" -C "$STAGE" ||
	die "cannot unpack $TARBALL"
[ -f "$STAGE/etc/alpine-release" ] || die "$TARBALL does not look like an Alpine root filesystem (no /etc/alpine-release)"

stage_commit "made by rootfs-scripts/alpine.sh from $URL (sha256 $SUM)"
echo "$PROG: built $DEST with Alpine $(cat "$DEST/etc/alpine-release") $ARCH, sha256 verified ($SUM)${OWNER:+, owned by $OWNER}"
