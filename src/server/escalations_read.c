/* escalations_read.c - reading escalations: the row to message, ListEscalations (keyset pages, newest first), ShowEscalation (with its history). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/escalations.h"
#include "server/validate.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     500

baton_status escalations_from_row(rpc_call *call, const PGresult *res, int row, int c, escalations_row *out)
{
	Baton__V1__Escalation *x = arena_alloc(call->arena, sizeof(*x));

	memset(out, 0, sizeof(*out));
	if (x == NULL)
		return shifts_oom(call);
	baton__v1__escalation__init(x);
	x->id = shifts_col(call, res, row, c + 0);
	x->ticket = shifts_col(call, res, row, c + 1);
	x->ticket_subject = shifts_col(call, res, row, c + 2);
	x->queue = shifts_col(call, res, row, c + 3);
	x->source = shifts_col(call, res, row, c + 4);
	x->raised_by = shifts_col(call, res, row, c + 5);
	x->reason = shifts_col(call, res, row, c + 6);
	x->urgency = shifts_col(call, res, row, c + 7);
	x->clock = shifts_col(call, res, row, c + 8);
	x->state = shifts_col(call, res, row, c + 9);
	x->level = (int32_t)shifts_int(res, row, c + 10);
	x->assignee = shifts_col(call, res, row, c + 11);
	x->routed_rule = shifts_col(call, res, row, c + 12);
	x->routed_unix_ms = shifts_int(res, row, c + 13);
	x->expires_unix_ms = shifts_int(res, row, c + 14);
	x->expiries = (int32_t)shifts_int(res, row, c + 15);
	x->decided_by = shifts_col(call, res, row, c + 16);
	x->decided_unix_ms = shifts_int(res, row, c + 17);
	x->decision_note = shifts_col(call, res, row, c + 18);
	x->new_owner = shifts_col(call, res, row, c + 19);
	x->created_unix_ms = shifts_int(res, row, c + 20);
	snprintf(out->org_id, sizeof(out->org_id), "%s", PQgetvalue(res, row, c + 21));
	out->created_us = shifts_int(res, row, c + 22);
	if (x->id == NULL || x->ticket == NULL || x->ticket_subject == NULL || x->queue == NULL || x->source == NULL ||
	    x->raised_by == NULL || x->reason == NULL || x->urgency == NULL || x->clock == NULL || x->state == NULL ||
	    x->assignee == NULL || x->routed_rule == NULL || x->decided_by == NULL || x->decision_note == NULL ||
	    x->new_owner == NULL)
		return shifts_oom(call);
	out->msg = x;
	return BATON_OK;
}

baton_status escalations_get(rpc_call *call, const char *id, bool lock, escalations_row *out)
{
	const char *params[1] = { id };
	PGresult *res;
	baton_status s;

	memset(out, 0, sizeof(*out));
	if (id == NULL || id[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "id is required (an escalation id)");
	if (!validate_uuid_shaped(id))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not an escalation id", id);
	/* Locked alone first, then read with the joins (as tickets_get does):
	 * the read sees what a decision that came first left. */
	if (lock && (s = db_exec_prepared(call->db, NULL, "SELECT 1 FROM escalation WHERE id = $1::uuid FOR UPDATE", 1,
	                 params, &call->status)) != BATON_OK)
		return s;
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT " ESCALATIONS_COLS " FROM " ESCALATIONS_FROM " WHERE x.id = $1::uuid", 1, params,
	         &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no escalation %s", id);
	}
	s = escalations_from_row(call, res, 0, 0, out);
	PQclear(res);
	return s;
}

/* ---- ListEscalations ------------------------------------------------------- */

/* "<created µs>.<uuid>", as next_page_token gives it, into key (digits)
 * and id. */
static baton_status list_token(rpc_call *call, const char *token, char key[24], char id[40])
{
	const char *dot = strchr(token, '.');
	char *end;

	errno = 0;
	long long us = strtoll(token, &end, 10);
	if (dot == NULL || end != dot || end == token || errno != 0 || !validate_uuid_shaped(dot + 1))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "page_token '%.80s' is not one a listing gave (next_page_token)", token);
	snprintf(key, 24, "%lld", us);
	snprintf(id, 40, "%s", dot + 1);
	return BATON_OK;
}

/*
 * One page, newest first. A filter not asked for is a NULL parameter,
 * which planning folds away (the statement is planned with its values:
 * db_exec, not a prepared generic plan). A partner sees the escalations
 * raised from its queue only (row-level security); saying so lets the
 * query walk escalation_org.
 */
baton_status escalations_list(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ListEscalationsRequest *req = (const Baton__V1__ListEscalationsRequest *)request;
	Baton__V1__ListEscalationsReply *rep = (Baton__V1__ListEscalationsReply *)reply;
	char key[24] = "", after_id[40] = "", limit[16];
	escalations_row x = { .msg = NULL };
	PGresult *res;
	baton_status s;
	int rows;

	if (req->page_size < 0 || req->page_size > PAGE_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "page_size %d is not 1 to %d (0: %d)",
		    (int)req->page_size, PAGE_MAX, PAGE_DEFAULT);
	int32_t page_size = req->page_size == 0 ? PAGE_DEFAULT : req->page_size;
	if (req->ticket[0] != '\0' && !validate_uuid_shaped(req->ticket))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a ticket id", req->ticket);
	if (req->page_token[0] != '\0' && (s = list_token(call, req->page_token, key, after_id)) != BATON_OK)
		return s;
	snprintf(limit, sizeof(limit), "%d", (int)page_size + 1);
	const char *params[7] = {
		req->open_only ? "true" : NULL,
		req->mine ? call->caller.principal_id : NULL,
		req->ticket[0] != '\0' ? req->ticket : NULL,
		call->caller.in_house ? NULL : call->caller.org_id,
		key[0] != '\0' ? key : NULL,
		after_id[0] != '\0' ? after_id : NULL,
		limit,
	};
	if ((s = db_exec(call->db, &res,
	         "SELECT " ESCALATIONS_COLS " FROM " ESCALATIONS_FROM
	         " WHERE ($1::boolean IS NULL OR x.state = 'open')"
	         "   AND ($2::uuid IS NULL OR x.assignee_id = $2::uuid)"
	         "   AND ($3::uuid IS NULL OR x.ticket_id = $3::uuid)"
	         "   AND ($4::uuid IS NULL OR x.org_id = $4::uuid)"
	         "   AND ($5::bigint IS NULL"
	         "        OR (x.created_at, x.id) < (timestamptz 'epoch' + $5::bigint * interval '1 microsecond', $6::uuid))"
	         " ORDER BY x.created_at DESC, x.id DESC LIMIT $7::int",
	         7, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	bool more = rows > page_size;
	if (more)
		rows = page_size;
	if ((rep->escalations = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->escalations))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		if ((s = escalations_from_row(call, res, r, 0, &x)) == BATON_OK)
			rep->escalations[rep->n_escalations++] = x.msg;
	PQclear(res);
	if (s != BATON_OK)
		return s;
	if (more && (rep->next_page_token = tickets_printf(call, "%lld.%s", (long long)x.created_us, x.msg->id)) == NULL)
		return shifts_oom(call);
	return BATON_OK;
}

/* ---- ShowEscalation --------------------------------------------------------- */

/*
 * Every step, oldest first: the escalation's own events (requested,
 * expired, approved, rejected) and the ticket's events that name it
 * (escalated, sla_breached, escalation_approved, escalation_rejected).
 * Row-level security leaves out what the caller may not see.
 */
static baton_status show_history(rpc_call *call, const escalations_row *x, Baton__V1__ShowEscalationReply *rep)
{
	const char *params[2] = { x->msg->id, x->msg->ticket };
	PGresult *res;
	baton_status s;
	int rows;

	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT " EVENTS_COLS " FROM " EVENTS_FROM
	         " WHERE e.subject_id IN ($1, $2)"
	         "   AND (e.subject_id = $1"
	         "        OR (e.kind IN ('ticket.escalated', 'ticket.sla_breached', 'ticket.escalation_approved',"
	         "                       'ticket.escalation_rejected') AND e.body->>'escalation' = $1))"
	         " ORDER BY e.xid, e.id",
	         2, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	if ((rep->history = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->history))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = events_from_row(call, res, r, 0, &rep->history[rep->n_history++]);
	PQclear(res);
	return s;
}

baton_status escalations_show(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ShowEscalationRequest *req = (const Baton__V1__ShowEscalationRequest *)request;
	Baton__V1__ShowEscalationReply *rep = (Baton__V1__ShowEscalationReply *)reply;
	escalations_row x;
	baton_status s;

	if ((s = escalations_get(call, req->id, false, &x)) != BATON_OK || (s = show_history(call, &x, rep)) != BATON_OK)
		return s;
	rep->escalation = x.msg;
	return BATON_OK;
}
