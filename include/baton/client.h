/* client.h - libbaton, the C client of Baton's RPC server (batond). */
#ifndef BATON_CLIENT_H
#define BATON_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
} baton_client_options;

/*
 * Opens a client for url ("tcp://127.0.0.1:7400", "ipc:///path", ...).
 * opts may be NULL for defaults. On success stores the client in *out and
 * returns BATON_OK; the caller closes it with baton_client_close().
 * Returns BATON_INVALID_ARGUMENT for a bad URL, BATON_UNAVAILABLE when the
 * server cannot be reached, BATON_INTERNAL on resource failures.
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
} baton_call_options;

/*
 * Calls method (fully qualified, "/baton.v1.System/Ping") with the
 * serialized request message request[0..request_len). opts may be NULL.
 * Fills res (the caller clears it) and returns res->status:
 * - the server's status and message, and on BATON_OK the reply payload;
 * - BATON_DEADLINE_EXCEEDED if no reply came before the deadline;
 * - BATON_UNAVAILABLE if the connection was lost or never made;
 * - BATON_INVALID_ARGUMENT for a bad method name or oversized request;
 * - BATON_INTERNAL for a reply that could not be read.
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

#ifdef __cplusplus
}
#endif
#endif
