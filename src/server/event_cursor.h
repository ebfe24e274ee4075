/* event_cursor.h - Watch cursors as text: "<transaction id>.<event id>", "" and "now". */
#ifndef BATON_SERVER_EVENT_CURSOR_H
#define BATON_SERVER_EVENT_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum event_cursor_kind {
	EVENT_CURSOR_START, /* "": from the oldest event, (0, 0) */
	EVENT_CURSOR_NOW,   /* "now": from the current end */
	EVENT_CURSOR_AT,    /* after (xid, id) */
	EVENT_CURSOR_BAD,   /* anything else: not a cursor Watch gave out */
} event_cursor_kind;

/* Parses text (peer input: any bytes up to a NUL). Only for
 * EVENT_CURSOR_AT are *xid and *id set (id fits int64). */
event_cursor_kind event_cursor_parse(const char *text, uint64_t *xid, int64_t *id);

/* Writes "<xid>.<id>" to buf (at least EVENT_CURSOR_TEXT bytes). */
#define EVENT_CURSOR_TEXT 48
void event_cursor_format(char buf[EVENT_CURSOR_TEXT], uint64_t xid, int64_t id);

/* s[0..n) as 1..20 decimal digits that fit 64 bits into *out; false
 * otherwise (and *out is left alone). */
bool event_cursor_digits(const char *s, size_t n, uint64_t *out);

#endif
