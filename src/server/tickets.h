/* tickets.h - what the Tickets service's files share: rows to messages, lookups, who may act, events with before and after. */
#ifndef BATON_SERVER_TICKETS_H
#define BATON_SERVER_TICKETS_H

#include <stdbool.h>
#include <stdint.h>

#include "baton/v1/events.pb-c.h"
#include "baton/v1/tickets.pb-c.h"
#include "server/rpc.h"
#include "server/shifts.h"

/* Columns of a ticket aliased t (TICKETS_N_COLS of them), for
 * tickets_from_row(); FROM must be TICKETS_FROM. The owner always belongs
 * to the queue's organization, so whoever sees the ticket sees its
 * handle; a resolver of another organization (an in-house lead resolving
 * a partner's ticket) shows to the partner as events show such actors. */
#define TICKETS_FROM \
	"ticket t JOIN org tq ON tq.id = t.org_id LEFT JOIN principal tow ON tow.id = t.owner_id" \
	" LEFT JOIN principal trb ON trb.id = t.resolved_by"
#define TICKETS_COLS \
	"t.id, t.source, t.external_ref, t.subject, t.customer_id, t.customer_tier, t.channel, t.language," \
	" t.severity, baton_priority(t.priority_base, t.waiting_since, now()), t.status, tq.name, t.routed_rule," \
	" coalesce(tow.handle, ''), coalesce(" SQL_MS("t.owner_since") ", 0)," \
	" coalesce(" SQL_MS("t.owner_active_at") ", 0), coalesce(" SQL_MS("t.return_at") ", 0)," \
	" coalesce(" SQL_MS("t.shift_ends_at") ", 0), coalesce(t.pending_reason, '')," \
	" coalesce(" SQL_MS("t.first_response_at") ", 0), coalesce(" SQL_MS("t.last_reply_at") ", 0)," \
	" coalesce(" SQL_MS("t.resolved_at") ", 0)," \
	" coalesce(trb.handle, CASE WHEN t.resolved_by IS NULL THEN '' ELSE '(another organization)' END)," \
	" coalesce(t.resolution_code, '')," \
	" coalesce(t.resolution_note, ''), t.reopen_count, " SQL_MS("t.created_at") ", " SQL_MS("t.updated_at") "," \
	" t.org_id, coalesce(t.owner_id::text, ''), tq.kind, t.rank"
#define TICKETS_N_COLS 32

/* A ticket as the handlers need it: the message, plus the ids behind it. */
typedef struct tickets_ticket {
	Baton__V1__Ticket *msg;
	char               org_id[40];   /* whose queue holds it */
	char               owner_id[40]; /* "" if none */
	bool               org_in_house; /* the queue is the in-house organization's */
	int64_t            rank;         /* queue order (baton_priority_rank) */
} tickets_ticket;

/* Row to ticket (columns from col0 on), in call->arena. */
baton_status tickets_from_row(rpc_call *call, const PGresult *res, int row, int col0, tickets_ticket *out);

/*
 * The ticket with id ticket_id, as the caller may see it (NOT_FOUND,
 * naming it, otherwise: partners see their own queue only). With lock,
 * the row is locked FOR UPDATE first, so what the caller then checks
 * stays true until the transaction ends (take, pass, ...).
 */
baton_status tickets_get(rpc_call *call, const char *ticket_id, bool lock, tickets_ticket *out)
    __attribute__((warn_unused_result));

/* Whether the caller is an in-house lead or admin (may act on any ticket). */
bool tickets_caller_is_lead(const rpc_call *call);

/*
 * FAILED_PRECONDITION (saying why, with verb: "reply to", "resolve", ...)
 * unless the caller may act on t now: the owner, or an in-house lead or
 * admin. A queued ticket has no owner: "take it first".
 */
baton_status tickets_may_act(rpc_call *call, const tickets_ticket *t, const char *verb)
    __attribute__((warn_unused_result));

/*
 * Appends the event kind about ticket ("ticket.taken", ...) with body
 *   {"before": {status, owner, queue}, "after": {status, owner, queue}, <extra>}
 * where extra is more members as JSON text ("\"note\":\"...\"", may be
 * NULL or ""). It is written for the organization whose queue held the
 * ticket before and, when the ticket moved to another queue, also for the
 * new one (event.also_org_id).
 */
baton_status tickets_event(rpc_call *call, const char *kind, const tickets_ticket *before,
    const tickets_ticket *after, const char *extra) __attribute__((warn_unused_result));

/* Adds a message (kind as in ticket_message: "customer", "reply", "note",
 * "handoff", "resolution", "reopen") by the caller to ticket_id; its id
 * goes to *id (id may be NULL). Add it while the caller may still see the
 * ticket: before an UPDATE that moves it to another organization's queue. */
baton_status tickets_message_add(rpc_call *call, const char *ticket_id, const char *kind, const char *body,
    int64_t *id) __attribute__((warn_unused_result));

/*
 * Runs sql, an UPDATE of ticket t ($1 is its id; params[0] must be
 * t->msg->id), which must change exactly that one row (else
 * FAILED_PRECONDITION: it changed meanwhile), then reads the ticket after
 * into after. to_org_id is the queue it moves to (NULL: it stays): a
 * partner caller moving it to another organization's queue (only ever by
 * routing) does the UPDATE and the read in the widened scope
 * (shifts_scope_all), after every check was made in its own; the scope is
 * narrowed again before this returns.
 */
baton_status tickets_update(rpc_call *call, const tickets_ticket *t, const char *to_org_id, const char *sql,
    int nparams, const char *const *params, tickets_ticket *after) __attribute__((warn_unused_result));

/*
 * Routes resolved ticket t again (tickets_route) and puts it back in that
 * queue: status queued, reopen_count + 1, resolution cleared. The ticket
 * after goes to after and the rule in words to *rule (call->arena).
 */
baton_status tickets_reopen_routed(rpc_call *call, const tickets_ticket *t, tickets_ticket *after,
    const char **rule) __attribute__((warn_unused_result));

/* The shift that lets principal_id (of a partner) own a ticket in language
 * now (baton_fitting_claim): the claim's and slot's ids and its end
 * (ms and ISO 8601 UTC text). found is false if there is none. */
typedef struct tickets_shift {
	bool    found;
	char    claim_id[40];
	char    slot_id[40];
	int64_t ends_unix_ms;
	char    ends[32];
} tickets_shift;
baton_status tickets_fitting_shift(rpc_call *call, const char *principal_id, const char *language,
    tickets_shift *out) __attribute__((warn_unused_result));

/* An organization by name or id, as the caller may see it (partners: their
 * own): its id (40 bytes) and name (64 bytes); NOT_FOUND "no organization
 * X" otherwise. */
baton_status tickets_org_find(rpc_call *call, const char *name_or_id, char id[40], char name[64])
    __attribute__((warn_unused_result));

/* s as a JSON string literal, quotes included, in call->arena (NULL: out
 * of memory). For the extra members of tickets_event. */
char *tickets_json_quote(rpc_call *call, const char *s);
/* printf into call->arena (NULL: out of memory). */
char *tickets_printf(rpc_call *call, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The queue the routing rule picks now for language (baton_route): the
 * organization's id (40 bytes) and name (64 bytes), and the rule in words
 * (in call->arena). Runs with the in-house scope for its reads (the
 * caller's scope is put back). */
baton_status tickets_route(rpc_call *call, const char *language, char org_id[40], char org_name[64],
    const char **rule) __attribute__((warn_unused_result));

/* Checks of free text a person typed: 1..max characters of UTF-8 with no
 * control characters but newline and tab; field names it in the message. */
baton_status tickets_text_ok(rpc_call *call, const char *field, const char *text, size_t max)
    __attribute__((warn_unused_result));

/* Handlers, by file; svc_tickets.c lists them in the method table. */
/* tickets_intake.c */
baton_status tickets_create(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status tickets_customer_reply(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
/* tickets_own.c */
baton_status tickets_take(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status tickets_pass(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
/* tickets_work.c */
baton_status tickets_reply(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status tickets_note(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status tickets_pend(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status tickets_resolve(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status tickets_reopen(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
/* tickets_read.c */
baton_status tickets_list(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status tickets_show(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status tickets_policy_set(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status tickets_policy_list(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);

/* Events as messages (svc_events.c; ShowTicket uses it too): the columns
 * of an event aliased e, FROM EVENTS_FROM, and the row to message. */
#define EVENTS_FROM "event e LEFT JOIN org eo ON eo.id = e.org_id LEFT JOIN principal ea ON ea.id = e.actor_id"
#define EVENTS_COLS \
	"e.id, e.xid::text, " SQL_MS("e.at") ", e.kind, e.subject_id, coalesce(eo.name, '')," \
	" coalesce(ea.handle, CASE WHEN e.actor_id IS NULL THEN '' ELSE '(another organization)' END)," \
	" e.body::text, coalesce(e.method, ''), e.signature IS NOT NULL"
#define EVENTS_N_COLS 10
baton_status events_from_row(rpc_call *call, const PGresult *res, int row, int col0, Baton__V1__Event **out);

#endif
