/* test_identity_roles.c - tries to break authorization and partner isolation (real batond, real PostgreSQL): bootstrap, roles per method, cross-partner reads and writes, row-level security, superusers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
#include "registry.h"

/* The registry's people, each with a client (the first admin aside). */
static fixture_person *const everyone[] = {
	&registry.lead, &registry.integ, &registry.hq_mgr, &registry.wn_mgr, &registry.wn_agent1,
	&registry.wn_agent2, &registry.sl_mgr, &registry.sl_agent1, &registry.sl_agent2,
};
#define N_EVERYONE (sizeof(everyone) / sizeof(everyone[0]))

/* ---- SQL ------------------------------------------------------------------ */

/* Runs sql as role on the test database and stores its SQLSTATE in state
 * ("00000" on success). Quiet: refusals are what some tests expect. */
static void sql_state(const char *role, const char *sql, char state[6])
{
	char conninfo[600];
	PGconn *c;
	PGresult *r;

	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 user=%s dbname=baton", registry.pg.dir, role);
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
	assert_int_equal(registry_sqlf(out, len,
	                     "SELECT (SELECT count(*) FROM principal_key WHERE principal_id = '%s') || ':' ||"
	                     " (SELECT count(*) FROM principal_key WHERE principal_id = '%s' AND revoked_at IS NOT NULL)"
	                     " || ':' || (SELECT disabled_at IS NOT NULL FROM principal WHERE id = '%s')",
	                     id, id, id),
	    0);
}

/* ---- 1. bootstrap ---------------------------------------------------------- */

static void bootstrap_makes_one_admin_with_a_private_key_file(void **state)
{
	const char *created[] = { "\"event\":\"bootstrap_admin_created\"", registry.srv.admin_key_file, NULL };
	const char *any_created[] = { "bootstrap_admin_created", NULL };
	const char *ready[] = { "\"event\":\"schema_ready\"", NULL };
	char why[400], hex[2 * BATON_PUBLIC_KEY_BYTES + 1], pub[BATON_PUBLIC_KEY_TEXT];
	Baton__V1__WhoamiReply *me;
	baton_key key, again;
	struct stat st;
	harness_batond *second;
	(void)state;

	assert_int_equal(stat(registry.srv.admin_key_file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(baton_key_file_read(registry.srv.admin_key_file, &key, why, sizeof(why)), BATON_OK);
	sodium_bin2hex(hex, sizeof(hex), key.public_key, sizeof(key.public_key));
	baton_public_key_format(key.public_key, pub);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal_key k JOIN principal p ON p.id = k.principal_id"
	                               " WHERE p.id = '%s' AND p.role = 'admin' AND k.revoked_at IS NULL"
	                               " AND k.public_key = decode('%s', 'hex')", registry.admin_id, hex),
	    1);
	assert_int_equal(harness_log_count(&registry.srv, created), 1);
	assert_int_equal(harness_log_count(&registry.srv, any_created), 1);
	const char *names_key[] = { "bootstrap_admin_created", pub, NULL };
	assert_int_equal(harness_log_count(&registry.srv, names_key), 1);

	/* A second batond on the same database and the same admin key path. */
	second = registry_extra_start(registry.pg.conninfo, NULL, true);
	assert_int_equal(harness_log_count(second, ready), 1);
	assert_int_equal(harness_log_count(second, any_created), 0);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal WHERE role = 'admin'"), 1);
	assert_int_equal(baton_key_file_read(second->admin_key_file, &again, why, sizeof(why)), BATON_OK);
	assert_memory_equal(again.public_key, key.public_key, sizeof(key.public_key));
	assert_int_equal(registry_whoami(registry_client_for(second, NULL), &me), BATON_OK);
	assert_string_equal(me->principal->id, registry.admin_id);
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
	harness_pg_conninfo_for(&registry.pg, "baton_two", conninfo, sizeof(conninfo));
	for (int i = 0; i < 2; i++) {
		snprintf(dir[i], sizeof(dir[i]), "%s/first-start-%d", registry.pg.dir, i);
		assert_int_equal(mkdir(dir[i], 0700), 0);
	}
	for (int i = 0; i < 2; i++)
		b[i] = registry_extra_start_in(dir[i], conninfo, NULL, false);
	for (int i = 0; i < 2; i++) {
		assert_true(serving(b[i], 20000));
		logged += harness_log_count(b[i], created);
		key_files += stat(b[i]->admin_key_file, &st) == 0;
	}
	assert_int_equal(harness_sql(&registry.pg, "baton_two",
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
	{ "agent AddOrg", &registry.wn_agent1, OP_ADD_ORG, "rogue-a", NULL, NULL, NULL, DENIED },
	{ "lead AddOrg", &registry.lead, OP_ADD_ORG, "rogue-b", NULL, NULL, NULL, DENIED },
	{ "integration AddOrg", &registry.integ, OP_ADD_ORG, "rogue-c", NULL, NULL, NULL, DENIED },
	{ "partner manager AddOrg", &registry.wn_mgr, OP_ADD_ORG, "rogue-d", NULL, NULL, NULL, DENIED },
	{ "in-house manager AddOrg", &registry.hq_mgr, OP_ADD_ORG, "rogue-e", NULL, NULL, NULL, DENIED },
	{ "agent AddPrincipal in own org", &registry.wn_agent1, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-1", "agent",
	    NULL, DENIED },
	{ "lead AddPrincipal", &registry.lead, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-2", "agent", NULL, DENIED },
	{ "integration AddPrincipal", &registry.integ, OP_ADD_PRINCIPAL, "in-house", "rogue-3", "agent", NULL, DENIED },
	{ "partner manager adds a lead", &registry.wn_mgr, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-4", "lead", NULL,
	    DENIED },
	{ "partner manager adds an admin", &registry.wn_mgr, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-5", "admin",
	    NULL, DENIED },
	{ "partner manager adds an integration", &registry.wn_mgr, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-6",
	    "integration", NULL, DENIED },
	{ "partner manager adds into another partner", &registry.wn_mgr, OP_ADD_PRINCIPAL, "sol-latino", "rogue-7",
	    "agent", NULL, DENIED_OR_HIDDEN },
	{ "partner manager adds into in-house", &registry.wn_mgr, OP_ADD_PRINCIPAL, "in-house", "rogue-8", "agent",
	    NULL, DENIED_OR_HIDDEN },
	{ "partner manager adds a manager into another partner", &registry.sl_mgr, OP_ADD_PRINCIPAL, "warsaw-nights",
	    "rogue-9", "manager", NULL, DENIED_OR_HIDDEN },
	{ "in-house manager adds into a partner", &registry.hq_mgr, OP_ADD_PRINCIPAL, "warsaw-nights", "rogue-10",
	    "agent", NULL, DENIED },
	{ "in-house manager adds a lead", &registry.hq_mgr, OP_ADD_PRINCIPAL, "in-house", "rogue-11", "lead", NULL,
	    DENIED },
	{ "in-house manager adds an admin", &registry.hq_mgr, OP_ADD_PRINCIPAL, "in-house", "rogue-12", "admin", NULL,
	    DENIED },
	{ "agent disables another agent", &registry.wn_agent1, OP_DISABLE, NULL, NULL, NULL, &registry.wn_agent2,
	    DENIED },
	{ "agent disables own manager", &registry.wn_agent1, OP_DISABLE, NULL, NULL, NULL, &registry.wn_mgr, DENIED },
	{ "lead disables an agent", &registry.lead, OP_DISABLE, NULL, NULL, NULL, &registry.wn_agent2, DENIED },
	{ "integration disables an agent", &registry.integ, OP_DISABLE, NULL, NULL, NULL, &registry.sl_agent1, DENIED },
	{ "in-house manager disables a partner agent", &registry.hq_mgr, OP_DISABLE, NULL, NULL, NULL,
	    &registry.wn_agent2, DENIED },
	{ "in-house manager disables the lead", &registry.hq_mgr, OP_DISABLE, NULL, NULL, NULL, &registry.lead,
	    DENIED },
	{ "partner manager disables the lead", &registry.wn_mgr, OP_DISABLE, NULL, NULL, NULL, &registry.lead,
	    DENIED_OR_HIDDEN },
	{ "agent adds a key to another agent", &registry.wn_agent1, OP_ADD_KEY, NULL, NULL, NULL, &registry.wn_agent2,
	    DENIED },
	{ "agent adds a key to own manager", &registry.wn_agent1, OP_ADD_KEY, NULL, NULL, NULL, &registry.wn_mgr,
	    DENIED },
	{ "lead adds a key to an agent", &registry.lead, OP_ADD_KEY, NULL, NULL, NULL, &registry.wn_agent2, DENIED },
	{ "integration adds a key to the lead", &registry.integ, OP_ADD_KEY, NULL, NULL, NULL, &registry.lead, DENIED },
	{ "in-house manager adds a key to a partner agent", &registry.hq_mgr, OP_ADD_KEY, NULL, NULL, NULL,
	    &registry.sl_agent2, DENIED },
	{ "partner manager adds a key to the integration", &registry.wn_mgr, OP_ADD_KEY, NULL, NULL, NULL,
	    &registry.integ, DENIED_OR_HIDDEN },
	{ "agent revokes another agent's key", &registry.wn_agent1, OP_REVOKE_KEY, NULL, NULL, NULL,
	    &registry.wn_agent2, DENIED },
	{ "agent revokes own manager's key", &registry.wn_agent1, OP_REVOKE_KEY, NULL, NULL, NULL, &registry.wn_mgr,
	    DENIED },
	{ "lead revokes an agent's key", &registry.lead, OP_REVOKE_KEY, NULL, NULL, NULL, &registry.sl_agent2, DENIED },
	{ "integration revokes the lead's key", &registry.integ, OP_REVOKE_KEY, NULL, NULL, NULL, &registry.lead,
	    DENIED },
	{ "in-house manager revokes a partner agent's key", &registry.hq_mgr, OP_REVOKE_KEY, NULL, NULL, NULL,
	    &registry.sl_agent2, DENIED },
	{ "partner manager revokes the lead's key", &registry.wn_mgr, OP_REVOKE_KEY, NULL, NULL, NULL, &registry.lead,
	    DENIED_OR_HIDDEN },
	/* Becoming the admin by giving it a key of one's own. */
	{ "in-house manager adds a key to the admin", &registry.hq_mgr, OP_ADD_KEY, NULL, NULL, NULL, &registry.admin_p,
	    DENIED },
	{ "lead adds a key to the admin", &registry.lead, OP_ADD_KEY, NULL, NULL, NULL, &registry.admin_p, DENIED },
	{ "integration adds a key to the admin", &registry.integ, OP_ADD_KEY, NULL, NULL, NULL, &registry.admin_p,
	    DENIED },
	{ "partner manager adds a key to the admin", &registry.wn_mgr, OP_ADD_KEY, NULL, NULL, NULL, &registry.admin_p,
	    DENIED_OR_HIDDEN },
	{ "agent adds a key to the admin", &registry.sl_agent1, OP_ADD_KEY, NULL, NULL, NULL, &registry.admin_p,
	    DENIED_OR_HIDDEN },
	{ "in-house manager revokes the admin's key", &registry.hq_mgr, OP_REVOKE_KEY, NULL, NULL, NULL,
	    &registry.admin_p, DENIED },
	{ "in-house manager disables the admin", &registry.hq_mgr, OP_DISABLE, NULL, NULL, NULL, &registry.admin_p,
	    DENIED },
	{ "lead disables the admin", &registry.lead, OP_DISABLE, NULL, NULL, NULL, &registry.admin_p, DENIED },
	/* What the roles are for, so the table is not all refusals. */
	{ "partner manager adds an agent to own org", &registry.wn_mgr, OP_ADD_PRINCIPAL, "warsaw-nights",
	    "wn-table-agent", "agent", NULL, ALLOWED },
	{ "partner manager adds a manager to own org", &registry.sl_mgr, OP_ADD_PRINCIPAL, "sol-latino",
	    "sl-table-manager", "manager", NULL, ALLOWED },
	{ "in-house manager adds an in-house agent", &registry.hq_mgr, OP_ADD_PRINCIPAL, "in-house", "hq-table-agent",
	    "agent", NULL, ALLOWED },
	{ "partner manager adds a key to own agent", &registry.wn_mgr, OP_ADD_KEY, NULL, NULL, NULL,
	    &registry.wn_agent2, ALLOWED },
};

static baton_status role_case_run(const role_case *rc, char *msg, size_t msg_len)
{
	char pub[BATON_PUBLIC_KEY_TEXT];
	baton_client *c = rc->who->client;

	switch (rc->op) {
	case OP_ADD_ORG:
		return registry_org_add(c, rc->org, "overflow", "en", "UTC", msg, msg_len);
	case OP_ADD_PRINCIPAL:
		return registry_principal_add(c, rc->org, rc->handle, rc->role, NULL, msg, msg_len);
	case OP_DISABLE:
		return registry_principal_disable(c, rc->target->handle, NULL, msg, msg_len);
	case OP_ADD_KEY:
		registry_fresh_public_key(pub);
		return registry_key_add(c, rc->target->handle, pub, NULL, msg, msg_len);
	case OP_REVOKE_KEY:
		return registry_key_revoke(c, rc->target->key_id, msg, msg_len);
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
		long events = registry_event_count();
		baton_status s;

		if (rc->target != NULL)
			principal_state(rc->target->id, before, sizeof(before));
		s = role_case_run(rc, msg, sizeof(msg));
		if (s != rc->want && s != rc->or_else)
			print_error("case '%s': got %s (%s), want %s\n", rc->name, baton_status_str(s), msg,
			    baton_status_str(rc->want));
		assert_true(s == rc->want || s == rc->or_else);
		if (rc->want != BATON_OK) {
			assert_int_equal(registry_event_count(), events);
			if (rc->op == OP_ADD_ORG)
				assert_int_equal(registry_sqln("SELECT count(*) FROM org WHERE name = '%s'", rc->org),
				    0);
			if (rc->op == OP_ADD_PRINCIPAL)
				assert_int_equal(registry_sqln("SELECT count(*) FROM principal WHERE handle = '%s'",
				                     rc->handle), 0);
			if (rc->target != NULL) {
				principal_state(rc->target->id, after, sizeof(after));
				assert_string_equal(after, before);
			}
		} else {
			assert_true(registry_event_count() > events);
			if (rc->op == OP_ADD_PRINCIPAL)
				assert_int_equal(registry_sqln("SELECT count(*) FROM principal WHERE handle = '%s'",
				                     rc->handle), 1);
		}
	}

	/* Everyone may ping, ask who they are and list organizations. */
	for (size_t i = 0; i <= N_EVERYONE; i++) {
		baton_client *c = i < N_EVERYONE ? everyone[i]->client : registry.admin;
		const char *handle = i < N_EVERYONE ? everyone[i]->handle : "admin";
		Baton__V1__ListOrgsReply *orgs;
		Baton__V1__WhoamiReply *me;

		assert_int_equal(registry_ping(c), BATON_OK);
		assert_int_equal(registry_whoami(c, &me), BATON_OK);
		assert_string_equal(me->principal->handle, handle);
		assert_true(me->key_id[0] != '\0');
		baton__v1__whoami_reply__free_unpacked(me, NULL);
		assert_int_equal(registry_orgs_list(c, &orgs), BATON_OK);
		assert_true(orgs->n_orgs >= 1);
		baton__v1__list_orgs_reply__free_unpacked(orgs, NULL);
	}
}

/* ---- 3. cross-partner reads ----------------------------------------------- */

static void partners_read_only_their_own_organization(void **state)
{
	const char *hidden[] = { "admin", "hq-lead", "hq-integration", "hq-manager", "sl-manager", "sl-agent1",
		"sl-agent2" };
	const char *not_theirs[] = { "sol-latino", registry.sl_id, "in-house", registry.in_house_id };
	Baton__V1__ListOrgsReply *orgs;
	Baton__V1__ListPrincipalsReply *l;
	char msg[512];
	(void)state;

	/* Organizations: only their own. */
	assert_int_equal(registry_orgs_list(registry.wn_agent1.client, &orgs), BATON_OK);
	assert_int_equal(orgs->n_orgs, 1);
	assert_string_equal(orgs->orgs[0]->name, "warsaw-nights");
	assert_string_equal(orgs->orgs[0]->id, registry.wn_id);
	assert_string_equal(orgs->orgs[0]->time_zone, "Europe/Warsaw");
	assert_int_equal(orgs->orgs[0]->n_languages, 2);
	baton__v1__list_orgs_reply__free_unpacked(orgs, NULL);
	assert_int_equal(registry_orgs_list(registry.sl_mgr.client, &orgs), BATON_OK);
	assert_int_equal(orgs->n_orgs, 1);
	assert_string_equal(orgs->orgs[0]->name, "sol-latino");
	baton__v1__list_orgs_reply__free_unpacked(orgs, NULL);

	/* People: only their own organization's, disabled or not. */
	for (int disabled = 0; disabled < 2; disabled++) {
		assert_int_equal(registry_principals_list(registry.wn_agent1.client, "", disabled, &l, NULL, 0),
		    BATON_OK);
		assert_int_equal(l->n_principals,
		    registry_sqln("SELECT count(*) FROM principal WHERE org_id = '%s'%s", registry.wn_id,
		        disabled ? "" : " AND disabled_at IS NULL"));
		for (size_t i = 0; i < l->n_principals; i++) {
			assert_string_equal(l->principals[i]->org_id, registry.wn_id);
			for (size_t k = 0; k < l->principals[i]->n_keys; k++)
				assert_string_equal(l->principals[i]->keys[k]->principal_id, l->principals[i]->id);
		}
		assert_true(registry_listed(l, "wn-manager") && registry_listed(l, "wn-agent1") &&
		    registry_listed(l, "wn-agent2"));
		for (size_t i = 0; i < sizeof(hidden) / sizeof(hidden[0]); i++)
			assert_false(registry_listed(l, hidden[i]));
		baton__v1__list_principals_reply__free_unpacked(l, NULL);
	}

	/* Another organization, by name or id, looks the same as one that does
	 * not exist: NOT_FOUND, naming only what was asked. */
	for (size_t i = 0; i < sizeof(not_theirs) / sizeof(not_theirs[0]); i++) {
		char want[200];
		assert_int_equal(registry_principals_list(registry.wn_agent1.client, not_theirs[i], true, &l, msg,
		                     sizeof(msg)),
		    BATON_NOT_FOUND);
		snprintf(want, sizeof(want), "no organization '%s'", not_theirs[i]);
		assert_string_equal(msg, want);
	}
	assert_int_equal(registry_principals_list(registry.wn_agent1.client, "no-such-org", false, &l, msg,
	                     sizeof(msg)), BATON_NOT_FOUND);
	assert_string_equal(msg, "no organization 'no-such-org'");
	assert_int_equal(registry_principals_list(registry.sl_agent2.client, "warsaw-nights", false, &l, NULL, 0),
	    BATON_NOT_FOUND);

	/* In-house principals see everything. */
	baton_client *in_house[] = { registry.admin, registry.lead.client, registry.integ.client };
	for (size_t i = 0; i < sizeof(in_house) / sizeof(in_house[0]); i++) {
		assert_int_equal(registry_orgs_list(in_house[i], &orgs), BATON_OK);
		assert_int_equal(orgs->n_orgs, registry_sqln("SELECT count(*) FROM org"));
		assert_true(orgs->n_orgs >= 3);
		assert_string_equal(orgs->orgs[0]->kind, "in_house");
		baton__v1__list_orgs_reply__free_unpacked(orgs, NULL);
		assert_int_equal(registry_principals_list(in_house[i], "", true, &l, NULL, 0), BATON_OK);
		assert_int_equal(l->n_principals, registry_sqln("SELECT count(*) FROM principal"));
		assert_true(registry_listed(l, "admin") && registry_listed(l, "wn-agent1") &&
		    registry_listed(l, "sl-agent2"));
		baton__v1__list_principals_reply__free_unpacked(l, NULL);
		assert_int_equal(registry_principals_list(in_house[i], "sol-latino", true, &l, NULL, 0), BATON_OK);
		assert_int_equal(l->n_principals,
		    registry_sqln("SELECT count(*) FROM principal WHERE org_id = '%s'", registry.sl_id));
		for (size_t k = 0; k < l->n_principals; k++)
			assert_string_equal(l->principals[k]->org_id, registry.sl_id);
		baton__v1__list_principals_reply__free_unpacked(l, NULL);
	}
}

/* ---- 4. cross-partner writes ---------------------------------------------- */

static void partners_cannot_change_another_partner(void **state)
{
	char before[64], after[64], lead_before[64], lead_after[64], pub[BATON_PUBLIC_KEY_TEXT], msg[512];
	long events = registry_event_count();
	baton_status s;
	(void)state;

	principal_state(registry.sl_agent1.id, before, sizeof(before));
	principal_state(registry.lead.id, lead_before, sizeof(lead_before));
	registry_fresh_public_key(pub);

#define REFUSED(expr)                                                                                  \
	do {                                                                                           \
		s = (expr);                                                                            \
		if (s != BATON_PERMISSION_DENIED && s != BATON_NOT_FOUND)                              \
			print_error("%s: %s (%s)\n", #expr, baton_status_str(s), msg);                 \
		assert_true(s == BATON_PERMISSION_DENIED || s == BATON_NOT_FOUND);                     \
	} while (0)

	REFUSED(registry_principal_disable(registry.wn_mgr.client, registry.sl_agent1.handle, NULL, msg, sizeof(msg)));
	REFUSED(registry_principal_disable(registry.wn_mgr.client, registry.sl_agent1.id, NULL, msg, sizeof(msg)));
	REFUSED(registry_key_add(registry.wn_mgr.client, registry.sl_agent1.handle, pub, NULL, msg, sizeof(msg)));
	REFUSED(registry_key_add(registry.wn_mgr.client, registry.sl_agent1.id, pub, NULL, msg, sizeof(msg)));
	REFUSED(registry_key_revoke(registry.wn_mgr.client, registry.sl_agent1.key_id, msg, sizeof(msg)));
	REFUSED(registry_key_revoke(registry.wn_mgr.client, registry.sl_agent1.public_key, msg, sizeof(msg)));
	REFUSED(registry_principal_add(registry.wn_mgr.client, registry.sl_id, "wn-planted", "agent", NULL, msg,
	            sizeof(msg)));
	/* Nor the in-house people, nor the other way round. */
	REFUSED(registry_principal_disable(registry.wn_mgr.client, registry.lead.id, NULL, msg, sizeof(msg)));
	REFUSED(registry_principal_disable(registry.wn_mgr.client, registry.admin_id, NULL, msg, sizeof(msg)));
	REFUSED(registry_key_revoke(registry.wn_mgr.client, registry.lead.public_key, msg, sizeof(msg)));
	REFUSED(registry_key_add(registry.wn_mgr.client, "admin", pub, NULL, msg, sizeof(msg)));
	REFUSED(registry_principal_disable(registry.sl_mgr.client, registry.wn_agent1.handle, NULL, msg, sizeof(msg)));
	REFUSED(registry_key_revoke(registry.sl_mgr.client, registry.wn_agent1.key_id, msg, sizeof(msg)));
#undef REFUSED

	/* The refusal of another partner's agent looks like "no such one". */
	assert_int_equal(registry_principal_disable(registry.wn_mgr.client, registry.sl_agent1.handle, NULL, msg,
	                     sizeof(msg)), BATON_NOT_FOUND);
	assert_string_equal(msg, "no principal 'sl-agent1'");

	principal_state(registry.sl_agent1.id, after, sizeof(after));
	assert_string_equal(after, before);
	principal_state(registry.lead.id, lead_after, sizeof(lead_after));
	assert_string_equal(lead_after, lead_before);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal WHERE handle = 'wn-planted'"), 0);
	uint8_t pk[BATON_PUBLIC_KEY_BYTES];
	char pk_hex[2 * BATON_PUBLIC_KEY_BYTES + 1];
	assert_int_equal(baton_public_key_parse(pub, pk), BATON_OK);
	sodium_bin2hex(pk_hex, sizeof(pk_hex), pk, sizeof(pk));
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal_key WHERE public_key = decode('%s', 'hex')",
	                     pk_hex), 0);
	assert_int_equal(registry_event_count(), events);
	/* The sol-latino agent still works. */
	assert_int_equal(registry_whoami(registry.sl_agent1.client, NULL), BATON_OK);
}

/* ---- 5. the database itself -------------------------------------------------- */

static void database_keeps_partners_apart_without_batond(void **state)
{
	const char *tables[] = { "org", "principal", "principal_key", "event", "request_record" };
	char out[64];
	long wn_people = registry_sqln("SELECT count(*) FROM principal WHERE org_id = '%s'", registry.wn_id);
	long sl_people = registry_sqln("SELECT count(*) FROM principal WHERE org_id = '%s'", registry.sl_id);
	long revoked = registry_sqln("SELECT count(*) FROM principal_key WHERE revoked_at IS NOT NULL");
	long events = registry_event_count();
	(void)state;

	assert_true(wn_people >= 3 && sl_people >= 3);

	/* No scope set: nothing is visible (fail closed). */
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		char sql[100];
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", tables[i]);
		assert_int_equal(harness_sql(&registry.pg, NULL, sql, out, sizeof(out)), 0);
		assert_string_equal(out, "0");
		assert_true(registry_sqln("%s", sql) > 0);
	}
	/* A scope that is not exactly 'all' is not 'all'. */
	assert_int_equal(harness_sql(&registry.pg, NULL, "SELECT set_config('baton.scope', 'ALL', false);"
	                                                 " SELECT count(*) FROM principal", out, sizeof(out)), 0);
	assert_string_equal(out, "0");
	assert_int_equal(harness_sql(&registry.pg, NULL, "SELECT set_config('baton.scope', 'org', false);"
	                                                 " SELECT count(*) FROM principal", out, sizeof(out)), 0);
	assert_string_equal(out, "0");

	/* Scoped to warsaw-nights: its own rows and nothing else. */
	assert_int_equal(registry_sql_as_org(registry.wn_id, out, sizeof(out), "SELECT count(*) FROM principal"), 0);
	assert_int_equal(strtol(out, NULL, 10), wn_people);
	assert_int_equal(registry_sql_as_org(registry.wn_id, out, sizeof(out),
	                     "SELECT count(*) FROM principal WHERE org_id <> '%s'", registry.wn_id), 0);
	assert_string_equal(out, "0");
	assert_int_equal(registry_sql_as_org(registry.wn_id, out, sizeof(out), "SELECT count(*) FROM org"), 0);
	assert_string_equal(out, "1");
	assert_int_equal(registry_sql_as_org(registry.wn_id, out, sizeof(out),
	                     "SELECT count(*) FROM principal_key WHERE org_id <> '%s'", registry.wn_id), 0);
	assert_string_equal(out, "0");
	assert_int_equal(registry_sql_as_org(registry.wn_id, out, sizeof(out),
	                     "SELECT count(*) FROM event WHERE org_id IS DISTINCT FROM '%s'", registry.wn_id), 0);
	assert_string_equal(out, "0");
	/* Exactly-once records hold other people's replies: scoped too. */
	assert_int_equal(registry_sql_as_org(registry.wn_id, out, sizeof(out),
	                     "SELECT count(*) FROM request_record WHERE org_id <> '%s'", registry.wn_id), 0);
	assert_string_equal(out, "0");
	assert_true(registry_sqln("SELECT count(*) FROM request_record WHERE org_id <> '%s'", registry.wn_id) > 0);

	/* Writes to another organization's rows touch nothing... */
	assert_int_equal(registry_sql_as_org(registry.wn_id, out, sizeof(out),
	                     "WITH u AS (UPDATE principal SET display_name = 'pwned' WHERE org_id = '%s' RETURNING 1)"
	                     " SELECT count(*) FROM u", registry.sl_id), 0);
	assert_string_equal(out, "0");
	assert_int_equal(registry_sql_as_org(registry.wn_id, out, sizeof(out),
	                     "WITH u AS (UPDATE principal_key SET revoked_at = now() WHERE org_id <> '%s' RETURNING 1)"
	                     " SELECT count(*) FROM u", registry.wn_id), 0);
	assert_string_equal(out, "0");
	assert_int_equal(registry_sql_as_org(registry.wn_id, out, sizeof(out),
	                     "WITH d AS (DELETE FROM event WHERE org_id = '%s' RETURNING 1)"
	                     " SELECT count(*) FROM d", registry.sl_id), 0);
	assert_string_equal(out, "0");
	/* ...and rows placed into another organization are refused. */
	refused_by_policy(registry.wn_id, "INSERT INTO principal (org_id, handle, display_name, role)"
	                                  " VALUES ('%s', 'sql-planted', 'x', 'agent')", registry.sl_id);
	refused_by_policy(registry.wn_id, "UPDATE principal SET org_id = '%s' WHERE id = '%s'", registry.sl_id,
	    registry.wn_agent2.id);
	refused_by_policy(registry.wn_id, "INSERT INTO principal_key (principal_id, org_id, public_key)"
	                                  " VALUES ('%s', '%s', decode(repeat('ab', 32), 'hex'))",
	    registry.sl_agent1.id, registry.sl_id);
	refused_by_policy(registry.wn_id, "INSERT INTO event (org_id, kind, subject_id) VALUES ('%s', 'forged', 'x')",
	    registry.sl_id);
	refused_by_policy(registry.wn_id, "INSERT INTO event (org_id, kind, subject_id) VALUES (NULL, 'forged', 'x')");
	refused_by_policy(registry.wn_id,
	    "INSERT INTO org (name, kind, time_zone) VALUES ('sql-org', 'overflow', 'UTC')");

	assert_int_equal(registry_sqln("SELECT count(*) FROM principal"
	                               " WHERE display_name = 'pwned' OR handle = 'sql-planted'"), 0);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal WHERE org_id = '%s'", registry.sl_id),
	    sl_people);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal WHERE id = '%s' AND org_id = '%s'",
	                     registry.wn_agent2.id, registry.wn_id), 1);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal_key WHERE revoked_at IS NOT NULL"), revoked);
	assert_int_equal(registry_event_count(), events);
	assert_int_equal(registry_sqln("SELECT count(*) FROM org WHERE name = 'sql-org'"), 0);
}

/* ---- 6. no superuser ------------------------------------------------------------ */

static void refused_role_exits(const char *role)
{
	const char *needles[] = { "\"event\":\"database_role_refused\"", role, NULL };
	char conninfo[600];
	harness_batond *b;
	int rc;

	snprintf(conninfo, sizeof(conninfo), "host=%s/run port=5432 user=%s dbname=baton", registry.pg.dir, role);
	b = registry_extra_start(conninfo, NULL, false);
	rc = harness_batond_wait(b, 20000);
	if (rc <= 0)
		print_error("batond as %s exited with %d; log %s\n", role, rc, b->log_path);
	assert_int_equal(rc, 1); /* exited by itself, with a failure */
	assert_int_equal(harness_log_count(b, needles), 1);
}

static void batond_refuses_a_role_that_bypasses_row_security(void **state)
{
	(void)state;
	assert_true(strstr(registry.pg.conninfo, "user=baton") != NULL);
	refused_role_exits("postgres");
	assert_int_equal(sql_as_postgres("CREATE ROLE baton_bypass LOGIN NOSUPERUSER BYPASSRLS"), 0);
	refused_role_exits("baton_bypass");
	assert_int_equal(sql_as_postgres("DROP ROLE baton_bypass"), 0);
	/* The real server is unaffected. */
	assert_int_equal(registry_whoami(registry.admin, NULL), BATON_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(bootstrap_makes_one_admin_with_a_private_key_file, registry_cleanup),
		cmocka_unit_test_teardown(two_first_starts_at_once_make_one_admin, registry_cleanup),
		cmocka_unit_test_teardown(each_role_may_call_only_its_methods, registry_cleanup),
		cmocka_unit_test_teardown(partners_read_only_their_own_organization, registry_cleanup),
		cmocka_unit_test_teardown(partners_cannot_change_another_partner, registry_cleanup),
		cmocka_unit_test_teardown(database_keeps_partners_apart_without_batond, registry_cleanup),
		cmocka_unit_test_teardown(batond_refuses_a_role_that_bypasses_row_security, registry_cleanup),
	};
	return cmocka_run_group_tests_name("integration: identity, roles", tests, registry_setup, registry_teardown);
}
