#!/bin/sh
# image_test.sh - `make image-test`: builds deploy/Dockerfile for real and runs the image,
# on a machine with no container daemon and no registry:
#
#  1 a Debian bookworm base made by debootstrap from Debian's mirror (cached in
#    var/image-test/rootfs) stands in for debian:bookworm-slim;
#  2 buildah (no daemon; chroot isolation; private vfs storage in a temp folder)
#    builds the image from a clean checkout of HEAD (the working tree when it has
#    changes to files the image uses);
#  3 the image's config: user baton, HEALTHCHECK, exposed ports, entrypoint batond;
#  4 batond runs from the image as that user against a private PostgreSQL on
#    127.0.0.1, the HEALTHCHECK's command says SERVING, /healthz answers ok and
#    /metrics counts the health calls.
#
# Needs root (debootstrap, buildah). Prints "N passed, N failed".
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
[ "$(id -u)" -eq 0 ] || { echo "image-test: needs root (debootstrap and buildah)" >&2; exit 2; }

cache=var/image-test
tmp=$(mktemp -d /tmp/baton-image.XXXXXX)
chmod 755 "$tmp"
B="buildah --root $tmp/storage --runroot $tmp/run --storage-driver vfs"
run_pid=""
pg_started=0
cleanup() {
	if [ -n "$run_pid" ]; then
		kill -TERM "-$run_pid" 2>/dev/null || true
		wait "$run_pid" 2>/dev/null || true
	fi
	$B rm --all >/dev/null 2>&1 || true
	[ "$pg_started" = 1 ] && sh deploy/devdb.sh stop "$tmp/pg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok - $1"; }
fail() { failed=$((failed + 1)); echo "not ok - $1"; }
finish() {
	echo
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit $?
}

# 1 the base image.
if [ ! -x "$cache/rootfs/bin/sh" ]; then
	echo "image-test: debootstrap bookworm into $cache/rootfs (a few minutes, once)"
	rm -rf "$cache/rootfs"
	mkdir -p "$cache"
	debootstrap --variant=minbase bookworm "$cache/rootfs" http://deb.debian.org/debian >"$tmp/debootstrap.log" 2>&1 ||
		{ tail -n 20 "$tmp/debootstrap.log"; fail "debootstrap bookworm"; finish; }
fi
ctr=$($B from scratch)
$B copy "$ctr" "$cache/rootfs/" / >/dev/null
$B commit -q "$ctr" localhost/baton-base:bookworm >/dev/null
$B rm "$ctr" >/dev/null
ok "a Debian bookworm base image"

# 2 the build, from a clean checkout.
mkdir -p "$tmp/ctx"
if [ -z "$(git status --porcelain -- Makefile include proto src deploy)" ]; then
	git archive HEAD | tar -x -C "$tmp/ctx"
	echo "image-test: building from HEAD ($(git rev-parse --short HEAD))"
else
	git ls-files -co --exclude-standard -z | tar -c --null -T - | tar -x -C "$tmp/ctx"
	echo "image-test: building from the working tree (it has changes)"
fi
if $B bud --format docker --isolation chroot --pull=never --layers=false \
	--build-arg DEBIAN_IMAGE=localhost/baton-base:bookworm \
	-f "$tmp/ctx/deploy/Dockerfile" -t localhost/baton:test "$tmp/ctx" >"$tmp/bud.log" 2>&1; then
	ok "deploy/Dockerfile builds ($(grep -c '^\[.*STEP' "$tmp/bud.log") steps)"
else
	tail -n 30 "$tmp/bud.log"
	fail "deploy/Dockerfile builds"
	finish
fi

# 3 the image's configuration.
cfg() { $B inspect --type image --format "$1" localhost/baton:test; }
user=$(cfg '{{.Docker.Config.User}}')
health=$(cfg '{{.Docker.Config.Healthcheck.Test}}')
ports=$(cfg '{{range $p, $v := .Docker.Config.ExposedPorts}}{{$p}} {{end}}')
entry=$(cfg '{{.Docker.Config.Entrypoint}}')
echo "image-test: user=$user entrypoint=$entry ports=$ports health=$health"
if [ "$user" = "baton:baton" ] && [ "$entry" = "[batond]" ] &&
	case "$health" in *batonctl*health*) true ;; *) false ;; esac &&
	case "$ports" in *7400/tcp*7480/tcp*) true ;; *) false ;; esac; then
	ok "runs batond as baton, exposes 7400 and 7480, HEALTHCHECK batonctl health"
else
	fail "image configuration"
fi

# 4 batond from the image, against a private PostgreSQL on 127.0.0.1.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
pgport=$(free_port)
sh deploy/devdb.sh start "$tmp/pg" >/dev/null
pg_started=1
psql -h "$tmp/pg/run" -p 5432 -U postgres -d postgres -q -c "ALTER SYSTEM SET listen_addresses = '127.0.0.1'" \
	-c "ALTER SYSTEM SET port = $pgport" >/dev/null
sh deploy/devdb.sh stop "$tmp/pg" && sh deploy/devdb.sh start "$tmp/pg" >/dev/null
rpc=$(free_port)
metrics=$(free_port)
ctr=$($B from --pull=never localhost/baton:test)
setsid $B run --isolation chroot \
	--env "BATON_DATABASE_URL=host=127.0.0.1 port=$pgport dbname=baton user=baton" \
	--env "BATON_LISTEN=tcp://127.0.0.1:$rpc" --env "BATON_METRICS_LISTEN=http://127.0.0.1:$metrics" \
	"$ctr" -- batond >"$tmp/batond.log" 2>&1 &
run_pid=$!
# The HEALTHCHECK's command (its CMD form), run inside the container.
set -- $(echo "$health" | sed 's/^\[CMD //; s/\]$//' | sed "s|tcp://127.0.0.1:7400|tcp://127.0.0.1:$rpc|")
i=0
until $B run --isolation chroot "$ctr" -- "$@" >"$tmp/health" 2>&1; do
	i=$((i + 1))
	if [ $i -ge 60 ] || ! kill -0 "$run_pid" 2>/dev/null; then
		tail -n 20 "$tmp/batond.log"
		cat "$tmp/health"
		break
	fi
	sleep 0.5
done
if grep -qx SERVING "$tmp/health"; then
	ok "batond serves from the image; its HEALTHCHECK says SERVING"
else
	fail "batond serves from the image"
fi
get() { python3 -c 'import sys, urllib.request; r = urllib.request.urlopen(sys.argv[1], timeout=5); sys.stdout.write(r.read().decode())' "$1"; }
if [ "$(get "http://127.0.0.1:$metrics/healthz" 2>&1)" = ok ] &&
	get "http://127.0.0.1:$metrics/metrics" | grep -q '^baton_rpc_calls_total{method="Health.Check",status="OK"} [1-9]'; then
	ok "/healthz says ok; /metrics counts the health checks"
else
	get "http://127.0.0.1:$metrics/metrics" 2>&1 | head -n 20
	fail "/healthz and /metrics from the image"
fi
# The image's user owns the keys batond made, 0600.
keys=$($B run --isolation chroot "$ctr" -- sh -c 'stat -c "%U %a" /var/lib/baton/keys/batond.key' 2>&1 || true)
if [ "$keys" = "baton 600" ]; then ok "the server key belongs to baton, mode 0600"; else
	echo "keys: $keys"
	fail "server key owner and mode"
fi
finish
