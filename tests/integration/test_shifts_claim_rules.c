/* test_shifts_claim_rules.c - tries to break who may hold a seat and when it may be given back (real batond, real PostgreSQL): roles, partner isolation, language, open to, cancelled and ended slots, disabled people, leads and admins, release and its cut-off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <baton/client.h>

#include "baton/v1/shifts.pb-c.h"
#include "registry.h"
#include "shiftfix.h"

/* ---- 4. roles and partner isolation ------------------------------------------------- */

static void only_leads_and_admins_add_slots_and_integrations_claim_nothing(void **state)
{
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS };
	fixture_person *const refused_adders[] = { &registry.wn_agent1, &registry.wn_mgr, &registry.hq_mgr,
		&registry.integ };
	char slot[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_snapshot(snap);
	for (size_t i = 0; i < sizeof(refused_adders) / sizeof(refused_adders[0]); i++)
		shiftfix_expect(refused_adders[i]->handle, shiftfix_slot_add(refused_adders[i]->client, &spec, NULL, msg,
		                                               sizeof(msg)), msg, BATON_PERMISSION_DENIED, NULL);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);
	shiftfix_slot_must(registry.admin, &spec, slot);
	assert_int_equal(shiftfix_events_signed("slot.added", slot, registry.admin_id), 1);

	shiftfix_expect("integration claiming for itself", shiftfix_claim(registry.integ.client, slot, "", NULL, msg,
	                                                        sizeof(msg)), msg, BATON_PERMISSION_DENIED, NULL);
	shiftfix_expect("integration claiming for an agent", shiftfix_claim(registry.integ.client, slot, "wn-agent1",
	                                                          NULL, msg, sizeof(msg)), msg, BATON_PERMISSION_DENIED, NULL);
	assert_int_equal(shiftfix_active_on(slot), 0);
}

static void who_may_claim_for_whom(void **state)
{
	fixture_person *south_agent = shiftfix_person(registry.admin, "cap-south", "cs-whom", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .starts_ms = w, .ends_ms = w + 4 * SH_HOUR_MS, .seats = 6 };
	Baton__V1__ClaimSeatRequest req = BATON__V1__CLAIM_SEAT_REQUEST__INIT;
	Baton__V1__ClaimSeatReply *rep;
	char slot[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot);
	shiftfix_snapshot(snap);
	shiftfix_expect("an agent claiming for a colleague",
	    shiftfix_claim(registry.wn_agent1.client, slot, "wn-agent2", NULL, msg, sizeof(msg)), msg,
	    BATON_PERMISSION_DENIED, NULL);
	shiftfix_expect("a partner manager claiming for another partner's agent (by handle)",
	    shiftfix_claim(registry.wn_mgr.client, slot, "sl-agent1", NULL, msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
	shiftfix_expect("a partner manager claiming for another partner's agent (by id)",
	    shiftfix_claim(registry.wn_mgr.client, slot, south_agent->id, NULL, msg, sizeof(msg)), msg, BATON_NOT_FOUND,
	    NULL);
	/* An in-house manager manages the in-house staff, not a partner's. */
	shiftfix_expect("an in-house manager claiming for a partner agent",
	    shiftfix_claim(registry.hq_mgr.client, slot, "wn-agent1", NULL, msg, sizeof(msg)), msg,
	    BATON_PERMISSION_DENIED, NULL);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);

	/* A manager for their own agent, and a lead for a partner's. */
	req.slot = slot;
	req.for_principal = "wn-agent2";
	assert_int_equal(shiftfix_call(registry.wn_mgr.client, SH_CLAIM_SEAT, &req.base,
	                     &baton__v1__claim_seat_reply__descriptor, (ProtobufCMessage **)&rep, msg, sizeof(msg)),
	    BATON_OK);
	assert_string_equal(rep->claim->handle, "wn-agent2");
	assert_string_equal(rep->claim->principal_id, registry.wn_agent2.id);
	assert_string_equal(rep->claim->org_id, registry.wn_id);
	assert_string_equal(rep->claim->claimed_by, "wn-manager");
	assert_int_equal(rep->claim->starts_unix_ms, w);
	assert_int_equal(rep->claim->ends_unix_ms, w + 4 * SH_HOUR_MS);
	assert_int_equal(shiftfix_events_signed("claim.added", rep->claim->id, registry.wn_mgr.id), 1);
	assert_int_equal(shiftfix_events_of_org("claim.added", rep->claim->id, registry.wn_id), 1);
	baton__v1__claim_seat_reply__free_unpacked(rep, NULL);

	req.for_principal = south_agent->id;
	assert_int_equal(shiftfix_call(registry.lead.client, SH_CLAIM_SEAT, &req.base,
	                     &baton__v1__claim_seat_reply__descriptor, (ProtobufCMessage **)&rep, msg, sizeof(msg)),
	    BATON_OK);
	assert_string_equal(rep->claim->handle, "cs-whom");
	assert_string_equal(rep->claim->claimed_by, "hq-lead");
	assert_int_equal(shiftfix_events_signed("claim.added", rep->claim->id, registry.lead.id), 1);
	assert_int_equal(shiftfix_events_of_org("claim.added", rep->claim->id, shiftfix_south_id), 1);
	baton__v1__claim_seat_reply__free_unpacked(rep, NULL);

	/* And an agent for themself. */
	shiftfix_claim_must(registry.wn_agent1.client, slot, "", NULL);
	assert_int_equal(shiftfix_active_on(slot), 3);
	assert_int_equal(shiftfix_seats_taken(slot), 3);
}

static void partners_see_only_slots_open_to_them(void **state)
{
	int64_t w = shiftfix_window();
	shiftfix_slot everyone = { .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS, .seats = 2 };
	shiftfix_slot wn_only = { .language = "pl", .orgs = "warsaw-nights", .starts_ms = w + 3 * SH_HOUR_MS,
		.ends_ms = w + 5 * SH_HOUR_MS, .seats = 2 };
	shiftfix_slot language_kind = { .language = "es", .kinds = "language", .starts_ms = w + 6 * SH_HOUR_MS,
		.ends_ms = w + 8 * SH_HOUR_MS, .seats = 2 };
	Baton__V1__ListSlotsReply *l;
	char all[40], wn[40], lang[40], msg[512];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &everyone, all);
	shiftfix_slot_must(registry.lead.client, &wn_only, wn);
	shiftfix_slot_must(registry.lead.client, &language_kind, lang);

	assert_int_equal(shiftfix_list(registry.sl_agent1.client, w, w + SH_DAY_MS, false, &l, msg, sizeof(msg)), BATON_OK);
	assert_true(shiftfix_listed(l, all));
	assert_true(shiftfix_listed(l, lang));
	assert_false(shiftfix_listed(l, wn));
	baton__v1__list_slots_reply__free_unpacked(l, NULL);
	assert_int_equal(shiftfix_list(registry.wn_agent1.client, w, w + SH_DAY_MS, false, &l, msg, sizeof(msg)), BATON_OK);
	assert_true(shiftfix_listed(l, all));
	assert_true(shiftfix_listed(l, wn));
	assert_false(shiftfix_listed(l, lang));
	baton__v1__list_slots_reply__free_unpacked(l, NULL);
	/* The in-house staff see every slot. */
	assert_int_equal(shiftfix_list(registry.integ.client, w, w + SH_DAY_MS, false, &l, msg, sizeof(msg)), BATON_OK);
	assert_true(shiftfix_listed(l, all) && shiftfix_listed(l, wn) && shiftfix_listed(l, lang));
	baton__v1__list_slots_reply__free_unpacked(l, NULL);

	shiftfix_expect("sol-latino showing a warsaw-nights slot", shiftfix_show(registry.sl_agent1.client, wn, NULL, msg,
	                                                                 sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
	shiftfix_expect("warsaw-nights showing a slot for kind language",
	    shiftfix_show(registry.wn_mgr.client, lang, NULL, msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
	shiftfix_expect("sol-latino's manager claiming a warsaw-nights slot",
	    shiftfix_claim(registry.sl_mgr.client, wn, "", NULL, msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
	shiftfix_expect("warsaw-nights (after_hours) claiming a slot for kind language",
	    shiftfix_claim(registry.wn_agent2.client, lang, "", NULL, msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
	assert_int_equal(shiftfix_active_on(wn) + shiftfix_active_on(lang), 0);
	shiftfix_expect("ShowSlot of a slot nobody made", shiftfix_show(registry.lead.client,
	                                                      "6f1c1a52-35a3-4c52-9d0e-6a8a4b9d1e11", NULL, msg, sizeof(msg)),
	    msg, BATON_NOT_FOUND, NULL);
	shiftfix_expect("ClaimSeat of a slot nobody made", shiftfix_claim(registry.wn_agent1.client,
	                                                      "6f1c1a52-35a3-4c52-9d0e-6a8a4b9d1e11", "", NULL, msg, sizeof(msg)),
	    msg, BATON_NOT_FOUND, NULL);
}

/* Fails the case unless every claim listed is of org_id, and says how many there are. */
static size_t all_of_org(Baton__V1__Claim *const *claims, size_t n, const char *org_id)
{
	for (size_t i = 0; i < n; i++)
		assert_string_equal(claims[i]->org_id, org_id);
	return n;
}

static baton_status claims_list(baton_client *c, const char *who, int64_t from, int64_t to,
    Baton__V1__ListClaimsReply **out, char *msg, size_t msg_len)
{
	Baton__V1__ListClaimsRequest req = BATON__V1__LIST_CLAIMS_REQUEST__INIT;

	req.principal = (char *)who;
	req.from_unix_ms = from;
	req.to_unix_ms = to;
	return shiftfix_call(c, SH_LIST_CLAIMS, &req.base, &baton__v1__list_claims_reply__descriptor,
	    (ProtobufCMessage **)out, msg, msg_len);
}

static void partners_see_only_their_own_claims(void **state)
{
	fixture_person *south_mgr = shiftfix_person(registry.admin, "cap-south", "cs-manager", "manager");
	fixture_person *south_agent = shiftfix_person(south_mgr->client, "cap-south", "cs-own", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .starts_ms = w, .ends_ms = w + 4 * SH_HOUR_MS, .seats = 5 };
	Baton__V1__ShowSlotReply *show;
	Baton__V1__ListClaimsReply *l;
	char slot[40], wn_claim[40], msg[512];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot);
	shiftfix_claim_must(registry.wn_agent1.client, slot, "", wn_claim);
	shiftfix_claim_must(registry.wn_mgr.client, slot, "wn-agent2", NULL);
	shiftfix_claim_must(south_agent->client, slot, "", NULL);

	assert_int_equal(shiftfix_show(registry.wn_mgr.client, slot, &show, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(all_of_org(show->slot->claims, show->slot->n_claims, registry.wn_id), 2);
	baton__v1__show_slot_reply__free_unpacked(show, NULL);
	assert_int_equal(shiftfix_show(south_mgr->client, slot, &show, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(all_of_org(show->slot->claims, show->slot->n_claims, shiftfix_south_id), 1);
	baton__v1__show_slot_reply__free_unpacked(show, NULL);
	assert_int_equal(shiftfix_show(registry.sl_agent1.client, slot, &show, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(show->slot->n_claims, 0);
	baton__v1__show_slot_reply__free_unpacked(show, NULL);
	assert_int_equal(shiftfix_show(registry.lead.client, slot, &show, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(show->slot->n_claims, 3);
	baton__v1__show_slot_reply__free_unpacked(show, NULL);

	assert_int_equal(claims_list(registry.wn_mgr.client, "*", w, w + SH_DAY_MS, &l, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(all_of_org(l->claims, l->n_claims, registry.wn_id), 2);
	baton__v1__list_claims_reply__free_unpacked(l, NULL);
	assert_int_equal(claims_list(south_mgr->client, "*", w, w + SH_DAY_MS, &l, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(all_of_org(l->claims, l->n_claims, shiftfix_south_id), 1);
	baton__v1__list_claims_reply__free_unpacked(l, NULL);
	assert_int_equal(claims_list(registry.lead.client, "*", w, w + SH_DAY_MS, &l, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(l->n_claims, 3);
	baton__v1__list_claims_reply__free_unpacked(l, NULL);
	assert_int_equal(claims_list(registry.wn_mgr.client, "wn-agent1", w, w + SH_DAY_MS, &l, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(l->n_claims, 1);
	assert_string_equal(l->claims[0]->id, wn_claim);
	baton__v1__list_claims_reply__free_unpacked(l, NULL);
	assert_int_equal(claims_list(registry.wn_agent1.client, "", w, w + SH_DAY_MS, &l, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(l->n_claims, 1);
	baton__v1__list_claims_reply__free_unpacked(l, NULL);
	shiftfix_expect("an agent listing the whole organization's claims",
	    claims_list(registry.wn_agent1.client, "*", w, w + SH_DAY_MS, &l, msg, sizeof(msg)), msg,
	    BATON_PERMISSION_DENIED, NULL);
	shiftfix_expect("an agent listing a colleague's claims",
	    claims_list(registry.wn_agent1.client, "wn-agent2", w, w + SH_DAY_MS, &l, msg, sizeof(msg)), msg,
	    BATON_PERMISSION_DENIED, NULL);

	/* Another organization's claim is invisible, a colleague's is not theirs to give back. */
	shiftfix_expect("cap-south releasing a warsaw-nights claim",
	    shiftfix_release(south_agent->client, wn_claim, "", msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
	shiftfix_expect("cap-south's manager releasing a warsaw-nights claim",
	    shiftfix_release(south_mgr->client, wn_claim, "", msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
	shiftfix_expect("an agent releasing a colleague's claim",
	    shiftfix_release(registry.wn_agent2.client, wn_claim, "", msg, sizeof(msg)), msg, BATON_PERMISSION_DENIED, NULL);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE id = '%s' AND released_at IS NULL", wn_claim), 1);
}

static void coverage_is_for_the_in_house_staff(void **state)
{
	Baton__V1__CoverageRequest req = BATON__V1__COVERAGE_REQUEST__INIT;
	fixture_person *const partners[] = { &registry.wn_mgr, &registry.wn_agent1, &registry.sl_mgr };
	fixture_person *const staff[] = { &registry.lead, &registry.integ, &registry.hq_mgr };
	char msg[512];
	(void)state;

	req.from_unix_ms = shiftfix_now_ms();
	req.to_unix_ms = req.from_unix_ms + 2 * SH_DAY_MS;
	for (size_t i = 0; i < sizeof(partners) / sizeof(partners[0]); i++)
		shiftfix_expect(partners[i]->handle, shiftfix_call(partners[i]->client, SH_COVERAGE, &req.base, NULL, NULL,
		                                         msg, sizeof(msg)), msg, BATON_PERMISSION_DENIED, NULL);
	for (size_t i = 0; i < sizeof(staff) / sizeof(staff[0]); i++)
		shiftfix_expect(staff[i]->handle, shiftfix_call(staff[i]->client, SH_COVERAGE, &req.base, NULL, NULL, msg,
		                                      sizeof(msg)), msg, BATON_OK, NULL);
}

/* ---- 5. eligibility ---------------------------------------------------------------------- */

static void a_claim_needs_the_slots_language(void **state)
{
	fixture_person *madrid = shiftfix_person(registry.admin, "madrid-es", "md-agent", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot es = { .language = "es", .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS, .seats = 3 };
	shiftfix_slot es_mx = { .language = "es-MX", .starts_ms = w + 3 * SH_HOUR_MS, .ends_ms = w + 5 * SH_HOUR_MS };
	shiftfix_slot es_es = { .language = "es-es", .starts_ms = w + 6 * SH_HOUR_MS, .ends_ms = w + 8 * SH_HOUR_MS };
	char s_es[40], s_mx[40], s_eses[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &es, s_es);
	shiftfix_slot_must(registry.lead.client, &es_mx, s_mx);
	shiftfix_slot_must(registry.lead.client, &es_es, s_eses);
	shiftfix_snapshot(snap);
	shiftfix_expect("warsaw-nights (pl, en) claiming an es seat",
	    shiftfix_claim(registry.wn_agent1.client, s_es, "", NULL, msg, sizeof(msg)), msg, BATON_FAILED_PRECONDITION,
	    "needs es");
	shiftfix_expect("a lead claiming an es seat for a warsaw-nights agent",
	    shiftfix_claim(registry.lead.client, s_es, "wn-agent2", NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, "needs es");
	shiftfix_expect("sol-latino (es) claiming an es-MX seat",
	    shiftfix_claim(registry.sl_agent1.client, s_mx, "", NULL, msg, sizeof(msg)), msg, BATON_FAILED_PRECONDITION,
	    "needs es-MX");
	shiftfix_expect("madrid-es (es-ES) claiming an es-MX seat",
	    shiftfix_claim(madrid->client, s_mx, "", NULL, msg, sizeof(msg)), msg, BATON_FAILED_PRECONDITION, "needs es-MX");
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);

	shiftfix_claim_must(madrid->client, s_es, "", NULL);            /* es-ES covers es */
	shiftfix_claim_must(registry.sl_agent1.client, s_es, "", NULL); /* es covers es */
	shiftfix_claim_must(madrid->client, s_eses, "", NULL);          /* case does not matter */
	assert_int_equal(shiftfix_active_on(s_es), 2);
	assert_int_equal(shiftfix_active_on(s_mx), 0);
}

static void a_claim_needs_a_slot_open_to_the_holder(void **state)
{
	fixture_person *madrid = shiftfix_person(registry.admin, "madrid-es", "md-open", "agent");
	fixture_person *south = shiftfix_person(registry.admin, "cap-south", "cs-open", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot by_org = { .language = "es", .orgs = "sol-latino", .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS };
	shiftfix_slot by_kind = { .language = "es", .kinds = "seasonal", .starts_ms = w + 3 * SH_HOUR_MS,
		.ends_ms = w + 5 * SH_HOUR_MS };
	shiftfix_slot partners = { .language = "en", .starts_ms = w + 6 * SH_HOUR_MS, .ends_ms = w + 8 * SH_HOUR_MS };
	char s_org[40], s_kind[40], s_partners[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &by_org, s_org);
	shiftfix_slot_must(registry.lead.client, &by_kind, s_kind);
	shiftfix_slot_must(registry.lead.client, &partners, s_partners);
	shiftfix_snapshot(snap);
	/* A lead sees every slot, but may not seat someone it is not open to. */
	shiftfix_expect("a lead seating madrid-es on a slot open to sol-latino",
	    shiftfix_claim(registry.lead.client, s_org, madrid->handle, NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, "not open to");
	shiftfix_expect("a lead seating sol-latino (language) on a slot open to seasonal",
	    shiftfix_claim(registry.lead.client, s_kind, "sl-agent1", NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, "not open to");
	/* "Every partner" does not include the in-house staff. */
	shiftfix_expect("an in-house manager on a slot open to every partner",
	    shiftfix_claim(registry.hq_mgr.client, s_partners, "", NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, "not open to");
	shiftfix_expect("madrid-es claiming a slot open to sol-latino",
	    shiftfix_claim(madrid->client, s_org, "", NULL, msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);

	shiftfix_claim_must(registry.sl_agent2.client, s_org, "", NULL);
	shiftfix_claim_must(registry.lead.client, s_kind, south->handle, NULL); /* cap-south is seasonal */
	shiftfix_claim_must(registry.wn_agent1.client, s_partners, "", NULL);
	assert_int_equal(shiftfix_active_on(s_org) + shiftfix_active_on(s_kind) + shiftfix_active_on(s_partners), 3);
}

static void no_seat_on_a_cancelled_or_ended_slot(void **state)
{
	int64_t w = shiftfix_window();
	shiftfix_slot cancelled = { .language = "es", .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS, .seats = 2 };
	shiftfix_slot ended = { .language = "es", .starts_ms = w + 3 * SH_HOUR_MS, .ends_ms = w + 5 * SH_HOUR_MS, .seats = 2 };
	char s_cancelled[40], s_ended[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &cancelled, s_cancelled);
	shiftfix_slot_must(registry.lead.client, &ended, s_ended);
	assert_int_equal(shiftfix_cancel(registry.lead.client, s_cancelled, false, NULL, msg, sizeof(msg)), BATON_OK);
	/* An ended slot: moved into the past behind batond's back. */
	assert_int_equal(registry_sqln("WITH u AS (UPDATE slot SET during = tstzrange(now() - interval '3 hours',"
	                               " now() - interval '1 hour') WHERE id = '%s' RETURNING 1) SELECT count(*) FROM u",
	                     s_ended), 1);
	shiftfix_snapshot(snap);
	shiftfix_expect("claiming a cancelled slot", shiftfix_claim(registry.sl_agent1.client, s_cancelled, "", NULL, msg,
	                                                 sizeof(msg)), msg, BATON_FAILED_PRECONDITION, "cancelled");
	shiftfix_expect("a lead seating someone on a cancelled slot", shiftfix_claim(registry.lead.client, s_cancelled,
	                                                                  "sl-agent2", NULL, msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("claiming an ended slot", shiftfix_claim(registry.sl_agent1.client, s_ended, "", NULL, msg,
	                                              sizeof(msg)), msg, BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("a lead seating someone on an ended slot", shiftfix_claim(registry.lead.client, s_ended,
	                                                               "sl-agent2", NULL, msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, NULL);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);
}

static void no_seat_for_the_disabled_leads_or_admins(void **state)
{
	fixture_person *leaver = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-leaver", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .language = "en", .kinds = "in_house,after_hours", .starts_ms = w,
		.ends_ms = w + 2 * SH_HOUR_MS, .seats = 3 };
	char slot[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot);
	assert_int_equal(registry_principal_disable(registry.wn_mgr.client, leaver->id, NULL, msg, sizeof(msg)), BATON_OK);
	shiftfix_snapshot(snap);
	shiftfix_expect("a manager seating a disabled agent", shiftfix_claim(registry.wn_mgr.client, slot, leaver->handle,
	                                                          NULL, msg, sizeof(msg)), msg, BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("a lead seating a disabled agent", shiftfix_claim(registry.lead.client, slot, leaver->id, NULL, msg,
	                                                       sizeof(msg)), msg, BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("a lead taking a seat", shiftfix_claim(registry.lead.client, slot, "", NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("an admin seating a lead", shiftfix_claim(registry.admin, slot, "hq-lead", NULL, msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("an admin taking a seat", shiftfix_claim(registry.admin, slot, "", NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);
	/* The in-house manager may: the slot is open to the in-house kind. */
	shiftfix_claim_must(registry.hq_mgr.client, slot, "", NULL);
}

static void a_seat_twice_or_past_the_last_one_is_refused(void **state)
{
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .language = "es", .starts_ms = w, .ends_ms = w + 2 * SH_HOUR_MS, .seats = 1 };
	char slot[40], msg[512];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot);
	shiftfix_claim_must(registry.sl_agent1.client, slot, "", NULL);
	shiftfix_expect("the same seat twice", shiftfix_claim(registry.sl_agent1.client, slot, "", NULL, msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, "already holds a seat");
	shiftfix_expect("a full slot", shiftfix_claim(registry.sl_agent2.client, slot, "", NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, "is full");
	assert_int_equal(shiftfix_active_on(slot), 1);
	assert_int_equal(shiftfix_seats_taken(slot), 1);
}

/* ---- 6. release and its cut-off ---------------------------------------------------------- */

static void after_the_cut_off_only_a_lead_releases(void **state)
{
	fixture_person *agent = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-late", "agent");
	int64_t soon = shiftfix_now_ms() / SH_MINUTE_MS * SH_MINUTE_MS + 2 * SH_HOUR_MS;
	shiftfix_slot close_in = { .language = "pl", .orgs = "warsaw-nights", .starts_ms = soon,
		.ends_ms = soon + 3 * SH_HOUR_MS };
	shiftfix_slot no_cutoff = { .language = "pl", .orgs = "warsaw-nights", .starts_ms = soon + 4 * SH_HOUR_MS,
		.ends_ms = soon + 6 * SH_HOUR_MS, .cutoff_s = -1 };
	shiftfix_slot long_cutoff = { .language = "pl", .orgs = "warsaw-nights", .starts_ms = soon + 2 * SH_DAY_MS,
		.ends_ms = soon + 2 * SH_DAY_MS + 2 * SH_HOUR_MS, .cutoff_s = 3 * 24 * 3600 };
	char a[40], b[40], c[40], claim[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &close_in, a);
	shiftfix_slot_must(registry.lead.client, &no_cutoff, b);
	shiftfix_slot_must(registry.lead.client, &long_cutoff, c);

	/* The default cut-off (24 h) has passed two hours before the start. */
	shiftfix_claim_must(agent->client, a, "", claim);
	shiftfix_snapshot(snap);
	shiftfix_expect("the holder after the cut-off", shiftfix_release(agent->client, claim, "", msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, "cut-off");
	shiftfix_expect("the holder's manager after the cut-off", shiftfix_release(registry.wn_mgr.client, claim, "", msg,
	                                                               sizeof(msg)), msg, BATON_FAILED_PRECONDITION, "cut-off");
	shiftfix_expect("the manager by slot and person after the cut-off",
	    shiftfix_release(registry.wn_mgr.client, a, agent->handle, msg, sizeof(msg)), msg, BATON_FAILED_PRECONDITION,
	    "cut-off");
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);
	shiftfix_expect("a lead after the cut-off", shiftfix_release(registry.lead.client, claim, "", msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_int_equal(shiftfix_events_signed("claim.released", claim, registry.lead.id), 1);
	assert_int_equal(shiftfix_events_of_org("claim.released", claim, registry.wn_id), 1);
	assert_int_equal(shiftfix_seats_taken(a), 0);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE id = '%s' AND released_by = '%s'"
	                               " AND released_at IS NOT NULL", claim, registry.lead.id), 1);

	/* No cut-off: release until the start. */
	shiftfix_claim_must(agent->client, b, "", claim);
	shiftfix_expect("the holder without a cut-off", shiftfix_release(agent->client, claim, "", msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_int_equal(shiftfix_events_signed("claim.released", claim, agent->id), 1);

	/* A cut-off of three days two days ahead has passed too. */
	shiftfix_claim_must(agent->client, c, "", claim);
	shiftfix_expect("the holder inside a 3-day cut-off", shiftfix_release(agent->client, claim, "", msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, "cut-off");
	assert_int_equal(shiftfix_active_on(c), 1);
}

static void before_the_cut_off_a_holder_releases_and_claims_again(void **state)
{
	fixture_person *agent = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-early", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .language = "pl", .orgs = "warsaw-nights", .starts_ms = w, .ends_ms = w + 3 * SH_HOUR_MS,
		.seats = 2 };
	Baton__V1__OfferSwapRequest offer = BATON__V1__OFFER_SWAP_REQUEST__INIT;
	char slot[40], first[40], second[40], msg[512], snap[256], again[256];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot);
	shiftfix_claim_must(agent->client, slot, "", first);
	/* An open offer of the seat goes with it. */
	offer.claim = first;
	shiftfix_expect("an offer before the release", shiftfix_call(agent->client, SH_OFFER_SWAP, &offer.base,
	                                                    NULL, NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
	shiftfix_expect("the holder four days ahead", shiftfix_release(agent->client, first, "", msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_int_equal(registry_sqln("SELECT count(*) FROM swap WHERE claim_id = '%s' AND state = 'withdrawn'", first), 1);
	assert_int_equal(shiftfix_seats_taken(slot), 0);
	assert_int_equal(shiftfix_events_signed("claim.released", first, agent->id), 1);
	shiftfix_claim_must(agent->client, slot, "", second);
	assert_string_not_equal(first, second);

	shiftfix_snapshot(snap);
	shiftfix_expect("a released claim again", shiftfix_release(agent->client, first, "", msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("a lead releasing a released claim", shiftfix_release(registry.lead.client, first, "", msg,
	                                                          sizeof(msg)), msg, BATON_FAILED_PRECONDITION, NULL);
	shiftfix_snapshot(again);
	assert_string_equal(snap, again);

	/* By slot and person, as their manager. */
	shiftfix_expect("the manager by slot and person", shiftfix_release(registry.wn_mgr.client, slot, agent->handle,
	                                                      msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_int_equal(shiftfix_events_signed("claim.released", second, registry.wn_mgr.id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND principal_id = '%s'"
	                               " AND released_at IS NOT NULL", slot, agent->id), 2);
	assert_int_equal(shiftfix_seats_taken(slot), 0);
	shiftfix_expect("by slot and person with no seat left", shiftfix_release(registry.wn_mgr.client, slot,
	                                                            agent->handle, msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
}

/* ListSlots as c with the filters in req (limit 1000 unless set). */
static Baton__V1__ListSlotsReply *slots_listed(baton_client *c, Baton__V1__ListSlotsRequest *req)
{
	Baton__V1__ListSlotsReply *l = NULL;
	char msg[512];

	if (req->limit == 0)
		req->limit = 1000;
	shiftfix_expect("ListSlots", shiftfix_call(c, SH_LIST_SLOTS, &req->base, &baton__v1__list_slots_reply__descriptor,
	                                 (ProtobufCMessage **)&l, msg, sizeof(msg)), msg, BATON_OK, NULL);
	return l;
}

static void listing_finds_free_mine_and_live_slots(void **state)
{
	int64_t w = shiftfix_window();
	shiftfix_slot specs[5] = {
		{ .queue = "list-a", .starts_ms = w, .ends_ms = w + SH_HOUR_MS, .seats = 2 },
		{ .queue = "list-b", .starts_ms = w + 2 * SH_HOUR_MS, .ends_ms = w + 3 * SH_HOUR_MS },
		{ .queue = "list-c", .starts_ms = w + 4 * SH_HOUR_MS, .ends_ms = w + 5 * SH_HOUR_MS },
		{ .queue = "list-d", .starts_ms = w + 6 * SH_HOUR_MS, .ends_ms = w + 7 * SH_HOUR_MS },
		{ .queue = "list-a", .language = "pl", .starts_ms = w + 8 * SH_HOUR_MS, .ends_ms = w + 9 * SH_HOUR_MS },
	};
	Baton__V1__ListSlotsRequest req = BATON__V1__LIST_SLOTS_REQUEST__INIT;
	Baton__V1__ListSlotsReply *l;
	char ids[5][40], msg[512];
	(void)state;

	for (int i = 0; i < 5; i++)
		shiftfix_slot_must(registry.lead.client, &specs[i], ids[i]);
	shiftfix_claim_must(registry.wn_agent1.client, ids[1], "", NULL); /* B is full */
	assert_int_equal(shiftfix_cancel(registry.lead.client, ids[2], false, NULL, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(registry_sqln("WITH u AS (UPDATE slot SET during = tstzrange(now() - interval '3 hours',"
	                               " now() - interval '2 hours') WHERE id = '%s' RETURNING 1) SELECT count(*) FROM u",
	                     ids[3]), 1); /* D has ended */

	l = slots_listed(registry.wn_agent1.client, &req); /* from now on, live ones */
	assert_true(shiftfix_listed(l, ids[0]) && shiftfix_listed(l, ids[1]) && shiftfix_listed(l, ids[4]));
	assert_false(shiftfix_listed(l, ids[2]) || shiftfix_listed(l, ids[3]));
	baton__v1__list_slots_reply__free_unpacked(l, NULL);

	req.from_unix_ms = w;
	req.to_unix_ms = w + SH_DAY_MS;
	req.only_free = true;
	l = slots_listed(registry.wn_agent1.client, &req);
	assert_int_equal(l->n_slots, 2);
	assert_true(shiftfix_listed(l, ids[0]) && shiftfix_listed(l, ids[4]));
	baton__v1__list_slots_reply__free_unpacked(l, NULL);

	req.only_free = false;
	req.mine = true;
	l = slots_listed(registry.wn_agent1.client, &req);
	assert_int_equal(l->n_slots, 1);
	assert_string_equal(l->slots[0]->id, ids[1]);
	baton__v1__list_slots_reply__free_unpacked(l, NULL);

	req.mine = false;
	req.queue = "list-a";
	l = slots_listed(registry.lead.client, &req);
	assert_int_equal(l->n_slots, 2);
	baton__v1__list_slots_reply__free_unpacked(l, NULL);
	req.language = "pl";
	l = slots_listed(registry.lead.client, &req);
	assert_int_equal(l->n_slots, 1);
	assert_string_equal(l->slots[0]->id, ids[4]);
	baton__v1__list_slots_reply__free_unpacked(l, NULL);

	req.queue = "";
	req.language = "";
	req.include_cancelled = true;
	l = slots_listed(registry.lead.client, &req);
	assert_true(shiftfix_listed(l, ids[2]));
	baton__v1__list_slots_reply__free_unpacked(l, NULL);

	req.include_cancelled = false;
	req.limit = 1;
	l = slots_listed(registry.lead.client, &req);
	assert_int_equal(l->n_slots, 1);
	assert_string_equal(l->slots[0]->id, ids[0]); /* by start time */
	baton__v1__list_slots_reply__free_unpacked(l, NULL);
}

static void a_running_shift_takes_claims_and_a_lead_releases_until_its_end(void **state)
{
	fixture_person *agent = shiftfix_person(registry.wn_mgr.client, "warsaw-nights", "wn-running", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot spec = { .language = "pl", .orgs = "warsaw-nights", .starts_ms = w, .ends_ms = w + SH_HOUR_MS,
		.seats = 3, .cutoff_s = -1 };
	Baton__V1__ShowSlotReply *show;
	char slot[40], agents_claim[40], managers_claim[40], msg[512];
	(void)state;

	shiftfix_slot_must(registry.lead.client, &spec, slot);
	assert_int_equal(registry_sqln("WITH u AS (UPDATE slot SET during = tstzrange(now() - interval '1 hour',"
	                               " now() + interval '1 hour') WHERE id = '%s' RETURNING 1) SELECT count(*) FROM u",
	                     slot), 1);
	shiftfix_claim_must(agent->client, slot, "", agents_claim);
	shiftfix_claim_must(registry.wn_mgr.client, slot, "", managers_claim); /* a manager holds seats too */
	/* Even without a cut-off the holder gives nothing back once it runs. */
	shiftfix_expect("the holder of a running shift", shiftfix_release(agent->client, agents_claim, "", msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("a lead during the shift", shiftfix_release(registry.lead.client, agents_claim, "", msg,
	                                               sizeof(msg)), msg, BATON_OK, NULL);

	assert_int_equal(shiftfix_show(registry.lead.client, slot, &show, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(show->slot->n_claims, 2);
	assert_string_equal(show->slot->claims[0]->id, managers_claim); /* active first */
	assert_int_equal(show->slot->claims[0]->released_unix_ms, 0);
	assert_true(show->slot->claims[1]->released_unix_ms > 0);
	assert_string_equal(show->slot->claims[1]->released_by, "hq-lead");
	baton__v1__show_slot_reply__free_unpacked(show, NULL);

	assert_int_equal(registry_sqln("WITH u AS (UPDATE slot SET during = tstzrange(now() - interval '3 hours',"
	                               " now() - interval '1 hour') WHERE id = '%s' RETURNING 1) SELECT count(*) FROM u",
	                     slot), 1);
	shiftfix_expect("a lead after the end", shiftfix_release(registry.lead.client, managers_claim, "", msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, NULL);
	assert_int_equal(shiftfix_active_on(slot), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(only_leads_and_admins_add_slots_and_integrations_claim_nothing, shiftfix_cleanup),
		cmocka_unit_test_teardown(who_may_claim_for_whom, shiftfix_cleanup),
		cmocka_unit_test_teardown(partners_see_only_slots_open_to_them, shiftfix_cleanup),
		cmocka_unit_test_teardown(partners_see_only_their_own_claims, shiftfix_cleanup),
		cmocka_unit_test_teardown(coverage_is_for_the_in_house_staff, shiftfix_cleanup),
		cmocka_unit_test_teardown(a_claim_needs_the_slots_language, shiftfix_cleanup),
		cmocka_unit_test_teardown(a_claim_needs_a_slot_open_to_the_holder, shiftfix_cleanup),
		cmocka_unit_test_teardown(no_seat_on_a_cancelled_or_ended_slot, shiftfix_cleanup),
		cmocka_unit_test_teardown(no_seat_for_the_disabled_leads_or_admins, shiftfix_cleanup),
		cmocka_unit_test_teardown(a_seat_twice_or_past_the_last_one_is_refused, shiftfix_cleanup),
		cmocka_unit_test_teardown(after_the_cut_off_only_a_lead_releases, shiftfix_cleanup),
		cmocka_unit_test_teardown(before_the_cut_off_a_holder_releases_and_claims_again, shiftfix_cleanup),
		cmocka_unit_test_teardown(listing_finds_free_mine_and_live_slots, shiftfix_cleanup),
		cmocka_unit_test_teardown(a_running_shift_takes_claims_and_a_lead_releases_until_its_end, shiftfix_cleanup),
	};
	return cmocka_run_group_tests_name("integration: shifts, claim rules", tests, shiftfix_setup, shiftfix_teardown);
}
