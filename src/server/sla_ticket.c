/* sla_ticket.c - TicketSla: a ticket's SLA clocks as they stand now, and their replay from its events. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/sla.h"
#include "server/tickets.h"

baton_status sla_clock_from_row(rpc_call *call, const PGresult *res, int row, int c, Baton__V1__SlaClock **out)
{
	Baton__V1__SlaClock *k = arena_alloc(call->arena, sizeof(*k));

	if (k == NULL)
		return shifts_oom(call);
	baton__v1__sla_clock__init(k);
	k->clock = shifts_col(call, res, row, c + 0);
	k->cycle = (int32_t)shifts_int(res, row, c + 1);
	k->state = shifts_col(call, res, row, c + 2);
	k->target_s = shifts_int(res, row, c + 3);
	k->used_s = strtod(PQgetvalue(res, row, c + 4), NULL);
	k->started_unix_ms = shifts_int(res, row, c + 5);
	k->warn_unix_ms = shifts_int(res, row, c + 6);
	k->due_unix_ms = shifts_int(res, row, c + 7);
	k->warned_unix_ms = shifts_int(res, row, c + 8);
	k->breached_unix_ms = shifts_int(res, row, c + 9);
	k->ended_unix_ms = shifts_int(res, row, c + 10);
	k->contract_version = (int32_t)shifts_int(res, row, c + 11);
	k->contract_org = shifts_col(call, res, row, c + 12);
	if (k->clock == NULL || k->state == NULL || k->contract_org == NULL)
		return shifts_oom(call);
	*out = k;
	return BATON_OK;
}

static baton_status ticket_clocks(rpc_call *call, const char *ticket_id, Baton__V1__TicketSlaReply *rep)
{
	const char *params[1] = { ticket_id };
	PGresult *res;
	baton_status s;
	int rows;

	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT " SLA_CLOCK_COLS " FROM " SLA_CLOCK_FROM " WHERE k.ticket_id = $1::uuid ORDER BY k.clock, k.cycle",
	         1, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	if ((rep->clocks = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->clocks))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		if ((s = sla_clock_from_row(call, res, r, 0, &rep->clocks[rep->n_clocks])) == BATON_OK)
			rep->n_clocks++;
	PQclear(res);
	return s;
}

/*
 * The replay (baton_sla_recompute) deletes and rewrites the ticket's
 * clocks in a subtransaction it rolls back, widening the scope itself, so
 * a partner may ask for it too. The ticket's row is locked first (the
 * caller did, through tickets_get), as every change of the clocks does,
 * so the replay cannot deadlock with a change to the ticket.
 */
static baton_status ticket_recompute(rpc_call *call, const char *ticket_id, Baton__V1__TicketSlaReply *rep)
{
	const char *params[1] = { ticket_id };
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res, "SELECT baton_sla_clocks_json($1::uuid) = baton_sla_recompute($1::uuid)", 1,
	         params, &call->status)) != BATON_OK)
		return s;
	rep->recomputed = true;
	rep->recomputed_matches = PQntuples(res) == 1 && PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return BATON_OK;
}

baton_status sla_ticket(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__TicketSlaRequest *req = (const Baton__V1__TicketSlaRequest *)request;
	Baton__V1__TicketSlaReply *rep = (Baton__V1__TicketSlaReply *)reply;
	tickets_ticket t;
	PGresult *res;
	baton_status s;

	if ((s = tickets_get(call, req->ticket, req->recompute, &t)) != BATON_OK)
		return s;
	const char *params[1] = { t.msg->id };
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT coalesce(so.name, ''), s.contract_id, coalesce(sc.version, 0), coalesce(sc.time_zone, ''),"
	         "       s.status = 'pending'"
	         "  FROM ticket_sla s LEFT JOIN org so ON so.id = s.org_id"
	         "  LEFT JOIN sla_contract sc ON sc.id = s.contract_id"
	         " WHERE s.ticket_id = $1::uuid",
	         1, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "ticket %s has no SLA clocks: it was never created through batond (no ticket.created event)", t.msg->id);
	}
	rep->ticket = t.msg->id;
	rep->responsible_org = shifts_col(call, res, 0, 0);
	rep->contract_id = shifts_col(call, res, 0, 1);
	rep->contract_version = (int32_t)shifts_int(res, 0, 2);
	rep->time_zone = shifts_col(call, res, 0, 3);
	rep->paused = PQgetvalue(res, 0, 4)[0] == 't';
	PQclear(res);
	if (rep->responsible_org == NULL || rep->contract_id == NULL || rep->time_zone == NULL)
		return shifts_oom(call);
	if ((s = ticket_clocks(call, t.msg->id, rep)) != BATON_OK)
		return s;
	return req->recompute ? ticket_recompute(call, t.msg->id, rep) : BATON_OK;
}
