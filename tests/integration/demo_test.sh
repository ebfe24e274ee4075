#!/bin/sh
# demo_test.sh - `make demo` inside `make test`, so the story cannot rot: deploy/demo.sh
# with its own PostgreSQL and demo folder in a temp folder (removed afterwards),
# against $BUILD's binaries. Prints the demo's summary line, or all of it when it fails.
set -u
cd "$(dirname "$0")/../.." || exit 1
tmp=$(mktemp -d /tmp/baton-demo.XXXXXX) || exit 1
# As root the cluster runs as 'postgres', which must reach $tmp/pg.
chmod 755 "$tmp"
trap 'sh deploy/devdb.sh stop "$tmp/pg" >/dev/null 2>&1; rm -rf "$tmp"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

DEMO_DIR=$tmp/demo DEMO_PG_DIR=$tmp/pg BATON_PG_FAST=1 BUILD=${BUILD:-build} \
	timeout 300 sh deploy/demo.sh >"$tmp/demo.out" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
	tail -n 1 "$tmp/demo.out"
else
	cat "$tmp/demo.out"
	echo "demo_test: deploy/demo.sh exited $rc"
fi
exit $rc
