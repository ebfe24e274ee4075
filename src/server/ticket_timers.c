/* ticket_timers.c - expired return timers and ended shifts, in bounded SKIP LOCKED batches for the maintenance pass. */
#include "server/ticket_timers.h"

#define BATCH_TICKETS    500
#define TEXT_(x)         #x
#define TEXT(x)          TEXT_(x)
#define BATCHES_PER_PASS 20
#define BATCH_TIMEOUT_MS 30000

const char *ticket_timer_name(ticket_timer which)
{
	return which == TICKET_TIMER_RETURN ? "return" : "shift_end";
}

/* One batch per statement: the oldest due tickets no other instance holds,
 * each requeued (or found no longer due) under its row lock. owner_id is
 * part of the test so that a row the function would refuse cannot fill
 * every batch forever. */
static const char *const batch_sql[] = {
	[TICKET_TIMER_RETURN] =
	    "SELECT baton_ticket_requeue(due.id, 'idle') FROM"
	    " (SELECT id FROM ticket WHERE return_at <= now() AND owner_id IS NOT NULL"
	    "  ORDER BY return_at LIMIT " TEXT(BATCH_TICKETS) " FOR UPDATE SKIP LOCKED) due",
	[TICKET_TIMER_SHIFT_END] =
	    "SELECT baton_ticket_requeue(due.id, 'shift_end') FROM"
	    " (SELECT id FROM ticket WHERE shift_ends_at <= now() AND owner_id IS NOT NULL"
	    "  ORDER BY shift_ends_at LIMIT " TEXT(BATCH_TICKETS) " FOR UPDATE SKIP LOCKED) due",
};

baton_status ticket_timers_expire(db_conn *db, ticket_timer which, int64_t *moved, status_msg *m)
{
	const db_scope all = { .all = true };
	baton_status s;

	*moved = 0;
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
		*moved += moved_now;
		/* A short batch took all that was due; one that moved nothing
		 * would find the same rows again. */
		if (due < BATCH_TICKETS || moved_now == 0)
			break;
	}
	return BATON_OK;
}
