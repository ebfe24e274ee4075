/* svc_reports.c - baton.v1.Reports: Report, the figures of a period per organization and per agent (docs/reports.md; the SQL is baton_report in 0007_reports.sql). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/v1/reports.pb-c.h"
#include "server/services.h"
#include "server/tickets.h"
#include "server/validate.h"

/* Everyone but integrations; who sees which organization is checked below. */
#define READERS (ROLE_AGENT | ROLE_MANAGER | ROLE_LEAD | ROLE_ADMIN)
#define PERIOD_MAX_DAYS 400
#define DAY_MS          86400000LL
#define COLUMNS         23

static baton_status period_check(rpc_call *call, int64_t from, int64_t to)
{
	if (from <= 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "from_unix_ms must be a time after 1970-01-01 (ms since the epoch), not %lld", (long long)from);
	if (to <= from)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "to_unix_ms (%lld) must be after from_unix_ms (%lld): the period is [from, to)", (long long)to,
		    (long long)from);
	if (to - from > PERIOD_MAX_DAYS * DAY_MS)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "a report covers at most %d days; [from, to) is %.1f days", PERIOD_MAX_DAYS,
		    (double)(to - from) / (double)DAY_MS);
	return BATON_OK;
}

/* In-house leads and admins see every organization (tickets_caller_is_lead);
 * everyone else their own. The organization asked for (name or id) as its id; "" when every
 * organization the caller may see was asked for and it may see them all,
 * the caller's own when it may see only that one. */
static baton_status org_resolve(rpc_call *call, const char *asked, char id[40])
{
	const char *params[1] = { asked };
	PGresult *res;
	baton_status s;
	bool found;

	id[0] = '\0';
	if (asked[0] == '\0') {
		if (!tickets_caller_is_lead(call))
			snprintf(id, 40, "%s", call->caller.org_id);
		return BATON_OK;
	}
	if (strlen(asked) > 200)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "org must be an organization's name or id");
	if ((s = db_exec_prepared(call->db, &res,
	         validate_uuid_shaped(asked) ? "SELECT id FROM org WHERE id = $1::uuid" : "SELECT id FROM org WHERE name = $1",
	         1, params, &call->status)) != BATON_OK)
		return s;
	found = PQntuples(res) == 1;
	if (found)
		snprintf(id, 40, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	/* Not found and not one's own are the same answer to those who may see
	 * only their own: whether another organization exists is not theirs to learn. */
	if (!tickets_caller_is_lead(call) && (!found || strcmp(id, call->caller.org_id) != 0))
		return status_set(&call->status, BATON_PERMISSION_DENIED,
		    "you may see the report of your own organization only, not '%.80s'", asked);
	if (!found)
		return status_set(&call->status, BATON_NOT_FOUND, "no organization '%.80s'", asked);
	return BATON_OK;
}

static double real_col(const PGresult *res, int row, int c)
{
	return strtod(PQgetvalue(res, row, c), NULL);
}

static baton_status row_read(rpc_call *call, const PGresult *res, int r, Baton__V1__ReportRow **out)
{
	Baton__V1__ReportRow *w = arena_alloc(call->arena, sizeof(*w));

	if (w == NULL)
		return shifts_oom(call);
	baton__v1__report_row__init(w);
	if ((w->org = shifts_col(call, res, r, 0)) == NULL || (w->agent = shifts_col(call, res, r, 1)) == NULL)
		return shifts_oom(call);
	w->tickets_taken = shifts_int(res, r, 2);
	w->tickets_resolved = shifts_int(res, r, 3);
	w->first_responses_met = shifts_int(res, r, 4);
	w->first_responses_missed = shifts_int(res, r, 5);
	w->first_response_within_sla = real_col(res, r, 6);
	w->resolutions_met = shifts_int(res, r, 7);
	w->resolutions_missed = shifts_int(res, r, 8);
	w->resolution_within_sla = real_col(res, r, 9);
	w->first_contact_resolutions = shifts_int(res, r, 10);
	w->first_contact_resolution_rate = real_col(res, r, 11);
	w->touches_per_resolved = real_col(res, r, 12);
	w->handoffs = shifts_int(res, r, 13);
	w->handoffs_without_progress = shifts_int(res, r, 14);
	w->escalations_raised = shifts_int(res, r, 15);
	w->escalations_approved = shifts_int(res, r, 16);
	w->escalations_rejected = shifts_int(res, r, 17);
	w->escalations_expired = shifts_int(res, r, 18);
	w->sla_breaches = shifts_int(res, r, 19);
	w->coverage_promised_hours = real_col(res, r, 20);
	w->coverage_held_hours = real_col(res, r, 21);
	w->coverage_gap_hours = real_col(res, r, 22);
	*out = w;
	return BATON_OK;
}

static baton_status report(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ReportRequest *req = (const Baton__V1__ReportRequest *)request;
	Baton__V1__ReportReply *rep = (Baton__V1__ReportReply *)reply;
	char from[24], to[24], org_id[40];
	const char *params[4] = { from, to, NULL, req->by_agent ? "true" : "false" };
	PGresult *res = NULL;
	baton_status s;
	int n;

	/* The method table keeps integrations out; said again here, as the
	 * scoping below assumes a person. */
	if (call->caller.role == ROLE_INTEGRATION)
		return status_set(&call->status, BATON_PERMISSION_DENIED, "integrations do not read reports");
	if ((s = period_check(call, req->from_unix_ms, req->to_unix_ms)) != BATON_OK ||
	    (s = org_resolve(call, req->org, org_id)) != BATON_OK)
		return s;
	/* Row-level security is the second guard: baton_report lists only the
	 * organizations the caller's scope shows. The first is here: org_id is
	 * the caller's own unless it may see all. */
	if (!tickets_caller_is_lead(call) && strcmp(org_id, call->caller.org_id) != 0)
		return status_set(&call->status, BATON_INTERNAL, "report scope check failed");
	params[2] = org_id[0] != '\0' ? org_id : NULL;
	snprintf(from, sizeof(from), "%lld", (long long)req->from_unix_ms);
	snprintf(to, sizeof(to), "%lld", (long long)req->to_unix_ms);
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT * FROM baton_report('epoch'::timestamptz + $1::bigint * interval '1 millisecond',"
	         "                           'epoch'::timestamptz + $2::bigint * interval '1 millisecond',"
	         "                           $3::uuid, $4::boolean)",
	         4, params, &call->status)) != BATON_OK)
		return s;
	if (PQnfields(res) != COLUMNS) {
		s = status_set(&call->status, BATON_INTERNAL, "baton_report returned %d columns, not %d", PQnfields(res),
		    COLUMNS);
		goto out;
	}
	n = PQntuples(res);
	rep->from_unix_ms = req->from_unix_ms;
	rep->to_unix_ms = req->to_unix_ms;
	if (n > 0 && (rep->rows = arena_alloc(call->arena, (size_t)n * sizeof(*rep->rows))) == NULL) {
		s = shifts_oom(call);
		goto out;
	}
	for (int r = 0; r < n; r++) {
		if ((s = row_read(call, res, r, &rep->rows[r])) != BATON_OK)
			goto out;
		rep->n_rows = (size_t)r + 1;
	}
out:
	PQclear(res);
	return s;
}

static const rpc_method_impl methods[] = {
	{ "Report", report, RPC_TX, READERS },
};

const rpc_service_impl svc_reports = {
	&baton__v1__reports__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
