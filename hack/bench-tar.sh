#!/usr/bin/env bash
# Times guntar against GNU tar on a real root filesystem, in one run, and
# prints the ratios (GNU tar's time / guntar's: above 1 means guntar is faster).
#
#   hack/bench-tar.sh [TREE]
#
# TREE defaults to a Debian bookworm minbase made with debootstrap (as root,
# from the Debian mirror apt uses) in $BENCH_DIR/minbase, else a busybox tree.
# Each case runs $ROUNDS times, guntar and GNU tar alternating so that both
# meet the same machine load; the medians are compared. Unpacking writes to
# $BENCH_DIR/work (set BENCH_DIR=/dev/shm/... to measure without the disk).
set -euo pipefail
. "$(dirname "$0")/benchenv.sh"
cd "$(dirname "$0")/.."
bench=${BENCH_DIR:-/var/tmp/gun-bench}
rounds=${ROUNDS:-5}
mkdir -p "$bench"
tree=${1:-}
if [ -z "$tree" ]; then
	tree=$bench/minbase
	if [ ! -x "$tree/bin/sh" ]; then
		mirror=$(sed -n 's/^URIs: *//p; s/^deb \(http[^ ]*\) .*/\1/p' /etc/apt/sources.list.d/*.sources /etc/apt/sources.list 2>/dev/null | grep -v security | head -1)
		if [ "$(id -u)" -eq 0 ] && command -v debootstrap >/dev/null &&
			debootstrap --variant=minbase bookworm "$tree.tmp" "${mirror:-http://deb.debian.org/debian}" >"$bench/debootstrap.log" 2>&1; then
			mv "$tree.tmp" "$tree"
		else
			echo "bench-tar: no debootstrap tree (see $bench/debootstrap.log); using busybox" >&2
			rm -rf "$tree.tmp"
			tree=$bench/busybox
			rm -rf "$tree"
			testdata/rootfs/busybox.sh "$tree"
		fi
	fi
fi
work=$bench/work
rm -rf "$work"
mkdir -p "$work"
go build -o "$work/benchtar" ./hack/benchtar
tar -C "$tree" -cf "$work/tree.tar" .
gzip -1 -c "$work/tree.tar" >"$work/tree.tar.gz"
echo "tree: $tree ($(du -sh "$tree" | cut -f1), $(find "$tree" | wc -l) entries; archive $(du -h "$work/tree.tar" | cut -f1))"

fresh() { rm -rf "$work/dst"; mkdir "$work/dst"; }

run_case() {
	local name=$1 ours=$2 theirs=$3 g=() t=()
	for _ in $(seq "$rounds"); do
		fresh; g+=("$(time_ms bash -c "$ours")")
		fresh; t+=("$(time_ms bash -c "$theirs")")
	done
	local gm tm
	gm=$(median "${g[@]}")
	tm=$(median "${t[@]}")
	printf '%-14s guntar %6d ms   GNU tar %6d ms   ratio %s\n' "$name" "$gm" "$tm" \
		"$(awk -v a="$tm" -v b="$gm" 'BEGIN {printf "%.2f", a / b}')"
}

w=$work
run_case "unpack tar" "$w/benchtar unpack $w/tree.tar $w/dst" "tar -xf $w/tree.tar -C $w/dst"
run_case "unpack tar.gz" "$w/benchtar unpack $w/tree.tar.gz $w/dst" "tar -xzf $w/tree.tar.gz -C $w/dst"
run_case "pack tar" "$w/benchtar pack $tree $w/out.tar" "tar -C $tree -cf $w/out.tar ."
rm -rf "$work"
