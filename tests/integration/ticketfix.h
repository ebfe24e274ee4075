/* ticketfix.h - what the ticket tests share: Tickets and Events calls in a few words, people on shift, events in SQL. */
#ifndef BATON_TESTS_TICKETFIX_H
#define BATON_TESTS_TICKETFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <baton/client.h>

#include "baton/v1/events.pb-c.h"
#include "baton/v1/tickets.pb-c.h"
#include "fixture.h"
#include "registry.h"
#include "shiftfix.h"

#define TK_CREATE       "/baton.v1.Tickets/CreateTicket"
#define TK_CUSTOMER     "/baton.v1.Tickets/AddCustomerReply"
#define TK_TAKE         "/baton.v1.Tickets/TakeTicket"
#define TK_PASS         "/baton.v1.Tickets/PassTicket"
#define TK_REPLY        "/baton.v1.Tickets/ReplyTicket"
#define TK_NOTE         "/baton.v1.Tickets/NoteTicket"
#define TK_PEND         "/baton.v1.Tickets/PendTicket"
#define TK_RESOLVE      "/baton.v1.Tickets/ResolveTicket"
#define TK_REOPEN       "/baton.v1.Tickets/ReopenTicket"
#define TK_LIST         "/baton.v1.Tickets/ListTickets"
#define TK_SHOW         "/baton.v1.Tickets/ShowTicket"
#define TK_POLICY_SET   "/baton.v1.Tickets/SetTicketPolicy"
#define TK_POLICY_LIST  "/baton.v1.Tickets/ListTicketPolicies"
#define EV_WATCH        "/baton.v1.Events/Watch"

/* ---- intake ------------------------------------------------------------------ */

/* A CreateTicket in a few words; NULL/0 fields take the defaults noted. */
typedef struct ticketfix_spec {
	const char *source;    /* NULL: "zendesk" */
	const char *ref;       /* NULL: a fresh one (ticketfix_fresh_ref) */
	const char *subject;   /* NULL: "Cannot log in" */
	const char *customer;  /* NULL: "cust-1" */
	const char *tier;      /* NULL: "standard" */
	const char *channel;   /* NULL: "email" */
	const char *language;  /* NULL: "en" */
	int32_t     severity;  /* 0: 3 */
	const char *body;      /* NULL: none */
} ticketfix_spec;

/* "ref-<pid>-<n>": unique within the test program's run. */
const char *ticketfix_fresh_ref(char buf[64]);

/* CreateTicket as c (an integration, lead or admin); on OK the reply
 * (caller frees; out may be NULL). */
baton_status ticketfix_create(baton_client *c, const ticketfix_spec *spec, Baton__V1__CreateTicketReply **out,
    char *msg, size_t msg_len);
/* ticketfix_create that fails the case unless OK; the new ticket's id goes to id. */
void ticketfix_create_must(baton_client *c, const ticketfix_spec *spec, char id[40]);

/* ---- acting on a ticket ---------------------------------------------------------- */

/* Each returns the call's status; msg (may be NULL) gets the server's
 * message; on OK and when out is not NULL, the ticket after the call
 * (caller frees with ticketfix_ticket_free). */
baton_status ticketfix_take(baton_client *c, const char *id, Baton__V1__Ticket **out, char *msg, size_t msg_len);
baton_status ticketfix_pass(baton_client *c, const char *id, const char *to_principal, const char *to_queue,
    const char *note, Baton__V1__Ticket **out, char *msg, size_t msg_len);
baton_status ticketfix_reply(baton_client *c, const char *id, const char *body, Baton__V1__Ticket **out, char *msg,
    size_t msg_len);
baton_status ticketfix_note(baton_client *c, const char *id, const char *body, Baton__V1__Ticket **out, char *msg,
    size_t msg_len);
baton_status ticketfix_pend(baton_client *c, const char *id, const char *reason, Baton__V1__Ticket **out, char *msg,
    size_t msg_len);
baton_status ticketfix_resolve(baton_client *c, const char *id, const char *code, const char *note,
    Baton__V1__Ticket **out, char *msg, size_t msg_len);
baton_status ticketfix_reopen(baton_client *c, const char *id, const char *reason, Baton__V1__Ticket **out,
    char *msg, size_t msg_len);
baton_status ticketfix_customer(baton_client *c, const char *id, const char *body, Baton__V1__Ticket **out,
    char *msg, size_t msg_len);
/* Frees a ticket from the calls above (NULL is fine). */
void ticketfix_ticket_free(Baton__V1__Ticket *t);

/* ShowTicket; on OK the reply (caller frees). */
baton_status ticketfix_show(baton_client *c, const char *id, Baton__V1__ShowTicketReply **out, char *msg,
    size_t msg_len);
/* ListTickets with req as given; on OK the reply (caller frees). */
baton_status ticketfix_list(baton_client *c, const Baton__V1__ListTicketsRequest *req,
    Baton__V1__ListTicketsReply **out, char *msg, size_t msg_len);

/* SetTicketPolicy for org (name; "" the default). */
baton_status ticketfix_policy(baton_client *c, const char *org, int64_t ownership_timeout_s, char *msg,
    size_t msg_len);

/* Watch from cursor (kinds: comma-separated prefixes or NULL; subject may
 * be NULL), waiting up to wait_ms; on OK the reply (caller frees). */
baton_status ticketfix_watch(baton_client *c, const char *cursor, const char *kinds, const char *subject,
    int64_t wait_ms, int32_t max_events, Baton__V1__WatchReply **out, char *msg, size_t msg_len);

/* ---- people on shift ------------------------------------------------------------------ */

/*
 * Puts p on a shift now: registry.lead adds a slot from now - 1 minute to
 * until_ms in language lang, open to p's organization (by id org_id), and
 * claims a seat of it for p. The slot's and claim's ids go to slot_id and
 * claim_id (40 bytes each, may be NULL). Fails the case otherwise.
 */
void ticketfix_on_shift(const fixture_person *p, const char *org_id, const char *lang, int64_t until_ms,
    char *slot_id, char *claim_id);

/* A slot open to org_id (an id) in language lang, from now - 1 minute to
 * until_ms, with seats seats, added by registry.lead; its id goes to
 * slot_id (40 bytes). Fails the case otherwise. ticketfix_cleanup cancels
 * it. */
void ticketfix_slot_now(const char *org_id, const char *lang, int32_t seats, int64_t until_ms, char slot_id[40]);
/* registry.lead claims a seat of slot for p; the claim's id goes to
 * claim_id (40 bytes, may be NULL). Fails the case otherwise. */
void ticketfix_seat(const fixture_person *p, const char *slot, char *claim_id);

/* ---- the database ------------------------------------------------------------------------ */

/* A fingerprint (out: 256 bytes) of ticket id's row, messages and events
 * (id NULL: how many tickets, messages and ticket events there are): equal
 * fingerprints mean nothing of it was written in between. */
void ticketfix_snapshot(const char *id, char out[256]);

/* cmocka per-case teardown: cancels the slots ticketfix_on_shift and
 * ticketfix_slot_now added (so routing starts afresh), then
 * shiftfix_cleanup. */
int ticketfix_cleanup(void **state);

/* Events of kind about ticket id (NULL kind: any). */
long ticketfix_events(const char *id, const char *kind);
/* The ticket's status / owner handle ("" if none) / queue name as the
 * database holds them (out: 64 bytes); fails the case if there is none. */
void ticketfix_row(const char *id, char status[64], char owner[64], char queue[64]);

#endif
