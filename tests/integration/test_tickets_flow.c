/* test_tickets_flow.c - working a ticket (real batond, real PostgreSQL): pass on with a note, every invalid transition refused with a reason and nothing written, only the owner or a lead acts, first response, pending and wake-up, resolve, reopen, the whole story in ShowTicket, every event signed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ticketfix.h"

#define HOURS_FROM_NOW(h) (shiftfix_now_ms() + (int64_t)(h) * SH_HOUR_MS)

/* In-house agents: x owns the tickets, y is someone else. */
static fixture_person *x, *y;

static void staff(void)
{
	if (x == NULL) {
		x = shiftfix_person(registry.admin, "in-house", "hq-agent-x", "agent");
		y = shiftfix_person(registry.admin, "in-house", "hq-agent-y", "agent");
	}
}

static int flow_teardown(void **state)
{
	x = y = NULL;
	return shiftfix_teardown(state);
}

enum { QUEUED, ASSIGNED, PENDING, RESOLVED };

/* A new in-house ticket in lang, brought to state by x; id goes to id. */
static void ticket_in(int state, const char *lang, char id[40])
{
	ticketfix_spec spec = { .language = lang, .body = "Help" };
	char msg[512];

	staff();
	ticketfix_create_must(registry.integ.client, &spec, id);
	if (state == QUEUED)
		return;
	shiftfix_expect("x takes", ticketfix_take(x->client, id, NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
	if (state == PENDING)
		shiftfix_expect("x pends", ticketfix_pend(x->client, id, "waiting for logs", NULL, msg, sizeof(msg)), msg,
		    BATON_OK, NULL);
	if (state == RESOLVED)
		shiftfix_expect("x resolves", ticketfix_resolve(x->client, id, "solved", "fixed", NULL, msg, sizeof(msg)), msg,
		    BATON_OK, NULL);
}

static void row_is(const char *id, const char *status, const char *owner, const char *queue)
{
	char s[64], o[64], q[64];

	ticketfix_row(id, s, o, q);
	if (strcmp(s, status) != 0 || strcmp(o, owner) != 0 || strcmp(q, queue) != 0)
		print_error("ticket %s is %s/%s/%s, want %s/%s/%s\n", id, s, o, q, status, owner, queue);
	assert_string_equal(s, status);
	assert_string_equal(o, owner);
	assert_string_equal(q, queue);
}

/* The member at path of the only event of kind about id. */
static void event_member(const char *id, const char *kind, const char *path, char *out, size_t len)
{
	assert_int_equal(ticketfix_events(id, kind), 1);
	assert_int_equal(registry_sqlf(out, len, "SELECT coalesce(body #>> '%s', '(none)') FROM event"
	                                         " WHERE subject_id = '%s' AND kind = '%s'", path, id, kind), 0);
}

static char long_text[20002];

static char *text_of(size_t n)
{
	memset(long_text, 'a', n);
	long_text[n] = '\0';
	return long_text;
}

/* ---- 1. pass ------------------------------------------------------------------------------ */

static void a_pass_needs_a_note_and_one_target_and_a_refusal_writes_nothing(void **state)
{
	char id[40], before[256], after[256], msg[512];
	(void)state;

	ticket_in(ASSIGNED, "de", id);
	ticketfix_snapshot(id, before);
	shiftfix_expect("a pass to a person with no note", ticketfix_pass(x->client, id, y->handle, NULL, "", NULL, msg,
	                                                        sizeof(msg)), msg, BATON_INVALID_ARGUMENT, "note");
	shiftfix_expect("a pass to a queue with no note", ticketfix_pass(x->client, id, NULL, "route", NULL, NULL, msg,
	                                                       sizeof(msg)), msg, BATON_INVALID_ARGUMENT, "note");
	shiftfix_expect("a pass with too long a note", ticketfix_pass(x->client, id, y->handle, NULL, text_of(20001), NULL,
	                                                    msg, sizeof(msg)), msg, BATON_INVALID_ARGUMENT, "note");
	shiftfix_expect("a pass to nobody", ticketfix_pass(x->client, id, NULL, NULL, "note", NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, NULL);
	shiftfix_expect("a pass to both", ticketfix_pass(x->client, id, y->handle, "route", "note", NULL, msg, sizeof(msg)),
	    msg, BATON_INVALID_ARGUMENT, NULL);
	shiftfix_expect("a pass by the lead with no note", ticketfix_pass(registry.lead.client, id, y->handle, NULL, "", NULL,
	                                                        msg, sizeof(msg)), msg, BATON_INVALID_ARGUMENT, "note");
	ticketfix_snapshot(id, after);
	assert_string_equal(before, after);
	row_is(id, "assigned", x->handle, "in-house");
}

static void a_pass_to_a_person_makes_them_the_owner(void **state)
{
	fixture_person *gone, *bot;
	Baton__V1__Ticket *t = NULL;
	char id[40], before[256], after[256], msg[512], member[256];
	int64_t t0 = shiftfix_now_ms();
	(void)state;

	ticket_in(ASSIGNED, "es", id);
	shiftfix_expect("x passes to y", ticketfix_pass(x->client, id, y->handle, NULL, "over to you", &t, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	assert_string_equal(t->owner, y->handle);
	assert_string_equal(t->status, "assigned");
	assert_true(t->owner_since_unix_ms >= t0 - 1000);
	assert_true(t->return_unix_ms >= t0 + 29 * SH_MINUTE_MS);
	ticketfix_ticket_free(t);
	row_is(id, "assigned", y->handle, "in-house");
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket_message WHERE ticket_id = '%s' AND kind = 'handoff'"
	                               " AND body = 'over to you' AND author_handle = '%s'", id, x->handle), 1);
	event_member(id, "ticket.passed", "{before,owner}", member, sizeof(member));
	assert_string_equal(member, x->handle);
	event_member(id, "ticket.passed", "{after,owner}", member, sizeof(member));
	assert_string_equal(member, y->handle);
	event_member(id, "ticket.passed", "{note}", member, sizeof(member));
	assert_string_equal(member, "over to you");
	/* x has let go. */
	shiftfix_expect("x replying after the pass", ticketfix_reply(x->client, id, "hi", NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, y->handle);

	/* Not to just anyone. */
	gone = shiftfix_person(registry.admin, "in-house", "hq-gone", "agent");
	bot = shiftfix_person(registry.admin, "in-house", "hq-bot", "integration");
	shiftfix_expect("disabling", registry_principal_disable(registry.admin, gone->handle, NULL, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	ticketfix_snapshot(id, before);
	shiftfix_expect("a pass to a disabled person", ticketfix_pass(y->client, id, gone->handle, NULL, "n", NULL, msg,
	                                                    sizeof(msg)), msg, BATON_FAILED_PRECONDITION, "hq-gone");
	shiftfix_expect("a pass to an integration", ticketfix_pass(y->client, id, bot->handle, NULL, "n", NULL, msg,
	                                                 sizeof(msg)), msg, BATON_FAILED_PRECONDITION, "hq-bot");
	shiftfix_expect("a pass to the owner", ticketfix_pass(y->client, id, y->handle, NULL, "n", NULL, msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, y->handle);
	shiftfix_expect("a pass to nobody known", ticketfix_pass(y->client, id, "no-such-person", NULL, "n", NULL, msg,
	                                              sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
	/* A partner's person needs a fitting shift, and the refusal names them. */
	shiftfix_expect("a pass to a partner off shift", ticketfix_pass(y->client, id, "sl-agent2", NULL, "n", NULL, msg,
	                                                     sizeof(msg)), msg, BATON_FAILED_PRECONDITION, "sl-agent2");
	ticketfix_on_shift(&registry.wn_agent2, registry.wn_id, "pl", HOURS_FROM_NOW(2), NULL, NULL);
	shiftfix_expect("a pass to a partner on a shift that does not fit", ticketfix_pass(y->client, id, "wn-agent2", NULL,
	                                                                         "n", NULL, msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, "wn-agent2");
	ticketfix_snapshot(id, after);
	assert_string_equal(before, after);

	/* On a fitting shift: theirs, in their queue, held by the shift. */
	char claim[40];
	ticketfix_on_shift(&registry.sl_agent2, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, claim);
	shiftfix_expect("a pass to a partner on shift", ticketfix_pass(y->client, id, "sl-agent2", NULL, "para ti", &t, msg,
	                                                     sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(t->owner, "sl-agent2");
	assert_string_equal(t->queue, "sol-latino");
	assert_true(t->shift_ends_unix_ms > shiftfix_now_ms());
	ticketfix_ticket_free(t);
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket WHERE id = '%s' AND owner_claim_id = '%s'", id, claim), 1);
	/* The partner reads the hand-off notes that came with it. */
	Baton__V1__ShowTicketReply *show = NULL;
	shiftfix_expect("sl-agent2 showing it", ticketfix_show(registry.sl_agent2.client, id, &show, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_true(show->n_messages >= 3);
	assert_string_equal(show->messages[show->n_messages - 1]->body, "para ti");
	baton__v1__show_ticket_reply__free_unpacked(show, NULL);
	/* A partner passes only to people it may see. */
	shiftfix_expect("sol-latino passing to warsaw-nights", ticketfix_pass(registry.sl_agent2.client, id, "wn-agent2",
	                                                           NULL, "n", NULL, msg, sizeof(msg)), msg, BATON_NOT_FOUND,
	    NULL);
	row_is(id, "assigned", "sl-agent2", "sol-latino");
}

static void a_pass_to_a_queue_leaves_it_unowned_there(void **state)
{
	fixture_person *s1 = shiftfix_person(registry.admin, "cap-south", "cs-flow-1", "agent");
	fixture_person *s2 = shiftfix_person(registry.admin, "cap-south", "cs-flow-2", "agent");
	Baton__V1__Ticket *t = NULL;
	char id[40], member[512], msg[512];
	(void)state;

	/* Back to its own queue. */
	ticket_in(ASSIGNED, "es", id);
	shiftfix_expect("x passes to in-house", ticketfix_pass(x->client, id, NULL, "in-house", "back", &t, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	assert_string_equal(t->status, "queued");
	assert_string_equal(t->owner, "");
	assert_int_equal(t->return_unix_ms, 0);
	ticketfix_ticket_free(t);
	row_is(id, "queued", "", "in-house");
	shiftfix_expect("a pass to an unknown queue", ticketfix_pass(registry.lead.client, id, NULL, "no-such-org", "n", NULL,
	                                                   msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);

	/* "route": where the rule sends it now, saying why. */
	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	shiftfix_expect("y takes", ticketfix_take(y->client, id, NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
	shiftfix_expect("y routes it", ticketfix_pass(y->client, id, NULL, "route", "for the es desk", &t, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	assert_string_equal(t->queue, "sol-latino");
	assert_string_equal(t->status, "queued");
	assert_non_null(strstr(t->routed_rule, "sol-latino"));
	ticketfix_ticket_free(t);
	row_is(id, "queued", "", "sol-latino");
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND kind = 'ticket.passed'"
	                               " AND org_id = '%s' AND also_org_id = '%s'", id, registry.in_house_id, registry.sl_id),
	    1);

	/* A partner routing away: cap-south has more people on es now. */
	shiftfix_expect("sl-agent1 takes", ticketfix_take(registry.sl_agent1.client, id, NULL, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	ticketfix_on_shift(s1, shiftfix_south_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	ticketfix_on_shift(s2, shiftfix_south_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	shiftfix_expect("sl-agent1 routes it", ticketfix_pass(registry.sl_agent1.client, id, NULL, "route", "más gente allí",
	                                           &t, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(t->queue, "cap-south");
	ticketfix_ticket_free(t);
	row_is(id, "queued", "", "cap-south");
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND kind = 'ticket.passed'"
	                               " AND org_id = '%s' AND also_org_id = '%s' AND actor_id = '%s'",
	                     id, registry.sl_id, shiftfix_south_id, registry.sl_agent1.id), 1);
	assert_int_equal(registry_sqlf(member, sizeof(member), "SELECT body #>> '{routed}' FROM event WHERE subject_id = '%s'"
	                                                       " AND kind = 'ticket.passed' AND actor_id = '%s'",
	                     id, registry.sl_agent1.id), 0);
	assert_non_null(strstr(member, "cap-south holds 2"));
	/* Now it is out of sol-latino's sight. */
	shiftfix_expect("sol-latino showing it", ticketfix_show(registry.sl_agent1.client, id, NULL, msg, sizeof(msg)), msg,
	    BATON_NOT_FOUND, NULL);
}

/* ---- 2. invalid transitions ------------------------------------------------------------------- */

enum { OP_TAKE, OP_PEND, OP_RESOLVE, OP_REOPEN, OP_REPLY, OP_NOTE, OP_PASS };

static baton_status act(int op, baton_client *c, const char *id, char *msg)
{
	switch (op) {
	case OP_TAKE: return ticketfix_take(c, id, NULL, msg, 512);
	case OP_PEND: return ticketfix_pend(c, id, "waiting", NULL, msg, 512);
	case OP_RESOLVE: return ticketfix_resolve(c, id, "solved", "done", NULL, msg, 512);
	case OP_REOPEN: return ticketfix_reopen(c, id, "again", NULL, msg, 512);
	case OP_REPLY: return ticketfix_reply(c, id, "hello", NULL, msg, 512);
	case OP_NOTE: return ticketfix_note(c, id, "hm", NULL, msg, 512);
	default: return ticketfix_pass(c, id, "hq-lead", NULL, "yours", NULL, msg, 512);
	}
}

static void every_invalid_transition_says_why_and_writes_nothing(void **state)
{
	static const char *const ops[] = { "take", "pend", "resolve", "reopen", "reply", "note", "pass" };
	static const char *const states[] = { "queued", "assigned", "pending", "resolved" };
	enum { X, Y, LEAD };
	static const struct {
		int         op, state, who;
		const char *says;
	} bad[] = {
		{ OP_TAKE, ASSIGNED, Y, "already owned by hq-agent-x" }, { OP_TAKE, ASSIGNED, X, "already" },
		{ OP_TAKE, PENDING, Y, "already owned by hq-agent-x" }, { OP_TAKE, RESOLVED, Y, "reopen it first" },
		{ OP_TAKE, RESOLVED, LEAD, "reopen it first" },
		{ OP_PEND, PENDING, X, "already pending" }, { OP_PEND, QUEUED, X, "take it first" },
		{ OP_PEND, RESOLVED, X, "resolved" }, { OP_PEND, ASSIGNED, Y, "owned by hq-agent-x" },
		{ OP_PEND, QUEUED, LEAD, "take it first" },
		{ OP_RESOLVE, QUEUED, X, "take it first" }, { OP_RESOLVE, RESOLVED, X, "resolved" },
		{ OP_RESOLVE, RESOLVED, LEAD, "resolved" }, { OP_RESOLVE, ASSIGNED, Y, "owned by hq-agent-x" },
		{ OP_RESOLVE, PENDING, Y, "owned by hq-agent-x" },
		{ OP_REOPEN, QUEUED, X, "queued, not resolved" }, { OP_REOPEN, ASSIGNED, X, "assigned, not resolved" },
		{ OP_REOPEN, PENDING, X, "pending, not resolved" }, { OP_REOPEN, ASSIGNED, LEAD, "not resolved" },
		{ OP_REPLY, ASSIGNED, Y, "owned by hq-agent-x" }, { OP_REPLY, PENDING, Y, "owned by hq-agent-x" },
		{ OP_REPLY, QUEUED, X, "take it first" }, { OP_REPLY, RESOLVED, X, "resolved" },
		{ OP_NOTE, ASSIGNED, Y, "owned by hq-agent-x" }, { OP_NOTE, QUEUED, X, "take it first" },
		{ OP_NOTE, RESOLVED, X, "resolved" }, { OP_NOTE, RESOLVED, LEAD, "resolved" },
		{ OP_PASS, ASSIGNED, Y, "owned by hq-agent-x" }, { OP_PASS, QUEUED, X, "take it first" },
		{ OP_PASS, RESOLVED, X, "resolved" },
	};
	char ids[4][40], before[4][256], after[256], msg[512], what[128];
	(void)state;

	for (int s = QUEUED; s <= RESOLVED; s++) {
		ticket_in(s, "de", ids[s]);
		ticketfix_snapshot(ids[s], before[s]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		baton_client *c = bad[i].who == X ? x->client : bad[i].who == Y ? y->client : registry.lead.client;

		snprintf(what, sizeof(what), "%s of a %s ticket by %s", ops[bad[i].op], states[bad[i].state],
		    bad[i].who == X ? "its owner" : bad[i].who == Y ? "another agent" : "a lead");
		shiftfix_expect(what, act(bad[i].op, c, ids[bad[i].state], msg), msg, BATON_FAILED_PRECONDITION, bad[i].says);
		assert_non_null(strstr(msg, ids[bad[i].state]));
	}
	for (int s = QUEUED; s <= RESOLVED; s++) {
		ticketfix_snapshot(ids[s], after);
		if (strcmp(before[s], after) != 0)
			print_error("the %s ticket changed under refused calls\n", states[s]);
		assert_string_equal(before[s], after);
	}
}

/* ---- 3. who may act ------------------------------------------------------------------------------- */

static void only_the_owner_or_a_lead_may_act(void **state)
{
	Baton__V1__Ticket *t = NULL;
	char id[40], sl_id_ticket[40], before[256], after[256], msg[512];
	int64_t return_at;
	(void)state;

	ticket_in(ASSIGNED, "de", id);
	assert_int_equal(registry_sqlf(NULL, 0, "UPDATE ticket SET return_at = return_at - interval '1 minute',"
	                                        " owner_active_at = owner_active_at - interval '1 minute' WHERE id = '%s'",
	                     id), 0);
	return_at = registry_sqln("SELECT (extract(epoch FROM return_at) * 1000)::bigint FROM ticket WHERE id = '%s'", id);
	/* A lead acts on x's ticket, and x keeps it, timer and all. */
	shiftfix_expect("the lead's note", ticketfix_note(registry.lead.client, id, "looked at it", &t, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_string_equal(t->owner, x->handle);
	assert_true(t->return_unix_ms >= return_at - 1 && t->return_unix_ms <= return_at + 1);
	ticketfix_ticket_free(t);
	shiftfix_expect("the lead's reply", ticketfix_reply(registry.lead.client, id, "we are on it", &t, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	assert_true(t->return_unix_ms >= return_at - 1 && t->return_unix_ms <= return_at + 1);
	ticketfix_ticket_free(t);
	/* The owner's own act renews it. */
	shiftfix_expect("x's note", ticketfix_note(x->client, id, "mine", &t, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_true(t->return_unix_ms > return_at + 30 * 1000);
	ticketfix_ticket_free(t);
	/* An in-house manager is no lead. */
	ticketfix_snapshot(id, before);
	shiftfix_expect("the in-house manager's note", ticketfix_note(registry.hq_mgr.client, id, "x", NULL, msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, "owned by hq-agent-x");
	ticketfix_snapshot(id, after);
	assert_string_equal(before, after);

	/* Nor is a partner's manager over its own agent's ticket. */
	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	ticketfix_spec spec = { .language = "es" };
	ticketfix_create_must(registry.integ.client, &spec, sl_id_ticket);
	shiftfix_expect("sl-agent1 takes", ticketfix_take(registry.sl_agent1.client, sl_id_ticket, NULL, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	ticketfix_snapshot(sl_id_ticket, before);
	for (int op = OP_PEND; op <= OP_PASS; op++) {
		if (op == OP_REOPEN)
			continue;
		shiftfix_expect("sol-latino's manager acting", act(op, registry.sl_mgr.client, sl_id_ticket, msg), msg,
		    BATON_FAILED_PRECONDITION, "owned by sl-agent1");
		shiftfix_expect("sol-latino's other agent acting", act(op, registry.sl_agent2.client, sl_id_ticket, msg), msg,
		    BATON_FAILED_PRECONDITION, "owned by sl-agent1");
	}
	ticketfix_snapshot(sl_id_ticket, after);
	assert_string_equal(before, after);
	/* The lead resolves it for them. */
	shiftfix_expect("the lead resolves", ticketfix_resolve(registry.lead.client, sl_id_ticket, "duplicate", "dup of another",
	                                          &t, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(t->resolved_by, "hq-lead");
	ticketfix_ticket_free(t);
}

/* ---- 4. reply, pending, resolve, reopen -------------------------------------------------------------- */

static void a_reply_stamps_the_first_response_once(void **state)
{
	Baton__V1__Ticket *t = NULL;
	char id[40], member[64], msg[512];
	int64_t first;
	(void)state;

	ticket_in(ASSIGNED, "de", id);
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket WHERE id = '%s' AND first_response_at IS NULL", id), 1);
	shiftfix_expect("empty reply", ticketfix_reply(x->client, id, "", NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "body");
	shiftfix_expect("too long a reply", ticketfix_reply(x->client, id, text_of(20001), NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "body");
	shiftfix_expect("empty note", ticketfix_note(x->client, id, "", NULL, msg, sizeof(msg)), msg, BATON_INVALID_ARGUMENT,
	    "body");
	assert_int_equal(ticketfix_events(id, "ticket.replied"), 0);
	shiftfix_expect("the first reply", ticketfix_reply(x->client, id, "secret-words-one", &t, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	first = t->first_response_unix_ms;
	assert_true(first > 0);
	assert_int_equal(t->last_reply_unix_ms, first);
	ticketfix_ticket_free(t);
	event_member(id, "ticket.replied", "{first_response}", member, sizeof(member));
	assert_string_equal(member, "true");
	shiftfix_expect("the second reply", ticketfix_reply(x->client, id, "secret-words-two", &t, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_int_equal(t->first_response_unix_ms, first);
	assert_true(t->last_reply_unix_ms > first);
	ticketfix_ticket_free(t);
	assert_int_equal(ticketfix_events(id, "ticket.replied"), 2);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND kind = 'ticket.replied'"
	                               " AND body->>'first_response' = 'false'", id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket_message WHERE ticket_id = '%s' AND kind = 'reply'"
	                               " AND author_handle = '%s'", id, x->handle), 2);
	/* What was said stays in the messages, not in the events. */
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND body::text LIKE '%%secret-words%%'",
	                     id), 0);
}

static void pending_needs_a_reason_and_a_customer_reply_wakes_it(void **state)
{
	Baton__V1__Ticket *t = NULL;
	char id[40], before[256], after[256], member[600], msg[512];
	(void)state;

	ticket_in(ASSIGNED, "de", id);
	ticketfix_snapshot(id, before);
	shiftfix_expect("pending with no reason", ticketfix_pend(x->client, id, "", NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "reason");
	shiftfix_expect("pending with too long a reason", ticketfix_pend(x->client, id, text_of(501), NULL, msg, sizeof(msg)),
	    msg, BATON_INVALID_ARGUMENT, "reason");
	ticketfix_snapshot(id, after);
	assert_string_equal(before, after);
	shiftfix_expect("pending", ticketfix_pend(x->client, id, text_of(500), &t, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(t->status, "pending");
	assert_string_equal(t->owner, x->handle);
	assert_int_equal(strlen(t->pending_reason), 500);
	assert_int_equal(t->return_unix_ms, 0);
	ticketfix_ticket_free(t);
	event_member(id, "ticket.pending", "{reason}", member, sizeof(member));
	assert_int_equal(strlen(member), 500);
	event_member(id, "ticket.pending", "{before,status}", member, sizeof(member));
	assert_string_equal(member, "assigned");
	/* The customer answers: back to x, timer running again. */
	shiftfix_expect("the customer's answer", ticketfix_customer(registry.integ.client, id, "here are the logs", &t, msg,
	                                             sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(t->status, "assigned");
	assert_string_equal(t->owner, x->handle);
	assert_string_equal(t->pending_reason, "");
	assert_true(t->return_unix_ms > shiftfix_now_ms() + 29 * SH_MINUTE_MS);
	ticketfix_ticket_free(t);
	event_member(id, "ticket.customer_replied", "{before,status}", member, sizeof(member));
	assert_string_equal(member, "pending");
	event_member(id, "ticket.customer_replied", "{after,status}", member, sizeof(member));
	assert_string_equal(member, "assigned");
	row_is(id, "assigned", x->handle, "in-house");
}

static void resolve_needs_a_code_and_a_note(void **state)
{
	static const char *const bad_codes[] = { "", "Solved", "solved!", "no response",
		"a-code-of-forty-one-characters-is-too-lo" "x" };
	Baton__V1__Ticket *t = NULL;
	char id[40], pid[40], qid[40], before[256], after[256], member[64], msg[512];
	(void)state;

	ticket_in(ASSIGNED, "de", id);
	ticketfix_snapshot(id, before);
	for (size_t i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++)
		shiftfix_expect(bad_codes[i], ticketfix_resolve(x->client, id, bad_codes[i], "done", NULL, msg, sizeof(msg)), msg,
		    BATON_INVALID_ARGUMENT, "code");
	shiftfix_expect("resolve with no note", ticketfix_resolve(x->client, id, "solved", "", NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "note");
	ticketfix_snapshot(id, after);
	assert_string_equal(before, after);
	shiftfix_expect("resolve", ticketfix_resolve(x->client, id, "no_response-40-chars-are-fine-0123456789", "gone quiet",
	                               &t, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(t->status, "resolved");
	assert_string_equal(t->owner, "");
	assert_string_equal(t->resolved_by, x->handle);
	assert_string_equal(t->resolution_code, "no_response-40-chars-are-fine-0123456789");
	assert_string_equal(t->resolution_note, "gone quiet");
	assert_true(t->resolved_unix_ms > 0);
	assert_int_equal(t->return_unix_ms, 0);
	ticketfix_ticket_free(t);
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket_message WHERE ticket_id = '%s' AND kind = 'resolution'"
	                               " AND body = 'gone quiet'", id), 1);
	event_member(id, "ticket.resolved", "{code}", member, sizeof(member));
	assert_string_equal(member, "no_response-40-chars-are-fine-0123456789");
	/* A pending ticket may be resolved; a lead may close a queued one. */
	ticket_in(PENDING, "de", pid);
	shiftfix_expect("resolving a pending ticket", ticketfix_resolve(x->client, pid, "solved", "ok", NULL, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	row_is(pid, "resolved", "", "in-house");
	ticket_in(QUEUED, "de", qid);
	shiftfix_expect("a lead closing a queued ticket", ticketfix_resolve(registry.lead.client, qid, "spam", "spam", NULL,
	                                                      msg, sizeof(msg)), msg, BATON_OK, NULL);
	row_is(qid, "resolved", "", "in-house");
}

static void reopen_routes_the_ticket_again(void **state)
{
	Baton__V1__Ticket *t = NULL;
	char id[40], before[256], after[256], member[512], msg[512];
	(void)state;

	/* Resolved in-house while nobody was on an es shift... */
	ticket_in(RESOLVED, "es", id);
	ticketfix_snapshot(id, before);
	shiftfix_expect("reopen with no reason", ticketfix_reopen(x->client, id, "", NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "reason");
	ticketfix_snapshot(id, after);
	assert_string_equal(before, after);
	/* ...reopened while sol-latino is. */
	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	shiftfix_expect("reopen", ticketfix_reopen(y->client, id, "it broke again", &t, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(t->status, "queued");
	assert_string_equal(t->queue, "sol-latino");
	assert_non_null(strstr(t->routed_rule, "sol-latino"));
	assert_int_equal(t->reopen_count, 1);
	assert_string_equal(t->resolution_code, "");
	assert_string_equal(t->resolved_by, "");
	assert_int_equal(t->resolved_unix_ms, 0);
	ticketfix_ticket_free(t);
	event_member(id, "ticket.reopened", "{reason}", member, sizeof(member));
	assert_string_equal(member, "it broke again");
	event_member(id, "ticket.reopened", "{routed}", member, sizeof(member));
	assert_non_null(strstr(member, "sol-latino"));
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket_message WHERE ticket_id = '%s' AND kind = 'reopen'"
	                               " AND body = 'it broke again'", id), 1);
	/* sol-latino resolves it; the customer writes again: reopened, routed. */
	shiftfix_expect("sl-agent1 takes", ticketfix_take(registry.sl_agent1.client, id, NULL, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	shiftfix_expect("sl-agent1 resolves", ticketfix_resolve(registry.sl_agent1.client, id, "solved", "listo", NULL, msg,
	                                          sizeof(msg)), msg, BATON_OK, NULL);
	shiftfix_expect("the customer again", ticketfix_customer(registry.integ.client, id, "still broken", &t, msg,
	                                          sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(t->status, "queued");
	assert_int_equal(t->reopen_count, 2);
	ticketfix_ticket_free(t);
	assert_int_equal(registry_sqln("SELECT count(*) FROM (SELECT kind, lead(kind) OVER (ORDER BY id) AS next FROM event"
	                               " WHERE subject_id = '%s') e WHERE kind = 'ticket.customer_replied'"
	                               " AND next = 'ticket.reopened'", id), 1);
}

/* ---- 5. the story ------------------------------------------------------------------------------------ */

static void show_tells_the_whole_story_and_every_event_is_signed(void **state)
{
	static const struct {
		const char *kind, *actor, *before, *after;
	} story[] = {
		{ "ticket.created", "hq-integration", NULL, "queued" },
		{ "ticket.taken", "hq-agent-x", "queued", "assigned" },
		{ "ticket.noted", "hq-agent-x", "assigned", "assigned" },
		{ "ticket.replied", "hq-agent-x", "assigned", "assigned" },
		{ "ticket.pending", "hq-agent-x", "assigned", "pending" },
		{ "ticket.customer_replied", "hq-integration", "pending", "assigned" },
		{ "ticket.passed", "hq-agent-x", "assigned", "assigned" },
		{ "ticket.resolved", "hq-agent-y", "assigned", "resolved" },
		{ "ticket.reopened", "hq-agent-y", "resolved", "queued" },
	};
	static const struct {
		const char *kind, *body, *author;
	} talk[] = { { "customer", "Help", "hq-integration" }, { "note", "internal", "hq-agent-x" },
		{ "reply", "answer", "hq-agent-x" }, { "customer", "logs", "hq-integration" },
		{ "handoff", "over to you", "hq-agent-x" }, { "resolution", "fixed", "hq-agent-y" },
		{ "reopen", "back", "hq-agent-y" } };
	enum { N_STORY = sizeof(story) / sizeof(story[0]), N_TALK = sizeof(talk) / sizeof(talk[0]) };
	Baton__V1__ShowTicketReply *show = NULL;
	char id[40], member[128], msg[512];
	int64_t last = 0;
	(void)state;

	ticket_in(ASSIGNED, "de", id);
	shiftfix_expect("note", ticketfix_note(x->client, id, "internal", NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
	shiftfix_expect("reply", ticketfix_reply(x->client, id, "answer", NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
	shiftfix_expect("pend", ticketfix_pend(x->client, id, "need logs", NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
	shiftfix_expect("customer", ticketfix_customer(registry.integ.client, id, "logs", NULL, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	shiftfix_expect("pass", ticketfix_pass(x->client, id, y->handle, NULL, "over to you", NULL, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	shiftfix_expect("resolve", ticketfix_resolve(y->client, id, "solved", "fixed", NULL, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	shiftfix_expect("reopen", ticketfix_reopen(y->client, id, "back", NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);

	shiftfix_expect("show", ticketfix_show(registry.lead.client, id, &show, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(show->ticket->id, id);
	assert_string_equal(show->ticket->status, "queued");
	/* The conversation and notes, oldest first, with their authors. */
	assert_int_equal(show->n_messages, N_TALK);
	for (int i = 0; i < N_TALK; i++) {
		assert_string_equal(show->messages[i]->kind, talk[i].kind);
		assert_string_equal(show->messages[i]->body, talk[i].body);
		assert_string_equal(show->messages[i]->author, talk[i].author);
		assert_true(show->messages[i]->at_unix_ms > 0);
		if (i > 0)
			assert_true(show->messages[i]->id > show->messages[i - 1]->id);
	}
	/* The events, oldest first, each with actor, time, what changed, signed. */
	if (show->n_events != N_STORY)
		print_error("ShowTicket gave %zu events, want %d\n", show->n_events, N_STORY);
	assert_int_equal(show->n_events, N_STORY);
	for (int i = 0; i < N_STORY; i++) {
		const Baton__V1__Event *e = show->events[i];
		char actor_id[40];

		if (strcmp(e->kind, story[i].kind) != 0)
			print_error("event %d is %s, want %s\n", i, e->kind, story[i].kind);
		assert_string_equal(e->kind, story[i].kind);
		assert_string_equal(e->subject, id);
		assert_string_equal(e->actor, story[i].actor);
		assert_true(e->at_unix_ms >= last);
		last = e->at_unix_ms;
		assert_true(e->signed_);
		assert_non_null(strstr(e->method, "/baton.v1.Tickets/"));
		assert_non_null(strstr(e->body_json, "\"after\""));
		assert_non_null(strstr(e->body_json, "\"status\""));
		assert_int_equal(registry_sqlf(member, sizeof(member), "SELECT coalesce(body #>> '{before,status}', '(none)')"
		                                                       " || '>' || (body #>> '{after,status}') FROM event WHERE id = %lld",
		                     (long long)e->id), 0);
		char want[128];
		snprintf(want, sizeof(want), "%s>%s", story[i].before != NULL ? story[i].before : "(none)", story[i].after);
		assert_string_equal(member, want);
		/* Signed by the actor's key over the request that caused it. */
		assert_int_equal(registry_sqlf(actor_id, sizeof(actor_id), "SELECT id FROM principal WHERE handle = '%s'",
		                     story[i].actor), 0);
		assert_int_equal(shiftfix_events_verify(story[i].kind, id, actor_id), 1);
	}
	assert_int_equal(registry_sqlf(member, sizeof(member), "SELECT (body #>> '{before,owner}') || '>' ||"
	                                                       " (body #>> '{after,owner}') FROM event WHERE subject_id = '%s'"
	                                                       " AND kind = 'ticket.passed'", id), 0);
	assert_string_equal(member, "hq-agent-x>hq-agent-y");
	baton__v1__show_ticket_reply__free_unpacked(show, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(a_pass_needs_a_note_and_one_target_and_a_refusal_writes_nothing, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_pass_to_a_person_makes_them_the_owner, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_pass_to_a_queue_leaves_it_unowned_there, ticketfix_cleanup),
		cmocka_unit_test_teardown(every_invalid_transition_says_why_and_writes_nothing, ticketfix_cleanup),
		cmocka_unit_test_teardown(only_the_owner_or_a_lead_may_act, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_reply_stamps_the_first_response_once, ticketfix_cleanup),
		cmocka_unit_test_teardown(pending_needs_a_reason_and_a_customer_reply_wakes_it, ticketfix_cleanup),
		cmocka_unit_test_teardown(resolve_needs_a_code_and_a_note, ticketfix_cleanup),
		cmocka_unit_test_teardown(reopen_routes_the_ticket_again, ticketfix_cleanup),
		cmocka_unit_test_teardown(show_tells_the_whole_story_and_every_event_is_signed, ticketfix_cleanup),
	};
	return cmocka_run_group_tests_name("integration: tickets, flow", tests, shiftfix_setup, flow_teardown);
}
