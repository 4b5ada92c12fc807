# Sourced by the hack/bench-*.sh scripts that time gun rootless on busybox:
#   . "$(dirname "$0")/benchenv.sh" "$@"
# As root it builds gun and hack/benchrun into a new work directory, copies
# the script, this file and testdata/rootfs/busybox.sh there, and runs the
# script again as the test user (hack/testuser.sh), with the variables the
# script names in bench_pass (paths, made absolute) when they are set; as
# that user it changes into the work directory (GUN_BENCH_WORK, or one it
# makes when unset), where gun, benchrun and busybox.sh are.
repo=$(cd "$(dirname "$0")/.." && pwd)
user=${GUN_TEST_USER:-guntest}
bench_build() {
	(cd "$repo" && ./hack/build.sh "$1/gun" && go build -o "$1/benchrun" ./hack/benchrun)
	cp "$repo/testdata/rootfs/busybox.sh" "$1/busybox.sh"
}
if [ "$(id -u)" -eq 0 ]; then
	work=$(mktemp -d /tmp/gun-bench-XXXXXX)
	trap 'rm -rf "$work"' EXIT
	bench_build "$work"
	cp "$0" "$(dirname "$0")/benchenv.sh" "$work/"
	chmod 755 "$work"
	chown -R "$user" "$work"
	pass=()
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
