/* ticketfix.c - the ticket tests' shared calls, people on shift, races and SQL (see ticketfix.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ticketfix.h"

/* Slots added for people on shift, cancelled by ticketfix_cleanup. */
static char slots_made[128][40];
static int  n_slots_made;

/* ---- calls ---------------------------------------------------------------------- */

/* Calls method and hands out the reply's "ticket" member (detached from the
 * reply, which is freed) when out is not NULL. */
static baton_status ticket_call(baton_client *c, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *reply_desc, Baton__V1__Ticket **out, char *msg, size_t msg_len)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(reply_desc, "ticket");
	ProtobufCMessage *rep = NULL;
	baton_status s;

	assert_non_null(f);
	if (out != NULL)
		*out = NULL;
	s = shiftfix_call(c, method, req, reply_desc, &rep, msg, msg_len);
	if (rep != NULL) {
		Baton__V1__Ticket **slot = (Baton__V1__Ticket **)(void *)((char *)rep + f->offset);
		if (out != NULL) {
			*out = *slot;
			*slot = NULL;
		}
		protobuf_c_message_free_unpacked(rep, NULL);
	}
	return s;
}

void ticketfix_ticket_free(Baton__V1__Ticket *t)
{
	if (t != NULL)
		baton__v1__ticket__free_unpacked(t, NULL);
}

/* ---- intake ------------------------------------------------------------------ */

const char *ticketfix_fresh_ref(char buf[64])
{
	static unsigned n;
	unsigned mine = __atomic_add_fetch(&n, 1, __ATOMIC_RELAXED);

	snprintf(buf, 64, "ref-%ld-%u", (long)getpid(), mine);
	return buf;
}

baton_status ticketfix_create(baton_client *c, const ticketfix_spec *spec, Baton__V1__CreateTicketReply **out,
    char *msg, size_t msg_len)
{
	Baton__V1__CreateTicketRequest req = BATON__V1__CREATE_TICKET_REQUEST__INIT;
	Baton__V1__CreateTicketReply *rep = NULL;
	char ref[64];
	baton_status s;

	req.source = (char *)(spec->source != NULL ? spec->source : "zendesk");
	req.external_ref = (char *)(spec->ref != NULL ? spec->ref : ticketfix_fresh_ref(ref));
	req.subject = (char *)(spec->subject != NULL ? spec->subject : "Cannot log in");
	req.customer_id = (char *)(spec->customer != NULL ? spec->customer : "cust-1");
	req.customer_tier = (char *)(spec->tier != NULL ? spec->tier : "standard");
	req.channel = (char *)(spec->channel != NULL ? spec->channel : "email");
	req.language = (char *)(spec->language != NULL ? spec->language : "en");
	req.severity = spec->severity != 0 ? spec->severity : 3;
	req.body = (char *)(spec->body != NULL ? spec->body : "");
	if (out != NULL)
		*out = NULL;
	s = shiftfix_call(c, TK_CREATE, &req.base, &baton__v1__create_ticket_reply__descriptor,
	    (ProtobufCMessage **)&rep, msg, msg_len);
	if (out != NULL)
		*out = rep;
	else if (rep != NULL)
		baton__v1__create_ticket_reply__free_unpacked(rep, NULL);
	return s;
}

void ticketfix_create_must(baton_client *c, const ticketfix_spec *spec, char id[40])
{
	Baton__V1__CreateTicketReply *rep = NULL;
	char msg[512];
	baton_status s = ticketfix_create(c, spec, &rep, msg, sizeof(msg));

	if (s != BATON_OK)
		print_error("CreateTicket %s/%s (%s): %s: %s\n", spec->source != NULL ? spec->source : "zendesk",
		    spec->ref != NULL ? spec->ref : "(fresh)", spec->language != NULL ? spec->language : "en",
		    baton_status_str(s), msg);
	assert_int_equal(s, BATON_OK);
	assert_non_null(rep);
	assert_non_null(rep->ticket);
	snprintf(id, 40, "%s", rep->ticket->id);
	baton__v1__create_ticket_reply__free_unpacked(rep, NULL);
}

/* ---- acting on a ticket ---------------------------------------------------------- */

baton_status ticketfix_take(baton_client *c, const char *id, Baton__V1__Ticket **out, char *msg, size_t msg_len)
{
	Baton__V1__TakeTicketRequest req = BATON__V1__TAKE_TICKET_REQUEST__INIT;

	req.ticket = (char *)id;
	return ticket_call(c, TK_TAKE, &req.base, &baton__v1__take_ticket_reply__descriptor, out, msg, msg_len);
}

baton_status ticketfix_pass(baton_client *c, const char *id, const char *to_principal, const char *to_queue,
    const char *note, Baton__V1__Ticket **out, char *msg, size_t msg_len)
{
	Baton__V1__PassTicketRequest req = BATON__V1__PASS_TICKET_REQUEST__INIT;

	req.ticket = (char *)id;
	req.to_principal = (char *)(to_principal != NULL ? to_principal : "");
	req.to_queue = (char *)(to_queue != NULL ? to_queue : "");
	req.note = (char *)(note != NULL ? note : "");
	return ticket_call(c, TK_PASS, &req.base, &baton__v1__pass_ticket_reply__descriptor, out, msg, msg_len);
}

baton_status ticketfix_reply(baton_client *c, const char *id, const char *body, Baton__V1__Ticket **out, char *msg,
    size_t msg_len)
{
	Baton__V1__ReplyTicketRequest req = BATON__V1__REPLY_TICKET_REQUEST__INIT;

	req.ticket = (char *)id;
	req.body = (char *)(body != NULL ? body : "");
	return ticket_call(c, TK_REPLY, &req.base, &baton__v1__reply_ticket_reply__descriptor, out, msg, msg_len);
}

baton_status ticketfix_note(baton_client *c, const char *id, const char *body, Baton__V1__Ticket **out, char *msg,
    size_t msg_len)
{
	Baton__V1__NoteTicketRequest req = BATON__V1__NOTE_TICKET_REQUEST__INIT;

	req.ticket = (char *)id;
	req.body = (char *)(body != NULL ? body : "");
	return ticket_call(c, TK_NOTE, &req.base, &baton__v1__note_ticket_reply__descriptor, out, msg, msg_len);
}

baton_status ticketfix_pend(baton_client *c, const char *id, const char *reason, Baton__V1__Ticket **out, char *msg,
    size_t msg_len)
{
	Baton__V1__PendTicketRequest req = BATON__V1__PEND_TICKET_REQUEST__INIT;

	req.ticket = (char *)id;
	req.reason = (char *)(reason != NULL ? reason : "");
	return ticket_call(c, TK_PEND, &req.base, &baton__v1__pend_ticket_reply__descriptor, out, msg, msg_len);
}

baton_status ticketfix_resolve(baton_client *c, const char *id, const char *code, const char *note,
    Baton__V1__Ticket **out, char *msg, size_t msg_len)
{
	Baton__V1__ResolveTicketRequest req = BATON__V1__RESOLVE_TICKET_REQUEST__INIT;

	req.ticket = (char *)id;
	req.code = (char *)(code != NULL ? code : "");
	req.note = (char *)(note != NULL ? note : "");
	return ticket_call(c, TK_RESOLVE, &req.base, &baton__v1__resolve_ticket_reply__descriptor, out, msg, msg_len);
}

baton_status ticketfix_reopen(baton_client *c, const char *id, const char *reason, Baton__V1__Ticket **out,
    char *msg, size_t msg_len)
{
	Baton__V1__ReopenTicketRequest req = BATON__V1__REOPEN_TICKET_REQUEST__INIT;

	req.ticket = (char *)id;
	req.reason = (char *)(reason != NULL ? reason : "");
	return ticket_call(c, TK_REOPEN, &req.base, &baton__v1__reopen_ticket_reply__descriptor, out, msg, msg_len);
}

baton_status ticketfix_customer(baton_client *c, const char *id, const char *body, Baton__V1__Ticket **out,
    char *msg, size_t msg_len)
{
	Baton__V1__AddCustomerReplyRequest req = BATON__V1__ADD_CUSTOMER_REPLY_REQUEST__INIT;

	req.ticket = (char *)id;
	req.body = (char *)(body != NULL ? body : "");
	return ticket_call(c, TK_CUSTOMER, &req.base, &baton__v1__add_customer_reply_reply__descriptor, out, msg,
	    msg_len);
}

baton_status ticketfix_show(baton_client *c, const char *id, Baton__V1__ShowTicketReply **out, char *msg,
    size_t msg_len)
{
	Baton__V1__ShowTicketRequest req = BATON__V1__SHOW_TICKET_REQUEST__INIT;
	Baton__V1__ShowTicketReply *rep = NULL;
	baton_status s;

	req.ticket = (char *)id;
	s = shiftfix_call(c, TK_SHOW, &req.base, &baton__v1__show_ticket_reply__descriptor, (ProtobufCMessage **)&rep,
	    msg, msg_len);
	if (out != NULL)
		*out = rep;
	else if (rep != NULL)
		baton__v1__show_ticket_reply__free_unpacked(rep, NULL);
	return s;
}

baton_status ticketfix_list(baton_client *c, const Baton__V1__ListTicketsRequest *req,
    Baton__V1__ListTicketsReply **out, char *msg, size_t msg_len)
{
	Baton__V1__ListTicketsReply *rep = NULL;
	baton_status s;

	s = shiftfix_call(c, TK_LIST, &req->base, &baton__v1__list_tickets_reply__descriptor, (ProtobufCMessage **)&rep,
	    msg, msg_len);
	if (out != NULL)
		*out = rep;
	else if (rep != NULL)
		baton__v1__list_tickets_reply__free_unpacked(rep, NULL);
	return s;
}

baton_status ticketfix_policy(baton_client *c, const char *org, int64_t ownership_timeout_s, char *msg,
    size_t msg_len)
{
	Baton__V1__SetTicketPolicyRequest req = BATON__V1__SET_TICKET_POLICY_REQUEST__INIT;

	req.org = (char *)(org != NULL ? org : "");
	req.ownership_timeout_s = ownership_timeout_s;
	return shiftfix_call(c, TK_POLICY_SET, &req.base, NULL, NULL, msg, msg_len);
}

baton_status ticketfix_watch(baton_client *c, const char *cursor, const char *kinds, const char *subject,
    int64_t wait_ms, int32_t max_events, Baton__V1__WatchReply **out, char *msg, size_t msg_len)
{
	Baton__V1__WatchRequest req = BATON__V1__WATCH_REQUEST__INIT;
	Baton__V1__WatchReply *rep = NULL;
	baton_call_options o = { .timeout_ms = wait_ms + 10000 };
	char copy[256], *list[16], *save = NULL;
	baton_result res;
	uint8_t *buf;
	size_t len;
	baton_status s;

	req.cursor = (char *)(cursor != NULL ? cursor : "");
	req.subject = (char *)(subject != NULL ? subject : "");
	req.wait_ms = wait_ms;
	req.max_events = max_events;
	req.kinds = list;
	if (kinds != NULL) {
		snprintf(copy, sizeof(copy), "%s", kinds);
		for (char *t = strtok_r(copy, ",", &save); t != NULL && req.n_kinds < 16; t = strtok_r(NULL, ",", &save))
			list[req.n_kinds++] = t;
	}
	/* The deadline must outlast the wait, so not fixture_call's 10 s. */
	buf = shiftfix_pack(&req.base, &len);
	s = baton_call(c, EV_WATCH, buf, len, &o, &res);
	free(buf);
	if (msg != NULL && msg_len > 0)
		snprintf(msg, msg_len, "%s", res.message);
	if (s == BATON_OK) {
		rep = baton__v1__watch_reply__unpack(NULL, res.payload_len, res.payload);
		if (rep == NULL)
			s = BATON_INTERNAL;
	}
	baton_result_clear(&res);
	if (out != NULL)
		*out = rep;
	else if (rep != NULL)
		baton__v1__watch_reply__free_unpacked(rep, NULL);
	return s;
}

/* ---- people on shift ------------------------------------------------------------------ */

void ticketfix_slot_now(const char *org_id, const char *lang, int32_t seats, int64_t until_ms, char slot_id[40])
{
	shiftfix_slot spec = { .queue = "support", .language = lang, .seats = seats, .orgs = org_id,
		.starts_ms = shiftfix_now_ms() - SH_MINUTE_MS, .ends_ms = until_ms, .note = "ticketfix" };

	shiftfix_slot_must(registry.lead.client, &spec, slot_id);
	if (n_slots_made < (int)(sizeof(slots_made) / sizeof(slots_made[0])))
		snprintf(slots_made[n_slots_made++], 40, "%s", slot_id);
}

void ticketfix_seat(const fixture_person *p, const char *slot, char *claim_id)
{
	shiftfix_claim_must(registry.lead.client, slot, p->handle, claim_id);
}

void ticketfix_on_shift(const fixture_person *p, const char *org_id, const char *lang, int64_t until_ms,
    char *slot_id, char *claim_id)
{
	char slot[40];

	ticketfix_slot_now(org_id, lang, 1, until_ms, slot);
	ticketfix_seat(p, slot, claim_id);
	if (slot_id != NULL)
		snprintf(slot_id, 40, "%s", slot);
}

/* ---- races ---------------------------------------------------------------------------- */

/* ---- the database ------------------------------------------------------------------------ */

long ticketfix_events(const char *id, const char *kind)
{
	if (kind == NULL)
		return registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s'", id);
	return registry_sqln("SELECT count(*) FROM event WHERE subject_id = '%s' AND kind = '%s'", id, kind);
}

void ticketfix_row(const char *id, char status[64], char owner[64], char queue[64])
{
	char row[256], *a, *b;

	assert_int_equal(registry_sqlf(row, sizeof(row),
	                     "SELECT t.status || '|' || coalesce(p.handle, '') || '|' || o.name FROM ticket t"
	                     " JOIN org o ON o.id = t.org_id LEFT JOIN principal p ON p.id = t.owner_id"
	                     " WHERE t.id = '%s'", id),
	    0);
	if (row[0] == '\0')
		print_error("no ticket %s in the database\n", id);
	assert_true(row[0] != '\0');
	a = strchr(row, '|');
	assert_non_null(a);
	*a++ = '\0';
	b = strchr(a, '|');
	assert_non_null(b);
	*b++ = '\0';
	snprintf(status, 64, "%.63s", row);
	snprintf(owner, 64, "%.63s", a);
	snprintf(queue, 64, "%.63s", b);
}

void ticketfix_snapshot(const char *id, char out[256])
{
	if (id == NULL) {
		assert_int_equal(registry_sqlf(out, 256,
		                     "SELECT (SELECT count(*) FROM ticket) || '/' || (SELECT count(*) FROM ticket_message)"
		                     " || '/' || (SELECT count(*) FROM event WHERE kind LIKE 'ticket.%%')"),
		    0);
		return;
	}
	assert_int_equal(registry_sqlf(out, 256,
	                     "SELECT (SELECT md5(coalesce(string_agg(t::text, ','), '')) FROM ticket t WHERE t.id = '%s')"
	                     " || (SELECT md5(coalesce(string_agg(m::text, ',' ORDER BY m.id), '')) FROM ticket_message m"
	                     "     WHERE m.ticket_id = '%s')"
	                     " || (SELECT count(*) FROM event WHERE subject_id = '%s')",
	                     id, id, id),
	    0);
}

int ticketfix_cleanup(void **state)
{
	char msg[512];

	for (int i = 0; i < n_slots_made; i++) {
		baton_status s = shiftfix_cancel(registry.lead.client, slots_made[i], false, NULL, msg, sizeof(msg));
		/* Already cancelled, or ended: either way it routes nothing. */
		if (s != BATON_OK && s != BATON_FAILED_PRECONDITION)
			fprintf(stderr, "ticketfix: cancelling slot %s: %s: %s\n", slots_made[i], baton_status_str(s), msg);
	}
	n_slots_made = 0;
	return shiftfix_cleanup(state);
}
