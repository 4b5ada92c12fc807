#!/usr/bin/env bash
# Builds buildah from source, from the Go module proxy, into
# /usr/local/libexec/gun-ci/buildah (or the path given): the buildah that
# TestBuildahEquivalenceHeredoc (exec) compares gun's heredoc forms with.
# Debian 12's buildah, 1.28, reads no heredocs (buildah does from 1.33 on);
# it stays /usr/bin/buildah for the other tests and the benchmarks.
#
# v1.42.0: 1.44 supports only the netavark network backend, which Debian 12
# does not install (its podman and buildah use CNI). The tags: no libgpgme
# (containers_image_openpgp), no btrfs headers (exclude_graphdriver_btrfs),
# CNI (cni), Debian's libsqlite3 instead of go-sqlite3's C (libsqlite3; the
# package libsqlite3-dev). `go install ...@v1.42.0` fails where the module
# proxy refuses the module's version list (go install reads it for
# deprecations): the module is built in a copy, with its own go.sum.
set -euo pipefail
version=v1.42.0
out=${1:-/usr/local/libexec/gun-ci/buildah}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
GOFLAGS= go mod download github.com/containers/buildah@$version
cp -r "$(go env GOMODCACHE)/github.com/containers/buildah@$version" src
chmod -R u+w src
cd src
mkdir -p "$(dirname "$out")"
GOFLAGS=-mod=mod go build -trimpath -o "$out" \
	-tags "containers_image_openpgp exclude_graphdriver_btrfs cni libsqlite3" ./cmd/buildah
"$out" --version
