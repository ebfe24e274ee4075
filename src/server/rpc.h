/* rpc.h - the method table (built from protobuf-c service descriptors) and the dispatcher. */
#ifndef BATON_SERVER_RPC_H
#define BATON_SERVER_RPC_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "baton/v1/wire.pb-c.h"
#include "common/arena.h"
#include "common/status_msg.h"
#include "server/db.h"
#include "server/metrics.h"
#include "server/ratelimit.h"
#include "server/session.h"

typedef struct rpc_call rpc_call;

/*
 * A handler reads request (already unpacked, of the method's input type)
 * and fills reply (already initialised, of the output type). Memory for
 * reply fields comes from call->arena (or points into request). Returns
 * BATON_OK, or a status with call->status filled by status_set().
 * Handlers never check roles, deadlines or transactions: the dispatcher
 * does, from the method's flags.
 */
typedef baton_status (*rpc_handler)(rpc_call *call, const ProtobufCMessage *request,
    ProtobufCMessage *reply);

enum rpc_flags {
	/* Runs inside one transaction whose statement timeout is the call's
	 * remaining deadline; committed only if the handler returns OK. */
	RPC_TX = 1u << 0,
	/* Still answered while the server drains for shutdown (Health). */
	RPC_DURING_DRAIN = 1u << 1,
	/* Needs no database and never blocks: served on nng's callback thread
	 * without a hand-off to the worker's thread (Ping). */
	RPC_INLINE = 1u << 2,
	/* Callable without a session, unsealed (Handshake, Health). Every
	 * other method needs a sealed frame of a live session. */
	RPC_NO_SESSION = 1u << 3,
	/* Changes state: the request must carry a 16-byte request id and the
	 * principal's signature, which the dispatcher verifies before the
	 * handler runs; runs exactly once per (principal, request id) in one
	 * transaction (implies RPC_TX). */
	RPC_MUTATION = 1u << 4,
};

typedef struct rpc_method_impl {
	const char *name; /* as in the .proto service ("Ping") */
	rpc_handler handler;
	unsigned    flags;
	unsigned    roles; /* ROLE_* bits allowed to call it (ignored with RPC_NO_SESSION) */
} rpc_method_impl;

/* What each service file exports: its descriptor and its handlers. */
typedef struct rpc_service_impl {
	const ProtobufCServiceDescriptor *descriptor;
	const rpc_method_impl            *methods;
	size_t                            n_methods;
} rpc_service_impl;

typedef struct rpc_method {
	char                             path[160]; /* "/baton.v1.System/Ping" */
	const ProtobufCServiceDescriptor *service;
	const ProtobufCMethodDescriptor  *desc;
	const rpc_method_impl            *impl;
} rpc_method;

typedef struct rpc_table {
	rpc_method *methods; /* sorted by path */
	size_t      n;
} rpc_table;

/*
 * Builds the table from services[0..n). Every method a descriptor declares
 * must have exactly one implementation and every implementation must name
 * a declared method; otherwise BATON_INTERNAL with the reason (a build
 * mistake caught at start-up, not at the first call).
 */
baton_status rpc_table_build(rpc_table *t, const rpc_service_impl *const *services, size_t n,
    status_msg *m) __attribute__((warn_unused_result));
const rpc_method *rpc_table_find(const rpc_table *t, const char *path);
/* True if name is a service in the table ("baton.v1.System"). */
bool rpc_table_has_service(const rpc_table *t, const char *name);
void rpc_table_free(rpc_table *t);

/* State shared by all workers. */
typedef struct rpc_server {
	rpc_table      table;
	atomic_bool    draining;
	int64_t        max_call_ms;
	uint64_t       started_ns; /* monotonic */
	/* Secure channel */
	session_store *sessions;
	ratelimit     *handshake_limit;      /* failed handshakes per peer */
	uint8_t        public_key[CHAN_KEY_BYTES];
	uint8_t        secret_key[CHAN_SECRET_KEY_BYTES];
	int64_t        session_ttl_ms;
	int64_t        handshake_window_ms;  /* allowed clock difference */
	/* Shifts */
	int64_t        release_cutoff_s;     /* default for new slots (--release-cutoff-hours) */
	/* Events */
	struct event_bell *bell;             /* rings when any instance writes events; NULL: Watch polls */
	atomic_int     watch_waiting;        /* Watch calls waiting now on this instance */
	int64_t        watch_waiters_max;    /* at most this many wait at once (--watch-waiters) */
	/* Counters for /metrics; NULL when it is off. */
	metrics       *metrics;
} rpc_server;

struct rpc_call {
	rpc_server       *server;
	db_conn          *db; /* the worker's connection; may be NULL in tests */
	arena            *arena;
	const rpc_method *method;       /* NULL if the name was unknown */
	const char       *method_name;  /* printable, for logs */
	uint64_t          started_ns;   /* monotonic: when rpc_frame_read() began */
	uint8_t           request_id[16];
	size_t            request_id_len;
	int64_t           deadline_unix_ms; /* effective: caller's, capped by max_call_ms */
	status_msg        status;

	/* Where the call came from ("127.0.0.1", "ipc"), filled by the transport
	 * (the port is left out: limits apply per host). */
	char              peer_host[48];

	/* Secure channel: set once a sealed request opened and its counter was
	 * accepted; the reply is then sealed with the same counter. */
	bool              sealed;
	uint8_t           session_id[CHAN_SESSION_ID_BYTES];
	uint64_t          counter;
	chan_keys         keys; /* a copy; wiped when the call ends */
	int64_t           session_expires_unix_ms;
	session_caller    caller;
	/* Unsealed refusal of a sealed request: tell the client to renew. */
	bool              renew_session;

	/* The request as received, for events (state-changing calls). */
	ProtobufCBinaryData payload;
	const uint8_t    *signature; /* CHAN_SIG_BYTES, or NULL */
	uint8_t           payload_hash[CHAN_HASH_BYTES];
	/* A resend answered from the exactly-once record. */
	bool              replayed;

	/* If set, runs after the call's transaction ends (committed or not),
	 * on the worker's thread: for effects outside the database, like
	 * ending sessions of a revoked key. */
	void (*after_tx)(rpc_call *call, bool committed, void *arg);
	void *after_tx_arg;
};

/* Whose transactions the call's are (db_tx_begin_scoped): in-house callers
 * and batond itself see every row, partners their organization's; the
 * caller's key must still be valid. Points into call. For handlers
 * without RPC_TX that run their own transactions (Watch). */
db_scope rpc_call_scope(const rpc_call *call);

/* Milliseconds left before the call's deadline (at least 0). */
int64_t rpc_call_remaining_ms(const rpc_call *call);

/*
 * Serves one request frame frame[0..len): rpc_frame_read() then
 * rpc_frame_serve(). Never fails: every problem becomes a status in the
 * reply, whose fields live in call->arena. call must have server, db (may
 * be NULL) and arena set.
 */
void rpc_dispatch(rpc_call *call, const uint8_t *frame, size_t len, Baton__V1__ReplyFrame *reply);

/*
 * First half of rpc_dispatch: unpacks the frame into call->arena and finds
 * its method (call->method, call->request_id). Returns the frame; on a
 * problem (unreadable frame, bad request id, unknown method) call->status
 * says what, and rpc_frame_serve() just answers it.
 */
Baton__V1__RequestFrame *rpc_frame_read(rpc_call *call, const uint8_t *frame, size_t len);

/* True if the call can be finished on the calling thread: it already
 * failed, or its method is RPC_INLINE. */
bool rpc_call_is_inline(const rpc_call *call);

/* Second half: drain state, deadline, roles, signature, payload,
 * handler (exactly once for state-changing methods), reply (sealed when
 * the request was). Wipes the call's session keys. Counts the call, once,
 * in server->metrics (by method and final status, with its duration). */
void rpc_frame_serve(rpc_call *call, const Baton__V1__RequestFrame *req, Baton__V1__ReplyFrame *reply);

#endif
