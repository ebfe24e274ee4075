/* test_secure_handshake.c - tries to break the handshake of a real batond on a real PostgreSQL: replayed hellos, server keys, unknown keys, clocks, forgeries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <stdatomic.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <sodium.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "baton/v1/session.pb-c.h"
#include "baton/v1/wire.pb-c.h"
#include "common/chan.h"
#include "common/clock.h"
#include "fixture.h"
#include "harness.h"
#include "rawchan.h"
#include "secure.h"

typedef ProtobufCBinaryData bytes; /* malloc'ed data unless said otherwise */

/* ---- the server log --------------------------------------------------------- */

/* Waits up to 2 s for b's log to hold at least want lines with every
 * needle (lines are written before the reply goes out, so this is a
 * margin, not a race); returns the count. */
static int log_count_wait(const harness_batond *b, const char *const *needles, int want)
{
	int64_t give_up = harness_now_ms() + 2000;
	int n;
	while ((n = harness_log_count(b, needles)) < want && harness_now_ms() < give_up)
		harness_sleep_ms(20);
	return n;
}

/* The handshake log lines of b that opened a session. */
static int sessions_opened(const harness_batond *b, const char *handle)
{
	char who[96];
	snprintf(who, sizeof(who), "\"principal\":\"%s\"", handle);
	const char *needles[] = { "\"event\":\"session_opened\"", who, NULL };
	return harness_log_count(b, needles);
}

/* ---- 3. handshake replay ---------------------------------------------------------- */

static void replayed_handshake_is_refused_and_opens_no_session(void **state)
{
	Baton__V1__ReplyFrame *r, *inner;
	chan_client_hs hs;
	rawchan_session rs;
	nng_socket other;
	bytes hello, ping;
	const char *refused[] = { "\"event\":\"handshake_refused\"", "replayed", NULL };
	int before, refused_before;
	(void)state;

	before = sessions_opened(&secure.srv, "admin");
	refused_before = harness_log_count(&secure.srv, refused);
	memset(&rs, 0, sizeof(rs));
	rs.key = &secure.admin_key;
	rs.sock = rawchan_dial(secure.srv.url);
	assert_int_equal(chan_client_hello(&hs, secure.server_pk, secure.admin_key.secret_key,
	                     clock_realtime_ms(), NULL), CHAN_OK);
	hello = rawchan_hello_frame(&hs.hello);
	r = rawchan_exchange(rs.sock, hello);
	rawchan_session_finish(&rs, &hs, r);
	rawchan_reply_free(r);

	/* The same bytes, on the same connection and on a new one. */
	r = rawchan_exchange(rs.sock, hello);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "replayed", false);
	rawchan_reply_free(r);
	other = rawchan_dial(secure.srv.url);
	r = rawchan_exchange(other, hello);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "replayed", false);
	rawchan_reply_free(r);
	nng_close(other);

	assert_int_equal(log_count_wait(&secure.srv, refused, refused_before + 2), refused_before + 2);
	assert_int_equal(sessions_opened(&secure.srv, "admin"), before + 1);

	/* The one session that was opened works. */
	ping = rawchan_ping_inner("only one");
	inner = rawchan_sealed_call(&rs, 1, ping);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	free(ping.data);
	free(hello.data);
	rawchan_session_close(&rs);
}

static void replayed_handshake_is_refused_by_another_instance(void **state)
{
	const char *extra[] = { "--handshake-failures-per-minute=100000", NULL };
	Baton__V1__ReplyFrame *r;
	chan_client_hs hs;
	rawchan_session rs;
	nng_socket s;
	bytes hello;
	(void)state;

	secure_extra_start(&secure.second, extra);
	memset(&rs, 0, sizeof(rs));
	rs.key = &secure.admin_key;
	rs.sock = rawchan_dial(secure.srv.url);
	assert_int_equal(chan_client_hello(&hs, secure.server_pk, secure.admin_key.secret_key,
	                     clock_realtime_ms(), NULL), CHAN_OK);
	hello = rawchan_hello_frame(&hs.hello);
	r = rawchan_exchange(rs.sock, hello);
	rawchan_session_finish(&rs, &hs, r);
	rawchan_reply_free(r);

	/* Same server key, same database: the other instance has seen it too. */
	s = rawchan_dial(secure.second.url);
	r = rawchan_exchange(s, hello);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "replayed", false);
	rawchan_reply_free(r);
	assert_int_equal(sessions_opened(&secure.second, "admin"), 0);

	/* A session of one instance is unknown to the other: renew. */
	{
		bytes ping = rawchan_ping_inner("elsewhere");
		bytes sealed = rawchan_seal(&rs, 1, ping);
		bytes frame = rawchan_outer_frame(rs.id, sizeof(rs.id), 1, sealed);
		r = rawchan_exchange(s, frame);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "session unknown", true);
		rawchan_reply_free(r);
		free(frame.data);
		free(sealed.data);
		free(ping.data);
	}
	nng_close(s);
	free(hello.data);
	rawchan_session_close(&rs);

	/* The same new hello sent to both instances at the same moment, four
	 * times each: one session in all. */
	for (int round = 0; round < 5; round++) {
		const char *urls[] = { secure.srv.url, secure.second.url };
		assert_int_equal(chan_client_hello(&hs, secure.server_pk, secure.admin_key.secret_key,
		                     clock_realtime_ms(), NULL), CHAN_OK);
		hello = rawchan_hello_frame(&hs.hello);
		assert_int_equal(rawchan_race(urls, 2, hello, 8), 1);
		free(hello.data);
		chan_client_hs_wipe(&hs);
	}
	secure_extra_stop(&secure.second);
}

/* ---- 4. server keys ---------------------------------------------------------------- */

static void client_pinned_to_another_server_key_is_refused(void **state)
{
	baton_session_stats st;
	baton_key wrong;
	baton_client *c;
	char msg[512];
	(void)state;

	assert_int_equal(baton_key_generate(&wrong), BATON_OK);
	c = secure_client_with(&secure.srv, &secure.admin_key, wrong.public_key);
	assert_int_equal(secure_ping_msg(c, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	if (strstr(msg, "server key") == NULL)
		fail_msg("message does not mention the server key: %s", msg);
	assert_int_equal(baton_server_info_get(c, 5000, &(baton_server_info){ 0 }, &(baton_result){ 0 }),
	    BATON_UNAUTHENTICATED);
	baton_session_stats_get(c, &st);
	assert_int_equal(st.handshakes, 0);
	baton_client_close(c);
	baton_key_wipe(&wrong);
}

/* A peer in between: answers handshakes itself with another key, or
 * relays them to the real batond and swaps one bit of its reply. */
typedef enum { FAKE_IMPOSTER, FAKE_SWAP_EPHEMERAL, FAKE_SWAP_SESSION_ID } fake_mode;

typedef struct fake_server {
	nng_socket  sock;
	char        url[64];
	pthread_t   thread;
	fake_mode   mode;
	baton_key   imposter;
	atomic_bool stop;
	atomic_int  answered;
} fake_server;

/* No cmocka asserts here: this runs on its own thread. Returns the packed
 * reply or { 0, NULL }. */
static bytes fake_answer(fake_server *f, const uint8_t *req_bytes, size_t req_len)
{
	Baton__V1__RequestFrame *req = baton__v1__request_frame__unpack(NULL, req_len, req_bytes);
	Baton__V1__HandshakeRequest *hreq = NULL;
	Baton__V1__HandshakeReply *hrep = NULL;
	Baton__V1__ReplyFrame *relayed = NULL;
	Baton__V1__ReplyFrame out = BATON__V1__REPLY_FRAME__INIT;
	Baton__V1__HandshakeReply mine = BATON__V1__HANDSHAKE_REPLY__INIT;
	chan_welcome w;
	chan_keys keys;
	uint8_t sid[CHAN_SESSION_ID_BYTES], body[256];
	bytes reply = { 0, NULL };

	if (req == NULL || strcmp(req->method, M_HANDSHAKE) != 0)
		goto out;
	if (f->mode == FAKE_IMPOSTER) {
		chan_hello h;
		hreq = baton__v1__handshake_request__unpack(NULL, req->payload.len, req->payload.data);
		if (hreq == NULL || hreq->server_key.len != 32 || hreq->client_key.len != 32 ||
		    hreq->client_ephemeral.len != 32 || hreq->signature.len != 64)
			goto out;
		h.version = hreq->version;
		memcpy(h.server_key, hreq->server_key.data, 32);
		memcpy(h.client_key, hreq->client_key.data, 32);
		memcpy(h.client_ephemeral, hreq->client_ephemeral.data, 32);
		h.time_unix_ms = hreq->time_unix_ms;
		memcpy(h.signature, hreq->signature.data, 64);
		randombytes_buf(sid, sizeof(sid));
		if (chan_server_welcome(&h, f->imposter.secret_key, sid, clock_realtime_ms() + 3600000, NULL, &w,
		        &keys) != CHAN_OK)
			goto out;
		chan_keys_wipe(&keys);
		mine.session_id = (bytes){ sizeof(w.session_id), w.session_id };
		mine.server_ephemeral = (bytes){ sizeof(w.server_ephemeral), w.server_ephemeral };
		mine.expires_unix_ms = w.expires_unix_ms;
		mine.signature = (bytes){ sizeof(w.signature), w.signature };
	} else {
		nng_socket up;
		nng_msg *m = NULL;
		if (nng_req0_open(&up) != 0)
			goto out;
		if (nng_socket_set_ms(up, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0 ||
		    nng_socket_set_ms(up, NNG_OPT_RECVTIMEO, 5000) != 0 || nng_dial(up, secure.srv.url, NULL, 0) != 0 ||
		    nng_send(up, (void *)req_bytes, req_len, 0) != 0 || nng_recvmsg(up, &m, 0) != 0) {
			nng_close(up);
			goto out;
		}
		relayed = baton__v1__reply_frame__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
		nng_msg_free(m);
		nng_close(up);
		if (relayed == NULL || relayed->status != 0)
			goto out;
		hrep = baton__v1__handshake_reply__unpack(NULL, relayed->payload.len, relayed->payload.data);
		if (hrep == NULL || hrep->server_ephemeral.len != 32 || hrep->session_id.len != 16)
			goto out;
		if (f->mode == FAKE_SWAP_EPHEMERAL)
			hrep->server_ephemeral.data[5] ^= 0x20;
		else
			hrep->session_id.data[3] ^= 0x01;
		mine.session_id = hrep->session_id;
		mine.server_ephemeral = hrep->server_ephemeral;
		mine.expires_unix_ms = hrep->expires_unix_ms;
		mine.signature = hrep->signature;
	}
	out.status = BATON__V1__STATUS_CODE__OK;
	out.request_id = req->request_id;
	out.payload = (bytes){ baton__v1__handshake_reply__pack(&mine, body), body };
	reply.len = baton__v1__reply_frame__get_packed_size(&out);
	if ((reply.data = malloc(reply.len)) != NULL)
		baton__v1__reply_frame__pack(&out, reply.data);
out:
	baton__v1__handshake_request__free_unpacked(hreq, NULL);
	baton__v1__handshake_reply__free_unpacked(hrep, NULL);
	baton__v1__reply_frame__free_unpacked(relayed, NULL);
	baton__v1__request_frame__free_unpacked(req, NULL);
	return reply;
}

static void *fake_main(void *arg)
{
	fake_server *f = arg;
	while (!atomic_load(&f->stop)) {
		nng_msg *m;
		int rv = nng_recvmsg(f->sock, &m, 0);
		if (rv == NNG_ETIMEDOUT)
			continue;
		if (rv != 0)
			break;
		bytes reply = fake_answer(f, nng_msg_body(m), nng_msg_len(m));
		nng_msg_free(m);
		if (reply.data != NULL && nng_send(f->sock, reply.data, reply.len, 0) == 0)
			atomic_fetch_add(&f->answered, 1);
		free(reply.data);
	}
	return NULL;
}

static void fake_start(fake_server *f, fake_mode mode)
{
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	assert_int_equal(baton_key_generate(&f->imposter), BATON_OK);
	assert_int_equal(harness_rep0_listen(&f->sock, 0, f->url, sizeof(f->url)), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(fake_server *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	nng_close(f->sock);
	baton_key_wipe(&f->imposter);
}

static void client_refuses_a_server_that_cannot_prove_the_pinned_key(void **state)
{
	static const fake_mode modes[] = { FAKE_IMPOSTER, FAKE_SWAP_EPHEMERAL, FAKE_SWAP_SESSION_ID };
	(void)state;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		baton_session_stats st;
		fake_server f;
		baton_client *c;
		char msg[512];
		harness_batond at = { .pid = 0 };

		fake_start(&f, modes[i]);
		snprintf(at.url, sizeof(at.url), "%s", f.url);
		c = secure_client_with(&at, &secure.admin_key, secure.server_pk);
		assert_int_equal(secure_ping_msg(c, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
		if (strstr(msg, "pinned server key") == NULL)
			fail_msg("mode %zu: message does not mention the pinned server key: %s", i, msg);
		baton_session_stats_get(c, &st);
		assert_int_equal(st.handshakes, 0);
		baton_client_close(c);
		fake_stop(&f); /* joins its thread: the count is final */
		assert_true(atomic_load(&f.answered) >= 1);
	}
}

/* ---- 5, 6. unknown keys, clocks, forged hellos ------------------------------------- */

static void unknown_key_is_refused_and_opens_no_session(void **state)
{
	const char *refused[] = { "\"event\":\"handshake_refused\"", "unknown key", NULL };
	const char *opened[] = { "\"event\":\"session_opened\"", NULL };
	baton_key stranger;
	baton_client *c;
	char msg[512];
	int refused_before, opened_before;
	(void)state;

	assert_int_equal(baton_key_generate(&stranger), BATON_OK);
	refused_before = harness_log_count(&secure.srv, refused);
	opened_before = harness_log_count(&secure.srv, opened);
	c = secure_client_with(&secure.srv, &stranger, secure.server_pk);
	assert_int_equal(secure_ping_msg(c, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	if (strstr(msg, "unknown key") == NULL)
		fail_msg("message: %s", msg);
	assert_int_equal(baton_session_open(c, 5000, &(baton_result){ 0 }), BATON_UNAUTHENTICATED);
	assert_int_equal(log_count_wait(&secure.srv, refused, refused_before + 2), refused_before + 2);
	assert_int_equal(harness_log_count(&secure.srv, opened), opened_before);
	baton_client_close(c);
	baton_key_wipe(&stranger);
}

static void handshake_time_outside_the_window_is_refused(void **state)
{
	static const int64_t offsets[] = { -10 * 60000, +10 * 60000, -61000, +61000 };
	static const int64_t absurd[] = { INT64_MIN, INT64_MIN + 1, -1, 0, INT64_MAX };
	const char *opened[] = { "\"event\":\"session_opened\"", NULL };
	Baton__V1__ReplyFrame *r;
	chan_client_hs hs;
	rawchan_session rs;
	int before;
	(void)state;

	before = harness_log_count(&secure.srv, opened);
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		assert_int_equal(chan_client_hello(&hs, secure.server_pk, secure.admin_key.secret_key,
		                     clock_realtime_ms() + offsets[i], NULL), CHAN_OK);
		r = rawchan_hello_send(&secure.srv, &hs.hello);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "clock", false);
		rawchan_reply_free(r);
		chan_client_hs_wipe(&hs);
	}
	/* Times no subtraction may overflow on. */
	for (size_t i = 0; i < sizeof(absurd) / sizeof(absurd[0]); i++) {
		assert_int_equal(chan_client_hello(&hs, secure.server_pk, secure.admin_key.secret_key,
		                     absurd[i], NULL), CHAN_OK);
		r = rawchan_hello_send(&secure.srv, &hs.hello);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "clock", false);
		rawchan_reply_free(r);
		chan_client_hs_wipe(&hs);
	}
	assert_int_equal(harness_log_count(&secure.srv, opened), before);

	/* Half a minute off is within the default window of one minute. */
	memset(&rs, 0, sizeof(rs));
	rs.key = &secure.admin_key;
	rs.sock = rawchan_dial(secure.srv.url);
	assert_int_equal(chan_client_hello(&hs, secure.server_pk, secure.admin_key.secret_key,
	                     clock_realtime_ms() - 30000, NULL), CHAN_OK);
	bytes f = rawchan_hello_frame(&hs.hello);
	r = rawchan_exchange(rs.sock, f);
	rawchan_session_finish(&rs, &hs, r);
	rawchan_reply_free(r);
	free(f.data);
	rawchan_session_close(&rs);
}

static void forged_or_malformed_handshake_is_refused(void **state)
{
	const char *opened[] = { "\"event\":\"session_opened\"", NULL };
	Baton__V1__ReplyFrame *r;
	chan_client_hs hs;
	fixture_person other;
	baton_key other_key;
	char why[400];
	int before;
	(void)state;

	secure_person_add("forgery-victim", &other);
	assert_int_equal(baton_key_file_read(other.key_file, &other_key, why, sizeof(why)), BATON_OK);
	before = harness_log_count(&secure.srv, opened);

	/* Each field changed after the admin signed the hello. */
	for (int field = 0; field < 4; field++) {
		assert_int_equal(chan_client_hello(&hs, secure.server_pk, secure.admin_key.secret_key,
		                     clock_realtime_ms(), NULL), CHAN_OK);
		switch (field) {
		case 0: hs.hello.time_unix_ms -= 1; break;
		case 1: hs.hello.client_ephemeral[9] ^= 0x04; break;
		case 2: memcpy(hs.hello.client_key, other_key.public_key, CHAN_KEY_BYTES); break; /* impersonation */
		case 3: hs.hello.signature[63] ^= 0x01; break;
		}
		r = rawchan_hello_send(&secure.srv, &hs.hello);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "signature", false);
		rawchan_reply_free(r);
		chan_client_hs_wipe(&hs);
	}

	/* Another protocol version, properly signed. */
	{
		uint8_t h1[CHAN_HASH_BYTES];
		assert_int_equal(chan_client_hello(&hs, secure.server_pk, secure.admin_key.secret_key,
		                     clock_realtime_ms(), NULL), CHAN_OK);
		hs.hello.version = 2;
		chan_hello_hash(&hs.hello, h1);
		crypto_sign_detached(hs.hello.signature, NULL, h1, sizeof(h1), secure.admin_key.secret_key);
		r = rawchan_hello_send(&secure.srv, &hs.hello);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "version", false);
		rawchan_reply_free(r);
		chan_client_hs_wipe(&hs);
	}

	/* A low-order ephemeral key (all zero), properly signed: the shared
	 * secret would be zero, so no session may come of it. */
	{
		uint8_t h1[CHAN_HASH_BYTES];
		assert_int_equal(chan_client_hello(&hs, secure.server_pk, secure.admin_key.secret_key,
		                     clock_realtime_ms(), NULL), CHAN_OK);
		memset(hs.hello.client_ephemeral, 0, CHAN_KEY_BYTES);
		chan_hello_hash(&hs.hello, h1);
		crypto_sign_detached(hs.hello.signature, NULL, h1, sizeof(h1), secure.admin_key.secret_key);
		r = rawchan_hello_send(&secure.srv, &hs.hello);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, NULL, false);
		rawchan_reply_free(r);
		chan_client_hs_wipe(&hs);
	}

	/* Fields of the wrong size. */
	{
		Baton__V1__HandshakeRequest hr = BATON__V1__HANDSHAKE_REQUEST__INIT;
		uint8_t k[CHAN_KEY_BYTES] = { 0 }, sig[CHAN_SIG_BYTES] = { 0 };
		nng_socket s = rawchan_dial(secure.srv.url);
		hr.version = 1;
		hr.server_key = (bytes){ sizeof(k), secure.server_pk };
		hr.client_key = (bytes){ sizeof(k), secure.admin_key.public_key };
		hr.client_ephemeral = (bytes){ sizeof(k) - 1, k };
		hr.time_unix_ms = clock_realtime_ms();
		hr.signature = (bytes){ sizeof(sig), sig };
		bytes payload = rawchan_pack(&hr.base);
		r = rawchan_plain_call(s, M_HANDSHAKE, payload, NULL);
		rawchan_assert_refused(r, BATON_INVALID_ARGUMENT, "wrong size", false);
		rawchan_reply_free(r);
		free(payload.data);
		nng_close(s);
	}
	assert_int_equal(harness_log_count(&secure.srv, opened), before);
	baton_key_wipe(&other_key);
	fixture_person_close(&other);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replayed_handshake_is_refused_and_opens_no_session),
		cmocka_unit_test(replayed_handshake_is_refused_by_another_instance),
		cmocka_unit_test(client_pinned_to_another_server_key_is_refused),
		cmocka_unit_test(client_refuses_a_server_that_cannot_prove_the_pinned_key),
		cmocka_unit_test(unknown_key_is_refused_and_opens_no_session),
		cmocka_unit_test(handshake_time_outside_the_window_is_refused),
		cmocka_unit_test(forged_or_malformed_handshake_is_refused),
	};
	return cmocka_run_group_tests_name("integration: secure channel, handshake", tests, secure_setup,
	    secure_teardown);
}
