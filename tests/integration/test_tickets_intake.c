/* test_tickets_intake.c - tickets coming in (real batond, real PostgreSQL): who may create, every field checked, one ticket per (source, ref) even under a race, routing to the partner on shift, priority and queue order, paging, partner lists, customer replies. */
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

/* A CreateTicket that is valid in every field, for ref. */
static void valid_request(Baton__V1__CreateTicketRequest *r, const char *ref)
{
	*r = (Baton__V1__CreateTicketRequest)BATON__V1__CREATE_TICKET_REQUEST__INIT;
	r->source = "zendesk";
	r->external_ref = (char *)ref;
	r->subject = "Cannot log in";
	r->customer_id = "cust-7";
	r->customer_tier = "priority";
	r->channel = "chat";
	r->language = "en";
	r->severity = 2;
	r->body = "It says my password is wrong.";
}

/* A new ticket (created by c, who must create it afresh) as c sees it; the
 * caller frees it. */
static Baton__V1__Ticket *created(baton_client *c, const char *lang, int32_t severity, const char *tier)
{
	ticketfix_spec spec = { .language = lang, .severity = severity, .tier = tier };
	Baton__V1__CreateTicketReply *rep = NULL;
	Baton__V1__Ticket *t;
	char msg[512];

	shiftfix_expect("CreateTicket", ticketfix_create(c, &spec, &rep, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_true(rep->created);
	t = rep->ticket;
	rep->ticket = NULL;
	baton__v1__create_ticket_reply__free_unpacked(rep, NULL);
	return t;
}

/* ---- 1. who may create ------------------------------------------------------------- */

static void integration_leads_and_admins_create_and_nobody_else(void **state)
{
	fixture_person *const refused[] = { &registry.sl_agent1, &registry.sl_mgr, &registry.wn_agent1,
		&registry.wn_mgr, &registry.hq_mgr };
	baton_client *const allowed[] = { registry.integ.client, registry.lead.client, registry.admin };
	Baton__V1__CreateTicketRequest req;
	Baton__V1__CreateTicketReply *rep = NULL;
	char before[256], after[256], msg[512], ref[64], what[128];
	(void)state;

	ticketfix_snapshot(NULL, before);
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		valid_request(&req, ticketfix_fresh_ref(ref));
		snprintf(what, sizeof(what), "CreateTicket by %s", refused[i]->handle);
		shiftfix_expect(what, shiftfix_call(refused[i]->client, TK_CREATE, &req.base, NULL, NULL, msg, sizeof(msg)),
		    msg, BATON_PERMISSION_DENIED, NULL);
		assert_int_equal(registry_sqln("SELECT count(*) FROM ticket WHERE external_ref = '%s'", ref), 0);
	}
	ticketfix_snapshot(NULL, after);
	assert_string_equal(before, after);

	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		valid_request(&req, ticketfix_fresh_ref(ref));
		shiftfix_expect("CreateTicket",
		    shiftfix_call(allowed[i], TK_CREATE, &req.base, &baton__v1__create_ticket_reply__descriptor,
		        (ProtobufCMessage **)&rep, msg, sizeof(msg)),
		    msg, BATON_OK, NULL);
		assert_true(rep->created);
		assert_string_equal(rep->ticket->source, "zendesk");
		assert_string_equal(rep->ticket->external_ref, ref);
		assert_string_equal(rep->ticket->subject, "Cannot log in");
		assert_string_equal(rep->ticket->customer_id, "cust-7");
		assert_string_equal(rep->ticket->customer_tier, "priority");
		assert_string_equal(rep->ticket->channel, "chat");
		assert_string_equal(rep->ticket->language, "en");
		assert_int_equal(rep->ticket->severity, 2);
		assert_string_equal(rep->ticket->status, "queued");
		assert_string_equal(rep->ticket->owner, "");
		assert_true(rep->ticket->created_unix_ms > 0);
		assert_int_equal(registry_sqln("SELECT count(*) FROM ticket WHERE id = '%s' AND external_ref = '%s'",
		                     rep->ticket->id, ref), 1);
		/* The body is the customer's first message. */
		assert_int_equal(registry_sqln("SELECT count(*) FROM ticket_message WHERE ticket_id = '%s' AND kind = 'customer'"
		                               " AND body = 'It says my password is wrong.'", rep->ticket->id), 1);
		assert_int_equal(ticketfix_events(rep->ticket->id, "ticket.created"), 1);
		baton__v1__create_ticket_reply__free_unpacked(rep, NULL);
	}
	/* No body, no message. */
	{
		ticketfix_spec spec = { 0 };
		char id[40];

		ticketfix_create_must(registry.integ.client, &spec, id);
		assert_int_equal(registry_sqln("SELECT count(*) FROM ticket_message WHERE ticket_id = '%s'", id), 0);
		assert_int_equal(shiftfix_events_verify("ticket.created", id, registry.integ.id), 1);
	}
}

/* ---- 2. every field is checked ----------------------------------------------------------- */

static char long_text[20002];

/* long_text cut to n characters. */
static char *text_of(size_t n)
{
	memset(long_text, 'a', n);
	long_text[n] = '\0';
	return long_text;
}

static void every_field_is_checked_and_a_refusal_writes_nothing(void **state)
{
	static char source63[64], source64[65], ref201[202], subject501[502], cust201[202];
	char before[256], after[256], msg[512], ref[64], what[128];
	Baton__V1__CreateTicketRequest req;
	int n = 0;
	(void)state;

	memset(source63, 'z', 63);
	memset(source64, 'z', 64);
	memset(ref201, 'r', 201);
	memset(subject501, 's', 501);
	memset(cust201, 'c', 201);

	/* field, value, what the message must name */
	static const struct {
		int         which; /* 0 source 1 ref 2 subject 3 customer 4 tier 5 channel 6 language 7 severity 8 body */
		const char *text;
		int32_t     severity;
		const char *says;
	} bad[] = {
		{ 0, "", 0, "source" }, { 0, "Zendesk", 0, "source" }, { 0, "-zendesk", 0, "source" },
		{ 0, "zen desk", 0, "source" }, { 0, source64, 0, "source" },
		{ 1, "", 0, "external_ref" }, { 1, ref201, 0, "external_ref" },
		{ 2, "", 0, "subject" }, { 2, subject501, 0, "subject" },
		{ 3, "", 0, "customer_id" }, { 3, cust201, 0, "customer_id" },
		{ 4, "", 0, "tier" }, { 4, "gold", 0, "tier" }, { 4, "Strategic", 0, "tier" },
		{ 5, "", 0, "channel" }, { 5, "fax", 0, "channel" },
		{ 6, "", 0, "language" }, { 6, "e", 0, "language" }, { 6, "English", 0, "language" },
		{ 6, "es-", 0, "language" }, { 6, "es_MX", 0, "language" },
		{ 7, NULL, 0, "severity" }, { 7, NULL, 5, "severity" }, { 7, NULL, -1, "severity" },
		{ 8, NULL, 0, "body" }, { 8, "line\001break", 0, "body" },
	};

	ticketfix_snapshot(NULL, before);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		valid_request(&req, ticketfix_fresh_ref(ref));
		switch (bad[i].which) {
		case 0: req.source = (char *)bad[i].text; break;
		case 1: req.external_ref = (char *)bad[i].text; break;
		case 2: req.subject = (char *)bad[i].text; break;
		case 3: req.customer_id = (char *)bad[i].text; break;
		case 4: req.customer_tier = (char *)bad[i].text; break;
		case 5: req.channel = (char *)bad[i].text; break;
		case 6: req.language = (char *)bad[i].text; break;
		case 7: req.severity = bad[i].severity; break;
		default: req.body = bad[i].text != NULL ? (char *)bad[i].text : text_of(20001); break;
		}
		snprintf(what, sizeof(what), "bad %s #%zu", bad[i].says, i);
		shiftfix_expect(what, shiftfix_call(registry.integ.client, TK_CREATE, &req.base, NULL, NULL, msg, sizeof(msg)),
		    msg, BATON_INVALID_ARGUMENT, bad[i].says);
		n++;
	}
	ticketfix_snapshot(NULL, after);
	assert_string_equal(before, after);
	assert_int_equal(n, sizeof(bad) / sizeof(bad[0]));

	/* The edges themselves are fine. */
	valid_request(&req, ref201);
	ref201[200] = '\0';
	req.source = source63;
	req.subject = subject501;
	subject501[500] = '\0';
	req.customer_id = cust201;
	cust201[200] = '\0';
	req.customer_tier = "strategic";
	req.channel = "callback";
	req.language = "sr-Latn-RS";
	req.severity = 4;
	req.body = text_of(20000);
	shiftfix_expect("a ticket at every edge", shiftfix_call(registry.integ.client, TK_CREATE, &req.base, NULL, NULL,
	                                               msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket WHERE source = '%s' AND length(external_ref) = 200"
	                               " AND length(subject) = 500 AND severity = 4", source63), 1);
}

/* ---- 3. one ticket per (source, ref) --------------------------------------------------------- */

static void the_same_source_and_ref_is_one_ticket(void **state)
{
	Baton__V1__CreateTicketRequest req;
	Baton__V1__CreateTicketReply *first = NULL, *again = NULL, *other = NULL;
	char ref[64], msg[512];
	(void)state;

	valid_request(&req, ticketfix_fresh_ref(ref));
	shiftfix_expect("the first intake", shiftfix_call(registry.integ.client, TK_CREATE, &req.base,
	                                        &baton__v1__create_ticket_reply__descriptor, (ProtobufCMessage **)&first, msg,
	                                        sizeof(msg)), msg, BATON_OK, NULL);
	assert_true(first->created);
	/* The same again with other fields, by someone else: the ticket as it was. */
	req.subject = "Something else";
	req.severity = 1;
	req.body = "a second body";
	shiftfix_expect("the same intake", shiftfix_call(registry.lead.client, TK_CREATE, &req.base,
	                                       &baton__v1__create_ticket_reply__descriptor, (ProtobufCMessage **)&again, msg,
	                                       sizeof(msg)), msg, BATON_OK, NULL);
	assert_false(again->created);
	assert_string_equal(again->ticket->id, first->ticket->id);
	assert_string_equal(again->ticket->subject, "Cannot log in");
	assert_int_equal(again->ticket->severity, 2);
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket WHERE source = 'zendesk' AND external_ref = '%s'", ref), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket_message WHERE ticket_id = '%s'", first->ticket->id), 1);
	assert_int_equal(ticketfix_events(first->ticket->id, "ticket.created"), 1);
	assert_int_equal(ticketfix_events(first->ticket->id, NULL), 1);
	/* The same ref from another source is another ticket. */
	req.source = "freshdesk";
	shiftfix_expect("the ref from another source", shiftfix_call(registry.integ.client, TK_CREATE, &req.base,
	                                                   &baton__v1__create_ticket_reply__descriptor,
	                                                   (ProtobufCMessage **)&other, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_true(other->created);
	assert_string_not_equal(other->ticket->id, first->ticket->id);
	baton__v1__create_ticket_reply__free_unpacked(first, NULL);
	baton__v1__create_ticket_reply__free_unpacked(again, NULL);
	baton__v1__create_ticket_reply__free_unpacked(other, NULL);
}

enum { CREATORS = 20 };

static void twenty_creates_of_one_ticket_at_once_make_one(void **state)
{
	Baton__V1__CreateTicketRequest req;
	shiftfix_racer r[CREATORS];
	baton_client *clients[CREATORS];
	uint8_t *bufs[CREATORS];
	char ref[64], id[40] = "";
	int made = 0;
	(void)state;

	/* Three in four from the integration, the rest from a lead, each call
	 * with its own request id: duplicates, not resends. */
	for (int i = 0; i < CREATORS; i++)
		clients[i] = shiftfix_client_of(i % 4 == 3 ? &registry.lead : &registry.integ);
	for (int round = 0; round < 3; round++) {
		valid_request(&req, ticketfix_fresh_ref(ref));
		made = 0;
		for (int i = 0; i < CREATORS; i++)
			bufs[i] = shiftfix_racer_init(&r[i], clients[i], TK_CREATE, &req.base);
		shiftfix_race(r, CREATORS);
		for (int i = 0; i < CREATORS; i++) {
			Baton__V1__CreateTicketReply *rep;

			shiftfix_expect("a racing create", r[i].status, r[i].res.message, BATON_OK, NULL);
			rep = baton__v1__create_ticket_reply__unpack(NULL, r[i].res.payload_len, r[i].res.payload);
			assert_non_null(rep);
			if (i == 0)
				snprintf(id, sizeof(id), "%s", rep->ticket->id);
			assert_string_equal(rep->ticket->id, id);
			made += rep->created;
			baton__v1__create_ticket_reply__free_unpacked(rep, NULL);
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
		assert_int_equal(made, 1);
		assert_int_equal(registry_sqln("SELECT count(*) FROM ticket WHERE external_ref = '%s'", ref), 1);
		assert_int_equal(ticketfix_events(id, "ticket.created"), 1);
		assert_int_equal(registry_sqln("SELECT count(*) FROM ticket_message WHERE ticket_id = '%s'", id), 1);
	}
}

/* ---- 4. routing --------------------------------------------------------------------------- */

/* The ticket.created event's body member at path (a jsonb path like '{after,queue}'). */
static void created_body(const char *id, const char *path, char *out, size_t len)
{
	assert_int_equal(registry_sqlf(out, len, "SELECT body #>> '%s' FROM event WHERE subject_id = '%s'"
	                                         " AND kind = 'ticket.created'", path, id), 0);
}

static void with_no_partner_on_shift_a_ticket_goes_in_house(void **state)
{
	Baton__V1__Ticket *t = created(registry.integ.client, "de", 3, NULL);
	char body[512], status[64], owner[64], queue[64];
	(void)state;

	assert_string_equal(t->queue, "in-house");
	assert_non_null(strstr(t->routed_rule, "no partner shift covers de"));
	ticketfix_row(t->id, status, owner, queue);
	assert_string_equal(status, "queued");
	assert_string_equal(owner, "");
	assert_string_equal(queue, "in-house");
	created_body(t->id, "{routed}", body, sizeof(body));
	assert_string_equal(body, t->routed_rule);
	created_body(t->id, "{after,queue}", body, sizeof(body));
	assert_string_equal(body, "in-house");
	created_body(t->id, "{after,status}", body, sizeof(body));
	assert_string_equal(body, "queued");
	created_body(t->id, "{ticket,language}", body, sizeof(body));
	assert_string_equal(body, "de");
	assert_int_equal(shiftfix_events_of_org("ticket.created", t->id, registry.in_house_id), 1);
	ticketfix_ticket_free(t);
}

static void a_partner_on_a_fitting_shift_gets_the_ticket(void **state)
{
	static const struct {
		const char *lang, *queue;
	} cases[] = { { "es", "sol-latino" }, { "es-MX", "sol-latino" }, { "es-419", "sol-latino" }, { "pt", "in-house" },
		{ "en", "in-house" } };
	char body[512];
	(void)state;

	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Baton__V1__Ticket *t = created(registry.integ.client, cases[i].lang, 3, NULL);

		if (strcmp(t->queue, cases[i].queue) != 0)
			print_error("a %s ticket went to %s (%s), not %s\n", cases[i].lang, t->queue, t->routed_rule, cases[i].queue);
		assert_string_equal(t->queue, cases[i].queue);
		assert_non_null(strstr(t->routed_rule, strcmp(cases[i].queue, "in-house") == 0 ? "no partner shift" : "sol-latino"));
		created_body(t->id, "{routed}", body, sizeof(body));
		assert_string_equal(body, t->routed_rule);
		created_body(t->id, "{after,queue}", body, sizeof(body));
		assert_string_equal(body, cases[i].queue);
		/* The event belongs to the queue it went to. */
		assert_int_equal(shiftfix_events_of_org("ticket.created", t->id,
		                     strcmp(cases[i].queue, "in-house") == 0 ? registry.in_house_id : registry.sl_id), 1);
		ticketfix_ticket_free(t);
	}
}

static void the_partner_with_more_people_on_shift_wins(void **state)
{
	fixture_person *south1 = shiftfix_person(registry.admin, "cap-south", "cs-es-1", "agent");
	fixture_person *south2 = shiftfix_person(registry.admin, "cap-south", "cs-es-2", "agent");
	Baton__V1__Ticket *t;
	char slot[40], south2_slot[40], msg[512];
	(void)state;

	/* sol-latino 2, cap-south 1: sol-latino, though cap-south sorts first. */
	ticketfix_slot_now(registry.sl_id, "es", 2, HOURS_FROM_NOW(2), slot);
	ticketfix_seat(&registry.sl_agent1, slot, NULL);
	ticketfix_seat(&registry.sl_agent2, slot, NULL);
	ticketfix_on_shift(south1, shiftfix_south_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	t = created(registry.integ.client, "es", 2, NULL);
	assert_string_equal(t->queue, "sol-latino");
	assert_non_null(strstr(t->routed_rule, "sol-latino holds 2"));
	ticketfix_ticket_free(t);
	/* 2 and 2: the name that sorts first. */
	ticketfix_on_shift(south2, shiftfix_south_id, "es", HOURS_FROM_NOW(2), south2_slot, NULL);
	t = created(registry.integ.client, "es", 2, NULL);
	assert_string_equal(t->queue, "cap-south");
	assert_non_null(strstr(t->routed_rule, "cap-south holds 2"));
	ticketfix_ticket_free(t);
	/* A seat given back counts no more: 2 and 1. */
	shiftfix_expect("releasing", shiftfix_release(registry.lead.client, south2_slot, south2->handle, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	t = created(registry.integ.client, "es-CO", 2, NULL);
	assert_string_equal(t->queue, "sol-latino");
	ticketfix_ticket_free(t);
}

/* ---- 5. priority and order ----------------------------------------------------------------- */

static void priority_is_severity_and_tier_plus_waiting_time(void **state)
{
	static const struct {
		int32_t     severity;
		const char *tier;
		int         base;
	} known[] = { { 1, "strategic", 400 }, { 1, "standard", 300 }, { 2, "priority", 250 }, { 3, "standard", 100 },
		{ 4, "priority", 50 }, { 4, "standard", 0 }, { 4, "strategic", 100 } };
	Baton__V1__ShowTicketReply *show;
	char msg[512];
	(void)state;

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		Baton__V1__Ticket *t = created(registry.integ.client, "de", known[i].severity, known[i].tier);

		if (t->priority != known[i].base)
			print_error("severity %d, %s: priority %d, want %d\n", known[i].severity, known[i].tier, t->priority,
			    known[i].base);
		assert_int_equal(t->priority, known[i].base);
		/* Waiting adds a point per full 5 minutes: 17 min is 3. */
		assert_int_equal(registry_sqlf(NULL, 0, "UPDATE ticket SET waiting_since = now() - interval '17 minutes'"
		                                        " WHERE id = '%s'", t->id), 0);
		shiftfix_expect("ShowTicket", ticketfix_show(registry.lead.client, t->id, &show, msg, sizeof(msg)), msg,
		    BATON_OK, NULL);
		assert_int_equal(show->ticket->priority, known[i].base + 3);
		baton__v1__show_ticket_reply__free_unpacked(show, NULL);
		ticketfix_ticket_free(t);
	}
}

/* Every ticket of queue as the lead lists it, page by page of page_size, as
 * c; ids in order go to ids (cap). Checks priority never rises. */
static int list_all(baton_client *c, const char *queue, int32_t page_size, char ids[][40], int cap)
{
	Baton__V1__ListTicketsRequest req = BATON__V1__LIST_TICKETS_REQUEST__INIT;
	char token[256] = "", msg[512];
	int n = 0, pages = 0, last = INT32_MAX;

	req.queue = (char *)queue;
	req.page_size = page_size;
	do {
		Baton__V1__ListTicketsReply *rep = NULL;

		req.page_token = token;
		shiftfix_expect("ListTickets", ticketfix_list(c, &req, &rep, msg, sizeof(msg)), msg, BATON_OK, NULL);
		assert_true(rep->n_tickets <= (size_t)(page_size > 0 ? page_size : 50));
		/* A page that says more follow is full. */
		if (rep->next_page_token[0] != '\0')
			assert_int_equal(rep->n_tickets, page_size > 0 ? page_size : 50);
		for (size_t i = 0; i < rep->n_tickets; i++) {
			assert_true(rep->tickets[i]->priority <= last);
			last = rep->tickets[i]->priority;
			assert_string_equal(rep->tickets[i]->status, "queued");
			if (queue[0] != '\0')
				assert_string_equal(rep->tickets[i]->queue, queue);
			assert_true(n < cap);
			snprintf(ids[n++], 40, "%s", rep->tickets[i]->id);
		}
		snprintf(token, sizeof(token), "%s", rep->next_page_token);
		baton__v1__list_tickets_reply__free_unpacked(rep, NULL);
		assert_true(++pages <= cap + 1);
	} while (token[0] != '\0');
	return n;
}

static void queues_list_by_priority_then_by_age(void **state)
{
	fixture_person *agent = &registry.wn_agent1;
	/* label, severity, tier, minutes waited: priority = base + minutes / 5 */
	static const struct {
		int32_t     severity;
		const char *tier;
		int         waited;
	} t[] = {
		{ 3, "standard", 30 },  /* 106, third */
		{ 1, "standard", 10 },  /* 302, second (older than the next) */
		{ 2, "strategic", 5 },  /* 301 */
		{ 3, "standard", 20 },  /* 104, fourth */
		{ 3, "priority", 0 },   /* 150 */
		{ 4, "standard", 300 }, /* 0 + 60 = 60, last */
		{ 3, "standard", 300 }, /* 100 + 60 = 160 */
		{ 1, "standard", 20 },  /* 304, first */
	};
	static const int order[] = { 7, 1, 2, 6, 4, 0, 3, 5 };
	enum { N = sizeof(t) / sizeof(t[0]) };
	char ids[N][40], listed[N + 1][40];
	(void)state;

	/* A queue of its own: warsaw-nights on a "pl" shift. */
	ticketfix_on_shift(agent, registry.wn_id, "pl", HOURS_FROM_NOW(2), NULL, NULL);
	for (int i = 0; i < N; i++) {
		Baton__V1__Ticket *tk = created(registry.integ.client, "pl", t[i].severity, t[i].tier);
		assert_string_equal(tk->queue, "warsaw-nights");
		snprintf(ids[i], 40, "%s", tk->id);
		ticketfix_ticket_free(tk);
		assert_int_equal(registry_sqlf(NULL, 0, "UPDATE ticket SET waiting_since = now() - interval '%d minutes 7 seconds'"
		                                        " WHERE id = '%s'", t[i].waited, ids[i]), 0);
	}
	assert_int_equal(list_all(registry.lead.client, "warsaw-nights", 3, listed, N + 1), N);
	for (int i = 0; i < N; i++) {
		if (strcmp(listed[i], ids[order[i]]) != 0)
			print_error("position %d: %s, want ticket %d (%s)\n", i, listed[i], order[i], ids[order[i]]);
		assert_string_equal(listed[i], ids[order[i]]);
	}
	/* The partner's own view of its queue is the same list. */
	assert_int_equal(list_all(agent->client, "", 50, listed, N + 1), N);
	for (int i = 0; i < N; i++)
		assert_string_equal(listed[i], ids[order[i]]);
}

enum { PAGED = 23 };

static void paging_covers_every_ticket_exactly_once(void **state)
{
	Baton__V1__ListTicketsRequest req = BATON__V1__LIST_TICKETS_REQUEST__INIT;
	static const int32_t sizes[] = { 1, 5, 22, 23, 24, 0, 500 };
	char ids[PAGED][40], listed[PAGED + 1][40], msg[512], org[40];
	fixture_person *agent;
	baton_result res;
	(void)state;

	/* A queue that holds these tickets only. */
	assert_int_equal(fixture_org_add(registry.admin, "pager-it", "language", "it", "Europe/Rome", org, &res), BATON_OK);
	baton_result_clear(&res);
	agent = shiftfix_person(registry.admin, "pager-it", "it-pager", "agent");
	ticketfix_on_shift(agent, org, "it", HOURS_FROM_NOW(2), NULL, NULL);
	for (int i = 0; i < PAGED; i++) {
		Baton__V1__Ticket *tk = created(registry.integ.client, "it", 1 + i % 4, i % 3 ? "standard" : "strategic");
		assert_string_equal(tk->queue, "pager-it");
		snprintf(ids[i], 40, "%s", tk->id);
		ticketfix_ticket_free(tk);
	}
	/* Pairs of equal priority and age (0 and 12, 4 and 8), so that ties are
	 * broken by id, across pages too. */
	assert_int_equal(registry_sqlf(NULL, 0, "UPDATE ticket SET waiting_since = date_trunc('day', now()) - interval '1 day'"
	                                        " WHERE id IN ('%s', '%s', '%s', '%s')", ids[0], ids[4], ids[8], ids[12]), 0);
	for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		int n = list_all(s % 2 ? agent->client : registry.lead.client, "pager-it", sizes[s], listed, PAGED + 1);

		if (n != PAGED)
			print_error("page size %d: %d tickets listed, want %d\n", sizes[s], n, PAGED);
		assert_int_equal(n, PAGED);
		for (int i = 0; i < PAGED; i++) {
			int seen = 0;
			for (int j = 0; j < PAGED; j++)
				seen += strcmp(listed[j], ids[i]) == 0;
			assert_int_equal(seen, 1);
		}
	}
	/* Page sizes out of range and tokens not from a page. */
	req.queue = "pager-it";
	req.page_size = 501;
	shiftfix_expect("page_size 501", ticketfix_list(registry.lead.client, &req, NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "page_size");
	req.page_size = -1;
	shiftfix_expect("page_size -1", ticketfix_list(registry.lead.client, &req, NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "page_size");
	req.page_size = 5;
	req.page_token = "not-a-token";
	shiftfix_expect("a made-up page token", ticketfix_list(registry.lead.client, &req, NULL, msg, sizeof(msg)), msg,
	    BATON_INVALID_ARGUMENT, "page_token");
}

/* ---- 6. partners list their own queue --------------------------------------------------------- */

static bool listed_by(baton_client *c, const char *queue, const char *id)
{
	char listed[500][40];
	int n = list_all(c, queue, 500, listed, 500);

	for (int i = 0; i < n; i++)
		if (strcmp(listed[i], id) == 0)
			return true;
	return false;
}

static void a_partner_lists_only_its_own_queue(void **state)
{
	Baton__V1__ListTicketsRequest req = BATON__V1__LIST_TICKETS_REQUEST__INIT;
	Baton__V1__Ticket *theirs, *ours;
	char msg[512];
	(void)state;

	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	theirs = created(registry.integ.client, "es", 2, NULL);
	ours = created(registry.integ.client, "de", 2, NULL);
	assert_string_equal(theirs->queue, "sol-latino");
	assert_string_equal(ours->queue, "in-house");

	assert_true(listed_by(registry.sl_agent2.client, "", theirs->id));
	assert_false(listed_by(registry.sl_agent2.client, "", ours->id));
	assert_true(listed_by(registry.sl_mgr.client, "sol-latino", theirs->id));
	assert_false(listed_by(registry.wn_agent1.client, "", theirs->id));
	assert_false(listed_by(registry.wn_agent1.client, "", ours->id));
	assert_true(listed_by(registry.lead.client, "sol-latino", theirs->id));
	assert_true(listed_by(registry.lead.client, "in-house", ours->id));
	assert_false(listed_by(registry.lead.client, "in-house", theirs->id));
	/* Another organization's queue is not there for a partner. */
	req.queue = "in-house";
	shiftfix_expect("sol-latino listing in-house", ticketfix_list(registry.sl_agent1.client, &req, NULL, msg, sizeof(msg)),
	    msg, BATON_NOT_FOUND, "no organization");
	req.queue = "warsaw-nights";
	shiftfix_expect("sol-latino listing warsaw-nights", ticketfix_list(registry.sl_agent1.client, &req, NULL, msg,
	                                                      sizeof(msg)), msg, BATON_NOT_FOUND, "no organization");
	req.queue = "sol-latino";
	shiftfix_expect("warsaw-nights listing sol-latino", ticketfix_list(registry.wn_mgr.client, &req, NULL, msg,
	                                                      sizeof(msg)), msg, BATON_NOT_FOUND, "no organization");
	ticketfix_ticket_free(theirs);
	ticketfix_ticket_free(ours);
}

/* ---- 7. customer replies ----------------------------------------------------------------------- */

static void customer_replies_join_the_conversation(void **state)
{
	Baton__V1__AddCustomerReplyRequest req = BATON__V1__ADD_CUSTOMER_REPLY_REQUEST__INIT;
	Baton__V1__Ticket *t = created(registry.integ.client, "de", 3, NULL), *after = NULL;
	char before[256], now[256], msg[512], random_id[40];
	(void)state;

	/* By id. */
	shiftfix_expect("a customer reply", ticketfix_customer(registry.integ.client, t->id, "Still broken", &after, msg,
	                                        sizeof(msg)), msg, BATON_OK, NULL);
	assert_string_equal(after->id, t->id);
	assert_string_equal(after->status, "queued");
	ticketfix_ticket_free(after);
	/* By source and reference. */
	req.source = t->source;
	req.external_ref = t->external_ref;
	req.body = "Any news?";
	shiftfix_expect("a customer reply by reference", shiftfix_call(registry.lead.client, TK_CUSTOMER, &req.base, NULL,
	                                                     NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket_message WHERE ticket_id = '%s' AND kind = 'customer'"
	                               " AND body IN ('Still broken', 'Any news?')", t->id), 2);
	assert_int_equal(ticketfix_events(t->id, "ticket.customer_replied"), 2);
	assert_int_equal(shiftfix_events_signed("ticket.customer_replied", t->id, registry.integ.id), 1);
	assert_int_equal(shiftfix_events_signed("ticket.customer_replied", t->id, registry.lead.id), 1);

	/* Refused, and nothing written: no body, a worker, no such ticket. */
	ticketfix_snapshot(t->id, before);
	shiftfix_expect("a customer reply with no body", ticketfix_customer(registry.integ.client, t->id, "", NULL, msg,
	                                                     sizeof(msg)), msg, BATON_INVALID_ARGUMENT, "body");
	shiftfix_expect("a customer reply by an agent", ticketfix_customer(registry.sl_agent1.client, t->id, "x", NULL, msg,
	                                                    sizeof(msg)), msg, BATON_PERMISSION_DENIED, NULL);
	shiftfix_expect("a customer reply by an in-house manager", ticketfix_customer(registry.hq_mgr.client, t->id, "x", NULL,
	                                                              msg, sizeof(msg)), msg, BATON_PERMISSION_DENIED, NULL);
	req.external_ref = "no-such-ref";
	shiftfix_expect("a customer reply to an unknown reference", shiftfix_call(registry.integ.client, TK_CUSTOMER,
	                                                                 &req.base, NULL, NULL, msg, sizeof(msg)),
	    msg, BATON_NOT_FOUND, NULL);
	assert_int_equal(registry_sqlf(random_id, sizeof(random_id), "SELECT gen_random_uuid()"), 0);
	shiftfix_expect("a customer reply to an unknown ticket", ticketfix_customer(registry.integ.client, random_id, "x",
	                                                             NULL, msg, sizeof(msg)), msg, BATON_NOT_FOUND, NULL);
	ticketfix_snapshot(t->id, now);
	assert_string_equal(before, now);
	ticketfix_ticket_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(integration_leads_and_admins_create_and_nobody_else, ticketfix_cleanup),
		cmocka_unit_test_teardown(every_field_is_checked_and_a_refusal_writes_nothing, ticketfix_cleanup),
		cmocka_unit_test_teardown(the_same_source_and_ref_is_one_ticket, ticketfix_cleanup),
		cmocka_unit_test_teardown(twenty_creates_of_one_ticket_at_once_make_one, ticketfix_cleanup),
		cmocka_unit_test_teardown(with_no_partner_on_shift_a_ticket_goes_in_house, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_partner_on_a_fitting_shift_gets_the_ticket, ticketfix_cleanup),
		cmocka_unit_test_teardown(the_partner_with_more_people_on_shift_wins, ticketfix_cleanup),
		cmocka_unit_test_teardown(priority_is_severity_and_tier_plus_waiting_time, ticketfix_cleanup),
		cmocka_unit_test_teardown(queues_list_by_priority_then_by_age, ticketfix_cleanup),
		cmocka_unit_test_teardown(paging_covers_every_ticket_exactly_once, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_partner_lists_only_its_own_queue, ticketfix_cleanup),
		cmocka_unit_test_teardown(customer_replies_join_the_conversation, ticketfix_cleanup),
	};
	return cmocka_run_group_tests_name("integration: tickets, intake", tests, shiftfix_setup, shiftfix_teardown);
}
