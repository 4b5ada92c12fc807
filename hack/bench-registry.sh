#!/usr/bin/env bash
# Times gun against its peers on one loopback registry (Debian's
# docker-registry, started here on 127.0.0.1), in interleaved rounds, and
# prints each median with the 1-minute load (/proc/loadavg) seen while it
# was measured:
#   - pull of a ~200 MB Debian-based image of four layers into an empty
#     store: gun pull, rootless podman pull (which also unpacks), and
#     skopeo copy docker://... oci:DIR (which only downloads);
#   - push of it to an empty repository: gun push, skopeo copy oci:DIR
#     docker://...;
#   - gun pull of the image when the store has it all (and podman's);
#   - the Debian apt recipe (apt-get install hello, which needs the Debian
#     mirror) built on an empty store: cold, and with --cache-from a cache
#     an earlier build pushed (--cache-to).
# Run it un-niced on a quiet machine. As root it runs as the test user
# (hack/testuser.sh), so that gun and podman are rootless.
#   hack/bench-registry.sh [RUNS]     (default 5; needs BENCH_DEBIAN=minbase.tar.gz,
#                                      default /var/tmp/gun-test-debian/bookworm-minbase.tar.gz)
set -euo pipefail
. "$(dirname "$0")/benchenv.sh"
cd "$(dirname "$0")/.."
runs=${1:-5}
user=${GUN_TEST_USER:-guntest}
debian=${BENCH_DEBIAN:-/var/tmp/gun-test-debian/bookworm-minbase.tar.gz}
if [ "$(id -u)" -eq 0 ]; then
	[ -f "$debian" ] || { echo "bench-registry: no Debian minbase at $debian (testdata/rootfs/debian.sh makes one)" >&2; exit 1; }
	./hack/testuser.sh >/dev/null
	work=$(mktemp -d /tmp/gun-bench-registry-XXXXXX)
	./hack/build.sh "$work/gun"
	cp "$debian" "$work/debian.tar.gz"
	cp hack/bench-registry.sh hack/benchenv.sh "$work/"
	chown -R "$user" "$work"
	chmod 755 "$work"
	trap 'runuser -u "$user" -- podman unshare rm -rf "$work" 2>/dev/null; rm -rf "$work"' EXIT
	runuser -u "$user" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home" \
		BENCH_WORK="$work" BENCH_REGISTRY_PORT="${BENCH_REGISTRY_PORT:-}" \
		bash "$work/bench-registry.sh" "$runs"
	exit
fi
for p in docker-registry podman skopeo; do
	command -v $p >/dev/null || { echo "bench-registry: $p not installed" >&2; exit 1; }
done
work=${BENCH_WORK:-}
if [ -z "$work" ]; then
	work=$(mktemp -d /tmp/gun-bench-registry-XXXXXX)
	trap 'podman unshare rm -rf "$work" 2>/dev/null; rm -rf "$work"' EXIT
	./hack/build.sh "$work/gun"
	cp "$debian" "$work/debian.tar.gz"
fi
gun=$work/gun
mkdir -p "$work/home" "$work/img" "$work/apt"
export HOME="$work/home" XDG_RUNTIME_DIR="$work/xdg"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"

# The registry, its storage in $work.
port=${BENCH_REGISTRY_PORT:-5099}
reg=127.0.0.1:$port
cat >"$work/registry.yml" <<Y
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry
http:
  addr: $reg
Y
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
regpid=$!
trap 'kill $regpid 2>/dev/null; podman unshare rm -rf "$work" 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do curl -sf "http://$reg/v2/" >/dev/null && break; sleep 0.1; done

load() { cut -d' ' -f1 /proc/loadavg; }
# measure NAME CMD...: one timed run of CMD, with the load before it.
declare -A times loads
measure() {
	local name=$1
	shift
	loads[$name]+="$(load) "
	times[$name]+="$(time_ms "$@") "
}
gun_store() { GUN_ROOT="$1" "$gun" "${@:2}"; }
pod() { podman --root "$1/root" --runroot "$1/rr" --storage-driver overlay --events-backend file "${@:2}"; }
wipe() { podman unshare rm -rf "$@" 2>/dev/null || rm -rf "$@"; }

# The image: the Debian minbase (93 MB compressed) and two layers of 50 MB
# of random bytes (which do not compress) and a small one.
ref=$reg/bench/debian:1
cp "$work/debian.tar.gz" "$work/img/"
cat >"$work/img/Gunfile" <<'G'
Using "debian.tar.gz"
Exec "head -c 50000000 /dev/urandom > /blob1"
Exec "head -c 50000000 /dev/urandom > /blob2"
Exec "echo small > /small"
G
(cd "$work/img" && gun_store "$work/builder" build --progress quiet -t bench .) >/dev/null
gun_store "$work/builder" push --progress quiet bench "$ref" >/dev/null
skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/oci-src:bench"
gun_store "$work/present" pull --progress quiet "$ref" >/dev/null
pod "$work/pp" pull -q --tls-verify=false "$ref" >/dev/null
size=$(du -sb "$work/oci-src/blobs" | cut -f1)

# The apt recipe, its cache pushed once.
cp "$work/debian.tar.gz" "$work/apt/"
cat >"$work/apt/Gunfile" <<'G'
Using "debian.tar.gz"
Exec "apt-get update -qq && apt-get install -y -qq --no-install-recommends hello"
Main ["hello"]
G
cache=$reg/bench/apt-cache:1
(cd "$work/apt" && gun_store "$work/apt-seed" build --progress quiet --cache-to "$cache" .) >/dev/null
wipe "$work/apt-seed"
apt_build() { (cd "$work/apt" && gun_store "$1" build --progress quiet "${@:2}" .); }

echo "image: $ref, $((size / 1000000)) MB in 4 layers; $runs rounds; load at start: $(uptime | sed 's/.*load average: //')"
for i in $(seq "$runs"); do
	measure "gun pull" gun_store "$work/s" pull --progress quiet "$ref"
	wipe "$work/s"
	measure "podman pull" pod "$work/s" pull -q --tls-verify=false "$ref"
	wipe "$work/s"
	measure "skopeo copy (pull)" skopeo copy -q --src-tls-verify=false "docker://$ref" "oci:$work/s:bench"
	wipe "$work/s"
	measure "gun push" gun_store "$work/builder" push --progress quiet bench "$reg/push/gun-$i:1"
	# skopeo's blob cache remembers where the blobs are and would mount them.
	rm -rf "$HOME/.local/share/containers/cache"
	measure "skopeo copy (push)" skopeo copy -q --dest-tls-verify=false "oci:$work/oci-src:bench" "docker://$reg/push/skopeo-$i:1"
	measure "gun version (a start)" "$gun" version
	measure "gun pull, all present" gun_store "$work/present" pull --progress quiet "$ref"
	measure "podman pull, all present" pod "$work/pp" pull -q --tls-verify=false "$ref"
	measure "apt recipe cold" apt_build "$work/s"
	wipe "$work/s"
	measure "apt recipe --cache-from" apt_build "$work/s" --cache-from "$cache"
	wipe "$work/s"
done

med() { median ${times[$1]}; }
printf '%-26s %9s %6s\n' "" "median ms" "load"
for name in "gun pull" "podman pull" "skopeo copy (pull)" "gun push" "skopeo copy (push)" \
	"gun version (a start)" "gun pull, all present" "podman pull, all present" "apt recipe cold" "apt recipe --cache-from"; do
	printf '%-26s %9s %6s\n' "$name" "$(med "$name")" "$(median ${loads[$name]})"
done
ratio() { awk -v a="$(med "$1")" -v b="$(med "$2")" -v t="$3" -v n="$4" 'BEGIN { printf "%-42s %.2f (target <= %s)\n", n, a/b, t }'; }
ratio "gun pull" "podman pull" 0.5 "gun pull / podman pull"
ratio "gun pull" "skopeo copy (pull)" 1.0 "gun pull / skopeo copy docker:// oci:"
ratio "gun push" "skopeo copy (push)" 1.0 "gun push / skopeo copy oci: docker://"
ratio "apt recipe --cache-from" "apt recipe cold" 0.3 "--cache-from rebuild / cold build"
echo "all-present pull: $(med "gun pull, all present") ms (target < 50)"
echo "load at end: $(uptime | sed 's/.*load average: //')"
