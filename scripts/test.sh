#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs the real FTP
# servers the interop tests use (Debian packages, as root), checks
# formatting and vet, type-checks the other platforms, compares the
# exported API with api/, runs staticcheck (pinned), and runs every test
# with the race detector.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== installing test servers"
bash interop/servers/install.sh

echo "== gofmt"
unformatted=$(gofmt -l .)
if [ -n "$unformatted" ]; then
	echo "gofmt would change:"
	echo "$unformatted"
	exit 1
fi

echo "== go vet"
go vet ./...

echo "== other platforms"
# Type-checks the library, the CLI and their tests as GOOS=... go build and
# go vet see them (seconds, where compiling the standard library for each
# platform takes minutes on a fresh machine). CROSS_BUILD=1 also builds.
cross_targets="windows/amd64 darwin/arm64 freebsd/amd64"
# shellcheck disable=SC2086
go run ./internal/cmd/crosscheck -test $cross_targets
if [ "${CROSS_BUILD:-0}" = 1 ]; then
	for target in $cross_targets; do
		echo "GOOS=${target%/*} GOARCH=${target#*/} go build ./..."
		GOOS="${target%/*}" GOARCH="${target#*/}" go build ./...
	done
fi

echo "== exported API (api/)"
# Fails with the differences when an exported name or signature changed;
# after a deliberate change: go run ./internal/cmd/apicheck -w
go run ./internal/cmd/apicheck

echo "== staticcheck"
staticcheck_version=v0.8.2
tools="${GOFTPLIB_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/goftplib-tools}"
if ! "$tools/staticcheck" -version 2>/dev/null | grep -qF "(${staticcheck_version#v})"; then
	echo "installing staticcheck $staticcheck_version into $tools"
	GOBIN="$tools" go install "honnef.co/go/tools/cmd/staticcheck@$staticcheck_version"
fi
"$tools/staticcheck" ./...

echo "== go test -race"
# Without the servers the interop tests skip; FTP_INTEROP=required (set by
# .ci/run) turns a missing server into a failure.
go test -race -count=1 -timeout 25m ./...

echo "== fuzz smoke run"
FUZZTIME="${FUZZTIME:-3s}" bash scripts/fuzz.sh
