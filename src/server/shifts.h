/* shifts.h - what the Shifts service's files share: rows to messages, lookups, who may act for whom. */
#ifndef BATON_SERVER_SHIFTS_H
#define BATON_SERVER_SHIFTS_H

#include <stdbool.h>
#include <stdint.h>

#include "baton/v1/shifts.pb-c.h"
#include "server/rpc.h"

/* ms since the epoch of a timestamptz expression, as SQL. */
#define SQL_MS(x) "(extract(epoch FROM " x ") * 1000)::bigint"

/* Columns of a slot aliased s (SHIFTS_N_SLOT_COLS of them). */
#define SHIFTS_SLOT_COLS \
	"s.id, s.queue, s.language, " SQL_MS("lower(s.during)") ", " SQL_MS("upper(s.during)") "," \
	" s.seats, s.seats_taken," \
	" array_to_string(ARRAY(SELECT so.name FROM org so WHERE so.id = ANY (s.open_to_orgs) ORDER BY 1), ',')," \
	" array_to_string(s.open_to_kinds, ','), s.swap_approval," \
	" extract(epoch FROM s.release_cutoff)::bigint, s.note, coalesce(s.series_id::text, '')," \
	" coalesce(" SQL_MS("s.cancelled_at") ", 0), coalesce(s.cancelled_reason, ''), " SQL_MS("s.created_at")
#define SHIFTS_N_SLOT_COLS 16

/* FROM clause and columns of a claim aliased c (SHIFTS_N_CLAIM_COLS).
 * People of other organizations (a lead who claimed) show as "". */
#define SHIFTS_CLAIM_FROM \
	"claim c JOIN slot s ON s.id = c.slot_id JOIN principal p ON p.id = c.principal_id" \
	" JOIN org o ON o.id = c.org_id LEFT JOIN principal cb ON cb.id = c.claimed_by" \
	" LEFT JOIN principal rb ON rb.id = c.released_by"
#define SHIFTS_CLAIM_COLS \
	"c.id, c.slot_id, c.principal_id, p.handle, c.org_id, o.name, " SQL_MS("lower(c.during)") "," \
	" " SQL_MS("upper(c.during)") ", s.queue, s.language, coalesce(cb.handle, ''), coalesce(c.via_swap::text, '')," \
	" " SQL_MS("c.created_at") ", coalesce(" SQL_MS("c.released_at") ", 0), coalesce(rb.handle, '')," \
	" coalesce(c.released_reason, '')"
#define SHIFTS_N_CLAIM_COLS 16

/* A principal as the shift rules need it. */
typedef struct shifts_person {
	char     id[40];
	char     handle[64];
	char     org_id[40];
	char     org_name[64];
	char     org_kind[16];
	unsigned role; /* one ROLE_* bit */
	bool     disabled;
} shifts_person;

baton_status shifts_oom(rpc_call *call);
/* Column c of row as an arena string (NULL: out of memory). */
char *shifts_col(rpc_call *call, const PGresult *res, int row, int c);
int64_t shifts_int(const PGresult *res, int row, int c);

/* Rows (columns from col0 on) to messages in call->arena. */
baton_status shifts_slot_from_row(rpc_call *call, const PGresult *res, int row, int col0, Baton__V1__Slot **out);
baton_status shifts_claim_from_row(rpc_call *call, const PGresult *res, int row, int col0, Baton__V1__Claim **out);

/* A principal by handle or id; "" is the caller. NOT_FOUND if the caller
 * may not see them (partners see their own organization only). */
baton_status shifts_person_find(rpc_call *call, const char *handle_or_id, shifts_person *out);

/* A zone PostgreSQL knows by name (pg_timezone_names): INVALID_ARGUMENT
 * saying so otherwise. Every request that names a time zone checks it here. */
baton_status shifts_check_time_zone(rpc_call *call, const char *tz);

/* A slot by id (NOT_FOUND, naming it, if there is none the caller may
 * see). With lock, the row is locked FOR UPDATE (in-house callers only:
 * partners may not update slots). */
baton_status shifts_slot_get(rpc_call *call, const char *slot_id, bool lock, Baton__V1__Slot **out);

/* A claim by id, NOT_FOUND if the caller may not see it. */
baton_status shifts_claim_get(rpc_call *call, const char *claim_id, Baton__V1__Claim **out);

/* The caller's active claim on slot_id held by person; NOT_FOUND if none. */
baton_status shifts_claim_of(rpc_call *call, const char *slot_id, const shifts_person *person,
    Baton__V1__Claim **out);

/* Whether the caller may act for p on shifts: p themself, a manager of
 * p's organization, or an in-house lead or admin. */
bool shifts_acts_for(const rpc_call *call, const shifts_person *p);

/*
 * Widens the transaction's row-level security scope to every row, for an
 * effect that crosses organizations after the caller's own scope has
 * allowed it (a swap between two partners); shifts_scope_caller() narrows
 * it back. Every check is made in the caller's scope first.
 */
baton_status shifts_scope_all(rpc_call *call);
baton_status shifts_scope_caller(rpc_call *call);

/* Handlers of the swap methods (shifts_swaps.c); svc_shifts.c lists them. */
baton_status shifts_offer_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_take_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_decide_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_withdraw_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_undo_swap(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_list_swaps(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
/* The swaps of a slot the caller may see, newest first (ShowSlot). */
baton_status shifts_swaps_of_slot(rpc_call *call, const char *slot_id, Baton__V1__Swap ***out, size_t *n);

#endif
