/* ctl_ticket_print.c - tickets, their conversation, history and policies: tables and JSON lines. */
#include <stdio.h>
#include <string.h>

#include "client/ctl_ticket.h"

/* ---- JSON ------------------------------------------------------------------- */

static void json_str(textbuf *t, const char *name, const char *value)
{
	textbuf_printf(t, ",\"%s\":", name);
	textbuf_json_str(t, value);
}

static void json_int(textbuf *t, const char *name, long long value)
{
	textbuf_printf(t, ",\"%s\":%lld", name, value);
}

void ctl_json_ticket(textbuf *t, const Baton__V1__Ticket *k)
{
	textbuf_puts(t, "{\"id\":");
	textbuf_json_str(t, k->id);
	json_str(t, "source", k->source);
	json_str(t, "external_ref", k->external_ref);
	json_str(t, "subject", k->subject);
	json_str(t, "customer_id", k->customer_id);
	json_str(t, "customer_tier", k->customer_tier);
	json_str(t, "channel", k->channel);
	json_str(t, "language", k->language);
	json_int(t, "severity", k->severity);
	json_int(t, "priority", k->priority);
	json_str(t, "status", k->status);
	json_str(t, "queue", k->queue);
	json_str(t, "routed_rule", k->routed_rule);
	json_str(t, "owner", k->owner);
	json_int(t, "owner_since_unix_ms", k->owner_since_unix_ms);
	json_int(t, "owner_active_unix_ms", k->owner_active_unix_ms);
	json_int(t, "return_unix_ms", k->return_unix_ms);
	json_int(t, "shift_ends_unix_ms", k->shift_ends_unix_ms);
	json_str(t, "pending_reason", k->pending_reason);
	json_int(t, "first_response_unix_ms", k->first_response_unix_ms);
	json_int(t, "last_reply_unix_ms", k->last_reply_unix_ms);
	json_int(t, "resolved_unix_ms", k->resolved_unix_ms);
	json_str(t, "resolved_by", k->resolved_by);
	json_str(t, "resolution_code", k->resolution_code);
	json_str(t, "resolution_note", k->resolution_note);
	json_int(t, "reopen_count", k->reopen_count);
	json_int(t, "created_unix_ms", k->created_unix_ms);
	json_int(t, "updated_unix_ms", k->updated_unix_ms);
	textbuf_putc(t, '}');
}

void ctl_json_message(textbuf *t, const Baton__V1__TicketMessage *m)
{
	textbuf_printf(t, "{\"id\":%lld", (long long)m->id);
	json_str(t, "kind", m->kind);
	json_str(t, "body", m->body);
	json_str(t, "author", m->author);
	json_int(t, "at_unix_ms", m->at_unix_ms);
	textbuf_putc(t, '}');
}

void ctl_json_event(textbuf *t, const Baton__V1__Event *e)
{
	size_t n = strlen(e->body_json);
	char at[32];

	/* The same shape as `batonctl watch --json` prints. */
	ctl_time_iso(e->at_unix_ms, at, sizeof(at));
	textbuf_printf(t, "{\"id\":%lld", (long long)e->id);
	json_str(t, "cursor", e->cursor);
	textbuf_printf(t, ",\"at_unix_ms\":%lld,\"at\":\"%s\"", (long long)e->at_unix_ms, at);
	json_str(t, "kind", e->kind);
	json_str(t, "subject", e->subject);
	json_str(t, "org", e->org);
	json_str(t, "actor", e->actor);
	json_str(t, "method", e->method);
	textbuf_printf(t, ",\"signed\":%s,\"body\":", e->signed_ ? "true" : "false");
	/* body_json is a JSON object (PostgreSQL's jsonb text): inlined;
	 * anything else goes as a string, so the line stays JSON. */
	if (n >= 2 && e->body_json[0] == '{' && e->body_json[n - 1] == '}')
		textbuf_puts(t, e->body_json);
	else
		textbuf_json_str(t, e->body_json);
	textbuf_putc(t, '}');
}

void ctl_json_policy(textbuf *t, const Baton__V1__TicketPolicy *p)
{
	textbuf_puts(t, "{\"org\":");
	textbuf_json_str(t, p->org);
	json_int(t, "ownership_timeout_s", p->ownership_timeout_s);
	json_str(t, "updated_by", p->updated_by);
	json_int(t, "updated_unix_ms", p->updated_unix_ms);
	textbuf_putc(t, '}');
}

/* ---- text from outside ------------------------------------------------------------ */

/* Subjects and bodies come from customers: control characters (escape
 * sequences could rewrite the terminal) never reach the terminal. */
void ctl_text_put(const char *s, bool one_line, size_t max_chars, const char *indent)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p & 0xc0) != 0x80 && max_chars != 0 && chars++ == max_chars) {
			fputs("...", stdout);
			return;
		}
		if (*p == '\r' && p[1] == '\n')
			continue;
		if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) { /* C1 controls, U+0080..U+009F */
			putchar('?');
			p++;
			continue;
		}
		if (*p == '\n' && !one_line)
			printf("\n%s", indent);
		else if (*p == '\t' && !one_line)
			putchar('\t');
		else if (*p == '\n' || *p == '\t')
			putchar(' ');
		else if (*p < 0x20 || *p == 0x7f)
			putchar('?');
		else
			putchar(*p);
	}
}

static const char *or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

/* ---- tickets ----------------------------------------------------------------------- */

#define TICKET_ROW "%5s  %-36s  %-8s  %-16s %-16s %-8s %3s  %-9s %4s  "
#define SUBJECT_CHARS 60

void ctl_print_tickets_header(const ctl_globals *g)
{
	if (!g->json)
		printf(TICKET_ROW "%s\n", "PRIO", "ID", "STATUS", "QUEUE", "OWNER", "LANG", "SEV", "TIER", "AGE",
		    "SUBJECT");
}

void ctl_print_tickets(const ctl_globals *g, Baton__V1__Ticket *const *tickets, size_t n, int64_t now_ms)
{
	char prio[16], sev[16], age[24];
	textbuf t;

	for (size_t i = 0; i < n; i++) {
		const Baton__V1__Ticket *k = tickets[i];
		if (g->json) {
			ctl_out_begin(&t);
			ctl_json_ticket(&t, k);
			ctl_out_end(&t);
			continue;
		}
		snprintf(prio, sizeof(prio), "%d", k->priority);
		snprintf(sev, sizeof(sev), "%d", k->severity);
		ctl_age_format(k->created_unix_ms, now_ms, age, sizeof(age));
		printf(TICKET_ROW, prio, k->id, k->status, k->queue, or_dash(k->owner), k->language, sev,
		    k->customer_tier, age);
		ctl_text_put(k->subject, true, SUBJECT_CHARS, "");
		putchar('\n');
	}
}

void ctl_print_ticket(const ctl_globals *g, const Baton__V1__Ticket *k, int64_t now_ms)
{
	char when[32];

	ctl_print_tickets_header(g);
	ctl_print_tickets(g, (Baton__V1__Ticket *const *)&k, 1, now_ms);
	if (g->json)
		return;
	if (strcmp(k->status, "assigned") == 0 && k->return_unix_ms != 0) {
		ctl_time(k->return_unix_ms, when, sizeof(when));
		printf("back to the queue at %s unless %s acts on it\n", when, or_dash(k->owner));
	}
	if (k->shift_ends_unix_ms != 0 && strcmp(k->status, "resolved") != 0 && strcmp(k->status, "queued") != 0) {
		ctl_time(k->shift_ends_unix_ms, when, sizeof(when));
		printf("%s's shift ends at %s; then it goes back to the queue\n", or_dash(k->owner), when);
	}
	if (strcmp(k->status, "pending") == 0) {
		printf("pending: ");
		ctl_text_put(k->pending_reason, true, 0, "");
		putchar('\n');
	}
	if (strcmp(k->status, "resolved") == 0) {
		ctl_time(k->resolved_unix_ms, when, sizeof(when));
		printf("resolved %s by %s: %s\n", when, or_dash(k->resolved_by), or_dash(k->resolution_code));
	}
}

void ctl_print_next_page(const ctl_globals *g, const char *token, const char *flag)
{
	textbuf t;

	if (!g->json) {
		printf("more: add --%s %s\n", flag, token);
		return;
	}
	ctl_out_begin(&t);
	textbuf_puts(&t, "{\"next_page_token\":");
	textbuf_json_str(&t, token);
	textbuf_putc(&t, '}');
	ctl_out_end(&t);
}

/* "label           value" with times as ctl_time writes them. */
static void field_time(const char *label, int64_t unix_ms)
{
	char when[32];

	ctl_time(unix_ms, when, sizeof(when));
	printf("%-16s%s\n", label, when);
}

static void field_text(const char *label, const char *value)
{
	printf("%-16s", label);
	if (value == NULL || value[0] == '\0')
		fputs("-", stdout);
	else
		ctl_text_put(value, false, 0, "                ");
	putchar('\n');
}

static void print_fields(const Baton__V1__Ticket *k)
{
	printf("%-16s%s\n", "ticket", k->id);
	field_text("subject", k->subject);
	field_text("source", k->source);
	field_text("external ref", k->external_ref);
	field_text("customer", k->customer_id);
	printf("%-16s%s\n%-16s%s\n%-16s%s\n", "tier", k->customer_tier, "channel", k->channel, "language",
	    k->language);
	printf("%-16s%d\n%-16s%d\n", "severity", k->severity, "priority", k->priority);
	printf("%-16s%s\n%-16s%s\n", "status", k->status, "queue", k->queue);
	field_text("routed", k->routed_rule);
	printf("%-16s%s\n", "owner", or_dash(k->owner));
	field_time("owner since", k->owner_since_unix_ms);
	field_time("owner active", k->owner_active_unix_ms);
	field_time("returns", k->return_unix_ms);
	field_time("shift ends", k->shift_ends_unix_ms);
	field_text("pending reason", k->pending_reason);
	field_time("first response", k->first_response_unix_ms);
	field_time("last reply", k->last_reply_unix_ms);
	field_time("resolved", k->resolved_unix_ms);
	printf("%-16s%s\n", "resolved by", or_dash(k->resolved_by));
	field_text("resolution code", k->resolution_code);
	field_text("resolution note", k->resolution_note);
	printf("%-16s%d\n", "reopened", k->reopen_count);
	field_time("created", k->created_unix_ms);
	field_time("updated", k->updated_unix_ms);
}

static void story_json(const Baton__V1__ShowTicketReply *rep)
{
	textbuf t;

	ctl_out_begin(&t);
	textbuf_puts(&t, "{\"ticket\":");
	if (rep->ticket != NULL)
		ctl_json_ticket(&t, rep->ticket);
	else
		textbuf_puts(&t, "null");
	ctl_out_flush(&t);
	textbuf_puts(&t, ",\"messages\":[");
	for (size_t i = 0; i < rep->n_messages; i++) {
		if (i)
			textbuf_putc(&t, ',');
		ctl_json_message(&t, rep->messages[i]);
		ctl_out_flush(&t);
	}
	textbuf_puts(&t, "],\"events\":[");
	for (size_t i = 0; i < rep->n_events; i++) {
		if (i)
			textbuf_putc(&t, ',');
		ctl_json_event(&t, rep->events[i]);
		ctl_out_flush(&t);
	}
	textbuf_puts(&t, "]}");
	ctl_out_end(&t);
}

void ctl_print_ticket_story(const ctl_globals *g, const Baton__V1__ShowTicketReply *rep)
{
	char when[32];

	if (g->json) {
		story_json(rep);
		return;
	}
	if (rep->ticket != NULL)
		print_fields(rep->ticket);
	printf("Conversation:%s\n", rep->n_messages == 0 ? " none" : "");
	for (size_t i = 0; i < rep->n_messages; i++) {
		const Baton__V1__TicketMessage *m = rep->messages[i];
		ctl_time(m->at_unix_ms, when, sizeof(when));
		printf("  %s  %-10s %s\n    ", when, m->kind, m->author[0] ? m->author : "(batond)");
		ctl_text_put(m->body, false, 0, "    ");
		putchar('\n');
	}
	ctl_print_history(rep->events, rep->n_events);
}

void ctl_print_history(Baton__V1__Event *const *events, size_t n)
{
	char when[32];

	printf("History:%s\n", n == 0 ? " none" : "");
	for (size_t i = 0; i < n; i++) {
		const Baton__V1__Event *e = events[i];
		ctl_time(e->at_unix_ms, when, sizeof(when));
		printf("  %s  %-24s %-16s ", when, e->kind, e->actor[0] ? e->actor : "(batond)");
		ctl_text_put(e->body_json, true, 0, "");
		putchar('\n');
	}
}

/* ---- policies ------------------------------------------------------------------------ */

#define POLICY_ROW "%-24s %-8s %-16s %s\n"

void ctl_print_policies(const ctl_globals *g, Baton__V1__TicketPolicy *const *policies, size_t n)
{
	char timeout[32], when[32];
	textbuf t;

	if (!g->json)
		printf(POLICY_ROW, "ORG", "TIMEOUT", "UPDATED BY", "UPDATED (UTC)");
	for (size_t i = 0; i < n; i++) {
		const Baton__V1__TicketPolicy *p = policies[i];
		if (g->json) {
			ctl_out_begin(&t);
			ctl_json_policy(&t, p);
			ctl_out_end(&t);
			continue;
		}
		ctl_duration_format(p->ownership_timeout_s, timeout, sizeof(timeout));
		ctl_time(p->updated_unix_ms, when, sizeof(when));
		printf(POLICY_ROW, p->org[0] ? p->org : "(default)", timeout, or_dash(p->updated_by), when);
	}
}
