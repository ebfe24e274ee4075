/* tickets_own.c - who owns a ticket: TakeTicket (of racing takers exactly one wins) and PassTicket (to a person or a queue). */
#include <stdio.h>
#include <string.h>

#include "server/session.h"
#include "server/tickets.h"

#define NOTE_MAX 20000

/* SET items for the shift of a new owner: claim $4 (NULL for in-house
 * owners, who need none) and its end, exactly as the claim holds it. */
#define OWNER_SHIFT \
	"owner_claim_id = $4::uuid, shift_ends_at = (SELECT upper(c.during) FROM claim c WHERE c.id = $4::uuid)"

/* The extra member of an event about a partner owner's shift. */
static char *shift_json(rpc_call *call, const tickets_shift *sh)
{
	return tickets_printf(call, "\"shift\":{\"claim\":\"%s\",\"slot\":\"%s\",\"ends\":\"%s\"}", sh->claim_id,
	    sh->slot_id, sh->ends);
}

/* ---- TakeTicket ---------------------------------------------------------- */

/* Why a ticket that is not queued cannot be taken. */
static baton_status take_refused(rpc_call *call, const tickets_ticket *t)
{
	if (strcmp(t->msg->status, "resolved") == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "ticket %s is resolved; reopen it first",
		    t->msg->id);
	if (strcmp(t->owner_id, call->caller.principal_id) == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "ticket %s is already yours (%s)", t->msg->id,
		    t->msg->status);
	return status_set(&call->status, BATON_FAILED_PRECONDITION,
	    "ticket %s is already owned by %s (%s); only a queued ticket can be taken", t->msg->id, t->msg->owner,
	    t->msg->status);
}

baton_status tickets_take(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__TakeTicketRequest *req = (const Baton__V1__TakeTicketRequest *)request;
	Baton__V1__TakeTicketReply *rep = (Baton__V1__TakeTicketReply *)reply;
	const session_caller *me = &call->caller;
	tickets_shift shift = { .found = false };
	tickets_ticket t, after;
	baton_status s;

	/* Locked first: of racing takers, each checks the status the one
	 * before it left. */
	if ((s = tickets_get(call, req->ticket, true, &t)) != BATON_OK)
		return s;
	if (strcmp(t.msg->status, "queued") != 0)
		return take_refused(call, &t);
	if (!me->in_house) {
		/* Partners see their own queue only, so the ticket is there. */
		if ((s = tickets_fitting_shift(call, me->principal_id, t.msg->language, &shift)) != BATON_OK)
			return s;
		if (!shift.found)
			return status_set(&call->status, BATON_FAILED_PRECONDITION,
			    "you hold no active shift whose language fits %s; claim a seat on a %s shift first",
			    t.msg->language, t.msg->language);
	} else if (!tickets_caller_is_lead(call) && !t.org_in_house) {
		return status_set(&call->status, BATON_PERMISSION_DENIED,
		    "ticket %s is in the queue of %s; in-house agents and managers take from the in-house queue"
		    " (a lead may take it or pass it there)",
		    t.msg->id, t.msg->queue);
	}
	/* In-house people take it into the in-house queue (a lead may take
	 * from any); a partner's stays in its own. */
	const char *params[4] = { t.msg->id, me->principal_id, me->org_id, shift.found ? shift.claim_id : NULL };
	if ((s = tickets_update(call, &t, me->org_id,
	         "UPDATE ticket SET status = 'assigned', owner_id = $2::uuid, org_id = $3::uuid, " OWNER_SHIFT ","
	         "       owner_since = now(), owner_active_at = now(), return_at = now() + baton_ownership_timeout($3::uuid, created_at)"
	         " WHERE id = $1::uuid AND status = 'queued'",
	         4, params, &after)) != BATON_OK)
		return s;
	const char *extra = shift.found ? shift_json(call, &shift) : "";
	if (extra == NULL)
		return shifts_oom(call);
	if ((s = tickets_event(call, "ticket.taken", &t, &after, extra)) != BATON_OK)
		return s;
	rep->ticket = after.msg;
	return BATON_OK;
}

/* ---- PassTicket ---------------------------------------------------------- */

/* Where a pass sends a ticket, once checked. */
typedef struct pass_target {
	bool          person;     /* to a person, who owns it from now on */
	shifts_person p;          /* the person */
	tickets_shift shift;      /* the person's, for partner people */
	char          org_id[40]; /* the queue it goes to (the person's organization's) */
	char          org_name[64];
	const char   *rule;       /* a queue's: why it goes there */
	bool          routed;     /* the queue is the routing rule's */
} pass_target;

/* The person who (handle or id; NOT_FOUND unless the caller sees them),
 * whether they may become the owner of t, and the shift that lets them
 * (for partner people). */
static baton_status pass_person_check(rpc_call *call, const tickets_ticket *t, const char *who, pass_target *to)
{
	const shifts_person *p = &to->p;
	baton_status s;

	if ((s = shifts_person_find(call, who, &to->p)) != BATON_OK)
		return s;
	if (p->disabled)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "%s is disabled", p->handle);
	if (p->role != ROLE_AGENT && p->role != ROLE_MANAGER && p->role != ROLE_LEAD && p->role != ROLE_ADMIN)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "%s is %s; tickets are owned by agents, managers, leads and admins", p->handle,
		    session_role_str(p->role));
	if (strcmp(p->id, t->owner_id) == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "%s already owns ticket %s", p->handle,
		    t->msg->id);
	snprintf(to->org_id, sizeof(to->org_id), "%s", p->org_id);
	snprintf(to->org_name, sizeof(to->org_name), "%s", p->org_name);
	if (strcmp(p->org_kind, "in_house") == 0)
		return BATON_OK;
	if ((s = tickets_fitting_shift(call, p->id, t->msg->language, &to->shift)) != BATON_OK)
		return s;
	if (!to->shift.found)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "%s holds no active shift whose language fits %s; they need a seat on a %s shift first", p->handle,
		    t->msg->language, t->msg->language);
	return BATON_OK;
}

/* A queue by name or id, or the routing rule's now ("route"). */
static baton_status pass_queue_check(rpc_call *call, const tickets_ticket *t, const char *queue, pass_target *to)
{
	baton_status s;

	if (strcmp(queue, "route") == 0) {
		to->routed = true;
		if ((s = tickets_route(call, t->msg->language, to->org_id, to->org_name, &to->rule)) != BATON_OK)
			return s;
	} else {
		if ((s = tickets_org_find(call, queue, to->org_id, to->org_name)) != BATON_OK)
			return s;
		if ((to->rule = tickets_printf(call, "passed to the queue of %s by %s", to->org_name, call->caller.handle)) ==
		    NULL)
			return shifts_oom(call);
	}
	if (strcmp(t->msg->status, "queued") == 0 && strcmp(to->org_id, t->org_id) == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "ticket %s is already queued in %s",
		    t->msg->id, to->org_name);
	return BATON_OK;
}

static baton_status pass_apply(rpc_call *call, const tickets_ticket *t, const pass_target *to, tickets_ticket *after)
{
	if (to->person) {
		const char *params[4] = { t->msg->id, to->p.id, to->org_id, to->shift.found ? to->shift.claim_id : NULL };
		return tickets_update(call, t, to->org_id,
		    "UPDATE ticket SET status = 'assigned', owner_id = $2::uuid, org_id = $3::uuid, " OWNER_SHIFT ","
		    "       owner_since = now(), owner_active_at = now(), return_at = now() + baton_ownership_timeout($3::uuid, created_at),"
		    "       pending_reason = NULL"
		    " WHERE id = $1::uuid AND status <> 'resolved'",
		    4, params, after);
	}
	const char *params[3] = { t->msg->id, to->org_id, to->rule };
	return tickets_update(call, t, to->org_id,
	    "UPDATE ticket SET status = 'queued', org_id = $2::uuid, routed_rule = $3, owner_id = NULL,"
	    "       owner_claim_id = NULL, owner_since = NULL, owner_active_at = NULL, return_at = NULL,"
	    "       shift_ends_at = NULL, pending_reason = NULL"
	    " WHERE id = $1::uuid AND status <> 'resolved'",
	    3, params, after);
}

/* The extra members of 'ticket.passed': the note, where to, and the
 * routing rule or the new owner's shift. */
static char *pass_extra(rpc_call *call, const char *note, const pass_target *to)
{
	const char *q_note = tickets_json_quote(call, note);
	const char *q_to = tickets_json_quote(call, to->person ? to->p.handle : to->org_name);
	const char *more = "";

	if (q_note == NULL || q_to == NULL)
		return NULL;
	if (to->routed) {
		const char *q_rule = tickets_json_quote(call, to->rule);
		if (q_rule == NULL || (more = tickets_printf(call, ",\"routed\":%s", q_rule)) == NULL)
			return NULL;
	} else if (to->person && to->shift.found) {
		const char *shift = shift_json(call, &to->shift);
		if (shift == NULL || (more = tickets_printf(call, ",%s", shift)) == NULL)
			return NULL;
	}
	return tickets_printf(call, "\"note\":%s,\"to\":%s%s", q_note, q_to, more);
}

baton_status tickets_pass(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__PassTicketRequest *req = (const Baton__V1__PassTicketRequest *)request;
	Baton__V1__PassTicketReply *rep = (Baton__V1__PassTicketReply *)reply;
	pass_target to = { .person = req->to_principal[0] != '\0' };
	tickets_ticket t, after;
	baton_status s;

	if (to.person == (req->to_queue[0] != '\0'))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "give exactly one of to_principal (a person) and to_queue (an organization, or \"route\")");
	if ((s = tickets_text_ok(call, "note", req->note, NOTE_MAX)) != BATON_OK ||
	    (s = tickets_get(call, req->ticket, true, &t)) != BATON_OK)
		return s;
	if (strcmp(t.msg->status, "resolved") == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "cannot pass ticket %s: it is resolved (reopen it first)", t.msg->id);
	if ((s = tickets_may_act(call, &t, "pass")) != BATON_OK)
		return s;
	s = to.person ? pass_person_check(call, &t, req->to_principal, &to) : pass_queue_check(call, &t, req->to_queue, &to);
	if (s != BATON_OK)
		return s;
	/* The hand-off note before the move, while the caller surely sees the
	 * ticket (a partner's pass to "route" may take it out of its sight). */
	if ((s = tickets_message_add(call, t.msg->id, "handoff", req->note, NULL)) != BATON_OK ||
	    (s = pass_apply(call, &t, &to, &after)) != BATON_OK)
		return s;
	char *extra = pass_extra(call, req->note, &to);
	if (extra == NULL)
		return shifts_oom(call);
	if ((s = tickets_event(call, "ticket.passed", &t, &after, extra)) != BATON_OK)
		return s;
	rep->ticket = after.msg;
	return BATON_OK;
}
