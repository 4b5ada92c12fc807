#!/usr/bin/env bash
# Times start-to-exit of /bin/true in a cached busybox image, rootless, with
# `gun run`, `bwrap --unshare-all` on the same root file system and
# `runc run` with a rootless bundle, in one run, and prints the ratios.
# "gun-archive" runs the image by its archive file (`gun run busybox.tar`,
# the original program's way), which must be as fast as by name.
# "gun-seccomp" and "gun-unconfined" are the cost of the default seccomp
# filter: the same command line but for --security-opt, with Docker's
# default profile and with none. "gun-options" is a run with the options
# people use most (-e A=1 -w /tmp), from its plan without Go as a plain
# run (docs/run.md, "How a container starts"), and "gun-prev-options" the
# same with GUN_PREV's gun.
#   hack/bench-run.sh [RUNS]
# As root it re-runs itself as the test user guntest (hack/testuser.sh).
# The runs are interleaved (hack/benchrun: one run of each per round), so
# that load from other jobs on a shared machine hits each alike; medians
# and minima are printed, with each command's page faults (a count that
# the load hardly changes). GUN_OLD=/path/to/gun adds another gun binary,
# e.g. an older build, as "gun-old", and GUN_PREV=/path/to/gun a second one
# as "gun-prev", each set up as the gun built here (a copy, a store of its
# own, the same steps). The load (uptime) is printed
# before and after: quote it with the figures.
#   GUN_PREV=/tmp/gun-prev/gun GUN_OLD=/tmp/gun-old/gun hack/bench-run.sh 150
set -euo pipefail
runs=${1:-100}
bench_pass="GUN_OLD GUN_PREV"
. "$(dirname "$0")/benchenv.sh"
bench_user "$@"
# The gun built here, linker-written as built (a rename keeps it so).
mkdir -p cur
if [ -e gun ]; then mv gun cur/gun; fi
bash ./busybox.sh rootfs
bash ./busybox.sh -t busybox.tar
# Each gun is treated alike: its binary and its store (so that none reads
# another's run plans, whose formats differ) in a directory of its own
# whose name has the same length (cur, old, pre), set up in the same
# order: the image imported by name (running an archive names nothing),
# then run by name and by archive, so that the runs measured are of the
# cached image and the plans are there. benchrun drops each binary from
# the page cache before its warm-up.
guns=(cur)
for o in old prev; do
	bin=$(eval echo "\${GUN_${o^^}:-}")
	[ -n "$bin" ] || continue
	mkdir -p "${o:0:3}"
	cp "$bin" "${o:0:3}/gun"
	guns+=("${o:0:3}")
done
options="-e A=1 -w /tmp"
for d in "${guns[@]}"; do
	GUN_ROOT=$work/$d/store "$d/gun" import busybox.tar busybox >/dev/null
done
# Twice, a second apart: a plan written from files changed less than a
# second before has no fast section (docs/run.md).
for pass in 1 2; do
	[ "$pass" = 1 ] || sleep 1.1
	for d in "${guns[@]}"; do
		GUN_ROOT=$work/$d/store "$d/gun" run busybox /bin/true
		GUN_ROOT=$work/$d/store "$d/gun" run busybox.tar /bin/true
		GUN_ROOT=$work/$d/store "$d/gun" run $options busybox /bin/true
	done
done
mkdir -p bundle
(cd bundle && runc spec --rootless)
# The same root file system for bwrap and runc.
sed -i -e "s|\"path\": \"rootfs\"|\"path\": \"$work/rootfs\"|" \
	-e 's|"sh"|"/bin/true"|' -e 's|"terminal": true|"terminal": false|' bundle/config.json
cur="GUN_ROOT=$work/cur/store $work/cur/gun run"
gun_cmd="$cur busybox /bin/true"
archive_cmd="$cur busybox.tar /bin/true"
seccomp_cmd="$cur --security-opt no-new-privileges busybox /bin/true"
unconfined_cmd="$cur --security-opt seccomp=unconfined busybox /bin/true"
options_cmd="$cur $options busybox /bin/true"
bwrap_cmd="bwrap --unshare-all --bind $work/rootfs / --proc /proc --dev /dev /bin/true"
runc_cmd="runc --root $work/runc-state run --bundle $work/bundle bench"
for c in "$gun_cmd" "$archive_cmd" "$seccomp_cmd" "$unconfined_cmd" "$options_cmd" "$bwrap_cmd" "$runc_cmd"; do
	env $c </dev/null >/dev/null || { echo "bench-run: failed: $c" >&2; exit 1; }
done
old=()
ratios=gun/bwrap,gun/runc,gun-archive/gun,gun-seccomp/gun-unconfined,gun-options/gun,gun-options/bwrap
for o in old prev; do
	[ -x "${o:0:3}/gun" ] || continue
	g="GUN_ROOT=$work/${o:0:3}/store $work/${o:0:3}/gun run"
	old+=("gun-$o=$g busybox /bin/true" "gun-$o-archive=$g busybox.tar /bin/true" "gun-$o-options=$g $options busybox /bin/true")
	ratios+=,gun/gun-$o,gun-$o/bwrap,gun-archive/gun-$o-archive,gun-options/gun-$o-options
done
echo "load before: $(uptime)"
"$work/benchrun" -runs "$runs" -ratios "$ratios" \
	"gun=$gun_cmd" "gun-archive=$archive_cmd" "gun-seccomp=$seccomp_cmd" "gun-unconfined=$unconfined_cmd" "gun-options=$options_cmd" \
	"${old[@]}" "bwrap=$bwrap_cmd" "runc=$runc_cmd"
echo "load after: $(uptime)"
echo "target: gun/bwrap <= 1.5 (aim 1.2), gun/gun-old and gun/gun-prev <= 1, gun-archive/gun and gun-options/gun about 1, gun-seccomp/gun-unconfined <= 1.03"
