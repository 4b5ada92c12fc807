#!/usr/bin/env bash
# Makes a Debian bookworm minbase root filesystem archive with debootstrap,
# once, and prints its path. Later calls (and concurrent ones: a lock
# serializes them) find it cached and print the path at once. Making it
# needs root and the Debian mirror; reading the cached one needs neither.
#   testdata/rootfs/debian.sh [FILE.tar.gz]
# FILE defaults to /var/tmp/gun-test-debian/bookworm-minbase.tar.gz; the
# mirror to $DEBIAN_MIRROR, else http://deb.debian.org/debian. The tests
# that take it (TestDebianAPT in exec and runtime, with GUN_TEST_DEBIAN=build)
# call this script; CI calls it before the suite.
set -euo pipefail
archive=${1:-/var/tmp/gun-test-debian/bookworm-minbase.tar.gz}
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
cache=$(dirname "$archive")
if [ -f "$archive" ]; then
	echo "$archive"
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "debian.sh: $archive is missing, and making it with debootstrap needs root" >&2
	exit 1
fi
command -v debootstrap >/dev/null || { echo "debian.sh: need debootstrap (apt-get install debootstrap)" >&2; exit 1; }
mkdir -p "$cache"
chmod 755 "$cache"
exec 9>"$cache/.lock"
flock 9
if [ -f "$archive" ]; then # made by another caller while this one waited
	echo "$archive"
	exit 0
fi
tree=$(mktemp -d "$cache/.tree-XXXXXX")
log="$cache/debootstrap.log"
trap 'rm -rf "$tree" "$archive.tmp"' EXIT
if ! debootstrap --variant=minbase bookworm "$tree" "$mirror" >"$log" 2>&1; then
	tail -n 20 "$log" >&2
	echo "debian.sh: debootstrap failed (whole log in $log)" >&2
	exit 1
fi
# Numeric owners, so that the tar means the same on any machine.
tar --numeric-owner -C "$tree" -czf "$archive.tmp" .
chmod 644 "$archive.tmp"
mv "$archive.tmp" "$archive"
echo "$archive"
