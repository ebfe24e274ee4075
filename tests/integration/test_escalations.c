/* test_escalations.c - escalations through batond (real PostgreSQL, the maintenance pass every 200 ms): an owner's escalation reaches the level-1 lead on call and wakes a watcher; who may raise, approve and reject; approve moves the ticket in-house, reject leaves it with its owner and the guidance in its conversation; one decision wins a race; expiry moves it up to level 2 and then to the admins; partners see only their own queue's. */
#include <pthread.h>
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
#include "ticketfix.h"
#include "watchfix.h"

/*
 * Rotations (UTC, from 2026-01-01 00:00, one member each, so always on
 * call): "esc-first" at level 1 with esc-l1, "esc-second" at level 2 with
 * esc-l2; nothing above, so level 10 (the in-house admins) comes next.
 * hq-lead (the registry's) is an in-house lead on no rotation.
 * Contracts: warsaw-nights and sol-latino 24/7 with targets of a day (no
 * SLA breach interferes) and an hour / 10 minutes to decide; esc-expiry
 * (this file's, language de) gives a lead 1 s, so its escalations move up.
 */
static fixture_person *l1, *l2, *expiring;
static char expiry_id[1][40];

/* ---- helpers ---------------------------------------------------------------------- */


/* p takes a new ticket in lang (p must be on a fitting shift); its id to id. */
static void held(const fixture_person *p, const char *lang, char id[40])
{
	ticketfix_spec spec = { .language = lang, .subject = "Escalation case" };

	ticketfix_create_must(registry.integ.client, &spec, id);
	SLAFIX_MUST("TakeTicket", ticketfix_take(p->client, id, NULL, SLAFIX_MSG));
}

/* A warsaw-nights ticket held by wn-agent1 (on a pl shift for the case). */
static void wn_held(char id[40])
{
	held(&registry.wn_agent1, "pl", id);
}

static void wn_on_shift(void)
{
	ticketfix_on_shift(&registry.wn_agent1, registry.wn_id, "pl", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
}

/* The ticket is status/owner/queue in the database. */
static void row_is(const char *id, const char *status, const char *owner, const char *queue)
{
	char want[200], got[200];

	snprintf(want, sizeof(want), "%s/%s/%s", status, owner, queue);
	assert_int_equal(registry_sqlf(got, sizeof(got), "SELECT t.status || '/' || coalesce(p.handle, '') || '/' || o.name"
	                                                 " FROM ticket t JOIN org o ON o.id = t.org_id"
	                                                 " LEFT JOIN principal p ON p.id = t.owner_id WHERE t.id = '%s'", id),
	    0);
	if (strcmp(got, want) != 0)
		print_error("ticket %s is %s, want %s\n", id, got, want);
	assert_string_equal(got, want);
}

static void esc_state_is(const char *id, const char *state)
{
	assert_int_equal(registry_sqln("SELECT count(*) FROM escalation WHERE id = '%s' AND state = '%s'", id, state), 1);
}

/* The SQL expression expr over the event row (text, "" for NULL) of the
 * n-th (0 first) event of kind about subject. */
static void nth_event_is(const char *subject, const char *kind, int n, const char *expr, const char *want)
{
	char got[512];

	assert_int_equal(registry_sqlf(got, sizeof(got),
	                     "SELECT coalesce((%s)::text, '') FROM event WHERE subject_id = '%s' AND kind = '%s'"
	                     " ORDER BY id OFFSET %d LIMIT 1", expr, subject, kind, n),
	    0);
	if (strcmp(got, want) != 0)
		print_error("%s of %s #%d about %s: '%s', want '%s'\n", expr, kind, n, subject, got, want);
	assert_string_equal(got, want);
}

/* Escalation id as an in-house lead sees it (caller frees). Partners see
 * the handles of in-house people as "(another organization)", as
 * everywhere else, so in-house names are checked through this. */
static Baton__V1__Escalation *in_house_view(const char *id)
{
	Baton__V1__ShowEscalationReply *shown = NULL;
	Baton__V1__Escalation *e;

	SLAFIX_MUST("ShowEscalation (lead)", slafix_escalation_show(registry.lead.client, id, &shown, SLAFIX_MSG));
	e = shown->escalation;
	shown->escalation = NULL;
	baton__v1__show_escalation_reply__free_unpacked(shown, NULL);
	return e;
}

/* ---- raising ------------------------------------------------------------------------ */

/* One long poll (20 s) for escalation events, in a thread, on a client
 * of its own. */
typedef struct esc_watch {
	baton_client *c;
	size_t        got;
	watchfix_seen seen;
	baton_status  status;
} esc_watch;

static void *esc_watch_run(void *arg)
{
	esc_watch *w = arg;
	char msg[512];

	w->status = watchfix_try(w->c, &w->seen, "escalation.", NULL, 20000, 100, &w->got, NULL, msg, sizeof(msg));
	return NULL;
}

static void an_owners_escalation_reaches_the_level_one_lead_on_call_and_wakes_a_watcher(void **state)
{
	Baton__V1__ListEscalationsReply *l = NULL;
	Baton__V1__Escalation *e, *again = NULL, *seen;
	esc_watch w = { .c = shiftfix_client_of(l1) };
	char id[40], start[48], msg[512];
	pthread_t thread;
	(void)state;

	wn_on_shift();
	wn_held(id);
	watchfix_now(w.c, start);
	watchfix_init(&w.seen, start);
	assert_int_equal(pthread_create(&thread, NULL, esc_watch_run, &w), 0);
	harness_sleep_ms(1000); /* the watcher is waiting by now */
	e = slafix_escalate_must(registry.wn_agent1.client, id, "The customer threatens to leave.", true);
	pthread_join(thread, NULL);

	/* Pushed at once: the one Watch call (20 s) brought it, woken by the
	 * commit (one that only looks again when its wait ends comes back
	 * empty: nothing else writes escalation events meanwhile). */
	shiftfix_expect("Watch escalation.", w.status, "", BATON_OK, NULL);
	assert_true(w.got >= 1);
	assert_true(watchfix_has(&w.seen, "escalation.requested", e->id));
	watchfix_free(&w.seen);

	/* Routed to the level-1 lead on call now. */
	slafix_escalation_is(e, id, "agent", "wn-agent1", "urgent", "", "open", 1);
	assert_string_equal(e->ticket_subject, "Escalation case");
	assert_string_equal(e->queue, "warsaw-nights");
	assert_string_equal(e->reason, "The customer threatens to leave.");
	assert_string_equal(e->assignee, "(another organization)");
	seen = in_house_view(e->id);
	assert_int_equal(seen->level, 1);
	assert_string_equal(seen->assignee, "esc-l1");
	assert_non_null(strstr(seen->routed_rule, "level 1"));
	assert_non_null(strstr(seen->routed_rule, "esc-l1"));
	assert_int_equal(seen->expires_unix_ms, e->expires_unix_ms);
	slafix_escalation_free(seen);
	assert_true(e->routed_unix_ms > 0);
	/* warsaw-nights gives an urgent one 600 s. */
	assert_true(llabs(e->expires_unix_ms - e->routed_unix_ms - 600 * 1000) <= 1);
	assert_int_equal(e->expiries, 0);
	assert_string_equal(e->decided_by, "");
	assert_string_equal(e->new_owner, "");

	/* Written once, signed by the agent, visible to the partner's queue. */
	assert_int_equal(shiftfix_events_signed("escalation.requested", e->id, registry.wn_agent1.id), 1);
	assert_int_equal(shiftfix_events_of_org("escalation.requested", e->id, registry.wn_id), 1);
	assert_int_equal(ticketfix_events(id, "ticket.escalated"), 1);
	nth_event_is(id, "ticket.escalated", 0, "body->>'escalation'", e->id);
	/* The ticket stays where it was until a lead decides. */
	row_is(id, "assigned", "wn-agent1", "warsaw-nights");

	/* One open escalation per ticket: the second names the first. */
	shiftfix_expect("Escalate again",
	    slafix_escalate(registry.wn_agent1.client, id, "Still angry.", false, &again, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, e->id);
	assert_int_equal(slafix_escalations_of(id, NULL), 1);

	/* The lead it went to has it among "mine"; the level-2 lead does not. */
	SLAFIX_MUST("ListEscalations mine", slafix_escalations_list(l1->client, true, true, NULL, &l, SLAFIX_MSG));
	assert_non_null(slafix_listed(l, e->id));
	baton__v1__list_escalations_reply__free_unpacked(l, NULL);
	SLAFIX_MUST("ListEscalations mine (l2)", slafix_escalations_list(l2->client, true, true, NULL, &l, SLAFIX_MSG));
	assert_null(slafix_listed(l, e->id));
	baton__v1__list_escalations_reply__free_unpacked(l, NULL);
	slafix_escalation_free(e);
}

static void only_the_owner_escalates_and_an_integration_never(void **state)
{
	Baton__V1__Escalation *e = NULL;
	char id[40], queued[40], msg[512];
	ticketfix_spec spec = { .language = "pl", .subject = "Nobody's yet" };
	(void)state;

	wn_on_shift();
	ticketfix_on_shift(&registry.wn_agent2, registry.wn_id, "pl", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	wn_held(id);
	ticketfix_create_must(registry.integ.client, &spec, queued);

	shiftfix_expect("Escalate (another agent)",
	    slafix_escalate(registry.wn_agent2.client, id, "Let me.", false, &e, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("Escalate (the partner's manager)",
	    slafix_escalate(registry.wn_mgr.client, id, "Let me.", false, &e, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("Escalate (integration)",
	    slafix_escalate(registry.integ.client, id, "Automatic.", true, &e, msg, sizeof(msg)), msg,
	    BATON_PERMISSION_DENIED, NULL);
	swapfix_expect2(slafix_escalate(registry.sl_agent1.client, id, "Not mine to see.", false, &e, msg, sizeof(msg)),
	    BATON_NOT_FOUND, BATON_FAILED_PRECONDITION, msg);
	shiftfix_expect("Escalate (queued ticket)",
	    slafix_escalate(registry.wn_agent1.client, queued, "Nobody owns it.", false, &e, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("Escalate (no reason)", slafix_escalate(registry.wn_agent1.client, id, "", false, &e, msg, sizeof(msg)),
	    msg, BATON_INVALID_ARGUMENT, NULL);
	shiftfix_expect("Escalate (no such ticket)",
	    slafix_escalate(registry.wn_agent1.client, "00000000-0000-4000-8000-000000000000", "?", false, &e, msg,
	        sizeof(msg)),
	    msg, BATON_NOT_FOUND, NULL);
	assert_int_equal(slafix_escalations_of(id, NULL), 0);
	assert_int_equal(slafix_escalations_of(queued, NULL), 0);
	assert_int_equal(ticketfix_events(id, "ticket.escalated"), 0);
}

/* ---- deciding ------------------------------------------------------------------------ */

static void partners_cannot_decide_and_any_in_house_lead_approves(void **state)
{
	Baton__V1__ShowEscalationReply *shown = NULL;
	Baton__V1__Escalation *e, *d = NULL;
	char id[40], msg[512];
	(void)state;

	wn_on_shift();
	wn_held(id);
	e = slafix_escalate_must(registry.wn_agent1.client, id, "Needs a database fix.", false);
	/* A normal one: warsaw-nights gives 3600 s. */
	assert_true(llabs(e->expires_unix_ms - e->routed_unix_ms - 3600 * 1000) <= 1);

	/* Partners, integrations and in-house managers do not decide. */
	{
		const struct {
			const fixture_person *who;
			bool                  reject;
		} refused[] = { { &registry.wn_agent1, false }, { &registry.wn_agent1, true }, { &registry.wn_mgr, false },
			{ &registry.wn_mgr, true }, { &registry.integ, false }, { &registry.hq_mgr, false },
			{ &registry.hq_mgr, true } };

		for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
			char what[128];
			snprintf(what, sizeof(what), "%s by %s", refused[i].reject ? "Reject" : "Approve", refused[i].who->handle);
			shiftfix_expect(what, slafix_decide(refused[i].who->client, e->id, refused[i].reject, NULL, "no", &d, msg,
			                          sizeof(msg)),
			    msg, BATON_PERMISSION_DENIED, NULL);
		}
	}
	/* Only an in-house person takes it over. */
	swapfix_expect2(slafix_decide(registry.lead.client, e->id, false, "wn-agent2", NULL, &d, msg, sizeof(msg)),
	    BATON_INVALID_ARGUMENT, BATON_FAILED_PRECONDITION, msg);
	swapfix_expect2(slafix_decide(registry.lead.client, e->id, false, "nobody-at-all", NULL, &d, msg, sizeof(msg)),
	    BATON_NOT_FOUND, BATON_INVALID_ARGUMENT, msg);
	esc_state_is(e->id, "open");
	row_is(id, "assigned", "wn-agent1", "warsaw-nights");

	/* A lead who is not the one it was routed to may approve: the ticket
	 * moves in-house, to the approver. */
	SLAFIX_MUST("Approve (hq-lead)", slafix_decide(registry.lead.client, e->id, false, NULL, "I will take it.", &d, SLAFIX_MSG));
	assert_string_equal(d->state, "approved");
	assert_string_equal(d->decided_by, "hq-lead");
	assert_string_equal(d->new_owner, "hq-lead");
	assert_string_equal(d->decision_note, "I will take it.");
	assert_true(d->decided_unix_ms >= d->created_unix_ms);
	slafix_escalation_free(d);
	row_is(id, "assigned", "hq-lead", "in-house");
	assert_int_equal(ticketfix_events(id, "ticket.escalation_approved"), 1);
	nth_event_is(id, "ticket.escalation_approved", 0, "body->'before'->>'owner'", "wn-agent1");
	nth_event_is(id, "ticket.escalation_approved", 0, "body->'after'->>'owner'", "hq-lead");
	nth_event_is(id, "ticket.escalation_approved", 0, "body->'after'->>'queue'", "in-house");
	nth_event_is(id, "ticket.escalation_approved", 0, "body->'after'->>'status'", "assigned");
	assert_int_equal(shiftfix_events_signed("escalation.approved", e->id, registry.lead.id), 1);

	/* Decided once. */
	shiftfix_expect("Approve again", slafix_decide(l1->client, e->id, false, NULL, NULL, &d, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("Reject after approval", slafix_decide(l1->client, e->id, true, NULL, "no", &d, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	assert_int_equal(ticketfix_events(e->id, "escalation.approved"), 1);
	assert_int_equal(ticketfix_events(e->id, "escalation.rejected"), 0);

	/* The partner still reads how it ended (it was raised from its queue). */
	SLAFIX_MUST("ShowEscalation (partner)", slafix_escalation_show(registry.wn_agent1.client, e->id, &shown, SLAFIX_MSG));
	assert_string_equal(shown->escalation->state, "approved");
	assert_string_equal(shown->escalation->new_owner, "(another organization)");
	assert_string_equal(shown->escalation->decision_note, "I will take it.");
	baton__v1__show_escalation_reply__free_unpacked(shown, NULL);
	slafix_escalation_free(e);
	/* Its clocks went in-house with it, and replay the same. */
	slafix_recomputes(id);
}

static void an_approver_may_hand_the_ticket_to_an_in_house_person(void **state)
{
	Baton__V1__Escalation *e, *d = NULL;
	char id[40];
	(void)state;

	wn_on_shift();
	wn_held(id);
	e = slafix_escalate_must(registry.wn_agent1.client, id, "Billing question.", false);
	SLAFIX_MUST("Approve --assign hq-manager", slafix_decide(l1->client, e->id, false, "hq-manager", NULL, &d, SLAFIX_MSG));
	assert_string_equal(d->decided_by, "esc-l1");
	assert_string_equal(d->new_owner, "hq-manager");
	slafix_escalation_free(d);
	row_is(id, "assigned", "hq-manager", "in-house");
	nth_event_is(id, "ticket.escalation_approved", 0, "body->'after'->>'owner'", "hq-manager");
	slafix_escalation_free(e);
}

static void a_rejection_needs_a_note_which_reaches_the_owner_who_keeps_the_ticket(void **state)
{
	const char *guidance = "Ask the customer for the HAR file first; that answers it.";
	Baton__V1__ShowTicketReply *t = NULL;
	Baton__V1__Escalation *e, *d = NULL, *next;
	bool found = false;
	char id[40], msg[512];
	(void)state;

	wn_on_shift();
	wn_held(id);
	e = slafix_escalate_must(registry.wn_agent1.client, id, "I am stuck.", true);
	shiftfix_expect("Reject without a note", slafix_decide(l1->client, e->id, true, NULL, "", &d, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, NULL);
	esc_state_is(e->id, "open");

	SLAFIX_MUST("Reject", slafix_decide(l1->client, e->id, true, NULL, guidance, &d, SLAFIX_MSG));
	assert_string_equal(d->state, "rejected");
	assert_string_equal(d->decided_by, "esc-l1");
	assert_string_equal(d->decision_note, guidance);
	assert_string_equal(d->new_owner, "");
	slafix_escalation_free(d);
	/* The ticket stays with its owner; the guidance is in its
	 * conversation, a note by the lead, where the owner reads it. */
	row_is(id, "assigned", "wn-agent1", "warsaw-nights");
	SLAFIX_MUST("ShowTicket (owner)", ticketfix_show(registry.wn_agent1.client, id, &t, SLAFIX_MSG));
	for (size_t i = 0; i < t->n_messages; i++)
		if (strstr(t->messages[i]->body, guidance) != NULL) {
			found = true;
			assert_string_equal(t->messages[i]->kind, "note");
			assert_string_equal(t->messages[i]->author, "esc-l1");
		}
	baton__v1__show_ticket_reply__free_unpacked(t, NULL);
	assert_true(found);
	assert_int_equal(ticketfix_events(id, "ticket.escalation_rejected"), 1);
	nth_event_is(id, "ticket.escalation_rejected", 0, "body->'after'->>'owner'", "wn-agent1");
	assert_int_equal(shiftfix_events_signed("escalation.rejected", e->id, l1->id), 1);

	shiftfix_expect("Reject again", slafix_decide(registry.lead.client, e->id, true, NULL, "again", &d, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, NULL);
	shiftfix_expect("Approve after rejection", slafix_decide(registry.lead.client, e->id, false, NULL, NULL, &d, msg,
	                                               sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, NULL);
	row_is(id, "assigned", "wn-agent1", "warsaw-nights");

	/* Nothing is open on the ticket now: the owner may escalate again. */
	next = slafix_escalate_must(registry.wn_agent1.client, id, "Got the HAR file, still stuck.", false);
	assert_string_equal(next->state, "open");
	assert_int_equal(slafix_escalations_of(id, NULL), 2);
	slafix_escalation_free(next);
	slafix_escalation_free(e);
	slafix_recomputes(id);
}

/*
 * Four in-house deciders at once, three rounds: exactly one call wins each
 * round and the others are told it is decided. Fails if the escalation row
 * is not locked and its state checked again under the lock (two approvals
 * would both move the ticket and both write events).
 */
static void deciders_at_once_exactly_one_wins(void **state)
{
	enum { N = 4 };
	Baton__V1__ApproveEscalationRequest approve = BATON__V1__APPROVE_ESCALATION_REQUEST__INIT;
	Baton__V1__RejectEscalationRequest reject = BATON__V1__REJECT_ESCALATION_REQUEST__INIT;
	(void)state;

	wn_on_shift();
	for (int round = 0; round < 3; round++) {
		baton_client *who[N] = { shiftfix_client_of(l1), shiftfix_client_of(&registry.lead), shiftfix_client_of(l2),
			registry.admin };
		shiftfix_racer r[N];
		uint8_t *bufs[N];
		Baton__V1__Escalation *e;
		char id[40];
		int wins = 0;

		wn_held(id);
		e = slafix_escalate_must(registry.wn_agent1.client, id, "Race.", true);
		approve.id = e->id;
		reject.id = e->id;
		reject.note = "No: handle it yourself.";
		for (int i = 0; i < N; i++)
			bufs[i] = i == 2 ? shiftfix_racer_init(&r[i], who[i], ESC_REJECT, &reject.base)
			                 : shiftfix_racer_init(&r[i], who[i], ESC_APPROVE, &approve.base);
		shiftfix_race(r, N);
		for (int i = 0; i < N; i++) {
			if (r[i].status == BATON_OK)
				wins++;
			else
				shiftfix_expect("a losing decision", r[i].status, r[i].res.message, BATON_FAILED_PRECONDITION, NULL);
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
		assert_int_equal(wins, 1);
		assert_int_equal(ticketfix_events(e->id, "escalation.approved") + ticketfix_events(e->id, "escalation.rejected"), 1);
		assert_int_equal(ticketfix_events(id, "ticket.escalation_approved") +
		                     ticketfix_events(id, "ticket.escalation_rejected"),
		    1);
		assert_int_equal(registry_sqln("SELECT count(*) FROM escalation WHERE id = '%s' AND state <> 'open'", e->id), 1);
		slafix_escalation_free(e);
	}
}

/* ---- expiry ---------------------------------------------------------------------------- */

/*
 * esc-expiry gives a lead 1 s: level 1 (esc-l1), then level 2 (esc-l2),
 * then the admins, where it stays. Two instances run the pass, so each step
 * must be written once. Fails if expiry does not move the escalation (it
 * stays at level 1), skips a level, sets an expiry at level 10 (a third
 * escalation.expired), or two instances both move it.
 */
static void an_undecided_escalation_moves_up_to_level_two_and_then_to_the_admins(void **state)
{
	const char *flags[] = { "--maintenance-ms=100", NULL };
	Baton__V1__ShowEscalationReply *shown = NULL;
	Baton__V1__ListEscalationsReply *l = NULL;
	Baton__V1__Escalation *e, *d = NULL;
	const char *want[] = { "escalation.requested", "escalation.expired", "escalation.expired", "escalation.approved" };
	size_t steps = 0;
	int64_t last = 0;
	char id[40];
	(void)state;

	registry_extra_start(registry.pg.conninfo, flags, true);
	ticketfix_on_shift(expiring, expiry_id[0], "de", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	held(expiring, "de", id);
	e = slafix_escalate_must(expiring->client, id, "Nobody answers me.", false);
	assert_int_equal(e->level, 1);
	assert_true(llabs(e->expires_unix_ms - e->routed_unix_ms - 1000) <= 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM escalation x JOIN principal p ON p.id = x.assignee_id"
	                               " WHERE x.id = '%s' AND p.handle = 'esc-l1' AND x.expiries = 0", e->id), 1);

	assert_true(slafix_wait_at_least(1, "SELECT count(*) FROM escalation WHERE id = '%s' AND level = 10", e->id));
	harness_sleep_ms(1500); /* passes of both instances, past another second */

	assert_int_equal(ticketfix_events(e->id, "escalation.expired"), 2);
	nth_event_is(e->id, "escalation.expired", 0, "body->>'level'", "2");
	nth_event_is(e->id, "escalation.expired", 0, "body->>'to'", "esc-l2");
	nth_event_is(e->id, "escalation.expired", 0, "body->>'expired_with'", "esc-l1");
	nth_event_is(e->id, "escalation.expired", 1, "body->>'level'", "10");
	nth_event_is(e->id, "escalation.expired", 1, "body->>'to'", "");
	nth_event_is(e->id, "escalation.expired", 1, "body->>'expired_with'", "esc-l2");
	nth_event_is(e->id, "escalation.expired", 0, "org_id", expiry_id[0]);

	SLAFIX_MUST("ShowEscalation", slafix_escalation_show(expiring->client, e->id, &shown, SLAFIX_MSG));
	assert_string_equal(shown->escalation->state, "open");
	assert_int_equal(shown->escalation->level, 10);
	assert_string_equal(shown->escalation->assignee, "");
	assert_int_equal(shown->escalation->expires_unix_ms, 0);
	assert_int_equal(shown->escalation->expiries, 2);
	assert_non_null(strstr(shown->escalation->routed_rule, "admins"));
	baton__v1__show_escalation_reply__free_unpacked(shown, NULL);
	/* Not esc-l1's any more. */
	SLAFIX_MUST("ListEscalations mine", slafix_escalations_list(l1->client, true, true, NULL, &l, SLAFIX_MSG));
	assert_null(slafix_listed(l, e->id));
	baton__v1__list_escalations_reply__free_unpacked(l, NULL);

	/* An admin decides; the history shows every step, oldest first. */
	SLAFIX_MUST("Approve (admin)", slafix_decide(registry.admin, e->id, false, NULL, NULL, &d, SLAFIX_MSG));
	assert_string_equal(d->new_owner, registry.admin_p.handle);
	slafix_escalation_free(d);
	SLAFIX_MUST("ShowEscalation", slafix_escalation_show(registry.lead.client, e->id, &shown, SLAFIX_MSG));
	for (size_t i = 0; i < shown->n_history; i++) {
		const Baton__V1__Event *ev = shown->history[i];
		if (ev->at_unix_ms < last)
			print_error("history step %zu (%s) is older than the one before\n", i, ev->kind);
		assert_true(ev->at_unix_ms >= last);
		last = ev->at_unix_ms;
		if (strncmp(ev->kind, "escalation.", 11) != 0)
			continue;
		if (steps >= 4 || strcmp(ev->kind, want[steps]) != 0)
			print_error("history step %zu: %s, want %s\n", i, ev->kind, steps < 4 ? want[steps] : "nothing");
		assert_true(steps < 4);
		assert_string_equal(ev->kind, want[steps]);
		assert_string_equal(ev->subject, e->id);
		steps++;
	}
	assert_int_equal(steps, 4);
	baton__v1__show_escalation_reply__free_unpacked(shown, NULL);
	row_is(id, "assigned", registry.admin_p.handle, "in-house");
	slafix_escalation_free(e);
	slafix_recomputes(id);
}

/* ---- who sees what ---------------------------------------------------------------------- */

static void partners_list_only_the_escalations_raised_from_their_queue(void **state)
{
	Baton__V1__ListEscalationsReply *l = NULL;
	Baton__V1__ShowEscalationReply *shown = NULL;
	Baton__V1__Escalation *ew, *es, *d = NULL;
	char wn_ticket[40], sl_ticket[40], msg[512];
	(void)state;

	wn_on_shift();
	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	wn_held(wn_ticket);
	held(&registry.sl_agent1, "es", sl_ticket);
	ew = slafix_escalate_must(registry.wn_agent1.client, wn_ticket, "Warsaw needs help.", false);
	es = slafix_escalate_must(registry.sl_agent1.client, sl_ticket, "Bogota needs help.", false);

	for (int who = 0; who < 2; who++) {
		baton_client *c = who ? registry.sl_mgr.client : registry.wn_mgr.client;
		const char *queue = who ? "sol-latino" : "warsaw-nights";

		SLAFIX_MUST("ListEscalations (partner)", slafix_escalations_list(c, false, false, NULL, &l, SLAFIX_MSG));
		assert_non_null(slafix_listed(l, who ? es->id : ew->id));
		assert_null(slafix_listed(l, who ? ew->id : es->id));
		for (size_t i = 0; i < l->n_escalations; i++)
			assert_string_equal(l->escalations[i]->queue, queue);
		baton__v1__list_escalations_reply__free_unpacked(l, NULL);
		swapfix_expect2(slafix_escalation_show(c, who ? ew->id : es->id, &shown, msg, sizeof(msg)), BATON_NOT_FOUND,
		    BATON_PERMISSION_DENIED, msg);
	}
	/* In-house leads see all of them; a ticket's own list is its own. */
	SLAFIX_MUST("ListEscalations (lead)", slafix_escalations_list(registry.lead.client, true, false, NULL, &l, SLAFIX_MSG));
	assert_non_null(slafix_listed(l, ew->id));
	assert_non_null(slafix_listed(l, es->id));
	for (size_t i = 0; i < l->n_escalations; i++)
		assert_string_equal(l->escalations[i]->state, "open");
	baton__v1__list_escalations_reply__free_unpacked(l, NULL);
	SLAFIX_MUST("ListEscalations --ticket", slafix_escalations_list(registry.lead.client, false, false, sl_ticket, &l, SLAFIX_MSG));
	assert_int_equal(l->n_escalations, 1);
	assert_string_equal(l->escalations[0]->id, es->id);
	baton__v1__list_escalations_reply__free_unpacked(l, NULL);

	/* Once approved, the ticket is in-house, but the escalation stays the
	 * partner's to read; it is no longer open. */
	SLAFIX_MUST("Approve", slafix_decide(l1->client, ew->id, false, NULL, NULL, &d, SLAFIX_MSG));
	slafix_escalation_free(d);
	SLAFIX_MUST("ListEscalations (partner, open)", slafix_escalations_list(registry.wn_mgr.client, true, false, NULL, &l, SLAFIX_MSG));
	assert_null(slafix_listed(l, ew->id));
	baton__v1__list_escalations_reply__free_unpacked(l, NULL);
	SLAFIX_MUST("ListEscalations (partner, all)", slafix_escalations_list(registry.wn_mgr.client, false, false, NULL, &l, SLAFIX_MSG));
	assert_non_null(slafix_listed(l, ew->id));
	assert_string_equal(slafix_listed(l, ew->id)->state, "approved");
	baton__v1__list_escalations_reply__free_unpacked(l, NULL);
	slafix_escalation_free(ew);
	slafix_escalation_free(es);
}

/* ---- the group ----------------------------------------------------------------------------- */

static int escalations_setup(void **state)
{
	const slafix_contract contracts[] = {
		{ .org = "warsaw-nights", .always_open = true, .first_response_s = 86400, .next_response_s = 86400,
		    .resolution_s = 86400, .escalation_normal_s = 3600, .escalation_urgent_s = 600 },
		{ .org = "sol-latino", .always_open = true, .first_response_s = 86400, .next_response_s = 86400,
		    .resolution_s = 86400, .escalation_normal_s = 3600, .escalation_urgent_s = 600 },
		{ .org = "esc-expiry", .always_open = true, .first_response_s = 86400, .next_response_s = 86400,
		    .resolution_s = 86400, .escalation_normal_s = 1, .escalation_urgent_s = 1 },
	};
	char msg[512];
	baton_status s;

	if (shiftfix_setup(state) != 0 || slafix_orgs_add("esc-expiry", "de", expiry_id) != 0 ||
	    slafix_contracts_set(contracts, sizeof(contracts) / sizeof(contracts[0])) != 0)
		return -1;
	l1 = shiftfix_person(registry.admin, "in-house", "esc-l1", "lead");
	l2 = shiftfix_person(registry.admin, "in-house", "esc-l2", "lead");
	expiring = shiftfix_person(registry.admin, "esc-expiry", "esc-x-agent", "agent");
	s = swapfix_rotation_add(registry.lead.client, "esc-first", 1, "UTC", "2026-01-01 00:00", 24, "esc-l1", NULL, msg,
	    sizeof(msg));
	if (s == BATON_OK)
		s = swapfix_rotation_add(registry.lead.client, "esc-second", 2, "UTC", "2026-01-01 00:00", 24, "esc-l2", NULL,
		    msg, sizeof(msg));
	if (s != BATON_OK)
		fprintf(stderr, "AddRotation: %s: %s\n", baton_status_str(s), msg);
	return s == BATON_OK ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(an_owners_escalation_reaches_the_level_one_lead_on_call_and_wakes_a_watcher,
		    ticketfix_cleanup),
		cmocka_unit_test_teardown(only_the_owner_escalates_and_an_integration_never, ticketfix_cleanup),
		cmocka_unit_test_teardown(partners_cannot_decide_and_any_in_house_lead_approves, ticketfix_cleanup),
		cmocka_unit_test_teardown(an_approver_may_hand_the_ticket_to_an_in_house_person, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_rejection_needs_a_note_which_reaches_the_owner_who_keeps_the_ticket,
		    ticketfix_cleanup),
		cmocka_unit_test_teardown(deciders_at_once_exactly_one_wins, ticketfix_cleanup),
		cmocka_unit_test_teardown(an_undecided_escalation_moves_up_to_level_two_and_then_to_the_admins,
		    ticketfix_cleanup),
		cmocka_unit_test_teardown(partners_list_only_the_escalations_raised_from_their_queue, ticketfix_cleanup),
	};

	/* Every batond of this program runs the maintenance pass every 200 ms,
	 * so expiries of a second happen in time. */
	setenv("BATON_MAINTENANCE_MS", "200", 1);
	return cmocka_run_group_tests_name("integration: escalations", tests, escalations_setup, shiftfix_teardown);
}
