/* ctl_ticket.h - what the ticket verbs share: durations, JSON and tables of tickets and policies. */
#ifndef BATON_CLIENT_CTL_TICKET_H
#define BATON_CLIENT_CTL_TICKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "baton/v1/events.pb-c.h"
#include "baton/v1/tickets.pb-c.h"
#include "client/ctl.h"
#include "common/textbuf.h"

/* ---- durations (ctl_ticket_duration.c: pure functions, no output) ---------- */

/*
 * Parses a duration: a whole number with an optional unit, s (seconds,
 * the default), m, h or d: "45s", "30m", "2h", "1d", "900". Returns 0
 * with *out_s in [min_s, max_s], or -1 with why (quoting s) in
 * why[0..why_len).
 */
int ctl_duration_parse(const char *s, int64_t min_s, int64_t max_s, int64_t *out_s, char *why, size_t why_len)
    __attribute__((warn_unused_result));
/* Writes seconds in the largest unit that divides them: "30m", "2h",
 * "1d", "45s", "90s" (buf always NUL-terminated). */
void ctl_duration_format(int64_t seconds, char *buf, size_t len);
/* How long ago since_ms was at now_ms, in one unit: "0m", "12m", "5h",
 * "3d" ("-" when since_ms is 0). */
void ctl_age_format(int64_t since_ms, int64_t now_ms, char *buf, size_t len);

/* ---- JSON (ctl_ticket_print.c) --------------------------------------------- */

/* Every field of the message as a JSON object, under its proto name. An
 * event also gets "at" (ISO 8601), and its body_json goes in as "body",
 * the object itself (as a string if it is not an object), the same shape
 * as `batonctl watch --json` prints. */
void ctl_json_ticket(textbuf *t, const Baton__V1__Ticket *k);
void ctl_json_message(textbuf *t, const Baton__V1__TicketMessage *m);
void ctl_json_event(textbuf *t, const Baton__V1__Event *e);
void ctl_json_policy(textbuf *t, const Baton__V1__TicketPolicy *p);

/* ---- output for people, or one JSON object per line (ctl_ticket_print.c) ----- */

/* The table's header line (nothing with --json). */
void ctl_print_tickets_header(const ctl_globals *g);
/* One row per ticket (ages against now_ms), or one JSON object per line. */
void ctl_print_tickets(const ctl_globals *g, Baton__V1__Ticket *const *tickets, size_t n, int64_t now_ms);
/* A ticket after a change: its row and what is pending on it (the return
 * timer, the pending reason, the resolution); with --json the ticket. */
void ctl_print_ticket(const ctl_globals *g, const Baton__V1__Ticket *k, int64_t now_ms);
/* The whole story: every field, the conversation, the history; with
 * --json {"ticket":{..},"messages":[..],"events":[..]}. */
void ctl_print_ticket_story(const ctl_globals *g, const Baton__V1__ShowTicketReply *rep);
/* One row per policy, or one JSON object per line. */
void ctl_print_policies(const ctl_globals *g, Baton__V1__TicketPolicy *const *policies, size_t n);
/* That there is a next page: {"next_page_token":"..."} with --json, else
 * "more: add --FLAG TOKEN". */
void ctl_print_next_page(const ctl_globals *g, const char *token, const char *flag);
/* "History:" and one line per event (time, kind, actor, body), for people. */
void ctl_print_history(Baton__V1__Event *const *events, size_t n);
/*
 * Writes text from outside (customers, partners) to stdout for people:
 * control characters, C0 and C1, are shown as '?'. one_line also turns
 * line breaks and tabs into spaces; max_chars (0: no limit) cuts the text
 * after that many UTF-8 characters, ending it with "...". Other lines of a
 * multi-line text start with indent.
 */
void ctl_text_put(const char *s, bool one_line, size_t max_chars, const char *indent);

#endif
