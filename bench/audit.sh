# audit.sh - `make bench`'s audit trail part, sourced by run.sh after the tickets part: take/pass through a batond that seals the audit trail versus one that does not, same database and data, alternating rounds.
#
# run.sh calls audit_check before it starts anything (after tickets_check:
# this part uses tickets.sh's helpers and settings), and audit_run once
# PostgreSQL runs. audit_run uses run.sh's $tmp, $bench, $SECS, $WARM,
# stop_process, die, ratio and its failure counters (failures, n_runs).
#
#   1. A database of its own, "baton_audit", in the same PostgreSQL, served
#      by a batond this part starts (au_batond_pid; run.sh's trap stops it),
#      set up as the tickets part's small size (tk_prepare: organizations,
#      $TK_CLIENTS agents on a live shift, $TK_SMALL tickets, an id file).
#      Only that batond ever serves this database, so nothing else seals it.
#   2. $AU_ROUNDS rounds, each two runs of take/pass by $TK_CLIENTS agents
#      (tickets.sh's tk_run: 1 s warm-up, then $SECS s): one with batond
#      started --audit-seal on, one with --audit-seal off, both with
#      --maintenance-ms $AU_MAINT_MS so that the "on" batond seals several
#      times a second while the agents work. The order is on, off in odd
#      rounds and off, on in even ones, so that the machine's drift falls on
#      both alike. batond is restarted for every run (the same flags but
#      the one), on the same database, keys and data.
#   3. Before an "on" run, a batond sealing is started and stopped once the
#      events the runs before left unsealed are sealed (waiting, bounded), so
#      that the measured run seals only its own. Around every run the script
#      counts events, chained events and checkpoints (an "on" run shows the
#      sealer's work; an "off" run must chain none, a failure otherwise),
#      and the CPU time of batond (its /proc stat, read just before it
#      stops) and of PostgreSQL's backends (the postmaster's reaped
#      children, counted once batond's connections have closed: its
#      backends, psql's, autovacuum's).
#   4. The ratios are on/off per round (calls/s; take and pass p50 and
#      p99); the summary gives their medians, and CPU per 1000 events
#      written with sealing and without. Issue 7 sets no target for this
#      cost: the verdict line says so.
#
# Environment (run.sh checks BENCH_AUDIT itself):
#   BENCH_AUDIT_ROUNDS          rounds of one "on" and one "off" run (default 4, 1..20)
#   BENCH_AUDIT_MAINTENANCE_MS  both batonds' --maintenance-ms (default 200, 100..10000)
#   and tickets.sh's BENCH_TICKETS_SMALL (tickets) and BENCH_TICKET_CLIENTS (agents);
#   each run lasts BENCH_SECONDS after BENCH_WARMUP.

# audit_check: reads and checks the settings above.
audit_check() {
	AU_ROUNDS=${BENCH_AUDIT_ROUNDS:-4}
	AU_MAINT_MS=${BENCH_AUDIT_MAINTENANCE_MS:-200}
	AU_CATCH_UP_TRIES=300 # polls 0.1 s apart: the backlog must be sealed within 30 s

	for v in "BENCH_AUDIT_ROUNDS=$AU_ROUNDS" "BENCH_AUDIT_MAINTENANCE_MS=$AU_MAINT_MS"; do
		case ${v#*=} in '' | *[!0-9]*) die "${v%%=*} must be a whole number, not '${v#*=}'" ;; esac
	done
	[ "$AU_ROUNDS" -ge 1 ] && [ "$AU_ROUNDS" -le 20 ] || die "BENCH_AUDIT_ROUNDS must be 1..20, not '$AU_ROUNDS'"
	[ "$AU_MAINT_MS" -ge 100 ] && [ "$AU_MAINT_MS" -le 10000 ] ||
		die "BENCH_AUDIT_MAINTENANCE_MS must be 100..10000, not '$AU_MAINT_MS'"
}

# au_start on|off: the part's batond on its database, sealing or not.
au_start() {
	tk_batond_start batond-audit "$au_conninfo" "$tk/audit" au_batond_pid \
		--audit-seal "$1" --maintenance-ms "$AU_MAINT_MS" --drain-ms 0
	au_url=$server_url
}

# au_stop: stops it and waits (bounded) until its PostgreSQL backends are gone.
au_stop() {
	stop_process "$au_batond_pid"
	au_batond_pid=
	n=0
	while [ $n -lt 50 ] && [ "$(tk_value audit "SELECT count(*) FROM pg_stat_activity
	                                           WHERE datname = 'baton_audit' AND pid <> pg_backend_pid()")" -gt 0 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	sleep 0.2 # the postmaster reaps them a moment after they leave pg_stat_activity
}

# au_ticks PID [children]: PID's CPU time (user + system) in clock ticks;
# with "children", that of its children it has reaped.
au_ticks() {
	sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk -v c="${2:-}" '{ print (c != "") ? $14 + $15 : $12 + $13 }'
}

# au_counts: "events chained checkpoints" in the part's database now.
au_counts() {
	tk_value audit "SELECT (SELECT count(*) FROM event) || ' ' || (SELECT coalesce(max(seq), 0) FROM event_chain)
	                       || ' ' || (SELECT count(*) FROM audit_checkpoint)"
}

# au_catch_up: waits (bounded) until every event is chained; says so if not.
au_catch_up() {
	n=0
	while [ $n -lt "$AU_CATCH_UP_TRIES" ]; do
		set -- $(au_counts)
		[ "$1" -eq "$2" ] && return 0
		sleep 0.1
		n=$((n + 1))
	done
	echo "bench: audit: the backlog was not sealed within $((AU_CATCH_UP_TRIES / 10)) s ($1 events, $2 chained);" \
		"the next \"on\" run seals some of it too" >&2
}

# au_run on|off ROUND: one run; its figures in $tk/audit-MODE-ROUND.out, and
# its line "MODE ROUND written chained checkpoints unchained_at_end
# batond_ticks postgres_ticks" in $tk/audit-counts.
au_run() {
	au_mode=$1 au_round=$2
	if [ "$au_mode" = on ]; then
		au_start on
		au_catch_up
		au_stop
	fi
	set -- $(au_counts)
	au_e0=$1 au_c0=$2 au_k0=$3
	au_pg0=$(au_ticks "$au_postmaster" children)
	au_start "$au_mode"
	tk_run "audit-$au_mode-$au_round" take-pass "$TK_CLIENTS" audit "$SECS" -i "$tk/ids-audit"
	au_bd=$(au_ticks "$au_batond_pid")
	au_stop
	au_pg=$(($(au_ticks "$au_postmaster" children) - au_pg0))
	set -- $(au_counts)
	echo "$au_mode $au_round $(($1 - au_e0)) $(($2 - au_c0)) $(($3 - au_k0)) $(($1 - $2)) $au_bd $au_pg" \
		>>"$tk/audit-counts"
	if [ "$au_mode" = off ] && [ "$2" -ne "$au_c0" ]; then
		failures=$((failures + 1))
		echo "bench: audit round $au_round: the batond with --audit-seal off chained $(($2 - au_c0)) events" >&2
	fi
}

# au_field MODE FIELD: FIELD of every MODE run, round by round.
au_field_of() { tk_of "audit-$1-$3" "$2"; }
au_field() { tk_each_round "$AU_ROUNDS" au_field_of "$@"; }

# au_ratios FIELD: on/off of FIELD in each round.
au_ratio_of() { ratio3 "$(tk_of "audit-on-$2" "$1")" "$(tk_of "audit-off-$2" "$1")"; }
au_ratios() { tk_each_round "$AU_ROUNDS" au_ratio_of "$1"; }

# au_sum MODE COLUMN: the sum of a column (3 written, 4 chained, 5
# checkpoints, 7 batond ticks, 8 PostgreSQL ticks) of $tk/audit-counts over
# MODE's runs.
au_sum() { awk -v m="$1" -v c="$2" '$1 == m { s += $c } END { print s + 0 }' "$tk/audit-counts"; }

audit_run() {
	tk_init
	au_conninfo=$(tk_database baton_audit)
	au_hz=$(getconf CLK_TCK)
	au_start on
	# The postmaster: the parent of one of batond's backends.
	au_backend=$(tk_value audit "SELECT pid FROM pg_stat_activity WHERE datname = 'baton_audit'
	                             AND pid <> pg_backend_pid() LIMIT 1")
	au_postmaster=$(sed 's/.*) //' "/proc/$au_backend/stat" 2>/dev/null | awk '{ print $2 }')
	[ -n "$au_postmaster" ] && [ -r "/proc/$au_postmaster/stat" ] || die "cannot find PostgreSQL's postmaster in /proc"
	tk_prepare audit >"$tk/sizes-audit"
	au_stop
	: >"$tk/audit-counts"

	t0=$(now_s)
	r=1
	while [ "$r" -le "$AU_ROUNDS" ]; do
		order="on off"
		[ $((r % 2)) -eq 0 ] && order="off on"
		for m in $order; do au_run "$m" "$r"; done
		r=$((r + 1))
	done
	took=$(awk -v a="$t0" -v b="$(now_s)" 'BEGIN { printf "%.0f", b - a }')

	read -r au_label au_tickets au_queued au_size au_gen <"$tk/sizes-audit"
	echo
	echo "audit trail: take/pass by $TK_CLIENTS agents through a batond sealing the audit trail (--audit-seal on)"
	echo "versus one not sealing (off); database baton_audit, $au_label tickets as the small size ($au_queued queued in"
	echo "bench-en); both with --maintenance-ms $AU_MAINT_MS; batond restarted for every run; $AU_ROUNDS rounds of"
	echo "${WARM} s warm-up + ${SECS} s per run, order on,off in odd rounds and off,on in even ones ($took s in all)"
	au_row='%5s %4s %8s %8s %8s %8s %8s %8s %6s %7s %7s %5s %9s %7s %7s\n'
	# Word-split on purpose: au_row is the format.
	printf "$au_row" round seal calls/s p50_us p99_us take_p50 take_p99 pass_p50 errors written chained ckpts \
		unchained batond_s pg_s
	while read -r m rr written chained ckpts left bd pg; do
		n=audit-$m-$rr
		printf "$au_row" "$rr" "$m" "$(tk_of "$n" requests_per_s)" \
			"$(tk_of "$n" p50_us)" "$(tk_of "$n" p99_us)" "$(tk_of "$n" take_p50_us)" "$(tk_of "$n" take_p99_us)" \
			"$(tk_of "$n" pass_p50_us)" "$(tk_of "$n" errors)" "$written" "$chained" "$ckpts" "$left" \
			"$(awk -v t="$bd" -v hz="$au_hz" 'BEGIN { printf "%.2f", t / hz }')" \
			"$(awk -v t="$pg" -v hz="$au_hz" 'BEGIN { printf "%.2f", t / hz }')"
	done <"$tk/audit-counts"
	echo "(written: events the database gained during the run, warm-up included; chained: events sealed meanwhile;"
	echo " ckpts: checkpoints signed; unchained: events not sealed at its end; batond_s, pg_s: CPU seconds of batond"
	echo " and of PostgreSQL's backends during the run)"

	echo
	printf '%-22s %9s %9s %9s  %s\n' "median of the rounds" seal_on seal_off on/off "on/off in each round"
	for f in requests_per_s p50_us p99_us take_p50_us take_p99_us pass_p50_us pass_p99_us; do
		printf '%-22s %9s %9s %9s  %s\n' "$f" "$(median %.0f $(au_field on "$f"))" "$(median %.0f $(au_field off "$f"))" \
			"$(median %.3f $(au_ratios "$f"))" "$(au_ratios "$f")"
	done
	echo
	echo "sealed during the \"on\" runs: $(au_sum on 4) of the $(au_sum on 3) events they wrote, in $(au_sum on 5)" \
		"signed checkpoints; the \"off\" runs: $(au_sum off 4) of $(au_sum off 3)"
	# CPU per 1000 events written, by mode: batond's and PostgreSQL's.
	au_per_k() {
		awk -v t="$(au_sum "$1" "$2")" -v e="$(au_sum "$1" 3)" -v hz="$au_hz" \
			'BEGIN { if (e > 0) printf "%.1f", 1000 * 1000 * t / hz / e; else print "n/a" }'
	}
	echo "CPU ms per 1000 events written (each take or pass writes one): batond $(au_per_k on 7) sealing," \
		"$(au_per_k off 7) not; PostgreSQL backends $(au_per_k on 8) sealing, $(au_per_k off 8) not"
	echo "take/pass calls/s sealing on / off: $(median %.3f $(au_ratios requests_per_s)) (median of $AU_ROUNDS rounds;" \
		"issue 7 sets no target for it: reported, not judged)"
}
