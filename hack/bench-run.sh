#!/usr/bin/env bash
# Times start-to-exit of /bin/true in a cached busybox image, rootless, with
# `gun run`, `bwrap --unshare-all` on the same root file system and
# `runc run` with a rootless bundle, in one run, and prints the ratios.
# "gun-archive" runs the image by its archive file (`gun run busybox.tar`,
# the original program's way), which must be as fast as by name.
# "gun-seccomp" and "gun-unconfined" are the cost of the default seccomp
# filter: the same options-parsing path (--security-opt), with Docker's
# default profile and with none.
#   hack/bench-run.sh [RUNS]
# As root it re-runs itself as the test user guntest (hack/testuser.sh).
# The runs are interleaved (hack/benchrun: one run of each per round), so
# that load from other jobs on a shared machine hits each alike; medians
# and minima are printed, with each command's page faults (a count that
# the load hardly changes). GUN_OLD=/path/to/gun adds another gun binary,
# e.g. an older build, as "gun-old", and GUN_PREV=/path/to/gun a second one
# as "gun-prev" (each with a store of its own). The load (uptime) is printed
# before and after: quote it with the figures.
#   GUN_PREV=/tmp/gun-prev/gun GUN_OLD=/tmp/gun-old/gun hack/bench-run.sh 150
set -euo pipefail
runs=${1:-100}
repo=$(cd "$(dirname "$0")/.." && pwd)
user=${GUN_TEST_USER:-guntest}
if [ "$(id -u)" -eq 0 ]; then
	work=$(mktemp -d /tmp/gun-bench-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	(cd "$repo" && ./hack/build.sh "$work/gun" && go build -o "$work/benchrun" ./hack/benchrun)
	[ -z "${GUN_OLD:-}" ] || cp "$GUN_OLD" "$work/gun-old"
	[ -z "${GUN_PREV:-}" ] || cp "$GUN_PREV" "$work/gun-prev"
	cp "$0" "$work/bench-run.sh"
	cp "$repo/testdata/rootfs/busybox.sh" "$work/busybox.sh"
	chmod 755 "$work"
	chown -R "$user" "$work"
	runuser -u "$user" -- env GUN_BENCH_WORK="$work" ${GUN_OLD:+GUN_OLD="$work/gun-old"} ${GUN_PREV:+GUN_PREV="$work/gun-prev"} HOME="$work" PATH="$PATH" bash "$work/bench-run.sh" "$runs"
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
bash ./busybox.sh rootfs
bash ./busybox.sh -t busybox.tar
# Import (named: running an archive names nothing) and unpack once: the
# benchmark measures the cached image. gun-old gets a store of its own, so
# that neither reads the other's run plans (their formats differ).
./gun import busybox.tar busybox >/dev/null
./gun run busybox /bin/true
for o in old prev; do
	bin=$(eval echo "\${GUN_${o^^}:-}")
	[ -n "$bin" ] || continue
	GUN_ROOT=$work/store-$o "$bin" run busybox.tar /bin/true
	GUN_ROOT=$work/store-$o "$bin" import busybox.tar busybox >/dev/null 2>&1 || true
done
mkdir -p bundle
(cd bundle && runc spec --rootless)
# The same root file system for bwrap and runc.
sed -i -e "s|\"path\": \"rootfs\"|\"path\": \"$work/rootfs\"|" \
	-e 's|"sh"|"/bin/true"|' -e 's|"terminal": true|"terminal": false|' bundle/config.json
gun_cmd="$work/gun run busybox /bin/true"
archive_cmd="$work/gun run busybox.tar /bin/true"
seccomp_cmd="$work/gun run --security-opt no-new-privileges busybox /bin/true"
unconfined_cmd="$work/gun run --security-opt seccomp=unconfined busybox /bin/true"
bwrap_cmd="bwrap --unshare-all --bind $work/rootfs / --proc /proc --dev /dev /bin/true"
runc_cmd="runc --root $work/runc-state run --bundle $work/bundle bench"
for c in "$gun_cmd" "$archive_cmd" "$seccomp_cmd" "$unconfined_cmd" "$bwrap_cmd" "$runc_cmd"; do
	$c </dev/null >/dev/null || { echo "bench-run: failed: $c" >&2; exit 1; }
done
old=()
ratios=gun/bwrap,gun/runc,gun-archive/gun,gun-seccomp/gun-unconfined
for o in old prev; do
	bin=$(eval echo "\${GUN_${o^^}:-}")
	[ -n "$bin" ] || continue
	old+=("gun-$o=GUN_ROOT=$work/store-$o $bin run busybox /bin/true" "gun-$o-archive=GUN_ROOT=$work/store-$o $bin run busybox.tar /bin/true")
	ratios+=,gun/gun-$o,gun-$o/bwrap,gun-archive/gun-$o-archive
done
echo "load before: $(uptime)"
"$work/benchrun" -runs "$runs" -ratios "$ratios" \
	"gun=$gun_cmd" "gun-archive=$archive_cmd" "gun-seccomp=$seccomp_cmd" "gun-unconfined=$unconfined_cmd" "${old[@]}" "bwrap=$bwrap_cmd" "runc=$runc_cmd"
echo "load after: $(uptime)"
echo "target: gun/bwrap <= 1.5 (aim 1.2), gun/gun-old and gun/gun-prev <= 1, gun-archive/gun about 1, gun-seccomp/gun-unconfined <= 1.03"
