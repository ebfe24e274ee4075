/* test_textbuf.c - bounded text, JSON strings and logfmt values. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/textbuf.h"

static void quoting_case_table(void **state)
{
	static const struct { const char *in, *json, *logfmt; } cases[] = {
		{ "plain", "\"plain\"", "plain" },
		{ "", "\"\"", "\"\"" },
		{ "two words", "\"two words\"", "\"two words\"" },
		{ "a\"b", "\"a\\\"b\"", "\"a\\\"b\"" },
		{ "back\\slash", "\"back\\\\slash\"", "\"back\\\\slash\"" },
		{ "line\nbreak", "\"line\\nbreak\"", "\"line\\nbreak\"" },
		{ "k=v", "\"k=v\"", "\"k=v\"" },
		{ "bell\a", "\"bell\\u0007\"", "\"bell\\u0007\"" },
		{ "/baton.v1.System/Ping", "\"/baton.v1.System/Ping\"", "/baton.v1.System/Ping" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[128];
		textbuf t;
		textbuf_init(&t, buf, sizeof(buf));
		textbuf_json_str(&t, cases[i].in);
		assert_string_equal(buf, cases[i].json);
		textbuf_init(&t, buf, sizeof(buf));
		textbuf_logfmt_str(&t, cases[i].in);
		assert_string_equal(buf, cases[i].logfmt);
	}
}

static void full_buffer_truncates_and_stays_terminated(void **state)
{
	char buf[8];
	textbuf t;
	(void)state;
	textbuf_init(&t, buf, sizeof(buf));
	textbuf_puts(&t, "0123456789");
	assert_true(t.truncated);
	assert_string_equal(buf, "0123456");
	textbuf_printf(&t, "%d", 42);
	assert_string_equal(buf, "0123456");
	textbuf_init(&t, buf, sizeof(buf));
	textbuf_printf(&t, "%s", "abcdefghij");
	assert_true(t.truncated);
	assert_int_equal(t.len, 7);
	assert_string_equal(buf, "abcdefg");
}

static void hex_and_null(void **state)
{
	char buf[64];
	textbuf t;
	(void)state;
	textbuf_init(&t, buf, sizeof(buf));
	textbuf_hex(&t, (const uint8_t *)"\x00\x01\xab\xff", 4);
	textbuf_putc(&t, ' ');
	textbuf_json_str(&t, NULL);
	assert_string_equal(buf, "0001abff null");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(quoting_case_table),
		cmocka_unit_test(full_buffer_truncates_and_stays_terminated),
		cmocka_unit_test(hex_and_null),
	};
	return cmocka_run_group_tests_name("unit: textbuf", tests, NULL, NULL);
}
