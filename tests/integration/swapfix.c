/* swapfix.c - calls, instants, people and SQL read-backs shared by the swap, on-call, coverage and batonctl shift tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "shiftfix.h"
#include "swapfix.h"

/* ---- time ------------------------------------------------------------------ */

int64_t swapfix_utc(int year, int month, int day, int hour, int minute)
{
	struct tm tm = { .tm_year = year - 1900, .tm_mon = month - 1, .tm_mday = day, .tm_hour = hour,
		.tm_min = minute };
	return (int64_t)timegm(&tm) * 1000;
}

int64_t swapfix_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t swapfix_day(int days)
{
	/* Today as the program first asked, so a case that runs across
	 * midnight keeps its days. */
	static int64_t today;
	int64_t now;

	if (today == 0) {
		now = swapfix_now_ms();
		today = now - now % SWAPFIX_DAY;
	}
	return today + days * SWAPFIX_DAY;
}

/* ---- people ------------------------------------------------------------------ */

static fixture_person people[48];
static int            n_people;

fixture_person *swapfix_person(baton_client *as, const char *org, const char *handle, const char *role)
{
	fixture_person *p;
	baton_result res;
	baton_status s;

	assert_true(n_people < (int)(sizeof(people) / sizeof(people[0])));
	p = &people[n_people++];
	s = fixture_person_add(as, &registry.srv, registry.pg.dir, org, handle, role, p, &res);
	if (s != BATON_OK)
		print_error("adding %s (%s in %s): %s: %s\n", handle, role, org, baton_status_str(s), res.message);
	baton_result_clear(&res);
	assert_int_equal(s, BATON_OK);
	return p;
}

int swapfix_teardown(void **state)
{
	for (int i = 0; i < n_people; i++)
		fixture_person_close(&people[i]);
	n_people = 0;
	return registry_teardown(state);
}

/* ---- calls ------------------------------------------------------------------- */

/* Splits a comma-separated list in place into at most max strings. */
static size_t split(char *copy, char **out, size_t max)
{
	size_t n = 0;
	char *save = NULL;

	for (char *t = strtok_r(copy, ",", &save); t != NULL && n < max; t = strtok_r(NULL, ",", &save))
		out[n++] = t;
	return n;
}

void swapfix_slot_add(baton_client *c, const swapfix_slot *s, char id[40])
{
	Baton__V1__AddSlotRequest req = BATON__V1__ADD_SLOT_REQUEST__INIT;
	Baton__V1__AddSlotReply *rep = NULL;
	char orgs[256] = "", kinds[256] = "", why[512];
	char *org_v[8], *kind_v[8];
	baton_status st;

	snprintf(orgs, sizeof(orgs), "%s", s->orgs != NULL ? s->orgs : "");
	snprintf(kinds, sizeof(kinds), "%s", s->kinds != NULL ? s->kinds : "");
	req.queue = (char *)s->queue;
	req.language = (char *)s->language;
	req.starts_unix_ms = s->starts;
	req.ends_unix_ms = s->ends;
	req.seats = s->seats;
	req.swap_approval = (char *)(s->approval != NULL ? s->approval : "none");
	req.release_cutoff_s = s->cutoff_s;
	req.open_to_orgs = org_v;
	req.n_open_to_orgs = split(orgs, org_v, 8);
	req.open_to_kinds = kind_v;
	req.n_open_to_kinds = split(kinds, kind_v, 8);
	st = shiftfix_call(c, SWAPFIX_SHIFTS("AddSlot"), &req.base, &baton__v1__add_slot_reply__descriptor,
	    (ProtobufCMessage **)&rep, why, sizeof(why));
	if (st != BATON_OK)
		print_error("AddSlot %s/%s: %s: %s\n", s->queue, s->language, baton_status_str(st), why);
	assert_int_equal(st, BATON_OK);
	assert_non_null(rep->slot);
	snprintf(id, 40, "%s", rep->slot->id);
	baton__v1__add_slot_reply__free_unpacked(rep, NULL);
}

baton_status swapfix_claim(baton_client *c, const char *slot, const char *for_principal, char *claim_id,
    char *why, size_t why_len)
{
	Baton__V1__ClaimSeatRequest req = BATON__V1__CLAIM_SEAT_REQUEST__INIT;
	Baton__V1__ClaimSeatReply *rep = NULL;
	baton_status s;

	req.slot = (char *)slot;
	req.for_principal = (char *)(for_principal != NULL ? for_principal : "");
	s = shiftfix_call(c, SWAPFIX_SHIFTS("ClaimSeat"), &req.base, &baton__v1__claim_seat_reply__descriptor,
	    (ProtobufCMessage **)&rep, why, why_len);
	if (s == BATON_OK) {
		assert_non_null(rep->claim);
		if (claim_id != NULL)
			snprintf(claim_id, 40, "%s", rep->claim->id);
		baton__v1__claim_seat_reply__free_unpacked(rep, NULL);
	}
	return s;
}

baton_status swapfix_release(baton_client *c, const char *claim, char *why, size_t why_len)
{
	Baton__V1__ReleaseSeatRequest req = BATON__V1__RELEASE_SEAT_REQUEST__INIT;

	req.claim = (char *)claim;
	req.for_principal = "";
	req.reason = "test";
	return shiftfix_call(c, SWAPFIX_SHIFTS("ReleaseSeat"), &req.base, NULL, NULL, why, why_len);
}

baton_status swapfix_offer(baton_client *c, const char *claim, const char *to, char *swap_id, char *why,
    size_t why_len)
{
	Baton__V1__OfferSwapRequest req = BATON__V1__OFFER_SWAP_REQUEST__INIT;
	Baton__V1__OfferSwapReply *rep = NULL;
	baton_status s;

	req.claim = (char *)claim;
	req.to = (char *)(to != NULL ? to : "");
	req.note = "test offer";
	s = shiftfix_call(c, SWAPFIX_SHIFTS("OfferSwap"), &req.base, &baton__v1__offer_swap_reply__descriptor,
	    (ProtobufCMessage **)&rep, why, why_len);
	if (s == BATON_OK) {
		assert_non_null(rep->swap);
		if (swap_id != NULL)
			snprintf(swap_id, 40, "%s", rep->swap->id);
		baton__v1__offer_swap_reply__free_unpacked(rep, NULL);
	}
	return s;
}

/* Calls method and hands the reply to *out, or frees it when out is NULL. */
static baton_status call_out(baton_client *c, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc, void *out, char *why, size_t why_len)
{
	ProtobufCMessage *rep = NULL;
	baton_status s = shiftfix_call(c, method, req, desc, &rep, why, why_len);

	if (out != NULL)
		*(ProtobufCMessage **)out = rep;
	else if (rep != NULL)
		protobuf_c_message_free_unpacked(rep, NULL);
	return s;
}

baton_status swapfix_take(baton_client *c, const char *swap, const char *for_principal,
    Baton__V1__TakeSwapReply **out, char *why, size_t why_len)
{
	Baton__V1__TakeSwapRequest req = BATON__V1__TAKE_SWAP_REQUEST__INIT;

	req.swap = (char *)swap;
	req.for_principal = (char *)(for_principal != NULL ? for_principal : "");
	return call_out(c, SWAPFIX_SHIFTS("TakeSwap"), &req.base, &baton__v1__take_swap_reply__descriptor, out, why,
	    why_len);
}

baton_status swapfix_decide(baton_client *c, const char *swap, bool reject, Baton__V1__DecideSwapReply **out,
    char *why, size_t why_len)
{
	Baton__V1__DecideSwapRequest req = BATON__V1__DECIDE_SWAP_REQUEST__INIT;

	req.swap = (char *)swap;
	req.reject = reject;
	req.note = reject ? "no" : "yes";
	return call_out(c, SWAPFIX_SHIFTS("DecideSwap"), &req.base, &baton__v1__decide_swap_reply__descriptor, out,
	    why, why_len);
}

baton_status swapfix_withdraw(baton_client *c, const char *swap, char *why, size_t why_len)
{
	Baton__V1__WithdrawSwapRequest req = BATON__V1__WITHDRAW_SWAP_REQUEST__INIT;

	req.swap = (char *)swap;
	req.note = "changed my mind";
	return shiftfix_call(c, SWAPFIX_SHIFTS("WithdrawSwap"), &req.base, NULL, NULL, why, why_len);
}

baton_status swapfix_undo(baton_client *c, const char *swap, Baton__V1__UndoSwapReply **out, char *why,
    size_t why_len)
{
	Baton__V1__UndoSwapRequest req = BATON__V1__UNDO_SWAP_REQUEST__INIT;

	req.swap = (char *)swap;
	req.note = "undo";
	return call_out(c, SWAPFIX_SHIFTS("UndoSwap"), &req.base, &baton__v1__undo_swap_reply__descriptor, out, why,
	    why_len);
}

baton_status swapfix_swaps(baton_client *c, const char *state, const char *slot, Baton__V1__ListSwapsReply **out,
    char *why, size_t why_len)
{
	Baton__V1__ListSwapsRequest req = BATON__V1__LIST_SWAPS_REQUEST__INIT;

	req.state = (char *)state;
	req.slot = (char *)slot;
	return call_out(c, SWAPFIX_SHIFTS("ListSwaps"), &req.base, &baton__v1__list_swaps_reply__descriptor, out, why,
	    why_len);
}

bool swapfix_swap_listed(const Baton__V1__ListSwapsReply *l, const char *swap_id)
{
	for (size_t i = 0; i < l->n_swaps; i++)
		if (strcmp(l->swaps[i]->id, swap_id) == 0)
			return true;
	return false;
}

baton_status swapfix_rotation_add(baton_client *c, const char *name, int level, const char *time_zone,
    const char *starts_local, int turn_hours, const char *members, char *id, char *why, size_t why_len)
{
	Baton__V1__AddRotationRequest req = BATON__V1__ADD_ROTATION_REQUEST__INIT;
	Baton__V1__AddRotationReply *rep = NULL;
	char copy[512], *member_v[16];
	baton_status s;

	snprintf(copy, sizeof(copy), "%s", members);
	req.name = (char *)name;
	req.level = level;
	req.time_zone = (char *)time_zone;
	req.starts_local = (char *)starts_local;
	req.turn_hours = turn_hours;
	req.members = member_v;
	req.n_members = split(copy, member_v, 16);
	s = shiftfix_call(c, SWAPFIX_ONCALL("AddRotation"), &req.base, &baton__v1__add_rotation_reply__descriptor,
	    (ProtobufCMessage **)&rep, why, why_len);
	if (s == BATON_OK) {
		assert_non_null(rep->rotation);
		if (id != NULL)
			snprintf(id, 40, "%s", rep->rotation->id);
		baton__v1__add_rotation_reply__free_unpacked(rep, NULL);
	}
	return s;
}

baton_status swapfix_override_add(baton_client *c, const char *rotation, const char *action,
    const char *principal, const char *replacement, int64_t from, int64_t to, char *why, size_t why_len)
{
	Baton__V1__AddOverrideRequest req = BATON__V1__ADD_OVERRIDE_REQUEST__INIT;

	req.rotation = (char *)rotation;
	req.action = (char *)action;
	req.principal = (char *)principal;
	req.replacement = (char *)(replacement != NULL ? replacement : "");
	req.from_unix_ms = from;
	req.to_unix_ms = to;
	req.note = "test";
	return shiftfix_call(c, SWAPFIX_ONCALL("AddOverride"), &req.base, NULL, NULL, why, why_len);
}

baton_status swapfix_who(baton_client *c, int64_t at, int64_t to, Baton__V1__WhoReply **out, char *why,
    size_t why_len)
{
	Baton__V1__WhoRequest req = BATON__V1__WHO_REQUEST__INIT;

	req.at_unix_ms = at;
	req.to_unix_ms = to;
	return call_out(c, SWAPFIX_ONCALL("Who"), &req.base, &baton__v1__who_reply__descriptor, out, why, why_len);
}

baton_status swapfix_coverage(baton_client *c, int64_t from, int64_t to, const char *queue, const char *language,
    const char *time_zone, Baton__V1__CoverageReply **out, char *why, size_t why_len)
{
	Baton__V1__CoverageRequest req = BATON__V1__COVERAGE_REQUEST__INIT;

	req.from_unix_ms = from;
	req.to_unix_ms = to;
	req.queue = (char *)(queue != NULL ? queue : "");
	req.language = (char *)(language != NULL ? language : "");
	req.time_zone = (char *)(time_zone != NULL ? time_zone : "");
	return call_out(c, SWAPFIX_SHIFTS("Coverage"), &req.base, &baton__v1__coverage_reply__descriptor, out, why,
	    why_len);
}

/* ---- swaps in a few words -------------------------------------------------------- */

void swapfix_slot_on(int day, const char *queue, const char *lang, const char *approval, const char *orgs,
    char slot[40])
{
	swapfix_slot s = { .queue = queue, .language = lang != NULL ? lang : "pl",
		.starts = swapfix_day(day) + 8 * SWAPFIX_HOUR, .ends = swapfix_day(day) + 16 * SWAPFIX_HOUR, .seats = 1,
		.approval = approval, .orgs = orgs != NULL ? orgs : "warsaw-nights" };
	swapfix_slot_add(registry.lead.client, &s, slot);
}

/* Fails the case unless got is OK, saying why. */
static void must(baton_status got, const char *what, const char *why)
{
	if (got != BATON_OK)
		print_error("%s: %s: %s\n", what, baton_status_str(got), why);
	assert_int_equal(got, BATON_OK);
}

void swapfix_offered(int day, const char *queue, const char *lang, const char *approval, const char *orgs,
    fixture_person *holder, char slot[40], char claim[40], char swap[40])
{
	char why[512];

	swapfix_slot_on(day, queue, lang, approval, orgs, slot);
	must(swapfix_claim(holder->client, slot, NULL, claim, why, sizeof(why)), "ClaimSeat", why);
	must(swapfix_offer(holder->client, claim, NULL, swap, why, sizeof(why)), "OfferSwap", why);
	assert_int_equal(swapfix_seats_taken(slot), 1);
	assert_int_equal(swapfix_events_signed("swap.offered", swap, holder->id), 1);
}

void swapfix_taken_at_once(fixture_person *taker, const char *swap, const char *slot, char *new_claim)
{
	Baton__V1__TakeSwapReply *t = NULL;
	char why[512];

	must(swapfix_take(taker->client, swap, NULL, &t, why, sizeof(why)), "TakeSwap", why);
	assert_string_equal(t->swap->state, "done");
	assert_string_equal(t->swap->taker, taker->handle);
	assert_non_null(t->claim);
	assert_string_equal(t->claim->principal_id, taker->id);
	assert_string_equal(t->claim->slot_id, slot);
	assert_string_equal(t->claim->via_swap, swap);
	assert_int_equal(t->claim->released_unix_ms, 0);
	assert_string_equal(t->swap->new_claim_id, t->claim->id);
	if (new_claim != NULL)
		snprintf(new_claim, 40, "%s", t->claim->id);
	baton__v1__take_swap_reply__free_unpacked(t, NULL);
	assert_int_equal(swapfix_holds(slot, taker->id), 1);
}

void swapfix_taken_awaiting(fixture_person *taker, const char *swap, const char *slot, const fixture_person *holder)
{
	Baton__V1__TakeSwapReply *t = NULL;
	char why[512], state[32];

	must(swapfix_take(taker->client, swap, NULL, &t, why, sizeof(why)), "TakeSwap", why);
	assert_string_equal(t->swap->state, "awaiting_approval");
	assert_string_equal(t->swap->taker, taker->handle);
	assert_true(t->claim == NULL || t->claim->id[0] == '\0');
	baton__v1__take_swap_reply__free_unpacked(t, NULL);
	swapfix_swap_state(swap, state);
	assert_string_equal(state, "awaiting_approval");
	assert_int_equal(swapfix_holds(slot, holder->id), 1);
	assert_int_equal(swapfix_holds(slot, taker->id), 0);
	assert_int_equal(swapfix_seats_taken(slot), 1);
	/* Each organization concerned is told once. */
	assert_int_equal(swapfix_events_signed("swap.taken", swap, taker->id),
	    strcmp(holder->org_id, taker->org_id) == 0 ? 1 : 2);
}

void swapfix_approved(fixture_person *decider, const char *swap, const char *slot, const fixture_person *holder,
    const fixture_person *taker)
{
	Baton__V1__DecideSwapReply *d = NULL;
	char why[512], state[32];

	must(swapfix_decide(decider->client, swap, false, &d, why, sizeof(why)), "DecideSwap", why);
	assert_string_equal(d->swap->state, "done");
	assert_string_equal(d->swap->decided_by, decider->handle);
	/* The new seat, when the decider may see it (a partner manager does
	 * not see another organization's claims). */
	if (d->claim != NULL && d->claim->id[0] != '\0') {
		assert_string_equal(d->claim->principal_id, taker->id);
		assert_string_equal(d->claim->via_swap, swap);
	}
	baton__v1__decide_swap_reply__free_unpacked(d, NULL);
	swapfix_swap_state(swap, state);
	assert_string_equal(state, "done");
	assert_int_equal(swapfix_holds(slot, holder->id), 0);
	assert_int_equal(swapfix_holds(slot, taker->id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND principal_id = '%s'"
	                               " AND via_swap = '%s' AND released_at IS NULL", slot, taker->id, swap), 1);
	assert_int_equal(swapfix_seats_taken(slot), 1);
	assert_int_equal(swapfix_events_signed("swap.approved", swap, decider->id),
	    strcmp(holder->org_id, taker->org_id) == 0 ? 1 : 2);
}

void swapfix_unchanged(const char *slot, const char *before)
{
	char after[1024];

	swapfix_snapshot(slot, after, sizeof(after));
	assert_string_equal(after, before);
}

/* ---- the database --------------------------------------------------------------- */

void swapfix_swap_state(const char *swap_id, char out[32])
{
	out[0] = '\0';
	assert_int_equal(registry_sqlf(out, 32, "SELECT coalesce((SELECT state FROM swap WHERE id::text = '%s'), '')",
	                     swap_id), 0);
}

long swapfix_seats_taken(const char *slot_id)
{
	return registry_sqln("SELECT seats_taken FROM slot WHERE id = '%s'", slot_id);
}

long swapfix_active(const char *slot_id)
{
	return registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND released_at IS NULL", slot_id);
}

long swapfix_holds(const char *slot_id, const char *principal_id)
{
	return registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND principal_id = '%s'"
	                     " AND released_at IS NULL", slot_id, principal_id);
}

void swapfix_snapshot(const char *slot_id, char *out, size_t len)
{
	assert_int_equal(registry_sqlf(out, len,
	                     "SELECT s.seats_taken || '|' || coalesce((SELECT string_agg(p.handle || ':' ||"
	                     "   (c.released_at IS NULL)::text, ',' ORDER BY c.created_at, c.id) FROM claim c"
	                     "   JOIN principal p ON p.id = c.principal_id WHERE c.slot_id = s.id), '') || '|' ||"
	                     " coalesce((SELECT string_agg(w.state || ':' || coalesce(w.taker_id::text, '-'), ','"
	                     "   ORDER BY w.created_at, w.id) FROM swap w WHERE w.slot_id = s.id), '') || '|' ||"
	                     " (SELECT count(*) FROM event)"
	                     " FROM slot s WHERE s.id = '%s'", slot_id),
	    0);
}

void swapfix_claims_of(const char *principal_id, char *out, size_t len)
{
	assert_int_equal(registry_sqlf(out, len,
	                     "SELECT coalesce(string_agg(c.slot_id || ':' || (c.released_at IS NULL)::text, ','"
	                     " ORDER BY c.created_at, c.id), '-') FROM claim c WHERE c.principal_id = '%s'",
	                     principal_id),
	    0);
}

long swapfix_events_signed(const char *kind, const char *subject, const char *actor_id)
{
	char subject_sql[128] = "", actor_sql[128] = "";

	if (subject != NULL)
		snprintf(subject_sql, sizeof(subject_sql), " AND subject_id = '%s'", subject);
	if (actor_id != NULL)
		snprintf(actor_sql, sizeof(actor_sql), " AND actor_id = '%s'", actor_id);
	return registry_sqln("SELECT count(*) FROM event WHERE kind = '%s'%s%s AND length(signature) = 64"
	                     " AND actor_key_id IS NOT NULL AND request_id IS NOT NULL", kind, subject_sql, actor_sql);
}

long swapfix_events_of_org(const char *kind, const char *subject, const char *org_id)
{
	return registry_sqln("SELECT count(*) FROM event WHERE kind = '%s' AND subject_id = '%s' AND org_id = '%s'",
	    kind, subject, org_id);
}
