/* ctl_ticket.c - batonctl ticket: intake, the queue, one owner at a time, the whole story, policies. */
#include <assert.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/v1/tickets.pb-c.h"
#include "client/ctl.h"
#include "client/ctl_ticket.h"
#include "common/clock.h"
#include "common/textbuf.h"

static const char usage_ticket[] =
    "Usage: batonctl ticket create --source S --ref R --subject T --customer C --language L\n"
    "           --severity 1-4 [--tier strategic|priority|standard] [--channel email|chat|phone|callback]\n"
    "           [--body B]\n"
    "       batonctl ticket reply-customer (ID | --source S --ref R) --body B\n"
    "       batonctl ticket list [--mine] [--queue ORG] [--status a,b] [--owner H] [--page-size N]\n"
    "           [--page TOKEN] [--all-pages]\n"
    "       batonctl ticket show ID\n"
    "       batonctl ticket take ID\n"
    "       batonctl ticket pass ID (--to HANDLE | --to-queue ORG|route) --note N\n"
    "       batonctl ticket reply ID --body B\n"
    "       batonctl ticket note ID --body B\n"
    "       batonctl ticket pending ID --reason R\n"
    "       batonctl ticket resolve ID --code C --note N\n"
    "       batonctl ticket reopen ID --reason R\n"
    "       batonctl ticket policy set [--org ORG] --ownership-timeout DUR\n"
    "       batonctl ticket policy list\n"
    "       batonctl ticket sla ID [--recompute]   (see batonctl sla --help)\n"
    "  create          (integration, lead, admin) a ticket from a helpdesk: S the system\n"
    "                  (zendesk), R its reference there; routed to a queue at once. The same\n"
    "                  S and R again give the existing ticket, unchanged. L: BCP 47 (pl,\n"
    "                  es-MX); severity 1 (worst) to 4; tier default standard, channel\n"
    "                  default email; B the customer's first message.\n"
    "  reply-customer  (integration, lead, admin) the customer wrote again: wakes a pending\n"
    "                  ticket, reopens a resolved one.\n"
    "  list            tickets in priority order (highest first), default the queued ones;\n"
    "                  --mine your assigned and pending ones; --queue an organization's\n"
    "                  queue; --status of queued, assigned, pending, resolved; --owner a\n"
    "                  person; --page-size 1..500 (default 50); --page TOKEN the next page,\n"
    "                  as the last one said; --all-pages every page. Partners see their\n"
    "                  own queue only.\n"
    "  show            every field of a ticket, its conversation and its history.\n"
    "  take            (agent, manager, lead, admin) become the owner of a queued ticket;\n"
    "                  partner people need an active shift whose language fits.\n"
    "  pass            (the owner, or an in-house lead or admin) to a person, who becomes\n"
    "                  the owner, or to a queue (an organization's name, or 'route' for\n"
    "                  the routing rule now), with a note for the next one.\n"
    "  reply           a reply to the customer (renews the owner's return timer).\n"
    "  note            an internal note (renews the owner's return timer).\n"
    "  pending         waiting on the customer (the return timer stops).\n"
    "  resolve         done: C a short code ([a-z0-9_-], up to 40: solved, duplicate), N\n"
    "                  what was done.\n"
    "  reopen          a resolved ticket goes back to a queue (routed again).\n"
    "  policy set      (lead, admin) how long an owner may leave an assigned ticket untouched\n"
    "                  before it goes back to the queue, for --org ORG's queue or (without\n"
    "                  --org) the default: DUR 45s, 30m, 2h, 1d or plain seconds, 1s..7d.\n"
    "                  Applies from each owner's next act on.\n"
    "  policy list     the default and each organization's timeout.\n"
    "Tables show UTC. With --json: list prints one ticket per line, then\n"
    "{\"next_page_token\":\"...\"} when there is a next page; create prints\n"
    "{\"created\":true|false,\"ticket\":{...}}; show prints\n"
    "{\"ticket\":{...},\"messages\":[...],\"events\":[...]}; the other verbs print the ticket.\n";

#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))
/* --all-pages follows at most this many pages (5 million tickets at 500). */
#define MAX_PAGES 10000
#define MAX_STATUSES 4

/* A verb that changes one ticket: its name, method and reply. */
typedef struct ticket_verb {
	const char *verb;
	const char *method;
	const ProtobufCMessageDescriptor *reply_desc;
} ticket_verb;

/*
 * Sends req (a change) and prints the ticket of the reply: every reply of
 * these verbs is { Ticket ticket = 1; }, found through its descriptor.
 */
static int call_and_print(const ctl_globals *g, const ticket_verb *v, const ProtobufCMessage *req)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(v->reply_desc, "ticket");
	ProtobufCMessage *rep;
	Baton__V1__Ticket *k;
	int rc;

	assert(f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE && f->descriptor == &baton__v1__ticket__descriptor);
	if ((rc = ctl_connect_call(g, v->verb, v->method, req, true, v->reply_desc, &rep)) != 0)
		return rc;
	k = *(Baton__V1__Ticket **)(void *)((char *)rep + f->offset);
	if (k != NULL)
		ctl_print_ticket(g, k, clock_realtime_ms());
	protobuf_c_message_free_unpacked(rep, NULL);
	return 0;
}

/* A required text flag: given and not empty. */
static int need(const char *verb, const char *flag, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return ctl_usage_error("%s: --%s is required", verb, flag);
	return 0;
}

/* Whether value is one of allowed[0..n); EXIT_USAGE naming them if not. */
static int one_of(const char *verb, const char *flag, const char *value, const char *const *allowed, size_t n)
{
	char names[200];
	textbuf t;

	for (size_t i = 0; i < n; i++)
		if (strcmp(value, allowed[i]) == 0)
			return 0;
	textbuf_init(&t, names, sizeof(names));
	for (size_t i = 0; i < n; i++)
		textbuf_printf(&t, "%s%s", i == 0 ? "" : i + 1 == n ? " or " : ", ", allowed[i]);
	return ctl_usage_error("%s: --%s must be %s, not '%s'", verb, flag, names, value);
}

/* ---- intake ---------------------------------------------------------------------- */

static int ticket_create(const ctl_globals *g, int argc, char **argv)
{
	static const char *const tiers[] = { "strategic", "priority", "standard" };
	static const char *const channels[] = { "email", "chat", "phone", "callback" };
	Baton__V1__CreateTicketRequest req = BATON__V1__CREATE_TICKET_REQUEST__INIT;
	Baton__V1__CreateTicketReply *rep;
	const char *source = NULL, *ref = NULL, *subject = NULL, *customer = NULL, *language = NULL;
	const char *severity = NULL, *tier = "standard", *channel = "email", *body = "";
	const ctl_flag flags[] = {
		{ "source", &source, NULL }, { "ref", &ref, NULL }, { "subject", &subject, NULL },
		{ "customer", &customer, NULL }, { "language", &language, NULL }, { "severity", &severity, NULL },
		{ "tier", &tier, NULL }, { "channel", &channel, NULL }, { "body", &body, NULL },
	};
	textbuf t;
	int rc;

	if ((rc = ctl_flags_parse("ticket create", argc, argv, flags, N_ITEMS(flags), usage_ticket, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = need("ticket create", "source", source)) != 0 || (rc = need("ticket create", "ref", ref)) != 0 ||
	    (rc = need("ticket create", "subject", subject)) != 0 ||
	    (rc = need("ticket create", "customer", customer)) != 0 ||
	    (rc = need("ticket create", "language", language)) != 0 ||
	    (rc = need("ticket create", "severity", severity)) != 0 ||
	    (rc = ctl_flag_int("ticket create", "severity", severity, 1, 4, &req.severity)) != 0 ||
	    (rc = one_of("ticket create", "tier", tier, tiers, N_ITEMS(tiers))) != 0 ||
	    (rc = one_of("ticket create", "channel", channel, channels, N_ITEMS(channels))) != 0)
		return rc;
	req.source = (char *)source;
	req.external_ref = (char *)ref;
	req.subject = (char *)subject;
	req.customer_id = (char *)customer;
	req.customer_tier = (char *)tier;
	req.channel = (char *)channel;
	req.language = (char *)language;
	req.body = (char *)body;
	if ((rc = ctl_connect_call(g, "ticket create", "/baton.v1.Tickets/CreateTicket", &req.base, true,
	         &baton__v1__create_ticket_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	if (g->json) {
		ctl_out_begin(&t);
		textbuf_printf(&t, "{\"created\":%s,\"ticket\":", rep->created ? "true" : "false");
		if (rep->ticket != NULL)
			ctl_json_ticket(&t, rep->ticket);
		else
			textbuf_puts(&t, "null");
		textbuf_putc(&t, '}');
		ctl_out_end(&t);
	} else if (rep->ticket != NULL) {
		if (rep->created)
			printf("created ticket %s in queue %s (%s)\n", rep->ticket->id, rep->ticket->queue,
			    rep->ticket->routed_rule);
		else
			printf("existing ticket %s: %s %s was already a ticket; it is unchanged\n", rep->ticket->id,
			    source, ref);
		ctl_print_ticket(g, rep->ticket, clock_realtime_ms());
	}
	baton__v1__create_ticket_reply__free_unpacked(rep, NULL);
	return 0;
}

/*
 * Whether argv (argv[0] the action) has a positional argument. Every flag
 * of reply-customer takes a value, so the word after a flag given as
 * "--flag VALUE" (getopt may also take an abbreviation of it) is its value.
 */
static bool has_positional(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return i + 1 < argc;
		if (argv[i][0] != '-' || argv[i][1] == '\0')
			return true;
		if (strncmp(argv[i], "--", 2) == 0 && strchr(argv[i], '=') == NULL && strcmp(argv[i], "--help") != 0)
			i++;
	}
	return false;
}

static int ticket_reply_customer(const ctl_globals *g, int argc, char **argv)
{
	static const ticket_verb v = { "ticket reply-customer", "/baton.v1.Tickets/AddCustomerReply",
		&baton__v1__add_customer_reply_reply__descriptor };
	Baton__V1__AddCustomerReplyRequest req = BATON__V1__ADD_CUSTOMER_REPLY_REQUEST__INIT;
	const char *id = NULL, *source = NULL, *ref = NULL, *body = NULL;
	const ctl_flag flags[] = { { "source", &source, NULL }, { "ref", &ref, NULL }, { "body", &body, NULL } };
	int rc;

	if ((rc = ctl_flags_parse(v.verb, argc, argv, flags, N_ITEMS(flags), usage_ticket,
	         has_positional(argc, argv) ? "ID" : NULL, &id)) != 0)
		return rc < 0 ? 0 : rc;
	if (id != NULL && (source != NULL || ref != NULL))
		return ctl_usage_error("%s: give the ticket's ID, or --source S --ref R, not both", v.verb);
	if (id == NULL && (source == NULL || ref == NULL || source[0] == '\0' || ref[0] == '\0'))
		return ctl_usage_error("%s: give the ticket's ID, or --source S and --ref R", v.verb);
	if ((rc = need(v.verb, "body", body)) != 0)
		return rc;
	req.ticket = (char *)(id != NULL ? id : "");
	req.source = (char *)(source != NULL ? source : "");
	req.external_ref = (char *)(ref != NULL ? ref : "");
	req.body = (char *)body;
	return call_and_print(g, &v, &req.base);
}

/* ---- list, show -------------------------------------------------------------------- */

static int ticket_list(const ctl_globals *g, int argc, char **argv)
{
	static const char *const statuses[] = { "queued", "assigned", "pending", "resolved" };
	Baton__V1__ListTicketsRequest req = BATON__V1__LIST_TICKETS_REQUEST__INIT;
	Baton__V1__ListTicketsReply *rep = NULL;
	const char *queue = "", *status = NULL, *owner = "", *page_size = NULL, *page = "";
	bool mine = false, all_pages = false;
	const ctl_flag flags[] = {
		{ "mine", NULL, &mine }, { "queue", &queue, NULL }, { "status", &status, NULL },
		{ "owner", &owner, NULL }, { "page-size", &page_size, NULL }, { "page", &page, NULL },
		{ "all-pages", NULL, &all_pages },
	};
	char status_text[128], *status_list[MAX_STATUSES], *token = NULL;
	baton_client *c;
	int rc = 0, pages = 0;

	if ((rc = ctl_flags_parse("ticket list", argc, argv, flags, N_ITEMS(flags), usage_ticket, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (page_size && (rc = ctl_flag_int("ticket list", "page-size", page_size, 1, 500, &req.page_size)) != 0)
		return rc;
	if (status != NULL) {
		snprintf(status_text, sizeof(status_text), "%s", status);
		if ((rc = ctl_flag_list("ticket list", "status", status_text, status_list, MAX_STATUSES,
		         &req.n_statuses)) != 0)
			return rc;
		if (req.n_statuses == 0)
			return ctl_usage_error("ticket list: --status needs one or more of queued, assigned, pending, "
			    "resolved");
		for (size_t i = 0; i < req.n_statuses; i++)
			if ((rc = one_of("ticket list", "status", status_list[i], statuses, N_ITEMS(statuses))) != 0)
				return rc;
		req.statuses = status_list;
	}
	req.mine = mine;
	req.queue = (char *)queue;
	req.owner = (char *)owner;
	req.page_token = (char *)page;

	if ((c = ctl_connect(g, "ticket list", true)) == NULL)
		return EXIT_RPC;
	for (;;) {
		if ((rc = ctl_call(g, "ticket list", c, "/baton.v1.Tickets/ListTickets", &req.base, false,
		         &baton__v1__list_tickets_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
			goto out;
		if (pages == 0)
			ctl_print_tickets_header(g);
		ctl_print_tickets(g, rep->tickets, rep->n_tickets, clock_realtime_ms());
		fflush(stdout);
		pages++;
		if (rep->next_page_token[0] == '\0')
			break;
		if (!all_pages || pages == MAX_PAGES) {
			if (all_pages)
				fprintf(stderr, "batonctl ticket list: stopped after %d pages\n", MAX_PAGES);
			ctl_print_next_page(g, rep->next_page_token, "page");
			break;
		}
		/* The token outlives the reply it came in. */
		free(token);
		if ((token = strdup(rep->next_page_token)) == NULL) {
			rc = ctl_usage_error("ticket list: out of memory");
			goto out;
		}
		req.page_token = token;
		baton__v1__list_tickets_reply__free_unpacked(rep, NULL);
		rep = NULL;
	}
out:
	if (rep != NULL)
		baton__v1__list_tickets_reply__free_unpacked(rep, NULL);
	free(token);
	baton_client_close(c);
	return rc;
}

static int ticket_show(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ShowTicketRequest req = BATON__V1__SHOW_TICKET_REQUEST__INIT;
	Baton__V1__ShowTicketReply *rep;
	const char *id;
	int rc;

	if ((rc = ctl_flags_parse("ticket show", argc, argv, NULL, 0, usage_ticket, "ID", &id)) != 0)
		return rc < 0 ? 0 : rc;
	req.ticket = (char *)id;
	if ((rc = ctl_connect_call(g, "ticket show", "/baton.v1.Tickets/ShowTicket", &req.base, false,
	         &baton__v1__show_ticket_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_ticket_story(g, rep);
	baton__v1__show_ticket_reply__free_unpacked(rep, NULL);
	return 0;
}

/* ---- ownership and work -------------------------------------------------------------- */

static int ticket_take(const ctl_globals *g, int argc, char **argv)
{
	static const ticket_verb v = { "ticket take", "/baton.v1.Tickets/TakeTicket",
		&baton__v1__take_ticket_reply__descriptor };
	Baton__V1__TakeTicketRequest req = BATON__V1__TAKE_TICKET_REQUEST__INIT;
	const char *id;
	int rc;

	if ((rc = ctl_flags_parse(v.verb, argc, argv, NULL, 0, usage_ticket, "ID", &id)) != 0)
		return rc < 0 ? 0 : rc;
	req.ticket = (char *)id;
	return call_and_print(g, &v, &req.base);
}

static int ticket_pass(const ctl_globals *g, int argc, char **argv)
{
	static const ticket_verb v = { "ticket pass", "/baton.v1.Tickets/PassTicket",
		&baton__v1__pass_ticket_reply__descriptor };
	Baton__V1__PassTicketRequest req = BATON__V1__PASS_TICKET_REQUEST__INIT;
	const char *id, *to = NULL, *to_queue = NULL, *note = NULL;
	const ctl_flag flags[] = { { "to", &to, NULL }, { "to-queue", &to_queue, NULL }, { "note", &note, NULL } };
	int rc;

	if ((rc = ctl_flags_parse(v.verb, argc, argv, flags, N_ITEMS(flags), usage_ticket, "ID", &id)) != 0)
		return rc < 0 ? 0 : rc;
	if ((to != NULL) == (to_queue != NULL))
		return ctl_usage_error("%s: give --to HANDLE or --to-queue ORG|route (one of them)", v.verb);
	if ((to != NULL && to[0] == '\0') || (to_queue != NULL && to_queue[0] == '\0'))
		return ctl_usage_error("%s: --%s needs a value", v.verb, to != NULL ? "to" : "to-queue");
	if ((rc = need(v.verb, "note", note)) != 0)
		return rc;
	req.ticket = (char *)id;
	req.to_principal = (char *)(to != NULL ? to : "");
	req.to_queue = (char *)(to_queue != NULL ? to_queue : "");
	req.note = (char *)note;
	return call_and_print(g, &v, &req.base);
}

/*
 * reply, note, pending and reopen: "ID --FIELD TEXT", the text required.
 * Each request is { string ticket; string FIELD; }, filled through its
 * descriptor, so the four verbs are one function and a table row each.
 */
typedef struct ticket_text_verb {
	ticket_verb                       v;
	const ProtobufCMessageDescriptor *req_desc;
	const char                       *field; /* "body" or "reason": the flag and the request field */
} ticket_text_verb;

static const ticket_text_verb text_verbs[] = {
	{ { "ticket reply", "/baton.v1.Tickets/ReplyTicket", &baton__v1__reply_ticket_reply__descriptor },
	    &baton__v1__reply_ticket_request__descriptor, "body" },
	{ { "ticket note", "/baton.v1.Tickets/NoteTicket", &baton__v1__note_ticket_reply__descriptor },
	    &baton__v1__note_ticket_request__descriptor, "body" },
	{ { "ticket pending", "/baton.v1.Tickets/PendTicket", &baton__v1__pend_ticket_reply__descriptor },
	    &baton__v1__pend_ticket_request__descriptor, "reason" },
	{ { "ticket reopen", "/baton.v1.Tickets/ReopenTicket", &baton__v1__reopen_ticket_reply__descriptor },
	    &baton__v1__reopen_ticket_request__descriptor, "reason" },
};

static void set_string(ProtobufCMessage *m, const char *field, const char *value)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, field);

	assert(f != NULL && f->type == PROTOBUF_C_TYPE_STRING && f->label != PROTOBUF_C_LABEL_REPEATED);
	*(const char **)(void *)((char *)m + f->offset) = value;
}

static int ticket_id_text(const ctl_globals *g, int argc, char **argv, const ticket_text_verb *tv)
{
	union {
		ProtobufCMessage base;
		max_align_t      align;
		char             bytes[128];
	} req;
	const char *id, *text = NULL;
	const ctl_flag flag = { tv->field, &text, NULL };
	int rc;

	assert(tv->req_desc->sizeof_message <= sizeof(req));
	if ((rc = ctl_flags_parse(tv->v.verb, argc, argv, &flag, 1, usage_ticket, "ID", &id)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = need(tv->v.verb, tv->field, text)) != 0)
		return rc;
	protobuf_c_message_init(tv->req_desc, &req);
	set_string(&req.base, "ticket", id);
	set_string(&req.base, tv->field, text);
	return call_and_print(g, &tv->v, &req.base);
}

static int ticket_reply(const ctl_globals *g, int argc, char **argv)
{
	return ticket_id_text(g, argc, argv, &text_verbs[0]);
}

static int ticket_note(const ctl_globals *g, int argc, char **argv)
{
	return ticket_id_text(g, argc, argv, &text_verbs[1]);
}

static int ticket_pending(const ctl_globals *g, int argc, char **argv)
{
	return ticket_id_text(g, argc, argv, &text_verbs[2]);
}

static int ticket_reopen(const ctl_globals *g, int argc, char **argv)
{
	return ticket_id_text(g, argc, argv, &text_verbs[3]);
}

static int ticket_resolve(const ctl_globals *g, int argc, char **argv)
{
	static const ticket_verb v = { "ticket resolve", "/baton.v1.Tickets/ResolveTicket",
		&baton__v1__resolve_ticket_reply__descriptor };
	Baton__V1__ResolveTicketRequest req = BATON__V1__RESOLVE_TICKET_REQUEST__INIT;
	const char *id, *code = NULL, *note = NULL;
	const ctl_flag flags[] = { { "code", &code, NULL }, { "note", &note, NULL } };
	int rc;

	if ((rc = ctl_flags_parse(v.verb, argc, argv, flags, N_ITEMS(flags), usage_ticket, "ID", &id)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = need(v.verb, "code", code)) != 0 || (rc = need(v.verb, "note", note)) != 0)
		return rc;
	req.ticket = (char *)id;
	req.code = (char *)code;
	req.note = (char *)note;
	return call_and_print(g, &v, &req.base);
}

/* ---- policy -------------------------------------------------------------------------- */

static int policy_set(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__SetTicketPolicyRequest req = BATON__V1__SET_TICKET_POLICY_REQUEST__INIT;
	Baton__V1__SetTicketPolicyReply *rep;
	const char *org = "", *timeout = NULL;
	const ctl_flag flags[] = { { "org", &org, NULL }, { "ownership-timeout", &timeout, NULL } };
	char why[200];
	int rc;

	if ((rc = ctl_flags_parse("ticket policy set", argc, argv, flags, N_ITEMS(flags), usage_ticket, NULL,
	         NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = need("ticket policy set", "ownership-timeout", timeout)) != 0)
		return rc;
	if (ctl_duration_parse(timeout, 1, 7 * 86400, &req.ownership_timeout_s, why, sizeof(why)) != 0)
		return ctl_usage_error("ticket policy set: --ownership-timeout: %s", why);
	req.org = (char *)org;
	if ((rc = ctl_connect_call(g, "ticket policy set", "/baton.v1.Tickets/SetTicketPolicy", &req.base, true,
	         &baton__v1__set_ticket_policy_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_policies(g, &rep->policy, rep->policy != NULL);
	baton__v1__set_ticket_policy_reply__free_unpacked(rep, NULL);
	return 0;
}

static int policy_list(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ListTicketPoliciesRequest req = BATON__V1__LIST_TICKET_POLICIES_REQUEST__INIT;
	Baton__V1__ListTicketPoliciesReply *rep;
	int rc;

	if ((rc = ctl_flags_parse("ticket policy list", argc, argv, NULL, 0, usage_ticket, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ctl_connect_call(g, "ticket policy list", "/baton.v1.Tickets/ListTicketPolicies", &req.base, false,
	         &baton__v1__list_ticket_policies_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_policies(g, rep->policies, rep->n_policies);
	baton__v1__list_ticket_policies_reply__free_unpacked(rep, NULL);
	return 0;
}

static int ticket_policy(const ctl_globals *g, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_ticket, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "set") == 0)
		return policy_set(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return policy_list(g, argc - 1, argv + 1);
	return ctl_usage_error("ticket policy: unknown action '%s' (set, list)", argv[1]);
}

int ctl_ticket(const ctl_globals *g, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(const ctl_globals *, int, char **);
	} actions[] = {
		{ "create", ticket_create }, { "reply-customer", ticket_reply_customer }, { "list", ticket_list },
		{ "show", ticket_show }, { "take", ticket_take }, { "pass", ticket_pass }, { "reply", ticket_reply },
		{ "note", ticket_note }, { "pending", ticket_pending }, { "resolve", ticket_resolve },
		{ "reopen", ticket_reopen }, { "policy", ticket_policy }, { "sla", ctl_ticket_sla },
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_ticket, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < N_ITEMS(actions); i++)
		if (strcmp(argv[1], actions[i].name) == 0)
			return actions[i].run(g, argc - 1, argv + 1);
	return ctl_usage_error("ticket: unknown action '%s' (create, reply-customer, list, show, take, pass, reply, "
	    "note, pending, resolve, reopen, policy, sla)", argv[1]);
}
