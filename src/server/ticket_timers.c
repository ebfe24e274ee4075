/* ticket_timers.c - expired return timers, ended shifts, SLA warnings and breaches, escalation expiry: bounded SKIP LOCKED batches for the maintenance pass. */
#include <stdlib.h>

#include "server/ticket_timers.h"

#define BATCH_TICKETS    500
#define TEXT_(x)         #x
#define TEXT(x)          TEXT_(x)
#define BATCHES_PER_PASS 20
#define BATCH_TIMEOUT_MS 30000

const char *ticket_timer_name(ticket_timer which)
{
	static const char *const names[TICKET_TIMERS] = {
		[TICKET_TIMER_RETURN] = "return",
		[TICKET_TIMER_SHIFT_END] = "shift_end",
		[TICKET_TIMER_SLA_WARNING] = "sla_warning",
		[TICKET_TIMER_SLA_BREACH] = "sla_breach",
		[TICKET_TIMER_ESCALATION_EXPIRY] = "escalation_expiry",
	};
	return (unsigned)which < TICKET_TIMERS ? names[which] : "?";
}

/* The clocks whose `at` column passed and `done` column is still empty,
 * their tickets locked (FOR UPDATE OF t: the ticket row first, as every
 * change to a ticket takes it), each handed to baton_sla_fire(). A ticket
 * with two clocks due is locked twice by one statement, which is fine. */
#define SLA_DUE(at, done, what) \
	"SELECT baton_sla_fire(due.ticket_id, due.clock, due.cycle, '" what "') FROM" \
	" (SELECT k.ticket_id, k.clock, k.cycle FROM ticket_clock k JOIN ticket t ON t.id = k.ticket_id" \
	"  WHERE k.state = 'running' AND k." done " IS NULL AND k." at " <= now()" \
	"  ORDER BY k." at " LIMIT " TEXT(BATCH_TICKETS) " FOR UPDATE OF t SKIP LOCKED) due"

/* One batch per statement: the oldest due rows no other instance holds,
 * each acted on (or found no longer due) under its row lock by a function
 * that answers whether it acted. The tests of the WHERE clauses are those
 * the functions make, so that a row they would refuse cannot fill every
 * batch forever (owner_id for requeueing, state for the rest). */
static const char *const batch_sql[TICKET_TIMERS] = {
	[TICKET_TIMER_RETURN] =
	    "SELECT baton_ticket_requeue(due.id, 'idle') FROM"
	    " (SELECT id FROM ticket WHERE return_at <= now() AND owner_id IS NOT NULL"
	    "  ORDER BY return_at LIMIT " TEXT(BATCH_TICKETS) " FOR UPDATE SKIP LOCKED) due",
	[TICKET_TIMER_SHIFT_END] =
	    "SELECT baton_ticket_requeue(due.id, 'shift_end') FROM"
	    " (SELECT id FROM ticket WHERE shift_ends_at <= now() AND owner_id IS NOT NULL"
	    "  ORDER BY shift_ends_at LIMIT " TEXT(BATCH_TICKETS) " FOR UPDATE SKIP LOCKED) due",
	[TICKET_TIMER_SLA_WARNING] = SLA_DUE("warn_at", "warned_at", "warning"),
	[TICKET_TIMER_SLA_BREACH] = SLA_DUE("due_at", "breached_at", "breach"),
	[TICKET_TIMER_ESCALATION_EXPIRY] =
	    "SELECT baton_escalation_expire(due.id) FROM"
	    " (SELECT id FROM escalation WHERE state = 'open' AND expires_at <= now()"
	    "  ORDER BY expires_at LIMIT " TEXT(BATCH_TICKETS) " FOR UPDATE SKIP LOCKED) due",
};

baton_status ticket_timers_expire(db_conn *db, ticket_timer which, int64_t *acted, status_msg *m)
{
	const db_scope all = { .all = true };
	baton_status s;

	*acted = 0;
	if ((unsigned)which >= TICKET_TIMERS)
		return status_set(m, BATON_INTERNAL, "no ticket timer %d", (int)which);
	for (int batch = 0; batch < BATCHES_PER_PASS; batch++) {
		PGresult *res = NULL;
		int due, moved_now = 0;

		if ((s = db_tx_begin_scoped(db, BATCH_TIMEOUT_MS, &all, m)) != BATON_OK)
			return s;
		if ((s = db_exec(db, &res, batch_sql[which], 0, NULL, m)) != BATON_OK) {
			db_tx_rollback(db);
			return s;
		}
		due = PQntuples(res);
		for (int r = 0; r < due; r++)
			moved_now += PQgetvalue(res, r, 0)[0] == 't';
		PQclear(res);
		if ((s = db_tx_commit(db, m)) != BATON_OK)
			return s;
		*acted += moved_now;
		/* A short batch took all that was due; one that moved nothing
		 * would find the same rows again. */
		if (due < BATCH_TICKETS || moved_now == 0)
			break;
	}
	return BATON_OK;
}

/* The WHERE clauses are those of the partial indexes (and of the batches
 * above), so that each min() is one index probe; least() skips NULLs. */
baton_status ticket_timers_lag(db_conn *db, int64_t *lag_ms, status_msg *m)
{
	const db_scope all = { .all = true };
	PGresult *res = NULL;
	baton_status s;

	*lag_ms = 0;
	if ((s = db_tx_begin_scoped(db, BATCH_TIMEOUT_MS, &all, m)) != BATON_OK)
		return s;
	if ((s = db_exec_prepared(db, &res,
	         "SELECT coalesce(greatest(0, floor(1000 * extract(epoch FROM now() - least("
	         " (SELECT min(warn_at) FROM ticket_clock WHERE state = 'running' AND warned_at IS NULL),"
	         " (SELECT min(due_at) FROM ticket_clock WHERE state = 'running' AND breached_at IS NULL),"
	         " (SELECT min(expires_at) FROM escalation WHERE state = 'open' AND expires_at IS NOT NULL)"
	         ")))), 0)::bigint",
	         0, NULL, m)) != BATON_OK) {
		db_tx_rollback(db);
		return s;
	}
	if (PQntuples(res) == 1)
		*lag_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return db_tx_commit(db, m);
}
