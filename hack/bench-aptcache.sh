#!/usr/bin/env bash
# Times the rebuild of a Debian apt recipe after a change above its apt
# step (the step runs again), with and without cache mounts on
# /var/cache/apt and /var/lib/apt: gun's Cache and buildah's
# RUN --mount=type=cache, rootless, in one run. Each round and variant
# starts from an empty store and cache, builds once (untimed: it fills the
# cache) and then times the rebuild with another value of the Arg the step
# above uses. The base is made like Docker's Debian images, without apt's
# package lists (its first step removes debootstrap's), and the step
# installs curl with its libraries (about 3 MB); BENCH_PKG=hello installs
# hello instead, as the Debian recipe of hack/bench-build.sh does, a step
# whose downloads outweigh its unpacking and configuring. Prints the medians and
# the ratios; the target is gun-cache/gun-plain <= 0.5. Needs the Debian
# mirror (apt) and a Debian minbase archive: BENCH_DEBIAN, else the one
# testdata/rootfs/debian.sh makes (as root). As root it re-runs itself as
# the test user (hack/testuser.sh). With GUN_PREV (another gun binary, such
# as the main before a change) it times that gun too, interleaved with this
# one in each round (prev-cache, prev-plain); BENCH_BUILDAH=0 leaves buildah
# out.
#   hack/bench-aptcache.sh [RUNS]
set -euo pipefail
runs=${1:-3}
if [ "$(id -u)" -eq 0 ]; then
	"$(dirname "$0")/testuser.sh" >/dev/null
	BENCH_DEBIAN=${BENCH_DEBIAN:-$("$(dirname "$0")/../testdata/rootfs/debian.sh")}
	export BENCH_DEBIAN
fi
. "$(dirname "$0")/benchenv.sh"
bench_user "$@"
[ -r "${BENCH_DEBIAN:-}" ] || { echo "bench-aptcache: set BENCH_DEBIAN to a Debian minbase .tar.gz (testdata/rootfs/debian.sh)" >&2; exit 1; }
command -v buildah >/dev/null || { echo "bench-aptcache: buildah not installed (apt-get install buildah)" >&2; exit 1; }
[ -z "${GUN_PREV:-}" ] || [ -x "$GUN_PREV" ] || { echo "bench-aptcache: GUN_PREV=$GUN_PREV is not an executable" >&2; exit 1; }
export XDG_RUNTIME_DIR=$work/xdg
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
cp "$BENCH_DEBIAN" debian.tar.gz
apt='apt-get update -qq \&\& apt-get install -y -qq --no-install-recommends '"${BENCH_PKG:-curl}"
for v in cache plain; do
	mkdir -p "$v"
	ln -f debian.tar.gz "$v/debian.tar.gz"
	mounts='' bmounts=''
	if [ "$v" = cache ]; then
		mounts='Cache "/var/cache/apt" Sharing locked Cache "/var/lib/apt" Sharing locked '
		bmounts='--mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=cache,target=/var/lib/apt,sharing=locked '
	fi
	cat >"$v/Gunfile" <<G
Using "debian.tar.gz"
Exec "rm -rf /var/lib/apt/lists/*"
Arg V
Exec "echo \$V > /version"
Exec ${mounts}"${apt//\\/}"
Main ["true"]
G
	cat >"$v/Containerfile" <<C
FROM scratch
ADD debian.tar.gz /
RUN rm -rf /var/lib/apt/lists/*
ARG V
RUN echo \$V > /version
RUN ${bmounts}${apt//\\/}
CMD ["true"]
C
done

# Each variant's state (store, buildah's storage and its cache mounts,
# which it keeps under TMPDIR) is in $state.
gun_build() { gun_with "$work/gun" "$@"; }
prev_build() { gun_with "$GUN_PREV" "$@"; }
gun_with() { (cd "$dir" && GUN_ROOT="$state/store" "$1" build --progress quiet --arg "V=$2" -t bench .); }
buildah_build() {
	(cd "$dir" && TMPDIR="$state/tmp" buildah --root "$state/root" --runroot "$state/runroot" --storage-driver overlay \
		bud --layers --runtime runc --isolation rootless -q --build-arg "V=$1" -t bench -f Containerfile .)
}
clean() {
	buildah --root "$state/root" --runroot "$state/runroot" --storage-driver overlay rm -a >/dev/null 2>&1 || true
	buildah unshare rm -rf "$state"
}

declare -A times
names=(gun-cache gun-plain)
[ -z "${GUN_PREV:-}" ] || names+=(prev-cache prev-plain)
[ "${BENCH_BUILDAH:-1}" = 0 ] || names+=(buildah-cache buildah-plain)
for i in $(seq "$runs"); do
	for name in "${names[@]}"; do
		tool=${name%-*} dir=$work/${name#*-} state=$work/state-$name-$i
		mkdir -p "$state/tmp"
		"${tool}_build" first >/dev/null 2>&1 || { echo "bench-aptcache: $name: the first build failed" >&2; "${tool}_build" first; exit 1; }
		times[$name]+="$(time_ms "${tool}_build" "second-$i") "
		clean
	done
done
echo "rebuild after a change above the apt step, ms (median of $runs; load $(cut -d' ' -f1-3 /proc/loadavg))"
declare -A med
for name in "${names[@]}"; do
	# shellcheck disable=SC2086
	med[$name]=$(median ${times[$name]})
	printf '  %-14s %8s   (%s)\n' "$name" "${med[$name]}" "${times[$name]% }"
done
awk -v gc="${med[gun-cache]}" -v gp="${med[gun-plain]}" 'BEGIN {
	printf "  gun-cache/gun-plain %.2f (target <= 0.5)\n", gc/gp }'
[ -z "${GUN_PREV:-}" ] || awk -v gc="${med[gun-cache]}" -v gp="${med[gun-plain]}" -v pc="${med[prev-cache]}" -v pp="${med[prev-plain]}" 'BEGIN {
	printf "  prev-cache/prev-plain %.2f, gun-cache/prev-cache %.2f, gun-plain/prev-plain %.2f\n", pc/pp, gc/pc, gp/pp }'
[ "${BENCH_BUILDAH:-1}" = 0 ] || awk -v gc="${med[gun-cache]}" -v bc="${med[buildah-cache]}" -v bp="${med[buildah-plain]}" 'BEGIN {
	printf "  buildah-cache/buildah-plain %.2f, gun-cache/buildah-cache %.2f\n", bc/bp, gc/bc }'
