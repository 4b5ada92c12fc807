#!/bin/sh
# Builds gun as it is installed: linked statically, so that no dynamic
# loading runs at each start (7% of a `gun run`: docs/run.md, "Speed"), with
# Go's own user and host name lookups (a static glibc cannot load NSS
# modules). The tests build gun this way too (internal/testenv).
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
exec "${GO:-go}" build -tags osusergo,netgo -ldflags '-linkmode external -extldflags -static' -o "$1" ./cmd/gun
