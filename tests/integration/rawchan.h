/* rawchan.h - a hand-built client of the secure channel for integration tests: a bare req0 socket, handshakes, sealed frames and signatures made byte by byte. */
#ifndef BATON_TESTS_RAWCHAN_H
#define BATON_TESTS_RAWCHAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>
#include <protobuf-c/protobuf-c.h>

#include <baton/keys.h>
#include <baton/status.h>

#include "baton/v1/wire.pb-c.h"
#include "common/chan.h"
#include "harness.h"

/* The methods these tests call by name. */
#define M_HANDSHAKE    "/baton.v1.Session/Handshake"
#define M_HEALTH       "/baton.v1.Health/Check"
#define M_PING         "/baton.v1.System/Ping"
#define M_ADD_ORG      "/baton.v1.Identity/AddOrg"
#define M_ADD_PRINC    "/baton.v1.Identity/AddPrincipal"
#define M_LIST_ORGS    "/baton.v1.Identity/ListOrgs"
#define M_REVOKE_KEY   "/baton.v1.Identity/RevokeKey"
#define M_DISABLE      "/baton.v1.Identity/DisablePrincipal"

/*
 * Every function here is for a cmocka test case: on any failure of its own
 * (a socket that does not open, a reply that does not unpack, a seal that
 * does not open) it fails the running case. Every ProtobufCBinaryData it
 * returns holds malloc'ed data the caller frees; the ones it takes are
 * borrowed.
 */

/* A session opened by hand. */
typedef struct rawchan_session {
	nng_socket       sock;
	const baton_key *key;
	uint8_t          id[CHAN_SESSION_ID_BYTES];
	chan_keys        keys;
	int64_t          expires_unix_ms;
} rawchan_session;

/* ---- payloads and frames -------------------------------------------------- */

/* m, packed. */
ProtobufCBinaryData rawchan_pack(const ProtobufCMessage *m);
/* f, packed. */
ProtobufCBinaryData rawchan_request_pack(const Baton__V1__RequestFrame *f);
/* An AddOrgRequest for an after-hours org name (English, UTC), packed. */
ProtobufCBinaryData rawchan_add_org_payload(const char *name);
/* A PingRequest carrying text, packed. */
ProtobufCBinaryData rawchan_ping_payload(const char *text);
/* The Handshake call (a plain RequestFrame with a fresh request id) that
 * carries hello h, packed. */
ProtobufCBinaryData rawchan_hello_frame(const chan_hello *h);
/* A packed inner RequestFrame with a deadline 10 s ahead; rid and sig may be
 * NULL (then left out). */
ProtobufCBinaryData rawchan_inner_frame(const char *method, const uint8_t *rid, size_t rid_len,
    ProtobufCBinaryData payload, const uint8_t *sig, size_t sig_len);
/* A packed outer frame: only session_id (sid_len bytes of sid), counter and
 * sealed. */
ProtobufCBinaryData rawchan_outer_frame(const uint8_t *sid, size_t sid_len, uint64_t counter,
    ProtobufCBinaryData sealed);
/* Writes to sig the request signature of key over binding, method, rid and
 * the hash of payload. */
void rawchan_request_sign(const baton_key *key, const uint8_t binding[CHAN_HASH_BYTES], const char *method,
    const uint8_t rid[CHAN_REQUEST_ID_BYTES], ProtobufCBinaryData payload, uint8_t sig[CHAN_SIG_BYTES]);
/* A properly signed AddOrg inner frame for org name in rs; writes the fresh
 * request id it carries to rid. */
ProtobufCBinaryData rawchan_add_org_inner(const rawchan_session *rs, const char *name,
    uint8_t rid[CHAN_REQUEST_ID_BYTES]);
/* An unsigned Ping inner frame carrying text, with no request id. */
ProtobufCBinaryData rawchan_ping_inner(const char *text);
/* plain sealed client-to-server under rs's keys, id and counter. */
ProtobufCBinaryData rawchan_seal(const rawchan_session *rs, uint64_t counter, ProtobufCBinaryData plain);

/* ---- the socket ------------------------------------------------------------ */

/* A req0 socket dialled to url: no resends, 10 s send and receive timeouts.
 * Caller closes it with nng_close. */
nng_socket rawchan_dial(const char *url);
/* Sends frame on s and returns the reply (caller frees with
 * rawchan_reply_free). */
Baton__V1__ReplyFrame *rawchan_exchange(nng_socket s, ProtobufCBinaryData frame);
/* Frees a reply of this module; accepts NULL. */
void rawchan_reply_free(Baton__V1__ReplyFrame *r);
/* An unsealed call of method with payload on s, a fresh request id and a
 * deadline 10 s ahead; sig (may be NULL) goes into the frame's signature.
 * Returns the reply (caller frees). */
Baton__V1__ReplyFrame *rawchan_plain_call(nng_socket s, const char *method, ProtobufCBinaryData payload,
    const ProtobufCBinaryData *sig);
/* Sends hello h on a new connection to b and returns the reply (caller
 * frees). */
Baton__V1__ReplyFrame *rawchan_hello_send(const harness_batond *b, const chan_hello *h);

/* ---- sessions ------------------------------------------------------------- */

/* Completes hs with the server's reply r, which must be OK, into rs (whose
 * sock and key the caller set). */
void rawchan_session_finish(rawchan_session *rs, chan_client_hs *hs, const Baton__V1__ReplyFrame *r);
/* Dials b and opens a session for key with b, whose key must be server_key.
 * Caller ends it with rawchan_session_close. */
void rawchan_session_open(rawchan_session *rs, const harness_batond *b, const uint8_t server_key[CHAN_KEY_BYTES],
    const baton_key *key);
/* Closes rs's socket and wipes its keys. */
void rawchan_session_close(rawchan_session *rs);
/* Seals plain under counter, sends it and returns the outer reply (caller
 * frees); the exact bytes sent go to *sent (caller frees) unless sent is
 * NULL. */
Baton__V1__ReplyFrame *rawchan_sealed_send(const rawchan_session *rs, uint64_t counter, ProtobufCBinaryData plain,
    ProtobufCBinaryData *sent);
/* r must be an OK sealed reply to counter in rs: returns its inner frame
 * (caller frees). */
Baton__V1__ReplyFrame *rawchan_reply_open(const rawchan_session *rs, const Baton__V1__ReplyFrame *r, uint64_t counter);
/* A sealed call that must come back sealed: returns the inner reply (caller
 * frees). */
Baton__V1__ReplyFrame *rawchan_sealed_call(const rawchan_session *rs, uint64_t counter, ProtobufCBinaryData plain);

/* ---- checks ------------------------------------------------------------------ */

/* r is an unsealed refusal: status, a message holding text (if not NULL),
 * nothing sealed, and renew_session as given. */
void rawchan_assert_refused(const Baton__V1__ReplyFrame *r, baton_status status, const char *text, bool renew);
/* An inner reply with status and (if not NULL) a message holding text. */
void rawchan_assert_inner(const Baton__V1__ReplyFrame *r, baton_status status, const char *text);
/* Sends frame to urls[i % n_urls] from n (at most 8) connections at the
 * same moment; returns how many were answered OK, and fails the case unless
 * every other answer is an unsealed UNAUTHENTICATED. */
int rawchan_race(const char *const *urls, int n_urls, ProtobufCBinaryData frame, int n);

#endif
