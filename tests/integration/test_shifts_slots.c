/* test_shifts_slots.c - tries to break the life of a slot (real batond, real PostgreSQL): adding by instants and by wall clock across DST, bad input, weekly publication, edits that would break a holder, cancelling with holders, and the events each leaves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <time.h>

#include <cmocka.h>

#include <baton/client.h>

#include "baton/v1/shifts.pb-c.h"
#include "registry.h"
#include "shiftfix.h"

/* ms since the epoch of a UTC date and time. */
static int64_t utc_ms(int year, int month, int day, int hour, int minute)
{
	struct tm t = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = hour, .tm_min = minute };
	return (int64_t)timegm(&t) * 1000;
}

/* "YYYY-MM-DD" of ms in UTC. */
static void utc_day(int64_t ms, char out[16])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

/* AddSlot in local form; on OK the reply (caller frees). */
static baton_status slot_add_local(const char *day, const char *start, const char *end, const char *tz,
    Baton__V1__AddSlotReply **out, char *msg, size_t msg_len)
{
	Baton__V1__AddSlotRequest req = BATON__V1__ADD_SLOT_REQUEST__INIT;

	req.queue = "nights";
	req.language = "pl";
	req.local_day = (char *)day;
	req.local_start = (char *)start;
	req.local_end = (char *)end;
	req.time_zone = (char *)tz;
	req.seats = 2;
	return shiftfix_call(registry.lead.client, SH_ADD_SLOT, &req.base, &baton__v1__add_slot_reply__descriptor,
	    (ProtobufCMessage **)out, msg, msg_len);
}

/* EditSlot of slot changing one field (what); the request's other fields as e. */
static baton_status slot_edit(baton_client *c, const char *slot, const char *what, Baton__V1__EditSlotRequest *e,
    char *msg, size_t msg_len)
{
	char *change[1] = { (char *)what };

	e->slot = (char *)slot;
	e->change = change;
	e->n_change = 1;
	return shiftfix_call(c, SH_EDIT_SLOT, &e->base, NULL, NULL, msg, msg_len);
}

/* ---- 7a. adding ---------------------------------------------------------------------- */

static void a_slot_by_instants_is_what_was_asked(void **state)
{
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .queue = "billing.eu", .language = "pl", .starts_ms = w, .ends_ms = w + 24 * SH_HOUR_MS,
		.seats = 7, .orgs = "warsaw-nights,sol-latino", .kinds = "overflow", .swap_approval = "manager",
		.note = "Black Friday" };
	Baton__V1__ShowSlotReply *show;
	char slot[40], msg[512];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot); /* exactly 24 h is allowed */
	assert_int_equal(shiftfix_show(registry.lead.client, slot, &show, msg, sizeof(msg)), BATON_OK);
	assert_string_equal(show->slot->queue, "billing.eu");
	assert_string_equal(show->slot->language, "pl");
	assert_int_equal(show->slot->starts_unix_ms, w);
	assert_int_equal(show->slot->ends_unix_ms, w + 24 * SH_HOUR_MS);
	assert_int_equal(show->slot->seats, 7);
	assert_int_equal(show->slot->seats_taken, 0);
	assert_int_equal(show->slot->n_open_to_orgs, 2);
	assert_int_equal(show->slot->n_open_to_kinds, 1);
	assert_string_equal(show->slot->open_to_kinds[0], "overflow");
	assert_string_equal(show->slot->swap_approval, "manager");
	assert_int_equal(show->slot->release_cutoff_s, 24 * 3600); /* 0: the server's default */
	assert_string_equal(show->slot->note, "Black Friday");
	assert_int_equal(show->slot->cancelled_unix_ms, 0);
	assert_string_equal(show->slot->series_id, "");
	baton__v1__show_slot_reply__free_unpacked(show, NULL);
	assert_int_equal(shiftfix_events_signed("slot.added", slot, registry.lead.id), 1);

	/* Organizations by id are listed by name. */
	spec = (shiftfix_slot){ .starts_ms = w + 2 * SH_HOUR_MS, .ends_ms = w + 3 * SH_HOUR_MS, .orgs = registry.sl_id };
	shiftfix_slot_must(registry.lead.client, &spec, slot);
	assert_int_equal(shiftfix_show(registry.sl_agent1.client, slot, &show, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(show->slot->n_open_to_orgs, 1);
	assert_string_equal(show->slot->open_to_orgs[0], "sol-latino");
	baton__v1__show_slot_reply__free_unpacked(show, NULL);

	/* Defaults: approval "none"; a cut-off of -1 means none at all. */
	spec = (shiftfix_slot){ .starts_ms = w + SH_HOUR_MS, .ends_ms = w + 2 * SH_HOUR_MS, .cutoff_s = -1 };
	shiftfix_slot_must(registry.admin, &spec, slot);
	assert_int_equal(shiftfix_show(registry.lead.client, slot, &show, msg, sizeof(msg)), BATON_OK);
	assert_string_equal(show->slot->swap_approval, "none");
	assert_int_equal(show->slot->release_cutoff_s, 0);
	baton__v1__show_slot_reply__free_unpacked(show, NULL);
	assert_int_equal(shiftfix_events_signed("slot.added", slot, registry.admin_id), 1);
}

static void a_slot_by_wall_clock_follows_the_zones_dst(void **state)
{
	static const struct {
		const char *day, *start, *end, *tz;
		int64_t     starts, ends;
	} cases[] = {
		/* Europe/Warsaw is UTC+2 from 2027-03-28 03:00 local, UTC+1 before. */
		{ "2027-03-29", "18:00", "02:00", "Europe/Warsaw", 0, 0 },
		{ "2027-03-26", "18:00", "02:00", "Europe/Warsaw", 0, 0 },
		/* The night the clocks go forward: 18:00 to 18:00 is 23 h. */
		{ "2027-03-27", "18:00", "18:00", "Europe/Warsaw", 0, 0 },
		{ "2027-03-29", "08:00", "16:00", "America/Bogota", 0, 0 },
	};
	const int64_t want[][2] = {
		{ utc_ms(2027, 3, 29, 16, 0), utc_ms(2027, 3, 30, 0, 0) },
		{ utc_ms(2027, 3, 26, 17, 0), utc_ms(2027, 3, 27, 1, 0) },
		{ utc_ms(2027, 3, 27, 17, 0), utc_ms(2027, 3, 28, 16, 0) },
		{ utc_ms(2027, 3, 29, 13, 0), utc_ms(2027, 3, 29, 21, 0) },
	};
	Baton__V1__AddSlotReply *rep;
	char msg[512];
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		baton_status s = slot_add_local(cases[i].day, cases[i].start, cases[i].end, cases[i].tz, &rep, msg, sizeof(msg));
		if (s != BATON_OK)
			print_error("%s %s-%s %s: %s: %s\n", cases[i].day, cases[i].start, cases[i].end, cases[i].tz,
			    baton_status_str(s), msg);
		assert_int_equal(s, BATON_OK);
		if (rep->slot->starts_unix_ms != want[i][0] || rep->slot->ends_unix_ms != want[i][1])
			print_error("%s %s-%s %s: got [%lld, %lld), want [%lld, %lld)\n", cases[i].day, cases[i].start,
			    cases[i].end, cases[i].tz, (long long)rep->slot->starts_unix_ms, (long long)rep->slot->ends_unix_ms,
			    (long long)want[i][0], (long long)want[i][1]);
		assert_int_equal(rep->slot->starts_unix_ms, want[i][0]);
		assert_int_equal(rep->slot->ends_unix_ms, want[i][1]);
		assert_int_equal(registry_sqln("SELECT count(*) FROM slot WHERE id = '%s'"
		                               " AND lower(during) = to_timestamp(%lld / 1000.0)"
		                               " AND upper(during) = to_timestamp(%lld / 1000.0)",
		                     rep->slot->id, (long long)want[i][0], (long long)want[i][1]), 1);
		baton__v1__add_slot_reply__free_unpacked(rep, NULL);
	}
}

static void the_default_cut_off_is_the_servers(void **state)
{
	const char *flags[] = { "--release-cutoff-hours=2", NULL };
	fixture_person *agent = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-default-cut", "agent");
	harness_batond *other = registry_extra_start(registry.pg.conninfo, flags, true);
	baton_client *lead = registry_client_for(other, registry.lead.key_file);
	int64_t soon = shiftfix_now_ms() / SH_MINUTE_MS * SH_MINUTE_MS;
	shiftfix_slot in_3h = { .language = "pl", .starts_ms = soon + 3 * SH_HOUR_MS, .ends_ms = soon + 4 * SH_HOUR_MS };
	shiftfix_slot in_90min = { .language = "pl", .starts_ms = soon + 90 * SH_MINUTE_MS,
		.ends_ms = soon + 150 * SH_MINUTE_MS };
	Baton__V1__ShowSlotReply *show;
	char late[40], early[40], claim[40], msg[512];
	(void)state;

	shiftfix_slot_must(lead, &in_3h, early);
	shiftfix_slot_must(lead, &in_90min, late);
	assert_int_equal(shiftfix_show(registry.lead.client, early, &show, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(show->slot->release_cutoff_s, 2 * 3600);
	baton__v1__show_slot_reply__free_unpacked(show, NULL);
	/* The slot keeps the cut-off it was made with, whichever server is asked. */
	shiftfix_claim_must(agent->client, early, "", claim);
	shiftfix_expect("three hours ahead, a 2 h cut-off", shiftfix_release(agent->client, claim, "", msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	shiftfix_claim_must(agent->client, late, "", claim);
	shiftfix_expect("ninety minutes ahead, a 2 h cut-off", shiftfix_release(agent->client, claim, "", msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, "cut-off");
	assert_int_equal(harness_batond_stop(other, SIGTERM, 15000), 0);
}

/* ---- 7b. bad input --------------------------------------------------------------------- */

enum { ZERO = -1000000 }; /* seats: really 0 (0 in the table means 1) */

typedef struct bad_slot {
	const char  *queue, *language;
	int          instants;          /* 0: none; 1: [w, w + minutes); 2: ended two hours ago */
	int          minutes;           /* length when instants is 1 (0: 120) */
	bool         empty;             /* starts == ends */
	const char  *day, *start, *end, *tz; /* local form when day is set */
	int32_t      seats;
	const char  *org, *kind, *approval;
	int64_t      cutoff_s;
	bool         long_note;
	baton_status want;
	const char  *says; /* the message names the bad value */
} bad_slot;

static const bad_slot bad_slots[] = {
	{ .queue = "Billing", .instants = 1, .want = BATON_INVALID_ARGUMENT, .says = "Billing" },
	{ .queue = "", .instants = 1, .want = BATON_INVALID_ARGUMENT },
	{ .queue = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", .instants = 1,
	  .want = BATON_INVALID_ARGUMENT },
	{ .language = "polish!", .instants = 1, .want = BATON_INVALID_ARGUMENT, .says = "polish!" },
	{ .language = "", .instants = 1, .want = BATON_INVALID_ARGUMENT },
	{ .seats = ZERO, .instants = 1, .want = BATON_INVALID_ARGUMENT },
	{ .seats = 1001, .instants = 1, .want = BATON_INVALID_ARGUMENT, .says = "1001" },
	{ .seats = -3, .instants = 1, .want = BATON_INVALID_ARGUMENT, .says = "-3" },
	{ .instants = 1, .minutes = -60, .want = BATON_INVALID_ARGUMENT },         /* starts after ends */
	{ .instants = 1, .empty = true, .want = BATON_INVALID_ARGUMENT },
	{ .instants = 1, .minutes = 24 * 60 + 1, .want = BATON_INVALID_ARGUMENT }, /* longer than 24 h */
	{ .instants = 2, .want = BATON_INVALID_ARGUMENT },                         /* already ended */
	{ .instants = 1, .day = "2027-03-29", .start = "18:00", .end = "02:00", .tz = "Europe/Warsaw",
	  .want = BATON_INVALID_ARGUMENT },                                        /* both forms */
	{ .instants = 0, .want = BATON_INVALID_ARGUMENT },                         /* neither */
	{ .day = "2027-03-29", .start = "18:00", .end = "02:00", .tz = "Mars/Olympus", .want = BATON_INVALID_ARGUMENT,
	  .says = "Mars/Olympus" },
	{ .day = "2027-03-29", .start = "18:00", .end = "02:00", .tz = "", .want = BATON_INVALID_ARGUMENT },
	{ .day = "2027-02-30", .start = "18:00", .end = "02:00", .tz = "Europe/Warsaw", .want = BATON_INVALID_ARGUMENT,
	  .says = "2027-02-30" },
	{ .day = "2027-03-29", .start = "25:00", .end = "02:00", .tz = "Europe/Warsaw", .want = BATON_INVALID_ARGUMENT,
	  .says = "25:00" },
	/* The night the clocks go back: 18:00 to 18:00 is 25 h. */
	{ .day = "2027-10-30", .start = "18:00", .end = "18:00", .tz = "Europe/Warsaw", .want = BATON_INVALID_ARGUMENT },
	{ .day = "2025-03-29", .start = "18:00", .end = "02:00", .tz = "Europe/Warsaw", .want = BATON_INVALID_ARGUMENT },
	{ .org = "no-such-org", .instants = 1, .want = BATON_NOT_FOUND, .says = "no-such-org" },
	{ .kind = "franchise", .instants = 1, .want = BATON_INVALID_ARGUMENT, .says = "franchise" },
	{ .approval = "boss", .instants = 1, .want = BATON_INVALID_ARGUMENT, .says = "boss" },
	{ .cutoff_s = -2, .instants = 1, .want = BATON_INVALID_ARGUMENT, .says = "-2" },
	{ .cutoff_s = 31 * 24 * 3600, .instants = 1, .want = BATON_INVALID_ARGUMENT, .says = "2678400" },
	{ .long_note = true, .instants = 1, .want = BATON_INVALID_ARGUMENT },
};

static baton_status bad_slot_add(const bad_slot *b, int64_t w, char *msg, size_t msg_len)
{
	Baton__V1__AddSlotRequest req = BATON__V1__ADD_SLOT_REQUEST__INIT;
	char note[502], *org[1] = { (char *)b->org }, *kind[1] = { (char *)b->kind };
	int64_t now = shiftfix_now_ms();

	memset(note, 'n', sizeof(note) - 1);
	note[sizeof(note) - 1] = '\0';
	req.queue = (char *)(b->queue != NULL ? b->queue : "billing");
	req.language = (char *)(b->language != NULL ? b->language : "en");
	req.seats = b->seats == ZERO ? 0 : b->seats != 0 ? b->seats : 1;
	if (b->instants == 1) {
		req.starts_unix_ms = w;
		req.ends_unix_ms = b->empty ? w : w + (b->minutes != 0 ? b->minutes : 120) * SH_MINUTE_MS;
	} else if (b->instants == 2) {
		req.starts_unix_ms = now - 3 * SH_HOUR_MS;
		req.ends_unix_ms = now - 2 * SH_HOUR_MS;
	}
	if (b->day != NULL) {
		req.local_day = (char *)b->day;
		req.local_start = (char *)b->start;
		req.local_end = (char *)b->end;
		req.time_zone = (char *)b->tz;
	}
	req.open_to_orgs = org;
	req.n_open_to_orgs = b->org != NULL;
	req.open_to_kinds = kind;
	req.n_open_to_kinds = b->kind != NULL;
	req.swap_approval = (char *)(b->approval != NULL ? b->approval : "");
	req.release_cutoff_s = b->cutoff_s;
	req.note = b->long_note ? note : "";
	return shiftfix_call(registry.lead.client, SH_ADD_SLOT, &req.base, NULL, NULL, msg, msg_len);
}

static void bad_slots_are_refused_clearly_and_change_nothing(void **state)
{
	char msg[512], what[64], snap[256], again[256];
	int64_t w = shiftfix_window();
	(void)state;

	shiftfix_snapshot(snap);
	for (size_t i = 0; i < sizeof(bad_slots) / sizeof(bad_slots[0]); i++) {
		snprintf(what, sizeof(what), "bad slot #%zu", i);
		shiftfix_expect(what, bad_slot_add(&bad_slots[i], w, msg, sizeof(msg)), msg, bad_slots[i].want,
		    bad_slots[i].says);
	}
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);
}

/* PublishWeekly of days (comma-separated) from first_day for weeks weeks, 18:00-02:00 in tz; the reply on OK. */
static baton_status publish(const char *days, const char *start, const char *tz, const char *first_day, int weeks,
    Baton__V1__PublishWeeklyReply **out, char *msg, size_t msg_len)
{
	Baton__V1__PublishWeeklyRequest req = BATON__V1__PUBLISH_WEEKLY_REQUEST__INIT;
	char copy[128], *list[8], *save = NULL;

	snprintf(copy, sizeof(copy), "%s", days);
	for (char *t = strtok_r(copy, ",", &save); t != NULL && req.n_days < 8; t = strtok_r(NULL, ",", &save))
		list[req.n_days++] = t;
	req.days = list;
	req.queue = "nights";
	req.language = "en";
	req.local_start = (char *)start;
	req.local_end = "02:00";
	req.time_zone = (char *)tz;
	req.first_day = (char *)first_day;
	req.weeks = weeks;
	req.seats = 2;
	return shiftfix_call(registry.lead.client, SH_PUBLISH_WEEKLY, &req.base,
	    &baton__v1__publish_weekly_reply__descriptor, (ProtobufCMessage **)out, msg, msg_len);
}

static void weekly_publication_keeps_the_wall_clock_across_dst(void **state)
{
	const int64_t starts[] = { utc_ms(2027, 3, 22, 17, 0), utc_ms(2027, 3, 26, 17, 0), utc_ms(2027, 3, 29, 16, 0),
		utc_ms(2027, 4, 2, 16, 0) };
	Baton__V1__PublishWeeklyReply *rep;
	char msg[512], snap[256], again[256];
	long published = shiftfix_events_signed("slot.published", NULL, registry.lead.id);
	(void)state;

	assert_int_equal(publish("mon,fri", "18:00", "Europe/Warsaw", "2027-03-22", 2, &rep, msg, sizeof(msg)), BATON_OK);
	assert_string_not_equal(rep->series_id, "");
	assert_int_equal(rep->n_slots, 4);
	for (size_t i = 0; i < rep->n_slots; i++) {
		assert_int_equal(rep->slots[i]->starts_unix_ms, starts[i]);
		assert_int_equal(rep->slots[i]->ends_unix_ms, starts[i] + 8 * SH_HOUR_MS);
		assert_string_equal(rep->slots[i]->series_id, rep->series_id);
	}
	assert_int_equal(registry_sqln("SELECT count(*) FROM slot WHERE series_id = '%s'", rep->series_id), 4);
	assert_int_equal(shiftfix_events_signed("slot.published", NULL, registry.lead.id), published + 1);
	baton__v1__publish_weekly_reply__free_unpacked(rep, NULL);

	/* Bad publications change nothing. */
	shiftfix_snapshot(snap);
	shiftfix_expect("day funday", publish("mon,funday", "18:00", "Europe/Warsaw", "2027-03-22", 2, NULL, msg,
	                                  sizeof(msg)), msg, BATON_INVALID_ARGUMENT, "funday");
	shiftfix_expect("no days", publish("", "18:00", "Europe/Warsaw", "2027-03-22", 2, NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, NULL);
	shiftfix_expect("0 weeks", publish("mon", "18:00", "Europe/Warsaw", "2027-03-22", 0, NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, NULL);
	shiftfix_expect("53 weeks", publish("mon", "18:00", "Europe/Warsaw", "2027-03-22", 53, NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "53");
	shiftfix_expect("start 7pm", publish("mon", "7pm", "Europe/Warsaw", "2027-03-22", 1, NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "7pm");
	shiftfix_expect("first day 2027-13-01", publish("mon", "18:00", "Europe/Warsaw", "2027-13-01", 1, NULL, msg,
	                                           sizeof(msg)), msg, BATON_INVALID_ARGUMENT, "2027-13-01");
	shiftfix_expect("zone Mars/Olympus", publish("mon", "18:00", "Mars/Olympus", "2027-03-22", 1, NULL, msg,
	                                        sizeof(msg)), msg, BATON_INVALID_ARGUMENT, "Mars/Olympus");
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);
}

/* A pattern half a day away from now's time of day: today's slot either
 * ended hours ago or starts hours from now, and "" publishes from today. */
static void publishing_from_today_skips_what_has_ended(void **state)
{
	Baton__V1__PublishWeeklyRequest req = BATON__V1__PUBLISH_WEEKLY_REQUEST__INIT;
	Baton__V1__PublishWeeklyReply *rep;
	char *days[7] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" }, start[8], end[8], today[16], msg[512];
	int64_t now = shiftfix_now_ms(), midnight = now / SH_DAY_MS * SH_DAY_MS;
	int hour = (int)((now - midnight) / SH_HOUR_MS + 12) % 24;
	int64_t todays_start = midnight + hour * SH_HOUR_MS;
	bool today_ended = todays_start + SH_HOUR_MS <= now;
	(void)state;

	snprintf(start, sizeof(start), "%02d:00", hour);
	snprintf(end, sizeof(end), "%02d:00", (hour + 1) % 24);
	req.queue = "from-today";
	req.language = "en";
	req.days = days;
	req.n_days = 7;
	req.local_start = start;
	req.local_end = end;
	req.time_zone = "UTC";
	req.first_day = "";
	req.weeks = 1;
	req.seats = 1;
	assert_int_equal(shiftfix_call(registry.lead.client, SH_PUBLISH_WEEKLY, &req.base,
	                     &baton__v1__publish_weekly_reply__descriptor, (ProtobufCMessage **)&rep, msg, sizeof(msg)),
	    BATON_OK);
	/* At midnight "today" is either day; the next run decides. */
	if (shiftfix_now_ms() / SH_DAY_MS * SH_DAY_MS != midnight) {
		baton__v1__publish_weekly_reply__free_unpacked(rep, NULL);
		return;
	}
	assert_int_equal(rep->n_slots, today_ended ? 6 : 7);
	assert_int_equal(rep->slots[0]->starts_unix_ms, todays_start + (today_ended ? SH_DAY_MS : 0));
	for (size_t i = 1; i < rep->n_slots; i++)
		assert_int_equal(rep->slots[i]->starts_unix_ms, rep->slots[i - 1]->starts_unix_ms + SH_DAY_MS);
	utc_day(midnight, today);
	assert_int_equal(registry_sqln("SELECT count(*) FROM slot_series WHERE id = '%s' AND first_day = '%s'",
	                     rep->series_id, today), 1);
	baton__v1__publish_weekly_reply__free_unpacked(rep, NULL);
}

/* ---- 7c. editing ------------------------------------------------------------------------- */

static void seats_never_drop_below_those_taken(void **state)
{
	Baton__V1__EditSlotRequest e = BATON__V1__EDIT_SLOT_REQUEST__INIT;
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS, .seats = 3 };
	char slot[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot);
	shiftfix_claim_must(registry.wn_agent1.client, slot, "", NULL);
	shiftfix_claim_must(registry.wn_agent2.client, slot, "", NULL);
	shiftfix_snapshot(snap);
	e.seats = 1;
	shiftfix_expect("seats 3 -> 1 with 2 taken", slot_edit(registry.lead.client, slot, "seats", &e, msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, NULL);
	e.seats = 0;
	shiftfix_expect("seats 0", slot_edit(registry.lead.client, slot, "seats", &e, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, NULL);
	shiftfix_expect("a time change without a time", slot_edit(registry.lead.client, slot, "time", &e, msg, sizeof(msg)),
	    msg, BATON_INVALID_ARGUMENT, NULL);
	shiftfix_expect("a field that is not there", slot_edit(registry.lead.client, slot, "colour", &e, msg, sizeof(msg)),
	    msg, BATON_INVALID_ARGUMENT, "colour");
	e.seats = 5;
	shiftfix_expect("an agent editing", slot_edit(registry.wn_agent1.client, slot, "seats", &e, msg, sizeof(msg)), msg,
	    BATON_PERMISSION_DENIED, NULL);
	shiftfix_expect("a manager editing", slot_edit(registry.wn_mgr.client, slot, "seats", &e, msg, sizeof(msg)), msg,
	    BATON_PERMISSION_DENIED, NULL);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);

	shiftfix_expect("seats 3 -> 5", slot_edit(registry.lead.client, slot, "seats", &e, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	e.seats = 2;
	shiftfix_expect("seats 5 -> 2 with 2 taken", slot_edit(registry.lead.client, slot, "seats", &e, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	assert_int_equal(registry_sqln("SELECT seats * 100 + seats_taken FROM slot WHERE id = '%s'", slot), 202);
	assert_int_equal(shiftfix_events_signed("slot.edited", slot, registry.lead.id), 2);
	shiftfix_expect("a full slot after the edit", shiftfix_claim(registry.sl_mgr.client, slot, "", NULL, msg,
	                                                   sizeof(msg)), msg, BATON_FAILED_PRECONDITION, NULL);
}

static void moving_a_slot_moves_its_claims_unless_a_holder_would_overlap(void **state)
{
	fixture_person *south = shiftfix_person(registry.admin, "cap-south", "cs-mover", "agent");
	Baton__V1__EditSlotRequest e = BATON__V1__EDIT_SLOT_REQUEST__INIT;
	int64_t w = shiftfix_window();
	shiftfix_slot moving = { .starts_ms = w, .ends_ms = w + 3 * SH_HOUR_MS, .seats = 3 };
	shiftfix_slot other = { .starts_ms = w + 5 * SH_HOUR_MS, .ends_ms = w + 7 * SH_HOUR_MS };
	char slot[40], blocker[40], wn_claim[40], south_claim[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &moving, slot);
	shiftfix_slot_must(registry.lead.client, &other, blocker);
	shiftfix_claim_must(registry.wn_agent1.client, slot, "", wn_claim);
	shiftfix_claim_must(south->client, slot, "", south_claim);
	shiftfix_claim_must(registry.wn_agent1.client, blocker, "", NULL);

	e.starts_unix_ms = w + SH_HOUR_MS;
	e.ends_unix_ms = w + 4 * SH_HOUR_MS;
	shiftfix_expect("an hour later", slot_edit(registry.lead.client, slot, "time", &e, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim c JOIN slot s ON s.id = c.slot_id WHERE s.id = '%s'"
	                               " AND c.released_at IS NULL AND c.during = s.during"
	                               " AND lower(s.during) = to_timestamp(%lld / 1000.0)", slot, (long long)(w + SH_HOUR_MS)),
	    2);
	assert_int_equal(shiftfix_events_signed("slot.edited", slot, registry.lead.id), 1);
	assert_int_equal(shiftfix_events_signed("claim.slot_changed", wn_claim, registry.lead.id), 1);
	assert_int_equal(shiftfix_events_of_org("claim.slot_changed", wn_claim, registry.wn_id), 1);
	assert_int_equal(shiftfix_events_of_org("claim.slot_changed", south_claim, shiftfix_south_id), 1);

	/* Into wn-agent1's other shift: refused, naming them; nothing moves. */
	shiftfix_snapshot(snap);
	e.starts_unix_ms = w + 4 * SH_HOUR_MS;
	e.ends_unix_ms = w + 6 * SH_HOUR_MS;
	shiftfix_expect("a move onto a holder's other shift", slot_edit(registry.lead.client, slot, "time", &e, msg,
	                                                          sizeof(msg)), msg, BATON_FAILED_PRECONDITION, "wn-agent1");
	/* Language and openness the holders no longer fit. */
	e.language = "es";
	shiftfix_expect("a language warsaw-nights does not speak", slot_edit(registry.lead.client, slot, "language", &e,
	                                                                 msg, sizeof(msg)), msg, BATON_FAILED_PRECONDITION, NULL);
	char *only_south[1] = { "cap-south" };
	e.open_to_orgs = only_south;
	e.n_open_to_orgs = 1;
	shiftfix_expect("closing the slot to a holder's organization", slot_edit(registry.lead.client, slot, "open_to", &e,
	                                                                  msg, sizeof(msg)), msg, BATON_FAILED_PRECONDITION, NULL);
	e.starts_unix_ms = w + 2 * SH_HOUR_MS;
	e.ends_unix_ms = w + SH_HOUR_MS;
	shiftfix_expect("a move that ends before it starts", slot_edit(registry.lead.client, slot, "time", &e, msg,
	                                                         sizeof(msg)), msg, BATON_INVALID_ARGUMENT, NULL);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);

	/* Once wn-agent1 has gone, closing it to warsaw-nights is fine. */
	shiftfix_expect("releasing", shiftfix_release(registry.wn_agent1.client, wn_claim, "", msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	shiftfix_expect("closing to warsaw-nights", slot_edit(registry.lead.client, slot, "open_to", &e, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	shiftfix_expect("warsaw-nights cannot see it now", shiftfix_show(registry.wn_agent1.client, slot, NULL, msg,
	                                                       sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
}

static void started_cancelled_and_ended_slots_keep_their_time(void **state)
{
	Baton__V1__EditSlotRequest e = BATON__V1__EDIT_SLOT_REQUEST__INIT;
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .language = "es", .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS, .seats = 2 };
	char started[40], ended[40], cancelled[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, started);
	spec.starts_ms += 3 * SH_HOUR_MS;
	spec.ends_ms += 3 * SH_HOUR_MS;
	shiftfix_slot_must(registry.lead.client, &spec, ended);
	spec.starts_ms += 3 * SH_HOUR_MS;
	spec.ends_ms += 3 * SH_HOUR_MS;
	shiftfix_slot_must(registry.lead.client, &spec, cancelled);
	shiftfix_claim_must(registry.sl_agent1.client, started, "", NULL);
	assert_int_equal(shiftfix_cancel(registry.lead.client, cancelled, false, NULL, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(registry_sqln("WITH u AS (UPDATE slot SET during = CASE WHEN id = '%s'"
	                               " THEN tstzrange(now() - interval '1 hour', now() + interval '1 hour')"
	                               " ELSE tstzrange(now() - interval '3 hours', now() - interval '2 hours') END"
	                               " WHERE id IN ('%s', '%s') RETURNING 1) SELECT count(*) FROM u",
	                     started, started, ended), 2);

	shiftfix_snapshot(snap);
	e.starts_unix_ms = w + 20 * SH_HOUR_MS;
	e.ends_unix_ms = w + 21 * SH_HOUR_MS;
	shiftfix_expect("moving a started slot", slot_edit(registry.lead.client, started, "time", &e, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("moving an ended slot", slot_edit(registry.lead.client, ended, "time", &e, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	e.note = "late note";
	shiftfix_expect("a note on an ended slot", slot_edit(registry.lead.client, ended, "note", &e, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("a note on a cancelled slot", slot_edit(registry.lead.client, cancelled, "note", &e, msg,
	                                                  sizeof(msg)), msg, BATON_FAILED_PRECONDITION, NULL);
	e.seats = 5;
	shiftfix_expect("seats of a cancelled slot", slot_edit(registry.lead.client, cancelled, "seats", &e, msg,
	                                                 sizeof(msg)), msg, BATON_FAILED_PRECONDITION, NULL);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);
	/* A running shift still takes a note. */
	shiftfix_expect("a note on a started slot", slot_edit(registry.lead.client, started, "note", &e, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
}

/* ---- 7d. cancelling ------------------------------------------------------------------------- */

static void cancelling_releases_every_seat_and_tells_each_holder(void **state)
{
	fixture_person *south = shiftfix_person(registry.admin, "cap-south", "cs-cancelled", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .starts_ms = w, .ends_ms = w + 4 * SH_HOUR_MS, .seats = 4 };
	Baton__V1__OfferSwapRequest offer = BATON__V1__OFFER_SWAP_REQUEST__INIT;
	Baton__V1__CancelSlotReply *rep;
	Baton__V1__ListSlotsReply *l;
	char slot[40], claims[3][40], msg[512], snap[256], again[256];
	const char *orgs[3] = { registry.wn_id, registry.wn_id, shiftfix_south_id };
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot);
	shiftfix_claim_must(registry.wn_agent1.client, slot, "", claims[0]);
	shiftfix_claim_must(registry.wn_mgr.client, slot, "wn-agent2", claims[1]);
	shiftfix_claim_must(south->client, slot, "", claims[2]);
	shiftfix_expect("an agent cancelling", shiftfix_cancel(registry.wn_agent1.client, slot, false, NULL, msg,
	                                           sizeof(msg)), msg, BATON_PERMISSION_DENIED, NULL);
	shiftfix_expect("a manager cancelling", shiftfix_cancel(registry.wn_mgr.client, slot, false, NULL, msg, sizeof(msg)),
	    msg, BATON_PERMISSION_DENIED, NULL);

	/* One holder has offered their seat; the cancellation withdraws the offer. */
	offer.claim = claims[2];
	shiftfix_expect("an offer before the cancellation", shiftfix_call(south->client, SH_OFFER_SWAP,
	                                                         &offer.base, NULL, NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);

	assert_int_equal(shiftfix_cancel(registry.lead.client, slot, false, &rep, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(registry_sqln("SELECT count(*) FROM swap WHERE claim_id = '%s' AND state = 'withdrawn'", claims[2]),
	    1);
	assert_int_equal(rep->claims_released, 3);
	assert_int_equal(rep->n_slots, 1);
	assert_string_equal(rep->slots[0]->id, slot);
	assert_true(rep->slots[0]->cancelled_unix_ms > 0);
	assert_int_equal(rep->slots[0]->seats_taken, 0);
	baton__v1__cancel_slot_reply__free_unpacked(rep, NULL);
	assert_int_equal(shiftfix_seats_taken(slot), 0);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND released_at IS NOT NULL"
	                               " AND released_reason LIKE 'slot cancelled%%' AND released_by = '%s'",
	                     slot, registry.lead.id), 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(shiftfix_events_signed("claim.cancelled", claims[i], registry.lead.id), 1);
		assert_int_equal(shiftfix_events_of_org("claim.cancelled", claims[i], orgs[i]), 1);
	}
	assert_int_equal(shiftfix_events_signed("slot.cancelled", slot, registry.lead.id), 1);

	shiftfix_snapshot(snap);
	shiftfix_expect("cancelling twice", shiftfix_cancel(registry.lead.client, slot, false, NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("claiming a cancelled slot", shiftfix_claim(registry.wn_agent1.client, slot, "", NULL, msg,
	                                                 sizeof(msg)), msg, BATON_FAILED_PRECONDITION, NULL);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);

	assert_int_equal(shiftfix_list(registry.lead.client, w, w + SH_DAY_MS, false, &l, msg, sizeof(msg)), BATON_OK);
	assert_false(shiftfix_listed(l, slot));
	baton__v1__list_slots_reply__free_unpacked(l, NULL);
	assert_int_equal(shiftfix_list(registry.lead.client, w, w + SH_DAY_MS, true, &l, msg, sizeof(msg)), BATON_OK);
	assert_true(shiftfix_listed(l, slot));
	baton__v1__list_slots_reply__free_unpacked(l, NULL);
}

static void cancelling_the_rest_of_a_series_spares_earlier_and_started_slots(void **state)
{
	fixture_person *first = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-series1", "agent");
	fixture_person *second = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-series2", "agent");
	Baton__V1__PublishWeeklyReply *series, *other;
	Baton__V1__CancelSlotReply *rep;
	char first_day[16], msg[512], held[40], running[40];
	(void)state;

	/* Seven daily slots from a week from now, and another series beside them. */
	utc_day(shiftfix_now_ms() + 7 * SH_DAY_MS, first_day);
	assert_int_equal(publish("mon,tue,wed,thu,fri,sat,sun", "10:00", "UTC", first_day, 1, &series, msg, sizeof(msg)),
	    BATON_OK);
	assert_int_equal(series->n_slots, 7);
	assert_int_equal(publish("mon,tue,wed,thu,fri,sat,sun", "03:00", "UTC", first_day, 1, &other, msg, sizeof(msg)),
	    BATON_OK);
	shiftfix_claim_must(first->client, series->slots[3]->id, "", held);
	shiftfix_claim_must(second->client, series->slots[4]->id, "", running);
	/* The fifth has started (moved behind batond's back; its claim moves along). */
	assert_int_equal(registry_sqln("WITH u AS (UPDATE slot SET during = tstzrange(now() - interval '1 hour',"
	                               " now() + interval '1 hour') WHERE id = '%s' RETURNING 1) SELECT count(*) FROM u",
	                     series->slots[4]->id), 1);

	assert_int_equal(shiftfix_cancel(registry.lead.client, series->slots[2]->id, true, &rep, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(rep->n_slots, 4);
	assert_int_equal(rep->claims_released, 1);
	baton__v1__cancel_slot_reply__free_unpacked(rep, NULL);
	for (size_t i = 0; i < 7; i++) {
		bool want = i == 2 || i == 3 || i == 5 || i == 6;
		assert_int_equal(registry_sqln("SELECT count(*) FROM slot WHERE id = '%s' AND cancelled_at IS NOT NULL",
		                     series->slots[i]->id), want);
	}
	assert_int_equal(registry_sqln("SELECT count(*) FROM slot WHERE series_id = '%s' AND cancelled_at IS NOT NULL",
	                     other->series_id), 0);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE id = '%s' AND released_at IS NOT NULL", held), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE id = '%s' AND released_at IS NULL", running), 1);
	assert_int_equal(shiftfix_events_of_org("claim.cancelled", held, registry.wn_id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE kind = 'slot.cancelled' AND subject_id IN"
	                               " (SELECT id::text FROM slot WHERE series_id = '%s') AND octet_length(signature) = 64",
	                     series->series_id), 4);
	baton__v1__publish_weekly_reply__free_unpacked(series, NULL);
	baton__v1__publish_weekly_reply__free_unpacked(other, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(a_slot_by_instants_is_what_was_asked, shiftfix_cleanup),
		cmocka_unit_test_teardown(a_slot_by_wall_clock_follows_the_zones_dst, shiftfix_cleanup),
		cmocka_unit_test_teardown(the_default_cut_off_is_the_servers, shiftfix_cleanup),
		cmocka_unit_test_teardown(bad_slots_are_refused_clearly_and_change_nothing, shiftfix_cleanup),
		cmocka_unit_test_teardown(weekly_publication_keeps_the_wall_clock_across_dst, shiftfix_cleanup),
		cmocka_unit_test_teardown(publishing_from_today_skips_what_has_ended, shiftfix_cleanup),
		cmocka_unit_test_teardown(seats_never_drop_below_those_taken, shiftfix_cleanup),
		cmocka_unit_test_teardown(moving_a_slot_moves_its_claims_unless_a_holder_would_overlap, shiftfix_cleanup),
		cmocka_unit_test_teardown(started_cancelled_and_ended_slots_keep_their_time, shiftfix_cleanup),
		cmocka_unit_test_teardown(cancelling_releases_every_seat_and_tells_each_holder, shiftfix_cleanup),
		cmocka_unit_test_teardown(cancelling_the_rest_of_a_series_spares_earlier_and_started_slots, shiftfix_cleanup),
	};
	return cmocka_run_group_tests_name("integration: shifts, slots", tests, shiftfix_setup, shiftfix_teardown);
}
