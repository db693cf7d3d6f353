#!/usr/bin/env bash
# need.sh COMMAND[:PACKAGE]...: make sure each command is there. On Debian
# and Ubuntu a missing one is installed from the distribution's own archive
# (that needs root); elsewhere we stop with one line naming the package.
set -eu

missing=()
for want in "$@"; do
	cmd=${want%%:*}
	pkg=${want#*:}
	command -v "$cmd" >/dev/null 2>&1 || missing+=("$pkg")
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "need.sh: please install ${missing[*]} with your distribution's package manager" >&2
	exit 1
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "need.sh: ${missing[*]} missing; run as root (sudo) to install, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "need.sh: installing ${missing[*]} from the distribution's archive" >&2
export DEBIAN_FRONTEND=noninteractive
# A fresh machine may have no package lists yet, or stale ones.
apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 ||
	{ apt-get update -q >/dev/null && apt-get install -y -q "${missing[@]}" >/dev/null; } || {
	echo "need.sh: could not install ${missing[*]} with apt-get" >&2
	exit 1
}
