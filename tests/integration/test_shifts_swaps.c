/* test_shifts_swaps.c - tries to break seat swaps (real batond, real PostgreSQL): approvals, who may decide, withdraw, eligibility, cross-organization swaps, races, undo, exactly once, events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include <baton/client.h>

#include "baton/v1/shifts.pb-c.h"
#include "fixture.h"
#include "harness.h"
#include "registry.h"
#include "swapfix.h"

enum { RACERS = 10 };

/* Beyond the registry: an overflow partner speaking en/es/pt, and agents of
 * warsaw-nights who race for one offer. */
static char            lis_id[40];
static fixture_person *lis_mgr, *lis_agent, *racer[RACERS];

static int setup(void **state)
{
	baton_result res;
	char name[32];

	if (registry_setup(state) != 0)
		return -1;
	if (fixture_org_add(registry.admin, "lisbon-overflow", "overflow", "en,es,pt", "Europe/Lisbon", lis_id, &res) !=
	    BATON_OK) {
		fprintf(stderr, "AddOrg lisbon-overflow: %s\n", res.message);
		baton_result_clear(&res);
		return -1;
	}
	baton_result_clear(&res);
	lis_mgr = swapfix_person(registry.admin, "lisbon-overflow", "lis-manager", "manager");
	lis_agent = swapfix_person(lis_mgr->client, "lisbon-overflow", "lis-agent1", "agent");
	for (int i = 0; i < RACERS; i++) {
		snprintf(name, sizeof(name), "wn-racer%d", i);
		racer[i] = swapfix_person(registry.wn_mgr.client, "warsaw-nights", name, "agent");
	}
	return 0;
}

/* Short names for the shared helpers. */
#define WHY why, sizeof(why)
#define offered(day, q, approval, orgs, holder, slot, claim, swap) \
	swapfix_offered((day), (q), NULL, (approval), (orgs), (holder), (slot), (claim), (swap))
#define slot_on(day, q, lang, approval, orgs, slot) swapfix_slot_on((day), (q), (lang), (approval), (orgs), (slot))
#define taken_at_once   swapfix_taken_at_once
#define taken_awaiting  swapfix_taken_awaiting
#define approved        swapfix_approved
#define unchanged       swapfix_unchanged

/* ---- cases ---------------------------------------------------------------------- */

static void swap_without_approval_moves_the_seat_at_once(void **state)
{
	char slot[40], claim[40], swap[40], why[512], st[32];
	(void)state;

	offered(1, "swap-none", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	taken_at_once(&registry.wn_agent2, swap, slot, NULL);
	assert_int_equal(swapfix_seats_taken(slot), 1);
	assert_int_equal(swapfix_active(slot), 1);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 0);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent2.id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE id = '%s' AND released_at IS NOT NULL", claim), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND via_swap = '%s'"
	                               " AND principal_id = '%s'", slot, swap, registry.wn_agent2.id), 1);
	swapfix_swap_state(swap, st);
	assert_string_equal(st, "done");
	assert_int_equal(swapfix_events_signed("swap.done", swap, registry.wn_agent2.id), 1);
	/* Done is done: nobody else takes it again. */
	swapfix_expect(swapfix_take(racer[0]->client, swap, NULL, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	assert_int_equal(swapfix_holds(slot, racer[0]->id), 0);
}

static void manager_approval_is_for_the_holders_manager(void **state)
{
	char slot[40], claim[40], swap[40], why[512], before[1024];
	(void)state;

	offered(2, "swap-manager", "manager", "warsaw-nights,sol-latino,lisbon-overflow", &registry.wn_agent1, slot,
	    claim, swap);
	taken_awaiting(&registry.wn_agent2, swap, slot, &registry.wn_agent1);
	swapfix_snapshot(slot, before, sizeof(before));
	/* A colleague of the holder, the taker, and the holder are agents. */
	swapfix_expect(swapfix_decide(racer[0]->client, swap, false, NULL, WHY), BATON_PERMISSION_DENIED, why);
	swapfix_expect(swapfix_decide(registry.wn_agent2.client, swap, false, NULL, WHY), BATON_PERMISSION_DENIED, why);
	swapfix_expect(swapfix_decide(registry.wn_agent1.client, swap, false, NULL, WHY), BATON_PERMISSION_DENIED, why);
	/* Managers of other organizations, partner or in-house. */
	swapfix_expect2(swapfix_decide(registry.sl_mgr.client, swap, false, NULL, WHY),
	    BATON_PERMISSION_DENIED, BATON_NOT_FOUND, why);
	swapfix_expect2(swapfix_decide(lis_mgr->client, swap, true, NULL, WHY), BATON_PERMISSION_DENIED,
	    BATON_NOT_FOUND, why);
	swapfix_expect(swapfix_decide(registry.hq_mgr.client, swap, false, NULL, WHY), BATON_PERMISSION_DENIED, why);
	unchanged(slot, before);
	approved(&registry.wn_mgr, swap, slot, &registry.wn_agent1, &registry.wn_agent2);
}

static void lead_approval_is_for_leads_only(void **state)
{
	char slot[40], claim[40], swap[40], why[512], before[1024];
	(void)state;

	offered(3, "swap-lead", "lead", NULL, &registry.wn_agent1, slot, claim, swap);
	taken_awaiting(&registry.wn_agent2, swap, slot, &registry.wn_agent1);
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_expect(swapfix_decide(registry.wn_mgr.client, swap, false, NULL, WHY), BATON_PERMISSION_DENIED, why);
	swapfix_expect(swapfix_decide(registry.wn_mgr.client, swap, true, NULL, WHY), BATON_PERMISSION_DENIED, why);
	swapfix_expect(swapfix_decide(registry.hq_mgr.client, swap, false, NULL, WHY), BATON_PERMISSION_DENIED, why);
	unchanged(slot, before);
	approved(&registry.lead, swap, slot, &registry.wn_agent1, &registry.wn_agent2);
}

static void rejected_offer_is_open_again_for_someone_else(void **state)
{
	Baton__V1__DecideSwapReply *d = NULL;
	char slot[40], claim[40], swap[40], why[512], st[32];
	(void)state;

	offered(4, "swap-reject", "manager", NULL, &registry.wn_agent1, slot, claim, swap);
	taken_awaiting(&registry.wn_agent2, swap, slot, &registry.wn_agent1);
	swapfix_expect(swapfix_decide(registry.wn_mgr.client, swap, true, &d, WHY), BATON_OK, why);
	assert_string_equal(d->swap->state, "offered");
	assert_string_equal(d->swap->taker, "");
	assert_true(d->claim == NULL || d->claim->id[0] == '\0');
	baton__v1__decide_swap_reply__free_unpacked(d, NULL);
	swapfix_swap_state(swap, st);
	assert_string_equal(st, "offered");
	assert_int_equal(registry_sqln("SELECT count(*) FROM swap WHERE id = '%s' AND taker_id IS NULL", swap), 1);
	assert_int_equal(swapfix_events_signed("swap.rejected", swap, registry.wn_mgr.id), 1);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 1);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent2.id), 0);

	taken_awaiting(racer[0], swap, slot, &registry.wn_agent1);
	approved(&registry.wn_mgr, swap, slot, &registry.wn_agent1, racer[0]);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent2.id), 0);
}

static void offers_can_be_withdrawn_while_offered_or_awaiting(void **state)
{
	char slot[40], claim[40], swap[40], again[40], why[512], st[32], before[1024];
	(void)state;

	offered(5, "swap-withdraw", "manager", NULL, &registry.wn_agent1, slot, claim, swap);
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_expect(swapfix_withdraw(registry.wn_agent2.client, swap, WHY), BATON_PERMISSION_DENIED, why);
	unchanged(slot, before);
	swapfix_expect(swapfix_withdraw(registry.wn_agent1.client, swap, WHY), BATON_OK, why);
	swapfix_swap_state(swap, st);
	assert_string_equal(st, "withdrawn");
	assert_int_equal(swapfix_events_signed("swap.withdrawn", swap, registry.wn_agent1.id), 1);
	swapfix_expect(swapfix_take(registry.wn_agent2.client, swap, NULL, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	swapfix_expect(swapfix_withdraw(registry.wn_agent1.client, swap, WHY), BATON_FAILED_PRECONDITION, why);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 1);

	/* Offered again, taken, and withdrawn by the holder's manager while it
	 * waits for the approval. */
	swapfix_expect(swapfix_offer(registry.wn_agent1.client, claim, NULL, again, WHY), BATON_OK, why);
	taken_awaiting(&registry.wn_agent2, again, slot, &registry.wn_agent1);
	swapfix_expect(swapfix_withdraw(registry.wn_mgr.client, again, WHY), BATON_OK, why);
	swapfix_swap_state(again, st);
	assert_string_equal(st, "withdrawn");
	assert_int_equal(swapfix_events_signed("swap.withdrawn", again, registry.wn_mgr.id), 1);
	swapfix_expect(swapfix_decide(registry.wn_mgr.client, again, false, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 1);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent2.id), 0);
	assert_int_equal(swapfix_seats_taken(slot), 1);
}

static void a_claim_has_one_open_offer_at_most(void **state)
{
	char slot[40], claim[40], swap[40], why[512], before[1024];
	(void)state;

	offered(6, "swap-twice", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_expect(swapfix_offer(registry.wn_agent1.client, claim, NULL, NULL, WHY), BATON_ALREADY_EXISTS, why);
	swapfix_expect(swapfix_offer(registry.wn_agent1.client, slot, "wn-agent2", NULL, WHY),
	    BATON_ALREADY_EXISTS, why);
	swapfix_expect(swapfix_offer(registry.wn_mgr.client, claim, NULL, NULL, WHY), BATON_ALREADY_EXISTS, why);
	/* Nobody else offers someone's seat. */
	swapfix_expect(swapfix_offer(registry.wn_agent2.client, claim, NULL, NULL, WHY), BATON_PERMISSION_DENIED, why);
	unchanged(slot, before);
	assert_int_equal(registry_sqln("SELECT count(*) FROM swap WHERE claim_id = '%s'", claim), 1);
}

static void an_offer_to_one_person_is_for_that_person(void **state)
{
	char slot[40], claim[40], swap[40], why[512], before[1024];
	(void)state;

	slot_on(7, "swap-to", NULL, "none", NULL, slot);
	swapfix_expect(swapfix_claim(registry.wn_agent1.client, slot, NULL, claim, WHY), BATON_OK, why);
	swapfix_expect(swapfix_offer(registry.wn_agent1.client, claim, "wn-agent2", swap, WHY), BATON_OK, why);
	assert_int_equal(registry_sqln("SELECT count(*) FROM swap WHERE id = '%s' AND offered_to = '%s'", swap,
	                     registry.wn_agent2.id), 1);
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_expect(swapfix_take(racer[1]->client, swap, NULL, NULL, WHY), BATON_PERMISSION_DENIED, why);
	swapfix_expect(swapfix_take(registry.wn_mgr.client, swap, racer[1]->handle, NULL, WHY),
	    BATON_PERMISSION_DENIED, why);
	unchanged(slot, before);
	taken_at_once(&registry.wn_agent2, swap, slot, NULL);
}

static void the_holder_cannot_take_their_own_offer(void **state)
{
	char slot[40], claim[40], swap[40], why[512], before[1024];
	(void)state;

	offered(8, "swap-self", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_expect2(swapfix_take(registry.wn_agent1.client, swap, NULL, NULL, WHY),
	    BATON_FAILED_PRECONDITION, BATON_INVALID_ARGUMENT, why);
	swapfix_expect2(swapfix_take(registry.wn_mgr.client, swap, "wn-agent1", NULL, WHY),
	    BATON_FAILED_PRECONDITION, BATON_INVALID_ARGUMENT, why);
	unchanged(slot, before);
}

static void a_taker_with_an_overlapping_shift_is_refused(void **state)
{
	char slot[40], claim[40], swap[40], other[40], next[40], why[512], before[1024], mine[1024], mine_after[1024];
	swapfix_slot b = { .queue = "swap-overlap-b", .language = "pl", .starts = swapfix_day(9) + 12 * SWAPFIX_HOUR,
		.ends = swapfix_day(9) + 20 * SWAPFIX_HOUR, .seats = 1, .orgs = "warsaw-nights" };
	swapfix_slot c = { .queue = "swap-overlap-c", .language = "pl", .starts = swapfix_day(9) + 16 * SWAPFIX_HOUR,
		.ends = swapfix_day(9) + 24 * SWAPFIX_HOUR, .seats = 1, .orgs = "warsaw-nights" };
	(void)state;

	offered(9, "swap-overlap", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	swapfix_slot_add(registry.lead.client, &b, other);
	swapfix_expect(swapfix_claim(registry.wn_agent2.client, other, NULL, NULL, WHY), BATON_OK, why);
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_claims_of(registry.wn_agent2.id, mine, sizeof(mine));
	swapfix_expect(swapfix_take(registry.wn_agent2.client, swap, NULL, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	assert_non_null(strstr(why, "overlapping shift"));
	unchanged(slot, before);
	swapfix_claims_of(registry.wn_agent2.id, mine_after, sizeof(mine_after));
	assert_string_equal(mine_after, mine);

	/* A shift that only touches it ([16:00, 24:00) after [08:00, 16:00)) is fine. */
	swapfix_slot_add(registry.lead.client, &c, next);
	swapfix_expect(swapfix_claim(racer[2]->client, next, NULL, NULL, WHY), BATON_OK, why);
	taken_at_once(racer[2], swap, slot, NULL);
}

static void a_taker_whose_organization_lacks_the_language_is_refused(void **state)
{
	char slot[40], claim[40], swap[40], why[512], before[1024];
	(void)state;

	offered(10, "swap-language", "none", "warsaw-nights,sol-latino", &registry.wn_agent1, slot, claim, swap);
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_expect(swapfix_take(registry.sl_agent1.client, swap, NULL, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	assert_non_null(strstr(why, "needs pl"));
	swapfix_expect(swapfix_take(registry.sl_mgr.client, swap, "sl-agent2", NULL, WHY),
	    BATON_FAILED_PRECONDITION, why);
	unchanged(slot, before);
}

static void a_swap_across_organizations_is_seen_by_both(void **state)
{
	Baton__V1__ListSwapsReply *l = NULL;
	char slot[40], claim[40], swap[40], why[512], n[32];
	(void)state;

	swapfix_offered(11, "swap-cross", "en", "none", "warsaw-nights,lisbon-overflow", &registry.wn_agent1, slot, claim,
	    swap);
	/* The offer is visible to the other organization the slot is open to,
	 * not to one it is not open to. */
	swapfix_expect(swapfix_swaps(lis_agent->client, "", "", &l, WHY), BATON_OK, why);
	assert_true(swapfix_swap_listed(l, swap));
	baton__v1__list_swaps_reply__free_unpacked(l, NULL);
	swapfix_expect(swapfix_swaps(registry.sl_agent1.client, "", "", &l, WHY), BATON_OK, why);
	assert_false(swapfix_swap_listed(l, swap));
	baton__v1__list_swaps_reply__free_unpacked(l, NULL);

	taken_at_once(lis_agent, swap, slot, NULL);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND released_at IS NULL"
	                               " AND org_id = '%s'", slot, lis_id), 1);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 0);
	assert_int_equal(swapfix_seats_taken(slot), 1);
	/* Each organization has its own swap.done event, and sees it. */
	assert_int_equal(swapfix_events_of_org("swap.done", swap, registry.wn_id), 1);
	assert_int_equal(swapfix_events_of_org("swap.done", swap, lis_id), 1);
	assert_int_equal(registry_sql_as_org(lis_id, n, sizeof(n), "SELECT count(*) FROM event WHERE kind = 'swap.done'"
	                     " AND subject_id = '%s'", swap), 0);
	assert_string_equal(n, "1");
	assert_int_equal(registry_sql_as_org(registry.wn_id, n, sizeof(n), "SELECT count(*) FROM event"
	                     " WHERE kind = 'swap.done' AND subject_id = '%s'", swap), 0);
	assert_string_equal(n, "1");
	for (int i = 0; i < 2; i++) {
		baton_client *c = i == 0 ? lis_agent->client : registry.wn_agent1.client;
		swapfix_expect(swapfix_swaps(c, "all", "", &l, WHY), BATON_OK, why);
		assert_true(swapfix_swap_listed(l, swap));
		baton__v1__list_swaps_reply__free_unpacked(l, NULL);
	}
	/* The taker's manager may undo it: the seat goes back to the holder,
	 * in the holder's organization. */
	swapfix_expect(swapfix_undo(lis_mgr->client, swap, NULL, WHY), BATON_OK, why);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 1);
	assert_int_equal(swapfix_holds(slot, lis_agent->id), 0);
	assert_int_equal(swapfix_seats_taken(slot), 1);
	assert_int_equal(swapfix_events_of_org("swap.undone", swap, registry.wn_id), 1);
	assert_int_equal(swapfix_events_of_org("swap.undone", swap, lis_id), 1);
}

static void a_swap_across_organizations_is_approved_by_the_holders_manager(void **state)
{
	char slot[40], claim[40], swap[40], why[512], before[1024];
	(void)state;

	swapfix_offered(21, "swap-cross-manager", "en", "manager", "warsaw-nights,lisbon-overflow", &registry.wn_agent1,
	    slot, claim, swap);
	/* Rejected once: the waiting taker's organization is told too. */
	taken_awaiting(lis_agent, swap, slot, &registry.wn_agent1);
	swapfix_expect(swapfix_decide(registry.wn_mgr.client, swap, true, NULL, WHY), BATON_OK, why);
	assert_int_equal(swapfix_events_of_org("swap.rejected", swap, registry.wn_id), 1);
	assert_int_equal(swapfix_events_of_org("swap.rejected", swap, lis_id), 1);
	/* Taken again, by the taker's manager for them this time. */
	swapfix_expect(swapfix_take(lis_mgr->client, swap, lis_agent->handle, NULL, WHY), BATON_OK, why);
	swapfix_snapshot(slot, before, sizeof(before));
	/* The taker's manager is not the holder's: may neither decide nor withdraw. */
	swapfix_expect(swapfix_decide(lis_mgr->client, swap, false, NULL, WHY), BATON_PERMISSION_DENIED, why);
	swapfix_expect(swapfix_withdraw(lis_mgr->client, swap, WHY), BATON_PERMISSION_DENIED, why);
	unchanged(slot, before);
	approved(&registry.wn_mgr, swap, slot, &registry.wn_agent1, lis_agent);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND released_at IS NULL"
	                               " AND org_id = '%s'", slot, lis_id), 1);
	assert_int_equal(swapfix_events_of_org("swap.approved", swap, lis_id), 1);
}

static void a_manager_takes_for_their_own_people_only(void **state)
{
	Baton__V1__TakeSwapReply *t = NULL;
	char slot[40], claim[40], swap[40], why[512], before[1024];
	(void)state;

	offered(20, "swap-for", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_expect(swapfix_take(registry.integ.client, swap, NULL, NULL, WHY), BATON_PERMISSION_DENIED, why);
	swapfix_expect(swapfix_take(registry.wn_agent2.client, swap, racer[4]->handle, NULL, WHY),
	    BATON_PERMISSION_DENIED, why);
	swapfix_expect2(swapfix_take(registry.sl_mgr.client, swap, racer[4]->handle, NULL, WHY),
	    BATON_PERMISSION_DENIED, BATON_NOT_FOUND, why);
	swapfix_expect2(swapfix_take(lis_mgr->client, swap, racer[4]->handle, NULL, WHY),
	    BATON_PERMISSION_DENIED, BATON_NOT_FOUND, why);
	/* Leads hold no seats. */
	swapfix_expect2(swapfix_take(registry.lead.client, swap, NULL, NULL, WHY), BATON_FAILED_PRECONDITION,
	    BATON_PERMISSION_DENIED, why);
	unchanged(slot, before);

	swapfix_expect(swapfix_take(registry.wn_mgr.client, swap, racer[4]->handle, &t, WHY), BATON_OK, why);
	assert_string_equal(t->swap->state, "done");
	assert_non_null(t->claim);
	assert_string_equal(t->claim->principal_id, racer[4]->id);
	assert_string_equal(t->claim->claimed_by, "wn-manager");
	baton__v1__take_swap_reply__free_unpacked(t, NULL);
	assert_int_equal(swapfix_holds(slot, racer[4]->id), 1);
	assert_int_equal(swapfix_events_signed("swap.done", swap, registry.wn_mgr.id), 1);
}

/* TakeSwap of swap, packed (caller frees). */
static uint8_t *take_request(const char *swap, size_t *len)
{
	Baton__V1__TakeSwapRequest req = BATON__V1__TAKE_SWAP_REQUEST__INIT;

	req.swap = (char *)swap;
	req.for_principal = "";
	return shiftfix_pack(&req.base, len);
}

static void ten_takers_at_once_one_wins(void **state)
{
	char slot[40], claim[40], swap[40], st[32];
	shiftfix_racer r[RACERS];
	int ok = 0, refused = 0, winner = -1;
	uint8_t *buf;
	size_t len;
	(void)state;

	offered(12, "swap-race", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	buf = take_request(swap, &len);
	for (int i = 0; i < RACERS; i++)
		r[i] = (shiftfix_racer){ .client = racer[i]->client, .method = SWAPFIX_SHIFTS("TakeSwap"), .request = buf,
			.request_len = len };
	shiftfix_race(r, RACERS);
	free(buf);
	for (int i = 0; i < RACERS; i++) {
		if (r[i].status == BATON_OK)
			ok++, winner = i;
		else if (r[i].status == BATON_FAILED_PRECONDITION)
			refused++;
		else
			print_error("taker %d: %s: %s\n", i, baton_status_str(r[i].status), r[i].res.message);
		baton_result_clear(&r[i].res);
	}
	assert_int_equal(ok, 1);
	assert_int_equal(refused, RACERS - 1);
	swapfix_swap_state(swap, st);
	assert_string_equal(st, "done");
	assert_int_equal(swapfix_seats_taken(slot), 1);
	assert_int_equal(swapfix_active(slot), 1);
	assert_int_equal(swapfix_holds(slot, racer[winner]->id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE via_swap = '%s'", swap), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM swap WHERE id = '%s' AND taker_id = '%s'", swap,
	                     racer[winner]->id), 1);
	assert_int_equal(swapfix_events_signed("swap.done", swap, NULL), 1);
}

/* The holder withdraws while five take: one outcome, whole. */
static void a_withdraw_racing_takers_has_one_whole_outcome(void **state)
{
	Baton__V1__WithdrawSwapRequest w = BATON__V1__WITHDRAW_SWAP_REQUEST__INIT;
	char slot[40], claim[40], swap[40], st[32];
	shiftfix_racer r[6];
	uint8_t *take, *withdraw;
	size_t take_len, withdraw_len;
	int took = 0;
	(void)state;

	offered(22, "swap-race-withdraw", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	take = take_request(swap, &take_len);
	w.swap = swap;
	w.note = "";
	withdraw = shiftfix_pack(&w.base, &withdraw_len);
	r[0] = (shiftfix_racer){ .client = registry.wn_agent1.client, .method = SWAPFIX_SHIFTS("WithdrawSwap"),
		.request = withdraw, .request_len = withdraw_len };
	for (int i = 1; i < 6; i++)
		r[i] = (shiftfix_racer){ .client = racer[i]->client, .method = SWAPFIX_SHIFTS("TakeSwap"), .request = take,
			.request_len = take_len };
	shiftfix_race(r, 6);
	free(take);
	free(withdraw);
	for (int i = 1; i < 6; i++) {
		if (r[i].status != BATON_OK && r[i].status != BATON_FAILED_PRECONDITION)
			print_error("taker %d: %s: %s\n", i, baton_status_str(r[i].status), r[i].res.message);
		assert_true(r[i].status == BATON_OK || r[i].status == BATON_FAILED_PRECONDITION);
		took += r[i].status == BATON_OK;
	}
	for (int i = 0; i < 6; i++)
		baton_result_clear(&r[i].res);
	swapfix_swap_state(swap, st);
	assert_int_equal(swapfix_seats_taken(slot), 1);
	assert_int_equal(swapfix_active(slot), 1);
	if (strcmp(st, "withdrawn") == 0) {
		assert_int_equal(r[0].status, BATON_OK);
		assert_int_equal(took, 0);
		assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 1);
		assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE via_swap = '%s'", swap), 0);
	} else {
		assert_string_equal(st, "done");
		assert_int_equal(r[0].status, BATON_FAILED_PRECONDITION);
		assert_int_equal(took, 1);
		assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 0);
		assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE via_swap = '%s'", swap), 1);
	}
}

static void undo_before_the_start_gives_the_seat_back(void **state)
{
	Baton__V1__UndoSwapReply *u = NULL;
	char slot[40], claim[40], swap[40], taken[40], why[512], st[32], before[1024], again[40];
	(void)state;

	offered(13, "swap-undo", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	taken_at_once(&registry.wn_agent2, swap, slot, taken);
	/* Someone who is neither party nor their manager may not. */
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_expect(swapfix_undo(racer[3]->client, swap, NULL, WHY), BATON_PERMISSION_DENIED, why);
	swapfix_expect2(swapfix_undo(registry.sl_mgr.client, swap, NULL, WHY), BATON_PERMISSION_DENIED,
	    BATON_NOT_FOUND, why);
	unchanged(slot, before);

	swapfix_expect(swapfix_undo(registry.wn_agent1.client, swap, &u, WHY), BATON_OK, why);
	assert_string_equal(u->swap->state, "undone");
	assert_string_equal(u->swap->undone_by, "wn-agent1");
	assert_non_null(u->claim);
	assert_string_equal(u->claim->principal_id, registry.wn_agent1.id);
	assert_int_equal(u->claim->released_unix_ms, 0);
	assert_string_equal(u->swap->restored_claim_id, u->claim->id);
	assert_string_not_equal(u->claim->id, claim);
	snprintf(again, sizeof(again), "%s", u->claim->id);
	baton__v1__undo_swap_reply__free_unpacked(u, NULL);
	swapfix_swap_state(swap, st);
	assert_string_equal(st, "undone");
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 1);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent2.id), 0);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE id = '%s' AND released_at IS NOT NULL", taken),
	    1);
	assert_int_equal(swapfix_seats_taken(slot), 1);
	assert_int_equal(swapfix_events_signed("swap.undone", swap, registry.wn_agent1.id), 1);
	swapfix_expect(swapfix_undo(registry.wn_agent1.client, swap, NULL, WHY), BATON_FAILED_PRECONDITION, why);

	/* Offered again, taken again, undone by the holder's manager this time. */
	swapfix_expect(swapfix_offer(registry.wn_agent1.client, again, NULL, swap, WHY), BATON_OK, why);
	taken_at_once(&registry.wn_agent2, swap, slot, NULL);
	swapfix_expect(swapfix_undo(registry.wn_mgr.client, swap, NULL, WHY), BATON_OK, why);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 1);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent2.id), 0);
	assert_int_equal(swapfix_seats_taken(slot), 1);
}

/* Undoing gives the seat back, so an offer the taker made of it meanwhile
 * is withdrawn, not left open on a released seat. */
static void undo_withdraws_the_takers_offer_of_the_seat(void **state)
{
	char slot[40], claim[40], swap[40], taken[40], second[40], why[512], st[32];
	(void)state;

	offered(24, "swap-undo-offered", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	taken_at_once(&registry.wn_agent2, swap, slot, taken);
	swapfix_expect(swapfix_offer(registry.wn_agent2.client, taken, NULL, second, WHY), BATON_OK, why);
	swapfix_expect(swapfix_undo(registry.wn_agent1.client, swap, NULL, WHY), BATON_OK, why);
	swapfix_swap_state(second, st);
	if (strcmp(st, "withdrawn") != 0)
		print_error("after UndoSwap released the taker's seat, the taker's offer of it is '%s'\n", st);
	assert_string_equal(st, "withdrawn");
	swapfix_expect(swapfix_take(racer[6]->client, second, NULL, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 1);
	assert_int_equal(swapfix_holds(slot, racer[6]->id), 0);
	assert_int_equal(swapfix_seats_taken(slot), 1);
}

/* An approval checks the taker again: what was true at the take may not be. */
static void approval_checks_the_taker_again(void **state)
{
	char slot[40], claim[40], swap[40], other[40], other_claim[40], why[512], before[1024];
	swapfix_slot b = { .queue = "swap-recheck-b", .language = "pl", .starts = swapfix_day(23) + 15 * SWAPFIX_HOUR,
		.ends = swapfix_day(23) + 18 * SWAPFIX_HOUR, .seats = 1, .orgs = "warsaw-nights" };
	(void)state;

	offered(23, "swap-recheck", "manager", NULL, &registry.wn_agent1, slot, claim, swap);
	taken_awaiting(racer[5], swap, slot, &registry.wn_agent1);
	swapfix_slot_add(registry.lead.client, &b, other);
	swapfix_expect(swapfix_claim(racer[5]->client, other, NULL, other_claim, WHY), BATON_OK, why);
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_expect(swapfix_decide(registry.wn_mgr.client, swap, false, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	assert_non_null(strstr(why, "overlapping shift"));
	unchanged(slot, before);
	assert_int_equal(swapfix_holds(other, racer[5]->id), 1);
	swapfix_expect(swapfix_release(racer[5]->client, other_claim, WHY), BATON_OK, why);
	approved(&registry.wn_mgr, swap, slot, &registry.wn_agent1, racer[5]);
}

static void undo_after_the_start_is_refused(void **state)
{
	char slot[40], claim[40], swap[40], why[512], out[64], before[1024];
	(void)state;

	offered(14, "swap-started", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	taken_at_once(&registry.wn_agent2, swap, slot, NULL);
	/* The shift began a minute ago (a valid range: under 24 h). */
	assert_int_equal(registry_sqlf(out, sizeof(out), "WITH u AS (UPDATE slot SET during = tstzrange(now() -"
	                     " interval '1 minute', now() + interval '2 hours') WHERE id = '%s' RETURNING 1)"
	                     " SELECT count(*) FROM u", slot), 0);
	assert_string_equal(out, "1");
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_expect(swapfix_undo(registry.wn_agent1.client, swap, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	swapfix_expect(swapfix_undo(registry.wn_agent2.client, swap, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	swapfix_expect(swapfix_undo(registry.lead.client, swap, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	/* Nor is a started seat offered again. */
	swapfix_expect(swapfix_offer(registry.wn_agent2.client, slot, NULL, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	unchanged(slot, before);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent2.id), 1);
}

static void undo_is_refused_when_the_holder_took_an_overlapping_shift(void **state)
{
	char slot[40], claim[40], swap[40], other[40], why[512], before[1024], mine[1024], mine_after[1024];
	swapfix_slot b = { .queue = "swap-undo-b", .language = "pl", .starts = swapfix_day(15) + 10 * SWAPFIX_HOUR,
		.ends = swapfix_day(15) + 12 * SWAPFIX_HOUR, .seats = 1, .orgs = "warsaw-nights" };
	(void)state;

	offered(15, "swap-undo-overlap", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	taken_at_once(&registry.wn_agent2, swap, slot, NULL);
	swapfix_slot_add(registry.lead.client, &b, other);
	swapfix_expect(swapfix_claim(registry.wn_agent1.client, other, NULL, NULL, WHY), BATON_OK, why);
	swapfix_snapshot(slot, before, sizeof(before));
	swapfix_claims_of(registry.wn_agent1.id, mine, sizeof(mine));
	swapfix_expect(swapfix_undo(registry.wn_agent1.client, swap, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	swapfix_expect(swapfix_undo(registry.lead.client, swap, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	unchanged(slot, before);
	swapfix_claims_of(registry.wn_agent1.id, mine_after, sizeof(mine_after));
	assert_string_equal(mine_after, mine);
	assert_int_equal(swapfix_holds(other, registry.wn_agent1.id), 1);
}

static void releasing_an_offered_seat_withdraws_the_offer(void **state)
{
	char slot[40], claim[40], swap[40], why[512], st[32];
	(void)state;

	offered(16, "swap-release", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	swapfix_expect(swapfix_release(registry.wn_agent1.client, claim, WHY), BATON_OK, why);
	swapfix_swap_state(swap, st);
	assert_string_equal(st, "withdrawn");
	assert_int_equal(swapfix_seats_taken(slot), 0);
	swapfix_expect(swapfix_take(registry.wn_agent2.client, swap, NULL, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	assert_int_equal(swapfix_active(slot), 0);
	assert_int_equal(swapfix_events_signed("swap.withdrawn", swap, registry.wn_agent1.id), 1);
}

/* The same while a taker waits for the manager. */
static void releasing_a_seat_awaiting_approval_withdraws_the_offer(void **state)
{
	char slot[40], claim[40], swap[40], why[512], st[32];
	(void)state;

	offered(17, "swap-release-awaiting", "manager", NULL, &registry.wn_agent1, slot, claim, swap);
	taken_awaiting(&registry.wn_agent2, swap, slot, &registry.wn_agent1);
	swapfix_expect(swapfix_release(registry.wn_agent1.client, claim, WHY), BATON_OK, why);
	swapfix_swap_state(swap, st);
	assert_string_equal(st, "withdrawn");
	swapfix_expect(swapfix_decide(registry.wn_mgr.client, swap, false, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	assert_int_equal(swapfix_active(slot), 0);
	assert_int_equal(swapfix_seats_taken(slot), 0);
}

static void cancelling_a_slot_withdraws_a_swap_awaiting_approval(void **state)
{
	Baton__V1__CancelSlotRequest cancel = BATON__V1__CANCEL_SLOT_REQUEST__INIT;
	char slot[40], claim[40], swap[40], why[512], st[32];
	(void)state;

	offered(19, "swap-cancel-awaiting", "lead", NULL, &registry.wn_agent1, slot, claim, swap);
	taken_awaiting(&registry.wn_agent2, swap, slot, &registry.wn_agent1);
	cancel.slot = slot;
	cancel.reason = "queue closed";
	swapfix_expect(shiftfix_call(registry.lead.client, SWAPFIX_SHIFTS("CancelSlot"), &cancel.base, NULL, NULL, why,
	                   sizeof(why)), BATON_OK, why);
	swapfix_swap_state(swap, st);
	assert_string_equal(st, "withdrawn");
	swapfix_expect(swapfix_decide(registry.lead.client, swap, false, NULL, WHY), BATON_FAILED_PRECONDITION, why);
	assert_int_equal(swapfix_active(slot), 0);
	assert_int_equal(swapfix_seats_taken(slot), 0);
}

static void a_resent_take_runs_once(void **state)
{
	baton_call_options o = { .timeout_ms = 10000, .has_request_id = true, .changes_state = true };
	char slot[40], claim[40], swap[40];
	baton_result first, again;
	uint8_t *buf;
	size_t len;
	(void)state;

	offered(18, "swap-once", "none", NULL, &registry.wn_agent1, slot, claim, swap);
	buf = take_request(swap, &len);
	randombytes_buf(o.request_id, sizeof(o.request_id));
	swapfix_expect(baton_call(registry.wn_agent2.client, SWAPFIX_SHIFTS("TakeSwap"), buf, len, &o, &first), BATON_OK,
	    first.message);
	swapfix_expect(baton_call(registry.wn_agent2.client, SWAPFIX_SHIFTS("TakeSwap"), buf, len, &o, &again), BATON_OK,
	    again.message);
	assert_int_equal(again.payload_len, first.payload_len);
	assert_memory_equal(again.payload, first.payload, first.payload_len);
	baton_result_clear(&first);
	baton_result_clear(&again);
	free(buf);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND principal_id = '%s'", slot,
	                     registry.wn_agent2.id), 1);
	assert_int_equal(swapfix_seats_taken(slot), 1);
	assert_int_equal(swapfix_events_signed("swap.done", swap, registry.wn_agent2.id), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(swap_without_approval_moves_the_seat_at_once, registry_cleanup),
		cmocka_unit_test_teardown(manager_approval_is_for_the_holders_manager, registry_cleanup),
		cmocka_unit_test_teardown(lead_approval_is_for_leads_only, registry_cleanup),
		cmocka_unit_test_teardown(rejected_offer_is_open_again_for_someone_else, registry_cleanup),
		cmocka_unit_test_teardown(offers_can_be_withdrawn_while_offered_or_awaiting, registry_cleanup),
		cmocka_unit_test_teardown(a_claim_has_one_open_offer_at_most, registry_cleanup),
		cmocka_unit_test_teardown(an_offer_to_one_person_is_for_that_person, registry_cleanup),
		cmocka_unit_test_teardown(the_holder_cannot_take_their_own_offer, registry_cleanup),
		cmocka_unit_test_teardown(a_taker_with_an_overlapping_shift_is_refused, registry_cleanup),
		cmocka_unit_test_teardown(a_taker_whose_organization_lacks_the_language_is_refused, registry_cleanup),
		cmocka_unit_test_teardown(a_swap_across_organizations_is_seen_by_both, registry_cleanup),
		cmocka_unit_test_teardown(a_swap_across_organizations_is_approved_by_the_holders_manager, registry_cleanup),
		cmocka_unit_test_teardown(a_manager_takes_for_their_own_people_only, registry_cleanup),
		cmocka_unit_test_teardown(ten_takers_at_once_one_wins, registry_cleanup),
		cmocka_unit_test_teardown(a_withdraw_racing_takers_has_one_whole_outcome, registry_cleanup),
		cmocka_unit_test_teardown(undo_before_the_start_gives_the_seat_back, registry_cleanup),
		cmocka_unit_test_teardown(undo_withdraws_the_takers_offer_of_the_seat, registry_cleanup),
		cmocka_unit_test_teardown(approval_checks_the_taker_again, registry_cleanup),
		cmocka_unit_test_teardown(undo_after_the_start_is_refused, registry_cleanup),
		cmocka_unit_test_teardown(undo_is_refused_when_the_holder_took_an_overlapping_shift, registry_cleanup),
		cmocka_unit_test_teardown(releasing_an_offered_seat_withdraws_the_offer, registry_cleanup),
		cmocka_unit_test_teardown(releasing_a_seat_awaiting_approval_withdraws_the_offer, registry_cleanup),
		cmocka_unit_test_teardown(cancelling_a_slot_withdraws_a_swap_awaiting_approval, registry_cleanup),
		cmocka_unit_test_teardown(a_resent_take_runs_once, registry_cleanup),
	};
	return cmocka_run_group_tests_name("integration: shifts, swaps", tests, setup, swapfix_teardown);
}
