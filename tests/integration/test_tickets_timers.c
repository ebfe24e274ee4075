/* test_tickets_timers.c - nothing stays with an idle or off-shift owner (real batond, real PostgreSQL, the maintenance pass every 200 ms): the return timer fires, owner acts restart it and a lead's do not, pending stops it, a new timeout waits for the owner's next act; the shift-end hand-off when a slot ends, a lead releases the seat or cancels the slot, carried on across back-to-back shifts, not for tickets passed on; each return and hand-off written once with three instances running the pass. */
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
#include "ticketfix.h"

/*
 * Two partner organizations of this file's own, speaking languages nobody
 * else's people do, so each case routes by its own shifts alone (every case
 * uses a language of its own as well): tmr-east and tmr-west (which sorts
 * after it, so a tie goes to tmr-east).
 */
#define LANGS "de,fr,it,nl,sv,da,fi,cs,hu,ro,tr"
static char east_id[40], west_id[40];

/* How long a poll for the maintenance pass's work may take at most. */
#define PASS_WAIT_MS 30000

/* ---- helpers ---------------------------------------------------------------------- */

static fixture_person *agent(const char *org, const char *handle)
{
	return shiftfix_person(registry.admin, org, handle, "agent");
}

static void policy(const char *org, int64_t seconds)
{
	char msg[512];
	shiftfix_expect("SetTicketPolicy", ticketfix_policy(registry.lead.client, org, seconds, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
}

/* A new ticket in lang, through the integration principal. */
static void create(const char *lang, char id[40])
{
	ticketfix_spec spec = { .language = lang, .subject = "Timer case" };
	ticketfix_create_must(registry.integ.client, &spec, id);
}

/* c takes id, which must succeed; the ticket after (caller frees). */
static Baton__V1__Ticket *take(baton_client *c, const char *id)
{
	Baton__V1__Ticket *t = NULL;
	char msg[512];

	shiftfix_expect("TakeTicket", ticketfix_take(c, id, &t, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_non_null(t);
	return t;
}

static void take_free(baton_client *c, const char *id)
{
	ticketfix_ticket_free(take(c, id));
}

/* Waits (bounded) until ticket id's status is status; returns whether it is. */
static bool wait_status(const char *id, const char *status)
{
	char st[64], owner[64], queue[64];

	for (int64_t give_up = harness_now_ms() + PASS_WAIT_MS;; harness_sleep_ms(100)) {
		ticketfix_row(id, st, owner, queue);
		if (strcmp(st, status) == 0)
			return true;
		if (harness_now_ms() > give_up) {
			print_error("ticket %s is still %s (owner '%s', queue %s), not %s\n", id, st, owner, queue, status);
			return false;
		}
	}
}

/* Asserts ticket id's status, owner and queue as the database holds them. */
static void row_is(const char *id, const char *status, const char *owner, const char *queue)
{
	char st[64], ow[64], q[64];

	ticketfix_row(id, st, ow, q);
	if (strcmp(st, status) != 0 || strcmp(ow, owner) != 0 || strcmp(q, queue) != 0)
		print_error("ticket %s is %s/%s/%s, want %s/%s/%s\n", id, st, ow, q, status, owner, queue);
	assert_string_equal(st, status);
	assert_string_equal(ow, owner);
	assert_string_equal(q, queue);
}

/* The value of the SQL expression expr (over the event's columns, "" for
 * NULL) of the latest event of kind about id, into out. */
static void event_field(const char *id, const char *kind, const char *expr, char *out, size_t len)
{
	assert_int_equal(registry_sqlf(out, len,
	                     "SELECT coalesce((%s)::text, '') FROM event WHERE subject_id = '%s' AND kind = '%s'"
	                     " ORDER BY id DESC LIMIT 1", expr, id, kind),
	    0);
}

static void event_field_is(const char *id, const char *kind, const char *expr, const char *want)
{
	char got[512];

	event_field(id, kind, expr, got, sizeof(got));
	if (strcmp(got, want) != 0)
		print_error("%s of %s about %s: '%s', want '%s'\n", expr, kind, id, got, want);
	assert_string_equal(got, want);
}

static void event_field_has(const char *id, const char *kind, const char *expr, const char *part)
{
	char got[512];

	event_field(id, kind, expr, got, sizeof(got));
	if (strstr(got, part) == NULL)
		print_error("%s of %s about %s: '%s', want it to say '%s'\n", expr, kind, id, got, part);
	assert_non_null(strstr(got, part));
}

/* When the owner last acted on id, to the second as event bodies write
 * times ("2027-03-05T17:00:12Z"), from the row itself. */
static void active_at(const char *id, char out[32])
{
	assert_int_equal(registry_sqlf(out, 32,
	                     "SELECT to_char(owner_active_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	                     " FROM ticket WHERE id = '%s'", id),
	    0);
	assert_int_equal(strlen(out), 20);
}

/* The ticket as lead sees it (caller frees). */
static Baton__V1__ShowTicketReply *show(const char *id)
{
	Baton__V1__ShowTicketReply *r = NULL;
	char msg[512];

	shiftfix_expect("ShowTicket", ticketfix_show(registry.lead.client, id, &r, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_non_null(r);
	return r;
}

/* ---- the return timer ------------------------------------------------------------------ */

static void an_idle_owner_loses_the_ticket_back_to_the_queue(void **state)
{
	fixture_person *p = agent("tmr-east", "tmr-idle");
	Baton__V1__ShowTicketReply *r;
	Baton__V1__Ticket *t;
	char id[40], idle_since[32], msg[512];
	bool seen = false;
	(void)state;

	ticketfix_on_shift(p, east_id, "de", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	policy("tmr-east", 2);
	create("de", id);
	row_is(id, "queued", "", "tmr-east");

	t = take(p->client, id);
	assert_string_equal(t->owner, "tmr-idle");
	assert_true(t->owner_active_unix_ms > 0);
	assert_int_equal(t->return_unix_ms - t->owner_active_unix_ms, 2000);
	active_at(id, idle_since);
	ticketfix_ticket_free(t);

	/* Nothing more from the owner: back to the queue, routed again (the
	 * owner's organization still holds the only de shift). */
	assert_true(wait_status(id, "queued"));
	row_is(id, "queued", "", "tmr-east");
	assert_int_equal(ticketfix_events(id, "ticket.returned"), 1);
	assert_int_equal(ticketfix_events(id, "ticket.handed_off"), 0);
	event_field_has(id, "ticket.returned", "body->>'reason'", "ownership timeout");
	event_field_is(id, "ticket.returned", "body->'before'->>'owner'", "tmr-idle");
	event_field_is(id, "ticket.returned", "body->'before'->>'status'", "assigned");
	event_field_is(id, "ticket.returned", "body->'after'->>'status'", "queued");
	event_field_is(id, "ticket.returned", "body->'after'->>'queue'", "tmr-east");
	event_field_has(id, "ticket.returned", "body->>'routed'", "tmr-east");
	event_field_is(id, "ticket.returned", "body->>'idle_since'", idle_since);
	event_field_is(id, "ticket.returned", "actor_id", "");

	/* The history says so, by batond itself, last. */
	r = show(id);
	assert_string_equal(r->ticket->status, "queued");
	assert_string_equal(r->ticket->owner, "");
	assert_int_equal(r->ticket->return_unix_ms, 0);
	assert_non_null(strstr(r->ticket->routed_rule, "tmr-east"));
	assert_true(r->n_events >= 3);
	assert_string_equal(r->events[r->n_events - 1]->kind, "ticket.returned");
	assert_string_equal(r->events[r->n_events - 1]->actor, "");
	for (size_t i = 0; i < r->n_events; i++)
		seen = seen || strcmp(r->events[i]->kind, "ticket.taken") == 0;
	assert_true(seen);
	baton__v1__show_ticket_reply__free_unpacked(r, NULL);

	/* It is an ordinary queued ticket again: taken and resolved. */
	take_free(p->client, id);
	shiftfix_expect("ResolveTicket", ticketfix_resolve(p->client, id, "solved", "done", NULL, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_int_equal(ticketfix_events(id, "ticket.returned"), 1);
}

static void owner_acts_restart_the_timer_and_a_leads_do_not(void **state)
{
	fixture_person *p = agent("tmr-east", "tmr-keep");
	Baton__V1__Ticket *t;
	int64_t taken_at, last_return, last_active = 0;
	char id[40], idle_since[32], msg[512];
	(void)state;

	ticketfix_on_shift(p, east_id, "fr", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	policy("tmr-east", 4);
	create("fr", id);
	t = take(p->client, id);
	taken_at = t->owner_active_unix_ms;
	last_return = t->return_unix_ms;
	assert_int_equal(last_return - taken_at, 4000);
	ticketfix_ticket_free(t);

	/* Replies and notes every half second, for longer than the timeout:
	 * each restarts it, so the owner keeps the ticket throughout. */
	for (int i = 0; i < 10; i++) {
		baton_status s;
		harness_sleep_ms(500);
		s = i % 2 ? ticketfix_note(p->client, id, "still on it", &t, msg, sizeof(msg))
		          : ticketfix_reply(p->client, id, "We are looking into it.", &t, msg, sizeof(msg));
		shiftfix_expect(i % 2 ? "NoteTicket" : "ReplyTicket", s, msg, BATON_OK, NULL);
		assert_string_equal(t->status, "assigned");
		assert_string_equal(t->owner, "tmr-keep");
		assert_true(t->owner_active_unix_ms > taken_at);
		assert_int_equal(t->return_unix_ms - t->owner_active_unix_ms, 4000);
		assert_true(t->return_unix_ms > last_return);
		last_return = t->return_unix_ms;
		last_active = t->owner_active_unix_ms;
		ticketfix_ticket_free(t);
		active_at(id, idle_since);
	}
	assert_true(last_active - taken_at > 4000);
	assert_int_equal(ticketfix_events(id, "ticket.returned"), 0);
	row_is(id, "assigned", "tmr-keep", "tmr-east");

	/* A lead's note is no act of the owner's: the timer stays where it was. */
	shiftfix_expect("NoteTicket (lead)", ticketfix_note(registry.lead.client, id, "lead was here", &t, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	assert_int_equal(t->return_unix_ms, last_return);
	assert_int_equal(t->owner_active_unix_ms, last_active);
	ticketfix_ticket_free(t);

	/* Then nothing: it returns, idle since the owner's last act. */
	assert_true(wait_status(id, "queued"));
	assert_int_equal(ticketfix_events(id, "ticket.returned"), 1);
	event_field_is(id, "ticket.returned", "body->>'idle_since'", idle_since);
	event_field_is(id, "ticket.returned", "body->'before'->>'owner'", "tmr-keep");
}

static void a_pending_ticket_does_not_return_until_the_customer_wakes_it(void **state)
{
	fixture_person *p = agent("tmr-east", "tmr-pend");
	Baton__V1__Ticket *t;
	char waiting[40], idle[40], msg[512];
	(void)state;

	ticketfix_on_shift(p, east_id, "it", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	policy("tmr-east", 2);
	create("it", waiting);
	create("it", idle);
	take_free(p->client, waiting);
	take_free(p->client, idle);
	shiftfix_expect("PendTicket", ticketfix_pend(p->client, waiting, "asked for logs", &t, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_string_equal(t->status, "pending");
	assert_int_equal(t->return_unix_ms, 0);
	ticketfix_ticket_free(t);

	/* The one taken later returns, so the pass has run past the time the
	 * pending one would have been due; that one stays with its owner. */
	assert_true(wait_status(idle, "queued"));
	assert_int_equal(ticketfix_events(idle, "ticket.returned"), 1);
	row_is(waiting, "pending", "tmr-pend", "tmr-east");
	assert_int_equal(ticketfix_events(waiting, "ticket.returned"), 0);

	/* The customer answers: assigned again, the timer runs from now. */
	shiftfix_expect("AddCustomerReply",
	    ticketfix_customer(registry.integ.client, waiting, "Here are the logs.", &t, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	assert_string_equal(t->status, "assigned");
	assert_string_equal(t->owner, "tmr-pend");
	assert_int_equal(t->return_unix_ms - t->owner_active_unix_ms, 2000);
	ticketfix_ticket_free(t);
	assert_true(wait_status(waiting, "queued"));
	assert_int_equal(ticketfix_events(waiting, "ticket.returned"), 1);
	event_field_is(waiting, "ticket.returned", "body->'before'->>'status'", "assigned");
}

/* The timeout is part of the SLA contract, which is versioned: a ticket
 * keeps the version in force when it was created (docs/sla.md). */
static void a_new_timeout_applies_to_tickets_created_after_it(void **state)
{
	fixture_person *p = agent("tmr-east", "tmr-later");
	Baton__V1__ShowTicketReply *r;
	Baton__V1__Ticket *t;
	int64_t due;
	char id[40], control[40], msg[512];
	(void)state;

	ticketfix_on_shift(p, east_id, "ro", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	policy("tmr-east", 3600);
	create("ro", id);
	t = take(p->client, id);
	due = t->return_unix_ms;
	ticketfix_ticket_free(t);
	/* Shortened while the ticket is held: its timer stays an hour; one
	 * created after the change has the new one and returns. */
	policy("tmr-east", 2);
	create("ro", control);
	take_free(p->client, control);
	assert_true(wait_status(control, "queued"));
	row_is(id, "assigned", "tmr-later", "tmr-east");
	r = show(id);
	assert_int_equal(r->ticket->return_unix_ms, due);
	baton__v1__show_ticket_reply__free_unpacked(r, NULL);
	/* The owner's next act renews the ticket's own hour. */
	shiftfix_expect("NoteTicket", ticketfix_note(p->client, id, "still here", &t, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	assert_int_equal(t->return_unix_ms - t->owner_active_unix_ms, 3600000);
	ticketfix_ticket_free(t);
	row_is(id, "assigned", "tmr-later", "tmr-east");
	assert_int_equal(ticketfix_events(id, "ticket.returned"), 0);
}

/* ---- the shift-end hand-off ----------------------------------------------------------------- */

/* Checks the ticket.handed_off event about id: by batond, naming the shift. */
static void handed_off_names(const char *id, const char *owner, const char *before, const char *slot,
    const char *claim, const char *released, const char *queue)
{
	assert_int_equal(ticketfix_events(id, "ticket.handed_off"), 1);
	assert_int_equal(ticketfix_events(id, "ticket.returned"), 0);
	event_field_is(id, "ticket.handed_off", "actor_id", "");
	event_field_has(id, "ticket.handed_off", "body->>'reason'", "shift ended");
	event_field_is(id, "ticket.handed_off", "body->'before'->>'owner'", owner);
	event_field_is(id, "ticket.handed_off", "body->'before'->>'status'", before);
	event_field_is(id, "ticket.handed_off", "body->'after'->>'status'", "queued");
	event_field_is(id, "ticket.handed_off", "body->'after'->>'queue'", queue);
	event_field_has(id, "ticket.handed_off", "body->>'routed'", queue);
	event_field_is(id, "ticket.handed_off", "body->'shift'->>'slot'", slot);
	event_field_is(id, "ticket.handed_off", "body->'shift'->>'claim'", claim);
	event_field_is(id, "ticket.handed_off", "body->'shift'->>'released'", released);
}

static void the_shift_end_hands_unresolved_tickets_to_the_next_shift(void **state)
{
	fixture_person *late = agent("tmr-east", "tmr-late"), *next = agent("tmr-west", "tmr-next");
	int64_t ends = shiftfix_now_ms() + 6000;
	char slot[40], claim[40], open[40], waiting[40], msg[512];
	Baton__V1__Ticket *t;
	(void)state;

	policy("tmr-east", 3600);
	policy("tmr-west", 3600);
	ticketfix_on_shift(late, east_id, "nl", ends, slot, claim);
	create("nl", open);
	create("nl", waiting);
	t = take(late->client, open);
	assert_int_equal(t->shift_ends_unix_ms, ends);
	ticketfix_ticket_free(t);
	take_free(late->client, waiting);
	shiftfix_expect("PendTicket", ticketfix_pend(late->client, waiting, "waiting on the customer", NULL, msg,
	                                  sizeof(msg)),
	    msg, BATON_OK, NULL);
	/* The next shift is on already (a tie goes to tmr-east while both are). */
	ticketfix_on_shift(next, west_id, "nl", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);

	assert_true(wait_status(open, "queued"));
	assert_true(wait_status(waiting, "queued"));
	assert_true(shiftfix_now_ms() >= ends);
	row_is(open, "queued", "", "tmr-west");
	row_is(waiting, "queued", "", "tmr-west");
	handed_off_names(open, "tmr-late", "assigned", slot, claim, "false", "tmr-west");
	handed_off_names(waiting, "tmr-late", "pending", slot, claim, "false", "tmr-west");
	event_field_is(waiting, "ticket.handed_off", "body->'before'->>'queue'", "tmr-east");
	event_field_is(open, "ticket.handed_off", "body->'shift'->>'language'", "nl");

	/* The next shift takes it; the one whose shift ended cannot. */
	take_free(next->client, open);
	shiftfix_expect("TakeTicket after the shift", ticketfix_take(late->client, waiting, NULL, msg, sizeof(msg)), msg,
	    BATON_NOT_FOUND, NULL);
}

static void a_seat_released_by_a_lead_ends_the_shift_at_once(void **state)
{
	fixture_person *p = agent("tmr-east", "tmr-freed");
	char slot[40], claim[40], id[40], msg[512];
	(void)state;

	policy("tmr-east", 3600);
	ticketfix_on_shift(p, east_id, "sv", shiftfix_now_ms() + SH_HOUR_MS, slot, claim);
	create("sv", id);
	take_free(p->client, id);
	harness_sleep_ms(600); /* several passes: nothing is due yet */
	row_is(id, "assigned", "tmr-freed", "tmr-east");

	shiftfix_expect("ReleaseSeat (lead)", shiftfix_release(registry.lead.client, claim, NULL, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_true(wait_status(id, "queued"));
	/* Nobody else is on an sv shift: the in-house queue. */
	row_is(id, "queued", "", "in-house");
	assert_int_equal(ticketfix_events(id, "ticket.handed_off"), 1);
	assert_int_equal(ticketfix_events(id, "ticket.returned"), 0);
	event_field_is(id, "ticket.handed_off", "body->'shift'->>'claim'", claim);
	event_field_is(id, "ticket.handed_off", "body->'shift'->>'slot'", slot);
	event_field_is(id, "ticket.handed_off", "body->'shift'->>'released'", "true");
	event_field_is(id, "ticket.handed_off", "body->'before'->>'owner'", "tmr-freed");
	event_field_has(id, "ticket.handed_off", "body->>'routed'", "in-house queue");
	/* A move between queues is news to both. */
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND kind = 'ticket.handed_off'"
	                               " AND org_id = '%s' AND also_org_id = '%s'", id, east_id, registry.in_house_id),
	    1);
}

static void a_cancelled_shift_hands_its_tickets_off(void **state)
{
	fixture_person *p = agent("tmr-east", "tmr-cut");
	char slot[40], claim[40], id[40], msg[512];
	(void)state;

	policy("tmr-east", 3600);
	ticketfix_on_shift(p, east_id, "tr", shiftfix_now_ms() + SH_HOUR_MS, slot, claim);
	create("tr", id);
	take_free(p->client, id);
	shiftfix_expect("CancelSlot", shiftfix_cancel(registry.lead.client, slot, false, NULL, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_true(wait_status(id, "queued"));
	row_is(id, "queued", "", "in-house");
	assert_int_equal(ticketfix_events(id, "ticket.handed_off"), 1);
	event_field_is(id, "ticket.handed_off", "body->'shift'->>'claim'", claim);
	event_field_is(id, "ticket.handed_off", "body->'shift'->>'released'", "true");
}

static void back_to_back_shifts_carry_the_ticket_on(void **state)
{
	fixture_person *b2b = agent("tmr-east", "tmr-b2b"), *alone = agent("tmr-east", "tmr-alone");
	int64_t ends = shiftfix_now_ms() + 6000;
	shiftfix_slot later = { .queue = "support", .language = "da", .starts_ms = ends, .ends_ms = ends + SH_HOUR_MS,
		.orgs = east_id, .note = "the next shift" };
	char slot_b[40], claim_b[40], kept[40], dropped[40], got[64], msg[512];
	Baton__V1__Ticket *t;
	(void)state;

	policy("tmr-east", 3600);
	ticketfix_on_shift(b2b, east_id, "da", ends, NULL, NULL);
	shiftfix_slot_must(registry.lead.client, &later, slot_b);
	ticketfix_seat(b2b, slot_b, claim_b);
	ticketfix_on_shift(alone, east_id, "da", ends, NULL, NULL);
	create("da", kept);
	create("da", dropped);
	t = take(b2b->client, kept);
	assert_int_equal(t->shift_ends_unix_ms, ends);
	ticketfix_ticket_free(t);
	take_free(alone->client, dropped);

	/* The same end: one owner has a next shift, the other none. */
	assert_true(wait_status(dropped, "queued"));
	assert_int_equal(ticketfix_events(dropped, "ticket.handed_off"), 1);
	for (int64_t give_up = harness_now_ms() + PASS_WAIT_MS; harness_now_ms() < give_up; harness_sleep_ms(100))
		if (registry_sqln("SELECT count(*) FROM ticket WHERE id = '%s' AND (shift_ends_at > to_timestamp(%lld / 1000.0)"
		                  " OR status <> 'assigned')", kept, (long long)ends) == 1)
			break;
	harness_sleep_ms(600); /* and a few passes more */
	row_is(kept, "assigned", "tmr-b2b", "tmr-east");
	assert_int_equal(ticketfix_events(kept, "ticket.handed_off"), 0);
	assert_int_equal(ticketfix_events(kept, "ticket.returned"), 0);
	/* Held under the next shift now, until it ends. */
	assert_int_equal(registry_sqlf(got, sizeof(got), "SELECT owner_claim_id FROM ticket WHERE id = '%s'", kept), 0);
	assert_string_equal(got, claim_b);
	shiftfix_expect("ShowTicket", ticketfix_show(b2b->client, kept, NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
	t = NULL;
	shiftfix_expect("NoteTicket", ticketfix_note(b2b->client, kept, "new shift, same ticket", &t, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	assert_int_equal(t->shift_ends_unix_ms, ends + SH_HOUR_MS);
	ticketfix_ticket_free(t);
	(void)shiftfix_cancel(registry.lead.client, slot_b, false, NULL, msg, sizeof(msg));
}

static void a_ticket_passed_on_before_the_shift_ended_is_not_handed_off(void **state)
{
	fixture_person *leaving = agent("tmr-east", "tmr-leaving"), *staying = agent("tmr-east", "tmr-staying");
	int64_t ends = shiftfix_now_ms() + 6000;
	char to_person[40], to_queue[40], in_house[40], left[40], msg[512];
	Baton__V1__Ticket *t;
	(void)state;

	policy("tmr-east", 3600);
	ticketfix_on_shift(leaving, east_id, "fi", ends, NULL, NULL);
	ticketfix_on_shift(staying, east_id, "fi", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	create("fi", to_person);
	create("fi", to_queue);
	create("fi", in_house);
	create("fi", left);
	take_free(leaving->client, to_person);
	take_free(leaving->client, to_queue);
	take_free(leaving->client, in_house);
	take_free(leaving->client, left);
	shiftfix_expect("PassTicket to a person",
	    ticketfix_pass(leaving->client, to_person, "tmr-staying", NULL, "over to you", &t, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_string_equal(t->owner, "tmr-staying");
	assert_true(t->shift_ends_unix_ms > ends + 30 * SH_MINUTE_MS);
	ticketfix_ticket_free(t);
	shiftfix_expect("PassTicket to the queue",
	    ticketfix_pass(leaving->client, to_queue, NULL, "tmr-east", "back to the queue", NULL, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	/* A lead hands one to an in-house manager, who needs no shift. */
	shiftfix_expect("PassTicket (lead) in-house",
	    ticketfix_pass(registry.lead.client, in_house, "hq-manager", NULL, "escalated", &t, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_string_equal(t->owner, "hq-manager");
	assert_string_equal(t->queue, "in-house");
	assert_int_equal(t->shift_ends_unix_ms, 0);
	ticketfix_ticket_free(t);

	/* The one left with the owner is handed off; the ones passed on are not. */
	assert_true(wait_status(left, "queued"));
	assert_int_equal(ticketfix_events(left, "ticket.handed_off"), 1);
	harness_sleep_ms(600);
	row_is(to_person, "assigned", "tmr-staying", "tmr-east");
	row_is(to_queue, "queued", "", "tmr-east");
	row_is(in_house, "assigned", "hq-manager", "in-house");
	assert_int_equal(ticketfix_events(to_person, "ticket.handed_off"), 0);
	assert_int_equal(ticketfix_events(to_queue, "ticket.handed_off"), 0);
	assert_int_equal(ticketfix_events(in_house, "ticket.handed_off"), 0);
	assert_int_equal(ticketfix_events(to_person, "ticket.passed"), 1);
}

/* ---- several instances ------------------------------------------------------------------- */

static void three_instances_write_each_return_and_hand_off_once(void **state)
{
	const char *flags[] = { "--maintenance-ms=100", NULL };
	fixture_person *idler = agent("tmr-east", "tmr-many"), *leaver = agent("tmr-west", "tmr-many-end");
	char idle[12][40], ending[8][40];
	int64_t ends;
	(void)state;

	registry_extra_start(registry.pg.conninfo, flags, true);
	registry_extra_start(registry.pg.conninfo, flags, true);
	policy("tmr-east", 2);
	policy("tmr-west", 3600);
	ticketfix_on_shift(idler, east_id, "cs", shiftfix_now_ms() + SH_HOUR_MS, NULL, NULL);
	ends = shiftfix_now_ms() + 8000;
	ticketfix_on_shift(leaver, west_id, "hu", ends, NULL, NULL);
	for (int i = 0; i < 8; i++) {
		create("hu", ending[i]);
		take_free(leaver->client, ending[i]);
	}
	for (int i = 0; i < 12; i++)
		create("cs", idle[i]);
	for (int i = 0; i < 12; i++)
		take_free(idler->client, idle[i]);

	for (int i = 0; i < 12; i++)
		assert_true(wait_status(idle[i], "queued"));
	for (int i = 0; i < 8; i++)
		assert_true(wait_status(ending[i], "queued"));
	harness_sleep_ms(1000); /* many passes of all three more */
	for (int i = 0; i < 12; i++) {
		assert_int_equal(ticketfix_events(idle[i], "ticket.returned"), 1);
		assert_int_equal(ticketfix_events(idle[i], "ticket.handed_off"), 0);
		row_is(idle[i], "queued", "", "tmr-east");
	}
	for (int i = 0; i < 8; i++) {
		assert_int_equal(ticketfix_events(ending[i], "ticket.handed_off"), 1);
		assert_int_equal(ticketfix_events(ending[i], "ticket.returned"), 0);
		row_is(ending[i], "queued", "", "in-house");
	}
}

/* ---- the group ----------------------------------------------------------------------------- */

static int timers_setup(void **state)
{
	baton_result res;

	if (shiftfix_setup(state) != 0)
		return -1;
	for (int i = 0; i < 2; i++) {
		baton_status s = fixture_org_add(registry.admin, i ? "tmr-west" : "tmr-east", "overflow", LANGS, "UTC",
		    i ? west_id : east_id, &res);
		if (s != BATON_OK)
			fprintf(stderr, "AddOrg: %s\n", res.message);
		baton_result_clear(&res);
		if (s != BATON_OK)
			return -1;
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(an_idle_owner_loses_the_ticket_back_to_the_queue, ticketfix_cleanup),
		cmocka_unit_test_teardown(owner_acts_restart_the_timer_and_a_leads_do_not, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_pending_ticket_does_not_return_until_the_customer_wakes_it, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_new_timeout_applies_to_tickets_created_after_it, ticketfix_cleanup),
		cmocka_unit_test_teardown(the_shift_end_hands_unresolved_tickets_to_the_next_shift, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_seat_released_by_a_lead_ends_the_shift_at_once, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_cancelled_shift_hands_its_tickets_off, ticketfix_cleanup),
		cmocka_unit_test_teardown(back_to_back_shifts_carry_the_ticket_on, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_ticket_passed_on_before_the_shift_ended_is_not_handed_off, ticketfix_cleanup),
		cmocka_unit_test_teardown(three_instances_write_each_return_and_hand_off_once, ticketfix_cleanup),
	};

	/* Every batond of this program (the registry's too) runs the
	 * maintenance pass every 200 ms, so timers of seconds fire in time. */
	setenv("BATON_MAINTENANCE_MS", "200", 1);
	return cmocka_run_group_tests_name("integration: ticket timers", tests, timers_setup, shiftfix_teardown);
}
