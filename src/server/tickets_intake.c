/* tickets_intake.c - tickets coming in: CreateTicket (checked, routed, once per source and reference) and AddCustomerReply. */
#include <stdio.h>
#include <string.h>

#include "common/textbuf.h"
#include "server/event.h"
#include "server/tickets.h"
#include "server/validate.h"

#define BODY_MAX 20000

/* ^[a-z0-9][a-z0-9._-]{0,62}$, as the ticket table's CHECK says. */
static bool source_ok(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 63)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
			return false;
	}
	return true;
}

static bool one_of(const char *s, const char *const *set)
{
	for (; *set != NULL; set++)
		if (strcmp(s, *set) == 0)
			return true;
	return false;
}

static baton_status create_check(rpc_call *call, const Baton__V1__CreateTicketRequest *req)
{
	static const char *const tiers[] = { "strategic", "priority", "standard", NULL };
	static const char *const channels[] = { "email", "chat", "phone", "callback", NULL };
	baton_status s;

	if (req->source[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "source is required (the system it came from)");
	if (!source_ok(req->source))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "source '%.80s' must be 1 to 63 lower-case letters, digits, '.', '_' or '-', starting with a letter or"
		    " digit",
		    req->source);
	if ((s = tickets_text_ok(call, "external_ref", req->external_ref, 200)) != BATON_OK ||
	    (s = tickets_text_ok(call, "subject", req->subject, 500)) != BATON_OK ||
	    (s = tickets_text_ok(call, "customer_id", req->customer_id, 200)) != BATON_OK)
		return s;
	if (!one_of(req->customer_tier, tiers))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "customer_tier '%.40s' is not one of strategic, priority, standard", req->customer_tier);
	if (!one_of(req->channel, channels))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "channel '%.40s' is not one of email, chat, phone, callback", req->channel);
	if (!validate_language(req->language))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "language '%.40s' is not a BCP 47 tag (like pl, es-MX, pt-BR)", req->language);
	if (req->severity < 1 || req->severity > 4)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "severity %d is not 1 (worst) to 4",
		    (int)req->severity);
	if (req->body[0] != '\0' && (s = tickets_text_ok(call, "body", req->body, BODY_MAX)) != BATON_OK)
		return s;
	return BATON_OK;
}

/* The body of 'ticket.created': where it went, what it is, and why there. */
static char *created_body(rpc_call *call, const Baton__V1__Ticket *t)
{
	size_t cap = 1024 + 6 * (strlen(t->source) + strlen(t->external_ref) + strlen(t->routed_rule));
	char *buf = arena_alloc(call->arena, cap);
	textbuf b;

	if (buf == NULL)
		return NULL;
	textbuf_init(&b, buf, cap);
	textbuf_puts(&b, "{\"after\":{\"status\":");
	textbuf_json_str(&b, t->status);
	textbuf_puts(&b, ",\"owner\":null,\"queue\":");
	textbuf_json_str(&b, t->queue);
	textbuf_puts(&b, "},\"ticket\":{\"source\":");
	textbuf_json_str(&b, t->source);
	textbuf_puts(&b, ",\"external_ref\":");
	textbuf_json_str(&b, t->external_ref);
	textbuf_printf(&b, ",\"severity\":%d,\"tier\":", (int)t->severity);
	textbuf_json_str(&b, t->customer_tier);
	textbuf_puts(&b, ",\"channel\":");
	textbuf_json_str(&b, t->channel);
	textbuf_puts(&b, ",\"language\":");
	textbuf_json_str(&b, t->language);
	textbuf_printf(&b, ",\"priority\":%d},\"routed\":", (int)t->priority);
	textbuf_json_str(&b, t->routed_rule);
	textbuf_putc(&b, '}');
	return b.truncated ? NULL : buf;
}

/* The ticket of (source, external_ref), or NOT_FOUND naming them. */
static baton_status find_by_ref(rpc_call *call, const char *source, const char *external_ref, bool lock,
    tickets_ticket *out)
{
	const char *params[2] = { source, external_ref };
	PGresult *res;
	baton_status s;

	if ((s = db_exec_prepared(call->db, &res, "SELECT id FROM ticket WHERE source = $1 AND external_ref = $2", 2, params,
	         &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no ticket from %.80s with reference '%.200s'", source,
		    external_ref);
	}
	char *id = shifts_col(call, res, 0, 0);
	PQclear(res);
	if (id == NULL)
		return shifts_oom(call);
	return tickets_get(call, id, lock, out);
}

baton_status tickets_create(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__CreateTicketRequest *req = (const Baton__V1__CreateTicketRequest *)request;
	Baton__V1__CreateTicketReply *rep = (Baton__V1__CreateTicketReply *)reply;
	char org_id[40], org_name[64], severity[8];
	const char *rule;
	tickets_ticket t;
	PGresult *res;
	baton_status s;

	if ((s = create_check(call, req)) != BATON_OK ||
	    (s = tickets_route(call, req->language, org_id, org_name, &rule)) != BATON_OK)
		return s;
	snprintf(severity, sizeof(severity), "%d", (int)req->severity);
	const char *params[11] = { req->source, req->external_ref, req->subject, req->customer_id, req->customer_tier,
		req->channel, req->language, severity, org_id, rule, call->sealed ? call->caller.principal_id : NULL };
	/* Of concurrent duplicates the first inserts; the others wait for it
	 * and, once it committed, find no row to insert and return its ticket. */
	if ((s = db_exec_prepared(call->db, &res,
	         "INSERT INTO ticket (source, external_ref, subject, customer_id, customer_tier, channel, language,"
	         "                    severity, org_id, routed_rule, created_by)"
	         " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::int, $9::uuid, $10, $11::uuid)"
	         " ON CONFLICT ON CONSTRAINT ticket_intake_once DO NOTHING RETURNING id",
	         11, params, &call->status)) != BATON_OK)
		return s;
	char *id = PQntuples(res) == 1 ? shifts_col(call, res, 0, 0) : NULL;
	bool created = PQntuples(res) == 1;
	PQclear(res);
	if (!created) {
		if ((s = find_by_ref(call, req->source, req->external_ref, false, &t)) != BATON_OK)
			return s;
		rep->ticket = t.msg;
		rep->created = false;
		return BATON_OK;
	}
	if (id == NULL)
		return shifts_oom(call);
	if (req->body[0] != '\0' && (s = tickets_message_add(call, id, "customer", req->body, NULL)) != BATON_OK)
		return s;
	if ((s = tickets_get(call, id, false, &t)) != BATON_OK)
		return s;
	char *body = created_body(call, t.msg);
	if (body == NULL)
		return shifts_oom(call);
	if ((s = event_append_for(call, t.org_id, NULL, "ticket.created", id, body)) != BATON_OK)
		return s;
	rep->ticket = t.msg;
	rep->created = true;
	return BATON_OK;
}

/* The ticket a customer reply names: by id, or by source and reference. */
static baton_status reply_target(rpc_call *call, const Baton__V1__AddCustomerReplyRequest *req, tickets_ticket *t)
{
	bool by_ref = req->source[0] != '\0' || req->external_ref[0] != '\0';

	if (req->ticket[0] != '\0' && by_ref)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "name the ticket by id or by source and external_ref, not both");
	if (req->ticket[0] != '\0')
		return tickets_get(call, req->ticket, true, t);
	if (!by_ref)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "ticket is required (a ticket id, or source and external_ref)");
	if (req->source[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "source is required with external_ref");
	if (req->external_ref[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "external_ref is required with source");
	return find_by_ref(call, req->source, req->external_ref, true, t);
}

baton_status tickets_customer_reply(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__AddCustomerReplyRequest *req = (const Baton__V1__AddCustomerReplyRequest *)request;
	Baton__V1__AddCustomerReplyReply *rep = (Baton__V1__AddCustomerReplyReply *)reply;
	tickets_ticket t, after;
	int64_t message_id = 0;
	const char *rule;
	baton_status s;

	if ((s = tickets_text_ok(call, "body", req->body, BODY_MAX)) != BATON_OK ||
	    (s = reply_target(call, req, &t)) != BATON_OK ||
	    (s = tickets_message_add(call, t.msg->id, "customer", req->body, &message_id)) != BATON_OK)
		return s;
	char *extra = tickets_printf(call, "\"message_id\":%lld", (long long)message_id);
	if (extra == NULL)
		return shifts_oom(call);
	if (strcmp(t.msg->status, "pending") == 0) {
		/* The customer answered what the owner waited for: the owner has
		 * it again, and the return timer runs from now. */
		const char *params[1] = { t.msg->id };
		if ((s = tickets_update(call, &t, NULL,
		         "UPDATE ticket SET status = 'assigned', pending_reason = NULL, owner_active_at = now(),"
		         "       return_at = now() + baton_ownership_timeout(org_id, created_at)"
		         " WHERE id = $1::uuid AND status = 'pending'",
		         1, params, &after)) != BATON_OK)
			return s;
		if ((s = tickets_event(call, "ticket.customer_replied", &t, &after, extra)) != BATON_OK)
			return s;
	} else if (strcmp(t.msg->status, "resolved") == 0) {
		if ((s = tickets_event(call, "ticket.customer_replied", &t, &t, extra)) != BATON_OK ||
		    (s = tickets_reopen_routed(call, &t, &after, &rule)) != BATON_OK)
			return s;
		char *q = tickets_json_quote(call, rule);
		char *more = q != NULL ? tickets_printf(call, "\"reason\":\"the customer replied\",\"routed\":%s", q) : NULL;
		if (more == NULL)
			return shifts_oom(call);
		if ((s = tickets_event(call, "ticket.reopened", &t, &after, more)) != BATON_OK)
			return s;
	} else {
		after = t;
		if ((s = tickets_event(call, "ticket.customer_replied", &t, &t, extra)) != BATON_OK)
			return s;
	}
	rep->ticket = after.msg;
	return BATON_OK;
}
