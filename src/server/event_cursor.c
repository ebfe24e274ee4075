/* event_cursor.c - Watch cursors as text (see event_cursor.h); pure functions, fuzzed by fuzz_event_cursor. */
#include <stdio.h>
#include <string.h>

#include "server/event_cursor.h"

bool event_cursor_digits(const char *s, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (s[i] < '0' || s[i] > '9' || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

event_cursor_kind event_cursor_parse(const char *text, uint64_t *xid, int64_t *id)
{
	const char *dot = strchr(text, '.');
	uint64_t x, i;

	if (text[0] == '\0')
		return EVENT_CURSOR_START;
	if (strcmp(text, "now") == 0)
		return EVENT_CURSOR_NOW;
	if (dot == NULL || !event_cursor_digits(text, (size_t)(dot - text), &x) ||
	    !event_cursor_digits(dot + 1, strlen(dot + 1), &i) || i > INT64_MAX)
		return EVENT_CURSOR_BAD;
	*xid = x;
	*id = (int64_t)i;
	return EVENT_CURSOR_AT;
}

void event_cursor_format(char buf[EVENT_CURSOR_TEXT], uint64_t xid, int64_t id)
{
	snprintf(buf, EVENT_CURSOR_TEXT, "%llu.%lld", (unsigned long long)xid, (long long)id);
}
