/* test_identity_once.c - tries to break exactly-once (real batond, real PostgreSQL): concurrent resends, request ids, restarts and other instances, record clean-up, signed events. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>

#include <cmocka.h>
#include <sodium.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "baton/v1/identity.pb-c.h"
#include "fixture.h"
#include "harness.h"
#include "registry.h"

/* The agent one case disables (the group teardown closes it). */
static fixture_person target;

/* ---- 7. exactly once, concurrently ------------------------------------------- */

typedef struct resender {
	pthread_t          thread;
	pthread_barrier_t *start;
	baton_client      *client;
	const char        *method;
	const uint8_t     *request;
	size_t             request_len;
	baton_call_options opts;
	baton_result       res;
	baton_status       status;
} resender;

static void *resend(void *arg)
{
	resender *r = arg;
	if (r->start != NULL)
		pthread_barrier_wait(r->start);
	r->status = baton_call(r->client, r->method, r->request, r->request_len, &r->opts, &r->res);
	return NULL;
}

/* Packs msg into a malloc'ed buffer (caller frees). */
static uint8_t *pack(const ProtobufCMessage *msg, size_t *len)
{
	uint8_t *buf;

	*len = protobuf_c_message_get_packed_size(msg);
	buf = malloc(*len + 1);
	assert_non_null(buf);
	protobuf_c_message_pack(msg, buf);
	return buf;
}

/* Sends the same call from n clients at once, all with request_id, or each
 * with a fresh one when request_id is NULL; every result stays in r[i].res. */
static void resend_together(resender *r, baton_client *const *clients, int n, const char *method,
    const uint8_t *req, size_t len, const uint8_t request_id[16])
{
	pthread_barrier_t start;

	assert_int_equal(pthread_barrier_init(&start, NULL, (unsigned)n), 0);
	for (int i = 0; i < n; i++) {
		r[i] = (resender){ .start = &start, .client = clients[i], .method = method, .request = req,
			.request_len = len, .opts = { .timeout_ms = 20000, .has_request_id = true, .changes_state = true } };
		if (request_id != NULL)
			memcpy(r[i].opts.request_id, request_id, 16);
		else
			randombytes_buf(r[i].opts.request_id, 16);
		assert_int_equal(pthread_create(&r[i].thread, NULL, resend, &r[i]), 0);
	}
	for (int i = 0; i < n; i++)
		pthread_join(r[i].thread, NULL);
	pthread_barrier_destroy(&start);
}

enum { RESENDERS = 10 };

static void concurrent_resends_run_once_and_get_one_reply(void **state)
{
	Baton__V1__AddOrgRequest req = BATON__V1__ADD_ORG_REQUEST__INIT;
	Baton__V1__AddPrincipalRequest other = BATON__V1__ADD_PRINCIPAL_REQUEST__INIT;
	Baton__V1__AddOrgReply *rep;
	baton_client *clients[RESENDERS];
	harness_batond *other_instance;
	resender r[RESENDERS];
	uint8_t rid[16], *buf;
	char *langs[] = { "pt-BR", "pt" };
	char rid_hex[33];
	baton_result res;
	size_t len;
	(void)state;

	randombytes_buf(rid, sizeof(rid));
	sodium_bin2hex(rid_hex, sizeof(rid_hex), rid, sizeof(rid));
	/* Half of them go through a second instance, as retries behind a load
	 * balancer would. */
	other_instance = registry_extra_start(registry.pg.conninfo, NULL, true);
	for (int i = 0; i < RESENDERS; i++) {
		clients[i] = registry_client_for(i % 2 ? other_instance : &registry.srv, NULL);
		assert_int_equal(baton_session_open(clients[i], 10000, &res), BATON_OK);
	}
	req.name = "once-brasil";
	req.kind = "seasonal";
	req.languages = langs;
	req.n_languages = 2;
	req.time_zone = "America/Sao_Paulo";
	buf = pack(&req.base, &len);

	resend_together(r, clients, RESENDERS, ADD_ORG, buf, len, rid);
	for (int i = 0; i < RESENDERS; i++) {
		if (r[i].status != BATON_OK)
			print_error("resend %d: %s: %s\n", i, baton_status_str(r[i].status), r[i].res.message);
		assert_int_equal(r[i].status, BATON_OK);
		assert_memory_equal(r[i].res.request_id, rid, 16);
		assert_int_equal(r[i].res.payload_len, r[0].res.payload_len);
		assert_memory_equal(r[i].res.payload, r[0].res.payload, r[0].res.payload_len);
	}
	rep = baton__v1__add_org_reply__unpack(NULL, r[0].res.payload_len, r[0].res.payload);
	assert_non_null(rep);
	assert_string_equal(rep->org->name, "once-brasil");
	assert_int_equal(registry_sqln("SELECT count(*) FROM org WHERE name = 'once-brasil'"), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event WHERE kind = 'org.added' AND subject_id = '%s'",
	                     rep->org->id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM request_record WHERE request_id = decode('%s', 'hex')",
	                     rid_hex), 1);
	for (int i = 0; i < RESENDERS; i++)
		baton_result_clear(&r[i].res);
	free(buf);

	/* The same id with another body is refused, and nothing is created. */
	long events = registry_event_count();
	req.name = "once-brasil-2";
	buf = pack(&req.base, &len);
	resend_together(r, clients, 2, ADD_ORG, buf, len, rid);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r[i].status, BATON_INVALID_ARGUMENT);
		assert_non_null(strstr(r[i].res.message, rid_hex));
		baton_result_clear(&r[i].res);
	}
	free(buf);
	assert_int_equal(registry_sqln("SELECT count(*) FROM org WHERE name = 'once-brasil-2'"), 0);

	/* The same id on another method is refused too. */
	other.org = "once-brasil";
	other.handle = "once-agent";
	other.display_name = "Once";
	other.role = "agent";
	other.public_key = "";
	buf = pack(&other.base, &len);
	resend_together(r, clients, 1, ADD_PRINCIPAL, buf, len, rid);
	assert_int_equal(r[0].status, BATON_INVALID_ARGUMENT);
	assert_non_null(strstr(r[0].res.message, ADD_ORG));
	baton_result_clear(&r[0].res);
	free(buf);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal WHERE handle = 'once-agent'"), 0);
	assert_int_equal(registry_event_count(), events);

	/* The first body still gets the first reply. */
	req.name = "once-brasil";
	buf = pack(&req.base, &len);
	resend_together(r, clients + 3, 1, ADD_ORG, buf, len, rid);
	assert_int_equal(r[0].status, BATON_OK);
	assert_int_equal(r[0].res.payload_len, baton__v1__add_org_reply__get_packed_size(rep));
	Baton__V1__AddOrgReply *again = baton__v1__add_org_reply__unpack(NULL, r[0].res.payload_len, r[0].res.payload);
	assert_non_null(again);
	assert_string_equal(again->org->id, rep->org->id);
	baton__v1__add_org_reply__free_unpacked(again, NULL);
	baton__v1__add_org_reply__free_unpacked(rep, NULL);
	baton_result_clear(&r[0].res);
	free(buf);
}

/* A request id belongs to the principal that sent it: another principal's
 * call with the same id runs as its own call. */
static void request_ids_are_per_principal(void **state)
{
	Baton__V1__AddOrgRequest org = BATON__V1__ADD_ORG_REQUEST__INIT;
	Baton__V1__AddPrincipalRequest p = BATON__V1__ADD_PRINCIPAL_REQUEST__INIT;
	Baton__V1__AddPrincipalReply *rep;
	baton_call_options o = { .timeout_ms = 10000, .has_request_id = true, .changes_state = true };
	baton_result res;
	(void)state;

	randombytes_buf(o.request_id, sizeof(o.request_id));
	org.name = "shared-id-org";
	org.kind = "overflow";
	org.time_zone = "UTC";
	assert_int_equal(registry_call(registry.admin, ADD_ORG, &org.base, &o, &res), BATON_OK);
	baton_result_clear(&res);

	p.org = "warsaw-nights";
	p.handle = "wn-shared-id";
	p.display_name = "Shared id";
	p.role = "agent";
	p.public_key = "";
	assert_int_equal(registry_call(registry.wn_mgr.client, ADD_PRINCIPAL, &p.base, &o, &res), BATON_OK);
	rep = baton__v1__add_principal_reply__unpack(NULL, res.payload_len, res.payload);
	assert_non_null(rep);
	assert_string_equal(rep->principal->handle, "wn-shared-id");
	baton__v1__add_principal_reply__free_unpacked(rep, NULL);
	baton_result_clear(&res);

	p.org = "sol-latino";
	p.handle = "sl-shared-id";
	assert_int_equal(registry_call(registry.sl_mgr.client, ADD_PRINCIPAL, &p.base, &o, &res), BATON_OK);
	baton_result_clear(&res);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal"
	                               " WHERE handle IN ('wn-shared-id', 'sl-shared-id')"), 2);
	assert_int_equal(registry_sqln("SELECT count(*) FROM org WHERE name = 'shared-id-org'"), 1);
}

/* Two admins (or an admin and a manager) disabling one agent at the same
 * moment: it is disabled once, one event, the others are told it already is. */
static void concurrent_disables_take_effect_once(void **state)
{
	Baton__V1__DisablePrincipalRequest req = BATON__V1__DISABLE_PRINCIPAL_REQUEST__INIT;
	baton_client *clients[RESENDERS];
	resender r[RESENDERS];
	baton_result res;
	uint8_t *buf;
	size_t len;
	int ok = 0, already = 0;
	(void)state;

	assert_int_equal(registry_person_add(registry.wn_mgr.client, "warsaw-nights", "wn-target", "agent", &target),
	    0);
	for (int i = 0; i < RESENDERS; i++) {
		clients[i] = i == 0 ? registry.wn_mgr.client : registry_client_for(&registry.srv, NULL);
		assert_int_equal(baton_session_open(clients[i], 10000, &res), BATON_OK);
	}
	req.principal = target.id;
	req.reason = "at once";
	buf = pack(&req.base, &len);
	resend_together(r, clients, RESENDERS, DISABLE_PRINCIPAL, buf, len, NULL);
	for (int i = 0; i < RESENDERS; i++) {
		ok += r[i].status == BATON_OK;
		already += r[i].status == BATON_FAILED_PRECONDITION;
		baton_result_clear(&r[i].res);
	}
	free(buf);
	long events = registry_sqln(
	    "SELECT count(*) FROM event WHERE kind = 'principal.disabled' AND subject_id = '%s'", target.id);
	if (ok != 1 || events != 1)
		print_error("%d concurrent DisablePrincipal of one agent: %d OK, %d FAILED_PRECONDITION, "
		            "%ld principal.disabled events\n", RESENDERS, ok, already, events);
	assert_int_equal(ok + already, RESENDERS);
	assert_int_equal(ok, 1);
	assert_int_equal(events, 1);
}

/* ---- 8. exactly once across restarts and instances ------------------------- */

static void resend_after_restart_and_on_another_instance_gets_the_first_reply(void **state)
{
	Baton__V1__AddPrincipalRequest req = BATON__V1__ADD_PRINCIPAL_REQUEST__INIT;
	baton_call_options o = { .timeout_ms = 10000, .has_request_id = true, .changes_state = true };
	harness_batond *first, *second, *third;
	baton_client *both[2];
	resender r[2];
	baton_result res, again;
	uint8_t *buf;
	size_t len;
	(void)state;

	memcpy(o.request_id, "restart-request!", 16);
	req.org = "warsaw-nights";
	req.handle = "wn-restart";
	req.display_name = "Restart";
	req.role = "agent";
	req.public_key = "";
	buf = pack(&req.base, &len);

	first = registry_extra_start(registry.pg.conninfo, NULL, true);
	assert_int_equal(baton_call(registry_client_for(first, NULL), ADD_PRINCIPAL, buf, len, &o, &res), BATON_OK);
	assert_true(res.payload_len > 0);
	assert_int_equal(harness_batond_stop(first, SIGTERM, 15000), 0);

	/* A new batond on the same database, with the same keys. */
	second = registry_extra_start(registry.pg.conninfo, NULL, true);
	both[0] = registry_client_for(second, NULL);
	assert_int_equal(baton_call(both[0], ADD_PRINCIPAL, buf, len, &o, &again), BATON_OK);
	assert_int_equal(again.payload_len, res.payload_len);
	assert_memory_equal(again.payload, res.payload, res.payload_len);
	baton_result_clear(&again);

	/* And another one at the same time; both answer a resend sent to both at once. */
	third = registry_extra_start(registry.pg.conninfo, NULL, true);
	both[1] = registry_client_for(third, NULL);
	resend_together(r, both, 2, ADD_PRINCIPAL, buf, len, o.request_id);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r[i].status, BATON_OK);
		assert_int_equal(r[i].res.payload_len, res.payload_len);
		assert_memory_equal(r[i].res.payload, res.payload, res.payload_len);
		baton_result_clear(&r[i].res);
	}
	/* The long-running server too. */
	assert_int_equal(baton_call(registry.admin, ADD_PRINCIPAL, buf, len, &o, &again), BATON_OK);
	assert_memory_equal(again.payload, res.payload, res.payload_len);
	baton_result_clear(&again);

	assert_int_equal(registry_sqln("SELECT count(*) FROM principal WHERE handle = 'wn-restart'"), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event e JOIN principal p ON p.id::text = e.subject_id"
	                               " WHERE e.kind = 'principal.added' AND p.handle = 'wn-restart'"), 1);
	baton_result_clear(&res);
	free(buf);
	assert_int_equal(harness_batond_stop(second, SIGTERM, 15000), 0);
	assert_int_equal(harness_batond_stop(third, SIGTERM, 15000), 0);
}

/* ---- 9. records expire --------------------------------------------------------- */

static void old_request_records_are_cleaned_up(void **state)
{
	const char *flags[] = { "--maintenance-ms=200", NULL };
	Baton__V1__AddOrgRequest req = BATON__V1__ADD_ORG_REQUEST__INIT;
	baton_call_options o = { .timeout_ms = 10000, .has_request_id = true, .changes_state = true };
	char old_hex[33], fresh_hex[33];
	harness_batond *m;
	baton_client *c;
	baton_result res;
	long left = -1;
	(void)state;

	m = registry_extra_start(registry.pg.conninfo, flags, true);
	c = registry_client_for(m, NULL);
	req.kind = "overflow";
	req.time_zone = "UTC";

	randombytes_buf(o.request_id, 16);
	sodium_bin2hex(old_hex, sizeof(old_hex), o.request_id, 16);
	req.name = "record-old";
	assert_int_equal(registry_call(c, ADD_ORG, &req.base, &o, &res), BATON_OK);
	baton_result_clear(&res);
	randombytes_buf(o.request_id, 16);
	sodium_bin2hex(fresh_hex, sizeof(fresh_hex), o.request_id, 16);
	req.name = "record-fresh";
	assert_int_equal(registry_call(c, ADD_ORG, &req.base, &o, &res), BATON_OK);
	baton_result_clear(&res);

	assert_int_equal(registry_sqln("WITH u AS (UPDATE request_record SET created_at = now() - interval '49 hours'"
	                               " WHERE request_id = decode('%s', 'hex') RETURNING 1)"
	                               " SELECT count(*) FROM u", old_hex),
	    1);
	for (int64_t give_up = harness_now_ms() + 5000; harness_now_ms() < give_up; harness_sleep_ms(50))
		if ((left = registry_sqln("SELECT count(*) FROM request_record WHERE request_id = decode('%s', 'hex')",
		                old_hex)) == 0)
			break;
	assert_int_equal(left, 0);
	assert_int_equal(registry_sqln("SELECT count(*) FROM request_record WHERE request_id = decode('%s', 'hex')",
	                     fresh_hex), 1);
	assert_int_equal(harness_batond_stop(m, SIGTERM, 15000), 0);
}

/* ---- 10. signed events ------------------------------------------------------------ */

/* One bytea column of the event of kind about subject, as bytes. */
static size_t event_bytes(const char *column, const char *kind, const char *subject, uint8_t *out, size_t cap)
{
	char hex[8192];
	size_t n = 0;

	assert_int_equal(registry_sqlf(hex, sizeof(hex),
	                     "SELECT coalesce(encode(%s, 'hex'), 'null') FROM event WHERE kind = '%s' AND subject_id = '%s'",
	                     column, kind, subject),
	    0);
	assert_string_not_equal(hex, "null");
	assert_int_equal(sodium_hex2bin(out, cap, hex, strlen(hex), NULL, &n, NULL), 0);
	return n;
}

/* Checks the event's signature as an auditor would, from the rows alone. */
static void event_verifies(const char *kind, const char *subject, const char *actor_id, const char *method,
    const uint8_t request_id[16], const uint8_t *payload, size_t payload_len)
{
	uint8_t sig[128], binding[64], rid[32], pk[64], stored[4096], m[512], hash[32];
	size_t n_sig, n_binding, n_rid, n_pk, n_payload, len = 0, method_len = strlen(method);
	char text[128], actor_key[40];

	assert_int_equal(registry_sqlf(text, sizeof(text),
	                     "SELECT actor_id::text FROM event WHERE kind = '%s' AND subject_id = '%s'",
	                     kind, subject), 0);
	assert_string_equal(text, actor_id);
	assert_int_equal(registry_sqlf(text, sizeof(text),
	                     "SELECT method FROM event WHERE kind = '%s' AND subject_id = '%s'",
	                     kind, subject), 0);
	assert_string_equal(text, method);
	assert_int_equal(registry_sqlf(actor_key, sizeof(actor_key),
	                     "SELECT actor_key_id::text FROM event WHERE kind = '%s' AND subject_id = '%s'",
	                     kind, subject), 0);
	n_sig = event_bytes("signature", kind, subject, sig, sizeof(sig));
	n_binding = event_bytes("session_binding", kind, subject, binding, sizeof(binding));
	n_rid = event_bytes("request_id", kind, subject, rid, sizeof(rid));
	n_payload = event_bytes("request_payload", kind, subject, stored, sizeof(stored));
	assert_int_equal(n_sig, 64);
	assert_int_equal(n_binding, 32);
	assert_int_equal(n_rid, 16);
	assert_memory_equal(rid, request_id, 16);
	assert_int_equal(n_payload, payload_len);
	assert_memory_equal(stored, payload, payload_len);
	assert_int_equal(registry_sqlf(text, sizeof(text),
	                     "SELECT encode(public_key, 'hex') FROM principal_key WHERE id = '%s' AND principal_id = '%s'",
	                     actor_key, actor_id), 0);
	assert_int_equal(sodium_hex2bin(pk, sizeof(pk), text, strlen(text), NULL, &n_pk, NULL), 0);
	assert_int_equal(n_pk, 32);

	/* M = "baton/1 request" || binding || u16 len(method) || method || request_id || H(payload) */
	memcpy(m + len, "baton/1 request", 15), len += 15;
	memcpy(m + len, binding, 32), len += 32;
	m[len++] = (uint8_t)(method_len & 0xff);
	m[len++] = (uint8_t)(method_len >> 8);
	memcpy(m + len, method, method_len), len += method_len;
	memcpy(m + len, rid, 16), len += 16;
	assert_int_equal(crypto_generichash(hash, 32, stored, n_payload, NULL, 0), 0);
	memcpy(m + len, hash, 32), len += 32;
	assert_int_equal(len, 97 + method_len);
	assert_int_equal(crypto_sign_verify_detached(sig, m, len, pk), 0);
	/* The check means something: another payload does not verify. */
	stored[0] ^= 1;
	assert_int_equal(crypto_generichash(hash, 32, stored, n_payload, NULL, 0), 0);
	memcpy(m + len - 32, hash, 32);
	assert_int_not_equal(crypto_sign_verify_detached(sig, m, len, pk), 0);
}

static void events_carry_a_signature_that_verifies(void **state)
{
	Baton__V1__AddOrgRequest org = BATON__V1__ADD_ORG_REQUEST__INIT;
	Baton__V1__AddPrincipalRequest p = BATON__V1__ADD_PRINCIPAL_REQUEST__INIT;
	baton_call_options o = { .timeout_ms = 10000, .has_request_id = true, .changes_state = true };
	Baton__V1__AddOrgReply *org_rep;
	Baton__V1__AddPrincipalReply *p_rep;
	char why[400], text[128], hex[65];
	baton_key key;
	baton_result res;
	uint8_t *buf;
	size_t len;
	(void)state;

	randombytes_buf(o.request_id, 16);
	org.name = "signed-overflow";
	org.kind = "overflow";
	org.time_zone = "Europe/Lisbon";
	buf = pack(&org.base, &len);
	assert_int_equal(baton_call(registry.admin, ADD_ORG, buf, len, &o, &res), BATON_OK);
	org_rep = baton__v1__add_org_reply__unpack(NULL, res.payload_len, res.payload);
	assert_non_null(org_rep);
	event_verifies("org.added", org_rep->org->id, registry.admin_id, ADD_ORG, o.request_id, buf, len);
	/* The key that signed is the admin's key file's. */
	assert_int_equal(baton_key_file_read(registry.srv.admin_key_file, &key, why, sizeof(why)), BATON_OK);
	sodium_bin2hex(hex, sizeof(hex), key.public_key, 32);
	baton_key_wipe(&key);
	assert_int_equal(registry_sqlf(text, sizeof(text),
	                     "SELECT encode(k.public_key, 'hex') FROM event e JOIN principal_key k ON k.id = e.actor_key_id"
	                     " WHERE e.kind = 'org.added' AND e.subject_id = '%s'", org_rep->org->id), 0);
	assert_string_equal(text, hex);
	baton__v1__add_org_reply__free_unpacked(org_rep, NULL);
	baton_result_clear(&res);
	free(buf);

	/* A partner manager's change is signed by the manager. */
	randombytes_buf(o.request_id, 16);
	p.org = "warsaw-nights";
	p.handle = "wn-signed";
	p.display_name = "Signed";
	p.role = "agent";
	p.public_key = "";
	buf = pack(&p.base, &len);
	assert_int_equal(baton_call(registry.wn_mgr.client, ADD_PRINCIPAL, buf, len, &o, &res), BATON_OK);
	p_rep = baton__v1__add_principal_reply__unpack(NULL, res.payload_len, res.payload);
	assert_non_null(p_rep);
	event_verifies("principal.added", p_rep->principal->id, registry.wn_mgr.id, ADD_PRINCIPAL, o.request_id,
	    buf, len);
	baton__v1__add_principal_reply__free_unpacked(p_rep, NULL);
	baton_result_clear(&res);
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(concurrent_resends_run_once_and_get_one_reply, registry_cleanup),
		cmocka_unit_test_teardown(request_ids_are_per_principal, registry_cleanup),
		cmocka_unit_test_teardown(concurrent_disables_take_effect_once, registry_cleanup),
		cmocka_unit_test_teardown(resend_after_restart_and_on_another_instance_gets_the_first_reply,
		    registry_cleanup),
		cmocka_unit_test_teardown(old_request_records_are_cleaned_up, registry_cleanup),
		cmocka_unit_test_teardown(events_carry_a_signature_that_verifies, registry_cleanup),
	};
	return cmocka_run_group_tests_name("integration: identity, exactly once", tests, registry_setup,
	    registry_teardown);
}
