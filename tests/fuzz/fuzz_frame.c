/* fuzz_frame.c - sealed frames and handshake messages from a peer: batond's rpc_dispatch and the client's decoding. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "baton/v1/health.pb-c.h"
#include "baton/v1/session.pb-c.h"
#include "baton/v1/system.pb-c.h"
#include "baton/v1/wire.pb-c.h"
#include "common/chan.h"
#include "common/clock.h"
#include "server/log.h"
#include "server/rpc.h"
#include "server/services.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The first input byte b picks the mode (b % MODE_COUNT) and its options
 * (b / MODE_COUNT); the rest of the input is the mode's data.
 *
 *   MODE_SEALED   the plaintext of an inner RequestFrame, sealed as a client
 *                 of a live session would, then sent again as a replay
 *   MODE_OUTER    a whole outer RequestFrame (session id, counter, sealed)
 *   MODE_HELLO    a HandshakeRequest: chan_hello_check, then the unsealed
 *                 /baton.v1.Session/Handshake call through rpc_dispatch
 *   MODE_WELCOME  a HandshakeReply (or a ReplyFrame carrying one) as the
 *                 client reads it: chan_client_finish
 *   MODE_REPLY    a ReplyFrame answering a sealed request, and the same
 *                 bytes as a bare sealed body: chan_open with the s2c key
 *
 * tests/fuzz/make_corpus.py writes seeds for each mode with the same fixed
 * keys as setup() below.
 */
enum { MODE_SEALED, MODE_OUTER, MODE_HELLO, MODE_WELCOME, MODE_REPLY, MODE_COUNT };

/* MODE_SEALED options. */
#define OPT_ADMIN         1u /* the admin's session, else the agent's */
#define OPT_SIGN          2u /* the harness signs the inner frame with the session's key */
#define OPT_COUNTER_SHIFT 2  /* two bits: which counter seals the frame */
static const uint64_t sealed_counters[4] = { 1, 2, 1029, UINT64_MAX };

/* The handshake every session of this harness came from: fixed, so that
 * seeds made once stay valid (the agent's is docs/protocol.md's vector). */
#define HELLO_TIME_MS       INT64_C(1767225600000)
#define WELCOME_EXPIRES_MS  INT64_C(1767229200000)
#define HANDSHAKE_WINDOW_MS 30000 /* chan_hello_check's, when the harness calls it */
#define SERVER_SEED_FROM    0x21
/* A failed handshake costs its peer a token; a limit no run can reach keeps
 * every input's answer independent of the inputs before it. */
#define HANDSHAKES_PER_MINUTE (INT64_C(1) << 40)

#define ARENA_FIRST_BYTES 4096
#define MAX_CALL_MS       1000
#define SESSION_LIFE_MS   3600000
#define MESSAGE_MAX       sizeof(((status_msg *)0)->text)

static const char handshake_method[] = "/baton.v1.Session/Handshake";
static const uint8_t handshake_request_id[CHAN_REQUEST_ID_BYTES] = {
	0x48, 0x53, 0x48, 0x53, 0x48, 0x53, 0x48, 0x53, 0x48, 0x53, 0x48, 0x53, 0x48, 0x53, 0x48, 0x53,
};

/* docs/protocol.md's c2s key: setup() refuses to run if the agent's
 * session no longer derives it (the seeds would all be stale). */
static const uint8_t vector_c2s[CHAN_KEY_BYTES] = {
	0xff, 0xfe, 0x62, 0xdd, 0xc6, 0x0b, 0xb1, 0x0f, 0xed, 0x98, 0x99, 0xd9, 0xf1, 0xb0, 0xb8, 0xf8,
	0xfc, 0x93, 0xd3, 0x76, 0x18, 0x37, 0x2d, 0x46, 0x64, 0xef, 0x43, 0x3b, 0x45, 0x7b, 0xd3, 0xd9,
};

/* A client with a live session. The *_from bytes start 32 (or 16) bytes
 * counting up: the Ed25519 seed, both ephemeral secrets, the session id. */
typedef struct principal {
	const char    *handle;
	unsigned       role;
	uint8_t        seed_from, client_ephemeral_from, server_ephemeral_from, session_id_from;
	/* Filled by setup(). */
	uint8_t        public_key[CHAN_KEY_BYTES];
	uint8_t        secret_key[CHAN_SECRET_KEY_BYTES];
	chan_client_hs hs;      /* the client after its hello, before the welcome */
	chan_welcome   welcome; /* the server's genuine answer */
	chan_keys      keys;
} principal;

enum { AGENT, ADMIN, N_PRINCIPALS };
static principal principals[N_PRINCIPALS] = {
	[AGENT] = { .handle = "agent", .role = ROLE_AGENT, .seed_from = 0x01,
	            .client_ephemeral_from = 0x41, .server_ephemeral_from = 0x61, .session_id_from = 0xa0 },
	[ADMIN] = { .handle = "admin", .role = ROLE_ADMIN, .seed_from = 0x81,
	            .client_ephemeral_from = 0xc1, .server_ephemeral_from = 0xe1, .session_id_from = 0xb0 },
};

static rpc_server  server;
static arena       call_arena;
static bool        ready;
static const char *mode_name = "setup";

/* The harness checks invariants, not the code: a violation is a bug in
 * batond or libbaton, reported as a crash with the reason on stderr. */
static void fail(const char *why)
{
	fprintf(stderr, "fuzz_frame: invariant violated (%s): %s\n", mode_name, why);
	abort();
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fail("out of memory");
	return p;
}

/* Wipes and frees a buffer that held plaintext. */
static void wipe_free(void *p, size_t n)
{
	if (p != NULL)
		sodium_memzero(p, n);
	free(p);
}

static void counting(uint8_t *out, size_t n, uint8_t from)
{
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)(from + i);
}

static bool bytes_equal(ProtobufCBinaryData a, ProtobufCBinaryData b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

static bool bytes_are(ProtobufCBinaryData a, const uint8_t *b, size_t n)
{
	return a.len == n && (n == 0 || memcmp(a.data, b, n) == 0);
}

static void setup(void)
{
	static const rpc_service_impl *const services[] = BATON_SERVICES;
	uint8_t seed[crypto_sign_SEEDBYTES], client_eph[CHAN_KEY_BYTES], server_eph[CHAN_KEY_BYTES];
	uint8_t session_id[CHAN_SESSION_ID_BYTES];
	status_msg m;

	if (sodium_init() < 0)
		fail("sodium_init failed");
	if (rpc_table_build(&server.table, services, sizeof(services) / sizeof(services[0]), &m)
	    != BATON_OK) {
		fprintf(stderr, "fuzz_frame: rpc_table_build: %s\n", m.text);
		abort();
	}
	atomic_init(&server.draining, false);
	server.max_call_ms = MAX_CALL_MS;
	server.started_ns = clock_monotonic_ns();
	server.session_ttl_ms = SESSION_LIFE_MS;
	/* The seeds' hellos are dated HELLO_TIME_MS, whatever the clock says
	 * now: batond's clock check lets every time through so that its
	 * answer stays the same; chan_hello_check's window is fuzzed directly. */
	server.handshake_window_ms = INT64_MAX;
	if ((server.handshake_limit = ratelimit_new(HANDSHAKES_PER_MINUTE)) == NULL)
		fail("out of memory");
	/* The harness's findings go to stderr; batond's warnings about the
	 * handshakes it refuses would bury them. */
	log_setup(LOG_ERROR, LOG_FORMAT_TEXT);
	counting(seed, sizeof(seed), SERVER_SEED_FROM);
	if (crypto_sign_seed_keypair(server.public_key, server.secret_key, seed) != 0)
		fail("the server's key pair");

	for (int i = 0; i < N_PRINCIPALS; i++) {
		principal *p = &principals[i];
		chan_client_hs hs;
		chan_keys keys;

		counting(seed, sizeof(seed), p->seed_from);
		counting(client_eph, sizeof(client_eph), p->client_ephemeral_from);
		counting(server_eph, sizeof(server_eph), p->server_ephemeral_from);
		counting(session_id, sizeof(session_id), p->session_id_from);
		if (crypto_sign_seed_keypair(p->public_key, p->secret_key, seed) != 0)
			fail("a principal's key pair");
		if (chan_client_hello(&p->hs, server.public_key, p->secret_key, HELLO_TIME_MS, client_eph) != CHAN_OK ||
		    chan_hello_check(&p->hs.hello, server.public_key, HELLO_TIME_MS, HANDSHAKE_WINDOW_MS) != CHAN_OK ||
		    chan_server_welcome(&p->hs.hello, server.secret_key, session_id, WELCOME_EXPIRES_MS,
		        server_eph, &p->welcome, &p->keys) != CHAN_OK)
			fail("the fixed handshake does not complete");
		hs = p->hs;
		if (chan_client_finish(&hs, &p->welcome, &keys) != CHAN_OK ||
		    sodium_memcmp(&keys, &p->keys, sizeof(keys)) != 0)
			fail("client and server derive different keys from the fixed handshake");
		chan_keys_wipe(&keys);
	}
	if (memcmp(principals[AGENT].keys.c2s, vector_c2s, sizeof(vector_c2s)) != 0)
		fail("the agent's session is no longer docs/protocol.md's test vector");
	if (arena_init(&call_arena, ARENA_FIRST_BYTES) != 0)
		fail("out of memory");
	ready = true;
}

/* Both sessions as a handshake leaves them, with new replay windows, so
 * that every input starts alike (replays of the corpus are reproducible).
 * Re-adding is much cheaper than a new store per input. */
static void sessions_reset(void)
{
	status_msg m;

	if (server.sessions == NULL && (server.sessions = session_store_new(8, 8)) == NULL)
		fail("out of memory");
	for (int i = 0; i < N_PRINCIPALS; i++) {
		const principal *p = &principals[i];
		session_caller who;

		memset(&who, 0, sizeof(who));
		snprintf(who.principal_id, sizeof(who.principal_id), "00000000-0000-4000-8000-00000000010%u", (unsigned)i % 10);
		snprintf(who.key_id, sizeof(who.key_id), "00000000-0000-4000-8000-00000000020%u", (unsigned)i % 10);
		snprintf(who.org_id, sizeof(who.org_id), "00000000-0000-4000-8000-00000000030%u", (unsigned)i % 10);
		snprintf(who.handle, sizeof(who.handle), "%s", p->handle);
		who.role = p->role;
		who.in_house = p->role == ROLE_ADMIN;
		memcpy(who.public_key, p->public_key, CHAN_KEY_BYTES);
		session_remove(server.sessions, p->welcome.session_id);
		if (session_add(server.sessions, p->welcome.session_id, &p->keys, &who,
		        clock_realtime_ms() + SESSION_LIFE_MS, &m) != BATON_OK)
			fail(m.text);
	}
	if (session_count(server.sessions) != N_PRINCIPALS)
		fail("the session store holds sessions no handshake opened");
}

static const principal *principal_of_session(ProtobufCBinaryData session_id)
{
	for (int i = 0; i < N_PRINCIPALS; i++)
		if (bytes_are(session_id, principals[i].welcome.session_id, CHAN_SESSION_ID_BYTES))
			return &principals[i];
	return NULL;
}

/* ---- replies -------------------------------------------------------------- */

/* What every ReplyFrame must satisfy, outer or inner. */
static void check_reply(const Baton__V1__ReplyFrame *r)
{
	if ((int)r->status < 0 || (int)r->status > BATON_STATUS_MAX)
		fail("reply status outside 0..16");
	if (r->message == NULL)
		fail("reply message is NULL");
	if (strnlen(r->message, MESSAGE_MAX) >= MESSAGE_MAX)
		fail("reply message is longer than the status buffer");
	if (r->status == BATON__V1__STATUS_CODE__OK) {
		if (r->message[0] != '\0')
			fail("an OK reply carries a message");
	} else {
		if (r->message[0] == '\0')
			fail("a non-OK reply has an empty message");
		if (r->payload.len != 0)
			fail("a non-OK reply carries a payload");
	}
	if (r->request_id.len != 0 && r->request_id.len != CHAN_REQUEST_ID_BYTES)
		fail("reply request_id is neither empty nor 16 bytes");
	if (r->sealed.len != 0) {
		if (r->status != BATON__V1__STATUS_CODE__OK || r->message[0] != '\0' ||
		    r->payload.len != 0 || r->request_id.len != 0 || r->renew_session)
			fail("a sealed reply carries more than counter and sealed");
		if (r->counter == 0 || r->sealed.len < CHAN_TAG_BYTES)
			fail("a sealed reply with counter 0 or shorter than a tag");
	} else if (r->counter != 0) {
		fail("an unsealed reply carries a counter");
	}
	if (r->renew_session && r->status != BATON__V1__STATUS_CODE__UNAUTHENTICATED)
		fail("renew_session on a reply that is not UNAUTHENTICATED");
}

/* The reply must survive the trip to the peer: pack it, read it back, compare. */
static void check_packs(const Baton__V1__ReplyFrame *r)
{
	size_t size = baton__v1__reply_frame__get_packed_size(r);
	uint8_t *buf = xmalloc(size);
	Baton__V1__ReplyFrame *back;

	if (baton__v1__reply_frame__pack(r, buf) != size)
		fail("packed reply size differs from get_packed_size");
	if ((back = baton__v1__reply_frame__unpack(NULL, size, buf)) == NULL)
		fail("packed reply does not unpack");
	if (back->status != r->status || strcmp(back->message, r->message) != 0 ||
	    !bytes_equal(back->payload, r->payload) || !bytes_equal(back->request_id, r->request_id) ||
	    back->counter != r->counter || !bytes_equal(back->sealed, r->sealed) ||
	    back->renew_session != r->renew_session)
		fail("the reply changed through pack/unpack");
	baton__v1__reply_frame__free_unpacked(back, NULL);
	wipe_free(buf, size);
}

/* One call as the transport makes it, with the checks every call must pass. */
static void dispatch(rpc_call *call, const uint8_t *frame, size_t len, Baton__V1__ReplyFrame *reply)
{
	memset(call, 0, sizeof(*call));
	call->server = &server;
	call->db = NULL;
	call->arena = &call_arena;
	snprintf(call->peer_host, sizeof(call->peer_host), "fuzz");
	rpc_dispatch(call, frame, len, reply);

	check_reply(reply);
	check_packs(reply);
	if (call->method_name == NULL)
		fail("call->method_name is NULL (logs need it)");
	if (!sodium_is_zero((const unsigned char *)&call->keys, sizeof(call->keys)))
		fail("the call's copy of the session keys outlived the call");
	if (reply->sealed.len != 0 && !call->sealed)
		fail("a sealed reply to a call that was not sealed");
	if (reply->sealed.len == 0 && (int)call->status.status != (int)reply->status)
		fail("call->status.status and the reply's status differ");
}

/* Opens a sealed reply as p's client would; caller frees the inner reply. */
static Baton__V1__ReplyFrame *open_reply(const principal *p, uint64_t counter,
    const Baton__V1__ReplyFrame *reply)
{
	Baton__V1__ReplyFrame *inner;
	size_t len;
	uint8_t *plain;

	if (reply->sealed.len == 0)
		fail("an authentic frame of a live session got an unsealed reply");
	if (reply->counter != counter)
		fail("a sealed reply does not carry its request's counter");
	len = reply->sealed.len - CHAN_TAG_BYTES;
	plain = xmalloc(len);
	if (chan_open(p->keys.s2c, CHAN_S2C, p->welcome.session_id, counter, reply->sealed.data,
	        reply->sealed.len, plain) != CHAN_OK)
		fail("a sealed reply does not open with the session's s2c key");
	if ((inner = baton__v1__reply_frame__unpack(NULL, len, plain)) == NULL)
		fail("a sealed reply does not hold a ReplyFrame");
	wipe_free(plain, len);
	if (inner->sealed.len != 0 || inner->counter != 0 || inner->renew_session)
		fail("a sealed reply holds secure-channel fields");
	check_reply(inner);
	check_packs(inner);
	return inner;
}

/* ---- what a correct server answers to an opened inner frame -------------- */

static bool signature_valid(const principal *p, const Baton__V1__RequestFrame *req)
{
	uint8_t hash[CHAN_HASH_BYTES];

	if (req->request_id.len != CHAN_REQUEST_ID_BYTES || req->signature.len != CHAN_SIG_BYTES)
		return false;
	chan_payload_hash(req->payload.data, req->payload.len, hash);
	return chan_request_verify(p->public_key, p->keys.binding, req->method, req->request_id.data,
	    hash, req->signature.data) == CHAN_OK;
}

static void expect(const Baton__V1__ReplyFrame *rep, Baton__V1__StatusCode want, const char *why)
{
	if (rep->status != want)
		fail(why);
}

/* ---- handshakes ---------------------------------------------------------------- */

static bool hello_equal(const chan_hello *a, const chan_hello *b)
{
	return a->version == b->version && a->time_unix_ms == b->time_unix_ms &&
	    memcmp(a->server_key, b->server_key, CHAN_KEY_BYTES) == 0 &&
	    memcmp(a->client_key, b->client_key, CHAN_KEY_BYTES) == 0 &&
	    memcmp(a->client_ephemeral, b->client_ephemeral, CHAN_KEY_BYTES) == 0 &&
	    memcmp(a->signature, b->signature, CHAN_SIG_BYTES) == 0;
}

static bool hello_is_genuine(const chan_hello *h)
{
	for (int i = 0; i < N_PRINCIPALS; i++)
		if (hello_equal(h, &principals[i].hs.hello))
			return true;
	return false;
}

/* The hello of a HandshakeRequest, if its fields have the right sizes. */
static bool hello_from_request(const Baton__V1__HandshakeRequest *hr, chan_hello *h)
{
	if (hr->server_key.len != CHAN_KEY_BYTES || hr->client_key.len != CHAN_KEY_BYTES ||
	    hr->client_ephemeral.len != CHAN_KEY_BYTES || hr->signature.len != CHAN_SIG_BYTES)
		return false;
	memset(h, 0, sizeof(*h));
	h->version = hr->version;
	memcpy(h->server_key, hr->server_key.data, CHAN_KEY_BYTES);
	memcpy(h->client_key, hr->client_key.data, CHAN_KEY_BYTES);
	memcpy(h->client_ephemeral, hr->client_ephemeral.data, CHAN_KEY_BYTES);
	h->time_unix_ms = hr->time_unix_ms;
	memcpy(h->signature, hr->signature.data, CHAN_SIG_BYTES);
	return true;
}

/* batond's answer to a readable HandshakeRequest, without a database:
 * only a hello signed by its client key may get as far as the database
 * (UNAVAILABLE); every other is refused before any database work. */
static void check_handshake_answer(const Baton__V1__HandshakeRequest *hr, const Baton__V1__ReplyFrame *rep)
{
	chan_hello h;

	if (rep->status == BATON__V1__STATUS_CODE__OK)
		fail("a handshake succeeded without a database");
	if (hello_from_request(hr, &h) && hello_is_genuine(&h))
		expect(rep, BATON__V1__STATUS_CODE__UNAVAILABLE,
		    "a genuine hello must get as far as the database (UNAVAILABLE)");
	else if (rep->status != BATON__V1__STATUS_CODE__INVALID_ARGUMENT &&
	    rep->status != BATON__V1__STATUS_CODE__UNAUTHENTICATED)
		fail("a hello that is not genuine must be refused (INVALID_ARGUMENT or UNAUTHENTICATED) "
		    "before any database work");
}

/* Payload-level answers of the methods that run without a database. */
static void check_handler(const rpc_method *m, const Baton__V1__RequestFrame *req,
    const Baton__V1__ReplyFrame *rep)
{
	ProtobufCMessage *in = protobuf_c_message_unpack(m->desc->input, NULL, req->payload.len,
	    req->payload.data);

	if (in == NULL) {
		expect(rep, BATON__V1__STATUS_CODE__INVALID_ARGUMENT,
		    "a payload that is not the method's input must answer INVALID_ARGUMENT");
		return;
	}
	if (m->impl->flags & (RPC_TX | RPC_MUTATION)) {
		expect(rep, BATON__V1__STATUS_CODE__UNAVAILABLE,
		    "a transactional method without a database must answer UNAVAILABLE");
	} else if (strcmp(m->path, handshake_method) == 0) {
		check_handshake_answer((const Baton__V1__HandshakeRequest *)in, rep);
	} else if (strcmp(m->path, "/baton.v1.System/Ping") == 0) {
		Baton__V1__PingReply *pr;

		expect(rep, BATON__V1__STATUS_CODE__OK, "Ping must answer OK");
		if ((pr = baton__v1__ping_reply__unpack(NULL, rep->payload.len, rep->payload.data)) == NULL)
			fail("Ping's reply payload is not a PingReply");
		if (!bytes_equal(pr->payload, ((Baton__V1__PingRequest *)in)->payload))
			fail("Ping does not echo its payload");
		baton__v1__ping_reply__free_unpacked(pr, NULL);
	} else if (strcmp(m->path, "/baton.v1.Health/Check") == 0) {
		const Baton__V1__HealthCheckRequest *hc = (const Baton__V1__HealthCheckRequest *)in;
		Baton__V1__HealthCheckResponse *hr;

		if (hc->service[0] != '\0' && !rpc_table_has_service(&server.table, hc->service)) {
			expect(rep, BATON__V1__STATUS_CODE__NOT_FOUND,
			    "Health/Check of an unknown service must answer NOT_FOUND");
		} else {
			expect(rep, BATON__V1__STATUS_CODE__OK, "Health/Check of a known service must answer OK");
			hr = baton__v1__health_check_response__unpack(NULL, rep->payload.len, rep->payload.data);
			if (hr == NULL)
				fail("Health/Check's reply payload is not a HealthCheckResponse");
			if (hr->status != BATON__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING)
				fail("Health/Check without a database must say NOT_SERVING");
			baton__v1__health_check_response__free_unpacked(hr, NULL);
		}
	}
	protobuf_c_message_free_unpacked(in, NULL);
}

/*
 * The inner reply to an inner request frame that p's session sealed and
 * the server opened (req is NULL when the plaintext is not a frame).
 * now_before/now_after bracket the call.
 */
static void check_inner(const principal *p, const Baton__V1__RequestFrame *req,
    const Baton__V1__ReplyFrame *rep, int64_t now_before, int64_t now_after)
{
	const rpc_method *m;
	unsigned flags;

	if (req == NULL) {
		expect(rep, BATON__V1__STATUS_CODE__INVALID_ARGUMENT,
		    "a sealed plaintext that is not a frame must answer INVALID_ARGUMENT");
		if (rep->request_id.len != 0)
			fail("an unreadable inner frame cannot echo a request_id");
		return;
	}
	if (req->session_id.len != 0 || req->sealed.len != 0) {
		expect(rep, BATON__V1__STATUS_CODE__INVALID_ARGUMENT, "a nested sealed frame must be refused");
		if (rep->request_id.len != 0)
			fail("a nested sealed frame cannot echo a request_id");
		return;
	}
	if (req->request_id.len != 0 && req->request_id.len != CHAN_REQUEST_ID_BYTES) {
		expect(rep, BATON__V1__STATUS_CODE__INVALID_ARGUMENT,
		    "a request_id that is not 16 bytes must answer INVALID_ARGUMENT");
		if (rep->request_id.len != 0)
			fail("a bad request_id must not be echoed");
		return;
	}
	if (!bytes_equal(req->request_id, rep->request_id))
		fail("the reply does not carry the request's request_id");
	if ((m = rpc_table_find(&server.table, req->method)) == NULL) {
		expect(rep, BATON__V1__STATUS_CODE__UNIMPLEMENTED, "an unknown method must answer UNIMPLEMENTED");
		return;
	}
	flags = m->impl->flags;

	/* What must never happen, whatever the order of the checks. */
	if (rep->status == BATON__V1__STATUS_CODE__OK) {
		if (!(flags & RPC_NO_SESSION) && !(m->impl->roles & p->role))
			fail("a method the caller's role may not call reached OK");
		if ((flags & RPC_MUTATION) && !signature_valid(p, req))
			fail("a mutation without a valid signature reached OK");
		if (flags & (RPC_TX | RPC_MUTATION))
			fail("a transactional method reached OK without a database");
	}

	/* The answer, in rpc_frame_serve's order. */
	if (req->deadline_unix_ms < 0) {
		expect(rep, BATON__V1__STATUS_CODE__INVALID_ARGUMENT,
		    "a negative deadline must answer INVALID_ARGUMENT");
		return;
	}
	if (req->deadline_unix_ms != 0 && req->deadline_unix_ms <= now_before) {
		expect(rep, BATON__V1__STATUS_CODE__DEADLINE_EXCEEDED,
		    "a deadline already past must answer DEADLINE_EXCEEDED");
		return;
	}
	if (rep->status == BATON__V1__STATUS_CODE__DEADLINE_EXCEEDED) {
		if (req->deadline_unix_ms == 0 || req->deadline_unix_ms > now_after)
			fail("DEADLINE_EXCEEDED for a deadline still in the future");
		return; /* the deadline passed during the call */
	}
	if (!(flags & RPC_NO_SESSION)) {
		if (!(m->impl->roles & p->role)) {
			expect(rep, BATON__V1__STATUS_CODE__PERMISSION_DENIED,
			    "a method the caller's role may not call must answer PERMISSION_DENIED");
			return;
		}
		if (flags & RPC_MUTATION) {
			if (req->request_id.len != CHAN_REQUEST_ID_BYTES) {
				expect(rep, BATON__V1__STATUS_CODE__INVALID_ARGUMENT,
				    "a mutation without a request_id must answer INVALID_ARGUMENT");
				return;
			}
			if (!signature_valid(p, req)) {
				expect(rep, BATON__V1__STATUS_CODE__UNAUTHENTICATED,
				    "a mutation without a valid signature must answer UNAUTHENTICATED");
				return;
			}
		} else if (req->signature.len != 0) {
			expect(rep, BATON__V1__STATUS_CODE__INVALID_ARGUMENT,
			    "a signature on a method that changes nothing must answer INVALID_ARGUMENT");
			return;
		}
	}
	check_handler(m, req, rep);
}

/* ---- MODE_SEALED ------------------------------------------------------------ */

/* plain[0..len) with a valid signature by p's key in place of its own, in a
 * new buffer (caller wipes and frees); NULL if the frame cannot be signed. */
static uint8_t *sign_frame(const principal *p, const uint8_t *plain, size_t len, size_t *out_len)
{
	Baton__V1__RequestFrame *req = baton__v1__request_frame__unpack(NULL, len, plain);
	uint8_t hash[CHAN_HASH_BYTES], sig[CHAN_SIG_BYTES], *out = NULL;
	ProtobufCBinaryData theirs;

	if (req == NULL || req->request_id.len != CHAN_REQUEST_ID_BYTES)
		goto out;
	chan_payload_hash(req->payload.data, req->payload.len, hash);
	if (chan_request_sign(p->secret_key, p->keys.binding, req->method, req->request_id.data, hash,
	        sig) != CHAN_OK)
		goto out; /* a method name over 65535 bytes */
	theirs = req->signature;
	req->signature = (ProtobufCBinaryData){ sizeof(sig), sig };
	*out_len = baton__v1__request_frame__get_packed_size(req);
	out = xmalloc(*out_len);
	baton__v1__request_frame__pack(req, out);
	req->signature = theirs; /* free_unpacked frees what unpack allocated */
out:
	baton__v1__request_frame__free_unpacked(req, NULL);
	return out;
}

static void run_sealed(unsigned opts, const uint8_t *data, size_t size)
{
	const principal *p = &principals[opts & OPT_ADMIN ? ADMIN : AGENT];
	uint64_t counter = sealed_counters[(opts >> OPT_COUNTER_SHIFT) & 3];
	Baton__V1__RequestFrame outer = BATON__V1__REQUEST_FRAME__INIT;
	Baton__V1__RequestFrame *req;
	Baton__V1__ReplyFrame reply, *inner;
	const uint8_t *plain = data;
	uint8_t *signed_plain = NULL, *sealed, *frame;
	size_t len = size, signed_len = 0, frame_len;
	int64_t now_before, now_after;
	rpc_call call;

	if ((opts & OPT_SIGN) && (signed_plain = sign_frame(p, data, size, &signed_len)) != NULL) {
		plain = signed_plain;
		len = signed_len;
	}
	sealed = xmalloc(len + CHAN_TAG_BYTES);
	if (chan_seal(p->keys.c2s, CHAN_C2S, p->welcome.session_id, counter, plain, len, sealed) != CHAN_OK)
		fail("chan_seal refused a frame");
	outer.session_id = (ProtobufCBinaryData){ CHAN_SESSION_ID_BYTES, (uint8_t *)p->welcome.session_id };
	outer.counter = counter;
	outer.sealed = (ProtobufCBinaryData){ len + CHAN_TAG_BYTES, sealed };
	frame_len = baton__v1__request_frame__get_packed_size(&outer);
	frame = xmalloc(frame_len);
	baton__v1__request_frame__pack(&outer, frame);

	now_before = clock_realtime_ms();
	dispatch(&call, frame, frame_len, &reply);
	now_after = clock_realtime_ms();
	inner = open_reply(p, counter, &reply);
	if ((int)call.status.status != (int)inner->status)
		fail("call->status.status and the sealed reply's status differ");
	req = baton__v1__request_frame__unpack(NULL, len, plain);
	check_inner(p, req, inner, now_before, now_after);
	baton__v1__request_frame__free_unpacked(req, NULL);
	baton__v1__reply_frame__free_unpacked(inner, NULL);
	sodium_memzero(&call, sizeof(call));
	arena_reset(&call_arena);

	/* The very same bytes again: a replay, refused before anything runs. */
	dispatch(&call, frame, frame_len, &reply);
	if (reply.sealed.len != 0)
		fail("a replayed frame got a sealed reply");
	expect(&reply, BATON__V1__STATUS_CODE__UNAUTHENTICATED, "a replayed frame must answer UNAUTHENTICATED");
	if (reply.renew_session)
		fail("a replay in a live session asks the client to renew it");
	sodium_memzero(&call, sizeof(call));
	arena_reset(&call_arena);

	free(frame);
	free(sealed);
	wipe_free(signed_plain, signed_len);
}

/* ---- MODE_OUTER --------------------------------------------------------------- */

static void run_outer(const uint8_t *data, size_t size)
{
	Baton__V1__RequestFrame *outer = baton__v1__request_frame__unpack(NULL, size, data);
	Baton__V1__ReplyFrame reply;
	int64_t now_before, now_after;
	rpc_call call;

	now_before = clock_realtime_ms();
	dispatch(&call, data, size, &reply);
	now_after = clock_realtime_ms();

	if (outer == NULL) {
		expect(&reply, BATON__V1__STATUS_CODE__INVALID_ARGUMENT,
		    "an unreadable frame must answer INVALID_ARGUMENT");
		if (reply.sealed.len != 0 || reply.renew_session || reply.request_id.len != 0)
			fail("an unreadable frame got more than a status");
	} else if (outer->session_id.len != 0 || outer->sealed.len != 0) {
		const principal *p = principal_of_session(outer->session_id);
		size_t len = outer->sealed.len >= CHAN_TAG_BYTES ? outer->sealed.len - CHAN_TAG_BYTES : 0;
		uint8_t *plain = xmalloc(len);

		if (outer->session_id.len != CHAN_SESSION_ID_BYTES || outer->sealed.len < CHAN_TAG_BYTES ||
		    outer->method[0] != '\0' || outer->payload.len != 0 || outer->request_id.len != 0 ||
		    outer->deadline_unix_ms != 0 || outer->signature.len != 0) {
			expect(&reply, BATON__V1__STATUS_CODE__INVALID_ARGUMENT,
			    "a sealed frame with other fields or bad sizes must answer INVALID_ARGUMENT");
			if (reply.sealed.len != 0 || reply.renew_session)
				fail("a malformed sealed frame got a sealed or renew reply");
		} else if (p == NULL) {
			expect(&reply, BATON__V1__STATUS_CODE__UNAUTHENTICATED,
			    "a frame of an unknown session must answer UNAUTHENTICATED");
			if (!reply.renew_session || reply.sealed.len != 0)
				fail("a frame of an unknown session must get an unsealed renew_session");
		} else if (chan_open(p->keys.c2s, CHAN_C2S, p->welcome.session_id, outer->counter,
		               outer->sealed.data, outer->sealed.len, plain) != CHAN_OK) {
			expect(&reply, BATON__V1__STATUS_CODE__UNAUTHENTICATED,
			    "a frame that does not authenticate must answer UNAUTHENTICATED");
			if (reply.renew_session || reply.sealed.len != 0)
				fail("a frame that does not authenticate got a sealed or renew reply");
		} else {
			/* Authentic (a seed, practically never a mutation): a fresh
			 * session, so the counter is new and the reply sealed. */
			Baton__V1__ReplyFrame *inner = open_reply(p, outer->counter, &reply);
			Baton__V1__RequestFrame *req = baton__v1__request_frame__unpack(NULL, len, plain);

			check_inner(p, req, inner, now_before, now_after);
			baton__v1__request_frame__free_unpacked(req, NULL);
			baton__v1__reply_frame__free_unpacked(inner, NULL);
		}
		wipe_free(plain, len);
	} else {
		const rpc_method *m = rpc_table_find(&server.table, outer->method);

		if (reply.sealed.len != 0 || reply.renew_session)
			fail("an unsealed frame got a sealed or renew reply");
		if (reply.status == BATON__V1__STATUS_CODE__OK &&
		    (m == NULL || !(m->impl->flags & RPC_NO_SESSION) || (m->impl->flags & RPC_TX) ||
		        strcmp(m->path, handshake_method) == 0))
			fail("an unsealed frame reached OK for a method that needs a session or a database");
	}
	baton__v1__request_frame__free_unpacked(outer, NULL);
	sodium_memzero(&call, sizeof(call));
	arena_reset(&call_arena);
}

/* ---- MODE_HELLO ----------------------------------------------------------------- */

static void run_hello(const uint8_t *data, size_t size)
{
	Baton__V1__HandshakeRequest *hr = baton__v1__handshake_request__unpack(NULL, size, data);
	Baton__V1__RequestFrame frame = BATON__V1__REQUEST_FRAME__INIT;
	Baton__V1__ReplyFrame reply;
	chan_hello h;
	uint8_t *buf;
	size_t len;
	rpc_call call;

	/* Only setup()'s hellos are signed by a key anyone here holds
	 * (make_corpus.py re-signs no other): any other that verifies is a
	 * forgery. */
	if (hr != NULL && hello_from_request(hr, &h)) {
		if (chan_hello_check(&h, server.public_key, HELLO_TIME_MS, HANDSHAKE_WINDOW_MS) == CHAN_OK &&
		    !hello_is_genuine(&h))
			fail("chan_hello_check accepted a hello that no fixed principal signed");
		/* With the clock on the hello's side, every hello to this server
		 * reaches the signature check. */
		if (chan_hello_check(&h, server.public_key, h.time_unix_ms, 0) == CHAN_OK && !hello_is_genuine(&h))
			fail("chan_hello_check accepted a forged signature");
	}

	/* The same payload as batond receives it. */
	frame.method = (char *)handshake_method;
	frame.request_id = (ProtobufCBinaryData){ CHAN_REQUEST_ID_BYTES, (uint8_t *)handshake_request_id };
	frame.payload = (ProtobufCBinaryData){ size, (uint8_t *)data };
	len = baton__v1__request_frame__get_packed_size(&frame);
	buf = xmalloc(len);
	baton__v1__request_frame__pack(&frame, buf);
	dispatch(&call, buf, len, &reply);
	if (reply.sealed.len != 0 || reply.renew_session)
		fail("an unsealed handshake got a sealed or renew reply");
	if (!bytes_are(reply.request_id, handshake_request_id, CHAN_REQUEST_ID_BYTES))
		fail("the handshake's reply does not carry its request_id");
	if (hr != NULL)
		check_handshake_answer(hr, &reply);
	else
		expect(&reply, BATON__V1__STATUS_CODE__INVALID_ARGUMENT,
		    "a payload that is not a HandshakeRequest must answer INVALID_ARGUMENT");
	sodium_memzero(&call, sizeof(call));
	arena_reset(&call_arena);
	free(buf);
	baton__v1__handshake_request__free_unpacked(hr, NULL);
}

/* ---- MODE_WELCOME ----------------------------------------------------------------- */

static bool welcome_equal(const chan_welcome *a, const chan_welcome *b)
{
	return a->expires_unix_ms == b->expires_unix_ms &&
	    memcmp(a->session_id, b->session_id, CHAN_SESSION_ID_BYTES) == 0 &&
	    memcmp(a->server_ephemeral, b->server_ephemeral, CHAN_KEY_BYTES) == 0 &&
	    memcmp(a->signature, b->signature, CHAN_SIG_BYTES) == 0;
}

/* As client.c's handshake(): sizes first, then chan_client_finish, for the
 * hello of each principal. Only the server's genuine welcome may pass. */
static void try_welcome(const Baton__V1__HandshakeReply *hr)
{
	chan_welcome w;

	if (hr == NULL || hr->session_id.len != CHAN_SESSION_ID_BYTES ||
	    hr->server_ephemeral.len != CHAN_KEY_BYTES || hr->signature.len != CHAN_SIG_BYTES)
		return;
	memset(&w, 0, sizeof(w));
	memcpy(w.session_id, hr->session_id.data, CHAN_SESSION_ID_BYTES);
	memcpy(w.server_ephemeral, hr->server_ephemeral.data, CHAN_KEY_BYTES);
	w.expires_unix_ms = hr->expires_unix_ms;
	memcpy(w.signature, hr->signature.data, CHAN_SIG_BYTES);

	for (int i = 0; i < N_PRINCIPALS; i++) {
		const principal *p = &principals[i];
		chan_client_hs hs = p->hs;
		chan_keys keys;
		int rv = chan_client_finish(&hs, &w, &keys);

		if (!sodium_is_zero(hs.ephemeral_secret, sizeof(hs.ephemeral_secret)))
			fail("chan_client_finish kept the ephemeral secret");
		if (rv == CHAN_OK) {
			if (!welcome_equal(&w, &p->welcome))
				fail("the client accepted a welcome the pinned server key did not sign");
			if (sodium_memcmp(&keys, &p->keys, sizeof(keys)) != 0)
				fail("the genuine welcome derived other keys");
		} else if (!sodium_is_zero((const unsigned char *)&keys, sizeof(keys))) {
			fail("a refused welcome left derived keys behind");
		}
		chan_keys_wipe(&keys);
		chan_client_hs_wipe(&hs);
	}
}

static void run_welcome(const uint8_t *data, size_t size)
{
	Baton__V1__HandshakeReply *hr = baton__v1__handshake_reply__unpack(NULL, size, data);
	Baton__V1__ReplyFrame *rf = baton__v1__reply_frame__unpack(NULL, size, data);

	try_welcome(hr);
	baton__v1__handshake_reply__free_unpacked(hr, NULL);
	/* The whole reply to the handshake call: client.c reads the payload of
	 * an unsealed OK reply. */
	if (rf != NULL && rf->status == BATON__V1__STATUS_CODE__OK && rf->sealed.len == 0) {
		hr = baton__v1__handshake_reply__unpack(NULL, rf->payload.len, rf->payload.data);
		try_welcome(hr);
		baton__v1__handshake_reply__free_unpacked(hr, NULL);
	}
	baton__v1__reply_frame__free_unpacked(rf, NULL);
}

/* ---- MODE_REPLY --------------------------------------------------------------------- */

/* chan_open with p's s2c key may accept only what sealing with that key
 * gives back byte for byte (the AEAD is deterministic per counter). */
static void try_reply_body(const principal *p, uint64_t counter, const uint8_t *sealed, size_t len)
{
	size_t plain_len = len >= CHAN_TAG_BYTES ? len - CHAN_TAG_BYTES : 0;
	uint8_t *plain = memset(xmalloc(plain_len), 0xa5, plain_len);
	int rv = chan_open(p->keys.s2c, CHAN_S2C, p->welcome.session_id, counter, sealed, len, plain);

	if (rv == CHAN_OK) {
		uint8_t *again = xmalloc(len);
		Baton__V1__ReplyFrame *inner;

		if (chan_seal(p->keys.s2c, CHAN_S2C, p->welcome.session_id, counter, plain, plain_len, again)
		        != CHAN_OK || memcmp(again, sealed, len) != 0)
			fail("chan_open accepted a body that sealing does not give back");
		if (chan_open(p->keys.c2s, CHAN_C2S, p->welcome.session_id, counter, sealed, len, again) == CHAN_OK)
			fail("one body opens in both directions");
		/* The client then reads the plaintext as a ReplyFrame. */
		inner = baton__v1__reply_frame__unpack(NULL, plain_len, plain);
		baton__v1__reply_frame__free_unpacked(inner, NULL);
		wipe_free(again, len);
	} else if (rv == CHAN_E_AUTH) {
		if (!sodium_is_zero(plain, plain_len))
			fail("chan_open did not zero its output for a forged body");
	} else if (rv != CHAN_E_SIZE && rv != CHAN_E_COUNTER) {
		fail("chan_open returned an undocumented result");
	}
	wipe_free(plain, plain_len);
}

static void run_reply(const uint8_t *data, size_t size)
{
	Baton__V1__ReplyFrame *rf = baton__v1__reply_frame__unpack(NULL, size, data);

	for (int i = 0; i < N_PRINCIPALS; i++) {
		if (rf != NULL && rf->sealed.len != 0)
			try_reply_body(&principals[i], rf->counter, rf->sealed.data, rf->sealed.len);
		/* The bytes as a bare sealed body answering the first request. */
		try_reply_body(&principals[i], 1, data, size);
	}
	baton__v1__reply_frame__free_unpacked(rf, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[MODE_COUNT] = { "sealed", "outer", "hello", "welcome", "reply" };
	unsigned mode, opts;

	if (!ready)
		setup();
	if (size == 0)
		return 0;
	mode = data[0] % MODE_COUNT;
	opts = data[0] / MODE_COUNT;
	mode_name = names[mode];
	data++;
	size--;

	sessions_reset();
	switch (mode) {
	case MODE_SEALED:
		run_sealed(opts, data, size);
		break;
	case MODE_OUTER:
		run_outer(data, size);
		break;
	case MODE_HELLO:
		run_hello(data, size);
		break;
	case MODE_WELCOME:
		run_welcome(data, size);
		break;
	default:
		run_reply(data, size);
		break;
	}
	arena_reset(&call_arena);
	return 0;
}
