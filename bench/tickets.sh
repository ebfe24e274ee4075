# tickets.sh - `make bench`'s tickets part, sourced by run.sh: take/pass throughput, and list and take latency at 10k and 1M tickets in interleaved rounds.
#
# run.sh calls tickets_check before it starts anything, and tickets_run once
# PostgreSQL and its batond run. tickets_run uses run.sh's $tmp, $conninfo,
# $batond_url, $admin_key, $server_key, $bench, $BUILD, $WORKERS, $SECS,
# $WARM, $on_server_cpu, $on_client_cpu, die, ratio, start_server,
# batond_ready and its failure counters (failures, n_runs).
#
#   1. Two databases in the same PostgreSQL: run.sh's "baton" (the small
#      size, served by run.sh's batond) and "baton_large" (the large size,
#      served by a second batond this part starts and run.sh's trap stops).
#   2. In each, `baton_bench tickets-setup`: as the admin, partner
#      organizations bench-en, bench-es and bench-pl with keyless staff, a
#      live English slot open to bench-en, and $TK_CLIENTS agents of
#      bench-en with their own keys, each holding a seat on it.
#   3. bench/tickets_gen.sql through psql as the database owner (scope
#      'all'): tickets 1 .. $TK_SMALL in "baton" and 1 .. $TK_LARGE in
#      "baton_large" (so the large table holds the small one's tickets and
#      more), then VACUUM (ANALYZE).
#   4. Latency, one client: $TK_ROUNDS rounds, each ListTickets of bench-en
#      (first page of 50) on both sizes, then take-and-pass-back on both,
#      the order of the sizes alternating, so that the machine's drift
#      falls on both alike. The ratios are large/small per round; the
#      verdict is their median beside the target.
#   5. Throughput, $TK_CLIENTS agents at once: sealed Ping (the baseline),
#      then take/pass, through the same clients, on each size.
#
# Environment (run.sh checks its own):
#   BENCH_TICKETS_SMALL    tickets of the small size (default 10000, 2000..1000000)
#   BENCH_TICKETS_LARGE    tickets of the large size (default 1000000; 0 skips it and
#                          its second batond; else more than the small size, at most
#                          10000000)
#   BENCH_TICKET_CLIENTS   agents for throughput (default 8, 1..64)
#   BENCH_TICKET_ROUNDS    latency rounds (default 3, 1..20)
#   BENCH_TICKET_SECONDS   measured seconds of each latency run (default 3, 1..60);
#                          throughput runs last BENCH_SECONDS

# The helpers below tickets_check (tk_*) also serve the audit part
# (bench/audit.sh), which sets up its own database the same way.

# tickets_check: reads and checks the settings above; run.sh calls it before
# it starts anything.
tickets_check() {
	TK_SMALL=${BENCH_TICKETS_SMALL:-10000}
	TK_LARGE=${BENCH_TICKETS_LARGE:-1000000}
	TK_CLIENTS=${BENCH_TICKET_CLIENTS:-8}
	TK_ROUNDS=${BENCH_TICKET_ROUNDS:-3}
	TK_SECS=${BENCH_TICKET_SECONDS:-3}
	TK_TARGET=1.20
	TK_IDS=2000 # tickets the take runs cycle through, sampled at random from the queue

	for v in "BENCH_TICKETS_SMALL=$TK_SMALL" "BENCH_TICKETS_LARGE=$TK_LARGE" "BENCH_TICKET_CLIENTS=$TK_CLIENTS" \
		"BENCH_TICKET_ROUNDS=$TK_ROUNDS" "BENCH_TICKET_SECONDS=$TK_SECS"; do
		case ${v#*=} in '' | *[!0-9]*) die "${v%%=*} must be a whole number, not '${v#*=}'" ;; esac
	done
	if [ "$TK_SMALL" -lt 2000 ] || [ "$TK_SMALL" -gt 1000000 ]; then
		die "BENCH_TICKETS_SMALL must be 2000..1000000, not '$TK_SMALL'"
	fi
	if [ "$TK_LARGE" -ne 0 ] && { [ "$TK_LARGE" -le "$TK_SMALL" ] || [ "$TK_LARGE" -gt 10000000 ]; }; then
		die "BENCH_TICKETS_LARGE must be 0, or more than BENCH_TICKETS_SMALL ($TK_SMALL) and at most 10000000, not '$TK_LARGE'"
	fi
	[ "$TK_CLIENTS" -ge 1 ] && [ "$TK_CLIENTS" -le 64 ] || die "BENCH_TICKET_CLIENTS must be 1..64, not '$TK_CLIENTS'"
	[ "$TK_ROUNDS" -ge 1 ] && [ "$TK_ROUNDS" -le 20 ] || die "BENCH_TICKET_ROUNDS must be 1..20, not '$TK_ROUNDS'"
	[ "$TK_SECS" -ge 1 ] && [ "$TK_SECS" -le 60 ] || die "BENCH_TICKET_SECONDS must be 1..60, not '$TK_SECS'"

	psql_bin=$(command -v psql 2>/dev/null || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -n 1)
	[ -n "$psql_bin" ] && [ -x "$psql_bin" ] || die "the tickets part needs psql (postgresql-client)"
}

# ---- helpers (the audit part uses them too) ------------------------------------------

# tk_init: the parts' working folder $tk (agents' keys, ids, outputs).
tk_init() {
	tk=$tmp/tickets
	mkdir -p "$tk/small" "$tk/large" "$tk/audit"
	chmod 700 "$tk" "$tk/small" "$tk/large" "$tk/audit"
}

# 10000 -> 10k, 1000000 -> 1M.
tk_label() {
	awk -v n="$1" 'BEGIN { if (n % 1000000 == 0) printf "%dM", n / 1000000;
	                       else if (n % 1000 == 0) printf "%dk", n / 1000; else printf "%d", n }'
}

now_s() { date +%s.%N; }

# ratio3 A B: A/B to three places (take/pass runs at a few hundredths of Ping).
ratio3() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3f", a / b; else print "n/a" }'; }

# median FORMAT VALUE...: the median of the values that are numbers ("n/a" if none).
median() {
	fmt=$1
	shift
	printf '%s\n' "$@" | grep -E '^[0-9.]+$' | sort -n |
		awk -v f="$fmt" '{ v[NR] = $1 } END { if (NR == 0) print "n/a";
		                   else printf f, (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# tk_each_round N COMMAND [ARGS...]: the output of `COMMAND ARGS... ROUND` for
# each ROUND 1..N, on one line.
tk_each_round() {
	tk_er_n=$1 tk_er_out= tk_er_i=1
	shift
	while [ "$tk_er_i" -le "$tk_er_n" ]; do
		tk_er_out="$tk_er_out $("$@" "$tk_er_i")"
		tk_er_i=$((tk_er_i + 1))
	done
	echo $tk_er_out
}

# tk_at small|large|audit: that place's batond URL, pinned key, admin key,
# agents' folder, database and ticket count (tk_url, tk_pub, tk_admin,
# tk_dir, tk_conn, tk_n). The audit part's batond is restarted for every
# run, so its URL changes (au_url).
tk_at() {
	case $1 in
	small) tk_url=$batond_url tk_pub=$server_key.pub tk_admin=$admin_key tk_dir=$tk/small tk_conn=$conninfo
	       tk_n=$TK_SMALL ;;
	large) tk_url=$tk_large_url tk_pub=$tk/large/batond.key.pub tk_admin=$tk/large/admin.key tk_dir=$tk/large
	       tk_conn=$tk_large_conninfo tk_n=$TK_LARGE ;;
	audit) tk_url=$au_url tk_pub=$tk/audit/batond.key.pub tk_admin=$tk/audit/admin.key tk_dir=$tk/audit
	       tk_conn=$au_conninfo tk_n=$TK_SMALL ;;
	*) die "tk_at: no place '$1'" ;;
	esac
}

# tk_sql small|large|audit ARGS: psql as the database owner over the cluster's unix socket.
tk_sql() {
	tk_at "$1"
	shift
	"$psql_bin" "$tk_conn" -X -q -v ON_ERROR_STOP=1 "$@"
}
# tk_value small|large|audit QUERY: one value, as the owner with scope 'all'.
tk_value() { tk_sql "$1" -At -c "SET baton.scope = 'all'" -c "$2"; }

# tk_database NAME: creates database NAME in run.sh's cluster; prints its conninfo.
tk_database() {
	tk_db_conninfo=$(echo "$conninfo" | sed "s/ dbname=baton / dbname=$1 /")
	[ "$tk_db_conninfo" != "$conninfo" ] || die "cannot name a database $1 in '$conninfo'"
	tk_sql small -c "CREATE DATABASE $1" >&2 || die "could not create the database $1"
	echo "$tk_db_conninfo"
}

# tk_batond_start NAME CONNINFO DIR PID_VARIABLE [ARGS...]: starts a batond
# on CONNINFO as run.sh's (it migrates an empty database and makes its keys,
# DIR/batond.key and DIR/admin.key), plus ARGS (words without spaces); its
# log is $tmp/NAME.log. Sets server_url, and PID_VARIABLE (which run.sh's
# trap stops) as soon as it runs.
tk_batond_start() {
	tk_bd_conn=$2 tk_bd_dir=$3 tk_bd_pidvar=$4 tk_bd_name=$1
	shift 4
	tk_bd_args=$*
	start_server "$tk_bd_name" tk_batond_launch batond_ready 100
	eval "$tk_bd_pidvar=\$server_pid"
}
tk_batond_launch() {
	# Word-split on purpose: tk_bd_args is words without spaces.
	set -- --listen "$url" --database-url "$tk_bd_conn" --log-level warn \
		--key-file "$tk_bd_dir/batond.key" --admin-key-file "$tk_bd_dir/admin.key" $tk_bd_args
	[ -n "$WORKERS" ] && set -- "$@" --workers "$WORKERS"
	$on_server_cpu "$BUILD/batond" "$@" 2>>"$tmp/$tk_bd_name.log" &
	server_pid=$!
	eval "$tk_bd_pidvar=\$server_pid"
}

# tk_prepare small|large|audit: organizations, agents on shift and tk_n
# tickets in that place's database (its batond running), then the id file
# $tk/ids-PLACE of the take runs. Prints the place's line of the sizes
# table: label, tickets, bench-en queued, table size, seconds to generate.
tk_prepare() {
	tk_at "$1"
	"$bench" tickets-setup -u "$tk_url" -k "$tk_admin" -p "$tk_pub" -a "$tk_dir" -n "$TK_CLIENTS" \
		>"$tk/setup-$1.out" 2>"$tk/setup-$1.err" || { cat "$tk/setup-$1.err" >&2; die "tickets-setup ($1) failed"; }
	t0=$(now_s)
	tk_sql "$1" -v first=1 -v last="$tk_n" -f bench/tickets_gen.sql >"$tk/gen-$1.log" 2>&1 ||
		{ cat "$tk/gen-$1.log" >&2; die "generating $tk_n tickets failed"; }
	gen_s=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')
	queued=$(tk_value "$1" "SELECT count(*) FROM ticket t JOIN org o ON o.id = t.org_id
	                        WHERE o.name = 'bench-en' AND t.status = 'queued'")
	[ "$queued" -ge 50 ] && [ "$queued" -ge "$TK_CLIENTS" ] ||
		die "only $queued queued tickets in bench-en with $tk_n tickets; the runs need 50 and $TK_CLIENTS"
	tk_value "$1" "SELECT t.id FROM ticket t JOIN org o ON o.id = t.org_id
	               WHERE o.name = 'bench-en' AND t.status = 'queued' ORDER BY random() LIMIT $TK_IDS" >"$tk/ids-$1"
	echo "$(tk_label "$tk_n") $(tk_value "$1" "SELECT count(*) FROM ticket") $queued" \
		"$(tk_value "$1" "SELECT pg_size_pretty(pg_total_relation_size('ticket'))" | tr -d ' ') $gen_s"
}

# tk_run NAME MODE CLIENTS small|large|audit SECONDS [ARGS...]: one `baton_bench
# tickets` run; its `name: value` lines go to $tk/NAME.out.
tk_run() {
	tk_name=$1 tk_mode=$2 tk_c=$3
	tk_at "$4"
	tk_secs=$5
	shift 5
	n_runs=$((n_runs + 1))
	if $on_client_cpu "$bench" tickets -m "$tk_mode" -u "$tk_url" -p "$tk_pub" -a "$tk_dir" \
		-c "$tk_c" -d "$tk_secs" -w "$WARM" "$@" >"$tk/$tk_name.out" 2>"$tk/$tk_name.err"; then
		:
	else
		failures=$((failures + 1))
		echo "bench: tickets $tk_mode with $tk_c client(s) ($tk_name): the client reported failures:" >&2
		sed 's/^/  /' "$tk/$tk_name.err" >&2
	fi
}

# tk_of NAME FIELD: a figure of run NAME ("" if it gave none).
tk_of() { sed -n "s/^$2: //p" "$tk/$1.out" 2>/dev/null; }

# tickets_run: everything else, once PostgreSQL and run.sh's batond run.
tickets_run() {
	tk_init

	# ---- the large size's database and batond ------------------------------------

	small=$(tk_label "$TK_SMALL")
	sizes=small
	if [ "$TK_LARGE" -gt 0 ]; then
		sizes="small large"
		large=$(tk_label "$TK_LARGE")
		tk_large_conninfo=$(tk_database baton_large)
		tk_batond_start batond-large "$tk_large_conninfo" "$tk/large" tk_batond_pid
		tk_large_url=$server_url
	fi

	# ---- organizations, agents on shift, tickets -------------------------------------

	: >"$tk/sizes"
	for w in $sizes; do
		tk_prepare "$w" >>"$tk/sizes"
	done

	# ---- runs -------------------------------------------------------------------------

	# Latency: one client, rounds alternating the order of the sizes. Each take
	# is followed by a pass back to the queue, so every round finds the queue
	# as the first one did.
	r=1
	while [ "$r" -le "$TK_ROUNDS" ]; do
		order=$sizes
		[ $((r % 2)) -eq 0 ] && [ "$sizes" = "small large" ] && order="large small"
		for w in $order; do tk_run "list-$w-$r" list 1 "$w" "$TK_SECS"; done
		for w in $order; do tk_run "take-$w-$r" take-pass 1 "$w" "$TK_SECS" -i "$tk/ids-$w"; done
		r=$((r + 1))
	done

	# Throughput: the baseline, then take/pass, through the same agents' clients.
	for w in $sizes; do
		tk_run "ping-$w" ping "$TK_CLIENTS" "$w" "$SECS"
		tk_run "tp-$w" take-pass "$TK_CLIENTS" "$w" "$SECS" -i "$tk/ids-$w"
	done

	# ---- report -----------------------------------------------------------------------

	# rounds KIND small|large FIELD: the value of FIELD in each round, in order.
	round_of() { tk_of "$1-$2-$4" "$3"; }
	rounds() { tk_each_round "$TK_ROUNDS" round_of "$@"; }

	# round_sum KIND small|large FIELD: the sum over the rounds (errors).
	round_sum() { rounds "$1" "$2" "$3" | awk '{ s = 0; for (i = 1; i <= NF; i++) s += $i; print s }'; }

	echo
	echo "tickets: agents of partner bench-en on a live en shift, each with its own client and session (sealed, signed)"
	echo "bulk tickets by SQL (bench/tickets_gen.sql): 45 % in bench-en's queue, 10 % queued, 82 % resolved; VACUUM (ANALYZE)"
	printf '%-6s %9s %16s %14s %12s\n' size tickets bench-en_queued table+indexes generated_s
	while read -r l n q s g; do
		printf '%-6s %9s %16s %14s %12s\n' "$l" "$n" "$q" "$s" "$g"
	done <"$tk/sizes"

	echo
	echo "latency, 1 client, closed loop: $TK_ROUNDS rounds of ${TK_SECS} s per size, sizes alternating; median of the rounds"
	printf '%-29s %5s %9s %9s %8s %6s  %s\n' call size p50_us p99_us calls/s errors "p50_us in each round"
	for kind in list take pass; do
		for w in $sizes; do
			tk_at "$w"
			case $kind in
			list) run=list name="ListTickets bench-en, 50" p50=p50_us p99=p99_us rate=requests_per_s ;;
			take) run=take name="TakeTicket" p50=take_p50_us p99=take_p99_us rate=cycles_per_s ;;
			pass) run=take name="PassTicket back to the queue" p50=pass_p50_us p99=pass_p99_us rate=cycles_per_s ;;
			esac
			errors=$(round_sum "$run" "$w" errors)
			[ "$kind" = pass ] && errors=
			printf '%-29s %5s %9s %9s %8s %6s  %s\n' "$name" "$(tk_label "$tk_n")" \
				"$(median %.1f $(rounds "$run" "$w" "$p50"))" "$(median %.1f $(rounds "$run" "$w" "$p99"))" \
				"$(median %.0f $(rounds "$run" "$w" "$rate"))" "$errors" "$(rounds "$run" "$w" "$p50")"
		done
	done
	echo "(take: each TakeTicket is followed by a PassTicket back to the queue, timed on its own: the pass rows)"

	echo
	echo "throughput, $TK_CLIENTS agents at once (one client and session each), one call in flight each, ${SECS} s"
	printf '%-29s %5s %9s %9s %9s %6s %8s\n' run size calls/s p50_us p99_us errors vs_ping
	for w in $sizes; do
		tk_at "$w"
		printf '%-29s %5s %9s %9s %9s %6s %8s\n' "sealed Ping (baseline)" "$(tk_label "$tk_n")" \
			"$(tk_of "ping-$w" requests_per_s)" "$(tk_of "ping-$w" p50_us)" "$(tk_of "ping-$w" p99_us)" \
			"$(tk_of "ping-$w" errors)" 1.000
		printf '%-29s %5s %9s %9s %9s %6s %8s\n' "take + pass (both count)" "$(tk_label "$tk_n")" \
			"$(tk_of "tp-$w" requests_per_s)" "$(tk_of "tp-$w" p50_us)" "$(tk_of "tp-$w" p99_us)" \
			"$(tk_of "tp-$w" errors)" "$(ratio3 "$(tk_of "tp-$w" requests_per_s)" "$(tk_of "ping-$w" requests_per_s)")"
	done
	echo "(a take-and-pass cycle is two calls; take p50 $(tk_of tp-small take_p50_us) us and pass p50" \
		"$(tk_of tp-small pass_p50_us) us at $small)"

	echo
	for w in $sizes; do
		tk_at "$w"
		echo "take/pass vs sealed Ping through the same $TK_CLIENTS agents at $(tk_label "$tk_n"): calls/s" \
			"$(ratio3 "$(tk_of "tp-$w" requests_per_s)" "$(tk_of "ping-$w" requests_per_s)")"
	done
	if [ "$TK_LARGE" -gt 0 ]; then
		# tk_vs KIND FIELD: the large/small ratio of FIELD in each round, their
		# median and the verdict.
		vs_of() { ratio "$(tk_of "$1-large-$3" "$2")" "$(tk_of "$1-small-$3" "$2")"; }
		tk_vs() {
			per=$(tk_each_round "$TK_ROUNDS" vs_of "$@")
			m=$(median %.2f $per)
			v=$(awk -v r="$m" -v t="$TK_TARGET" 'BEGIN { print (r != "n/a" && r + 0 <= t + 0) ? "met" : "NOT met" }')
			echo "$m (target <= $TK_TARGET: $v; rounds:$per)"
		}
		echo "list latency $large/$small, p50: $(tk_vs list p50_us)"
		echo "list latency $large/$small, p99: $(tk_vs list p99_us)"
		echo "take latency $large/$small, p50: $(tk_vs take take_p50_us)"
		echo "take latency $large/$small, p99: $(tk_vs take take_p99_us)"
	fi
}
