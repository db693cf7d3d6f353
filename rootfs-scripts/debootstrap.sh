#!/usr/bin/env bash
#
# debootstrap.sh: build a root filesystem holding a minimal Debian
# (debootstrap --variant=minbase: dpkg, apt, bash, coreutils).  Needs root,
# the network (or a local mirror) and a few minutes.
#
# usage: debootstrap.sh DEST [--suite SUITE] [--mirror URL] [--owner UID:GID]

set -eu
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname -- "${BASH_SOURCE[0]}")/lib.sh"

DEFAULT_SUITE=bookworm
DEFAULT_MIRROR=http://deb.debian.org/debian
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

usage() {
	cat <<EOF
usage: debootstrap.sh DEST [--suite SUITE] [--mirror URL] [--owner UID:GID]

Install a minimal Debian into DEST with debootstrap --variant=minbase.
Running it again rebuilds DEST from scratch; a failed run leaves DEST as
it was.  Needs root and package debootstrap; takes a few minutes and about
200 MB.

Integrity: debootstrap checks the suite's Release file against its OpenPGP
signature, then every package against the SHA-256 sum that the signed
indices list.  When package debian-archive-keyring is installed its keyring
is passed with --keyring; without it the signature cannot be checked.

Options:
  --suite SUITE     Debian release to install (default $DEFAULT_SUITE)
  --mirror URL      Debian mirror (default $DEFAULT_MIRROR)
  --owner UID:GID   chown the whole tree to UID:GID, for a user namespace
                    whose root is mapped to that host uid.  Every file gets
                    that one owner and setuid bits are cleared, which suits
                    a container where only root runs.
  -h, --help        show this help and exit

Example:
  sudo rootfs-scripts/debootstrap.sh build/debian
  sudo chroot build/debian /bin/sh -c 'cat /etc/debian_version; apt --version'
EOF
}

SUITE=$DEFAULT_SUITE
MIRROR=$DEFAULT_MIRROR
parse_args suite=SUITE mirror=MIRROR -- "$@"
want_args "DEST, the directory to install Debian in"
DEST_ARG=${ARGS[0]}
[[ $SUITE =~ ^[a-z0-9][a-z0-9.-]*$ ]] ||
	usage_error "--suite wants a name like $DEFAULT_SUITE, not '$SUITE'"

# debootstrap lives in /usr/sbin, which is not on every user's PATH.
DEBOOTSTRAP=$(PATH=$PATH:/usr/sbin:/sbin type -P debootstrap) ||
	die "debootstrap is not installed (apt-get install debootstrap)"
[ "$(id -u)" = 0 ] ||
	die "debootstrap needs root: it creates device nodes, sets file owners and runs chroot (try sudo)"
KEYRING_ARGS=()
if [ -r "$KEYRING" ]; then
	KEYRING_ARGS=(--keyring="$KEYRING")
else
	note "warning: no $KEYRING (apt-get install debian-archive-keyring); the Release signature cannot be checked"
fi

stage_begin "$DEST_ARG"

note "running debootstrap --variant=minbase $SUITE $MIRROR; this takes a few minutes"
status=0
"$DEBOOTSTRAP" --variant=minbase "${KEYRING_ARGS[@]}" "$SUITE" "$STAGE" "$MIRROR" >&2 || status=$?
[ "$status" = 0 ] || die "debootstrap failed (status $status); its messages are above"

stage_commit "made by rootfs-scripts/debootstrap.sh: debootstrap --variant=minbase $SUITE $MIRROR"
echo "$PROG: built $DEST with Debian $SUITE $(cat "$DEST/etc/debian_version") (minbase) from $MIRROR${KEYRING_ARGS[*]:+, Release signature checked with $KEYRING}${OWNER:+, owned by $OWNER}"
