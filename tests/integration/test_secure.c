/* test_secure.c - tries to break the secure channel of a real batond on a real PostgreSQL: tampering, replay, keys, clocks, rate limits, revocation, expiry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#include <cmocka.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>
#include <sodium.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "baton/v1/health.pb-c.h"
#include "baton/v1/identity.pb-c.h"
#include "baton/v1/session.pb-c.h"
#include "baton/v1/system.pb-c.h"
#include "baton/v1/wire.pb-c.h"
#include "common/chan.h"
#include "common/clock.h"
#include "fixture.h"
#include "harness.h"

#define M_HANDSHAKE    "/baton.v1.Session/Handshake"
#define M_HEALTH       "/baton.v1.Health/Check"
#define M_PING         "/baton.v1.System/Ping"
#define M_ADD_ORG      "/baton.v1.Identity/AddOrg"
#define M_ADD_PRINC    "/baton.v1.Identity/AddPrincipal"
#define M_LIST_ORGS    "/baton.v1.Identity/ListOrgs"
#define M_REVOKE_KEY   "/baton.v1.Identity/RevokeKey"
#define M_DISABLE      "/baton.v1.Identity/DisablePrincipal"

typedef ProtobufCBinaryData bytes; /* malloc'ed data unless said otherwise */

static harness_pg     pg;
static harness_batond srv;       /* the instance most cases attack */
static harness_batond limited;   /* --handshake-failures-per-minute=3 */
static harness_batond second;    /* same database and server key as srv */
static harness_batond short_ttl; /* --session-ttl-s=2 */
static baton_client  *admin;     /* libbaton, the first admin, on srv */
static baton_key      admin_key;
static uint8_t        server_pk[CHAN_KEY_BYTES]; /* every batond here shares pg.dir/batond.key */

/* ---- set-up --------------------------------------------------------------- */

static int setup(void **state)
{
	/* The rate limit has its own instance and case; here one peer (this
	 * process) is refused on purpose many times. */
	const char *extra[] = { "--handshake-failures-per-minute=100000", "--workers=4", NULL };
	char why[400], pub[400];
	(void)state;
	if (sodium_init() < 0)
		return -1;
	if (harness_pg_start(&pg) != 0)
		return -1;
	if (harness_batond_start(&srv, pg.dir, pg.conninfo, extra, true) != 0)
		return -1;
	snprintf(pub, sizeof(pub), "%s.pub", srv.key_file);
	if (baton_public_key_load(pub, server_pk, why, sizeof(why)) != BATON_OK ||
	    baton_key_file_read(srv.admin_key_file, &admin_key, why, sizeof(why)) != BATON_OK) {
		fprintf(stderr, "keys: %s\n", why);
		return -1;
	}
	return harness_client(&srv, NULL, &admin);
}

static int stop_checked(harness_batond *b, const char *name)
{
	if (b->pid <= 0)
		return 0;
	int rc = harness_batond_stop(b, SIGTERM, 15000);
	if (rc != 0)
		fprintf(stderr, "%s exited with %d (log %s)\n", name, rc, b->log_path);
	return rc;
}

static int teardown(void **state)
{
	int rc = 0;
	(void)state;
	baton_client_close(admin);
	baton_key_wipe(&admin_key);
	/* Instances a failed case left running. */
	rc |= stop_checked(&limited, "limited batond");
	rc |= stop_checked(&second, "second batond");
	rc |= stop_checked(&short_ttl, "short-ttl batond");
	rc |= stop_checked(&srv, "batond");
	harness_pg_destroy(&pg);
	return rc != 0 ? -1 : 0;
}

/* Starts one more batond on the same database and folder (so the same
 * server key and first admin) and waits until it serves. */
static void extra_start(harness_batond *b, const char *const *extra)
{
	if (b->pid > 0) /* left by a failed case: stop it before the slot is reused */
		harness_batond_stop(b, SIGKILL, 5000);
	assert_int_equal(harness_batond_start(b, pg.dir, pg.conninfo, extra, true), 0);
}

static void extra_stop(harness_batond *b)
{
	assert_int_equal(stop_checked(b, "batond"), 0);
}

/* ---- small helpers --------------------------------------------------------- */

static bytes msg_pack(const ProtobufCMessage *m)
{
	bytes b;
	b.len = protobuf_c_message_get_packed_size(m);
	b.data = malloc(b.len ? b.len : 1);
	assert_non_null(b.data);
	protobuf_c_message_pack(m, b.data);
	return b;
}

static bytes add_org_payload(const char *name)
{
	Baton__V1__AddOrgRequest req = BATON__V1__ADD_ORG_REQUEST__INIT;
	char *langs[] = { "en" };
	req.name = (char *)name;
	req.kind = "after_hours";
	req.languages = langs;
	req.n_languages = 1;
	req.time_zone = "UTC";
	return msg_pack(&req.base);
}

static bytes ping_payload(const char *text)
{
	Baton__V1__PingRequest req = BATON__V1__PING_REQUEST__INIT;
	req.payload = (bytes){ strlen(text), (uint8_t *)text };
	return msg_pack(&req.base);
}

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
	assert_int_equal(harness_sql(&pg, NULL, sql, out, sizeof(out)), 0);
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

/* Waits up to 2 s for b's log to hold at least want lines with every
 * needle (lines are written before the reply goes out, so this is a
 * margin, not a race); returns the count. */
static int log_count_wait(const harness_batond *b, const char *const *needles, int want)
{
	int64_t give_up = harness_now_ms() + 2000;
	int n;
	while ((n = harness_log_count(b, needles)) < want && harness_now_ms() < give_up)
		harness_sleep_ms(20);
	return n;
}

/* A libbaton client of b speaking for key (NULL: no key) with pinned
 * pinned (NULL with a NULL key). */
static baton_client *client_with(const harness_batond *b, const baton_key *key, const uint8_t *pinned)
{
	baton_client_options o = { .default_timeout_ms = 10000, .key = key, .server_public_key = pinned };
	baton_client *c = NULL;
	baton_result res;
	if (baton_client_open(&c, b->url, &o, &res) != BATON_OK)
		fail_msg("client for %s: %s", b->url, res.message);
	return c;
}

/* Pings through c; copies the message (if any) into msg. */
static baton_status ping_msg(baton_client *c, char *msg, size_t len)
{
	baton_result res;
	baton_status s = baton_ping(c, "x", 1, 10000, &res);
	if (msg != NULL)
		snprintf(msg, len, "%s", res.message);
	baton_result_clear(&res);
	return s;
}

static baton_status list_orgs(baton_client *c, char *msg, size_t len)
{
	Baton__V1__ListOrgsRequest req = BATON__V1__LIST_ORGS_REQUEST__INIT;
	baton_result res;
	baton_status s = fixture_call(c, M_LIST_ORGS, &req.base, false, NULL, NULL, &res);
	if (msg != NULL)
		snprintf(msg, len, "%s", res.message);
	baton_result_clear(&res);
	return s;
}

static void revoke_key(baton_client *as, const char *key_id)
{
	Baton__V1__RevokeKeyRequest req = BATON__V1__REVOKE_KEY_REQUEST__INIT;
	baton_result res;
	req.key = (char *)key_id;
	req.reason = "test: lost laptop";
	if (fixture_call(as, M_REVOKE_KEY, &req.base, true, NULL, NULL, &res) != BATON_OK)
		fail_msg("RevokeKey %s: %s", key_id, res.message);
	baton_result_clear(&res);
}

static void disable_principal(baton_client *as, const char *handle)
{
	Baton__V1__DisablePrincipalRequest req = BATON__V1__DISABLE_PRINCIPAL_REQUEST__INIT;
	baton_result res;
	req.principal = (char *)handle;
	req.reason = "test: left the company";
	if (fixture_call(as, M_DISABLE, &req.base, true, NULL, NULL, &res) != BATON_OK)
		fail_msg("DisablePrincipal %s: %s", handle, res.message);
	baton_result_clear(&res);
}

static void person_add(const char *handle, fixture_person *p)
{
	baton_result res;
	if (fixture_person_add(admin, &srv, pg.dir, "in-house", handle, "agent", p, &res) != BATON_OK)
		fail_msg("AddPrincipal %s: %s", handle, res.message);
	baton_result_clear(&res);
}

/* ---- raw frames over a bare req0 socket -------------------------------------- */

static nng_socket raw_dial(const char *url)
{
	nng_socket s;
	assert_int_equal(nng_req0_open(&s), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000), 0);
	assert_int_equal(nng_socket_set_ms(s, NNG_OPT_SENDTIMEO, 10000), 0);
	assert_int_equal(nng_dial(s, url, NULL, 0), 0);
	return s;
}

/* Sends frame and returns the reply (free with reply_free). */
static Baton__V1__ReplyFrame *raw_exchange(nng_socket s, bytes frame)
{
	Baton__V1__ReplyFrame *r;
	nng_msg *m;
	assert_int_equal(nng_send(s, frame.data, frame.len, 0), 0);
	assert_int_equal(nng_recvmsg(s, &m, 0), 0);
	r = baton__v1__reply_frame__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
	nng_msg_free(m);
	assert_non_null(r);
	return r;
}

static void reply_free(Baton__V1__ReplyFrame *r)
{
	baton__v1__reply_frame__free_unpacked(r, NULL);
}

static bytes request_pack(const Baton__V1__RequestFrame *f)
{
	return msg_pack(&f->base);
}

/* An unsealed call; sig (may be NULL) goes into the frame's signature. */
static Baton__V1__ReplyFrame *plain_call(nng_socket s, const char *method, bytes payload, const bytes *sig)
{
	Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
	uint8_t rid[CHAN_REQUEST_ID_BYTES];
	Baton__V1__ReplyFrame *r;
	bytes packed;

	randombytes_buf(rid, sizeof(rid));
	f.method = (char *)method;
	f.request_id = (bytes){ sizeof(rid), rid };
	f.deadline_unix_ms = clock_realtime_ms() + 10000;
	f.payload = payload;
	if (sig != NULL)
		f.signature = *sig;
	packed = request_pack(&f);
	r = raw_exchange(s, packed);
	free(packed.data);
	return r;
}

/* The Handshake call that carries hello h, packed. */
static bytes hello_frame(const chan_hello *h)
{
	Baton__V1__HandshakeRequest hr = BATON__V1__HANDSHAKE_REQUEST__INIT;
	Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
	uint8_t rid[CHAN_REQUEST_ID_BYTES];
	bytes payload, packed;

	hr.version = h->version;
	hr.server_key = (bytes){ CHAN_KEY_BYTES, (uint8_t *)h->server_key };
	hr.client_key = (bytes){ CHAN_KEY_BYTES, (uint8_t *)h->client_key };
	hr.client_ephemeral = (bytes){ CHAN_KEY_BYTES, (uint8_t *)h->client_ephemeral };
	hr.time_unix_ms = h->time_unix_ms;
	hr.signature = (bytes){ CHAN_SIG_BYTES, (uint8_t *)h->signature };
	payload = msg_pack(&hr.base);
	randombytes_buf(rid, sizeof(rid));
	f.method = M_HANDSHAKE;
	f.request_id = (bytes){ sizeof(rid), rid };
	f.deadline_unix_ms = clock_realtime_ms() + 10000;
	f.payload = payload;
	packed = request_pack(&f);
	free(payload.data);
	return packed;
}

/* A session opened by hand. */
typedef struct raw_session {
	nng_socket       sock;
	const baton_key *key;
	uint8_t          id[CHAN_SESSION_ID_BYTES];
	chan_keys        keys;
	int64_t          expires_unix_ms;
} raw_session;

/* Completes hs with the server's reply r (which must be OK) into rs. */
static void session_finish(raw_session *rs, chan_client_hs *hs, const Baton__V1__ReplyFrame *r)
{
	Baton__V1__HandshakeReply *hr;
	chan_welcome w;

	if (r->status != BATON__V1__STATUS_CODE__OK)
		fail_msg("handshake refused: %s (%d)", r->message, r->status);
	hr = baton__v1__handshake_reply__unpack(NULL, r->payload.len, r->payload.data);
	assert_non_null(hr);
	assert_int_equal(hr->session_id.len, CHAN_SESSION_ID_BYTES);
	assert_int_equal(hr->server_ephemeral.len, CHAN_KEY_BYTES);
	assert_int_equal(hr->signature.len, CHAN_SIG_BYTES);
	memcpy(w.session_id, hr->session_id.data, CHAN_SESSION_ID_BYTES);
	memcpy(w.server_ephemeral, hr->server_ephemeral.data, CHAN_KEY_BYTES);
	memcpy(w.signature, hr->signature.data, CHAN_SIG_BYTES);
	w.expires_unix_ms = hr->expires_unix_ms;
	baton__v1__handshake_reply__free_unpacked(hr, NULL);
	assert_int_equal(chan_client_finish(hs, &w, &rs->keys), CHAN_OK);
	memcpy(rs->id, w.session_id, CHAN_SESSION_ID_BYTES);
	rs->expires_unix_ms = w.expires_unix_ms;
}

static void session_open(raw_session *rs, const harness_batond *b, const baton_key *key)
{
	chan_client_hs hs;
	Baton__V1__ReplyFrame *r;
	bytes f;

	memset(rs, 0, sizeof(*rs));
	rs->key = key;
	rs->sock = raw_dial(b->url);
	assert_int_equal(chan_client_hello(&hs, server_pk, key->secret_key, clock_realtime_ms(), NULL), CHAN_OK);
	f = hello_frame(&hs.hello);
	r = raw_exchange(rs->sock, f);
	free(f.data);
	session_finish(rs, &hs, r);
	reply_free(r);
}

static void session_close(raw_session *rs)
{
	nng_close(rs->sock);
	chan_keys_wipe(&rs->keys);
}

/* A packed inner RequestFrame; rid and sig may be NULL (left out). */
static bytes inner_frame(const char *method, const uint8_t *rid, size_t rid_len, bytes payload,
    const uint8_t *sig, size_t sig_len)
{
	Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
	f.method = (char *)method;
	if (rid != NULL)
		f.request_id = (bytes){ rid_len, (uint8_t *)rid };
	f.deadline_unix_ms = clock_realtime_ms() + 10000;
	f.payload = payload;
	if (sig != NULL)
		f.signature = (bytes){ sig_len, (uint8_t *)sig };
	return request_pack(&f);
}

/* sig = the principal's request signature with binding. */
static void request_sign(const baton_key *key, const uint8_t binding[CHAN_HASH_BYTES], const char *method,
    const uint8_t rid[CHAN_REQUEST_ID_BYTES], bytes payload, uint8_t sig[CHAN_SIG_BYTES])
{
	uint8_t hash[CHAN_HASH_BYTES];
	chan_payload_hash(payload.data, payload.len, hash);
	assert_int_equal(chan_request_sign(key->secret_key, binding, method, rid, hash, sig), CHAN_OK);
}

/* A properly signed AddOrg inner frame in rs, with a fresh id in rid. */
static bytes add_org_inner(const raw_session *rs, const char *name, uint8_t rid[CHAN_REQUEST_ID_BYTES])
{
	uint8_t sig[CHAN_SIG_BYTES];
	bytes payload = add_org_payload(name), inner;

	randombytes_buf(rid, CHAN_REQUEST_ID_BYTES);
	request_sign(rs->key, rs->keys.binding, M_ADD_ORG, rid, payload, sig);
	inner = inner_frame(M_ADD_ORG, rid, CHAN_REQUEST_ID_BYTES, payload, sig, sizeof(sig));
	free(payload.data);
	return inner;
}

static bytes ping_inner(const char *text)
{
	bytes payload = ping_payload(text);
	bytes inner = inner_frame(M_PING, NULL, 0, payload, NULL, 0);
	free(payload.data);
	return inner;
}

static bytes seal(const raw_session *rs, uint64_t counter, bytes plain)
{
	bytes s = { plain.len + CHAN_TAG_BYTES, malloc(plain.len + CHAN_TAG_BYTES) };
	assert_non_null(s.data);
	assert_int_equal(chan_seal(rs->keys.c2s, CHAN_C2S, rs->id, counter, plain.data, plain.len, s.data), CHAN_OK);
	return s;
}

/* An outer frame: only session_id, counter and sealed. */
static bytes outer_frame(const uint8_t *sid, size_t sid_len, uint64_t counter, bytes sealed)
{
	Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
	f.session_id = (bytes){ sid_len, (uint8_t *)sid };
	f.counter = counter;
	f.sealed = sealed;
	return request_pack(&f);
}

/* Seals plain under counter, sends it and returns the outer reply; the
 * exact bytes sent go to *sent (caller frees) unless sent is NULL. */
static Baton__V1__ReplyFrame *sealed_send(const raw_session *rs, uint64_t counter, bytes plain, bytes *sent)
{
	bytes sealed = seal(rs, counter, plain);
	bytes frame = outer_frame(rs->id, sizeof(rs->id), counter, sealed);
	Baton__V1__ReplyFrame *r = raw_exchange(rs->sock, frame);
	free(sealed.data);
	if (sent != NULL)
		*sent = frame;
	else
		free(frame.data);
	return r;
}

/* r must be a sealed reply to counter in rs: returns its inner frame. */
static Baton__V1__ReplyFrame *reply_open(const raw_session *rs, const Baton__V1__ReplyFrame *r, uint64_t counter)
{
	Baton__V1__ReplyFrame *inner;
	uint8_t *plain;
	size_t n;

	if (r->sealed.len == 0)
		fail_msg("expected a sealed reply, got unsealed %d: %s", r->status, r->message);
	assert_int_equal(r->status, BATON__V1__STATUS_CODE__OK);
	assert_int_equal(r->counter, counter);
	assert_int_equal(r->payload.len, 0);
	assert_string_equal(r->message, "");
	assert_true(r->sealed.len >= CHAN_TAG_BYTES);
	n = r->sealed.len - CHAN_TAG_BYTES;
	plain = malloc(n ? n : 1);
	assert_non_null(plain);
	assert_int_equal(chan_open(rs->keys.s2c, CHAN_S2C, rs->id, counter, r->sealed.data, r->sealed.len, plain),
	    CHAN_OK);
	inner = baton__v1__reply_frame__unpack(NULL, n, plain);
	free(plain);
	assert_non_null(inner);
	return inner;
}

/* A sealed call that must come back sealed: returns the inner reply. */
static Baton__V1__ReplyFrame *sealed_call(const raw_session *rs, uint64_t counter, bytes plain)
{
	Baton__V1__ReplyFrame *outer = sealed_send(rs, counter, plain, NULL);
	Baton__V1__ReplyFrame *inner = reply_open(rs, outer, counter);
	reply_free(outer);
	return inner;
}

/* r is an unsealed refusal: status, a message holding text (if not NULL),
 * nothing sealed, and renew_session as given. */
static void assert_refused(const Baton__V1__ReplyFrame *r, baton_status status, const char *text, bool renew)
{
	if ((baton_status)r->status != status || (text != NULL && strstr(r->message, text) == NULL))
		fail_msg("expected %s with \"%s\", got %s: \"%s\"", baton_status_str(status), text ? text : "",
		    baton_status_str((baton_status)r->status), r->message);
	assert_int_equal(r->sealed.len, 0);
	assert_int_equal(r->counter, 0);
	assert_int_equal(r->payload.len, 0);
	assert_int_equal(r->renew_session, renew);
}

/* An inner reply with status and (if not NULL) a message holding text. */
static void assert_inner(const Baton__V1__ReplyFrame *r, baton_status status, const char *text)
{
	if ((baton_status)r->status != status || (text != NULL && strstr(r->message, text) == NULL))
		fail_msg("expected %s with \"%s\", got %s: \"%s\"", baton_status_str(status), text ? text : "",
		    baton_status_str((baton_status)r->status), r->message);
}

/* The handshake log lines of b that opened a session. */
static int sessions_opened(const harness_batond *b, const char *handle)
{
	char who[96];
	snprintf(who, sizeof(who), "\"principal\":\"%s\"", handle);
	const char *needles[] = { "\"event\":\"session_opened\"", who, NULL };
	return harness_log_count(b, needles);
}

/* The same bytes sent at the same moment from several connections. */
typedef struct racer {
	pthread_t          thread;
	const char        *url;
	bytes              frame;
	pthread_barrier_t *go;
	int                status; /* the outer reply's; -1: no reply */
	bool               sealed; /* the reply was sealed (the frame was accepted) */
} racer;

/* No cmocka asserts here: this runs on its own thread. */
static void *race_main(void *arg)
{
	racer *r = arg;
	nng_socket s;
	nng_msg *m = NULL;
	bool up = nng_req0_open(&s) == 0;

	r->status = -1;
	if (up && (nng_socket_set_ms(s, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0 ||
	              nng_socket_set_ms(s, NNG_OPT_RECVTIMEO, 10000) != 0 || nng_dial(s, r->url, NULL, 0) != 0))
		up = false;
	pthread_barrier_wait(r->go); /* everyone connected (or failed) first */
	if (up && nng_send(s, r->frame.data, r->frame.len, 0) == 0 && nng_recvmsg(s, &m, 0) == 0) {
		Baton__V1__ReplyFrame *rep = baton__v1__reply_frame__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
		if (rep != NULL) {
			r->status = rep->status;
			r->sealed = rep->sealed.len > 0;
			reply_free(rep);
		}
		nng_msg_free(m);
	}
	if (up)
		nng_close(s);
	return NULL;
}

/* Sends frame to urls[i % n_urls] from n connections at once; returns how
 * many were answered OK, and checks every other answer is UNAUTHENTICATED. */
static int race(const char *const *urls, int n_urls, bytes frame, int n)
{
	racer r[8];
	pthread_barrier_t go;
	int ok = 0;

	assert_true(n <= 8);
	assert_int_equal(pthread_barrier_init(&go, NULL, (unsigned)n), 0);
	for (int i = 0; i < n; i++) {
		r[i] = (racer){ .url = urls[i % n_urls], .frame = frame, .go = &go };
		assert_int_equal(pthread_create(&r[i].thread, NULL, race_main, &r[i]), 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(r[i].thread, NULL);
	pthread_barrier_destroy(&go);
	for (int i = 0; i < n; i++) {
		if (r[i].status == BATON__V1__STATUS_CODE__OK)
			ok++;
		else if (r[i].status != BATON__V1__STATUS_CODE__UNAUTHENTICATED || r[i].sealed)
			fail_msg("racer %d: status %d, sealed %d", i, r[i].status, r[i].sealed);
	}
	return ok;
}

/* ---- 1. tampering -------------------------------------------------------------- */

static void tampered_sealed_frame_is_refused_and_not_executed(void **state)
{
	static const char name[] = "tampered-org";
	static const uint64_t counter_flips[] = { 1ull << 1, 1ull << 40, 1ull << 63 };
	static const size_t sid_flips[][2] = { { 0, 0x01 }, { 7, 0x10 }, { 15, 0x80 } };
	uint8_t rid[CHAN_REQUEST_ID_BYTES];
	Baton__V1__ReplyFrame *r, *inner;
	raw_session rs;
	bytes plain, sealed, frame;
	(void)state;

	session_open(&rs, &srv, &admin_key);
	plain = add_org_inner(&rs, name, rid);
	sealed = seal(&rs, 1, plain);

	/* Every single bit of the whole outer frame, flipped in turn. */
	frame = outer_frame(rs.id, sizeof(rs.id), 1, sealed);
	for (size_t i = 0; i < frame.len; i++) {
		for (int bit = 0; bit < 8; bit++) {
			frame.data[i] ^= (uint8_t)(1u << bit);
			r = raw_exchange(rs.sock, frame);
			frame.data[i] ^= (uint8_t)(1u << bit);
			if (r->status == BATON__V1__STATUS_CODE__OK || r->sealed.len != 0)
				fail_msg("flipping bit %d of byte %zu of %zu was accepted", bit, i, frame.len);
			reply_free(r);
		}
	}
	free(frame.data);

	/* One bit of the sealed bytes: ciphertext start, middle, tag end. */
	size_t where[] = { 0, sealed.len / 2, sealed.len - CHAN_TAG_BYTES, sealed.len - 1 };
	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++) {
		sealed.data[where[i]] ^= (uint8_t)(1u << (i % 8));
		frame = outer_frame(rs.id, sizeof(rs.id), 1, sealed);
		sealed.data[where[i]] ^= (uint8_t)(1u << (i % 8));
		r = raw_exchange(rs.sock, frame);
		assert_refused(r, BATON_UNAUTHENTICATED, "authentication", false);
		reply_free(r);
		free(frame.data);
	}
	/* One bit of the counter (it is in the nonce and the associated data). */
	for (size_t i = 0; i < sizeof(counter_flips) / sizeof(counter_flips[0]); i++) {
		frame = outer_frame(rs.id, sizeof(rs.id), 1 ^ counter_flips[i], sealed);
		r = raw_exchange(rs.sock, frame);
		assert_refused(r, BATON_UNAUTHENTICATED, "authentication", false);
		reply_free(r);
		free(frame.data);
	}
	/* One bit of the session id: no such session, the client should renew. */
	for (size_t i = 0; i < sizeof(sid_flips) / sizeof(sid_flips[0]); i++) {
		uint8_t sid[CHAN_SESSION_ID_BYTES];
		memcpy(sid, rs.id, sizeof(sid));
		sid[sid_flips[i][0]] ^= (uint8_t)sid_flips[i][1];
		frame = outer_frame(sid, sizeof(sid), 1, sealed);
		r = raw_exchange(rs.sock, frame);
		assert_refused(r, BATON_UNAUTHENTICATED, "session unknown", true);
		reply_free(r);
		free(frame.data);
	}
	assert_int_equal(org_count(name), 0);
	assert_int_equal(record_count(rid), 0);

	/* The untouched frame still works: no forgery used up its counter. */
	frame = outer_frame(rs.id, sizeof(rs.id), 1, sealed);
	r = raw_exchange(rs.sock, frame);
	inner = reply_open(&rs, r, 1);
	assert_inner(inner, BATON_OK, NULL);
	assert_int_equal(inner->request_id.len, sizeof(rid));
	assert_memory_equal(inner->request_id.data, rid, sizeof(rid));
	Baton__V1__AddOrgReply *added = baton__v1__add_org_reply__unpack(NULL, inner->payload.len, inner->payload.data);
	assert_non_null(added);
	assert_string_equal(added->org->name, name);
	baton__v1__add_org_reply__free_unpacked(added, NULL);
	assert_int_equal(org_count(name), 1);
	assert_int_equal(record_count(rid), 1);

	reply_free(inner);
	reply_free(r);
	free(frame.data);
	free(sealed.data);
	free(plain.data);
	session_close(&rs);
}

/* Reflections, cross-session splices and malformed outer frames. */
static void frames_of_another_direction_or_session_or_shape_are_refused(void **state)
{
	static const char name[] = "spliced-org";
	uint8_t rid[CHAN_REQUEST_ID_BYTES];
	Baton__V1__ReplyFrame *r, *inner;
	raw_session a, b;
	bytes plain, sealed, frame, ping;
	(void)state;

	session_open(&a, &srv, &admin_key);
	session_open(&b, &srv, &admin_key);
	assert_memory_not_equal(a.id, b.id, sizeof(a.id));

	/* The server's own sealed reply sent back as a request (s2c key). */
	ping = ping_inner("mirror");
	r = sealed_send(&a, 1, ping, NULL);
	assert_true(r->sealed.len > 0);
	frame = outer_frame(a.id, sizeof(a.id), 2, r->sealed);
	reply_free(r);
	r = raw_exchange(a.sock, frame);
	assert_refused(r, BATON_UNAUTHENTICATED, "authentication", false);
	reply_free(r);
	free(frame.data);

	/* A frame of session a presented under session b's id. */
	plain = add_org_inner(&a, name, rid);
	sealed = seal(&a, 2, plain);
	frame = outer_frame(b.id, sizeof(b.id), 2, sealed);
	r = raw_exchange(b.sock, frame);
	assert_refused(r, BATON_UNAUTHENTICATED, "authentication", false);
	reply_free(r);
	free(frame.data);

	/* Malformed outer frames: refused unsealed, before any session work. */
	frame = outer_frame(a.id, sizeof(a.id) - 1, 2, sealed);
	r = raw_exchange(a.sock, frame);
	assert_refused(r, BATON_INVALID_ARGUMENT, "session_id", false);
	reply_free(r);
	free(frame.data);
	frame = outer_frame(a.id, sizeof(a.id), 2, (bytes){ CHAN_TAG_BYTES - 1, sealed.data });
	r = raw_exchange(a.sock, frame);
	assert_refused(r, BATON_INVALID_ARGUMENT, "sealed", false);
	reply_free(r);
	free(frame.data);
	{
		Baton__V1__RequestFrame f = BATON__V1__REQUEST_FRAME__INIT;
		uint8_t rid2[CHAN_REQUEST_ID_BYTES] = { 1 };
		f.session_id = (bytes){ sizeof(a.id), a.id };
		f.counter = 2;
		f.sealed = sealed;
		f.method = M_ADD_ORG; /* an outer method, to confuse logs or routing */
		frame = request_pack(&f);
		r = raw_exchange(a.sock, frame);
		assert_refused(r, BATON_INVALID_ARGUMENT, "only session_id", false);
		reply_free(r);
		free(frame.data);
		f.method = "";
		f.request_id = (bytes){ sizeof(rid2), rid2 };
		frame = request_pack(&f);
		r = raw_exchange(a.sock, frame);
		assert_refused(r, BATON_INVALID_ARGUMENT, "only session_id", false);
		reply_free(r);
		free(frame.data);
	}
	/* Counter 0 is never valid, even with a frame that opens under it
	 * otherwise (it cannot be sealed, so the counter-2 seal is sent). */
	frame = outer_frame(a.id, sizeof(a.id), 0, sealed);
	r = raw_exchange(a.sock, frame);
	assert_refused(r, BATON_UNAUTHENTICATED, NULL, false);
	reply_free(r);
	free(frame.data);
	assert_int_equal(org_count(name), 0);
	assert_int_equal(record_count(rid), 0);

	/* A sealed frame nested in a sealed frame: opened, then refused. */
	{
		bytes in_sealed = seal(&a, 3, ping);
		Baton__V1__RequestFrame nested = BATON__V1__REQUEST_FRAME__INIT;
		nested.method = M_PING;
		nested.session_id = (bytes){ sizeof(a.id), a.id };
		nested.counter = 3;
		nested.sealed = in_sealed;
		bytes nested_plain = request_pack(&nested);
		inner = sealed_call(&a, 4, nested_plain);
		assert_inner(inner, BATON_INVALID_ARGUMENT, "nested");
		reply_free(inner);
		free(nested_plain.data);
		free(in_sealed.data);
	}

	/* Neither splice used up a counter: both sessions go on. */
	r = sealed_send(&a, 2, plain, NULL);
	inner = reply_open(&a, r, 2);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	reply_free(r);
	inner = sealed_call(&b, 2, ping);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	assert_int_equal(org_count(name), 1);

	free(ping.data);
	free(sealed.data);
	free(plain.data);
	session_close(&a);
	session_close(&b);
}

/* ---- 2. replay ------------------------------------------------------------------ */

static void replayed_frame_is_refused_and_runs_once(void **state)
{
	static const char name[] = "replayed-org";
	static const char old_name[] = "too-old-org";
	uint8_t rid[CHAN_REQUEST_ID_BYTES], old_rid[CHAN_REQUEST_ID_BYTES];
	Baton__V1__ReplyFrame *r, *inner;
	Baton__V1__AddOrgReply *first, *again;
	raw_session rs, fresh;
	bytes plain, sent, ping;
	(void)state;

	session_open(&rs, &srv, &admin_key);
	plain = add_org_inner(&rs, name, rid);
	r = sealed_send(&rs, 1, plain, &sent);
	inner = reply_open(&rs, r, 1);
	assert_inner(inner, BATON_OK, NULL);
	first = baton__v1__add_org_reply__unpack(NULL, inner->payload.len, inner->payload.data);
	assert_non_null(first);
	reply_free(inner);
	reply_free(r);

	/* The very same bytes again, twice. */
	for (int i = 0; i < 2; i++) {
		r = raw_exchange(rs.sock, sent);
		assert_refused(r, BATON_UNAUTHENTICATED, "already seen", false);
		reply_free(r);
	}
	assert_int_equal(org_count(name), 1);

	/* A deliberate resend (same request id, a new counter) is answered
	 * from the exactly-once record: same org, still one. */
	inner = sealed_call(&rs, 2, plain);
	assert_inner(inner, BATON_OK, NULL);
	again = baton__v1__add_org_reply__unpack(NULL, inner->payload.len, inner->payload.data);
	assert_non_null(again);
	assert_string_equal(again->org->id, first->org->id);
	baton__v1__add_org_reply__free_unpacked(again, NULL);
	reply_free(inner);
	assert_int_equal(org_count(name), 1);
	assert_int_equal(record_count(rid), 1);
	baton__v1__add_org_reply__free_unpacked(first, NULL);
	free(sent.data);
	free(plain.data);

	/* Far below the window: counter 2000, then a fresh counter 1. */
	session_open(&fresh, &srv, &admin_key);
	ping = ping_inner("far ahead");
	inner = sealed_call(&fresh, 2000, ping);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	plain = add_org_inner(&fresh, old_name, old_rid);
	r = sealed_send(&fresh, 1, plain, NULL);
	assert_refused(r, BATON_UNAUTHENTICATED, "too far behind", false);
	reply_free(r);
	/* The window's edge: top - 1024 is too old, top - 1023 is new once. */
	r = sealed_send(&fresh, 2000 - 1024, plain, NULL);
	assert_refused(r, BATON_UNAUTHENTICATED, "too far behind", false);
	reply_free(r);
	assert_int_equal(org_count(old_name), 0);
	assert_int_equal(record_count(old_rid), 0);
	inner = sealed_call(&fresh, 2000 - 1023, ping);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	r = sealed_send(&fresh, 2000 - 1023, ping, NULL);
	assert_refused(r, BATON_UNAUTHENTICATED, "already seen", false);
	reply_free(r);
	/* Within the window and never seen: accepted once. */
	inner = sealed_call(&fresh, 1999, ping);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	r = sealed_send(&fresh, 2000, ping, NULL);
	assert_refused(r, BATON_UNAUTHENTICATED, "already seen", false);
	reply_free(r);

	/* The top of the counter space. */
	inner = sealed_call(&fresh, UINT64_MAX, ping);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	r = sealed_send(&fresh, UINT64_MAX, ping, NULL);
	assert_refused(r, BATON_UNAUTHENTICATED, "already seen", false);
	reply_free(r);
	inner = sealed_call(&fresh, UINT64_MAX - 1, ping);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	r = sealed_send(&fresh, UINT64_MAX - 1024, ping, NULL);
	assert_refused(r, BATON_UNAUTHENTICATED, "too far behind", false);
	reply_free(r);
	free(ping.data);
	free(plain.data);

	/* One fresh frame sent from eight connections at the same moment:
	 * exactly one is accepted, and the org is created once. */
	{
		const char *urls[] = { srv.url };
		uint8_t raced_rid[CHAN_REQUEST_ID_BYTES];
		plain = add_org_inner(&rs, "raced-org", raced_rid);
		bytes sealed = seal(&rs, 10, plain);
		bytes frame = outer_frame(rs.id, sizeof(rs.id), 10, sealed);
		assert_int_equal(race(urls, 1, frame, 8), 1);
		assert_int_equal(org_count("raced-org"), 1);
		assert_int_equal(record_count(raced_rid), 1);
		free(frame.data);
		free(sealed.data);
		free(plain.data);
	}
	session_close(&fresh);
	session_close(&rs);
}

/* ---- 3. handshake replay ---------------------------------------------------------- */

static void replayed_handshake_is_refused_and_opens_no_session(void **state)
{
	Baton__V1__ReplyFrame *r, *inner;
	chan_client_hs hs;
	raw_session rs;
	nng_socket other;
	bytes hello, ping;
	const char *refused[] = { "\"event\":\"handshake_refused\"", "replayed", NULL };
	int before, refused_before;
	(void)state;

	before = sessions_opened(&srv, "admin");
	refused_before = harness_log_count(&srv, refused);
	memset(&rs, 0, sizeof(rs));
	rs.key = &admin_key;
	rs.sock = raw_dial(srv.url);
	assert_int_equal(chan_client_hello(&hs, server_pk, admin_key.secret_key, clock_realtime_ms(), NULL), CHAN_OK);
	hello = hello_frame(&hs.hello);
	r = raw_exchange(rs.sock, hello);
	session_finish(&rs, &hs, r);
	reply_free(r);

	/* The same bytes, on the same connection and on a new one. */
	r = raw_exchange(rs.sock, hello);
	assert_refused(r, BATON_UNAUTHENTICATED, "replayed", false);
	reply_free(r);
	other = raw_dial(srv.url);
	r = raw_exchange(other, hello);
	assert_refused(r, BATON_UNAUTHENTICATED, "replayed", false);
	reply_free(r);
	nng_close(other);

	assert_int_equal(log_count_wait(&srv, refused, refused_before + 2), refused_before + 2);
	assert_int_equal(sessions_opened(&srv, "admin"), before + 1);

	/* The one session that was opened works. */
	ping = ping_inner("only one");
	inner = sealed_call(&rs, 1, ping);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	free(ping.data);
	free(hello.data);
	session_close(&rs);
}

static void replayed_handshake_is_refused_by_another_instance(void **state)
{
	const char *extra[] = { "--handshake-failures-per-minute=100000", NULL };
	Baton__V1__ReplyFrame *r;
	chan_client_hs hs;
	raw_session rs;
	nng_socket s;
	bytes hello;
	(void)state;

	extra_start(&second, extra);
	memset(&rs, 0, sizeof(rs));
	rs.key = &admin_key;
	rs.sock = raw_dial(srv.url);
	assert_int_equal(chan_client_hello(&hs, server_pk, admin_key.secret_key, clock_realtime_ms(), NULL), CHAN_OK);
	hello = hello_frame(&hs.hello);
	r = raw_exchange(rs.sock, hello);
	session_finish(&rs, &hs, r);
	reply_free(r);

	/* Same server key, same database: the other instance has seen it too. */
	s = raw_dial(second.url);
	r = raw_exchange(s, hello);
	assert_refused(r, BATON_UNAUTHENTICATED, "replayed", false);
	reply_free(r);
	assert_int_equal(sessions_opened(&second, "admin"), 0);

	/* A session of one instance is unknown to the other: renew. */
	{
		bytes ping = ping_inner("elsewhere");
		bytes sealed = seal(&rs, 1, ping);
		bytes frame = outer_frame(rs.id, sizeof(rs.id), 1, sealed);
		r = raw_exchange(s, frame);
		assert_refused(r, BATON_UNAUTHENTICATED, "session unknown", true);
		reply_free(r);
		free(frame.data);
		free(sealed.data);
		free(ping.data);
	}
	nng_close(s);
	free(hello.data);
	session_close(&rs);

	/* The same new hello sent to both instances at the same moment, four
	 * times each: one session in all. */
	for (int round = 0; round < 5; round++) {
		const char *urls[] = { srv.url, second.url };
		assert_int_equal(chan_client_hello(&hs, server_pk, admin_key.secret_key, clock_realtime_ms(), NULL),
		    CHAN_OK);
		hello = hello_frame(&hs.hello);
		assert_int_equal(race(urls, 2, hello, 8), 1);
		free(hello.data);
		chan_client_hs_wipe(&hs);
	}
	extra_stop(&second);
}

/* ---- 4. server keys ---------------------------------------------------------------- */

static void client_pinned_to_another_server_key_is_refused(void **state)
{
	baton_session_stats st;
	baton_key wrong;
	baton_client *c;
	char msg[512];
	(void)state;

	assert_int_equal(baton_key_generate(&wrong), BATON_OK);
	c = client_with(&srv, &admin_key, wrong.public_key);
	assert_int_equal(ping_msg(c, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	if (strstr(msg, "server key") == NULL)
		fail_msg("message does not mention the server key: %s", msg);
	assert_int_equal(baton_server_info_get(c, 5000, &(baton_server_info){ 0 }, &(baton_result){ 0 }),
	    BATON_UNAUTHENTICATED);
	baton_session_stats_get(c, &st);
	assert_int_equal(st.handshakes, 0);
	baton_client_close(c);
	baton_key_wipe(&wrong);
}

/* A peer in between: answers handshakes itself with another key, or
 * relays them to the real batond and swaps one bit of its reply. */
typedef enum { FAKE_IMPOSTER, FAKE_SWAP_EPHEMERAL, FAKE_SWAP_SESSION_ID } fake_mode;

typedef struct fake_server {
	nng_socket  sock;
	char        url[64];
	pthread_t   thread;
	fake_mode   mode;
	baton_key   imposter;
	atomic_bool stop;
	atomic_int  answered;
} fake_server;

/* No cmocka asserts here: this runs on its own thread. Returns the packed
 * reply or { 0, NULL }. */
static bytes fake_answer(fake_server *f, const uint8_t *req_bytes, size_t req_len)
{
	Baton__V1__RequestFrame *req = baton__v1__request_frame__unpack(NULL, req_len, req_bytes);
	Baton__V1__HandshakeRequest *hreq = NULL;
	Baton__V1__HandshakeReply *hrep = NULL;
	Baton__V1__ReplyFrame *relayed = NULL;
	Baton__V1__ReplyFrame out = BATON__V1__REPLY_FRAME__INIT;
	Baton__V1__HandshakeReply mine = BATON__V1__HANDSHAKE_REPLY__INIT;
	chan_welcome w;
	chan_keys keys;
	uint8_t sid[CHAN_SESSION_ID_BYTES], body[256];
	bytes reply = { 0, NULL };

	if (req == NULL || strcmp(req->method, M_HANDSHAKE) != 0)
		goto out;
	if (f->mode == FAKE_IMPOSTER) {
		chan_hello h;
		hreq = baton__v1__handshake_request__unpack(NULL, req->payload.len, req->payload.data);
		if (hreq == NULL || hreq->server_key.len != 32 || hreq->client_key.len != 32 ||
		    hreq->client_ephemeral.len != 32 || hreq->signature.len != 64)
			goto out;
		h.version = hreq->version;
		memcpy(h.server_key, hreq->server_key.data, 32);
		memcpy(h.client_key, hreq->client_key.data, 32);
		memcpy(h.client_ephemeral, hreq->client_ephemeral.data, 32);
		h.time_unix_ms = hreq->time_unix_ms;
		memcpy(h.signature, hreq->signature.data, 64);
		randombytes_buf(sid, sizeof(sid));
		if (chan_server_welcome(&h, f->imposter.secret_key, sid, clock_realtime_ms() + 3600000, NULL, &w,
		        &keys) != CHAN_OK)
			goto out;
		chan_keys_wipe(&keys);
		mine.session_id = (bytes){ sizeof(w.session_id), w.session_id };
		mine.server_ephemeral = (bytes){ sizeof(w.server_ephemeral), w.server_ephemeral };
		mine.expires_unix_ms = w.expires_unix_ms;
		mine.signature = (bytes){ sizeof(w.signature), w.signature };
	} else {
		nng_socket up;
		nng_msg *m = NULL;
		if (nng_req0_open(&up) != 0)
			goto out;
		if (nng_socket_set_ms(up, NNG_OPT_REQ_RESENDTIME, NNG_DURATION_INFINITE) != 0 ||
		    nng_socket_set_ms(up, NNG_OPT_RECVTIMEO, 5000) != 0 || nng_dial(up, srv.url, NULL, 0) != 0 ||
		    nng_send(up, (void *)req_bytes, req_len, 0) != 0 || nng_recvmsg(up, &m, 0) != 0) {
			nng_close(up);
			goto out;
		}
		relayed = baton__v1__reply_frame__unpack(NULL, nng_msg_len(m), nng_msg_body(m));
		nng_msg_free(m);
		nng_close(up);
		if (relayed == NULL || relayed->status != 0)
			goto out;
		hrep = baton__v1__handshake_reply__unpack(NULL, relayed->payload.len, relayed->payload.data);
		if (hrep == NULL || hrep->server_ephemeral.len != 32 || hrep->session_id.len != 16)
			goto out;
		if (f->mode == FAKE_SWAP_EPHEMERAL)
			hrep->server_ephemeral.data[5] ^= 0x20;
		else
			hrep->session_id.data[3] ^= 0x01;
		mine.session_id = hrep->session_id;
		mine.server_ephemeral = hrep->server_ephemeral;
		mine.expires_unix_ms = hrep->expires_unix_ms;
		mine.signature = hrep->signature;
	}
	out.status = BATON__V1__STATUS_CODE__OK;
	out.request_id = req->request_id;
	out.payload = (bytes){ baton__v1__handshake_reply__pack(&mine, body), body };
	reply.len = baton__v1__reply_frame__get_packed_size(&out);
	if ((reply.data = malloc(reply.len)) != NULL)
		baton__v1__reply_frame__pack(&out, reply.data);
out:
	baton__v1__handshake_request__free_unpacked(hreq, NULL);
	baton__v1__handshake_reply__free_unpacked(hrep, NULL);
	baton__v1__reply_frame__free_unpacked(relayed, NULL);
	baton__v1__request_frame__free_unpacked(req, NULL);
	return reply;
}

static void *fake_main(void *arg)
{
	fake_server *f = arg;
	while (!atomic_load(&f->stop)) {
		nng_msg *m;
		int rv = nng_recvmsg(f->sock, &m, 0);
		if (rv == NNG_ETIMEDOUT)
			continue;
		if (rv != 0)
			break;
		bytes reply = fake_answer(f, nng_msg_body(m), nng_msg_len(m));
		nng_msg_free(m);
		if (reply.data != NULL && nng_send(f->sock, reply.data, reply.len, 0) == 0)
			atomic_fetch_add(&f->answered, 1);
		free(reply.data);
	}
	return NULL;
}

static void fake_start(fake_server *f, fake_mode mode)
{
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	assert_int_equal(baton_key_generate(&f->imposter), BATON_OK);
	snprintf(f->url, sizeof(f->url), "tcp://127.0.0.1:%d", harness_free_port());
	assert_int_equal(nng_rep0_open(&f->sock), 0);
	assert_int_equal(nng_socket_set_ms(f->sock, NNG_OPT_RECVTIMEO, 100), 0);
	assert_int_equal(nng_listen(f->sock, f->url, NULL, 0), 0);
	assert_int_equal(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(fake_server *f)
{
	atomic_store(&f->stop, true);
	pthread_join(f->thread, NULL);
	nng_close(f->sock);
	baton_key_wipe(&f->imposter);
}

static void client_refuses_a_server_that_cannot_prove_the_pinned_key(void **state)
{
	static const fake_mode modes[] = { FAKE_IMPOSTER, FAKE_SWAP_EPHEMERAL, FAKE_SWAP_SESSION_ID };
	(void)state;

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		baton_session_stats st;
		fake_server f;
		baton_client *c;
		char msg[512];
		harness_batond at = { .pid = 0 };

		fake_start(&f, modes[i]);
		snprintf(at.url, sizeof(at.url), "%s", f.url);
		c = client_with(&at, &admin_key, server_pk);
		assert_int_equal(ping_msg(c, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
		if (strstr(msg, "pinned server key") == NULL)
			fail_msg("mode %zu: message does not mention the pinned server key: %s", i, msg);
		baton_session_stats_get(c, &st);
		assert_int_equal(st.handshakes, 0);
		baton_client_close(c);
		fake_stop(&f); /* joins its thread: the count is final */
		assert_true(atomic_load(&f.answered) >= 1);
	}
}

/* ---- 5, 6. unknown keys, clocks, forged hellos ------------------------------------- */

static void unknown_key_is_refused_and_opens_no_session(void **state)
{
	const char *refused[] = { "\"event\":\"handshake_refused\"", "unknown key", NULL };
	const char *opened[] = { "\"event\":\"session_opened\"", NULL };
	baton_key stranger;
	baton_client *c;
	char msg[512];
	int refused_before, opened_before;
	(void)state;

	assert_int_equal(baton_key_generate(&stranger), BATON_OK);
	refused_before = harness_log_count(&srv, refused);
	opened_before = harness_log_count(&srv, opened);
	c = client_with(&srv, &stranger, server_pk);
	assert_int_equal(ping_msg(c, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	if (strstr(msg, "unknown key") == NULL)
		fail_msg("message: %s", msg);
	assert_int_equal(baton_session_open(c, 5000, &(baton_result){ 0 }), BATON_UNAUTHENTICATED);
	assert_int_equal(log_count_wait(&srv, refused, refused_before + 2), refused_before + 2);
	assert_int_equal(harness_log_count(&srv, opened), opened_before);
	baton_client_close(c);
	baton_key_wipe(&stranger);
}

/* Sends hello h on a new connection to b; returns the reply. */
static Baton__V1__ReplyFrame *hello_send(const harness_batond *b, const chan_hello *h)
{
	nng_socket s = raw_dial(b->url);
	bytes f = hello_frame(h);
	Baton__V1__ReplyFrame *r = raw_exchange(s, f);
	free(f.data);
	nng_close(s);
	return r;
}

static void handshake_time_outside_the_window_is_refused(void **state)
{
	static const int64_t offsets[] = { -10 * 60000, +10 * 60000, -61000, +61000 };
	static const int64_t absurd[] = { INT64_MIN, INT64_MIN + 1, -1, 0, INT64_MAX };
	const char *opened[] = { "\"event\":\"session_opened\"", NULL };
	Baton__V1__ReplyFrame *r;
	chan_client_hs hs;
	raw_session rs;
	int before;
	(void)state;

	before = harness_log_count(&srv, opened);
	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		assert_int_equal(chan_client_hello(&hs, server_pk, admin_key.secret_key,
		                     clock_realtime_ms() + offsets[i], NULL), CHAN_OK);
		r = hello_send(&srv, &hs.hello);
		assert_refused(r, BATON_UNAUTHENTICATED, "clock", false);
		reply_free(r);
		chan_client_hs_wipe(&hs);
	}
	/* Times no subtraction may overflow on. */
	for (size_t i = 0; i < sizeof(absurd) / sizeof(absurd[0]); i++) {
		assert_int_equal(chan_client_hello(&hs, server_pk, admin_key.secret_key, absurd[i], NULL), CHAN_OK);
		r = hello_send(&srv, &hs.hello);
		assert_refused(r, BATON_UNAUTHENTICATED, "clock", false);
		reply_free(r);
		chan_client_hs_wipe(&hs);
	}
	assert_int_equal(harness_log_count(&srv, opened), before);

	/* Half a minute off is within the default window of one minute. */
	memset(&rs, 0, sizeof(rs));
	rs.key = &admin_key;
	rs.sock = raw_dial(srv.url);
	assert_int_equal(chan_client_hello(&hs, server_pk, admin_key.secret_key, clock_realtime_ms() - 30000, NULL),
	    CHAN_OK);
	bytes f = hello_frame(&hs.hello);
	r = raw_exchange(rs.sock, f);
	session_finish(&rs, &hs, r);
	reply_free(r);
	free(f.data);
	session_close(&rs);
}

static void forged_or_malformed_handshake_is_refused(void **state)
{
	const char *opened[] = { "\"event\":\"session_opened\"", NULL };
	Baton__V1__ReplyFrame *r;
	chan_client_hs hs;
	fixture_person other;
	baton_key other_key;
	char why[400];
	int before;
	(void)state;

	person_add("forgery-victim", &other);
	assert_int_equal(baton_key_file_read(other.key_file, &other_key, why, sizeof(why)), BATON_OK);
	before = harness_log_count(&srv, opened);

	/* Each field changed after the admin signed the hello. */
	for (int field = 0; field < 4; field++) {
		assert_int_equal(chan_client_hello(&hs, server_pk, admin_key.secret_key, clock_realtime_ms(), NULL),
		    CHAN_OK);
		switch (field) {
		case 0: hs.hello.time_unix_ms -= 1; break;
		case 1: hs.hello.client_ephemeral[9] ^= 0x04; break;
		case 2: memcpy(hs.hello.client_key, other_key.public_key, CHAN_KEY_BYTES); break; /* impersonation */
		case 3: hs.hello.signature[63] ^= 0x01; break;
		}
		r = hello_send(&srv, &hs.hello);
		assert_refused(r, BATON_UNAUTHENTICATED, "signature", false);
		reply_free(r);
		chan_client_hs_wipe(&hs);
	}

	/* Another protocol version, properly signed. */
	{
		uint8_t h1[CHAN_HASH_BYTES];
		assert_int_equal(chan_client_hello(&hs, server_pk, admin_key.secret_key, clock_realtime_ms(), NULL),
		    CHAN_OK);
		hs.hello.version = 2;
		chan_hello_hash(&hs.hello, h1);
		crypto_sign_detached(hs.hello.signature, NULL, h1, sizeof(h1), admin_key.secret_key);
		r = hello_send(&srv, &hs.hello);
		assert_refused(r, BATON_UNAUTHENTICATED, "version", false);
		reply_free(r);
		chan_client_hs_wipe(&hs);
	}

	/* A low-order ephemeral key (all zero), properly signed: the shared
	 * secret would be zero, so no session may come of it. */
	{
		uint8_t h1[CHAN_HASH_BYTES];
		assert_int_equal(chan_client_hello(&hs, server_pk, admin_key.secret_key, clock_realtime_ms(), NULL),
		    CHAN_OK);
		memset(hs.hello.client_ephemeral, 0, CHAN_KEY_BYTES);
		chan_hello_hash(&hs.hello, h1);
		crypto_sign_detached(hs.hello.signature, NULL, h1, sizeof(h1), admin_key.secret_key);
		r = hello_send(&srv, &hs.hello);
		assert_refused(r, BATON_UNAUTHENTICATED, NULL, false);
		reply_free(r);
		chan_client_hs_wipe(&hs);
	}

	/* Fields of the wrong size. */
	{
		Baton__V1__HandshakeRequest hr = BATON__V1__HANDSHAKE_REQUEST__INIT;
		uint8_t k[CHAN_KEY_BYTES] = { 0 }, sig[CHAN_SIG_BYTES] = { 0 };
		nng_socket s = raw_dial(srv.url);
		hr.version = 1;
		hr.server_key = (bytes){ sizeof(k), server_pk };
		hr.client_key = (bytes){ sizeof(k), admin_key.public_key };
		hr.client_ephemeral = (bytes){ sizeof(k) - 1, k };
		hr.time_unix_ms = clock_realtime_ms();
		hr.signature = (bytes){ sizeof(sig), sig };
		bytes payload = msg_pack(&hr.base);
		r = plain_call(s, M_HANDSHAKE, payload, NULL);
		assert_refused(r, BATON_INVALID_ARGUMENT, "wrong size", false);
		reply_free(r);
		free(payload.data);
		nng_close(s);
	}
	assert_int_equal(harness_log_count(&srv, opened), before);
	baton_key_wipe(&other_key);
	fixture_person_close(&other);
}

/* ---- 7. rate limit ----------------------------------------------------------------- */

static void failed_handshakes_are_rate_limited_per_peer(void **state)
{
	const char *extra[] = { "--handshake-failures-per-minute=3", NULL };
	baton_client *early, *stranger_c, *late, *keyless;
	baton_key stranger;
	baton_serving serving;
	baton_status down;
	char msg[512], down_msg[512];
	(void)state;

	extra_start(&limited, extra);
	assert_int_equal(baton_key_generate(&stranger), BATON_OK);

	/* A session opened before the failures. */
	early = client_with(&limited, &admin_key, server_pk);
	assert_int_equal(ping_msg(early, NULL, 0), BATON_OK);

	stranger_c = client_with(&limited, &stranger, server_pk);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(ping_msg(stranger_c, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
		if (strstr(msg, "unknown key") == NULL)
			fail_msg("failure %d: %s", i + 1, msg);
	}
	assert_int_equal(ping_msg(stranger_c, msg, sizeof(msg)), BATON_RESOURCE_EXHAUSTED);
	if (strstr(msg, "too many failed handshakes") == NULL)
		fail_msg("4th: %s", msg);

	/* The limit is the peer's: a valid key from it is turned away too. */
	late = client_with(&limited, &admin_key, server_pk);
	assert_int_equal(ping_msg(late, msg, sizeof(msg)), BATON_RESOURCE_EXHAUSTED);

	/* It limits handshakes only: sessions and health go on. */
	assert_int_equal(ping_msg(early, NULL, 0), BATON_OK);
	keyless = client_with(&limited, NULL, NULL);
	assert_int_equal(baton_health_check(keyless, NULL, 5000, &serving, &(baton_result){ 0 }), BATON_OK);
	assert_int_equal(serving, BATON_SERVING);

	/* Before any database work: with PostgreSQL down the answer is the
	 * same. (PostgreSQL is back before anything is asserted.) */
	assert_int_equal(harness_pg_stop(&pg), 0);
	down = ping_msg(stranger_c, down_msg, sizeof(down_msg));
	assert_int_equal(harness_pg_restart(&pg), 0);
	{
		baton_client *h = client_with(&srv, NULL, NULL);
		int64_t give_up = harness_now_ms() + 15000;
		serving = BATON_SERVING_UNKNOWN;
		while (harness_now_ms() < give_up &&
		       (baton_health_check(h, NULL, 2000, &serving, &(baton_result){ 0 }) != BATON_OK ||
		           serving != BATON_SERVING))
			harness_sleep_ms(100);
		baton_client_close(h);
		assert_int_equal(serving, BATON_SERVING);
	}
	baton_client_close(keyless);
	baton_client_close(late);
	baton_client_close(stranger_c);
	baton_client_close(early);
	baton_key_wipe(&stranger);
	extra_stop(&limited);
	if (down != BATON_RESOURCE_EXHAUSTED)
		fail_msg("a rate-limited peer with the database down got %s (\"%s\"), not RESOURCE_EXHAUSTED: "
		         "the limit is checked after the database was asked", baton_status_str(down), down_msg);
}

/* ---- 8. revocation on this instance -------------------------------------------------- */

static void revoked_key_or_disabled_principal_loses_its_session_at_once(void **state)
{
	fixture_person revoked, disabled, reader;
	raw_session rs;
	baton_key reader_key;
	char msg[512], why[400];
	(void)state;

	person_add("revoked-agent", &revoked);
	person_add("disabled-agent", &disabled);
	person_add("reading-agent", &reader);

	/* Revoked key: the very next ping, and every new session, refused. */
	assert_int_equal(ping_msg(revoked.client, NULL, 0), BATON_OK);
	revoke_key(admin, revoked.key_id);
	assert_int_equal(ping_msg(revoked.client, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	if (strstr(msg, "revoked") == NULL)
		fail_msg("revoked: %s", msg);
	assert_int_equal(baton_session_open(revoked.client, 5000, &(baton_result){ 0 }), BATON_UNAUTHENTICATED);
	{
		baton_client *fresh = NULL;
		assert_int_equal(harness_client(&srv, revoked.key_file, &fresh), 0);
		assert_int_equal(ping_msg(fresh, NULL, 0), BATON_UNAUTHENTICATED);
		baton_client_close(fresh);
	}

	/* Disabled principal: the same. */
	assert_int_equal(ping_msg(disabled.client, NULL, 0), BATON_OK);
	disable_principal(admin, disabled.handle);
	assert_int_equal(ping_msg(disabled.client, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	if (strstr(msg, "disabled") == NULL)
		fail_msg("disabled: %s", msg);
	assert_int_equal(baton_session_open(disabled.client, 5000, &(baton_result){ 0 }), BATON_UNAUTHENTICATED);

	/* A database-backed call, and the raw session underneath: the server
	 * forgot it (renew), and the renewal is refused. */
	assert_int_equal(baton_key_file_read(reader.key_file, &reader_key, why, sizeof(why)), BATON_OK);
	session_open(&rs, &srv, &reader_key);
	assert_int_equal(list_orgs(reader.client, NULL, 0), BATON_OK);
	revoke_key(admin, reader.key_id);
	assert_int_equal(list_orgs(reader.client, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	{
		bytes ping = ping_inner("after revocation");
		Baton__V1__ReplyFrame *r = sealed_send(&rs, 1, ping, NULL);
		assert_refused(r, BATON_UNAUTHENTICATED, NULL, true);
		reply_free(r);
		free(ping.data);
		chan_client_hs hs;
		assert_int_equal(chan_client_hello(&hs, server_pk, reader_key.secret_key, clock_realtime_ms(), NULL),
		    CHAN_OK);
		r = hello_send(&srv, &hs.hello);
		assert_refused(r, BATON_UNAUTHENTICATED, "revoked", false);
		reply_free(r);
		chan_client_hs_wipe(&hs);
	}
	session_close(&rs);
	baton_key_wipe(&reader_key);
	fixture_person_close(&reader);
	fixture_person_close(&disabled);
	fixture_person_close(&revoked);
}

/* ---- 9. revocation on another instance -------------------------------------------------- */

/* Pings through c every 100 ms for up to 5 s until one fails; returns
 * that status (BATON_OK if none did) and the wait in *waited_ms. */
static baton_status ping_until_refused(baton_client *c, int64_t *waited_ms)
{
	int64_t t0 = harness_now_ms();
	baton_status s = BATON_OK;
	for (int i = 0; i <= 50 && (s = ping_msg(c, NULL, 0)) == BATON_OK; i++)
		harness_sleep_ms(100);
	*waited_ms = harness_now_ms() - t0;
	return s;
}

static void revocation_on_another_instance_ends_sessions_there(void **state)
{
	char keyf[400], adminf[400];
	fixture_person lister, pinger, leaver;
	baton_client *on_b_lister, *on_b_pinger, *on_b_leaver;
	int64_t waited;
	char msg[512];
	(void)state;

	snprintf(keyf, sizeof(keyf), "--key-file=%s", srv.key_file);
	snprintf(adminf, sizeof(adminf), "--admin-key-file=%s", srv.admin_key_file);
	const char *extra[] = { keyf, adminf, "--maintenance-ms=200", NULL };
	extra_start(&second, extra);

	person_add("remote-lister", &lister);
	person_add("remote-pinger", &pinger);
	person_add("remote-leaver", &leaver);
	assert_int_equal(harness_client(&second, lister.key_file, &on_b_lister), 0);
	assert_int_equal(harness_client(&second, pinger.key_file, &on_b_pinger), 0);
	assert_int_equal(harness_client(&second, leaver.key_file, &on_b_leaver), 0);
	assert_int_equal(list_orgs(on_b_lister, NULL, 0), BATON_OK);
	assert_int_equal(ping_msg(on_b_pinger, NULL, 0), BATON_OK);
	assert_int_equal(ping_msg(on_b_leaver, NULL, 0), BATON_OK);

	/* Through the first instance. */
	revoke_key(admin, lister.key_id);
	revoke_key(admin, pinger.key_id);
	disable_principal(admin, leaver.handle);

	/* A database-backed call on the second fails at once. */
	assert_int_equal(list_orgs(on_b_lister, msg, sizeof(msg)), BATON_UNAUTHENTICATED);

	/* Pings need no database: they end within the maintenance pass. */
	assert_int_equal(ping_until_refused(on_b_pinger, &waited), BATON_UNAUTHENTICATED);
	assert_true(waited <= 5000);
	assert_int_equal(ping_until_refused(on_b_leaver, &waited), BATON_UNAUTHENTICATED);
	assert_true(waited <= 5000);
	/* And no new session there either. */
	assert_int_equal(baton_session_open(on_b_pinger, 5000, &(baton_result){ 0 }), BATON_UNAUTHENTICATED);
	assert_int_equal(baton_session_open(on_b_leaver, 5000, &(baton_result){ 0 }), BATON_UNAUTHENTICATED);

	baton_client_close(on_b_leaver);
	baton_client_close(on_b_pinger);
	baton_client_close(on_b_lister);
	fixture_person_close(&leaver);
	fixture_person_close(&pinger);
	fixture_person_close(&lister);
	extra_stop(&second);
}

/* ---- 10. expiry and renewal ------------------------------------------------------------ */

static void expired_session_is_refused_and_libbaton_renews_it(void **state)
{
	const char *extra[] = { "--session-ttl-s=2", NULL };
	baton_session_stats st;
	baton_client *c;
	raw_session rs;
	Baton__V1__ReplyFrame *r, *inner;
	bytes ping;
	int calls = 0;
	(void)state;

	extra_start(&short_ttl, extra);

	/* The server keeps its own expiry, whatever the client does. */
	session_open(&rs, &short_ttl, &admin_key);
	assert_true(rs.expires_unix_ms >= clock_realtime_ms() + 1000);
	assert_true(rs.expires_unix_ms <= clock_realtime_ms() + 2500);
	ping = ping_inner("before expiry");
	inner = sealed_call(&rs, 1, ping);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	while (clock_realtime_ms() <= rs.expires_unix_ms + 100)
		harness_sleep_ms(50);
	r = sealed_send(&rs, 2, ping, NULL);
	assert_refused(r, BATON_UNAUTHENTICATED, NULL, true);
	reply_free(r);

	/* A session id the server never issued: renew. */
	{
		uint8_t sid[CHAN_SESSION_ID_BYTES];
		randombytes_buf(sid, sizeof(sid));
		bytes sealed = seal(&rs, 3, ping);
		bytes frame = outer_frame(sid, sizeof(sid), 3, sealed);
		r = raw_exchange(rs.sock, frame);
		assert_refused(r, BATON_UNAUTHENTICATED, "session unknown", true);
		reply_free(r);
		free(frame.data);
		free(sealed.data);
	}
	free(ping.data);
	session_close(&rs);

	/* libbaton renews by itself: ~5 s of calls, none fails. */
	c = client_with(&short_ttl, &admin_key, server_pk);
	int64_t until = harness_now_ms() + 5000;
	while (harness_now_ms() < until && calls < 500) {
		char msg[512];
		baton_status s = ping_msg(c, msg, sizeof(msg));
		if (s != BATON_OK)
			fail_msg("call %d failed: %s %s", calls, baton_status_str(s), msg);
		calls++;
		harness_sleep_ms(50);
	}
	baton_session_stats_get(c, &st);
	assert_true(st.handshakes >= 2);
	assert_true(st.handshakes < (uint64_t)calls); /* renewed per session, not per call */
	baton_client_close(c);
	extra_stop(&short_ttl);
}

/* ---- 11. unsealed calls ------------------------------------------------------------------ */

static void unsealed_calls_of_session_methods_are_refused(void **state)
{
	static const ProtobufCServiceDescriptor *const services[] = {
		&baton__v1__system__descriptor, &baton__v1__identity__descriptor,
	};
	static const char name[] = "unsealed-org";
	Baton__V1__ReplyFrame *r;
	nng_socket s = raw_dial(srv.url);
	bytes empty = { 0, NULL }, add = add_org_payload(name), ping = ping_payload("plain");
	uint8_t fake_sig[CHAN_SIG_BYTES] = { 0 };
	bytes sig = { sizeof(fake_sig), fake_sig };
	baton_serving serving;
	baton_client *keyless;
	char msg[512];
	(void)state;

	r = plain_call(s, M_PING, ping, NULL);
	assert_refused(r, BATON_UNAUTHENTICATED, "needs a session", false);
	reply_free(r);
	/* Every method but Handshake and Health, with the right payload or none. */
	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		for (unsigned k = 0; k < services[i]->n_methods; k++) {
			char method[160];
			snprintf(method, sizeof(method), "/%s/%s", services[i]->name, services[i]->methods[k].name);
			r = plain_call(s, method, strcmp(method, M_ADD_ORG) == 0 ? add : empty, NULL);
			if (r->status != BATON__V1__STATUS_CODE__UNAUTHENTICATED)
				fail_msg("%s unsealed: %d %s", method, r->status, r->message);
			assert_refused(r, BATON_UNAUTHENTICATED, "needs a session", false);
			reply_free(r);
		}
	}
	/* Health needs no key at all. */
	{
		Baton__V1__HealthCheckRequest hreq = BATON__V1__HEALTH_CHECK_REQUEST__INIT;
		bytes hp = msg_pack(&hreq.base);
		r = plain_call(s, M_HEALTH, hp, NULL);
		assert_int_equal(r->status, BATON__V1__STATUS_CODE__OK);
		Baton__V1__HealthCheckResponse *h =
		    baton__v1__health_check_response__unpack(NULL, r->payload.len, r->payload.data);
		assert_non_null(h);
		assert_int_equal(h->status, BATON__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
		baton__v1__health_check_response__free_unpacked(h, NULL);
		reply_free(r);
		/* A signature is only ever read inside a sealed frame. */
		r = plain_call(s, M_HEALTH, hp, &sig);
		assert_refused(r, BATON_INVALID_ARGUMENT, "signature", false);
		reply_free(r);
		free(hp.data);
	}
	r = plain_call(s, M_ADD_ORG, add, &sig);
	assert_refused(r, BATON_INVALID_ARGUMENT, "signature", false);
	reply_free(r);
	assert_int_equal(org_count(name), 0);

	/* libbaton without a key: health yes, anything else no. */
	keyless = client_with(&srv, NULL, NULL);
	assert_int_equal(baton_health_check(keyless, NULL, 5000, &serving, &(baton_result){ 0 }), BATON_OK);
	assert_int_equal(serving, BATON_SERVING);
	assert_int_equal(ping_msg(keyless, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
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
	raw_session rs, earlier;
	baton_key stranger;
	bytes payload = add_org_payload(name), other = add_org_payload("other-org"), plain;
	uint64_t counter = 0;
	long records;
	(void)state;

	assert_int_equal(baton_key_generate(&stranger), BATON_OK);
	session_open(&earlier, &srv, &admin_key);
	session_open(&rs, &srv, &admin_key);
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
		case 1: request_sign(&admin_key, rs.keys.binding, M_ADD_ORG, rid, other, sig); break;
		case 2: request_sign(&stranger, rs.keys.binding, M_ADD_ORG, rid, payload, sig); break;
		case 3: request_sign(&admin_key, earlier.keys.binding, M_ADD_ORG, rid, payload, sig); break;
		case 4: request_sign(&admin_key, rs.keys.binding, M_ADD_PRINC, rid, payload, sig); break;
		case 5: request_sign(&admin_key, rs.keys.binding, M_ADD_ORG, other_rid, payload, sig); break;
		case 6: request_sign(&admin_key, rs.keys.binding, M_ADD_ORG, rid, payload, sig); sig_len = 63; break;
		case 7: request_sign(&admin_key, rs.keys.binding, M_ADD_ORG, rid, payload, sig); use_rid = NULL; break;
		case 8: request_sign(&admin_key, rs.keys.binding, M_ADD_ORG, rid, payload, sig); rid_len = 15; break;
		}
		plain = inner_frame(M_ADD_ORG, use_rid, rid_len, payload, sig_len ? sig : NULL, sig_len);
		inner = sealed_call(&rs, ++counter, plain);
		if ((baton_status)inner->status != cases[i].want || strstr(inner->message, cases[i].text) == NULL)
			fail_msg("%s: got %s \"%s\"", cases[i].what, baton_status_str((baton_status)inner->status),
			    inner->message);
		reply_free(inner);
		free(plain.data);
	}
	assert_int_equal(org_count(name), 0);
	assert_int_equal(org_count("other-org"), 0);
	assert_int_equal(sql_long("SELECT count(*) FROM request_record"), records);

	/* A read-only method takes no signature. */
	{
		bytes none = { 0, NULL };
		request_sign(&admin_key, rs.keys.binding, M_LIST_ORGS, rid, none, sig);
		plain = inner_frame(M_LIST_ORGS, rid, sizeof(rid), none, sig, sizeof(sig));
		inner = sealed_call(&rs, ++counter, plain);
		assert_inner(inner, BATON_INVALID_ARGUMENT, "takes no signature");
		reply_free(inner);
		free(plain.data);
	}

	/* The same call, signed properly, runs: the refusals were the signature's. */
	request_sign(&admin_key, rs.keys.binding, M_ADD_ORG, rid, payload, sig);
	plain = inner_frame(M_ADD_ORG, rid, sizeof(rid), payload, sig, sizeof(sig));
	inner = sealed_call(&rs, ++counter, plain);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	free(plain.data);
	assert_int_equal(org_count(name), 1);

	free(payload.data);
	free(other.data);
	baton_key_wipe(&stranger);
	session_close(&earlier);
	session_close(&rs);
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
	raw_session rs;
	bytes ping, sealed, frame;
	(void)state;

	assert_non_null(f = fopen(srv.admin_key_file, "r"));
	while (fgets(line, sizeof(line), f) != NULL)
		if (sscanf(line, "secret-key: ed25519-secret:%63s", seed_text) == 1)
			break;
	fclose(f);
	assert_int_equal(strlen(seed_text), 43);
	sodium_bin2hex(seed_hex, sizeof(seed_hex), admin_key.secret_key, 32);

	session_open(&rs, &srv, &admin_key);
	sodium_bin2hex(c2s_hex, sizeof(c2s_hex), rs.keys.c2s, sizeof(rs.keys.c2s));
	sodium_bin2hex(s2c_hex, sizeof(s2c_hex), rs.keys.s2c, sizeof(rs.keys.s2c));
	ping = ping_inner("secret?");
	inner = sealed_call(&rs, 1, ping);
	assert_inner(inner, BATON_OK, NULL);
	reply_free(inner);
	sealed = seal(&rs, 2, ping);
	sealed.data[0] ^= 1;
	frame = outer_frame(rs.id, sizeof(rs.id), 2, sealed);
	r = raw_exchange(rs.sock, frame);
	assert_refused(r, BATON_UNAUTHENTICATED, NULL, false);
	reply_free(r);
	harness_sleep_ms(100); /* the call lines are written after the replies */

	const char *secrets[] = { seed_text, seed_hex, c2s_hex, s2c_hex };
	for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
		const char *needle[] = { secrets[i], NULL };
		assert_int_equal(harness_log_count(&srv, needle), 0);
	}
	free(frame.data);
	free(sealed.data);
	free(ping.data);
	session_close(&rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(tampered_sealed_frame_is_refused_and_not_executed),
		cmocka_unit_test(frames_of_another_direction_or_session_or_shape_are_refused),
		cmocka_unit_test(replayed_frame_is_refused_and_runs_once),
		cmocka_unit_test(replayed_handshake_is_refused_and_opens_no_session),
		cmocka_unit_test(replayed_handshake_is_refused_by_another_instance),
		cmocka_unit_test(client_pinned_to_another_server_key_is_refused),
		cmocka_unit_test(client_refuses_a_server_that_cannot_prove_the_pinned_key),
		cmocka_unit_test(unknown_key_is_refused_and_opens_no_session),
		cmocka_unit_test(handshake_time_outside_the_window_is_refused),
		cmocka_unit_test(forged_or_malformed_handshake_is_refused),
		cmocka_unit_test(failed_handshakes_are_rate_limited_per_peer),
		cmocka_unit_test(revoked_key_or_disabled_principal_loses_its_session_at_once),
		cmocka_unit_test(revocation_on_another_instance_ends_sessions_there),
		cmocka_unit_test(expired_session_is_refused_and_libbaton_renews_it),
		cmocka_unit_test(unsealed_calls_of_session_methods_are_refused),
		cmocka_unit_test(state_changing_call_needs_a_valid_signature_and_request_id),
		cmocka_unit_test(no_secret_reaches_the_server_log),
	};
	return cmocka_run_group_tests_name("integration: secure channel", tests, setup, teardown);
}
