#!/usr/bin/env bash
# lspbench.sh: benchmark `gun lsp` against dockerfile-language-server-nodejs
# (installed here with npm on first use) on equivalent generated 5,000-line
# files, in one run, and print the ratios. Not part of `make test`.
# Extra arguments go to hack/lspbench (e.g. -runs 9 -edits 50 -lines 5000).
set -euo pipefail
cd "$(dirname "$0")/.."
peer=hack/lspbench/peer
if [ ! -x "$peer/node_modules/.bin/docker-langserver" ]; then
	npm install --prefix "$peer" --no-audit --no-fund --silent dockerfile-language-server-nodejs >&2
fi
./hack/build.sh bin/gun
exec go run ./hack/lspbench -gun bin/gun -peer "$peer/node_modules/.bin/docker-langserver --stdio" "$@"
