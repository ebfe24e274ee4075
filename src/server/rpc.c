/* rpc.c - builds the method table and runs one call through it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "server/log.h"
#include "server/once.h"
#include "server/rpc.h"

/* Serialization failures and deadlocks are retried this many times. */
#define TX_ATTEMPTS 3

static int method_cmp(const void *a, const void *b)
{
	return strcmp(((const rpc_method *)a)->path, ((const rpc_method *)b)->path);
}

baton_status rpc_table_build(rpc_table *t, const rpc_service_impl *const *services, size_t n,
    status_msg *m)
{
	size_t total = 0;

	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < n; i++)
		total += services[i]->descriptor->n_methods;
	if ((t->methods = calloc(total ? total : 1, sizeof(*t->methods))) == NULL)
		return status_set(m, BATON_INTERNAL, "out of memory building the method table");

	for (size_t i = 0; i < n; i++) {
		const rpc_service_impl *svc = services[i];
		const ProtobufCServiceDescriptor *d = svc->descriptor;

		for (size_t k = 0; k < svc->n_methods; k++) {
			if (protobuf_c_service_descriptor_get_method_by_name(d, svc->methods[k].name) == NULL) {
				rpc_table_free(t);
				return status_set(m, BATON_INTERNAL, "service %s has a handler for '%s', "
				    "which its .proto does not declare", d->name, svc->methods[k].name);
			}
		}
		for (unsigned j = 0; j < d->n_methods; j++) {
			const ProtobufCMethodDescriptor *md = &d->methods[j];
			const rpc_method_impl *impl = NULL;
			for (size_t k = 0; k < svc->n_methods; k++) {
				if (strcmp(svc->methods[k].name, md->name) != 0)
					continue;
				if (impl != NULL) {
					rpc_table_free(t);
					return status_set(m, BATON_INTERNAL, "%s.%s has two handlers",
					    d->name, md->name);
				}
				impl = &svc->methods[k];
			}
			if (impl == NULL || impl->handler == NULL) {
				rpc_table_free(t);
				return status_set(m, BATON_INTERNAL, "%s.%s is declared but has no handler",
				    d->name, md->name);
			}
			rpc_method *rm = &t->methods[t->n++];
			int len = snprintf(rm->path, sizeof(rm->path), "/%s/%s", d->name, md->name);
			if (len < 0 || (size_t)len >= sizeof(rm->path)) {
				rpc_table_free(t);
				return status_set(m, BATON_INTERNAL, "method name %s.%s is too long",
				    d->name, md->name);
			}
			rm->service = d;
			rm->desc = md;
			rm->impl = impl;
		}
	}
	qsort(t->methods, t->n, sizeof(*t->methods), method_cmp);
	for (size_t i = 1; i < t->n; i++) {
		if (strcmp(t->methods[i - 1].path, t->methods[i].path) == 0) {
			status_set(m, BATON_INTERNAL, "method %s is registered twice", t->methods[i].path);
			rpc_table_free(t);
			return BATON_INTERNAL;
		}
	}
	return BATON_OK;
}

const rpc_method *rpc_table_find(const rpc_table *t, const char *path)
{
	rpc_method key;

	if (strlen(path) >= sizeof(key.path))
		return NULL;
	strcpy(key.path, path);
	return bsearch(&key, t->methods, t->n, sizeof(*t->methods), method_cmp);
}

bool rpc_table_has_service(const rpc_table *t, const char *name)
{
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->methods[i].service->name, name) == 0)
			return true;
	return false;
}

void rpc_table_free(rpc_table *t)
{
	if (t == NULL)
		return;
	free(t->methods);
	t->methods = NULL;
	t->n = 0;
}

int64_t rpc_call_remaining_ms(const rpc_call *call)
{
	int64_t left = call->deadline_unix_ms - clock_realtime_ms();
	return left > 0 ? left : 0;
}

/* A printable copy of a peer-supplied name, for logs and messages. */
static const char *printable(arena *a, const char *s)
{
	size_t n = strnlen(s, 128);
	char *p = arena_alloc(a, n + 1);

	if (p == NULL)
		return "?";
	for (size_t i = 0; i < n; i++)
		p[i] = (s[i] >= 0x21 && s[i] < 0x7f) ? s[i] : '?';
	p[n] = '\0';
	return p;
}

/* Packs reply into call->arena. */
static baton_status pack_reply(rpc_call *call, const ProtobufCMessage *reply, ProtobufCBinaryData *out)
{
	size_t size = protobuf_c_message_get_packed_size(reply);

	if ((out->data = arena_alloc(call->arena, size)) == NULL)
		return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
	out->len = protobuf_c_message_pack(reply, out->data);
	return BATON_OK;
}

db_scope rpc_call_scope(const rpc_call *call)
{
	db_scope scope = {
		.all = !call->sealed || call->caller.in_house,
		.org_id = call->caller.org_id,
		.key_id = call->sealed ? call->caller.key_id : NULL,
	};
	return scope;
}

static void after_tx(rpc_call *call, bool committed)
{
	if (call->after_tx != NULL) {
		call->after_tx(call, committed, call->after_tx_arg);
		call->after_tx = NULL;
	}
}

/* One attempt of a transactional call: BEGIN (scoped to the caller),
 * exactly-once claim, handler, record, COMMIT. */
static baton_status run_tx_once(rpc_call *call, const ProtobufCMessage *request,
    ProtobufCMessage *reply, ProtobufCBinaryData *packed)
{
	const rpc_method_impl *impl = call->method->impl;
	db_scope scope = rpc_call_scope(call);
	bool done = false;
	baton_status s;

	if ((s = db_tx_begin_scoped(call->db, rpc_call_remaining_ms(call), &scope, &call->status)) != BATON_OK) {
		if (s == BATON_UNAUTHENTICATED) /* revoked or disabled since the handshake */
			session_drop_key(call->server->sessions, call->caller.key_id);
		return s;
	}
	if ((impl->flags & RPC_MUTATION) &&
	    (s = once_claim(call, &done, packed)) == BATON_OK && done) {
		/* A resend: answer with the first reply, change nothing. */
		db_tx_rollback(call->db);
		call->replayed = true;
		return BATON_OK;
	}
	if (s == BATON_OK)
		s = impl->handler(call, request, reply);
	if (s == BATON_OK)
		s = pack_reply(call, reply, packed);
	if (s == BATON_OK && (impl->flags & RPC_MUTATION))
		s = once_record(call, packed);
	if (s == BATON_OK)
		s = db_tx_commit(call->db, &call->status);
	else
		db_tx_rollback(call->db);
	after_tx(call, s == BATON_OK);
	return s;
}

static baton_status run_handler(rpc_call *call, const ProtobufCMessage *request,
    ProtobufCMessage *reply, ProtobufCBinaryData *packed)
{
	const rpc_method_impl *impl = call->method->impl;
	baton_status s;

	if (!(impl->flags & (RPC_TX | RPC_MUTATION))) {
		if ((s = impl->handler(call, request, reply)) != BATON_OK)
			return s;
		return pack_reply(call, reply, packed);
	}
	if (call->db == NULL)
		return status_set(&call->status, BATON_UNAVAILABLE, "database unavailable");

	for (int attempt = 1;; attempt++) {
		s = run_tx_once(call, request, reply, packed);
		if (s != BATON_ABORTED || attempt == TX_ATTEMPTS || rpc_call_remaining_ms(call) == 0)
			return s;
		/* Serialization failure or deadlock: nothing was committed, so the
		 * whole transaction can run again on a fresh reply. */
		protobuf_c_message_init(call->method->desc->output, reply);
		status_clear(&call->status);
	}
}

/*
 * Opens a sealed request: finds the session, authenticates and decrypts
 * the inner frame, and only then records its counter. Every refusal here
 * is answered unsealed (the reply has no counter of ours to use yet).
 */
static Baton__V1__RequestFrame *open_sealed(rpc_call *call, const Baton__V1__RequestFrame *outer)
{
	rpc_server *srv = call->server;
	Baton__V1__RequestFrame *inner;
	uint8_t *plain;
	size_t plain_len;
	int rv;

	if (outer->session_id.len != CHAN_SESSION_ID_BYTES || outer->sealed.len < CHAN_TAG_BYTES ||
	    outer->method[0] != '\0' || outer->payload.len != 0 || outer->request_id.len != 0 ||
	    outer->deadline_unix_ms != 0 || outer->signature.len != 0) {
		status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "a sealed frame carries only session_id (16 bytes), counter and sealed");
		return NULL;
	}
	if (srv->sessions == NULL ||
	    !session_lookup(srv->sessions, outer->session_id.data, clock_realtime_ms(), &call->keys,
	        &call->caller, &call->session_expires_unix_ms)) {
		call->renew_session = true;
		status_set(&call->status, BATON_UNAUTHENTICATED,
		    "session unknown to this server or expired; handshake again");
		return NULL;
	}
	memcpy(call->session_id, outer->session_id.data, CHAN_SESSION_ID_BYTES);
	plain_len = outer->sealed.len - CHAN_TAG_BYTES;
	if ((plain = arena_alloc(call->arena, plain_len)) == NULL) {
		status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	rv = chan_open(call->keys.c2s, CHAN_C2S, call->session_id, outer->counter, outer->sealed.data,
	    outer->sealed.len, plain);
	if (rv != CHAN_OK) {
		status_set(&call->status, BATON_UNAUTHENTICATED, "sealed frame refused: %s",
		    chan_strerror(rv));
		return NULL;
	}
	/* Authentic: now the counter may move the replay window. */
	rv = session_accept(srv->sessions, call->session_id, outer->counter);
	if (rv == 1) {
		call->renew_session = true;
		status_set(&call->status, BATON_UNAUTHENTICATED, "session ended; handshake again");
		return NULL;
	}
	if (rv != CHAN_OK) {
		status_set(&call->status, BATON_UNAUTHENTICATED, "sealed frame refused as a replay (counter %llu): %s",
		    (unsigned long long)outer->counter, chan_strerror(rv));
		return NULL;
	}
	call->sealed = true;
	call->counter = outer->counter;
	inner = baton__v1__request_frame__unpack(arena_protobuf(call->arena), plain_len, plain);
	if (inner == NULL) {
		status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "sealed frame does not hold a baton.v1.RequestFrame");
		return NULL;
	}
	if (inner->session_id.len != 0 || inner->sealed.len != 0) {
		status_set(&call->status, BATON_INVALID_ARGUMENT, "a sealed frame may not be nested");
		return NULL;
	}
	return inner;
}

Baton__V1__RequestFrame *rpc_frame_read(rpc_call *call, const uint8_t *frame, size_t len)
{
	Baton__V1__RequestFrame *req;

	call->started_ns = clock_monotonic_ns();
	status_clear(&call->status);
	call->method = NULL;
	call->method_name = "?";
	call->request_id_len = 0;
	call->sealed = false;
	call->renew_session = false;

	if ((req = baton__v1__request_frame__unpack(arena_protobuf(call->arena), len, frame)) == NULL) {
		status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "malformed request frame (%zu bytes): not a baton.v1.RequestFrame", len);
		return NULL;
	}
	if (req->session_id.len != 0 || req->sealed.len != 0) {
		if ((req = open_sealed(call, req)) == NULL)
			return NULL;
	} else if (req->signature.len != 0) {
		status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "a signature is only accepted inside a sealed frame");
		return req;
	}
	if (req->request_id.len != 0 && req->request_id.len != sizeof(call->request_id)) {
		status_set(&call->status, BATON_INVALID_ARGUMENT, "request_id must be 16 bytes, not %zu",
		    req->request_id.len);
		return req;
	}
	if (req->request_id.len != 0) /* data is NULL when the field is absent */
		memcpy(call->request_id, req->request_id.data, req->request_id.len);
	call->request_id_len = req->request_id.len;

	if ((call->method = rpc_table_find(&call->server->table, req->method)) == NULL) {
		call->method_name = printable(call->arena, req->method);
		status_set(&call->status, BATON_UNIMPLEMENTED, "unknown method '%s'", call->method_name);
		return req;
	}
	call->method_name = call->method->path;
	if (!call->sealed && !(call->method->impl->flags & RPC_NO_SESSION))
		status_set(&call->status, BATON_UNAUTHENTICATED,
		    "%s needs a session: open one with /baton.v1.Session/Handshake and seal the call",
		    call->method_name);
	return req;
}

bool rpc_call_is_inline(const rpc_call *call)
{
	return call->status.status != BATON_OK || (call->method->impl->flags & RPC_INLINE);
}

/* Roles, then for state-changing methods the request id and the
 * principal's signature: all before the payload is even parsed. */
static baton_status check_caller(rpc_call *call, const Baton__V1__RequestFrame *req)
{
	const rpc_method_impl *impl = call->method->impl;

	call->payload = req->payload;
	call->signature = NULL;
	if (!call->sealed || (impl->flags & RPC_NO_SESSION))
		return BATON_OK; /* open to anyone (rpc_frame_read let only these through unsealed) */
	if (!(impl->roles & call->caller.role))
		return status_set(&call->status, BATON_PERMISSION_DENIED, "role %s may not call %s",
		    session_role_str(call->caller.role), call->method_name);
	if (!(impl->flags & RPC_MUTATION)) {
		if (req->signature.len != 0)
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "%s changes nothing and takes no signature", call->method_name);
		return BATON_OK;
	}
	if (call->request_id_len != CHAN_REQUEST_ID_BYTES)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "%s changes state: it needs a 16-byte request_id", call->method_name);
	if (req->signature.len != CHAN_SIG_BYTES)
		return status_set(&call->status, BATON_UNAUTHENTICATED,
		    "%s changes state: it needs the principal's signature (64 bytes, not %zu)",
		    call->method_name, req->signature.len);
	chan_payload_hash(req->payload.data, req->payload.len, call->payload_hash);
	if (chan_request_verify(call->caller.public_key, call->keys.binding, call->method_name,
	        call->request_id, call->payload_hash, req->signature.data) != CHAN_OK)
		return status_set(&call->status, BATON_UNAUTHENTICATED,
		    "the request's signature does not verify against the session's key");
	call->signature = req->signature.data;
	return BATON_OK;
}

/* Replaces reply by its sealed form: an outer frame with only counter and
 * sealed. If that cannot be done the reply becomes an unsealed INTERNAL. */
static void seal_reply(rpc_call *call, Baton__V1__ReplyFrame *reply)
{
	size_t len = baton__v1__reply_frame__get_packed_size(reply);
	uint8_t *plain = arena_alloc(call->arena, len);
	uint8_t *sealed = arena_alloc(call->arena, len + CHAN_TAG_BYTES);

	if (plain == NULL || sealed == NULL) {
		status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
		goto fail;
	}
	baton__v1__reply_frame__pack(reply, plain);
	if (chan_seal(call->keys.s2c, CHAN_S2C, call->session_id, call->counter, plain, len, sealed) != CHAN_OK) {
		status_set(&call->status, BATON_INTERNAL, "could not seal the reply");
		goto fail;
	}
	baton__v1__reply_frame__init(reply);
	reply->counter = call->counter;
	reply->sealed.data = sealed;
	reply->sealed.len = len + CHAN_TAG_BYTES;
	return;
fail:
	baton__v1__reply_frame__init(reply);
	reply->status = (Baton__V1__StatusCode)call->status.status;
	reply->message = call->status.text;
}

void rpc_frame_serve(rpc_call *call, const Baton__V1__RequestFrame *req, Baton__V1__ReplyFrame *reply)
{
	ProtobufCAllocator *alloc = arena_protobuf(call->arena);
	ProtobufCMessage *in = NULL, *out = NULL;
	const ProtobufCMessageDescriptor *od;
	baton_status s;
	int64_t now;

	baton__v1__reply_frame__init(reply);
	if ((s = call->status.status) != BATON_OK)
		goto out; /* rpc_frame_read found the problem */

	if (atomic_load_explicit(&call->server->draining, memory_order_relaxed) &&
	    !(call->method->impl->flags & RPC_DURING_DRAIN)) {
		s = status_set(&call->status, BATON_UNAVAILABLE,
		    "server is shutting down; retry on another instance");
		goto out;
	}

	now = clock_realtime_ms();
	if (req->deadline_unix_ms < 0) {
		s = status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "deadline_unix_ms must be 0 (none) or a time after 1970, not %lld",
		    (long long)req->deadline_unix_ms);
		goto out;
	}
	if (req->deadline_unix_ms != 0 && req->deadline_unix_ms <= now) {
		s = status_set(&call->status, BATON_DEADLINE_EXCEEDED,
		    "deadline passed %lld ms before the call could start",
		    (long long)(now - req->deadline_unix_ms));
		goto out;
	}
	call->deadline_unix_ms = now + call->server->max_call_ms;
	if (req->deadline_unix_ms != 0 && req->deadline_unix_ms < call->deadline_unix_ms)
		call->deadline_unix_ms = req->deadline_unix_ms;

	if ((s = check_caller(call, req)) != BATON_OK)
		goto out;
	in = protobuf_c_message_unpack(call->method->desc->input, alloc, req->payload.len,
	    req->payload.data);
	if (in == NULL) {
		s = status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "request payload is not a valid %s", call->method->desc->input->name);
		goto out;
	}
	od = call->method->desc->output;
	if ((out = arena_alloc(call->arena, od->sizeof_message)) == NULL) {
		s = status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	protobuf_c_message_init(od, out);

	if ((s = run_handler(call, in, out, &reply->payload)) != BATON_OK) {
		reply->payload.len = 0;
		if (call->status.text[0] == '\0')
			status_set(&call->status, s, "%s failed", call->method_name);
		goto out;
	}
out:
	call->status.status = s;
	reply->status = (Baton__V1__StatusCode)s;
	reply->message = s == BATON_OK ? "" : call->status.text;
	if (call->request_id_len != 0) {
		reply->request_id.data = call->request_id;
		reply->request_id.len = call->request_id_len;
	}
	if (call->sealed)
		seal_reply(call, reply); /* may turn the status into INTERNAL */
	else
		reply->renew_session = call->renew_session;
	sodium_memzero(&call->keys, sizeof(call->keys));
	metrics_call_record(call->server->metrics,
	    call->method != NULL ? (size_t)(call->method - call->server->table.methods) : SIZE_MAX,
	    call->status.status, clock_monotonic_ns() - call->started_ns);
	/* Unpacked messages live in the arena (wiped at its reset). */
}

void rpc_dispatch(rpc_call *call, const uint8_t *frame, size_t len, Baton__V1__ReplyFrame *reply)
{
	rpc_frame_serve(call, rpc_frame_read(call, frame, len), reply);
}
