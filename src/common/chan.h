/* chan.h - the secure channel's cryptography: handshake, session keys, sealed frames, replay window, request signatures. No I/O. */
#ifndef BATON_COMMON_CHAN_H
#define BATON_COMMON_CHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The byte-level specification (docs/protocol.md, "Secure channel", says the
 * same for implementers in other languages). All integers are little-endian.
 * H() is BLAKE2b with a 32-byte output (crypto_generichash, no key).
 * Labels are ASCII without a terminating NUL.
 *
 *   L_INIT  = "baton/1 handshake init"     L_REPLY = "baton/1 handshake reply"
 *   L_KEYS  = "baton/1 session keys"       L_REQ   = "baton/1 request"
 *   L_C2S   = "baton/1 c2s"                L_S2C   = "baton/1 s2c"
 *
 * Handshake (one round trip, carried by /baton.v1.Session/Handshake):
 *   client: e_c = fresh X25519 key pair (never an Ed25519 key converted)
 *     H1    = H(L_INIT || u32 version || server_key[32] || client_key[32]
 *                || e_c.public[32] || i64 time_unix_ms)
 *     sig_c = Ed25519-sign(client secret key, H1)        (signs the 32 bytes of H1)
 *   server: checks version, server_key is its own, |time - now| <= window,
 *           sig_c by client_key; then e_s = fresh X25519 key pair,
 *           session_id = 16 random bytes, expires_unix_ms
 *     H2    = H(L_REPLY || H1 || sig_c[64] || session_id[16] || e_s.public[32]
 *                || i64 expires_unix_ms)
 *     sig_s = Ed25519-sign(server secret key, H2)
 *   both: shared = X25519(own e.secret, peer e.public); all-zero → refuse
 *     K     = BLAKE2b-512(key = shared[32], message = L_KEYS || H2 || sig_s[64])
 *     c2s key = K[0..32), s2c key = K[32..64), binding = H2
 *   The client checks sig_s with the server key it pinned before using K.
 *
 * Sealed frames (XChaCha20-Poly1305-IETF, crypto_aead_xchacha20poly1305_ietf):
 *   counter: u64, starts at 1 per session and direction, never reused
 *   nonce[24] = u64 counter || 16 zero bytes
 *   ad        = L_C2S (request) or L_S2C (reply) || session_id[16] || u64 counter
 *   sealed    = ciphertext || 16-byte tag  (key c2s or s2c)
 *   A reply is sealed with the counter of the request it answers.
 *
 * Request signature (state-changing requests):
 *   M   = L_REQ || binding[32] || u16 len(method) || method || request_id[16]
 *         || H(payload)[32]
 *   sig = Ed25519-sign(principal secret key, M)       (signs M itself)
 */

#define CHAN_VERSION          1u
#define CHAN_KEY_BYTES        32 /* Ed25519 or X25519 public key, session key */
#define CHAN_SECRET_KEY_BYTES 64 /* Ed25519 secret key (libsodium layout) */
#define CHAN_SIG_BYTES        64
#define CHAN_HASH_BYTES       32
#define CHAN_SESSION_ID_BYTES 16
#define CHAN_REQUEST_ID_BYTES 16
#define CHAN_TAG_BYTES        16
#define CHAN_WINDOW_BITS      1024

/* Results; chan_strerror() gives a sentence for each. */
enum {
	CHAN_OK = 0,
	CHAN_E_VERSION = -1,    /* unsupported handshake version */
	CHAN_E_WRONG_SERVER = -2, /* hello names another server key */
	CHAN_E_CLOCK = -3,      /* hello time outside the allowed window */
	CHAN_E_SIGNATURE = -4,  /* a signature does not verify */
	CHAN_E_KEY = -5,        /* low-order / invalid public key (shared secret all zero) */
	CHAN_E_AUTH = -6,       /* sealed frame failed authentication */
	CHAN_E_REPLAY = -7,     /* counter already seen */
	CHAN_E_OLD = -8,        /* counter below the replay window */
	CHAN_E_COUNTER = -9,    /* counter 0 */
	CHAN_E_SIZE = -10,      /* a length out of range */
};

const char *chan_strerror(int err);

typedef enum chan_dir {
	CHAN_C2S = 0, /* client to server: requests */
	CHAN_S2C = 1, /* server to client: replies */
} chan_dir;

/* The client's handshake message (HandshakeRequest on the wire). */
typedef struct chan_hello {
	uint32_t version;
	uint8_t  server_key[CHAN_KEY_BYTES];       /* the pinned server Ed25519 key */
	uint8_t  client_key[CHAN_KEY_BYTES];       /* the principal's Ed25519 key */
	uint8_t  client_ephemeral[CHAN_KEY_BYTES]; /* X25519 public */
	int64_t  time_unix_ms;
	uint8_t  signature[CHAN_SIG_BYTES];        /* sig_c */
} chan_hello;

/* The server's answer (HandshakeReply on the wire). */
typedef struct chan_welcome {
	uint8_t session_id[CHAN_SESSION_ID_BYTES];
	uint8_t server_ephemeral[CHAN_KEY_BYTES]; /* X25519 public */
	int64_t expires_unix_ms;
	uint8_t signature[CHAN_SIG_BYTES];        /* sig_s */
} chan_welcome;

/* What a completed handshake gives both sides. Secret: wipe with
 * chan_keys_wipe(). */
typedef struct chan_keys {
	uint8_t c2s[CHAN_KEY_BYTES];
	uint8_t s2c[CHAN_KEY_BYTES];
	uint8_t binding[CHAN_HASH_BYTES]; /* H2, bound into request signatures */
} chan_keys;

/* The client's state between hello and welcome. Secret. */
typedef struct chan_client_hs {
	chan_hello hello;
	uint8_t    ephemeral_secret[CHAN_KEY_BYTES];
} chan_client_hs;

void chan_keys_wipe(chan_keys *k);
void chan_client_hs_wipe(chan_client_hs *hs);

/* H1 of a hello (its signature field is not part of it). */
void chan_hello_hash(const chan_hello *h, uint8_t out[CHAN_HASH_BYTES]);

/*
 * Client, step 1: fills hs (a fresh ephemeral key, or ephemeral_secret if
 * not NULL, which is for test vectors only) and the signed hello in
 * hs->hello. client_sk is the principal's Ed25519 secret key (its public
 * half is read from it). Returns CHAN_OK or CHAN_E_KEY.
 */
int chan_client_hello(chan_client_hs *hs, const uint8_t server_key[CHAN_KEY_BYTES],
    const uint8_t client_sk[CHAN_SECRET_KEY_BYTES], int64_t time_unix_ms,
    const uint8_t *ephemeral_secret) __attribute__((warn_unused_result));

/*
 * Client, step 2: verifies w's signature against the pinned server key in
 * hs->hello and derives the session keys. Wipes hs's secret on every
 * path. CHAN_OK, CHAN_E_SIGNATURE or CHAN_E_KEY.
 */
int chan_client_finish(chan_client_hs *hs, const chan_welcome *w, chan_keys *keys)
    __attribute__((warn_unused_result));

/*
 * Server, step 1: checks a hello without touching any state: version,
 * server_key == own_key, |time_unix_ms - now_unix_ms| <= window_ms, and
 * the client's signature. CHAN_OK or the first problem found.
 */
int chan_hello_check(const chan_hello *h, const uint8_t own_key[CHAN_KEY_BYTES],
    int64_t now_unix_ms, int64_t window_ms) __attribute__((warn_unused_result));

/*
 * Server, step 2 (after chan_hello_check and the key registry said yes):
 * makes the ephemeral key (or uses ephemeral_secret, test vectors only),
 * fills and signs w (session_id and expires_unix_ms given by the caller)
 * and derives the session keys. server_sk is the server's Ed25519 secret
 * key. CHAN_OK or CHAN_E_KEY (the client's ephemeral key is unusable).
 */
int chan_server_welcome(const chan_hello *h, const uint8_t server_sk[CHAN_SECRET_KEY_BYTES],
    const uint8_t session_id[CHAN_SESSION_ID_BYTES], int64_t expires_unix_ms,
    const uint8_t *ephemeral_secret, chan_welcome *w, chan_keys *keys)
    __attribute__((warn_unused_result));

/*
 * Seals plain[0..len) into out[0..len + CHAN_TAG_BYTES) with key (the c2s
 * key for CHAN_C2S, s2c for CHAN_S2C). out may not overlap plain.
 * CHAN_OK, or CHAN_E_COUNTER for counter 0.
 */
int chan_seal(const uint8_t key[CHAN_KEY_BYTES], chan_dir dir,
    const uint8_t session_id[CHAN_SESSION_ID_BYTES], uint64_t counter, const uint8_t *plain,
    size_t len, uint8_t *out) __attribute__((warn_unused_result));

/*
 * Opens sealed[0..len) into out[0..len - CHAN_TAG_BYTES). CHAN_OK,
 * CHAN_E_SIZE (shorter than a tag), CHAN_E_COUNTER, or CHAN_E_AUTH (out
 * is then zeroed: nothing of a forged frame is left to use).
 */
int chan_open(const uint8_t key[CHAN_KEY_BYTES], chan_dir dir,
    const uint8_t session_id[CHAN_SESSION_ID_BYTES], uint64_t counter, const uint8_t *sealed,
    size_t len, uint8_t *out) __attribute__((warn_unused_result));

/*
 * Replay window over the last CHAN_WINDOW_BITS counters (RFC 6479 style).
 * Feed it only counters of frames that opened (authenticated).
 */
typedef struct chan_window {
	uint64_t top; /* highest counter accepted; 0 = none yet */
	uint64_t bits[CHAN_WINDOW_BITS / 64];
} chan_window;

void chan_window_init(chan_window *w);

/* CHAN_OK (new; now remembered), CHAN_E_REPLAY (seen), CHAN_E_OLD (too far
 * behind top to tell), CHAN_E_COUNTER (0). */
int chan_window_accept(chan_window *w, uint64_t counter) __attribute__((warn_unused_result));

/* H(payload). */
void chan_payload_hash(const uint8_t *payload, size_t len, uint8_t out[CHAN_HASH_BYTES]);

/*
 * The request signature M and sig (see above). method is NUL-terminated,
 * at most 65535 bytes (CHAN_E_SIZE otherwise). verify: CHAN_OK or
 * CHAN_E_SIGNATURE.
 */
int chan_request_sign(const uint8_t sk[CHAN_SECRET_KEY_BYTES],
    const uint8_t binding[CHAN_HASH_BYTES], const char *method,
    const uint8_t request_id[CHAN_REQUEST_ID_BYTES], const uint8_t payload_hash[CHAN_HASH_BYTES],
    uint8_t sig[CHAN_SIG_BYTES]) __attribute__((warn_unused_result));

int chan_request_verify(const uint8_t pk[CHAN_KEY_BYTES], const uint8_t binding[CHAN_HASH_BYTES],
    const char *method, const uint8_t request_id[CHAN_REQUEST_ID_BYTES],
    const uint8_t payload_hash[CHAN_HASH_BYTES], const uint8_t sig[CHAN_SIG_BYTES])
    __attribute__((warn_unused_result));

#endif
