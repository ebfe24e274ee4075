/* shiftfix.c - the shift tests' shared calls, people, racing threads and SQL (see shiftfix.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sodium.h>

#include "shiftfix.h"

/* People added beyond the registry (closed by the group teardown) and
 * extra clients (closed after each case). */
static fixture_person people[64];
static int            n_people;
static baton_client  *extra_clients[48];
static int            n_extra_clients;
static int            windows_handed_out;

/* ---- calls ------------------------------------------------------------------ */

bool shiftfix_changes_state(const char *method)
{
	static const char *const mutations[] = { "AddSlot", "PublishWeekly", "EditSlot", "CancelSlot", "ClaimSeat",
		"ReleaseSeat", "OfferSwap", "TakeSwap", "DecideSwap", "WithdrawSwap", "UndoSwap", "AddRotation",
		"AddOverride", "CreateTicket", "AddCustomerReply", "TakeTicket", "PassTicket", "ReplyTicket", "NoteTicket",
		"PendTicket", "ResolveTicket", "ReopenTicket", "SetTicketPolicy", "SetSlaContract", "Escalate",
		"ApproveEscalation", "RejectEscalation" };
	const char *name = strrchr(method, '/');

	name = name != NULL ? name + 1 : method;
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++)
		if (strcmp(name, mutations[i]) == 0)
			return true;
	return false;
}

uint8_t *shiftfix_pack(const ProtobufCMessage *req, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(req);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	protobuf_c_message_pack(req, buf);
	return buf;
}

baton_status shiftfix_call(baton_client *c, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply, char *msg, size_t msg_len)
{
	baton_result res;
	baton_status s;

	s = fixture_call(c, method, req, shiftfix_changes_state(method), reply_desc, reply, &res);
	if (msg != NULL)
		snprintf(msg, msg_len, "%s", res.message);
	baton_result_clear(&res);
	return s;
}

/* ---- slots and seats -------------------------------------------------------- */

/* Splits a comma-separated list into copy, filling list (at most cap). */
static size_t split(const char *csv, char *copy, size_t copy_len, char **list, size_t cap)
{
	char *save = NULL;
	size_t n = 0;

	if (csv == NULL)
		return 0;
	snprintf(copy, copy_len, "%s", csv);
	for (char *t = strtok_r(copy, ",", &save); t != NULL && n < cap; t = strtok_r(NULL, ",", &save))
		list[n++] = t;
	return n;
}

baton_status shiftfix_slot_add(baton_client *c, const shiftfix_slot *spec, char *id, char *msg, size_t msg_len)
{
	Baton__V1__AddSlotRequest req = BATON__V1__ADD_SLOT_REQUEST__INIT;
	Baton__V1__AddSlotReply *rep = NULL;
	char orgs_copy[256], kinds_copy[256], *orgs[8], *kinds[8];
	baton_status s;

	req.queue = (char *)(spec->queue != NULL ? spec->queue : "billing");
	req.language = (char *)(spec->language != NULL ? spec->language : "en");
	req.starts_unix_ms = spec->starts_ms;
	req.ends_unix_ms = spec->ends_ms;
	req.seats = spec->seats != 0 ? spec->seats : 1;
	req.open_to_orgs = orgs;
	req.n_open_to_orgs = split(spec->orgs, orgs_copy, sizeof(orgs_copy), orgs, 8);
	req.open_to_kinds = kinds;
	req.n_open_to_kinds = split(spec->kinds, kinds_copy, sizeof(kinds_copy), kinds, 8);
	req.release_cutoff_s = spec->cutoff_s;
	req.swap_approval = (char *)(spec->swap_approval != NULL ? spec->swap_approval : "");
	req.note = (char *)(spec->note != NULL ? spec->note : "");
	s = shiftfix_call(c, SH_ADD_SLOT, &req.base, &baton__v1__add_slot_reply__descriptor, (ProtobufCMessage **)&rep,
	    msg, msg_len);
	if (s == BATON_OK) {
		if (id != NULL)
			snprintf(id, 40, "%s", rep->slot->id);
		baton__v1__add_slot_reply__free_unpacked(rep, NULL);
	}
	return s;
}

void shiftfix_slot_must(baton_client *c, const shiftfix_slot *spec, char id[40])
{
	char msg[512];
	baton_status s = shiftfix_slot_add(c, spec, id, msg, sizeof(msg));

	if (s != BATON_OK)
		print_error("AddSlot %s/%s: %s: %s\n", spec->queue != NULL ? spec->queue : "billing",
		    spec->language != NULL ? spec->language : "en", baton_status_str(s), msg);
	assert_int_equal(s, BATON_OK);
}

baton_status shiftfix_claim(baton_client *c, const char *slot, const char *for_principal, char *claim_id,
    char *msg, size_t msg_len)
{
	Baton__V1__ClaimSeatRequest req = BATON__V1__CLAIM_SEAT_REQUEST__INIT;
	Baton__V1__ClaimSeatReply *rep = NULL;
	baton_status s;

	req.slot = (char *)slot;
	req.for_principal = (char *)(for_principal != NULL ? for_principal : "");
	s = shiftfix_call(c, SH_CLAIM_SEAT, &req.base, &baton__v1__claim_seat_reply__descriptor,
	    (ProtobufCMessage **)&rep, msg, msg_len);
	if (s == BATON_OK) {
		if (claim_id != NULL)
			snprintf(claim_id, 40, "%s", rep->claim->id);
		baton__v1__claim_seat_reply__free_unpacked(rep, NULL);
	}
	return s;
}

void shiftfix_claim_must(baton_client *c, const char *slot, const char *for_principal, char claim_id[40])
{
	char msg[512];
	baton_status s = shiftfix_claim(c, slot, for_principal, claim_id, msg, sizeof(msg));

	if (s != BATON_OK)
		print_error("ClaimSeat %s for '%s': %s: %s\n", slot, for_principal != NULL ? for_principal : "",
		    baton_status_str(s), msg);
	assert_int_equal(s, BATON_OK);
}

baton_status shiftfix_release(baton_client *c, const char *claim, const char *for_principal, char *msg,
    size_t msg_len)
{
	Baton__V1__ReleaseSeatRequest req = BATON__V1__RELEASE_SEAT_REQUEST__INIT;

	req.claim = (char *)claim;
	req.for_principal = (char *)(for_principal != NULL ? for_principal : "");
	req.reason = "test";
	return shiftfix_call(c, SH_RELEASE_SEAT, &req.base, NULL, NULL, msg, msg_len);
}

baton_status shiftfix_cancel(baton_client *c, const char *slot, bool rest_of_series,
    Baton__V1__CancelSlotReply **out, char *msg, size_t msg_len)
{
	Baton__V1__CancelSlotRequest req = BATON__V1__CANCEL_SLOT_REQUEST__INIT;
	Baton__V1__CancelSlotReply *rep = NULL;
	baton_status s;

	req.slot = (char *)slot;
	req.reason = "weather";
	req.rest_of_series = rest_of_series;
	s = shiftfix_call(c, SH_CANCEL_SLOT, &req.base, &baton__v1__cancel_slot_reply__descriptor,
	    (ProtobufCMessage **)&rep, msg, msg_len);
	if (out != NULL)
		*out = rep;
	else if (rep != NULL)
		baton__v1__cancel_slot_reply__free_unpacked(rep, NULL);
	return s;
}

baton_status shiftfix_show(baton_client *c, const char *slot, Baton__V1__ShowSlotReply **out, char *msg,
    size_t msg_len)
{
	Baton__V1__ShowSlotRequest req = BATON__V1__SHOW_SLOT_REQUEST__INIT;
	Baton__V1__ShowSlotReply *rep = NULL;
	baton_status s;

	req.slot = (char *)slot;
	s = shiftfix_call(c, SH_SHOW_SLOT, &req.base, &baton__v1__show_slot_reply__descriptor,
	    (ProtobufCMessage **)&rep, msg, msg_len);
	if (out != NULL)
		*out = rep;
	else if (rep != NULL)
		baton__v1__show_slot_reply__free_unpacked(rep, NULL);
	return s;
}

baton_status shiftfix_list(baton_client *c, int64_t from_ms, int64_t to_ms, bool include_cancelled,
    Baton__V1__ListSlotsReply **out, char *msg, size_t msg_len)
{
	Baton__V1__ListSlotsRequest req = BATON__V1__LIST_SLOTS_REQUEST__INIT;

	req.from_unix_ms = from_ms;
	req.to_unix_ms = to_ms;
	req.include_cancelled = include_cancelled;
	req.limit = 1000;
	return shiftfix_call(c, SH_LIST_SLOTS, &req.base, &baton__v1__list_slots_reply__descriptor,
	    (ProtobufCMessage **)out, msg, msg_len);
}

bool shiftfix_listed(const Baton__V1__ListSlotsReply *l, const char *slot_id)
{
	for (size_t i = 0; i < l->n_slots; i++)
		if (strcmp(l->slots[i]->id, slot_id) == 0)
			return true;
	return false;
}

/* ---- time --------------------------------------------------------------------- */

int64_t shiftfix_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t shiftfix_window(void)
{
	int64_t hour = shiftfix_now_ms() / SH_HOUR_MS * SH_HOUR_MS;

	return hour + 4 * SH_DAY_MS + (int64_t)(windows_handed_out++) * 30 * SH_HOUR_MS;
}

/* ---- people and clients -------------------------------------------------------- */

fixture_person *shiftfix_person(baton_client *as, const char *org, const char *handle, const char *role)
{
	fixture_person *p;
	baton_result res;
	baton_status s;

	assert_true(n_people < (int)(sizeof(people) / sizeof(people[0])));
	p = &people[n_people++];
	s = fixture_person_add(as, &registry.srv, registry.pg.dir, org, handle, role, p, &res);
	if (s != BATON_OK)
		print_error("adding %s (%s in %s): %s: %s\n", handle, role, org, baton_status_str(s), res.message);
	baton_result_clear(&res);
	assert_int_equal(s, BATON_OK);
	assert_int_equal(baton_session_open(p->client, 10000, &res), BATON_OK);
	baton_result_clear(&res);
	return p;
}

static fixture_person *racers[SHIFTFIX_RACERS];

fixture_person *const *shiftfix_racers(void)
{
	char handle[32];

	for (int i = 0; i < SHIFTFIX_RACERS; i++) {
		if (racers[i] != NULL)
			continue;
		snprintf(handle, sizeof(handle), "cap-%s-%02d", i % 2 ? "s" : "n", i / 2);
		racers[i] = shiftfix_person(registry.admin, i % 2 ? "cap-south" : "cap-north", handle, "agent");
	}
	return racers;
}

baton_client *shiftfix_client_of(const fixture_person *p)
{
	baton_client *c = NULL;
	baton_result res;

	assert_true(n_extra_clients < (int)(sizeof(extra_clients) / sizeof(extra_clients[0])));
	assert_int_equal(harness_client(&registry.srv, p->key_file, &c), 0);
	extra_clients[n_extra_clients++] = c;
	assert_int_equal(baton_session_open(c, 10000, &res), BATON_OK);
	baton_result_clear(&res);
	return c;
}

char shiftfix_north_id[40], shiftfix_south_id[40], shiftfix_madrid_id[40];

int shiftfix_setup(void **state)
{
	static const struct {
		const char *name, *kind, *langs;
		char       *id;
	} orgs[] = {
		{ "cap-north", "overflow", "en", shiftfix_north_id },
		{ "cap-south", "seasonal", "en,es", shiftfix_south_id },
		{ "madrid-es", "language", "es-ES", shiftfix_madrid_id },
	};
	baton_result res;

	if (registry_setup(state) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(orgs) / sizeof(orgs[0]); i++) {
		baton_status s = fixture_org_add(registry.admin, orgs[i].name, orgs[i].kind, orgs[i].langs, "UTC",
		    orgs[i].id, &res);
		if (s != BATON_OK)
			fprintf(stderr, "AddOrg %s: %s\n", orgs[i].name, res.message);
		baton_result_clear(&res);
		if (s != BATON_OK)
			return -1;
	}
	return registry_sqlf(NULL, 0, "UPDATE org SET languages = '{en}' WHERE kind = 'in_house'");
}

int shiftfix_cleanup(void **state)
{
	for (int i = 0; i < n_extra_clients; i++)
		baton_client_close(extra_clients[i]);
	n_extra_clients = 0;
	return registry_cleanup(state);
}

int shiftfix_teardown(void **state)
{
	(void)shiftfix_cleanup(state);
	for (int i = 0; i < n_people; i++)
		fixture_person_close(&people[i]);
	n_people = 0;
	memset(racers, 0, sizeof(racers));
	return registry_teardown(state);
}

/* ---- racing threads --------------------------------------------------------------- */

static void *race_one(void *arg)
{
	shiftfix_racer *r = arg;
	/* Long enough for 50 racers queueing on one row under sanitizers. */
	baton_call_options o = { .timeout_ms = 60000, .changes_state = shiftfix_changes_state(r->method) };

	if (r->same_id) {
		o.has_request_id = true;
		memcpy(o.request_id, r->request_id, 16);
	}
	pthread_barrier_wait(r->start);
	r->status = baton_call(r->client, r->method, r->request, r->request_len, &o, &r->res);
	return NULL;
}

uint8_t *shiftfix_racer_init(shiftfix_racer *r, baton_client *c, const char *method, const ProtobufCMessage *req)
{
	uint8_t *buf;

	*r = (shiftfix_racer){ .client = c, .method = method };
	buf = shiftfix_pack(req, &r->request_len);
	r->request = buf;
	return buf;
}

void shiftfix_race(shiftfix_racer *r, int n)
{
	pthread_barrier_t start;
	baton_result res;
	int started = 0;

	/* Sessions first, so that the calls, not the handshakes, race. */
	for (int i = 0; i < n; i++) {
		baton_status s = baton_session_open(r[i].client, 10000, &res);
		if (s != BATON_OK)
			print_error("racer %d: session: %s\n", i, res.message);
		baton_result_clear(&res);
		assert_int_equal(s, BATON_OK);
	}
	assert_int_equal(pthread_barrier_init(&start, NULL, (unsigned)n), 0);
	for (int i = 0; i < n; i++) {
		r[i].start = &start;
		memset(&r[i].res, 0, sizeof(r[i].res));
		if (pthread_create(&r[i].thread, NULL, race_one, &r[i]) != 0)
			break;
		started++;
	}
	/* A thread that could not start would leave the others at the barrier
	 * for ever; that is a broken machine, not a result. */
	if (started != n)
		abort();
	for (int i = 0; i < n; i++)
		pthread_join(r[i].thread, NULL);
	pthread_barrier_destroy(&start);
}

/* ---- checks ------------------------------------------------------------------------- */

void shiftfix_expect(const char *what, baton_status got, const char *msg, baton_status want, const char *says)
{
	if (got != want || (says != NULL && strstr(msg, says) == NULL))
		print_error("%s: got %s \"%s\", want %s%s%s%s\n", what, baton_status_str(got), msg,
		    baton_status_str(want), says != NULL ? " saying \"" : "", says != NULL ? says : "",
		    says != NULL ? "\"" : "");
	assert_int_equal(got, want);
	if (says != NULL)
		assert_non_null(strstr(msg, says));
}

/* ---- the database ------------------------------------------------------------------ */

void shiftfix_snapshot(char out[256])
{
	assert_int_equal(registry_sqlf(out, 256,
	                     "SELECT (SELECT md5(coalesce(string_agg(s::text, ',' ORDER BY s.id), '')) FROM slot s)"
	                     " || (SELECT md5(coalesce(string_agg(c::text, ',' ORDER BY c.id), '')) FROM claim c)"
	                     " || (SELECT count(*) FROM event)"),
	    0);
}

long shiftfix_active_on(const char *slot)
{
	return registry_sqln("SELECT count(*) FROM claim WHERE slot_id = '%s' AND released_at IS NULL", slot);
}

long shiftfix_seats_taken(const char *slot)
{
	return registry_sqln("SELECT seats_taken FROM slot WHERE id = '%s'", slot);
}

long shiftfix_events_signed(const char *kind, const char *subject, const char *actor_id)
{
	char where_subject[120] = "", where_actor[120] = "";

	if (subject != NULL)
		snprintf(where_subject, sizeof(where_subject), " AND subject_id = '%s'", subject);
	if (actor_id != NULL)
		snprintf(where_actor, sizeof(where_actor), " AND actor_id = '%s'", actor_id);
	return registry_sqln("SELECT count(*) FROM event WHERE kind = '%s'%s%s AND octet_length(signature) = 64",
	    kind, where_subject, where_actor);
}

/* Column column of event id as bytes into out (cap), via hex; returns the length. */
static size_t event_bytes(long id, const char *column, uint8_t *out, size_t cap)
{
	char hex[8192];
	size_t n = 0;

	assert_int_equal(registry_sqlf(hex, sizeof(hex), "SELECT coalesce(encode(%s, 'hex'), '') FROM event WHERE id = %ld",
	                     column, id), 0);
	assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL), 0);
	return n;
}

long shiftfix_events_verify(const char *kind, const char *subject, const char *actor_id)
{
	long n = registry_sqln("SELECT count(*) FROM event WHERE kind = '%s' AND subject_id = '%s'", kind, subject);

	for (long i = 0; i < n; i++) {
		uint8_t sig[64], binding[32], rid[16], pk[32], payload[4096], m[512], hash[32];
		char method[128], actor[40], key_hex[80];
		size_t len = 0, method_len;
		long id = registry_sqln("SELECT id FROM event WHERE kind = '%s' AND subject_id = '%s' ORDER BY id OFFSET %ld",
		    kind, subject, i);

		assert_int_equal(registry_sqlf(actor, sizeof(actor), "SELECT coalesce(actor_id::text, '') FROM event WHERE id = %ld",
		                     id), 0);
		assert_string_equal(actor, actor_id);
		assert_int_equal(registry_sqlf(method, sizeof(method), "SELECT coalesce(method, '') FROM event WHERE id = %ld", id),
		    0);
		assert_int_equal(registry_sqlf(key_hex, sizeof(key_hex),
		                     "SELECT encode(k.public_key, 'hex') FROM event e JOIN principal_key k ON k.id = e.actor_key_id"
		                     " WHERE e.id = %ld AND k.principal_id = e.actor_id", id), 0);
		assert_int_equal(sodium_hex2bin(pk, sizeof(pk), key_hex, strlen(key_hex), NULL, &len, NULL), 0);
		assert_int_equal(len, 32);
		assert_int_equal(event_bytes(id, "signature", sig, sizeof(sig)), 64);
		assert_int_equal(event_bytes(id, "session_binding", binding, sizeof(binding)), 32);
		assert_int_equal(event_bytes(id, "request_id", rid, sizeof(rid)), 16);
		size_t payload_len = event_bytes(id, "request_payload", payload, sizeof(payload));

		/* M = "baton/1 request" || binding || u16 len(method) || method || request_id || H(payload) */
		method_len = strlen(method);
		assert_true(method_len > 0 && method_len < 256);
		len = 0;
		memcpy(m + len, "baton/1 request", 15), len += 15;
		memcpy(m + len, binding, 32), len += 32;
		m[len++] = (uint8_t)(method_len & 0xff);
		m[len++] = (uint8_t)(method_len >> 8);
		memcpy(m + len, method, method_len), len += method_len;
		memcpy(m + len, rid, 16), len += 16;
		assert_int_equal(crypto_generichash(hash, 32, payload, payload_len, NULL, 0), 0);
		memcpy(m + len, hash, 32), len += 32;
		if (crypto_sign_verify_detached(sig, m, len, pk) != 0)
			print_error("event %ld (%s about %s): the signature does not verify\n", id, kind, subject);
		assert_int_equal(crypto_sign_verify_detached(sig, m, len, pk), 0);
	}
	return n;
}

long shiftfix_events_of_org(const char *kind, const char *subject, const char *org_id)
{
	if (org_id[0] == '\0')
		return registry_sqln("SELECT count(*) FROM event WHERE kind = '%s' AND subject_id = '%s'"
		                     " AND org_id IS NULL", kind, subject);
	return registry_sqln("SELECT count(*) FROM event WHERE kind = '%s' AND subject_id = '%s' AND org_id = '%s'",
	    kind, subject, org_id);
}

int shiftfix_sql_refused(const char *sql, char sqlstate[6], char *why, size_t why_len)
{
	char conninfo[600];
	const char *f;
	PGconn *c;
	PGresult *r;
	int refused = 0;
	size_t n = 0;

	harness_pg_conninfo_for(&registry.pg, "baton", conninfo, sizeof(conninfo));
	snprintf(sqlstate, 6, "00000");
	why[0] = '\0';
	c = PQconnectdb(conninfo);
	assert_int_equal(PQstatus(c), CONNECTION_OK);
	r = PQexec(c, "SELECT set_config('baton.scope', 'all', false)");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	PQclear(r);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
		refused = 1;
		if ((f = PQresultErrorField(r, PG_DIAG_SQLSTATE)) != NULL)
			snprintf(sqlstate, 6, "%s", f);
		if ((f = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY)) != NULL)
			n += (size_t)snprintf(why + n, why_len - n, "%s", f);
		if (n < why_len && (f = PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME)) != NULL)
			n += (size_t)snprintf(why + n, why_len - n, " | constraint %s", f);
		if (n < why_len && (f = PQresultErrorField(r, PG_DIAG_CONTEXT)) != NULL)
			snprintf(why + n, why_len - n, " | %s", f);
	}
	PQclear(r);
	PQfinish(c);
	return refused;
}
