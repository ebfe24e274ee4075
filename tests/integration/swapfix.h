/* swapfix.h - what the swap, on-call, coverage and batonctl shift tests share: their calls in a few words, wall-clock instants, extra people, state read back through SQL. */
#ifndef BATON_TESTS_SWAPFIX_H
#define BATON_TESTS_SWAPFIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <baton/client.h>

#include "baton/v1/oncall.pb-c.h"
#include "baton/v1/shifts.pb-c.h"
#include "shiftfix.h"
#include "fixture.h"
#include "registry.h"

#define SWAPFIX_SHIFTS(m) "/baton.v1.Shifts/" m
#define SWAPFIX_ONCALL(m) "/baton.v1.OnCall/" m

#define SWAPFIX_MIN  ((int64_t)60 * 1000)
#define SWAPFIX_HOUR ((int64_t)3600 * 1000)
#define SWAPFIX_DAY  ((int64_t)24 * SWAPFIX_HOUR)

/*
 * Asserts that the status got (evaluated once) is want, printing the
 * server's message why (filled by the call in got) when it is not. Meant
 * for the test files, which include cmocka.h.
 */
#define swapfix_expect(got, want, why)                                                                      \
	do {                                                                                                    \
		baton_status swapfix_got_ = (got);                                                                  \
		if (swapfix_got_ != (want))                                                                         \
			print_error("%s:%d: got %s (%s), want %s\n", __FILE__, __LINE__, baton_status_str(swapfix_got_), \
			    (why), baton_status_str(want));                                                          \
		assert_int_equal(swapfix_got_, (want));                                                             \
	} while (0)

/* As swapfix_expect, for a refusal that may equally be a or b (a caller
 * refused, or one who may not even see the thing). */
#define swapfix_expect2(got, a, b, why)                                                                     \
	do {                                                                                                    \
		baton_status swapfix_got_ = (got);                                                                  \
		if (swapfix_got_ != (a) && swapfix_got_ != (b))                                                     \
			print_error("%s:%d: got %s (%s), want %s or %s\n", __FILE__, __LINE__,                           \
			    baton_status_str(swapfix_got_), (why), baton_status_str(a), baton_status_str(b));           \
		assert_true(swapfix_got_ == (a) || swapfix_got_ == (b));                                            \
	} while (0)

/* ---- time ------------------------------------------------------------------ */

/* ms since the epoch of a UTC wall-clock time. */
int64_t swapfix_utc(int year, int month, int day, int hour, int minute);
int64_t swapfix_now_ms(void);
/* 00:00Z of the day days after today (UTC; today as of the first call). */
int64_t swapfix_day(int days);

/* ---- people ------------------------------------------------------------------ */

/* Adds handle with role in org as as (fresh key, open client), failing the
 * case otherwise; swapfix_teardown closes it. Holds up to 48 people. */
fixture_person *swapfix_person(baton_client *as, const char *org, const char *handle, const char *role);
/* cmocka group teardown: closes swapfix_person's people, then
 * registry_teardown. */
int swapfix_teardown(void **state);

/* ---- calls ------------------------------------------------------------------- */


/* A slot by instants. NULL/0 fields: approval "none", no open lists,
 * cut-off as given (0: the server's default). */
typedef struct swapfix_slot {
	const char *queue, *language;
	int64_t     starts, ends;
	int32_t     seats;
	const char *approval;
	const char *orgs;  /* comma-separated organization names, or NULL */
	const char *kinds; /* comma-separated kinds, or NULL */
	int64_t     cutoff_s;
} swapfix_slot;

/* AddSlot as c, failing the case unless OK; the slot's id goes to id. */
void swapfix_slot_add(baton_client *c, const swapfix_slot *s, char id[40]);

/* ClaimSeat (for_principal NULL: the caller); claim_id (may be NULL) gets
 * the claim's id on OK. */
baton_status swapfix_claim(baton_client *c, const char *slot, const char *for_principal, char *claim_id,
    char *why, size_t why_len);
baton_status swapfix_release(baton_client *c, const char *claim, char *why, size_t why_len);
/* OfferSwap of claim (to NULL: anyone); swap_id (may be NULL) gets the
 * swap's id on OK. */
baton_status swapfix_offer(baton_client *c, const char *claim, const char *to, char *swap_id, char *why,
    size_t why_len);
/* TakeSwap (for_principal NULL: the caller); on OK and when out is not
 * NULL, the reply (caller frees). */
baton_status swapfix_take(baton_client *c, const char *swap, const char *for_principal,
    Baton__V1__TakeSwapReply **out, char *why, size_t why_len);
baton_status swapfix_decide(baton_client *c, const char *swap, bool reject, Baton__V1__DecideSwapReply **out,
    char *why, size_t why_len);
baton_status swapfix_withdraw(baton_client *c, const char *swap, char *why, size_t why_len);
baton_status swapfix_undo(baton_client *c, const char *swap, Baton__V1__UndoSwapReply **out, char *why,
    size_t why_len);
/* ListSwaps (state "" = open ones, "all", or one state; slot may be ""). */
baton_status swapfix_swaps(baton_client *c, const char *state, const char *slot, Baton__V1__ListSwapsReply **out,
    char *why, size_t why_len);
bool swapfix_swap_listed(const Baton__V1__ListSwapsReply *l, const char *swap_id);

/* AddRotation (members comma-separated handles); id (may be NULL) gets the
 * rotation's id on OK. */
baton_status swapfix_rotation_add(baton_client *c, const char *name, int level, const char *time_zone,
    const char *starts_local, int turn_hours, const char *members, char *id, char *why, size_t why_len);
/* AddOverride (replacement may be NULL). */
baton_status swapfix_override_add(baton_client *c, const char *rotation, const char *action,
    const char *principal, const char *replacement, int64_t from, int64_t to, char *why, size_t why_len);
/* Who at at (to 0: at one moment); on OK the reply (caller frees). */
baton_status swapfix_who(baton_client *c, int64_t at, int64_t to, Baton__V1__WhoReply **out, char *why,
    size_t why_len);
/* Coverage of [from, to) (queue, language, time_zone may be NULL); on OK
 * the reply (caller frees). */
baton_status swapfix_coverage(baton_client *c, int64_t from, int64_t to, const char *queue, const char *language,
    const char *time_zone, Baton__V1__CoverageReply **out, char *why, size_t why_len);

/* ---- swaps in a few words -------------------------------------------------------- */

/* AddSlot (as the registry's lead) on day (days from today; one case, one
 * day) 08:00-16:00Z, one seat, in lang (NULL: "pl"), open to orgs (NULL:
 * "warsaw-nights"). */
void swapfix_slot_on(int day, const char *queue, const char *lang, const char *approval, const char *orgs,
    char slot[40]);
/* swapfix_slot_on, then holder claims its seat and offers it to anyone;
 * fails the case unless all is OK and signed. */
void swapfix_offered(int day, const char *queue, const char *lang, const char *approval, const char *orgs,
    fixture_person *holder, char slot[40], char claim[40], char swap[40]);
/* taker takes swap, which must be done at once with the seat the taker's;
 * new_claim (may be NULL) gets the new claim's id. */
void swapfix_taken_at_once(fixture_person *taker, const char *swap, const char *slot, char *new_claim);
/* taker takes swap, which must wait for an approval, holder keeping the seat. */
void swapfix_taken_awaiting(fixture_person *taker, const char *swap, const char *slot, const fixture_person *holder);
/* decider approves swap: the seat must move from holder to taker. */
void swapfix_approved(fixture_person *decider, const char *swap, const char *slot, const fixture_person *holder,
    const fixture_person *taker);
/* Asserts that slot's snapshot (swapfix_snapshot) is still before. */
void swapfix_unchanged(const char *slot, const char *before);

/* ---- the database --------------------------------------------------------------- */

/* The swap's state column ("offered", ...), "" if there is no such swap. */
void swapfix_swap_state(const char *swap_id, char out[32]);
long swapfix_seats_taken(const char *slot_id);
/* Active claims on the slot, in all / held by principal_id. */
long swapfix_active(const char *slot_id);
long swapfix_holds(const char *slot_id, const char *principal_id);
/* Everything a refused call must leave as it was about slot_id: seats
 * taken, its claims (holder and whether released), its swaps (state and
 * taker), and the number of events. */
void swapfix_snapshot(const char *slot_id, char *out, size_t len);
/* A person's claims (slot and whether released), for "nothing changed". */
void swapfix_claims_of(const char *principal_id, char *out, size_t len);
/* Events of kind about subject (NULL: any) by actor_id (NULL: any) whose
 * signature is 64 bytes. */
long swapfix_events_signed(const char *kind, const char *subject, const char *actor_id);
/* Events of kind about subject whose org_id is org_id. */
long swapfix_events_of_org(const char *kind, const char *subject, const char *org_id);

#endif
