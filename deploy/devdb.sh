#!/bin/sh
# devdb.sh - a private PostgreSQL cluster in one folder, reachable only by unix socket.
#
#   devdb.sh start DIR      create the cluster on first use, start it, print its conninfo
#   devdb.sh stop DIR       stop it (fast shutdown)
#   devdb.sh conninfo DIR   print the libpq connection string
#   devdb.sh status DIR     exit 0 if running
#   devdb.sh fresh DIR NAME drop database NAME if it exists (ending its sessions), create it
#                           empty, owned by baton; print its conninfo (the cluster must run)
#
# Used by `make run` (DIR = var/pg) and by the integration tests (DIR = a temp dir).
# PostgreSQL refuses to run as root, so as root the cluster belongs to the
# unprivileged 'postgres' account (BATON_PG_USER overrides); as any other user
# it runs as that user. Environment: BATON_PG_FAST=1 turns fsync off (tests only).
set -eu

die() { echo "devdb: $*" >&2; exit 1; }

usage="usage: devdb.sh start|stop|conninfo|status DIR, or devdb.sh fresh DIR NAME"
cmd=${1:-}
if [ "$cmd" = fresh ]; then [ $# -eq 3 ] || die "$usage"; else [ $# -eq 2 ] || die "$usage"; fi
mkdir -p "$2"
dir=$(cd "$2" && pwd)
data="$dir/data"
sock="$dir/run"
log="$dir/postgres.log"

pgbin=${BATON_PG_BIN:-}
if [ -z "$pgbin" ]; then
	for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -n -r); do
		[ -x "$d/pg_ctl" ] && { pgbin=$d; break; }
	done
fi
[ -n "$pgbin" ] && [ -x "$pgbin/pg_ctl" ] || die "PostgreSQL server programs not found under /usr/lib/postgresql (run 'make deps')"

# Run a PostgreSQL program as the cluster's owner.
if [ "$(id -u)" -eq 0 ]; then
	owner=${BATON_PG_USER:-postgres}
	id "$owner" >/dev/null 2>&1 || die "user '$owner' does not exist (install postgresql, or set BATON_PG_USER)"
	as_owner() { runuser -u "$owner" -- "$@"; }
else
	owner=$(id -un)
	as_owner() { "$@"; }
fi

conninfo() { echo "host=$sock port=5432 dbname=${1:-baton} user=baton"; }

running() { as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

case "$cmd" in
start)
	if [ ! -s "$data/PG_VERSION" ]; then
		mkdir -p "$data" "$sock"
		if [ "$(id -u)" -eq 0 ]; then
			chown "$owner" "$dir" "$data" "$sock"
			as_owner test -x "$dir" || die "$owner cannot reach $dir (a parent folder is not searchable by that user)"
		fi
		chmod 700 "$data"
		# The bootstrap superuser is "postgres"; batond connects as "baton", an
		# ordinary role that owns its database, so that row-level security
		# (partner isolation) applies to it.
		as_owner "$pgbin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
			--no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
		# Unix socket only; the socket folder is private to this cluster.
		cat >>"$data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$sock'
unix_socket_permissions = 0700
port = 5432
CONF
		if [ "${BATON_PG_FAST:-0}" = 1 ]; then
			printf 'fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n' >>"$data/postgresql.conf"
		fi
		created=1
	else
		created=0
	fi
	if ! running; then
		as_owner "$pgbin/pg_ctl" -D "$data" -l "$log" -w -t 60 start >/dev/null \
			|| { tail -n 20 "$log" >&2 || true; die "PostgreSQL did not start (log: $log)"; }
	fi
	if [ "$created" = 1 ]; then
		as_owner "$pgbin/psql" -h "$sock" -p 5432 -U postgres -d postgres -q -v ON_ERROR_STOP=1 \
			-c "CREATE ROLE baton LOGIN NOSUPERUSER NOBYPASSRLS CREATEDB" >/dev/null || die "creating role baton failed"
		as_owner "$pgbin/createdb" -h "$sock" -p 5432 -U postgres -O baton baton || die "createdb failed"
	elif as_owner "$pgbin/psql" -h "$sock" -p 5432 -U baton -d baton -Atqc \
		"SELECT rolsuper FROM pg_roles WHERE rolname = current_user" 2>/dev/null | grep -qx t; then
		die "the cluster in $dir was made by an older Baton (role baton is a superuser, which batond now refuses); remove it (make distclean) and start again"
	fi
	conninfo
	;;
stop)
	if [ -s "$data/PG_VERSION" ] && running; then
		as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w -t 60 stop >/dev/null
	fi
	;;
conninfo)
	conninfo
	;;
status)
	running
	;;
fresh)
	# As role baton (CREATEDB), which owns what it creates; never the database of `make run`.
	name=$3
	case "$name" in baton | postgres | template* | '' | *[!a-z0-9_]*)
		die "fresh: '$name' is not a name for a throw-away database (a-z, 0-9, _; not baton)" ;;
	esac
	running || die "the cluster in $dir is not running (devdb.sh start $2)"
	as_owner "$pgbin/psql" -h "$sock" -p 5432 -U baton -d postgres -X -q -v ON_ERROR_STOP=1 \
		-c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $name WITH (FORCE)" -c "CREATE DATABASE $name" >/dev/null \
		|| die "could not recreate database $name"
	conninfo "$name"
	;;
*)
	die "unknown command '$cmd' (start|stop|conninfo|status|fresh)"
	;;
esac
