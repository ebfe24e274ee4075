/* test_migrations.c - several batonds migrating one fresh database at once; edited migrations refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>

#include <cmocka.h>

#include <baton/client.h>

#include "harness.h"
#include "server/migrate.h"

static harness_pg pg;

static int setup(void **state)
{
	(void)state;
	return harness_pg_start(&pg);
}

static int teardown(void **state)
{
	(void)state;
	harness_pg_destroy(&pg);
	return 0;
}

static bool serving(const harness_batond *b)
{
	baton_client *c;
	baton_result res;
	baton_serving s = BATON_SERVING_UNKNOWN;
	if (baton_client_open(&c, b->url, NULL, &res) != BATON_OK)
		return false;
	bool ok = baton_health_check(c, NULL, 1000, &s, &res) == BATON_OK && s == BATON_SERVING;
	baton_client_close(c);
	return ok;
}

enum { INSTANCES = 4 };

static void instances_starting_together_migrate_once(void **state)
{
	harness_batond b[INSTANCES];
	char conninfo[600], n[32], want[16], version[64];
	int applied = 0;
	(void)state;

	snprintf(want, sizeof(want), "%d", migrations_count);
	snprintf(version, sizeof(version), "\"schema_version\":%d", migrations_count);

	assert_int_equal(harness_sql(&pg, NULL, "CREATE DATABASE together", NULL, 0), 0);
	harness_pg_conninfo_for(&pg, "together", conninfo, sizeof(conninfo));
	for (int i = 0; i < INSTANCES; i++)
		assert_int_equal(harness_batond_start(&b[i], pg.dir, conninfo, NULL, false), 0);
	for (int i = 0; i < INSTANCES; i++) {
		int64_t give_up = harness_now_ms() + 20000;
		while (!serving(&b[i]) && harness_now_ms() < give_up)
			harness_sleep_ms(50);
		if (!serving(&b[i]))
			harness_log_print(&b[i]);
		assert_true(serving(&b[i]));
	}
	assert_int_equal(harness_sql(&pg, "together", "SELECT count(*) FROM schema_migrations", n, sizeof(n)), 0);
	assert_string_equal(n, want);
	assert_int_equal(harness_sql(&pg, "together", "SELECT count(*) FROM baton_meta", n, sizeof(n)), 0);
	assert_string_equal(n, "1");
	/* They also bootstrapped together: one in-house organization, one admin. */
	assert_int_equal(harness_sql(&pg, "together",
	    "SELECT set_config('baton.scope', 'all', false); "
	    "SELECT (SELECT count(*) FROM principal WHERE role = 'admin') || '/' || (SELECT count(*) FROM org)",
	    n, sizeof(n)), 0);
	assert_string_equal(n, "1/1");
	const char *applied_line[] = { "\"event\":\"migration_applied\"", NULL };
	const char *ready_line[] = { "\"event\":\"schema_ready\"", version, NULL };
	for (int i = 0; i < INSTANCES; i++) {
		applied += harness_log_count(&b[i], applied_line);
		assert_int_equal(harness_log_count(&b[i], ready_line), 1);
		assert_int_equal(harness_batond_stop(&b[i], SIGTERM, 15000), 0);
	}
	assert_int_equal(applied, migrations_count);
}

static void restart_applies_nothing(void **state)
{
	harness_batond b;
	char conninfo[600];
	(void)state;

	harness_pg_conninfo_for(&pg, "together", conninfo, sizeof(conninfo));
	assert_int_equal(harness_batond_start(&b, pg.dir, conninfo, NULL, true), 0);
	const char *ready[] = { "\"event\":\"schema_ready\"", "\"applied_now\":0", NULL };
	assert_int_equal(harness_log_count(&b, ready), 1);
	assert_int_equal(harness_batond_stop(&b, SIGTERM, 15000), 0);
}

static void edited_migration_is_refused(void **state)
{
	harness_batond b;
	char conninfo[600];
	(void)state;

	assert_int_equal(harness_sql(&pg, "together",
	    "UPDATE schema_migrations SET checksum = 'edited' WHERE version = 1", NULL, 0), 0);
	harness_pg_conninfo_for(&pg, "together", conninfo, sizeof(conninfo));
	assert_int_equal(harness_batond_start(&b, pg.dir, conninfo, NULL, false), 0);
	assert_int_equal(harness_batond_wait(&b, 15000), 1);
	const char *refused[] = { "\"event\":\"migration_failed\"", "never edit an applied migration", NULL };
	assert_int_equal(harness_log_count(&b, refused), 1);
}

static void bad_settings_exit_2_quoting_the_value(void **state)
{
	char cmd[600], out[4096], err[1024];
	(void)state;

	snprintf(cmd, sizeof(cmd), "BATON_WORKERS=lots %s --database-url=x", harness_bin("batond"));
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "'lots'"));
	assert_non_null(strstr(err, "BATON_WORKERS"));
	snprintf(cmd, sizeof(cmd), "env -u BATON_DATABASE_URL %s", harness_bin("batond"));
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "no database configured"));
	snprintf(cmd, sizeof(cmd), "%s --help", harness_bin("batond"));
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "BATON_DATABASE_URL"));
	assert_non_null(strstr(out, "--max-message-bytes"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(instances_starting_together_migrate_once),
		cmocka_unit_test(restart_applies_nothing),
		cmocka_unit_test(edited_migration_is_refused),
		cmocka_unit_test(bad_settings_exit_2_quoting_the_value),
	};
	return cmocka_run_group_tests_name("integration: migrations", tests, setup, teardown);
}
