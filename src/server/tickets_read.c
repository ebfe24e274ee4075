/* tickets_read.c - reading tickets: ListTickets (keyset pages in priority order), ShowTicket (with its history), and the return timer's policies. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/textbuf.h"
#include "server/event.h"
#include "server/tickets.h"
#include "server/validate.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX     500
#define TIMEOUT_MAX  604800 /* 7 days, as sla_contract's CHECK says */

/* ---- ListTickets ----------------------------------------------------------- */

/* What a listing asks for, checked. */
typedef struct list_query {
	char    statuses[64]; /* a text[] literal: "{queued}" */
	char    org_id[40];   /* "" : any queue the caller sees */
	char    owner_id[40]; /* "" : anyone's */
	bool    after;        /* a page_token: only what comes after rank, id */
	char    after_rank[24];
	char    after_id[40];
	int32_t page_size;
} list_query;

/* Adds the statuses asked for (deduplicated) to q->statuses, or the
 * default: the owner's open tickets for mine and owner, else the queue. */
static baton_status list_statuses(rpc_call *call, const Baton__V1__ListTicketsRequest *req, list_query *q)
{
	static const char *const known[] = { "queued", "assigned", "pending", "resolved" };
	bool want[4] = { false, false, false, false };
	textbuf b;

	for (size_t i = 0; i < req->n_statuses; i++) {
		size_t k = 0;
		while (k < 4 && strcmp(req->statuses[i], known[k]) != 0)
			k++;
		if (k == 4)
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "status '%.40s' is not one of queued, assigned, pending, resolved", req->statuses[i]);
		want[k] = true;
	}
	if (req->n_statuses == 0) {
		bool owned = req->mine || req->owner[0] != '\0';
		want[0] = !owned;
		want[1] = want[2] = owned;
	}
	textbuf_init(&b, q->statuses, sizeof(q->statuses));
	textbuf_putc(&b, '{');
	for (size_t k = 0, n = 0; k < 4; k++)
		if (want[k])
			textbuf_printf(&b, "%s%s", n++ ? "," : "", known[k]);
	textbuf_putc(&b, '}');
	return BATON_OK;
}

/* "<rank>.<uuid>", as next_page_token gives it. */
static baton_status list_token(rpc_call *call, const char *token, list_query *q)
{
	const char *dot = strchr(token, '.');
	char *end;

	if (token[0] == '\0')
		return BATON_OK;
	errno = 0;
	long long rank = strtoll(token, &end, 10);
	if (dot == NULL || end != dot || end == token || errno != 0 || !validate_uuid_shaped(dot + 1))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "page_token '%.80s' is not one a listing gave (next_page_token)", token);
	q->after = true;
	snprintf(q->after_rank, sizeof(q->after_rank), "%lld", rank);
	snprintf(q->after_id, sizeof(q->after_id), "%s", dot + 1);
	return BATON_OK;
}

static baton_status list_check(rpc_call *call, const Baton__V1__ListTicketsRequest *req, list_query *q)
{
	char name[64];
	baton_status s;

	memset(q, 0, sizeof(*q));
	if (req->page_size < 0 || req->page_size > PAGE_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "page_size %d is not 1 to %d (0: %d)",
		    (int)req->page_size, PAGE_MAX, PAGE_DEFAULT);
	q->page_size = req->page_size == 0 ? PAGE_DEFAULT : req->page_size;
	if (req->mine && req->owner[0] != '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "give mine or owner, not both");
	if ((s = list_statuses(call, req, q)) != BATON_OK || (s = list_token(call, req->page_token, q)) != BATON_OK)
		return s;
	if (req->queue[0] != '\0' && (s = tickets_org_find(call, req->queue, q->org_id, name)) != BATON_OK)
		return s;
	/* A partner sees its own queue only (row-level security); saying so
	 * lets the query walk that queue's index instead of every queue's. */
	if (q->org_id[0] == '\0' && !call->caller.in_house)
		snprintf(q->org_id, sizeof(q->org_id), "%s", call->caller.org_id);
	if (req->mine)
		snprintf(q->owner_id, sizeof(q->owner_id), "%s", call->caller.principal_id);
	else if (req->owner[0] != '\0') {
		shifts_person p;
		if ((s = shifts_person_find(call, req->owner, &p)) != BATON_OK)
			return s;
		snprintf(q->owner_id, sizeof(q->owner_id), "%s", p.id);
	}
	return BATON_OK;
}

/*
 * One page in priority order. Each status is walked on its own in index
 * order (ticket_queue, ticket_owner or ticket_status, all ending in rank
 * DESC, id) from the page token on, page_size + 1 rows at most, and the
 * walks are merged: the cost is the page's, not the queue's.
 */
baton_status tickets_list(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ListTicketsRequest *req = (const Baton__V1__ListTicketsRequest *)request;
	Baton__V1__ListTicketsReply *rep = (Baton__V1__ListTicketsReply *)reply;
	char sql[2048], limit[16];
	const char *params[6];
	int n = 0, rows;
	list_query q;
	PGresult *res;
	baton_status s;
	textbuf b;

	if ((s = list_check(call, req, &q)) != BATON_OK)
		return s;
	snprintf(limit, sizeof(limit), "%d", (int)q.page_size + 1);
	params[n++] = q.statuses;
	params[n++] = limit;
	textbuf_init(&b, sql, sizeof(sql));
	textbuf_puts(&b,
	    "SELECT " TICKETS_COLS " FROM " TICKETS_FROM " JOIN ("
	    "  SELECT w.id FROM unnest($1::text[]) AS st(status) CROSS JOIN LATERAL ("
	    "    SELECT t.id, t.rank FROM ticket t WHERE t.status = st.status");
	if (q.org_id[0] != '\0') {
		params[n++] = q.org_id;
		textbuf_printf(&b, " AND t.org_id = $%d::uuid", n);
	}
	if (q.owner_id[0] != '\0') {
		params[n++] = q.owner_id;
		textbuf_printf(&b, " AND t.owner_id = $%d::uuid", n);
	}
	if (q.after) {
		params[n++] = q.after_rank;
		params[n++] = q.after_id;
		textbuf_printf(&b, " AND t.rank <= $%d::bigint AND (t.rank < $%d::bigint OR t.id > $%d::uuid)", n - 1, n - 1, n);
	}
	textbuf_puts(&b,
	    "    ORDER BY t.rank DESC, t.id LIMIT $2::int) w"
	    "  ORDER BY w.rank DESC, w.id LIMIT $2::int) page ON page.id = t.id"
	    " ORDER BY t.rank DESC, t.id");
	if (b.truncated)
		return status_set(&call->status, BATON_INTERNAL, "the listing's query does not fit");
	if ((s = db_exec_prepared(call->db, &res, sql, n, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	bool more = rows > q.page_size;
	if (more)
		rows = q.page_size;
	if ((rep->tickets = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->tickets))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	tickets_ticket t = { .msg = NULL };
	for (int r = 0; r < rows && s == BATON_OK; r++)
		if ((s = tickets_from_row(call, res, r, 0, &t)) == BATON_OK)
			rep->tickets[rep->n_tickets++] = t.msg;
	PQclear(res);
	if (s != BATON_OK)
		return s;
	if (more && (rep->next_page_token = tickets_printf(call, "%lld.%s", (long long)t.rank, t.msg->id)) == NULL)
		return shifts_oom(call);
	return BATON_OK;
}

/* ---- ShowTicket ------------------------------------------------------------- */

static baton_status show_messages(rpc_call *call, const char *id, Baton__V1__ShowTicketReply *rep)
{
	const char *params[1] = { id };
	PGresult *res;
	baton_status s;
	int rows;

	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT m.id, m.kind, m.body, m.author_handle, " SQL_MS("m.at")
	         "  FROM ticket_message m WHERE m.ticket_id = $1::uuid ORDER BY m.id",
	         1, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	if ((rep->messages = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->messages))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows; r++) {
		Baton__V1__TicketMessage *m = arena_alloc(call->arena, sizeof(*m));
		if (m == NULL) {
			PQclear(res);
			return shifts_oom(call);
		}
		baton__v1__ticket_message__init(m);
		m->id = shifts_int(res, r, 0);
		m->kind = shifts_col(call, res, r, 1);
		m->body = shifts_col(call, res, r, 2);
		m->author = shifts_col(call, res, r, 3);
		m->at_unix_ms = shifts_int(res, r, 4);
		if (m->kind == NULL || m->body == NULL || m->author == NULL) {
			PQclear(res);
			return shifts_oom(call);
		}
		rep->messages[rep->n_messages++] = m;
	}
	PQclear(res);
	return BATON_OK;
}

static baton_status show_events(rpc_call *call, const char *id, Baton__V1__ShowTicketReply *rep)
{
	const char *params[1] = { id };
	PGresult *res;
	baton_status s;
	int rows;

	/* Row-level security leaves out what the caller may not see: the
	 * events of the time the ticket was in another partner's queue. */
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT " EVENTS_COLS " FROM " EVENTS_FROM " WHERE e.subject_id = $1 ORDER BY e.xid, e.id", 1, params,
	         &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	if ((rep->events = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->events))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = events_from_row(call, res, r, 0, &rep->events[rep->n_events++]);
	PQclear(res);
	return s;
}

baton_status tickets_show(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ShowTicketRequest *req = (const Baton__V1__ShowTicketRequest *)request;
	Baton__V1__ShowTicketReply *rep = (Baton__V1__ShowTicketReply *)reply;
	tickets_ticket t;
	baton_status s;

	if ((s = tickets_get(call, req->ticket, false, &t)) != BATON_OK ||
	    (s = show_messages(call, t.msg->id, rep)) != BATON_OK || (s = show_events(call, t.msg->id, rep)) != BATON_OK)
		return s;
	rep->ticket = t.msg;
	return BATON_OK;
}

/* ---- SetTicketPolicy and ListTicketPolicies --------------------------------------- */

/* The ownership timeout of a contract version aliased tp, FROM POLICY_FROM. */
#define POLICY_FROM "sla_contract tp LEFT JOIN org po ON po.id = tp.org_id LEFT JOIN principal pb ON pb.id = tp.created_by"
#define POLICY_COLS \
	"coalesce(po.name, ''), extract(epoch FROM tp.ownership_timeout)::bigint, coalesce(pb.handle, '')," \
	" " SQL_MS("tp.created_at")

static baton_status policy_from_row(rpc_call *call, const PGresult *res, int row, Baton__V1__TicketPolicy **out)
{
	Baton__V1__TicketPolicy *p = arena_alloc(call->arena, sizeof(*p));

	if (p == NULL)
		return shifts_oom(call);
	baton__v1__ticket_policy__init(p);
	p->org = shifts_col(call, res, row, 0);
	p->ownership_timeout_s = shifts_int(res, row, 1);
	p->updated_by = shifts_col(call, res, row, 2);
	p->updated_unix_ms = shifts_int(res, row, 3);
	if (p->org == NULL || p->updated_by == NULL)
		return shifts_oom(call);
	*out = p;
	return BATON_OK;
}

baton_status tickets_policy_set(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__SetTicketPolicyRequest *req = (const Baton__V1__SetTicketPolicyRequest *)request;
	Baton__V1__SetTicketPolicyReply *rep = (Baton__V1__SetTicketPolicyReply *)reply;
	char org_id[40] = "", org_name[64] = "", secs[24];
	bool is_default = req->org[0] == '\0';
	PGresult *res;
	baton_status s;

	if (req->ownership_timeout_s < 1 || req->ownership_timeout_s > TIMEOUT_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "ownership_timeout_s %lld is not 1 to %d (7 days)", (long long)req->ownership_timeout_s, TIMEOUT_MAX);
	if (!call->caller.in_house) /* the method table allows leads and admins, who are in-house */
		return status_set(&call->status, BATON_PERMISSION_DENIED, "ticket policies are set in-house");
	if (!is_default && (s = tickets_org_find(call, req->org, org_id, org_name)) != BATON_OK)
		return s;
	snprintf(secs, sizeof(secs), "%lld", (long long)req->ownership_timeout_s);
	const char *params[3] = { is_default ? NULL : org_id, secs, call->caller.principal_id };
	/* A new version of the organization's SLA contract, which holds the
	 * timeout (docs/sla.md); the timeout before it, for the event. */
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT coalesce((SELECT extract(epoch FROM ownership_timeout)::bigint FROM sla_contract"
	         "                  WHERE id = baton_sla_contract($1::uuid, now()))::text, 'null'),"
	         "       baton_sla_contract_copy($1::uuid, $3::uuid, make_interval(secs => $2::bigint))",
	         3, params, &call->status)) != BATON_OK)
		return s;
	const char *row[2] = { tickets_printf(call, "%s", PQgetvalue(res, 0, 1)),
		tickets_printf(call, "%s", PQgetvalue(res, 0, 0)) };
	PQclear(res);
	if (row[0] == NULL || row[1] == NULL)
		return shifts_oom(call);
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT " POLICY_COLS ","
	         "       jsonb_build_object('org', po.name, 'version', tp.version,"
	         "                          'before', jsonb_build_object('ownership_timeout_s', $2::jsonb),"
	         "                          'after', jsonb_build_object('ownership_timeout_s',"
	         "                          extract(epoch FROM tp.ownership_timeout)::bigint))::text"
	         "  FROM " POLICY_FROM " WHERE tp.id = $1::uuid",
	         2, row, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_INTERNAL, "the policy just written is not visible");
	}
	if ((s = policy_from_row(call, res, 0, &rep->policy)) == BATON_OK)
		s = event_append(call, is_default ? NULL : org_id, "ticket.policy_set", is_default ? "default" : org_id,
		    PQgetvalue(res, 0, 4));
	PQclear(res);
	return s;
}

baton_status tickets_policy_list(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	Baton__V1__ListTicketPoliciesReply *rep = (Baton__V1__ListTicketPoliciesReply *)reply;
	PGresult *res;
	baton_status s;
	int rows;

	(void)request;
	/* Row-level security: partners read the default and their own. */
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT " POLICY_COLS " FROM (SELECT DISTINCT ON (org_id) * FROM sla_contract"
	         "                              ORDER BY org_id, version DESC) tp"
	         "  LEFT JOIN org po ON po.id = tp.org_id LEFT JOIN principal pb ON pb.id = tp.created_by"
	         " ORDER BY tp.org_id IS NOT NULL, po.name", 0, NULL,
	         &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	if ((rep->policies = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->policies))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = policy_from_row(call, res, r, &rep->policies[rep->n_policies++]);
	PQclear(res);
	return s;
}
