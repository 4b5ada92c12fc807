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
#   hack/build-phases.sh DIR
set -euo pipefail
dir=$1
gun=${GUN:-gun}
: "${GUN_ROOT:?set GUN_ROOT to a store to empty and use}"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rm -rf "$GUN_ROOT" 2>/dev/null || buildah unshare rm -rf "$GUN_ROOT"
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
echo "total $((t1 - t0)) start $((first - t0)) import $((imported - first)) setup $((sent - imported))" \
	"run $((stored - commit - sent)) commit $commit end $((t1 - stored)) bgsync ${bgsync:--}"
