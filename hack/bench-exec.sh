#!/usr/bin/env bash
# Times start to exit of /bin/true started in a running busybox container,
# rootless, with `gun exec` and with `podman exec` (rootless podman with
# runc, as crun refuses the hybrid cgroups of Debian 12; --network host),
# in one run, and prints the ratio.
#   hack/bench-exec.sh [RUNS]
# As root it re-runs itself as the test user guntest (hack/testuser.sh).
# The runs are interleaved (hack/benchrun: one run of each per round), so
# that load from other jobs on a shared machine hits each alike.
set -euo pipefail
runs=${1:-100}
. "$(dirname "$0")/benchenv.sh"
bench_user "$@"
export GUN_ROOT=$work/store XDG_RUNTIME_DIR=$work/xdg XDG_CONFIG_HOME=$work/config XDG_DATA_HOME=$work/data
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
bash ./busybox.sh -t busybox.tar
./gun import busybox.tar busybox >/dev/null
podman import -q busybox.tar localhost/busybox >/dev/null 2>&1
podman --runtime runc run -d --network host --name bench localhost/busybox sleep 100000 >/dev/null
./gun run busybox sh -c 'echo ready; exec sleep 100000' >"$work/gun.out" </dev/null &
gun_pid=$!
cleanup() {
	kill "$gun_pid" 2>/dev/null || true
	podman rm -f -t 0 bench >/dev/null 2>&1 || true
	podman system reset -f >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do
	[ -s "$work/gun.out" ] && break
	sleep 0.1
done
id=$(ls "$GUN_ROOT/run")
gun_cmd="$work/gun exec $id /bin/true"
podman_cmd="podman exec bench /bin/true"
for c in "$gun_cmd" "$podman_cmd"; do
	$c </dev/null >/dev/null || { echo "bench-exec: failed: $c" >&2; exit 1; }
done
"$work/benchrun" -runs "$runs" -ratios gun/podman "gun=$gun_cmd" "podman=$podman_cmd"
echo "target: gun/podman <= 0.5"
