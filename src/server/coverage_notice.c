/* coverage_notice.c - coverage gaps of the next hours announced as events, once each (see coverage_notice.h). */
#include <stdio.h>

#include "server/coverage_notice.h"

/*
 * One statement, so that the notice table's primary key alone decides
 * who announces what: several batond instances may run it at once, and an
 * INSERT that meets another's uncommitted notice waits for it and then
 * does nothing. Hours are UTC hours and windows are counted in hours, not
 * days, so that the session's time zone (and its DST) plays no part.
 * baton_coverage and baton_oncall_spans answer at most 62 days, so the
 * window is cut there whatever the horizon.
 */
static const char announce_sql[] =
    "WITH win AS ("
    "    SELECT date_trunc('hour', now(), 'UTC') AS f,"
    "           least(now() + make_interval(hours => $1::int),"
    "                 date_trunc('hour', now(), 'UTC') + interval '1488 hours') AS u"
    "), seats AS ("
    "    SELECT 'seats'::text AS what, c.queue, c.language, c.hour, c.wanted - c.claimed AS short"
    "      FROM win CROSS JOIN LATERAL baton_coverage(win.f, win.u, 'UTC') AS c"
    "     WHERE c.claimed < c.wanted"
    /* With no rotation at all nobody is ever on call: not news, so quiet. */
    "), oncall AS ("
    "    SELECT 'oncall'::text, ''::text, ''::text, h, 1::bigint"
    "      FROM win CROSS JOIN LATERAL baton_oncall_gaps(win.f, win.u) AS g"
    "     CROSS JOIN LATERAL generate_series(date_trunc('hour', lower(g.during), 'UTC'),"
    "                                        upper(g.during) - interval '1 microsecond', interval '1 hour') AS h"
    "     WHERE EXISTS (SELECT 1 FROM rotation)"
    "), gaps AS ("
    "    SELECT * FROM seats UNION ALL SELECT * FROM oncall"
    /* In key order, so that concurrent passes take the same locks in the same order. */
    "), fresh AS ("
    "    INSERT INTO coverage_gap_notice AS n (what, queue, language, hour, short)"
    "    SELECT * FROM gaps ORDER BY 1, 2, 3, 4"
    "    ON CONFLICT DO NOTHING"
    "    RETURNING n.what, n.queue, n.language, n.hour, n.short"
    /* A gap that closed is forgotten, so that it is announced again if it reopens. */
    "), forgotten AS ("
    "    DELETE FROM coverage_gap_notice n USING win"
    "     WHERE n.hour < now() - interval '168 hours'"
    "        OR (n.hour >= win.f AND n.hour < win.u"
    "            AND NOT EXISTS (SELECT 1 FROM gaps g WHERE g.what = n.what AND g.queue = n.queue"
    "                                                  AND g.language = n.language AND g.hour = n.hour))"
    /* Consecutive hours share hour - (their rank) hours: one run, one event. */
    "), runs AS ("
    "    SELECT what, queue, language, min(hour) AS f, max(hour) + interval '1 hour' AS u, count(*) AS hours,"
    "           max(short) AS short_max"
    "      FROM (SELECT fr.*, fr.hour - (row_number() OVER (PARTITION BY fr.what, fr.queue, fr.language"
    "                                                        ORDER BY fr.hour)) * interval '1 hour' AS run"
    "              FROM fresh fr) AS x"
    "     GROUP BY what, queue, language, run"
    ")"
    " INSERT INTO event (org_id, kind, subject_id, body)"
    " SELECT NULL, CASE what WHEN 'seats' THEN 'coverage.gap' ELSE 'oncall.gap' END,"
    "        CASE what WHEN 'seats' THEN queue || '/' || language ELSE 'oncall' END,"
    "        jsonb_build_object('queue', queue, 'language', language,"
    "                           'from', to_char(f AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "                           'to', to_char(u AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
    "                           'hours', hours, 'short_max', short_max)"
    "   FROM runs ORDER BY f, what, queue, language"
    " RETURNING id";

baton_status coverage_notice_announce(db_conn *db, int64_t horizon_hours, int64_t *events, status_msg *m)
{
	db_scope all = { .all = true };
	char hours[24];
	PGresult *res = NULL;
	baton_status s;

	*events = 0;
	snprintf(hours, sizeof(hours), "%lld", (long long)horizon_hours);
	const char *params[1] = { hours };
	if ((s = db_tx_begin_scoped(db, 60000, &all, m)) != BATON_OK)
		return s;
	/* JIT is off for every batond connection (db.c): its compile time
	 * cost this statement seconds per pass. */
	if ((s = db_exec(db, &res, announce_sql, 1, params, m)) != BATON_OK ||
	    (s = db_tx_commit(db, m)) != BATON_OK) {
		db_tx_rollback(db);
		PQclear(res);
		return s;
	}
	*events = PQntuples(res);
	PQclear(res);
	return BATON_OK;
}
