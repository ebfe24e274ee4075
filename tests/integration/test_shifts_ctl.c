/* test_shifts_ctl.c - shifts through the real batonctl (real batond, real PostgreSQL): weekly slots across a DST change, claims, swaps, on-call, the coverage table and its JSON, usage errors and help. */
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

#include "fixture.h"
#include "ctlrun.h"
#include "harness.h"
#include "jsonlines.h"
#include "registry.h"
#include "swapfix.h"

/* ---- JSON --------------------------------------------------------------------- */

/* Whether s is one JSON object per line, every line (and not empty). */
static bool json_lines(const char *s)
{
	return jsonlines_count(s) > 0;
}

/* The string value of the first "key" at or after s, into v. */
static const char *json_str(const char *s, const char *key, char *v, size_t len)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	assert_non_null(p = strstr(s, pat));
	p += strlen(pat);
	assert_non_null(e = strchr(p, '"'));
	snprintf(v, len, "%.*s", (int)(e - p), p);
	return e;
}

/* Every number after "key": in s, into v (at most max); returns how many. */
static size_t json_ints(const char *s, const char *key, long long *v, size_t max)
{
	char pat[64];
	size_t n = 0;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	for (const char *p = strstr(s, pat); p != NULL && n < max; p = strstr(p + 1, pat))
		v[n++] = strtoll(p + strlen(pat), NULL, 10);
	return n;
}

/* ---- helpers ------------------------------------------------------------------- */

/* "2027-03-05T17:00Z" of ms. */
static void iso(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%MZ", &tm);
}

/* "2027-03-05 17:00Z", as batonctl's tables show UTC. */
static void shown(int64_t ms, char *buf, size_t len)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%MZ", &tm);
}

static int lines_with(const char *s, const char *needle)
{
	int n = 0;

	for (const char *line = s; line != NULL && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		const char *end = strchr(line, '\n'), *hit = strstr(line, needle);
		n += hit != NULL && (end == NULL || hit < end);
	}
	return n;
}

/* ---- cases ---------------------------------------------------------------------- */

static void weekly_slots_keep_their_local_hours_across_dst(void **state)
{
	long long starts[64], ends[64];
	char when[32], series[64];
	size_t n;
	(void)state;

	ctlrun_ran(ctlrun(&registry.lead, "--json slot publish --queue ctl-weekend --language pl --seats 2 --days fri,sat"
	                        " --from 18:00 --to 02:00 --tz Europe/Warsaw --weeks 8 --first-day 2027-03-05"
	                        " --open-to warsaw-nights"),
	    0);
	assert_true(json_lines(ctlrun_out));
	json_str(ctlrun_out, "series_id", series, sizeof(series));
	assert_int_equal(strlen(series), 36);
	n = json_ints(ctlrun_out, "starts_unix_ms", starts, 64);
	assert_int_equal(json_ints(ctlrun_out, "ends_unix_ms", ends, 64), n);
	assert_int_equal(n, 16);
	for (size_t i = 0; i < n; i++) {
		/* 18:00 local: 17:00Z in CET (until 2027-03-28), 16:00Z in CEST. */
		bool winter = starts[i] < swapfix_utc(2027, 3, 28, 0, 0);
		int64_t midnight = starts[i] - starts[i] % SWAPFIX_DAY;
		shown(starts[i], when, sizeof(when));
		if (starts[i] - midnight != (winter ? 17 : 16) * SWAPFIX_HOUR)
			print_error("slot %zu starts %s\n", i, when);
		assert_int_equal(starts[i] - midnight, (winter ? 17 : 16) * SWAPFIX_HOUR);
		/* 02:00 local the next day (the night of the change has no 02:00 CEST:
		 * that slot ends at 02:00 CET = 01:00Z, 8 hours). */
		assert_int_equal(ends[i] - starts[i], 8 * SWAPFIX_HOUR);
	}

	/* The table shows the same, in UTC. */
	ctlrun_ran(ctlrun(&registry.wn_agent1, "slot list --queue ctl-weekend --from 2027-03-01T00:00Z --to 2027-05-01T00:00Z"), 0);
	assert_non_null(strstr(ctlrun_out, "START (UTC)"));
	assert_int_equal(lines_with(ctlrun_out, "ctl-weekend"), 16);
	assert_non_null(strstr(ctlrun_out, "2027-03-26 17:00Z"));
	assert_non_null(strstr(ctlrun_out, "2027-03-27 17:00Z"));
	assert_non_null(strstr(ctlrun_out, "2027-04-02 16:00Z"));
	assert_non_null(strstr(ctlrun_out, "2027-04-24 16:00Z"));
	assert_null(strstr(ctlrun_out, "2027-04-02 17:00Z"));
	assert_null(strstr(ctlrun_out, "2027-03-26 16:00Z"));
	/* And as JSON, one slot per line. */
	ctlrun_ran(ctlrun(&registry.wn_agent1, "--json slot list --queue ctl-weekend --series %s", series), 0);
	assert_true(json_lines(ctlrun_out));
	assert_int_equal(json_ints(ctlrun_out, "starts_unix_ms", starts, 64), 16);
}

static void seats_and_swaps_through_batonctl(void **state)
{
	char from[32], to[32], slot[64], claim[64], swap[64], taken[64];
	int64_t d = swapfix_day(20);
	(void)state;

	iso(d + 8 * SWAPFIX_HOUR, from, sizeof(from));
	iso(d + 16 * SWAPFIX_HOUR, to, sizeof(to));
	ctlrun_ran(ctlrun(&registry.lead, "--json slot add --queue ctl-swap --language pl --seats 1 --start %s --end %s"
	                        " --open-to warsaw-nights --release-cutoff-h none", from, to),
	    0);
	assert_true(json_lines(ctlrun_out));
	json_str(ctlrun_out, "id", slot, sizeof(slot));
	assert_non_null(strstr(ctlrun_out, "\"seats\":1"));

	ctlrun_ran(ctlrun(&registry.wn_agent1, "--json slot claim %s", slot), 0);
	json_str(ctlrun_out, "id", claim, sizeof(claim));
	assert_non_null(strstr(ctlrun_out, "\"handle\":\"wn-agent1\""));
	ctlrun_ran(ctlrun(&registry.wn_agent1, "slot show %s", slot), 0);
	assert_non_null(strstr(ctlrun_out, "1 of 1 taken (full)"));
	assert_non_null(strstr(ctlrun_out, "wn-agent1"));
	/* Full: a second claim fails with the server's status. */
	ctlrun_ran(ctlrun(&registry.wn_agent2, "slot claim %s", slot), 1);
	assert_non_null(strstr(ctlrun_err, "FAILED_PRECONDITION"));
	assert_non_null(strstr(ctlrun_err, "is full"));

	ctlrun_ran(ctlrun(&registry.wn_agent1, "--json swap offer %s --note 'family dinner'", claim), 0);
	json_str(ctlrun_out, "id", swap, sizeof(swap));
	assert_non_null(strstr(ctlrun_out, "\"state\":\"offered\""));
	ctlrun_ran(ctlrun(&registry.wn_agent2, "swap list"), 0);
	assert_non_null(strstr(ctlrun_out, swap));
	assert_non_null(strstr(ctlrun_out, "offered"));
	ctlrun_ran(ctlrun(&registry.wn_agent2, "--json swap take %s", swap), 0);
	assert_true(json_lines(ctlrun_out));
	assert_non_null(strstr(ctlrun_out, "\"state\":\"done\""));
	assert_non_null(strstr(ctlrun_out, "\"claim\":{"));
	json_str(strstr(ctlrun_out, "\"claim\":{"), "id", taken, sizeof(taken));
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE id = '%s' AND via_swap = '%s'", taken, swap), 1);
	assert_non_null(strstr(ctlrun_out, "\"handle\":\"wn-agent2\""));
	assert_int_equal(swapfix_holds(slot, registry.wn_agent2.id), 1);
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 0);
	/* Taken again: refused, exit 1. */
	ctlrun_ran(ctlrun(&registry.wn_agent2, "swap take %s", swap), 1);
	assert_non_null(strstr(ctlrun_err, "FAILED_PRECONDITION"));

	ctlrun_ran(ctlrun(&registry.wn_agent2, "swap undo %s", swap), 0);
	assert_non_null(strstr(ctlrun_out, "undone"));
	assert_int_equal(swapfix_holds(slot, registry.wn_agent1.id), 1);
	ctlrun_ran(ctlrun(&registry.wn_agent1, "slot release %s --reason 'cannot make it'", slot), 0);
	assert_non_null(strstr(ctlrun_out, "released"));
	ctlrun_ran(ctlrun(&registry.wn_agent1, "--json slot claims --released"), 0);
	assert_true(json_lines(ctlrun_out));
	assert_non_null(strstr(ctlrun_out, claim));
	assert_int_equal(swapfix_seats_taken(slot), 0);

	/* A slot whose swaps the holder's manager approves: rejected once,
	 * approved the second time. */
	iso(d + SWAPFIX_DAY + 8 * SWAPFIX_HOUR, from, sizeof(from));
	iso(d + SWAPFIX_DAY + 16 * SWAPFIX_HOUR, to, sizeof(to));
	ctlrun_ran(ctlrun(&registry.lead, "--json slot add --queue ctl-swap --language pl --seats 1 --start %s --end %s"
	                        " --open-to warsaw-nights --swap-approval manager", from, to),
	    0);
	json_str(ctlrun_out, "id", slot, sizeof(slot));
	assert_non_null(strstr(ctlrun_out, "\"swap_approval\":\"manager\""));
	ctlrun_ran(ctlrun(&registry.wn_agent1, "slot claim %s", slot), 0);
	ctlrun_ran(ctlrun(&registry.wn_agent1, "--json swap offer %s", slot), 0);
	json_str(ctlrun_out, "id", swap, sizeof(swap));
	ctlrun_ran(ctlrun(&registry.wn_agent2, "swap take %s", swap), 0);
	assert_non_null(strstr(ctlrun_out, "awaiting_approval"));
	assert_non_null(strstr(ctlrun_out, "waiting for approval by the holder's manager"));
	ctlrun_ran(ctlrun(&registry.wn_agent2, "swap approve %s", swap), 1);
	assert_non_null(strstr(ctlrun_err, "PERMISSION_DENIED"));
	ctlrun_ran(ctlrun(&registry.wn_mgr, "swap reject %s --note 'not this week'", swap), 0);
	assert_non_null(strstr(ctlrun_out, "offered"));
	ctlrun_ran(ctlrun(&registry.wn_agent2, "swap take %s", swap), 0);
	ctlrun_ran(ctlrun(&registry.wn_mgr, "--json swap approve %s", swap), 0);
	assert_non_null(strstr(ctlrun_out, "\"state\":\"done\""));
	assert_non_null(strstr(ctlrun_out, "\"decided_by\":\"wn-manager\""));
	assert_int_equal(swapfix_holds(slot, registry.wn_agent2.id), 1);
	ctlrun_ran(ctlrun(&registry.wn_agent1, "swap list --state all --slot %s", slot), 0);
	assert_non_null(strstr(ctlrun_out, swap));
	assert_non_null(strstr(ctlrun_out, "done"));
}

static void oncall_through_batonctl(void **state)
{
	long long from[8], to[8];
	char line[64];
	(void)state;

	swapfix_person(registry.admin, "in-house", "ctl-lead2", "lead");
	ctlrun_ran(ctlrun(&registry.lead, "oncall rotation add ctl-rot --tz Europe/Warsaw --start '2027-03-01 09:00'"
	                        " --turn-hours 24 --members hq-lead,ctl-lead2"),
	    0);
	assert_non_null(strstr(ctlrun_out, "ctl-rot"));
	assert_non_null(strstr(ctlrun_out, "hq-lead,ctl-lead2"));

	/* 2027-03-27 is hq-lead's turn (23 h: 08:00Z to 07:00Z), then ctl-lead2's. */
	ctlrun_ran(ctlrun(&registry.hq_mgr, "oncall who --at 2027-03-27T08:00Z"), 0);
	assert_non_null(strstr(ctlrun_out, "hq-lead"));
	assert_non_null(strstr(ctlrun_out, "2027-03-27 08:00Z"));
	assert_non_null(strstr(ctlrun_out, "2027-03-28 07:00Z"));
	ctlrun_ran(ctlrun(&registry.lead, "--json oncall who --at 2027-03-28T07:00Z"), 0);
	assert_true(json_lines(ctlrun_out));
	assert_non_null(strstr(ctlrun_out, "\"handle\":\"ctl-lead2\""));
	assert_int_equal(json_ints(ctlrun_out, "from_unix_ms", from, 8), 1);
	assert_int_equal(json_ints(ctlrun_out, "to_unix_ms", to, 8), 1);
	assert_int_equal(from[0], swapfix_utc(2027, 3, 28, 7, 0));
	assert_int_equal(to[0], swapfix_utc(2027, 3, 29, 7, 0));

	ctlrun_ran(ctlrun(&registry.lead, "oncall override add ctl-rot --action replace --who hq-lead --with ctl-lead2"
	                        " --from 2027-03-27T10:00Z --to 2027-03-27T12:00Z --note dentist"),
	    0);
	assert_non_null(strstr(ctlrun_out, "replace hq-lead with ctl-lead2"));
	ctlrun_ran(ctlrun(&registry.lead, "oncall who --at 2027-03-27T11:00Z"), 0);
	assert_non_null(strstr(ctlrun_out, "ctl-lead2"));
	assert_null(strstr(ctlrun_out, "hq-lead "));
	ctlrun_ran(ctlrun(&registry.lead, "oncall override add ctl-rot --action remove --who hq-lead"
	                        " --from 2027-03-27T14:00Z --to 2027-03-27T15:00Z"),
	    0);
	ctlrun_ran(ctlrun(&registry.lead, "oncall who --at 2027-03-27T14:30Z"), 0);
	assert_non_null(strstr(ctlrun_out, "nobody is on call at 2027-03-27 14:30Z"));
	assert_non_null(strstr(ctlrun_out, "(gap 2027-03-27 14:00Z - 2027-03-27 15:00Z)"));
	ctlrun_ran(ctlrun(&registry.lead, "oncall who --from 2027-03-27T00:00Z --to 2027-03-28T00:00Z"), 0);
	assert_non_null(strstr(ctlrun_out, "Gaps:"));
	assert_non_null(strstr(ctlrun_out, "  2027-03-27 14:00Z - 2027-03-27 15:00Z"));
	ctlrun_ran(ctlrun(&registry.lead, "oncall rotation list"), 0);
	snprintf(line, sizeof(line), "replace hq-lead with ctl-lead2");
	assert_non_null(strstr(ctlrun_out, line));
	assert_non_null(strstr(ctlrun_out, "remove hq-lead"));
	/* Partners may not ask. */
	ctlrun_ran(ctlrun(&registry.wn_mgr, "oncall who --at 2027-03-27T11:00Z"), 1);
	assert_non_null(strstr(ctlrun_err, "PERMISSION_DENIED"));
}

/* "%-20s  %-16s %-8s %6d %8d %6s": one row of the coverage table. */
static void coverage_row(char *buf, size_t len, int64_t hour_ms, const char *zone, const char *queue,
    const char *lang, int wanted, int claimed)
{
	char when[48], shortfall[16] = "";
	time_t t = (time_t)(hour_ms / 1000);
	struct tm tm;

	if (strcmp(zone, "Asia/Kolkata") == 0)
		t += 5 * 3600 + 1800;
	gmtime_r(&t, &tm);
	strftime(when, sizeof(when), "%a %Y-%m-%d %H:%M", &tm);
	if (wanted > claimed)
		snprintf(shortfall, sizeof(shortfall), "%d", wanted - claimed);
	snprintf(buf, len, "%-20s  %-16s %-8s %6d %8d %6s", when, queue, lang, wanted, claimed, shortfall);
}

static void coverage_table_and_json(void **state)
{
	int64_t d = swapfix_day(25);
	char day[16], from[32], to[32], slot[64], row[160];
	long long v[16];
	time_t t = (time_t)(d / 1000);
	struct tm tm;
	(void)state;

	gmtime_r(&t, &tm);
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	ctlrun_ran(ctlrun(&registry.lead, "--json slot add --queue ctl-cov --language pl --seats 2 --on %s --from 10:00"
	                        " --to 12:00 --tz UTC --open-to warsaw-nights", day),
	    0);
	json_str(ctlrun_out, "id", slot, sizeof(slot));
	ctlrun_ran(ctlrun(&registry.wn_agent1, "slot claim %s", slot), 0);

	iso(d + 9 * SWAPFIX_HOUR, from, sizeof(from));
	iso(d + 13 * SWAPFIX_HOUR, to, sizeof(to));
	ctlrun_ran(ctlrun(&registry.lead, "coverage --from %s --to %s --queue ctl-cov", from, to), 0);
	assert_non_null(strstr(ctlrun_out, "WANTED"));
	coverage_row(row, sizeof(row), d + 10 * SWAPFIX_HOUR, "UTC", "ctl-cov", "pl", 2, 1);
	if (strstr(ctlrun_out, row) == NULL)
		print_error("no row '%s' in:\n%s\n", row, ctlrun_out);
	assert_non_null(strstr(ctlrun_out, row));
	coverage_row(row, sizeof(row), d + 11 * SWAPFIX_HOUR, "UTC", "ctl-cov", "pl", 2, 1);
	assert_non_null(strstr(ctlrun_out, row));
	assert_int_equal(lines_with(ctlrun_out, " ctl-cov "), 2);
	assert_non_null(strstr(ctlrun_out, "ctl-cov/pl"));
	assert_non_null(strstr(ctlrun_out, "short up to 1 (2 seat-hours)"));

	ctlrun_ran(ctlrun(&registry.lead, "--json coverage --from %s --to %s --queue ctl-cov", from, to), 0);
	assert_true(json_lines(ctlrun_out));
	assert_int_equal(json_ints(ctlrun_out, "hour_unix_ms", v, 16), 2);
	assert_int_equal(v[0], d + 10 * SWAPFIX_HOUR);
	assert_int_equal(v[1], d + 11 * SWAPFIX_HOUR);
	assert_int_equal(json_ints(ctlrun_out, "wanted", v, 16), 2);
	assert_int_equal(v[0], 2);
	assert_int_equal(json_ints(ctlrun_out, "claimed", v, 16), 2);
	assert_int_equal(v[0], 1);
	assert_int_equal(json_ints(ctlrun_out, "short_max", v, 16), 1);
	assert_int_equal(v[0], 1);
	assert_int_equal(json_ints(ctlrun_out, "seat_hours_short", v, 16), 1);
	assert_int_equal(v[0], 2);
	assert_non_null(strstr(ctlrun_out, "\"oncall_gaps\":["));

	/* Hours of a zone half an hour off UTC, shown in it. */
	iso(d + 9 * SWAPFIX_HOUR + 30 * SWAPFIX_MIN, from, sizeof(from));
	iso(d + 12 * SWAPFIX_HOUR + 30 * SWAPFIX_MIN, to, sizeof(to));
	ctlrun_ran(ctlrun(&registry.lead, "coverage --from %s --to %s --queue ctl-cov --tz Asia/Kolkata", from, to), 0);
	coverage_row(row, sizeof(row), d + 9 * SWAPFIX_HOUR + 30 * SWAPFIX_MIN, "Asia/Kolkata", "ctl-cov", "pl", 2, 1);
	if (strstr(ctlrun_out, row) == NULL)
		print_error("no row '%s' in:\n%s\n", row, ctlrun_out);
	assert_non_null(strstr(ctlrun_out, row));
	assert_int_equal(lines_with(ctlrun_out, " ctl-cov "), 3);
	/* Partners may not see coverage. */
	ctlrun_ran(ctlrun(&registry.wn_mgr, "coverage --from %s --to %s", from, to), 1);
	assert_non_null(strstr(ctlrun_err, "PERMISSION_DENIED"));
}

static void usage_errors_exit_2_and_help_exits_0(void **state)
{
	static const char *const bad[] = {
		"slot",
		"slot frobnicate",
		"slot add --language pl --seats 2 --start now+1d --end now+2d",
		"slot add --queue q --language pl --seats 0 --start now+1d --end now+2d",
		"slot add --queue q --language pl --seats 2 --start now+2d --end now+1d",
		"slot add --queue q --language pl --seats 2 --start 2027-01-01T10:00 --end now+2d",
		"slot add --queue q --language pl --seats 2 --on 2027-02-30 --from 10:00 --to 12:00 --tz UTC",
		"slot add --queue q --language pl --seats 2 --start now+1d --end now+2d --swap-approval boss",
		"slot publish --queue q --language pl --seats 2 --days funday --from 18:00 --to 02:00 --tz UTC --weeks 2",
		"slot publish --queue q --language pl --seats 2 --days fri --from 18:00 --to 02:00 --tz UTC --weeks 53",
		"slot claim",
		"slot list --limit 0",
		"swap",
		"swap take",
		"swap reject 00000000-0000-0000-0000-000000000000",
		"swap list --state bogus",
		"oncall",
		"oncall rotation add r --tz UTC --start 2027-01-01 --turn-hours 24 --members a",
		"oncall rotation add r --tz UTC --start '2027-01-01 09:00' --turn-hours 0 --members a",
		"oncall override add r --action swap --who a --from now+1h --to now+2h",
		"oncall override add r --action replace --who a --from now+1h --to now+2h",
		"oncall who --at yesterday",
		"oncall who --at now --from now --to now+1h",
		"coverage --from now",
		"coverage --from now --to now-1h",
		"coverage --from now --to now+1h --tz Mars/Olympus",
		"coverage --from now --to now+1h --bogus",
	};
	static const char *const help[] = {
		"slot --help", "slot add --help", "slot publish --help", "slot claim --help", "swap --help",
		"swap take --help", "oncall --help", "oncall rotation add --help", "oncall override add --help",
		"oncall who --help", "coverage --help",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = ctlrun(&registry.lead, "%s", bad[i]);
		if (rc != 2)
			print_error("batonctl %s: exit %d, want 2 (stderr: %s)\n", bad[i], rc, ctlrun_err);
		assert_int_equal(rc, 2);
		if (strstr(ctlrun_err, "batonctl") == NULL && strstr(ctlrun_err, "Usage") == NULL)
			print_error("batonctl %s: no message on stderr: %s\n", bad[i], ctlrun_err);
		assert_true(strstr(ctlrun_err, "batonctl") != NULL || strstr(ctlrun_err, "Usage") != NULL);
	}
	for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++) {
		ctlrun_ran(ctlrun(NULL, "%s", help[i]), 0);
		assert_non_null(strstr(ctlrun_out, "Usage: batonctl"));
	}
	ctlrun_ran(ctlrun(NULL, "--help"), 0);
	assert_non_null(strstr(ctlrun_out, "coverage"));
	assert_non_null(strstr(ctlrun_out, "swap"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(weekly_slots_keep_their_local_hours_across_dst, registry_cleanup),
		cmocka_unit_test_teardown(seats_and_swaps_through_batonctl, registry_cleanup),
		cmocka_unit_test_teardown(oncall_through_batonctl, registry_cleanup),
		cmocka_unit_test_teardown(coverage_table_and_json, registry_cleanup),
		cmocka_unit_test_teardown(usage_errors_exit_2_and_help_exits_0, registry_cleanup),
	};
	return cmocka_run_group_tests_name("integration: shifts through batonctl", tests, registry_setup,
	    swapfix_teardown);
}
