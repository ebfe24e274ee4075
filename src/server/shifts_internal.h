/* shifts_internal.h - what svc_shifts.c, shifts_slots.c, shifts_claims.c and shifts_coverage.c share: checks of slot fields, slots with their place in time, the handlers the method table lists. */
#ifndef BATON_SERVER_SHIFTS_INTERNAL_H
#define BATON_SERVER_SHIFTS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "server/shifts.h"

/* ISO-8601 UTC text of a timestamptz expression ("2026-11-27T18:00:00Z"), as SQL. */
#define SQL_ISO(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

/* "2026-11-27 18:00-22:00" (the end's date only when it differs) of a
 * tstzrange expression, in UTC, as SQL; messages add " UTC". */
#define SQL_SPAN(r) \
	"(to_char(lower(" r ") AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || '-' ||" \
	" to_char(upper(" r ") AT TIME ZONE 'UTC'," \
	"   CASE WHEN (lower(" r ") AT TIME ZONE 'UTC')::date = (upper(" r ") AT TIME ZONE 'UTC')::date" \
	"        THEN 'HH24:MI' ELSE 'YYYY-MM-DD HH24:MI' END))"

/* Limits of list replies. */
#define SHIFTS_LIMIT_DEFAULT 200
#define SHIFTS_LIMIT_MAX     1000
/* Longest note or reason, in bytes. */
#define SHIFTS_TEXT_MAX 500
/* Longest release cut-off a slot may set: 30 days. */
#define SHIFTS_CUTOFF_MAX_S (30 * 86400LL)

/* A slot with where it stands on the database's clock. */
typedef struct shifts_slot_row {
	Baton__V1__Slot *slot;
	bool             started;       /* now >= starts */
	bool             ended;         /* now >= ends */
	bool             cutoff_passed; /* now >= starts - release_cutoff */
	char            *json;          /* to_jsonb of the row, for event bodies */
} shifts_slot_row;

/* Loads a slot as shifts_slot_get() does (INVALID_ARGUMENT for a
 * malformed id, NOT_FOUND naming it if the caller may not see it), locked
 * FOR UPDATE with lock (in-house callers only). */
baton_status shifts_slot_load(rpc_call *call, const char *slot_id, bool lock, shifts_slot_row *out);

/* The limit of a list request: 0 is the default, 1..SHIFTS_LIMIT_MAX as
 * given, anything else INVALID_ARGUMENT. */
baton_status shifts_limit(rpc_call *call, int32_t limit, int32_t *out);

/*
 * Checks of slot fields, shared by AddSlot, PublishWeekly and EditSlot.
 * Each returns BATON_OK or INVALID_ARGUMENT with a message naming the bad
 * value (NOT_FOUND for an unknown organization).
 */
baton_status shifts_check_queue(rpc_call *call, const char *queue);
baton_status shifts_check_language(rpc_call *call, const char *language);
baton_status shifts_check_seats(rpc_call *call, int32_t seats);
baton_status shifts_check_note(rpc_call *call, const char *what, const char *text);
/* "" is "none". *out points to a static string. */
baton_status shifts_check_swap_approval(rpc_call *call, const char *approval, const char **out);
/* 0: the server's default; -1: none; 1..30 days. *out_s is what to store. */
baton_status shifts_check_cutoff(rpc_call *call, int64_t cutoff_s, int64_t *out_s);
/* [starts, ends) of a slot: starts < ends, at most 24 h, ends after now. */
baton_status shifts_check_instants(rpc_call *call, int64_t starts_ms, int64_t ends_ms);
/*
 * open_to_orgs (names or ids) and open_to_kinds as PostgreSQL array
 * literals in call->arena ("{uuid,uuid}", "{after_hours}"); unknown
 * organizations are NOT_FOUND, naming them.
 */
baton_status shifts_open_to(rpc_call *call, char *const *orgs, size_t n_orgs, char *const *kinds,
    size_t n_kinds, char **orgs_literal, char **kinds_literal);

/*
 * Withdraws the open swap offers (offered, awaiting approval) on the
 * claims in claim_ids (a uuid[] literal), as the caller, with note, and
 * appends 'swap.withdrawn' events for each (swap_events: the holder's
 * organization and a waiting taker's). *n (may be NULL) is how many.
 */
baton_status shifts_withdraw_offers(rpc_call *call, const char *claim_ids, const char *note, int *n);

/* Handlers the method table in svc_shifts.c lists. */
baton_status shifts_add_slot(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_publish_weekly(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_edit_slot(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_claim_seat(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_release_seat(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_list_claims(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);
baton_status shifts_coverage(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply);

#endif
