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
# As root on a machine with cgroup v2 (or its "unified" mount), every build
# runs in a cgroup of its own, and its CPU time (user and system, of all its
# processes) is printed beside its wall time: the load of a shared machine
# stretches wall times, CPU times much less. The Debian recipe's step also
# prints the time its apt commands took inside the container, for both tools.
#   hack/bench-build.sh [RUNS]
set -euo pipefail
. "$(dirname "$0")/benchenv.sh"
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
	cp hack/bench-build.sh hack/benchenv.sh "$work/"
	chown -R "$user" "$work"
	chmod 755 "$work"
	# A cgroup the test user may divide: each build gets one, for its CPU time.
	cg=$(awk '$3 == "cgroup2" {print $2; exit}' /proc/mounts)
	if [ -n "$cg" ] && cg=$cg/gun-bench-build-$$ && mkdir "$cg" "$cg/bench"; then
		chown -R "$user" "$cg"
	else
		cg=
	fi
	cleanup() {
		rm -rf "$work"
		# User namespace holders of the stores idle out within seconds.
		[ -z "$cg" ] || (for _ in $(seq 30); do rmdir "$cg"/* "$cg" 2>/dev/null && break; sleep 1; done &)
	}
	trap cleanup EXIT
	(
		[ -z "$cg" ] || echo "$BASHPID" >"$cg/bench/cgroup.procs"
		exec runuser -u "$user" -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work/home" \
			BENCH_WORK="$work" BENCH_DEBIAN="${BENCH_DEBIAN:+$work/debian.tar.gz}" GUN_OLD="${GUN_OLD:+$work/gun-old}" \
			BENCH_CGROUP="$cg" bash "$work/bench-build.sh" "$runs"
	)
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
# The apt commands, timed inside the container: the line "apt-ms N" gives
# their wall time, the shell's times (user and system time of its children)
# on the line after it their CPU time.
apt='s=$(date +%s%N) \&\& apt-get update -qq \&\& apt-get install -y -qq --no-install-recommends hello \&\& echo apt-ms $(( ($(date +%s%N) - s) / 1000000 )) \&\& times'
cat >"$work/debian/Gunfile" <<G
Using "debian.tar.gz"
Exec "${apt//\\/}"
Main ["hello"]
G
cat >"$work/debian/Containerfile" <<C
FROM scratch
ADD debian.tar.gz /
RUN ${apt//\\/}
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

# time_build CMD...: runs CMD quietly (in a cgroup of its own under
# BENCH_CGROUP, if set), prints its wall time, its CPU time (- without a
# cgroup) and the apt wall and CPU times its output reports (- if none),
# in ms.
time_build() {
	local t0 t1 cg= cpu=- apt
	if [ -n "${BENCH_CGROUP:-}" ]; then
		cg=$BENCH_CGROUP/build-$(now)
		mkdir "$cg"
	fi
	t0=$(now)
	(
		[ -z "$cg" ] || echo "$BASHPID" >"$cg/cgroup.procs"
		"$@"
	) >"$work/out.log" 2>&1 || { cat "$work/out.log" >&2; return 1; }
	t1=$(now)
	[ -z "$cg" ] || cpu=$(awk '$1 == "usage_usec" {print int($2 / 1000)}' "$cg/cpu.stat")
	# "apt-ms N", then times: the shell's own user and system time, then
	# its children's ("0m1.990s 0m0.753s"); gun prefixes step output "#N ".
	apt=$(awk '/apt-ms [0-9]/ {sub(/.*apt-ms /, ""); ms = $1; n = NR}
		n && NR == n + 2 {sub(/^#[0-9]+ /, ""); for (i = 1; i <= 2; i++) {split($i, t, /[ms]/); c += t[1] * 60000 + t[2] * 1000}}
		END {if (n) printf "%d %d", ms, c}' "$work/out.log")
	echo "$(((t1 - t0) / 1000000)) $cpu ${apt:-- -}"
}

# Each build runs in the directory $dir, with gun's step output shown as
# plain lines (the apt time is read from them). gun_build STORE [GUN].
gun_build() { (cd "$dir" && GUN_ROOT="$1" "${2:-$work/gun}" build --progress plain -t bench .); }
# Without -q, which would hide the apt time the step prints.
buildah_build() {
	(cd "$dir" && buildah --root "$1/root" --runroot "$1/runroot" --storage-driver overlay \
		bud --layers --runtime runc --isolation rootless -t bench -f Containerfile .)
}
buildah_clean() { buildah --root "$1/root" --runroot "$1/runroot" --storage-driver overlay rm -a >/dev/null 2>&1 || true; buildah unshare rm -rf "$1" 2>/dev/null || rm -rf "$1"; }

# med N RESULT...: the median of field N (1 wall, 2 CPU, 3 apt, 4 apt CPU) of
# time_build's results, - if none has it.
med() {
	local n=$1 v
	shift
	v=$(printf '%s\n' "$@" | awk -v n="$n" '$n != "-" {print $n}')
	# shellcheck disable=SC2086
	if [ -n "$v" ]; then median $v; else echo -; fi
}
# ratio A B: A/B, or - when either is missing.
ratio() { awk -v a="$1" -v b="$2" -v f="${3:-%.2f}" 'BEGIN {if (a == "-" || b == "-") print "-"; else printf f "\n", a / b}'; }

# bench NAME DIR: cold and cached builds of DIR's recipe with both tools,
# interleaved; each run's figures (wall/CPU/apt/apt CPU ms) and the load as
# they come.
bench() {
	local name=$1 i s b r tool
	dir=$2
	local -a gc=() gw=() bc=() bw=() oc=() ow=()
	echo "recipe: $name"
	for i in $(seq "$runs"); do
		s="$work/gun-store-$name-$i"
		gc+=("$(time_build gun_build "$s")")
		gw+=("$(time_build gun_build "$s")")
		buildah unshare rm -rf "$s" 2>/dev/null || rm -rf "$s"
		r="gun ${gc[-1]// //} cached ${gw[-1]// //}"
		if [ -n "${GUN_OLD:-}" ]; then
			s="$work/gun-old-store-$name-$i"
			oc+=("$(time_build gun_build "$s" "$GUN_OLD")")
			ow+=("$(time_build gun_build "$s" "$GUN_OLD")")
			buildah unshare rm -rf "$s" 2>/dev/null || rm -rf "$s"
			r="$r; gun-old ${oc[-1]// //} cached ${ow[-1]// //}"
		fi
		b="$work/buildah-$name-$i"
		bc+=("$(time_build buildah_build "$b")")
		bw+=("$(time_build buildah_build "$b")")
		buildah_clean "$b"
		echo "  run $i: $r; buildah ${bc[-1]// //} cached ${bw[-1]// //} (wall/cpu/apt/apt-cpu ms; load $(cut -d' ' -f1-3 /proc/loadavg))"
	done
	echo "  median of $runs:"
	printf '  %-8s %9s %9s %9s %9s %10s %9s\n' "" "cold ms" "cpu ms" "apt ms" "apt cpu" "cached ms" "cpu ms"
	row() {
		local -n c=$2 w=$3
		printf '  %-8s %9s %9s %9s %9s %10s %9s\n' "$1" "$(med 1 "${c[@]}")" "$(med 2 "${c[@]}")" "$(med 3 "${c[@]}")" \
			"$(med 4 "${c[@]}")" "$(med 1 "${w[@]}")" "$(med 2 "${w[@]}")"
	}
	row gun gc gw
	row buildah bc bw
	[ -z "${GUN_OLD:-}" ] || row gun-old oc ow
	ratios() {
		local -n c=$2 w=$3
		echo "  ratio $1/buildah: cold $(ratio "$(med 1 "${c[@]}")" "$(med 1 "${bc[@]}")")" \
			"(cpu $(ratio "$(med 2 "${c[@]}")" "$(med 2 "${bc[@]}")"))," \
			"cached $(ratio "$(med 1 "${w[@]}")" "$(med 1 "${bw[@]}")" %.3f)"
	}
	[ -z "${GUN_OLD:-}" ] || ratios gun-old oc ow
	ratios gun gc gw
}

bench busybox "$work/ctx"
if [ -n "${BENCH_DEBIAN:-}" ]; then
	cp "$BENCH_DEBIAN" "$work/debian/debian.tar.gz"
	bench debian-apt "$work/debian"
fi
