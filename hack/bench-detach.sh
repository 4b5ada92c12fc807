#!/usr/bin/env bash
# Times `gun run -d --rm busybox /bin/true` (until it returns: the command
# runs, its monitor goes on in the background) against the foreground
# `gun run busybox /bin/true` (start to exit), in one run, interleaved
# (hack/benchrun), each followed by a pause, and prints the ratio. Target:
# gun-d/gun <= 1.2.
#   hack/bench-detach.sh [RUNS]
# As root it re-runs itself as the test user guntest (hack/testuser.sh).
set -euo pipefail
runs=${1:-100}
. "$(dirname "$0")/benchenv.sh"
bench_user "$@"
export GUN_ROOT=$work/store
# The containers' state where a login session has it (a tmpfs).
export XDG_RUNTIME_DIR=$work/xdg
mkdir -m 700 -p "$XDG_RUNTIME_DIR"
bash ./busybox.sh -t busybox.tar
./gun import busybox.tar busybox >/dev/null
./gun run busybox /bin/true
./gun run -d --rm busybox /bin/true >/dev/null
# A pause after each timed command, so that a detached run's monitor,
# which goes on after gun run -d returns, is done before the next one
# starts rather than slowing it.
"$work/benchrun" -runs "$runs" -ratios gun-d/gun \
	"gun=$work/gun run busybox /bin/true" "pause=sleep 0.15" \
	"gun-d=$work/gun run -d --rm busybox /bin/true" "pause2=sleep 0.15"
./gun ps -a
echo "target: gun-d/gun <= 1.2"
