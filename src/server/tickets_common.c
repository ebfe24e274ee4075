/* tickets_common.c - what the Tickets service's files share: rows to messages, lookups, who may act, events (see tickets.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/textbuf.h"
#include "server/event.h"
#include "server/event_cursor.h"
#include "server/session.h"
#include "server/tickets.h"
#include "server/validate.h"

baton_status tickets_from_row(rpc_call *call, const PGresult *res, int row, int c, tickets_ticket *out)
{
	Baton__V1__Ticket *t = arena_alloc(call->arena, sizeof(*t));

	memset(out, 0, sizeof(*out));
	if (t == NULL)
		return shifts_oom(call);
	baton__v1__ticket__init(t);
	t->id = shifts_col(call, res, row, c + 0);
	t->source = shifts_col(call, res, row, c + 1);
	t->external_ref = shifts_col(call, res, row, c + 2);
	t->subject = shifts_col(call, res, row, c + 3);
	t->customer_id = shifts_col(call, res, row, c + 4);
	t->customer_tier = shifts_col(call, res, row, c + 5);
	t->channel = shifts_col(call, res, row, c + 6);
	t->language = shifts_col(call, res, row, c + 7);
	t->severity = (int32_t)shifts_int(res, row, c + 8);
	t->priority = (int32_t)shifts_int(res, row, c + 9);
	t->status = shifts_col(call, res, row, c + 10);
	t->queue = shifts_col(call, res, row, c + 11);
	t->routed_rule = shifts_col(call, res, row, c + 12);
	t->owner = shifts_col(call, res, row, c + 13);
	t->owner_since_unix_ms = shifts_int(res, row, c + 14);
	t->owner_active_unix_ms = shifts_int(res, row, c + 15);
	t->return_unix_ms = shifts_int(res, row, c + 16);
	t->shift_ends_unix_ms = shifts_int(res, row, c + 17);
	t->pending_reason = shifts_col(call, res, row, c + 18);
	t->first_response_unix_ms = shifts_int(res, row, c + 19);
	t->last_reply_unix_ms = shifts_int(res, row, c + 20);
	t->resolved_unix_ms = shifts_int(res, row, c + 21);
	t->resolved_by = shifts_col(call, res, row, c + 22);
	t->resolution_code = shifts_col(call, res, row, c + 23);
	t->resolution_note = shifts_col(call, res, row, c + 24);
	t->reopen_count = (int32_t)shifts_int(res, row, c + 25);
	t->created_unix_ms = shifts_int(res, row, c + 26);
	t->updated_unix_ms = shifts_int(res, row, c + 27);
	snprintf(out->org_id, sizeof(out->org_id), "%s", PQgetvalue(res, row, c + 28));
	snprintf(out->owner_id, sizeof(out->owner_id), "%s", PQgetvalue(res, row, c + 29));
	out->org_in_house = strcmp(PQgetvalue(res, row, c + 30), "in_house") == 0;
	out->rank = shifts_int(res, row, c + 31);
	if (t->id == NULL || t->source == NULL || t->external_ref == NULL || t->subject == NULL ||
	    t->customer_id == NULL || t->customer_tier == NULL || t->channel == NULL || t->language == NULL ||
	    t->status == NULL || t->queue == NULL || t->routed_rule == NULL || t->owner == NULL ||
	    t->pending_reason == NULL || t->resolved_by == NULL || t->resolution_code == NULL ||
	    t->resolution_note == NULL)
		return shifts_oom(call);
	out->msg = t;
	return BATON_OK;
}

baton_status tickets_get(rpc_call *call, const char *ticket_id, bool lock, tickets_ticket *out)
{
	const char *params[1] = { ticket_id };
	PGresult *res;
	baton_status s;

	memset(out, 0, sizeof(*out));
	if (ticket_id == NULL || ticket_id[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "ticket is required (a ticket id)");
	if (!validate_uuid_shaped(ticket_id))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "'%.80s' is not a ticket id", ticket_id);
	/* Lock first, then read with the joins: FOR UPDATE OF t on the joined
	 * query would also do, but this keeps the locked row set to one. */
	if (lock && (s = db_exec_prepared(call->db, NULL, "SELECT 1 FROM ticket WHERE id = $1::uuid FOR UPDATE", 1, params,
	                 &call->status)) != BATON_OK)
		return s;
	s = db_exec_prepared(call->db, &res, "SELECT " TICKETS_COLS " FROM " TICKETS_FROM " WHERE t.id = $1::uuid", 1, params,
	    &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no ticket %s", ticket_id);
	}
	s = tickets_from_row(call, res, 0, 0, out);
	PQclear(res);
	return s;
}

bool tickets_caller_is_lead(const rpc_call *call)
{
	return call->caller.in_house && (call->caller.role == ROLE_LEAD || call->caller.role == ROLE_ADMIN);
}

baton_status tickets_may_act(rpc_call *call, const tickets_ticket *t, const char *verb)
{
	if (tickets_caller_is_lead(call))
		return BATON_OK;
	if (strcmp(t->msg->status, "resolved") == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "cannot %s ticket %s: it is resolved (reopen it first)", verb, t->msg->id);
	if (t->owner_id[0] == '\0')
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "cannot %s ticket %s: nobody owns it (take it first)", verb, t->msg->id);
	if (strcmp(t->owner_id, call->caller.principal_id) != 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "cannot %s ticket %s: it is owned by %s; only the owner or an in-house lead may act on it", verb,
		    t->msg->id, t->msg->owner);
	return BATON_OK;
}

static void state_json(textbuf *b, const tickets_ticket *t)
{
	textbuf_puts(b, "{\"status\":");
	textbuf_json_str(b, t->msg->status);
	textbuf_puts(b, ",\"owner\":");
	if (t->msg->owner[0] != '\0')
		textbuf_json_str(b, t->msg->owner);
	else
		textbuf_puts(b, "null");
	textbuf_puts(b, ",\"queue\":");
	textbuf_json_str(b, t->msg->queue);
	textbuf_putc(b, '}');
}

baton_status tickets_event(rpc_call *call, const char *kind, const tickets_ticket *before,
    const tickets_ticket *after, const char *extra)
{
	/* Handles and names are at most 64 bytes each; quoting may double them. */
	size_t cap = 1024 + (extra != NULL ? strlen(extra) : 0);
	char *buf = arena_alloc(call->arena, cap);
	textbuf b;
	baton_status s;

	if (buf == NULL)
		return shifts_oom(call);
	textbuf_init(&b, buf, cap);
	textbuf_puts(&b, "{\"before\":");
	state_json(&b, before);
	textbuf_puts(&b, ",\"after\":");
	state_json(&b, after);
	if (extra != NULL && extra[0] != '\0') {
		textbuf_putc(&b, ',');
		textbuf_puts(&b, extra);
	}
	textbuf_putc(&b, '}');
	if (b.truncated)
		return status_set(&call->status, BATON_INTERNAL, "event body of %s does not fit", kind);
	s = event_append_for(call, before->org_id, strcmp(before->org_id, after->org_id) != 0 ? after->org_id : NULL,
	    kind, after->msg->id, buf);
	return s;
}

baton_status tickets_message_add(rpc_call *call, const char *ticket_id, const char *kind, const char *body,
    int64_t *id)
{
	const char *params[5] = { ticket_id, kind, body, call->sealed ? call->caller.principal_id : NULL,
		call->sealed ? call->caller.handle : "" };
	PGresult *res;
	baton_status s;

	if ((s = db_exec_prepared(call->db, &res,
	         "INSERT INTO ticket_message (ticket_id, kind, body, author_id, author_handle)"
	         " VALUES ($1::uuid, $2, $3, $4::uuid, $5) RETURNING id",
	         5, params, &call->status)) != BATON_OK)
		return s;
	if (id != NULL)
		*id = shifts_int(res, 0, 0);
	PQclear(res);
	return BATON_OK;
}

baton_status tickets_update(rpc_call *call, const tickets_ticket *t, const char *to_org_id, const char *sql,
    int nparams, const char *const *params, tickets_ticket *after)
{
	bool widen = call->sealed && !call->caller.in_house && to_org_id != NULL && strcmp(to_org_id, t->org_id) != 0;
	PGresult *res;
	baton_status s, back;

	memset(after, 0, sizeof(*after));
	if (widen && (s = shifts_scope_all(call)) != BATON_OK)
		return s;
	if ((s = db_exec_prepared(call->db, &res, sql, nparams, params, &call->status)) == BATON_OK) {
		bool one = strcmp(PQcmdTuples(res), "1") == 0;
		PQclear(res);
		/* Callers hold the row lock, so this is a backstop. */
		if (!one)
			s = status_set(&call->status, BATON_FAILED_PRECONDITION,
			    "ticket %s changed while you acted on it; look at it again", t->msg->id);
	}
	if (s == BATON_OK)
		s = tickets_get(call, t->msg->id, false, after);
	if (widen && (back = shifts_scope_caller(call)) != BATON_OK && s == BATON_OK)
		s = back;
	return s;
}

baton_status tickets_reopen_routed(rpc_call *call, const tickets_ticket *t, tickets_ticket *after,
    const char **rule)
{
	char org_id[40], org_name[64];
	baton_status s;

	if ((s = tickets_route(call, t->msg->language, org_id, org_name, rule)) != BATON_OK)
		return s;
	const char *params[3] = { t->msg->id, org_id, *rule };
	return tickets_update(call, t, org_id,
	    "UPDATE ticket SET status = 'queued', org_id = $2::uuid, routed_rule = $3, reopen_count = reopen_count + 1,"
	    "       resolved_at = NULL, resolved_by = NULL, resolution_code = NULL, resolution_note = NULL"
	    " WHERE id = $1::uuid AND status = 'resolved'",
	    3, params, after);
}

baton_status tickets_fitting_shift(rpc_call *call, const char *principal_id, const char *language,
    tickets_shift *out)
{
	const char *params[2] = { principal_id, language };
	PGresult *res;
	baton_status s;

	/* The claim is share-locked until the transaction ends: a release
	 * racing this waits, and then its trigger (claim_shift_moved) sees the
	 * ticket this claim let someone own; one that came first is seen by
	 * the re-check of the WHERE under the lock. */
	memset(out, 0, sizeof(*out));
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT f.claim_id, c.slot_id, " SQL_MS("f.ends_at") ","
	         "       to_char(f.ends_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	         "  FROM baton_fitting_claim($1::uuid, $2) f JOIN claim c ON c.id = f.claim_id"
	         " WHERE c.released_at IS NULL AND c.during @> now() FOR SHARE OF c",
	         2, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) == 1) {
		out->found = true;
		snprintf(out->claim_id, sizeof(out->claim_id), "%s", PQgetvalue(res, 0, 0));
		snprintf(out->slot_id, sizeof(out->slot_id), "%s", PQgetvalue(res, 0, 1));
		out->ends_unix_ms = shifts_int(res, 0, 2);
		snprintf(out->ends, sizeof(out->ends), "%s", PQgetvalue(res, 0, 3));
	}
	PQclear(res);
	return BATON_OK;
}

baton_status tickets_org_find(rpc_call *call, const char *name_or_id, char id[40], char name[64])
{
	const char *params[1] = { name_or_id };
	PGresult *res;
	baton_status s;

	if (name_or_id == NULL || name_or_id[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "name the organization");
	if ((s = db_exec_prepared(call->db, &res,
	         validate_uuid_shaped(name_or_id) ? "SELECT id, name FROM org WHERE id = $1::uuid"
	                                          : "SELECT id, name FROM org WHERE name = $1",
	         1, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no organization '%.80s'", name_or_id);
	}
	snprintf(id, 40, "%s", PQgetvalue(res, 0, 0));
	snprintf(name, 64, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return BATON_OK;
}

char *tickets_json_quote(rpc_call *call, const char *s)
{
	/* The worst case is \u00XX for every byte, plus the quotes. */
	size_t cap = 6 * strlen(s) + 3;
	char *buf = arena_alloc(call->arena, cap);
	textbuf b;

	if (buf == NULL)
		return NULL;
	textbuf_init(&b, buf, cap);
	textbuf_json_str(&b, s);
	return b.truncated ? NULL : buf;
}

char *tickets_printf(rpc_call *call, const char *fmt, ...)
{
	va_list ap;
	char *buf;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (buf = arena_alloc(call->arena, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(buf, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return buf;
}

baton_status tickets_route(rpc_call *call, const char *language, char org_id[40], char org_name[64],
    const char **rule)
{
	const char *params[1] = { language };
	PGresult *res;
	baton_status s;

	if (!call->caller.in_house && call->sealed && (s = shifts_scope_all(call)) != BATON_OK)
		return s;
	s = db_exec_prepared(call->db, &res, "SELECT org_id, org_name, rule FROM baton_route($1, now())", 1, params,
	    &call->status);
	if (!call->caller.in_house && call->sealed) {
		baton_status back = shifts_scope_caller(call);
		if (s == BATON_OK && back != BATON_OK) {
			PQclear(res);
			return back;
		}
	}
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "no queue for language %s: there is no in-house organization", language);
	}
	snprintf(org_id, 40, "%s", PQgetvalue(res, 0, 0));
	snprintf(org_name, 64, "%s", PQgetvalue(res, 0, 1));
	*rule = shifts_col(call, res, 0, 2);
	PQclear(res);
	return *rule != NULL ? BATON_OK : shifts_oom(call);
}

baton_status tickets_text_ok(rpc_call *call, const char *field, const char *text, size_t max)
{
	size_t chars = 0;

	if (text == NULL || text[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "%s is required", field);
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "%s may not hold control characters (found 0x%02x)", field, *p);
		chars += (*p & 0xC0) != 0x80;
	}
	if (chars > max)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "%s is %zu characters; at most %zu", field, chars,
		    max);
	return BATON_OK;
}

baton_status events_from_row(rpc_call *call, const PGresult *res, int row, int c, Baton__V1__Event **out)
{
	Baton__V1__Event *e = arena_alloc(call->arena, sizeof(*e));
	char cursor[EVENT_CURSOR_TEXT];
	uint64_t xid;

	if (e == NULL)
		return shifts_oom(call);
	baton__v1__event__init(e);
	e->id = shifts_int(res, row, c + 0);
	if (!event_cursor_digits(PQgetvalue(res, row, c + 1), (size_t)PQgetlength(res, row, c + 1), &xid))
		return status_set(&call->status, BATON_INTERNAL, "event %lld has a malformed xid", (long long)e->id);
	event_cursor_format(cursor, xid, e->id);
	e->cursor = arena_strndup(call->arena, cursor, strlen(cursor));
	e->at_unix_ms = shifts_int(res, row, c + 2);
	e->kind = shifts_col(call, res, row, c + 3);
	e->subject = shifts_col(call, res, row, c + 4);
	e->org = shifts_col(call, res, row, c + 5);
	e->actor = shifts_col(call, res, row, c + 6);
	e->body_json = shifts_col(call, res, row, c + 7);
	e->method = shifts_col(call, res, row, c + 8);
	e->signed_ = PQgetvalue(res, row, c + 9)[0] == 't';
	if (e->cursor == NULL || e->kind == NULL || e->subject == NULL || e->org == NULL || e->actor == NULL ||
	    e->body_json == NULL || e->method == NULL)
		return shifts_oom(call);
	*out = e;
	return BATON_OK;
}
