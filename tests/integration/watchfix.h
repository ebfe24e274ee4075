/* watchfix.h - what the Watch tests share: the events a watcher got, paging to the end, and the check against the event table. */
#ifndef BATON_TESTS_WATCHFIX_H
#define BATON_TESTS_WATCHFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <baton/client.h>

#include "baton/v1/events.pb-c.h"

/* Every event a watcher got, in the order it got them, and where it goes on
 * from. */
typedef struct watchfix_seen {
	long   *ids;
	char  (*cursors)[48];
	char  (*kinds)[64];
	char  (*subjects)[64];
	char  (*orgs)[64];
	size_t  n, cap;
	char    cursor[48]; /* the last reply's cursor */
} watchfix_seen;

/* Starts s empty, to go on from cursor ("" the beginning). */
void watchfix_init(watchfix_seen *s, const char *cursor);
void watchfix_free(watchfix_seen *s);
/* Appends one event (as a batonctl test reads it from JSON). */
void watchfix_add(watchfix_seen *s, long id, const char *cursor, const char *kind, const char *subject,
    const char *org);

/* One Watch through c from s->cursor (kinds comma-separated prefixes or
 * NULL, subject or NULL); fails the case unless OK. Appends the events and
 * moves s->cursor on; returns how many events came. retry_after_ms (may be
 * NULL) gets the reply's. */
size_t watchfix_page(baton_client *c, watchfix_seen *s, const char *kinds, const char *subject, int64_t wait_ms,
    int32_t max_events, int64_t *retry_after_ms);

/* watchfix_page that fails nothing (for threads, and for loops that must
 * end their threads first): the status, the server's message in msg, the
 * number of events in *got. */
baton_status watchfix_try(baton_client *c, watchfix_seen *s, const char *kinds, const char *subject, int64_t wait_ms,
    int32_t max_events, size_t *got, int64_t *retry_after_ms, char *msg, size_t msg_len);

/* Pages through c (max_events a page) until a page comes back empty with a
 * cursor past every transaction that had written an event when the call
 * began: so s holds everything committed before it (bounded; fails the case
 * if it does not get there). */
void watchfix_follow(baton_client *c, watchfix_seen *s, const char *kinds, const char *subject, int32_t max_events);

/* The "now" cursor through c (out: 48 bytes); the reply must hold no events. */
void watchfix_now(baton_client *c, char cursor[48]);

/* Parses "<xid>.<id>"; false if cursor is not that. */
bool watchfix_cursor_parse(const char *cursor, uint64_t *xid, long *id);

/* Fails the case unless s holds no event twice and is in strictly
 * increasing (xid, id) order, each cursor "<xid>.<id>" of its event. */
void watchfix_in_order(const watchfix_seen *s);

/* Fails the case unless s's events are exactly, in order, the table's
 * events after cursor from ("" the beginning) up to s->cursor that satisfy
 * the SQL condition where over the event table's columns (NULL: all). */
void watchfix_matches_table(const watchfix_seen *s, const char *from, const char *where);

/* Whether s holds an event of kind about subject (NULL: any). */
bool watchfix_has(const watchfix_seen *s, const char *kind, const char *subject);
/* How many events s holds of kind (NULL: any) about subject (NULL: any). */
size_t watchfix_count(const watchfix_seen *s, const char *kind, const char *subject);

#endif
