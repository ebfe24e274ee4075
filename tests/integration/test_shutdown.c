/* test_shutdown.c - SIGTERM/SIGINT: drain, finish calls in flight, answer or refuse every call, exit 0. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>

#include <cmocka.h>

#include <baton/client.h>

#include "harness.h"

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

enum { CALLERS = 16 };

typedef struct caller {
	pthread_t     thread;
	baton_client *client;
	int           id;
	int           ok;         /* calls answered OK */
	baton_status  last;       /* status of the call that ended the loop */
	char          last_message[512];
	int           calls;
} caller;

/* Calls until the first non-OK answer (bounded by count and time). */
static void *call_loop(void *arg)
{
	caller *c = arg;
	int64_t give_up = harness_now_ms() + 20000;
	baton_result res;

	c->last = BATON_OK;
	for (int i = 0; i < 100000 && harness_now_ms() < give_up; i++) {
		baton_server_info info;
		baton_status s = (i + c->id) % 2 ? baton_server_info_get(c->client, 5000, &info, &res)
		                                 : baton_ping(c->client, "in flight", 9, 5000, &res);
		c->calls++;
		if (s != BATON_OK) {
			c->last = s;
			snprintf(c->last_message, sizeof(c->last_message), "%s", res.message);
			baton_result_clear(&res);
			break;
		}
		c->ok++;
		baton_result_clear(&res);
	}
	return NULL;
}

static void sigterm_with_calls_in_flight_loses_no_call(void **state)
{
	const char *extra[] = { "--workers=4", "--drain-ms=300", NULL };
	harness_batond b;
	baton_client *client;
	caller c[CALLERS];
	int total_ok = 0;
	(void)state;

	assert_int_equal(harness_batond_start(&b, pg.dir, pg.conninfo, extra, true), 0);
	assert_int_equal(harness_client(&b, NULL, &client), 0);
	for (int i = 0; i < CALLERS; i++) {
		c[i] = (caller){ .client = client, .id = i };
		assert_int_equal(pthread_create(&c[i].thread, NULL, call_loop, &c[i]), 0);
	}
	harness_sleep_ms(400); /* let calls flow */
	int exit_code = harness_batond_stop(&b, SIGTERM, 15000);
	for (int i = 0; i < CALLERS; i++) {
		pthread_join(c[i].thread, NULL);
		/* Every call ended with an answer: OK, or refused/cut off with
		 * UNAVAILABLE. None was left to time out. */
		if (c[i].last != BATON_UNAVAILABLE)
			fprintf(stderr, "caller %d ended with %s: %s\n", i, baton_status_str(c[i].last),
			    c[i].last_message);
		assert_int_equal(c[i].last, BATON_UNAVAILABLE);
		assert_true(c[i].ok > 0);
		total_ok += c[i].ok;
	}
	baton_client_close(client);
	assert_int_equal(exit_code, 0);

	/* Every call the server finished with OK reached its caller. */
	const char *ok_ping[] = { "\"event\":\"call\"", "System/Ping\"", "\"status\":\"OK\"", NULL };
	const char *ok_info[] = { "\"event\":\"call\"", "System/Info\"", "\"status\":\"OK\"", NULL };
	const char *not_sent[] = { "\"event\":\"reply_not_sent\"", NULL };
	assert_int_equal(harness_log_count(&b, not_sent), 0);
	assert_int_equal(harness_log_count(&b, ok_ping) + harness_log_count(&b, ok_info), total_ok);
	const char *stopped[] = { "\"event\":\"stopped\"", NULL };
	assert_int_equal(harness_log_count(&b, stopped), 1);
}

static void draining_server_is_not_serving_and_refuses_calls(void **state)
{
	const char *extra[] = { "--drain-ms=3000", NULL };
	harness_batond b;
	baton_client *client;
	baton_serving serving;
	baton_result res;
	(void)state;

	assert_int_equal(harness_batond_start(&b, pg.dir, pg.conninfo, extra, true), 0);
	assert_int_equal(harness_client(&b, NULL, &client), 0);
	/* An established connection: one answered call proves the server took
	 * it (connections arriving during the drain are closed at once). */
	assert_int_equal(baton_ping(client, "x", 1, 5000, &res), BATON_OK);
	baton_result_clear(&res);
	kill(b.pid, SIGTERM);
	harness_sleep_ms(300);
	if (baton_health_check(client, NULL, 2000, &serving, &res) != BATON_OK)
		fail_msg("health during drain: %s: %s", baton_status_str(res.status), res.message);
	assert_int_equal(serving, BATON_NOT_SERVING);
	assert_int_equal(baton_ping(client, "x", 1, 2000, &res), BATON_UNAVAILABLE);
	assert_non_null(strstr(res.message, "shutting down"));
	baton_client_close(client);
	assert_int_equal(harness_batond_wait(&b, 15000), 0);
}

static void second_signal_cuts_the_drain_short(void **state)
{
	const char *extra[] = { "--drain-ms=60000", NULL };
	harness_batond b;
	(void)state;

	assert_int_equal(harness_batond_start(&b, pg.dir, pg.conninfo, extra, true), 0);
	kill(b.pid, SIGINT);
	harness_sleep_ms(200);
	int64_t t0 = harness_now_ms();
	assert_int_equal(harness_batond_stop(&b, SIGINT, 10000), 0);
	assert_true(harness_now_ms() - t0 < 10000);
	const char *cut[] = { "\"event\":\"drain_cut_short\"", NULL };
	assert_int_equal(harness_log_count(&b, cut), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sigterm_with_calls_in_flight_loses_no_call),
		cmocka_unit_test(draining_server_is_not_serving_and_refuses_calls),
		cmocka_unit_test(second_signal_cuts_the_drain_short),
	};
	return cmocka_run_group_tests_name("integration: shutdown", tests, setup, teardown);
}
