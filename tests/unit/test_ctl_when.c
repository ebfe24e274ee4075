/* test_ctl_when.c - batonctl's times: parsing T, local days and clock times, wall clock in a zone across DST. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client/ctl.h"

#define NOW_MS     1795802400000LL /* 2026-11-27T18:00:00Z */
#define MINUTE_MS  60000LL
#define HOUR_MS    (60 * MINUTE_MS)
#define DAY_MS     (24 * HOUR_MS)

static void accepted_times(void **state)
{
	static const struct { const char *in; int64_t want; } cases[] = {
		{ "now", NOW_MS },
		{ "now+90m", NOW_MS + 90 * MINUTE_MS },
		{ "now-1h", NOW_MS - HOUR_MS },
		{ "now+3d", NOW_MS + 3 * DAY_MS },
		{ "now-0m", NOW_MS },
		{ "2026-11-27T18:00Z", NOW_MS },
		{ "2026-11-27T18:00:30Z", NOW_MS + 30000 },
		{ "2026-11-27 18:00Z", NOW_MS },
		{ "2026-11-27t18:00z", NOW_MS },
		{ "2026-11-27T18:00:00.250Z", NOW_MS + 250 },
		{ "2026-11-27T18:00:00.5Z", NOW_MS + 500 },
		{ "2026-11-27T19:00+01:00", NOW_MS },
		{ "2026-11-27T19:00+0100", NOW_MS },
		{ "2026-11-27T19:00+01", NOW_MS },
		{ "2026-11-27T13:00-05:00", NOW_MS },
		{ "2026-11-27 23:30+05:30", NOW_MS },
		{ "2026-11-28T00:00+06:00", NOW_MS },
		{ "2024-02-29T12:00Z", 1709208000000LL },
		{ "1970-01-01T00:00Z", 0 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[300] = "";
		int64_t got = -1;
		int rc = ctl_parse_when(cases[i].in, NOW_MS, &got, why, sizeof(why));
		if (rc != 0 || got != cases[i].want)
			fail_msg("'%s': rc %d, got %lld, want %lld (%s)", cases[i].in, rc, (long long)got,
			    (long long)cases[i].want, why);
	}
}

static void refused_times_say_why(void **state)
{
	static const struct { const char *in, *why_has; } cases[] = {
		{ "2026-11-27T18:00", "add Z for UTC or an offset" },
		{ "2026-11-27 18:00:30", "--tz ZONE" },
		{ "2026-11-27", "no time of day" },
		{ "2026-02-30T10:00Z", "not a real date" },
		{ "2025-02-29T10:00Z", "not a real date" },
		{ "2026-11-27T24:00Z", "not a real time" },
		{ "2026-11-27T18:60Z", "not a real time" },
		{ "2026-13-01T00:00Z", "not a real time" },
		{ "1969-12-31T23:00Z", "not a real time" },
		{ "2026-11-27T18:00+1", "bad zone" },
		{ "2026-11-27T18:00+01:00x", "bad zone" },
		{ "2026-11-27T18:00Zjunk", "bad zone" },
		{ "2026-11-27T18:00 Europe/Warsaw", "bad zone" },
		{ "2026-11-27T18Z", "HH:MM" },
		{ "2026-11-27T18:0Z", "HH:MM" },
		{ "2026-11-27T18:00:5Z", "seconds" },
		{ "2026-11-27T18:00.Z", "digits" },
		{ "26-11-27T18:00Z", "not a time" },
		{ "tomorrow", "not a time" },
		{ "", "not a time" },
		{ "now+", "after 'now'" },
		{ "now+5", "after 'now'" },
		{ "now+5x", "after 'now'" },
		{ "now+1h30m", "after 'now'" },
		{ "now 1h", "after 'now'" },
		{ "nowish", "after 'now'" },
		{ "now+99999d", "too far" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char why[300] = "";
		int64_t got = 12345;
		int rc = ctl_parse_when(cases[i].in, NOW_MS, &got, why, sizeof(why));
		if (rc != -1 || got != 12345 || strstr(why, cases[i].why_has) == NULL)
			fail_msg("'%s': rc %d, got %lld, why '%s' (want it to mention '%s')", cases[i].in, rc,
			    (long long)got, why, cases[i].why_has);
		/* The message quotes what was given. */
		assert_non_null(strstr(why, cases[i].in));
	}
}

static void tiny_why_buffer_is_safe(void **state)
{
	char why[8];
	int64_t got;
	(void)state;
	assert_int_equal(ctl_parse_when("2026-11-27T18:00", NOW_MS, &got, why, sizeof(why)), -1);
	assert_int_equal(strlen(why), 7);
	assert_int_equal(ctl_parse_when("bad", NOW_MS, &got, NULL, 0), -1);
}

static void local_days_and_clock_times(void **state)
{
	static const struct { const char *in; bool ok; } days[] = {
		{ "2026-11-27", true }, { "2024-02-29", true }, { "2025-02-29", false }, { "2026-04-31", false },
		{ "2026-00-10", false }, { "2026-1-10", false }, { "2026-11-27 ", false }, { "", false },
		{ "2026-11-27T00:00", false },
	};
	static const struct { const char *in; bool ok; } clocks[] = {
		{ "00:00", true }, { "18:00", true }, { "23:59", true }, { "24:00", false }, { "9:00", false },
		{ "09:60", false }, { "0900", false }, { "09:00:00", false }, { "", false },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(days) / sizeof(days[0]); i++)
		if (ctl_local_day_ok(days[i].in) != days[i].ok)
			fail_msg("day '%s' should be %s", days[i].in, days[i].ok ? "accepted" : "refused");
	for (size_t i = 0; i < sizeof(clocks) / sizeof(clocks[0]); i++)
		if (ctl_local_hhmm_ok(clocks[i].in) != clocks[i].ok)
			fail_msg("clock time '%s' should be %s", clocks[i].in, clocks[i].ok ? "accepted" : "refused");
}

static void zones_known_and_unknown(void **state)
{
	(void)state;
	assert_true(ctl_zone_known("Europe/Warsaw"));
	assert_true(ctl_zone_known("UTC"));
	assert_true(ctl_zone_known("America/Argentina/Buenos_Aires"));
	assert_false(ctl_zone_known("Mars/Olympus_Mons"));
	assert_false(ctl_zone_known("Europe"));           /* a folder, not a zone */
	assert_false(ctl_zone_known("../../etc/passwd")); /* never leaves the database */
	assert_false(ctl_zone_known("/usr/share/zoneinfo/UTC"));
	assert_false(ctl_zone_known(""));
	assert_false(ctl_zone_known(NULL));
}

/* Europe/Warsaw: CET (+01) to CEST (+02) at 01:00Z on 2027-03-28, back at
 * 01:00Z on 2027-10-31. */
static void warsaw_across_dst(void **state)
{
	static const struct { int64_t unix_s; ctl_zone_style style; const char *want; } cases[] = {
		{ 1806193800, CTL_ZONE_NAMED, "Sun 2027-03-28 01:30 CET" },  /* 00:30Z */
		{ 1806197400, CTL_ZONE_NAMED, "Sun 2027-03-28 03:30 CEST" }, /* 01:30Z: 02:xx never happens */
		{ 1824942600, CTL_ZONE_NAMED, "Sun 2027-10-31 02:30 CEST" }, /* 00:30Z */
		{ 1824946200, CTL_ZONE_NAMED, "Sun 2027-10-31 02:30 CET" },  /* 01:30Z: 02:30 again */
		{ 1806197400, CTL_ZONE_LONG, "Sun 2027-03-28 03:30" },
		{ 1806197400, CTL_ZONE_SHORT, "Sun 03:30" },
		{ 1795802400, CTL_ZONE_LONG, "Fri 2026-11-27 19:00" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[64];
		assert_int_equal(ctl_time_in_zone(cases[i].unix_s * 1000, "Europe/Warsaw", cases[i].style, buf,
		    sizeof(buf)), 0);
		assert_string_equal(buf, cases[i].want);
	}
}

static void utc_and_unknown_zone(void **state)
{
	char buf[64];
	(void)state;
	assert_int_equal(ctl_time_in_zone(NOW_MS + 999, "", CTL_ZONE_NAMED, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Fri 2026-11-27 18:00 UTC");
	assert_int_equal(ctl_time_in_zone(NOW_MS, NULL, CTL_ZONE_SHORT, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Fri 18:00");
	assert_int_equal(ctl_time_in_zone(NOW_MS, "UTC", CTL_ZONE_LONG, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Fri 2026-11-27 18:00");
	assert_int_equal(ctl_time_in_zone(NOW_MS, "Mars/Olympus_Mons", CTL_ZONE_LONG, buf, sizeof(buf)), -1);
	assert_string_equal(buf, "");
	ctl_time_iso(NOW_MS + 30000, buf, sizeof(buf));
	assert_string_equal(buf, "2026-11-27T18:00:30Z");
}

/* The process's own TZ (set or not) is what it was before. */
static void tz_is_put_back(void **state)
{
	char buf[64];
	(void)state;
	assert_int_equal(setenv("TZ", "America/New_York", 1), 0);
	assert_int_equal(ctl_time_in_zone(NOW_MS, "Asia/Tokyo", CTL_ZONE_LONG, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "Sat 2026-11-28 03:00");
	assert_string_equal(getenv("TZ"), "America/New_York");
	assert_int_equal(unsetenv("TZ"), 0);
	assert_int_equal(ctl_time_in_zone(NOW_MS, "Asia/Tokyo", CTL_ZONE_LONG, buf, sizeof(buf)), 0);
	assert_null(getenv("TZ"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepted_times),
		cmocka_unit_test(refused_times_say_why),
		cmocka_unit_test(tiny_why_buffer_is_safe),
		cmocka_unit_test(local_days_and_clock_times),
		cmocka_unit_test(zones_known_and_unknown),
		cmocka_unit_test(warsaw_across_dst),
		cmocka_unit_test(utc_and_unknown_zone),
		cmocka_unit_test(tz_is_put_back),
	};
	return cmocka_run_group_tests_name("unit: ctl_when", tests, NULL, NULL);
}
