/* test_shifts_claims.c - tries to break seat claims (real batond, real PostgreSQL): capacity and overlap under races, claims racing cancellations, edits and releases, exactly once. */
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
#include "registry.h"
#include "shiftfix.h"

/* claim.added events of slot's claims signed by the person who made the
 * claim and kept under the holder's organization. */
static long claim_added_events(const char *slot)
{
	return registry_sqln("SELECT count(*) FROM event e JOIN claim c ON c.id::text = e.subject_id"
	                     " WHERE e.kind = 'claim.added' AND c.slot_id = '%s' AND e.actor_id = c.claimed_by"
	                     " AND e.org_id = c.org_id AND octet_length(e.signature) = 64",
	    slot);
}

/* A ClaimSeat request for slot on behalf of for_principal, packed. */
static uint8_t *claim_request(const char *slot, const char *for_principal, size_t *len)
{
	Baton__V1__ClaimSeatRequest req = BATON__V1__CLAIM_SEAT_REQUEST__INIT;

	req.slot = (char *)slot;
	req.for_principal = (char *)for_principal;
	return shiftfix_pack(&req.base, len);
}

enum { RACERS = SHIFTFIX_RACERS, SEATS = 3, ROUNDS = 3 };

/* ---- 1. capacity under a race ------------------------------------------------- */

static void capacity_holds_when_24_agents_of_two_orgs_race_for_3_seats(void **state)
{
	fixture_person *const *agents = shiftfix_racers();
	shiftfix_racer r[RACERS];
	char slot[40], msg[512];
	(void)state;

	for (int round = 0; round < ROUNDS; round++) {
		int64_t w = shiftfix_window();
		shiftfix_slot spec = { .starts_ms = w, .ends_ms = w + 4 * SH_HOUR_MS, .seats = SEATS };
		uint8_t *bufs[RACERS];
		int ok = 0, full = 0;

		shiftfix_slot_must(registry.lead.client, &spec, slot);
		for (int i = 0; i < RACERS; i++) {
			r[i] = (shiftfix_racer){ .client = agents[i]->client, .method = SH_CLAIM_SEAT };
			bufs[i] = claim_request(slot, "", &r[i].request_len);
			r[i].request = bufs[i];
		}
		shiftfix_race(r, RACERS);
		for (int i = 0; i < RACERS; i++) {
			if (r[i].status == BATON_OK) {
				Baton__V1__ClaimSeatReply *rep =
				    baton__v1__claim_seat_reply__unpack(NULL, r[i].res.payload_len, r[i].res.payload);
				assert_non_null(rep);
				assert_string_equal(rep->claim->slot_id, slot);
				assert_string_equal(rep->claim->principal_id, agents[i]->id);
				assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE id = '%s' AND released_at IS NULL"
				                               " AND principal_id = '%s'", rep->claim->id, agents[i]->id), 1);
				baton__v1__claim_seat_reply__free_unpacked(rep, NULL);
				ok++;
			} else {
				snprintf(msg, sizeof(msg), "round %d, racer %s", round, agents[i]->handle);
				shiftfix_expect(msg, r[i].status, r[i].res.message, BATON_FAILED_PRECONDITION, "is full");
				full++;
			}
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
		if (ok != SEATS)
			print_error("round %d: %d of %d racers got one of %d seats\n", round, ok, RACERS, SEATS);
		assert_int_equal(ok, SEATS);
		assert_int_equal(full, RACERS - SEATS);
		assert_int_equal(shiftfix_active_on(slot), SEATS);
		assert_int_equal(shiftfix_seats_taken(slot), SEATS);
		assert_int_equal(claim_added_events(slot), SEATS);
	}
}

/* ---- 1b. claims racing other changes of the slot ---------------------------------- */

enum { CANCEL_CLAIMERS = 12, SHRINK_CLAIMERS = 10, RELEASERS = 6, MOVE_ROUNDS = 4 };

static void claims_racing_a_cancellation_leave_no_seat_behind(void **state)
{
	fixture_person *const *agents = shiftfix_racers();
	Baton__V1__ClaimSeatRequest claim = BATON__V1__CLAIM_SEAT_REQUEST__INIT;
	Baton__V1__CancelSlotRequest cancel = BATON__V1__CANCEL_SLOT_REQUEST__INIT;
	shiftfix_racer r[CANCEL_CLAIMERS + 1];
	uint8_t *bufs[CANCEL_CLAIMERS + 1];
	char slot[40];
	(void)state;

	for (int round = 0; round < ROUNDS; round++) {
		int64_t w = shiftfix_window();
		shiftfix_slot spec = { .starts_ms = w, .ends_ms = w + 4 * SH_HOUR_MS, .seats = CANCEL_CLAIMERS };
		Baton__V1__CancelSlotReply *rep;
		int ok = 0;

		shiftfix_slot_must(registry.lead.client, &spec, slot);
		claim.slot = slot;
		cancel.slot = slot;
		cancel.reason = "race";
		for (int i = 0; i < CANCEL_CLAIMERS; i++)
			bufs[i] = shiftfix_racer_init(&r[i], agents[i]->client, SH_CLAIM_SEAT, &claim.base);
		bufs[CANCEL_CLAIMERS] = shiftfix_racer_init(&r[CANCEL_CLAIMERS], registry.lead.client, SH_CANCEL_SLOT, &cancel.base);
		shiftfix_race(r, CANCEL_CLAIMERS + 1);
		for (int i = 0; i < CANCEL_CLAIMERS; i++) {
			if (r[i].status == BATON_OK)
				ok++;
			else
				shiftfix_expect("a claim racing a cancellation", r[i].status, r[i].res.message,
				    BATON_FAILED_PRECONDITION, "cancelled");
		}
		shiftfix_expect("the cancellation", r[CANCEL_CLAIMERS].status, r[CANCEL_CLAIMERS].res.message, BATON_OK, NULL);
		rep = baton__v1__cancel_slot_reply__unpack(NULL, r[CANCEL_CLAIMERS].res.payload_len,
		    r[CANCEL_CLAIMERS].res.payload);
		assert_non_null(rep);
		/* Every seat given was given before the cancellation, which took it back. */
		assert_int_equal(rep->claims_released, ok);
		baton__v1__cancel_slot_reply__free_unpacked(rep, NULL);
		assert_int_equal(shiftfix_active_on(slot), 0);
		assert_int_equal(shiftfix_seats_taken(slot), 0);
		assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s'"
		                               " AND released_reason LIKE 'slot cancelled%%'", slot), ok);
		assert_int_equal(registry_sqln("SELECT count(*) FROM event e JOIN claim c ON c.id::text = e.subject_id"
		                               " WHERE e.kind = 'claim.cancelled' AND c.slot_id = '%s' AND e.org_id = c.org_id",
		                     slot), ok);
		for (int i = 0; i <= CANCEL_CLAIMERS; i++) {
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
	}
}

static void shrinking_seats_racing_claims_never_overfill(void **state)
{
	fixture_person *const *agents = shiftfix_racers();
	Baton__V1__ClaimSeatRequest claim = BATON__V1__CLAIM_SEAT_REQUEST__INIT;
	Baton__V1__EditSlotRequest edit = BATON__V1__EDIT_SLOT_REQUEST__INIT;
	char *change[1] = { "seats" };
	shiftfix_racer r[SHRINK_CLAIMERS + 1];
	uint8_t *bufs[SHRINK_CLAIMERS + 1];
	char slot[40];
	(void)state;

	for (int round = 0; round < ROUNDS; round++) {
		int64_t w = shiftfix_window();
		shiftfix_slot spec = { .starts_ms = w, .ends_ms = w + 4 * SH_HOUR_MS, .seats = 6 };
		int ok = 0;
		long seats;

		shiftfix_slot_must(registry.lead.client, &spec, slot);
		claim.slot = slot;
		edit.slot = slot;
		edit.change = change;
		edit.n_change = 1;
		edit.seats = 2;
		for (int i = 0; i < SHRINK_CLAIMERS; i++)
			bufs[i] = shiftfix_racer_init(&r[i], agents[i]->client, SH_CLAIM_SEAT, &claim.base);
		bufs[SHRINK_CLAIMERS] = shiftfix_racer_init(&r[SHRINK_CLAIMERS], registry.lead.client, SH_EDIT_SLOT, &edit.base);
		shiftfix_race(r, SHRINK_CLAIMERS + 1);
		for (int i = 0; i < SHRINK_CLAIMERS; i++) {
			if (r[i].status == BATON_OK)
				ok++;
			else
				shiftfix_expect("a claim racing a shrink", r[i].status, r[i].res.message, BATON_FAILED_PRECONDITION,
				    "is full");
		}
		if (r[SHRINK_CLAIMERS].status != BATON_OK)
			shiftfix_expect("the shrink", r[SHRINK_CLAIMERS].status, r[SHRINK_CLAIMERS].res.message,
			    BATON_FAILED_PRECONDITION, NULL);
		seats = registry_sqln("SELECT seats FROM slot WHERE id = '%s'", slot);
		assert_int_equal(seats, r[SHRINK_CLAIMERS].status == BATON_OK ? 2 : 6);
		assert_true(ok <= seats);
		assert_int_equal(shiftfix_active_on(slot), ok);
		assert_int_equal(shiftfix_seats_taken(slot), ok);
		for (int i = 0; i <= SHRINK_CLAIMERS; i++) {
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
	}
}

static void a_seat_released_at_once_by_everyone_allowed_is_released_once(void **state)
{
	fixture_person *agent = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-released", "agent");
	baton_client *const clients[RELEASERS] = { agent->client, shiftfix_client_of(agent), registry.wn_mgr.client,
		shiftfix_client_of(&registry.wn_mgr), registry.lead.client, registry.admin };
	Baton__V1__ReleaseSeatRequest req = BATON__V1__RELEASE_SEAT_REQUEST__INIT;
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .language = "pl", .orgs = "warsaw-nights", .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS };
	shiftfix_racer r[RELEASERS];
	uint8_t *bufs[RELEASERS];
	char slot[40], claim[40];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot);
	for (int round = 0; round < ROUNDS; round++) {
		int ok = 0;

		shiftfix_claim_must(agent->client, slot, "", claim);
		req.claim = claim;
		req.reason = "race";
		for (int i = 0; i < RELEASERS; i++)
			bufs[i] = shiftfix_racer_init(&r[i], clients[i], SH_RELEASE_SEAT, &req.base);
		shiftfix_race(r, RELEASERS);
		for (int i = 0; i < RELEASERS; i++) {
			if (r[i].status == BATON_OK)
				ok++;
			else
				shiftfix_expect("a second release", r[i].status, r[i].res.message, BATON_FAILED_PRECONDITION, NULL);
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
		assert_int_equal(ok, 1);
		assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE kind = 'claim.released' AND subject_id = '%s'",
		                     claim), 1);
		assert_int_equal(shiftfix_seats_taken(slot), 0);
	}
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND released_at IS NOT NULL", slot),
	    ROUNDS);
}

static void a_freed_seat_goes_to_one_of_the_racers_for_it(void **state)
{
	fixture_person *const *agents = shiftfix_racers();
	Baton__V1__ClaimSeatRequest claim = BATON__V1__CLAIM_SEAT_REQUEST__INIT;
	Baton__V1__ReleaseSeatRequest release = BATON__V1__RELEASE_SEAT_REQUEST__INIT;
	shiftfix_racer r[7];
	uint8_t *bufs[7];
	char slot[40], held[40];
	(void)state;

	for (int round = 0; round < ROUNDS; round++) {
		int64_t w = shiftfix_window();
		shiftfix_slot spec = { .starts_ms = w, .ends_ms = w + 4 * SH_HOUR_MS, .seats = 2 };
		int ok = 0;

		shiftfix_slot_must(registry.lead.client, &spec, slot);
		shiftfix_claim_must(agents[0]->client, slot, "", held);
		shiftfix_claim_must(agents[1]->client, slot, "", NULL);
		release.claim = held;
		claim.slot = slot;
		bufs[0] = shiftfix_racer_init(&r[0], agents[0]->client, SH_RELEASE_SEAT, &release.base);
		for (int i = 1; i < 7; i++)
			bufs[i] = shiftfix_racer_init(&r[i], agents[i + 1]->client, SH_CLAIM_SEAT, &claim.base);
		shiftfix_race(r, 7);
		shiftfix_expect("the release", r[0].status, r[0].res.message, BATON_OK, NULL);
		for (int i = 1; i < 7; i++) {
			if (r[i].status == BATON_OK)
				ok++;
			else
				shiftfix_expect("a claim for the freed seat", r[i].status, r[i].res.message,
				    BATON_FAILED_PRECONDITION, "is full");
		}
		for (int i = 0; i < 7; i++) {
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
		assert_true(ok <= 1);
		assert_int_equal(shiftfix_active_on(slot), 1 + ok);
		assert_int_equal(shiftfix_seats_taken(slot), 1 + ok);
	}
}

static void a_slot_moving_onto_a_claimers_other_shift_lets_one_of_them_win(void **state)
{
	fixture_person *agent = shiftfix_person(registry.admin, "cap-north", "cn-mover", "agent");
	Baton__V1__ClaimSeatRequest claim = BATON__V1__CLAIM_SEAT_REQUEST__INIT;
	Baton__V1__EditSlotRequest edit = BATON__V1__EDIT_SLOT_REQUEST__INIT;
	char *change[1] = { "time" };
	shiftfix_racer r[2];
	uint8_t *bufs[2];
	char moving[40], other[40];
	(void)state;

	for (int round = 0; round < MOVE_ROUNDS; round++) {
		int64_t w = shiftfix_window();
		shiftfix_slot x = { .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS, .seats = 2 };
		shiftfix_slot y = { .starts_ms = w + 3 * SH_HOUR_MS, .ends_ms = w + 5 * SH_HOUR_MS };

		shiftfix_slot_must(registry.lead.client, &x, moving);
		shiftfix_slot_must(registry.lead.client, &y, other);
		shiftfix_claim_must(agent->client, other, "", NULL);
		claim.slot = moving;
		edit.slot = moving;
		edit.change = change;
		edit.n_change = 1;
		edit.starts_unix_ms = w + 150 * SH_MINUTE_MS; /* onto the agent's other shift */
		edit.ends_unix_ms = w + 4 * SH_HOUR_MS;
		bufs[0] = shiftfix_racer_init(&r[0], agent->client, SH_CLAIM_SEAT, &claim.base);
		bufs[1] = shiftfix_racer_init(&r[1], registry.lead.client, SH_EDIT_SLOT, &edit.base);
		shiftfix_race(r, 2);
		if ((r[0].status == BATON_OK) == (r[1].status == BATON_OK))
			print_error("round %d: claim %s \"%s\", move %s \"%s\"\n", round, baton_status_str(r[0].status),
			    r[0].res.message, baton_status_str(r[1].status), r[1].res.message);
		assert_true((r[0].status == BATON_OK) != (r[1].status == BATON_OK));
		for (int i = 0; i < 2; i++)
			if (r[i].status != BATON_OK)
				shiftfix_expect(i == 0 ? "the claim" : "the move", r[i].status, r[i].res.message,
				    BATON_FAILED_PRECONDITION, NULL);
		/* Whoever won, the agent holds no two overlapping seats and every
		 * claim has its slot's time. */
		assert_int_equal(registry_sqln("SELECT count(*) FROM claim a JOIN claim b ON a.principal_id = b.principal_id"
		                               " AND a.id < b.id AND a.during && b.during WHERE a.principal_id = '%s'"
		                               " AND a.released_at IS NULL AND b.released_at IS NULL", agent->id), 0);
		assert_int_equal(registry_sqln("SELECT count(*) FROM claim c JOIN slot s ON s.id = c.slot_id"
		                               " WHERE c.principal_id = '%s' AND c.released_at IS NULL AND c.during <> s.during",
		                     agent->id), 0);
		assert_int_equal(shiftfix_active_on(moving), r[0].status == BATON_OK);
		for (int i = 0; i < 2; i++) {
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
	}
}

/* ---- 2. no overlap under a race ------------------------------------------------- */

enum { OVERLAPPING = 8, MANAGER_THREADS = 6 };

static void one_person_racing_for_overlapping_slots_gets_one(void **state)
{
	fixture_person *agent = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-overlap", "agent");
	shiftfix_racer r[OVERLAPPING];
	uint8_t *bufs[OVERLAPPING];
	char slots[OVERLAPPING][40], what[64];
	int64_t w = shiftfix_window();
	int ok = 0;
	(void)state;

	/* Each starts 15 minutes after the one before and lasts 4 h: every two overlap. */
	for (int i = 0; i < OVERLAPPING; i++) {
		shiftfix_slot spec = { .language = "pl", .orgs = "warsaw-nights", .seats = 2,
			.starts_ms = w + i * 15 * SH_MINUTE_MS, .ends_ms = w + i * 15 * SH_MINUTE_MS + 4 * SH_HOUR_MS };
		shiftfix_slot_must(registry.lead.client, &spec, slots[i]);
	}
	for (int i = 0; i < OVERLAPPING; i++) {
		r[i] = (shiftfix_racer){ .client = shiftfix_client_of(agent), .method = SH_CLAIM_SEAT };
		bufs[i] = claim_request(slots[i], "", &r[i].request_len);
		r[i].request = bufs[i];
	}
	shiftfix_race(r, OVERLAPPING);
	for (int i = 0; i < OVERLAPPING; i++) {
		if (r[i].status == BATON_OK) {
			ok++;
		} else {
			snprintf(what, sizeof(what), "overlapping slot %d", i);
			shiftfix_expect(what, r[i].status, r[i].res.message, BATON_FAILED_PRECONDITION, "overlapping shift");
		}
		baton_result_clear(&r[i].res);
		free(bufs[i]);
	}
	assert_int_equal(ok, 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE principal_id = '%s' AND released_at IS NULL",
	                     agent->id), 1);
	assert_int_equal(registry_sqln("SELECT sum(seats_taken) FROM slot WHERE id IN ('%s','%s','%s','%s','%s','%s','%s','%s')",
	                     slots[0], slots[1], slots[2], slots[3], slots[4], slots[5], slots[6], slots[7]), 1);
}

static void adjacent_slots_do_not_overlap(void **state)
{
	fixture_person *agent = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-adjacent", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot first = { .language = "pl", .orgs = "warsaw-nights", .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS };
	shiftfix_slot second = { .language = "pl", .orgs = "warsaw-nights", .starts_ms = w + 2 * SH_HOUR_MS,
		.ends_ms = w + 4 * SH_HOUR_MS };
	shiftfix_slot straddling = { .language = "pl", .orgs = "warsaw-nights", .starts_ms = w + 4 * SH_HOUR_MS - SH_MINUTE_MS,
		.ends_ms = w + 6 * SH_HOUR_MS };
	char a[40], b[40], c[40], msg[512];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &first, a);
	shiftfix_slot_must(registry.lead.client, &second, b);
	shiftfix_slot_must(registry.lead.client, &straddling, c);
	shiftfix_claim_must(agent->client, a, "", NULL);
	shiftfix_claim_must(agent->client, b, "", NULL);
	/* One minute into the second slot is an overlap. */
	shiftfix_expect("a slot starting a minute before the end of one held",
	    shiftfix_claim(agent->client, c, "", NULL, msg, sizeof(msg)), msg, BATON_FAILED_PRECONDITION,
	    "overlapping shift");
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE principal_id = '%s' AND released_at IS NULL",
	                     agent->id), 2);
}

static void a_manager_claiming_for_one_person_from_many_threads_gets_one_seat(void **state)
{
	fixture_person *target = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-managed", "agent");
	shiftfix_racer r[MANAGER_THREADS];
	uint8_t *bufs[MANAGER_THREADS];
	char slots[3][40];
	int64_t w = shiftfix_window();
	int ok = 0;
	(void)state;

	/* Three overlapping slots with room; two threads on each, so the race is
	 * both "the same slot twice" and "two overlapping slots". */
	for (int i = 0; i < 3; i++) {
		shiftfix_slot spec = { .language = "en", .seats = 5, .starts_ms = w + i * 30 * SH_MINUTE_MS,
			.ends_ms = w + i * 30 * SH_MINUTE_MS + 3 * SH_HOUR_MS };
		shiftfix_slot_must(registry.lead.client, &spec, slots[i]);
	}
	for (int i = 0; i < MANAGER_THREADS; i++) {
		r[i] = (shiftfix_racer){ .client = shiftfix_client_of(&registry.wn_mgr), .method = SH_CLAIM_SEAT };
		bufs[i] = claim_request(slots[i % 3], target->handle, &r[i].request_len);
		r[i].request = bufs[i];
	}
	shiftfix_race(r, MANAGER_THREADS);
	for (int i = 0; i < MANAGER_THREADS; i++) {
		if (r[i].status == BATON_OK)
			ok++;
		else
			shiftfix_expect("the manager's other threads", r[i].status, r[i].res.message,
			    BATON_FAILED_PRECONDITION, NULL);
		baton_result_clear(&r[i].res);
		free(bufs[i]);
	}
	assert_int_equal(ok, 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE principal_id = '%s' AND released_at IS NULL",
	                     target->id), 1);
	assert_int_equal(registry_sqln("SELECT sum(seats_taken) FROM slot WHERE id IN ('%s', '%s', '%s')", slots[0],
	                     slots[1], slots[2]), 1);
}

/* ---- 3. exactly once ----------------------------------------------------------------- */

enum { RESENDERS = 6 };

static void a_claim_resent_with_one_request_id_is_made_once(void **state)
{
	fixture_person *agent = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-once", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .language = "pl", .orgs = "warsaw-nights", .seats = 4, .starts_ms = w,
		.ends_ms = w + 3 * SH_HOUR_MS };
	shiftfix_slot later = { .language = "pl", .orgs = "warsaw-nights", .seats = 4, .starts_ms = w + 5 * SH_HOUR_MS,
		.ends_ms = w + 7 * SH_HOUR_MS };
	shiftfix_racer r[RESENDERS];
	Baton__V1__ClaimSeatReply *first;
	char slot[40], other[40], rid_hex[33], msg[512];
	uint8_t rid[16], *buf, *other_buf;
	size_t len, other_len;
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot);
	shiftfix_slot_must(registry.lead.client, &later, other);
	randombytes_buf(rid, sizeof(rid));
	sodium_bin2hex(rid_hex, sizeof(rid_hex), rid, sizeof(rid));
	buf = claim_request(slot, "", &len);
	for (int i = 0; i < RESENDERS; i++) {
		r[i] = (shiftfix_racer){ .client = shiftfix_client_of(agent), .method = SH_CLAIM_SEAT, .request = buf,
			.request_len = len, .same_id = true };
		memcpy(r[i].request_id, rid, 16);
	}
	shiftfix_race(r, RESENDERS);
	for (int i = 0; i < RESENDERS; i++)
		shiftfix_expect("a resend", r[i].status, r[i].res.message, BATON_OK, NULL);
	for (int i = 1; i < RESENDERS; i++) {
		assert_int_equal(r[i].res.payload_len, r[0].res.payload_len);
		assert_memory_equal(r[i].res.payload, r[0].res.payload, r[0].res.payload_len);
	}
	first = baton__v1__claim_seat_reply__unpack(NULL, r[0].res.payload_len, r[0].res.payload);
	assert_non_null(first);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s'", slot), 1);
	assert_int_equal(shiftfix_seats_taken(slot), 1);
	assert_int_equal(shiftfix_events_signed("claim.added", first->claim->id, agent->id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM request_record WHERE request_id = decode('%s', 'hex')",
	                     rid_hex), 1);

	/* Later, after the seat was given back, the resend still gets the first
	 * reply and claims nothing again. */
	shiftfix_expect("releasing the seat", shiftfix_release(agent->client, first->claim->id, "", msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	baton_result_clear(&r[0].res);
	shiftfix_race(r, 1);
	shiftfix_expect("a late resend", r[0].status, r[0].res.message, BATON_OK, NULL);
	assert_int_equal(r[0].res.payload_len, r[1].res.payload_len);
	assert_memory_equal(r[0].res.payload, r[1].res.payload, r[1].res.payload_len);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s'", slot), 1);
	assert_int_equal(shiftfix_seats_taken(slot), 0);

	/* The same id with another body is refused and claims nothing. */
	other_buf = claim_request(other, "", &other_len);
	for (int i = 0; i < 2; i++) {
		baton_result_clear(&r[i].res);
		r[i].request = other_buf;
		r[i].request_len = other_len;
	}
	shiftfix_race(r, 2);
	for (int i = 0; i < 2; i++)
		shiftfix_expect("the same request id with another slot", r[i].status, r[i].res.message,
		    BATON_INVALID_ARGUMENT, NULL);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s'", other), 0);
	for (int i = 0; i < RESENDERS; i++)
		baton_result_clear(&r[i].res);
	baton__v1__claim_seat_reply__free_unpacked(first, NULL);
	free(other_buf);
	free(buf);
}

/* Sends req to method three times under one request id: from two clients
 * of one principal at once, then once more from the first. Every reply must
 * be OK and the same bytes; the first goes to first (caller clears). */
static void sent_thrice(baton_client *a, baton_client *b, const char *method, const ProtobufCMessage *req,
    baton_result *first)
{
	shiftfix_racer r[2];
	uint8_t *buf, rid[16];

	randombytes_buf(rid, sizeof(rid));
	buf = shiftfix_racer_init(&r[0], a, method, req);
	r[1] = r[0];
	r[1].client = b;
	for (int i = 0; i < 2; i++) {
		r[i].same_id = true;
		memcpy(r[i].request_id, rid, 16);
	}
	for (int round = 0; round < 2; round++) {
		shiftfix_race(r, 2 - round);
		if (round == 0)
			*first = r[1].res;
		for (int i = 0; i < 2; i++) {
			shiftfix_expect(method, r[i].status, r[i].res.message, BATON_OK, NULL);
			assert_int_equal(r[i].res.payload_len, first->payload_len);
			assert_memory_equal(r[i].res.payload, first->payload, first->payload_len);
		}
		baton_result_clear(&r[0].res);
	}
	free(buf);
}

/* ... and each leaves one event, signed by its actor over the request. */
static void every_slot_and_seat_change_resent_runs_once(void **state)
{
	baton_client *lead2 = shiftfix_client_of(&registry.lead), *agent2 = shiftfix_client_of(&registry.sl_agent2);
	Baton__V1__AddSlotRequest add = BATON__V1__ADD_SLOT_REQUEST__INIT;
	Baton__V1__PublishWeeklyRequest pub = BATON__V1__PUBLISH_WEEKLY_REQUEST__INIT;
	Baton__V1__EditSlotRequest edit = BATON__V1__EDIT_SLOT_REQUEST__INIT;
	Baton__V1__ReleaseSeatRequest release = BATON__V1__RELEASE_SEAT_REQUEST__INIT;
	Baton__V1__CancelSlotRequest cancel = BATON__V1__CANCEL_SLOT_REQUEST__INIT;
	Baton__V1__AddSlotReply *added;
	Baton__V1__PublishWeeklyReply *published;
	char *days[1] = { "wed" }, *change[1] = { "seats" }, claim[40];
	int64_t w = shiftfix_window();
	baton_result res;
	(void)state;

	add.queue = "once";
	add.language = "es";
	add.starts_unix_ms = w;
	add.ends_unix_ms = w + 2 * SH_HOUR_MS;
	add.seats = 2;
	add.note = "added once";
	sent_thrice(registry.lead.client, lead2, SH_ADD_SLOT, &add.base, &res);
	added = baton__v1__add_slot_reply__unpack(NULL, res.payload_len, res.payload);
	assert_non_null(added);
	baton_result_clear(&res);
	assert_int_equal(registry_sqln("SELECT count(*) FROM slot WHERE note = 'added once'"), 1);
	assert_int_equal(shiftfix_events_signed("slot.added", added->slot->id, registry.lead.id), 1);
	assert_int_equal(shiftfix_events_verify("slot.added", added->slot->id, registry.lead.id), 1);

	pub.queue = "once";
	pub.language = "es";
	pub.days = days;
	pub.n_days = 1;
	pub.local_start = "09:00";
	pub.local_end = "11:00";
	pub.time_zone = "UTC";
	pub.first_day = "2027-06-01";
	pub.weeks = 3;
	pub.seats = 1;
	pub.note = "published once";
	sent_thrice(registry.lead.client, lead2, SH_PUBLISH_WEEKLY, &pub.base, &res);
	published = baton__v1__publish_weekly_reply__unpack(NULL, res.payload_len, res.payload);
	assert_non_null(published);
	baton_result_clear(&res);
	assert_int_equal(published->n_slots, 3);
	assert_int_equal(registry_sqln("SELECT count(*) FROM slot WHERE note = 'published once'"), 3);
	assert_int_equal(registry_sqln("SELECT count(*) FROM slot_series WHERE id IN"
	                               " (SELECT series_id FROM slot WHERE note = 'published once')"), 1);
	assert_int_equal(shiftfix_events_signed("slot.published", NULL, registry.lead.id), 1);
	baton__v1__publish_weekly_reply__free_unpacked(published, NULL);

	edit.slot = added->slot->id;
	edit.change = change;
	edit.n_change = 1;
	edit.seats = 3;
	sent_thrice(registry.lead.client, lead2, SH_EDIT_SLOT, &edit.base, &res);
	baton_result_clear(&res);
	assert_int_equal(shiftfix_events_signed("slot.edited", added->slot->id, registry.lead.id), 1);
	assert_int_equal(shiftfix_events_verify("slot.edited", added->slot->id, registry.lead.id), 1);

	shiftfix_claim_must(registry.sl_agent2.client, added->slot->id, "", claim);
	assert_int_equal(shiftfix_events_verify("claim.added", claim, registry.sl_agent2.id), 1);
	release.claim = claim;
	release.reason = "once";
	sent_thrice(registry.sl_agent2.client, agent2, SH_RELEASE_SEAT, &release.base, &res);
	baton_result_clear(&res);
	assert_int_equal(shiftfix_events_signed("claim.released", claim, registry.sl_agent2.id), 1);
	assert_int_equal(shiftfix_events_verify("claim.released", claim, registry.sl_agent2.id), 1);
	assert_int_equal(shiftfix_seats_taken(added->slot->id), 0);

	shiftfix_claim_must(registry.sl_agent2.client, added->slot->id, "", claim);
	cancel.slot = added->slot->id;
	cancel.reason = "once";
	sent_thrice(registry.lead.client, lead2, SH_CANCEL_SLOT, &cancel.base, &res);
	baton_result_clear(&res);
	assert_int_equal(shiftfix_events_signed("slot.cancelled", added->slot->id, registry.lead.id), 1);
	assert_int_equal(shiftfix_events_verify("slot.cancelled", added->slot->id, registry.lead.id), 1);
	assert_int_equal(shiftfix_events_signed("claim.cancelled", claim, registry.lead.id), 1);
	assert_int_equal(shiftfix_events_verify("claim.cancelled", claim, registry.lead.id), 1);
	baton__v1__add_slot_reply__free_unpacked(added, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(capacity_holds_when_24_agents_of_two_orgs_race_for_3_seats, shiftfix_cleanup),
		cmocka_unit_test_teardown(claims_racing_a_cancellation_leave_no_seat_behind, shiftfix_cleanup),
		cmocka_unit_test_teardown(shrinking_seats_racing_claims_never_overfill, shiftfix_cleanup),
		cmocka_unit_test_teardown(a_seat_released_at_once_by_everyone_allowed_is_released_once, shiftfix_cleanup),
		cmocka_unit_test_teardown(a_freed_seat_goes_to_one_of_the_racers_for_it, shiftfix_cleanup),
		cmocka_unit_test_teardown(a_slot_moving_onto_a_claimers_other_shift_lets_one_of_them_win, shiftfix_cleanup),
		cmocka_unit_test_teardown(one_person_racing_for_overlapping_slots_gets_one, shiftfix_cleanup),
		cmocka_unit_test_teardown(adjacent_slots_do_not_overlap, shiftfix_cleanup),
		cmocka_unit_test_teardown(a_manager_claiming_for_one_person_from_many_threads_gets_one_seat, shiftfix_cleanup),
		cmocka_unit_test_teardown(a_claim_resent_with_one_request_id_is_made_once, shiftfix_cleanup),
		cmocka_unit_test_teardown(every_slot_and_seat_change_resent_runs_once, shiftfix_cleanup),
	};
	return cmocka_run_group_tests_name("integration: shifts, claims", tests, shiftfix_setup, shiftfix_teardown);
}
