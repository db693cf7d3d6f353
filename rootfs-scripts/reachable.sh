#!/usr/bin/env bash
# reachable.sh DIR [UID...]: can each UID (default 100000) reach DIR?
#
# From step 06 on, root in the container is an unprivileged uid on the host
# (100000 by default), and it must be able to walk down to the root
# filesystem: every directory on the way needs search permission for it.
# A checkout under /root or a private home directory (Ubuntu's default)
# fails that. Exits 0 if every UID can reach DIR; otherwise prints one line
# naming the first directory that stops one of them, and exits 1.
set -u

if [ $# -lt 1 ] || [ "$1" = --help ] || [ "$1" = -h ]; then
	[ $# -ge 1 ] || exec >&2
	sed -n '2,/^set -u/{/^set -u/d;s/^# \{0,1\}//;p}' "$0"
	[ $# -ge 1 ] && exit 0 || exit 2
fi
dir=$(readlink -f "$1") || { echo "reachable.sh: $1: no such directory" >&2; exit 2; }
[ -d "$dir" ] || { echo "reachable.sh: $1: no such directory" >&2; exit 2; }
shift
[ $# -gt 0 ] || set -- 100000

for uid in "$@"; do
	# Walk down from / so that the message names the directory at fault.
	path=
	IFS=/ read -ra parts <<<"${dir#/}"
	for part in "${parts[@]}"; do
		path=$path/$part
		if ! setpriv --reuid="$uid" --regid="$uid" --clear-groups test -x "$path"; then
			echo "reachable.sh: uid $uid cannot enter $path, so it cannot reach $dir;" \
				"move the checkout under /opt or /srv, or open the directory with: sudo chmod o+x $path" >&2
			exit 1
		fi
	done
done
exit 0
