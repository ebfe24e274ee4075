/* chan.c - the secure channel on libsodium: handshake, session keys, sealed frames, replay window, request signatures. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/chan.h"

/* chan.h's sizes are libsodium's; a libsodium that disagrees must not build. */
_Static_assert(CHAN_KEY_BYTES == crypto_sign_PUBLICKEYBYTES, "Ed25519 public key size");
_Static_assert(CHAN_SECRET_KEY_BYTES == crypto_sign_SECRETKEYBYTES, "Ed25519 secret key size");
_Static_assert(CHAN_SIG_BYTES == crypto_sign_BYTES, "Ed25519 signature size");
_Static_assert(CHAN_KEY_BYTES == crypto_scalarmult_BYTES, "X25519 public key size");
_Static_assert(CHAN_KEY_BYTES == crypto_scalarmult_SCALARBYTES, "X25519 secret key size");
_Static_assert(CHAN_KEY_BYTES == crypto_aead_xchacha20poly1305_ietf_KEYBYTES, "AEAD key size");
_Static_assert(CHAN_TAG_BYTES == crypto_aead_xchacha20poly1305_ietf_ABYTES, "AEAD tag size");
_Static_assert(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES == 24, "AEAD nonce size");
_Static_assert(CHAN_HASH_BYTES >= crypto_generichash_BYTES_MIN &&
    2 * CHAN_KEY_BYTES <= crypto_generichash_BYTES_MAX, "BLAKE2b output sizes");
_Static_assert(CHAN_WINDOW_BITS % 64 == 0, "the window is made of whole words");

#define LABEL_LEN(l) (sizeof(l) - 1) /* labels carry no NUL on the wire */

static const char label_init[]  = "baton/1 handshake init";
static const char label_reply[] = "baton/1 handshake reply";
static const char label_keys[]  = "baton/1 session keys";
static const char label_req[]   = "baton/1 request";
static const char label_c2s[]   = "baton/1 c2s";
static const char label_s2c[]   = "baton/1 s2c";

_Static_assert(LABEL_LEN(label_c2s) == LABEL_LEN(label_s2c), "direction labels of one length");

/* Exact sizes of the byte strings the specification hashes, signs or binds. */
#define H1_INPUT_BYTES (LABEL_LEN(label_init) + 4 + 3 * CHAN_KEY_BYTES + 8)
#define H2_INPUT_BYTES (LABEL_LEN(label_reply) + CHAN_HASH_BYTES + CHAN_SIG_BYTES + \
    CHAN_SESSION_ID_BYTES + CHAN_KEY_BYTES + 8)
#define K_INPUT_BYTES  (LABEL_LEN(label_keys) + CHAN_HASH_BYTES + CHAN_SIG_BYTES)
#define K_BYTES        (2 * CHAN_KEY_BYTES)
#define AD_BYTES       (LABEL_LEN(label_c2s) + CHAN_SESSION_ID_BYTES + 8)
#define NONCE_BYTES    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define M_FIXED_BYTES  (LABEL_LEN(label_req) + CHAN_HASH_BYTES + 2 + CHAN_REQUEST_ID_BYTES + \
    CHAN_HASH_BYTES)
#define METHOD_MAX     65535u
/* Methods up to this long build M on the stack; longer ones (Baton's method
 * names are far shorter) take one malloc: pure Ed25519 needs M in one piece. */
#define METHOD_INLINE  256u

/* Appends bytes to a buffer whose exact size the caller computed. */
typedef struct writer {
	uint8_t *p;
} writer;

static void put_bytes(writer *wr, const void *src, size_t n)
{
	memcpy(wr->p, src, n);
	wr->p += n;
}

/* n bytes of v, least significant first. */
static void put_le(writer *wr, uint64_t v, int n)
{
	for (int i = 0; i < n; i++)
		wr->p[i] = (uint8_t)(v >> (8 * i));
	wr->p += n;
}

/* i64 on the wire is the two's complement bit pattern, little-endian. */
static void put_i64(writer *wr, int64_t v)
{
	put_le(wr, (uint64_t)v, 8);
}

/*
 * crypto_generichash fails only for output or key lengths out of range,
 * and every length here is a constant inside the range: a failure would
 * be a defect of this build, never a peer's doing, so it stops the process
 * rather than let an unfilled hash be signed or compared.
 */
static void hash32(uint8_t out[CHAN_HASH_BYTES], const uint8_t *in, size_t len)
{
	if (crypto_generichash(out, CHAN_HASH_BYTES, in, len, NULL, 0) != 0)
		abort();
}

const char *chan_strerror(int err)
{
	switch (err) {
	case CHAN_OK: return "The operation succeeded.";
	case CHAN_E_VERSION: return "The handshake asks for an unsupported protocol version.";
	case CHAN_E_WRONG_SERVER: return "The handshake is addressed to another server key.";
	case CHAN_E_CLOCK: return "The handshake time is too far from this side's clock.";
	case CHAN_E_SIGNATURE: return "A signature does not verify.";
	case CHAN_E_KEY: return "A key is unusable (low-order or invalid, or signing failed).";
	case CHAN_E_AUTH: return "A sealed frame failed authentication.";
	case CHAN_E_REPLAY: return "The frame's counter was already seen in this session.";
	case CHAN_E_OLD: return "The frame's counter is too far behind the replay window.";
	case CHAN_E_COUNTER: return "A frame counter of 0 is never valid.";
	case CHAN_E_SIZE: return "A length is out of range.";
	default: return "Unknown secure channel error.";
	}
}

void chan_keys_wipe(chan_keys *k)
{
	if (k != NULL)
		sodium_memzero(k, sizeof(*k));
}

void chan_client_hs_wipe(chan_client_hs *hs)
{
	if (hs != NULL)
		sodium_memzero(hs, sizeof(*hs));
}

void chan_hello_hash(const chan_hello *h, uint8_t out[CHAN_HASH_BYTES])
{
	uint8_t buf[H1_INPUT_BYTES];
	writer wr = { buf };

	put_bytes(&wr, label_init, LABEL_LEN(label_init));
	put_le(&wr, h->version, 4);
	put_bytes(&wr, h->server_key, CHAN_KEY_BYTES);
	put_bytes(&wr, h->client_key, CHAN_KEY_BYTES);
	put_bytes(&wr, h->client_ephemeral, CHAN_KEY_BYTES);
	put_i64(&wr, h->time_unix_ms);
	hash32(out, buf, sizeof(buf));
}

/* H2: binds the whole hello (with sig_c) and all of the welcome but sig_s. */
static void welcome_hash(const chan_hello *h, const chan_welcome *w,
    uint8_t out[CHAN_HASH_BYTES])
{
	uint8_t buf[H2_INPUT_BYTES];
	uint8_t h1[CHAN_HASH_BYTES];
	writer wr = { buf };

	chan_hello_hash(h, h1);
	put_bytes(&wr, label_reply, LABEL_LEN(label_reply));
	put_bytes(&wr, h1, sizeof(h1));
	put_bytes(&wr, h->signature, CHAN_SIG_BYTES);
	put_bytes(&wr, w->session_id, CHAN_SESSION_ID_BYTES);
	put_bytes(&wr, w->server_ephemeral, CHAN_KEY_BYTES);
	put_i64(&wr, w->expires_unix_ms);
	hash32(out, buf, sizeof(buf));
}

/* A fresh X25519 key pair, or the one a test vector fixes. */
static int ephemeral_make(uint8_t secret[CHAN_KEY_BYTES], uint8_t public[CHAN_KEY_BYTES],
    const uint8_t *fixed_secret)
{
	if (fixed_secret != NULL)
		memcpy(secret, fixed_secret, CHAN_KEY_BYTES);
	else
		randombytes_buf(secret, CHAN_KEY_BYTES);
	if (crypto_scalarmult_base(public, secret) != 0)
		return CHAN_E_KEY;
	return CHAN_OK;
}

/*
 * X25519. libsodium already returns -1 for an all-zero result (a peer's
 * low-order point); the explicit zero test keeps that promise whatever the
 * libsodium version. shared is wiped on failure.
 */
static int shared_compute(uint8_t shared[CHAN_KEY_BYTES], const uint8_t secret[CHAN_KEY_BYTES],
    const uint8_t peer_public[CHAN_KEY_BYTES])
{
	if (crypto_scalarmult(shared, secret, peer_public) != 0 ||
	    sodium_is_zero(shared, CHAN_KEY_BYTES)) {
		sodium_memzero(shared, CHAN_KEY_BYTES);
		return CHAN_E_KEY;
	}
	return CHAN_OK;
}

/* K = BLAKE2b-512(key = shared, L_KEYS || H2 || sig_s); split into the two
 * directions' keys. */
static int keys_derive(const uint8_t shared[CHAN_KEY_BYTES], const uint8_t h2[CHAN_HASH_BYTES],
    const uint8_t sig_s[CHAN_SIG_BYTES], chan_keys *keys)
{
	uint8_t msg[K_INPUT_BYTES];
	uint8_t k[K_BYTES];
	writer wr = { msg };
	int rv = CHAN_OK;

	put_bytes(&wr, label_keys, LABEL_LEN(label_keys));
	put_bytes(&wr, h2, CHAN_HASH_BYTES);
	put_bytes(&wr, sig_s, CHAN_SIG_BYTES);
	if (crypto_generichash(k, sizeof(k), msg, sizeof(msg), shared, CHAN_KEY_BYTES) != 0) {
		rv = CHAN_E_KEY;
		goto out;
	}
	memcpy(keys->c2s, k, CHAN_KEY_BYTES);
	memcpy(keys->s2c, k + CHAN_KEY_BYTES, CHAN_KEY_BYTES);
	memcpy(keys->binding, h2, CHAN_HASH_BYTES);
out:
	sodium_memzero(k, sizeof(k));
	sodium_memzero(msg, sizeof(msg));
	return rv;
}

int chan_client_hello(chan_client_hs *hs, const uint8_t server_key[CHAN_KEY_BYTES],
    const uint8_t client_sk[CHAN_SECRET_KEY_BYTES], int64_t time_unix_ms,
    const uint8_t *ephemeral_secret)
{
	uint8_t h1[CHAN_HASH_BYTES];
	int rv;

	sodium_memzero(hs, sizeof(*hs));
	rv = ephemeral_make(hs->ephemeral_secret, hs->hello.client_ephemeral, ephemeral_secret);
	if (rv != CHAN_OK)
		goto out;
	hs->hello.version = CHAN_VERSION;
	memcpy(hs->hello.server_key, server_key, CHAN_KEY_BYTES);
	/* libsodium's secret key is seed || public key. */
	memcpy(hs->hello.client_key, client_sk + CHAN_SECRET_KEY_BYTES - CHAN_KEY_BYTES,
	    CHAN_KEY_BYTES);
	hs->hello.time_unix_ms = time_unix_ms;
	chan_hello_hash(&hs->hello, h1);
	if (crypto_sign_detached(hs->hello.signature, NULL, h1, sizeof(h1), client_sk) != 0)
		rv = CHAN_E_KEY;
out:
	if (rv != CHAN_OK)
		chan_client_hs_wipe(hs);
	return rv;
}

int chan_client_finish(chan_client_hs *hs, const chan_welcome *w, chan_keys *keys)
{
	uint8_t h2[CHAN_HASH_BYTES];
	uint8_t shared[CHAN_KEY_BYTES];
	int rv;

	sodium_memzero(keys, sizeof(*keys));
	sodium_memzero(shared, sizeof(shared));
	welcome_hash(&hs->hello, w, h2);
	/* The pinned key is the one the hello named; nothing else may sign. */
	if (crypto_sign_verify_detached(w->signature, h2, sizeof(h2), hs->hello.server_key) != 0) {
		rv = CHAN_E_SIGNATURE;
		goto out;
	}
	rv = shared_compute(shared, hs->ephemeral_secret, w->server_ephemeral);
	if (rv != CHAN_OK)
		goto out;
	rv = keys_derive(shared, h2, w->signature, keys);
out:
	sodium_memzero(shared, sizeof(shared));
	sodium_memzero(hs->ephemeral_secret, sizeof(hs->ephemeral_secret));
	if (rv != CHAN_OK)
		chan_keys_wipe(keys);
	return rv;
}

/* |a - b| <= window without signed overflow for any pair of int64 values. */
static bool time_within(int64_t a, int64_t b, int64_t window)
{
	uint64_t distance = a >= b ? (uint64_t)a - (uint64_t)b : (uint64_t)b - (uint64_t)a;

	return window >= 0 && distance <= (uint64_t)window;
}

int chan_hello_check(const chan_hello *h, const uint8_t own_key[CHAN_KEY_BYTES],
    int64_t now_unix_ms, int64_t window_ms)
{
	uint8_t h1[CHAN_HASH_BYTES];

	if (h->version != CHAN_VERSION)
		return CHAN_E_VERSION;
	if (sodium_memcmp(h->server_key, own_key, CHAN_KEY_BYTES) != 0)
		return CHAN_E_WRONG_SERVER;
	if (!time_within(h->time_unix_ms, now_unix_ms, window_ms))
		return CHAN_E_CLOCK;
	chan_hello_hash(h, h1);
	if (crypto_sign_verify_detached(h->signature, h1, sizeof(h1), h->client_key) != 0)
		return CHAN_E_SIGNATURE;
	return CHAN_OK;
}

int chan_server_welcome(const chan_hello *h, const uint8_t server_sk[CHAN_SECRET_KEY_BYTES],
    const uint8_t session_id[CHAN_SESSION_ID_BYTES], int64_t expires_unix_ms,
    const uint8_t *ephemeral_secret, chan_welcome *w, chan_keys *keys)
{
	uint8_t secret[CHAN_KEY_BYTES];
	uint8_t shared[CHAN_KEY_BYTES];
	uint8_t h2[CHAN_HASH_BYTES];
	int rv;

	sodium_memzero(w, sizeof(*w));
	sodium_memzero(keys, sizeof(*keys));
	sodium_memzero(shared, sizeof(shared));
	rv = ephemeral_make(secret, w->server_ephemeral, ephemeral_secret);
	if (rv != CHAN_OK)
		goto out;
	/* Refuse the client's ephemeral before signing anything for it. */
	rv = shared_compute(shared, secret, h->client_ephemeral);
	if (rv != CHAN_OK)
		goto out;
	memcpy(w->session_id, session_id, CHAN_SESSION_ID_BYTES);
	w->expires_unix_ms = expires_unix_ms;
	welcome_hash(h, w, h2);
	if (crypto_sign_detached(w->signature, NULL, h2, sizeof(h2), server_sk) != 0) {
		rv = CHAN_E_KEY;
		goto out;
	}
	rv = keys_derive(shared, h2, w->signature, keys);
out:
	sodium_memzero(secret, sizeof(secret));
	sodium_memzero(shared, sizeof(shared));
	if (rv != CHAN_OK) {
		sodium_memzero(w, sizeof(*w));
		chan_keys_wipe(keys);
	}
	return rv;
}

/* nonce = u64 counter || 16 zero bytes; ad = direction label || session id
 * || u64 counter. */
static void frame_nonce_ad(chan_dir dir, const uint8_t session_id[CHAN_SESSION_ID_BYTES],
    uint64_t counter, uint8_t nonce[NONCE_BYTES], uint8_t ad[AD_BYTES])
{
	writer wn = { nonce };
	writer wa = { ad };

	memset(nonce, 0, NONCE_BYTES);
	put_le(&wn, counter, 8);
	if (dir == CHAN_C2S)
		put_bytes(&wa, label_c2s, LABEL_LEN(label_c2s));
	else
		put_bytes(&wa, label_s2c, LABEL_LEN(label_s2c));
	put_bytes(&wa, session_id, CHAN_SESSION_ID_BYTES);
	put_le(&wa, counter, 8);
}

int chan_seal(const uint8_t key[CHAN_KEY_BYTES], chan_dir dir,
    const uint8_t session_id[CHAN_SESSION_ID_BYTES], uint64_t counter, const uint8_t *plain,
    size_t len, uint8_t *out)
{
	uint8_t nonce[NONCE_BYTES];
	uint8_t ad[AD_BYTES];

	if (counter == 0)
		return CHAN_E_COUNTER;
	if (len > crypto_aead_xchacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return CHAN_E_SIZE;
	frame_nonce_ad(dir, session_id, counter, nonce, ad);
	if (crypto_aead_xchacha20poly1305_ietf_encrypt_detached(out, out + len, NULL, plain, len,
	    ad, sizeof(ad), NULL, nonce, key) != 0) {
		sodium_memzero(out, len + CHAN_TAG_BYTES);
		return CHAN_E_SIZE;
	}
	return CHAN_OK;
}

int chan_open(const uint8_t key[CHAN_KEY_BYTES], chan_dir dir,
    const uint8_t session_id[CHAN_SESSION_ID_BYTES], uint64_t counter, const uint8_t *sealed,
    size_t len, uint8_t *out)
{
	uint8_t nonce[NONCE_BYTES];
	uint8_t ad[AD_BYTES];
	size_t plain_len;

	if (len < CHAN_TAG_BYTES)
		return CHAN_E_SIZE;
	if (counter == 0)
		return CHAN_E_COUNTER;
	plain_len = len - CHAN_TAG_BYTES;
	frame_nonce_ad(dir, session_id, counter, nonce, ad);
	if (crypto_aead_xchacha20poly1305_ietf_decrypt_detached(out, NULL, sealed, plain_len,
	    sealed + plain_len, ad, sizeof(ad), nonce, key) != 0) {
		if (plain_len > 0)
			sodium_memzero(out, plain_len);
		return CHAN_E_AUTH;
	}
	return CHAN_OK;
}

/*
 * The window is a ring of CHAN_WINDOW_BITS bits: counter c lives at bit
 * c mod CHAN_WINDOW_BITS. The counters it can answer for are
 * top - (CHAN_WINDOW_BITS - 1) .. top, which map to distinct bits, so a
 * bit is reused only after top has moved past its old counter's reach and
 * the advance cleared it.
 */
static uint64_t window_mask(uint64_t counter)
{
	return UINT64_C(1) << (counter % 64);
}

static uint64_t *window_word(chan_window *w, uint64_t counter)
{
	return &w->bits[(counter % CHAN_WINDOW_BITS) / 64];
}

void chan_window_init(chan_window *w)
{
	memset(w, 0, sizeof(*w));
}

int chan_window_accept(chan_window *w, uint64_t counter)
{
	if (counter == 0)
		return CHAN_E_COUNTER;
	if (counter > w->top) {
		uint64_t ahead = counter - w->top;

		if (ahead >= CHAN_WINDOW_BITS) {
			memset(w->bits, 0, sizeof(w->bits));
		} else {
			/* Forget the counters that top + 1 .. counter - 1 displace;
			 * no overflow: top + ahead == counter. */
			for (uint64_t i = 1; i < ahead; i++)
				*window_word(w, w->top + i) &= ~window_mask(w->top + i);
		}
		w->top = counter;
		*window_word(w, counter) |= window_mask(counter);
		return CHAN_OK;
	}
	if (w->top - counter >= CHAN_WINDOW_BITS)
		return CHAN_E_OLD;
	if (*window_word(w, counter) & window_mask(counter))
		return CHAN_E_REPLAY;
	*window_word(w, counter) |= window_mask(counter);
	return CHAN_OK;
}

void chan_payload_hash(const uint8_t *payload, size_t len, uint8_t out[CHAN_HASH_BYTES])
{
	hash32(out, payload, len);
}

/*
 * M = L_REQ || binding || u16 len(method) || method || request_id ||
 * H(payload), written into inline_buf when it fits, else into a malloc'd
 * buffer (*m != inline_buf: the caller frees). CHAN_E_SIZE for a method
 * longer than 65535 bytes or when that allocation fails.
 */
static int request_message(const uint8_t binding[CHAN_HASH_BYTES], const char *method,
    const uint8_t request_id[CHAN_REQUEST_ID_BYTES], const uint8_t payload_hash[CHAN_HASH_BYTES],
    uint8_t inline_buf[M_FIXED_BYTES + METHOD_INLINE], uint8_t **m, size_t *m_len)
{
	size_t method_len = strnlen(method, METHOD_MAX + 1);
	writer wr;

	if (method_len > METHOD_MAX)
		return CHAN_E_SIZE;
	*m_len = M_FIXED_BYTES + method_len;
	*m = inline_buf;
	if (method_len > METHOD_INLINE && (*m = malloc(*m_len)) == NULL)
		return CHAN_E_SIZE;
	wr.p = *m;
	put_bytes(&wr, label_req, LABEL_LEN(label_req));
	put_bytes(&wr, binding, CHAN_HASH_BYTES);
	put_le(&wr, method_len, 2);
	put_bytes(&wr, method, method_len);
	put_bytes(&wr, request_id, CHAN_REQUEST_ID_BYTES);
	put_bytes(&wr, payload_hash, CHAN_HASH_BYTES);
	return CHAN_OK;
}

static void request_message_free(uint8_t *m, size_t m_len, const uint8_t *inline_buf)
{
	sodium_memzero(m, m_len);
	if (m != inline_buf)
		free(m);
}

int chan_request_sign(const uint8_t sk[CHAN_SECRET_KEY_BYTES],
    const uint8_t binding[CHAN_HASH_BYTES], const char *method,
    const uint8_t request_id[CHAN_REQUEST_ID_BYTES], const uint8_t payload_hash[CHAN_HASH_BYTES],
    uint8_t sig[CHAN_SIG_BYTES])
{
	uint8_t inline_buf[M_FIXED_BYTES + METHOD_INLINE];
	uint8_t *m;
	size_t m_len;
	int rv;

	rv = request_message(binding, method, request_id, payload_hash, inline_buf, &m, &m_len);
	if (rv != CHAN_OK)
		return rv;
	if (crypto_sign_detached(sig, NULL, m, m_len, sk) != 0) {
		sodium_memzero(sig, CHAN_SIG_BYTES);
		rv = CHAN_E_KEY;
	}
	request_message_free(m, m_len, inline_buf);
	return rv;
}

int chan_request_verify(const uint8_t pk[CHAN_KEY_BYTES], const uint8_t binding[CHAN_HASH_BYTES],
    const char *method, const uint8_t request_id[CHAN_REQUEST_ID_BYTES],
    const uint8_t payload_hash[CHAN_HASH_BYTES], const uint8_t sig[CHAN_SIG_BYTES])
{
	uint8_t inline_buf[M_FIXED_BYTES + METHOD_INLINE];
	uint8_t *m;
	size_t m_len;
	int rv;

	rv = request_message(binding, method, request_id, payload_hash, inline_buf, &m, &m_len);
	if (rv != CHAN_OK)
		return rv;
	if (crypto_sign_verify_detached(sig, m, m_len, pk) != 0)
		rv = CHAN_E_SIGNATURE;
	request_message_free(m, m_len, inline_buf);
	return rv;
}
