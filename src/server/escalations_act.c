/* escalations_act.c - acting on escalations: Escalate (by the ticket's owner), ApproveEscalation and RejectEscalation (in-house leads; of two deciding at once, one wins). */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "server/escalations.h"
#include "server/event.h"
#include "server/session.h"

#define TEXT_MAX 2000 /* reason and decision note, as escalation's CHECK says */

/* ---- Escalate -------------------------------------------------------------------- */

/* Why the caller may not escalate ticket t: only its owner may. */
static baton_status escalate_refused(rpc_call *call, const tickets_ticket *t)
{
	if (strcmp(t->msg->status, "resolved") == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "cannot escalate ticket %s: it is resolved (reopen it first)", t->msg->id);
	if (t->owner_id[0] == '\0')
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "cannot escalate ticket %s: nobody owns it; its owner escalates it (take it first)", t->msg->id);
	return status_set(&call->status, BATON_FAILED_PRECONDITION,
	    "cannot escalate ticket %s: it is owned by %s; only its owner may escalate it", t->msg->id, t->msg->owner);
}

/* The ticket has an open escalation already: name it (when the caller
 * sees it: one raised from another queue before the ticket moved may not
 * be theirs to see). */
static baton_status escalate_open_already(rpc_call *call, const tickets_ticket *t)
{
	const char *params[1] = { t->msg->id };
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "SELECT x.id, " SQL_MS("x.created_at") ", x.urgency FROM escalation x"
	         " WHERE x.ticket_id = $1::uuid AND x.state = 'open'",
	         1, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "ticket %s has an open escalation already (raised from another queue); it must be decided first",
		    t->msg->id);
	}
	s = status_set(&call->status, BATON_FAILED_PRECONDITION,
	    "ticket %s has an open escalation already: %s (%s); it must be decided before another is raised", t->msg->id,
	    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 2));
	PQclear(res);
	return s;
}

baton_status escalations_escalate(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__EscalateRequest *req = (const Baton__V1__EscalateRequest *)request;
	Baton__V1__EscalateReply *rep = (Baton__V1__EscalateReply *)reply;
	const char *urgency = req->urgent ? "urgent" : "normal";
	escalations_row x;
	tickets_ticket t;
	PGresult *res;
	baton_status s;

	/* Locked first: the owner checked stays the owner, and of two raising
	 * at once the second sees the first's open escalation. */
	if ((s = tickets_text_ok(call, "reason", req->reason, TEXT_MAX)) != BATON_OK ||
	    (s = tickets_get(call, req->ticket, true, &t)) != BATON_OK)
		return s;
	if (strcmp(t.msg->status, "resolved") == 0 || strcmp(t.owner_id, call->caller.principal_id) != 0)
		return escalate_refused(call, &t);
	const char *params[4] = { t.msg->id, call->caller.principal_id, req->reason, urgency };
	if ((s = db_exec(call->db, &res,
	         "SELECT r.id, r.body::text FROM baton_escalation_raise($1::uuid, 'agent', $2::uuid, $3, $4, NULL) r", 4,
	         params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return escalate_open_already(call, &t);
	}
	char *id = shifts_col(call, res, 0, 0), *body = shifts_col(call, res, 0, 1);
	PQclear(res);
	if (id == NULL || body == NULL)
		return shifts_oom(call);
	const char *q_reason = tickets_json_quote(call, req->reason);
	const char *extra = q_reason == NULL ? NULL
	                                     : tickets_printf(call, "\"escalation\":\"%s\",\"urgency\":\"%s\",\"reason\":%s",
	                                           id, urgency, q_reason);
	if (extra == NULL)
		return shifts_oom(call);
	/* The escalation is the queue's it was raised from: its people see it. */
	if ((s = event_append_for(call, t.org_id, NULL, "escalation.requested", id, body)) != BATON_OK ||
	    (s = tickets_event(call, "ticket.escalated", &t, &t, extra)) != BATON_OK ||
	    (s = escalations_get(call, id, false, &x)) != BATON_OK)
		return s;
	rep->escalation = x.msg;
	return BATON_OK;
}

/* ---- ApproveEscalation and RejectEscalation ------------------------------------- */

/* A decision, checked: the escalation (locked, open) and its ticket (locked). */
typedef struct decision {
	escalations_row x;
	tickets_ticket  t;
} decision;

/* Why a decided escalation cannot be decided again. */
static baton_status decided_refused(rpc_call *call, const escalations_row *x)
{
	char when[32] = "?";
	time_t secs = (time_t)(x->msg->decided_unix_ms / 1000);
	struct tm tm;

	if (gmtime_r(&secs, &tm) != NULL)
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return status_set(&call->status, BATON_FAILED_PRECONDITION,
	    "escalation %s is no longer open: already %s by %s at %s", x->msg->id, x->msg->state, x->msg->decided_by, when);
}

/*
 * What both decisions check, in the lock order of docs/sla.md: the
 * escalation row first (of two leads deciding at once, the second waits
 * here and then reads the first's decision), then the ticket.
 */
static baton_status decision_open(rpc_call *call, const char *id, const char *verb, decision *d)
{
	baton_status s;

	/* The method table lets leads and admins in; partners have no say. */
	if (!call->caller.in_house)
		return status_set(&call->status, BATON_PERMISSION_DENIED,
		    "escalations are decided by in-house leads and admins; you may not %s one", verb);
	if ((s = escalations_get(call, id, true, &d->x)) != BATON_OK)
		return s;
	if (strcmp(d->x.msg->state, "open") != 0)
		return decided_refused(call, &d->x);
	return tickets_get(call, d->x.msg->ticket, true, &d->t);
}

/*
 * Records the decision on the escalation (still open: the row is locked)
 * and returns, in *body (call->arena), the body of its event: the routing
 * as baton_escalation_json gives it, the decision, who decided and the
 * new owner.
 */
static baton_status decision_record(rpc_call *call, const decision *d, const char *state, const char *note,
    const shifts_person *new_owner, char **body)
{
	const char *params[6] = { d->x.msg->id, state, call->caller.principal_id, note[0] != '\0' ? note : NULL,
		new_owner != NULL ? new_owner->id : NULL, call->caller.handle };
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "UPDATE escalation x SET state = $2, decided_by = $3::uuid, decided_at = now(), decision_note = $4,"
	         "       new_owner_id = $5::uuid"
	         " WHERE x.id = $1::uuid AND x.state = 'open'"
	         " RETURNING (baton_escalation_json(x) || jsonb_build_object('state', x.state, 'decided_by', $6::text,"
	         "           'note', x.decision_note, 'new_owner', (SELECT handle FROM principal WHERE id = x.new_owner_id)))::text",
	         6, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) { /* a backstop: the row is locked and was open */
		PQclear(res);
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "escalation %s changed while you decided it; look at it again", d->x.msg->id);
	}
	*body = shifts_col(call, res, 0, 0);
	PQclear(res);
	return *body != NULL ? BATON_OK : shifts_oom(call);
}

/* The in-house person who (handle or id; "": the caller) takes the ticket. */
static baton_status approve_owner(rpc_call *call, const char *who, shifts_person *p)
{
	baton_status s;

	if ((s = shifts_person_find(call, who, p)) != BATON_OK)
		return s;
	if (strcmp(p->org_kind, "in_house") != 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "%s is of %s; an approved escalation goes to an in-house person", p->handle, p->org_name);
	if (p->disabled)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "%s is disabled", p->handle);
	if (p->role != ROLE_AGENT && p->role != ROLE_MANAGER && p->role != ROLE_LEAD && p->role != ROLE_ADMIN)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "%s is %s; tickets are owned by agents, managers, leads and admins", p->handle, session_role_str(p->role));
	return BATON_OK;
}

baton_status escalations_approve(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ApproveEscalationRequest *req = (const Baton__V1__ApproveEscalationRequest *)request;
	Baton__V1__ApproveEscalationReply *rep = (Baton__V1__ApproveEscalationReply *)reply;
	tickets_ticket after;
	shifts_person p;
	decision d;
	char *body;
	baton_status s;

	if (req->note[0] != '\0' && (s = tickets_text_ok(call, "note", req->note, TEXT_MAX)) != BATON_OK)
		return s;
	if ((s = decision_open(call, req->id, "approve", &d)) != BATON_OK)
		return s;
	if (strcmp(d.t.msg->status, "resolved") == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "cannot approve escalation %s: ticket %s is resolved (reopen it first, or reject the escalation)",
		    d.x.msg->id, d.t.msg->id);
	if ((s = approve_owner(call, req->assign_to, &p)) != BATON_OK)
		return s;
	/* The new owner takes it into the in-house queue, as a take does: no
	 * shift (in-house people need none), the return timer of the in-house
	 * contract, and the routing reason says why it came. */
	const char *rule = tickets_printf(call, "escalation %s approved by %s", d.x.msg->id, call->caller.handle);
	if (rule == NULL)
		return shifts_oom(call);
	const char *params[4] = { d.t.msg->id, p.id, p.org_id, rule };
	if ((s = tickets_update(call, &d.t, p.org_id,
	         "UPDATE ticket SET status = 'assigned', owner_id = $2::uuid, org_id = $3::uuid, owner_claim_id = NULL,"
	         "       shift_ends_at = NULL, owner_since = now(), owner_active_at = now(),"
	         "       return_at = now() + baton_ownership_timeout($3::uuid, created_at), pending_reason = NULL,"
	         "       routed_rule = $4"
	         " WHERE id = $1::uuid AND status <> 'resolved'",
	         4, params, &after)) != BATON_OK)
		return s;
	if ((s = decision_record(call, &d, "approved", req->note, &p, &body)) != BATON_OK ||
	    (s = event_append_for(call, d.x.org_id, NULL, "escalation.approved", d.x.msg->id, body)) != BATON_OK)
		return s;
	const char *q_note = tickets_json_quote(call, req->note), *q_to = tickets_json_quote(call, p.handle);
	const char *extra = q_note == NULL || q_to == NULL
	                        ? NULL
	                        : tickets_printf(call, "\"escalation\":\"%s\",\"note\":%s,\"to\":%s", d.x.msg->id, q_note, q_to);
	if (extra == NULL)
		return shifts_oom(call);
	if ((s = tickets_event(call, "ticket.escalation_approved", &d.t, &after, extra)) != BATON_OK ||
	    (s = escalations_get(call, d.x.msg->id, false, &d.x)) != BATON_OK)
		return s;
	rep->escalation = d.x.msg;
	return BATON_OK;
}

baton_status escalations_reject(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__RejectEscalationRequest *req = (const Baton__V1__RejectEscalationRequest *)request;
	Baton__V1__RejectEscalationReply *rep = (Baton__V1__RejectEscalationReply *)reply;
	int64_t message_id = 0;
	decision d;
	char *body;
	baton_status s;

	if ((s = tickets_text_ok(call, "note", req->note, TEXT_MAX)) != BATON_OK ||
	    (s = decision_open(call, req->id, "reject", &d)) != BATON_OK ||
	    (s = decision_record(call, &d, "rejected", req->note, NULL, &body)) != BATON_OK)
		return s;
	/* The guidance goes to the ticket's conversation, as the lead's note,
	 * where its owner works; the ticket stays where it is. */
	const char *guidance = tickets_printf(call, "Escalation rejected: %s", req->note);
	if (guidance == NULL)
		return shifts_oom(call);
	if ((s = tickets_message_add(call, d.t.msg->id, "note", guidance, &message_id)) != BATON_OK ||
	    (s = event_append_for(call, d.x.org_id, NULL, "escalation.rejected", d.x.msg->id, body)) != BATON_OK)
		return s;
	const char *q_note = tickets_json_quote(call, req->note);
	const char *extra = q_note == NULL ? NULL
	                                   : tickets_printf(call, "\"escalation\":\"%s\",\"note\":%s,\"message_id\":%lld",
	                                         d.x.msg->id, q_note, (long long)message_id);
	if (extra == NULL)
		return shifts_oom(call);
	if ((s = tickets_event(call, "ticket.escalation_rejected", &d.t, &d.t, extra)) != BATON_OK ||
	    (s = escalations_get(call, d.x.msg->id, false, &d.x)) != BATON_OK)
		return s;
	rep->escalation = d.x.msg;
	return BATON_OK;
}
