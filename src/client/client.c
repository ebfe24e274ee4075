/* client.c - libbaton: calls over nng req0 with deadlines and no hidden resends. */
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

#include "baton/v1/health.pb-c.h"
#include "baton/v1/system.pb-c.h"
#include "baton/v1/wire.pb-c.h"
#include "common/clock.h"

#define DEFAULT_TIMEOUT_MS 10000
#define DEFAULT_MAX_REPLY  (16u * 1024 * 1024)

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
};

void baton_result_clear(baton_result *res)
{
	if (res == NULL)
		return;
	free(res->payload);
	memset(res, 0, sizeof(*res));
}

static baton_status fail(baton_result *res, baton_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static baton_status fail(baton_result *res, baton_status s, const char *fmt, ...)
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
		return fail(res, BATON_INVALID_ARGUMENT, "no server URL given");
	if (sodium_init() < 0)
		return fail(res, BATON_INTERNAL, "libsodium could not initialise");
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return fail(res, BATON_INTERNAL, "out of memory");
	c->default_timeout_ms = opts && opts->default_timeout_ms > 0 ? opts->default_timeout_ms
	                                                             : DEFAULT_TIMEOUT_MS;
	c->max_reply = opts && opts->max_reply_bytes > 0 ? opts->max_reply_bytes : DEFAULT_MAX_REPLY;
	randombytes_buf(c->id_prefix, sizeof(c->id_prefix));
	uint64_t start;
	randombytes_buf(&start, sizeof(start));
	atomic_init(&c->id_counter, start);
	if (pthread_mutex_init(&c->mtx, NULL) != 0) {
		free(c);
		return fail(res, BATON_INTERNAL, "cannot create a mutex");
	}
	if ((rv = nng_req0_open(&c->sock)) != 0) {
		pthread_mutex_destroy(&c->mtx);
		free(c);
		return fail(res, BATON_INTERNAL, "nng_req0_open: %s", nng_strerror(rv));
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
		fail(res, BATON_INTERNAL, "configuring the socket: %s", nng_strerror(rv));
		baton_client_close(c);
		return res->status;
	}
	rv = nng_dial(c->sock, url, NULL, opts && opts->lazy_connect ? NNG_FLAG_NONBLOCK : 0);
	if (rv != 0) {
		baton_status s = (rv == NNG_EADDRINVAL || rv == NNG_ENOTSUP || rv == NNG_EINVAL)
		    ? BATON_INVALID_ARGUMENT : BATON_UNAVAILABLE;
		fail(res, s, "cannot connect to %s: %s", url, nng_strerror(rv));
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
	pthread_mutex_destroy(&c->mtx);
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
		return fail(res, BATON_DEADLINE_EXCEEDED, sent
		    ? "no reply within the deadline (%lld ms)"
		    : "could not reach the server within the deadline (%lld ms)", (long long)timeout_ms);
	case NNG_ECLOSED:
		return fail(res, BATON_CANCELLED, "the client was closed");
	case NNG_ECONNRESET:
		return fail(res, BATON_UNAVAILABLE,
		    "connection to the server was lost while waiting for the reply; the call may or may not have run");
	default:
		return fail(res, BATON_UNAVAILABLE, "%s", nng_strerror(rv));
	}
}

baton_status baton_call(baton_client *c, const char *method, const void *request,
    size_t request_len, const baton_call_options *opts, baton_result *res)
{
	Baton__V1__RequestFrame frame = BATON__V1__REQUEST_FRAME__INIT;
	Baton__V1__ReplyFrame *reply;
	nng_msg *msg;
	slot *sl;
	int64_t now = clock_realtime_ms(), deadline, timeout_ms;
	baton_status s;
	int rv = 0;

	memset(res, 0, sizeof(*res));
	if (method == NULL || method[0] != '/' || strchr(method + 1, '/') == NULL)
		return fail(res, BATON_INVALID_ARGUMENT,
		    "method must be fully qualified, like /baton.v1.System/Ping");
	timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : c->default_timeout_ms;
	deadline = opts && opts->deadline_unix_ms != 0 ? opts->deadline_unix_ms : now + timeout_ms;
	if (opts && opts->deadline_unix_ms != 0)
		timeout_ms = deadline > now ? deadline - now : 0;
	if (opts && opts->has_request_id) {
		memcpy(res->request_id, opts->request_id, sizeof(res->request_id));
	} else {
		uint64_t n = atomic_fetch_add_explicit(&c->id_counter, 1, memory_order_relaxed);
		memcpy(res->request_id, c->id_prefix, sizeof(c->id_prefix));
		memcpy(res->request_id + sizeof(c->id_prefix), &n, sizeof(n));
	}

	frame.method = (char *)method;
	frame.request_id.data = res->request_id;
	frame.request_id.len = sizeof(res->request_id);
	frame.deadline_unix_ms = deadline;
	frame.payload.data = (uint8_t *)request;
	frame.payload.len = request_len;
	size_t size = baton__v1__request_frame__get_packed_size(&frame);
	if ((rv = nng_msg_alloc(&msg, size)) != 0)
		return fail(res, BATON_INTERNAL, "nng_msg_alloc: %s", nng_strerror(rv));
	baton__v1__request_frame__pack(&frame, nng_msg_body(msg));

	/* Even a deadline already past is sent (the server says
	 * DEADLINE_EXCEEDED); the local wait is then the default timeout. */
	nng_duration wait_ms = (nng_duration)(timeout_ms > 0 ? timeout_ms : c->default_timeout_ms);

	pthread_mutex_lock(&c->mtx);
	sl = slot_get(c, &rv);
	pthread_mutex_unlock(&c->mtx);
	if (sl == NULL) {
		nng_msg_free(msg);
		return fail(res, BATON_INTERNAL, "cannot open a context: %s", nng_strerror(rv));
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
	msg = nng_aio_get_msg(sl->aio);
	slot_put(c, sl, true);

	reply = baton__v1__reply_frame__unpack(NULL, nng_msg_len(msg), nng_msg_body(msg));
	nng_msg_free(msg);
	if (reply == NULL)
		return fail(res, BATON_INTERNAL, "the server's reply is not a baton.v1.ReplyFrame");
	if (reply->request_id.len != 0 &&
	    (reply->request_id.len != sizeof(res->request_id) ||
	        memcmp(reply->request_id.data, res->request_id, sizeof(res->request_id)) != 0)) {
		baton__v1__reply_frame__free_unpacked(reply, NULL);
		return fail(res, BATON_INTERNAL, "the server answered a different request id");
	}
	int wire_status = (int)reply->status;
	res->status = wire_status >= 0 && wire_status <= BATON_STATUS_MAX ? (baton_status)wire_status
	                                                                  : BATON_UNKNOWN;
	snprintf(res->message, sizeof(res->message), "%s", reply->message ? reply->message : "");
	if (res->status == BATON_UNKNOWN && wire_status != BATON_UNKNOWN)
		snprintf(res->message, sizeof(res->message), "server sent unknown status %d: %s",
		    wire_status, reply->message ? reply->message : "");
	if (res->status == BATON_OK && reply->payload.len > 0) {
		if ((res->payload = malloc(reply->payload.len)) == NULL) {
			baton__v1__reply_frame__free_unpacked(reply, NULL);
			return fail(res, BATON_INTERNAL, "out of memory");
		}
		memcpy(res->payload, reply->payload.data, reply->payload.len);
		res->payload_len = reply->payload.len;
	}
	baton__v1__reply_frame__free_unpacked(reply, NULL);
	return res->status;
}

/* ---- typed helpers ------------------------------------------------------ */

/* Packs msg and calls method; on OK res->payload holds the packed reply. */
static baton_status call_message(baton_client *c, const char *method, const ProtobufCMessage *msg,
    int64_t timeout_ms, baton_result *res)
{
	baton_call_options opts = { .timeout_ms = timeout_ms };
	size_t size = protobuf_c_message_get_packed_size(msg);
	uint8_t stack[256], *buf = size <= sizeof(stack) ? stack : malloc(size);
	baton_status s;

	if (buf == NULL) {
		memset(res, 0, sizeof(*res));
		return fail(res, BATON_INTERNAL, "out of memory");
	}
	protobuf_c_message_pack(msg, buf);
	s = baton_call(c, method, buf, size, &opts, res);
	if (buf != stack)
		free(buf);
	return s;
}

/* Unpacks res->payload as a desc message and empties the payload. NULL
 * (with res failed as INTERNAL) if it does not parse. Caller frees the
 * message with protobuf_c_message_free_unpacked(msg, NULL). */
static ProtobufCMessage *reply_take(baton_result *res, const ProtobufCMessageDescriptor *desc)
{
	ProtobufCMessage *msg = protobuf_c_message_unpack(desc, NULL, res->payload_len, res->payload);

	free(res->payload);
	res->payload = NULL;
	res->payload_len = 0;
	if (msg == NULL)
		fail(res, BATON_INTERNAL, "reply is not a %s", desc->name);
	return msg;
}

baton_status baton_ping(baton_client *c, const void *data, size_t len, int64_t timeout_ms,
    baton_result *res)
{
	Baton__V1__PingRequest req = BATON__V1__PING_REQUEST__INIT;
	Baton__V1__PingReply *rep;
	baton_status s;

	req.payload.data = (uint8_t *)data;
	req.payload.len = len;
	if ((s = call_message(c, "/baton.v1.System/Ping", &req.base, timeout_ms, res)) != BATON_OK)
		return s;
	if ((rep = (Baton__V1__PingReply *)reply_take(res, &baton__v1__ping_reply__descriptor)) == NULL)
		return res->status;
	if (rep->payload.len > 0) {
		if ((res->payload = malloc(rep->payload.len)) == NULL) {
			baton__v1__ping_reply__free_unpacked(rep, NULL);
			return fail(res, BATON_INTERNAL, "out of memory");
		}
		memcpy(res->payload, rep->payload.data, rep->payload.len);
		res->payload_len = rep->payload.len;
	}
	baton__v1__ping_reply__free_unpacked(rep, NULL);
	return BATON_OK;
}

const char *baton_serving_str(baton_serving s)
{
	switch (s) {
	case BATON_SERVING: return "SERVING";
	case BATON_NOT_SERVING: return "NOT_SERVING";
	case BATON_SERVING_SERVICE_UNKNOWN: return "SERVICE_UNKNOWN";
	default: return "UNKNOWN";
	}
}

baton_status baton_health_check(baton_client *c, const char *service, int64_t timeout_ms,
    baton_serving *serving, baton_result *res)
{
	Baton__V1__HealthCheckRequest req = BATON__V1__HEALTH_CHECK_REQUEST__INIT;
	Baton__V1__HealthCheckResponse *rep;
	baton_status s;

	*serving = BATON_SERVING_UNKNOWN;
	req.service = (char *)(service != NULL ? service : "");
	if ((s = call_message(c, "/baton.v1.Health/Check", &req.base, timeout_ms, res)) != BATON_OK)
		return s;
	rep = (Baton__V1__HealthCheckResponse *)reply_take(res, &baton__v1__health_check_response__descriptor);
	if (rep == NULL)
		return res->status;
	*serving = rep->status >= 0 && rep->status <= 3 ? (baton_serving)rep->status : BATON_SERVING_UNKNOWN;
	baton__v1__health_check_response__free_unpacked(rep, NULL);
	return BATON_OK;
}

baton_status baton_server_info_get(baton_client *c, int64_t timeout_ms, baton_server_info *info,
    baton_result *res)
{
	Baton__V1__InfoRequest req = BATON__V1__INFO_REQUEST__INIT;
	Baton__V1__InfoReply *rep;
	baton_status s;

	memset(info, 0, sizeof(*info));
	if ((s = call_message(c, "/baton.v1.System/Info", &req.base, timeout_ms, res)) != BATON_OK)
		return s;
	if ((rep = (Baton__V1__InfoReply *)reply_take(res, &baton__v1__info_reply__descriptor)) == NULL)
		return res->status;
	snprintf(info->server_version, sizeof(info->server_version), "%s", rep->server_version);
	snprintf(info->database_id, sizeof(info->database_id), "%s", rep->database_id);
	info->schema_version = rep->schema_version;
	info->database_time_unix_ms = rep->database_time_unix_ms;
	info->uptime_seconds = rep->uptime_seconds;
	baton__v1__info_reply__free_unpacked(rep, NULL);
	return BATON_OK;
}
