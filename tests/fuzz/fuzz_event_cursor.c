/* fuzz_event_cursor.c - feeds arbitrary text to the parser of Watch cursors (peer input). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/event_cursor.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fail(const char *why, const char *in)
{
	fprintf(stderr, "fuzz_event_cursor: invariant violated: %s (input '%s')\n", why, in);
	abort();
}

/*
 * Invariants: the parser answers one of its four kinds; it sets the
 * position only for a position; a position formats to text that parses
 * back to the same position; text that is not "", "now" or a position
 * never sets anything.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char in[128], again[EVENT_CURSOR_TEXT];
	uint64_t xid = 7, xid2 = 0;
	int64_t id = 7, id2 = -1;

	if (size >= sizeof(in))
		size = sizeof(in) - 1;
	memcpy(in, data, size);
	in[size] = '\0';
	event_cursor_kind k = event_cursor_parse(in, &xid, &id);
	switch (k) {
	case EVENT_CURSOR_START:
	case EVENT_CURSOR_NOW:
	case EVENT_CURSOR_BAD:
		if (xid != 7 || id != 7)
			fail("a position was set for something that is not one", in);
		if (k == EVENT_CURSOR_START && in[0] != '\0')
			fail("non-empty text read as the start", in);
		if (k == EVENT_CURSOR_NOW && strcmp(in, "now") != 0)
			fail("text other than \"now\" read as now", in);
		break;
	case EVENT_CURSOR_AT:
		if (id < 0)
			fail("a negative event id", in);
		event_cursor_format(again, xid, id);
		if (event_cursor_parse(again, &xid2, &id2) != EVENT_CURSOR_AT || xid2 != xid || id2 != id)
			fail("a position does not survive format and parse", in);
		break;
	default:
		fail("an unknown kind", in);
	}
	return 0;
}
