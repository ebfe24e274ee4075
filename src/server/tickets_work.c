/* tickets_work.c - working a ticket: ReplyTicket, NoteTicket, PendTicket, ResolveTicket, ReopenTicket. */
#include <stdio.h>
#include <string.h>

#include "server/tickets.h"

#define BODY_MAX   20000
#define REASON_MAX 500

/*
 * SET items of an act on a ticket by the caller ($2): when the caller owns
 * it, the act is the owner's, so it renews owner_active_at and, for an
 * assigned ticket, the return timer. A lead acting on someone else's
 * ticket renews nothing.
 */
#define OWNER_ACT \
	"owner_active_at = CASE WHEN owner_id = $2::uuid THEN now() ELSE owner_active_at END," \
	" return_at = CASE WHEN owner_id = $2::uuid AND status = 'assigned'" \
	"                  THEN now() + baton_ownership_timeout(org_id, created_at) ELSE return_at END"

static baton_status resolved_refused(rpc_call *call, const tickets_ticket *t, const char *verb)
{
	return status_set(&call->status, BATON_FAILED_PRECONDITION, "cannot %s ticket %s: it is resolved (reopen it first)",
	    verb, t->msg->id);
}

/* The ticket, locked, if the caller may act on it (tickets_may_act) and
 * it is not resolved. */
static baton_status work_target(rpc_call *call, const char *ticket_id, const char *verb, tickets_ticket *t)
{
	baton_status s;

	if ((s = tickets_get(call, ticket_id, true, t)) != BATON_OK)
		return s;
	if (strcmp(t->msg->status, "resolved") == 0)
		return resolved_refused(call, t, verb);
	return tickets_may_act(call, t, verb);
}

/* ---- ReplyTicket and NoteTicket ------------------------------------------------ */

baton_status tickets_reply(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ReplyTicketRequest *req = (const Baton__V1__ReplyTicketRequest *)request;
	Baton__V1__ReplyTicketReply *rep = (Baton__V1__ReplyTicketReply *)reply;
	tickets_ticket t, after;
	int64_t message_id = 0;
	baton_status s;

	/* tickets_may_act lets only a lead past a queued ticket: a lead may
	 * answer a customer nobody has taken yet. */
	if ((s = tickets_text_ok(call, "body", req->body, BODY_MAX)) != BATON_OK ||
	    (s = work_target(call, req->ticket, "reply to", &t)) != BATON_OK ||
	    (s = tickets_message_add(call, t.msg->id, "reply", req->body, &message_id)) != BATON_OK)
		return s;
	const char *params[2] = { t.msg->id, call->caller.principal_id };
	if ((s = tickets_update(call, &t, NULL,
	         "UPDATE ticket SET first_response_at = coalesce(first_response_at, now()), last_reply_at = now(), " OWNER_ACT
	         " WHERE id = $1::uuid AND status <> 'resolved'",
	         2, params, &after)) != BATON_OK)
		return s;
	char *extra = tickets_printf(call, "\"message_id\":%lld,\"first_response\":%s", (long long)message_id,
	    t.msg->first_response_unix_ms == 0 ? "true" : "false");
	if (extra == NULL)
		return shifts_oom(call);
	if ((s = tickets_event(call, "ticket.replied", &t, &after, extra)) != BATON_OK)
		return s;
	rep->ticket = after.msg;
	return BATON_OK;
}

baton_status tickets_note(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__NoteTicketRequest *req = (const Baton__V1__NoteTicketRequest *)request;
	Baton__V1__NoteTicketReply *rep = (Baton__V1__NoteTicketReply *)reply;
	tickets_ticket t, after;
	int64_t message_id = 0;
	baton_status s;

	if ((s = tickets_text_ok(call, "body", req->body, BODY_MAX)) != BATON_OK ||
	    (s = work_target(call, req->ticket, "add a note to", &t)) != BATON_OK ||
	    (s = tickets_message_add(call, t.msg->id, "note", req->body, &message_id)) != BATON_OK)
		return s;
	const char *params[2] = { t.msg->id, call->caller.principal_id };
	if ((s = tickets_update(call, &t, NULL, "UPDATE ticket SET " OWNER_ACT " WHERE id = $1::uuid AND status <> 'resolved'",
	         2, params, &after)) != BATON_OK)
		return s;
	char *extra = tickets_printf(call, "\"message_id\":%lld", (long long)message_id);
	if (extra == NULL)
		return shifts_oom(call);
	if ((s = tickets_event(call, "ticket.noted", &t, &after, extra)) != BATON_OK)
		return s;
	rep->ticket = after.msg;
	return BATON_OK;
}

/* ---- PendTicket ------------------------------------------------------------------ */

baton_status tickets_pend(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__PendTicketRequest *req = (const Baton__V1__PendTicketRequest *)request;
	Baton__V1__PendTicketReply *rep = (Baton__V1__PendTicketReply *)reply;
	tickets_ticket t, after;
	baton_status s;

	if ((s = tickets_text_ok(call, "reason", req->reason, REASON_MAX)) != BATON_OK ||
	    (s = work_target(call, req->ticket, "set pending", &t)) != BATON_OK)
		return s;
	if (strcmp(t.msg->status, "pending") == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "ticket %s is already pending (%.200s)",
		    t.msg->id, t.msg->pending_reason);
	if (strcmp(t.msg->status, "assigned") != 0) /* queued, and the caller is a lead */
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "cannot set pending ticket %s: nobody owns it (take it first)", t.msg->id);
	/* Waiting on the customer is no idleness: no return timer. */
	const char *params[3] = { t.msg->id, call->caller.principal_id, req->reason };
	if ((s = tickets_update(call, &t, NULL,
	         "UPDATE ticket SET status = 'pending', pending_reason = $3, return_at = NULL,"
	         "       owner_active_at = CASE WHEN owner_id = $2::uuid THEN now() ELSE owner_active_at END"
	         " WHERE id = $1::uuid AND status = 'assigned'",
	         3, params, &after)) != BATON_OK)
		return s;
	const char *reason = tickets_json_quote(call, req->reason);
	char *extra = reason != NULL ? tickets_printf(call, "\"reason\":%s", reason) : NULL;
	if (extra == NULL)
		return shifts_oom(call);
	if ((s = tickets_event(call, "ticket.pending", &t, &after, extra)) != BATON_OK)
		return s;
	rep->ticket = after.msg;
	return BATON_OK;
}

/* ---- ResolveTicket ----------------------------------------------------------------- */

/* ^[a-z0-9_-]{1,40}$ */
static bool code_ok(const char *code)
{
	size_t n = strlen(code);

	if (n < 1 || n > 40)
		return false;
	for (const char *p = code; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-'))
			return false;
	return true;
}

baton_status tickets_resolve(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ResolveTicketRequest *req = (const Baton__V1__ResolveTicketRequest *)request;
	Baton__V1__ResolveTicketReply *rep = (Baton__V1__ResolveTicketReply *)reply;
	tickets_ticket t, after;
	baton_status s;

	if (req->code[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "code is required (like solved, duplicate)");
	if (!code_ok(req->code))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "code '%.60s' must be 1 to 40 lower-case letters, digits, '_' or '-'", req->code);
	/* A lead may also close a queued ticket (a duplicate, spam). */
	if ((s = tickets_text_ok(call, "note", req->note, BODY_MAX)) != BATON_OK ||
	    (s = work_target(call, req->ticket, "resolve", &t)) != BATON_OK ||
	    (s = tickets_message_add(call, t.msg->id, "resolution", req->note, NULL)) != BATON_OK)
		return s;
	const char *params[4] = { t.msg->id, call->caller.principal_id, req->code, req->note };
	if ((s = tickets_update(call, &t, NULL,
	         "UPDATE ticket SET status = 'resolved', resolved_at = now(), resolved_by = $2::uuid,"
	         "       resolution_code = $3, resolution_note = $4, owner_id = NULL, owner_claim_id = NULL,"
	         "       owner_since = NULL, owner_active_at = NULL, return_at = NULL, shift_ends_at = NULL,"
	         "       pending_reason = NULL"
	         " WHERE id = $1::uuid AND status <> 'resolved'",
	         4, params, &after)) != BATON_OK)
		return s;
	const char *code = tickets_json_quote(call, req->code);
	char *extra = code != NULL ? tickets_printf(call, "\"code\":%s", code) : NULL;
	if (extra == NULL)
		return shifts_oom(call);
	if ((s = tickets_event(call, "ticket.resolved", &t, &after, extra)) != BATON_OK)
		return s;
	rep->ticket = after.msg;
	return BATON_OK;
}

/* ---- ReopenTicket ------------------------------------------------------------------ */

baton_status tickets_reopen(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ReopenTicketRequest *req = (const Baton__V1__ReopenTicketRequest *)request;
	Baton__V1__ReopenTicketReply *rep = (Baton__V1__ReopenTicketReply *)reply;
	tickets_ticket t, after;
	const char *rule;
	baton_status s;

	if ((s = tickets_text_ok(call, "reason", req->reason, REASON_MAX)) != BATON_OK ||
	    (s = tickets_get(call, req->ticket, true, &t)) != BATON_OK)
		return s;
	if (strcmp(t.msg->status, "resolved") != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "ticket %s is %s, not resolved", t.msg->id,
		    t.msg->status);
	/* The message first: routing may move it out of a partner caller's sight. */
	if ((s = tickets_message_add(call, t.msg->id, "reopen", req->reason, NULL)) != BATON_OK ||
	    (s = tickets_reopen_routed(call, &t, &after, &rule)) != BATON_OK)
		return s;
	const char *reason = tickets_json_quote(call, req->reason), *routed = tickets_json_quote(call, rule);
	char *extra = reason != NULL && routed != NULL ? tickets_printf(call, "\"reason\":%s,\"routed\":%s", reason, routed)
	                                               : NULL;
	if (extra == NULL)
		return shifts_oom(call);
	if ((s = tickets_event(call, "ticket.reopened", &t, &after, extra)) != BATON_OK)
		return s;
	rep->ticket = after.msg;
	return BATON_OK;
}
