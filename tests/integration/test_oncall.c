/* test_oncall.c - tries to break the lead on-call rotation (real batond, real PostgreSQL): hand-offs at wall-clock time across a DST change, overrides, gaps, levels, bad input, who may ask. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <baton/client.h>

#include "baton/v1/oncall.pb-c.h"
#include "fixture.h"
#include "harness.h"
#include "registry.h"
#include "swapfix.h"

/*
 * The calendar (Europe/Warsaw: CET = UTC+1 until 2027-03-28 02:00, then
 * CEST = UTC+2):
 *   "primary", level 1: oc-lead1, oc-lead2 take 24 h turns from
 *     2027-03-01 09:00 local (08:00Z): on 2027-03-d the turn from 09:00
 *     local is oc-lead1's when d is odd, oc-lead2's when even.
 *   "backup", level 2: oc-lead3 alone, weekly turns from 2027-04-20 09:00.
 * Overrides go on 03-15 (add), 03-17 (replace), 03-19 (remove); the DST
 * checks use other days. Nothing is on call before 03-01 08:00Z.
 */
static fixture_person *lead1, *lead2, *lead3;
static char            primary_id[40], backup_id[40];

#define UTC(mo, d, h, mi) swapfix_utc(2027, (mo), (d), (h), (mi))

static int setup(void **state)
{
	char why[512];
	baton_status s;

	if (registry_setup(state) != 0)
		return -1;
	lead1 = swapfix_person(registry.admin, "in-house", "oc-lead1", "lead");
	lead2 = swapfix_person(registry.admin, "in-house", "oc-lead2", "lead");
	lead3 = swapfix_person(registry.admin, "in-house", "oc-lead3", "lead");
	swapfix_person(registry.admin, "in-house", "oc-gone", "lead");
	if (registry_principal_disable(registry.admin, "oc-gone", NULL, why, sizeof(why)) != BATON_OK) {
		fprintf(stderr, "DisablePrincipal oc-gone: %s\n", why);
		return -1;
	}
	s = swapfix_rotation_add(registry.lead.client, "primary", 1, "Europe/Warsaw", "2027-03-01 09:00", 24,
	    "oc-lead1,oc-lead2", primary_id, why, sizeof(why));
	if (s == BATON_OK)
		s = swapfix_rotation_add(registry.lead.client, "backup", 2, "Europe/Warsaw", "2027-04-20 09:00", 168,
		    "oc-lead3", backup_id, why, sizeof(why));
	if (s != BATON_OK) {
		fprintf(stderr, "AddRotation: %s: %s\n", baton_status_str(s), why);
		return -1;
	}
	return 0;
}

/* ---- helpers ------------------------------------------------------------------ */

static void print_who(const char *what, const Baton__V1__WhoReply *w)
{
	char from[32], to[32];

	print_message("%s: %zu on call, %zu gaps\n", what, w->n_on_call, w->n_gaps);
	for (size_t i = 0; i < w->n_on_call; i++) {
		snprintf(from, sizeof(from), "%lld", (long long)w->on_call[i]->from_unix_ms);
		snprintf(to, sizeof(to), "%lld", (long long)w->on_call[i]->to_unix_ms);
		print_message("  %s L%d %s [%s, %s)\n", w->on_call[i]->rotation, w->on_call[i]->level,
		    w->on_call[i]->handle, from, to);
	}
	for (size_t i = 0; i < w->n_gaps; i++)
		print_message("  gap [%lld, %lld)\n", (long long)w->gaps[i]->from_unix_ms, (long long)w->gaps[i]->to_unix_ms);
}

/* Who at at must name exactly handle in "primary", for [from, to), and no gap. */
static void on_call_alone(int64_t at, const char *handle, int64_t from, int64_t to)
{
	Baton__V1__WhoReply *w = NULL;
	char why[512];

	swapfix_expect(swapfix_who(registry.lead.client, at, 0, &w, why, sizeof(why)), BATON_OK, why);
	if (w->n_on_call != 1 || strcmp(w->on_call[0]->handle, handle) != 0 || w->on_call[0]->from_unix_ms != from ||
	    w->on_call[0]->to_unix_ms != to || w->n_gaps != 0) {
		print_error("at %lld: want %s [%lld, %lld)\n", (long long)at, handle, (long long)from, (long long)to);
		print_who("got", w);
	}
	assert_int_equal(w->n_on_call, 1);
	assert_string_equal(w->on_call[0]->handle, handle);
	assert_string_equal(w->on_call[0]->rotation, "primary");
	assert_int_equal(w->on_call[0]->level, 1);
	assert_int_equal(w->on_call[0]->from_unix_ms, from);
	assert_int_equal(w->on_call[0]->to_unix_ms, to);
	assert_int_equal(w->n_gaps, 0);
	baton__v1__who_reply__free_unpacked(w, NULL);
}

/* Whether the reply has a span of handle for exactly [from, to). */
static bool has_span(const Baton__V1__WhoReply *w, const char *handle, int64_t from, int64_t to)
{
	for (size_t i = 0; i < w->n_on_call; i++)
		if (strcmp(w->on_call[i]->handle, handle) == 0 && w->on_call[i]->from_unix_ms == from &&
		    w->on_call[i]->to_unix_ms == to)
			return true;
	return false;
}

/* The "primary" span at at: its handle (64 bytes) and range. */
static void primary_at(int64_t at, char *handle, int64_t *from, int64_t *to)
{
	Baton__V1__WhoReply *w = NULL;
	char why[512];
	int found = 0;

	swapfix_expect(swapfix_who(registry.lead.client, at, 0, &w, why, sizeof(why)), BATON_OK, why);
	for (size_t i = 0; i < w->n_on_call; i++)
		if (strcmp(w->on_call[i]->rotation, "primary") == 0) {
			found++;
			snprintf(handle, 64, "%s", w->on_call[i]->handle);
			*from = w->on_call[i]->from_unix_ms;
			*to = w->on_call[i]->to_unix_ms;
		}
	if (found != 1)
		print_who("primary", w);
	assert_int_equal(found, 1);
	baton__v1__who_reply__free_unpacked(w, NULL);
}

static long events_of(const char *method, const char *actor_id)
{
	return registry_sqln("SELECT count(*) FROM event WHERE method = '%s' AND actor_id = '%s'"
	                     " AND length(signature) = 64", method, actor_id);
}

/* ---- cases ---------------------------------------------------------------------- */

static void rotations_are_listed_with_members_in_order(void **state)
{
	Baton__V1__ListRotationsRequest req = BATON__V1__LIST_ROTATIONS_REQUEST__INIT;
	Baton__V1__ListRotationsReply *l = NULL;
	char why[512];
	int seen = 0;
	(void)state;

	for (int who = 0; who < 2; who++) {
		baton_client *c = who == 0 ? registry.lead.client : registry.hq_mgr.client;
		swapfix_expect(shiftfix_call(c, SWAPFIX_ONCALL("ListRotations"), &req.base,
		                   &baton__v1__list_rotations_reply__descriptor, (ProtobufCMessage **)&l, why, sizeof(why)),
		    BATON_OK, why);
		for (size_t i = 0; i < l->n_rotations; i++) {
			const Baton__V1__Rotation *r = l->rotations[i];
			if (strcmp(r->name, "primary") == 0) {
				seen++;
				assert_string_equal(r->id, primary_id);
				assert_int_equal(r->level, 1);
				assert_string_equal(r->time_zone, "Europe/Warsaw");
				assert_string_equal(r->starts_local, "2027-03-01 09:00");
				assert_int_equal(r->turn_hours, 24);
				assert_int_equal(r->n_members, 2);
				assert_string_equal(r->members[0], "oc-lead1");
				assert_string_equal(r->members[1], "oc-lead2");
			} else if (strcmp(r->name, "backup") == 0) {
				seen++;
				assert_string_equal(r->id, backup_id);
				assert_int_equal(r->level, 2);
				assert_int_equal(r->turn_hours, 168);
				assert_int_equal(r->n_members, 1);
				assert_string_equal(r->members[0], "oc-lead3");
			}
		}
		baton__v1__list_rotations_reply__free_unpacked(l, NULL);
	}
	assert_int_equal(seen, 4);
	/* Level 0 means 1; 672 h (four weeks) is the longest turn. Far in the
	 * future, so no other case sees it. */
	swapfix_expect(swapfix_rotation_add(registry.lead.client, "far-later", 0, "UTC", "2029-01-01 00:00", 672,
	                   "oc-lead3", NULL, why, sizeof(why)),
	    BATON_OK, why);
	assert_int_equal(registry_sqln("SELECT level FROM rotation WHERE name = 'far-later'"), 1);
	assert_int_equal(registry_sqln("SELECT extract(epoch FROM turn)::bigint / 3600 FROM rotation"
	                               " WHERE name = 'far-later'"), 672);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND actor_id = '%s'"
	                               " AND length(signature) = 64", primary_id, registry.lead.id), 1);
	assert_int_equal(events_of(SWAPFIX_ONCALL("AddRotation"), registry.lead.id), 3);
}

static void hand_offs_stay_at_nine_local_across_the_dst_change(void **state)
{
	Baton__V1__WhoReply *w = NULL;
	char why[512];
	(void)state;

	/* Winter: 09:00 CET is 08:00Z. */
	on_call_alone(UTC(3, 1, 8, 0), "oc-lead1", UTC(3, 1, 8, 0), UTC(3, 2, 8, 0));
	on_call_alone(UTC(3, 5, 7, 59), "oc-lead2", UTC(3, 4, 8, 0), UTC(3, 5, 8, 0));
	on_call_alone(UTC(3, 5, 8, 0), "oc-lead1", UTC(3, 5, 8, 0), UTC(3, 6, 8, 0));
	on_call_alone(UTC(3, 27, 7, 59), "oc-lead2", UTC(3, 26, 8, 0), UTC(3, 27, 8, 0));
	/* The turn across the change is 23 h: 09:00 CET to 09:00 CEST. */
	on_call_alone(UTC(3, 27, 8, 0), "oc-lead1", UTC(3, 27, 8, 0), UTC(3, 28, 7, 0));
	on_call_alone(UTC(3, 28, 6, 59), "oc-lead1", UTC(3, 27, 8, 0), UTC(3, 28, 7, 0));
	/* Summer: 09:00 CEST is 07:00Z. */
	on_call_alone(UTC(3, 28, 7, 0), "oc-lead2", UTC(3, 28, 7, 0), UTC(3, 29, 7, 0));
	on_call_alone(UTC(3, 28, 8, 0), "oc-lead2", UTC(3, 28, 7, 0), UTC(3, 29, 7, 0));
	on_call_alone(UTC(3, 29, 6, 59), "oc-lead2", UTC(3, 28, 7, 0), UTC(3, 29, 7, 0));
	on_call_alone(UTC(3, 29, 7, 0), "oc-lead1", UTC(3, 29, 7, 0), UTC(3, 30, 7, 0));
	on_call_alone(UTC(4, 10, 7, 30), "oc-lead1", UTC(4, 10, 7, 0), UTC(4, 11, 7, 0));

	/* Back to CET on 2027-10-31: the turn from 09:00 CEST (07:00Z) on 10-30
	 * lasts 25 h, to 09:00 CET (08:00Z). */
	{
		char who[64], next[64];
		int64_t from, to, from2, to2;
		primary_at(UTC(10, 31, 7, 30), who, &from, &to);
		assert_int_equal(from, UTC(10, 30, 7, 0));
		assert_int_equal(to, UTC(10, 31, 8, 0));
		primary_at(UTC(10, 31, 8, 0), next, &from2, &to2);
		assert_string_not_equal(next, who);
		assert_int_equal(from2, UTC(10, 31, 8, 0));
		assert_int_equal(to2, UTC(11, 1, 8, 0));
	}

	/* The same as a range: every hand-off inside it, no gap. */
	swapfix_expect(swapfix_who(registry.lead.client, UTC(3, 27, 0, 0), UTC(3, 30, 0, 0), &w, why, sizeof(why)),
	    BATON_OK, why);
	if (!has_span(w, "oc-lead1", UTC(3, 27, 8, 0), UTC(3, 28, 7, 0)) ||
	    !has_span(w, "oc-lead2", UTC(3, 28, 7, 0), UTC(3, 29, 7, 0)) || w->n_gaps != 0)
		print_who("2027-03-27 .. 03-30", w);
	assert_true(has_span(w, "oc-lead1", UTC(3, 27, 8, 0), UTC(3, 28, 7, 0)));
	assert_true(has_span(w, "oc-lead2", UTC(3, 28, 7, 0), UTC(3, 29, 7, 0)));
	assert_int_equal(w->n_on_call, 4);
	assert_int_equal(w->n_gaps, 0);
	baton__v1__who_reply__free_unpacked(w, NULL);
}

static void before_the_first_hand_off_nobody_is_on_call(void **state)
{
	Baton__V1__WhoReply *w = NULL;
	char why[512];
	int64_t at = UTC(2, 15, 12, 0);
	(void)state;

	swapfix_expect(swapfix_who(registry.lead.client, at, 0, &w, why, sizeof(why)), BATON_OK, why);
	if (w->n_on_call != 0 || w->n_gaps != 1)
		print_who("2027-02-15 12:00Z", w);
	assert_int_equal(w->n_on_call, 0);
	assert_int_equal(w->n_gaps, 1);
	assert_true(w->gaps[0]->from_unix_ms <= at);
	assert_int_equal(w->gaps[0]->to_unix_ms, UTC(3, 1, 8, 0));
	baton__v1__who_reply__free_unpacked(w, NULL);

	swapfix_expect(swapfix_who(registry.lead.client, UTC(2, 27, 0, 0), UTC(3, 2, 0, 0), &w, why, sizeof(why)),
	    BATON_OK, why);
	if (w->n_gaps != 1 || w->n_on_call != 1)
		print_who("2027-02-27 .. 03-02", w);
	assert_int_equal(w->n_gaps, 1);
	assert_int_equal(w->gaps[0]->from_unix_ms, UTC(2, 27, 0, 0));
	assert_int_equal(w->gaps[0]->to_unix_ms, UTC(3, 1, 8, 0));
	assert_int_equal(w->n_on_call, 1);
	assert_string_equal(w->on_call[0]->handle, "oc-lead1");
	assert_int_equal(w->on_call[0]->from_unix_ms, UTC(3, 1, 8, 0));
	baton__v1__who_reply__free_unpacked(w, NULL);
}

static void overrides_add_replace_and_remove_people(void **state)
{
	Baton__V1__ListRotationsRequest lr = BATON__V1__LIST_ROTATIONS_REQUEST__INIT;
	Baton__V1__ListRotationsReply *l = NULL;
	Baton__V1__WhoReply *w = NULL;
	char why[512];
	long before = events_of(SWAPFIX_ONCALL("AddOverride"), registry.lead.id);
	(void)state;

	/* add: oc-lead3 beside oc-lead1 on 03-15 10:00-14:00Z. */
	swapfix_expect(swapfix_override_add(registry.lead.client, "primary", "add", "oc-lead3", NULL, UTC(3, 15, 10, 0),
	                   UTC(3, 15, 14, 0), why, sizeof(why)),
	    BATON_OK, why);
	swapfix_expect(swapfix_who(registry.lead.client, UTC(3, 15, 12, 0), 0, &w, why, sizeof(why)), BATON_OK, why);
	if (w->n_on_call != 2)
		print_who("03-15 12:00Z", w);
	assert_int_equal(w->n_on_call, 2);
	assert_string_equal(w->on_call[0]->handle, "oc-lead1");
	assert_int_equal(w->on_call[0]->from_unix_ms, UTC(3, 15, 8, 0));
	assert_int_equal(w->on_call[0]->to_unix_ms, UTC(3, 16, 8, 0));
	assert_string_equal(w->on_call[1]->handle, "oc-lead3");
	assert_int_equal(w->on_call[1]->from_unix_ms, UTC(3, 15, 10, 0));
	assert_int_equal(w->on_call[1]->to_unix_ms, UTC(3, 15, 14, 0));
	assert_int_equal(w->n_gaps, 0);
	baton__v1__who_reply__free_unpacked(w, NULL);
	on_call_alone(UTC(3, 15, 9, 0), "oc-lead1", UTC(3, 15, 8, 0), UTC(3, 16, 8, 0));
	on_call_alone(UTC(3, 15, 14, 0), "oc-lead1", UTC(3, 15, 8, 0), UTC(3, 16, 8, 0));

	/* replace: oc-lead3 instead of oc-lead1 on 03-17 10:00-12:00Z. */
	swapfix_expect(swapfix_override_add(registry.lead.client, primary_id, "replace", "oc-lead1", "oc-lead3",
	                   UTC(3, 17, 10, 0), UTC(3, 17, 12, 0), why, sizeof(why)),
	    BATON_OK, why);
	on_call_alone(UTC(3, 17, 11, 0), "oc-lead3", UTC(3, 17, 10, 0), UTC(3, 17, 12, 0));
	on_call_alone(UTC(3, 17, 9, 0), "oc-lead1", UTC(3, 17, 8, 0), UTC(3, 17, 10, 0));
	on_call_alone(UTC(3, 17, 12, 0), "oc-lead1", UTC(3, 17, 12, 0), UTC(3, 18, 8, 0));

	/* remove: nobody instead of oc-lead1 on 03-19 10:00-12:00Z, a gap. */
	swapfix_expect(swapfix_override_add(registry.lead.client, "primary", "remove", "oc-lead1", NULL,
	                   UTC(3, 19, 10, 0), UTC(3, 19, 12, 0), why, sizeof(why)),
	    BATON_OK, why);
	swapfix_expect(swapfix_who(registry.lead.client, UTC(3, 19, 11, 0), 0, &w, why, sizeof(why)), BATON_OK, why);
	if (w->n_on_call != 0 || w->n_gaps != 1)
		print_who("03-19 11:00Z", w);
	assert_int_equal(w->n_on_call, 0);
	assert_int_equal(w->n_gaps, 1);
	assert_int_equal(w->gaps[0]->from_unix_ms, UTC(3, 19, 10, 0));
	assert_int_equal(w->gaps[0]->to_unix_ms, UTC(3, 19, 12, 0));
	baton__v1__who_reply__free_unpacked(w, NULL);
	swapfix_expect(swapfix_who(registry.lead.client, UTC(3, 19, 0, 0), UTC(3, 20, 0, 0), &w, why, sizeof(why)),
	    BATON_OK, why);
	if (w->n_gaps != 1)
		print_who("03-19 .. 03-20", w);
	assert_int_equal(w->n_gaps, 1);
	assert_int_equal(w->gaps[0]->from_unix_ms, UTC(3, 19, 10, 0));
	assert_int_equal(w->gaps[0]->to_unix_ms, UTC(3, 19, 12, 0));
	assert_true(has_span(w, "oc-lead1", UTC(3, 19, 8, 0), UTC(3, 19, 10, 0)));
	baton__v1__who_reply__free_unpacked(w, NULL);
	on_call_alone(UTC(3, 19, 12, 0), "oc-lead1", UTC(3, 19, 12, 0), UTC(3, 20, 8, 0));

	/* The rotation lists them; each is an event signed by the lead. */
	swapfix_expect(shiftfix_call(registry.lead.client, SWAPFIX_ONCALL("ListRotations"), &lr.base,
	                   &baton__v1__list_rotations_reply__descriptor, (ProtobufCMessage **)&l, why, sizeof(why)),
	    BATON_OK, why);
	for (size_t i = 0; i < l->n_rotations; i++)
		if (strcmp(l->rotations[i]->name, "primary") == 0) {
			int add = 0, replace = 0, remove = 0;
			assert_int_equal(l->rotations[i]->n_overrides, 3);
			for (size_t k = 0; k < l->rotations[i]->n_overrides; k++) {
				const Baton__V1__Override *o = l->rotations[i]->overrides[k];
				add += strcmp(o->action, "add") == 0 && strcmp(o->principal, "oc-lead3") == 0;
				replace += strcmp(o->action, "replace") == 0 && strcmp(o->replacement, "oc-lead3") == 0;
				remove += strcmp(o->action, "remove") == 0 && o->from_unix_ms == UTC(3, 19, 10, 0);
			}
			assert_int_equal(add + replace + remove, 3);
		}
	baton__v1__list_rotations_reply__free_unpacked(l, NULL);
	assert_int_equal(events_of(SWAPFIX_ONCALL("AddOverride"), registry.lead.id), before + 3);
}

static void two_levels_are_listed_by_level(void **state)
{
	Baton__V1__WhoReply *w = NULL;
	char why[512];
	int64_t at = UTC(4, 25, 12, 0);
	(void)state;

	swapfix_expect(swapfix_who(registry.hq_mgr.client, at, 0, &w, why, sizeof(why)), BATON_OK, why);
	if (w->n_on_call != 2)
		print_who("04-25 12:00Z", w);
	assert_int_equal(w->n_on_call, 2);
	assert_int_equal(w->on_call[0]->level, 1);
	assert_string_equal(w->on_call[0]->rotation, "primary");
	assert_string_equal(w->on_call[0]->handle, "oc-lead2");
	assert_int_equal(w->on_call[0]->from_unix_ms, UTC(4, 25, 7, 0));
	assert_int_equal(w->on_call[0]->to_unix_ms, UTC(4, 26, 7, 0));
	assert_int_equal(w->on_call[1]->level, 2);
	assert_string_equal(w->on_call[1]->rotation, "backup");
	assert_string_equal(w->on_call[1]->handle, "oc-lead3");
	assert_string_equal(w->on_call[1]->principal_id, lead3->id);
	assert_int_equal(w->on_call[1]->from_unix_ms, UTC(4, 20, 7, 0));
	assert_true(w->on_call[1]->to_unix_ms > at);
	assert_int_equal(w->n_gaps, 0);
	baton__v1__who_reply__free_unpacked(w, NULL);
}

static void bad_rotations_and_overrides_change_nothing(void **state)
{
	struct {
		const char *name, *tz, *starts, *members;
		int level, turn;
		baton_status want, or_else;
	} bad[] = {
		{ "Bad Name", "Europe/Warsaw", "2027-05-01 09:00", "oc-lead1", 1, 24, BATON_INVALID_ARGUMENT, 0 },
		{ "", "Europe/Warsaw", "2027-05-01 09:00", "oc-lead1", 1, 24, BATON_INVALID_ARGUMENT, 0 },
		{ "bad-tz", "Mars/Olympus", "2027-05-01 09:00", "oc-lead1", 1, 24, BATON_INVALID_ARGUMENT, 0 },
		{ "bad-start", "Europe/Warsaw", "2027-05-01", "oc-lead1", 1, 24, BATON_INVALID_ARGUMENT, 0 },
		{ "bad-start2", "Europe/Warsaw", "2027-13-01 09:00", "oc-lead1", 1, 24, BATON_INVALID_ARGUMENT, 0 },
		{ "bad-start3", "Europe/Warsaw", "tomorrow", "oc-lead1", 1, 24, BATON_INVALID_ARGUMENT, 0 },
		{ "bad-turn", "Europe/Warsaw", "2027-05-01 09:00", "oc-lead1", 1, 0, BATON_INVALID_ARGUMENT, 0 },
		{ "bad-turn2", "Europe/Warsaw", "2027-05-01 09:00", "oc-lead1", 1, 673, BATON_INVALID_ARGUMENT, 0 },
		{ "bad-level", "Europe/Warsaw", "2027-05-01 09:00", "oc-lead1", 10, 24, BATON_INVALID_ARGUMENT, 0 },
		{ "no-members", "Europe/Warsaw", "2027-05-01 09:00", "", 1, 24, BATON_INVALID_ARGUMENT, 0 },
		{ "agent-member", "Europe/Warsaw", "2027-05-01 09:00", "oc-lead1,wn-agent1", 1, 24,
		    BATON_FAILED_PRECONDITION, 0 },
		{ "partner-manager", "Europe/Warsaw", "2027-05-01 09:00", "wn-manager", 1, 24, BATON_FAILED_PRECONDITION,
		    0 },
		{ "hq-manager", "Europe/Warsaw", "2027-05-01 09:00", "hq-manager", 1, 24, BATON_FAILED_PRECONDITION, 0 },
		{ "nobody", "Europe/Warsaw", "2027-05-01 09:00", "no-such-lead", 1, 24, BATON_NOT_FOUND,
		    BATON_FAILED_PRECONDITION },
		{ "disabled", "Europe/Warsaw", "2027-05-01 09:00", "oc-lead1,oc-gone", 1, 24, BATON_FAILED_PRECONDITION, 0 },
		{ "primary", "Europe/Warsaw", "2027-05-01 09:00", "oc-lead1", 1, 24, BATON_ALREADY_EXISTS, 0 },
	};
	struct {
		const char *rotation, *action, *principal, *replacement;
		int64_t from, to;
		baton_status want, or_else;
	} bad_override[] = {
		{ "no-such-rotation", "add", "oc-lead3", NULL, UTC(5, 1, 0, 0), UTC(5, 2, 0, 0), BATON_NOT_FOUND, 0 },
		{ "primary", "swap", "oc-lead1", NULL, UTC(5, 1, 0, 0), UTC(5, 2, 0, 0), BATON_INVALID_ARGUMENT, 0 },
		{ "primary", "add", "oc-lead3", NULL, UTC(5, 2, 0, 0), UTC(5, 1, 0, 0), BATON_INVALID_ARGUMENT, 0 },
		{ "primary", "add", "oc-lead3", NULL, UTC(5, 2, 0, 0), UTC(5, 2, 0, 0), BATON_INVALID_ARGUMENT, 0 },
		{ "primary", "add", "oc-lead3", NULL, swapfix_now_ms() - 2 * SWAPFIX_HOUR,
		    swapfix_now_ms() - SWAPFIX_HOUR, BATON_INVALID_ARGUMENT, 0 },
		{ "primary", "replace", "oc-lead1", NULL, UTC(5, 1, 0, 0), UTC(5, 2, 0, 0), BATON_INVALID_ARGUMENT, 0 },
		{ "primary", "remove", "oc-lead3", NULL, UTC(5, 1, 0, 0), UTC(5, 2, 0, 0), BATON_INVALID_ARGUMENT,
		    BATON_FAILED_PRECONDITION },
		{ "primary", "replace", "oc-lead3", "oc-lead1", UTC(5, 1, 0, 0), UTC(5, 2, 0, 0), BATON_INVALID_ARGUMENT,
		    BATON_FAILED_PRECONDITION },
		{ "primary", "add", "wn-agent1", NULL, UTC(5, 1, 0, 0), UTC(5, 2, 0, 0), BATON_FAILED_PRECONDITION, 0 },
		{ "primary", "replace", "oc-lead1", "hq-manager", UTC(5, 1, 0, 0), UTC(5, 2, 0, 0),
		    BATON_FAILED_PRECONDITION, 0 },
		{ "primary", "add", "oc-gone", NULL, UTC(5, 1, 0, 0), UTC(5, 2, 0, 0), BATON_FAILED_PRECONDITION, 0 },
	};
	long rotations = registry_sqln("SELECT count(*) FROM rotation");
	long overrides = registry_sqln("SELECT count(*) FROM rotation_override");
	long events = registry_event_count();
	Baton__V1__WhoReply *w = NULL;
	char why[512];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		baton_status s = swapfix_rotation_add(registry.lead.client, bad[i].name, bad[i].level, bad[i].tz,
		    bad[i].starts, bad[i].turn, bad[i].members, NULL, why, sizeof(why));
		if (s != bad[i].want && (bad[i].or_else == 0 || s != bad[i].or_else))
			print_error("AddRotation case %zu (%s): got %s (%s), want %s\n", i, bad[i].name, baton_status_str(s),
			    why, baton_status_str(bad[i].want));
		assert_true(s == bad[i].want || (bad[i].or_else != 0 && s == bad[i].or_else));
	}
	for (size_t i = 0; i < sizeof(bad_override) / sizeof(bad_override[0]); i++) {
		baton_status s = swapfix_override_add(registry.lead.client, bad_override[i].rotation, bad_override[i].action,
		    bad_override[i].principal, bad_override[i].replacement, bad_override[i].from, bad_override[i].to, why,
		    sizeof(why));
		if (s != bad_override[i].want && (bad_override[i].or_else == 0 || s != bad_override[i].or_else))
			print_error("AddOverride case %zu (%s %s): got %s (%s), want %s\n", i, bad_override[i].action,
			    bad_override[i].principal, baton_status_str(s), why, baton_status_str(bad_override[i].want));
		assert_true(s == bad_override[i].want || (bad_override[i].or_else != 0 && s == bad_override[i].or_else));
	}
	/* Who over more than 62 days, or backwards. */
	swapfix_expect(swapfix_who(registry.lead.client, UTC(3, 1, 0, 0), UTC(3, 1, 0, 0) + 63 * SWAPFIX_DAY, &w, why,
	                   sizeof(why)),
	    BATON_INVALID_ARGUMENT, why);
	swapfix_expect(swapfix_who(registry.lead.client, UTC(3, 2, 0, 0), UTC(3, 1, 0, 0), &w, why, sizeof(why)),
	    BATON_INVALID_ARGUMENT, why);
	assert_int_equal(registry_sqln("SELECT count(*) FROM rotation"), rotations);
	assert_int_equal(registry_sqln("SELECT count(*) FROM rotation_override"), overrides);
	assert_int_equal(registry_event_count(), events);
}

static void partners_and_agents_may_not_ask_or_change(void **state)
{
	Baton__V1__ListRotationsRequest lr = BATON__V1__LIST_ROTATIONS_REQUEST__INIT;
	fixture_person *partners[] = { &registry.wn_mgr, &registry.wn_agent1, &registry.sl_mgr, &registry.sl_agent2 };
	fixture_person *not_leads[] = { &registry.wn_agent1, &registry.wn_mgr, &registry.hq_mgr, &registry.integ };
	long rotations = registry_sqln("SELECT count(*) FROM rotation");
	Baton__V1__WhoReply *w = NULL;
	char why[512], name[32];
	(void)state;

	for (size_t i = 0; i < sizeof(partners) / sizeof(partners[0]); i++) {
		swapfix_expect(swapfix_who(partners[i]->client, UTC(3, 5, 12, 0), 0, NULL, why, sizeof(why)),
		    BATON_PERMISSION_DENIED, why);
		swapfix_expect(swapfix_who(partners[i]->client, UTC(3, 5, 0, 0), UTC(3, 6, 0, 0), NULL, why, sizeof(why)),
		    BATON_PERMISSION_DENIED, why);
		swapfix_expect(shiftfix_call(partners[i]->client, SWAPFIX_ONCALL("ListRotations"), &lr.base, NULL, NULL, why,
		                   sizeof(why)),
		    BATON_PERMISSION_DENIED, why);
	}
	for (size_t i = 0; i < sizeof(not_leads) / sizeof(not_leads[0]); i++) {
		snprintf(name, sizeof(name), "rogue-%zu", i);
		swapfix_expect(swapfix_rotation_add(not_leads[i]->client, name, 1, "UTC", "2027-05-01 09:00", 24,
		                   "oc-lead1", NULL, why, sizeof(why)),
		    BATON_PERMISSION_DENIED, why);
		swapfix_expect(swapfix_override_add(not_leads[i]->client, "primary", "add", "oc-lead3", NULL,
		                   UTC(5, 1, 0, 0), UTC(5, 2, 0, 0), why, sizeof(why)),
		    BATON_PERMISSION_DENIED, why);
	}
	assert_int_equal(registry_sqln("SELECT count(*) FROM rotation"), rotations);
	/* In-house people who are not leads may ask. */
	swapfix_expect(swapfix_who(registry.integ.client, UTC(3, 5, 12, 0), 0, &w, why, sizeof(why)), BATON_OK, why);
	assert_int_equal(w->n_on_call, 1);
	baton__v1__who_reply__free_unpacked(w, NULL);
	swapfix_expect(shiftfix_call(registry.hq_mgr.client, SWAPFIX_ONCALL("ListRotations"), &lr.base, NULL, NULL, why,
	                   sizeof(why)),
	    BATON_OK, why);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(rotations_are_listed_with_members_in_order, registry_cleanup),
		cmocka_unit_test_teardown(hand_offs_stay_at_nine_local_across_the_dst_change, registry_cleanup),
		cmocka_unit_test_teardown(before_the_first_hand_off_nobody_is_on_call, registry_cleanup),
		cmocka_unit_test_teardown(overrides_add_replace_and_remove_people, registry_cleanup),
		cmocka_unit_test_teardown(two_levels_are_listed_by_level, registry_cleanup),
		cmocka_unit_test_teardown(bad_rotations_and_overrides_change_nothing, registry_cleanup),
		cmocka_unit_test_teardown(partners_and_agents_may_not_ask_or_change, registry_cleanup),
	};
	return cmocka_run_group_tests_name("integration: on-call", tests, setup, swapfix_teardown);
}
