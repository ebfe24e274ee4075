/* escalations.h - what the Escalations service's files share: an escalation row to its message, read or locked by id. */
#ifndef BATON_SERVER_ESCALATIONS_H
#define BATON_SERVER_ESCALATIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "baton/v1/sla.pb-c.h"
#include "server/rpc.h"
#include "server/tickets.h"

/*
 * Columns of an escalation aliased x (ESCALATIONS_N_COLS of them), for
 * escalations_from_row(); FROM must be ESCALATIONS_FROM. People of another
 * organization than the caller's (the in-house lead an escalation went to,
 * seen by a partner) show as "(another organization)", as events show such
 * actors; the ticket's subject shows as "" once the ticket left the
 * partner's queue (an approved escalation moves it in-house).
 */
#define ESCALATIONS_FROM \
	"escalation x LEFT JOIN org xo ON xo.id = x.org_id LEFT JOIN ticket xt ON xt.id = x.ticket_id" \
	" LEFT JOIN principal xr ON xr.id = x.raised_by LEFT JOIN principal xa ON xa.id = x.assignee_id" \
	" LEFT JOIN principal xd ON xd.id = x.decided_by LEFT JOIN principal xn ON xn.id = x.new_owner_id"
#define ESCALATIONS_HANDLE(alias, column) \
	"coalesce(" alias ".handle, CASE WHEN x." column " IS NULL THEN '' ELSE '(another organization)' END)"
#define ESCALATIONS_COLS \
	"x.id, x.ticket_id, coalesce(xt.subject, ''), coalesce(xo.name, ''), x.source," \
	" " ESCALATIONS_HANDLE("xr", "raised_by") ", x.reason, x.urgency, coalesce(x.clock, ''), x.state, x.level," \
	" " ESCALATIONS_HANDLE("xa", "assignee_id") ", x.routed_rule, " SQL_MS("x.routed_at") "," \
	" coalesce(" SQL_MS("x.expires_at") ", 0), x.expiries, " ESCALATIONS_HANDLE("xd", "decided_by") "," \
	" coalesce(" SQL_MS("x.decided_at") ", 0), coalesce(x.decision_note, '')," \
	" " ESCALATIONS_HANDLE("xn", "new_owner_id") ", " SQL_MS("x.created_at") "," \
	" x.org_id, (extract(epoch FROM x.created_at) * 1000000)::bigint"
#define ESCALATIONS_N_COLS 23

/* An escalation as the handlers need it: the message, plus what is behind it. */
typedef struct escalations_row {
	Baton__V1__Escalation *msg;
	char                   org_id[40];  /* the queue it was raised from: whose it is */
	int64_t                created_us;  /* created_at in µs since the epoch: the list's page key */
} escalations_row;

/* Row to escalation (columns from col0 on), in call->arena. */
baton_status escalations_from_row(rpc_call *call, const PGresult *res, int row, int col0, escalations_row *out)
    __attribute__((warn_unused_result));

/*
 * The escalation with id, as the caller may see it (NOT_FOUND, naming it,
 * otherwise: partners see those raised from their queue). With lock, its
 * row is locked FOR UPDATE first (the decisions: of two leads deciding at
 * once, the second reads what the first left).
 */
baton_status escalations_get(rpc_call *call, const char *id, bool lock, escalations_row *out)
    __attribute__((warn_unused_result));

/* Handlers, by file; svc_escalations.c lists them in the method table. */
/* escalations_act.c */
baton_status escalations_escalate(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status escalations_approve(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status escalations_reject(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
/* escalations_read.c */
baton_status escalations_list(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status escalations_show(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);

#endif
