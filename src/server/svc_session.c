/* svc_session.c - baton.v1.Session: the handshake that opens a secure-channel session. */
#include <string.h>

#include <sodium.h>

#include "baton/v1/session.pb-c.h"
#include "common/clock.h"
#include "server/log.h"
#include "server/once.h"
#include "server/services.h"

/* Looks the client's key up and, if it may open a session, fills who. */
static baton_status find_principal(rpc_call *call, const uint8_t key[CHAN_KEY_BYTES],
    session_caller *who)
{
	char *hex = once_hex(call, key, CHAN_KEY_BYTES);
	const char *params[1] = { hex };
	PGresult *res;
	baton_status s;

	if (hex == NULL)
		return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
	s = db_exec_prepared(call->db, &res,
	    "SELECT k.id, k.revoked_at IS NOT NULL, p.id, p.disabled_at IS NOT NULL, p.handle, p.role,"
	    "       p.org_id, o.kind = 'in_house'"
	    "  FROM principal_key k JOIN principal p ON p.id = k.principal_id JOIN org o ON o.id = p.org_id"
	    " WHERE k.public_key = decode($1, 'hex')",
	    1, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) == 0)
		s = status_set(&call->status, BATON_UNAUTHENTICATED, "unknown key: it is not registered");
	else if (strcmp(PQgetvalue(res, 0, 1), "t") == 0)
		s = status_set(&call->status, BATON_UNAUTHENTICATED, "key revoked");
	else if (strcmp(PQgetvalue(res, 0, 3), "t") == 0)
		s = status_set(&call->status, BATON_UNAUTHENTICATED, "principal %s is disabled",
		    PQgetvalue(res, 0, 4));
	if (s != BATON_OK) {
		PQclear(res);
		return s;
	}
	memset(who, 0, sizeof(*who));
	snprintf(who->key_id, sizeof(who->key_id), "%s", PQgetvalue(res, 0, 0));
	snprintf(who->principal_id, sizeof(who->principal_id), "%s", PQgetvalue(res, 0, 2));
	snprintf(who->handle, sizeof(who->handle), "%s", PQgetvalue(res, 0, 4));
	who->role = session_role_from_str(PQgetvalue(res, 0, 5));
	snprintf(who->org_id, sizeof(who->org_id), "%s", PQgetvalue(res, 0, 6));
	who->in_house = strcmp(PQgetvalue(res, 0, 7), "t") == 0;
	memcpy(who->public_key, key, CHAN_KEY_BYTES);
	PQclear(res);
	if (who->role == 0)
		return status_set(&call->status, BATON_INTERNAL, "principal has an unknown role");
	return BATON_OK;
}

/* A replayed handshake (same client ephemeral key) creates no session, on
 * any instance: the key is recorded for as long as its time is accepted. */
static baton_status record_ephemeral(rpc_call *call, const uint8_t eph[CHAN_KEY_BYTES])
{
	char *hex = once_hex(call, eph, CHAN_KEY_BYTES);
	const char *params[1] = { hex };
	PGresult *res;
	baton_status s;

	if (hex == NULL)
		return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
	/* Losing this row in a crash only reopens a window of seconds that
	 * the clock check closes anyway: no need to wait for the disk. */
	if ((s = db_exec(call->db, NULL, "SET LOCAL synchronous_commit = off", 0, NULL, &call->status)) != BATON_OK)
		return s;
	s = db_exec_prepared(call->db, &res,
	    "INSERT INTO handshake_seen (client_ephemeral) VALUES (decode($1, 'hex'))"
	    " ON CONFLICT DO NOTHING RETURNING true",
	    1, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) == 0)
		s = status_set(&call->status, BATON_UNAUTHENTICATED, "handshake replayed");
	PQclear(res);
	return s;
}

/*
 * The handshake's own transaction: look the key up and record the
 * ephemeral key. It runs only after the rate limit and the signature
 * check passed, so refused peers cost no database work; the session is
 * created only once this committed.
 */
static baton_status register_handshake(rpc_call *call, const chan_hello *hello, session_caller *who)
{
	db_scope all = { .all = true };
	baton_status s;

	if (call->db == NULL)
		return status_set(&call->status, BATON_UNAVAILABLE, "database unavailable");
	for (int attempt = 1;; attempt++) {
		if ((s = db_tx_begin_scoped(call->db, rpc_call_remaining_ms(call), &all, &call->status)) != BATON_OK)
			return s;
		if ((s = find_principal(call, hello->client_key, who)) == BATON_OK &&
		    (s = record_ephemeral(call, hello->client_ephemeral)) == BATON_OK)
			s = db_tx_commit(call->db, &call->status);
		else
			db_tx_rollback(call->db);
		if (s != BATON_ABORTED || attempt == 3 || rpc_call_remaining_ms(call) == 0)
			return s;
		status_clear(&call->status);
	}
}

static baton_status run(rpc_call *call, const Baton__V1__HandshakeRequest *req,
    Baton__V1__HandshakeReply *rep)
{
	rpc_server *srv = call->server;
	int64_t now = clock_realtime_ms();
	session_caller who;
	chan_hello hello;
	chan_welcome w;
	chan_keys keys;
	uint8_t *sid;
	baton_status s;
	int rv;

	if (req->version != CHAN_VERSION)
		return status_set(&call->status, BATON_UNAUTHENTICATED,
		    "handshake version %u is not supported (this server speaks %u)", req->version, CHAN_VERSION);
	if (req->server_key.len != CHAN_KEY_BYTES || req->client_key.len != CHAN_KEY_BYTES ||
	    req->client_ephemeral.len != CHAN_KEY_BYTES || req->signature.len != CHAN_SIG_BYTES)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "handshake fields have the wrong size (keys 32 bytes, signature 64)");
	memset(&hello, 0, sizeof(hello));
	hello.version = req->version;
	memcpy(hello.server_key, req->server_key.data, CHAN_KEY_BYTES);
	memcpy(hello.client_key, req->client_key.data, CHAN_KEY_BYTES);
	memcpy(hello.client_ephemeral, req->client_ephemeral.data, CHAN_KEY_BYTES);
	hello.time_unix_ms = req->time_unix_ms;
	memcpy(hello.signature, req->signature.data, CHAN_SIG_BYTES);

	if ((rv = chan_hello_check(&hello, srv->public_key, now, srv->handshake_window_ms)) != CHAN_OK)
		return status_set(&call->status, BATON_UNAUTHENTICATED, "handshake refused: %s",
		    chan_strerror(rv));
	if ((s = register_handshake(call, &hello, &who)) != BATON_OK)
		return s;

	if ((sid = arena_alloc(call->arena, CHAN_SESSION_ID_BYTES)) == NULL)
		return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
	randombytes_buf(sid, CHAN_SESSION_ID_BYTES);
	rv = chan_server_welcome(&hello, srv->secret_key, sid, now + srv->session_ttl_ms, NULL, &w, &keys);
	if (rv != CHAN_OK)
		return status_set(&call->status, BATON_UNAUTHENTICATED, "handshake refused: %s",
		    chan_strerror(rv));
	s = session_add(srv->sessions, sid, &keys, &who, w.expires_unix_ms, &call->status);
	chan_keys_wipe(&keys);
	if (s != BATON_OK)
		return s;

	uint8_t *out = arena_alloc(call->arena, CHAN_SESSION_ID_BYTES + CHAN_KEY_BYTES + CHAN_SIG_BYTES);
	if (out == NULL)
		return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
	memcpy(out, w.session_id, CHAN_SESSION_ID_BYTES);
	memcpy(out + CHAN_SESSION_ID_BYTES, w.server_ephemeral, CHAN_KEY_BYTES);
	memcpy(out + CHAN_SESSION_ID_BYTES + CHAN_KEY_BYTES, w.signature, CHAN_SIG_BYTES);
	rep->session_id = (ProtobufCBinaryData){ CHAN_SESSION_ID_BYTES, out };
	rep->server_ephemeral = (ProtobufCBinaryData){ CHAN_KEY_BYTES, out + CHAN_SESSION_ID_BYTES };
	rep->signature = (ProtobufCBinaryData){ CHAN_SIG_BYTES, out + CHAN_SESSION_ID_BYTES + CHAN_KEY_BYTES };
	rep->expires_unix_ms = w.expires_unix_ms;
	log_info("session_opened", LOG_S("principal", who.handle), LOG_S("role", session_role_str(who.role)),
	    LOG_S("peer", call->peer_host), LOG_I("sessions", (int64_t)session_count(srv->sessions)));
	return BATON_OK;
}

static baton_status handshake(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	rpc_server *srv = call->server;
	int64_t now = clock_realtime_ms();
	baton_status s;

	/* Peers whose handshakes keep failing are turned away before any
	 * signature check or database work. */
	if (srv->sessions == NULL || srv->handshake_limit == NULL)
		return status_set(&call->status, BATON_UNAVAILABLE, "this server takes no sessions");
	if (!ratelimit_allows(srv->handshake_limit, call->peer_host, now))
		return status_set(&call->status, BATON_RESOURCE_EXHAUSTED,
		    "too many failed handshakes from %s; wait a minute", call->peer_host);
	s = run(call, (const Baton__V1__HandshakeRequest *)request, (Baton__V1__HandshakeReply *)reply);
	/* Only the peer's own failures count against it, not a busy server. */
	if (s != BATON_OK && s != BATON_UNAVAILABLE && s != BATON_DEADLINE_EXCEEDED && s != BATON_ABORTED &&
	    s != BATON_RESOURCE_EXHAUSTED) {
		ratelimit_charge(srv->handshake_limit, call->peer_host, now);
		log_warn("handshake_refused", LOG_S("peer", call->peer_host), LOG_S("reason", call->status.text));
	}
	return s;
}

static const rpc_method_impl methods[] = {
	/* Not RPC_TX: the handler opens its transaction itself, after the
	 * checks that need no database. */
	{ "Handshake", handshake, RPC_NO_SESSION, 0 },
};

const rpc_service_impl svc_session = {
	&baton__v1__session__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
