/* test_rpc.c - calls against a real batond and PostgreSQL: ping, health, info, bad frames, deadlines, batonctl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include <baton/client.h>

#include "baton/v1/system.pb-c.h"
#include "baton/v1/wire.pb-c.h"
#include "harness.h"

static harness_pg     pg;
static harness_batond srv;
static baton_client  *client;

static int setup(void **state)
{
	const char *extra[] = { "--max-message-bytes=65536", "--workers=4", NULL };
	(void)state;
	if (harness_pg_start(&pg) != 0)
		return -1;
	if (harness_batond_start(&srv, pg.dir, pg.conninfo, extra, true) != 0)
		return -1;
	if (harness_client(&srv, NULL, &client) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	baton_client_close(client);
	int rc = harness_batond_stop(&srv, SIGTERM, 15000);
	harness_pg_destroy(&pg);
	if (rc != 0) {
		fprintf(stderr, "batond exited with %d (log %s)\n", rc, srv.log_path);
		return -1;
	}
	return 0;
}

static void ping_echoes_payloads_of_every_size(void **state)
{
	static const size_t sizes[] = { 0, 1, 128, 4096, 60000 };
	(void)state;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		uint8_t *buf = malloc(sizes[i] + 1);
		baton_result res;
		for (size_t k = 0; k < sizes[i]; k++)
			buf[k] = (uint8_t)(k * 7 + i);
		assert_int_equal(baton_ping(client, buf, sizes[i], 5000, &res), BATON_OK);
		assert_int_equal(res.payload_len, sizes[i]);
		if (sizes[i] > 0)
			assert_memory_equal(res.payload, buf, sizes[i]);
		assert_string_equal(res.message, "");
		baton_result_clear(&res);
		free(buf);
	}
}

typedef struct pinger {
	pthread_t thread;
	int       id, ok, wrong;
} pinger;

static void *ping_loop(void *arg)
{
	pinger *p = arg;
	for (int i = 0; i < 200; i++) {
		char msg[64];
		baton_result res;
		int n = snprintf(msg, sizeof(msg), "thread %d call %d", p->id, i);
		if (baton_ping(client, msg, (size_t)n, 10000, &res) == BATON_OK &&
		    res.payload_len == (size_t)n && memcmp(res.payload, msg, (size_t)n) == 0)
			p->ok++;
		else
			p->wrong++;
		baton_result_clear(&res);
	}
	return NULL;
}

/* 16 threads share one client; every reply must match its own request. */
static void concurrent_calls_get_their_own_replies(void **state)
{
	pinger p[16];
	(void)state;
	for (int i = 0; i < 16; i++) {
		p[i] = (pinger){ .id = i };
		assert_int_equal(pthread_create(&p[i].thread, NULL, ping_loop, &p[i]), 0);
	}
	for (int i = 0; i < 16; i++) {
		pthread_join(p[i].thread, NULL);
		assert_int_equal(p[i].wrong, 0);
		assert_int_equal(p[i].ok, 200);
	}
}

static void health_is_serving(void **state)
{
	baton_serving s;
	baton_result res;
	(void)state;
	assert_int_equal(baton_health_check(client, NULL, 5000, &s, &res), BATON_OK);
	assert_int_equal(s, BATON_SERVING);
	assert_int_equal(baton_health_check(client, "baton.v1.System", 5000, &s, &res), BATON_OK);
	assert_int_equal(s, BATON_SERVING);
	/* As grpc.health.v1: an unknown service is NOT_FOUND. */
	assert_int_equal(baton_health_check(client, "no.such.Service", 5000, &s, &res), BATON_NOT_FOUND);
	assert_non_null(strstr(res.message, "no.such.Service"));
}

static void info_reads_the_database(void **state)
{
	baton_server_info info;
	baton_result res;
	char id[64], version[16];
	(void)state;
	assert_int_equal(baton_server_info_get(client, 5000, &info, &res), BATON_OK);
	assert_int_equal(harness_sql(&pg, NULL, "SELECT max(version) FROM schema_migrations",
	                     version, sizeof(version)), 0);
	assert_true(info.schema_version >= 2);
	assert_int_equal(info.schema_version, atoi(version));
	assert_int_equal(harness_sql(&pg, NULL, "SELECT value FROM baton_meta WHERE key = 'database_id'",
	                     id, sizeof(id)), 0);
	assert_string_equal(info.database_id, id);
	assert_true(info.database_time_unix_ms > 1700000000000LL);
}

static void unknown_method_is_unimplemented(void **state)
{
	baton_result res;
	(void)state;
	assert_int_equal(baton_call(client, "/baton.v1.System/NoSuch", NULL, 0, NULL, &res), BATON_UNIMPLEMENTED);
	assert_non_null(strstr(res.message, "/baton.v1.System/NoSuch"));
	assert_int_equal(baton_call(client, "/nope.Nope/Ping", NULL, 0, NULL, &res), BATON_UNIMPLEMENTED);
	/* Rejected by the client before sending. */
	assert_int_equal(baton_call(client, "Ping", NULL, 0, NULL, &res), BATON_INVALID_ARGUMENT);
}

static void payload_that_does_not_unpack_is_invalid_argument(void **state)
{
	static const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f }; /* length past the end */
	baton_result res;
	(void)state;
	assert_int_equal(baton_call(client, "/baton.v1.System/Ping", junk, sizeof(junk), NULL, &res),
	    BATON_INVALID_ARGUMENT);
	assert_non_null(strstr(res.message, "baton.v1.PingRequest"));
}

static void expired_deadline_is_refused(void **state)
{
	baton_call_options o = { .deadline_unix_ms = 1 }; /* 1970 */
	baton_result res;
	(void)state;
	assert_int_equal(baton_call(client, "/baton.v1.System/Info", NULL, 0, &o, &res), BATON_DEADLINE_EXCEEDED);
	assert_non_null(strstr(res.message, "deadline"));
	/* A deadline still in the future is fine. */
	assert_int_equal(baton_call(client, "/baton.v1.System/Info", NULL, 0, NULL, &res), BATON_OK);
	baton_result_clear(&res);
}

/* A raw nng req0 socket, for frames libbaton would never send. */
static nng_socket raw_open(void)
{
	nng_socket s;
	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 3000), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 3000), 0);
	assert_int_equal(nng_dial(s, srv.url, NULL, 0), 0);
	return s;
}

static void ping_still_works(void)
{
	baton_result res;
	assert_int_equal(baton_ping(client, "after", 5, 5000, &res), BATON_OK);
	assert_int_equal(res.payload_len, 5);
	baton_result_clear(&res);
}

static void garbage_frame_gets_invalid_argument_and_server_stays_up(void **state)
{
	static const char garbage[] = "\xff\xfe this is not a protobuf frame \x00\x01";
	nng_socket s = raw_open();
	nng_msg *m;
	(void)state;

	assert_int_equal(nng_send(s, (void *)garbage, sizeof(garbage), 0), 0);
	assert_int_equal(nng_recvmsg(s, &m, 0), 0);
	Baton__V1__ReplyFrame *r = baton__v1__reply_frame__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
	assert_non_null(r);
	assert_int_equal(r->status, BATON_INVALID_ARGUMENT);
	assert_non_null(strstr(r->message, "malformed request frame"));
	baton__v1__reply_frame__free_unpacked(r, NULL);
	nng_msg_free(m);
	nng_close(s);
	ping_still_works();
}

static void oversized_frame_drops_the_connection_and_server_stays_up(void **state)
{
	size_t big = 200 * 1024; /* the server was started with --max-message-bytes=65536 */
	uint8_t *buf = calloc(1, big);
	nng_socket s = raw_open();
	nng_msg *m;
	(void)state;

	assert_non_null(buf);
	assert_int_equal(nng_send(s, buf, big, 0), 0);
	/* No reply: nng closes a connection that sends more than the limit. */
	assert_int_not_equal(nng_recvmsg(s, &m, 0), 0);
	nng_close(s);
	free(buf);
	ping_still_works();
}

static void every_call_is_logged_as_one_json_line(void **state)
{
	baton_result res;
	(void)state;
	/* An id we choose, so the line can be found. */
	baton_call_options o = { .has_request_id = true };
	memcpy(o.request_id, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10", 16);
	assert_int_equal(baton_call(client, "/baton.v1.System/Nope", NULL, 0, &o, &res), BATON_UNIMPLEMENTED);
	harness_sleep_ms(100);
	const char *needles[] = { "{\"ts\":\"", "\"event\":\"call\"", "\"method\":\"/baton.v1.System/Nope\"",
		"\"status\":\"UNIMPLEMENTED\"", "\"duration_us\":", "\"request_id\":\"0102030405060708090a0b0c0d0e0f10\"",
		NULL };
	assert_int_equal(harness_log_count(&srv, needles), 1);
}

/* "--url U --key K --server-key S" for batonctl as the first admin. */
static void admin_flags(char *buf, size_t len)
{
	snprintf(buf, len, "--url %s --key %s --server-key %s.pub", srv.url, srv.admin_key_file, srv.key_file);
}

static void batonctl_exit_codes_and_output(void **state)
{
	char cmd[1024], out[2048], err[2048], flags[900];
	(void)state;

	admin_flags(flags, sizeof(flags));
	snprintf(cmd, sizeof(cmd), "%s %s ping --payload hello --count 2", harness_bin("batonctl"), flags);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "seq=2 bytes=5"));

	/* Health needs no key (container health checks). */
	snprintf(cmd, sizeof(cmd), "%s --url %s --json health", harness_bin("batonctl"), srv.url);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, "{\"status\":\"OK\",\"serving\":\"SERVING\"}\n");

	snprintf(cmd, sizeof(cmd), "%s %s --json info", harness_bin("batonctl"), flags);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "\"schema_version\":"));
	assert_null(strstr(out, "\"schema_version\":1,"));

	/* Everything else needs a key: said plainly, exit 1. */
	snprintf(cmd, sizeof(cmd), "env -u BATON_KEY -u BATON_SERVER_KEY HOME=/nonexistent %s --url %s ping",
	    harness_bin("batonctl"), srv.url);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "needs a key"));

	/* Nobody listens on this port: non-zero, status and message on stderr. */
	snprintf(cmd, sizeof(cmd), "%s --url tcp://127.0.0.1:%d health", harness_bin("batonctl"), harness_free_port());
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "UNAVAILABLE"));
	assert_non_null(strstr(err, "Connection refused"));

	snprintf(cmd, sizeof(cmd), "%s --url tcp://127.0.0.1:%d --json health", harness_bin("batonctl"), harness_free_port());
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(out, "{\"status\":\"UNAVAILABLE\",\"message\":"));

	/* Usage errors are 2; --help on every verb is 0. */
	snprintf(cmd, sizeof(cmd), "%s ping --count zero", harness_bin("batonctl"));
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, "'zero'"));
	snprintf(cmd, sizeof(cmd), "%s frobnicate", harness_bin("batonctl"));
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 2);
	const char *verbs[] = { "", "ping", "health", "info", "keygen", "whoami", "org", "principal", "key" };
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		snprintf(cmd, sizeof(cmd), "%s %s --help", harness_bin("batonctl"), verbs[i]);
		assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
		assert_non_null(strstr(out, "Usage: batonctl"));
	}
}

/* The character (not byte) at which "enabled" starts on the line of out
 * that begins with handle; fails the case if there is none. */
static int state_column(const char *out, const char *handle)
{
	const char *line = strstr(out, handle), *at;
	int col = 0;

	assert_non_null(line);
	assert_true(line == out || line[-1] == '\n');
	at = strstr(line, " enabled");
	assert_non_null(at);
	assert_null(memchr(line, '\n', (size_t)(at - line)));
	for (const char *p = line; p < at; p++)
		if (((unsigned char)*p & 0xC0) != 0x80)
			col++;
	return col;
}

static void batonctl_registers_a_partner_and_its_people(void **state)
{
	char cmd[1400], out[4096], err[2048], flags[900], key[400], conf[400], pub[128];
	struct stat st;
	FILE *f;
	(void)state;

	admin_flags(flags, sizeof(flags));
	/* keygen: 0600, prints the printable public key, never overwrites. */
	snprintf(key, sizeof(key), "%s/ola.key", pg.dir);
	snprintf(cmd, sizeof(cmd), "%s keygen --out %s", harness_bin("batonctl"), key);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(strncmp(out, "ed25519:", 8), 0);
	assert_int_equal(strlen(out), 52); /* 51 characters and a newline */
	snprintf(pub, sizeof(pub), "%.51s", out);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "ALREADY_EXISTS"));

	snprintf(cmd, sizeof(cmd), "%s %s org add cli-nights --kind after_hours --languages pl,en "
	    "--time-zone Europe/Warsaw", harness_bin("batonctl"), flags);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "cli-nights"));
	snprintf(cmd, sizeof(cmd), "%s %s principal add ola --org cli-nights --role agent --name 'Ola N' "
	    "--public-key %s", harness_bin("batonctl"), flags, pub);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);

	/* Names in UTF-8 keep the table's columns: the state column starts at
	 * the same character for Ola and for Łucja (printf pads by bytes). */
	snprintf(cmd, sizeof(cmd), "%s %s principal add lucja --org cli-nights --role agent "
	    "--name '\xc5\x81ucja Wi\xc5\x9bniewska'", harness_bin("batonctl"), flags);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "%s %s principal list --org cli-nights", harness_bin("batonctl"), flags);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	assert_int_equal(state_column(out, "ola "), state_column(out, "lucja "));

	/* Ola's settings file: url, key and server key, no flags needed. */
	snprintf(conf, sizeof(conf), "%s/ola.conf", pg.dir);
	assert_non_null(f = fopen(conf, "w"));
	fprintf(f, "# batonctl settings\nurl = %s\nkey = %s\nserver-key = %s.pub\n", srv.url, key, srv.key_file);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s --config %s whoami", harness_bin("batonctl"), conf);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "ola (Ola N), agent of cli-nights"));
	/* A partner sees only its own organization. */
	snprintf(cmd, sizeof(cmd), "%s --config %s --json org list", harness_bin("batonctl"), conf);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	assert_non_null(strstr(out, "cli-nights"));
	assert_null(strstr(out, "in-house"));
	/* and may not register anyone. */
	snprintf(cmd, sizeof(cmd), "%s --config %s principal add eve --org cli-nights --role agent",
	    harness_bin("batonctl"), conf);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "PERMISSION_DENIED"));
	/* Disabled: refused at once. */
	snprintf(cmd, sizeof(cmd), "%s %s principal disable ola --reason left", harness_bin("batonctl"), flags);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 0);
	snprintf(cmd, sizeof(cmd), "%s --config %s whoami", harness_bin("batonctl"), conf);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 1);
	assert_non_null(strstr(err, "disabled"));
	/* A settings file with a typo is a usage error naming the line. */
	assert_non_null(f = fopen(conf, "w"));
	fprintf(f, "urll = %s\n", srv.url);
	fclose(f);
	snprintf(cmd, sizeof(cmd), "%s --config %s whoami", harness_bin("batonctl"), conf);
	assert_int_equal(harness_run(cmd, out, sizeof(out), err, sizeof(err)), 2);
	assert_non_null(strstr(err, ":1: unknown setting 'urll'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(ping_echoes_payloads_of_every_size),
		cmocka_unit_test(concurrent_calls_get_their_own_replies),
		cmocka_unit_test(health_is_serving),
		cmocka_unit_test(info_reads_the_database),
		cmocka_unit_test(unknown_method_is_unimplemented),
		cmocka_unit_test(payload_that_does_not_unpack_is_invalid_argument),
		cmocka_unit_test(expired_deadline_is_refused),
		cmocka_unit_test(garbage_frame_gets_invalid_argument_and_server_stays_up),
		cmocka_unit_test(oversized_frame_drops_the_connection_and_server_stays_up),
		cmocka_unit_test(every_call_is_logged_as_one_json_line),
		cmocka_unit_test(batonctl_exit_codes_and_output),
		cmocka_unit_test(batonctl_registers_a_partner_and_its_people),
	};
	return cmocka_run_group_tests_name("integration: rpc", tests, setup, teardown);
}
