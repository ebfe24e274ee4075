/* test_shifts_schema.c - what holds when a writer bypasses batond or races it (real batond, real PostgreSQL): the schema's own refusals, a series cancellation racing claims, cancellations racing each other. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <baton/client.h>

#include "baton/v1/shifts.pb-c.h"
#include "registry.h"
#include "shiftfix.h"

/* ---- 9. the schema's backstops ----------------------------------------------------------- */

/* Runs sql (after fmt) as the database owner, seeing every row, and fails
 * the case unless PostgreSQL refuses it with sqlstate, saying each of the
 * NULL-terminated needles (a constraint or trigger function name, a phrase). */
static void refused_by_schema(const char *sqlstate, const char *const *needles, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void refused_by_schema(const char *sqlstate, const char *const *needles, const char *fmt, ...)
{
	char sql[2048], state[6], why[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	if (shiftfix_sql_refused(sql, state, why, sizeof(why)) == 0) {
		print_error("the schema let through: %s\n", sql);
		fail();
	}
	for (const char *const *n = needles; *n != NULL; n++)
		if (strstr(why, *n) == NULL)
			print_error("%s: refused with \"%s\", which does not say %s\n", sql, why, *n);
	if (strcmp(state, sqlstate) != 0)
		print_error("%s: SQLSTATE %s, want %s (%s)\n", sql, state, sqlstate, why);
	assert_string_equal(state, sqlstate);
	for (const char *const *n = needles; *n != NULL; n++)
		assert_non_null(strstr(why, *n));
}

/* An INSERT of an active claim of slot for person, as a writer bypassing batond would. */
#define CLAIM_INSERT "INSERT INTO claim (slot_id, principal_id, org_id, during, claimed_by)" \
	" SELECT s.id, p.id, p.org_id, s.during, p.id FROM slot s, principal p WHERE s.id = '%s' AND p.id = '%s'"

static void the_schema_refuses_what_no_claim_may_be(void **state)
{
	int64_t w = shiftfix_window();
	shiftfix_slot one_seat = { .starts_ms = w, .ends_ms = w + 3 * SH_HOUR_MS };
	shiftfix_slot overlapping = { .starts_ms = w + SH_HOUR_MS, .ends_ms = w + 4 * SH_HOUR_MS, .seats = 3 };
	shiftfix_slot spanish = { .language = "es", .starts_ms = w + 5 * SH_HOUR_MS, .ends_ms = w + 6 * SH_HOUR_MS, .seats = 3 };
	shiftfix_slot cancelled = { .starts_ms = w + 7 * SH_HOUR_MS, .ends_ms = w + 8 * SH_HOUR_MS, .seats = 3 };
	char full[40], other[40], es[40], gone[40], held[40], released[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &one_seat, full);
	shiftfix_slot_must(registry.lead.client, &overlapping, other);
	shiftfix_slot_must(registry.lead.client, &spanish, es);
	shiftfix_slot_must(registry.lead.client, &cancelled, gone);
	shiftfix_claim_must(registry.wn_agent1.client, full, "", held);
	shiftfix_claim_must(registry.sl_agent1.client, es, "", released);
	assert_int_equal(shiftfix_release(registry.sl_agent1.client, released, "", msg, sizeof(msg)), BATON_OK);
	assert_int_equal(shiftfix_cancel(registry.lead.client, gone, false, NULL, msg, sizeof(msg)), BATON_OK);
	shiftfix_snapshot(snap);

	refused_by_schema("23514", (const char *[]){ "slot_capacity", NULL }, CLAIM_INSERT, full, registry.wn_agent2.id);
	refused_by_schema("23P01", (const char *[]){ "claim_no_overlap", NULL }, CLAIM_INSERT, other, registry.wn_agent1.id);
	refused_by_schema("23514", (const char *[]){ "does not speak es", "baton_claim_check", NULL }, CLAIM_INSERT, es,
	    registry.wn_agent2.id);
	refused_by_schema("23514", (const char *[]){ "is cancelled", "baton_claim_check", NULL }, CLAIM_INSERT, gone,
	    registry.wn_agent2.id);
	refused_by_schema("23514", (const char *[]){ "seats are for agents and managers", "baton_claim_check", NULL },
	    CLAIM_INSERT, other, registry.lead.id);
	refused_by_schema("23514", (const char *[]){ "kept for the record", "baton_refuse_delete", NULL },
	    "DELETE FROM claim WHERE id = '%s'", held);
	refused_by_schema("23514", (const char *[]){ "kept for the record", "baton_refuse_delete", NULL },
	    "DELETE FROM claim");
	refused_by_schema("23514", (const char *[]){ "kept for the record", "baton_refuse_delete", NULL },
	    "DELETE FROM slot WHERE id = '%s'", gone);
	assert_int_equal(registry_sqln("SELECT count(*) FROM slot WHERE id = '%s'", gone), 1);
	refused_by_schema("23514", (const char *[]){ "slot_cancelled_is_empty", NULL },
	    "UPDATE slot SET cancelled_at = now() WHERE id = '%s'", full);
	refused_by_schema("23514", (const char *[]){ "slot_capacity", NULL },
	    "UPDATE slot SET seats_taken = seats + 1 WHERE id = '%s'", other);
	refused_by_schema("23514", (const char *[]){ "already released", "baton_claim_immutable", NULL },
	    "UPDATE claim SET released_at = NULL WHERE id = '%s'", released);
	refused_by_schema("23514", (const char *[]){ "keeps its slot and holder", "baton_claim_immutable", NULL },
	    "UPDATE claim SET principal_id = '%s' WHERE id = '%s'", registry.wn_agent2.id, held);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);
}

/* ---- a series cancellation racing claims ------------------------------------------------- */

enum { SERIES_CLAIMERS = 12, SERIES_ROUNDS = 3 };

/* "YYYY-MM-DD" of ms in UTC. */
static void utc_day(int64_t ms, char out[16])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

static void claims_racing_a_series_cancellation_leave_no_seat_on_a_cancelled_slot(void **state)
{
	fixture_person *const *agents = shiftfix_racers();
	Baton__V1__PublishWeeklyRequest pub = BATON__V1__PUBLISH_WEEKLY_REQUEST__INIT;
	Baton__V1__ClaimSeatRequest claim = BATON__V1__CLAIM_SEAT_REQUEST__INIT;
	Baton__V1__CancelSlotRequest cancel = BATON__V1__CANCEL_SLOT_REQUEST__INIT;
	char *days[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" }, first_day[16], msg[512];
	shiftfix_racer r[SERIES_CLAIMERS + 1];
	uint8_t *bufs[SERIES_CLAIMERS + 1];
	(void)state;

	for (int round = 0; round < SERIES_ROUNDS; round++) {
		Baton__V1__PublishWeeklyReply *series;
		Baton__V1__CancelSlotReply *rep;
		int ok = 0;

		utc_day(shiftfix_now_ms() + (8 + 7 * round) * SH_DAY_MS, first_day);
		pub.queue = "series-race";
		pub.language = "en";
		pub.days = days;
		pub.n_days = 7;
		pub.local_start = "10:00";
		pub.local_end = "12:00";
		pub.time_zone = "UTC";
		pub.first_day = first_day;
		pub.weeks = 1;
		pub.seats = 3;
		assert_int_equal(shiftfix_call(registry.lead.client, SH_PUBLISH_WEEKLY, &pub.base,
		                     &baton__v1__publish_weekly_reply__descriptor, (ProtobufCMessage **)&series, msg, sizeof(msg)),
		    BATON_OK);
		assert_int_equal(series->n_slots, 7);
		/* Two agents on each of the six later slots while the second one is
		 * cancelled with the rest of the series. */
		for (int i = 0; i < SERIES_CLAIMERS; i++) {
			claim.slot = series->slots[1 + i % 6]->id;
			bufs[i] = shiftfix_racer_init(&r[i], agents[i]->client, SH_CLAIM_SEAT, &claim.base);
		}
		cancel.slot = series->slots[1]->id;
		cancel.reason = "race";
		cancel.rest_of_series = true;
		bufs[SERIES_CLAIMERS] = shiftfix_racer_init(&r[SERIES_CLAIMERS], registry.lead.client, SH_CANCEL_SLOT,
		    &cancel.base);
		shiftfix_race(r, SERIES_CLAIMERS + 1);
		for (int i = 0; i < SERIES_CLAIMERS; i++) {
			if (r[i].status == BATON_OK)
				ok++;
			else
				shiftfix_expect("a claim racing a series cancellation", r[i].status, r[i].res.message,
				    BATON_FAILED_PRECONDITION, "cancelled");
		}
		shiftfix_expect("the series cancellation", r[SERIES_CLAIMERS].status, r[SERIES_CLAIMERS].res.message, BATON_OK,
		    NULL);
		rep = baton__v1__cancel_slot_reply__unpack(NULL, r[SERIES_CLAIMERS].res.payload_len,
		    r[SERIES_CLAIMERS].res.payload);
		assert_non_null(rep);
		assert_int_equal(rep->n_slots, 6);
		assert_int_equal(rep->claims_released, ok);
		baton__v1__cancel_slot_reply__free_unpacked(rep, NULL);
		assert_int_equal(registry_sqln("SELECT count(*) FROM slot WHERE series_id = '%s' AND cancelled_at IS NULL",
		                     series->series_id), 1);
		assert_int_equal(registry_sqln("SELECT count(*) FROM claim c JOIN slot s ON s.id = c.slot_id"
		                               " WHERE s.series_id = '%s' AND c.released_at IS NULL", series->series_id), 0);
		assert_int_equal(registry_sqln("SELECT coalesce(sum(seats_taken), 0) FROM slot WHERE series_id = '%s'",
		                     series->series_id), 0);
		assert_int_equal(registry_sqln("SELECT count(*) FROM claim c JOIN slot s ON s.id = c.slot_id"
		                               " WHERE s.series_id = '%s'", series->series_id), ok);
		for (int i = 0; i <= SERIES_CLAIMERS; i++) {
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
		baton__v1__publish_weekly_reply__free_unpacked(series, NULL);
	}
}

/* ---- cancellations racing each other ------------------------------------------------------ */

enum { CANCELLERS = 4 };

static void two_leads_and_an_admin_cancelling_at_once_cancel_once(void **state)
{
	fixture_person *const *agents = shiftfix_racers();
	baton_client *const clients[CANCELLERS] = { registry.lead.client, shiftfix_client_of(&registry.lead),
		registry.admin, registry_client_for(&registry.srv, NULL) };
	Baton__V1__CancelSlotRequest cancel = BATON__V1__CANCEL_SLOT_REQUEST__INIT;
	shiftfix_racer r[CANCELLERS];
	uint8_t *bufs[CANCELLERS];
	char slot[40], claims[3][40];
	(void)state;

	for (int round = 0; round < 3; round++) {
		int64_t w = shiftfix_window();
		shiftfix_slot spec = { .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS, .seats = 3 };
		int ok = 0;

		shiftfix_slot_must(registry.lead.client, &spec, slot);
		for (int i = 0; i < 3; i++)
			shiftfix_claim_must(agents[i]->client, slot, "", claims[i]);
		cancel.slot = slot;
		cancel.reason = "twice";
		for (int i = 0; i < CANCELLERS; i++)
			bufs[i] = shiftfix_racer_init(&r[i], clients[i], SH_CANCEL_SLOT, &cancel.base);
		shiftfix_race(r, CANCELLERS);
		for (int i = 0; i < CANCELLERS; i++) {
			if (r[i].status == BATON_OK) {
				Baton__V1__CancelSlotReply *rep =
				    baton__v1__cancel_slot_reply__unpack(NULL, r[i].res.payload_len, r[i].res.payload);
				assert_non_null(rep);
				assert_int_equal(rep->claims_released, 3);
				baton__v1__cancel_slot_reply__free_unpacked(rep, NULL);
				ok++;
			} else {
				shiftfix_expect("a second cancellation", r[i].status, r[i].res.message, BATON_FAILED_PRECONDITION,
				    "cancelled");
			}
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
		assert_int_equal(ok, 1);
		assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE kind = 'slot.cancelled' AND subject_id = '%s'",
		                     slot), 1);
		for (int i = 0; i < 3; i++)
			assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE kind = 'claim.cancelled'"
			                               " AND subject_id = '%s'", claims[i]), 1);
		assert_int_equal(shiftfix_seats_taken(slot), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(the_schema_refuses_what_no_claim_may_be, shiftfix_cleanup),
		cmocka_unit_test_teardown(claims_racing_a_series_cancellation_leave_no_seat_on_a_cancelled_slot,
		    shiftfix_cleanup),
		cmocka_unit_test_teardown(two_leads_and_an_admin_cancelling_at_once_cancel_once, shiftfix_cleanup),
	};
	return cmocka_run_group_tests_name("integration: shifts, schema", tests, shiftfix_setup, shiftfix_teardown);
}
