/* ctl_escalation.c - batonctl escalate and escalation list|show|approve|reject: escalations to in-house leads. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/v1/sla.pb-c.h"
#include "client/ctl.h"
#include "client/ctl_sla.h"
#include "client/ctl_ticket.h"
#include "common/textbuf.h"

static const char usage_escalation[] =
    "Usage: batonctl escalate TICKET --reason TEXT [--urgent]\n"
    "       batonctl escalation list [--open] [--mine] [--ticket ID] [--page-size N] [--page-token T]\n"
    "       batonctl escalation show ID\n"
    "       batonctl escalation approve ID [--assign HANDLE] [--note TEXT]\n"
    "       batonctl escalation reject ID --note TEXT\n"
    "  escalate  (the ticket's owner) ask the in-house lead on call for help, with a reason\n"
    "            (1..2000 characters); --urgent shortens the time the lead has and is pushed\n"
    "            to watchers at once. One open escalation per ticket.\n"
    "  list      newest first: --open (or --pending) only those awaiting a decision; --mine\n"
    "            only those routed to you; --ticket one ticket's; --page-size 1..500\n"
    "            (default 50); --page-token T the next page, as the last one said. Partners\n"
    "            see those raised from their queue.\n"
    "  show      every field and the history: requested, expired (moved up a level),\n"
    "            approved or rejected.\n"
    "  approve   (in-house lead, admin) you, or --assign HANDLE (an in-house person), take\n"
    "            the ticket over; --note up to 2000 characters.\n"
    "  reject    (in-house lead, admin) the ticket stays with its owner; --note, the\n"
    "            guidance, is required and added to the ticket as a note.\n"
    "Times are UTC. With --json: list prints one escalation per line, then\n"
    "{\"next_page_token\":\"...\"} when there is a next page; show prints\n"
    "{\"escalation\":{...},\"history\":[...]}; the other verbs print the escalation.\n";

#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define REASON_CHARS 50

static const char *or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/* ---- for people ------------------------------------------------------------------ */

#define ESCALATION_ROW "%-36s  %-8s %-6s %5s  %-16s %-17s %-36s  "

static void print_header(void)
{
	printf(ESCALATION_ROW "%s\n", "ID", "STATE", "URGENT", "LEVEL", "ASSIGNEE", "EXPIRES (UTC)", "TICKET",
	    "REASON");
}

static void print_row(const Baton__V1__Escalation *x)
{
	char level[16], expires[32];

	snprintf(level, sizeof(level), "%d", x->level);
	ctl_time(strcmp(x->state, "open") == 0 ? x->expires_unix_ms : 0, expires, sizeof(expires));
	printf(ESCALATION_ROW, x->id, x->state, strcmp(x->urgency, "urgent") == 0 ? "yes" : "no", level,
	    x->level == 10 && x->assignee[0] == '\0' ? "(admins)" : or_dash(x->assignee), expires, x->ticket);
	ctl_text_put(x->reason, true, REASON_CHARS, "");
	putchar('\n');
}

/* "label             text" with text from outside made safe. */
static void field(const char *label, const char *text)
{
	printf("%-18s", label);
	ctl_text_put(or_dash(text), false, 0, "                  ");
	putchar('\n');
}

static void field_time(const char *label, int64_t unix_ms)
{
	char when[32];

	ctl_time(unix_ms, when, sizeof(when));
	printf("%-18s%s\n", label, when);
}

static void print_detail(const Baton__V1__Escalation *x)
{
	printf("%-18s%s\n%-18s%s\n", "escalation", x->id, "ticket", x->ticket);
	field("subject", x->ticket_subject);
	printf("%-18s%s\n", "queue", or_dash(x->queue));
	printf("%-18s%s\n", "raised by", x->source[0] == 's' ? "the SLA worker" : or_dash(x->raised_by));
	if (x->clock[0] != '\0')
		printf("%-18s%s\n", "clock breached", x->clock);
	field("reason", x->reason);
	printf("%-18s%s\n%-18s%s\n", "urgency", x->urgency, "state", x->state);
	printf("%-18s%d%s\n", "level", x->level, x->level == 10 ? " (the in-house admins)" : "");
	printf("%-18s%s\n", "assignee", x->level == 10 && x->assignee[0] == '\0' ? "(admins)" : or_dash(x->assignee));
	field("routed", x->routed_rule);
	field_time("routed at", x->routed_unix_ms);
	field_time("expires", x->expires_unix_ms);
	printf("%-18s%d\n", "expiries", x->expiries);
	printf("%-18s%s\n", "decided by", or_dash(x->decided_by));
	field_time("decided at", x->decided_unix_ms);
	field("note", x->decision_note);
	printf("%-18s%s\n", "new owner", or_dash(x->new_owner));
	field_time("created", x->created_unix_ms);
}

/* The reply of Escalate, ApproveEscalation or RejectEscalation, each
 * { Escalation escalation = 1; }: the escalation's row and what became of
 * it, or its JSON line. */
static int print_changed(const ctl_globals *g, const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "escalation");
	const Baton__V1__Escalation *x;

	assert(f != NULL && f->descriptor == &baton__v1__escalation__descriptor);
	if ((x = *(Baton__V1__Escalation *const *)(const void *)((const char *)m + f->offset)) == NULL)
		return 0;
	if (g->json) {
		ctl_print_json_proto(&x->base);
		return 0;
	}
	print_header();
	print_row(x);
	if (strcmp(x->state, "approved") == 0)
		printf("approved by %s: %s owns the ticket now\n", or_dash(x->decided_by), or_dash(x->new_owner));
	else if (strcmp(x->state, "rejected") == 0)
		printf("rejected by %s: the ticket stays with its owner, with the guidance as a note\n",
		    or_dash(x->decided_by));
	else
		printf("routed: %s\n", x->routed_rule);
	return 0;
}

static int print_list(const ctl_globals *g, const ProtobufCMessage *m)
{
	const Baton__V1__ListEscalationsReply *rep = (const Baton__V1__ListEscalationsReply *)m;

	if (!g->json)
		print_header();
	for (size_t i = 0; i < rep->n_escalations; i++) {
		if (g->json)
			ctl_print_json_proto(&rep->escalations[i]->base);
		else
			print_row(rep->escalations[i]);
	}
	if (rep->next_page_token[0] != '\0')
		ctl_print_next_page(g, rep->next_page_token, "page-token");
	return 0;
}

static int print_story(const ctl_globals *g, const ProtobufCMessage *m)
{
	const Baton__V1__ShowEscalationReply *rep = (const Baton__V1__ShowEscalationReply *)m;

	if (g->json) {
		ctl_print_json_proto(m);
		return 0;
	}
	if (rep->escalation != NULL)
		print_detail(rep->escalation);
	ctl_print_history(rep->history, rep->n_history);
	return 0;
}

/* ---- verbs ------------------------------------------------------------------------- */

static const ctl_rpc rpc_escalate = { "escalate", "/baton.v1.Escalations/Escalate", true,
	&baton__v1__escalate_reply__descriptor, print_changed };
static const ctl_rpc rpc_list = { "escalation list", "/baton.v1.Escalations/ListEscalations", false,
	&baton__v1__list_escalations_reply__descriptor, print_list };
static const ctl_rpc rpc_show = { "escalation show", "/baton.v1.Escalations/ShowEscalation", false,
	&baton__v1__show_escalation_reply__descriptor, print_story };
static const ctl_rpc rpc_approve = { "escalation approve", "/baton.v1.Escalations/ApproveEscalation", true,
	&baton__v1__approve_escalation_reply__descriptor, print_changed };
static const ctl_rpc rpc_reject = { "escalation reject", "/baton.v1.Escalations/RejectEscalation", true,
	&baton__v1__reject_escalation_reply__descriptor, print_changed };

/* A required text flag: given and not empty; 0 or EXIT_USAGE. */
static int required(const char *verb, const char *flag, const char *value)
{
	if (value != NULL && value[0] != '\0')
		return 0;
	return ctl_usage_error("%s: --%s TEXT is required", verb, flag);
}

int ctl_escalate(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__EscalateRequest req = BATON__V1__ESCALATE_REQUEST__INIT;
	const char *reason = NULL;
	bool urgent = false;
	const ctl_flag flags[] = { { "reason", &reason, NULL }, { "urgent", NULL, &urgent } };
	const char *id;
	int rc = ctl_flags_parse(rpc_escalate.verb, argc, argv, flags, N_ITEMS(flags), usage_escalation, "TICKET", &id);

	if (rc != 0 || (rc = required(rpc_escalate.verb, "reason", reason)) != 0)
		return rc < 0 ? 0 : rc;
	req.ticket = (char *)id;
	req.reason = (char *)reason;
	req.urgent = urgent;
	return ctl_rpc_run(g, &rpc_escalate, &req.base);
}

static int escalation_list(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ListEscalationsRequest req = BATON__V1__LIST_ESCALATIONS_REQUEST__INIT;
	const char *ticket = "", *page_size = NULL, *token = "";
	bool open = false, mine = false;
	const ctl_flag flags[] = {
		{ "open", NULL, &open }, { "pending", NULL, &open }, { "mine", NULL, &mine }, { "ticket", &ticket, NULL },
		{ "page-size", &page_size, NULL }, { "page-token", &token, NULL },
	};
	int rc = ctl_flags_parse(rpc_list.verb, argc, argv, flags, N_ITEMS(flags), usage_escalation, NULL, NULL);

	if (rc == 0 && page_size != NULL)
		rc = ctl_flag_int(rpc_list.verb, "page-size", page_size, 1, 500, &req.page_size);
	if (rc != 0)
		return rc < 0 ? 0 : rc;
	req.open_only = open;
	req.mine = mine;
	req.ticket = (char *)ticket;
	req.page_token = (char *)token;
	return ctl_rpc_run(g, &rpc_list, &req.base);
}

static int escalation_show(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ShowEscalationRequest req = BATON__V1__SHOW_ESCALATION_REQUEST__INIT;
	const char *id;
	int rc = ctl_flags_parse(rpc_show.verb, argc, argv, NULL, 0, usage_escalation, "ID", &id);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	req.id = (char *)id;
	return ctl_rpc_run(g, &rpc_show, &req.base);
}

static int escalation_reject(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__RejectEscalationRequest req = BATON__V1__REJECT_ESCALATION_REQUEST__INIT;
	const char *id, *note = NULL;
	const ctl_flag flag = { "note", &note, NULL };
	int rc = ctl_flags_parse(rpc_reject.verb, argc, argv, &flag, 1, usage_escalation, "ID", &id);

	if (rc != 0 || (rc = required(rpc_reject.verb, "note", note)) != 0)
		return rc < 0 ? 0 : rc;
	req.id = (char *)id;
	req.note = (char *)note;
	return ctl_rpc_run(g, &rpc_reject, &req.base);
}

static int escalation_approve(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ApproveEscalationRequest req = BATON__V1__APPROVE_ESCALATION_REQUEST__INIT;
	const char *id, *assign = "", *note = "";
	const ctl_flag flags[] = { { "assign", &assign, NULL }, { "note", &note, NULL } };
	int rc = ctl_flags_parse(rpc_approve.verb, argc, argv, flags, N_ITEMS(flags), usage_escalation, "ID", &id);

	if (rc != 0)
		return rc < 0 ? 0 : rc;
	/* "" takes the ticket for the approver. */
	req.assign_to = (char *)assign;
	req.id = (char *)id;
	req.note = (char *)note;
	return ctl_rpc_run(g, &rpc_approve, &req.base);
}

int ctl_escalation(const ctl_globals *g, int argc, char **argv)
{
	static const ctl_action actions[] = {
		{ "list", escalation_list }, { "show", escalation_show }, { "approve", escalation_approve },
		{ "reject", escalation_reject },
	};

	return ctl_action_run(g, "escalation", actions, N_ITEMS(actions), usage_escalation, argc, argv);
}
