#!/usr/bin/env bash
# Runs the OCI runtime conformance suite (opencontainers/runtime-tools,
# validation/) against gun-oci and runc, rootless, and prints each test's
# result for both.
#   hack/oci-conformance.sh [-s RUNTIME_TOOLS_DIR] [TEST...]
# By default the suite is runtime-tools v0.9.0 from the Go module proxy, as
# hack/conformance/go.mod pins it and its dependencies (CI runs its passing
# tests: TestConformance in runtime/oci). With -s, a checkout of
# runtime-tools (its master vendors its dependencies and builds offline).
# The tests assume root: they run as the test user (guntest as root,
# hack/testuser.sh) inside `podman unshare`, a user namespace with the
# user's subordinate ids. Without TEST, all.
set -euo pipefail
src=
if [ "${1:-}" = -s ]; then
	src=$(cd "${2:?usage: hack/oci-conformance.sh [-s RUNTIME_TOOLS_DIR] [TEST...]}" && pwd)
	shift 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
user=${GUN_TEST_USER:-guntest}
work=$(mktemp -d /tmp/gun-oci-conformance-XXXXXX)
mkdir -m 0700 "$work/xdg" && mkdir "$work/home" "$work/tmp"
cleanup() {
	# podman's pause process of this run's directories, then the files.
	find "$work" -name pause.pid -exec sh -c 'kill "$(cat "$1")"' sh {} \; 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
(cd "$repo" && ./hack/build.sh "$work/gun")
ln -s gun "$work/gun-oci"
rt=github.com/opencontainers/runtime-tools
if [ -n "$src" ]; then
	(cd "$src" && CGO_ENABLED=0 go build -o "$work/runtimetest" ./cmd/runtimetest && go build -o "$work/bin/" ./validation/...)
else
	mod=$repo/hack/conformance
	src=$(go list -C "$mod" -m -f '{{.Dir}}' $rt)
	CGO_ENABLED=0 go build -C "$mod" -o "$work/runtimetest" $rt/cmd/runtimetest
	go build -C "$mod" -o "$work/bin/" $rt/validation/...
fi
cp "$src"/rootfs-*.tar.gz "$work/"
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	mapfile -t tests < <(ls "$work/bin")
fi
# run.sh RUNTIME TEST...: each test's result, as TestConformance reads it:
# fail on an error exit or a "not ok" line, skipped on a plan of 1..0.
cat >"$work/run.sh" <<'SH'
#!/bin/bash
rt=$1; shift
for t in "$@"; do
	out=$(RUNTIME=$rt TMPDIR=$PWD/tmp timeout 120 ./bin/"$t" 2>&1) && rc=0 || rc=$?
	if [ "$rc" -ne 0 ] || grep -q '^not ok' <<<"$out"; then echo "$t fail"
	elif grep -qx '1\.\.0' <<<"$out"; then echo "$t skipped"
	else echo "$t pass"; fi
done
SH
chmod -R a+rX "$work"
if [ "$(id -u)" -eq 0 ]; then chown -R "$user" "$work/xdg" "$work/home" "$work/tmp"; fi
as_user() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
podman=(podman --root "$work/home/root" --runroot "$work/xdg/run" --storage-driver vfs)
for r in "$work/gun-oci" runc; do
	as_user env HOME="$work/home" XDG_RUNTIME_DIR="$work/xdg" bash -c "cd '$work' && ${podman[*]} unshare bash ./run.sh '$r' ${tests[*]}" >"$work/$(basename "$r").txt"
done
printf '%-36s %-8s %s\n' test gun runc
join "$work/gun-oci.txt" "$work/runc.txt" | while read -r t g r; do printf '%-36s %-8s %s\n' "$t" "$g" "$r"; done
