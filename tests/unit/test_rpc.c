/* test_rpc.c - the method table built from descriptors, and dispatch decisions without a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "baton/v1/health.pb-c.h"
#include "baton/v1/system.pb-c.h"
#include "common/clock.h"
#include "server/services.h"

static baton_status nothing(rpc_call *call, const ProtobufCMessage *in, ProtobufCMessage *out)
{
	(void)call; (void)in; (void)out;
	return BATON_OK;
}

static void table_holds_every_declared_method(void **state)
{
	const rpc_service_impl *services[] = BATON_SERVICES;
	rpc_table t;
	status_msg m;
	(void)state;
	assert_int_equal(rpc_table_build(&t, services, 2, &m), BATON_OK);
	assert_int_equal(t.n, 3);
	assert_non_null(rpc_table_find(&t, "/baton.v1.System/Ping"));
	assert_non_null(rpc_table_find(&t, "/baton.v1.System/Info"));
	assert_non_null(rpc_table_find(&t, "/baton.v1.Health/Check"));
	assert_null(rpc_table_find(&t, "/baton.v1.System/ping"));
	assert_null(rpc_table_find(&t, "baton.v1.System/Ping"));
	assert_true(rpc_table_has_service(&t, "baton.v1.Health"));
	assert_false(rpc_table_has_service(&t, "baton.v1"));
	rpc_table_free(&t);
}

/* Build mistakes are caught at start-up with a message naming the method. */
static void table_refuses_missing_extra_and_double_handlers(void **state)
{
	static const rpc_method_impl missing[] = { { "Ping", nothing, 0 } };
	static const rpc_method_impl extra[] = { { "Ping", nothing, 0 }, { "Info", nothing, 0 }, { "Pong", nothing, 0 } };
	static const rpc_method_impl twice[] = { { "Ping", nothing, 0 }, { "Info", nothing, 0 }, { "Ping", nothing, 0 } };
	const struct { rpc_service_impl svc; const char *why; } cases[] = {
		{ { &baton__v1__system__descriptor, missing, 1 }, "baton.v1.System.Info is declared but has no handler" },
		{ { &baton__v1__system__descriptor, extra, 3 }, "'Pong', which its .proto does not declare" },
		{ { &baton__v1__system__descriptor, twice, 3 }, "baton.v1.System.Ping has two handlers" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const rpc_service_impl *services[] = { &cases[i].svc };
		rpc_table t;
		status_msg m;
		assert_int_equal(rpc_table_build(&t, services, 1, &m), BATON_INTERNAL);
		assert_non_null(strstr(m.text, cases[i].why));
		assert_null(t.methods);
	}
	/* The same service twice. */
	const rpc_service_impl *dup[] = { &svc_system, &svc_system };
	rpc_table t;
	status_msg m;
	assert_int_equal(rpc_table_build(&t, dup, 2, &m), BATON_INTERNAL);
	assert_non_null(strstr(m.text, "registered twice"));
}

/* Golden bytes: the wire form of a request frame must never change by accident. */
static void request_frame_golden_bytes(void **state)
{
	static const uint8_t golden[] = {
		0x0a, 0x15, '/', 'b', 'a', 't', 'o', 'n', '.', 'v', '1', '.', 'S', 'y', 's', 't', 'e', 'm', '/', 'P', 'i', 'n', 'g',
		0x12, 0x10, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15,
		0x18, 0xe8, 0x07,                   /* deadline_unix_ms = 1000 */
		0x22, 0x04, 0x0a, 0x02, 'h', 'i',   /* payload = PingRequest{payload: "hi"} */
	};
	uint8_t id[16], ping[4] = { 0x0a, 0x02, 'h', 'i' }, buf[128];
	Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
	(void)state;
	for (int i = 0; i < 16; i++)
		id[i] = (uint8_t)i;
	f.method = "/baton.v1.System/Ping";
	f.request_id = (ProtobufCBinaryData){ 16, id };
	f.deadline_unix_ms = 1000;
	f.payload = (ProtobufCBinaryData){ 4, ping };
	assert_int_equal(baton__v1__request_frame__get_packed_size(&f), sizeof(golden));
	baton__v1__request_frame__pack(&f, buf);
	assert_memory_equal(buf, golden, sizeof(golden));
}

/* ---- dispatch ------------------------------------------------------------ */

static rpc_server server;
static arena      scratch;

static int dispatch_setup(void **state)
{
	const rpc_service_impl *services[] = BATON_SERVICES;
	status_msg m;
	(void)state;
	server.max_call_ms = 1000;
	atomic_init(&server.draining, false);
	if (rpc_table_build(&server.table, services, 2, &m) != BATON_OK)
		return -1;
	return arena_init(&scratch, 4096);
}

static int dispatch_teardown(void **state)
{
	(void)state;
	rpc_table_free(&server.table);
	arena_fini(&scratch);
	return 0;
}

/* Packs a request frame for method with payload msg (NULL = empty). */
static size_t frame(uint8_t *buf, const char *method, const ProtobufCMessage *msg, int64_t deadline,
    size_t id_len)
{
	Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
	uint8_t payload[256], id[32] = { 7 };
	f.method = (char *)method;
	f.deadline_unix_ms = deadline;
	f.request_id = (ProtobufCBinaryData){ id_len, id };
	if (msg != NULL)
		f.payload = (ProtobufCBinaryData){ protobuf_c_message_pack(msg, payload), payload };
	return baton__v1__request_frame__pack(&f, buf);
}

static baton_status dispatch(const uint8_t *buf, size_t len, Baton__V1__ReplyFrame *reply, char *msg, size_t msglen)
{
	rpc_call call = { .server = &server, .db = NULL, .arena = &scratch };
	rpc_dispatch(&call, buf, len, reply);
	snprintf(msg, msglen, "%s", reply->message);
	return (baton_status)reply->status;
}

static void dispatch_case_table(void **state)
{
	Baton__V1__PingRequest ping = BATON__V1__PING_REQUEST__INIT;
	Baton__V1__HealthCheckRequest health = BATON__V1__HEALTH_CHECK_REQUEST__INIT;
	/* Field 1 as a varint, where HealthCheckRequest has a string. */
	Baton__V1__HealthCheckResponse varint_field = BATON__V1__HEALTH_CHECK_RESPONSE__INIT;
	int64_t future = clock_realtime_ms() + 60000;
	ping.payload = (ProtobufCBinaryData){ 5, (uint8_t *)"hello" };
	varint_field.status = BATON__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
	const struct {
		const char *name, *method;
		const ProtobufCMessage *msg;
		int64_t deadline;
		size_t id_len;
		bool draining;
		baton_status want;
		const char *message;
	} cases[] = {
		{ "ping", "/baton.v1.System/Ping", &ping.base, future, 16, false, BATON_OK, "" },
		{ "ping without deadline", "/baton.v1.System/Ping", &ping.base, 0, 16, false, BATON_OK, "" },
		{ "unknown", "/baton.v1.System/Pong", NULL, future, 16, false, BATON_UNIMPLEMENTED, "unknown method '/baton.v1.System/Pong'" },
		{ "unprintable name", "/x\n\x01y", NULL, future, 16, false, BATON_UNIMPLEMENTED, "unknown method '/x??y'" },
		{ "past deadline", "/baton.v1.System/Info", NULL, 1, 16, false, BATON_DEADLINE_EXCEEDED, "deadline passed" },
		{ "negative deadline", "/baton.v1.System/Ping", NULL, -5, 16, false, BATON_INVALID_ARGUMENT, "deadline_unix_ms" },
		{ "short request id", "/baton.v1.System/Ping", NULL, future, 3, false, BATON_INVALID_ARGUMENT, "request_id must be 16 bytes" },
		{ "no request id", "/baton.v1.System/Ping", NULL, future, 0, false, BATON_OK, "" },
		{ "no database", "/baton.v1.System/Info", NULL, future, 16, false, BATON_UNAVAILABLE, "database unavailable" },
		{ "draining refuses", "/baton.v1.System/Ping", &ping.base, future, 16, true, BATON_UNAVAILABLE, "shutting down" },
		{ "draining health answers", "/baton.v1.Health/Check", &health.base, future, 16, true, BATON_OK, "" },
		{ "wrong payload type", "/baton.v1.Health/Check", &varint_field.base, future, 16, false, BATON_INVALID_ARGUMENT,
		  "not a valid baton.v1.HealthCheckRequest" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[512];
		char msg[400];
		Baton__V1__ReplyFrame reply;
		atomic_store(&server.draining, cases[i].draining);
		size_t len = frame(buf, cases[i].method, cases[i].msg, cases[i].deadline, cases[i].id_len);
		baton_status s = dispatch(buf, len, &reply, msg, sizeof(msg));
		if (s != cases[i].want || strstr(msg, cases[i].message) == NULL)
			fail_msg("case '%s': %s '%s'", cases[i].name, baton_status_str(s), msg);
		if (s == BATON_OK && cases[i].id_len == 16)
			assert_int_equal(reply.request_id.len, 16);
		arena_reset(&scratch);
	}
	atomic_store(&server.draining, false);
}

static void ping_reply_echoes_and_health_without_database_is_not_serving(void **state)
{
	Baton__V1__PingRequest ping = BATON__V1__PING_REQUEST__INIT;
	Baton__V1__HealthCheckRequest health = BATON__V1__HEALTH_CHECK_REQUEST__INIT;
	Baton__V1__ReplyFrame reply;
	uint8_t buf[512];
	char msg[400];
	(void)state;

	ping.payload = (ProtobufCBinaryData){ 5, (uint8_t *)"hello" };
	size_t len = frame(buf, "/baton.v1.System/Ping", &ping.base, 0, 16);
	assert_int_equal(dispatch(buf, len, &reply, msg, sizeof(msg)), BATON_OK);
	Baton__V1__PingReply *pr = baton__v1__ping_reply__unpack(NULL, reply.payload.len, reply.payload.data);
	assert_non_null(pr);
	assert_int_equal(pr->payload.len, 5);
	assert_memory_equal(pr->payload.data, "hello", 5);
	baton__v1__ping_reply__free_unpacked(pr, NULL);
	arena_reset(&scratch);

	len = frame(buf, "/baton.v1.Health/Check", &health.base, 0, 16);
	assert_int_equal(dispatch(buf, len, &reply, msg, sizeof(msg)), BATON_OK);
	Baton__V1__HealthCheckResponse *hr =
	    baton__v1__health_check_response__unpack(NULL, reply.payload.len, reply.payload.data);
	assert_non_null(hr);
	assert_int_equal(hr->status, BATON__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
	baton__v1__health_check_response__free_unpacked(hr, NULL);
	arena_reset(&scratch);
}

static void garbage_is_invalid_argument(void **state)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x01 };
	Baton__V1__ReplyFrame reply;
	char msg[400];
	(void)state;
	assert_int_equal(dispatch(garbage, sizeof(garbage), &reply, msg, sizeof(msg)), BATON_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "malformed request frame (5 bytes)"));
	assert_int_equal(reply.request_id.len, 0);
	arena_reset(&scratch);
}

int main(void)
{
	const struct CMUnitTest table_tests[] = {
		cmocka_unit_test(table_holds_every_declared_method),
		cmocka_unit_test(table_refuses_missing_extra_and_double_handlers),
		cmocka_unit_test(request_frame_golden_bytes),
	};
	const struct CMUnitTest dispatch_tests[] = {
		cmocka_unit_test(dispatch_case_table),
		cmocka_unit_test(ping_reply_echoes_and_health_without_database_is_not_serving),
		cmocka_unit_test(garbage_is_invalid_argument),
	};
	int failed = cmocka_run_group_tests_name("unit: rpc table", table_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("unit: rpc dispatch", dispatch_tests, dispatch_setup, dispatch_teardown);
	return failed;
}
