/* registry.c - builds the identity tests' registry through the real RPCs, and the calls and queries their cases share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>

#include <cmocka.h>
#include <sodium.h>

#include "registry.h"

registry_group registry;

/* Extra batonds and clients a test starts; the per-test cleanup ends them
 * even when an assertion failed half-way. */
static harness_batond extras[6];
static int            n_extras;
static baton_client  *scratch[24];
static int            n_scratch;

/* Everyone registry_person_add added, for the group teardown to close. */
static fixture_person *people[24];
static int             n_people;

/* ---- the database --------------------------------------------------------- */

/* Runs sql (after fmt) through harness_sql, prefixed by prefix (statements
 * that set the row-level security scope for this connection). */
static int sql_scoped(const char *prefix, char *out, size_t len, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static int sql_scoped(const char *prefix, char *out, size_t len, const char *fmt, va_list ap)
{
	char sql[4096];
	size_t n = (size_t)snprintf(sql, sizeof(sql), "%s", prefix);

	vsnprintf(sql + n, sizeof(sql) - n, fmt, ap);
	return harness_sql(&registry.pg, NULL, sql, out, len);
}

int registry_sqlf(char *out, size_t len, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sql_scoped("SELECT set_config('baton.scope', 'all', false); ", out, len, fmt, ap);
	va_end(ap);
	return rc;
}

long registry_sqln(const char *fmt, ...)
{
	char out[64];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = sql_scoped("SELECT set_config('baton.scope', 'all', false); ", out, sizeof(out), fmt, ap);
	va_end(ap);
	return rc == 0 ? strtol(out, NULL, 10) : -1;
}

int registry_sql_as_org(const char *org_id, char *out, size_t len, const char *fmt, ...)
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

long registry_event_count(void)
{
	return registry_sqln("SELECT count(*) FROM event");
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

baton_status registry_call(baton_client *c, const char *method, const ProtobufCMessage *msg,
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

/* registry_call() that keeps only the status, or also the message when msg is not NULL. */
static baton_status call_status(baton_client *c, const char *method, const ProtobufCMessage *m,
    char *msg, size_t msg_len)
{
	baton_result res;
	baton_status s = registry_call(c, method, m, NULL, &res);

	if (msg != NULL)
		snprintf(msg, msg_len, "%s", res.message);
	baton_result_clear(&res);
	return s;
}

baton_status registry_org_add(baton_client *c, const char *name, const char *kind, const char *lang,
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

baton_status registry_principal_add(baton_client *c, const char *org, const char *handle, const char *role,
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

baton_status registry_principal_disable(baton_client *c, const char *who, Baton__V1__DisablePrincipalReply **out,
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

baton_status registry_key_add(baton_client *c, const char *who, const char *public_key, char *key_id,
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

baton_status registry_key_revoke(baton_client *c, const char *key, char *msg, size_t msg_len)
{
	Baton__V1__RevokeKeyRequest req = BATON__V1__REVOKE_KEY_REQUEST__INIT;

	req.key = (char *)key;
	req.reason = "test";
	return call_status(c, REVOKE_KEY, &req.base, msg, msg_len);
}

baton_status registry_whoami(baton_client *c, Baton__V1__WhoamiReply **out)
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

baton_status registry_orgs_list(baton_client *c, Baton__V1__ListOrgsReply **out)
{
	Baton__V1__ListOrgsRequest req = BATON__V1__LIST_ORGS_REQUEST__INIT;
	return fixture_call(c, LIST_ORGS, &req.base, false, &baton__v1__list_orgs_reply__descriptor,
	    (ProtobufCMessage **)out, NULL);
}

baton_status registry_principals_list(baton_client *c, const char *org, bool include_disabled,
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

baton_status registry_ping(baton_client *c)
{
	baton_result res;
	baton_status s = baton_ping(c, "hi", 2, 5000, &res);
	baton_result_clear(&res);
	return s;
}

void registry_fresh_public_key(char out[BATON_PUBLIC_KEY_TEXT])
{
	baton_key k;
	assert_int_equal(baton_key_generate(&k), BATON_OK);
	baton_public_key_format(k.public_key, out);
	baton_key_wipe(&k);
}

bool registry_listed(const Baton__V1__ListPrincipalsReply *l, const char *handle)
{
	for (size_t i = 0; i < l->n_principals; i++)
		if (strcmp(l->principals[i]->handle, handle) == 0)
			return true;
	return false;
}

/* ---- processes and clients that a test owns ------------------------------- */

harness_batond *registry_extra_start_in(const char *dir, const char *conninfo, const char *const *flags, bool wait)
{
	harness_batond *b;

	assert_true(n_extras < (int)(sizeof(extras) / sizeof(extras[0])));
	b = &extras[n_extras++];
	assert_int_equal(harness_batond_start(b, dir, conninfo, flags, wait), 0);
	return b;
}

harness_batond *registry_extra_start(const char *conninfo, const char *const *flags, bool wait)
{
	return registry_extra_start_in(registry.pg.dir, conninfo, flags, wait);
}

baton_client *registry_client_for(const harness_batond *b, const char *key_file)
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

int registry_cleanup(void **state)
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

int registry_person_add(baton_client *as, const char *org, const char *handle, const char *role, fixture_person *p)
{
	baton_result res;
	baton_status s;

	if (n_people == (int)(sizeof(people) / sizeof(people[0]))) {
		fprintf(stderr, "adding %s: the registry holds %d people at most\n", handle, n_people);
		return -1;
	}
	people[n_people++] = p;
	s = fixture_person_add(as, &registry.srv, registry.pg.dir, org, handle, role, p, &res);
	if (s != BATON_OK)
		fprintf(stderr, "adding %s (%s in %s): %s: %s\n", handle, role, org, baton_status_str(s), res.message);
	baton_result_clear(&res);
	return s == BATON_OK ? 0 : -1;
}

int registry_setup(void **state)
{
	registry_group *r = &registry;
	Baton__V1__WhoamiReply *me;
	baton_result res;
	(void)state;

	if (sodium_init() < 0 || harness_pg_start(&r->pg) != 0 ||
	    harness_batond_start(&r->srv, r->pg.dir, r->pg.conninfo, NULL, true) != 0 ||
	    harness_client(&r->srv, NULL, &r->admin) != 0)
		return -1;
	if (registry_whoami(r->admin, &me) != BATON_OK)
		return -1;
	snprintf(r->admin_id, sizeof(r->admin_id), "%s", me->principal->id);
	snprintf(r->in_house_id, sizeof(r->in_house_id), "%s", me->principal->org_id);
	snprintf(r->admin_p.handle, sizeof(r->admin_p.handle), "admin");
	snprintf(r->admin_p.id, sizeof(r->admin_p.id), "%s", me->principal->id);
	snprintf(r->admin_p.org_id, sizeof(r->admin_p.org_id), "%s", me->principal->org_id);
	snprintf(r->admin_p.key_id, sizeof(r->admin_p.key_id), "%s", me->key_id);
	baton__v1__whoami_reply__free_unpacked(me, NULL);

	for (int i = 0; i < 2; i++) {
		baton_status s = i == 0
		    ? fixture_org_add(r->admin, "warsaw-nights", "after_hours", "pl,en", "Europe/Warsaw", r->wn_id, &res)
		    : fixture_org_add(r->admin, "sol-latino", "language", "es", "America/Bogota", r->sl_id, &res);
		if (s != BATON_OK)
			fprintf(stderr, "AddOrg: %s\n", res.message);
		baton_result_clear(&res);
		if (s != BATON_OK)
			return -1;
	}
	if (registry_person_add(r->admin, "in-house", "hq-lead", "lead", &r->lead) != 0 ||
	    registry_person_add(r->admin, "in-house", "hq-integration", "integration", &r->integ) != 0 ||
	    registry_person_add(r->admin, "in-house", "hq-manager", "manager", &r->hq_mgr) != 0 ||
	    registry_person_add(r->admin, "warsaw-nights", "wn-manager", "manager", &r->wn_mgr) != 0 ||
	    registry_person_add(r->wn_mgr.client, "warsaw-nights", "wn-agent1", "agent", &r->wn_agent1) != 0 ||
	    registry_person_add(r->wn_mgr.client, "warsaw-nights", "wn-agent2", "agent", &r->wn_agent2) != 0 ||
	    registry_person_add(r->admin, "sol-latino", "sl-manager", "manager", &r->sl_mgr) != 0 ||
	    registry_person_add(r->sl_mgr.client, "sol-latino", "sl-agent1", "agent", &r->sl_agent1) != 0 ||
	    registry_person_add(r->sl_mgr.client, "sol-latino", "sl-agent2", "agent", &r->sl_agent2) != 0)
		return -1;
	return 0;
}

int registry_teardown(void **state)
{
	int rc, extras_rc = registry_cleanup(state);

	for (int i = 0; i < n_people; i++)
		fixture_person_close(people[i]);
	n_people = 0;
	baton_client_close(registry.admin);
	rc = harness_batond_stop(&registry.srv, SIGTERM, 15000);
	if (sanitizer_reports(&registry.srv) > 0)
		rc = -1;
	harness_pg_destroy(&registry.pg);
	if (rc != 0) {
		fprintf(stderr, "batond exited with %d (log %s)\n", rc, registry.srv.log_path);
		return -1;
	}
	return extras_rc;
}
