/* test_coverage.c - tries to break coverage (real batond, real PostgreSQL): seats wanted and claimed per hour, hours of a half-hour zone, gaps merged, on-call gaps, gap events announced once by two instances and again when a gap reopens. */
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

#include "baton/v1/oncall.pb-c.h"
#include "baton/v1/shifts.pb-c.h"
#include "fixture.h"
#include "harness.h"
#include "registry.h"
#include "swapfix.h"

/*
 * Day D (ten days from now), queue "cov", hours UTC:
 *   pl P1 [10, 12) 2 seats, 2 claimed    pl P2 [12, 14) 2 seats, 1 claimed
 *   pl P3 [14, 15) 1 seat, 1 claimed     pl P4 [15, 16:30) 3 seats, none
 *   en E1 [11, 13) 1 seat, none          pl X [10, 11) 5 seats, cancelled
 * and queue "other": pl [10, 12) 4 seats, none.
 */
#define D (swapfix_day(10))
#define AT(h, m) (D + (h) * SWAPFIX_HOUR + (m) * SWAPFIX_MIN)

static bool slots_made, rotation_made;
static char p2_id[40];

static void slot(const char *queue, const char *lang, int64_t from, int64_t to, int seats, char id[40])
{
	swapfix_slot s = { .queue = queue, .language = lang, .starts = from, .ends = to, .seats = seats,
		.orgs = "warsaw-nights", .cutoff_s = -1 };
	swapfix_slot_add(registry.lead.client, &s, id);
}

static void claim(fixture_person *p, const char *slot_id)
{
	char why[512];
	swapfix_expect(swapfix_claim(p->client, slot_id, NULL, NULL, why, sizeof(why)), BATON_OK, why);
}

static void coverage_slots(void)
{
	Baton__V1__CancelSlotRequest cancel = BATON__V1__CANCEL_SLOT_REQUEST__INIT;
	char id[40], why[512];

	if (slots_made)
		return;
	slots_made = true;
	slot("cov", "pl", AT(10, 0), AT(12, 0), 2, id);
	claim(&registry.wn_agent1, id);
	claim(&registry.wn_agent2, id);
	slot("cov", "pl", AT(12, 0), AT(14, 0), 2, p2_id);
	claim(&registry.wn_agent1, p2_id);
	slot("cov", "pl", AT(14, 0), AT(15, 0), 1, id);
	claim(&registry.wn_agent2, id);
	slot("cov", "pl", AT(15, 0), AT(16, 30), 3, id);
	slot("cov", "en", AT(11, 0), AT(13, 0), 1, id);
	slot("cov", "pl", AT(10, 0), AT(11, 0), 5, id);
	cancel.slot = id;
	cancel.reason = "not needed";
	swapfix_expect(shiftfix_call(registry.lead.client, SWAPFIX_SHIFTS("CancelSlot"), &cancel.base, NULL, NULL, why,
	                   sizeof(why)),
	    BATON_OK, why);
	slot("other", "pl", AT(10, 0), AT(12, 0), 4, id);
}

/* "gap-rot": hq-lead alone, daily from the day after tomorrow 00:00 UTC,
 * so nobody is on call from now until then. */
static void gap_rotation(void)
{
	char start[32], why[512];
	time_t t = (time_t)(swapfix_day(2) / 1000);
	struct tm tm;

	if (rotation_made)
		return;
	rotation_made = true;
	gmtime_r(&t, &tm);
	strftime(start, sizeof(start), "%Y-%m-%d %H:%M", &tm);
	swapfix_expect(swapfix_rotation_add(registry.lead.client, "gap-rot", 1, "UTC", start, 24, "hq-lead", NULL, why,
	                   sizeof(why)),
	    BATON_OK, why);
}

/* ---- checks --------------------------------------------------------------------- */

typedef struct want_hour {
	int64_t     hour;
	const char *queue, *language;
	int         wanted, claimed;
} want_hour;

typedef struct want_gap {
	const char *queue, *language;
	int64_t     from, to;
	int         short_max;
	int64_t     seat_hours;
} want_gap;

static void print_coverage(const Baton__V1__CoverageReply *r)
{
	for (size_t i = 0; i < r->n_hours; i++)
		print_message("  hour %+.1f %s/%s %d/%d\n", (double)(r->hours[i]->hour_unix_ms - D) / SWAPFIX_HOUR,
		    r->hours[i]->queue, r->hours[i]->language, r->hours[i]->wanted, r->hours[i]->claimed);
	for (size_t i = 0; i < r->n_gaps; i++)
		print_message("  gap %s/%s [%+.1f, %+.1f) short_max %d seat-hours %lld\n", r->gaps[i]->queue,
		    r->gaps[i]->language, (double)(r->gaps[i]->from_unix_ms - D) / SWAPFIX_HOUR,
		    (double)(r->gaps[i]->to_unix_ms - D) / SWAPFIX_HOUR, r->gaps[i]->short_max,
		    (long long)r->gaps[i]->seat_hours_short);
}

/* r's hours of queue are exactly want (in order); its gaps of queue are
 * exactly gaps (in any order). */
static void coverage_is(const Baton__V1__CoverageReply *r, const char *queue, const want_hour *want, size_t n,
    const want_gap *gaps, size_t n_gaps)
{
	size_t k = 0, g = 0;
	bool ok = true;

	for (size_t i = 0; i < r->n_hours; i++) {
		const Baton__V1__CoverageHour *h = r->hours[i];
		if (strcmp(h->queue, queue) != 0)
			continue;
		ok = ok && k < n && h->hour_unix_ms == want[k].hour && strcmp(h->language, want[k].language) == 0 &&
		     h->wanted == want[k].wanted && h->claimed == want[k].claimed;
		k++;
	}
	ok = ok && k == n;
	for (size_t i = 0; i < r->n_gaps; i++) {
		const Baton__V1__CoverageGap *x = r->gaps[i];
		bool found = false;
		if (strcmp(x->queue, queue) != 0)
			continue;
		for (size_t j = 0; j < n_gaps; j++)
			found = found || (strcmp(x->language, gaps[j].language) == 0 && x->from_unix_ms == gaps[j].from &&
			                     x->to_unix_ms == gaps[j].to && x->short_max == gaps[j].short_max &&
			                     x->seat_hours_short == gaps[j].seat_hours);
		ok = ok && found;
		g++;
	}
	ok = ok && g == n_gaps;
	if (!ok) {
		print_error("coverage of %s is not as expected (%zu hours, %zu gaps wanted); got:\n", queue, n, n_gaps);
		print_coverage(r);
	}
	assert_true(ok);
}

/* ---- cases ---------------------------------------------------------------------- */

static void coverage_is_for_in_house_people_and_bounded(void **state)
{
	fixture_person *partners[] = { &registry.wn_mgr, &registry.wn_agent1, &registry.sl_mgr };
	char why[512];
	(void)state;

	for (size_t i = 0; i < sizeof(partners) / sizeof(partners[0]); i++)
		swapfix_expect(swapfix_coverage(partners[i]->client, AT(0, 0), AT(24, 0), NULL, NULL, NULL, NULL, why,
		                   sizeof(why)),
		    BATON_PERMISSION_DENIED, why);
	swapfix_expect(swapfix_coverage(registry.lead.client, AT(0, 0), AT(0, 0) + 63 * SWAPFIX_DAY, NULL, NULL, NULL,
	                   NULL, why, sizeof(why)),
	    BATON_INVALID_ARGUMENT, why);
	swapfix_expect(swapfix_coverage(registry.lead.client, AT(5, 0), AT(4, 0), NULL, NULL, NULL, NULL, why,
	                   sizeof(why)),
	    BATON_INVALID_ARGUMENT, why);
	swapfix_expect(swapfix_coverage(registry.lead.client, 0, AT(4, 0), NULL, NULL, NULL, NULL, why, sizeof(why)),
	    BATON_INVALID_ARGUMENT, why);
	swapfix_expect(swapfix_coverage(registry.lead.client, AT(0, 0), 0, NULL, NULL, NULL, NULL, why, sizeof(why)),
	    BATON_INVALID_ARGUMENT, why);
	swapfix_expect(swapfix_coverage(registry.lead.client, AT(0, 0), AT(24, 0), NULL, NULL, "Mars/Olympus", NULL, why,
	                   sizeof(why)),
	    BATON_INVALID_ARGUMENT, why);
	/* 62 days exactly is fine, for anyone in-house. */
	swapfix_expect(swapfix_coverage(registry.integ.client, AT(0, 0), AT(0, 0) + 62 * SWAPFIX_DAY, NULL, NULL, NULL,
	                   NULL, why, sizeof(why)),
	    BATON_OK, why);
	swapfix_expect(swapfix_coverage(registry.hq_mgr.client, AT(0, 0), AT(24, 0), NULL, NULL, NULL, NULL, why,
	                   sizeof(why)),
	    BATON_OK, why);
}

/* ms of the JSON value body->'field' of an event, a number or a timestamp. */
#define BODY_MS(field)                                                                                  \
	"(CASE jsonb_typeof(body->'" field "') WHEN 'number' THEN (body->>'" field "')::numeric::bigint" \
	" ELSE (extract(epoch FROM (body->>'" field "')::timestamptz) * 1000)::bigint END)"

static long gap_events(const char *kind, const char *subject)
{
	return registry_sqln("SELECT count(*) FROM event WHERE kind = '%s' AND subject_id = '%s' AND org_id IS NULL"
	                     " AND actor_id IS NULL", kind, subject);
}

/* Waits (bounded) until there are at least n gap events of kind about subject. */
static long wait_gap_events(const char *kind, const char *subject, long n)
{
	long got = 0;

	for (int64_t give_up = harness_now_ms() + 15000; harness_now_ms() < give_up; harness_sleep_ms(100))
		if ((got = gap_events(kind, subject)) >= n)
			break;
	return got;
}

static void gaps_in_the_horizon_are_announced_once_and_again_when_reopened(void **state)
{
	const char *flags[] = { "--maintenance-ms=200", "--coverage-horizon-hours=72", NULL };
	int64_t now = swapfix_now_ms(), h = now - now % SWAPFIX_HOUR;
	char id[40], claim_id[40], body[256], want[256], why[512];
	(void)state;

	/* Two instances running the pass on one database, before anything is short. */
	registry_extra_start(registry.pg.conninfo, flags, true);
	registry_extra_start(registry.pg.conninfo, flags, true);
	coverage_slots(); /* short too, but ten days out: beyond the horizon */
	slot("gap-soon", "pl", h + 5 * SWAPFIX_HOUR, h + 7 * SWAPFIX_HOUR, 2, id);

	assert_int_equal(wait_gap_events("coverage.gap", "gap-soon/pl", 1), 1);
	/* No rotation yet: nobody on call is not an on-call gap. */
	harness_sleep_ms(1000);
	assert_int_equal(gap_events("oncall.gap", "oncall"), 0);
	gap_rotation();
	assert_int_equal(registry_sqlf(body, sizeof(body),
	                     "SELECT (body->>'queue') || '|' || (body->>'language') || '|' || " BODY_MS("from") " || '|' || "
	                     BODY_MS("to") " || '|' || (body->>'hours') || '|' || (body->>'short_max')"
	                     " FROM event WHERE kind = 'coverage.gap' AND subject_id = 'gap-soon/pl' ORDER BY id LIMIT 1"),
	    0);
	snprintf(want, sizeof(want), "gap-soon|pl|%lld|%lld|2|2", (long long)(h + 5 * SWAPFIX_HOUR),
	    (long long)(h + 7 * SWAPFIX_HOUR));
	assert_string_equal(body, want);
	assert_int_equal(wait_gap_events("oncall.gap", "oncall", 1), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE kind = 'oncall.gap' AND body ? 'to'"
	                               " AND " BODY_MS("to") " <> %lld", (long long)swapfix_day(2)), 0);

	/* Many passes of both instances later: still once each, and nothing
	 * announced from beyond the horizon. */
	harness_sleep_ms(2000);
	assert_int_equal(gap_events("coverage.gap", "gap-soon/pl"), 1);
	assert_int_equal(gap_events("oncall.gap", "oncall"), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE kind = 'coverage.gap' AND subject_id LIKE 'cov/%%'"),
	    0);

	/* Filled: no new event. Reopened by a release: announced again. */
	claim(&registry.wn_agent1, id);
	swapfix_expect(swapfix_claim(registry.wn_agent2.client, id, NULL, claim_id, why, sizeof(why)), BATON_OK, why);
	for (int64_t give_up = harness_now_ms() + 5000; harness_now_ms() < give_up; harness_sleep_ms(100))
		if (registry_sqln("SELECT count(*) FROM coverage_gap_notice WHERE queue = 'gap-soon'") == 0)
			break;
	harness_sleep_ms(1000);
	assert_int_equal(gap_events("coverage.gap", "gap-soon/pl"), 1);
	swapfix_expect(swapfix_release(registry.wn_agent2.client, claim_id, why, sizeof(why)), BATON_OK, why);
	assert_int_equal(wait_gap_events("coverage.gap", "gap-soon/pl", 2), 2);
	assert_int_equal(registry_sqlf(body, sizeof(body),
	                     "SELECT " BODY_MS("from") " || '|' || " BODY_MS("to") " || '|' || (body->>'short_max')"
	                     " FROM event WHERE kind = 'coverage.gap' AND subject_id = 'gap-soon/pl' ORDER BY id DESC LIMIT 1"),
	    0);
	snprintf(want, sizeof(want), "%lld|%lld|1", (long long)(h + 5 * SWAPFIX_HOUR), (long long)(h + 7 * SWAPFIX_HOUR));
	assert_string_equal(body, want);
	harness_sleep_ms(1000);
	assert_int_equal(gap_events("coverage.gap", "gap-soon/pl"), 2);
	assert_int_equal(gap_events("oncall.gap", "oncall"), 1);
}

static void hours_and_gaps_per_queue_and_language(void **state)
{
	static const char *Q = "cov";
	const want_hour hours[] = {
		{ AT(10, 0), Q, "pl", 2, 2 }, { AT(11, 0), Q, "en", 1, 0 }, { AT(11, 0), Q, "pl", 2, 2 },
		{ AT(12, 0), Q, "en", 1, 0 }, { AT(12, 0), Q, "pl", 2, 1 }, { AT(13, 0), Q, "pl", 2, 1 },
		{ AT(14, 0), Q, "pl", 1, 1 }, { AT(15, 0), Q, "pl", 3, 0 }, { AT(16, 0), Q, "pl", 3, 0 },
	};
	const want_gap gaps[] = {
		{ Q, "en", AT(11, 0), AT(13, 0), 1, 2 },
		{ Q, "pl", AT(12, 0), AT(14, 0), 1, 2 },
		{ Q, "pl", AT(15, 0), AT(17, 0), 3, 6 },
	};
	const want_hour other[] = { { AT(10, 0), "other", "pl", 4, 0 }, { AT(11, 0), "other", "pl", 4, 0 } };
	const want_gap other_gap[] = { { "other", "pl", AT(10, 0), AT(12, 0), 4, 8 } };
	Baton__V1__CoverageReply *r = NULL;
	char why[512], more[40];
	(void)state;

	coverage_slots();
	swapfix_expect(swapfix_coverage(registry.hq_mgr.client, AT(9, 0), AT(18, 0), "cov", NULL, NULL, &r, why,
	                   sizeof(why)),
	    BATON_OK, why);
	coverage_is(r, "cov", hours, 9, gaps, 3);
	assert_int_equal(r->n_hours, 9);
	baton__v1__coverage_reply__free_unpacked(r, NULL);

	/* Without the filter the other queue is there too, the same for cov. */
	swapfix_expect(swapfix_coverage(registry.lead.client, AT(9, 0), AT(18, 0), NULL, NULL, "UTC", &r, why,
	                   sizeof(why)),
	    BATON_OK, why);
	coverage_is(r, "cov", hours, 9, gaps, 3);
	coverage_is(r, "other", other, 2, other_gap, 1);
	baton__v1__coverage_reply__free_unpacked(r, NULL);

	/* One language. */
	swapfix_expect(swapfix_coverage(registry.lead.client, AT(9, 0), AT(18, 0), "cov", "en", NULL, &r, why,
	                   sizeof(why)),
	    BATON_OK, why);
	coverage_is(r, "cov", (const want_hour[]){ hours[1], hours[3] }, 2, gaps, 1);
	assert_int_equal(r->n_hours, 2);
	baton__v1__coverage_reply__free_unpacked(r, NULL);

	/* A claim more closes the first pl gap; a release opens it again. */
	swapfix_expect(swapfix_claim(registry.wn_mgr.client, p2_id, NULL, more, why, sizeof(why)), BATON_OK, why);
	swapfix_expect(swapfix_coverage(registry.lead.client, AT(9, 0), AT(18, 0), "cov", "pl", NULL, &r, why,
	                   sizeof(why)),
	    BATON_OK, why);
	coverage_is(r, "cov", (const want_hour[]){ hours[0], hours[2], { AT(12, 0), Q, "pl", 2, 2 },
	                          { AT(13, 0), Q, "pl", 2, 2 }, hours[6], hours[7], hours[8] },
	    7, gaps + 2, 1);
	baton__v1__coverage_reply__free_unpacked(r, NULL);
	swapfix_expect(swapfix_release(registry.wn_mgr.client, more, why, sizeof(why)), BATON_OK, why);
	swapfix_expect(swapfix_coverage(registry.lead.client, AT(9, 0), AT(18, 0), "cov", NULL, NULL, &r, why,
	                   sizeof(why)),
	    BATON_OK, why);
	coverage_is(r, "cov", hours, 9, gaps, 3);
	baton__v1__coverage_reply__free_unpacked(r, NULL);
}

static void hours_align_to_a_half_hour_zone(void **state)
{
	static const char *Q = "cov";
	const want_hour hours[] = {
		{ AT(9, 30), Q, "pl", 2, 2 },  { AT(10, 30), Q, "en", 1, 0 }, { AT(10, 30), Q, "pl", 2, 2 },
		{ AT(11, 30), Q, "en", 1, 0 }, { AT(11, 30), Q, "pl", 4, 3 }, { AT(12, 30), Q, "en", 1, 0 },
		{ AT(12, 30), Q, "pl", 2, 1 }, { AT(13, 30), Q, "pl", 3, 2 }, { AT(14, 30), Q, "pl", 4, 1 },
		{ AT(15, 30), Q, "pl", 3, 0 },
	};
	const want_gap gaps[] = {
		{ Q, "en", AT(10, 30), AT(13, 30), 1, 3 },
		{ Q, "pl", AT(11, 30), AT(16, 30), 3, 9 },
	};
	Baton__V1__CoverageReply *r = NULL;
	char why[512];
	(void)state;

	coverage_slots();
	swapfix_expect(swapfix_coverage(registry.lead.client, AT(9, 30), AT(17, 30), "cov", NULL, "Asia/Kolkata", &r, why,
	                   sizeof(why)),
	    BATON_OK, why);
	for (size_t i = 0; i < r->n_hours; i++)
		assert_int_equal(r->hours[i]->hour_unix_ms % SWAPFIX_HOUR, 30 * SWAPFIX_MIN);
	coverage_is(r, "cov", hours, 10, gaps, 2);
	baton__v1__coverage_reply__free_unpacked(r, NULL);
}

static void oncall_gaps_are_whos_gaps(void **state)
{
	Baton__V1__CoverageReply *r = NULL;
	Baton__V1__WhoReply *w = NULL;
	char why[512];
	(void)state;

	coverage_slots();
	gap_rotation();
	swapfix_expect(swapfix_override_add(registry.lead.client, "gap-rot", "remove", "hq-lead", NULL, AT(13, 0),
	                   AT(15, 0), why, sizeof(why)),
	    BATON_OK, why);
	swapfix_expect(swapfix_coverage(registry.lead.client, AT(9, 0), AT(18, 0), "cov", NULL, NULL, &r, why,
	                   sizeof(why)),
	    BATON_OK, why);
	swapfix_expect(swapfix_who(registry.lead.client, AT(9, 0), AT(18, 0), &w, why, sizeof(why)), BATON_OK, why);
	assert_int_equal(r->n_oncall_gaps, 1);
	assert_int_equal(r->oncall_gaps[0]->from_unix_ms, AT(13, 0));
	assert_int_equal(r->oncall_gaps[0]->to_unix_ms, AT(15, 0));
	assert_int_equal(w->n_gaps, r->n_oncall_gaps);
	for (size_t i = 0; i < w->n_gaps; i++) {
		assert_int_equal(w->gaps[i]->from_unix_ms, r->oncall_gaps[i]->from_unix_ms);
		assert_int_equal(w->gaps[i]->to_unix_ms, r->oncall_gaps[i]->to_unix_ms);
	}
	baton__v1__coverage_reply__free_unpacked(r, NULL);
	baton__v1__who_reply__free_unpacked(w, NULL);

	/* Before the rotation starts, everything up to its start is a gap, in both. */
	swapfix_expect(swapfix_coverage(registry.lead.client, swapfix_day(1), swapfix_day(3), NULL, NULL, NULL, &r, why,
	                   sizeof(why)),
	    BATON_OK, why);
	swapfix_expect(swapfix_who(registry.lead.client, swapfix_day(1), swapfix_day(3), &w, why, sizeof(why)), BATON_OK,
	    why);
	assert_int_equal(r->n_oncall_gaps, 1);
	assert_int_equal(r->oncall_gaps[0]->from_unix_ms, swapfix_day(1));
	assert_int_equal(r->oncall_gaps[0]->to_unix_ms, swapfix_day(2));
	assert_int_equal(w->n_gaps, 1);
	assert_int_equal(w->gaps[0]->from_unix_ms, swapfix_day(1));
	assert_int_equal(w->gaps[0]->to_unix_ms, swapfix_day(2));
	baton__v1__coverage_reply__free_unpacked(r, NULL);
	baton__v1__who_reply__free_unpacked(w, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(coverage_is_for_in_house_people_and_bounded, registry_cleanup),
		cmocka_unit_test_teardown(gaps_in_the_horizon_are_announced_once_and_again_when_reopened, registry_cleanup),
		cmocka_unit_test_teardown(hours_and_gaps_per_queue_and_language, registry_cleanup),
		cmocka_unit_test_teardown(hours_align_to_a_half_hour_zone, registry_cleanup),
		cmocka_unit_test_teardown(oncall_gaps_are_whos_gaps, registry_cleanup),
	};
	return cmocka_run_group_tests_name("integration: coverage", tests, registry_setup, swapfix_teardown);
}
