#!/usr/bin/env bash
# Says where the time of one `gun run busybox /bin/true` goes: RUNS traced
# runs (hack/tracerun: uprobes on points of gun's start, of its run without
# Go (entry.c's gun_fast) and of the init, each process's exec and exit,
# every page fault), as the test user, from the cached image and its plan,
# and as many of `bwrap --unshare-all` on the same root file system,
# interleaved; prints each step's median and minimum time and the page
# faults of gun's (bwrap's) own process in it (docs/run.md, "Where the time
# goes"). As root: the kernel's tracing (tracefs, mounted if it is not)
# needs it.
#   hack/trace-run.sh [RUNS]
set -euo pipefail
runs=${1:-20}
repo=$(cd "$(dirname "$0")/.." && pwd)
user=${GUN_TEST_USER:-guntest}
if [ "$(id -u)" -ne 0 ]; then
	echo "trace-run: run as root (the kernel's tracing)" >&2
	exit 1
fi
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
work=$(mktemp -d /tmp/gun-trace-XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$repo" && ./hack/build.sh "$work/gun" && go build -o "$work/tracerun" ./hack/tracerun)
cp "$repo/testdata/rootfs/busybox.sh" "$work/busybox.sh"
chmod 755 "$work"
chown -R "$user" "$work"
# The plan's files a second old, so that the runs traced run without Go.
runuser -u "$user" -- env HOME="$work" GUN_ROOT="$work/store" PATH="$PATH" sh -c \
	'cd "$1" && bash ./busybox.sh -t busybox.tar && bash ./busybox.sh rootfs && ./gun import busybox.tar busybox >/dev/null && ./gun run busybox /bin/true && sleep 1.1' sh "$work"
echo "load before: $(uptime)"
"$work/tracerun" -runs "$runs" -user "$user" -gun "$work/gun" -env HOME="$work" -env GUN_ROOT="$work/store" \
	-peer "bwrap --unshare-all --bind $work/rootfs / --proc /proc --dev /dev /bin/true" run busybox /bin/true
echo "load after: $(uptime)"
