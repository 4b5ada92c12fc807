#!/bin/sh
# Runs the tests of runtime and its packages (the OCI runtime's too), and
# the gun they build (hack/build.sh), with AddressSanitizer and
# UndefinedBehaviorSanitizer over gun's C code: the init, the prefork and
# plans, the holder and the descriptor passing. CI
# runs it after make test; any finding aborts the process that made it, so
# the test fails.
#   hack/sanitize.sh [go test flags]   (default: -count=1 -timeout 30m ./runtime/...)
#   hack/sanitize.sh --cflags | --ldflags   (the C flags; hack/build.sh uses them)
set -eu
cflags='-O1 -g -fno-omit-frame-pointer -fsanitize=undefined -fno-sanitize-recover=undefined'
ldflags='-fsanitize=undefined'
case "${1:-}" in
--cflags) echo "$cflags"; exit ;;
--ldflags) echo "$ldflags"; exit ;;
esac
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || set -- -count=1 -timeout 30m ./runtime/...
export GUN_SANITIZE=1
CGO_CFLAGS="${CGO_CFLAGS:-} $cflags" CGO_LDFLAGS="${CGO_LDFLAGS:-} $ldflags" \
	exec "${GO:-go}" test -asan -tags gunsanitize "$@"
