# Sourced by the hack/bench-*.sh scripts, also by a script's copy in a work
# directory (copy this file beside it):
#   . "$(dirname "$0")/benchenv.sh"
# It defines the timing helpers now, time_ms and median, and bench_user.

# now prints the time in nanoseconds.
now() { date +%s%N; }
# time_ms CMD...: runs CMD quietly (its output in $work/out.log, shown if it
# fails), prints its wall time in ms.
time_ms() {
	local t0 t1
	t0=$(now)
	"$@" >"$work/out.log" 2>&1 || { cat "$work/out.log" >&2; return 1; }
	t1=$(now)
	echo $(((t1 - t0) / 1000000))
}
# median N...: the median of the numbers.
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# bench_user "$@", for the scripts that time gun rootless on busybox: as
# root it builds gun and hack/benchrun into a new work directory, copies
# the script, this file and testdata/rootfs/busybox.sh there, and runs the
# script again as the test user (hack/testuser.sh), with the variables the
# script names in bench_pass (paths, made absolute) when they are set; as
# that user it changes into the work directory (GUN_BENCH_WORK, or one it
# makes when unset), where gun, benchrun and busybox.sh are.
bench_user() {
	repo=$(cd "$(dirname "$0")/.." && pwd)
	user=${GUN_TEST_USER:-guntest}
	if [ "$(id -u)" -eq 0 ]; then
		work=$(mktemp -d /tmp/gun-bench-XXXXXX)
		trap 'rm -rf "$work"' EXIT
		bench_build "$work"
		cp "$0" "$(dirname "$0")/benchenv.sh" "$work/"
		chmod 755 "$work"
		chown -R "$user" "$work"
		local pass=() v
		for v in ${bench_pass:-}; do
			if [ -n "${!v:-}" ]; then pass+=("$v=$(realpath "${!v}")"); fi
		done
		runuser -u "$user" -- env GUN_BENCH_WORK="$work" HOME="$work" PATH="$PATH" "${pass[@]}" bash "$work/$(basename "$0")" "$@"
		exit
	fi
	work=${GUN_BENCH_WORK:-}
	if [ -z "$work" ]; then
		work=$(mktemp -d /tmp/gun-bench-XXXXXX)
		trap 'rm -rf "$work"' EXIT
		bench_build "$work"
	fi
	cd "$work"
}
bench_build() {
	(cd "$repo" && ./hack/build.sh "$1/gun" && go build -o "$1/benchrun" ./hack/benchrun)
	cp "$repo/testdata/rootfs/busybox.sh" "$1/busybox.sh"
}
