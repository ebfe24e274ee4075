/* test_identity.c - tries to break authorization, partner isolation and exactly-once (real batond, real PostgreSQL). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>

#include <cmocka.h>
#include <libpq-fe.h>
#include <sodium.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "baton/v1/identity.pb-c.h"
#include "fixture.h"
#include "harness.h"

#define ADD_ORG           "/baton.v1.Identity/AddOrg"
#define LIST_ORGS         "/baton.v1.Identity/ListOrgs"
#define ADD_PRINCIPAL     "/baton.v1.Identity/AddPrincipal"
#define LIST_PRINCIPALS   "/baton.v1.Identity/ListPrincipals"
#define DISABLE_PRINCIPAL "/baton.v1.Identity/DisablePrincipal"
#define ADD_KEY           "/baton.v1.Identity/AddKey"
#define REVOKE_KEY        "/baton.v1.Identity/RevokeKey"
#define WHOAMI            "/baton.v1.Identity/WhoAmI"

static harness_pg     pg;
static harness_batond srv;
static baton_client  *admin;
static char           admin_id[40], in_house_id[40], wn_id[40], sl_id[40];

/* The registry every test starts from (setup builds it). */
static fixture_person lead, integ, hq_mgr;
static fixture_person wn_mgr, wn_agent1, wn_agent2;
static fixture_person sl_mgr, sl_agent1, sl_agent2;
/* People single tests create and change. */
static fixture_person rotator, leaver, shield, target;
/* The first admin as a target (its client is the global admin). */
static fixture_person admin_p;

static fixture_person *const everyone[] = {
	&lead, &integ, &hq_mgr, &wn_mgr, &wn_agent1, &wn_agent2, &sl_mgr, &sl_agent1, &sl_agent2,
};
#define N_EVERYONE (sizeof(everyone) / sizeof(everyone[0]))

/* Extra batonds and clients a test starts; the per-test cleanup ends them
 * even when an assertion failed half-way. */
static harness_batond extras[6];
static int            n_extras;
static baton_client  *scratch[24];
static int            n_scratch;

/* ---- SQL ------------------------------------------------------------------ */

/* Runs sql (after fmt) through harness_sql, prefixed by prefix (statements
 * that set the row-level security scope for this connection). */
static int sql_scoped(const char *prefix, char *out, size_t len, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int sql_scoped(const char *prefix, char *out, size_t len, const char *fmt, va_list ap)
{
	char sql[4096];
	size_t n = (size_t)snprintf(sql, sizeof(sql), "%s", prefix);

	vsnprintf(sql + n, sizeof(sql) - n, fmt, ap);
	return harness_sql(&pg, NULL, sql, out, len);
}

/* As batond's in-house scope: sees every row. */
static int sqlf(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int sqlf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sql_scoped("SELECT set_config('baton.scope', 'all', false); ", out, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* A number from sqlf, or -1 on error. */
static long sqln(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static long sqln(const char *fmt, ...)
{
	char out[64];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sql_scoped("SELECT set_config('baton.scope', 'all', false); ", out, sizeof(out), fmt, ap);
	va_end(ap);
	return rc == 0 ? strtol(out, NULL, 10) : -1;
}

/* As batond scopes a partner's transaction: only org_id's rows. */
static int sql_as_org(const char *org_id, char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int sql_as_org(const char *org_id, char *out, size_t len, const char *fmt, ...)
{
	char prefix[200];
	va_list ap;
	int rc;

	snprintf(prefix, sizeof(prefix),
	    "SELECT set_config('baton.scope', 'org', false), set_config('baton.org', '%s', false); ", org_id);
	va_start(ap, fmt);
	rc = sql_scoped(prefix, out, len, fmt, ap);
	va_end(ap);
	return rc;
}

/* Runs sql as role on the test database and stores its SQLSTATE in state
 * ("00000" on success). Quiet: refusals are what some tests expect. */
static void sql_state(const char *role, const char *sql, char state[6])
{
	char conninfo[600];
	PGconn *c;
	PGresult *r;

	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 user=%s dbname=baton", pg.dir, role);
	c = PQconnectdb(conninfo);
	snprintf(state, 6, "08000");
	if (PQstatus(c) == CONNECTION_OK) {
		r = PQexec(c, sql);
		if (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK)
			snprintf(state, 6, "00000");
		else if (PQresultErrorField(r, PG_DIAG_SQLSTATE) != NULL)
			snprintf(state, 6, "%s", PQresultErrorField(r, PG_DIAG_SQLSTATE));
		PQclear(r);
	}
	PQfinish(c);
}

/* Runs sql as the superuser "postgres" (what role baton may not do). */
static int sql_as_postgres(const char *sql)
{
	char state[6];

	sql_state("postgres", sql, state);
	if (strcmp(state, "00000") != 0)
		fprintf(stderr, "as postgres: %s: SQLSTATE %s\n", sql, state);
	return strcmp(state, "00000") == 0 ? 0 : -1;
}

/* Asserts that sql, in org_id's partner scope, is refused by row-level
 * security (insufficient_privilege: "new row violates row-level security
 * policy"), not by some other error. */
static void refused_by_policy(const char *org_id, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void refused_by_policy(const char *org_id, const char *fmt, ...)
{
	char sql[2048], state[6];
	size_t n;
	va_list ap;

	n = (size_t)snprintf(sql, sizeof(sql),
	    "SELECT set_config('baton.scope', 'org', false), set_config('baton.org', '%s', false); ", org_id);
	va_start(ap, fmt);
	vsnprintf(sql + n, sizeof(sql) - n, fmt, ap);
	va_end(ap);
	sql_state("baton", sql, state);
	if (strcmp(state, "42501") != 0)
		print_error("%s: SQLSTATE %s, want 42501\n", sql, state);
	assert_string_equal(state, "42501");
}

/* What a principal looks like in the database: "keys:revoked:disabled". */
static void principal_state(const char *id, char *out, size_t len)
{
	assert_int_equal(sqlf(out, len,
	                     "SELECT (SELECT count(*) FROM principal_key WHERE principal_id = '%s') || ':' ||"
	                     " (SELECT count(*) FROM principal_key WHERE principal_id = '%s' AND revoked_at IS NOT NULL)"
	                     " || ':' || (SELECT disabled_at IS NOT NULL FROM principal WHERE id = '%s')",
	                     id, id, id),
	    0);
}

static long event_count(void)
{
	return sqln("SELECT count(*) FROM event");
}

/* ---- calls ---------------------------------------------------------------- */

static bool changes_state(const char *method)
{
	static const char *const mutations[] = { ADD_ORG, ADD_PRINCIPAL, DISABLE_PRINCIPAL, ADD_KEY, REVOKE_KEY };
	for (size_t i = 0; i < sizeof(mutations) / sizeof(mutations[0]); i++)
		if (strcmp(method, mutations[i]) == 0)
			return true;
	return false;
}

/* Packs msg and calls method; opts NULL means a fresh request id, signed
 * if the method changes state. res gets the result (caller clears). */
static baton_status call(baton_client *c, const char *method, const ProtobufCMessage *msg,
    const baton_call_options *opts, baton_result *res)
{
	baton_call_options o = { .timeout_ms = 10000, .changes_state = changes_state(method) };
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(len + 1);
	baton_status s;

	assert_non_null(buf);
	if (opts != NULL)
		o = *opts;
	protobuf_c_message_pack(msg, buf);
	s = baton_call(c, method, buf, len, &o, res);
	free(buf);
	return s;
}

/* call() that keeps only the status, or also the message when msg is not NULL. */
static baton_status call_status(baton_client *c, const char *method, const ProtobufCMessage *m,
    char *msg, size_t msg_len)
{
	baton_result res;
	baton_status s = call(c, method, m, NULL, &res);

	if (msg != NULL)
		snprintf(msg, msg_len, "%s", res.message);
	baton_result_clear(&res);
	return s;
}

static baton_status org_add(baton_client *c, const char *name, const char *kind, const char *lang,
    const char *tz, char *msg, size_t msg_len)
{
	Baton__V1__AddOrgRequest req = BATON__V1__ADD_ORG_REQUEST__INIT;
	char *langs[1] = { (char *)lang };

	req.name = (char *)name;
	req.kind = (char *)kind;
	req.time_zone = (char *)tz;
	req.languages = langs;
	req.n_languages = lang != NULL;
	return call_status(c, ADD_ORG, &req.base, msg, msg_len);
}

static baton_status principal_add(baton_client *c, const char *org, const char *handle, const char *role,
    const char *public_key, char *msg, size_t msg_len)
{
	Baton__V1__AddPrincipalRequest req = BATON__V1__ADD_PRINCIPAL_REQUEST__INIT;

	req.org = (char *)org;
	req.handle = (char *)handle;
	req.display_name = (char *)handle;
	req.role = (char *)role;
	req.public_key = (char *)(public_key != NULL ? public_key : "");
	return call_status(c, ADD_PRINCIPAL, &req.base, msg, msg_len);
}

/* DisablePrincipal; on OK and when out is not NULL, the reply (caller frees). */
static baton_status principal_disable(baton_client *c, const char *who, Baton__V1__DisablePrincipalReply **out,
    char *msg, size_t msg_len)
{
	Baton__V1__DisablePrincipalRequest req = BATON__V1__DISABLE_PRINCIPAL_REQUEST__INIT;
	Baton__V1__DisablePrincipalReply *rep = NULL;
	baton_result res;
	baton_status s;

	req.principal = (char *)who;
	req.reason = "test";
	s = fixture_call(c, DISABLE_PRINCIPAL, &req.base, true, &baton__v1__disable_principal_reply__descriptor,
	    (ProtobufCMessage **)&rep, &res);
	if (msg != NULL)
		snprintf(msg, msg_len, "%s", res.message);
	if (out != NULL)
		*out = rep;
	else if (rep != NULL)
		baton__v1__disable_principal_reply__free_unpacked(rep, NULL);
	baton_result_clear(&res);
	return s;
}

/* AddKey; on OK the new key's id goes to key_id (40 bytes, may be NULL). */
static baton_status key_add(baton_client *c, const char *who, const char *public_key, char *key_id,
    char *msg, size_t msg_len)
{
	Baton__V1__AddKeyRequest req = BATON__V1__ADD_KEY_REQUEST__INIT;
	Baton__V1__AddKeyReply *rep = NULL;
	baton_result res;
	baton_status s;

	req.principal = (char *)who;
	req.public_key = (char *)public_key;
	s = fixture_call(c, ADD_KEY, &req.base, true, &baton__v1__add_key_reply__descriptor,
	    (ProtobufCMessage **)&rep, &res);
	if (msg != NULL)
		snprintf(msg, msg_len, "%s", res.message);
	if (s == BATON_OK && key_id != NULL)
		snprintf(key_id, 40, "%s", rep->key->id);
	if (rep != NULL)
		baton__v1__add_key_reply__free_unpacked(rep, NULL);
	baton_result_clear(&res);
	return s;
}

static baton_status key_revoke(baton_client *c, const char *key, char *msg, size_t msg_len)
{
	Baton__V1__RevokeKeyRequest req = BATON__V1__REVOKE_KEY_REQUEST__INIT;

	req.key = (char *)key;
	req.reason = "test";
	return call_status(c, REVOKE_KEY, &req.base, msg, msg_len);
}

/* WhoAmI; on OK and when out is not NULL, the reply (caller frees). */
static baton_status whoami(baton_client *c, Baton__V1__WhoamiReply **out)
{
	Baton__V1__WhoamiRequest req = BATON__V1__WHOAMI_REQUEST__INIT;
	Baton__V1__WhoamiReply *rep = NULL;
	baton_status s;

	s = fixture_call(c, WHOAMI, &req.base, false, &baton__v1__whoami_reply__descriptor,
	    (ProtobufCMessage **)&rep, NULL);
	if (out != NULL)
		*out = rep;
	else if (rep != NULL)
		baton__v1__whoami_reply__free_unpacked(rep, NULL);
	return s;
}

static baton_status orgs_list(baton_client *c, Baton__V1__ListOrgsReply **out)
{
	Baton__V1__ListOrgsRequest req = BATON__V1__LIST_ORGS_REQUEST__INIT;
	return fixture_call(c, LIST_ORGS, &req.base, false, &baton__v1__list_orgs_reply__descriptor,
	    (ProtobufCMessage **)out, NULL);
}

static baton_status principals_list(baton_client *c, const char *org, bool include_disabled,
    Baton__V1__ListPrincipalsReply **out, char *msg, size_t msg_len)
{
	Baton__V1__ListPrincipalsRequest req = BATON__V1__LIST_PRINCIPALS_REQUEST__INIT;
	baton_result res;
	baton_status s;

	req.org = (char *)org;
	req.include_disabled = include_disabled;
	s = fixture_call(c, LIST_PRINCIPALS, &req.base, false, &baton__v1__list_principals_reply__descriptor,
	    (ProtobufCMessage **)out, &res);
	if (msg != NULL)
		snprintf(msg, msg_len, "%s", res.message);
	baton_result_clear(&res);
	return s;
}

static baton_status ping(baton_client *c)
{
	baton_result res;
	baton_status s = baton_ping(c, "hi", 2, 5000, &res);
	baton_result_clear(&res);
	return s;
}

/* A fresh printable public key that nobody registered. */
static void fresh_public_key(char out[BATON_PUBLIC_KEY_TEXT])
{
	baton_key k;
	assert_int_equal(baton_key_generate(&k), BATON_OK);
	baton_public_key_format(k.public_key, out);
	baton_key_wipe(&k);
}

/* ---- processes and clients that a test owns ------------------------------- */

static harness_batond *extra_start(const char *conninfo, const char *const *flags, bool wait)
{
	harness_batond *b;

	assert_true(n_extras < (int)(sizeof(extras) / sizeof(extras[0])));
	b = &extras[n_extras++];
	assert_int_equal(harness_batond_start(b, pg.dir, conninfo, flags, wait), 0);
	return b;
}

static baton_client *client_for(const harness_batond *b, const char *key_file)
{
	baton_client *c = NULL;

	assert_true(n_scratch < (int)(sizeof(scratch) / sizeof(scratch[0])));
	assert_int_equal(harness_client(b, key_file, &c), 0);
	scratch[n_scratch++] = c;
	return c;
}

/* Lines of b's log that a sanitizer wrote (under SAN=1). */
static int sanitizer_reports(const harness_batond *b)
{
	const char *asan[] = { "Sanitizer", NULL }, *ubsan[] = { "runtime error:", NULL };
	int n = harness_log_count(b, asan) + harness_log_count(b, ubsan);

	if (n > 0)
		fprintf(stderr, "sanitizer report in %s\n", b->log_path);
	return n;
}

static int cleanup(void **state)
{
	int reports = 0;
	(void)state;

	for (int i = 0; i < n_scratch; i++)
		baton_client_close(scratch[i]);
	n_scratch = 0;
	for (int i = 0; i < n_extras; i++) {
		if (extras[i].pid > 0)
			harness_batond_stop(&extras[i], SIGTERM, 15000);
		reports += sanitizer_reports(&extras[i]);
	}
	n_extras = 0;
	return reports == 0 ? 0 : -1;
}

/* ---- the registry ---------------------------------------------------------- */

static int person(baton_client *as, const char *org, const char *handle, const char *role, fixture_person *p)
{
	baton_result res;
	baton_status s = fixture_person_add(as, &srv, pg.dir, org, handle, role, p, &res);

	if (s != BATON_OK)
		fprintf(stderr, "adding %s (%s in %s): %s: %s\n", handle, role, org, baton_status_str(s), res.message);
	baton_result_clear(&res);
	return s == BATON_OK ? 0 : -1;
}

static int setup(void **state)
{
	Baton__V1__WhoamiReply *me;
	baton_result res;
	(void)state;

	if (sodium_init() < 0 || harness_pg_start(&pg) != 0 ||
	    harness_batond_start(&srv, pg.dir, pg.conninfo, NULL, true) != 0 ||
	    harness_client(&srv, NULL, &admin) != 0)
		return -1;
	if (whoami(admin, &me) != BATON_OK)
		return -1;
	snprintf(admin_id, sizeof(admin_id), "%s", me->principal->id);
	snprintf(in_house_id, sizeof(in_house_id), "%s", me->principal->org_id);
	snprintf(admin_p.handle, sizeof(admin_p.handle), "admin");
	snprintf(admin_p.id, sizeof(admin_p.id), "%s", admin_id);
	snprintf(admin_p.org_id, sizeof(admin_p.org_id), "%s", in_house_id);
	snprintf(admin_p.key_id, sizeof(admin_p.key_id), "%s", me->key_id);
	baton__v1__whoami_reply__free_unpacked(me, NULL);

	for (int i = 0; i < 2; i++) {
		baton_status s = i == 0
		    ? fixture_org_add(admin, "warsaw-nights", "after_hours", "pl,en", "Europe/Warsaw", wn_id, &res)
		    : fixture_org_add(admin, "sol-latino", "language", "es", "America/Bogota", sl_id, &res);
		if (s != BATON_OK)
			fprintf(stderr, "AddOrg: %s\n", res.message);
		baton_result_clear(&res);
		if (s != BATON_OK)
			return -1;
	}
	if (person(admin, "in-house", "hq-lead", "lead", &lead) != 0 ||
	    person(admin, "in-house", "hq-integration", "integration", &integ) != 0 ||
	    person(admin, "in-house", "hq-manager", "manager", &hq_mgr) != 0 ||
	    person(admin, "warsaw-nights", "wn-manager", "manager", &wn_mgr) != 0 ||
	    person(wn_mgr.client, "warsaw-nights", "wn-agent1", "agent", &wn_agent1) != 0 ||
	    person(wn_mgr.client, "warsaw-nights", "wn-agent2", "agent", &wn_agent2) != 0 ||
	    person(admin, "sol-latino", "sl-manager", "manager", &sl_mgr) != 0 ||
	    person(sl_mgr.client, "sol-latino", "sl-agent1", "agent", &sl_agent1) != 0 ||
	    person(sl_mgr.client, "sol-latino", "sl-agent2", "agent", &sl_agent2) != 0)
		return -1;
	return 0;
}

static int teardown(void **state)
{
	fixture_person *dedicated[] = { &rotator, &leaver, &shield, &target };
	int rc, extras_rc = cleanup(state);

	for (size_t i = 0; i < N_EVERYONE; i++)
		fixture_person_close(everyone[i]);
	for (size_t i = 0; i < sizeof(dedicated) / sizeof(dedicated[0]); i++)
		fixture_person_close(dedicated[i]);
	baton_client_close(admin);
	rc = harness_batond_stop(&srv, SIGTERM, 15000);
	if (sanitizer_reports(&srv) > 0)
		rc = -1;
	harness_pg_destroy(&pg);
	if (rc != 0) {
		fprintf(stderr, "batond exited with %d (log %s)\n", rc, srv.log_path);
		return -1;
	}
	return extras_rc;
}

/* ---- 1. bootstrap ---------------------------------------------------------- */

static void bootstrap_makes_one_admin_with_a_private_key_file(void **state)
{
	const char *created[] = { "\"event\":\"bootstrap_admin_created\"", srv.admin_key_file, NULL };
	const char *any_created[] = { "bootstrap_admin_created", NULL };
	const char *ready[] = { "\"event\":\"schema_ready\"", NULL };
	char why[400], hex[2 * BATON_PUBLIC_KEY_BYTES + 1], pub[BATON_PUBLIC_KEY_TEXT];
	Baton__V1__WhoamiReply *me;
	baton_key key, again;
	struct stat st;
	harness_batond *second;
	(void)state;

	assert_int_equal(stat(srv.admin_key_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(baton_key_file_read(srv.admin_key_file, &key, why, sizeof(why)), BATON_OK);
	sodium_bin2hex(hex, sizeof(hex), key.public_key, sizeof(key.public_key));
	baton_public_key_format(key.public_key, pub);
	assert_int_equal(sqln("SELECT count(*) FROM principal_key k JOIN principal p ON p.id = k.principal_id"
	                      " WHERE p.id = '%s' AND p.role = 'admin' AND k.revoked_at IS NULL"
	                      " AND k.public_key = decode('%s', 'hex')", admin_id, hex),
	    1);
	assert_int_equal(harness_log_count(&srv, created), 1);
	assert_int_equal(harness_log_count(&srv, any_created), 1);
	const char *names_key[] = { "bootstrap_admin_created", pub, NULL };
	assert_int_equal(harness_log_count(&srv, names_key), 1);

	/* A second batond on the same database and the same admin key path. */
	second = extra_start(pg.conninfo, NULL, true);
	assert_int_equal(harness_log_count(second, ready), 1);
	assert_int_equal(harness_log_count(second, any_created), 0);
	assert_int_equal(sqln("SELECT count(*) FROM principal WHERE role = 'admin'"), 1);
	assert_int_equal(baton_key_file_read(second->admin_key_file, &again, why, sizeof(why)), BATON_OK);
	assert_memory_equal(again.public_key, key.public_key, sizeof(key.public_key));
	assert_int_equal(whoami(client_for(second, NULL), &me), BATON_OK);
	assert_string_equal(me->principal->id, admin_id);
	assert_string_equal(me->principal->role, "admin");
	baton__v1__whoami_reply__free_unpacked(me, NULL);
	baton_key_wipe(&key);
	baton_key_wipe(&again);
	assert_int_equal(harness_batond_stop(second, SIGTERM, 15000), 0);
}

/* Waits until b answers Health with SERVING. */
static bool serving(const harness_batond *b, int timeout_ms)
{
	for (int64_t give_up = harness_now_ms() + timeout_ms; harness_now_ms() < give_up; harness_sleep_ms(50)) {
		baton_serving state = BATON_SERVING_UNKNOWN;
		baton_client *c = NULL;
		baton_result res;
		if (baton_client_open(&c, b->url, NULL, &res) == BATON_OK) {
			baton_status s = baton_health_check(c, NULL, 1000, &state, &res);
			baton_client_close(c);
			if (s == BATON_OK && state == BATON_SERVING)
				return true;
		}
	}
	return false;
}

/* Two instances starting at the same moment on an empty database (each
 * with its own folder, so its own key files) make one admin between them. */
static void two_first_starts_at_once_make_one_admin(void **state)
{
	const char *created[] = { "\"event\":\"bootstrap_admin_created\"", NULL };
	char conninfo[600], dir[2][400], out[64];
	harness_batond *b[2];
	struct stat st;
	int logged = 0, key_files = 0;
	(void)state;

	assert_int_equal(sql_as_postgres("CREATE DATABASE baton_two OWNER baton"), 0);
	harness_pg_conninfo_for(&pg, "baton_two", conninfo, sizeof(conninfo));
	for (int i = 0; i < 2; i++) {
		snprintf(dir[i], sizeof(dir[i]), "%s/first-start-%d", pg.dir, i);
		assert_int_equal(mkdir(dir[i], 0700), 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_true(n_extras < (int)(sizeof(extras) / sizeof(extras[0])));
		b[i] = &extras[n_extras++];
		assert_int_equal(harness_batond_start(b[i], dir[i], conninfo, NULL, false), 0);
	}
	for (int i = 0; i < 2; i++) {
		assert_true(serving(b[i], 20000));
		logged += harness_log_count(b[i], created);
		key_files += stat(b[i]->admin_key_file, &st) == 0;
	}
	assert_int_equal(harness_sql(&pg, "baton_two",
	                     "SELECT set_config('baton.scope', 'all', false);"
	                     " SELECT count(*) FROM principal WHERE role = 'admin'", out, sizeof(out)),
	    0);
	assert_string_equal(out, "1");
	assert_int_equal(logged, 1);
	assert_int_equal(key_files, 1);
	for (int i = 0; i < 2; i++)
		assert_int_equal(harness_batond_stop(b[i], SIGTERM, 15000), 0);
	assert_int_equal(sql_as_postgres("DROP DATABASE baton_two"), 0);
}

/* ---- 2. roles ---------------------------------------------------------------- */

typedef enum role_op {
	OP_ADD_ORG,       /* name */
	OP_ADD_PRINCIPAL, /* org, handle, role */
	OP_DISABLE,       /* target (by handle) */
	OP_ADD_KEY,       /* target (by handle), a fresh key */
	OP_REVOKE_KEY,    /* target's first key (by id) */
} role_op;

typedef struct role_case {
	const char     *name;
	fixture_person *who;
	role_op         op;
	const char     *org, *handle, *role; /* OP_ADD_ORG uses org as the new name */
	fixture_person *target;
	baton_status    want, or_else; /* or_else: an equally good refusal */
} role_case;

#define DENIED BATON_PERMISSION_DENIED, BATON_PERMISSION_DENIED
#define DENIED_OR_HIDDEN BATON_PERMISSION_DENIED, BATON_NOT_FOUND
#define ALLOWED BATON_OK, BATON_OK

static const role_case role_cases[] = {
	{ "agent AddOrg", &wn_agent1, OP_ADD_ORG, "rogue-a", NULL, NULL, NULL, DENIED },
	{ "lead AddOrg", &lead, OP_ADD_ORG, "rogue-b", NULL, NULL, NULL, DENIED },
	{ "integration AddOrg", &integ, OP_ADD_ORG, "rogue-c", NULL, NULL, NULL, DENIED },
	{ "partner manager AddOrg", &wn_mgr, OP_ADD_ORG, "rogue-d", NULL, NULL, NULL, DENIED },
	{ "in-house manager AddOrg", &hq_mgr, OP_ADD_ORG, "rogue-e", NULL, NULL, NULL, DENIED },
	{ "agent AddPrincipal in own org", &wn_agent1, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-1", "agent", NULL, DENIED },
	{ "lead AddPrincipal", &lead, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-2", "agent", NULL, DENIED },
	{ "integration AddPrincipal", &integ, OP_ADD_PRINCIPAL, "in-house", "rogue-3", "agent", NULL, DENIED },
	{ "partner manager adds a lead", &wn_mgr, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-4", "lead", NULL, DENIED },
	{ "partner manager adds an admin", &wn_mgr, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-5", "admin", NULL, DENIED },
	{ "partner manager adds an integration", &wn_mgr, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-6", "integration",
	    NULL, DENIED },
	{ "partner manager adds into another partner", &wn_mgr, OP_ADD_PRINCIPAL, "sol-latino", "rogue-7", "agent",
	    NULL, DENIED_OR_HIDDEN },
	{ "partner manager adds into in-house", &wn_mgr, OP_ADD_PRINCIPAL, "in-house", "rogue-8", "agent", NULL,
	    DENIED_OR_HIDDEN },
	{ "partner manager adds a manager into another partner", &sl_mgr, OP_ADD_PRINCIPAL, "warsaw-nights",
	    "rogue-9", "manager", NULL, DENIED_OR_HIDDEN },
	{ "in-house manager adds into a partner", &hq_mgr, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-10", "agent",
	    NULL, DENIED },
	{ "in-house manager adds a lead", &hq_mgr, OP_ADD_PRINCIPAL, "in-house", "rogue-11", "lead", NULL, DENIED },
	{ "in-house manager adds an admin", &hq_mgr, OP_ADD_PRINCIPAL, "in-house", "rogue-12", "admin", NULL, DENIED },
	{ "agent disables another agent", &wn_agent1, OP_DISABLE, NULL, NULL, NULL, &wn_agent2, DENIED },
	{ "agent disables own manager", &wn_agent1, OP_DISABLE, NULL, NULL, NULL, &wn_mgr, DENIED },
	{ "lead disables an agent", &lead, OP_DISABLE, NULL, NULL, NULL, &wn_agent2, DENIED },
	{ "integration disables an agent", &integ, OP_DISABLE, NULL, NULL, NULL, &sl_agent1, DENIED },
	{ "in-house manager disables a partner agent", &hq_mgr, OP_DISABLE, NULL, NULL, NULL, &wn_agent2, DENIED },
	{ "in-house manager disables the lead", &hq_mgr, OP_DISABLE, NULL, NULL, NULL, &lead, DENIED },
	{ "partner manager disables the lead", &wn_mgr, OP_DISABLE, NULL, NULL, NULL, &lead, DENIED_OR_HIDDEN },
	{ "agent adds a key to another agent", &wn_agent1, OP_ADD_KEY, NULL, NULL, NULL, &wn_agent2, DENIED },
	{ "agent adds a key to own manager", &wn_agent1, OP_ADD_KEY, NULL, NULL, NULL, &wn_mgr, DENIED },
	{ "lead adds a key to an agent", &lead, OP_ADD_KEY, NULL, NULL, NULL, &wn_agent2, DENIED },
	{ "integration adds a key to the lead", &integ, OP_ADD_KEY, NULL, NULL, NULL, &lead, DENIED },
	{ "in-house manager adds a key to a partner agent", &hq_mgr, OP_ADD_KEY, NULL, NULL, NULL, &sl_agent2, DENIED },
	{ "partner manager adds a key to the integration", &wn_mgr, OP_ADD_KEY, NULL, NULL, NULL, &integ,
	    DENIED_OR_HIDDEN },
	{ "agent revokes another agent's key", &wn_agent1, OP_REVOKE_KEY, NULL, NULL, NULL, &wn_agent2, DENIED },
	{ "agent revokes own manager's key", &wn_agent1, OP_REVOKE_KEY, NULL, NULL, NULL, &wn_mgr, DENIED },
	{ "lead revokes an agent's key", &lead, OP_REVOKE_KEY, NULL, NULL, NULL, &sl_agent2, DENIED },
	{ "integration revokes the lead's key", &integ, OP_REVOKE_KEY, NULL, NULL, NULL, &lead, DENIED },
	{ "in-house manager revokes a partner agent's key", &hq_mgr, OP_REVOKE_KEY, NULL, NULL, NULL, &sl_agent2,
	    DENIED },
	{ "partner manager revokes the lead's key", &wn_mgr, OP_REVOKE_KEY, NULL, NULL, NULL, &lead,
	    DENIED_OR_HIDDEN },
	/* Becoming the admin by giving it a key of one's own. */
	{ "in-house manager adds a key to the admin", &hq_mgr, OP_ADD_KEY, NULL, NULL, NULL, &admin_p, DENIED },
	{ "lead adds a key to the admin", &lead, OP_ADD_KEY, NULL, NULL, NULL, &admin_p, DENIED },
	{ "integration adds a key to the admin", &integ, OP_ADD_KEY, NULL, NULL, NULL, &admin_p, DENIED },
	{ "partner manager adds a key to the admin", &wn_mgr, OP_ADD_KEY, NULL, NULL, NULL, &admin_p, DENIED_OR_HIDDEN },
	{ "agent adds a key to the admin", &sl_agent1, OP_ADD_KEY, NULL, NULL, NULL, &admin_p, DENIED_OR_HIDDEN },
	{ "in-house manager revokes the admin's key", &hq_mgr, OP_REVOKE_KEY, NULL, NULL, NULL, &admin_p, DENIED },
	{ "in-house manager disables the admin", &hq_mgr, OP_DISABLE, NULL, NULL, NULL, &admin_p, DENIED },
	{ "lead disables the admin", &lead, OP_DISABLE, NULL, NULL, NULL, &admin_p, DENIED },
	/* What the roles are for, so the table is not all refusals. */
	{ "partner manager adds an agent to own org", &wn_mgr, OP_ADD_PRINCIPAL, "warsaw-nights", "wn-table-agent",
	    "agent", NULL, ALLOWED },
	{ "partner manager adds a manager to own org", &sl_mgr, OP_ADD_PRINCIPAL, "sol-latino", "sl-table-manager",
	    "manager", NULL, ALLOWED },
	{ "in-house manager adds an in-house agent", &hq_mgr, OP_ADD_PRINCIPAL, "in-house", "hq-table-agent",
	    "agent", NULL, ALLOWED },
	{ "partner manager adds a key to own agent", &wn_mgr, OP_ADD_KEY, NULL, NULL, NULL, &wn_agent2, ALLOWED },
};

static baton_status role_case_run(const role_case *rc, char *msg, size_t msg_len)
{
	char pub[BATON_PUBLIC_KEY_TEXT];
	baton_client *c = rc->who->client;

	switch (rc->op) {
	case OP_ADD_ORG:
		return org_add(c, rc->org, "overflow", "en", "UTC", msg, msg_len);
	case OP_ADD_PRINCIPAL:
		return principal_add(c, rc->org, rc->handle, rc->role, NULL, msg, msg_len);
	case OP_DISABLE:
		return principal_disable(c, rc->target->handle, NULL, msg, msg_len);
	case OP_ADD_KEY:
		fresh_public_key(pub);
		return key_add(c, rc->target->handle, pub, NULL, msg, msg_len);
	case OP_REVOKE_KEY:
		return key_revoke(c, rc->target->key_id, msg, msg_len);
	}
	return BATON_INTERNAL;
}

/* Each role × method gives its expected status, and a refusal changes nothing. */
static void each_role_may_call_only_its_methods(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(role_cases) / sizeof(role_cases[0]); i++) {
		const role_case *rc = &role_cases[i];
		char before[64] = "", after[64] = "", msg[512];
		long events = event_count();
		baton_status s;

		if (rc->target != NULL)
			principal_state(rc->target->id, before, sizeof(before));
		s = role_case_run(rc, msg, sizeof(msg));
		if (s != rc->want && s != rc->or_else)
			print_error("case '%s': got %s (%s), want %s\n", rc->name, baton_status_str(s), msg,
			    baton_status_str(rc->want));
		assert_true(s == rc->want || s == rc->or_else);
		if (rc->want != BATON_OK) {
			assert_int_equal(event_count(), events);
			if (rc->op == OP_ADD_ORG)
				assert_int_equal(sqln("SELECT count(*) FROM org WHERE name = '%s'", rc->org), 0);
			if (rc->op == OP_ADD_PRINCIPAL)
				assert_int_equal(sqln("SELECT count(*) FROM principal WHERE handle = '%s'", rc->handle), 0);
			if (rc->target != NULL) {
				principal_state(rc->target->id, after, sizeof(after));
				assert_string_equal(after, before);
			}
		} else {
			assert_true(event_count() > events);
			if (rc->op == OP_ADD_PRINCIPAL)
				assert_int_equal(sqln("SELECT count(*) FROM principal WHERE handle = '%s'", rc->handle), 1);
		}
	}

	/* Everyone may ping, ask who they are and list organizations. */
	for (size_t i = 0; i <= N_EVERYONE; i++) {
		baton_client *c = i < N_EVERYONE ? everyone[i]->client : admin;
		const char *handle = i < N_EVERYONE ? everyone[i]->handle : "admin";
		Baton__V1__ListOrgsReply *orgs;
		Baton__V1__WhoamiReply *me;

		assert_int_equal(ping(c), BATON_OK);
		assert_int_equal(whoami(c, &me), BATON_OK);
		assert_string_equal(me->principal->handle, handle);
		assert_true(me->key_id[0] != '\0');
		baton__v1__whoami_reply__free_unpacked(me, NULL);
		assert_int_equal(orgs_list(c, &orgs), BATON_OK);
		assert_true(orgs->n_orgs >= 1);
		baton__v1__list_orgs_reply__free_unpacked(orgs, NULL);
	}
}

/* ---- 3. cross-partner reads ----------------------------------------------- */

static bool listed(const Baton__V1__ListPrincipalsReply *l, const char *handle)
{
	for (size_t i = 0; i < l->n_principals; i++)
		if (strcmp(l->principals[i]->handle, handle) == 0)
			return true;
	return false;
}

static void partners_read_only_their_own_organization(void **state)
{
	const char *hidden[] = { "admin", "hq-lead", "hq-integration", "hq-manager", "sl-manager", "sl-agent1",
		"sl-agent2" };
	const char *not_theirs[] = { "sol-latino", sl_id, "in-house", in_house_id };
	Baton__V1__ListOrgsReply *orgs;
	Baton__V1__ListPrincipalsReply *l;
	char msg[512];
	(void)state;

	/* Organizations: only their own. */
	assert_int_equal(orgs_list(wn_agent1.client, &orgs), BATON_OK);
	assert_int_equal(orgs->n_orgs, 1);
	assert_string_equal(orgs->orgs[0]->name, "warsaw-nights");
	assert_string_equal(orgs->orgs[0]->id, wn_id);
	assert_string_equal(orgs->orgs[0]->time_zone, "Europe/Warsaw");
	assert_int_equal(orgs->orgs[0]->n_languages, 2);
	baton__v1__list_orgs_reply__free_unpacked(orgs, NULL);
	assert_int_equal(orgs_list(sl_mgr.client, &orgs), BATON_OK);
	assert_int_equal(orgs->n_orgs, 1);
	assert_string_equal(orgs->orgs[0]->name, "sol-latino");
	baton__v1__list_orgs_reply__free_unpacked(orgs, NULL);

	/* People: only their own organization's, disabled or not. */
	for (int disabled = 0; disabled < 2; disabled++) {
		assert_int_equal(principals_list(wn_agent1.client, "", disabled, &l, NULL, 0), BATON_OK);
		assert_int_equal(l->n_principals,
		    sqln("SELECT count(*) FROM principal WHERE org_id = '%s'%s", wn_id,
		        disabled ? "" : " AND disabled_at IS NULL"));
		for (size_t i = 0; i < l->n_principals; i++) {
			assert_string_equal(l->principals[i]->org_id, wn_id);
			for (size_t k = 0; k < l->principals[i]->n_keys; k++)
				assert_string_equal(l->principals[i]->keys[k]->principal_id, l->principals[i]->id);
		}
		assert_true(listed(l, "wn-manager") && listed(l, "wn-agent1") && listed(l, "wn-agent2"));
		for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
			assert_false(listed(l, hidden[i]));
		baton__v1__list_principals_reply__free_unpacked(l, NULL);
	}

	/* Another organization, by name or id, looks the same as one that does
	 * not exist: NOT_FOUND, naming only what was asked. */
	for (size_t i = 0; i < sizeof(not_theirs) / sizeof(not_theirs[0]); i++) {
		char want[200];
		assert_int_equal(principals_list(wn_agent1.client, not_theirs[i], true, &l, msg, sizeof(msg)),
		    BATON_NOT_FOUND);
		snprintf(want, sizeof(want), "no organization '%s'", not_theirs[i]);
		assert_string_equal(msg, want);
	}
	assert_int_equal(principals_list(wn_agent1.client, "no-such-org", false, &l, msg, sizeof(msg)), BATON_NOT_FOUND);
	assert_string_equal(msg, "no organization 'no-such-org'");
	assert_int_equal(principals_list(sl_agent2.client, "warsaw-nights", false, &l, NULL, 0), BATON_NOT_FOUND);

	/* In-house principals see everything. */
	baton_client *in_house[] = { admin, lead.client, integ.client };
	for (size_t i = 0; i < sizeof(in_house) / sizeof(in_house[0]); i++) {
		assert_int_equal(orgs_list(in_house[i], &orgs), BATON_OK);
		assert_int_equal(orgs->n_orgs, sqln("SELECT count(*) FROM org"));
		assert_true(orgs->n_orgs >= 3);
		assert_string_equal(orgs->orgs[0]->kind, "in_house");
		baton__v1__list_orgs_reply__free_unpacked(orgs, NULL);
		assert_int_equal(principals_list(in_house[i], "", true, &l, NULL, 0), BATON_OK);
		assert_int_equal(l->n_principals, sqln("SELECT count(*) FROM principal"));
		assert_true(listed(l, "admin") && listed(l, "wn-agent1") && listed(l, "sl-agent2"));
		baton__v1__list_principals_reply__free_unpacked(l, NULL);
		assert_int_equal(principals_list(in_house[i], "sol-latino", true, &l, NULL, 0), BATON_OK);
		assert_int_equal(l->n_principals, sqln("SELECT count(*) FROM principal WHERE org_id = '%s'", sl_id));
		for (size_t k = 0; k < l->n_principals; k++)
			assert_string_equal(l->principals[k]->org_id, sl_id);
		baton__v1__list_principals_reply__free_unpacked(l, NULL);
	}
}

/* ---- 4. cross-partner writes ---------------------------------------------- */

static void partners_cannot_change_another_partner(void **state)
{
	char before[64], after[64], lead_before[64], lead_after[64], pub[BATON_PUBLIC_KEY_TEXT], msg[512];
	long events = event_count();
	baton_status s;
	(void)state;

	principal_state(sl_agent1.id, before, sizeof(before));
	principal_state(lead.id, lead_before, sizeof(lead_before));
	fresh_public_key(pub);

#define REFUSED(expr)                                                                                  \
	do {                                                                                           \
		s = (expr);                                                                            \
		if (s != BATON_PERMISSION_DENIED && s != BATON_NOT_FOUND)                              \
			print_error("%s: %s (%s)\n", #expr, baton_status_str(s), msg);                 \
		assert_true(s == BATON_PERMISSION_DENIED || s == BATON_NOT_FOUND);                     \
	} while (0)

	REFUSED(principal_disable(wn_mgr.client, sl_agent1.handle, NULL, msg, sizeof(msg)));
	REFUSED(principal_disable(wn_mgr.client, sl_agent1.id, NULL, msg, sizeof(msg)));
	REFUSED(key_add(wn_mgr.client, sl_agent1.handle, pub, NULL, msg, sizeof(msg)));
	REFUSED(key_add(wn_mgr.client, sl_agent1.id, pub, NULL, msg, sizeof(msg)));
	REFUSED(key_revoke(wn_mgr.client, sl_agent1.key_id, msg, sizeof(msg)));
	REFUSED(key_revoke(wn_mgr.client, sl_agent1.public_key, msg, sizeof(msg)));
	REFUSED(principal_add(wn_mgr.client, sl_id, "wn-planted", "agent", NULL, msg, sizeof(msg)));
	/* Nor the in-house people, nor the other way round. */
	REFUSED(principal_disable(wn_mgr.client, lead.id, NULL, msg, sizeof(msg)));
	REFUSED(principal_disable(wn_mgr.client, admin_id, NULL, msg, sizeof(msg)));
	REFUSED(key_revoke(wn_mgr.client, lead.public_key, msg, sizeof(msg)));
	REFUSED(key_add(wn_mgr.client, "admin", pub, NULL, msg, sizeof(msg)));
	REFUSED(principal_disable(sl_mgr.client, wn_agent1.handle, NULL, msg, sizeof(msg)));
	REFUSED(key_revoke(sl_mgr.client, wn_agent1.key_id, msg, sizeof(msg)));
#undef REFUSED

	/* The refusal of another partner's agent looks like "no such one". */
	assert_int_equal(principal_disable(wn_mgr.client, sl_agent1.handle, NULL, msg, sizeof(msg)), BATON_NOT_FOUND);
	assert_string_equal(msg, "no principal 'sl-agent1'");

	principal_state(sl_agent1.id, after, sizeof(after));
	assert_string_equal(after, before);
	principal_state(lead.id, lead_after, sizeof(lead_after));
	assert_string_equal(lead_after, lead_before);
	assert_int_equal(sqln("SELECT count(*) FROM principal WHERE handle = 'wn-planted'"), 0);
	uint8_t pk[BATON_PUBLIC_KEY_BYTES];
	char pk_hex[2 * BATON_PUBLIC_KEY_BYTES + 1];
	assert_int_equal(baton_public_key_parse(pub, pk), BATON_OK);
	sodium_bin2hex(pk_hex, sizeof(pk_hex), pk, sizeof(pk));
	assert_int_equal(sqln("SELECT count(*) FROM principal_key WHERE public_key = decode('%s', 'hex')", pk_hex), 0);
	assert_int_equal(event_count(), events);
	/* The sol-latino agent still works. */
	assert_int_equal(whoami(sl_agent1.client, NULL), BATON_OK);
}

/* ---- 5. the database itself -------------------------------------------------- */

static void database_keeps_partners_apart_without_batond(void **state)
{
	const char *tables[] = { "org", "principal", "principal_key", "event" };
	char out[64];
	long wn_people = sqln("SELECT count(*) FROM principal WHERE org_id = '%s'", wn_id);
	long sl_people = sqln("SELECT count(*) FROM principal WHERE org_id = '%s'", sl_id);
	long revoked = sqln("SELECT count(*) FROM principal_key WHERE revoked_at IS NOT NULL");
	long events = event_count();
	(void)state;

	assert_true(wn_people >= 3 && sl_people >= 3);

	/* No scope set: nothing is visible (fail closed). */
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[100];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		assert_int_equal(harness_sql(&pg, NULL, sql, out, sizeof(out)), 0);
		assert_string_equal(out, "0");
		assert_true(sqln("%s", sql) > 0);
	}
	/* A scope that is not exactly 'all' is not 'all'. */
	assert_int_equal(harness_sql(&pg, NULL, "SELECT set_config('baton.scope', 'ALL', false);"
	                                       " SELECT count(*) FROM principal", out, sizeof(out)), 0);
	assert_string_equal(out, "0");
	assert_int_equal(harness_sql(&pg, NULL, "SELECT set_config('baton.scope', 'org', false);"
	                                       " SELECT count(*) FROM principal", out, sizeof(out)), 0);
	assert_string_equal(out, "0");

	/* Scoped to warsaw-nights: its own rows and nothing else. */
	assert_int_equal(sql_as_org(wn_id, out, sizeof(out), "SELECT count(*) FROM principal"), 0);
	assert_int_equal(strtol(out, NULL, 10), wn_people);
	assert_int_equal(sql_as_org(wn_id, out, sizeof(out), "SELECT count(*) FROM principal WHERE org_id <> '%s'", wn_id), 0);
	assert_string_equal(out, "0");
	assert_int_equal(sql_as_org(wn_id, out, sizeof(out), "SELECT count(*) FROM org"), 0);
	assert_string_equal(out, "1");
	assert_int_equal(sql_as_org(wn_id, out, sizeof(out),
	                     "SELECT count(*) FROM principal_key WHERE org_id <> '%s'", wn_id), 0);
	assert_string_equal(out, "0");
	assert_int_equal(sql_as_org(wn_id, out, sizeof(out),
	                     "SELECT count(*) FROM event WHERE org_id IS DISTINCT FROM '%s'", wn_id), 0);
	assert_string_equal(out, "0");

	/* Writes to another organization's rows touch nothing... */
	assert_int_equal(sql_as_org(wn_id, out, sizeof(out),
	                     "WITH u AS (UPDATE principal SET display_name = 'pwned' WHERE org_id = '%s' RETURNING 1)"
	                     " SELECT count(*) FROM u", sl_id), 0);
	assert_string_equal(out, "0");
	assert_int_equal(sql_as_org(wn_id, out, sizeof(out),
	                     "WITH u AS (UPDATE principal_key SET revoked_at = now() WHERE org_id <> '%s' RETURNING 1)"
	                     " SELECT count(*) FROM u", wn_id), 0);
	assert_string_equal(out, "0");
	assert_int_equal(sql_as_org(wn_id, out, sizeof(out),
	                     "WITH d AS (DELETE FROM event WHERE org_id = '%s' RETURNING 1)"
	                     " SELECT count(*) FROM d", sl_id), 0);
	assert_string_equal(out, "0");
	/* ...and rows placed into another organization are refused. */
	refused_by_policy(wn_id, "INSERT INTO principal (org_id, handle, display_name, role)"
	                         " VALUES ('%s', 'sql-planted', 'x', 'agent')", sl_id);
	refused_by_policy(wn_id, "UPDATE principal SET org_id = '%s' WHERE id = '%s'", sl_id, wn_agent2.id);
	refused_by_policy(wn_id, "INSERT INTO principal_key (principal_id, org_id, public_key)"
	                         " VALUES ('%s', '%s', decode(repeat('ab', 32), 'hex'))", sl_agent1.id, sl_id);
	refused_by_policy(wn_id, "INSERT INTO event (org_id, kind, subject_id) VALUES ('%s', 'forged', 'x')", sl_id);
	refused_by_policy(wn_id, "INSERT INTO event (org_id, kind, subject_id) VALUES (NULL, 'forged', 'x')");
	refused_by_policy(wn_id, "INSERT INTO org (name, kind, time_zone) VALUES ('sql-org', 'overflow', 'UTC')");

	assert_int_equal(sqln("SELECT count(*) FROM principal WHERE display_name = 'pwned' OR handle = 'sql-planted'"), 0);
	assert_int_equal(sqln("SELECT count(*) FROM principal WHERE org_id = '%s'", sl_id), sl_people);
	assert_int_equal(sqln("SELECT count(*) FROM principal WHERE id = '%s' AND org_id = '%s'", wn_agent2.id, wn_id), 1);
	assert_int_equal(sqln("SELECT count(*) FROM principal_key WHERE revoked_at IS NOT NULL"), revoked);
	assert_int_equal(event_count(), events);
	assert_int_equal(sqln("SELECT count(*) FROM org WHERE name = 'sql-org'"), 0);
}

/* ---- 6. no superuser ------------------------------------------------------------ */

static void refused_role_exits(const char *role)
{
	const char *needles[] = { "\"event\":\"database_role_refused\"", role, NULL };
	char conninfo[600];
	harness_batond *b;
	int rc;

	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 user=%s dbname=baton", pg.dir, role);
	b = extra_start(conninfo, NULL, false);
	rc = harness_batond_wait(b, 20000);
	if (rc <= 0)
		print_error("batond as %s exited with %d; log %s\n", role, rc, b->log_path);
	assert_int_equal(rc, 1); /* exited by itself, with a failure */
	assert_int_equal(harness_log_count(b, needles), 1);
}

static void batond_refuses_a_role_that_bypasses_row_security(void **state)
{
	(void)state;
	assert_true(strstr(pg.conninfo, "user=baton") != NULL);
	refused_role_exits("postgres");
	assert_int_equal(sql_as_postgres("CREATE ROLE baton_bypass LOGIN NOSUPERUSER BYPASSRLS"), 0);
	refused_role_exits("baton_bypass");
	assert_int_equal(sql_as_postgres("DROP ROLE baton_bypass"), 0);
	/* The real server is unaffected. */
	assert_int_equal(whoami(admin, NULL), BATON_OK);
}

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
	other_instance = extra_start(pg.conninfo, NULL, true);
	for (int i = 0; i < RESENDERS; i++) {
		clients[i] = client_for(i % 2 ? other_instance : &srv, NULL);
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
	assert_int_equal(sqln("SELECT count(*) FROM org WHERE name = 'once-brasil'"), 1);
	assert_int_equal(sqln("SELECT count(*) FROM event WHERE kind = 'org.added' AND subject_id = '%s'", rep->org->id), 1);
	assert_int_equal(sqln("SELECT count(*) FROM request_record WHERE request_id = decode('%s', 'hex')", rid_hex), 1);
	for (int i = 0; i < RESENDERS; i++)
		baton_result_clear(&r[i].res);
	free(buf);

	/* The same id with another body is refused, and nothing is created. */
	long events = event_count();
	req.name = "once-brasil-2";
	buf = pack(&req.base, &len);
	resend_together(r, clients, 2, ADD_ORG, buf, len, rid);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r[i].status, BATON_INVALID_ARGUMENT);
		assert_non_null(strstr(r[i].res.message, rid_hex));
		baton_result_clear(&r[i].res);
	}
	free(buf);
	assert_int_equal(sqln("SELECT count(*) FROM org WHERE name = 'once-brasil-2'"), 0);

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
	assert_int_equal(sqln("SELECT count(*) FROM principal WHERE handle = 'once-agent'"), 0);
	assert_int_equal(event_count(), events);

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
	assert_int_equal(call(admin, ADD_ORG, &org.base, &o, &res), BATON_OK);
	baton_result_clear(&res);

	p.org = "warsaw-nights";
	p.handle = "wn-shared-id";
	p.display_name = "Shared id";
	p.role = "agent";
	p.public_key = "";
	assert_int_equal(call(wn_mgr.client, ADD_PRINCIPAL, &p.base, &o, &res), BATON_OK);
	rep = baton__v1__add_principal_reply__unpack(NULL, res.payload_len, res.payload);
	assert_non_null(rep);
	assert_string_equal(rep->principal->handle, "wn-shared-id");
	baton__v1__add_principal_reply__free_unpacked(rep, NULL);
	baton_result_clear(&res);

	p.org = "sol-latino";
	p.handle = "sl-shared-id";
	assert_int_equal(call(sl_mgr.client, ADD_PRINCIPAL, &p.base, &o, &res), BATON_OK);
	baton_result_clear(&res);
	assert_int_equal(sqln("SELECT count(*) FROM principal WHERE handle IN ('wn-shared-id', 'sl-shared-id')"), 2);
	assert_int_equal(sqln("SELECT count(*) FROM org WHERE name = 'shared-id-org'"), 1);
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

	assert_int_equal(person(wn_mgr.client, "warsaw-nights", "wn-target", "agent", &target), 0);
	for (int i = 0; i < RESENDERS; i++) {
		clients[i] = i == 0 ? wn_mgr.client : client_for(&srv, NULL);
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
	long events = sqln("SELECT count(*) FROM event WHERE kind = 'principal.disabled' AND subject_id = '%s'", target.id);
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

	first = extra_start(pg.conninfo, NULL, true);
	assert_int_equal(baton_call(client_for(first, NULL), ADD_PRINCIPAL, buf, len, &o, &res), BATON_OK);
	assert_true(res.payload_len > 0);
	assert_int_equal(harness_batond_stop(first, SIGTERM, 15000), 0);

	/* A new batond on the same database, with the same keys. */
	second = extra_start(pg.conninfo, NULL, true);
	both[0] = client_for(second, NULL);
	assert_int_equal(baton_call(both[0], ADD_PRINCIPAL, buf, len, &o, &again), BATON_OK);
	assert_int_equal(again.payload_len, res.payload_len);
	assert_memory_equal(again.payload, res.payload, res.payload_len);
	baton_result_clear(&again);

	/* And another one at the same time; both answer a resend sent to both at once. */
	third = extra_start(pg.conninfo, NULL, true);
	both[1] = client_for(third, NULL);
	resend_together(r, both, 2, ADD_PRINCIPAL, buf, len, o.request_id);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(r[i].status, BATON_OK);
		assert_int_equal(r[i].res.payload_len, res.payload_len);
		assert_memory_equal(r[i].res.payload, res.payload, res.payload_len);
		baton_result_clear(&r[i].res);
	}
	/* The long-running server too. */
	assert_int_equal(baton_call(admin, ADD_PRINCIPAL, buf, len, &o, &again), BATON_OK);
	assert_memory_equal(again.payload, res.payload, res.payload_len);
	baton_result_clear(&again);

	assert_int_equal(sqln("SELECT count(*) FROM principal WHERE handle = 'wn-restart'"), 1);
	assert_int_equal(sqln("SELECT count(*) FROM event e JOIN principal p ON p.id::text = e.subject_id"
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

	m = extra_start(pg.conninfo, flags, true);
	c = client_for(m, NULL);
	req.kind = "overflow";
	req.time_zone = "UTC";

	randombytes_buf(o.request_id, 16);
	sodium_bin2hex(old_hex, sizeof(old_hex), o.request_id, 16);
	req.name = "record-old";
	assert_int_equal(call(c, ADD_ORG, &req.base, &o, &res), BATON_OK);
	baton_result_clear(&res);
	randombytes_buf(o.request_id, 16);
	sodium_bin2hex(fresh_hex, sizeof(fresh_hex), o.request_id, 16);
	req.name = "record-fresh";
	assert_int_equal(call(c, ADD_ORG, &req.base, &o, &res), BATON_OK);
	baton_result_clear(&res);

	assert_int_equal(sqln("WITH u AS (UPDATE request_record SET created_at = now() - interval '49 hours'"
	                      " WHERE request_id = decode('%s', 'hex') RETURNING 1) SELECT count(*) FROM u", old_hex),
	    1);
	for (int64_t give_up = harness_now_ms() + 5000; harness_now_ms() < give_up; harness_sleep_ms(50))
		if ((left = sqln("SELECT count(*) FROM request_record WHERE request_id = decode('%s', 'hex')", old_hex)) == 0)
			break;
	assert_int_equal(left, 0);
	assert_int_equal(sqln("SELECT count(*) FROM request_record WHERE request_id = decode('%s', 'hex')", fresh_hex), 1);
	assert_int_equal(harness_batond_stop(m, SIGTERM, 15000), 0);
}

/* ---- 10. signed events ------------------------------------------------------------ */

/* One bytea column of the event of kind about subject, as bytes. */
static size_t event_bytes(const char *column, const char *kind, const char *subject, uint8_t *out, size_t cap)
{
	char hex[8192];
	size_t n = 0;

	assert_int_equal(sqlf(hex, sizeof(hex),
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

	assert_int_equal(sqlf(text, sizeof(text), "SELECT actor_id::text FROM event WHERE kind = '%s' AND subject_id = '%s'",
	                     kind, subject), 0);
	assert_string_equal(text, actor_id);
	assert_int_equal(sqlf(text, sizeof(text), "SELECT method FROM event WHERE kind = '%s' AND subject_id = '%s'",
	                     kind, subject), 0);
	assert_string_equal(text, method);
	assert_int_equal(sqlf(actor_key, sizeof(actor_key),
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
	assert_int_equal(sqlf(text, sizeof(text),
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
	assert_int_equal(baton_call(admin, ADD_ORG, buf, len, &o, &res), BATON_OK);
	org_rep = baton__v1__add_org_reply__unpack(NULL, res.payload_len, res.payload);
	assert_non_null(org_rep);
	event_verifies("org.added", org_rep->org->id, admin_id, ADD_ORG, o.request_id, buf, len);
	/* The key that signed is the admin's key file's. */
	assert_int_equal(baton_key_file_read(srv.admin_key_file, &key, why, sizeof(why)), BATON_OK);
	sodium_bin2hex(hex, sizeof(hex), key.public_key, 32);
	baton_key_wipe(&key);
	assert_int_equal(sqlf(text, sizeof(text),
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
	assert_int_equal(baton_call(wn_mgr.client, ADD_PRINCIPAL, buf, len, &o, &res), BATON_OK);
	p_rep = baton__v1__add_principal_reply__unpack(NULL, res.payload_len, res.payload);
	assert_non_null(p_rep);
	event_verifies("principal.added", p_rep->principal->id, wn_mgr.id, ADD_PRINCIPAL, o.request_id, buf, len);
	baton__v1__add_principal_reply__free_unpacked(p_rep, NULL);
	baton_result_clear(&res);
	free(buf);
}

/* ---- 11. validation ------------------------------------------------------------- */

typedef struct bad_input {
	bool         org;        /* AddOrg, else AddPrincipal */
	const char  *a, *b, *c, *d; /* name, kind, language, time zone / org, handle, role, key */
	baton_status want;
	const char  *says;       /* the message names the problem: it contains this */
} bad_input;

static const bad_input bad_inputs[] = {
	{ true, "mars-base", "overflow", "en", "Mars/Olympus", BATON_INVALID_ARGUMENT, "'Mars/Olympus'" },
	{ true, "polish-bad", "language", "polish!", "Europe/Warsaw", BATON_INVALID_ARGUMENT, "'polish!'" },
	{ true, "spaced-bad", "language", "pl en", "Europe/Warsaw", BATON_INVALID_ARGUMENT, "'pl en'" },
	{ true, "second-home", "in_house", "en", "UTC", BATON_INVALID_ARGUMENT, "in-house" },
	{ true, "Warsaw Nights", "after_hours", "pl", "Europe/Warsaw", BATON_INVALID_ARGUMENT, "'Warsaw Nights'" },
	{ true, "franchise-co", "franchise", "en", "UTC", BATON_INVALID_ARGUMENT, "'franchise'" },
	{ true, "warsaw-nights", "after_hours", "pl", "Europe/Warsaw", BATON_ALREADY_EXISTS, "'warsaw-nights'" },
	{ false, "warsaw-nights", "wn-agent1", "agent", NULL, BATON_ALREADY_EXISTS, "'wn-agent1'" },
	{ false, "warsaw-nights", "wn-boss", "boss", NULL, BATON_INVALID_ARGUMENT, "'boss'" },
	{ false, "warsaw-nights", "Jan Kowalski", "agent", NULL, BATON_INVALID_ARGUMENT, "'Jan Kowalski'" },
	{ false, "warsaw-nights", "wn-lead", "lead", NULL, BATON_INVALID_ARGUMENT, "lead" },
	{ false, "no-such-org", "nowhere-agent", "agent", NULL, BATON_NOT_FOUND, "'no-such-org'" },
	/* A bad first key undoes the principal too: no half-written change. */
	{ false, "warsaw-nights", "wn-badkey", "agent", "ed25519:not-a-key", BATON_INVALID_ARGUMENT, "'ed25519:not-a-key'" },
};

static void bad_input_is_refused_clearly_and_changes_nothing(void **state)
{
	char msg[512], pub[BATON_PUBLIC_KEY_TEXT], key_id[40];
	long events = event_count(), orgs = sqln("SELECT count(*) FROM org");
	long people = sqln("SELECT count(*) FROM principal");
	int unclear = 0;
	baton_result res;
	(void)state;

	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		const bad_input *b = &bad_inputs[i];
		baton_status s = b->org ? org_add(admin, b->a, b->b, b->c, b->d, msg, sizeof(msg))
		                        : principal_add(admin, b->a, b->b, b->c, b->d, msg, sizeof(msg));
		assert_int_equal(s, b->want);
		if (strstr(msg, b->says) == NULL) {
			print_error("%s '%s': %s, but the message does not name %s: \"%s\"\n", b->org ? "AddOrg" : "AddPrincipal",
			    b->org ? b->a : b->b, baton_status_str(s), b->says, msg);
			unclear++;
		}
	}
	assert_int_equal(sqln("SELECT count(*) FROM org"), orgs);
	assert_int_equal(sqln("SELECT count(*) FROM principal"), people);
	assert_int_equal(event_count(), events);
	assert_int_equal(principal_add(admin, "warsaw-nights", "wn-stolenkey", "agent", wn_agent1.public_key, msg,
	                     sizeof(msg)),
	    BATON_ALREADY_EXISTS);
	assert_int_equal(sqln("SELECT count(*) FROM principal"), people);

	/* A state-changing call without a signature is refused before it runs. */
	Baton__V1__AddOrgRequest unsigned_req = BATON__V1__ADD_ORG_REQUEST__INIT;
	baton_call_options no_sig = { .timeout_ms = 10000 };
	unsigned_req.name = "unsigned-org";
	unsigned_req.kind = "overflow";
	unsigned_req.time_zone = "UTC";
	assert_int_equal(call(admin, ADD_ORG, &unsigned_req.base, &no_sig, &res), BATON_UNAUTHENTICATED);
	assert_non_null(strstr(res.message, "signature"));
	baton_result_clear(&res);
	assert_int_equal(sqln("SELECT count(*) FROM org WHERE name = 'unsigned-org'"), 0);

	/* Keys. */
	assert_int_equal(key_add(admin, wn_agent2.handle, "ed25519:AAAA", NULL, msg, sizeof(msg)), BATON_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "ed25519:AAAA"));
	assert_int_equal(key_add(admin, wn_agent2.handle, sl_agent1.public_key, NULL, msg, sizeof(msg)), BATON_ALREADY_EXISTS);
	assert_int_equal(key_add(admin, "nobody-at-all", sl_agent1.public_key, NULL, msg, sizeof(msg)), BATON_NOT_FOUND);
	assert_int_equal(key_revoke(admin, "00000000-0000-0000-0000-000000000000", msg, sizeof(msg)), BATON_NOT_FOUND);
	assert_int_equal(event_count(), events);

	fresh_public_key(pub);
	assert_int_equal(key_add(admin, wn_agent2.handle, pub, key_id, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(key_revoke(admin, key_id, msg, sizeof(msg)), BATON_OK);
	events = event_count();
	assert_int_equal(key_revoke(admin, key_id, msg, sizeof(msg)), BATON_FAILED_PRECONDITION);
	assert_non_null(strstr(msg, "already revoked"));
	assert_int_equal(key_revoke(admin, pub, msg, sizeof(msg)), BATON_FAILED_PRECONDITION);

	/* Nobody disables themselves. */
	assert_int_equal(principal_disable(admin, "admin", NULL, msg, sizeof(msg)), BATON_FAILED_PRECONDITION);
	assert_non_null(strstr(msg, "yourself"));
	assert_int_equal(principal_disable(admin, admin_id, NULL, msg, sizeof(msg)), BATON_FAILED_PRECONDITION);
	assert_int_equal(principal_disable(wn_mgr.client, wn_mgr.handle, NULL, msg, sizeof(msg)), BATON_FAILED_PRECONDITION);
	assert_int_equal(principal_disable(admin, "", NULL, msg, sizeof(msg)), BATON_INVALID_ARGUMENT);
	assert_int_equal(event_count(), events);
	assert_int_equal(sqln("SELECT count(*) FROM principal WHERE disabled_at IS NOT NULL AND id IN ('%s', '%s')",
	                     admin_id, wn_mgr.id), 0);
	assert_int_equal(whoami(wn_mgr.client, NULL), BATON_OK);
	assert_int_equal(unclear, 0);
}

/* ---- 12. key rotation -------------------------------------------------------------- */

static void key_rotation_locks_out_the_old_key(void **state)
{
	char new_file[420], new_pub[BATON_PUBLIC_KEY_TEXT], new_key_id[40], msg[512];
	Baton__V1__WhoamiReply *me;
	baton_client *fresh, *old_again;
	(void)state;

	assert_int_equal(person(wn_mgr.client, "warsaw-nights", "wn-rotator", "agent", &rotator), 0);
	snprintf(new_file, sizeof(new_file), "%s/wn-rotator-2.key", pg.dir);
	assert_int_equal(harness_keygen(new_file, new_pub), 0);

	/* Self-service: AddKey with no principal means the caller. */
	assert_int_equal(key_add(rotator.client, "", new_pub, new_key_id, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(sqln("SELECT count(*) FROM principal_key WHERE id = '%s' AND principal_id = '%s'", new_key_id,
	                     rotator.id), 1);
	fresh = client_for(&srv, new_file);
	assert_int_equal(whoami(fresh, &me), BATON_OK);
	assert_string_equal(me->principal->id, rotator.id);
	assert_string_equal(me->key_id, new_key_id);
	assert_int_equal(me->principal->n_keys, 2);
	baton__v1__whoami_reply__free_unpacked(me, NULL);

	/* The new key revokes the old one. */
	assert_int_equal(key_revoke(fresh, rotator.key_id, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(whoami(rotator.client, NULL), BATON_UNAUTHENTICATED);
	assert_int_equal(ping(rotator.client), BATON_UNAUTHENTICATED);
	assert_int_equal(key_add(rotator.client, "", new_pub, NULL, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	old_again = client_for(&srv, rotator.key_file);
	assert_int_equal(whoami(old_again, NULL), BATON_UNAUTHENTICATED);
	assert_int_equal(whoami(fresh, &me), BATON_OK);
	assert_string_equal(me->key_id, new_key_id);
	baton__v1__whoami_reply__free_unpacked(me, NULL);
	assert_int_equal(sqln("SELECT count(*) FROM principal_key WHERE principal_id = '%s' AND revoked_at IS NULL",
	                     rotator.id), 1);
	/* Nobody else can rotate someone's key for them. */
	fresh_public_key(new_pub);
	assert_int_equal(key_add(wn_agent1.client, rotator.handle, new_pub, NULL, msg, sizeof(msg)),
	    BATON_PERMISSION_DENIED);
}

/* ---- disabling -------------------------------------------------------------------- */

static void disabled_principal_is_locked_out_at_once(void **state)
{
	Baton__V1__DisablePrincipalReply *rep;
	Baton__V1__ListPrincipalsReply *l;
	char msg[512], pub[BATON_PUBLIC_KEY_TEXT];
	(void)state;

	assert_int_equal(person(wn_mgr.client, "warsaw-nights", "wn-leaver", "agent", &leaver), 0);
	assert_int_equal(whoami(leaver.client, NULL), BATON_OK);
	assert_int_equal(principal_disable(wn_mgr.client, leaver.handle, &rep, msg, sizeof(msg)), BATON_OK);
	assert_string_equal(rep->principal->id, leaver.id);
	assert_true(rep->principal->disabled_unix_ms > 0);
	baton__v1__disable_principal_reply__free_unpacked(rep, NULL);

	assert_int_equal(whoami(leaver.client, NULL), BATON_UNAUTHENTICATED);
	assert_int_equal(whoami(client_for(&srv, leaver.key_file), NULL), BATON_UNAUTHENTICATED);
	assert_int_equal(principal_disable(wn_mgr.client, leaver.handle, NULL, msg, sizeof(msg)), BATON_FAILED_PRECONDITION);
	fresh_public_key(pub);
	assert_int_equal(key_add(wn_mgr.client, leaver.handle, pub, NULL, msg, sizeof(msg)), BATON_FAILED_PRECONDITION);

	assert_int_equal(principals_list(wn_mgr.client, "", false, &l, NULL, 0), BATON_OK);
	assert_false(listed(l, "wn-leaver"));
	baton__v1__list_principals_reply__free_unpacked(l, NULL);
	assert_int_equal(principals_list(wn_mgr.client, "", true, &l, NULL, 0), BATON_OK);
	assert_true(listed(l, "wn-leaver"));
	baton__v1__list_principals_reply__free_unpacked(l, NULL);
}

/*
 * Handles may look like ids (lower-case hex and '-'), and "handle or id"
 * lookups match both. A manager who names a new agent after their own id
 * must not become impossible to disable or to revoke.
 */
static void handle_shaped_like_an_id_cannot_shield_a_principal(void **state)
{
	Baton__V1__DisablePrincipalReply *rep = NULL;
	baton_status added, who, by_handle, by_id = BATON_OK, revoke = BATON_OK;
	char msg[512], by_handle_msg[512], by_id_msg[512] = "", revoke_msg[512] = "";
	(void)state;

	assert_int_equal(person(admin, "warsaw-nights", "wn-shield", "manager", &shield), 0);
	added = principal_add(shield.client, "warsaw-nights", shield.id, "agent", NULL, msg, sizeof(msg));
	/* Refusing such a handle is a fine answer too. */
	assert_true(added == BATON_OK || added == BATON_INVALID_ARGUMENT);

	who = whoami(shield.client, NULL);
	by_handle = principal_disable(admin, shield.handle, &rep, by_handle_msg, sizeof(by_handle_msg));
	if (by_handle != BATON_OK) {
		by_id = principal_disable(admin, shield.id, NULL, by_id_msg, sizeof(by_id_msg));
		revoke = key_revoke(admin, shield.key_id, revoke_msg, sizeof(revoke_msg));
	}
	if (who != BATON_OK || by_handle != BATON_OK)
		print_error("after AddPrincipal(handle = %s): %s. WhoAmI of %s: %s. Admin disabling it by handle: "
		            "%s (%s); by id: %s (%s); revoking its key: %s (%s)\n",
		    shield.id, baton_status_str(added), shield.handle, baton_status_str(who), baton_status_str(by_handle),
		    by_handle_msg, baton_status_str(by_id), by_id_msg, baton_status_str(revoke), revoke_msg);
	assert_int_equal(who, BATON_OK);
	assert_int_equal(by_handle, BATON_OK);
	assert_string_equal(rep->principal->id, shield.id);
	baton__v1__disable_principal_reply__free_unpacked(rep, NULL);
	assert_int_equal(whoami(shield.client, NULL), BATON_UNAUTHENTICATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(bootstrap_makes_one_admin_with_a_private_key_file, cleanup),
		cmocka_unit_test_teardown(two_first_starts_at_once_make_one_admin, cleanup),
		cmocka_unit_test_teardown(each_role_may_call_only_its_methods, cleanup),
		cmocka_unit_test_teardown(partners_read_only_their_own_organization, cleanup),
		cmocka_unit_test_teardown(partners_cannot_change_another_partner, cleanup),
		cmocka_unit_test_teardown(database_keeps_partners_apart_without_batond, cleanup),
		cmocka_unit_test_teardown(batond_refuses_a_role_that_bypasses_row_security, cleanup),
		cmocka_unit_test_teardown(concurrent_resends_run_once_and_get_one_reply, cleanup),
		cmocka_unit_test_teardown(request_ids_are_per_principal, cleanup),
		cmocka_unit_test_teardown(concurrent_disables_take_effect_once, cleanup),
		cmocka_unit_test_teardown(resend_after_restart_and_on_another_instance_gets_the_first_reply, cleanup),
		cmocka_unit_test_teardown(old_request_records_are_cleaned_up, cleanup),
		cmocka_unit_test_teardown(events_carry_a_signature_that_verifies, cleanup),
		cmocka_unit_test_teardown(bad_input_is_refused_clearly_and_changes_nothing, cleanup),
		cmocka_unit_test_teardown(key_rotation_locks_out_the_old_key, cleanup),
		cmocka_unit_test_teardown(disabled_principal_is_locked_out_at_once, cleanup),
		cmocka_unit_test_teardown(handle_shaped_like_an_id_cannot_shield_a_principal, cleanup),
	};
	return cmocka_run_group_tests_name("integration: identity", tests, setup, teardown);
}
