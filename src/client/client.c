/* client.c - libbaton: calls over nng req0 with deadlines, no hidden resends, and the secure channel's sessions. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <sodium.h>

#include <baton/client.h>

#include "baton/v1/session.pb-c.h"
#include "baton/v1/wire.pb-c.h"
#include "common/chan.h"
#include "client/client_internal.h"
#include "common/clock.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_REPLY  (16u * 1024 * 1024)
#define HANDSHAKE_METHOD   "/baton.v1.Session/Handshake"
#define HEALTH_METHOD      "/baton.v1.Health/Check"
/* A session is renewed this long before it expires (at most a quarter of
 * its life), so that calls do not race the server's clock. */
#define RENEW_MARGIN_MS    10000

/*
 * One call's nng context and aio. Slots are pooled; a slot whose call
 * failed is destroyed rather than reused, so that nothing of a failed
 * request can linger in its context.
 */
typedef struct slot {
	nng_ctx      ctx;
	nng_aio     *aio;
	struct slot *next; /* free list */
} slot;

struct baton_client {
	nng_socket      sock;
	int64_t         default_timeout_ms;
	size_t          max_reply;
	pthread_mutex_t mtx; /* guards free_slots */
	slot           *free_slots;
	/* Request ids are id_prefix (random per client) followed by a counter
	 * (random start): unique per call without a getrandom() per call. */
	uint8_t          id_prefix[8];
	_Atomic uint64_t id_counter;
	/* Secure channel: set when opened with a key. */
	bool             secure;
	baton_key        key;
	uint8_t          server_key[CHAN_KEY_BYTES];
	pthread_mutex_t  sess_mtx; /* guards the session; held during a handshake */
	bool             have_session;
	uint8_t          session_id[CHAN_SESSION_ID_BYTES];
	chan_keys        keys;
	int64_t          session_opened_ms;
	int64_t          session_expires_ms;
	uint64_t         next_counter;
	uint64_t         generation; /* bumped per handshake */
	uint64_t         handshakes;
};

void baton_result_clear(baton_result *res)
{
	if (res == NULL)
		return;
	free(res->payload);
	memset(res, 0, sizeof(*res));
}

baton_status client_fail(baton_result *res, baton_status s, const char *fmt, ...)
{
	va_list ap;

	res->status = s;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
	return s;
}

baton_status baton_client_open(baton_client **out, const char *url,
    const baton_client_options *opts, baton_result *res)
{
	baton_client *c;
	int rv;

	memset(res, 0, sizeof(*res));
	*out = NULL;
	if (url == NULL || url[0] == '\0')
		return client_fail(res, BATON_INVALID_ARGUMENT, "no server URL given");
	if (sodium_init() < 0)
		return client_fail(res, BATON_INTERNAL, "libsodium could not initialise");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return client_fail(res, BATON_INTERNAL, "out of memory");
	c->default_timeout_ms = opts && opts->default_timeout_ms > 0 ? opts->default_timeout_ms
	                                                             : DEFAULT_TIMEOUT_MS;
	c->max_reply = opts && opts->max_reply_bytes > 0 ? opts->max_reply_bytes : DEFAULT_MAX_REPLY;
	randombytes_buf(c->id_prefix, sizeof(c->id_prefix));
	uint64_t start;
	randombytes_buf(&start, sizeof(start));
	atomic_init(&c->id_counter, start);
	if ((opts && opts->key) != (opts && opts->server_public_key)) {
		free(c);
		return client_fail(res, BATON_INVALID_ARGUMENT,
		    "a key needs the server's public key to pin, and the other way round");
	}
	if (opts && opts->key) {
		c->secure = true;
		c->key = *opts->key;
		memcpy(c->server_key, opts->server_public_key, sizeof(c->server_key));
	}
	if (pthread_mutex_init(&c->mtx, NULL) != 0) {
		sodium_memzero(c, sizeof(*c));
		free(c);
		return client_fail(res, BATON_INTERNAL, "cannot create a mutex");
	}
	if (pthread_mutex_init(&c->sess_mtx, NULL) != 0) {
		pthread_mutex_destroy(&c->mtx);
		sodium_memzero(c, sizeof(*c));
		free(c);
		return client_fail(res, BATON_INTERNAL, "cannot create a mutex");
	}
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		pthread_mutex_destroy(&c->sess_mtx);
		pthread_mutex_destroy(&c->mtx);
		sodium_memzero(c, sizeof(*c));
		free(c);
		return client_fail(res, BATON_INTERNAL, "nng_req0_open: %s", nng_strerror(rv));
	}
	/*
	 * No hidden resends. req0 resends a request after a timer, and after
	 * a reconnect when the connection it went out on drops. With the
	 * resend time infinite it does neither: a request whose connection
	 * drops fails with NNG_ECONNRESET (reported as UNAVAILABLE). Contexts
	 * copy this setting when opened, so it is set first.
	 * tests/integration/test_client.c holds this to account.
	 */
	if ((rv = nng_socket_set_ms(c->sock, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE)) != 0 ||
	    (rv = nng_socket_set_size(c->sock, NNG_OPT_RECVMAXSZ, c->max_reply + 1024)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMINT, 100)) != 0 ||
	    (rv = nng_socket_set_ms(c->sock, NNG_OPT_RECONNMAXT, 2000)) != 0) {
		client_fail(res, BATON_INTERNAL, "configuring the socket: %s", nng_strerror(rv));
		baton_client_close(c);
		return res->status;
	}
	rv = nng_dial(c->sock, url, NULL, opts && opts->lazy_connect ? NNG_FLAG_NONBLOCK : 0);
	if (rv != 0) {
		baton_status s = (rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP || rv == NNG_EINVAL)
		    ? BATON_INVALID_ARGUMENT : BATON_UNAVAILABLE;
		client_fail(res, s, "cannot connect to %s: %s", url, nng_strerror(rv));
		baton_client_close(c);
		return s;
	}
	*out = c;
	return BATON_OK;
}

void baton_client_close(baton_client *c)
{
	if (c == NULL)
		return;
	/* Also closes every context. It fails only for a socket already
	 * closed, which cannot happen here. */
	(void)nng_close(c->sock);
	for (slot *sl = c->free_slots, *next; sl != NULL; sl = next) {
		next = sl->next;
		nng_aio_free(sl->aio);
		free(sl);
	}
	pthread_mutex_destroy(&c->sess_mtx);
	pthread_mutex_destroy(&c->mtx);
	sodium_memzero(c, sizeof(*c)); /* the key and the session keys */
	free(c);
}

/* Called with c->mtx held. */
static slot *slot_get(baton_client *c, int *rv)
{
	slot *sl = c->free_slots;

	if (sl != NULL) {
		c->free_slots = sl->next;
		sl->next = NULL;
		return sl;
	}
	if ((sl = calloc(1, sizeof(*sl))) == NULL) {
		*rv = NNG_ENOMEM;
		return NULL;
	}
	if ((*rv = nng_aio_alloc(&sl->aio, NULL, NULL)) != 0) {
		free(sl);
		return NULL;
	}
	if ((*rv = nng_ctx_open(&sl->ctx, c->sock)) != 0) {
		nng_aio_free(sl->aio);
		free(sl);
		return NULL;
	}
	return sl;
}

/* Ends a call on sl: reuse it after success, destroy it after failure. */
static void slot_put(baton_client *c, slot *sl, bool reusable)
{
	if (reusable) {
		pthread_mutex_lock(&c->mtx);
		sl->next = c->free_slots;
		c->free_slots = sl;
		pthread_mutex_unlock(&c->mtx);
		return;
	}
	(void)nng_ctx_close(sl->ctx); /* fails only if already closed with the socket */
	nng_aio_free(sl->aio);
	free(sl);
}

static baton_status wait_error(baton_result *res, int rv, bool sent, int64_t timeout_ms)
{
	switch (rv) {
	case NNG_ETIMEDOUT:
		return client_fail(res, BATON_DEADLINE_EXCEEDED, sent
		    ? "no reply within the deadline (%lld ms)"
		    : "could not reach the server within the deadline (%lld ms)", (long long)timeout_ms);
	case NNG_ECLOSED:
		return client_fail(res, BATON_CANCELLED, "the client was closed");
	case NNG_ECONNRESET:
		return client_fail(res, BATON_UNAVAILABLE,
		    "connection to the server was lost while waiting for the reply; the call may or may not have run");
	default:
		return client_fail(res, BATON_UNAVAILABLE, "%s", nng_strerror(rv));
	}
}

/* Sends frame[0..len) and waits for the reply message (caller frees). */
static baton_status exchange(baton_client *c, const uint8_t *frame, size_t len, int64_t deadline,
    int64_t timeout_ms, baton_result *res, nng_msg **reply)
{
	/* Even a deadline already past is sent (the server says
	 * DEADLINE_EXCEEDED); the local wait is then the default timeout. */
	nng_duration wait_ms = (nng_duration)(timeout_ms > 0 ? timeout_ms : c->default_timeout_ms);
	nng_msg *msg;
	slot *sl;
	baton_status s;
	int rv = 0;

	*reply = NULL;
	if ((rv = nng_msg_alloc(&msg, len)) != 0)
		return client_fail(res, BATON_INTERNAL, "nng_msg_alloc: %s", nng_strerror(rv));
	memcpy(nng_msg_body(msg), frame, len);

	pthread_mutex_lock(&c->mtx);
	sl = slot_get(c, &rv);
	pthread_mutex_unlock(&c->mtx);
	if (sl == NULL) {
		nng_msg_free(msg);
		return client_fail(res, BATON_INTERNAL, "cannot open a context: %s", nng_strerror(rv));
	}
	nng_aio_set_msg(sl->aio, msg);
	nng_aio_set_timeout(sl->aio, wait_ms);
	nng_ctx_send(sl->ctx, sl->aio);
	nng_aio_wait(sl->aio);
	if ((rv = nng_aio_result(sl->aio)) != 0) {
		nng_msg_free(nng_aio_get_msg(sl->aio));
		s = wait_error(res, rv, false, timeout_ms);
		slot_put(c, sl, false);
		return s;
	}

	int64_t left = deadline - clock_realtime_ms();
	nng_aio_set_timeout(sl->aio, left > 0 ? (nng_duration)left : wait_ms);
	nng_ctx_recv(sl->ctx, sl->aio);
	nng_aio_wait(sl->aio);
	if ((rv = nng_aio_result(sl->aio)) != 0) {
		s = wait_error(res, rv, true, timeout_ms);
		slot_put(c, sl, false);
		return s;
	}
	*reply = nng_aio_get_msg(sl->aio);
	slot_put(c, sl, true);
	return BATON_OK;
}

/* Copies a (plain or opened) reply frame into res. */
static baton_status result_from_reply(const Baton__V1__ReplyFrame *reply, baton_result *res)
{
	if (reply->request_id.len != 0 &&
	    (reply->request_id.len != sizeof(res->request_id) ||
	        memcmp(reply->request_id.data, res->request_id, sizeof(res->request_id)) != 0))
		return client_fail(res, BATON_INTERNAL, "the server answered a different request id");
	int wire_status = (int)reply->status;
	res->status = wire_status >= 0 && wire_status <= BATON_STATUS_MAX ? (baton_status)wire_status
	                                                                  : BATON_UNKNOWN;
	snprintf(res->message, sizeof(res->message), "%s", reply->message ? reply->message : "");
	if (res->status == BATON_UNKNOWN && wire_status != BATON_UNKNOWN)
		snprintf(res->message, sizeof(res->message), "server sent unknown status %d: %s",
		    wire_status, reply->message ? reply->message : "");
	if (res->status == BATON_OK && reply->payload.len > 0) {
		if ((res->payload = malloc(reply->payload.len)) == NULL)
			return client_fail(res, BATON_INTERNAL, "out of memory");
		memcpy(res->payload, reply->payload.data, reply->payload.len);
		res->payload_len = reply->payload.len;
	}
	return res->status;
}

/* Packs frame into a buffer (stack if small, else malloc'ed: *heap). */
static uint8_t *pack_frame(const Baton__V1__RequestFrame *frame, uint8_t *stack, size_t stack_len,
    size_t *len, bool *heap)
{
	*len = baton__v1__request_frame__get_packed_size(frame);
	*heap = *len > stack_len;
	uint8_t *buf = *heap ? malloc(*len) : stack;
	if (buf != NULL)
		baton__v1__request_frame__pack(frame, buf);
	return buf;
}

/* One unsealed call; *out is the reply frame (caller frees). */
static baton_status plain_call(baton_client *c, Baton__V1__RequestFrame *frame, int64_t deadline,
    int64_t timeout_ms, baton_result *res, Baton__V1__ReplyFrame **out)
{
	uint8_t stack[512], *buf;
	size_t len;
	bool heap;
	nng_msg *msg;
	baton_status s;

	*out = NULL;
	if ((buf = pack_frame(frame, stack, sizeof(stack), &len, &heap)) == NULL)
		return client_fail(res, BATON_INTERNAL, "out of memory");
	s = exchange(c, buf, len, deadline, timeout_ms, res, &msg);
	if (heap)
		free(buf);
	if (s != BATON_OK)
		return s;
	*out = baton__v1__reply_frame__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
	nng_msg_free(msg);
	if (*out == NULL)
		return client_fail(res, BATON_INTERNAL, "the server's reply is not a baton.v1.ReplyFrame");
	return BATON_OK;
}

static void next_request_id(baton_client *c, uint8_t id[16])
{
	uint64_t n = atomic_fetch_add_explicit(&c->id_counter, 1, memory_order_relaxed);
	memcpy(id, c->id_prefix, sizeof(c->id_prefix));
	memcpy(id + sizeof(c->id_prefix), &n, sizeof(n));
}

/* Opens a session. Called with sess_mtx held. */
static baton_status handshake(baton_client *c, int64_t deadline, int64_t timeout_ms, baton_result *res)
{
	Baton__V1__HandshakeRequest hreq = BATON__V1__HANDSHAKE_REQUEST__INIT;
	Baton__V1__RequestFrame frame = BATON__V1__REQUEST_FRAME__INIT;
	Baton__V1__ReplyFrame *reply = NULL;
	Baton__V1__HandshakeReply *hrep = NULL;
	baton_result hres;
	chan_client_hs hs;
	chan_welcome w;
	uint8_t payload[256];
	baton_status s;
	int rv;

	memset(&hres, 0, sizeof(hres));
	if ((rv = chan_client_hello(&hs, c->server_key, c->key.secret_key, clock_realtime_ms(), NULL)) != CHAN_OK)
		return client_fail(res, BATON_INTERNAL, "handshake: %s", chan_strerror(rv));
	hreq.version = hs.hello.version;
	hreq.server_key = (ProtobufCBinaryData){ CHAN_KEY_BYTES, hs.hello.server_key };
	hreq.client_key = (ProtobufCBinaryData){ CHAN_KEY_BYTES, hs.hello.client_key };
	hreq.client_ephemeral = (ProtobufCBinaryData){ CHAN_KEY_BYTES, hs.hello.client_ephemeral };
	hreq.time_unix_ms = hs.hello.time_unix_ms;
	hreq.signature = (ProtobufCBinaryData){ CHAN_SIG_BYTES, hs.hello.signature };
	frame.method = HANDSHAKE_METHOD;
	next_request_id(c, hres.request_id);
	frame.request_id = (ProtobufCBinaryData){ sizeof(hres.request_id), hres.request_id };
	frame.deadline_unix_ms = deadline;
	frame.payload = (ProtobufCBinaryData){ baton__v1__handshake_request__pack(&hreq, payload), payload };

	if ((s = plain_call(c, &frame, deadline, timeout_ms, &hres, &reply)) != BATON_OK) {
		client_fail(res, s, "opening a session: %s", hres.message);
		goto out;
	}
	if ((s = result_from_reply(reply, &hres)) != BATON_OK) {
		client_fail(res, s, "the server refused the session: %s", hres.message);
		goto out;
	}
	hrep = baton__v1__handshake_reply__unpack(NULL, hres.payload_len, hres.payload);
	if (hrep == NULL || hrep->session_id.len != CHAN_SESSION_ID_BYTES ||
	    hrep->server_ephemeral.len != CHAN_KEY_BYTES || hrep->signature.len != CHAN_SIG_BYTES) {
		s = client_fail(res, BATON_UNAUTHENTICATED, "the server's handshake reply is malformed");
		goto out;
	}
	memcpy(w.session_id, hrep->session_id.data, CHAN_SESSION_ID_BYTES);
	memcpy(w.server_ephemeral, hrep->server_ephemeral.data, CHAN_KEY_BYTES);
	w.expires_unix_ms = hrep->expires_unix_ms;
	memcpy(w.signature, hrep->signature.data, CHAN_SIG_BYTES);
	if ((rv = chan_client_finish(&hs, &w, &c->keys)) != CHAN_OK) {
		s = client_fail(res, BATON_UNAUTHENTICATED,
		    "the server did not prove the pinned server key (%s); wrong --server-key, or not the "
		    "server you meant", chan_strerror(rv));
		goto out;
	}
	memcpy(c->session_id, w.session_id, sizeof(c->session_id));
	c->session_opened_ms = clock_realtime_ms();
	c->session_expires_ms = w.expires_unix_ms;
	c->next_counter = 1;
	c->generation++;
	c->handshakes++;
	c->have_session = true;
	s = BATON_OK;
out:
	chan_client_hs_wipe(&hs);
	baton__v1__handshake_reply__free_unpacked(hrep, NULL);
	baton__v1__reply_frame__free_unpacked(reply, NULL);
	baton_result_clear(&hres);
	return s;
}

/* A session's material for one call. Secret: wiped after the call. */
typedef struct call_session {
	uint8_t   id[CHAN_SESSION_ID_BYTES];
	chan_keys keys;
	uint64_t  counter;
	uint64_t  generation;
} call_session;

static bool session_fresh(const baton_client *c, int64_t now)
{
	int64_t life = c->session_expires_ms - c->session_opened_ms;
	int64_t margin = life / 4 < RENEW_MARGIN_MS ? life / 4 : RENEW_MARGIN_MS;
	return c->have_session && c->session_expires_ms - now > margin;
}

static baton_status session_take(baton_client *c, int64_t deadline, int64_t timeout_ms, call_session *cs,
    baton_result *res)
{
	baton_status s = BATON_OK;

	pthread_mutex_lock(&c->sess_mtx);
	if (!session_fresh(c, clock_realtime_ms()))
		s = handshake(c, deadline, timeout_ms, res);
	if (s == BATON_OK) {
		memcpy(cs->id, c->session_id, sizeof(cs->id));
		cs->keys = c->keys;
		cs->counter = c->next_counter++;
		cs->generation = c->generation;
	}
	pthread_mutex_unlock(&c->sess_mtx);
	return s;
}

/* The server no longer knows the session: forget it, unless another call
 * already renewed it. */
static void session_forget(baton_client *c, uint64_t generation)
{
	pthread_mutex_lock(&c->sess_mtx);
	if (c->generation == generation) {
		c->have_session = false;
		sodium_memzero(&c->keys, sizeof(c->keys));
	}
	pthread_mutex_unlock(&c->sess_mtx);
}

/* One sealed call in the current session. *renew says the server asked
 * for a new session before doing anything. */
static baton_status sealed_call(baton_client *c, Baton__V1__RequestFrame *inner, bool sign,
    int64_t deadline, int64_t timeout_ms, baton_result *res, bool *renew)
{
	Baton__V1__RequestFrame outer = BATON__V1__REQUEST_FRAME__INIT;
	Baton__V1__ReplyFrame *reply = NULL, *opened = NULL;
	uint8_t sig[CHAN_SIG_BYTES], hash[CHAN_HASH_BYTES];
	uint8_t stack[512], *plain = NULL, *sealed = NULL, *buf = NULL, *rplain = NULL;
	size_t plain_len = 0, len, rplain_len = 0;
	bool heap = false;
	nng_msg *msg = NULL;
	call_session cs;
	baton_status s;

	*renew = false;
	memset(&cs, 0, sizeof(cs));
	if ((s = session_take(c, deadline, timeout_ms, &cs, res)) != BATON_OK)
		return s;
	if (sign) {
		chan_payload_hash(inner->payload.data, inner->payload.len, hash);
		if (chan_request_sign(c->key.secret_key, cs.keys.binding, inner->method, res->request_id, hash, sig) != CHAN_OK) {
			s = client_fail(res, BATON_INVALID_ARGUMENT, "cannot sign a request for %s", inner->method);
			goto out;
		}
		inner->signature = (ProtobufCBinaryData){ sizeof(sig), sig };
	}
	plain_len = baton__v1__request_frame__get_packed_size(inner);
	if ((plain = malloc(plain_len)) == NULL || (sealed = malloc(plain_len + CHAN_TAG_BYTES)) == NULL) {
		s = client_fail(res, BATON_INTERNAL, "out of memory");
		goto out;
	}
	baton__v1__request_frame__pack(inner, plain);
	if (chan_seal(cs.keys.c2s, CHAN_C2S, cs.id, cs.counter, plain, plain_len, sealed) != CHAN_OK) {
		s = client_fail(res, BATON_INTERNAL, "cannot seal the request");
		goto out;
	}
	outer.session_id = (ProtobufCBinaryData){ sizeof(cs.id), cs.id };
	outer.counter = cs.counter;
	outer.sealed = (ProtobufCBinaryData){ plain_len + CHAN_TAG_BYTES, sealed };
	outer.method = "";
	if ((buf = pack_frame(&outer, stack, sizeof(stack), &len, &heap)) == NULL) {
		s = client_fail(res, BATON_INTERNAL, "out of memory");
		goto out;
	}
	if ((s = exchange(c, buf, len, deadline, timeout_ms, res, &msg)) != BATON_OK)
		goto out;
	reply = baton__v1__reply_frame__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
	if (reply == NULL) {
		s = client_fail(res, BATON_INTERNAL, "the server's reply is not a baton.v1.ReplyFrame");
		goto out;
	}
	if (reply->sealed.len == 0) {
		/* Refused before the server could open the frame. */
		if (reply->renew_session && reply->status == BATON__V1__STATUS_CODE__UNAUTHENTICATED) {
			*renew = true;
			session_forget(c, cs.generation);
		}
		/* The server answers a sealed request unsealed only to refuse it
		 * before it ran (UNAUTHENTICATED). Anything else unsealed cannot be
		 * trusted: whoever sent it, the call's outcome is unknown. */
		if (reply->status == BATON__V1__STATUS_CODE__UNAUTHENTICATED)
			s = result_from_reply(reply, res);
		else
			s = client_fail(res, BATON_UNAVAILABLE,
			    "the answer to a sealed request came unsealed (claiming %s: %.200s); it cannot be "
			    "trusted, and the call may or may not have run",
			    baton_status_str((int)reply->status), reply->message ? reply->message : "");
		goto out;
	}
	if (reply->counter != cs.counter || reply->sealed.len < CHAN_TAG_BYTES) {
		s = client_fail(res, BATON_INTERNAL, "the server's reply does not answer this request");
		goto out;
	}
	rplain_len = reply->sealed.len - CHAN_TAG_BYTES;
	if ((rplain = malloc(rplain_len ? rplain_len : 1)) == NULL) {
		s = client_fail(res, BATON_INTERNAL, "out of memory");
		goto out;
	}
	if (chan_open(cs.keys.s2c, CHAN_S2C, cs.id, cs.counter, reply->sealed.data, reply->sealed.len, rplain) != CHAN_OK) {
		s = client_fail(res, BATON_INTERNAL, "the server's reply failed authentication");
		goto out;
	}
	if ((opened = baton__v1__reply_frame__unpack(NULL, rplain_len, rplain)) == NULL) {
		s = client_fail(res, BATON_INTERNAL, "the server's sealed reply is not a baton.v1.ReplyFrame");
		goto out;
	}
	s = result_from_reply(opened, res);
out:
	if (plain != NULL)
		sodium_memzero(plain, plain_len);
	if (rplain != NULL)
		sodium_memzero(rplain, rplain_len);
	free(plain);
	free(sealed);
	free(rplain);
	if (heap)
		free(buf);
	nng_msg_free(msg);
	baton__v1__reply_frame__free_unpacked(reply, NULL);
	baton__v1__reply_frame__free_unpacked(opened, NULL);
	sodium_memzero(&cs, sizeof(cs));
	return s;
}

baton_status baton_call(baton_client *c, const char *method, const void *request,
    size_t request_len, const baton_call_options *opts, baton_result *res)
{
	Baton__V1__RequestFrame frame = BATON__V1__REQUEST_FRAME__INIT;
	Baton__V1__ReplyFrame *reply;
	int64_t now = clock_realtime_ms(), deadline, timeout_ms;
	bool sign = opts && opts->changes_state, renew;
	baton_status s;

	memset(res, 0, sizeof(*res));
	if (method == NULL || method[0] != '/' || strchr(method + 1, '/') == NULL)
		return client_fail(res, BATON_INVALID_ARGUMENT,
		    "method must be fully qualified, like /baton.v1.System/Ping");
	timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : c->default_timeout_ms;
	deadline = opts && opts->deadline_unix_ms != 0 ? opts->deadline_unix_ms : now + timeout_ms;
	if (opts && opts->deadline_unix_ms != 0)
		timeout_ms = deadline > now ? deadline - now : 0;
	if (opts && opts->has_request_id)
		memcpy(res->request_id, opts->request_id, sizeof(res->request_id));
	else
		next_request_id(c, res->request_id);

	frame.method = (char *)method;
	frame.request_id = (ProtobufCBinaryData){ sizeof(res->request_id), res->request_id };
	frame.deadline_unix_ms = deadline;
	frame.payload = (ProtobufCBinaryData){ request_len, (uint8_t *)request };

	if (c->secure && strcmp(method, HEALTH_METHOD) != 0) {
		/* A session the server forgot is renewed and the call sent once
		 * more: the server refused it before doing anything. */
		for (int attempt = 0; attempt < 2; attempt++) {
			s = sealed_call(c, &frame, sign, deadline, timeout_ms, res, &renew);
			if (!renew)
				break;
			frame.signature = (ProtobufCBinaryData){ 0, NULL };
		}
		return s;
	}
	if (sign)
		return client_fail(res, BATON_UNAUTHENTICATED,
		    "%s changes state and must be signed: open the client with a key", method);
	if ((s = plain_call(c, &frame, deadline, timeout_ms, res, &reply)) != BATON_OK)
		return s;
	s = result_from_reply(reply, res);
	baton__v1__reply_frame__free_unpacked(reply, NULL);
	return s;
}

baton_status baton_session_open(baton_client *c, int64_t timeout_ms, baton_result *res)
{
	int64_t t = timeout_ms > 0 ? timeout_ms : c->default_timeout_ms;
	baton_status s = BATON_OK;

	memset(res, 0, sizeof(*res));
	if (!c->secure)
		return client_fail(res, BATON_INVALID_ARGUMENT, "the client was opened without a key");
	pthread_mutex_lock(&c->sess_mtx);
	if (!session_fresh(c, clock_realtime_ms()))
		s = handshake(c, clock_realtime_ms() + t, t, res);
	pthread_mutex_unlock(&c->sess_mtx);
	return s;
}

void baton_session_stats_get(baton_client *c, baton_session_stats *stats)
{
	pthread_mutex_lock(&c->sess_mtx);
	stats->handshakes = c->handshakes;
	stats->expires_unix_ms = c->have_session ? c->session_expires_ms : 0;
	pthread_mutex_unlock(&c->sess_mtx);
}
