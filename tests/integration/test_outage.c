/* test_outage.c - the database goes away and comes back while batond keeps running. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>

#include <cmocka.h>

#include <baton/client.h>

#include "harness.h"

static harness_pg     pg;
static harness_batond srv;
static baton_client  *client;

static int setup(void **state)
{
	(void)state;
	if (harness_pg_start(&pg) != 0 || harness_batond_start(&srv, pg.dir, pg.conninfo, NULL, true) != 0)
		return -1;
	return harness_client(&srv, NULL, &client);
}

static int teardown(void **state)
{
	(void)state;
	baton_client_close(client);
	int rc = harness_batond_stop(&srv, SIGTERM, 15000);
	harness_pg_destroy(&pg);
	return rc == 0 ? 0 : -1;
}

static baton_serving health(void)
{
	baton_serving s = BATON_SERVING_UNKNOWN;
	baton_result res;
	assert_int_equal(baton_health_check(client, NULL, 10000, &s, &res), BATON_OK);
	return s;
}

static void database_stop_and_restart_without_restarting_batond(void **state)
{
	baton_server_info info;
	baton_result res;
	(void)state;

	/* Warm every worker's connection, so each one holds a connection
	 * that the stop will break under it. */
	for (int i = 0; i < 32; i++)
		assert_int_equal(baton_server_info_get(client, 5000, &info, &res), BATON_OK);
	assert_int_equal(health(), BATON_SERVING);

	assert_int_equal(harness_pg_stop(&pg), 0);

	/* Calls that need the database cannot run: UNAVAILABLE, with the reason. */
	for (int i = 0; i < 16; i++) {
		assert_int_equal(baton_server_info_get(client, 10000, &info, &res), BATON_UNAVAILABLE);
		assert_non_null(strstr(res.message, "database unavailable"));
	}
	assert_int_equal(health(), BATON_NOT_SERVING);
	/* Ping needs no database and keeps working. */
	assert_int_equal(baton_ping(client, "x", 1, 5000, &res), BATON_OK);
	baton_result_clear(&res);

	assert_int_equal(harness_pg_restart(&pg), 0);

	/* Every worker reconnects on its next call; no call fails any more. */
	assert_int_equal(health(), BATON_SERVING);
	for (int i = 0; i < 32; i++) {
		assert_int_equal(baton_server_info_get(client, 5000, &info, &res), BATON_OK);
		assert_true(info.schema_version >= 2);
	}
	const char *unavailable[] = { "\"method\":\"/baton.v1.System/Info\"", "\"status\":\"UNAVAILABLE\"", NULL };
	assert_true(harness_log_count(&srv, unavailable) >= 16);
}

/* A database that is not there at start-up: batond waits for it (bounded). */
static void batond_waits_for_the_database_at_start(void **state)
{
	harness_batond late;
	const char *extra[] = { "--db-wait-ms=20000", NULL };
	(void)state;

	assert_int_equal(harness_pg_stop(&pg), 0);
	assert_int_equal(harness_batond_start(&late, pg.dir, pg.conninfo, extra, false), 0);
	harness_sleep_ms(700);
	const char *waiting[] = { "\"event\":\"database_waiting\"", NULL };
	assert_int_equal(harness_log_count(&late, waiting), 1);
	assert_int_equal(harness_pg_restart(&pg), 0);
	int64_t give_up = harness_now_ms() + 15000;
	const char *listening[] = { "\"event\":\"listening\"", NULL };
	while (harness_log_count(&late, listening) == 0 && harness_now_ms() < give_up)
		harness_sleep_ms(50);
	assert_int_equal(harness_log_count(&late, listening), 1);
	assert_int_equal(harness_batond_stop(&late, SIGTERM, 15000), 0);
}

/* Without the database ever coming, batond gives up and exits 1. */
static void batond_gives_up_on_a_missing_database(void **state)
{
	harness_batond b;
	char conninfo[600];
	const char *extra[] = { "--db-wait-ms=1000", NULL };
	(void)state;

	snprintf(conninfo, sizeof(conninfo), "host=%s/nowhere dbname=baton user=baton", pg.dir);
	assert_int_equal(harness_batond_start(&b, pg.dir, conninfo, extra, false), 0);
	assert_int_equal(harness_batond_wait(&b, 15000), 1);
	const char *gave_up[] = { "\"event\":\"database_unreachable\"", NULL };
	assert_int_equal(harness_log_count(&b, gave_up), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(database_stop_and_restart_without_restarting_batond),
		cmocka_unit_test(batond_waits_for_the_database_at_start),
		cmocka_unit_test(batond_gives_up_on_a_missing_database),
	};
	return cmocka_run_group_tests_name("integration: database outage", tests, setup, teardown);
}
