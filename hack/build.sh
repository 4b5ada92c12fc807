#!/bin/sh
# Builds gun as it is installed: linked statically, so that no dynamic
# loading runs at each start (7% of a `gun run`: docs/run.md, "Speed"), with
# Go's own user and host name lookups (a static glibc cannot load NSS
# modules), and with Go's classic garbage collector (GOEXPERIMENT=nogreenteagc):
# the Green Tea collector keeps mark bits at the end of each small-object
# span, so that every new span touches one more page, and a `gun run` ends
# before its first collection (a run took 11% more page faults with it, which
# cost much on a virtual machine: docs/run.md, "Where the time goes"). The
# tests build gun this way too (internal/testenv).
#   hack/build.sh OUT
# GUN_SANITIZE=1 builds it instead with AddressSanitizer and
# UndefinedBehaviorSanitizer over the C init and the rest of the C code
# (dynamically linked: the sanitizers' runtimes need it), as CI's sanitizer
# run of the runtime tests does (hack/sanitize.sh).
set -eu
cd "$(dirname "$0")/.."
if [ -n "${GUN_SANITIZE:-}" ]; then
	CGO_CFLAGS="${CGO_CFLAGS:-} $(./hack/sanitize.sh --cflags)" \
		CGO_LDFLAGS="${CGO_LDFLAGS:-} $(./hack/sanitize.sh --ldflags)" \
		exec "${GO:-go}" build -asan -tags osusergo,netgo,gunsanitize -o "$1" ./cmd/gun
fi
GOEXPERIMENT=${GOEXPERIMENT:+$GOEXPERIMENT,}nogreenteagc
export GOEXPERIMENT
exec "${GO:-go}" build -tags osusergo,netgo -ldflags '-linkmode external -extldflags -static' -o "$1" ./cmd/gun
