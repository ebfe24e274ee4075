/* test_metrics.c - /metrics and /healthz over plain HTTP from a real batond: exact call counts, the histogram, pool and SLA gauges, draining, a lost database, bad and busy addresses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include <baton/client.h>

#include "fixture.h"
#include "harness.h"

/* The group's cluster (harness_group_pg_setup). */
static harness_pg *const pg = &harness_group_pg;

/* ---- a small HTTP/1.1 client --------------------------------------------------- */

typedef struct http_reply {
	int    status;
	char   head[4096];    /* status line and headers */
	char   body[262144];  /* NUL-terminated */
	size_t body_len;
	int64_t ms;           /* how long the exchange took */
} http_reply;

/* One request on a fresh connection ("Connection: close", so the reply
 * ends at EOF), with a body of body_len bytes when body is not NULL.
 * 0 when a reply came, -1 otherwise. */
static int http_request(int port, const char *method, const char *path, const char *body, http_reply *r)
{
	static char raw[sizeof(r->head) + sizeof(r->body) + 1];
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { .tv_sec = 10 };
	char req[512];
	size_t used = 0;
	ssize_t n;
	int64_t t0 = harness_now_ms();
	int fd, len;

	memset(r, 0, sizeof(*r));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	len = snprintf(req, sizeof(req), "%s %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n"
	    "Content-Length: %zu\r\n\r\n%s", method, path, port, body != NULL ? strlen(body) : 0,
	    body != NULL ? body : "");
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || write(fd, req, (size_t)len) != len) {
		close(fd);
		return -1;
	}
	while (used < sizeof(raw) - 1 && (n = read(fd, raw + used, sizeof(raw) - 1 - used)) > 0)
		used += (size_t)n;
	close(fd);
	raw[used] = '\0';
	r->ms = harness_now_ms() - t0;
	char *end = strstr(raw, "\r\n\r\n");
	if (end == NULL || sscanf(raw, "HTTP/1.1 %d", &r->status) != 1)
		return -1;
	snprintf(r->head, sizeof(r->head), "%.*s", (int)(end - raw), raw);
	r->body_len = used - (size_t)(end + 4 - raw);
	memcpy(r->body, end + 4, r->body_len);
	r->body[r->body_len] = '\0';
	return 0;
}

static void get(const harness_batond *b, const char *path, http_reply *r)
{
	if (http_request(b->metrics_port, "GET", path, NULL, r) != 0)
		fail_msg("GET %s on port %d: no HTTP reply", path, b->metrics_port);
}

/* get(), failing the case unless the reply's status is status. */
static void get_expect(const harness_batond *b, const char *path, int status, http_reply *r)
{
	get(b, path, r);
	if (r->status != status)
		fail_msg("GET %s: %d '%s' (wanted %d)", path, r->status, r->body, status);
}

/* The value of header name (case as nng writes it), or NULL. */
static const char *header(http_reply *r, const char *name, char *out, size_t len)
{
	char key[128];
	const char *p;

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	if ((p = strstr(r->head, key)) == NULL)
		return NULL;
	p += strlen(key);
	snprintf(out, len, "%.*s", (int)strcspn(p, "\r\n"), p);
	return out;
}

/* ---- the exposition ------------------------------------------------------------ */

/* The value of the sample whose name and labels are exactly series
 * ("baton_sessions", "baton_rpc_calls_total{method=\"System.Ping\",status=\"OK\"}"),
 * or -1 when the text has no such line. */
static double sample(const char *text, const char *series)
{
	size_t n = strlen(series);

	for (const char *line = text; *line != '\0';) {
		if (strncmp(line, series, n) == 0 && line[n] == ' ')
			return strtod(line + n + 1, NULL);
		const char *next = strchr(line, '\n');
		if (next == NULL)
			break;
		line = next + 1;
	}
	return -1;
}

static double scrape_sample(const harness_batond *b, const char *series)
{
	http_reply *r = malloc(sizeof(*r));
	double v;

	assert_non_null(r);
	get_expect(b, "/metrics", 200, r);
	v = sample(r->body, series);
	free(r);
	return v;
}

/* Every sample belongs to a family announced by a HELP and a TYPE line
 * (a histogram's _bucket, _sum and _count to their histogram). */
static void every_sample_has_help_and_type(const char *text)
{
	for (const char *line = text; *line != '\0';) {
		size_t len = strcspn(line, "\n");
		if (line[0] != '#') {
			char family[128], want[160];
			size_t name_len = strcspn(line, "{ ");
			snprintf(family, sizeof(family), "%.*s", (int)name_len, line);
			snprintf(want, sizeof(want), "# TYPE %s ", family);
			if (strstr(text, want) == NULL) {
				static const char *const suffixes[] = { "_bucket", "_sum", "_count" };
				for (size_t i = 0; i < 3; i++) {
					size_t fl = strlen(family), sl = strlen(suffixes[i]);
					if (fl > sl && strcmp(family + fl - sl, suffixes[i]) == 0) {
						family[fl - sl] = '\0';
						break;
					}
				}
				snprintf(want, sizeof(want), "# TYPE %s histogram\n", family);
			}
			if (strstr(text, want) == NULL)
				fail_msg("no TYPE line for the sample '%.*s'", (int)len, line);
			snprintf(want, sizeof(want), "# HELP %s ", family);
			if (strstr(text, want) == NULL)
				fail_msg("no HELP line for the family %s", family);
		}
		line += len + (line[len] == '\n');
	}
}

/* The histogram of method: its buckets never fall, +Inf is _count, and
 * _count is want. */
static void histogram_is_cumulative(const char *text, const char *method, int want)
{
	static const char *const le[] = { "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1",
		"0.25", "0.5", "1", "2.5", "5", "10", "+Inf" };
	char series[200];
	double previous = 0, v;

	for (size_t i = 0; i < sizeof(le) / sizeof(le[0]); i++) {
		snprintf(series, sizeof(series), "baton_rpc_call_duration_seconds_bucket{method=\"%s\",le=\"%s\"}", method,
		    le[i]);
		v = sample(text, series);
		if (v < previous)
			fail_msg("%s: %g after %g", series, v, previous);
		previous = v;
	}
	snprintf(series, sizeof(series), "baton_rpc_call_duration_seconds_count{method=\"%s\"}", method);
	assert_true(sample(text, series) == previous);
	assert_true(previous == want);
	snprintf(series, sizeof(series), "baton_rpc_call_duration_seconds_sum{method=\"%s\"}", method);
	assert_true(sample(text, series) > 0);
}

/* Polls series until it is at least want (a maintenance pass is due). */
static double wait_sample(const harness_batond *b, const char *series, double want)
{
	int64_t give_up = harness_now_ms() + 20000;
	double v;

	while ((v = scrape_sample(b, series)) < want && harness_now_ms() < give_up)
		harness_sleep_ms(50);
	if (v < want)
		fail_msg("%s stayed at %g (wanted at least %g)", series, v, want);
	return v;
}

/* Polls /healthz until it answers status. */
static void wait_health(const harness_batond *b, int status, http_reply *r)
{
	int64_t give_up = harness_now_ms() + 20000;

	do {
		get(b, "/healthz", r);
		if (r->status == status)
			return;
		harness_sleep_ms(50);
	} while (harness_now_ms() < give_up);
	fail_msg("/healthz stayed %d '%s' (wanted %d)", r->status, r->body, status);
}

/* ---- cases ------------------------------------------------------------------------ */

/* Starts b with /metrics on, a maintenance pass every 200 ms and the
 * test's own flags (up to 6), and waits for its first pass and /healthz 200. */
static void start_serving(harness_batond *b, const char *const *extra)
{
	const char *flags[8] = { "--maintenance-ms=200" };
	static http_reply r;

	for (int i = 0; extra != NULL && extra[i] != NULL && i < 6; i++)
		flags[i + 1] = extra[i];
	assert_int_equal(harness_batond_start_metrics(b, pg->dir, pg->conninfo, flags, true), 0);
	wait_sample(b, "baton_maintenance_passes_total{result=\"ok\"}", 1);
	wait_health(b, 200, &r);
}


static baton_status call(baton_client *c, const char *method, const void *payload, size_t len)
{
	baton_result res;
	baton_status s = baton_call(c, method, payload, len, NULL, &res);
	baton_result_clear(&res);
	return s;
}

/* Real calls through libbaton, then the numbers /metrics gives for them. */
static void metrics_count_the_calls_made(void **state)
{
	const char *extra[] = { "--workers=3", NULL };
	static http_reply r;
	harness_batond b;
	baton_client *admin;
	fixture_person agent;
	baton_result res;
	char value[128];
	(void)state;

	start_serving(&b, extra);
	get_expect(&b, "/healthz", 200, &r);
	assert_string_equal(r.body, "ok\n");

	assert_int_equal(harness_client(&b, NULL, &admin), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(baton_ping(admin, "x", 1, 5000, &res), BATON_OK);
		baton_result_clear(&res);
	}
	assert_int_equal(call(admin, "/baton.v1.System/Ping", "\xff\xff", 2), BATON_INVALID_ARGUMENT);
	assert_int_equal(call(admin, "/baton.v1.Identity/WhoAmI", NULL, 0), BATON_OK);
	assert_int_equal(call(admin, "/baton.v1.Identity/WhoAmI", NULL, 0), BATON_OK);
	assert_int_equal(call(admin, "/baton.v1.System/NoSuchMethod", NULL, 0), BATON_UNIMPLEMENTED);
	assert_int_equal(fixture_person_add(admin, &b, pg->dir, "in-house", "metrics-agent", "agent", &agent, &res),
	    BATON_OK);
	baton_result_clear(&res);
	assert_int_equal(call(agent.client, "/baton.v1.Identity/AddOrg", NULL, 0), BATON_PERMISSION_DENIED);
	assert_int_equal(call(agent.client, "/baton.v1.Identity/AddOrg", NULL, 0), BATON_PERMISSION_DENIED);

	get_expect(&b, "/metrics", 200, &r);
	assert_non_null(header(&r, "Content-Type", value, sizeof(value)));
	assert_string_equal(value, "text/plain; version=0.0.4; charset=utf-8");
	const char *m = r.body;
	every_sample_has_help_and_type(m);
	assert_true(sample(m, "baton_rpc_calls_total{method=\"System.Ping\",status=\"OK\"}") == 3);
	assert_true(sample(m, "baton_rpc_calls_total{method=\"System.Ping\",status=\"INVALID_ARGUMENT\"}") == 1);
	assert_true(sample(m, "baton_rpc_calls_total{method=\"Identity.WhoAmI\",status=\"OK\"}") == 2);
	assert_true(sample(m, "baton_rpc_calls_total{method=\"unknown\",status=\"UNIMPLEMENTED\"}") == 1);
	assert_true(sample(m, "baton_rpc_calls_total{method=\"Identity.AddPrincipal\",status=\"OK\"}") == 1);
	assert_true(sample(m, "baton_rpc_calls_total{method=\"Identity.AddOrg\",status=\"PERMISSION_DENIED\"}") == 2);
	assert_true(sample(m, "baton_rpc_calls_total{method=\"Identity.AddOrg\",status=\"OK\"}") == -1);
	assert_true(sample(m, "baton_rpc_calls_total{method=\"Session.Handshake\",status=\"OK\"}") == 2);
	histogram_is_cumulative(m, "System.Ping", 4);
	histogram_is_cumulative(m, "Identity.WhoAmI", 2);
	histogram_is_cumulative(m, "Identity.AddOrg", 2);
	histogram_is_cumulative(m, "unknown", 1);
	assert_true(sample(m, "baton_sessions") >= 2);
	assert_true(sample(m, "baton_db_connections") == 3);
	assert_true(sample(m, "baton_db_connections_ok") == 3);
	assert_true(sample(m, "baton_db_connections_busy") == 0);
	assert_true(sample(m, "baton_db_reconnects_total") == 0);
	assert_true(sample(m, "baton_up") == 1);
	assert_true(sample(m, "baton_draining") == 0);
	assert_non_null(strstr(m, "\nbaton_build_info{version=\""));

	/* After a maintenance pass: its counters, and no SLA timer behind. */
	wait_sample(&b, "baton_maintenance_passes_total{result=\"ok\"}", 1);
	get(&b, "/metrics", &r);
	every_sample_has_help_and_type(r.body);
	assert_true(sample(r.body, "baton_sla_worker_lag_seconds") == 0);
	assert_true(sample(r.body, "baton_maintenance_last_pass_timestamp_seconds") > 1.7e9);
	assert_true(sample(r.body, "baton_maintenance_pass_duration_seconds") > 0);

	/* HEAD: the headers of GET, no body. */
	assert_int_equal(http_request(b.metrics_port, "HEAD", "/healthz", NULL, &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(r.body_len, 0);
	assert_non_null(header(&r, "Content-Length", value, sizeof(value)));
	assert_string_equal(value, "3");

	fixture_person_close(&agent);
	baton_client_close(admin);
	assert_int_equal(harness_batond_stop(&b, SIGTERM, 15000), 0);
	const char *listening[] = { "\"event\":\"metrics_listening\"", "\"url\":\"http://127.0.0.1:", NULL };
	assert_int_equal(harness_log_count(&b, listening), 1);
}

static void unknown_paths_and_other_methods_are_refused(void **state)
{
	static http_reply r;
	harness_batond b;
	char value[64];
	(void)state;

	start_serving(&b, NULL);
	get_expect(&b, "/nope", 404, &r);
	get_expect(&b, "/metrics/extra", 404, &r);
	get_expect(&b, "/healthz?verbose=1", 200, &r);
	assert_int_equal(http_request(b.metrics_port, "POST", "/metrics", "a=1", &r), 0);
	assert_int_equal(r.status, 405);
	assert_non_null(header(&r, "Allow", value, sizeof(value)));
	assert_string_equal(value, "GET, HEAD");
	assert_int_equal(http_request(b.metrics_port, "DELETE", "/healthz", NULL, &r), 0);
	assert_int_equal(r.status, 405);
	assert_int_equal(harness_batond_stop(&b, SIGTERM, 15000), 0);
}

/* SIGTERM: /healthz says why it is 503 for the whole drain. */
static void healthz_is_503_while_draining(void **state)
{
	const char *extra[] = { "--drain-ms=4000", NULL };
	static http_reply r;
	harness_batond b;
	(void)state;

	start_serving(&b, extra);
	kill(b.pid, SIGTERM);
	wait_health(&b, 503, &r);
	assert_string_equal(r.body, "draining for shutdown\n");
	assert_true(scrape_sample(&b, "baton_draining") == 1);
	assert_int_equal(harness_batond_wait(&b, 20000), 0);
}

/* The database goes away: the next maintenance pass cannot reach it, so
 * /healthz turns 503, while /metrics still answers at once from memory;
 * once the database is back, /healthz is 200 again. */
static void healthz_is_503_while_the_database_is_unreachable(void **state)
{
	static http_reply r;
	harness_batond b;
	(void)state;

	start_serving(&b, NULL);
	assert_int_equal(harness_pg_stop(pg), 0);
	wait_health(&b, 503, &r);
	assert_string_equal(r.body, "the last maintenance pass could not reach the database\n");
	get_expect(&b, "/metrics", 200, &r);
	assert_true(r.ms < 1000);
	assert_true(sample(r.body, "baton_maintenance_passes_total{result=\"error\"}") >= 1);
	assert_int_equal(harness_pg_restart(pg), 0);
	wait_health(&b, 200, &r);
	assert_int_equal(harness_batond_stop(&b, SIGTERM, 15000), 0);
}

/* Runs sql on the test database as the superuser "postgres" (what batond's
 * role may not be); 0 on success, -1 with the error printed. */
static int superuser_sql(const char *sql)
{
	char conninfo[600];
	PGconn *c;
	PGresult *res;
	int rc = -1;

	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 user=postgres dbname=baton", pg->dir);
	c = PQconnectdb(conninfo);
	if (PQstatus(c) == CONNECTION_OK) {
		res = PQexec(c, sql);
		rc = PQresultStatus(res) == PGRES_COMMAND_OK ? 0 : -1;
		PQclear(res);
	}
	if (rc != 0)
		fprintf(stderr, "as postgres: %s: %s", sql, PQerrorMessage(c));
	PQfinish(c);
	return rc;
}

/* An escalation whose expiry is 90 s past and that the pass cannot move
 * on (it names no organization that exists, so the event it would write
 * is refused) is what the SLA lag measures. Written past batond's rules as
 * the superuser with foreign keys off, and removed the same way. */
static void sla_lag_is_the_age_of_the_oldest_due_timer(void **state)
{
	harness_batond b;
	double lag;
	(void)state;

	start_serving(&b, NULL);
	assert_true(scrape_sample(&b, "baton_sla_worker_lag_seconds") == 0);

	assert_int_equal(superuser_sql(
	    "SET session_replication_role = replica; "
	    "INSERT INTO escalation (id, ticket_id, org_id, source, reason, urgency, level, routed_rule, routed_at, expires_at)"
	    " VALUES ('00000000-0000-4000-8000-00000000a1a1', gen_random_uuid(), gen_random_uuid(), 'sla', 'lag test',"
	    " 'urgent', 1, 'test', now() - interval '10 minutes', now() - interval '90 seconds')"), 0);
	lag = wait_sample(&b, "baton_sla_worker_lag_seconds", 89);
	assert_true(lag < 600);
	assert_true(scrape_sample(&b, "baton_maintenance_passes_total{result=\"error\"}") >= 1);
	assert_int_equal(superuser_sql("DELETE FROM escalation WHERE id = '00000000-0000-4000-8000-00000000a1a1'"), 0);
	int64_t give_up = harness_now_ms() + 20000;
	while ((lag = scrape_sample(&b, "baton_sla_worker_lag_seconds")) != 0 && harness_now_ms() < give_up)
		harness_sleep_ms(50);
	assert_true(lag == 0);
	assert_int_equal(harness_batond_stop(&b, SIGTERM, 15000), 0);
}

static void a_bad_metrics_listen_value_exits_2(void **state)
{
	static const char *const bad[] = { "tcp://127.0.0.1:7480", "http://127.0.0.1", "http://127.0.0.1:0",
		"http://127.0.0.1:7480/metrics", "yes" };
	char cmd[600], err[1024];
	(void)state;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s --database-url=x --metrics-listen='%s'", harness_bin("batond"), bad[i]);
		assert_int_equal(harness_run(cmd, NULL, 0, err, sizeof(err)), 2);
		assert_non_null(strstr(err, "metrics-listen must be off or http://host:port"));
		assert_non_null(strstr(err, bad[i]));
	}
	snprintf(cmd, sizeof(cmd), "BATON_METRICS_LISTEN=https://127.0.0.1:7480 %s --database-url=x", harness_bin("batond"));
	assert_int_equal(harness_run(cmd, NULL, 0, err, sizeof(err)), 2);
	assert_non_null(strstr(err, "environment BATON_METRICS_LISTEN"));
}

/* Someone else holds the port: batond stops at start (exit 1) and says so. */
static void a_metrics_port_in_use_stops_batond(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	char flag[80];
	harness_batond b;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	(void)state;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	snprintf(flag, sizeof(flag), "--metrics-listen=http://127.0.0.1:%d", ntohs(sa.sin_port));
	const char *extra[] = { flag, NULL };
	assert_int_equal(harness_batond_start(&b, pg->dir, pg->conninfo, extra, false), 0);
	assert_int_equal(harness_batond_wait(&b, 15000), 1);
	close(fd);
	const char *failed[] = { "\"event\":\"startup_failed\"", "cannot serve metrics on 'http://127.0.0.1:", NULL };
	assert_int_equal(harness_log_count(&b, failed), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(metrics_count_the_calls_made),
		cmocka_unit_test(unknown_paths_and_other_methods_are_refused),
		cmocka_unit_test(healthz_is_503_while_draining),
		cmocka_unit_test(healthz_is_503_while_the_database_is_unreachable),
		cmocka_unit_test(sla_lag_is_the_age_of_the_oldest_due_timer),
		cmocka_unit_test(a_bad_metrics_listen_value_exits_2),
		cmocka_unit_test(a_metrics_port_in_use_stops_batond),
	};
	return cmocka_run_group_tests_name("integration: metrics and health over HTTP", tests, harness_group_pg_setup,
	    harness_group_pg_teardown);
}
