#!/bin/sh
# passable.sh DIR...: let the nodes' unprivileged users reach DIR (the guest
# images, the data directory): every directory on the way gets o+x ("others
# may enter, not list") where it lacks it, each change said aloud. A clone
# under /root (0700 on Debian) needs this, or QEMU, running as a node's own
# uid, cannot open the kernel it was given.
set -eu
for target in "$@"; do
	d=$(cd "$target" && pwd -P)
	while :; do
		if [ "$(($(stat -c '%a' "$d" | sed 's/^/0/') & 1))" -eq 0 ]; then
			echo "labwire: nodes run as unprivileged users: chmod o+x $d" >&2
			chmod o+x "$d"
		fi
		[ "$d" = / ] && break
		d=$(dirname "$d")
	done
done
