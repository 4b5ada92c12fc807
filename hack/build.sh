#!/bin/sh
# Builds gun as it is installed: OUT, and beside it gun-lang, the lean
# program of gun's language commands (check, fmt, lsp) that gun executes for
# them before its own Go runtime starts (runtime/lang.c, docs/gunfile.md,
# "Speed"). gun-lang is built first, pure Go; its Go build ID is compiled
# into gun (GUN_LANG_BUILDID), which executes only the gun-lang of that ID.
#
# gun is linked statically, so that no dynamic loading runs at each start
# (7% of a `gun run`: docs/run.md, "Speed"), with Go's own user and host
# name lookups (a static glibc cannot load NSS modules), and both with Go's
# classic garbage collector (GOEXPERIMENT=nogreenteagc): the Green Tea
# collector keeps mark bits at the end of each small-object span, so that
# every new span touches one more page, and a `gun run` ends before its
# first collection (a run took 11% more page faults with it, which cost
# much on a virtual machine: docs/run.md, "Where the time goes"). The tests
# build gun this way too (internal/testenv).
#   hack/build.sh OUT        (writes OUT and $(dirname OUT)/gun-lang)
# GUN_SANITIZE=1 builds gun instead with AddressSanitizer and
# UndefinedBehaviorSanitizer over the C init and the rest of the C code
# (dynamically linked: the sanitizers' runtimes need it), as CI's sanitizer
# run of the runtime tests does (hack/sanitize.sh).
set -eu
cd "$(dirname "$0")/.."
GO=${GO:-go}
GOEXPERIMENT=${GOEXPERIMENT:+$GOEXPERIMENT,}nogreenteagc
export GOEXPERIMENT
lang=$(dirname "$1")/gun-lang
CGO_ENABLED=0 "$GO" build -o "$lang" ./cmd/gun-lang
id=$("$GO" tool buildid "$lang")
# Quoted for go's split of CGO_CFLAGS: the macro is a C string. With Go's
# default flags (-O2 -g) unless the caller gave others: a CGO_CFLAGS that
# is set replaces them, and gun's C (the constructor, the C init) was
# compiled without optimisation.
CGO_CFLAGS="${CGO_CFLAGS:-$("$GO" env CGO_CFLAGS)} '-DGUN_LANG_BUILDID=\"$id\"'"
if [ -n "${GUN_SANITIZE:-}" ]; then
	CGO_CFLAGS="$CGO_CFLAGS $(./hack/sanitize.sh --cflags)" \
		CGO_LDFLAGS="${CGO_LDFLAGS:-} $(./hack/sanitize.sh --ldflags)" \
		exec "$GO" build -asan -tags osusergo,netgo,gunsanitize -o "$1" ./cmd/gun
fi
CGO_CFLAGS=$CGO_CFLAGS exec "$GO" build -tags osusergo,netgo -ldflags '-linkmode external -extldflags -static' -o "$1" ./cmd/gun
