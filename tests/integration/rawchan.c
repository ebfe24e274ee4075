/* rawchan.c - the secure channel's client made by hand, so integration tests can send what libbaton never would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>
#include <sodium.h>

#include "baton/v1/identity.pb-c.h"
#include "baton/v1/session.pb-c.h"
#include "baton/v1/system.pb-c.h"
#include "common/clock.h"
#include "rawchan.h"

typedef ProtobufCBinaryData bytes; /* malloc'ed data unless said otherwise */

/* ---- payloads and frames -------------------------------------------------- */

bytes rawchan_pack(const ProtobufCMessage *m)
{
	bytes b;
	b.len = protobuf_c_message_get_packed_size(m);
	b.data = malloc(b.len ? b.len : 1);
	assert_non_null(b.data);
	protobuf_c_message_pack(m, b.data);
	return b;
}

bytes rawchan_request_pack(const Baton__V1__RequestFrame *f)
{
	return rawchan_pack(&f->base);
}

bytes rawchan_add_org_payload(const char *name)
{
	Baton__V1__AddOrgRequest req = BATON__V1__ADD_ORG_REQUEST__INIT;
	char *langs[] = { "en" };
	req.name = (char *)name;
	req.kind = "after_hours";
	req.languages = langs;
	req.n_languages = 1;
	req.time_zone = "UTC";
	return rawchan_pack(&req.base);
}

bytes rawchan_ping_payload(const char *text)
{
	Baton__V1__PingRequest req = BATON__V1__PING_REQUEST__INIT;
	req.payload = (bytes){ strlen(text), (uint8_t *)text };
	return rawchan_pack(&req.base);
}

bytes rawchan_hello_frame(const chan_hello *h)
{
	Baton__V1__HandshakeRequest hr = BATON__V1__HANDSHAKE_REQUEST__INIT;
	Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
	uint8_t rid[CHAN_REQUEST_ID_BYTES];
	bytes payload, packed;

	hr.version = h->version;
	hr.server_key = (bytes){ CHAN_KEY_BYTES, (uint8_t *)h->server_key };
	hr.client_key = (bytes){ CHAN_KEY_BYTES, (uint8_t *)h->client_key };
	hr.client_ephemeral = (bytes){ CHAN_KEY_BYTES, (uint8_t *)h->client_ephemeral };
	hr.time_unix_ms = h->time_unix_ms;
	hr.signature = (bytes){ CHAN_SIG_BYTES, (uint8_t *)h->signature };
	payload = rawchan_pack(&hr.base);
	randombytes_buf(rid, sizeof(rid));
	f.method = M_HANDSHAKE;
	f.request_id = (bytes){ sizeof(rid), rid };
	f.deadline_unix_ms = clock_realtime_ms() + 10000;
	f.payload = payload;
	packed = rawchan_request_pack(&f);
	free(payload.data);
	return packed;
}

bytes rawchan_inner_frame(const char *method, const uint8_t *rid, size_t rid_len, bytes payload,
    const uint8_t *sig, size_t sig_len)
{
	Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
	f.method = (char *)method;
	if (rid != NULL)
		f.request_id = (bytes){ rid_len, (uint8_t *)rid };
	f.deadline_unix_ms = clock_realtime_ms() + 10000;
	f.payload = payload;
	if (sig != NULL)
		f.signature = (bytes){ sig_len, (uint8_t *)sig };
	return rawchan_request_pack(&f);
}

bytes rawchan_outer_frame(const uint8_t *sid, size_t sid_len, uint64_t counter, bytes sealed)
{
	Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
	f.session_id = (bytes){ sid_len, (uint8_t *)sid };
	f.counter = counter;
	f.sealed = sealed;
	return rawchan_request_pack(&f);
}

void rawchan_request_sign(const baton_key *key, const uint8_t binding[CHAN_HASH_BYTES], const char *method,
    const uint8_t rid[CHAN_REQUEST_ID_BYTES], bytes payload, uint8_t sig[CHAN_SIG_BYTES])
{
	uint8_t hash[CHAN_HASH_BYTES];
	chan_payload_hash(payload.data, payload.len, hash);
	assert_int_equal(chan_request_sign(key->secret_key, binding, method, rid, hash, sig), CHAN_OK);
}

bytes rawchan_add_org_inner(const rawchan_session *rs, const char *name, uint8_t rid[CHAN_REQUEST_ID_BYTES])
{
	uint8_t sig[CHAN_SIG_BYTES];
	bytes payload = rawchan_add_org_payload(name), inner;

	randombytes_buf(rid, CHAN_REQUEST_ID_BYTES);
	rawchan_request_sign(rs->key, rs->keys.binding, M_ADD_ORG, rid, payload, sig);
	inner = rawchan_inner_frame(M_ADD_ORG, rid, CHAN_REQUEST_ID_BYTES, payload, sig, sizeof(sig));
	free(payload.data);
	return inner;
}

bytes rawchan_ping_inner(const char *text)
{
	bytes payload = rawchan_ping_payload(text);
	bytes inner = rawchan_inner_frame(M_PING, NULL, 0, payload, NULL, 0);
	free(payload.data);
	return inner;
}

bytes rawchan_seal(const rawchan_session *rs, uint64_t counter, bytes plain)
{
	bytes s = { plain.len + CHAN_TAG_BYTES, malloc(plain.len + CHAN_TAG_BYTES) };
	assert_non_null(s.data);
	assert_int_equal(chan_seal(rs->keys.c2s, CHAN_C2S, rs->id, counter, plain.data, plain.len, s.data), CHAN_OK);
	return s;
}

/* ---- the socket ------------------------------------------------------------ */

nng_socket rawchan_dial(const char *url)
{
	nng_socket s;
	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 10000), 0);
	assert_int_equal(nng_dial(s, url, NULL, 0), 0);
	return s;
}

Baton__V1__ReplyFrame *rawchan_exchange(nng_socket s, bytes frame)
{
	Baton__V1__ReplyFrame *r;
	nng_msg *m;
	assert_int_equal(nng_send(s, frame.data, frame.len, 0), 0);
	assert_int_equal(nng_recvmsg(s, &m, 0), 0);
	r = baton__v1__reply_frame__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
	nng_msg_free(m);
	assert_non_null(r);
	return r;
}

void rawchan_reply_free(Baton__V1__ReplyFrame *r)
{
	baton__v1__reply_frame__free_unpacked(r, NULL);
}

Baton__V1__ReplyFrame *rawchan_plain_call(nng_socket s, const char *method, bytes payload, const bytes *sig)
{
	Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
	uint8_t rid[CHAN_REQUEST_ID_BYTES];
	Baton__V1__ReplyFrame *r;
	bytes packed;

	randombytes_buf(rid, sizeof(rid));
	f.method = (char *)method;
	f.request_id = (bytes){ sizeof(rid), rid };
	f.deadline_unix_ms = clock_realtime_ms() + 10000;
	f.payload = payload;
	if (sig != NULL)
		f.signature = *sig;
	packed = rawchan_request_pack(&f);
	r = rawchan_exchange(s, packed);
	free(packed.data);
	return r;
}

Baton__V1__ReplyFrame *rawchan_hello_send(const harness_batond *b, const chan_hello *h)
{
	nng_socket s = rawchan_dial(b->url);
	bytes f = rawchan_hello_frame(h);
	Baton__V1__ReplyFrame *r = rawchan_exchange(s, f);
	free(f.data);
	nng_close(s);
	return r;
}

/* ---- sessions ------------------------------------------------------------- */

void rawchan_session_finish(rawchan_session *rs, chan_client_hs *hs, const Baton__V1__ReplyFrame *r)
{
	Baton__V1__HandshakeReply *hr;
	chan_welcome w;

	if (r->status != BATON__V1__STATUS_CODE__OK)
		fail_msg("handshake refused: %s (%d)", r->message, r->status);
	hr = baton__v1__handshake_reply__unpack(NULL, r->payload.len, r->payload.data);
	assert_non_null(hr);
	assert_int_equal(hr->session_id.len, CHAN_SESSION_ID_BYTES);
	assert_int_equal(hr->server_ephemeral.len, CHAN_KEY_BYTES);
	assert_int_equal(hr->signature.len, CHAN_SIG_BYTES);
	memcpy(w.session_id, hr->session_id.data, CHAN_SESSION_ID_BYTES);
	memcpy(w.server_ephemeral, hr->server_ephemeral.data, CHAN_KEY_BYTES);
	memcpy(w.signature, hr->signature.data, CHAN_SIG_BYTES);
	w.expires_unix_ms = hr->expires_unix_ms;
	baton__v1__handshake_reply__free_unpacked(hr, NULL);
	assert_int_equal(chan_client_finish(hs, &w, &rs->keys), CHAN_OK);
	memcpy(rs->id, w.session_id, CHAN_SESSION_ID_BYTES);
	rs->expires_unix_ms = w.expires_unix_ms;
}

void rawchan_session_open(rawchan_session *rs, const harness_batond *b, const uint8_t server_key[CHAN_KEY_BYTES],
    const baton_key *key)
{
	chan_client_hs hs;
	Baton__V1__ReplyFrame *r;
	bytes f;

	memset(rs, 0, sizeof(*rs));
	rs->key = key;
	rs->sock = rawchan_dial(b->url);
	assert_int_equal(chan_client_hello(&hs, server_key, key->secret_key, clock_realtime_ms(), NULL), CHAN_OK);
	f = rawchan_hello_frame(&hs.hello);
	r = rawchan_exchange(rs->sock, f);
	free(f.data);
	rawchan_session_finish(rs, &hs, r);
	rawchan_reply_free(r);
}

void rawchan_session_close(rawchan_session *rs)
{
	nng_close(rs->sock);
	chan_keys_wipe(&rs->keys);
}

Baton__V1__ReplyFrame *rawchan_sealed_send(const rawchan_session *rs, uint64_t counter, bytes plain, bytes *sent)
{
	bytes sealed = rawchan_seal(rs, counter, plain);
	bytes frame = rawchan_outer_frame(rs->id, sizeof(rs->id), counter, sealed);
	Baton__V1__ReplyFrame *r = rawchan_exchange(rs->sock, frame);
	free(sealed.data);
	if (sent != NULL)
		*sent = frame;
	else
		free(frame.data);
	return r;
}

Baton__V1__ReplyFrame *rawchan_reply_open(const rawchan_session *rs, const Baton__V1__ReplyFrame *r, uint64_t counter)
{
	Baton__V1__ReplyFrame *inner;
	uint8_t *plain;
	size_t n;

	if (r->sealed.len == 0)
		fail_msg("expected a sealed reply, got unsealed %d: %s", r->status, r->message);
	assert_int_equal(r->status, BATON__V1__STATUS_CODE__OK);
	assert_int_equal(r->counter, counter);
	assert_int_equal(r->payload.len, 0);
	assert_string_equal(r->message, "");
	assert_true(r->sealed.len >= CHAN_TAG_BYTES);
	n = r->sealed.len - CHAN_TAG_BYTES;
	plain = malloc(n ? n : 1);
	assert_non_null(plain);
	assert_int_equal(chan_open(rs->keys.s2c, CHAN_S2C, rs->id, counter, r->sealed.data, r->sealed.len, plain),
	    CHAN_OK);
	inner = baton__v1__reply_frame__unpack(NULL, n, plain);
	free(plain);
	assert_non_null(inner);
	return inner;
}

Baton__V1__ReplyFrame *rawchan_sealed_call(const rawchan_session *rs, uint64_t counter, bytes plain)
{
	Baton__V1__ReplyFrame *outer = rawchan_sealed_send(rs, counter, plain, NULL);
	Baton__V1__ReplyFrame *inner = rawchan_reply_open(rs, outer, counter);
	rawchan_reply_free(outer);
	return inner;
}

/* ---- checks ------------------------------------------------------------------ */

void rawchan_assert_refused(const Baton__V1__ReplyFrame *r, baton_status status, const char *text, bool renew)
{
	if ((baton_status)r->status != status || (text != NULL && strstr(r->message, text) == NULL))
		fail_msg("expected %s with \"%s\", got %s: \"%s\"", baton_status_str(status), text ? text : "",
		    baton_status_str((baton_status)r->status), r->message);
	assert_int_equal(r->sealed.len, 0);
	assert_int_equal(r->counter, 0);
	assert_int_equal(r->payload.len, 0);
	assert_int_equal(r->renew_session, renew);
}

void rawchan_assert_inner(const Baton__V1__ReplyFrame *r, baton_status status, const char *text)
{
	if ((baton_status)r->status != status || (text != NULL && strstr(r->message, text) == NULL))
		fail_msg("expected %s with \"%s\", got %s: \"%s\"", baton_status_str(status), text ? text : "",
		    baton_status_str((baton_status)r->status), r->message);
}

/* The same bytes sent at the same moment from several connections. */
typedef struct racer {
	pthread_t          thread;
	const char        *url;
	bytes              frame;
	pthread_barrier_t *go;
	int                status; /* the outer reply's; -1: no reply */
	bool               sealed; /* the reply was sealed (the frame was accepted) */
} racer;

/* No cmocka asserts here: this runs on its own thread. */
static void *race_main(void *arg)
{
	racer *r = arg;
	nng_socket s;
	nng_msg *m = NULL;
	bool up = nng_req0_open(&s) == 0;

	r->status = -1;
	if (up && (nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0 ||
	              nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000) != 0 || nng_dial(s, r->url, NULL, 0) != 0))
		up = false;
	pthread_barrier_wait(r->go); /* everyone connected (or failed) first */
	if (up && nng_send(s, r->frame.data, r->frame.len, 0) == 0 && nng_recvmsg(s, &m, 0) == 0) {
		Baton__V1__ReplyFrame *rep = baton__v1__reply_frame__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
		if (rep != NULL) {
			r->status = rep->status;
			r->sealed = rep->sealed.len > 0;
			rawchan_reply_free(rep);
		}
		nng_msg_free(m);
	}
	if (up)
		nng_close(s);
	return NULL;
}

int rawchan_race(const char *const *urls, int n_urls, bytes frame, int n)
{
	racer r[8];
	pthread_barrier_t go;
	int ok = 0;

	assert_true(n <= 8);
	assert_int_equal(pthread_barrier_init(&go, NULL, (unsigned)n), 0);
	for (int i = 0; i < n; i++) {
		r[i] = (racer){ .url = urls[i % n_urls], .frame = frame, .go = &go };
		assert_int_equal(pthread_create(&r[i].thread, NULL, race_main, &r[i]), 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(r[i].thread, NULL);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < n; i++) {
		if (r[i].status == BATON__V1__STATUS_CODE__OK)
			ok++;
		else if (r[i].status != BATON__V1__STATUS_CODE__UNAUTHENTICATED || r[i].sealed)
			fail_msg("racer %d: status %d, sealed %d", i, r[i].status, r[i].sealed);
	}
	return ok;
}
