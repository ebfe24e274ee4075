/* watchfix.c - the Watch tests' record of what a watcher got, and its check against the event table (see watchfix.h). */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "registry.h"
#include "ticketfix.h"
#include "watchfix.h"

void watchfix_init(watchfix_seen *s, const char *cursor)
{
	memset(s, 0, sizeof(*s));
	snprintf(s->cursor, sizeof(s->cursor), "%s", cursor);
}

void watchfix_free(watchfix_seen *s)
{
	free(s->ids);
	free(s->cursors);
	free(s->kinds);
	free(s->subjects);
	free(s->orgs);
	memset(s, 0, sizeof(*s));
}

void watchfix_add(watchfix_seen *s, long id, const char *cursor, const char *kind, const char *subject,
    const char *org)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 256;
		assert_non_null(s->ids = realloc(s->ids, s->cap * sizeof(*s->ids)));
		assert_non_null(s->cursors = realloc(s->cursors, s->cap * sizeof(*s->cursors)));
		assert_non_null(s->kinds = realloc(s->kinds, s->cap * sizeof(*s->kinds)));
		assert_non_null(s->subjects = realloc(s->subjects, s->cap * sizeof(*s->subjects)));
		assert_non_null(s->orgs = realloc(s->orgs, s->cap * sizeof(*s->orgs)));
	}
	s->ids[s->n] = id;
	snprintf(s->cursors[s->n], sizeof(s->cursors[0]), "%s", cursor);
	snprintf(s->kinds[s->n], sizeof(s->kinds[0]), "%s", kind);
	snprintf(s->subjects[s->n], sizeof(s->subjects[0]), "%s", subject);
	snprintf(s->orgs[s->n], sizeof(s->orgs[0]), "%s", org);
	s->n++;
}

baton_status watchfix_try(baton_client *c, watchfix_seen *s, const char *kinds, const char *subject, int64_t wait_ms,
    int32_t max_events, size_t *got, int64_t *retry_after_ms, char *msg, size_t msg_len)
{
	Baton__V1__WatchReply *r = NULL;
	baton_status st = ticketfix_watch(c, s->cursor, kinds, subject, wait_ms, max_events, &r, msg, msg_len);

	*got = 0;
	if (st != BATON_OK)
		return st;
	for (size_t i = 0; i < r->n_events; i++) {
		const Baton__V1__Event *e = r->events[i];
		watchfix_add(s, (long)e->id, e->cursor, e->kind, e->subject, e->org);
	}
	*got = r->n_events;
	if (retry_after_ms != NULL)
		*retry_after_ms = r->retry_after_ms;
	/* A reply always says where to go on from. */
	if (r->cursor[0] == '\0') {
		snprintf(msg, msg_len, "the reply gave no cursor");
		st = BATON_INTERNAL;
	} else {
		snprintf(s->cursor, sizeof(s->cursor), "%s", r->cursor);
	}
	baton__v1__watch_reply__free_unpacked(r, NULL);
	return st;
}

size_t watchfix_page(baton_client *c, watchfix_seen *s, const char *kinds, const char *subject, int64_t wait_ms,
    int32_t max_events, int64_t *retry_after_ms)
{
	char msg[512], from[48];
	size_t got;
	baton_status st;

	snprintf(from, sizeof(from), "%s", s->cursor);
	st = watchfix_try(c, s, kinds, subject, wait_ms, max_events, &got, retry_after_ms, msg, sizeof(msg));
	if (st != BATON_OK)
		print_error("Watch from '%s': %s: %s\n", from, baton_status_str(st), msg);
	assert_int_equal(st, BATON_OK);
	return got;
}

bool watchfix_cursor_parse(const char *cursor, uint64_t *xid, long *id)
{
	char *end;
	const char *dot = strchr(cursor, '.');

	if (dot == NULL || dot == cursor || !(cursor[0] >= '0' && cursor[0] <= '9') || !(dot[1] >= '0' && dot[1] <= '9'))
		return false;
	*xid = strtoull(cursor, &end, 10);
	if (end != dot)
		return false;
	*id = strtol(dot + 1, &end, 10);
	return *end == '\0';
}

void watchfix_follow(baton_client *c, watchfix_seen *s, const char *kinds, const char *subject, int32_t max_events)
{
	long newest = registry_sqln("SELECT coalesce(max(xid::text::bigint), 0) FROM event");

	assert_true(newest >= 0);
	for (int page = 0; page < 5000; page++) {
		uint64_t xid = 0;
		long id = 0;
		size_t got = watchfix_page(c, s, kinds, subject, 0, max_events, NULL);

		if (got > 0)
			continue;
		if (!watchfix_cursor_parse(s->cursor, &xid, &id))
			print_error("Watch cursor '%s' is not <xid>.<id>\n", s->cursor);
		assert_true(watchfix_cursor_parse(s->cursor, &xid, &id));
		if (xid > (uint64_t)newest)
			return;
		harness_sleep_ms(50); /* a transaction older than the newest event's is still open */
	}
	print_error("Watch did not get past xid %ld (cursor %s)\n", newest, s->cursor);
	fail();
}

void watchfix_now(baton_client *c, char cursor[48])
{
	watchfix_seen s;

	watchfix_init(&s, "now");
	assert_int_equal(watchfix_page(c, &s, NULL, NULL, 0, 100, NULL), 0);
	assert_string_not_equal(s.cursor, "now");
	snprintf(cursor, 48, "%s", s.cursor);
	watchfix_free(&s);
}

void watchfix_in_order(const watchfix_seen *s)
{
	uint64_t prev_xid = 0;
	long prev_id = 0;

	for (size_t i = 0; i < s->n; i++) {
		uint64_t xid;
		long id;
		char want[48];

		if (!watchfix_cursor_parse(s->cursors[i], &xid, &id) || id != s->ids[i])
			print_error("event %ld has cursor '%s'\n", s->ids[i], s->cursors[i]);
		assert_true(watchfix_cursor_parse(s->cursors[i], &xid, &id));
		assert_int_equal(id, s->ids[i]);
		snprintf(want, sizeof(want), "%" PRIu64 ".%ld", xid, id);
		assert_string_equal(want, s->cursors[i]);
		if (i > 0 && !(xid > prev_xid || (xid == prev_xid && id > prev_id)))
			print_error("event %zu (%s, %s) does not come after %s\n", i, s->cursors[i], s->kinds[i],
			    s->cursors[i - 1]);
		assert_true(i == 0 || xid > prev_xid || (xid == prev_xid && id > prev_id));
		prev_xid = xid;
		prev_id = id;
	}
}

/* The SQL condition "(xid, id) > cursor" (">" false) or "<=" (true). */
static void after_or_upto(const char *cursor, bool upto, char *out, size_t len)
{
	uint64_t xid;
	long id;

	if (cursor[0] == '\0') {
		snprintf(out, len, upto ? "false" : "true");
		return;
	}
	assert_true(watchfix_cursor_parse(cursor, &xid, &id));
	if (upto)
		snprintf(out, len, "(xid < '%" PRIu64 "'::xid8 OR (xid = '%" PRIu64 "'::xid8 AND id <= %ld))", xid, xid, id);
	else
		snprintf(out, len, "(xid > '%" PRIu64 "'::xid8 OR (xid = '%" PRIu64 "'::xid8 AND id > %ld))", xid, xid, id);
}

void watchfix_matches_table(const watchfix_seen *s, const char *from, const char *where)
{
	enum { CAP = 1 << 20 };
	char *table = malloc(CAP), *got = malloc(CAP), after[160], upto[160];
	size_t used = 0;

	assert_non_null(table);
	assert_non_null(got);
	watchfix_in_order(s);
	after_or_upto(from, false, after, sizeof(after));
	after_or_upto(s->cursor, true, upto, sizeof(upto));
	assert_int_equal(registry_sqlf(table, CAP,
	                     "SELECT coalesce(string_agg(xid::text || '.' || id, ',' ORDER BY xid, id), '') FROM event"
	                     " WHERE %s AND %s AND (%s)", after, upto, where != NULL ? where : "true"),
	    0);
	got[0] = '\0';
	for (size_t i = 0; i < s->n && used < CAP - 64; i++)
		used += (size_t)snprintf(got + used, CAP - used, "%s%s", i ? "," : "", s->cursors[i]);
	if (strcmp(table, got) != 0) {
		size_t at = 0;
		while (table[at] != '\0' && table[at] == got[at])
			at++;
		at = at > 40 ? at - 40 : 0;
		print_error("the watcher's %zu events are not the table's (after '%s' up to '%s', %s);\n"
		            " from the first difference, table: %.300s\n watcher: %.300s\n",
		    s->n, from, s->cursor, where != NULL ? where : "all", table + at, got + at);
	}
	assert_string_equal(table, got);
	free(table);
	free(got);
}

size_t watchfix_count(const watchfix_seen *s, const char *kind, const char *subject)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		n += (kind == NULL || strcmp(s->kinds[i], kind) == 0) && (subject == NULL || strcmp(s->subjects[i], subject) == 0);
	return n;
}

bool watchfix_has(const watchfix_seen *s, const char *kind, const char *subject)
{
	return watchfix_count(s, kind, subject) > 0;
}
