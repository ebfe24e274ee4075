/* fuzz_dispatch.c - feeds arbitrary bytes to rpc_dispatch as one request frame from a peer. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/v1/health.pb-c.h"
#include "baton/v1/system.pb-c.h"
#include "baton/v1/wire.pb-c.h"
#include "common/clock.h"
#include "server/rpc.h"
#include "server/services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Small first block, so that larger calls chain blocks and reset frees them. */
#define ARENA_FIRST_BYTES 4096
#define MAX_CALL_MS       1000

static rpc_server server;
static arena      call_arena;
static bool       ready;

/* The harness checks invariants, not the code: a violation is a bug in
 * batond, reported as a crash with the reason on stderr. */
static void fail(const char *why)
{
	fprintf(stderr, "fuzz_dispatch: invariant violated: %s\n", why);
	abort();
}

static void setup(void)
{
	static const rpc_service_impl *const services[] = BATON_SERVICES;
	status_msg m;

	if (rpc_table_build(&server.table, services, sizeof(services) / sizeof(services[0]), &m)
	    != BATON_OK) {
		fprintf(stderr, "fuzz_dispatch: rpc_table_build: %s\n", m.text);
		abort();
	}
	atomic_init(&server.draining, false);
	server.max_call_ms = MAX_CALL_MS;
	server.started_ns = clock_monotonic_ns();
	if (arena_init(&call_arena, ARENA_FIRST_BYTES) != 0) {
		fprintf(stderr, "fuzz_dispatch: arena_init: out of memory\n");
		abort();
	}
	ready = true;
}

static bool bytes_equal(ProtobufCBinaryData a, ProtobufCBinaryData b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

/* The reply must survive the trip to the peer: pack it, read it back, compare. */
static void check_packs(const Baton__V1__ReplyFrame *reply)
{
	size_t size = baton__v1__reply_frame__get_packed_size(reply);
	uint8_t *buf = malloc(size ? size : 1);
	Baton__V1__ReplyFrame *back;

	if (buf == NULL)
		fail("out of memory packing the reply");
	if (baton__v1__reply_frame__pack(reply, buf) != size)
		fail("packed reply size differs from get_packed_size");
	if ((back = baton__v1__reply_frame__unpack(NULL, size, buf)) == NULL)
		fail("packed reply does not unpack");
	if (back->status != reply->status)
		fail("reply status changed through pack/unpack");
	if (strcmp(back->message, reply->message) != 0)
		fail("reply message changed through pack/unpack (embedded NUL?)");
	if (!bytes_equal(back->payload, reply->payload))
		fail("reply payload changed through pack/unpack");
	if (!bytes_equal(back->request_id, reply->request_id))
		fail("reply request_id changed through pack/unpack");
	baton__v1__reply_frame__free_unpacked(back, NULL);
	free(buf);
}

/* What a correct server answers, given what the frame says (req may be NULL
 * when the frame does not parse). now_before/now_after bracket the call. */
static void check_semantics(const Baton__V1__RequestFrame *req, const Baton__V1__ReplyFrame *reply,
    int64_t now_before, int64_t now_after)
{
	if (req == NULL) {
		if (reply->status != BATON__V1__STATUS_CODE__INVALID_ARGUMENT)
			fail("an unreadable frame must answer INVALID_ARGUMENT");
		if (reply->request_id.len != 0)
			fail("an unreadable frame cannot echo a request_id");
		return;
	}
	/* This harness holds no sessions (fuzz_frame.c covers sealed frames). */
	if (req->session_id.len != 0 || req->sealed.len != 0) {
		if (reply->status != BATON__V1__STATUS_CODE__UNAUTHENTICATED &&
		    reply->status != BATON__V1__STATUS_CODE__INVALID_ARGUMENT)
			fail("a sealed frame of no live session must be refused");
		if (reply->sealed.len != 0)
			fail("a frame that was never opened got a sealed reply");
		return;
	}
	if (req->signature.len != 0) {
		if (reply->status != BATON__V1__STATUS_CODE__INVALID_ARGUMENT)
			fail("a signature outside a sealed frame must answer INVALID_ARGUMENT");
		return;
	}
	if (req->request_id.len != 0 && req->request_id.len != 16) {
		if (reply->status != BATON__V1__STATUS_CODE__INVALID_ARGUMENT)
			fail("a request_id that is not 16 bytes must answer INVALID_ARGUMENT");
		if (reply->request_id.len != 0)
			fail("a bad request_id must not be echoed");
		return;
	}
	if (!bytes_equal(req->request_id, reply->request_id))
		fail("the reply does not carry the request's request_id");

	const rpc_method *m = rpc_table_find(&server.table, req->method);
	if (m == NULL) {
		if (reply->status != BATON__V1__STATUS_CODE__UNIMPLEMENTED)
			fail("an unknown method must answer UNIMPLEMENTED");
		return;
	}
	if (!(m->impl->flags & RPC_NO_SESSION)) {
		if (reply->status != BATON__V1__STATUS_CODE__UNAUTHENTICATED)
			fail("a method that needs a session must refuse an unsealed frame");
		return;
	}
	if (req->deadline_unix_ms < 0) {
		if (reply->status != BATON__V1__STATUS_CODE__INVALID_ARGUMENT)
			fail("a negative deadline must answer INVALID_ARGUMENT");
		return;
	}
	if (req->deadline_unix_ms != 0 && req->deadline_unix_ms <= now_before) {
		if (reply->status != BATON__V1__STATUS_CODE__DEADLINE_EXCEEDED)
			fail("a deadline already past must answer DEADLINE_EXCEEDED");
		return;
	}
	if (req->deadline_unix_ms == 0 || req->deadline_unix_ms > now_after) {
		if (reply->status == BATON__V1__STATUS_CODE__DEADLINE_EXCEEDED)
			fail("DEADLINE_EXCEEDED for a deadline still in the future");
	}
	if (reply->status == BATON__V1__STATUS_CODE__DEADLINE_EXCEEDED)
		return; /* the deadline passed during the call: nothing more to say */

	ProtobufCMessage *in = protobuf_c_message_unpack(m->desc->input, NULL, req->payload.len,
	    req->payload.data);
	if (in == NULL) {
		if (reply->status != BATON__V1__STATUS_CODE__INVALID_ARGUMENT)
			fail("a payload that is not the method's input must answer INVALID_ARGUMENT");
		return;
	}

	/* No database: transactional methods cannot run; the rest answer from memory. */
	if (m->impl->flags & RPC_TX) {
		if (reply->status != BATON__V1__STATUS_CODE__UNAVAILABLE)
			fail("a transactional method without a database must answer UNAVAILABLE");
	} else if (strcmp(m->path, "/baton.v1.Health/Check") == 0) {
		const Baton__V1__HealthCheckRequest *hc = (const Baton__V1__HealthCheckRequest *)in;
		Baton__V1__HealthCheckResponse *rep;

		if (hc->service[0] != '\0' && !rpc_table_has_service(&server.table, hc->service)) {
			if (reply->status != BATON__V1__STATUS_CODE__NOT_FOUND)
				fail("Health/Check of an unknown service must answer NOT_FOUND");
		} else {
			if (reply->status != BATON__V1__STATUS_CODE__OK)
				fail("Health/Check of a known service must answer OK");
			rep = baton__v1__health_check_response__unpack(NULL, reply->payload.len,
			    reply->payload.data);
			if (rep == NULL)
				fail("Health/Check's reply payload is not a HealthCheckResponse");
			if (rep->status != BATON__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING)
				fail("Health/Check without a database must say NOT_SERVING");
			baton__v1__health_check_response__free_unpacked(rep, NULL);
		}
	}
	protobuf_c_message_free_unpacked(in, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Baton__V1__ReplyFrame reply;
	Baton__V1__RequestFrame *req;
	int64_t now_before, now_after;

	if (!ready)
		setup();

	rpc_call call = {
		.server = &server,
		.db = NULL,
		.arena = &call_arena,
	};
	now_before = clock_realtime_ms();
	rpc_dispatch(&call, data, size, &reply);
	now_after = clock_realtime_ms();

	if ((int)reply.status < 0 || (int)reply.status > BATON_STATUS_MAX)
		fail("reply status outside 0..16");
	if (reply.message == NULL)
		fail("reply message is NULL");
	if (strnlen(reply.message, sizeof(call.status.text)) >= sizeof(call.status.text))
		fail("reply message is not a NUL-terminated string of the status buffer");
	if (reply.status == BATON__V1__STATUS_CODE__OK) {
		if (reply.message[0] != '\0')
			fail("an OK reply carries a message");
	} else {
		if (reply.message[0] == '\0')
			fail("a non-OK reply has an empty message");
		if (reply.payload.len != 0)
			fail("a non-OK reply carries a payload");
	}
	if (reply.request_id.len != 0 && reply.request_id.len != 16)
		fail("reply request_id is neither empty nor 16 bytes");
	if ((int)call.status.status != (int)reply.status)
		fail("call->status.status and the reply's status differ");
	if (call.method_name == NULL)
		fail("call->method_name is NULL (logs need it)");

	check_packs(&reply);

	req = baton__v1__request_frame__unpack(NULL, size, data);
	check_semantics(req, &reply, now_before, now_after);
	if (req != NULL)
		baton__v1__request_frame__free_unpacked(req, NULL);

	arena_reset(&call_arena);
	return 0;
}
