/* test_secure_frames.c - tries to break the sealed frames of a real batond on a real PostgreSQL: tampering, splices, replay, unsealed calls, signatures, secrets in logs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <sodium.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "baton/v1/health.pb-c.h"
#include "baton/v1/identity.pb-c.h"
#include "baton/v1/system.pb-c.h"
#include "common/chan.h"
#include "common/clock.h"
#include "harness.h"
#include "rawchan.h"
#include "secure.h"

typedef ProtobufCBinaryData bytes; /* malloc'ed data unless said otherwise */

/* ---- the database ----------------------------------------------------------- */

/* One integer from the database, with the server's view of every row
 * (row-level security hides everything from an unscoped session). */
__attribute__((format(printf, 1, 2)))
static long sql_long(const char *fmt, ...)
{
	char body[900], sql[1024], out[64] = "";
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(body, sizeof(body), fmt, ap);
	va_end(ap);
	snprintf(sql, sizeof(sql), "SELECT set_config('baton.scope', 'all', false); %s", body);
	assert_int_equal(harness_sql(&secure.pg, NULL, sql, out, sizeof(out)), 0);
	return strtol(out, NULL, 10);
}

static long org_count(const char *name)
{
	return sql_long("SELECT count(*) FROM org WHERE name = '%s'", name);
}

static long record_count(const uint8_t rid[CHAN_REQUEST_ID_BYTES])
{
	char hex[2 * CHAN_REQUEST_ID_BYTES + 1];
	sodium_bin2hex(hex, sizeof(hex), rid, CHAN_REQUEST_ID_BYTES);
	return sql_long("SELECT count(*) FROM request_record WHERE request_id = decode('%s', 'hex')", hex);
}

/* ---- 1. tampering -------------------------------------------------------------- */

static void tampered_sealed_frame_is_refused_and_not_executed(void **state)
{
	static const char name[] = "tampered-org";
	static const uint64_t counter_flips[] = { 1ull << 1, 1ull << 40, 1ull << 63 };
	static const size_t sid_flips[][2] = { { 0, 0x01 }, { 7, 0x10 }, { 15, 0x80 } };
	uint8_t rid[CHAN_REQUEST_ID_BYTES];
	Baton__V1__ReplyFrame *r, *inner;
	rawchan_session rs;
	bytes plain, sealed, frame;
	(void)state;

	rawchan_session_open(&rs, &secure.srv, secure.server_pk, &secure.admin_key);
	plain = rawchan_add_org_inner(&rs, name, rid);
	sealed = rawchan_seal(&rs, 1, plain);

	/* Every single bit of the whole outer frame, flipped in turn. */
	frame = rawchan_outer_frame(rs.id, sizeof(rs.id), 1, sealed);
	for (size_t i = 0; i < frame.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			frame.data[i] ^= (uint8_t)(1u << bit);
			r = rawchan_exchange(rs.sock, frame);
			frame.data[i] ^= (uint8_t)(1u << bit);
			if (r->status == BATON__V1__STATUS_CODE__OK || r->sealed.len != 0)
				fail_msg("flipping bit %d of byte %zu of %zu was accepted", bit, i, frame.len);
			rawchan_reply_free(r);
		}
	}
	free(frame.data);

	/* One bit of the sealed bytes: ciphertext start, middle, tag end. */
	size_t where[] = { 0, sealed.len / 2, sealed.len - CHAN_TAG_BYTES, sealed.len - 1 };
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		sealed.data[where[i]] ^= (uint8_t)(1u << (i % 8));
		frame = rawchan_outer_frame(rs.id, sizeof(rs.id), 1, sealed);
		sealed.data[where[i]] ^= (uint8_t)(1u << (i % 8));
		r = rawchan_exchange(rs.sock, frame);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "authentication", false);
		rawchan_reply_free(r);
		free(frame.data);
	}
	/* One bit of the counter (it is in the nonce and the associated data). */
	for (size_t i = 0; i < sizeof(counter_flips) / sizeof(counter_flips[0]); i++) {
		frame = rawchan_outer_frame(rs.id, sizeof(rs.id), 1 ^ counter_flips[i], sealed);
		r = rawchan_exchange(rs.sock, frame);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "authentication", false);
		rawchan_reply_free(r);
		free(frame.data);
	}
	/* One bit of the session id: no such session, the client should renew. */
	for (size_t i = 0; i < sizeof(sid_flips) / sizeof(sid_flips[0]); i++) {
		uint8_t sid[CHAN_SESSION_ID_BYTES];
		memcpy(sid, rs.id, sizeof(sid));
		sid[sid_flips[i][0]] ^= (uint8_t)sid_flips[i][1];
		frame = rawchan_outer_frame(sid, sizeof(sid), 1, sealed);
		r = rawchan_exchange(rs.sock, frame);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "session unknown", true);
		rawchan_reply_free(r);
		free(frame.data);
	}
	assert_int_equal(org_count(name), 0);
	assert_int_equal(record_count(rid), 0);

	/* The untouched frame still works: no forgery used up its counter. */
	frame = rawchan_outer_frame(rs.id, sizeof(rs.id), 1, sealed);
	r = rawchan_exchange(rs.sock, frame);
	inner = rawchan_reply_open(&rs, r, 1);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	assert_int_equal(inner->request_id.len, sizeof(rid));
	assert_memory_equal(inner->request_id.data, rid, sizeof(rid));
	Baton__V1__AddOrgReply *added = baton__v1__add_org_reply__unpack(NULL, inner->payload.len, inner->payload.data);
	assert_non_null(added);
	assert_string_equal(added->org->name, name);
	baton__v1__add_org_reply__free_unpacked(added, NULL);
	assert_int_equal(org_count(name), 1);
	assert_int_equal(record_count(rid), 1);

	rawchan_reply_free(inner);
	rawchan_reply_free(r);
	free(frame.data);
	free(sealed.data);
	free(plain.data);
	rawchan_session_close(&rs);
}

/* Reflections, cross-session splices and malformed outer frames. */
static void frames_of_another_direction_or_session_or_shape_are_refused(void **state)
{
	static const char name[] = "spliced-org";
	uint8_t rid[CHAN_REQUEST_ID_BYTES];
	Baton__V1__ReplyFrame *r, *inner;
	rawchan_session a, b;
	bytes plain, sealed, frame, ping;
	(void)state;

	rawchan_session_open(&a, &secure.srv, secure.server_pk, &secure.admin_key);
	rawchan_session_open(&b, &secure.srv, secure.server_pk, &secure.admin_key);
	assert_memory_not_equal(a.id, b.id, sizeof(a.id));

	/* The server's own sealed reply sent back as a request (s2c key). */
	ping = rawchan_ping_inner("mirror");
	r = rawchan_sealed_send(&a, 1, ping, NULL);
	assert_true(r->sealed.len > 0);
	frame = rawchan_outer_frame(a.id, sizeof(a.id), 2, r->sealed);
	rawchan_reply_free(r);
	r = rawchan_exchange(a.sock, frame);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "authentication", false);
	rawchan_reply_free(r);
	free(frame.data);

	/* A frame of session a presented under session b's id. */
	plain = rawchan_add_org_inner(&a, name, rid);
	sealed = rawchan_seal(&a, 2, plain);
	frame = rawchan_outer_frame(b.id, sizeof(b.id), 2, sealed);
	r = rawchan_exchange(b.sock, frame);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "authentication", false);
	rawchan_reply_free(r);
	free(frame.data);

	/* Malformed outer frames: refused unsealed, before any session work. */
	frame = rawchan_outer_frame(a.id, sizeof(a.id) - 1, 2, sealed);
	r = rawchan_exchange(a.sock, frame);
	rawchan_assert_refused(r, BATON_INVALID_ARGUMENT, "session_id", false);
	rawchan_reply_free(r);
	free(frame.data);
	frame = rawchan_outer_frame(a.id, sizeof(a.id), 2, (bytes){ CHAN_TAG_BYTES - 1, sealed.data });
	r = rawchan_exchange(a.sock, frame);
	rawchan_assert_refused(r, BATON_INVALID_ARGUMENT, "sealed", false);
	rawchan_reply_free(r);
	free(frame.data);
	{
		Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
		uint8_t rid2[CHAN_REQUEST_ID_BYTES] = { 1 };
		f.session_id = (bytes){ sizeof(a.id), a.id };
		f.counter = 2;
		f.sealed = sealed;
		f.method = M_ADD_ORG; /* an outer method, to confuse logs or routing */
		frame = rawchan_request_pack(&f);
		r = rawchan_exchange(a.sock, frame);
		rawchan_assert_refused(r, BATON_INVALID_ARGUMENT, "only session_id", false);
		rawchan_reply_free(r);
		free(frame.data);
		f.method = "";
		f.request_id = (bytes){ sizeof(rid2), rid2 };
		frame = rawchan_request_pack(&f);
		r = rawchan_exchange(a.sock, frame);
		rawchan_assert_refused(r, BATON_INVALID_ARGUMENT, "only session_id", false);
		rawchan_reply_free(r);
		free(frame.data);
	}
	/* Counter 0 is never valid, even with a frame that opens under it
	 * otherwise (it cannot be sealed, so the counter-2 seal is sent). */
	frame = rawchan_outer_frame(a.id, sizeof(a.id), 0, sealed);
	r = rawchan_exchange(a.sock, frame);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, NULL, false);
	rawchan_reply_free(r);
	free(frame.data);
	assert_int_equal(org_count(name), 0);
	assert_int_equal(record_count(rid), 0);

	/* A sealed frame nested in a sealed frame: opened, then refused. */
	{
		bytes in_sealed = rawchan_seal(&a, 3, ping);
		Baton__V1__RequestFrame nested = BATON__V1__REQUEST_FRAME__INIT;
		nested.method = M_PING;
		nested.session_id = (bytes){ sizeof(a.id), a.id };
		nested.counter = 3;
		nested.sealed = in_sealed;
		bytes nested_plain = rawchan_request_pack(&nested);
		inner = rawchan_sealed_call(&a, 4, nested_plain);
		rawchan_assert_inner(inner, BATON_INVALID_ARGUMENT, "nested");
		rawchan_reply_free(inner);
		free(nested_plain.data);
		free(in_sealed.data);
	}

	/* Neither splice used up a counter: both sessions go on. */
	r = rawchan_sealed_send(&a, 2, plain, NULL);
	inner = rawchan_reply_open(&a, r, 2);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	rawchan_reply_free(r);
	inner = rawchan_sealed_call(&b, 2, ping);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	assert_int_equal(org_count(name), 1);

	free(ping.data);
	free(sealed.data);
	free(plain.data);
	rawchan_session_close(&a);
	rawchan_session_close(&b);
}

/* ---- 2. replay ------------------------------------------------------------------ */

static void replayed_frame_is_refused_and_runs_once(void **state)
{
	static const char name[] = "replayed-org";
	static const char old_name[] = "too-old-org";
	uint8_t rid[CHAN_REQUEST_ID_BYTES], old_rid[CHAN_REQUEST_ID_BYTES];
	Baton__V1__ReplyFrame *r, *inner;
	Baton__V1__AddOrgReply *first, *again;
	rawchan_session rs, fresh;
	bytes plain, sent, ping;
	(void)state;

	rawchan_session_open(&rs, &secure.srv, secure.server_pk, &secure.admin_key);
	plain = rawchan_add_org_inner(&rs, name, rid);
	r = rawchan_sealed_send(&rs, 1, plain, &sent);
	inner = rawchan_reply_open(&rs, r, 1);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	first = baton__v1__add_org_reply__unpack(NULL, inner->payload.len, inner->payload.data);
	assert_non_null(first);
	rawchan_reply_free(inner);
	rawchan_reply_free(r);

	/* The very same bytes again, twice. */
	for (int i = 0; i < 2; i++) {
		r = rawchan_exchange(rs.sock, sent);
		rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "already seen", false);
		rawchan_reply_free(r);
	}
	assert_int_equal(org_count(name), 1);

	/* A deliberate resend (same request id, a new counter) is answered
	 * from the exactly-once record: same org, still one. */
	inner = rawchan_sealed_call(&rs, 2, plain);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	again = baton__v1__add_org_reply__unpack(NULL, inner->payload.len, inner->payload.data);
	assert_non_null(again);
	assert_string_equal(again->org->id, first->org->id);
	baton__v1__add_org_reply__free_unpacked(again, NULL);
	rawchan_reply_free(inner);
	assert_int_equal(org_count(name), 1);
	assert_int_equal(record_count(rid), 1);
	baton__v1__add_org_reply__free_unpacked(first, NULL);
	free(sent.data);
	free(plain.data);

	/* Far below the window: counter 2000, then a fresh counter 1. */
	rawchan_session_open(&fresh, &secure.srv, secure.server_pk, &secure.admin_key);
	ping = rawchan_ping_inner("far ahead");
	inner = rawchan_sealed_call(&fresh, 2000, ping);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	plain = rawchan_add_org_inner(&fresh, old_name, old_rid);
	r = rawchan_sealed_send(&fresh, 1, plain, NULL);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "too far behind", false);
	rawchan_reply_free(r);
	/* The window's edge: top - 1024 is too old, top - 1023 is new once. */
	r = rawchan_sealed_send(&fresh, 2000 - 1024, plain, NULL);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "too far behind", false);
	rawchan_reply_free(r);
	assert_int_equal(org_count(old_name), 0);
	assert_int_equal(record_count(old_rid), 0);
	inner = rawchan_sealed_call(&fresh, 2000 - 1023, ping);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	r = rawchan_sealed_send(&fresh, 2000 - 1023, ping, NULL);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "already seen", false);
	rawchan_reply_free(r);
	/* Within the window and never seen: accepted once. */
	inner = rawchan_sealed_call(&fresh, 1999, ping);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	r = rawchan_sealed_send(&fresh, 2000, ping, NULL);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "already seen", false);
	rawchan_reply_free(r);

	/* The top of the counter space. */
	inner = rawchan_sealed_call(&fresh, UINT64_MAX, ping);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	r = rawchan_sealed_send(&fresh, UINT64_MAX, ping, NULL);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "already seen", false);
	rawchan_reply_free(r);
	inner = rawchan_sealed_call(&fresh, UINT64_MAX - 1, ping);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	r = rawchan_sealed_send(&fresh, UINT64_MAX - 1024, ping, NULL);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "too far behind", false);
	rawchan_reply_free(r);
	free(ping.data);
	free(plain.data);

	/* One fresh frame sent from eight connections at the same moment:
	 * exactly one is accepted, and the org is created once. */
	{
		const char *urls[] = { secure.srv.url };
		uint8_t raced_rid[CHAN_REQUEST_ID_BYTES];
		plain = rawchan_add_org_inner(&rs, "raced-org", raced_rid);
		bytes sealed = rawchan_seal(&rs, 10, plain);
		bytes frame = rawchan_outer_frame(rs.id, sizeof(rs.id), 10, sealed);
		assert_int_equal(rawchan_race(urls, 1, frame, 8), 1);
		assert_int_equal(org_count("raced-org"), 1);
		assert_int_equal(record_count(raced_rid), 1);
		free(frame.data);
		free(sealed.data);
		free(plain.data);
	}
	rawchan_session_close(&fresh);
	rawchan_session_close(&rs);
}

/* ---- 11. unsealed calls ------------------------------------------------------------------ */

static void unsealed_calls_of_session_methods_are_refused(void **state)
{
	static const ProtobufCServiceDescriptor *const services[] = {
		&baton__v1__system__descriptor, &baton__v1__identity__descriptor,
	};
	static const char name[] = "unsealed-org";
	Baton__V1__ReplyFrame *r;
	nng_socket s = rawchan_dial(secure.srv.url);
	bytes empty = { 0, NULL }, add = rawchan_add_org_payload(name), ping = rawchan_ping_payload("plain");
	uint8_t fake_sig[CHAN_SIG_BYTES] = { 0 };
	bytes sig = { sizeof(fake_sig), fake_sig };
	baton_serving serving;
	baton_client *keyless;
	char msg[512];
	(void)state;

	r = rawchan_plain_call(s, M_PING, ping, NULL);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "needs a session", false);
	rawchan_reply_free(r);
	/* Every method but Handshake and Health, with the right payload or none. */
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		for (unsigned k = 0; k < services[i]->n_methods; k++) {
			char method[160];
			snprintf(method, sizeof(method), "/%s/%s", services[i]->name, services[i]->methods[k].name);
			r = rawchan_plain_call(s, method, strcmp(method, M_ADD_ORG) == 0 ? add : empty, NULL);
			if (r->status != BATON__V1__STATUS_CODE__UNAUTHENTICATED)
				fail_msg("%s unsealed: %d %s", method, r->status, r->message);
			rawchan_assert_refused(r, BATON_UNAUTHENTICATED, "needs a session", false);
			rawchan_reply_free(r);
		}
	}
	/* Health needs no key at all. */
	{
		Baton__V1__HealthCheckRequest hreq = BATON__V1__HEALTH_CHECK_REQUEST__INIT;
		bytes hp = rawchan_pack(&hreq.base);
		r = rawchan_plain_call(s, M_HEALTH, hp, NULL);
		assert_int_equal(r->status, BATON__V1__STATUS_CODE__OK);
		Baton__V1__HealthCheckResponse *h =
		    baton__v1__health_check_response__unpack(NULL, r->payload.len, r->payload.data);
		assert_non_null(h);
		assert_int_equal(h->status, BATON__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
		baton__v1__health_check_response__free_unpacked(h, NULL);
		rawchan_reply_free(r);
		/* A signature is only ever read inside a sealed frame. */
		r = rawchan_plain_call(s, M_HEALTH, hp, &sig);
		rawchan_assert_refused(r, BATON_INVALID_ARGUMENT, "signature", false);
		rawchan_reply_free(r);
		free(hp.data);
	}
	r = rawchan_plain_call(s, M_ADD_ORG, add, &sig);
	rawchan_assert_refused(r, BATON_INVALID_ARGUMENT, "signature", false);
	rawchan_reply_free(r);
	assert_int_equal(org_count(name), 0);

	/* libbaton without a key: health yes, anything else no. */
	keyless = secure_client_with(&secure.srv, NULL, NULL);
	assert_int_equal(baton_health_check(keyless, NULL, 5000, &serving, &(baton_result){ 0 }), BATON_OK);
	assert_int_equal(serving, BATON_SERVING);
	assert_int_equal(secure_ping_msg(keyless, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	assert_non_null(strstr(msg, "needs a session"));
	baton_client_close(keyless);

	free(ping.data);
	free(add.data);
	nng_close(s);
}

/* ---- 12. signatures ----------------------------------------------------------------------- */

static void state_changing_call_needs_a_valid_signature_and_request_id(void **state)
{
	static const char name[] = "signed-org";
	uint8_t rid[CHAN_REQUEST_ID_BYTES], other_rid[CHAN_REQUEST_ID_BYTES], sig[CHAN_SIG_BYTES];
	Baton__V1__ReplyFrame *inner;
	rawchan_session rs, earlier;
	baton_key stranger;
	bytes payload = rawchan_add_org_payload(name), other = rawchan_add_org_payload("other-org"), plain;
	uint64_t counter = 0;
	long records;
	(void)state;

	assert_int_equal(baton_key_generate(&stranger), BATON_OK);
	rawchan_session_open(&earlier, &secure.srv, secure.server_pk, &secure.admin_key);
	rawchan_session_open(&rs, &secure.srv, secure.server_pk, &secure.admin_key);
	randombytes_buf(rid, sizeof(rid));
	randombytes_buf(other_rid, sizeof(other_rid));
	records = sql_long("SELECT count(*) FROM request_record");

	struct {
		const char  *what;
		int          how;
		baton_status want;
		const char  *text;
	} cases[] = {
		{ "no signature", 0, BATON_UNAUTHENTICATED, "signature" },
		{ "a signature over another payload", 1, BATON_UNAUTHENTICATED, "does not verify" },
		{ "a signature by a key of no one", 2, BATON_UNAUTHENTICATED, "does not verify" },
		{ "a signature from another session", 3, BATON_UNAUTHENTICATED, "does not verify" },
		{ "a signature for another method", 4, BATON_UNAUTHENTICATED, "does not verify" },
		{ "a signature for another request id", 5, BATON_UNAUTHENTICATED, "does not verify" },
		{ "a 63-byte signature", 6, BATON_UNAUTHENTICATED, "signature" },
		{ "no request id", 7, BATON_INVALID_ARGUMENT, "request_id" },
		{ "a 15-byte request id", 8, BATON_INVALID_ARGUMENT, "request_id" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const uint8_t *use_rid = rid;
		size_t rid_len = sizeof(rid), sig_len = sizeof(sig);
		switch (cases[i].how) {
		case 0: sig_len = 0; break;
		case 1: rawchan_request_sign(&secure.admin_key, rs.keys.binding, M_ADD_ORG, rid, other, sig); break;
		case 2: rawchan_request_sign(&stranger, rs.keys.binding, M_ADD_ORG, rid, payload, sig); break;
		case 3: rawchan_request_sign(&secure.admin_key, earlier.keys.binding, M_ADD_ORG, rid, payload, sig); break;
		case 4: rawchan_request_sign(&secure.admin_key, rs.keys.binding, M_ADD_PRINC, rid, payload, sig); break;
		case 5: rawchan_request_sign(&secure.admin_key, rs.keys.binding, M_ADD_ORG, other_rid, payload, sig); break;
		case 6: rawchan_request_sign(&secure.admin_key, rs.keys.binding, M_ADD_ORG, rid, payload, sig); sig_len = 63; break;
		case 7: rawchan_request_sign(&secure.admin_key, rs.keys.binding, M_ADD_ORG, rid, payload, sig); use_rid = NULL; break;
		case 8: rawchan_request_sign(&secure.admin_key, rs.keys.binding, M_ADD_ORG, rid, payload, sig); rid_len = 15; break;
		}
		plain = rawchan_inner_frame(M_ADD_ORG, use_rid, rid_len, payload, sig_len ? sig : NULL, sig_len);
		inner = rawchan_sealed_call(&rs, ++counter, plain);
		if ((baton_status)inner->status != cases[i].want || strstr(inner->message, cases[i].text) == NULL)
			fail_msg("%s: got %s \"%s\"", cases[i].what, baton_status_str((baton_status)inner->status),
			    inner->message);
		rawchan_reply_free(inner);
		free(plain.data);
	}
	assert_int_equal(org_count(name), 0);
	assert_int_equal(org_count("other-org"), 0);
	assert_int_equal(sql_long("SELECT count(*) FROM request_record"), records);

	/* A read-only method takes no signature. */
	{
		bytes none = { 0, NULL };
		rawchan_request_sign(&secure.admin_key, rs.keys.binding, M_LIST_ORGS, rid, none, sig);
		plain = rawchan_inner_frame(M_LIST_ORGS, rid, sizeof(rid), none, sig, sizeof(sig));
		inner = rawchan_sealed_call(&rs, ++counter, plain);
		rawchan_assert_inner(inner, BATON_INVALID_ARGUMENT, "takes no signature");
		rawchan_reply_free(inner);
		free(plain.data);
	}

	/* The same call, signed properly, runs: the refusals were the signature's. */
	rawchan_request_sign(&secure.admin_key, rs.keys.binding, M_ADD_ORG, rid, payload, sig);
	plain = rawchan_inner_frame(M_ADD_ORG, rid, sizeof(rid), payload, sig, sizeof(sig));
	inner = rawchan_sealed_call(&rs, ++counter, plain);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	free(plain.data);
	assert_int_equal(org_count(name), 1);

	free(payload.data);
	free(other.data);
	baton_key_wipe(&stranger);
	rawchan_session_close(&earlier);
	rawchan_session_close(&rs);
}

/* ---- secrets ------------------------------------------------------------------------------ */

/* After handshakes, calls, refusals and revocations, the logs of every
 * instance hold no key material: not the admin's seed (as its key file
 * writes it, or in hex), not a session's keys. */
static void no_secret_reaches_the_server_log(void **state)
{
	char line[256], seed_text[64] = "", seed_hex[65], c2s_hex[65], s2c_hex[65];
	Baton__V1__ReplyFrame *r, *inner;
	FILE *f;
	rawchan_session rs;
	bytes ping, sealed, frame;
	(void)state;

	assert_non_null(f = fopen(secure.srv.admin_key_file, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "secret-key: ed25519-secret:%63s", seed_text) == 1)
			break;
	fclose(f);
	assert_int_equal(strlen(seed_text), 43);
	sodium_bin2hex(seed_hex, sizeof(seed_hex), secure.admin_key.secret_key, 32);

	rawchan_session_open(&rs, &secure.srv, secure.server_pk, &secure.admin_key);
	sodium_bin2hex(c2s_hex, sizeof(c2s_hex), rs.keys.c2s, sizeof(rs.keys.c2s));
	sodium_bin2hex(s2c_hex, sizeof(s2c_hex), rs.keys.s2c, sizeof(rs.keys.s2c));
	ping = rawchan_ping_inner("secret?");
	inner = rawchan_sealed_call(&rs, 1, ping);
	rawchan_assert_inner(inner, BATON_OK, NULL);
	rawchan_reply_free(inner);
	sealed = rawchan_seal(&rs, 2, ping);
	sealed.data[0] ^= 1;
	frame = rawchan_outer_frame(rs.id, sizeof(rs.id), 2, sealed);
	r = rawchan_exchange(rs.sock, frame);
	rawchan_assert_refused(r, BATON_UNAUTHENTICATED, NULL, false);
	rawchan_reply_free(r);
	harness_sleep_ms(100); /* the call lines are written after the replies */

	const char *secrets[] = { seed_text, seed_hex, c2s_hex, s2c_hex };
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		const char *needle[] = { secrets[i], NULL };
		assert_int_equal(harness_log_count(&secure.srv, needle), 0);
	}
	free(frame.data);
	free(sealed.data);
	free(ping.data);
	rawchan_session_close(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tampered_sealed_frame_is_refused_and_not_executed),
		cmocka_unit_test(frames_of_another_direction_or_session_or_shape_are_refused),
		cmocka_unit_test(replayed_frame_is_refused_and_runs_once),
		cmocka_unit_test(unsealed_calls_of_session_methods_are_refused),
		cmocka_unit_test(state_changing_call_needs_a_valid_signature_and_request_id),
		cmocka_unit_test(no_secret_reaches_the_server_log),
	};
	return cmocka_run_group_tests_name("integration: secure channel, frames", tests, secure_setup,
	    secure_teardown);
}
