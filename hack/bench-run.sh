#!/usr/bin/env bash
# Times start-to-exit of /bin/true in a cached busybox image, rootless, with
# `gun run`, `bwrap --unshare-all` on the same root file system and
# `runc run` with a rootless bundle, in one run, and prints the ratios.
#   hack/bench-run.sh [RUNS]
# As root it re-runs itself as the test user guntest (hack/testuser.sh).
# Uses hyperfine when installed, else a plain loop.
set -euo pipefail
runs=${1:-100}
repo=$(cd "$(dirname "$0")/.." && pwd)
user=${GUN_TEST_USER:-guntest}
if [ "$(id -u)" -eq 0 ]; then
	work=$(mktemp -d /tmp/gun-bench-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	(cd "$repo" && go build -o "$work/gun" ./cmd/gun)
	cp "$0" "$work/bench-run.sh"
	cp "$repo/testdata/rootfs/busybox.sh" "$work/busybox.sh"
	chmod 755 "$work"
	chown -R "$user" "$work"
	runuser -u "$user" -- env GUN_BENCH_WORK="$work" HOME="$work" PATH="$PATH" bash "$work/bench-run.sh" "$runs"
	exit
fi
work=${GUN_BENCH_WORK:-}
if [ -z "$work" ]; then
	work=$(mktemp -d /tmp/gun-bench-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	(cd "$repo" && go build -o "$work/gun" ./cmd/gun)
	cp "$repo/testdata/rootfs/busybox.sh" "$work/busybox.sh"
fi
cd "$work"
export GUN_ROOT=$work/store
bash ./busybox.sh rootfs
bash ./busybox.sh -t busybox.tar
# Import and unpack once: the benchmark measures the cached image.
./gun run busybox.tar /bin/true
mkdir -p bundle
(cd bundle && runc spec --rootless)
# The same root file system for bwrap and runc.
sed -i -e "s|\"path\": \"rootfs\"|\"path\": \"$work/rootfs\"|" \
	-e 's|"sh"|"/bin/true"|' -e 's|"terminal": true|"terminal": false|' bundle/config.json
gun_cmd="$work/gun run busybox /bin/true"
bwrap_cmd="bwrap --unshare-all --bind $work/rootfs / --proc /proc --dev /dev /bin/true"
runc_cmd="runc --root $work/runc-state run --bundle $work/bundle bench"
for c in "$gun_cmd" "$bwrap_cmd" "$runc_cmd"; do
	$c </dev/null >/dev/null || { echo "bench-run: failed: $c" >&2; exit 1; }
done
declare -A mean median
if command -v hyperfine >/dev/null; then
	hyperfine -N --output=pipe --warmup 5 --runs "$runs" --export-csv times.csv \
		-n gun "$gun_cmd" -n bwrap "$bwrap_cmd" -n runc "$runc_cmd"
	# command,mean,stddev,median,user,system,min,max
	while IFS=, read -r name m _ med _; do
		[ "$name" = command ] && continue
		mean[$name]=$m
		median[$name]=$med
	done <times.csv
else
	# Interleaved rounds, so that load changes hit every runtime alike.
	declare -A total
	for _ in $(seq "$runs"); do
		for name in gun bwrap runc; do
			case $name in gun) c=$gun_cmd ;; bwrap) c=$bwrap_cmd ;; runc) c=$runc_cmd ;; esac
			start=$(date +%s%N)
			$c </dev/null >/dev/null
			total[$name]=$(( ${total[$name]:-0} + $(date +%s%N) - start ))
		done
	done
	for name in gun bwrap runc; do
		mean[$name]=$(awk -v t="${total[$name]}" -v n="$runs" 'BEGIN { print t / n / 1e9 }')
		median[$name]=${mean[$name]}
	done
fi
for stat in mean median; do
	declare -n v=$stat
	awk -v s=$stat -v g="${v[gun]}" -v b="${v[bwrap]}" -v r="${v[runc]}" 'BEGIN {
		printf "%-6s start-to-exit of /bin/true: gun %.1f ms, bwrap %.1f ms, runc %.1f ms;", s, g*1000, b*1000, r*1000
		printf "  gun/bwrap = %.2f (target <= 1.5), gun/runc = %.2f, runc/bwrap = %.2f\n", g/b, g/r, r/b
	}'
done
