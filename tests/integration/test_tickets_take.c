/* test_tickets_take.c - tries to own a ticket twice (real batond, real PostgreSQL): 50 agents at once, takes without a fitting shift, leads from a partner's queue, partners reaching into other queues, resends of one take. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "ticketfix.h"

#define HOURS_FROM_NOW(h) (shiftfix_now_ms() + (int64_t)(h) * SH_HOUR_MS)

/* A new ticket in language lang from the integration, which must land in
 * queue; its id goes to id. */
static void new_ticket(const char *lang, const char *queue, char id[40])
{
	ticketfix_spec spec = { .language = lang };
	char status[64], owner[64], q[64];

	ticketfix_create_must(registry.integ.client, &spec, id);
	ticketfix_row(id, status, owner, q);
	if (strcmp(q, queue) != 0)
		print_error("a %s ticket went to %s, not %s\n", lang, q, queue);
	assert_string_equal(q, queue);
	assert_string_equal(status, "queued");
}

/* Fails the case unless the row is (status, owner, queue). */
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

/* ---- 1. fifty at once --------------------------------------------------------------------- */

enum { TAKERS = 50, TAKE_ROUNDS = 3 };

static void fifty_agents_taking_one_ticket_give_it_one_owner(void **state)
{
	static fixture_person *agents[TAKERS];
	Baton__V1__TakeTicketRequest req = BATON__V1__TAKE_TICKET_REQUEST__INIT;
	shiftfix_racer r[TAKERS];
	uint8_t *bufs[TAKERS];
	char org[40], slot[40], id[40], handle[32], what[96];
	int64_t ends = HOURS_FROM_NOW(3);
	baton_result res;
	(void)state;

	/* Fifty agents of one partner, all on one "de" shift of fifty seats. */
	assert_int_equal(fixture_org_add(registry.admin, "fifty-de", "overflow", "de", "Europe/Berlin", org, &res),
	    BATON_OK);
	baton_result_clear(&res);
	ticketfix_slot_now(org, "de", TAKERS, ends, slot);
	for (int i = 0; i < TAKERS; i++) {
		snprintf(handle, sizeof(handle), "de-%02d", i);
		agents[i] = shiftfix_person(registry.admin, "fifty-de", handle, "agent");
		ticketfix_seat(agents[i], slot, NULL);
	}
	for (int round = 0; round < TAKE_ROUNDS; round++) {
		Baton__V1__TakeTicketReply *won = NULL;
		int ok = 0, winner = -1;

		new_ticket("de", "fifty-de", id);
		req.ticket = id;
		for (int i = 0; i < TAKERS; i++)
			bufs[i] = shiftfix_racer_init(&r[i], agents[i]->client, TK_TAKE, &req.base);
		shiftfix_race(r, TAKERS);
		for (int i = 0; i < TAKERS; i++) {
			if (r[i].status == BATON_OK) {
				ok++;
				winner = i;
				won = baton__v1__take_ticket_reply__unpack(NULL, r[i].res.payload_len, r[i].res.payload);
			} else {
				snprintf(what, sizeof(what), "round %d, taker %s", round, agents[i]->handle);
				shiftfix_expect(what, r[i].status, r[i].res.message, BATON_FAILED_PRECONDITION, "already owned");
			}
		}
		if (ok != 1)
			print_error("round %d: %d of %d takers own ticket %s\n", round, ok, TAKERS, id);
		assert_int_equal(ok, 1);
		assert_non_null(won);
		assert_string_equal(won->ticket->owner, agents[winner]->handle);
		assert_string_equal(won->ticket->status, "assigned");
		assert_string_equal(won->ticket->queue, "fifty-de");
		/* Held by the shift: it ends when the slot does. */
		assert_true(won->ticket->shift_ends_unix_ms >= ends - 1 && won->ticket->shift_ends_unix_ms <= ends + 1);
		assert_true(won->ticket->return_unix_ms > shiftfix_now_ms());
		row_is(id, "assigned", agents[winner]->handle, "fifty-de");
		/* The losers' messages name the one who won. */
		for (int i = 0; i < TAKERS; i++)
			if (i != winner)
				assert_non_null(strstr(r[i].res.message, agents[winner]->handle));
		assert_int_equal(ticketfix_events(id, "ticket.taken"), 1);
		assert_int_equal(shiftfix_events_verify("ticket.taken", id, agents[winner]->id), 1);
		assert_int_equal(registry_sqln("SELECT count(*) FROM ticket t JOIN claim c ON c.id = t.owner_claim_id"
		                               " WHERE t.id = '%s' AND c.principal_id = '%s' AND c.slot_id = '%s'",
		                     id, agents[winner]->id, slot), 1);
		baton__v1__take_ticket_reply__free_unpacked(won, NULL);
		for (int i = 0; i < TAKERS; i++) {
			baton_result_clear(&r[i].res);
			free(bufs[i]);
		}
	}
}

/* ---- 2. the shift rule ----------------------------------------------------------------------- */

static void a_partner_agent_without_a_shift_may_not_take(void **state)
{
	Baton__V1__Ticket *t = NULL;
	char id[40], claim[40], before[256], after[256], msg[512];
	int64_t ends = HOURS_FROM_NOW(2);
	(void)state;

	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", ends, NULL, claim);
	new_ticket("es", "sol-latino", id);
	ticketfix_snapshot(id, before);
	shiftfix_expect("a take off shift", ticketfix_take(registry.sl_agent2.client, id, NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, "no active shift");
	assert_non_null(strstr(msg, "es"));
	shiftfix_expect("a take by the manager off shift", ticketfix_take(registry.sl_mgr.client, id, NULL, msg, sizeof(msg)),
	    msg, BATON_FAILED_PRECONDITION, "no active shift");
	ticketfix_snapshot(id, after);
	assert_string_equal(before, after);
	/* The one on shift may, and the claim holds the ticket. */
	shiftfix_expect("a take on shift", ticketfix_take(registry.sl_agent1.client, id, &t, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	assert_string_equal(t->owner, "sl-agent1");
	assert_true(t->shift_ends_unix_ms >= ends - 1 && t->shift_ends_unix_ms <= ends + 1);
	assert_true(t->owner_since_unix_ms > 0);
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket WHERE id = '%s' AND owner_claim_id = '%s'", id, claim), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND kind = 'ticket.taken'"
	                               " AND body::text LIKE '%%%s%%'", id, claim), 1);
	ticketfix_ticket_free(t);
}

static void a_shift_in_another_language_does_not_let_one_take(void **state)
{
	fixture_person *es = shiftfix_person(registry.admin, "cap-south", "cs-take-es", "agent");
	fixture_person *en = shiftfix_person(registry.admin, "cap-south", "cs-take-en", "agent");
	char es_id[40], en_id[40], mx_id[40], before[256], after[256], msg[512];
	(void)state;

	/* cap-south speaks both; one agent on each. */
	ticketfix_on_shift(es, shiftfix_south_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	ticketfix_on_shift(en, shiftfix_south_id, "en", HOURS_FROM_NOW(2), NULL, NULL);
	new_ticket("es", "cap-south", es_id);
	new_ticket("en-GB", "cap-south", en_id);
	new_ticket("es-MX", "cap-south", mx_id);
	ticketfix_snapshot(es_id, before);
	shiftfix_expect("an en agent taking es", ticketfix_take(en->client, es_id, NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, "no active shift");
	ticketfix_snapshot(es_id, after);
	assert_string_equal(before, after);
	ticketfix_snapshot(en_id, before);
	shiftfix_expect("an es agent taking en-GB", ticketfix_take(es->client, en_id, NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, "no active shift");
	ticketfix_snapshot(en_id, after);
	assert_string_equal(before, after);
	/* Fitting either way round: en-GB on an en shift, es-MX on an es one. */
	shiftfix_expect("en agent taking en-GB", ticketfix_take(en->client, en_id, NULL, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	shiftfix_expect("es agent taking es-MX", ticketfix_take(es->client, mx_id, NULL, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	row_is(en_id, "assigned", "cs-take-en", "cap-south");
	row_is(mx_id, "assigned", "cs-take-es", "cap-south");
	row_is(es_id, "queued", "", "cap-south");
}

static void a_released_or_future_shift_does_not_let_one_take(void **state)
{
	fixture_person *later = shiftfix_person(registry.sl_mgr.client, "sol-latino", "sl-later", "agent");
	int64_t w = shiftfix_window();
	shiftfix_slot future = { .queue = "support", .language = "es", .orgs = "sol-latino", .starts_ms = w,
		.ends_ms = w + 2 * SH_HOUR_MS };
	char id[40], claim[40], slot[40], before[256], after[256], msg[512];
	(void)state;

	/* sl-agent2 keeps the queue routed to sol-latino. */
	ticketfix_on_shift(&registry.sl_agent2, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, claim);
	new_ticket("es", "sol-latino", id);
	shiftfix_expect("releasing the seat", shiftfix_release(registry.lead.client, claim, NULL, msg, sizeof(msg)), msg,
	    BATON_OK, NULL);
	/* A seat on a shift that has not begun is no shift either. */
	shiftfix_slot_must(registry.lead.client, &future, slot);
	shiftfix_claim_must(registry.lead.client, slot, later->handle, NULL);
	ticketfix_snapshot(id, before);
	shiftfix_expect("a take after the seat was released", ticketfix_take(registry.sl_agent1.client, id, NULL, msg,
	                                                          sizeof(msg)), msg, BATON_FAILED_PRECONDITION,
	    "no active shift");
	shiftfix_expect("a take before the shift begins", ticketfix_take(later->client, id, NULL, msg, sizeof(msg)), msg,
	    BATON_FAILED_PRECONDITION, "no active shift");
	ticketfix_snapshot(id, after);
	assert_string_equal(before, after);
	row_is(id, "queued", "", "sol-latino");
}

/* ---- 3. the in-house staff -------------------------------------------------------------------- */

static void an_in_house_lead_takes_from_a_partners_queue(void **state)
{
	Baton__V1__Ticket *t = NULL;
	char id[40], before[256], after[256], msg[512];
	(void)state;

	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	new_ticket("es", "sol-latino", id);
	/* In-house managers take from the in-house queue only. */
	ticketfix_snapshot(id, before);
	baton_status s = ticketfix_take(registry.hq_mgr.client, id, NULL, msg, sizeof(msg));
	if (s != BATON_FAILED_PRECONDITION && s != BATON_PERMISSION_DENIED)
		print_error("an in-house manager taking from sol-latino: %s \"%s\"\n", baton_status_str(s), msg);
	assert_true(s == BATON_FAILED_PRECONDITION || s == BATON_PERMISSION_DENIED);
	ticketfix_snapshot(id, after);
	assert_string_equal(before, after);
	/* A lead may, with no shift at all; the ticket comes in-house with them. */
	shiftfix_expect("the lead's take", ticketfix_take(registry.lead.client, id, &t, msg, sizeof(msg)), msg, BATON_OK,
	    NULL);
	assert_string_equal(t->owner, "hq-lead");
	assert_string_equal(t->queue, "in-house");
	assert_int_equal(t->shift_ends_unix_ms, 0);
	row_is(id, "assigned", "hq-lead", "in-house");
	assert_int_equal(registry_sqln("SELECT count(*) FROM ticket WHERE id = '%s' AND owner_claim_id IS NULL", id), 1);
	/* The move is news to both queues. */
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND kind = 'ticket.taken'"
	                               " AND org_id = '%s' AND also_org_id = '%s'", id, registry.sl_id, registry.in_house_id),
	    1);
	/* And sol-latino sees it no more. */
	shiftfix_expect("sol-latino showing it", ticketfix_show(registry.sl_agent1.client, id, NULL, msg, sizeof(msg)), msg,
	    BATON_NOT_FOUND, NULL);
	ticketfix_ticket_free(t);

	/* An in-house manager takes from the in-house queue, with no shift. */
	new_ticket("de", "in-house", id);
	shiftfix_expect("the in-house manager's take", ticketfix_take(registry.hq_mgr.client, id, NULL, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	row_is(id, "assigned", "hq-manager", "in-house");
	/* Intake is no worker. */
	new_ticket("de", "in-house", id);
	shiftfix_expect("the integration taking", ticketfix_take(registry.integ.client, id, NULL, msg, sizeof(msg)), msg,
	    BATON_PERMISSION_DENIED, NULL);
	row_is(id, "queued", "", "in-house");
}

/* ---- 4. other queues are not there ------------------------------------------------------------ */

/* msg with every id in it written "<id>" (out: 512 bytes). */
static void without_id(const char *msg, const char *id, char *out)
{
	size_t n = 0, idlen = strlen(id);

	for (const char *p = msg; *p != '\0' && n < 500;) {
		if (strncmp(p, id, idlen) == 0) {
			n += (size_t)snprintf(out + n, 512 - n, "<id>");
			p += idlen;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = '\0';
}

/* Every call on ticket id by c is NOT_FOUND, says no more than for an id
 * that is nobody's, and writes nothing. */
static void nowhere_to_be_found(baton_client *c, const char *who, const char *id)
{
	char before[256], after[256], msg[512], nobody[40], nobody_msg[512], what[160], a[512], b[512];
	baton_status s;

	assert_int_equal(registry_sqlf(nobody, sizeof(nobody), "SELECT gen_random_uuid()"), 0);
	ticketfix_snapshot(id, before);
	for (int op = 0; op < 9; op++) {
		for (int pass = 0; pass < 2; pass++) {
			const char *target = pass == 0 ? id : nobody;
			char *m = pass == 0 ? msg : nobody_msg;

			switch (op) {
			case 0: s = ticketfix_show(c, target, NULL, m, 512); break;
			case 1: s = ticketfix_take(c, target, NULL, m, 512); break;
			case 2: s = ticketfix_pass(c, target, NULL, "route", "over to you", NULL, m, 512); break;
			case 3: s = ticketfix_reply(c, target, "hello", NULL, m, 512); break;
			case 4: s = ticketfix_note(c, target, "hm", NULL, m, 512); break;
			case 5: s = ticketfix_pend(c, target, "waiting", NULL, m, 512); break;
			case 6: s = ticketfix_resolve(c, target, "solved", "done", NULL, m, 512); break;
			case 7: s = ticketfix_reopen(c, target, "again", NULL, m, 512); break;
			default: s = ticketfix_pass(c, target, "sl-agent1", NULL, "yours", NULL, m, 512); break;
			}
			snprintf(what, sizeof(what), "%s: call %d on %s's ticket", who, op, pass == 0 ? "another queue" : "nobody");
			shiftfix_expect(what, s, m, BATON_NOT_FOUND, NULL);
		}
		/* The same words, but for the id. */
		without_id(msg, id, a);
		without_id(nobody_msg, nobody, b);
		if (strcmp(a, b) != 0)
			print_error("%s: call %d says \"%s\" of a ticket it may not see, \"%s\" of none\n", who, op, msg,
			    nobody_msg);
		assert_string_equal(a, b);
	}
	ticketfix_snapshot(id, after);
	assert_string_equal(before, after);
}

static void partners_cannot_see_or_take_other_queues(void **state)
{
	char sl_ticket[40], in_house_es[40], msg[512];
	(void)state;

	/* An es ticket in-house (nobody on shift then), then sol-latino on an
	 * es shift and one more es ticket, which is theirs. */
	new_ticket("es", "in-house", in_house_es);
	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	new_ticket("es", "sol-latino", sl_ticket);

	nowhere_to_be_found(registry.wn_agent1.client, "wn-agent1", sl_ticket);
	nowhere_to_be_found(registry.wn_mgr.client, "wn-manager", sl_ticket);
	nowhere_to_be_found(registry.wn_agent1.client, "wn-agent1", in_house_es);
	/* Even on a fitting shift, the in-house queue is not sol-latino's. */
	nowhere_to_be_found(registry.sl_agent1.client, "sl-agent1", in_house_es);
	nowhere_to_be_found(registry.sl_mgr.client, "sl-manager", in_house_es);
	row_is(in_house_es, "queued", "", "in-house");
	row_is(sl_ticket, "queued", "", "sol-latino");
	/* Their own ticket is theirs to take. */
	shiftfix_expect("sol-latino's own", ticketfix_take(registry.sl_agent1.client, sl_ticket, NULL, msg, sizeof(msg)),
	    msg, BATON_OK, NULL);
	/* Once owned, still nobody else's to read. */
	nowhere_to_be_found(registry.wn_mgr.client, "wn-manager", sl_ticket);
	row_is(sl_ticket, "assigned", "sl-agent1", "sol-latino");
}

/* ---- 5. exactly once -------------------------------------------------------------------------- */

enum { RESENDERS = 6 };

static void a_take_resent_with_one_request_id_is_answered_once(void **state)
{
	Baton__V1__TakeTicketRequest req = BATON__V1__TAKE_TICKET_REQUEST__INIT;
	shiftfix_racer r[RESENDERS];
	char id[40], other[40], rid_hex[33], msg[512];
	uint8_t rid[16], *buf, *other_buf;
	size_t len, other_len;
	(void)state;

	ticketfix_on_shift(&registry.sl_agent1, registry.sl_id, "es", HOURS_FROM_NOW(2), NULL, NULL);
	new_ticket("es", "sol-latino", id);
	new_ticket("es", "sol-latino", other);
	randombytes_buf(rid, sizeof(rid));
	sodium_bin2hex(rid_hex, sizeof(rid_hex), rid, sizeof(rid));
	req.ticket = id;
	buf = shiftfix_pack(&req.base, &len);
	for (int i = 0; i < RESENDERS; i++) {
		r[i] = (shiftfix_racer){ .client = shiftfix_client_of(&registry.sl_agent1), .method = TK_TAKE, .request = buf,
			.request_len = len, .same_id = true };
		memcpy(r[i].request_id, rid, 16);
	}
	shiftfix_race(r, RESENDERS);
	for (int i = 0; i < RESENDERS; i++)
		shiftfix_expect("a resent take", r[i].status, r[i].res.message, BATON_OK, NULL);
	for (int i = 1; i < RESENDERS; i++) {
		assert_int_equal(r[i].res.payload_len, r[0].res.payload_len);
		assert_memory_equal(r[i].res.payload, r[0].res.payload, r[0].res.payload_len);
	}
	assert_int_equal(ticketfix_events(id, "ticket.taken"), 1);
	assert_int_equal(shiftfix_events_verify("ticket.taken", id, registry.sl_agent1.id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM request_record WHERE request_id = decode('%s', 'hex')", rid_hex),
	    1);
	row_is(id, "assigned", "sl-agent1", "sol-latino");

	/* Passed back to the queue, a late resend still gets the first answer
	 * and takes nothing again. */
	shiftfix_expect("passing it back", ticketfix_pass(registry.sl_agent1.client, id, NULL, "sol-latino", "not mine after all",
	                                        NULL, msg, sizeof(msg)), msg, BATON_OK, NULL);
	baton_result_clear(&r[0].res);
	shiftfix_race(r, 1);
	shiftfix_expect("a late resend", r[0].status, r[0].res.message, BATON_OK, NULL);
	assert_int_equal(r[0].res.payload_len, r[1].res.payload_len);
	assert_memory_equal(r[0].res.payload, r[1].res.payload, r[1].res.payload_len);
	row_is(id, "queued", "", "sol-latino");
	assert_int_equal(ticketfix_events(id, "ticket.taken"), 1);

	/* The same id for another ticket is refused and takes nothing. */
	req.ticket = other;
	other_buf = shiftfix_pack(&req.base, &other_len);
	for (int i = 0; i < 2; i++) {
		baton_result_clear(&r[i].res);
		r[i].request = other_buf;
		r[i].request_len = other_len;
	}
	shiftfix_race(r, 2);
	for (int i = 0; i < 2; i++)
		shiftfix_expect("the same request id for another ticket", r[i].status, r[i].res.message, BATON_INVALID_ARGUMENT,
		    NULL);
	row_is(other, "queued", "", "sol-latino");
	assert_int_equal(ticketfix_events(other, "ticket.taken"), 0);
	for (int i = 0; i < RESENDERS; i++)
		baton_result_clear(&r[i].res);
	free(other_buf);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(fifty_agents_taking_one_ticket_give_it_one_owner, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_partner_agent_without_a_shift_may_not_take, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_shift_in_another_language_does_not_let_one_take, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_released_or_future_shift_does_not_let_one_take, ticketfix_cleanup),
		cmocka_unit_test_teardown(an_in_house_lead_takes_from_a_partners_queue, ticketfix_cleanup),
		cmocka_unit_test_teardown(partners_cannot_see_or_take_other_queues, ticketfix_cleanup),
		cmocka_unit_test_teardown(a_take_resent_with_one_request_id_is_answered_once, ticketfix_cleanup),
	};
	return cmocka_run_group_tests_name("integration: tickets, take", tests, shiftfix_setup, shiftfix_teardown);
}
