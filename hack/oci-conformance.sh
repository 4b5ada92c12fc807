#!/usr/bin/env bash
# Runs the OCI runtime conformance suite (opencontainers/runtime-tools,
# validation/) against gun-oci and runc, rootless, and prints each test's
# result for both.
#   hack/oci-conformance.sh RUNTIME_TOOLS_DIR [TEST...]
# RUNTIME_TOOLS_DIR is a checkout of runtime-tools' master (it vendors its
# dependencies and builds offline; its v0.9.0, the only version the Go
# module proxy serves, does not build against today's runtime-spec).
# The tests assume root: they run as the test user (guntest as root,
# hack/testuser.sh) inside `podman unshare`, a user namespace with the
# user's subordinate ids, as runc's were measured. Without TEST, all.
set -euo pipefail
src=$(cd "${1:?usage: hack/oci-conformance.sh RUNTIME_TOOLS_DIR [TEST...]}" && pwd)
shift
repo=$(cd "$(dirname "$0")/.." && pwd)
user=${GUN_TEST_USER:-guntest}
work=$(mktemp -d /tmp/gun-oci-conformance-XXXXXX)
trap 'rm -rf "$work"' EXIT
(cd "$repo" && ./hack/build.sh "$work/gun")
ln -s gun "$work/gun-oci"
(cd "$src" && go build -tags "netgo osusergo" -ldflags "-extldflags -static" -o "$work/runtimetest" ./cmd/runtimetest &&
	go build -o "$work/bin/" ./validation/...)
cp "$src"/rootfs-*.tar.gz "$work/"
tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	mapfile -t tests < <(ls "$work/bin")
fi
cat >"$work/run.sh" <<'SH'
#!/bin/bash
# run.sh RUNTIME TEST...: each test's result, as TAP says it.
rt=$1; shift
for t in "$@"; do
	out=$(RUNTIME=$rt timeout 120 ./bin/"$t" 2>&1) && rc=0 || rc=$?
	nok=$(grep -c '^not ok' <<<"$out" || true)
	if [ "$rc" -eq 0 ] && [ "$nok" -eq 0 ] && grep -q '^1\.\.' <<<"$out"; then echo "$t pass"; else echo "$t fail"; fi
done
SH
chmod -R a+rX "$work"
as_user() { if [ "$(id -u)" -eq 0 ]; then runuser -u "$user" -- "$@"; else "$@"; fi; }
as_user bash -c "cd '$work' && podman unshare bash ./run.sh '$work/gun-oci' ${tests[*]}" >"$work/gun.txt"
as_user bash -c "cd '$work' && podman unshare bash ./run.sh runc ${tests[*]}" >"$work/runc.txt"
printf '%-36s %-6s %s\n' test gun runc
join "$work/gun.txt" "$work/runc.txt" | while read -r t g r; do printf '%-36s %-6s %s\n' "$t" "$g" "$r"; done
