/* test_event_cursor.c - Watch cursors as text: what parses, what is refused, and the round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "server/event_cursor.h"

static void start_now_and_positions_parse(void **state)
{
	uint64_t xid = 7;
	int64_t id = 7;
	(void)state;
	assert_int_equal(event_cursor_parse("", &xid, &id), EVENT_CURSOR_START);
	assert_int_equal(event_cursor_parse("now", &xid, &id), EVENT_CURSOR_NOW);
	assert_true(xid == 7 && id == 7); /* untouched unless AT */
	assert_int_equal(event_cursor_parse("731.0", &xid, &id), EVENT_CURSOR_AT);
	assert_true(xid == 731 && id == 0);
	assert_int_equal(event_cursor_parse("18446744073709551615.9223372036854775807", &xid, &id), EVENT_CURSOR_AT);
	assert_true(xid == UINT64_MAX && id == INT64_MAX);
}

static void everything_else_is_refused(void **state)
{
	static const char *const bad[] = {
		"NOW", " now", "now ", ".", "1.", ".1", "1", "1.2.3", "-1.2", "1.-2", "+1.2", "1.2 ", " 1.2", "0x1.2",
		"1,2", "18446744073709551616.1",          /* xid past 64 bits */
		"1.9223372036854775808",                  /* id past int64 */
		"000000000000000000001.1",                /* 21 digits */
		"1.2\n", "a.b",
	};
	uint64_t xid = 7;
	int64_t id = 7;
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (event_cursor_parse(bad[i], &xid, &id) != EVENT_CURSOR_BAD)
			fail_msg("'%s' was accepted", bad[i]);
		assert_true(xid == 7 && id == 7);
	}
}

static void formatted_cursors_parse_back(void **state)
{
	static const uint64_t xids[] = { 0, 1, 730, 4294967296ULL, UINT64_MAX };
	static const int64_t ids[] = { 0, 1, 123456789, INT64_MAX };
	char buf[EVENT_CURSOR_TEXT];
	(void)state;
	for (size_t i = 0; i < sizeof(xids) / sizeof(xids[0]); i++)
		for (size_t k = 0; k < sizeof(ids) / sizeof(ids[0]); k++) {
			uint64_t xid = 0;
			int64_t id = -1;
			event_cursor_format(buf, xids[i], ids[k]);
			assert_int_equal(event_cursor_parse(buf, &xid, &id), EVENT_CURSOR_AT);
			assert_true(xid == xids[i] && id == ids[k]);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(start_now_and_positions_parse),
		cmocka_unit_test(everything_else_is_refused),
		cmocka_unit_test(formatted_cursors_parse_back),
	};
	return cmocka_run_group_tests_name("unit: event_cursor", tests, NULL, NULL);
}
