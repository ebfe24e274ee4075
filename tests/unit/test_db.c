/* test_db.c - the one SQLSTATE-to-status mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "server/db.h"

static void sqlstates_map_to_statuses(void **state)
{
	static const struct { const char *sqlstate; baton_status want; } cases[] = {
		{ "23505", BATON_ALREADY_EXISTS },      /* unique violation */
		{ "23P01", BATON_FAILED_PRECONDITION }, /* exclusion: overlapping claims */
		{ "23514", BATON_FAILED_PRECONDITION }, /* check: seats over capacity */
		{ "23503", BATON_FAILED_PRECONDITION }, /* foreign key */
		{ "23502", BATON_INVALID_ARGUMENT },    /* not null */
		{ "22P02", BATON_INVALID_ARGUMENT },    /* invalid text representation */
		{ "22007", BATON_INVALID_ARGUMENT },    /* invalid datetime format */
		{ "40001", BATON_ABORTED },             /* serialization failure: retried */
		{ "40P01", BATON_ABORTED },             /* deadlock: retried */
		{ "57014", BATON_DEADLINE_EXCEEDED },   /* statement timeout */
		{ "57P01", BATON_UNAVAILABLE },         /* admin shutdown */
		{ "08006", BATON_UNAVAILABLE },         /* connection failure */
		{ "53300", BATON_RESOURCE_EXHAUSTED },  /* too many connections */
		{ "42P01", BATON_INTERNAL },            /* undefined table: our bug */
		{ "XX000", BATON_INTERNAL },
		{ "", BATON_INTERNAL },
		{ NULL, BATON_INTERNAL },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (db_status_from_sqlstate(cases[i].sqlstate) != cases[i].want)
			fail_msg("SQLSTATE %s", cases[i].sqlstate ? cases[i].sqlstate : "(null)");
}

/* Without a server: every path says UNAVAILABLE and nothing crashes. */
static void unreachable_database_is_unavailable(void **state)
{
	db_conn *c = db_conn_new("host=/nonexistent-baton-socket-dir dbname=x connect_timeout=2");
	status_msg m;
	(void)state;
	assert_non_null(c);
	assert_int_equal(db_connect(c, &m), BATON_UNAVAILABLE);
	assert_non_null(db_pg(c) == NULL ? "ok" : NULL);
	assert_int_equal(db_ping(c, &m), BATON_UNAVAILABLE);
	assert_int_equal(db_tx_begin(c, 1000, &m), BATON_UNAVAILABLE);
	assert_int_equal(db_exec(c, NULL, "SELECT 1", 0, NULL, &m), BATON_UNAVAILABLE);
	db_tx_rollback(c);
	db_conn_free(c);
	db_conn_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sqlstates_map_to_statuses),
		cmocka_unit_test(unreachable_database_is_unavailable),
	};
	return cmocka_run_group_tests_name("unit: db", tests, NULL, NULL);
}
