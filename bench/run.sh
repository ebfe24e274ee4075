#!/bin/sh
# run.sh - `make bench`: Baton's RPC layer, its secure channel and its handshakes versus a raw nng req/rep echo, measured in the same run; then tickets (bench/tickets.sh), the audit trail's cost (bench/audit.sh) and reports on a month of 1M events (bench/reports.sh).
#
# Starts a private PostgreSQL (fsync off) and batond in a temp folder under /tmp
# (batond's server key and the first admin's key are created there:
# --key-file $tmp/batond.key, --admin-key-file $tmp/admin.key), plus
# baton_bench's raw nng echo server, all on 127.0.0.1. Then, for 32 and 1 calls
# in flight, runs baton_bench's clients one after the other:
#   raw        the raw nng echo (the baseline);
#   plain      an unsealed Ping through libbaton without a key, which batond
#              refuses with UNAUTHENTICATED: frame, method table and reply, no
#              crypto, no handler (docs/benchmarks.md says why not Health/Check);
#   secure     Ping through libbaton opened with the admin key and the pinned
#              server key (batond.key.pub): every call sealed both ways;
# and last, with 32 and 1 threads, `handshake`: new client, one handshake,
# close, in a loop. Prints requests/s, p50 and p99, each mode's ratio to the raw
# echo of the same in-flight level, handshakes/s, and the verdict against the
# target: secure Ping >= 0.80x the raw echo's requests/s at 32 in flight.
# Then, against the same batond, the tickets part (bench/tickets.sh, which
# says what it does): take/pass throughput as a ratio to sealed Ping through
# the same agent clients, and list and take latency at 10k and 1M tickets
# with their ratio beside the target (large within 1.20x of small).
# Last, the audit trail part (bench/audit.sh, which says what it does): on a
# database of its own, take/pass through a batond that seals the audit trail
# versus one that does not, in alternating rounds, and their ratio.
# Then the reports part (bench/reports.sh, which says what it does): the
# Report RPC on a month of 1M events versus the same month at 10k, each on a
# database and batond of its own, as a lead and as a partner, against a budget.
# Builds nothing; a trap stops every process it started and removes the folder.
#
# Environment:
#   BUILD          build folder (default build)
#   BENCH_SECONDS  measured seconds per run (default 5, 1..60)
#   BENCH_WARMUP   warm-up seconds per run, not measured (default 1, 0..10)
#   BENCH_WORKERS  batond --workers (default: batond's own default, 8)
#   BENCH_PIN      1 = pin each server to CPU 0 and the clients to CPU 1 (taskset);
#                  PostgreSQL is not pinned
#   BENCH_ROUNDS   interleaved raw/secure rounds of 2 s at 32 in flight after the
#                  main runs (default 4, 0..20); the verdict is the median of the
#                  main run's secure/raw ratio and the rounds'
#   BENCH_TICKETS  1 (default): the tickets part runs; 0: not; only: the tickets
#                  part alone (no echo server, no channel runs, no audit part)
#   BENCH_AUDIT    1 (default): the audit trail part runs; 0: not; only: the audit
#                  part alone (with BENCH_TICKETS=only: those two parts)
#   BENCH_REPORTS  1 (default): the reports part runs; 0: not; only: the reports
#                  part alone (with other parts' "only": those parts)
#   BENCH_AUDIT_ROUNDS, BENCH_AUDIT_MAINTENANCE_MS: see bench/audit.sh
#   BENCH_REPORTS_SMALL, BENCH_REPORTS_LARGE, BENCH_REPORTS_ROUNDS: see bench/reports.sh
#   BENCH_TICKETS_SMALL, BENCH_TICKETS_LARGE, BENCH_TICKET_CLIENTS,
#   BENCH_TICKET_ROUNDS, BENCH_TICKET_SECONDS: see bench/tickets.sh
#                  (BENCH_TICKETS_LARGE=0 skips the 1M tickets)
#   BENCH_PG_NO_TRIM  1 = PostgreSQL runs with glibc's heap trimming off
#                  (MALLOC_TRIM_THRESHOLD_, MALLOC_TOP_PAD_); default 0 (stock)
#
# Exit status: 0 if every run completed without failed calls, 1 otherwise (the
# verdicts do not change it).
set -eu

BUILD=${BUILD:-build}
SECS=${BENCH_SECONDS:-5}
WARM=${BENCH_WARMUP:-1}
WORKERS=${BENCH_WORKERS:-}
PIN=${BENCH_PIN:-0}
ROUNDS=${BENCH_ROUNDS:-4}
TICKETS=${BENCH_TICKETS:-1}
AUDIT=${BENCH_AUDIT:-1}
REPORTS=${BENCH_REPORTS:-1}
PG_NO_TRIM=${BENCH_PG_NO_TRIM:-0}
ROUND_SECS=2
SIZE=128
ECHO_CONTEXTS=8
TARGET=0.80

die() { echo "bench: $*" >&2; exit 1; }

case $SECS in '' | *[!0-9]*) die "BENCH_SECONDS must be a whole number 1..60, not '$SECS'" ;; esac
if [ "$SECS" -lt 1 ] || [ "$SECS" -gt 60 ]; then
	die "BENCH_SECONDS must be 1..60, not '$SECS'"
fi
case $WARM in '' | *[!0-9]*) die "BENCH_WARMUP must be a whole number 0..10, not '$WARM'" ;; esac
[ "$WARM" -le 10 ] || die "BENCH_WARMUP must be 0..10, not '$WARM'"
if [ -n "$WORKERS" ]; then
	case $WORKERS in *[!0-9]*) die "BENCH_WORKERS must be a whole number, not '$WORKERS'" ;; esac
fi
case $PIN in 0 | 1) ;; *) die "BENCH_PIN must be 0 or 1, not '$PIN'" ;; esac
case $ROUNDS in '' | *[!0-9]*) die "BENCH_ROUNDS must be a whole number 0..20, not '$ROUNDS'" ;; esac
[ "$ROUNDS" -le 20 ] || die "BENCH_ROUNDS must be 0..20, not '$ROUNDS'"
case $TICKETS in 0 | 1 | only) ;; *) die "BENCH_TICKETS must be 0, 1 or only, not '$TICKETS'" ;; esac
case $AUDIT in 0 | 1 | only) ;; *) die "BENCH_AUDIT must be 0, 1 or only, not '$AUDIT'" ;; esac
case $REPORTS in 0 | 1 | only) ;; *) die "BENCH_REPORTS must be 0, 1 or only, not '$REPORTS'" ;; esac
# Which parts run: all that are on, unless some are "only": then those alone.
CHANNEL=1
if [ "$TICKETS" = only ] || [ "$AUDIT" = only ] || [ "$REPORTS" = only ]; then
	CHANNEL=0
	[ "$TICKETS" = only ] || TICKETS=0
	[ "$AUDIT" = only ] || AUDIT=0
	[ "$REPORTS" = only ] || REPORTS=0
fi
case $PG_NO_TRIM in 0 | 1) ;; *) die "BENCH_PG_NO_TRIM must be 0 or 1, not '$PG_NO_TRIM'" ;; esac
if [ "$TICKETS" != 0 ] || [ "$AUDIT" != 0 ] || [ "$REPORTS" != 0 ]; then
	. bench/tickets.sh # the audit and reports parts use its helpers and settings
	tickets_check
fi
if [ "$AUDIT" != 0 ]; then
	. bench/audit.sh
	audit_check
fi
if [ "$REPORTS" != 0 ]; then
	. bench/reports.sh
	reports_check
fi

bench=$BUILD/bench/baton_bench
for f in "$BUILD/batond" "$BUILD/batonctl" "$bench"; do
	[ -x "$f" ] || die "$f is missing; run 'make bench'"
done

if [ "$PIN" = 1 ]; then
	command -v taskset >/dev/null 2>&1 || die "BENCH_PIN=1 needs taskset (util-linux)"
	[ "$(nproc)" -ge 2 ] || die "BENCH_PIN=1 needs at least 2 CPUs"
	# Word-split on purpose; taskset execs the program, so $! stays its pid.
	on_server_cpu="taskset -c 0"
	on_client_cpu="taskset -c 1"
else
	on_server_cpu=
	on_client_cpu=
fi

tmp=$(mktemp -d /tmp/baton-bench.XXXXXX)
# As root, devdb.sh runs PostgreSQL as 'postgres', which must reach $tmp/pg.
chmod 711 "$tmp"
batond_pid=
echo_pid=
tk_batond_pid= # the tickets part's second batond (bench/tickets.sh)
au_batond_pid= # the audit part's batond (bench/audit.sh)
rp_small_pid=  # the reports part's batonds (bench/reports.sh)
rp_large_pid=
pg_started=0

# Sends SIGTERM to pid and waits up to 10 s for it to exit, then SIGKILL.
stop_process() {
	kill -TERM "$1" 2>/dev/null || true
	n=0
	while kill -0 "$1" 2>/dev/null && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if kill -0 "$1" 2>/dev/null; then
		echo "bench: process $1 ignored SIGTERM for 10 s; killing it" >&2
		kill -KILL "$1" 2>/dev/null || true
	fi
	wait "$1" 2>/dev/null || true
}

cleanup() {
	rc=$?
	trap - EXIT INT TERM
	[ -n "$batond_pid" ] && stop_process "$batond_pid"
	[ -n "$tk_batond_pid" ] && stop_process "$tk_batond_pid"
	[ -n "$au_batond_pid" ] && stop_process "$au_batond_pid"
	[ -n "$rp_small_pid" ] && stop_process "$rp_small_pid"
	[ -n "$rp_large_pid" ] && stop_process "$rp_large_pid"
	[ -n "$echo_pid" ] && stop_process "$echo_pid"
	if [ "$pg_started" = 1 ]; then
		sh deploy/devdb.sh stop "$tmp/pg" >/dev/null || echo "bench: could not stop PostgreSQL in $tmp/pg" >&2
	fi
	rm -rf "$tmp"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A loopback TCP port that is free now (the servers' start-up retries if
# another program takes it first).
free_port() {
	if command -v python3 >/dev/null 2>&1; then
		python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
	else
		od -An -N2 -tu2 /dev/urandom | awk '{ print 20000 + $1 % 40000 }'
	fi
}

# The bench starts several batonds at once; the default metrics port would let
# only the first one start. The secure/plain part's batond serves /metrics on a
# port of its own, as a deployed one does (its counters are on every call's
# path); the other parts' batonds turn it off.
export BATON_METRICS_LISTEN=off

# ---- PostgreSQL --------------------------------------------------------------

pg_started=1
# BENCH_PG_NO_TRIM=1: glibc in PostgreSQL's processes keeps freed heap
# memory rather than giving it back after every statement and faulting it
# in again (docs/benchmarks.md, "Tickets" says why one would look).
pg_env=
[ "$PG_NO_TRIM" = 1 ] && pg_env="MALLOC_TRIM_THRESHOLD_=268435456 MALLOC_TOP_PAD_=67108864"
# Word-split on purpose: pg_env is empty or NAME=VALUE words.
conninfo=$(env $pg_env BATON_PG_FAST=1 sh deploy/devdb.sh start "$tmp/pg") || die "could not start PostgreSQL"

# start_server NAME LAUNCH READY TRIES: up to 3 times, picks a free loopback
# URL ($url), runs LAUNCH (which starts the server in the background and sets
# server_pid), and polls READY every 0.1 s, at most TRIES times, until it
# succeeds. On success sets server_url; a launch that never gets ready is stopped.
start_server() {
	server_url=
	attempt=0
	while [ -z "$server_url" ] && [ $attempt -lt 3 ]; do
		attempt=$((attempt + 1))
		url=tcp://127.0.0.1:$(free_port)
		"$2"
		n=0
		while [ $n -lt "$4" ]; do
			if "$3"; then
				server_url=$url
				break
			fi
			kill -0 "$server_pid" 2>/dev/null || break
			sleep 0.1
			n=$((n + 1))
		done
		if [ -z "$server_url" ]; then
			stop_process "$server_pid"
			server_pid=
		fi
	done
	[ -n "$server_url" ] || { tail -n 20 "$tmp/$1.log" >&2 || true; die "$1 did not start"; }
}

# ---- batond ------------------------------------------------------------------

# batond creates both keys on its first start (the database is empty); a retry
# on another port reuses them. The handshake runs' sessions do not pile up:
# batond keeps at most --max-sessions-per-principal per principal.
server_key=$tmp/batond.key
admin_key=$tmp/admin.key
launch_batond() {
	set -- --listen "$url" --database-url "$conninfo" --log-level warn \
		--key-file "$server_key" --admin-key-file "$admin_key" --max-sessions 1000000 \
		--metrics-listen "http://127.0.0.1:$(free_port)"
	[ -n "$WORKERS" ] && set -- "$@" --workers "$WORKERS"
	$on_server_cpu "$BUILD/batond" "$@" 2>>"$tmp/batond.log" &
	server_pid=$!
	batond_pid=$server_pid
}
batond_ready() { "$BUILD/batonctl" --url "$url" --timeout-ms 1000 health >/dev/null 2>&1; }

start_server batond launch_batond batond_ready 100
batond_pid=$server_pid
batond_url=$server_url
for f in "$server_key" "$server_key.pub" "$admin_key"; do
	[ -s "$f" ] || die "batond did not create $f"
done

# ---- runs --------------------------------------------------------------------

failures=0
n_runs=0

# run MODE IN_FLIGHT URL [ARGS...]: one client run; its `name: value` lines go
# to $tmp/MODE-IN_FLIGHT.out.
run() {
	run_mode=$1 run_c=$2 run_url=$3
	shift 3
	out=$tmp/$run_mode-$run_c.out
	n_runs=$((n_runs + 1))
	if $on_client_cpu "$bench" client -m "$run_mode" -u "$run_url" -c "$run_c" -d "$SECS" -w "$WARM" -s "$SIZE" "$@" \
		>"$out" 2>"$tmp/$run_mode-$run_c.err"; then
		:
	else
		failures=$((failures + 1))
		echo "bench: $run_mode at $run_c in flight: the client reported failures:" >&2
		sed 's/^/  /' "$tmp/$run_mode-$run_c.err" >&2
	fi
	grep -q '^requests_per_s: ' "$out" || die "$run_mode at $run_c in flight produced no figures"
}

# value MODE IN_FLIGHT NAME
value() { sed -n "s/^$3: //p" "$tmp/$1-$2.out"; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

# ratio_to_raw MODE IN_FLIGHT
ratio_to_raw() { ratio "$(value "$1" "$2" requests_per_s)" "$(value raw "$2" requests_per_s)"; }

nng_version=$(dpkg-query -W -f='${Version}' libnng1 2>/dev/null || echo unknown)
echo "machine: $(nproc) CPUs, kernel $(uname -r), nng $nng_version; every run on 127.0.0.1 TCP"
pg_version=$(psql "$conninfo" -XAtqc 'SHOW server_version' 2>/dev/null || echo unknown)
echo "PostgreSQL $pg_version, fsync off, $([ "$PG_NO_TRIM" = 1 ] &&
	echo "glibc heap trimming off (BENCH_PG_NO_TRIM=1)" || echo "stock glibc malloc"); batond ${WORKERS:-8} workers"

# ---- secure channel versus the raw echo ----------------------------------------

if [ "$CHANNEL" = 1 ]; then
	# The raw echo server.

	# Runs at most this long even if this script is killed without its trap.
	echo_max_s=$((8 * (SECS + WARM) + 2 * ROUNDS * (ROUND_SECS + 1) + 120))
	launch_echo() {
		$on_server_cpu "$bench" echo-server -u "$url" -n "$ECHO_CONTEXTS" -t "$echo_max_s" \
			>"$tmp/echo.out" 2>>"$tmp/echo.log" &
		server_pid=$!
		echo_pid=$server_pid
	}
	echo_ready() { grep -q '^listening ' "$tmp/echo.out"; }

	start_server echo launch_echo echo_ready 50
	echo_pid=$server_pid
	echo_url=$server_url

	echo "baton bench: ${SECS} s per run after ${WARM} s warm-up, ${SIZE}-byte payload, 127.0.0.1 TCP"
	echo "batond: ${WORKERS:-8 (default)} workers, --log-level warn; raw echo: $ECHO_CONTEXTS contexts; pinned: $([ "$PIN" = 1 ] && echo 'servers CPU 0, clients CPU 1' || echo no)"
	echo "modes: raw = nng echo; plain = unsealed Ping refused UNAUTHENTICATED (RPC layer, no crypto);"
	echo "       secure = sealed Ping in one session (admin key, pinned server key); handshake = open, handshake, close"
	echo

	for c in 32 1; do
		run raw "$c" "$echo_url"
		run plain "$c" "$batond_url"
		run secure "$c" "$batond_url" -k "$admin_key" -p "$server_key.pub"
	done
	for c in 32 1; do
		run handshake "$c" "$batond_url" -k "$admin_key" -p "$server_key.pub"
	done
	# Interleaved rounds at 32 in flight: raw, then secure, ROUNDS times, so that
	# slow drift of a shared machine falls on both alike; the verdict uses the
	# median of every secure/raw ratio (the main run's and the rounds').
	round_ratios=$(ratio_to_raw secure 32)
	i=1
	while [ "$i" -le "$ROUNDS" ]; do
		for m in raw secure; do
			run_url=$echo_url
			set --
			if [ "$m" = secure ]; then
				run_url=$batond_url
				set -- -k "$admin_key" -p "$server_key.pub"
			fi
			n_runs=$((n_runs + 1))
			if ! $on_client_cpu "$bench" client -m "$m" -u "$run_url" -c 32 -d "$ROUND_SECS" -w 1 -s "$SIZE" "$@" \
				>"$tmp/round-$m-$i.out" 2>"$tmp/round-$m-$i.err"; then
				failures=$((failures + 1))
				echo "bench: round $i, $m: the client reported failures:" >&2
				sed 's/^/  /' "$tmp/round-$m-$i.err" >&2
			fi
		done
		round_ratios="$round_ratios $(ratio "$(sed -n 's/^requests_per_s: //p' "$tmp/round-secure-$i.out")" \
			"$(sed -n 's/^requests_per_s: //p' "$tmp/round-raw-$i.out")")"
		i=$((i + 1))
	done

	printf '%-7s %9s %12s %10s %10s %7s %7s\n' mode in-flight requests/s p50_us p99_us errors vs_raw
	for c in 32 1; do
		for m in raw plain secure; do
			printf '%-7s %9s %12s %10s %10s %7s %7s\n' "$m" "$c" "$(value $m $c requests_per_s)" \
				"$(value $m $c p50_us)" "$(value $m $c p99_us)" "$(value $m $c errors)" \
				"$(ratio_to_raw $m $c)"
		done
	done
	echo "(secure runs: $(value secure 32 handshakes) and $(value secure 1 handshakes) handshake(s) in all; 1 = one session served every call)"
	echo
	printf '%-9s %7s %12s %10s %10s %14s %14s %7s\n' mode threads handshakes/s p50_us p99_us cycle_p50_us cycle_p99_us errors
	for c in 32 1; do
		printf '%-9s %7s %12s %10s %10s %14s %14s %7s\n' handshake "$c" "$(value handshake $c requests_per_s)" \
			"$(value handshake $c p50_us)" "$(value handshake $c p99_us)" \
			"$(value handshake $c cycle_p50_us)" "$(value handshake $c cycle_p99_us)" "$(value handshake $c errors)"
	done
	echo "(p50/p99: baton_session_open alone, one handshake; cycle: baton_client_open + handshake + close)"

	r32=$(echo "$round_ratios" | tr ' ' '\n' | grep -v '^n/a$' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2];
		                         else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
	r1=$(ratio_to_raw secure 1)
	verdict=$(awk -v r="$r32" -v t="$TARGET" 'BEGIN { print (r != "n/a" && r + 0 >= t + 0) ? "met" : "NOT met" }')
	echo
	echo "plain/raw requests/s: $(ratio_to_raw plain 32) at 32 in flight, $(ratio_to_raw plain 1) at 1 in flight"
	echo "secure/raw requests/s: $(ratio_to_raw secure 32) at 32 in flight, $r1 at 1 in flight"
	echo "secure/raw at 32 in flight, main run then $ROUNDS interleaved rounds of ${ROUND_SECS} s: $round_ratios"
	echo "secure Ping vs raw echo at 32 in flight (median of those): $r32 (target >= $TARGET: $verdict)"

	# The echo server is done; the tickets part does not use it.
	stop_process "$echo_pid"
	echo_pid=
fi

# ---- tickets -------------------------------------------------------------------

if [ "$TICKETS" != 0 ]; then
	tickets_run
fi

# ---- audit trail -----------------------------------------------------------------

if [ "$AUDIT" != 0 ]; then
	audit_run
fi

# ---- reports ---------------------------------------------------------------------

if [ "$REPORTS" != 0 ]; then
	reports_run
fi

if [ "$failures" -gt 0 ]; then
	echo "bench: $failures of $n_runs runs had failed calls (see the errors columns); the figures are not valid" >&2
	exit 1
fi
