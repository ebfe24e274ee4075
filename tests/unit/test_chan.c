/* test_chan.c - secure channel: handshake, test vector, sealed frames, replay window, request signatures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "common/chan.h"

/*
 * The test vector of docs/protocol.md ("Secure channel", "Test vector");
 * the two must hold the same values. They were computed with chan.c and
 * reproduced byte for byte by an independent implementation (Python:
 * hashlib's BLAKE2b, pyca/cryptography's Ed25519, X25519 and
 * ChaCha20-Poly1305, HChaCha20 written out by hand); test_vector_by_hand
 * below also recomputes each step from libsodium primitives.
 */
#define VEC_TIME_MS    INT64_C(1767225600000) /* 2026-01-01T00:00:00Z */
#define VEC_EXPIRES_MS INT64_C(1767229200000) /* one hour later */
#define VEC_METHOD     "/baton.v1.Identity/AddOrg"

static const char vec_client_pk[] =
    "79b5562e8fe654f94078b112e8a98ba7901f853ae695bed7e0e3910bad049664";
static const char vec_server_pk[] =
    "e7f162a10bec559afea195e4dce84b69568d5d2cb0963eb446c0685e2b17f2f0";
/* The printable forms ("ed25519:" + unpadded URL-safe base64). */
static const char vec_client_pk_text[] = "ed25519:ebVWLo_mVPlAeLES6KmLp5AfhTrmlb7X4OORC60ElmQ";
static const char vec_server_pk_text[] = "ed25519:5_FioQvsVZr-oZXk3OhLaVaNXSywlj60RsBoXisX8vA";
static const char vec_client_eph_pk[] =
    "64b101b1d0be5a8704bd078f9895001fc03e8e9f9522f188dd128d9846d48466";
static const char vec_server_eph_pk[] =
    "244fe3b963e899dd295baffce248d3530f3a9a7479ba063002680ebfe7adad49";
static const char vec_h1[] =
    "d89ea40028f5a3916813c1f7d58354f5b98892cfedaba45a404c6608d78a79dd";
static const char vec_sig_c[] =
    "b10caf24a74bd2d9c7a6c990b5b3959b9a52f2d366d8759d64358b3f984e0d4e"
    "25a87b7a2540ecd75602c63b77c2231f81c2f3b89fc674e87e3b027a55f0c00b";
static const char vec_h2[] =
    "8cd8015148aae5a93a870700204938a68a3dc93ac6cc492a0cfa9e395cc41d1f";
static const char vec_sig_s[] =
    "c41f334248a9cff192071afe94f5e6e08d391e70254a3940e06b4ecec13063d0"
    "cd7cf4cb725d1faac374be1d63f4eb1c634c5c97a9e449e6b2f98f377238350f";
static const char vec_shared[] =
    "6900c737dd74bf97502a30710b49876ad2ce1a036534a938e24fa248125dd453";
static const char vec_c2s[] =
    "fffe62ddc60bb10fed9899d9f1b0b8f8fc93d37618372d4664ef433b457bd3d9";
static const char vec_s2c[] =
    "7bfcd2645c2efbcb64f08a82bf556d17040492487302122afbe2283a50c9fb87";
static const char vec_sealed_request[] = "21be6faaf47281b6ee8453830b932ab35318ee7ed5";
static const char vec_sealed_reply[] = "ce244dfefd09e8ee312ff5c90a32a4107a5b329ac6";
static const char vec_payload_hash[] =
    "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";
static const char vec_request_m[] =
    "6261746f6e2f312072657175657374"
    "8cd8015148aae5a93a870700204938a68a3dc93ac6cc492a0cfa9e395cc41d1f"
    "1900"
    "2f6261746f6e2e76312e4964656e746974792f4164644f7267"
    "000102030405060708090a0b0c0d0e0f"
    "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319";
static const char vec_request_sig[] =
    "67c744e0d7c51e8aa13aba107183aaf987299d6dd61c4a58dc2b65e1cbd842e8"
    "a4fc4ee69127fb94b0c306f00dbe747bdf6e232838c94835c0113cdb13b90205";

/* The vector's fixed inputs. */
typedef struct vector {
	uint8_t client_pk[CHAN_KEY_BYTES];
	uint8_t client_sk[CHAN_SECRET_KEY_BYTES];
	uint8_t server_pk[CHAN_KEY_BYTES];
	uint8_t server_sk[CHAN_SECRET_KEY_BYTES];
	uint8_t client_eph[CHAN_KEY_BYTES];
	uint8_t server_eph[CHAN_KEY_BYTES];
	uint8_t session_id[CHAN_SESSION_ID_BYTES];
	uint8_t request_id[CHAN_REQUEST_ID_BYTES];
} vector;

static void fill_seq(uint8_t *p, size_t n, uint8_t first)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(first + i);
}

static void vector_inputs(vector *v)
{
	uint8_t seed[crypto_sign_SEEDBYTES];

	fill_seq(seed, sizeof(seed), 0x01);
	assert_int_equal(crypto_sign_seed_keypair(v->client_pk, v->client_sk, seed), 0);
	fill_seq(seed, sizeof(seed), 0x21);
	assert_int_equal(crypto_sign_seed_keypair(v->server_pk, v->server_sk, seed), 0);
	fill_seq(v->client_eph, sizeof(v->client_eph), 0x41);
	fill_seq(v->server_eph, sizeof(v->server_eph), 0x61);
	fill_seq(v->session_id, sizeof(v->session_id), 0xa0);
	fill_seq(v->request_id, sizeof(v->request_id), 0x00);
}

/* Compares as hex so that a failure shows both values readably. */
static void assert_hex(const char *expected, const uint8_t *bytes, size_t len)
{
	char text[2 * 512 + 1];

	assert_true(len <= 512);
	sodium_bin2hex(text, sizeof(text), bytes, len);
	assert_string_equal(text, expected);
}

/* Names the failing case of a table; quiet when it passes. */
static void assert_case(const char *table, const char *name, int got, int want)
{
	if (got != want)
		print_error("%s: case \"%s\": got %d (%s), want %d (%s)\n", table, name, got,
		    chan_strerror(got), want, chan_strerror(want));
	assert_int_equal(got, want);
}

static void assert_printable_key(const char *expected, const uint8_t pk[CHAN_KEY_BYTES])
{
	char text[8 + 44];

	memcpy(text, "ed25519:", 8);
	sodium_bin2base64(text + 8, sizeof(text) - 8, pk, CHAN_KEY_BYTES,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	assert_string_equal(text, expected);
}

static void vector_hello(const vector *v, chan_client_hs *hs)
{
	assert_int_equal(chan_client_hello(hs, v->server_pk, v->client_sk, VEC_TIME_MS,
	    v->client_eph), CHAN_OK);
}

/* The whole fixed handshake; asserts each step succeeds. */
static void vector_handshake(const vector *v, chan_hello *hello, chan_welcome *w,
    chan_keys *client, chan_keys *server)
{
	chan_client_hs hs;

	vector_hello(v, &hs);
	*hello = hs.hello;
	assert_int_equal(chan_hello_check(&hs.hello, v->server_pk, VEC_TIME_MS, 30000), CHAN_OK);
	assert_int_equal(chan_server_welcome(&hs.hello, v->server_sk, v->session_id,
	    VEC_EXPIRES_MS, v->server_eph, w, server), CHAN_OK);
	assert_int_equal(chan_client_finish(&hs, w, client), CHAN_OK);
	assert_true(sodium_is_zero(hs.ephemeral_secret, sizeof(hs.ephemeral_secret)));
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* H2 from its parts, written out without chan.c. */
static void h2_by_hand(const chan_hello *h, const chan_welcome *w, uint8_t h2[32])
{
	uint8_t buf[23 + 32 + 64 + 16 + 32 + 8];
	uint8_t h1[32];

	chan_hello_hash(h, h1);
	memcpy(buf, "baton/1 handshake reply", 23);
	memcpy(buf + 23, h1, 32);
	memcpy(buf + 55, h->signature, 64);
	memcpy(buf + 119, w->session_id, 16);
	memcpy(buf + 135, w->server_ephemeral, 32);
	put_le(buf + 167, (uint64_t)w->expires_unix_ms, 8);
	assert_int_equal(crypto_generichash(h2, 32, buf, sizeof(buf), NULL, 0), 0);
}

static void handshake_with_fresh_keys_agrees(void **state)
{
	uint8_t client_pk[32], client_sk[64], server_pk[32], server_sk[64], session_id[16];
	chan_keys first_session;
	(void)state;
	assert_int_equal(crypto_sign_keypair(client_pk, client_sk), 0);
	assert_int_equal(crypto_sign_keypair(server_pk, server_sk), 0);
	for (int round = 0; round < 2; round++) {
		chan_client_hs hs;
		chan_welcome w;
		chan_keys client, server;
		int64_t now = 1767225600000 + round;

		randombytes_buf(session_id, sizeof(session_id));
		assert_int_equal(chan_client_hello(&hs, server_pk, client_sk, now, NULL), CHAN_OK);
		assert_int_equal(hs.hello.version, CHAN_VERSION);
		assert_memory_equal(hs.hello.client_key, client_pk, 32);
		assert_int_equal(chan_hello_check(&hs.hello, server_pk, now + 5, 30000), CHAN_OK);
		assert_int_equal(chan_server_welcome(&hs.hello, server_sk, session_id, now + 3600000,
		    NULL, &w, &server), CHAN_OK);
		assert_int_equal(chan_client_finish(&hs, &w, &client), CHAN_OK);
		assert_true(sodium_is_zero(hs.ephemeral_secret, sizeof(hs.ephemeral_secret)));
		assert_memory_equal(client.c2s, server.c2s, 32);
		assert_memory_equal(client.s2c, server.s2c, 32);
		assert_memory_equal(client.binding, server.binding, 32);
		assert_memory_not_equal(client.c2s, client.s2c, 32);
		if (round == 0)
			first_session = client;
		else
			assert_memory_not_equal(first_session.c2s, client.c2s, 32);
		chan_keys_wipe(&client);
		assert_true(sodium_is_zero((const uint8_t *)&client, sizeof(client)));
		chan_keys_wipe(&server);
	}
	chan_keys_wipe(&first_session);
	chan_keys_wipe(NULL);
	chan_client_hs_wipe(NULL);
}

static void test_vector_handshake(void **state)
{
	vector v;
	chan_hello hello;
	chan_welcome w;
	chan_keys client, server;
	uint8_t h1[32];
	(void)state;
	vector_inputs(&v);
	vector_handshake(&v, &hello, &w, &client, &server);
	assert_hex(vec_client_pk, v.client_pk, 32);
	assert_hex(vec_server_pk, v.server_pk, 32);
	assert_printable_key(vec_client_pk_text, v.client_pk);
	assert_printable_key(vec_server_pk_text, v.server_pk);
	assert_hex(vec_client_eph_pk, hello.client_ephemeral, 32);
	chan_hello_hash(&hello, h1);
	assert_hex(vec_h1, h1, 32);
	assert_hex(vec_sig_c, hello.signature, 64);
	assert_hex(vec_server_eph_pk, w.server_ephemeral, 32);
	assert_hex(vec_sig_s, w.signature, 64);
	assert_memory_equal(w.session_id, v.session_id, 16);
	assert_int_equal(w.expires_unix_ms, VEC_EXPIRES_MS);
	assert_hex(vec_h2, client.binding, 32);
	assert_hex(vec_c2s, client.c2s, 32);
	assert_hex(vec_s2c, client.s2c, 32);
	assert_memory_equal(&client, &server, sizeof(client));
}

/* Each step of the vector again, from libsodium primitives over buffers
 * concatenated here, so the constants do not merely echo chan.c. */
static void test_vector_by_hand(void **state)
{
	vector v;
	chan_hello hello;
	chan_welcome w;
	chan_keys client, server;
	uint8_t buf[256], h1[32], h2[32], eph_pk[32], shared[32], k[64], nonce[24], ad[35];
	uint8_t sealed[5 + 16];
	unsigned long long sealed_len;
	(void)state;
	vector_inputs(&v);
	vector_handshake(&v, &hello, &w, &client, &server);

	assert_int_equal(crypto_scalarmult_base(eph_pk, v.client_eph), 0);
	assert_memory_equal(eph_pk, hello.client_ephemeral, 32);
	assert_int_equal(crypto_scalarmult_base(eph_pk, v.server_eph), 0);
	assert_memory_equal(eph_pk, w.server_ephemeral, 32);

	/* H1 = H(L_INIT || u32 version || server_key || client_key || e_c || i64 time) */
	memcpy(buf, "baton/1 handshake init", 22);
	put_le(buf + 22, 1, 4);
	memcpy(buf + 26, v.server_pk, 32);
	memcpy(buf + 58, v.client_pk, 32);
	memcpy(buf + 90, hello.client_ephemeral, 32);
	put_le(buf + 122, (uint64_t)VEC_TIME_MS, 8);
	assert_int_equal(crypto_generichash(h1, 32, buf, 130, NULL, 0), 0);
	assert_hex(vec_h1, h1, 32);
	assert_int_equal(crypto_sign_verify_detached(hello.signature, h1, 32, v.client_pk), 0);

	h2_by_hand(&hello, &w, h2);
	assert_hex(vec_h2, h2, 32);
	assert_int_equal(crypto_sign_verify_detached(w.signature, h2, 32, v.server_pk), 0);

	/* Both sides' X25519 agree; K = BLAKE2b-512 keyed by it. */
	assert_int_equal(crypto_scalarmult(shared, v.client_eph, w.server_ephemeral), 0);
	assert_hex(vec_shared, shared, 32);
	assert_int_equal(crypto_scalarmult(shared, v.server_eph, hello.client_ephemeral), 0);
	assert_hex(vec_shared, shared, 32);
	memcpy(buf, "baton/1 session keys", 20);
	memcpy(buf + 20, h2, 32);
	memcpy(buf + 52, w.signature, 64);
	assert_int_equal(crypto_generichash(k, 64, buf, 116, shared, 32), 0);
	assert_memory_equal(k, client.c2s, 32);
	assert_memory_equal(k + 32, client.s2c, 32);

	/* The request frame: nonce = u64 1 || 16 zeros, ad = L_C2S || sid || u64 1. */
	memset(nonce, 0, sizeof(nonce));
	nonce[0] = 1;
	memcpy(ad, "baton/1 c2s", 11);
	memcpy(ad + 11, v.session_id, 16);
	put_le(ad + 27, 1, 8);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, &sealed_len,
	    (const uint8_t *)"hello", 5, ad, sizeof(ad), NULL, nonce, k), 0);
	assert_int_equal(sealed_len, sizeof(sealed));
	assert_hex(vec_sealed_request, sealed, sizeof(sealed));
	memcpy(ad, "baton/1 s2c", 11);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, &sealed_len,
	    (const uint8_t *)"world", 5, ad, sizeof(ad), NULL, nonce, k + 32), 0);
	assert_hex(vec_sealed_reply, sealed, sizeof(sealed));

	/* M = L_REQ || binding || u16 len || method || request_id || H(payload) */
	memcpy(buf, "baton/1 request", 15);
	memcpy(buf + 15, h2, 32);
	put_le(buf + 47, strlen(VEC_METHOD), 2);
	memcpy(buf + 49, VEC_METHOD, strlen(VEC_METHOD));
	memcpy(buf + 49 + 25, v.request_id, 16);
	assert_int_equal(crypto_generichash(buf + 90, 32, (const uint8_t *)"abc", 3, NULL, 0), 0);
	assert_hex(vec_request_m, buf, 122);
	assert_int_equal(crypto_sign_detached(buf + 122, NULL, buf, 122, v.client_sk), 0);
	assert_hex(vec_request_sig, buf + 122, 64);
	assert_int_equal(crypto_sign_verify_detached(buf + 122, buf, 122, v.client_pk), 0);
	sodium_memzero(k, sizeof(k));
	sodium_memzero(shared, sizeof(shared));
}

static void test_vector_frames(void **state)
{
	vector v;
	chan_hello hello;
	chan_welcome w;
	chan_keys client, server;
	uint8_t sealed[5 + CHAN_TAG_BYTES], plain[5];
	(void)state;
	vector_inputs(&v);
	vector_handshake(&v, &hello, &w, &client, &server);
	assert_int_equal(chan_seal(client.c2s, CHAN_C2S, v.session_id, 1,
	    (const uint8_t *)"hello", 5, sealed), CHAN_OK);
	assert_hex(vec_sealed_request, sealed, sizeof(sealed));
	assert_int_equal(chan_open(server.c2s, CHAN_C2S, v.session_id, 1, sealed, sizeof(sealed),
	    plain), CHAN_OK);
	assert_memory_equal(plain, "hello", 5);
	assert_int_equal(chan_seal(server.s2c, CHAN_S2C, v.session_id, 1,
	    (const uint8_t *)"world", 5, sealed), CHAN_OK);
	assert_hex(vec_sealed_reply, sealed, sizeof(sealed));
	assert_int_equal(chan_open(client.s2c, CHAN_S2C, v.session_id, 1, sealed, sizeof(sealed),
	    plain), CHAN_OK);
	assert_memory_equal(plain, "world", 5);
}

static void test_vector_request_signature(void **state)
{
	vector v;
	chan_hello hello;
	chan_welcome w;
	chan_keys client, server;
	uint8_t payload_hash[32], sig[64];
	(void)state;
	vector_inputs(&v);
	vector_handshake(&v, &hello, &w, &client, &server);
	chan_payload_hash((const uint8_t *)"abc", 3, payload_hash);
	assert_hex(vec_payload_hash, payload_hash, 32);
	assert_int_equal(chan_request_sign(v.client_sk, client.binding, VEC_METHOD, v.request_id,
	    payload_hash, sig), CHAN_OK);
	assert_hex(vec_request_sig, sig, 64);
	assert_int_equal(chan_request_verify(v.client_pk, server.binding, VEC_METHOD, v.request_id,
	    payload_hash, sig), CHAN_OK);
}

enum hello_change {
	HELLO_AS_IS,
	HELLO_VERSION_0,
	HELLO_VERSION_2,
	HELLO_VERSION_2_AND_OTHER_SERVER,
	HELLO_OTHER_SERVER,
	HELLO_SIGNATURE_FIRST_BIT,
	HELLO_SIGNATURE_LAST_BIT,
	HELLO_EPHEMERAL_BIT,
	HELLO_CLIENT_KEY_BIT,
	HELLO_TIME_PLUS_1MS,
};

static void hello_check_case_table(void **state)
{
	static const int64_t window = 30000;
	static const struct {
		const char       *name;
		enum hello_change change;
		int64_t           now_minus_time; /* the server's clock relative to the hello's */
		int64_t           window_ms;
		int               expect;
	} cases[] = {
		{ "valid", HELLO_AS_IS, 0, window, CHAN_OK },
		{ "past, at the window's edge", HELLO_AS_IS, window, window, CHAN_OK },
		{ "past, 1 ms beyond the window", HELLO_AS_IS, window + 1, window, CHAN_E_CLOCK },
		{ "past by a day", HELLO_AS_IS, 86400000, window, CHAN_E_CLOCK },
		{ "future, at the window's edge", HELLO_AS_IS, -window, window, CHAN_OK },
		{ "future, 1 ms beyond the window", HELLO_AS_IS, -window - 1, window, CHAN_E_CLOCK },
		{ "future by a day", HELLO_AS_IS, -86400000, window, CHAN_E_CLOCK },
		{ "zero window, same ms", HELLO_AS_IS, 0, 0, CHAN_OK },
		{ "negative window", HELLO_AS_IS, 0, -1, CHAN_E_CLOCK },
		{ "version 0", HELLO_VERSION_0, 0, window, CHAN_E_VERSION },
		{ "version 2", HELLO_VERSION_2, 0, window, CHAN_E_VERSION },
		{ "version is checked first", HELLO_VERSION_2_AND_OTHER_SERVER, 0, window,
		    CHAN_E_VERSION },
		{ "another server's key", HELLO_OTHER_SERVER, 0, window, CHAN_E_WRONG_SERVER },
		{ "server key before clock", HELLO_OTHER_SERVER, 86400000, window,
		    CHAN_E_WRONG_SERVER },
		{ "flipped first signature bit", HELLO_SIGNATURE_FIRST_BIT, 0, window,
		    CHAN_E_SIGNATURE },
		{ "flipped last signature bit", HELLO_SIGNATURE_LAST_BIT, 0, window,
		    CHAN_E_SIGNATURE },
		{ "flipped ephemeral bit", HELLO_EPHEMERAL_BIT, 0, window, CHAN_E_SIGNATURE },
		{ "flipped client key bit", HELLO_CLIENT_KEY_BIT, 0, window, CHAN_E_SIGNATURE },
		{ "time changed by 1 ms", HELLO_TIME_PLUS_1MS, 0, window, CHAN_E_SIGNATURE },
	};
	vector v;
	chan_client_hs hs;
	(void)state;
	vector_inputs(&v);
	vector_hello(&v, &hs);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		chan_hello h = hs.hello;

		switch (cases[i].change) {
		case HELLO_AS_IS:
			break;
		case HELLO_VERSION_0:
			h.version = 0;
			break;
		case HELLO_VERSION_2_AND_OTHER_SERVER:
			h.server_key[0] ^= 1;
			/* fall through */
		case HELLO_VERSION_2:
			h.version = 2;
			break;
		case HELLO_OTHER_SERVER:
			h.server_key[31] ^= 0x80;
			break;
		case HELLO_SIGNATURE_FIRST_BIT:
			h.signature[0] ^= 1;
			break;
		case HELLO_SIGNATURE_LAST_BIT:
			h.signature[63] ^= 0x80;
			break;
		case HELLO_EPHEMERAL_BIT:
			h.client_ephemeral[7] ^= 0x10;
			break;
		case HELLO_CLIENT_KEY_BIT:
			h.client_key[3] ^= 0x04;
			break;
		case HELLO_TIME_PLUS_1MS:
			h.time_unix_ms++;
			break;
		}
		assert_case("hello check", cases[i].name, chan_hello_check(&h, v.server_pk,
		    VEC_TIME_MS + cases[i].now_minus_time, cases[i].window_ms), cases[i].expect);
	}
	chan_client_hs_wipe(&hs);
}

/* Extreme times must give CHAN_E_CLOCK, not signed overflow (UBSan watches). */
static void hello_clock_check_has_no_overflow(void **state)
{
	vector v;
	chan_client_hs hs;
	chan_hello h;
	(void)state;
	vector_inputs(&v);
	vector_hello(&v, &hs);
	h = hs.hello;
	h.time_unix_ms = INT64_MIN;
	assert_int_equal(chan_hello_check(&h, v.server_pk, INT64_MAX, INT64_MAX), CHAN_E_CLOCK);
	h.time_unix_ms = INT64_MAX;
	assert_int_equal(chan_hello_check(&h, v.server_pk, INT64_MIN, INT64_MAX), CHAN_E_CLOCK);
	assert_int_equal(chan_hello_check(&h, v.server_pk, -1, INT64_MAX), CHAN_E_CLOCK);
	/* Within the window: the clock passes and the signature (over another
	 * time) is what fails. */
	assert_int_equal(chan_hello_check(&h, v.server_pk, 0, INT64_MAX), CHAN_E_SIGNATURE);
	chan_client_hs_wipe(&hs);
}

static void client_refuses_welcome_signed_by_another_server(void **state)
{
	vector v;
	chan_client_hs hs;
	chan_welcome w;
	chan_keys client, server;
	uint8_t other_pk[32], other_sk[64];
	(void)state;
	vector_inputs(&v);
	assert_int_equal(crypto_sign_keypair(other_pk, other_sk), 0);
	vector_hello(&v, &hs);
	assert_int_equal(chan_server_welcome(&hs.hello, other_sk, v.session_id, VEC_EXPIRES_MS,
	    NULL, &w, &server), CHAN_OK);
	memset(&client, 0xaa, sizeof(client));
	assert_int_equal(chan_client_finish(&hs, &w, &client), CHAN_E_SIGNATURE);
	assert_true(sodium_is_zero((const uint8_t *)&client, sizeof(client)));
	assert_true(sodium_is_zero(hs.ephemeral_secret, sizeof(hs.ephemeral_secret)));
	chan_keys_wipe(&server);
	sodium_memzero(other_sk, sizeof(other_sk));
}

static void client_refuses_welcome_with_any_byte_flipped(void **state)
{
	vector v;
	chan_client_hs hs;
	chan_welcome good;
	chan_keys client, server;
	uint8_t expires[8];
	(void)state;
	vector_inputs(&v);
	vector_hello(&v, &hs);
	assert_int_equal(chan_server_welcome(&hs.hello, v.server_sk, v.session_id, VEC_EXPIRES_MS,
	    v.server_eph, &good, &server), CHAN_OK);
	/* Every byte of every field: session_id, ephemeral, the 8 bytes of
	 * expires, signature; each flip of each byte position. */
	for (int field = 0; field < 4; field++) {
		size_t n = field == 0 ? 16 : field == 1 ? 32 : field == 2 ? 8 : 64;

		for (size_t i = 0; i < n; i++) {
			chan_welcome w = good;

			switch (field) {
			case 0:
				w.session_id[i] ^= 0x01;
				break;
			case 1:
				w.server_ephemeral[i] ^= 0x40;
				break;
			case 2:
				put_le(expires, (uint64_t)w.expires_unix_ms, 8);
				expires[i] ^= 0x02;
				w.expires_unix_ms = 0;
				for (int b = 7; b >= 0; b--)
					w.expires_unix_ms = (int64_t)(((uint64_t)w.expires_unix_ms << 8) |
					    expires[b]);
				break;
			default:
				w.signature[i] ^= 0x80;
				break;
			}
			vector_hello(&v, &hs);
			assert_int_equal(chan_client_finish(&hs, &w, &client), CHAN_E_SIGNATURE);
			assert_true(sodium_is_zero((const uint8_t *)&client, sizeof(client)));
		}
	}
	/* And the unflipped welcome still works. */
	vector_hello(&v, &hs);
	assert_int_equal(chan_client_finish(&hs, &good, &client), CHAN_OK);
	assert_memory_equal(&client, &server, sizeof(client));
}

/* Curve25519 points of small order (RFC 7748 section 6.1 lists why): any
 * X25519 with them is all zero. */
static const char *const low_order_points[] = {
	"0000000000000000000000000000000000000000000000000000000000000000",
	"0100000000000000000000000000000000000000000000000000000000000000",
	"e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
	"5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
};

static void low_order_ephemeral_refused_on_both_sides(void **state)
{
	vector v;
	(void)state;
	vector_inputs(&v);
	for (size_t i = 0; i < sizeof(low_order_points) / sizeof(low_order_points[0]); i++) {
		chan_client_hs hs;
		chan_welcome w;
		chan_keys keys;
		uint8_t point[32], h1[32], h2[32];

		assert_int_equal(sodium_hex2bin(point, 32, low_order_points[i], 64, NULL, NULL,
		    NULL), 0);
		/* Server side: a correctly signed hello carrying the point. */
		vector_hello(&v, &hs);
		memcpy(hs.hello.client_ephemeral, point, 32);
		chan_hello_hash(&hs.hello, h1);
		assert_int_equal(crypto_sign_detached(hs.hello.signature, NULL, h1, 32, v.client_sk),
		    0);
		assert_int_equal(chan_hello_check(&hs.hello, v.server_pk, VEC_TIME_MS, 30000),
		    CHAN_OK);
		memset(&w, 0xaa, sizeof(w));
		memset(&keys, 0xaa, sizeof(keys));
		assert_int_equal(chan_server_welcome(&hs.hello, v.server_sk, v.session_id,
		    VEC_EXPIRES_MS, NULL, &w, &keys), CHAN_E_KEY);
		assert_true(sodium_is_zero((const uint8_t *)&w, sizeof(w)));
		assert_true(sodium_is_zero((const uint8_t *)&keys, sizeof(keys)));

		/* Client side: a welcome carrying the point, correctly signed by
		 * the pinned server. */
		vector_hello(&v, &hs);
		memcpy(w.session_id, v.session_id, 16);
		memcpy(w.server_ephemeral, point, 32);
		w.expires_unix_ms = VEC_EXPIRES_MS;
		h2_by_hand(&hs.hello, &w, h2);
		assert_int_equal(crypto_sign_detached(w.signature, NULL, h2, 32, v.server_sk), 0);
		memset(&keys, 0xaa, sizeof(keys));
		assert_int_equal(chan_client_finish(&hs, &w, &keys), CHAN_E_KEY);
		assert_true(sodium_is_zero((const uint8_t *)&keys, sizeof(keys)));
		assert_true(sodium_is_zero(hs.ephemeral_secret, sizeof(hs.ephemeral_secret)));
	}
}

static void seal_open_roundtrip(void **state)
{
	static const size_t lengths[] = { 0, 1, 5, 63, 64, 65, 1000, 70000 };
	uint8_t key[32], session_id[16];
	uint8_t *plain = malloc(70000), *sealed = malloc(70000 + 16), *opened = malloc(70000 + 1);
	(void)state;
	assert_non_null(plain);
	assert_non_null(sealed);
	assert_non_null(opened);
	randombytes_buf(key, sizeof(key));
	randombytes_buf(session_id, sizeof(session_id));
	randombytes_buf(plain, 70000);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		size_t n = lengths[i];
		uint64_t counter = i == 0 ? UINT64_MAX : i;

		for (int dir = CHAN_C2S; dir <= CHAN_S2C; dir++) {
			assert_int_equal(chan_seal(key, (chan_dir)dir, session_id, counter, plain, n,
			    sealed), CHAN_OK);
			if (n > 0)
				assert_memory_not_equal(sealed, plain, n);
			assert_int_equal(chan_open(key, (chan_dir)dir, session_id, counter, sealed,
			    n + 16, opened), CHAN_OK);
			assert_memory_equal(opened, plain, n);
		}
	}
	free(plain);
	free(sealed);
	free(opened);
}

enum forgery {
	FORGE_CIPHERTEXT_BIT,
	FORGE_TAG_BIT,
	FORGE_COUNTER,
	FORGE_SESSION_ID,
	FORGE_DIRECTION,
	FORGE_KEY,
	FORGE_TRUNCATED,
};

static void open_refuses_forgery_case_table(void **state)
{
	static const struct {
		const char  *name;
		enum forgery forgery;
	} cases[] = {
		{ "flipped ciphertext bit", FORGE_CIPHERTEXT_BIT },
		{ "flipped tag bit", FORGE_TAG_BIT },
		{ "wrong counter", FORGE_COUNTER },
		{ "wrong session id", FORGE_SESSION_ID },
		{ "wrong direction", FORGE_DIRECTION },
		{ "wrong key", FORGE_KEY },
		{ "last byte cut off", FORGE_TRUNCATED },
	};
	static const uint8_t plain[] = "a request that must not leak";
	uint8_t key[32], session_id[16], good[sizeof(plain) + 16];
	(void)state;
	randombytes_buf(key, sizeof(key));
	randombytes_buf(session_id, sizeof(session_id));
	assert_int_equal(chan_seal(key, CHAN_C2S, session_id, 7, plain, sizeof(plain), good),
	    CHAN_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t sealed[sizeof(good)], k[32], sid[16], out[sizeof(plain)];
		uint64_t counter = 7;
		chan_dir dir = CHAN_C2S;
		size_t len = sizeof(sealed);

		memcpy(sealed, good, sizeof(good));
		memcpy(k, key, sizeof(k));
		memcpy(sid, session_id, sizeof(sid));
		switch (cases[i].forgery) {
		case FORGE_CIPHERTEXT_BIT:
			sealed[3] ^= 0x08;
			break;
		case FORGE_TAG_BIT:
			sealed[sizeof(sealed) - 1] ^= 0x01;
			break;
		case FORGE_COUNTER:
			counter = 8;
			break;
		case FORGE_SESSION_ID:
			sid[15] ^= 0x01;
			break;
		case FORGE_DIRECTION:
			dir = CHAN_S2C;
			break;
		case FORGE_KEY:
			k[0] ^= 0x01;
			break;
		case FORGE_TRUNCATED:
			len--;
			break;
		}
		memset(out, 0xaa, sizeof(out));
		assert_case("open", cases[i].name, chan_open(k, dir, sid, counter, sealed, len, out),
		    CHAN_E_AUTH);
		assert_true(sodium_is_zero(out, len - CHAN_TAG_BYTES));
	}
}

static void open_shorter_than_tag_is_size_error(void **state)
{
	uint8_t key[32] = { 0 }, session_id[16] = { 0 }, sealed[16], out[1];
	(void)state;
	for (size_t len = 0; len < CHAN_TAG_BYTES; len++)
		assert_int_equal(chan_open(key, CHAN_C2S, session_id, 1, sealed, len, out),
		    CHAN_E_SIZE);
	/* Exactly a tag: an empty message, which must still authenticate. */
	assert_int_equal(chan_seal(key, CHAN_C2S, session_id, 1, out, 0, sealed), CHAN_OK);
	assert_int_equal(chan_open(key, CHAN_C2S, session_id, 1, sealed, 16, out), CHAN_OK);
	sealed[0] ^= 1;
	assert_int_equal(chan_open(key, CHAN_C2S, session_id, 1, sealed, 16, out), CHAN_E_AUTH);
}

static void counter_zero_refused(void **state)
{
	uint8_t key[32] = { 0 }, session_id[16] = { 0 }, sealed[5 + 16], out[5];
	chan_window w;
	(void)state;
	memset(sealed, 0xaa, sizeof(sealed));
	assert_int_equal(chan_seal(key, CHAN_C2S, session_id, 0, (const uint8_t *)"hello", 5,
	    sealed), CHAN_E_COUNTER);
	assert_int_equal(chan_open(key, CHAN_C2S, session_id, 0, sealed, sizeof(sealed), out),
	    CHAN_E_COUNTER);
	chan_window_init(&w);
	assert_int_equal(chan_window_accept(&w, 0), CHAN_E_COUNTER);
	assert_int_equal(chan_window_accept(&w, 1), CHAN_OK);
	assert_int_equal(chan_window_accept(&w, 0), CHAN_E_COUNTER);
}

#define STEPS_END 1 /* no chan result is 1: ends a scenario's steps */
#define MAX64     UINT64_MAX

static void replay_window_case_table(void **state)
{
	static const struct {
		const char *name;
		struct {
			uint64_t counter;
			int      expect;
		} steps[12];
	} cases[] = {
		{ "in order", { { 1, CHAN_OK }, { 2, CHAN_OK }, { 3, CHAN_OK }, { 4, CHAN_OK },
		    { 0, STEPS_END } } },
		{ "out of order within the window", { { 5, CHAN_OK }, { 3, CHAN_OK }, { 4, CHAN_OK },
		    { 1, CHAN_OK }, { 2, CHAN_OK }, { 6, CHAN_OK }, { 0, STEPS_END } } },
		{ "duplicate of the top", { { 1, CHAN_OK }, { 1, CHAN_E_REPLAY }, { 2, CHAN_OK },
		    { 2, CHAN_E_REPLAY }, { 0, STEPS_END } } },
		{ "duplicate below the top", { { 5, CHAN_OK }, { 3, CHAN_OK }, { 3, CHAN_E_REPLAY },
		    { 5, CHAN_E_REPLAY }, { 4, CHAN_OK }, { 0, STEPS_END } } },
		{ "first counter far ahead", { { 5000, CHAN_OK }, { 3977, CHAN_OK },
		    { 3976, CHAN_E_OLD }, { 1, CHAN_E_OLD }, { 0, STEPS_END } } },
		{ "window edge: 1023 below is in, 1024 below is old", { { 2000, CHAN_OK },
		    { 977, CHAN_OK }, { 977, CHAN_E_REPLAY }, { 976, CHAN_E_OLD }, { 0, STEPS_END } } },
		{ "window edge from counter 1", { { 1, CHAN_OK }, { 1024, CHAN_OK },
		    { 1, CHAN_E_REPLAY }, { 1025, CHAN_OK }, { 1, CHAN_E_OLD }, { 2, CHAN_OK },
		    { 0, STEPS_END } } },
		{ "advance by 1023 keeps the oldest", { { 10, CHAN_OK }, { 1033, CHAN_OK },
		    { 10, CHAN_E_REPLAY }, { 11, CHAN_OK }, { 1034, CHAN_OK }, { 10, CHAN_E_OLD },
		    { 11, CHAN_E_REPLAY }, { 0, STEPS_END } } },
		{ "advance forgets the first displaced counter", { { 5, CHAN_OK }, { 1028, CHAN_OK },
		    { 1030, CHAN_OK }, { 1029, CHAN_OK }, { 5, CHAN_E_OLD }, { 0, STEPS_END } } },
		{ "advance by exactly 1024 forgets all", { { 5, CHAN_OK }, { 1029, CHAN_OK },
		    { 5, CHAN_E_OLD }, { 6, CHAN_OK }, { 1028, CHAN_OK }, { 0, STEPS_END } } },
		{ "ring reuse clears stale bits", { { 3, CHAN_OK }, { 1000, CHAN_OK },
		    { 1027, CHAN_OK }, { 1026, CHAN_OK }, { 4, CHAN_OK }, { 4, CHAN_E_REPLAY },
		    { 3, CHAN_E_OLD }, { 1000, CHAN_E_REPLAY }, { 1003, CHAN_OK }, { 0, STEPS_END } } },
		{ "huge jump, then old ones", { { 1, CHAN_OK }, { 2, CHAN_OK }, { 3, CHAN_OK },
		    { 1000000, CHAN_OK }, { 3, CHAN_E_OLD }, { 4, CHAN_E_OLD },
		    { 999000, CHAN_OK }, { 998977, CHAN_OK }, { 998976, CHAN_E_OLD },
		    { 1000000, CHAN_E_REPLAY }, { 0, STEPS_END } } },
		{ "UINT64_MAX", { { MAX64, CHAN_OK }, { MAX64, CHAN_E_REPLAY },
		    { MAX64 - 1023, CHAN_OK }, { MAX64 - 1024, CHAN_E_OLD }, { 1, CHAN_E_OLD },
		    { MAX64 - 1, CHAN_OK }, { MAX64 - 1, CHAN_E_REPLAY }, { 0, STEPS_END } } },
		{ "climbing to UINT64_MAX", { { MAX64 - 2, CHAN_OK }, { MAX64 - 1, CHAN_OK },
		    { MAX64, CHAN_OK }, { MAX64 - 2, CHAN_E_REPLAY }, { MAX64 - 3, CHAN_OK },
		    { 0, STEPS_END } } },
		{ "counter 0 changes nothing", { { 0, CHAN_E_COUNTER }, { 1, CHAN_OK },
		    { 0, CHAN_E_COUNTER }, { 1, CHAN_E_REPLAY }, { 0, STEPS_END } } },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		chan_window w;

		chan_window_init(&w);
		for (size_t s = 0; cases[i].steps[s].expect != STEPS_END; s++) {
			if (chan_window_accept(&w, cases[i].steps[s].counter) != cases[i].steps[s].expect)
				fail_msg("window: case \"%s\", step %zu (counter %llu): want %s",
				    cases[i].name, s, (unsigned long long)cases[i].steps[s].counter,
				    chan_strerror(cases[i].steps[s].expect));
		}
	}
}

/* Every counter of a long in-order run is accepted once and only once. */
static void replay_window_long_run(void **state)
{
	chan_window w;
	(void)state;
	chan_window_init(&w);
	for (uint64_t c = 1; c <= 5000; c++) {
		assert_int_equal(chan_window_accept(&w, c), CHAN_OK);
		if (c > 1)
			assert_int_equal(chan_window_accept(&w, c - 1), CHAN_E_REPLAY);
		if (c > 1023)
			assert_int_equal(chan_window_accept(&w, c - 1023), CHAN_E_REPLAY);
		if (c > 1024)
			assert_int_equal(chan_window_accept(&w, c - 1024), CHAN_E_OLD);
	}
}

enum request_change {
	REQ_BINDING,
	REQ_METHOD_LAST_CHAR,
	REQ_METHOD_PREFIX,
	REQ_METHOD_EMPTY,
	REQ_REQUEST_ID,
	REQ_PAYLOAD_HASH,
	REQ_SIGNATURE,
	REQ_OTHER_KEY,
};

static void request_signature_case_table(void **state)
{
	static const struct {
		const char         *name;
		enum request_change change;
	} cases[] = {
		{ "binding of another session", REQ_BINDING },
		{ "method's last character", REQ_METHOD_LAST_CHAR },
		{ "method cut short", REQ_METHOD_PREFIX },
		{ "empty method", REQ_METHOD_EMPTY },
		{ "request id", REQ_REQUEST_ID },
		{ "payload hash of another payload", REQ_PAYLOAD_HASH },
		{ "signature bit", REQ_SIGNATURE },
		{ "another principal's key", REQ_OTHER_KEY },
	};
	vector v;
	chan_hello hello;
	chan_welcome w;
	chan_keys client, server;
	uint8_t payload_hash[32], sig[64], other_pk[32], other_sk[64];
	(void)state;
	vector_inputs(&v);
	vector_handshake(&v, &hello, &w, &client, &server);
	assert_int_equal(crypto_sign_keypair(other_pk, other_sk), 0);
	chan_payload_hash((const uint8_t *)"abc", 3, payload_hash);
	assert_int_equal(chan_request_sign(v.client_sk, client.binding, VEC_METHOD, v.request_id,
	    payload_hash, sig), CHAN_OK);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint8_t binding[32], request_id[16], hash[32], s[64];
		const uint8_t *pk = v.client_pk;
		const char *method = VEC_METHOD;

		memcpy(binding, server.binding, 32);
		memcpy(request_id, v.request_id, 16);
		memcpy(hash, payload_hash, 32);
		memcpy(s, sig, 64);
		switch (cases[i].change) {
		case REQ_BINDING:
			binding[0] ^= 1;
			break;
		case REQ_METHOD_LAST_CHAR:
			method = "/baton.v1.Identity/AddOrh";
			break;
		case REQ_METHOD_PREFIX:
			method = "/baton.v1.Identity/AddO";
			break;
		case REQ_METHOD_EMPTY:
			method = "";
			break;
		case REQ_REQUEST_ID:
			request_id[15] ^= 0x80;
			break;
		case REQ_PAYLOAD_HASH:
			chan_payload_hash((const uint8_t *)"abd", 3, hash);
			break;
		case REQ_SIGNATURE:
			s[10] ^= 0x04;
			break;
		case REQ_OTHER_KEY:
			pk = other_pk;
			break;
		}
		assert_case("request signature", cases[i].name,
		    chan_request_verify(pk, binding, method, request_id, hash, s), CHAN_E_SIGNATURE);
	}
	assert_int_equal(chan_request_verify(v.client_pk, server.binding, VEC_METHOD,
	    v.request_id, payload_hash, sig), CHAN_OK);
	sodium_memzero(other_sk, sizeof(other_sk));
}

/* Methods longer than the stack buffer, at the u16 limit, and beyond it. */
static void request_signature_method_lengths(void **state)
{
	static const size_t lengths[] = { 0, 255, 256, 257, 300, 65535 };
	uint8_t pk[32], sk[64], binding[32], request_id[16], hash[32], sig[64];
	char *method = malloc(65537);
	(void)state;
	assert_non_null(method);
	assert_int_equal(crypto_sign_keypair(pk, sk), 0);
	randombytes_buf(binding, sizeof(binding));
	randombytes_buf(request_id, sizeof(request_id));
	chan_payload_hash(NULL, 0, hash);
	for (size_t i = 0; i < sizeof(lengths) / sizeof(lengths[0]); i++) {
		memset(method, 'm', lengths[i]);
		method[lengths[i]] = '\0';
		assert_int_equal(chan_request_sign(sk, binding, method, request_id, hash, sig),
		    CHAN_OK);
		assert_int_equal(chan_request_verify(pk, binding, method, request_id, hash, sig),
		    CHAN_OK);
	}
	memset(method, 'm', 65536);
	method[65536] = '\0';
	assert_int_equal(chan_request_sign(sk, binding, method, request_id, hash, sig),
	    CHAN_E_SIZE);
	assert_int_equal(chan_request_verify(pk, binding, method, request_id, hash, sig),
	    CHAN_E_SIZE);
	free(method);
	sodium_memzero(sk, sizeof(sk));
}

static void strerror_has_a_sentence_for_each_code(void **state)
{
	static const int codes[] = {
		CHAN_OK, CHAN_E_VERSION, CHAN_E_WRONG_SERVER, CHAN_E_CLOCK, CHAN_E_SIGNATURE,
		CHAN_E_KEY, CHAN_E_AUTH, CHAN_E_REPLAY, CHAN_E_OLD, CHAN_E_COUNTER, CHAN_E_SIZE,
	};
	const char *unknown = chan_strerror(-999);
	(void)state;
	assert_non_null(unknown);
	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		const char *s = chan_strerror(codes[i]);

		assert_non_null(s);
		assert_true(strlen(s) > 10);
		assert_string_not_equal(s, unknown);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(s, chan_strerror(codes[j]));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(handshake_with_fresh_keys_agrees),
		cmocka_unit_test(test_vector_handshake),
		cmocka_unit_test(test_vector_by_hand),
		cmocka_unit_test(test_vector_frames),
		cmocka_unit_test(test_vector_request_signature),
		cmocka_unit_test(hello_check_case_table),
		cmocka_unit_test(hello_clock_check_has_no_overflow),
		cmocka_unit_test(client_refuses_welcome_signed_by_another_server),
		cmocka_unit_test(client_refuses_welcome_with_any_byte_flipped),
		cmocka_unit_test(low_order_ephemeral_refused_on_both_sides),
		cmocka_unit_test(seal_open_roundtrip),
		cmocka_unit_test(open_refuses_forgery_case_table),
		cmocka_unit_test(open_shorter_than_tag_is_size_error),
		cmocka_unit_test(counter_zero_refused),
		cmocka_unit_test(replay_window_case_table),
		cmocka_unit_test(replay_window_long_run),
		cmocka_unit_test(request_signature_case_table),
		cmocka_unit_test(request_signature_method_lengths),
		cmocka_unit_test(strerror_has_a_sentence_for_each_code),
	};
	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests_name("unit: chan", tests, NULL, NULL);
}
