#!/bin/sh
# run-dev.sh - `make run`: batond on tcp://127.0.0.1:7400, with a private PostgreSQL under var/pg
# when BATON_DATABASE_URL is not set. Ctrl-C (or SIGTERM) stops batond, then the database.
set -eu
BUILD=${BUILD:-build}
here=$(cd "$(dirname "$0")/.." && pwd)
cd "$here"

private=0
if [ -z "${BATON_DATABASE_URL:-}" ]; then
	echo "run: no BATON_DATABASE_URL: using the private PostgreSQL in var/pg (unix socket only)"
	BATON_DATABASE_URL=$(sh deploy/devdb.sh start var/pg)
	export BATON_DATABASE_URL
	private=1
fi
export BATON_LISTEN="${BATON_LISTEN:-tcp://127.0.0.1:7400}"

batond_pid=""
stop() {
	trap - INT TERM EXIT
	if [ -n "$batond_pid" ] && kill -0 "$batond_pid" 2>/dev/null; then
		kill -TERM "$batond_pid" 2>/dev/null || true
		wait "$batond_pid" 2>/dev/null || true
	fi
	if [ "$private" = 1 ]; then
		sh deploy/devdb.sh stop var/pg && echo "run: private PostgreSQL stopped"
	fi
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

echo "run: batond on $BATON_LISTEN (Ctrl-C stops). Keys are under var/: as the first admin, try"
echo "run:   export BATON_KEY=var/admin.key BATON_SERVER_KEY=var/batond.key.pub"
echo "run:   $BUILD/batonctl whoami"
"$BUILD/batond" "$@" &
batond_pid=$!
# Wait for batond itself; a signal interrupts the wait and runs stop().
set +e
wait "$batond_pid"
rc=$?
batond_pid=""
exit $rc
