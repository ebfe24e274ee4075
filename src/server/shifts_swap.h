/* shifts_swap.h - what shifts_swaps.c and shifts_swap_exec.c share: a swap as loaded, its events, its execution. */
#ifndef BATON_SERVER_SHIFTS_SWAP_H
#define BATON_SERVER_SHIFTS_SWAP_H

#include <stdbool.h>

#include "server/shifts.h"

/* A swap as the caller's scope shows it, with what the rules need beyond
 * the message. Ids the caller may not see are "". */
typedef struct swap_row {
	Baton__V1__Swap *msg;
	char org_id[40];        /* the holder's organization */
	char taker_org_id[40];  /* "" while nobody took it */
	char holder_id[40];     /* "" when the seat is another organization's */
	char offered_to_id[40]; /* "" for anyone eligible */
	char taker_id[40];
	bool started;           /* the slot has started (by the database's clock) */
	bool cancelled;
} swap_row;

/*
 * Loads swap swap_id in the caller's scope; with lock, FOR UPDATE, so the
 * state read is the state changed. INVALID_ARGUMENT for a malformed id,
 * NOT_FOUND (naming it) if the caller may not see it.
 */
baton_status swap_load(rpc_call *call, const char *swap_id, bool lock, swap_row *out)
    __attribute__((warn_unused_result));

/* INVALID_ARGUMENT unless note fits the 500 characters the schema allows. */
baton_status swap_note_check(rpc_call *call, const char *what, const char *note)
    __attribute__((warn_unused_result));

/*
 * Appends event kind about swap swap_id to the holder's organization and,
 * if different, the taker's: the swap's taker, or waiting_taker_id ("" or
 * NULL: none) for a taker just cleared by a rejection or withdrawal. The
 * body (built by PostgreSQL) names only people of the event's own
 * organization; note goes in as "note". Runs in the widened scope
 * (shifts_scope_all): the other organization's events are not the
 * caller's to write otherwise.
 */
baton_status swap_events(rpc_call *call, const char *swap_id, const char *kind, const char *note,
    const char *waiting_taker_id) __attribute__((warn_unused_result));

/*
 * Carries out swap w for taker_id, every check having been made in the
 * caller's scope: releases the offered seat, claims one for the taker,
 * marks the swap done. With decided, the caller approved it (decision_note
 * is kept, and 'swap.approved' goes before 'swap.done'). Widens the scope
 * for the changes and narrows it back. FAILED_PRECONDITION, naming the
 * taker, if the database refuses the taker's claim; the caller returns the
 * error, so the transaction rolls back and nothing changes. new_claim_id
 * receives the taker's claim id.
 */
baton_status swap_execute(rpc_call *call, const swap_row *w, const char *taker_id, bool decided,
    const char *decision_note, char new_claim_id[40]) __attribute__((warn_unused_result));

/* The claim for a reply, in the caller's scope; *out stays NULL if it is
 * another organization's (the caller may not see it). */
baton_status swap_reply_claim(rpc_call *call, const char *claim_id, Baton__V1__Claim **out)
    __attribute__((warn_unused_result));

#endif
