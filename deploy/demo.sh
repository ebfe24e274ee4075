#!/bin/sh
# demo.sh - `make demo`: the Friday-night story, end to end, through batonctl (docs/demo.md).
#
# Runs its own batond (BUILD/batond) on a free loopback port against the
# database baton_demo of the private development cluster (var/pg, the one
# `make run` uses; never its database baton), both made afresh on every run,
# and plays the story in seven steps. Each step prints who does what and why,
# every batonctl command and its output, and checks that it did what it
# should: exit 0 only if all did; otherwise "demo: step N failed: ...".
#
# Environment: BUILD (default build); DEMO_DIR, where keys, the audit export
# and batond.log go (default var/demo; emptied on every run); DEMO_PG_DIR,
# the PostgreSQL cluster (default var/pg; started if it is not running, and
# then stopped at the end); DEMO_WAIT_S, how long to wait for the SLA worker
# and the audit sealer (default 30).
set -eu
BUILD=${BUILD:-build}
DEMO_DIR=${DEMO_DIR:-var/demo}
DEMO_PG_DIR=${DEMO_PG_DIR:-var/pg}
DEMO_WAIT_S=${DEMO_WAIT_S:-30}
cd "$(dirname "$0")/.."

die() { echo "demo: $*" >&2; exit 1; }
[ -x "$BUILD/batond" ] && [ -x "$BUILD/batonctl" ] || die "no $BUILD/batond or $BUILD/batonctl (make BUILD=$BUILD all)"
started=$(date +%s)

# ---- stopping what the demo started, also on failure or Ctrl-C --------------------

batond_pid=
pg_started=0
cleanup() {
	rc=$?
	trap - EXIT INT TERM
	if [ -n "$batond_pid" ]; then
		kill -TERM "$batond_pid" 2>/dev/null || true
		n=0
		while kill -0 "$batond_pid" 2>/dev/null && [ $n -lt 100 ]; do sleep 0.1; n=$((n + 1)); done
		kill -KILL "$batond_pid" 2>/dev/null || true
		wait "$batond_pid" 2>/dev/null || true
	fi
	[ "$pg_started" = 1 ] && { sh deploy/devdb.sh stop "$DEMO_PG_DIR" || true; }
	exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- printing, running and checking -----------------------------------------------

step_no=0
step() {
	step_no=$((step_no + 1))
	echo
	printf '%s\n' "$*" | fold -s -w 85 | sed "1s/^/$step_no. /; 2,\$s/^/   /"
}
say() { printf '%s\n' "$*" | fold -s -w 84 | sed 's/^/   /'; }
fail() {
	printf 'demo: step %s failed: %s\n' "$step_no" "$*" >&2
	echo "demo: (batond's log: $DEMO_DIR/batond.log)" >&2
	exit 1
}

# The words of a command line as a shell would take them back.
shown() {
	for a in "$@"; do
		case $a in
		'' | *[!A-Za-z0-9_./:=,+@%-]*) printf " '%s'" "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")" ;;
		*) printf ' %s' "$a" ;;
		esac
	done
}

# run_as WHO ARGS...: batonctl as WHO (their key DEMO_DIR/WHO.key; WHO/offline:
# no key and no server, for keygen and audit verify), quietly: the output in
# $out, the exit status in $rc.
run_as() {
	who=$1
	shift
	if [ "$who" != "${who%/offline}" ]; then
		set -- "$BUILD/batonctl" "$@"
	else
		set -- "$BUILD/batonctl" --url "$url" --server-key "$DEMO_DIR/batond.key.pub" --key "$DEMO_DIR/$who.key" "$@"
	fi
	if out=$("$@" 2>&1); then rc=0; else rc=$?; fi
}
show_cmd() { who=${1%/offline}; shift; printf '   %s$ batonctl%s\n' "$who" "$(shown "$@")"; }
show_out() { [ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/      /'; }

# ctl WHO ARGS...: shows the command, runs it, shows its output; it must exit 0.
ctl() {
	show_cmd "$@"
	run_as "$@"
	show_out
	[ "$rc" = 0 ] || fail "expected batonctl$(shown "$@") to exit 0, got exit status $rc"
}

# expect TEXT: the last output holds TEXT.
expect() {
	case $out in
	*"$1"*) ;;
	*) fail "expected '$1' in the output of the last command, got: $(printf '%s' "$out" | head -n 8)" ;;
	esac
}
# refuse TEXT: the last output does not hold TEXT.
refuse() {
	case $out in
	*"$1"*) fail "expected no '$1' in the output of the last command, got: $(printf '%s' "$out" | head -n 8)" ;;
	esac
}
# same WHAT GOT WANT
same() { [ "$2" = "$3" ] || fail "expected $1 to be '$3', got '$2'"; }

# json_str KEY and json_int KEY: the first value of "KEY" in the last output.
json_str() {
	printf '%s\n' "$out" | awk -v k="\"$1\":\"" '
		{ i = index($0, k); if (i) { s = substr($0, i + length(k)); print substr(s, 1, index(s, "\"") - 1); exit } }'
}
json_int() {
	printf '%s\n' "$out" | awk -v k="\"$1\":" '
		{ i = index($0, k); if (i) { s = substr($0, i + length(k)); sub(/[^0-9-].*/, "", s); print s; exit } }'
}
# row_of TEXT: the first line of the last output that holds TEXT.
row_of() { printf '%s\n' "$out" | awk -v t="$1" 'index($0, t) { print; exit }'; }
# ids: the slot or claim ids (first column) of the last output's table, in order.
ids() { printf '%s\n' "$out" | awk 'length($1) == 36 && $1 ~ /^[0-9a-f-]+$/ { print $1 }'; }
nth() { printf '%s\n' "$2" | sed -n "${1}p"; }
# ticket_is ID STATUS QUEUE OWNER: the last output's table row of ticket ID says so.
ticket_is() {
	got=$(printf '%s\n' "$out" | awk -v id="$1" '$2 == id { print $3, $4, $5; exit }')
	same "ticket $1's status, queue and owner" "$got" "$2 $3 $4"
}
# ticket_created QUEUE: the id of the ticket the last `ticket create` made, checking its queue.
ticket_created() {
	tc=$(printf '%s\n' "$out" | awk '$1 == "created" && $2 == "ticket" { print $3, $6; exit }')
	[ "${tc#* }" = "$1" ] || fail "expected the ticket to be routed to queue $1, got: $(row_of created)"
	ticket_id=${tc%% *}
}

# wait_for SECONDS WHO ARGS...: runs the command every 0.5 s until check_ok
# (a function the caller defines) succeeds; shows the command and the last output.
wait_for() {
	limit=$1
	shift
	show_cmd "$@"
	say "   (asked every half second until it is so, at most $limit s)"
	t0=$(date +%s)
	while :; do
		run_as "$@"
		[ "$rc" = 0 ] && check_ok && break
		[ $(($(date +%s) - t0)) -lt "$limit" ] || { show_out; fail "$wait_what, still not so after $limit s"; }
		sleep 0.5
	done
	show_out
	say "   (so after $(($(date +%s) - t0)) s)"
}

# ---- the database and batond ------------------------------------------------------

# DEMO_DIR is emptied on every run: only a folder the demo made (or a new one).
if [ -e "$DEMO_DIR" ]; then
	[ -f "$DEMO_DIR/.baton-demo" ] || [ -z "$(ls -A "$DEMO_DIR")" ] ||
		die "$DEMO_DIR is not empty and not a demo folder: choose another DEMO_DIR"
	rm -rf "$DEMO_DIR"
fi
mkdir -p "$DEMO_DIR"
: >"$DEMO_DIR/.baton-demo"

if ! sh deploy/devdb.sh status "$DEMO_PG_DIR"; then
	sh deploy/devdb.sh start "$DEMO_PG_DIR" >/dev/null || die "could not start PostgreSQL in $DEMO_PG_DIR"
	pg_started=1
fi
conninfo=$(sh deploy/devdb.sh fresh "$DEMO_PG_DIR" baton_demo) || die "could not make the database baton_demo"

# A loopback port nobody uses now (not 7400, `make run`'s); if another program
# takes it first, batond exits and the next try takes another.
free_port() {
	while :; do
		p=$(od -An -N2 -tu2 /dev/urandom | awk '{ print 20000 + $1 % 40000 }')
		[ "$p" != 7400 ] || continue
		cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | grep -q ":$(printf '%04X' "$p") " || break
	done
	echo "$p"
}
# SLA worker and audit sealer every 500 ms; no metrics listener; no drain at exit.
for try in 1 2 3; do
	url=tcp://127.0.0.1:$(free_port)
	BATON_LISTEN=$url BATON_DATABASE_URL=$conninfo BATON_MAINTENANCE_MS=500 BATON_METRICS_LISTEN=off \
		BATON_DRAIN_MS=0 BATON_KEY_FILE="$DEMO_DIR/batond.key" BATON_ADMIN_KEY_FILE="$DEMO_DIR/admin.key" \
		"$BUILD/batond" >>"$DEMO_DIR/batond.log" 2>&1 &
	batond_pid=$!
	n=0
	until "$BUILD/batonctl" --url "$url" --timeout-ms 1000 health >/dev/null 2>&1; do
		kill -0 "$batond_pid" 2>/dev/null && [ $n -lt 300 ] || break
		sleep 0.1
		n=$((n + 1))
	done
	"$BUILD/batonctl" --url "$url" --timeout-ms 1000 health >/dev/null 2>&1 && break
	kill -TERM "$batond_pid" 2>/dev/null || true
	wait "$batond_pid" 2>/dev/null || true
	batond_pid=
	[ "$try" != 3 ] || { tail -n 20 "$DEMO_DIR/batond.log" >&2; die "batond did not start (log: $DEMO_DIR/batond.log)"; }
done

# Days of the story: the coming Friday (after today, in UTC) to Monday, and this month.
fri=$(date -u -d 'next friday' +%F)
sat=$(date -u -d "$fri +1 day" +%F)
mon=$(date -u -d "$fri +3 days" +%F)
month=$(date -u +%Y-%m-01)
next_month=$(date -u -d "$month +1 month" +%Y-%m-01)

echo "Baton's Friday night, told through batonctl"
echo
say "batond $url, its database baton_demo in $DEMO_PG_DIR (made afresh), keys and logs in $DEMO_DIR."
say "Every 'WHO\$ batonctl ARGS' below is $BUILD/batonctl --url $url --server-key $DEMO_DIR/batond.key.pub --key $DEMO_DIR/WHO.key ARGS: WHO's own key. On its first start batond made its server key and the first admin's key (admin.key)."

# ---- the story ----------------------------------------------------------------------

step "The admin registers two partners: warsaw-nights, an after-hours team in Warsaw, and sol-latino, a Spanish-language team in Bogotá; their people, an in-house lead and the helpdesk integration, each with a key they made themselves; and SLA contracts for both partners."
ctl admin org add warsaw-nights --kind after_hours --languages pl,en --time-zone Europe/Warsaw
expect "after_hours"
ctl admin org add sol-latino --kind language --languages es --time-zone America/Bogota
expect "America/Bogota"
# register WHO ORG ROLE NAME [BY]: WHO makes a key pair; BY (default admin) registers its public half.
register() {
	say "$4 makes a key on their own machine and hands over the public half:"
	ctl "$1/offline" keygen --out "$DEMO_DIR/$1.key"
	pub=$out
	case $pub in ed25519:*) ;; *) fail "expected keygen to print ed25519:..., got: $pub" ;; esac
	ctl "${5:-admin}" principal add "$1" --org "$2" --role "$3" --name "$4" --public-key "$pub"
	expect "$1"
	expect "$3"
	expect "$pub"
}
register anna warsaw-nights manager "Anna Kowalska"
say "Anna, warsaw-nights' manager, registers her own agents (a partner manager may, for her organization only):"
register piotr warsaw-nights agent "Piotr Nowak" anna
register kasia warsaw-nights agent "Kasia Wiśniewska" anna
register lucia sol-latino manager "Lucía Fernández"
register mateo sol-latino agent "Mateo Rojas" lucia
register lena in-house lead "Lena Brandt"
register zendesk in-house integration "Helpdesk integration"
say "warsaw-nights' contract: nights and weekends in Warsaw time; a P1 ticket is answered within 15 minutes:"
ctl admin sla set --org warsaw-nights --time-zone Europe/Warsaw --hours 'mon-fri 00:00-08:00,18:00-24:00' \
	--hours 'sat,sun 00:00-24:00' --target P1=15m/30m/4h --target P2=30m/1h/8h --warn-percent 80 \
	--note "nights and weekends"
expect "warsaw-nights version 1"
expect "sat-sun 00:00-24:00"
say "sol-latino's: around the clock. Its first-response target for P2 is 2 seconds, warned at half of it, so that a breach happens while you watch (a real contract would say minutes):"
ctl admin sla set --org sol-latino --time-zone America/Bogota --always-open --target P2=2s/1h/1h --warn-percent 50 \
	--note "demo: P2 answered within 2 s"
expect "sol-latino version 1"
[ -n "$(row_of "P2    2s ")" ] || fail "expected P2's first response target to be 2s, got: $(row_of P2)"

step "Lena, the in-house lead, publishes the weekend's shifts: Friday to Sunday nights in Polish (18:00-02:00 Warsaw, two seats) and Spanish (16:00-00:00 Bogotá, one seat). The demo plays Friday night now, so she also adds tonight's shifts, which have just begun. Then she puts herself on call."
ctl lena slot publish --queue support --language pl --seats 2 --days fri,sat,sun --from 18:00 --to 02:00 \
	--tz Europe/Warsaw --weeks 1 --first-day "$fri" --open-to warsaw-nights --swap-approval manager --note "weekend nights"
expect "3 slots"
pl_weekend=$(ids)
[ "$(printf '%s\n' "$pl_weekend" | wc -l)" -eq 3 ] || fail "expected 3 Polish weekend slots, got: $pl_weekend"
ctl lena slot publish --queue support --language es --seats 1 --days fri,sat,sun --from 16:00 --to 00:00 \
	--tz America/Bogota --weeks 1 --first-day "$fri" --open-to sol-latino --note "weekend, Bogota afternoons"
expect "3 slots"
es_weekend=$(ids)
[ "$(printf '%s\n' "$es_weekend" | wc -l)" -eq 3 ] || fail "expected 3 Spanish weekend slots, got: $es_weekend"
ctl lena slot add --queue support --language pl --seats 2 --start now-5m --end now+3h --open-to warsaw-nights --note tonight
pl_tonight=$(ids)
expect "0/2"
ctl lena slot add --queue support --language es --seats 1 --start now-5m --end now+3h --open-to sol-latino --note tonight
es_tonight=$(ids)
expect "0/1"
ctl lena oncall rotation add weekend-leads --tz Europe/Warsaw --start "$(TZ=Europe/Warsaw date +%F) 00:00" \
	--turn-hours 24 --members lena
expect "weekend-leads"
say "Who is on call on Saturday night?"
ctl lena oncall who --at "${sat}T22:00Z"
expect "weekend-leads"
expect " lena "

step "Partner agents claim seats: Piotr and Kasia take tonight's Polish seats, Mateo tonight's Spanish one. For the weekend Anna claims seats for her agents and Lucía for Mateo and herself, leaving Sunday open. Lena sees who holds which seat, and where coverage falls short."
# claim WHO SLOT [HOLDER]: WHO claims a seat in SLOT for themself, or (a manager) for HOLDER.
claim() {
	if [ $# -eq 3 ]; then ctl "$1" slot claim "$2" --for "$3"; else ctl "$1" slot claim "$2"; fi
	same "the new seat's holder and state" "$(printf '%s\n' "$out" | awk 'length($1) == 36 { print $2, $NF; exit }')" \
		"${3:-$1} held"
}
claim piotr "$pl_tonight"
claim kasia "$pl_tonight"
claim mateo "$es_tonight"
claim anna "$(nth 1 "$pl_weekend")" piotr
claim anna "$(nth 1 "$pl_weekend")" kasia
claim anna "$(nth 2 "$pl_weekend")" kasia
claim lucia "$(nth 1 "$es_weekend")" mateo
claim lucia "$(nth 2 "$es_weekend")"
ctl lena slot claims --for '*' --from now-1h --to "${mon}T12:00Z"
[ "$(ids | wc -l)" -eq 8 ] || fail "expected 8 seats held, got: $out"
ctl lena coverage --from "${fri}T12:00Z" --to "${mon}T12:00Z" --tz Europe/Warsaw
gaps=$(printf '%s\n' "$out" | sed -n '/^Gaps:/,/^On-call gaps:/p' | grep -c '^  support/' || true)
same "the number of coverage gaps (Saturday's Polish seat, Sunday's Polish and Spanish shifts)" "$gaps" 3
expect "short up to 2 (16 seat-hours)"
expect "On-call gaps: none"

step "The helpdesk integration creates tickets from customers' messages. Each is routed at once to the partner whose people are on a shift in its language now: Polish ones to warsaw-nights, Spanish ones to sol-latino."
ctl zendesk ticket create --source zendesk --ref 50311 --subject "Nie mogę się zalogować" --customer sklep-krakow \
	--tier priority --channel chat --language pl --severity 2 \
	--body "Dzień dobry, od rana nie mogę się zalogować do panelu. Hasło nie działa."
ticket_created warsaw-nights
pl_login=$ticket_id
ctl zendesk ticket create --source zendesk --ref 50312 --subject "Faktura za listopad" --customer biuro-gdansk \
	--channel email --language pl --severity 3 --body "Proszę o korektę faktury za listopad, NIP jest błędny."
ticket_created warsaw-nights
pl_invoice=$ticket_id
ctl zendesk ticket create --source zendesk --ref 50313 --subject "El pago no se procesa" --customer tienda-bogota \
	--tier strategic --channel chat --language es-CO --severity 2 \
	--body "Hola, ningún pago con tarjeta pasa desde hace una hora. Estamos perdiendo ventas."
ticket_created sol-latino
es_payment=$ticket_id
ctl zendesk ticket create --source zendesk --ref 50314 --subject "Cambiar la dirección de envío" \
	--customer cliente-medellin --channel email --language es --severity 3 \
	--body "Buenas tardes, quiero cambiar la dirección de envío de mi pedido."
ticket_created sol-latino
es_address=$ticket_id

step "Piotr, on shift in Warsaw, sees his team's queue (only its own tickets), takes the login problem, answers the customer and solves it. He takes the invoice too, notes what he found, and passes it to Kasia, who does invoice corrections; she answers."
ctl piotr ticket list
expect "$pl_login"
expect "$pl_invoice"
refuse "$es_payment"
ctl piotr ticket take "$pl_login"
ticket_is "$pl_login" assigned warsaw-nights piotr
ctl piotr ticket reply "$pl_login" --body "Dzień dobry, zresetowałem hasło. Link do logowania jest już w Pani skrzynce."
ctl piotr ticket resolve "$pl_login" --code solved --note "password reset; the customer is logged in"
ticket_is "$pl_login" resolved warsaw-nights -
ctl piotr ticket take "$pl_invoice"
ticket_is "$pl_invoice" assigned warsaw-nights piotr
ctl piotr ticket note "$pl_invoice" --body "NIP in the customer record is wrong (one digit swapped); needs a corrected invoice"
ctl piotr ticket pass "$pl_invoice" --to kasia --note "Kasia, a corrected invoice please: see my note"
ticket_is "$pl_invoice" assigned warsaw-nights kasia
ctl kasia ticket reply "$pl_invoice" --body "Dzień dobry, poprawiona faktura jest w załączniku."
ticket_is "$pl_invoice" assigned warsaw-nights kasia

step "In Bogotá Mateo takes the address change and answers it. The payment ticket, strategic and severity 2, waits in sol-latino's queue past its 2-second first-response target: the SLA worker warns at half of it, then records the breach and raises an urgent escalation to the lead on call, Lena. She approves it, which makes her the ticket's owner, and answers the customer herself."
ctl mateo ticket take "$es_address"
ticket_is "$es_address" assigned sol-latino mateo
ctl mateo ticket reply "$es_address" --body "Hola, ya cambiamos la dirección de envío de su pedido."
wait_what="expected an open SLA escalation of ticket $es_payment routed to lena"
check_ok() { [ "$(json_str source)" = sla ] && [ "$(json_str assignee)" = lena ]; }
wait_for "$DEMO_WAIT_S" lena --json escalation list --open --ticket "$es_payment"
escalation=$(json_str id)
same "the escalation's urgency" "$(json_str urgency)" urgent
same "the escalation's clock" "$(json_str clock)" first_response
same "the escalation's level" "$(json_int level)" 1
same "the escalation's queue" "$(json_str queue)" sol-latino
ctl lena ticket sla "$es_payment"
# CLOCK CYCLE STATE USED/TARGET DUE WARNED BREACHED: due, warned and breached are each a date and a time.
fr=$(row_of first_response)
[ "$(printf '%s\n' "$fr" | awk '{ print NF }')" -eq 10 ] || fail "expected the first response clock warned and breached, got: $fr"
ctl lena escalation approve "$escalation" --note "strategic customer and payments are down: I take it"
expect "approved by lena: lena owns the ticket now"
ctl lena ticket reply "$es_payment" --body "Hola, soy Lena del equipo central. Estamos revisando los pagos con el procesador; le escribo de nuevo en 30 minutos."
ticket_is "$es_payment" assigned in-house lena

step "Lena reviews the night: tonight's coverage, the month's report per partner and agent, and the audit trail, exported and checked offline against batond's public key."
ctl lena coverage --from now-1h --to now+2h --tz Europe/Warsaw
expect "Gaps: none"
expect "On-call gaps: none"
ctl lena report --from "${month}T00:00Z" --to "${next_month}T00:00Z" --by agent
expect "warsaw-nights"
expect "sol-latino"
# The figures, checked through the same report as JSON (one object per row).
report_row() {
	run_as lena --json report --from "${month}T00:00Z" --to "${next_month}T00:00Z" --org "$1"
	[ "$rc" = 0 ] || fail "expected the JSON report of $1, got: $out"
	out=$(row_of "\"org\":\"$1\"")
}
report_row warsaw-nights
same "warsaw-nights' tickets taken" "$(json_int tickets_taken)" 2
same "warsaw-nights' tickets resolved" "$(json_int tickets_resolved)" 1
same "warsaw-nights' hand-offs" "$(json_int handoffs)" 1
same "warsaw-nights' hand-offs without progress" "$(json_int handoffs_without_progress)" 0
same "warsaw-nights' SLA breaches" "$(json_int sla_breaches)" 0
report_row sol-latino
same "sol-latino's tickets taken" "$(json_int tickets_taken)" 1
same "sol-latino's SLA breaches" "$(json_int sla_breaches)" 1
same "sol-latino's escalations raised" "$(json_int escalations_raised)" 1
same "sol-latino's escalations approved" "$(json_int escalations_approved)" 1
say "The maintenance pass seals new events into the hash chain behind the writes; Lena exports once every event is sealed:"
wait_what="expected every event sealed in the export"
check_ok() { case $out in *"every event was sealed"*) true ;; *) false ;; esac; }
wait_for "$DEMO_WAIT_S" lena audit export -o "$DEMO_DIR/audit.export"
ctl lena/offline audit verify "$DEMO_DIR/audit.export" --server-key "$DEMO_DIR/batond.key.pub"
expect "the audit trail verifies"

echo
echo "demo: all $step_no steps did what they should ($(($(date +%s) - started)) s)"
