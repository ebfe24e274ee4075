/* test_db.c - the database layer against a real PostgreSQL: deadlines, reconnects, SQLSTATE mapping. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "harness.h"
#include "server/db.h"

static harness_pg pg;
static db_conn   *conn;

static int setup(void **state)
{
	(void)state;
	if (harness_pg_start(&pg) != 0)
		return -1;
	if (harness_sql(&pg, NULL, "CREATE TABLE seats (id int PRIMARY KEY, taken int NOT NULL CHECK (taken <= 2))", NULL, 0) != 0)
		return -1;
	conn = db_conn_new(pg.conninfo);
	return conn != NULL ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	db_conn_free(conn);
	harness_pg_destroy(&pg);
	return 0;
}

/* The time left before a call's deadline becomes the statement timeout. */
static void statement_timeout_follows_the_deadline(void **state)
{
	status_msg m;
	(void)state;
	assert_int_equal(db_tx_begin(conn, 200, &m), BATON_OK);
	int64_t t0 = harness_now_ms();
	assert_int_equal(db_exec(conn, NULL, "SELECT pg_sleep(5)", 0, NULL, &m), BATON_DEADLINE_EXCEEDED);
	assert_true(harness_now_ms() - t0 < 3000);
	assert_non_null(strstr(m.text, "SQLSTATE 57014"));
	db_tx_rollback(conn);
	/* The connection is fine afterwards, and the timeout was LOCAL. */
	assert_int_equal(db_exec(conn, NULL, "SELECT pg_sleep(0.3)", 0, NULL, &m), BATON_OK);
}

static void constraint_errors_map_with_their_sqlstate(void **state)
{
	const char *one[] = { "1" };
	status_msg m;
	(void)state;
	assert_int_equal(db_tx_begin(conn, 5000, &m), BATON_OK);
	assert_int_equal(db_exec(conn, NULL, "INSERT INTO seats VALUES ($1, 0)", 1, one, &m), BATON_OK);
	assert_int_equal(db_tx_commit(conn, &m), BATON_OK);

	assert_int_equal(db_tx_begin(conn, 5000, &m), BATON_OK);
	assert_int_equal(db_exec(conn, NULL, "INSERT INTO seats VALUES ($1, 0)", 1, one, &m), BATON_ALREADY_EXISTS);
	assert_non_null(strstr(m.text, "SQLSTATE 23505"));
	db_tx_rollback(conn);

	assert_int_equal(db_tx_begin(conn, 5000, &m), BATON_OK);
	assert_int_equal(db_exec(conn, NULL, "UPDATE seats SET taken = 3 WHERE id = $1", 1, one, &m),
	    BATON_FAILED_PRECONDITION);
	assert_non_null(strstr(m.text, "SQLSTATE 23514"));
	db_tx_rollback(conn);

	assert_int_equal(db_exec(conn, NULL, "SELECT $1::int", 1, (const char *[]){ "seven" }, &m),
	    BATON_INVALID_ARGUMENT);
	assert_int_equal(db_exec(conn, NULL, "SELECT * FROM no_such_table", 0, NULL, &m), BATON_INTERNAL);
	assert_non_null(strstr(m.text, "see the server log"));
}

/* A failed statement aborts the transaction: COMMIT then reports it. */
static void commit_of_a_failed_transaction_is_aborted(void **state)
{
	status_msg m;
	(void)state;
	assert_int_equal(db_tx_begin(conn, 5000, &m), BATON_OK);
	assert_int_not_equal(db_exec(conn, NULL, "SELECT 1/0", 0, NULL, &m), BATON_OK);
	assert_int_equal(db_tx_commit(conn, &m), BATON_ABORTED);
	assert_int_equal(db_ping(conn, &m), BATON_OK);
}

/* After a database restart the dead connection is replaced at BEGIN. */
static void begin_reconnects_after_a_restart(void **state)
{
	status_msg m;
	char n[16];
	(void)state;
	assert_int_equal(db_ping(conn, &m), BATON_OK);
	assert_int_equal(harness_pg_stop(&pg), 0);
	assert_int_equal(db_tx_begin(conn, 5000, &m), BATON_UNAVAILABLE);
	assert_int_equal(harness_pg_restart(&pg), 0);
	assert_int_equal(db_tx_begin(conn, 5000, &m), BATON_OK);
	assert_int_equal(db_exec(conn, NULL, "UPDATE seats SET taken = taken + 1", 0, NULL, &m), BATON_OK);
	assert_int_equal(db_tx_commit(conn, &m), BATON_OK);
	assert_int_equal(harness_sql(&pg, NULL, "SELECT taken FROM seats WHERE id = 1", n, sizeof(n)), 0);
	assert_string_equal(n, "1");
}

/* How many statements the server holds prepared for conn's session. */
static int prepared_count(void)
{
	PGresult *res;
	status_msg m;
	int n = -1;

	if (db_exec(conn, &res, "SELECT count(*) FROM pg_prepared_statements", 0, NULL, &m) == BATON_OK) {
		n = atoi(PQgetvalue(res, 0, 0));
		PQclear(res);
	}
	return n;
}

/*
 * A statement is prepared once per connection and survives a rolled-back
 * transaction; its errors map as db_exec's do; past the bound statements
 * still run (unprepared); a restart forgets them and they are prepared
 * again on the new connection.
 */
static void prepared_statements_are_kept_per_connection(void **state)
{
	const char *one[] = { "1" };
	const char *sql = "SELECT taken FROM seats WHERE id = $1::int";
	PGresult *res;
	status_msg m;
	char text[64];
	(void)state;

	assert_int_equal(db_ping(conn, &m), BATON_OK);
	int base = prepared_count();
	assert_true(base >= 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(db_tx_begin(conn, 5000, &m), BATON_OK);
		assert_int_equal(db_exec_prepared(conn, &res, sql, 1, one, &m), BATON_OK);
		assert_int_equal(PQntuples(res), 1);
		PQclear(res);
		db_tx_rollback(conn);
	}
	assert_int_equal(prepared_count(), base + 1);
	/* A bad parameter, then a statement that does not prepare. */
	assert_int_equal(db_exec_prepared(conn, NULL, sql, 1, (const char *[]){ "seven" }, &m), BATON_INVALID_ARGUMENT);
	assert_int_equal(db_exec_prepared(conn, NULL, "SELECT * FROM no_such_table", 0, NULL, &m), BATON_INTERNAL);
	assert_int_equal(prepared_count(), base + 1);
	/* Past the bound. */
	for (int i = 0; i < DB_PREPARED_MAX + 4; i++) {
		snprintf(text, sizeof(text), "SELECT %d + $1::int", i);
		assert_int_equal(db_exec_prepared(conn, &res, text, 1, one, &m), BATON_OK);
		assert_int_equal(atoi(PQgetvalue(res, 0, 0)), i + 1);
		PQclear(res);
	}
	assert_int_equal(prepared_count(), DB_PREPARED_MAX);
	assert_int_equal(db_exec_prepared(conn, NULL, sql, 1, one, &m), BATON_OK);
	/* A restart. */
	assert_int_equal(harness_pg_stop(&pg), 0);
	assert_int_equal(harness_pg_restart(&pg), 0);
	assert_int_equal(db_tx_begin(conn, 5000, &m), BATON_OK);
	assert_int_equal(db_exec_prepared(conn, &res, sql, 1, one, &m), BATON_OK);
	assert_int_equal(PQntuples(res), 1);
	PQclear(res);
	assert_int_equal(db_tx_commit(conn, &m), BATON_OK);
	assert_int_equal(prepared_count(), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(statement_timeout_follows_the_deadline),
		cmocka_unit_test(constraint_errors_map_with_their_sqlstate),
		cmocka_unit_test(commit_of_a_failed_transaction_is_aborted),
		cmocka_unit_test(begin_reconnects_after_a_restart),
		cmocka_unit_test(prepared_statements_are_kept_per_connection),
	};
	return cmocka_run_group_tests_name("integration: database layer", tests, setup, teardown);
}
