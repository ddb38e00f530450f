#!/usr/bin/env bash
# The project's test command (README, .ci/run): installs the real FTP
# servers the interop tests use (Debian packages, as root), checks
# formatting and vet, and runs every test with the race detector.
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

echo "== go test -race"
# Without the servers the interop tests skip; FTP_INTEROP=required (set by
# .ci/run) turns a missing server into a failure.
go test -race -count=1 -timeout 25m ./...

echo "== fuzz smoke run"
FUZZTIME="${FUZZTIME:-3s}" bash scripts/fuzz.sh
