# reports.sh - `make bench`'s reports part, sourced by run.sh: the Report RPC on a month of 1M events versus the same month at 10k events, as a lead and as a partner, sizes alternating.
#
# run.sh calls reports_check before it starts anything (after tickets_check:
# this part uses tickets.sh's helpers), and reports_run once PostgreSQL
# runs. reports_run uses run.sh's $tmp, $bench, $BUILD, die, ratio and its
# failure counters (failures, n_runs), and tickets.sh's tk_database,
# tk_batond_start, tk_label, median and now_s.
#
#   1. Per size, a database of its own (baton_rp_small, baton_rp_large) in
#      the same PostgreSQL, served by a batond of its own (rp_small_pid,
#      rp_large_pid; run.sh's trap stops them) started with --audit-seal off
#      (nothing seals behind the load) and --max-call-ms $RP_TIMEOUT_MS, so
#      that neither batond's call limit nor the statement timeout it derives
#      from it cuts a long report short.
#   2. In each, `baton_bench tickets-setup -n 1` (the partner organizations
#      bench-en, bench-es and bench-pl, and bench-agent-01, an agent of
#      bench-en with a key: the partner caller), then an in-house lead with a
#      key, bench-lead (batonctl keygen, principal add --role lead).
#   3. bench/reports_gen.sql through psql as the database owner: the last
#      whole calendar month (UTC) of activity, $RP_SMALL and $RP_LARGE events
#      (tickets = events / 5.33, the generator's mean), with their SLA
#      clocks, escalations, slots and claims; then VACUUM (ANALYZE).
#   4. A cold call per size and caller (the first after the load, reported
#      apart), then $RP_ROUNDS rounds, each on both sizes in alternating
#      order: the lead's report of every organization by agent, then the
#      partner's of its own organization by agent, one `baton_bench reports`
#      call each (session opened before the clock starts; client deadline
#      $RP_TIMEOUT_MS).
#   5. The summary: per caller and size the cold call, the median (p50) of
#      the rounds, min and max; the large/small ratio of the medians; the
#      large size's p50 and max against the budget ($RP_BUDGET_S s); and a
#      check that the lead's tickets_taken equals the ticket.taken events of
#      the month in the database (a failure otherwise).
#
# Environment (run.sh checks BENCH_REPORTS itself):
#   BENCH_REPORTS_SMALL   events of the baseline month (default 10000, 1000..1000000)
#   BENCH_REPORTS_LARGE   events of the large month (default 1000000; more than
#                         the small size, at most 5000000)
#   BENCH_REPORTS_ROUNDS  measured rounds (default 3, 1..20)

reports_check() {
	RP_SMALL=${BENCH_REPORTS_SMALL:-10000}
	RP_LARGE=${BENCH_REPORTS_LARGE:-1000000}
	RP_ROUNDS=${BENCH_REPORTS_ROUNDS:-3}
	RP_TIMEOUT_MS=300000 # client deadline and batond --max-call-ms
	RP_BUDGET_S=10       # docs/benchmarks.md, "Reports": the budget at 1M events
	RP_EVENTS_PER_TICKET=5.33

	for v in "BENCH_REPORTS_SMALL=$RP_SMALL" "BENCH_REPORTS_LARGE=$RP_LARGE" "BENCH_REPORTS_ROUNDS=$RP_ROUNDS"; do
		case ${v#*=} in '' | *[!0-9]*) die "${v%%=*} must be a whole number, not '${v#*=}'" ;; esac
	done
	if [ "$RP_SMALL" -lt 1000 ] || [ "$RP_SMALL" -gt 1000000 ]; then
		die "BENCH_REPORTS_SMALL must be 1000..1000000, not '$RP_SMALL'"
	fi
	if [ "$RP_LARGE" -le "$RP_SMALL" ] || [ "$RP_LARGE" -gt 5000000 ]; then
		die "BENCH_REPORTS_LARGE must be more than BENCH_REPORTS_SMALL ($RP_SMALL) and at most 5000000, not '$RP_LARGE'"
	fi
	[ "$RP_ROUNDS" -ge 1 ] && [ "$RP_ROUNDS" -le 20 ] || die "BENCH_REPORTS_ROUNDS must be 1..20, not '$RP_ROUNDS'"
	[ -x "$BUILD/batonctl" ] || die "$BUILD/batonctl is missing; run 'make bench'"
}

# rp_at small|large: that size's URL, keys, folder, database and events
# (rp_url, rp_pub, rp_dir, rp_conn, rp_n).
rp_at() {
	case $1 in
	small) rp_url=$rp_small_url rp_conn=$rp_small_conn rp_n=$RP_SMALL ;;
	large) rp_url=$rp_large_url rp_conn=$rp_large_conn rp_n=$RP_LARGE ;;
	*) die "rp_at: no size '$1'" ;;
	esac
	rp_dir=$rp/$1
	rp_pub=$rp_dir/batond.key.pub
}

# rp_value small|large QUERY: one value, as the owner with scope 'all'.
rp_value() {
	rp_at "$1"
	"$psql_bin" "$rp_conn" -X -q -v ON_ERROR_STOP=1 -At -c "SET baton.scope = 'all'" -c "$2"
}

# rp_prepare small|large: database, batond, people and the month's data.
# Prints the size's line of the sizes table.
rp_prepare() {
	rp_at "$1"
	mkdir -p "$rp_dir"
	chmod 700 "$rp_dir"
	rp_conn=$(tk_database "baton_rp_$1")
	tk_batond_start "batond-rp-$1" "$rp_conn" "$rp_dir" "rp_$1_pid" \
		--audit-seal off --max-call-ms "$RP_TIMEOUT_MS"
	rp_url=$server_url
	eval "rp_$1_url=\$rp_url rp_$1_conn=\$rp_conn"
	"$bench" tickets-setup -u "$rp_url" -k "$rp_dir/admin.key" -p "$rp_pub" -a "$rp_dir" -n 1 \
		>"$rp/setup-$1.out" 2>"$rp/setup-$1.err" || { cat "$rp/setup-$1.err" >&2; die "tickets-setup ($1) failed"; }
	hq=$(rp_value "$1" "SELECT name FROM org WHERE kind = 'in_house'")
	"$BUILD/batonctl" keygen --out "$rp_dir/lead.key" >/dev/null || die "batonctl keygen failed"
	"$BUILD/batonctl" --url "$rp_url" --key "$rp_dir/admin.key" --server-key "$rp_pub" \
		principal add bench-lead --org "$hq" --role lead --public-key "$rp_dir/lead.key" >/dev/null ||
		die "could not add the lead bench-lead ($1)"
	tickets=$(awk -v e="$rp_n" -v m="$RP_EVENTS_PER_TICKET" 'BEGIN { printf "%d", e / m + 0.5 }')
	t0=$(now_s)
	"$psql_bin" "$rp_conn" -X -q -v ON_ERROR_STOP=1 -v tickets="$tickets" -v month_from="$rp_from" \
		-v month_to="$rp_to" -f bench/reports_gen.sql >"$rp/gen-$1.log" 2>&1 ||
		{ cat "$rp/gen-$1.log" >&2; die "generating $rp_n events failed"; }
	gen_s=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.1f", b - a }')
	rp_value "$1" "SELECT count(*) FROM event WHERE kind = 'ticket.taken'
	               AND at >= '$rp_from' AND at < '$rp_to'" >"$rp/taken-$1"
	echo "$(tk_label "$rp_n") $(rp_value "$1" "SELECT (SELECT count(*) FROM event) || ' '
		|| (SELECT count(*) FROM event WHERE at >= '$rp_from' AND at < '$rp_to') || ' '
		|| (SELECT count(*) FROM ticket) || ' ' || (SELECT count(*) FROM ticket_clock) || ' '
		|| (SELECT count(*) FROM escalation) || ' ' || (SELECT count(*) FROM claim) || ' '
		|| replace(pg_size_pretty(pg_total_relation_size('event')), ' ', '')") $gen_s"
}

# rp_call NAME small|large lead|partner: one timed Report; figures in $rp/NAME.out.
rp_call() {
	rp_at "$2"
	case $3 in
	lead) set -- "$1" "$2" -k "$rp_dir/lead.key" ;;
	partner) set -- "$1" "$2" -k "$rp_dir/bench-agent-01.key" ;;
	esac
	rp_name=$1
	shift 2
	n_runs=$((n_runs + 1))
	if ! "$bench" reports -u "$rp_url" -p "$rp_pub" -f "$rp_from_ms" -t "$rp_to_ms" -b -n 1 -T "$RP_TIMEOUT_MS" "$@" \
		>"$rp/$rp_name.out" 2>"$rp/$rp_name.err"; then
		failures=$((failures + 1))
		echo "bench: reports: $rp_name failed:" >&2
		sed 's/^/  /' "$rp/$rp_name.err" >&2
	fi
}

# rp_of NAME FIELD: a figure of call NAME ("" if it gave none).
rp_of() { sed -n "s/^$2: //p" "$rp/$1.out" 2>/dev/null; }

reports_run() {
	tk_init # tk_database works through the tickets part's small place
	rp=$tmp/reports
	mkdir -p "$rp"
	chmod 700 "$rp"
	# The last whole calendar month, UTC.
	this_month=$(date -u +%Y-%m-01)
	rp_from=$(date -u -d "$this_month -1 month" +%Y-%m-%dT00:00:00Z)
	rp_to=${this_month}T00:00:00Z
	rp_from_ms=$(($(date -u -d "$rp_from" +%s) * 1000))
	rp_to_ms=$(($(date -u -d "$rp_to" +%s) * 1000))

	rp_small_url= rp_small_conn= rp_large_url= rp_large_conn=
	: >"$rp/sizes"
	for w in small large; do
		rp_prepare "$w" >>"$rp/sizes"
	done

	# The first call after the load, per size and caller: reported apart.
	for w in small large; do
		for who in lead partner; do rp_call "$who-$w-cold" "$w" "$who"; done
	done
	t0=$(now_s)
	r=1
	while [ "$r" -le "$RP_ROUNDS" ]; do
		order="small large"
		[ $((r % 2)) -eq 0 ] && order="large small"
		for w in $order; do
			for who in lead partner; do rp_call "$who-$w-$r" "$w" "$who"; done
		done
		r=$((r + 1))
	done
	took=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.0f", b - a }')

	rp_round_of() { rp_of "$1-$2-$3" p50_ms; }
	rp_rounds() { tk_each_round "$RP_ROUNDS" rp_round_of "$1" "$2"; }
	rp_stat() { printf '%s\n' $(rp_rounds "$1" "$2") | grep -E '^[0-9.]+$' | sort -n |
		awk -v w="$3" 'NR == 1 { min = $1 } { max = $1 } END { if (NR == 0) print "n/a"; else printf "%.1f", (w == "min") ? min : max }'; }

	echo
	echo "reports: the month $rp_from to $rp_to (UTC) of partner organizations bench-en, bench-es, bench-pl and the"
	echo "in-house one, 12 agents each; bulk by SQL (bench/reports_gen.sql), one database and batond per size,"
	echo "batond --audit-seal off --max-call-ms $RP_TIMEOUT_MS; VACUUM (ANALYZE) after the load"
	printf '%-6s %9s %9s %8s %8s %11s %7s %12s %12s\n' size events in_month tickets clocks escalations claims \
		event_table generated_s
	while read -r l n m t k e c s g; do
		printf '%-6s %9s %9s %8s %8s %11s %7s %12s %12s\n' "$l" "$n" "$m" "$t" "$k" "$e" "$c" "$s" "$g"
	done <"$rp/sizes"

	echo
	echo "Report through libbaton, one call at a time, by agent, client deadline ${RP_TIMEOUT_MS} ms; a cold call"
	echo "per size and caller, then $RP_ROUNDS rounds alternating the order of the sizes ($took s); ms"
	printf '%-34s %5s %9s %9s %9s %9s %5s  %s\n' caller size cold p50 min max rows "each round"
	for who in lead partner; do
		for w in small large; do
			rp_at "$w"
			case $who in
			lead) name="lead: every organization" ;;
			partner) name="partner bench-agent-01: bench-en" ;;
			esac
			printf '%-34s %5s %9s %9s %9s %9s %5s  %s\n' "$name" "$(tk_label "$rp_n")" \
				"$(rp_of "$who-$w-cold" p50_ms)" "$(median %.1f $(rp_rounds "$who" "$w"))" \
				"$(rp_stat "$who" "$w" min)" "$(rp_stat "$who" "$w" max)" \
				"$(($(rp_of "$who-$w-1" org_rows) + $(rp_of "$who-$w-1" agent_rows)))" "$(rp_rounds "$who" "$w")"
		done
	done

	echo
	large=$(tk_label "$RP_LARGE")
	small=$(tk_label "$RP_SMALL")
	for who in lead partner; do
		p_l=$(median %.1f $(rp_rounds "$who" large))
		p_s=$(median %.1f $(rp_rounds "$who" small))
		max_l=$(rp_stat "$who" large max)
		verdict=$(awk -v p="$max_l" -v b="$RP_BUDGET_S" 'BEGIN { print (p != "n/a" && p / 1000 <= b + 0) ? "met" : "NOT met" }')
		echo "$who: Report p50 $large/$small $(ratio "$p_l" "$p_s") ($p_l ms / $p_s ms); at $large p50" \
			"$(awk -v p="$p_l" 'BEGIN { printf "%.2f", p / 1000 }') s, slowest of the rounds" \
			"$(awk -v p="$max_l" 'BEGIN { printf "%.2f", p / 1000 }') s (budget <= $RP_BUDGET_S s: $verdict)"
	done
	# The figures must be those of the data: every ticket.taken of the month
	# counts once, on the row of the taker's organization.
	for w in small large; do
		want=$(cat "$rp/taken-$w")
		got=$(rp_of "lead-$w-1" tickets_taken)
		if [ "$got" != "$want" ]; then
			failures=$((failures + 1))
			echo "bench: reports: the lead's tickets_taken at the $w size is '$got'," \
				"the month holds $want ticket.taken events" >&2
		fi
	done
	echo "lead at $large, summed over the organization rows: taken $(rp_of lead-large-1 tickets_taken)," \
		"resolved $(rp_of lead-large-1 tickets_resolved), first contact $(rp_of lead-large-1 first_contact_resolutions)," \
		"hand-offs $(rp_of lead-large-1 handoffs) ($(rp_of lead-large-1 handoffs_without_progress) hot potatoes)," \
		"breaches $(rp_of lead-large-1 sla_breaches), escalations $(rp_of lead-large-1 escalations_raised)," \
		"coverage promised/held/gap $(rp_of lead-large-1 coverage_promised_hours)/$(rp_of lead-large-1 coverage_held_hours)/$(rp_of lead-large-1 coverage_gap_hours) h;" \
		"reply $(rp_of lead-large-1 reply_bytes) bytes (tickets_taken checked against the month's ticket.taken events)"
}
