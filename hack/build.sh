#!/bin/sh
# Builds gun as it is installed: linked statically, so that no dynamic
# loading runs at each start (7% of a `gun run`: docs/run.md, "Speed"), with
# Go's own user and host name lookups (a static glibc cannot load NSS
# modules). The tests build gun this way too (internal/testenv).
#   hack/build.sh OUT
set -eu
cd "$(dirname "$0")/.."
exec "${GO:-go}" build -tags osusergo,netgo -ldflags '-linkmode external -extldflags -static' -o "$1" ./cmd/gun
