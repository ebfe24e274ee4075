/* client.h - libbaton, the C client of Baton's RPC server (batond). */
#ifndef BATON_CLIENT_H
#define BATON_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <baton/keys.h>
#include <baton/status.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Contract
 * --------
 * - A baton_client is one connection (one nng req0 socket and dialer) to
 *   one batond URL. It is safe to use from many threads at once: every
 *   call gets its own nng context, so calls run concurrently.
 * - A request is sent at most once. nng's req0 would resend a request
 *   after a timer or after a reconnect; libbaton turns resending off, so
 *   when the connection that carried a request is lost the call fails with
 *   BATON_UNAVAILABLE ("... the call may or may not have run") instead of
 *   going out again. Resending is the caller's
 *   decision; state-changing methods carry a request id so that a resend
 *   with the same id is answered once (see docs/protocol.md).
 * - Every call has a deadline. It is sent to the server, which refuses
 *   work whose deadline has passed, and bounds the wait for the reply.
 * - Every function that can fail returns a baton_status and fills a
 *   baton_result with the status and a human-readable message.
 * - Secure channel (docs/protocol.md): a client opened with a principal's
 *   key and the server's pinned public key seals every call in a session.
 *   The session is opened by a handshake on first use and renewed before
 *   it expires, or when the server no longer knows it (another instance,
 *   a restart), by itself; a refused renewal (the key was revoked, the
 *   principal disabled) fails the call with BATON_UNAUTHENTICATED. A
 *   server that cannot prove the pinned key is refused
 *   (BATON_UNAUTHENTICATED). Without a key only /baton.v1.Health/Check
 *   works; it is always sent unsealed, so health checks need no key.
 */

typedef struct baton_client baton_client;

/* The outcome of a call. The caller owns it; release with baton_result_clear(). */
typedef struct baton_result {
	baton_status status;
	char         message[512]; /* NUL-terminated; "" on OK */
	uint8_t     *payload;      /* reply payload (malloc'ed), NULL if empty */
	size_t       payload_len;
	uint8_t      request_id[16]; /* the id the call was sent with */
} baton_result;

/* Frees res->payload and resets *res to an empty OK result. NULL is fine. */
void baton_result_clear(baton_result *res);

typedef struct baton_client_options {
	/* Deadline for calls that give none; 0 means 10000 ms. */
	int64_t default_timeout_ms;
	/* Largest reply accepted; 0 means 16 MiB. */
	size_t max_reply_bytes;
	/* If true, baton_client_open does not wait for the first connection:
	 * it dials in the background and calls wait for it (up to their
	 * deadline). If false (the default), open fails with
	 * BATON_UNAVAILABLE when the server cannot be reached. */
	bool lazy_connect;
	/* The principal's key pair (copied; the copy is wiped at close) and
	 * the server's Ed25519 public key to pin (32 bytes). Both or neither. */
	const baton_key *key;
	const uint8_t   *server_public_key;
} baton_client_options;

/*
 * Opens a client for url ("tcp://127.0.0.1:7400", "ipc:///path", ...).
 * opts may be NULL for defaults. On success stores the client in *out and
 * returns BATON_OK; the caller closes it with baton_client_close().
 * Returns BATON_INVALID_ARGUMENT for a bad URL or a key without a server
 * key, BATON_UNAVAILABLE when the server cannot be reached, BATON_INTERNAL
 * on resource failures. No handshake happens yet: the first call makes it.
 */
baton_status baton_client_open(baton_client **out, const char *url,
    const baton_client_options *opts, baton_result *res)
    __attribute__((warn_unused_result));

/* Closes the connection and frees the client. No other thread may be
 * inside a call on it, or start one, once close begins. NULL is fine. */
void baton_client_close(baton_client *client);

typedef struct baton_call_options {
	/* Relative deadline; 0 means the client's default. */
	int64_t timeout_ms;
	/* Absolute deadline, ms since the Unix epoch; if non-zero it is sent
	 * as is (even if already past) and overrides timeout_ms. */
	int64_t deadline_unix_ms;
	/* If true, request_id is used instead of a fresh random id (a resend
	 * of the same logical call). */
	bool    has_request_id;
	uint8_t request_id[16];
	/* The method changes state: the request is signed with the principal's
	 * key and must carry a request id (a fresh one unless has_request_id),
	 * which makes a resend with the same id run at most once. */
	bool    changes_state;
} baton_call_options;

/*
 * Calls method (fully qualified, "/baton.v1.System/Ping") with the
 * serialized request message request[0..request_len). opts may be NULL.
 * Fills res (the caller clears it) and returns res->status:
 * - the server's status and message, and on BATON_OK the reply payload;
 * - BATON_DEADLINE_EXCEEDED if no reply came before the deadline;
 * - BATON_UNAVAILABLE if the connection was lost or never made;
 * - BATON_INVALID_ARGUMENT for a bad method name or oversized request;
 * - BATON_UNAUTHENTICATED when no session could be opened (with the
 *   server's reason) or the server did not prove the pinned key;
 * - BATON_INTERNAL for a reply that could not be read or opened.
 */
baton_status baton_call(baton_client *client, const char *method,
    const void *request, size_t request_len, const baton_call_options *opts,
    baton_result *res) __attribute__((warn_unused_result));

/* ---- typed helpers -------------------------------------------------- */

/* Echoes data[0..len) through /baton.v1.System/Ping; on BATON_OK the echo
 * is in res->payload. timeout_ms 0 means the client's default. */
baton_status baton_ping(baton_client *client, const void *data, size_t len,
    int64_t timeout_ms, baton_result *res) __attribute__((warn_unused_result));

typedef enum baton_serving {
	BATON_SERVING_UNKNOWN         = 0,
	BATON_SERVING                 = 1,
	BATON_NOT_SERVING             = 2,
	BATON_SERVING_SERVICE_UNKNOWN = 3,
} baton_serving;

/* "SERVING", "NOT_SERVING", ...; static, never NULL. */
const char *baton_serving_str(baton_serving s);

/* /baton.v1.Health/Check for service (NULL or "" = the whole server).
 * On BATON_OK stores the serving state in *serving. */
baton_status baton_health_check(baton_client *client, const char *service,
    int64_t timeout_ms, baton_serving *serving, baton_result *res)
    __attribute__((warn_unused_result));

typedef struct baton_server_info {
	char    server_version[64];
	int32_t schema_version;
	char    database_id[64];
	int64_t database_time_unix_ms;
	int64_t uptime_seconds;
} baton_server_info;

/* /baton.v1.System/Info. On BATON_OK fills *info. */
baton_status baton_server_info_get(baton_client *client, int64_t timeout_ms,
    baton_server_info *info, baton_result *res)
    __attribute__((warn_unused_result));

/* Opens a session now (normally the first call does). Useful to check a
 * key and the pinned server key. */
baton_status baton_session_open(baton_client *client, int64_t timeout_ms, baton_result *res)
    __attribute__((warn_unused_result));

/* Statistics of the client's sessions, for tests and benchmarks. */
typedef struct baton_session_stats {
	uint64_t handshakes; /* sessions opened so far */
	int64_t  expires_unix_ms; /* of the current session; 0 if none */
} baton_session_stats;

void baton_session_stats_get(baton_client *client, baton_session_stats *stats);

#ifdef __cplusplus
}
#endif
#endif
