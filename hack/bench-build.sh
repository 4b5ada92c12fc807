#!/usr/bin/env bash
# Compares `gun build` with rootless `buildah bud --layers --runtime runc`
# (overlay storage) on one recipe: a busybox root-filesystem tar as base,
# five Exec steps of which one writes 1,000 small files, then Env, Workdir
# and Main. Prints each tool's cold and fully cached build times (median of
# RUNS) and the ratios gun/buildah. As root it runs both as the test user
# (hack/testuser.sh), so that both are rootless. With BENCH_DEBIAN naming a
# Debian minbase .tar.gz, a second recipe installs `hello` with apt on it
# (this needs the Debian mirror). GUN_OLD=/path/to/gun adds another gun
# binary, e.g. a build of an older commit, as "gun-old" in the same runs.
#   hack/bench-build.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-3}
user=${GUN_TEST_USER:-guntest}
if [ "$(id -u)" -eq 0 ]; then
	./hack/testuser.sh >/dev/null
	work=$(mktemp -d /tmp/gun-bench-build-XXXXXX)
	./hack/build.sh "$work/gun"
	testdata/rootfs/busybox.sh -t "$work/busybox.tar"
	if [ -n "${BENCH_DEBIAN:-}" ]; then cp "$BENCH_DEBIAN" "$work/debian.tar.gz"; fi
	if [ -n "${GUN_OLD:-}" ]; then cp "$GUN_OLD" "$work/gun-old"; fi
	cp hack/bench-build.sh "$work/"
	chown -R "$user" "$work"
	chmod 755 "$work"
	trap 'rm -rf "$work"' EXIT
	runuser -u "$user" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home" \
		BENCH_WORK="$work" BENCH_DEBIAN="${BENCH_DEBIAN:+$work/debian.tar.gz}" GUN_OLD="${GUN_OLD:+$work/gun-old}" \
		bash "$work/bench-build.sh" "$runs"
	exit
fi
command -v buildah >/dev/null || { echo "bench-build: buildah not installed (apt-get install buildah)" >&2; exit 1; }
work=${BENCH_WORK:-}
if [ -z "$work" ]; then
	work=$(mktemp -d /tmp/gun-bench-build-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	./hack/build.sh "$work/gun"
	testdata/rootfs/busybox.sh -t "$work/busybox.tar"
	if [ -n "${BENCH_DEBIAN:-}" ]; then cp "$BENCH_DEBIAN" "$work/debian.tar.gz"; fi
fi
mkdir -p "$work/home" "$work/ctx" "$work/debian"
export HOME="$work/home" XDG_RUNTIME_DIR="$work/xdg"
mkdir -p "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
cp "$work/busybox.tar" "$work/ctx/"
many='mkdir /many \&\& cd /many \&\& i=0 \&\& while [ $i -lt 1000 ]; do echo $i > f$i; i=$((i+1)); done'
cat >"$work/ctx/Gunfile" <<G
Using "busybox.tar"
Exec "echo one > /one"
Exec "${many//\\/}"
Exec "echo three > /three"
Exec "echo four > /four"
Exec "echo five > /five"
Env APP "bench"
Workdir "/many"
Main ["/bin/sh"]
G
cat >"$work/debian/Gunfile" <<'G'
Using "debian.tar.gz"
Exec "apt-get update -qq && apt-get install -y -qq --no-install-recommends hello"
Main ["hello"]
G
cat >"$work/debian/Containerfile" <<'C'
FROM scratch
ADD debian.tar.gz /
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends hello
CMD ["hello"]
C
cat >"$work/ctx/Containerfile" <<C
FROM scratch
ADD busybox.tar /
RUN echo one > /one
RUN ${many//\\/}
RUN echo three > /three
RUN echo four > /four
RUN echo five > /five
ENV APP=bench
WORKDIR /many
CMD ["/bin/sh"]
C

now() { date +%s%N; }
# time_ms CMD...: runs CMD quietly, prints its wall time in ms.
time_ms() {
	local t0 t1
	t0=$(now)
	"$@" >"$work/out.log" 2>&1 || { cat "$work/out.log" >&2; return 1; }
	t1=$(now)
	echo $(((t1 - t0) / 1000000))
}
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# Each build runs in the directory $dir. gun_build STORE [GUN].
gun_build() { (cd "$dir" && GUN_ROOT="$1" "${2:-$work/gun}" build --progress quiet -t bench .); }
buildah_build() {
	(cd "$dir" && buildah --root "$1/root" --runroot "$1/runroot" --storage-driver overlay \
		bud --layers --runtime runc --isolation rootless -q -t bench -f Containerfile .)
}
buildah_clean() { buildah --root "$1/root" --runroot "$1/runroot" --storage-driver overlay rm -a >/dev/null 2>&1 || true; buildah unshare rm -rf "$1" 2>/dev/null || rm -rf "$1"; }

# bench NAME DIR: cold and cached builds of DIR's recipe with both tools.
bench() {
	local name=$1 i s b
	dir=$2
	local -a gc=() gw=() bc=() bw=() oc=() ow=()
	for i in $(seq "$runs"); do
		s="$work/gun-store-$name-$i"
		gc+=("$(time_ms gun_build "$s")")
		gw+=("$(time_ms gun_build "$s")")
		buildah unshare rm -rf "$s" 2>/dev/null || rm -rf "$s"
		if [ -n "${GUN_OLD:-}" ]; then
			s="$work/gun-old-store-$name-$i"
			oc+=("$(time_ms gun_build "$s" "$GUN_OLD")")
			ow+=("$(time_ms gun_build "$s" "$GUN_OLD")")
			buildah unshare rm -rf "$s" 2>/dev/null || rm -rf "$s"
		fi
		b="$work/buildah-$name-$i"
		bc+=("$(time_ms buildah_build "$b")")
		bw+=("$(time_ms buildah_build "$b")")
		buildah_clean "$b"
	done
	local gcm gwm bcm bwm
	gcm=$(median "${gc[@]}") gwm=$(median "${gw[@]}") bcm=$(median "${bc[@]}") bwm=$(median "${bw[@]}")
	echo "recipe: $name (median of $runs)"
	printf '  %-8s %10s %10s\n' "" "cold ms" "cached ms"
	printf '  %-8s %10s %10s\n' gun "$gcm" "$gwm" buildah "$bcm" "$bwm"
	if [ -n "${GUN_OLD:-}" ]; then
		local ocm owm
		ocm=$(median "${oc[@]}") owm=$(median "${ow[@]}")
		printf '  %-8s %10s %10s\n' gun-old "$ocm" "$owm"
		awk -v a="$ocm" -v b="$bcm" -v c="$owm" -v d="$bwm" 'BEGIN {
			printf "  ratio gun-old/buildah: cold %.2f, cached %.3f\n", a/b, c/d }'
	fi
	awk -v a="$gcm" -v b="$bcm" -v c="$gwm" -v d="$bwm" 'BEGIN {
		printf "  ratio gun/buildah: cold %.2f, cached %.3f\n", a/b, c/d }'
}

bench busybox "$work/ctx"
if [ -n "${BENCH_DEBIAN:-}" ]; then
	cp "$BENCH_DEBIAN" "$work/debian/debian.tar.gz"
	bench debian-apt "$work/debian"
fi
