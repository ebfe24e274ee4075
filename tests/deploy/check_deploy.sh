#!/bin/sh
# check_deploy.sh - deploy/ checked as far as a machine without a container engine allows
# (run by `make test`; `make image-test` builds and runs the image for real where buildah
# and debootstrap work).
#
#  1 docker-compose validates deploy/docker-compose.yml with deploy/.env.example
#  2 ... and refuses to start without the passwords, naming the variable
#  3 .env.example documents exactly the variables the compose file reads, and every
#    BATON_* setting the compose file or Dockerfile passes is one batond knows
#  4 the Dockerfile's runtime stage runs as a non-root user, exposes the RPC and
#    metrics ports its ENV listens on, and checks health with `batonctl health`
#  5 the Dockerfile's build stage: exactly the files it COPYs build batond and batonctl
#    from a clean checkout (git archive HEAD when this is a git checkout)
#  6 the runtime stage's packages (make runtime-pkgs) hold every shared library those
#    binaries need (libc6 comes with every Debian image)
#  7 postgres-init/10-baton.sh makes an ordinary role (not superuser, no BYPASSRLS)
#    owning its database, on a real PostgreSQL; batond starts as that role and the
#    Dockerfile's HEALTHCHECK command says SERVING
#
# Prints cmocka-style "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)" for tests/run.sh.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
cd "$here"
BUILD=${BUILD:-build}
compose=deploy/docker-compose.yml
envex=deploy/.env.example
dockerfile=deploy/Dockerfile

tmp=$(mktemp -d /tmp/baton-deploy.XXXXXX)
chmod 755 "$tmp"
batond_pid=""
pg_started=0
cleanup() {
	if [ -n "$batond_pid" ]; then
		kill -TERM "$batond_pid" 2>/dev/null
		wait "$batond_pid" 2>/dev/null
	fi
	[ "$pg_started" = 1 ] && sh deploy/devdb.sh stop "$tmp/pg" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

passed=0
failed=0
n=0
check() { # check DESCRIPTION: runs "step_$n"; its output is shown when it fails
	n=$((n + 1))
	if "step_$n" >"$tmp/out" 2>&1; then
		passed=$((passed + 1))
		echo "ok $n - $1"
	else
		failed=$((failed + 1))
		echo "not ok $n - $1"
		sed 's/^/    /' "$tmp/out"
	fi
}

# The passwords .env.example leaves empty, supplied as the operator would in .env.
dc() { POSTGRES_PASSWORD=pw-super BATON_DB_PASSWORD=pw-baton docker-compose -f "$compose" --env-file "$envex" "$@"; }

step_1() {
	dc config -q || return 1
	services=$(dc --profile multi config --services | sort | tr '\n' ' ')
	[ "$services" = "batond batond-2 postgres " ] || { echo "services: $services"; return 1; }
	# batond waits for a healthy database; both restart by themselves.
	dc config | grep -q "condition: service_healthy" || { echo "no service_healthy dependency"; return 1; }
	[ "$(dc config | grep -c 'restart: unless-stopped')" -eq 3 ] || { echo "restart policy missing"; return 1; }
}

step_2() {
	if docker-compose -f "$compose" --env-file "$envex" config -q >"$tmp/err" 2>&1; then
		echo "validated without passwords"
		return 1
	fi
	grep -q "set POSTGRES_PASSWORD in deploy/.env" "$tmp/err" || { cat "$tmp/err"; return 1; }
}

step_3() {
	rc=0
	grep -o '\${[A-Z0-9_]*' "$compose" | tr -d '${' | sort -u >"$tmp/used"
	sed -n 's/^#\{0,1\}\([A-Z][A-Z0-9_]*\)=.*/\1/p' "$envex" | sort -u >"$tmp/documented"
	missing=$(comm -23 "$tmp/used" "$tmp/documented")
	extra=$(comm -13 "$tmp/used" "$tmp/documented")
	[ -z "$missing" ] || { echo "read by the compose file, not in .env.example:" $missing; rc=1; }
	[ -z "$extra" ] || { echo "in .env.example, not read by the compose file:" $extra; rc=1; }
	"$BUILD/batond" --config-reference | grep -o '`BATON_[A-Z0-9_]*`' | tr -d '`' | sort -u >"$tmp/known"
	{
		# The keys of services: batond: environment: in the resolved file.
		dc config | awk '/^  [^ ]/ { svc = $1 } /^    [^ ]/ { sec = $1 }
			svc == "batond:" && sec == "environment:" && /^      BATON_/ { sub(/:.*/, ""); print $1 }'
		sed -n 's/^ *\(ENV \)\{0,1\}\(BATON_[A-Z0-9_]*\)=.*/\2/p' "$dockerfile"
	} | sort -u >"$tmp/passed"
	unknown=$(comm -23 "$tmp/passed" "$tmp/known")
	[ -z "$unknown" ] || { echo "not a batond setting:" $unknown; rc=1; }
	[ -s "$tmp/passed" ] || { echo "found no BATON_* settings passed"; rc=1; }
	return $rc
}

# The runtime stage, from its FROM line to the end, continuation lines joined.
runtime_stage() { sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$dockerfile" | sed -n '/^FROM .* AS runtime/,$p'; }

step_4() {
	rc=0
	user=$(runtime_stage | sed -n 's/^USER \([^:]*\).*/\1/p' | tail -n 1)
	case "$user" in "" | root | 0) echo "runtime stage runs as '${user:-root}'"; rc=1 ;; esac
	ports=$(runtime_stage | sed -n 's/^EXPOSE //p')
	for var in BATON_LISTEN BATON_METRICS_LISTEN; do
		port=$(runtime_stage | sed -n "s|.*$var=[a-z]*://[^ ]*:\([0-9]*\).*|\1|p")
		case " $ports " in *" $port "*) ;; *) echo "$var port '$port' not in EXPOSE '$ports'"; rc=1 ;; esac
	done
	runtime_stage | grep -q '^HEALTHCHECK .*CMD \["batonctl",.*"health"\]' || { echo "no HEALTHCHECK with batonctl health"; rc=1; }
	return $rc
}

# Files the build stage copies (COPY lines before the runtime stage, not --from).
build_copies() {
	sed -n '/^FROM .* AS build/,/^FROM .* AS runtime/p' "$dockerfile" |
		sed -n 's/^COPY \([^-][^ ]*\) .*/\1/p'
}

step_5() {
	mkdir -p "$tmp/src"
	if git rev-parse --git-dir >/dev/null 2>&1 && [ -z "$(git status --porcelain -- $(build_copies))" ]; then
		git archive HEAD $(build_copies) | tar -x -C "$tmp/src" || return 1
	else
		# Uncommitted changes in what the image copies: check the working tree instead.
		for f in $(build_copies); do mkdir -p "$tmp/src/$(dirname "$f")" && cp -R "$f" "$tmp/src/$f" || return 1; done
	fi
	# The image's build command, with the Makefile's defaults (not this run's SAN/BUILD).
	(cd "$tmp/src" && env -u BUILD -u SAN -u OPT -u CFLAGS -u LDFLAGS -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
		make -s -j2 BUILD=build SAN=0 all) >"$tmp/build.log" 2>&1 ||
		{ tail -n 20 "$tmp/build.log"; return 1; }
	"$tmp/src/build/batond" --help >/dev/null && "$tmp/src/build/batonctl" --help >/dev/null
}

# The Debian package that holds a shared library the binaries need.
package_of() {
	path=$(ldconfig -p | awk -v l="$1" '$1 == l { print $NF; exit }')
	[ -n "$path" ] || return 1
	dpkg -S "*/$(basename "$path")" 2>/dev/null | sed -n 's/^\([^:]*\):.*/\1/p' | sort -u | head -n 1
}

step_6() {
	[ -x "$tmp/src/build/batond" ] || { echo "no binaries (step 5 failed)"; return 1; }
	make -s runtime-pkgs | sort -u >"$tmp/runtime"
	grep -q . "$tmp/runtime" || return 1
	rc=0
	for lib in $(readelf -d "$tmp/src/build/batond" "$tmp/src/build/batonctl" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' | sort -u); do
		pkg=$(package_of "$lib")
		case "$pkg" in
		"") echo "$lib: no Debian package found"; rc=1 ;;
		libc6) ;;
		*) grep -qx "$pkg" "$tmp/runtime" || { echo "$lib is in $pkg, which RUNTIME_PKGS lacks"; rc=1; } ;;
		esac
		echo "$lib -> ${pkg:-?}"
	done
	return $rc
}

psql_super() { psql -h "$tmp/pg/run" -p 5432 -U postgres -d "$1" -Atqc "$2"; }

step_7() {
	conninfo=$(BATON_PG_FAST=1 sh deploy/devdb.sh start "$tmp/pg") || return 1
	pg_started=1
	# As the postgres image runs it: executed, as the bootstrap superuser, on the socket.
	PGHOST="$tmp/pg/run" PGPORT=5432 POSTGRES_USER=postgres BATON_DB_NAME=helpdesk_baton \
		BATON_DB_USER=baton_app BATON_DB_PASSWORD="it's a secret" sh deploy/postgres-init/10-baton.sh || return 1
	[ "$(psql_super postgres "SELECT rolsuper, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = 'baton_app'")" = "f|f|t" ] ||
		{ echo "role baton_app is not an ordinary login role"; return 1; }
	[ "$(psql_super postgres "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = 'helpdesk_baton'")" = baton_app ] ||
		{ echo "database not owned by baton_app"; return 1; }
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	BATON_DATABASE_URL="host=$tmp/pg/run port=5432 dbname=helpdesk_baton user=baton_app" \
		BATON_LISTEN="tcp://127.0.0.1:$port" BATON_METRICS_LISTEN=off \
		BATON_KEY_FILE="$tmp/keys/batond.key" BATON_ADMIN_KEY_FILE="$tmp/keys/admin.key" \
		"$tmp/src/build/batond" >"$tmp/batond.log" 2>&1 &
	batond_pid=$!
	# The HEALTHCHECK's own command line, pointed at this batond's port.
	cmd=$(runtime_stage | sed -n 's/^HEALTHCHECK .*CMD \[\(.*\)\]/\1/p' | tr -d '",' | sed "s|tcp://127.0.0.1:7400|tcp://127.0.0.1:$port|")
	[ -n "$cmd" ] || { echo "no HEALTHCHECK CMD"; return 1; }
	i=0
	until PATH="$tmp/src/build:$PATH" $cmd >"$tmp/health" 2>&1; do
		i=$((i + 1))
		if [ $i -ge 100 ] || ! kill -0 "$batond_pid" 2>/dev/null; then
			echo "health check never passed: $(cat "$tmp/health")"
			tail -n 20 "$tmp/batond.log"
			return 1
		fi
		sleep 0.2
	done
	grep -qx SERVING "$tmp/health" || { cat "$tmp/health"; return 1; }
	[ "$(stat -c %a "$tmp/keys/batond.key")" = 600 ] || { echo "server key not 0600"; return 1; }
	# The password never reaches the log.
	! grep -q "it's a secret" "$tmp/batond.log"
}

check "docker-compose validates the compose file with .env.example"
check "docker-compose refuses to run without the passwords"
check ".env.example documents exactly what the compose file reads; settings are batond's"
check "the image runs as non-root, exposes its ports, checks health with batonctl"
check "the build stage's files build batond and batonctl from a clean checkout"
check "the runtime packages hold every shared library the binaries need"
check "the init script's role owns the database; batond runs as it and is healthy"

echo
if [ "$failed" -eq 0 ]; then
	echo "[  PASSED  ] $passed test(s)."
else
	echo "[  PASSED  ] $passed test(s)."
	echo "[  FAILED  ] $failed test(s)"
fi
[ "$failed" -eq 0 ]
