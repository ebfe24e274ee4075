/* test_status.c - the C status enum and the wire enum never drift apart. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <baton/status.h>

#include "baton/v1/wire.pb-c.h"
#include "common/status_msg.h"

/* Every wire value has the same number and name in C. */
static void c_enum_matches_wire_enum(void **state)
{
	const ProtobufCEnumDescriptor *d = &baton__v1__status_code__descriptor;
	(void)state;
	assert_int_equal(d->n_values, BATON_STATUS_MAX + 1);
	for (unsigned i = 0; i < d->n_values; i++) {
		assert_string_equal(baton_status_str(d->values[i].value), d->values[i].name);
		baton_status s;
		assert_int_equal(baton_status_from_str(d->values[i].name, &s), 0);
		assert_int_equal((int)s, d->values[i].value);
	}
}

/* The fixed numbers of gRPC's canonical codes. */
static void numbers_are_grpcs(void **state)
{
	static const struct { baton_status s; int n; const char *name; } cases[] = {
		{ BATON_OK, 0, "OK" },
		{ BATON_INVALID_ARGUMENT, 3, "INVALID_ARGUMENT" },
		{ BATON_DEADLINE_EXCEEDED, 4, "DEADLINE_EXCEEDED" },
		{ BATON_NOT_FOUND, 5, "NOT_FOUND" },
		{ BATON_ALREADY_EXISTS, 6, "ALREADY_EXISTS" },
		{ BATON_PERMISSION_DENIED, 7, "PERMISSION_DENIED" },
		{ BATON_FAILED_PRECONDITION, 9, "FAILED_PRECONDITION" },
		{ BATON_UNIMPLEMENTED, 12, "UNIMPLEMENTED" },
		{ BATON_INTERNAL, 13, "INTERNAL" },
		{ BATON_UNAVAILABLE, 14, "UNAVAILABLE" },
		{ BATON_UNAUTHENTICATED, 16, "UNAUTHENTICATED" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal((int)cases[i].s, cases[i].n);
		assert_string_equal(baton_status_str(cases[i].n), cases[i].name);
	}
}

static void out_of_range_is_named_not_crashed(void **state)
{
	baton_status s = BATON_OK;
	(void)state;
	assert_string_equal(baton_status_str(-1), "UNKNOWN_STATUS");
	assert_string_equal(baton_status_str(17), "UNKNOWN_STATUS");
	assert_int_equal(baton_status_from_str("NOPE", &s), -1);
	assert_int_equal(baton_status_from_str(NULL, &s), -1);
}

static void status_set_formats_and_returns(void **state)
{
	status_msg m;
	(void)state;
	assert_int_equal(status_set(&m, BATON_NOT_FOUND, "ticket %d", 42), BATON_NOT_FOUND);
	assert_int_equal(m.status, BATON_NOT_FOUND);
	assert_string_equal(m.text, "ticket 42");
	assert_int_equal(status_set(NULL, BATON_INTERNAL, "x"), BATON_INTERNAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(c_enum_matches_wire_enum),
		cmocka_unit_test(numbers_are_grpcs),
		cmocka_unit_test(out_of_range_is_named_not_crashed),
		cmocka_unit_test(status_set_formats_and_returns),
	};
	return cmocka_run_group_tests_name("unit: status", tests, NULL, NULL);
}
