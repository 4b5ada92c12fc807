#!/usr/bin/env bash
# Times `podman run --rm busybox true` with gun as podman's OCI runtime
# (--runtime pointing at gun-oci) and with runc, rootless (--network host),
# in one run, and prints the ratio.
#   hack/bench-oci.sh [RUNS]
# As root it re-runs itself as the test user guntest (hack/testuser.sh).
# The runs are interleaved (hack/benchrun: one run of each per round), so
# that load from other jobs on a shared machine hits each alike.
set -euo pipefail
runs=${1:-50}
. "$(dirname "$0")/benchenv.sh"
bench_user "$@"
export XDG_RUNTIME_DIR=$work/xdg XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
ln -sf gun gun-oci
bash ./busybox.sh -t busybox.tar
podman import -q busybox.tar localhost/busybox >/dev/null 2>&1
run="podman --events-backend file run --rm --network host localhost/busybox true"
./benchrun -runs "$runs" -ratios gun/runc \
	gun="podman --runtime $work/gun-oci ${run#podman }" \
	runc="podman --runtime $(command -v runc) ${run#podman }"
# podman's pause process holds the user namespace of this runtime directory.
if [ -f "$XDG_RUNTIME_DIR/libpod/tmp/pause.pid" ]; then
	kill "$(cat "$XDG_RUNTIME_DIR/libpod/tmp/pause.pid")" 2>/dev/null || true
fi
