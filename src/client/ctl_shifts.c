/* ctl_shifts.c - what the slot, swap, on-call and coverage verbs share: flags as data, JSON and tables. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "client/ctl.h"
#include "common/textbuf.h"

#define MAX_FLAGS 24

/* ---- flags ------------------------------------------------------------------ */

int ctl_flags_parse(const char *verb, int argc, char **argv, const ctl_flag *flags, size_t n_flags,
    const char *usage, const char *arg_name, const char **arg)
{
	struct option longopts[MAX_FLAGS + 2];
	const char *positional = NULL;
	int opt;

	if (n_flags > MAX_FLAGS)
		return ctl_usage_error("%s: too many flags (a batonctl bug)", verb);
	for (size_t i = 0; i < n_flags; i++)
		longopts[i] = (struct option){ flags[i].name, flags[i].value ? required_argument : no_argument,
			NULL, 256 + (int)i };
	longopts[n_flags] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[n_flags + 1] = (struct option){ NULL, 0, NULL, 0 };
	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		if (opt == 'h') {
			fputs(usage, stdout);
			return -1;
		}
		if (opt < 256 || opt >= 256 + (int)n_flags)
			return ctl_usage_error("%s: unknown or incomplete option '%s'", verb, argv[optind - 1]);
		const ctl_flag *f = &flags[opt - 256];
		if (f->value != NULL)
			*f->value = optarg;
		if (f->given != NULL)
			*f->given = true;
	}
	for (; optind < argc; optind++) {
		if (arg_name == NULL || positional != NULL)
			return ctl_usage_error("%s: unexpected argument '%s'", verb, argv[optind]);
		positional = argv[optind];
	}
	if (arg_name != NULL && positional == NULL)
		return ctl_usage_error("%s: give %s", verb, arg_name);
	if (arg != NULL)
		*arg = positional;
	return 0;
}

int ctl_connect_call(const ctl_globals *g, const char *verb, const char *method, const ProtobufCMessage *msg,
    bool changes_state, const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply)
{
	baton_client *c = ctl_connect(g, verb, true);
	int rc;

	*reply = NULL;
	if (c == NULL)
		return EXIT_RPC;
	rc = ctl_call(g, verb, c, method, msg, changes_state, reply_desc, reply);
	baton_client_close(c);
	return rc;
}

int ctl_flag_int(const char *verb, const char *flag, const char *text, long long min, long long max,
    int32_t *out)
{
	long long v;

	if (!ctl_parse_int(text, min, max, &v))
		return ctl_usage_error("%s: --%s must be %lld..%lld, not '%s'", verb, flag, min, max, text);
	*out = (int32_t)v;
	return 0;
}

int ctl_flag_when(const char *verb, const char *flag, const char *text, int64_t now_ms, int64_t *out_ms)
{
	char why[400];

	if (ctl_parse_when(text, now_ms, out_ms, why, sizeof(why)) != 0)
		return ctl_usage_error("%s: --%s: %s", verb, flag, why);
	return 0;
}

int ctl_flag_list(const char *verb, const char *flag, char *text, char **items, size_t max, size_t *n)
{
	char *save = NULL;

	*n = 0;
	for (char *item = strtok_r(text, ", ", &save); item != NULL; item = strtok_r(NULL, ", ", &save)) {
		if (*n == max)
			return ctl_usage_error("%s: --%s takes at most %zu items", verb, flag, max);
		items[(*n)++] = item;
	}
	return 0;
}

int ctl_flag_cutoff(const char *verb, const char *text, int64_t *out_s)
{
	long long hours;

	if (strcmp(text, "none") == 0) {
		*out_s = -1;
		return 0;
	}
	if (!ctl_parse_int(text, 0, 720, &hours))
		return ctl_usage_error("%s: --release-cutoff-h must be hours 0..720 or none, not '%s'", verb, text);
	/* On the wire 0 asks for the server's default, so "until the start"
	 * (0 hours) is sent as -1, the same as none. */
	*out_s = hours == 0 ? -1 : hours * 3600;
	return 0;
}

int ctl_flag_approval(const char *verb, const char *text)
{
	if (strcmp(text, "none") != 0 && strcmp(text, "manager") != 0 && strcmp(text, "lead") != 0)
		return ctl_usage_error("%s: --swap-approval must be none, manager or lead, not '%s'", verb, text);
	return 0;
}

/* ---- JSON ------------------------------------------------------------------- */

/* Big enough for any one element: the server bounds every text field. */
static char out_buf[256 * 1024];

void ctl_out_begin(textbuf *t)
{
	textbuf_init(t, out_buf, sizeof(out_buf));
}

void ctl_out_flush(textbuf *t)
{
	fwrite(t->buf, 1, t->len, stdout);
	textbuf_init(t, t->buf, t->cap);
}

void ctl_out_end(textbuf *t)
{
	textbuf_putc(t, '\n');
	ctl_out_flush(t);
}

static void json_field_str(textbuf *t, const char *name, const char *value)
{
	textbuf_printf(t, ",\"%s\":", name);
	textbuf_json_str(t, value);
}

static void json_field_int(textbuf *t, const char *name, long long value)
{
	textbuf_printf(t, ",\"%s\":%lld", name, value);
}

static void json_str_array(textbuf *t, const char *name, char *const *items, size_t n)
{
	textbuf_printf(t, ",\"%s\":[", name);
	for (size_t i = 0; i < n; i++) {
		if (i)
			textbuf_putc(t, ',');
		textbuf_json_str(t, items[i]);
	}
	textbuf_putc(t, ']');
}

static const char *slot_state(const Baton__V1__Slot *s)
{
	return s->cancelled_unix_ms ? "cancelled" : s->seats_taken >= s->seats ? "full" : "open";
}

void ctl_json_claim(textbuf *t, const Baton__V1__Claim *c)
{
	textbuf_puts(t, "{\"id\":");
	textbuf_json_str(t, c->id);
	json_field_str(t, "slot_id", c->slot_id);
	json_field_str(t, "principal_id", c->principal_id);
	json_field_str(t, "handle", c->handle);
	json_field_str(t, "org_id", c->org_id);
	json_field_str(t, "org_name", c->org_name);
	json_field_int(t, "starts_unix_ms", c->starts_unix_ms);
	json_field_int(t, "ends_unix_ms", c->ends_unix_ms);
	json_field_str(t, "queue", c->queue);
	json_field_str(t, "language", c->language);
	json_field_str(t, "claimed_by", c->claimed_by);
	json_field_str(t, "via_swap", c->via_swap);
	json_field_int(t, "created_unix_ms", c->created_unix_ms);
	json_field_int(t, "released_unix_ms", c->released_unix_ms);
	json_field_str(t, "released_by", c->released_by);
	json_field_str(t, "released_reason", c->released_reason);
	json_field_str(t, "state", c->released_unix_ms ? "released" : "held");
	textbuf_putc(t, '}');
}

void ctl_json_slot(textbuf *t, const Baton__V1__Slot *s)
{
	textbuf_puts(t, "{\"id\":");
	textbuf_json_str(t, s->id);
	json_field_str(t, "queue", s->queue);
	json_field_str(t, "language", s->language);
	json_field_int(t, "starts_unix_ms", s->starts_unix_ms);
	json_field_int(t, "ends_unix_ms", s->ends_unix_ms);
	json_field_int(t, "seats", s->seats);
	json_field_int(t, "seats_taken", s->seats_taken);
	json_str_array(t, "open_to_orgs", s->open_to_orgs, s->n_open_to_orgs);
	json_str_array(t, "open_to_kinds", s->open_to_kinds, s->n_open_to_kinds);
	json_field_str(t, "swap_approval", s->swap_approval);
	json_field_int(t, "release_cutoff_s", s->release_cutoff_s);
	json_field_str(t, "note", s->note);
	json_field_str(t, "series_id", s->series_id);
	json_field_int(t, "cancelled_unix_ms", s->cancelled_unix_ms);
	json_field_str(t, "cancelled_reason", s->cancelled_reason);
	json_field_int(t, "created_unix_ms", s->created_unix_ms);
	json_field_str(t, "state", slot_state(s));
	textbuf_puts(t, ",\"claims\":[");
	for (size_t i = 0; i < s->n_claims; i++) {
		if (i)
			textbuf_putc(t, ',');
		ctl_json_claim(t, s->claims[i]);
		ctl_out_flush(t);
	}
	textbuf_puts(t, "]}");
}

void ctl_json_swap(textbuf *t, const Baton__V1__Swap *w)
{
	textbuf_puts(t, "{\"id\":");
	textbuf_json_str(t, w->id);
	json_field_str(t, "slot_id", w->slot_id);
	json_field_str(t, "claim_id", w->claim_id);
	json_field_str(t, "holder", w->holder);
	json_field_str(t, "offered_by", w->offered_by);
	json_field_str(t, "offered_to", w->offered_to);
	json_field_str(t, "note", w->note);
	json_field_str(t, "approval", w->approval);
	json_field_str(t, "state", w->state);
	json_field_str(t, "taker", w->taker);
	json_field_int(t, "taken_unix_ms", w->taken_unix_ms);
	json_field_str(t, "decided_by", w->decided_by);
	json_field_int(t, "decided_unix_ms", w->decided_unix_ms);
	json_field_str(t, "decision_note", w->decision_note);
	json_field_str(t, "new_claim_id", w->new_claim_id);
	json_field_str(t, "undone_by", w->undone_by);
	json_field_int(t, "undone_unix_ms", w->undone_unix_ms);
	json_field_str(t, "restored_claim_id", w->restored_claim_id);
	json_field_int(t, "created_unix_ms", w->created_unix_ms);
	json_field_int(t, "starts_unix_ms", w->starts_unix_ms);
	json_field_int(t, "ends_unix_ms", w->ends_unix_ms);
	json_field_str(t, "queue", w->queue);
	json_field_str(t, "language", w->language);
	textbuf_putc(t, '}');
}

void ctl_json_range(textbuf *t, int64_t from_ms, int64_t to_ms)
{
	char from[32], to[32];

	ctl_time_iso(from_ms, from, sizeof(from));
	ctl_time_iso(to_ms, to, sizeof(to));
	textbuf_printf(t, "{\"from_unix_ms\":%lld,\"to_unix_ms\":%lld,\"from\":\"%s\",\"to\":\"%s\"}",
	    (long long)from_ms, (long long)to_ms, from, to);
}

/* ---- tables ------------------------------------------------------------------ */

#define SLOT_ROW  "%-36s  %-17s  %-17s  %-16s %-8s %-7s %s\n"
#define CLAIM_ROW "%-36s  %-16s %-16s %-17s  %-17s  %-16s %-8s %s\n"
#define SWAP_ROW  "%-36s  %-17s  %-16s %-16s %-17s  %-16s %-8s %-8s %s\n"

static const char *or_dash(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : "-";
}

void ctl_print_slots(const ctl_globals *g, Baton__V1__Slot *const *slots, size_t n)
{
	char start[32], end[32], seats[24];
	textbuf t;

	if (!g->json)
		printf(SLOT_ROW, "ID", "START (UTC)", "END", "QUEUE", "LANG", "SEATS", "STATE");
	for (size_t i = 0; i < n; i++) {
		const Baton__V1__Slot *s = slots[i];
		if (g->json) {
			ctl_out_begin(&t);
			ctl_json_slot(&t, s);
			ctl_out_end(&t);
			continue;
		}
		ctl_time(s->starts_unix_ms, start, sizeof(start));
		ctl_time(s->ends_unix_ms, end, sizeof(end));
		snprintf(seats, sizeof(seats), "%d/%d", s->seats_taken, s->seats);
		printf(SLOT_ROW, s->id, start, end, s->queue, s->language, seats, slot_state(s));
	}
}

void ctl_print_claims(const ctl_globals *g, Baton__V1__Claim *const *claims, size_t n)
{
	char start[32], end[32];
	textbuf t;

	if (!g->json)
		printf(CLAIM_ROW, "ID", "HANDLE", "ORG", "START (UTC)", "END", "QUEUE", "LANG", "STATE");
	for (size_t i = 0; i < n; i++) {
		const Baton__V1__Claim *c = claims[i];
		if (g->json) {
			ctl_out_begin(&t);
			ctl_json_claim(&t, c);
			ctl_out_end(&t);
			continue;
		}
		ctl_time(c->starts_unix_ms, start, sizeof(start));
		ctl_time(c->ends_unix_ms, end, sizeof(end));
		printf(CLAIM_ROW, c->id, or_dash(c->handle), or_dash(c->org_name), start, end, c->queue,
		    c->language, c->released_unix_ms ? "released" : "held");
	}
}

void ctl_print_swaps(const ctl_globals *g, Baton__V1__Swap *const *swaps, size_t n)
{
	char start[32];
	textbuf t;

	if (!g->json)
		printf(SWAP_ROW, "ID", "STATE", "HOLDER", "TAKER", "START (UTC)", "QUEUE", "LANG", "APPROVAL",
		    "OFFERED TO");
	for (size_t i = 0; i < n; i++) {
		const Baton__V1__Swap *w = swaps[i];
		if (g->json) {
			ctl_out_begin(&t);
			ctl_json_swap(&t, w);
			ctl_out_end(&t);
			continue;
		}
		ctl_time(w->starts_unix_ms, start, sizeof(start));
		printf(SWAP_ROW, w->id, w->state, or_dash(w->holder), or_dash(w->taker), start, w->queue,
		    w->language, w->approval, w->offered_to[0] ? w->offered_to : "anyone");
	}
}

static void print_open_to(const Baton__V1__Slot *s)
{
	printf("open to         ");
	if (s->n_open_to_orgs == 0 && s->n_open_to_kinds == 0) {
		printf("every partner organization\n");
		return;
	}
	if (s->n_open_to_orgs > 0) {
		printf("organizations ");
		for (size_t i = 0; i < s->n_open_to_orgs; i++)
			printf("%s%s", i ? "," : "", s->open_to_orgs[i]);
		if (s->n_open_to_kinds > 0)
			printf("; ");
	}
	if (s->n_open_to_kinds > 0) {
		printf("kinds ");
		for (size_t i = 0; i < s->n_open_to_kinds; i++)
			printf("%s%s", i ? "," : "", s->open_to_kinds[i]);
	}
	printf("\n");
}

void ctl_print_slot_detail(const ctl_globals *g, const Baton__V1__Slot *s, Baton__V1__Swap *const *swaps,
    size_t n_swaps)
{
	char start[32], end[32], when[32];
	textbuf t;

	if (g->json) {
		ctl_out_begin(&t);
		textbuf_puts(&t, "{\"slot\":");
		ctl_json_slot(&t, s);
		textbuf_puts(&t, ",\"swaps\":[");
		for (size_t i = 0; i < n_swaps; i++) {
			if (i)
				textbuf_putc(&t, ',');
			ctl_json_swap(&t, swaps[i]);
			ctl_out_flush(&t);
		}
		textbuf_puts(&t, "]}");
		ctl_out_end(&t);
		return;
	}
	ctl_time(s->starts_unix_ms, start, sizeof(start));
	ctl_time(s->ends_unix_ms, end, sizeof(end));
	printf("slot            %s\nqueue           %s\nlanguage        %s\ntime            %s - %s\n",
	    s->id, s->queue, s->language, start, end);
	printf("seats           %d of %d taken (%s)\n", s->seats_taken, s->seats, slot_state(s));
	print_open_to(s);
	printf("swap approval   %s\n", s->swap_approval);
	if (s->release_cutoff_s == 0)
		printf("release         until the start\n");
	else if (s->release_cutoff_s % 3600 == 0)
		printf("release         until %lld h before the start\n", (long long)(s->release_cutoff_s / 3600));
	else
		printf("release         until %lld min before the start\n", (long long)(s->release_cutoff_s / 60));
	printf("note            %s\nseries          %s\n", or_dash(s->note), or_dash(s->series_id));
	ctl_time(s->created_unix_ms, when, sizeof(when));
	printf("created         %s\n", when);
	if (s->cancelled_unix_ms) {
		ctl_time(s->cancelled_unix_ms, when, sizeof(when));
		printf("cancelled       %s%s%s\n", when, s->cancelled_reason[0] ? ": " : "", s->cancelled_reason);
	}
	if (s->n_claims == 0) {
		printf("Claims: none\n");
	} else {
		printf("Claims:\n");
		ctl_print_claims(g, s->claims, s->n_claims);
	}
	if (n_swaps == 0) {
		printf("Swaps: none\n");
	} else {
		printf("Swaps:\n");
		ctl_print_swaps(g, swaps, n_swaps);
	}
}
