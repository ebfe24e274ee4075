/* test_rpc.c - the method table built from descriptors, and dispatch decisions without a database. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

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
	static const rpc_method_impl missing[] = { { "Ping", nothing, 0, 0 } };
	static const rpc_method_impl extra[] = { { "Ping", nothing, 0, 0 }, { "Info", nothing, 0, 0 }, { "Pong", nothing, 0, 0 } };
	static const rpc_method_impl twice[] = { { "Ping", nothing, 0, 0 }, { "Info", nothing, 0, 0 }, { "Ping", nothing, 0, 0 } };
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

/* Two live sessions, as a handshake would leave them: an agent's and an
 * admin's. Frames are sealed with their keys as a client would. */
enum { PLAIN = 0, AS_AGENT = 1, AS_ADMIN = 2, UNKNOWN_SESSION = 3 };
static chan_keys session_keys[3];
static uint8_t   session_ids[4][CHAN_SESSION_ID_BYTES];
static uint64_t  counters[4];

static int dispatch_setup(void **state)
{
	const rpc_service_impl *services[] = BATON_SERVICES;
	status_msg m;
	(void)state;
	server.max_call_ms = 1000;
	atomic_init(&server.draining, false);
	if (rpc_table_build(&server.table, services, sizeof(services) / sizeof(services[0]), &m) != BATON_OK)
		return -1;
	if ((server.sessions = session_store_new(16, 4)) == NULL ||
	    (server.handshake_limit = ratelimit_new(30)) == NULL)
		return -1;
	for (int i = AS_AGENT; i <= UNKNOWN_SESSION; i++) {
		session_caller who = { .role = i == AS_ADMIN ? ROLE_ADMIN : ROLE_AGENT, .in_house = i == AS_ADMIN };
		memset(session_ids[i], i, CHAN_SESSION_ID_BYTES);
		if (i == UNKNOWN_SESSION)
			break;
		snprintf(who.handle, sizeof(who.handle), "%s", i == AS_ADMIN ? "admin" : "agent");
		randombytes_buf(&session_keys[i], sizeof(session_keys[i]));
		if (session_add(server.sessions, session_ids[i], &session_keys[i], &who,
		        clock_realtime_ms() + 600000, &m) != BATON_OK)
			return -1;
	}
	return arena_init(&scratch, 4096);
}

static int dispatch_teardown(void **state)
{
	(void)state;
	rpc_table_free(&server.table);
	session_store_free(server.sessions);
	ratelimit_free(server.handshake_limit);
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

static baton_status dispatch_plain(const uint8_t *buf, size_t len, Baton__V1__ReplyFrame *reply, char *msg, size_t msglen)
{
	rpc_call call = { .server = &server, .db = NULL, .arena = &scratch };
	rpc_dispatch(&call, buf, len, reply);
	snprintf(msg, msglen, "%s", reply->message);
	return (baton_status)reply->status;
}

/*
 * Sends inner[0..len) as session `as` would (sealed, next counter; or
 * plain), and opens the reply: *reply is then the inner reply, in scratch.
 */
static baton_status dispatch(int as, const uint8_t *inner, size_t len, Baton__V1__ReplyFrame *reply,
    char *msg, size_t msglen)
{
	Baton__V1__RequestFrame outer = BATON__V1__REQUEST_FRAME__INIT;
	uint8_t sealed[600], buf[700];
	uint64_t counter;

	if (as == PLAIN)
		return dispatch_plain(inner, len, reply, msg, msglen);
	counter = ++counters[as];
	if (as != UNKNOWN_SESSION)
		assert_int_equal(chan_seal(session_keys[as].c2s, CHAN_C2S, session_ids[as], counter, inner, len, sealed), CHAN_OK);
	outer.method = "";
	outer.session_id = (ProtobufCBinaryData){ CHAN_SESSION_ID_BYTES, session_ids[as] };
	outer.counter = counter;
	outer.sealed = (ProtobufCBinaryData){ len + CHAN_TAG_BYTES, sealed };
	size_t n = baton__v1__request_frame__pack(&outer, buf);
	baton_status s = dispatch_plain(buf, n, reply, msg, msglen);
	if (reply->sealed.len == 0)
		return s; /* refused before the frame was opened */
	assert_int_equal(reply->counter, counter);
	uint8_t *plain = arena_alloc(&scratch, reply->sealed.len);
	assert_non_null(plain);
	assert_int_equal(chan_open(session_keys[as].s2c, CHAN_S2C, session_ids[as], counter, reply->sealed.data,
	                     reply->sealed.len, plain), CHAN_OK);
	Baton__V1__ReplyFrame *opened = baton__v1__reply_frame__unpack(arena_protobuf(&scratch),
	    reply->sealed.len - CHAN_TAG_BYTES, plain);
	assert_non_null(opened);
	*reply = *opened;
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
		int as;
		baton_status want;
		const char *message;
	} cases[] = {
		{ "ping", "/baton.v1.System/Ping", &ping.base, future, 16, false, AS_AGENT, BATON_OK, "" },
		{ "ping without deadline", "/baton.v1.System/Ping", &ping.base, 0, 16, false, AS_AGENT, BATON_OK, "" },
		{ "ping unsealed", "/baton.v1.System/Ping", &ping.base, future, 16, false, PLAIN, BATON_UNAUTHENTICATED, "needs a session" },
		{ "ping in an unknown session", "/baton.v1.System/Ping", &ping.base, future, 16, false, UNKNOWN_SESSION,
		  BATON_UNAUTHENTICATED, "session unknown" },
		{ "unknown", "/baton.v1.System/Pong", NULL, future, 16, false, AS_AGENT, BATON_UNIMPLEMENTED, "unknown method '/baton.v1.System/Pong'" },
		{ "unknown unsealed", "/baton.v1.System/Pong", NULL, future, 16, false, PLAIN, BATON_UNIMPLEMENTED, "unknown method" },
		{ "unprintable name", "/x\n\x01y", NULL, future, 16, false, AS_AGENT, BATON_UNIMPLEMENTED, "unknown method '/x??y'" },
		{ "past deadline", "/baton.v1.System/Info", NULL, 1, 16, false, AS_AGENT, BATON_DEADLINE_EXCEEDED, "deadline passed" },
		{ "negative deadline", "/baton.v1.System/Ping", NULL, -5, 16, false, AS_AGENT, BATON_INVALID_ARGUMENT, "deadline_unix_ms" },
		{ "short request id", "/baton.v1.System/Ping", NULL, future, 3, false, AS_AGENT, BATON_INVALID_ARGUMENT, "request_id must be 16 bytes" },
		{ "no request id", "/baton.v1.System/Ping", NULL, future, 0, false, AS_AGENT, BATON_OK, "" },
		{ "no database", "/baton.v1.System/Info", NULL, future, 16, false, AS_AGENT, BATON_UNAVAILABLE, "database unavailable" },
		{ "draining refuses", "/baton.v1.System/Ping", &ping.base, future, 16, true, AS_AGENT, BATON_UNAVAILABLE, "shutting down" },
		{ "draining health answers", "/baton.v1.Health/Check", &health.base, future, 16, true, PLAIN, BATON_OK, "" },
		{ "health in a session", "/baton.v1.Health/Check", &health.base, future, 16, false, AS_AGENT, BATON_OK, "" },
		{ "wrong payload type", "/baton.v1.Health/Check", &varint_field.base, future, 16, false, PLAIN, BATON_INVALID_ARGUMENT,
		  "not a valid baton.v1.HealthCheckRequest" },
		{ "role may not", "/baton.v1.Identity/AddOrg", NULL, future, 16, false, AS_AGENT, BATON_PERMISSION_DENIED,
		  "role agent may not call /baton.v1.Identity/AddOrg" },
		{ "mutation unsigned", "/baton.v1.Identity/AddOrg", NULL, future, 16, false, AS_ADMIN, BATON_UNAUTHENTICATED,
		  "needs the principal's signature" },
		{ "mutation without request id", "/baton.v1.Identity/AddOrg", NULL, future, 0, false, AS_ADMIN, BATON_INVALID_ARGUMENT,
		  "needs a 16-byte request_id" },
		{ "handshake of a wrong version", "/baton.v1.Session/Handshake", NULL, future, 16, false, PLAIN,
		  BATON_UNAUTHENTICATED, "version 0 is not supported" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t buf[512];
		char msg[400];
		Baton__V1__ReplyFrame reply;
		atomic_store(&server.draining, cases[i].draining);
		size_t len = frame(buf, cases[i].method, cases[i].msg, cases[i].deadline, cases[i].id_len);
		baton_status s = dispatch(cases[i].as, buf, len, &reply, msg, sizeof(msg));
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
	assert_int_equal(dispatch(AS_AGENT, buf, len, &reply, msg, sizeof(msg)), BATON_OK);
	Baton__V1__PingReply *pr = baton__v1__ping_reply__unpack(NULL, reply.payload.len, reply.payload.data);
	assert_non_null(pr);
	assert_int_equal(pr->payload.len, 5);
	assert_memory_equal(pr->payload.data, "hello", 5);
	baton__v1__ping_reply__free_unpacked(pr, NULL);
	arena_reset(&scratch);

	len = frame(buf, "/baton.v1.Health/Check", &health.base, 0, 16);
	assert_int_equal(dispatch(PLAIN, buf, len, &reply, msg, sizeof(msg)), BATON_OK);
	Baton__V1__HealthCheckResponse *hr =
	    baton__v1__health_check_response__unpack(NULL, reply.payload.len, reply.payload.data);
	assert_non_null(hr);
	assert_int_equal(hr->status, BATON__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
	baton__v1__health_check_response__free_unpacked(hr, NULL);
	arena_reset(&scratch);
}

static void sealed_frames_are_refused_when_replayed_tampered_or_orphaned(void **state)
{
	Baton__V1__PingRequest ping = BATON__V1__PING_REQUEST__INIT;
	Baton__V1__RequestFrame outer = BATON__V1__REQUEST_FRAME__INIT;
	Baton__V1__ReplyFrame reply;
	uint8_t inner[256], sealed[300], buf[400];
	char msg[400];
	(void)state;

	ping.payload = (ProtobufCBinaryData){ 2, (uint8_t *)"hi" };
	size_t len = frame(inner, "/baton.v1.System/Ping", &ping.base, 0, 16);
	uint64_t counter = ++counters[AS_AGENT];
	assert_int_equal(chan_seal(session_keys[AS_AGENT].c2s, CHAN_C2S, session_ids[AS_AGENT], counter, inner, len, sealed), CHAN_OK);
	outer.method = "";
	outer.session_id = (ProtobufCBinaryData){ CHAN_SESSION_ID_BYTES, session_ids[AS_AGENT] };
	outer.counter = counter;
	outer.sealed = (ProtobufCBinaryData){ len + CHAN_TAG_BYTES, sealed };
	size_t n = baton__v1__request_frame__pack(&outer, buf);

	/* Tampered: one bit of the sealed body. Refused unsealed, window untouched. */
	buf[n - 1] ^= 1;
	assert_int_equal(dispatch_plain(buf, n, &reply, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	assert_int_equal(reply.sealed.len, 0);
	assert_non_null(strstr(msg, "refused"));
	assert_false(reply.renew_session);
	arena_reset(&scratch);
	buf[n - 1] ^= 1;
	/* The genuine frame then works once (its counter was not burnt)... */
	assert_int_equal(dispatch_plain(buf, n, &reply, msg, sizeof(msg)), BATON_OK);
	assert_int_not_equal(reply.sealed.len, 0);
	arena_reset(&scratch);
	/* ...and never twice. */
	assert_int_equal(dispatch_plain(buf, n, &reply, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	assert_non_null(strstr(msg, "replay"));
	assert_int_equal(reply.sealed.len, 0);
	arena_reset(&scratch);

	/* An unknown session asks the client to renew. */
	len = frame(inner, "/baton.v1.System/Ping", &ping.base, 0, 16);
	assert_int_equal(dispatch(UNKNOWN_SESSION, inner, len, &reply, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	assert_true(reply.renew_session);
	arena_reset(&scratch);
}

static void garbage_is_invalid_argument(void **state)
{
	static const uint8_t garbage[] = { 0xff, 0xff, 0xff, 0xff, 0x01 };
	Baton__V1__ReplyFrame reply;
	char msg[400];
	(void)state;
	assert_int_equal(dispatch_plain(garbage, sizeof(garbage), &reply, msg, sizeof(msg)), BATON_INVALID_ARGUMENT);
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
		cmocka_unit_test(sealed_frames_are_refused_when_replayed_tampered_or_orphaned),
		cmocka_unit_test(garbage_is_invalid_argument),
	};
	int failed = cmocka_run_group_tests_name("unit: rpc table", table_tests, NULL, NULL);
	failed += cmocka_run_group_tests_name("unit: rpc dispatch", dispatch_tests, dispatch_setup, dispatch_teardown);
	return failed;
}
