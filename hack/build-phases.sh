#!/usr/bin/env bash
# Splits the time of a cold `gun build` of a one-Exec recipe (such as the
# Debian recipe of hack/bench-build.sh) into its phases, from the debug log
# of `gun --verbose build --progress plain`:
#   start   gun's start to its first log line
#   import  the base archive imported and its layer unpacked ("archive imported")
#   setup   to the step's container configured ("container config sent")
#   run     the step's command (to the start of its commit)
#   commit  gun:commit packs the upper directory, gun hashes, compresses and
#           stores it ("layer stored" took)
#   end     the image written and named, gun's exit
#   bgsync  the background sync of the unpacked layer ("unpacked layer synced"
#           took; it overlaps run)
# in ms. GUN and the store (GUN_ROOT, emptied first) come from the environment.
# With BUILDAH_ROOT (a directory to empty and use) it also splits buildah's
# build of DIR's Containerfile, whose one RUN comes after its base (FROM,
# ADD): the base built with `buildah bud`, then the RUN as `buildah from`,
# `buildah run` and `buildah commit`, each timed:
#   base    bud of the lines before the RUN (the archive's ADD)
#   from    the working container made
#   run     the RUN's command
#   commit  the container committed as an image
# Both print the apt time the step's output reports ("apt-ms N" and the
# shell's times after it, as in hack/bench-build.sh's Debian recipe: wall/CPU
# ms), if any, and the load.
#   hack/build-phases.sh DIR
set -euo pipefail
dir=$1
gun=${GUN:-gun}
: "${GUN_ROOT:?set GUN_ROOT to a store to empty and use}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rm -rf "$GUN_ROOT" 2>/dev/null || buildah unshare rm -rf "$GUN_ROOT"
# aptms LOG: the apt times the step printed, wall/CPU ms.
aptms() {
	awk '/apt-ms [0-9]/ {sub(/.*apt-ms /, ""); ms = $1; n = NR}
		n && NR == n + 2 {sub(/^#[0-9]+ /, ""); for (i = 1; i <= 2; i++) {split($i, t, /[ms]/); c += t[1] * 60000 + t[2] * 1000}}
		END {if (n) printf "%d/%d", ms, c}' "$1"
}
t0=$(date +%s%3N)
(cd "$dir" && "$gun" --verbose build --progress plain -t phases . >"$log" 2>&1) || { cat "$log" >&2; exit 1; }
t1=$(date +%s%3N)
ms() { date -d "$(grep -m1 "$1" "$log" | sed -E 's/^time=([^ ]+) .*/\1/')" +%s%3N; }
dur() { grep -m1 "$1" "$log" | sed -E 's/.* took=([0-9.]+)(µs|ms|s).*/\1 \2/' |
	awk '{ printf "%d", $2 == "s" ? $1 * 1000 : $2 == "ms" ? $1 : $1 / 1000 }'; }
first=$(date -d "$(grep -m1 '^time=' "$log" | sed -E 's/^time=([^ ]+) .*/\1/')" +%s%3N)
imported=$(ms 'msg="archive imported"')
sent=$(ms 'msg="container config sent"')
stored=$(ms 'msg="layer stored"')
commit=$(dur 'msg="layer stored"')
bgsync=$(dur 'msg="unpacked layer synced"' || true)
apt=$(aptms "$log")
echo "gun total $((t1 - t0)) start $((first - t0)) import $((imported - first)) setup $((sent - imported))" \
	"run $((stored - commit - sent)) commit $commit end $((t1 - stored)) bgsync ${bgsync:--} apt ${apt:--}" \
	"load $(cut -d' ' -f1 /proc/loadavg)"
[ -n "${BUILDAH_ROOT:-}" ] || exit 0

b=$BUILDAH_ROOT
bh() { buildah --root "$b/root" --runroot "$b/runroot" --storage-driver overlay "$@"; }
buildah unshare rm -rf "$b"
base=$(mktemp)
trap 'rm -f "$log" "$base"; bh rm -a >/dev/null 2>&1; buildah unshare rm -rf "$b"' EXIT
sed '/^RUN /,$d' "$dir/Containerfile" >"$base"
cmd=$(sed -n 's/^RUN //p' "$dir/Containerfile")
now() { date +%s%3N; }
t0=$(now)
(cd "$dir" && bh bud --layers --runtime runc --isolation rootless -q -t phases-base -f "$base" . >"$log" 2>&1) || { cat "$log" >&2; exit 1; }
t1=$(now)
ctr=$(bh from phases-base)
t2=$(now)
bh run --isolation rootless --runtime runc "$ctr" sh -c "$cmd" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
t3=$(now)
bh commit -q "$ctr" phases >/dev/null
t4=$(now)
apt=$(aptms "$log")
echo "buildah total $((t4 - t0)) base $((t1 - t0)) from $((t2 - t1)) run $((t3 - t2)) commit $((t4 - t3))" \
	"apt ${apt:--} load $(cut -d' ' -f1 /proc/loadavg)"
