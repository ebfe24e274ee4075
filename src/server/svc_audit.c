/* svc_audit.c - baton.v1.Audit: ExportAudit, the sealed chain in pages with its checkpoints and the registered keys, for `batonctl audit verify`. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/v1/audit.pb-c.h"
#include "server/audit_seal.h"
#include "server/services.h"

#define EVENTS_DEFAULT 1000
#define EVENTS_MAX     10000
/* The chain is global: in-house leads and admins only (the handler refuses partners). */
#define AUDITORS (ROLE_LEAD | ROLE_ADMIN)

static baton_status oom(rpc_call *call)
{
	return status_set(&call->status, BATON_INTERNAL, "out of memory");
}

static int64_t int_col(const PGresult *res, int row, int c)
{
	return strtoll(PQgetvalue(res, row, c), NULL, 10);
}

static char *str_col(rpc_call *call, const PGresult *res, int row, int c)
{
	return arena_strndup(call->arena, PQgetvalue(res, row, c), (size_t)PQgetlength(res, row, c));
}

static int hex_col(rpc_call *call, const PGresult *res, int row, int c, ProtobufCBinaryData *out)
{
	return audit_hex_bytes(call->arena, PQgetvalue(res, row, c), (size_t)PQgetlength(res, row, c), out);
}

/* Chain rows after after_seq, at most limit of them (one more is read to
 * tell whether there are more). A row whose event is gone is "missing":
 * only seq, event_id and hash. */
static baton_status events_read(rpc_call *call, int64_t after_seq, int32_t limit, Baton__V1__ExportAuditReply *rep)
{
	char after[24], lim[16];
	const char *params[2] = { after, lim };
	PGresult *res = NULL;
	baton_status s = BATON_OK;
	int n;

	snprintf(after, sizeof(after), "%lld", (long long)after_seq);
	snprintf(lim, sizeof(lim), "%d", limit + 1);
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT c.seq, c.event_id, encode(c.hash, 'hex'), e.id IS NULL, " AUDIT_EVENT_COLS
	         " FROM event_chain c LEFT JOIN event e ON e.id = c.event_id"
	         " WHERE c.seq > $1::bigint ORDER BY c.seq LIMIT $2::int",
	         2, params, &call->status)) != BATON_OK)
		return s;
	n = PQntuples(res);
	rep->more = n > limit;
	if (rep->more)
		n = limit;
	if (n > 0 && (rep->events = arena_alloc(call->arena, (size_t)n * sizeof(*rep->events))) == NULL) {
		s = oom(call);
		goto out;
	}
	for (int r = 0; r < n; r++) {
		Baton__V1__AuditEvent *e = arena_alloc(call->arena, sizeof(*e));

		if (e == NULL) {
			s = oom(call);
			goto out;
		}
		baton__v1__audit_event__init(e);
		e->missing = PQgetvalue(res, r, 3)[0] == 't';
		if (!e->missing && (s = audit_event_from_row(call->arena, res, r, 4, e, &call->status)) != BATON_OK)
			goto out;
		e->seq = int_col(res, r, 0);
		e->event_id = int_col(res, r, 1);
		if (hex_col(call, res, r, 2, &e->hash) != 0) {
			s = status_set(&call->status, BATON_INTERNAL, "the chain's row at seq %lld is malformed",
			    (long long)e->seq);
			goto out;
		}
		rep->events[rep->n_events++] = e;
	}
out:
	PQclear(res);
	return s;
}

/* The checkpoints in (after_seq, last_seq]; last_seq INT64_MAX: all after after_seq. */
static baton_status checkpoints_read(rpc_call *call, int64_t after_seq, int64_t last_seq,
    Baton__V1__ExportAuditReply *rep)
{
	char after[24], last[24];
	const char *params[2] = { after, last };
	PGresult *res = NULL;
	baton_status s = BATON_OK;
	int n;

	snprintf(after, sizeof(after), "%lld", (long long)after_seq);
	snprintf(last, sizeof(last), "%lld", (long long)last_seq);
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT seq, encode(hash, 'hex'), " AUDIT_SQL_US("at") ", encode(server_public_key, 'hex'),"
	         " encode(signature, 'hex') FROM audit_checkpoint WHERE seq > $1::bigint AND seq <= $2::bigint"
	         " ORDER BY seq",
	         2, params, &call->status)) != BATON_OK)
		return s;
	n = PQntuples(res);
	if (n > 0 && (rep->checkpoints = arena_alloc(call->arena, (size_t)n * sizeof(*rep->checkpoints))) == NULL) {
		s = oom(call);
		goto out;
	}
	for (int r = 0; r < n; r++) {
		Baton__V1__AuditCheckpoint *c = arena_alloc(call->arena, sizeof(*c));

		if (c == NULL) {
			s = oom(call);
			goto out;
		}
		baton__v1__audit_checkpoint__init(c);
		c->seq = int_col(res, r, 0);
		c->at_unix_us = int_col(res, r, 2);
		if (hex_col(call, res, r, 1, &c->hash) != 0 || hex_col(call, res, r, 3, &c->server_public_key) != 0 ||
		    hex_col(call, res, r, 4, &c->signature) != 0) {
			s = status_set(&call->status, BATON_INTERNAL, "the checkpoint at seq %lld is malformed",
			    (long long)c->seq);
			goto out;
		}
		rep->checkpoints[rep->n_checkpoints++] = c;
	}
out:
	PQclear(res);
	return s;
}

/* Every key ever registered, revoked ones too: an old event's signature
 * is checked against the key valid at its time. */
static baton_status keys_read(rpc_call *call, Baton__V1__ExportAuditReply *rep)
{
	PGresult *res = NULL;
	baton_status s = BATON_OK;
	int n;

	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT k.id::text, k.principal_id::text, p.handle, encode(k.public_key, 'hex'),"
	         " " AUDIT_SQL_US("k.created_at") ", coalesce(" AUDIT_SQL_US("k.revoked_at") ", 0)"
	         " FROM principal_key k JOIN principal p ON p.id = k.principal_id ORDER BY k.created_at, k.id",
	         0, NULL, &call->status)) != BATON_OK)
		return s;
	n = PQntuples(res);
	if (n > 0 && (rep->keys = arena_alloc(call->arena, (size_t)n * sizeof(*rep->keys))) == NULL) {
		s = oom(call);
		goto out;
	}
	for (int r = 0; r < n; r++) {
		Baton__V1__AuditKey *k = arena_alloc(call->arena, sizeof(*k));

		if (k == NULL) {
			s = oom(call);
			goto out;
		}
		baton__v1__audit_key__init(k);
		k->key_id = str_col(call, res, r, 0);
		k->principal_id = str_col(call, res, r, 1);
		k->handle = str_col(call, res, r, 2);
		k->created_unix_us = int_col(res, r, 4);
		k->revoked_unix_us = int_col(res, r, 5);
		if (k->key_id == NULL || k->principal_id == NULL || k->handle == NULL) {
			s = oom(call);
			goto out;
		}
		if (hex_col(call, res, r, 3, &k->public_key) != 0) {
			s = status_set(&call->status, BATON_INTERNAL, "key %s is malformed", k->key_id);
			goto out;
		}
		rep->keys[rep->n_keys++] = k;
	}
out:
	PQclear(res);
	return s;
}

/* The chain's end and how many events wait behind it. The sealer takes
 * events in (xid, id) order and only below the oldest running
 * transaction, so every event not yet sealed lies past the chain's last
 * (xid, event_id): one index range, not an anti-join over the log. The
 * count runs unprepared with the end's values, so the planner sees how
 * short that range is (a generic plan would guess a third of the log). */
static baton_status tally_read(rpc_call *call, Baton__V1__ExportAuditReply *rep)
{
	char xid[24] = "0", event_id[24] = "0";
	const char *params[2] = { xid, event_id };
	PGresult *res = NULL;
	baton_status s;

	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT seq, xid::text, event_id FROM event_chain ORDER BY seq DESC LIMIT 1", 0, NULL,
	         &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) == 1) {
		rep->sealed_seq = int_col(res, 0, 0);
		snprintf(xid, sizeof(xid), "%s", PQgetvalue(res, 0, 1));
		snprintf(event_id, sizeof(event_id), "%s", PQgetvalue(res, 0, 2));
	}
	PQclear(res);
	if ((s = db_exec(call->db, &res, "SELECT count(*) FROM event e WHERE (e.xid, e.id) > ($1::xid8, $2::bigint)", 2,
	         params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_INTERNAL, "the unsealed events could not be counted");
	}
	rep->unsealed_events = int_col(res, 0, 0);
	PQclear(res);
	return BATON_OK;
}

static baton_status export_audit(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ExportAuditRequest *req = (const Baton__V1__ExportAuditRequest *)request;
	Baton__V1__ExportAuditReply *rep = (Baton__V1__ExportAuditReply *)reply;
	int32_t limit;
	baton_status s;

	/* The method table lets leads and admins in; a partner's may not see the global chain. */
	if (!call->caller.in_house)
		return status_set(&call->status, BATON_PERMISSION_DENIED,
		    "the audit trail is exported to in-house leads and admins only");
	if (req->after_seq < 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "after_seq must be 0 or more, not %lld",
		    (long long)req->after_seq);
	if (req->max_events < 0 || req->max_events > EVENTS_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "max_events must be 1..%d (0: %d), not %d",
		    EVENTS_MAX, EVENTS_DEFAULT, req->max_events);
	limit = req->max_events != 0 ? req->max_events : EVENTS_DEFAULT;
	if ((s = events_read(call, req->after_seq, limit, rep)) != BATON_OK)
		return s;
	/* The last page also carries the checkpoints beyond the chain's end:
	 * if chain rows were cut off the end, verify sees one past it. */
	if ((s = checkpoints_read(call, req->after_seq, rep->more ? rep->events[rep->n_events - 1]->seq : INT64_MAX, rep)) !=
	    BATON_OK)
		return s;
	if (req->after_seq == 0 && (s = keys_read(call, rep)) != BATON_OK)
		return s;
	return tally_read(call, rep);
}

static const rpc_method_impl methods[] = {
	{ "ExportAudit", export_audit, RPC_TX, AUDITORS },
};

const rpc_service_impl svc_audit = {
	&baton__v1__audit__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
