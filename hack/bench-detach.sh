#!/usr/bin/env bash
# Times `gun run -d --rm busybox /bin/true` (until it returns: the command
# runs, its monitor goes on in the background) against the foreground
# `gun run busybox /bin/true` (start to exit), in one run, interleaved
# (hack/benchrun), and prints the ratio. Target: gun-d/gun <= 1.2.
#   hack/bench-detach.sh [RUNS]
# As root it re-runs itself as the test user guntest (hack/testuser.sh).
set -euo pipefail
runs=${1:-100}
repo=$(cd "$(dirname "$0")/.." && pwd)
user=${GUN_TEST_USER:-guntest}
if [ "$(id -u)" -eq 0 ]; then
	work=$(mktemp -d /tmp/gun-bench-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	(cd "$repo" && ./hack/build.sh "$work/gun" && go build -o "$work/benchrun" ./hack/benchrun)
	cp "$0" "$work/bench-detach.sh"
	cp "$repo/testdata/rootfs/busybox.sh" "$work/busybox.sh"
	chmod 755 "$work"
	chown -R "$user" "$work"
	runuser -u "$user" -- env GUN_BENCH_WORK="$work" HOME="$work" PATH="$PATH" bash "$work/bench-detach.sh" "$runs"
	exit
fi
work=${GUN_BENCH_WORK:-}
if [ -z "$work" ]; then
	work=$(mktemp -d /tmp/gun-bench-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	(cd "$repo" && ./hack/build.sh "$work/gun" && go build -o "$work/benchrun" ./hack/benchrun)
	cp "$repo/testdata/rootfs/busybox.sh" "$work/busybox.sh"
fi
cd "$work"
export GUN_ROOT=$work/store
# The containers' state where a login session has it (a tmpfs).
export XDG_RUNTIME_DIR=$work/xdg
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
bash ./busybox.sh -t busybox.tar
./gun import busybox.tar busybox >/dev/null
./gun run busybox /bin/true
./gun run -d --rm busybox /bin/true >/dev/null
"$work/benchrun" -runs "$runs" -ratios gun-d/gun \
	"gun=$work/gun run busybox /bin/true" "gun-d=$work/gun run -d --rm busybox /bin/true"
./gun ps -a
echo "target: gun-d/gun <= 1.2"
