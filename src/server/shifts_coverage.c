/* shifts_coverage.c - Coverage: seats wanted and claimed hour by hour, the gaps among them, and hours with no lead on call. */
#include <stdio.h>
#include <string.h>

#include "server/shifts_internal.h"

/* At most this long a range (baton_coverage and baton_oncall_spans agree). */
#define COVERAGE_MAX_MS (62 * 86400 * 1000LL)

/* The hours of baton_coverage() for the request ($1 from, $2 to, $3 zone,
 * $4 queue, $5 language; "" for no filter), as SQL. */
#define COVERAGE_HOURS \
	"SELECT h.hour, h.queue, h.language, h.wanted, h.claimed" \
	"  FROM baton_coverage(to_timestamp($1::bigint / 1000.0), to_timestamp($2::bigint / 1000.0), $3) h" \
	" WHERE ($4 = '' OR h.queue = $4) AND ($5 = '' OR lower(h.language) = lower($5))"

static baton_status coverage_hours(rpc_call *call, const char *const params[5], Baton__V1__CoverageReply *rep)
{
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "SELECT " SQL_MS("c.hour") ", c.queue, c.language, c.wanted, c.claimed FROM (" COVERAGE_HOURS ") c"
	         " ORDER BY c.hour, c.queue, c.language",
	         5, params, &call->status)) != BATON_OK)
		return s;
	int rows = PQntuples(res);
	if ((rep->hours = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->hours))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows; r++) {
		Baton__V1__CoverageHour *h = arena_alloc(call->arena, sizeof(*h));
		if (h == NULL) {
			PQclear(res);
			return shifts_oom(call);
		}
		baton__v1__coverage_hour__init(h);
		h->hour_unix_ms = shifts_int(res, r, 0);
		h->queue = shifts_col(call, res, r, 1);
		h->language = shifts_col(call, res, r, 2);
		h->wanted = (int32_t)shifts_int(res, r, 3);
		h->claimed = (int32_t)shifts_int(res, r, 4);
		rep->hours[rep->n_hours++] = h;
		if (h->queue == NULL || h->language == NULL) {
			PQclear(res);
			return shifts_oom(call);
		}
	}
	PQclear(res);
	return BATON_OK;
}

/* Short hours merged into runs per queue and language (gaps and islands:
 * an hour minus its rank among the short hours is constant along a run). */
static baton_status coverage_gaps(rpc_call *call, const char *const params[5], Baton__V1__CoverageReply *rep)
{
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "WITH short AS (" COVERAGE_HOURS " AND h.claimed < h.wanted),"
	         " runs AS (SELECT x.*, x.hour - (row_number() OVER (PARTITION BY x.queue, x.language ORDER BY x.hour))"
	         "                            * interval '1 hour' AS run"
	         "            FROM short x)"
	         " SELECT r.queue, r.language, " SQL_MS("min(r.hour)") ", " SQL_MS("max(r.hour) + interval '1 hour'") ","
	         "        max(r.wanted - r.claimed), sum(r.wanted - r.claimed)"
	         "   FROM runs r GROUP BY r.queue, r.language, r.run"
	         "  ORDER BY min(r.hour), r.queue, r.language",
	         5, params, &call->status)) != BATON_OK)
		return s;
	int rows = PQntuples(res);
	if ((rep->gaps = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->gaps))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows; r++) {
		Baton__V1__CoverageGap *g = arena_alloc(call->arena, sizeof(*g));
		if (g == NULL) {
			PQclear(res);
			return shifts_oom(call);
		}
		baton__v1__coverage_gap__init(g);
		g->queue = shifts_col(call, res, r, 0);
		g->language = shifts_col(call, res, r, 1);
		g->from_unix_ms = shifts_int(res, r, 2);
		g->to_unix_ms = shifts_int(res, r, 3);
		g->short_max = (int32_t)shifts_int(res, r, 4);
		g->seat_hours_short = shifts_int(res, r, 5);
		rep->gaps[rep->n_gaps++] = g;
		if (g->queue == NULL || g->language == NULL) {
			PQclear(res);
			return shifts_oom(call);
		}
	}
	PQclear(res);
	return BATON_OK;
}

static baton_status coverage_oncall(rpc_call *call, const char *const params[2], Baton__V1__CoverageReply *rep)
{
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "SELECT " SQL_MS("lower(g.during)") ", " SQL_MS("upper(g.during)")
	         "  FROM baton_oncall_gaps(to_timestamp($1::bigint / 1000.0), to_timestamp($2::bigint / 1000.0)) g"
	         " ORDER BY lower(g.during)",
	         2, params, &call->status)) != BATON_OK)
		return s;
	int rows = PQntuples(res);
	if ((rep->oncall_gaps = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->oncall_gaps))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows; r++) {
		Baton__V1__TimeRange *t = arena_alloc(call->arena, sizeof(*t));
		if (t == NULL) {
			PQclear(res);
			return shifts_oom(call);
		}
		baton__v1__time_range__init(t);
		t->from_unix_ms = shifts_int(res, r, 0);
		t->to_unix_ms = shifts_int(res, r, 1);
		rep->oncall_gaps[rep->n_oncall_gaps++] = t;
	}
	PQclear(res);
	return BATON_OK;
}

baton_status shifts_coverage(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__CoverageRequest *req = (const Baton__V1__CoverageRequest *)request;
	Baton__V1__CoverageReply *rep = (Baton__V1__CoverageReply *)reply;
	const char *tz = req->time_zone[0] != '\0' ? req->time_zone : "UTC";
	char from[24], to[24];
	baton_status s;

	if (!call->caller.in_house)
		return status_set(&call->status, BATON_PERMISSION_DENIED, "coverage is for in-house staff");
	if (req->from_unix_ms <= 0 || req->to_unix_ms <= 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "from and to are both needed (ms since the epoch)");
	if (req->to_unix_ms <= req->from_unix_ms)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "to (%lld) must be after from (%lld)",
		    (long long)req->to_unix_ms, (long long)req->from_unix_ms);
	if (req->to_unix_ms - req->from_unix_ms > COVERAGE_MAX_MS)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "coverage covers at most 62 days at a time; from to to is %.1f days",
		    (double)(req->to_unix_ms - req->from_unix_ms) / 86400e3);
	if ((s = shifts_check_time_zone(call, tz)) != BATON_OK)
		return s;
	snprintf(from, sizeof(from), "%lld", (long long)req->from_unix_ms);
	snprintf(to, sizeof(to), "%lld", (long long)req->to_unix_ms);
	const char *params[5] = { from, to, tz, req->queue, req->language };
	if ((s = coverage_hours(call, params, rep)) != BATON_OK || (s = coverage_gaps(call, params, rep)) != BATON_OK)
		return s;
	return coverage_oncall(call, params, rep);
}
