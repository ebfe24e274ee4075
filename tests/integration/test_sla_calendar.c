/* test_sla_calendar.c - SLA contracts and business-hours arithmetic through batond (real PostgreSQL): hand-checked deadlines across both DST changes, a holiday, a split day, a night calendar and 24/7; bad contracts refused; who may set and see; versions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <baton/client.h>

#include "harness.h"
#include "registry.h"
#include "shiftfix.h"
#include "slafix.h"
#include "swapfix.h"

/*
 * Every calendar below is the only contract of an organization of its own,
 * so SlaDeadline uses it whatever instant it is asked about (the test runs
 * after most of these dates: an organization's first version serves
 * instants from before it was written).
 *
 * Europe/Warsaw in 2026: CET (UTC+1) until Sunday 03-29 02:00 local, when
 * clocks go to 03:00 CEST (UTC+2), i.e. at 01:00Z; back to CET on Sunday
 * 10-25 at 03:00 CEST (01:00Z), so 02:00-03:00 local happens twice.
 * America/Bogota: UTC-5 all year. Weekdays: 2026-01-01 is a Thursday, so
 * 03-27, 05-01, 10-23 and 11-20 are Fridays and 11-18 a Wednesday.
 *
 * All expected instants are worked out by hand in the comments, and written
 * as UTC wall-clock times (UTC(...) is timegm, no zone database involved).
 * Any of these fails if batond counts in UTC instead of the contract's zone
 * (every Warsaw case moves by an hour or two), does DST by fixed offsets
 * (the March/October cases move by an hour), ignores holidays, fills the
 * lunch gap of a split day, or counts the hour that does not exist.
 */
#define UTC(y, mo, d, h, mi) swapfix_utc((y), (mo), (d), (h), (mi))
#define MIN ((int64_t)60 * 1000)

/* ---- helpers ---------------------------------------------------------------------- */

/* SlaDeadline as c must be OK and due exactly at want. */
static void due_is(baton_client *c, const char *org, int64_t from, int64_t seconds, int64_t want)
{
	int64_t due = -1;
	char msg[512];

	shiftfix_expect("SlaDeadline", slafix_deadline(c, org, from, seconds, &due, NULL, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	if (due != want)
		print_error("%s: %lld s from %lld: due %lld, want %lld (%+lld min)\n", org, (long long)seconds,
		    (long long)from, (long long)due, (long long)want, (long long)((due - want) / MIN));
	assert_int_equal(due, want);
}

/* SetSlaContract of spec as c must be refused with want; nothing written. */
static void refused(baton_client *c, const char *what, const slafix_contract *spec, baton_status want)
{
	long before = registry_sqln("SELECT count(*) FROM sla_contract");
	char msg[512];

	shiftfix_expect(what, slafix_contract_set(c, spec, NULL, msg, sizeof(msg)), msg, want, NULL);
	assert_int_equal(registry_sqln("SELECT count(*) FROM sla_contract"), before);
}

/* ---- business hours ------------------------------------------------------------------ */

static void a_friday_evening_hour_is_due_on_monday_in_warsaw_across_both_dst_changes(void **state)
{
	Baton__V1__SlaDeadlineReply *r = NULL;
	int64_t due = 0;
	char msg[512];
	(void)state;

	/* Plain week, CET both ends: Fri 2026-11-20 17:30 CET = 16:30Z; 30 min
	 * to 18:00, closed Sat and Sun, Mon 11-23 09:00 CET (08:00Z) + 30 min =
	 * 09:30 CET = 08:30Z. */
	due_is(registry.admin, "cal-warsaw", UTC(2026, 11, 20, 16, 30), 3600, UTC(2026, 11, 23, 8, 30));

	/* March: Fri 03-27 17:30 CET = 16:30Z; Mon 03-30 09:30 is CEST by then:
	 * 07:30Z (a fixed +1 offset would say 08:30Z). */
	due_is(registry.admin, "cal-warsaw", UTC(2026, 3, 27, 16, 30), 3600, UTC(2026, 3, 30, 7, 30));

	/* October: Fri 10-23 17:30 CEST = 15:30Z; Mon 10-26 09:30 is CET by then:
	 * 08:30Z (a fixed +2 offset would say 07:30Z). */
	due_is(registry.admin, "cal-warsaw", UTC(2026, 10, 23, 15, 30), 3600, UTC(2026, 10, 26, 8, 30));

	/* Inside the hours it is plain addition: Mon 11-23 10:00 CET (09:00Z) +
	 * 1 h = 10:00Z. Before opening: Mon 07:00 CET (06:00Z) + 1 h = 10:00 CET
	 * = 09:00Z. At closing time: Fri 18:00 CET (17:00Z) + 1 h = Mon 10:00 CET. */
	due_is(registry.admin, "cal-warsaw", UTC(2026, 11, 23, 9, 0), 3600, UTC(2026, 11, 23, 10, 0));
	due_is(registry.admin, "cal-warsaw", UTC(2026, 11, 23, 6, 0), 3600, UTC(2026, 11, 23, 9, 0));
	due_is(registry.admin, "cal-warsaw", UTC(2026, 11, 20, 17, 0), 3600, UTC(2026, 11, 23, 9, 0));

	/* A whole working week is 5 x 9 h = 45 h: from Fri 11-20 17:30 CET it is
	 * 30 min + Mon-Thu 36 h + Fri 11-27 8.5 h, so Fri 11-27 17:30 CET = 16:30Z. */
	due_is(registry.admin, "cal-warsaw", UTC(2026, 11, 20, 16, 30), 45 * 3600, UTC(2026, 11, 27, 16, 30));

	/* No time at all is due at once, open or not (Sat 11-21 12:00Z). */
	due_is(registry.admin, "cal-warsaw", UTC(2026, 11, 21, 12, 0), 0, UTC(2026, 11, 21, 12, 0));

	/* The reply names the contract it used. */
	shiftfix_expect("SlaDeadline", slafix_deadline(registry.admin, "cal-warsaw", UTC(2026, 11, 20, 16, 30), 60, &due, &r,
	                                   msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	assert_string_equal(r->time_zone, "Europe/Warsaw");
	assert_int_equal(r->version, 1);
	assert_true(strlen(r->contract_id) == 36);
	assert_int_equal(registry_sqln("SELECT count(*) FROM sla_contract c JOIN org o ON o.id = c.org_id"
	                               " WHERE o.name = 'cal-warsaw' AND c.id = '%s'", r->contract_id), 1);
	baton__v1__sla_deadline_reply__free_unpacked(r, NULL);
}

static void a_holiday_on_monday_pushes_the_deadline_to_tuesday(void **state)
{
	(void)state;

	/* Fri 2026-05-01 17:30 CEST = 15:30Z; 30 min to 18:00; Mon 05-04 is a
	 * holiday of the contract; Tue 05-05 09:00 CEST (07:00Z) + 30 min =
	 * 07:30Z. (Without the holiday: Mon 07:30Z.) */
	due_is(registry.admin, "cal-warsaw", UTC(2026, 5, 1, 15, 30), 3600, UTC(2026, 5, 5, 7, 30));
	/* Asked on the holiday itself: nothing counts until Tuesday 09:00 CEST. */
	due_is(registry.admin, "cal-warsaw", UTC(2026, 5, 4, 8, 0), 3600, UTC(2026, 5, 5, 8, 0));
	/* The week after is an ordinary one: Fri 05-08 17:30 CEST -> Mon 05-11 07:30Z. */
	due_is(registry.admin, "cal-warsaw", UTC(2026, 5, 8, 15, 30), 3600, UTC(2026, 5, 11, 7, 30));
}

static void a_split_day_skips_its_lunch_break(void **state)
{
	(void)state;

	/* Bogota (UTC-5), Wednesdays 09:00-12:00 and 13:00-17:00: Wed 11-18
	 * 11:30 local = 16:30Z; 30 min to 12:00, then 13:00 + 30 min = 13:30
	 * local = 18:30Z. */
	due_is(registry.admin, "cal-bogota", UTC(2026, 11, 18, 16, 30), 3600, UTC(2026, 11, 18, 18, 30));
	/* During the break, the clock waits for 13:00: 12:15 local (17:15Z) +
	 * 1 h = 14:00 local = 19:00Z. */
	due_is(registry.admin, "cal-bogota", UTC(2026, 11, 18, 17, 15), 3600, UTC(2026, 11, 18, 19, 0));
	/* The day holds 7 h: 09:00 local (14:00Z) + 7 h = 17:00 local (22:00Z);
	 * 7 h + 1 min goes on to the next Wednesday, 11-25 09:01 local = 14:01Z. */
	due_is(registry.admin, "cal-bogota", UTC(2026, 11, 18, 14, 0), 7 * 3600, UTC(2026, 11, 18, 22, 0));
	due_is(registry.admin, "cal-bogota", UTC(2026, 11, 18, 14, 0), 7 * 3600 + 60, UTC(2026, 11, 25, 14, 1));
}

static void a_night_calendar_counts_the_real_hours_of_the_dst_nights(void **state)
{
	(void)state;

	/* Warsaw, Sundays 00:00-06:00 and Mondays 00:00-24:00. */
	/* Sunday 2026-03-29 from 00:00 CET = 03-28 23:00Z to 06:00 CEST =
	 * 03-29 04:00Z is 5 real hours (02:00-03:00 never happens). + 5 h 30 min:
	 * the 5 h, then Monday 03-30 00:00 CEST (03-29 22:00Z) + 30 min =
	 * 03-29 22:30Z. Counting 6 wall-clock hours would say 03-29 23:00Z... */
	due_is(registry.admin, "cal-nights", UTC(2026, 3, 28, 23, 0), 5 * 3600 + 30 * 60, UTC(2026, 3, 29, 22, 30));
	/* ... and + 4 h is 03:00Z (05:00 CEST), not 04:00Z. */
	due_is(registry.admin, "cal-nights", UTC(2026, 3, 28, 23, 0), 4 * 3600, UTC(2026, 3, 29, 3, 0));

	/* Sunday 2026-10-25 from 00:00 CEST = 10-24 22:00Z to 06:00 CET =
	 * 10-25 05:00Z is 7 real hours (02:00-03:00 happens twice). + 6 h 30 min
	 * = 10-25 04:30Z, still that night; + 7 h 30 min = 7 h, then Monday 10-26
	 * 00:00 CET (10-25 23:00Z) + 30 min = 10-25 23:30Z. */
	due_is(registry.admin, "cal-nights", UTC(2026, 10, 24, 22, 0), 6 * 3600 + 30 * 60, UTC(2026, 10, 25, 4, 30));
	due_is(registry.admin, "cal-nights", UTC(2026, 10, 24, 22, 0), 7 * 3600 + 30 * 60, UTC(2026, 10, 25, 23, 30));
}

static void always_open_counts_real_time_across_the_dst_nights(void **state)
{
	(void)state;

	/* 24/7 in Warsaw: 2 h from 03-29 00:30 CET (03-28 23:30Z) is 01:30Z
	 * (03:30 CEST: the wall clock moved 3 h), exactly 7 200 000 ms later. */
	due_is(registry.admin, "cal-always", UTC(2026, 3, 28, 23, 30), 7200, UTC(2026, 3, 28, 23, 30) + 7200 * 1000);
	assert_int_equal(UTC(2026, 3, 28, 23, 30) + 7200 * 1000, UTC(2026, 3, 29, 1, 30));
	/* And in October: 10-25 01:30 CEST (10-24 23:30Z) + 2 h = 10-25 01:30Z
	 * (02:30 CET: the wall clock moved 1 h). */
	due_is(registry.admin, "cal-always", UTC(2026, 10, 24, 23, 30), 7200, UTC(2026, 10, 25, 1, 30));
	/* Seconds are seconds: + 1 s over a weekend. */
	due_is(registry.admin, "cal-always", UTC(2026, 11, 21, 12, 0), 1, UTC(2026, 11, 21, 12, 0) + 1000);
}

/* ---- contracts ----------------------------------------------------------------------- */

static void bad_contracts_are_refused_and_write_nothing(void **state)
{
	/* Each row changes one thing of a good contract (NULL org, zone and
	 * hours: cal-versions, Europe/Warsaw, Mon-Fri 09:00-18:00). */
	static const struct {
		const char     *what;
		slafix_contract k;
		baton_status    want;
	} bad[] = {
		{ "unknown time zone", { .time_zone = "Mars/Olympus_Mons" }, BATON_INVALID_ARGUMENT },
		{ "no time zone", { .time_zone = "" }, BATON_INVALID_ARGUMENT },
		{ "overlapping hours", { .hours = "1 09:00-12:00; 1 11:00-14:00" }, BATON_INVALID_ARGUMENT },
		{ "closes before it opens", { .hours = "1 18:00-09:00" }, BATON_INVALID_ARGUMENT },
		{ "closes when it opens", { .hours = "1 09:00-09:00" }, BATON_INVALID_ARGUMENT },
		{ "25:00", { .hours = "1 09:00-25:00" }, BATON_INVALID_ARGUMENT },
		{ "no target for P4", { .priorities = 3 }, BATON_INVALID_ARGUMENT },
		{ "warn at 100%", { .warn_percent = 100 }, BATON_INVALID_ARGUMENT },
		{ "hours with 24/7", { .always_open = true }, BATON_INVALID_ARGUMENT },
		{ "no such holiday date", { .holidays = "2026-02-30" }, BATON_INVALID_ARGUMENT },
		{ "a target over 30 days", { .first_response_s = 2592001 }, BATON_INVALID_ARGUMENT },
		{ "an ownership timeout over 7 days", { .ownership_timeout_s = 604801 }, BATON_INVALID_ARGUMENT },
		{ "unknown organization", { .org = "no-such-org" }, BATON_NOT_FOUND },
		{ "the good one", { .note = "fixed" }, BATON_OK },
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		slafix_contract k = bad[i].k;
		char msg[512];

		k.org = k.org != NULL ? k.org : "cal-versions";
		k.time_zone = k.time_zone != NULL ? k.time_zone : "Europe/Warsaw";
		k.hours = k.hours != NULL ? k.hours : "12345 09:00-18:00";
		if (bad[i].want != BATON_OK)
			refused(registry.admin, bad[i].what, &k, bad[i].want);
		else
			shiftfix_expect(bad[i].what, slafix_contract_set(registry.admin, &k, NULL, msg, sizeof(msg)), msg,
			    BATON_OK, NULL);
	}
}

static void only_an_admin_sets_a_contract(void **state)
{
	slafix_contract k = { .org = "warsaw-nights", .always_open = true, .note = "who may" };
	Baton__V1__SlaContract *got = NULL;
	char msg[512];
	(void)state;

	refused(registry.lead.client, "SetSlaContract (lead)", &k, BATON_PERMISSION_DENIED);
	refused(registry.wn_mgr.client, "SetSlaContract (partner manager)", &k, BATON_PERMISSION_DENIED);
	refused(registry.wn_agent1.client, "SetSlaContract (partner agent)", &k, BATON_PERMISSION_DENIED);
	refused(registry.integ.client, "SetSlaContract (integration)", &k, BATON_PERMISSION_DENIED);
	refused(registry.hq_mgr.client, "SetSlaContract (in-house manager)", &k, BATON_PERMISSION_DENIED);

	shiftfix_expect("SetSlaContract (admin)", slafix_contract_set(registry.admin, &k, &got, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_string_equal(got->org, "warsaw-nights");
	assert_string_equal(got->created_by, registry.admin_p.handle);
	baton__v1__sla_contract__free_unpacked(got, NULL);
}

static void each_set_is_a_new_version_and_old_ones_stay_readable(void **state)
{
	slafix_contract v = { .org = "cal-versions", .time_zone = "America/Bogota", .hours = "3 09:00-12:00; 3 13:00-17:00",
		.holidays = "2026-12-25=Christmas", .first_response_s = 600, .next_response_s = 1200, .resolution_s = 7200,
		.warn_percent = 75, .ownership_timeout_s = 900, .escalation_normal_s = 1800, .escalation_urgent_s = 300,
		.note = "split" };
	Baton__V1__ShowSlaContractReply *r = NULL;
	Baton__V1__SlaContract *k;
	int32_t first, second, third;
	char msg[512];
	(void)state;

	first = slafix_contract_must(&v);
	v.always_open = true, v.hours = NULL, v.holidays = NULL, v.note = "24/7 now", v.warn_percent = 60;
	second = slafix_contract_must(&v);
	v.note = "third";
	third = slafix_contract_must(&v);
	assert_true(first >= 1);
	assert_int_equal(second, first + 1);
	assert_int_equal(third, second + 1);

	/* The latest by default. */
	shiftfix_expect("ShowSlaContract", slafix_contract_show(registry.lead.client, "cal-versions", 0, &r, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	k = r->contract;
	assert_false(r->inherited);
	assert_int_equal(k->version, third);
	assert_string_equal(k->org, "cal-versions");
	assert_true(k->always_open);
	assert_int_equal(k->n_hours, 0);
	assert_string_equal(k->note, "third");
	assert_int_equal(k->warn_percent, 60);
	baton__v1__show_sla_contract_reply__free_unpacked(r, NULL);

	/* The first, as it was set. */
	shiftfix_expect("ShowSlaContract v1",
	    slafix_contract_show(registry.lead.client, "cal-versions", first, &r, msg, sizeof(msg)), msg, BATON_OK, NULL);
	k = r->contract;
	assert_int_equal(k->version, first);
	assert_false(k->always_open);
	assert_string_equal(k->time_zone, "America/Bogota");
	assert_int_equal(k->n_hours, 2);
	for (size_t i = 0; i < k->n_hours; i++) {
		assert_int_equal(k->hours[i]->weekday, 3);
		assert_true(strcmp(k->hours[i]->opens, "09:00") == 0 || strcmp(k->hours[i]->opens, "13:00") == 0);
		assert_string_equal(k->hours[i]->closes, strcmp(k->hours[i]->opens, "09:00") == 0 ? "12:00" : "17:00");
	}
	assert_int_equal(k->n_holidays, 1);
	assert_string_equal(k->holidays[0]->day, "2026-12-25");
	assert_string_equal(k->holidays[0]->name, "Christmas");
	assert_int_equal(k->n_targets, 4);
	for (size_t i = 0; i < k->n_targets; i++) {
		assert_int_equal(k->targets[i]->first_response_s, 600);
		assert_int_equal(k->targets[i]->next_response_s, 1200);
		assert_int_equal(k->targets[i]->resolution_s, 7200);
	}
	assert_int_equal(k->warn_percent, 75);
	assert_int_equal(k->ownership_timeout_s, 900);
	assert_int_equal(k->escalation_normal_s, 1800);
	assert_int_equal(k->escalation_urgent_s, 300);
	assert_string_equal(k->note, "split");
	assert_string_equal(k->created_by, registry.admin_p.handle);
	assert_true(k->created_unix_ms > 0);
	baton__v1__show_sla_contract_reply__free_unpacked(r, NULL);

	shiftfix_expect("ShowSlaContract v99",
	    slafix_contract_show(registry.lead.client, "cal-versions", third + 90, &r, msg, sizeof(msg)), msg,
	    BATON_NOT_FOUND, NULL);
	/* Three rows, never changed. */
	assert_int_equal(registry_sqln("SELECT count(*) FROM sla_contract c JOIN org o ON o.id = c.org_id"
	                               " WHERE o.name = 'cal-versions'"), third);
}

static void an_organization_without_its_own_contract_inherits_the_default(void **state)
{
	Baton__V1__ShowSlaContractReply *r = NULL;
	char msg[512];
	(void)state;

	shiftfix_expect("ShowSlaContract (default)", slafix_contract_show(registry.lead.client, "", 0, &r, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	assert_false(r->inherited);
	assert_string_equal(r->contract->org, "");
	assert_true(r->contract->version >= 1);
	assert_int_equal(r->contract->n_targets, 4);
	baton__v1__show_sla_contract_reply__free_unpacked(r, NULL);

	shiftfix_expect("ShowSlaContract (sol-latino)",
	    slafix_contract_show(registry.lead.client, "sol-latino", 0, &r, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_true(r->inherited);
	assert_string_equal(r->contract->org, "");
	baton__v1__show_sla_contract_reply__free_unpacked(r, NULL);
	shiftfix_expect("ShowSlaContract (unknown)",
	    slafix_contract_show(registry.lead.client, "no-such-org", 0, &r, msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
}

static void a_partner_sees_its_own_contract_and_the_default_only(void **state)
{
	slafix_contract wn = { .org = "warsaw-nights", .time_zone = "Europe/Warsaw", .hours = "12345 09:00-18:00",
		.note = "wn's own" };
	slafix_contract sl = { .org = "sol-latino", .always_open = true, .note = "sl's own" };
	Baton__V1__ShowSlaContractReply *r = NULL;
	int64_t due = 0;
	char msg[512];
	(void)state;

	(void)slafix_contract_must(&wn);
	(void)slafix_contract_must(&sl);

	shiftfix_expect("ShowSlaContract (own)",
	    slafix_contract_show(registry.wn_agent1.client, "warsaw-nights", 0, &r, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(r->contract->org, "warsaw-nights");
	assert_string_equal(r->contract->note, "wn's own");
	assert_false(r->inherited);
	baton__v1__show_sla_contract_reply__free_unpacked(r, NULL);
	shiftfix_expect("ShowSlaContract (default)",
	    slafix_contract_show(registry.wn_mgr.client, "", 0, &r, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(r->contract->org, "");
	baton__v1__show_sla_contract_reply__free_unpacked(r, NULL);
	/* The version in force at the instant asked about counts: from Fri
	 * 2027-01-15 17:30 CET (16:30Z; 2027-01-01 is a Friday) + 1 h in these
	 * hours is Mon 01-18 09:30 CET = 08:30Z. Before any version of
	 * warsaw-nights was written (2026-11-20) its first version counts, the
	 * 24/7 one of only_an_admin_sets_a_contract: plain + 1 h. */
	due_is(registry.wn_mgr.client, "warsaw-nights", UTC(2027, 1, 15, 16, 30), 3600, UTC(2027, 1, 18, 8, 30));
	due_is(registry.wn_mgr.client, "warsaw-nights", UTC(2026, 11, 20, 16, 30), 3600, UTC(2026, 11, 20, 17, 30));

	/* Another partner's: neither shown nor used. */
	swapfix_expect2(slafix_contract_show(registry.wn_mgr.client, "sol-latino", 0, &r, msg, sizeof(msg)),
	    BATON_PERMISSION_DENIED, BATON_NOT_FOUND, msg);
	swapfix_expect2(slafix_contract_show(registry.wn_agent1.client, "cal-warsaw", 0, &r, msg, sizeof(msg)),
	    BATON_PERMISSION_DENIED, BATON_NOT_FOUND, msg);
	swapfix_expect2(slafix_deadline(registry.wn_mgr.client, "sol-latino", UTC(2026, 11, 20, 16, 30), 3600, &due, NULL,
	                    msg, sizeof(msg)),
	    BATON_PERMISSION_DENIED, BATON_NOT_FOUND, msg);
	swapfix_expect2(slafix_contract_show(registry.sl_mgr.client, "warsaw-nights", 0, &r, msg, sizeof(msg)),
	    BATON_PERMISSION_DENIED, BATON_NOT_FOUND, msg);
	/* In-house people see every one. */
	shiftfix_expect("ShowSlaContract (in-house manager)",
	    slafix_contract_show(registry.hq_mgr.client, "sol-latino", 0, &r, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(r->contract->note, "sl's own");
	baton__v1__show_sla_contract_reply__free_unpacked(r, NULL);
}

/* ---- the group --------------------------------------------------------------------------- */

static int calendar_setup(void **state)
{
	const slafix_contract contracts[] = {
		{ .org = "cal-warsaw", .time_zone = "Europe/Warsaw", .hours = "12345 09:00-18:00",
		    .holidays = "2026-05-04=bridge day" },
		{ .org = "cal-bogota", .time_zone = "America/Bogota", .hours = "3 09:00-12:00; 3 13:00-17:00" },
		{ .org = "cal-nights", .time_zone = "Europe/Warsaw", .hours = "7 00:00-06:00; 1 00:00-24:00" },
		{ .org = "cal-always", .time_zone = "Europe/Warsaw", .always_open = true },
	};
	char ids[5][40];

	if (registry_setup(state) != 0 ||
	    slafix_orgs_add("cal-warsaw,cal-bogota,cal-nights,cal-always,cal-versions", "en", ids) != 0)
		return -1;
	return slafix_contracts_set(contracts, sizeof(contracts) / sizeof(contracts[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(a_friday_evening_hour_is_due_on_monday_in_warsaw_across_both_dst_changes,
		    registry_cleanup),
		cmocka_unit_test_teardown(a_holiday_on_monday_pushes_the_deadline_to_tuesday, registry_cleanup),
		cmocka_unit_test_teardown(a_split_day_skips_its_lunch_break, registry_cleanup),
		cmocka_unit_test_teardown(a_night_calendar_counts_the_real_hours_of_the_dst_nights, registry_cleanup),
		cmocka_unit_test_teardown(always_open_counts_real_time_across_the_dst_nights, registry_cleanup),
		cmocka_unit_test_teardown(bad_contracts_are_refused_and_write_nothing, registry_cleanup),
		cmocka_unit_test_teardown(only_an_admin_sets_a_contract, registry_cleanup),
		cmocka_unit_test_teardown(each_set_is_a_new_version_and_old_ones_stay_readable, registry_cleanup),
		cmocka_unit_test_teardown(an_organization_without_its_own_contract_inherits_the_default, registry_cleanup),
		cmocka_unit_test_teardown(a_partner_sees_its_own_contract_and_the_default_only, registry_cleanup),
	};

	return cmocka_run_group_tests_name("integration: SLA calendars", tests, calendar_setup, registry_teardown);
}
