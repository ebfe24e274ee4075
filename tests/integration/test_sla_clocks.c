/* test_sla_clocks.c - a ticket's SLA clocks through batond (real PostgreSQL, the maintenance pass every 200 ms, 24/7 contracts with targets of seconds): started with the version in force, paused while pending, ended by replies and resolution, a new cycle on reopening, a warning at the threshold and a breach that escalates once with three instances running the pass, a version change for new tickets only, another partner's contract after a pass, and every ticket's clocks recomputed from its events. */
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
#include "ticketfix.h"
#include "swapfix.h"

/*
 * Two partner organizations of this file's own, speaking languages nobody
 * else's people do, so each case routes by its own shifts alone (each case
 * uses a language of its own as well): slc-east and slc-west (which sorts
 * after it, so a tie goes to slc-east). No rotation exists here, so a
 * breach's escalation goes to the in-house admins (level 10), where it
 * never expires and stays put for the checks.
 */
#define LANGS "de,fr,it,nl,sv,da,fi,cs,hu,ro,tr"
static char east_id[40], west_id[40];

/* Every ticket a case made: the last case replays each one's events. */
static char touched[64][40];
static int  n_touched;

/* ---- helpers ---------------------------------------------------------------------- */

static fixture_person *agent(const char *org, const char *handle)
{
	return shiftfix_person(registry.admin, org, handle, "agent");
}

/* A 24/7 contract for org (UTC) with these targets for every priority;
 * returns its version. */
static int32_t contract(const char *org, int64_t fr, int64_t nr, int64_t res, int32_t warn)
{
	slafix_contract k = { .org = org, .always_open = true, .first_response_s = fr, .next_response_s = nr,
		.resolution_s = res, .warn_percent = warn };
	return slafix_contract_must(&k);
}

/* A new ticket in lang, through the integration principal. */
static void create(const char *lang, int severity, char id[40])
{
	ticketfix_spec spec = { .language = lang, .subject = "Clock case", .severity = severity };

	ticketfix_create_must(registry.integ.client, &spec, id);
	assert_true(n_touched < (int)(sizeof(touched) / sizeof(touched[0])));
	snprintf(touched[n_touched++], 40, "%s", id);
}

/* p on a shift of org_id in lang now, and a new ticket in lang that p
 * takes; its id to id. */
static void taken(fixture_person *p, const char *org_id, const char *lang, int severity, char id[40])
{
	char msg[512];

	ticketfix_on_shift(p, org_id, lang, shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	create(lang, severity, id);
	shiftfix_expect("TakeTicket", ticketfix_take(p->client, id, NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
}


/* ms of the latest event of kind about id, as the database holds it. */
static int64_t event_ms(const char *id, const char *kind)
{
	char out[64];

	assert_int_equal(registry_sqlf(out, sizeof(out),
	                     "SELECT floor(extract(epoch FROM at) * 1000)::bigint FROM event WHERE subject_id = '%s'"
	                     " AND kind = '%s' ORDER BY id DESC LIMIT 1", id, kind),
	    0);
	assert_true(out[0] != '\0');
	return strtoll(out, NULL, 10);
}

/* |a - b| <= 1 ms: instants the server converts from microseconds. */
static void near_ms(const char *what, int64_t got, int64_t want)
{
	if (got - want > 1 || want - got > 1)
		print_error("%s: %lld, want %lld (%+lld ms)\n", what, (long long)got, (long long)want, (long long)(got - want));
	assert_true(got - want <= 1 && want - got <= 1);
}

static void state_is(const Baton__V1__TicketSlaReply *r, const char *clock, int cycle, const char *state)
{
	const Baton__V1__SlaClock *k = slafix_clock(r, clock, cycle);

	if (strcmp(k->state, state) != 0)
		slafix_print(state, r);
	assert_string_equal(k->state, state);
}

/* ---- starting, pausing, ending ----------------------------------------------------------- */

static void a_new_ticket_runs_first_response_and_resolution_under_the_version_in_force(void **state)
{
	fixture_person *p = agent("slc-east", "slc-fresh");
	Baton__V1__TicketSlaReply *r, *other = NULL;
	const Baton__V1__SlaClock *fr, *res;
	int32_t v;
	int64_t created;
	char id[40], msg[512];
	(void)state;

	ticketfix_on_shift(p, east_id, "de", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	v = contract("slc-east", 3600, 7200, 10800, 50);
	create("de", 2, id);
	created = event_ms(id, "ticket.created");

	/* The owner's organization (the queue it was routed to) sees it. */
	r = slafix_sla_must(p->client, id);
	assert_string_equal(r->ticket, id);
	assert_string_equal(r->responsible_org, "slc-east");
	assert_int_equal(r->contract_version, v);
	assert_string_equal(r->time_zone, "UTC");
	assert_int_equal(registry_sqln("SELECT count(*) FROM sla_contract WHERE id = '%s' AND org_id = '%s' AND version = %d",
	                     r->contract_id, east_id, v), 1);
	assert_false(r->paused);
	assert_false(r->recomputed);
	if (r->n_clocks != 2)
		slafix_print("a new ticket", r);
	assert_int_equal(r->n_clocks, 2);
	fr = slafix_clock(r, "first_response", 1);
	res = slafix_clock(r, "resolution", 1);
	for (int i = 0; i < 2; i++) {
		const Baton__V1__SlaClock *k = i ? res : fr;
		int64_t target = i ? 10800 : 3600;

		assert_string_equal(k->state, "running");
		assert_int_equal(k->target_s, target);
		assert_int_equal(k->contract_version, v);
		assert_string_equal(k->contract_org, "slc-east");
		near_ms("started", k->started_unix_ms, created);
		/* 24/7: plain addition; warn at 50 %. */
		near_ms("due", k->due_unix_ms, created + target * 1000);
		near_ms("warn", k->warn_unix_ms, created + target * 500);
		assert_true(k->used_s >= 0 && k->used_s < 600);
		assert_int_equal(k->warned_unix_ms, 0);
		assert_int_equal(k->breached_unix_ms, 0);
		assert_int_equal(k->ended_unix_ms, 0);
	}
	assert_false(slafix_has_clock(r, "next_response", 1));
	baton__v1__ticket_sla_reply__free_unpacked(r, NULL);

	/* Another partner does not see the ticket, nor its clocks. */
	swapfix_expect2(slafix_ticket_sla(registry.wn_agent1.client, id, false, &other, msg, sizeof(msg)), BATON_NOT_FOUND,
	    BATON_PERMISSION_DENIED, msg);
	shiftfix_expect("TicketSla of no ticket",
	    slafix_ticket_sla(registry.lead.client, "00000000-0000-4000-8000-000000000000", false, &other, msg, sizeof(msg)),
	    msg, BATON_NOT_FOUND, NULL);
	slafix_recomputes(id);
}

static void pending_pauses_every_clock_and_moves_the_due_time_out_by_the_pause(void **state)
{
	fixture_person *p = agent("slc-east", "slc-pend");
	Baton__V1__TicketSlaReply *r0, *r1, *r2, *r3;
	int64_t paused_at, resumed_at;
	char id[40];
	(void)state;

	(void)contract("slc-east", 3600, 7200, 7200, 80);
	taken(p, east_id, "fr", 3, id);
	r0 = slafix_sla_must(p->client, id);
	state_is(r0, "first_response", 1, "running");

	SLAFIX_MUST("PendTicket", ticketfix_pend(p->client, id, "asked for the logs", NULL, SLAFIX_MSG));
	paused_at = event_ms(id, "ticket.pending");
	r1 = slafix_sla_must(p->client, id);
	assert_true(r1->paused);
	state_is(r1, "first_response", 1, "paused");
	state_is(r1, "resolution", 1, "paused");
	/* A paused clock has no due time; what it used up to the pause is kept. */
	assert_int_equal(slafix_clock(r1, "first_response", 1)->due_unix_ms, 0);
	assert_true(slafix_clock(r1, "first_response", 1)->used_s > 0);

	/* Time passes; nothing is used while the customer is awaited. */
	harness_sleep_ms(1200);
	r2 = slafix_sla_must(registry.lead.client, id);
	for (int i = 0; i < 2; i++) {
		const char *clock = i ? "resolution" : "first_response";
		if (slafix_clock(r2, clock, 1)->used_s != slafix_clock(r1, clock, 1)->used_s)
			slafix_print("used while paused", r2);
		assert_true(slafix_clock(r2, clock, 1)->used_s == slafix_clock(r1, clock, 1)->used_s);
	}

	/* The customer answers: running again, due later by exactly the pause
	 * (24/7: due = resumed + target - used = created + target + pause). */
	SLAFIX_MUST("AddCustomerReply", ticketfix_customer(registry.integ.client, id, "Here are the logs.", NULL, SLAFIX_MSG));
	resumed_at = event_ms(id, "ticket.customer_replied");
	r3 = slafix_sla_must(p->client, id);
	assert_false(r3->paused);
	for (int i = 0; i < 2; i++) {
		const char *clock = i ? "resolution" : "first_response";
		const Baton__V1__SlaClock *before = slafix_clock(r0, clock, 1), *after = slafix_clock(r3, clock, 1);

		assert_string_equal(after->state, "running");
		assert_true(resumed_at - paused_at >= 1200);
		if (after->due_unix_ms - before->due_unix_ms - (resumed_at - paused_at) > 2 ||
		    after->due_unix_ms - before->due_unix_ms - (resumed_at - paused_at) < -2)
			print_error("%s: due moved %lld ms for a pause of %lld ms\n", clock,
			    (long long)(after->due_unix_ms - before->due_unix_ms), (long long)(resumed_at - paused_at));
		assert_true(llabs(after->due_unix_ms - before->due_unix_ms - (resumed_at - paused_at)) <= 2);
	}
	/* The clock that was waiting for the first answer still is: no
	 * next-response clock for the customer's message. */
	assert_false(slafix_has_clock(r3, "next_response", 1));
	/* And it counts again. */
	assert_true(slafix_wait_at_least(1, "SELECT count(*) FROM ticket_clock WHERE ticket_id = '%s' AND clock = 'first_response'"
	                                    " AND state = 'running' AND since < now() - interval '300 milliseconds'", id));
	{
		Baton__V1__TicketSlaReply *r4 = slafix_sla_must(p->client, id);
		assert_true(slafix_clock(r4, "first_response", 1)->used_s > slafix_clock(r1, "first_response", 1)->used_s);
		baton__v1__ticket_sla_reply__free_unpacked(r4, NULL);
	}
	baton__v1__ticket_sla_reply__free_unpacked(r0, NULL);
	baton__v1__ticket_sla_reply__free_unpacked(r1, NULL);
	baton__v1__ticket_sla_reply__free_unpacked(r2, NULL);
	baton__v1__ticket_sla_reply__free_unpacked(r3, NULL);
	slafix_recomputes(id);
}

static void replies_customer_messages_resolution_and_reopening_drive_the_clocks(void **state)
{
	fixture_person *p = agent("slc-east", "slc-talk");
	Baton__V1__TicketSlaReply *r;
	char id[40];
	(void)state;

	(void)contract("slc-east", 3600, 3600, 7200, 80);
	taken(p, east_id, "it", 1, id);

	/* The first reply meets the first-response target. */
	SLAFIX_MUST("ReplyTicket", ticketfix_reply(p->client, id, "Looking into it.", NULL, SLAFIX_MSG));
	r = slafix_sla_must(p->client, id);
	state_is(r, "first_response", 1, "met");
	assert_true(slafix_clock(r, "first_response", 1)->ended_unix_ms >= slafix_clock(r, "first_response", 1)->started_unix_ms);
	assert_int_equal(slafix_clock(r, "first_response", 1)->due_unix_ms, 0);
	state_is(r, "resolution", 1, "running");
	assert_false(slafix_has_clock(r, "next_response", 1));
	baton__v1__ticket_sla_reply__free_unpacked(r, NULL);

	/* A customer message waits for an answer: next_response 1; a second
	 * one while it waits starts nothing more. */
	SLAFIX_MUST("AddCustomerReply", ticketfix_customer(registry.integ.client, id, "Any news?", NULL, SLAFIX_MSG));
	SLAFIX_MUST("AddCustomerReply", ticketfix_customer(registry.integ.client, id, "Hello?", NULL, SLAFIX_MSG));
	r = slafix_sla_must(p->client, id);
	state_is(r, "next_response", 1, "running");
	assert_int_equal(slafix_clock(r, "next_response", 1)->target_s, 3600);
	near_ms("next_response started", slafix_clock(r, "next_response", 1)->started_unix_ms,
	    registry_sqln("SELECT floor(extract(epoch FROM min(at)) * 1000)::bigint FROM event WHERE subject_id = '%s'"
	                  " AND kind = 'ticket.customer_replied'", id));
	assert_false(slafix_has_clock(r, "next_response", 2));
	baton__v1__ticket_sla_reply__free_unpacked(r, NULL);

	SLAFIX_MUST("ReplyTicket", ticketfix_reply(p->client, id, "Fixed on our side.", NULL, SLAFIX_MSG));
	SLAFIX_MUST("AddCustomerReply", ticketfix_customer(registry.integ.client, id, "Still broken.", NULL, SLAFIX_MSG));
	r = slafix_sla_must(p->client, id);
	state_is(r, "next_response", 1, "met");
	state_is(r, "next_response", 2, "running");
	baton__v1__ticket_sla_reply__free_unpacked(r, NULL);

	/* Resolving ends every clock. */
	SLAFIX_MUST("ResolveTicket", ticketfix_resolve(p->client, id, "solved", "done", NULL, SLAFIX_MSG));
	r = slafix_sla_must(registry.lead.client, id);
	state_is(r, "first_response", 1, "met");
	state_is(r, "next_response", 1, "met");
	state_is(r, "next_response", 2, "met");
	state_is(r, "resolution", 1, "met");
	assert_int_equal(r->n_clocks, 4);
	baton__v1__ticket_sla_reply__free_unpacked(r, NULL);

	/* Reopening starts resolution cycle 2; the rest stays as it ended. */
	SLAFIX_MUST("ReopenTicket", ticketfix_reopen(registry.lead.client, id, "customer says no", NULL, SLAFIX_MSG));
	r = slafix_sla_must(registry.lead.client, id);
	state_is(r, "resolution", 1, "met");
	state_is(r, "resolution", 2, "running");
	assert_int_equal(slafix_clock(r, "resolution", 2)->target_s, 7200);
	near_ms("resolution 2 started", slafix_clock(r, "resolution", 2)->started_unix_ms, event_ms(id, "ticket.reopened"));
	state_is(r, "first_response", 1, "met");
	assert_false(slafix_has_clock(r, "first_response", 2));
	assert_int_equal(r->n_clocks, 5);
	baton__v1__ticket_sla_reply__free_unpacked(r, NULL);
	slafix_recomputes(id);
}

/* ---- the SLA worker ------------------------------------------------------------------------ */

static void a_warning_fires_at_the_threshold_before_the_breach_once_each(void **state)
{
	Baton__V1__ListEscalationsReply *l = NULL;
	Baton__V1__TicketSlaReply *r;
	const Baton__V1__SlaClock *fr;
	const Baton__V1__Escalation *e;
	fixture_person *p = agent("slc-east", "slc-late");
	char id[40], esc[64];
	(void)state;

	/* 4 s to the first response, warned at 50 %; the rest far off. */
	ticketfix_on_shift(p, east_id, "nl", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	(void)contract("slc-east", 4, 3600, 3600, 50);
	create("nl", 2, id);
	assert_true(slafix_wait_at_least(1, "SELECT count(*) FROM event WHERE subject_id = '%s'"
	                                    " AND kind = 'ticket.sla_breached'", id));
	harness_sleep_ms(1000); /* several passes more */

	/* Exactly one of each, about first_response, the warning first. */
	assert_int_equal(slafix_clock_events(id, "ticket.sla_warning", "first_response"), 1);
	assert_int_equal(slafix_clock_events(id, "ticket.sla_breached", "first_response"), 1);
	assert_int_equal(slafix_clock_events(id, "ticket.sla_warning", NULL), 1);
	assert_int_equal(slafix_clock_events(id, "ticket.sla_breached", NULL), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event w, event b WHERE w.subject_id = '%s' AND b.subject_id = '%s'"
	                               " AND w.kind = 'ticket.sla_warning' AND b.kind = 'ticket.sla_breached' AND w.id < b.id",
	                     id, id), 1);
	/* Not before its time (the pass may only be late): the warning at 2 s
	 * of the 4 s, the breach at 4 s, after creation. Firing on due_at for
	 * both, or on created + warn_percent of a wrong target, fails here. */
	assert_int_equal(registry_sqln("SELECT count(*) FROM event c, event w WHERE c.subject_id = '%s' AND w.subject_id = '%s'"
	                               " AND c.kind = 'ticket.created' AND w.kind = 'ticket.sla_warning'"
	                               " AND w.at >= c.at + interval '2 seconds'", id, id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event c, event b WHERE c.subject_id = '%s' AND b.subject_id = '%s'"
	                               " AND c.kind = 'ticket.created' AND b.kind = 'ticket.sla_breached'"
	                               " AND b.at >= c.at + interval '4 seconds'", id, id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND kind LIKE 'ticket.sla_%%'"
	                               " AND actor_id IS NULL AND (body->>'cycle')::int = 1", id), 2);

	/* The clock shows when each fired; it runs on past its target. */
	r = slafix_sla_must(registry.lead.client, id);
	fr = slafix_clock(r, "first_response", 1);
	assert_string_equal(fr->state, "running");
	near_ms("warn", fr->warn_unix_ms, fr->started_unix_ms + 2000);
	near_ms("due", fr->due_unix_ms, fr->started_unix_ms + 4000);
	assert_true(fr->warned_unix_ms >= fr->started_unix_ms + 2000);
	assert_true(fr->breached_unix_ms >= fr->started_unix_ms + 4000);
	assert_true(fr->used_s > 4);
	assert_int_equal(slafix_clock(r, "resolution", 1)->warned_unix_ms, 0);
	baton__v1__ticket_sla_reply__free_unpacked(r, NULL);

	/* The breach raised one urgent escalation, from the SLA worker. */
	assert_int_equal(slafix_escalations_of(id, NULL), 1);
	SLAFIX_MUST("ListEscalations", slafix_escalations_list(registry.admin, false, false, id, &l, SLAFIX_MSG));
	assert_int_equal(l->n_escalations, 1);
	e = l->escalations[0];
	slafix_escalation_is(e, id, "sla", "", "urgent", "first_response", "open", 10);
	assert_string_equal(e->assignee, "");
	assert_int_equal(e->expires_unix_ms, 0);
	assert_non_null(strstr(e->reason, "first response"));
	assert_int_equal(registry_sqlf(esc, sizeof(esc), "SELECT body->>'escalation' FROM event WHERE subject_id = '%s'"
	                                                 " AND kind = 'ticket.sla_breached'", id), 0);
	assert_string_equal(esc, e->id);
	assert_int_equal(ticketfix_events(e->id, "escalation.requested"), 1);
	baton__v1__list_escalations_reply__free_unpacked(l, NULL);

	/* Answered late: missed. */
	SLAFIX_MUST("ReplyTicket (lead)", ticketfix_reply(registry.lead.client, id, "Sorry for the wait.", NULL, SLAFIX_MSG));
	r = slafix_sla_must(registry.lead.client, id);
	state_is(r, "first_response", 1, "missed");
	assert_true(slafix_clock(r, "first_response", 1)->used_s > 4);
	baton__v1__ticket_sla_reply__free_unpacked(r, NULL);
	slafix_recomputes(id);
}

/*
 * Three batonds run the pass (every 100-200 ms) on one database while
 * sixteen clocks fall due: each warning and breach is written once and each
 * ticket gets one escalation. It fails if the worker fires without locking
 * the ticket and checking again (two instances both see the clock due and
 * both write), or if a second breach on a ticket with an open escalation
 * raises another one.
 */
static void a_breach_escalates_exactly_once_with_three_instances_running_the_pass(void **state)
{
	const char *flags[] = { "--maintenance-ms=100", NULL };
	fixture_person *p = agent("slc-west", "slc-many");
	enum { N = 8 };
	char id[N][40], list[N * 45] = "";
	(void)state;

	registry_extra_start(registry.pg.conninfo, flags, true);
	registry_extra_start(registry.pg.conninfo, flags, true);
	ticketfix_on_shift(p, west_id, "sv", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	(void)contract("slc-west", 2, 3600, 3, 50);
	for (int i = 0; i < N; i++) {
		create("sv", 2, id[i]);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s'%s'", i ? "," : "", id[i]);
	}
	assert_true(slafix_wait_at_least(2 * N, "SELECT count(*) FROM event WHERE subject_id IN (%s)"
	                                        " AND kind = 'ticket.sla_breached'", list));
	harness_sleep_ms(1000); /* many passes of all three more */

	for (int i = 0; i < N; i++) {
		char esc[64];

		for (int c = 0; c < 2; c++) {
			const char *clock = c ? "resolution" : "first_response";
			long w = slafix_clock_events(id[i], "ticket.sla_warning", clock);
			long b = slafix_clock_events(id[i], "ticket.sla_breached", clock);
			if (w != 1 || b != 1)
				print_error("ticket %s, %s: %ld warnings, %ld breaches\n", id[i], clock, w, b);
			assert_int_equal(w, 1);
			assert_int_equal(b, 1);
		}
		assert_int_equal(slafix_escalations_of(id[i], NULL), 1);
		/* The first breach raised it; the second found it open. */
		assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND kind = 'ticket.sla_breached'"
		                               " AND body->>'escalation' IS NOT NULL", id[i]), 1);
		assert_int_equal(registry_sqlf(esc, sizeof(esc), "SELECT id FROM escalation WHERE ticket_id = '%s'", id[i]), 0);
		assert_int_equal(ticketfix_events(esc, "escalation.requested"), 1);
		assert_int_equal(registry_sqln("SELECT count(*) FROM escalation WHERE id = '%s' AND source = 'sla'"
		                               " AND urgency = 'urgent' AND state = 'open'", esc), 1);
	}
	for (int i = 0; i < N; i++)
		slafix_recomputes(id[i]);
}

/* ---- which contract ------------------------------------------------------------------------ */

static void a_new_version_applies_only_to_tickets_created_after_it(void **state)
{
	fixture_person *p = agent("slc-east", "slc-versions");
	int32_t v1, v2;
	char before[40], after[40];
	(void)state;

	ticketfix_on_shift(p, east_id, "cs", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	v1 = contract("slc-east", 3600, 3600, 7200, 80);
	create("cs", 3, before);
	v2 = contract("slc-east", 1800, 1800, 5400, 80);
	assert_int_equal(v2, v1 + 1);
	create("cs", 3, after);
	/* Acting on the older ticket after the change keeps its version. */
	SLAFIX_MUST("TakeTicket", ticketfix_take(p->client, before, NULL, SLAFIX_MSG));

	for (int i = 0; i < 2; i++) {
		Baton__V1__TicketSlaReply *r = slafix_sla_must(p->client, i ? after : before);
		int32_t v = i ? v2 : v1;

		assert_int_equal(r->contract_version, v);
		assert_int_equal(slafix_clock(r, "first_response", 1)->contract_version, v);
		assert_int_equal(slafix_clock(r, "first_response", 1)->target_s, i ? 1800 : 3600);
		assert_int_equal(slafix_clock(r, "resolution", 1)->target_s, i ? 5400 : 7200);
		baton__v1__ticket_sla_reply__free_unpacked(r, NULL);
		slafix_recomputes(i ? after : before);
	}
}

static void a_ticket_passed_to_another_partner_runs_on_under_its_contract(void **state)
{
	fixture_person *east = agent("slc-east", "slc-giver"), *west = agent("slc-west", "slc-taker");
	Baton__V1__TicketSlaReply *r0, *r1, *hidden = NULL;
	const Baton__V1__SlaClock *fr0, *fr1;
	int32_t vw;
	char id[40], msg[512];
	(void)state;

	(void)contract("slc-east", 3600, 3600, 7200, 80);
	vw = contract("slc-west", 1800, 1800, 5400, 80);
	/* Both on hu shifts: the tie goes to slc-east. */
	ticketfix_on_shift(east, east_id, "hu", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	ticketfix_on_shift(west, west_id, "hu", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	create("hu", 2, id);
	SLAFIX_MUST("TakeTicket", ticketfix_take(east->client, id, NULL, SLAFIX_MSG));
	harness_sleep_ms(300);
	r0 = slafix_sla_must(east->client, id);
	assert_string_equal(r0->responsible_org, "slc-east");
	fr0 = slafix_clock(r0, "first_response", 1);
	assert_int_equal(fr0->target_s, 3600);

	/* A lead hands it to slc-west's agent (partners see no other
	 * organization to pass to). */
	SLAFIX_MUST("PassTicket (lead)", ticketfix_pass(registry.lead.client, id, "slc-taker", NULL, "over to west", NULL, SLAFIX_MSG));
	r1 = slafix_sla_must(west->client, id);
	assert_string_equal(r1->responsible_org, "slc-west");
	assert_int_equal(r1->contract_version, vw);
	fr1 = slafix_clock(r1, "first_response", 1);
	assert_string_equal(fr1->state, "running");
	assert_string_equal(fr1->contract_org, "slc-west");
	assert_int_equal(fr1->contract_version, vw);
	assert_int_equal(fr1->target_s, 1800);
	assert_int_equal(slafix_clock(r1, "resolution", 1)->target_s, 5400);
	/* The time used so far goes with it, and both calendars are 24/7: due
	 * 1800 s after the ticket's creation, not after the pass. */
	assert_true(fr1->used_s >= fr0->used_s);
	assert_int_equal(fr1->started_unix_ms, fr0->started_unix_ms);
	near_ms("due under slc-west", fr1->due_unix_ms, fr0->started_unix_ms + 1800 * 1000);
	baton__v1__ticket_sla_reply__free_unpacked(r0, NULL);
	baton__v1__ticket_sla_reply__free_unpacked(r1, NULL);

	/* slc-east does not see it any more. */
	swapfix_expect2(slafix_ticket_sla(east->client, id, false, &hidden, msg, sizeof(msg)), BATON_NOT_FOUND,
	    BATON_PERMISSION_DENIED, msg);
	slafix_recomputes(id);
}

/* ---- replay ---------------------------------------------------------------------------------- */

static void every_ticket_of_this_file_recomputes_to_the_same_clocks(void **state)
{
	(void)state;

	assert_true(n_touched >= 10);
	for (int i = 0; i < n_touched; i++)
		slafix_recomputes(touched[i]);
}

/* ---- the group ----------------------------------------------------------------------------- */

static int clocks_setup(void **state)
{
	char ids[2][40];

	if (shiftfix_setup(state) != 0 || slafix_orgs_add("slc-east,slc-west", LANGS, ids) != 0)
		return -1;
	snprintf(east_id, sizeof(east_id), "%s", ids[0]);
	snprintf(west_id, sizeof(west_id), "%s", ids[1]);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(a_new_ticket_runs_first_response_and_resolution_under_the_version_in_force,
		    ticketfix_cleanup),
		cmocka_unit_test_teardown(pending_pauses_every_clock_and_moves_the_due_time_out_by_the_pause, ticketfix_cleanup),
		cmocka_unit_test_teardown(replies_customer_messages_resolution_and_reopening_drive_the_clocks, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_warning_fires_at_the_threshold_before_the_breach_once_each, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_breach_escalates_exactly_once_with_three_instances_running_the_pass,
		    ticketfix_cleanup),
		cmocka_unit_test_teardown(a_new_version_applies_only_to_tickets_created_after_it, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_ticket_passed_to_another_partner_runs_on_under_its_contract, ticketfix_cleanup),
		cmocka_unit_test_teardown(every_ticket_of_this_file_recomputes_to_the_same_clocks, ticketfix_cleanup),
	};

	/* Every batond of this program (the registry's too) runs the
	 * maintenance pass every 200 ms, so targets of seconds fire in time. */
	setenv("BATON_MAINTENANCE_MS", "200", 1);
	return cmocka_run_group_tests_name("integration: SLA clocks", tests, clocks_setup, shiftfix_teardown);
}
