/* sla.h - what the Sla service's files share: contract versions and ticket clocks as messages, and the handlers. */
#ifndef BATON_SERVER_SLA_H
#define BATON_SERVER_SLA_H

#include "baton/v1/sla.pb-c.h"
#include "server/rpc.h"
#include "server/shifts.h"

/*
 * Contract version contract_id (UUID text) as a message in call->arena,
 * hours, holidays and targets included, as the caller may see it
 * (row-level security: partners see their own organization's versions and
 * the default): NOT_FOUND, naming it, otherwise. created_by is "" when the
 * author belongs to an organization the caller does not see.
 */
baton_status sla_contract_read(rpc_call *call, const char *contract_id, Baton__V1__SlaContract **out)
    __attribute__((warn_unused_result));

/* Columns of a clock aliased k (SLA_CLOCK_N_COLS of them) for
 * sla_clock_from_row(); FROM must be SLA_CLOCK_FROM. used_s of a running
 * clock counts up to now() in its contract's calendar. A clock measured
 * by a contract the caller may not see (another partner's, from before
 * the ticket moved) shows version 0 and org "(another organization)". */
#define SLA_CLOCK_FROM \
	"ticket_clock k LEFT JOIN sla_contract kc ON kc.id = k.contract_id LEFT JOIN org ko ON ko.id = kc.org_id"
#define SLA_CLOCK_COLS \
	"k.clock, k.cycle, k.state, round(k.target_s)::bigint," \
	" (CASE WHEN k.state = 'running'" \
	"       THEN k.used_s + baton_sla_elapsed(k.contract_id, k.since, greatest(k.since, now()))" \
	"       ELSE k.used_s END)::float8," \
	" " SQL_MS("k.started_at") ", coalesce(" SQL_MS("k.warn_at") ", 0), coalesce(" SQL_MS("k.due_at") ", 0)," \
	" coalesce(" SQL_MS("k.warned_at") ", 0), coalesce(" SQL_MS("k.breached_at") ", 0)," \
	" coalesce(" SQL_MS("k.ended_at") ", 0), coalesce(kc.version, 0)," \
	" CASE WHEN kc.id IS NULL THEN '(another organization)' ELSE coalesce(ko.name, '') END"
#define SLA_CLOCK_N_COLS 13

/* Row to clock (columns from col0 on), in call->arena. */
baton_status sla_clock_from_row(rpc_call *call, const PGresult *res, int row, int col0, Baton__V1__SlaClock **out)
    __attribute__((warn_unused_result));

/* Handlers, by file; svc_sla.c lists them in the method table. */
/* sla_contract.c */
baton_status sla_contract_set(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status sla_contract_show(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status sla_deadline(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
/* sla_ticket.c */
baton_status sla_ticket(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);

#endif
