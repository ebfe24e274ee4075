/* test_metrics.c - the counters and their Prometheus text: buckets, labels, pool gauges, maintenance, the /healthz verdict. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/clock.h"
#include "server/metrics.h"
#include "server/services.h"

#define MS 1000000ull /* ns */

static rpc_table table; /* System and Health: Health.Check, System.Info, System.Ping */
static char text[65536];

static int setup(void **state)
{
	const rpc_service_impl *services[] = { &svc_health, &svc_system };
	status_msg m;
	(void)state;
	return rpc_table_build(&table, services, 2, &m) == BATON_OK ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rpc_table_free(&table);
	return 0;
}

static size_t method_index(const char *path)
{
	return (size_t)(rpc_table_find(&table, path) - table.methods);
}

static const char *render(metrics *mx, size_t sessions, bool draining)
{
	metrics_state st = { .sessions = sessions, .draining = draining };
	textbuf out;

	textbuf_init(&out, text, sizeof(text));
	metrics_render(mx, &st, &out);
	assert_false(out.truncated);
	return text;
}

/* A line of the text, whole. */
static void has_line(const char *t, const char *line)
{
	char want[512];

	snprintf(want, sizeof(want), "\n%s\n", line);
	if (strstr(t, want) == NULL)
		fail_msg("no line '%s' in:\n%s", line, t);
}

static void lacks(const char *t, const char *part)
{
	if (strstr(t, part) != NULL)
		fail_msg("'%s' should not appear in:\n%s", part, t);
}

/* ---- calls: a named case table ------------------------------------------------------ */

typedef struct call_case {
	const char *name;
	const char *method; /* a path of the table, or NULL: unknown */
	int         status;
	uint64_t    duration_ns;
	const char *lines[3]; /* lines the text must hold after this call (and the ones before) */
} call_case;

static const call_case call_cases[] = {
	{ "fast ping", "/baton.v1.System/Ping", BATON_OK, 100000,
	    { "baton_rpc_calls_total{method=\"System.Ping\",status=\"OK\"} 1",
	      "baton_rpc_call_duration_seconds_bucket{method=\"System.Ping\",le=\"0.0005\"} 1" } },
	{ "bound is inclusive", "/baton.v1.System/Ping", BATON_OK, 500000,
	    { "baton_rpc_call_duration_seconds_bucket{method=\"System.Ping\",le=\"0.0005\"} 2",
	      "baton_rpc_calls_total{method=\"System.Ping\",status=\"OK\"} 2" } },
	{ "just above a bound", "/baton.v1.System/Ping", BATON_INVALID_ARGUMENT, 500001,
	    { "baton_rpc_call_duration_seconds_bucket{method=\"System.Ping\",le=\"0.0005\"} 2",
	      "baton_rpc_call_duration_seconds_bucket{method=\"System.Ping\",le=\"0.001\"} 3",
	      "baton_rpc_calls_total{method=\"System.Ping\",status=\"INVALID_ARGUMENT\"} 1" } },
	{ "slower than every bound", "/baton.v1.System/Info", BATON_UNAVAILABLE, 11000 * MS,
	    { "baton_rpc_call_duration_seconds_bucket{method=\"System.Info\",le=\"10\"} 0",
	      "baton_rpc_call_duration_seconds_bucket{method=\"System.Info\",le=\"+Inf\"} 1",
	      "baton_rpc_call_duration_seconds_sum{method=\"System.Info\"} 11.000000000" } },
	{ "unknown method", NULL, BATON_UNIMPLEMENTED, 2 * MS,
	    { "baton_rpc_calls_total{method=\"unknown\",status=\"UNIMPLEMENTED\"} 1",
	      "baton_rpc_call_duration_seconds_count{method=\"unknown\"} 1" } },
	{ "status out of range counts as UNKNOWN", "/baton.v1.Health/Check", 99, 1 * MS,
	    { "baton_rpc_calls_total{method=\"Health.Check\",status=\"UNKNOWN\"} 1" } },
	{ "sum and count of all of a method's calls", "/baton.v1.System/Ping", BATON_OK, 0,
	    { "baton_rpc_call_duration_seconds_sum{method=\"System.Ping\"} 0.001100001",
	      "baton_rpc_call_duration_seconds_count{method=\"System.Ping\"} 4",
	      "baton_rpc_call_duration_seconds_bucket{method=\"System.Ping\",le=\"+Inf\"} 4" } },
};

static void calls_by_method_status_and_duration(void **state)
{
	metrics *mx = metrics_new(&table, 4, 10000);
	(void)state;

	assert_non_null(mx);
	/* Nothing called yet: no series, only the families' HELP and TYPE. */
	lacks(render(mx, 0, false), "baton_rpc_calls_total{");
	lacks(text, "baton_rpc_call_duration_seconds_bucket{");
	for (size_t i = 0; i < sizeof(call_cases) / sizeof(call_cases[0]); i++) {
		const call_case *c = &call_cases[i];
		metrics_call_record(mx, c->method != NULL ? method_index(c->method) : SIZE_MAX, c->status, c->duration_ns);
		const char *t = render(mx, 0, false);
		for (int k = 0; k < 3 && c->lines[k] != NULL; k++) {
			char want[512];
			snprintf(want, sizeof(want), "\n%s\n", c->lines[k]);
			if (strstr(t, want) == NULL)
				fail_msg("case '%s': no line '%s'", c->name, c->lines[k]);
		}
	}
	/* Pairs never seen have no series. */
	lacks(text, "status=\"OK\"} 0");
	metrics_free(mx);
}

/* ---- the rest of the families -------------------------------------------------------- */

static void every_family_has_help_and_type(void **state)
{
	static const char *const families[] = { "baton_up gauge", "baton_build_info gauge", "baton_draining gauge",
		"baton_sessions gauge", "baton_rpc_calls_total counter", "baton_rpc_call_duration_seconds histogram",
		"baton_db_connections gauge", "baton_db_connections_busy gauge", "baton_db_connections_ok gauge",
		"baton_db_reconnects_total counter", "baton_maintenance_passes_total counter",
		"baton_maintenance_last_pass_timestamp_seconds gauge", "baton_maintenance_pass_duration_seconds gauge",
		"baton_sla_worker_lag_seconds gauge" };
	metrics *mx = metrics_new(&table, 4, 10000);
	(void)state;

	const char *t = render(mx, 7, true);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++) {
		char type[160], help[160];
		snprintf(type, sizeof(type), "# TYPE %s\n", families[i]);
		snprintf(help, sizeof(help), "# HELP %.*s ", (int)strcspn(families[i], " "), families[i]);
		if (strstr(t, type) == NULL || strstr(t, help) == NULL)
			fail_msg("no HELP or TYPE for %s", families[i]);
	}
	has_line(t, "baton_up 1");
	has_line(t, "baton_draining 1");
	has_line(t, "baton_sessions 7");
	has_line(t, "baton_db_connections 4");
	/* Before the first pass: no lag yet, no pass. */
	lacks(t, "\nbaton_sla_worker_lag_seconds ");
	has_line(t, "baton_maintenance_last_pass_timestamp_seconds 0.000");
	metrics_free(mx);
}

/* A buffer too small is reported, never overrun. */
static void a_short_buffer_is_truncated(void **state)
{
	metrics *mx = metrics_new(&table, 4, 10000);
	metrics_state st = { 0 };
	char small[100];
	textbuf out;
	(void)state;

	textbuf_init(&out, small, sizeof(small));
	metrics_render(mx, &st, &out);
	assert_true(out.truncated);
	assert_true(strlen(small) < sizeof(small));
	metrics_free(mx);
}

static void db_pool_gauges_move_only_on_change(void **state)
{
	metrics *mx = metrics_new(&table, 2, 10000);
	metrics_db_seen w1 = { 0 }, w2 = { 0 };
	(void)state;

	metrics_db_report(mx, &w1, true, 1);  /* first connect: not a reconnect */
	metrics_db_report(mx, &w2, false, 0); /* the database was down at start */
	metrics_db_report(mx, &w1, true, 1);  /* nothing changed */
	has_line(render(mx, 0, false), "baton_db_connections_ok 1");
	has_line(text, "baton_db_reconnects_total 0");
	metrics_db_report(mx, &w2, true, 1);  /* w2's first connection, late */
	metrics_db_report(mx, &w1, false, 1); /* w1 lost its connection */
	has_line(render(mx, 0, false), "baton_db_connections_ok 1");
	has_line(text, "baton_db_reconnects_total 0");
	metrics_db_report(mx, &w1, true, 2); /* and made it again */
	metrics_db_busy(mx, 1);
	metrics_db_busy(mx, 1);
	metrics_db_busy(mx, -1);
	has_line(render(mx, 0, false), "baton_db_connections_ok 2");
	has_line(text, "baton_db_reconnects_total 1");
	has_line(text, "baton_db_connections_busy 1");
	metrics_free(mx);
}

static void maintenance_passes(void **state)
{
	metrics *mx = metrics_new(&table, 2, 10000);
	(void)state;

	metrics_pass_record(mx, &(metrics_pass){ .ok = true, .reached_db = true, .duration_ns = 1500 * MS, .sla_lag_ms = 0 });
	metrics_pass_record(mx, &(metrics_pass){ .ok = false, .reached_db = true, .duration_ns = 250 * MS, .sla_lag_ms = 90250 });
	const char *t = render(mx, 0, false);
	has_line(t, "baton_maintenance_passes_total{result=\"ok\"} 1");
	has_line(t, "baton_maintenance_passes_total{result=\"error\"} 1");
	has_line(t, "baton_maintenance_pass_duration_seconds 0.250000000");
	has_line(t, "baton_sla_worker_lag_seconds 90.250");
	lacks(t, "baton_maintenance_last_pass_timestamp_seconds 0.000");
	/* A pass that could not measure the lag leaves the last value. */
	metrics_pass_record(mx, &(metrics_pass){ .ok = false, .reached_db = false, .sla_lag_ms = -1 });
	has_line(render(mx, 0, false), "baton_sla_worker_lag_seconds 90.250");
	metrics_free(mx);
}

/* ---- /healthz: a named case table ------------------------------------------------------ */

typedef struct health_case {
	const char *name;
	bool        serving;
	bool        draining;
	int         passes;      /* recorded before the verdict */
	bool        reached_db;  /* of those passes */
	uint64_t    later_ns;    /* the verdict this long after the last event */
	bool        want;
	const char *reason;      /* part of it */
} health_case;

static const health_case health_cases[] = {
	{ "starting", false, false, 0, true, 0, false, "starting" },
	{ "serving, no pass yet", true, false, 0, true, 0, true, NULL },
	{ "serving, a pass reached the database", true, false, 1, true, 0, true, NULL },
	{ "draining wins", true, true, 1, true, 0, false, "draining for shutdown" },
	{ "draining while starting", false, true, 0, true, 0, false, "draining for shutdown" },
	{ "the last pass could not reach the database", true, false, 2, false, 0, false,
	    "the last maintenance pass could not reach the database" },
	{ "no pass for 3 intervals (30 s at least)", true, false, 1, true, 31000 * MS, false,
	    "no maintenance pass reached the database in the last 31 s" },
	{ "no pass for 29 s is still fine", true, false, 1, true, 29000 * MS, true, NULL },
	{ "no pass since serving began", true, false, 0, true, 31000 * MS, false, "in the last 31 s" },
};

static void healthz_verdicts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(health_cases) / sizeof(health_cases[0]); i++) {
		const health_case *c = &health_cases[i];
		metrics *mx = metrics_new(&table, 2, 1000); /* 3 intervals are 3 s: the 30 s floor applies */
		metrics_state st = { .draining = c->draining };
		char reason[200] = "";

		if (c->serving)
			metrics_serving(mx);
		for (int p = 0; p < c->passes; p++)
			metrics_pass_record(mx, &(metrics_pass){ .ok = c->reached_db, .reached_db = c->reached_db,
			    .sla_lag_ms = -1 });
		bool ok = metrics_health(mx, &st, clock_monotonic_ns() + c->later_ns, reason, sizeof(reason));
		if (ok != c->want || (c->reason != NULL && strstr(reason, c->reason) == NULL))
			fail_msg("case '%s': %s '%s'", c->name, ok ? "ok" : "not ok", reason);
		assert_null(strchr(reason, '\n'));
		metrics_free(mx);
	}
}

/* Without metrics (--metrics-listen=off) nothing is counted and nothing breaks. */
static void null_metrics_do_nothing(void **state)
{
	metrics_state st = { 0 };
	metrics_db_seen seen = { 0 };
	char reason[64] = "";
	textbuf out;
	(void)state;

	metrics_call_record(NULL, 0, BATON_OK, 1);
	metrics_db_report(NULL, &seen, true, 1);
	metrics_db_busy(NULL, 1);
	metrics_pass_record(NULL, &(metrics_pass){ .ok = true });
	metrics_serving(NULL);
	textbuf_init(&out, text, sizeof(text));
	metrics_render(NULL, &st, &out);
	assert_int_equal(out.len, 0);
	assert_true(metrics_health(NULL, &st, clock_monotonic_ns(), reason, sizeof(reason)));
	metrics_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(calls_by_method_status_and_duration),
		cmocka_unit_test(every_family_has_help_and_type),
		cmocka_unit_test(a_short_buffer_is_truncated),
		cmocka_unit_test(db_pool_gauges_move_only_on_change),
		cmocka_unit_test(maintenance_passes),
		cmocka_unit_test(healthz_verdicts),
		cmocka_unit_test(null_metrics_do_nothing),
	};
	return cmocka_run_group_tests_name("unit: metrics", tests, setup, teardown);
}
