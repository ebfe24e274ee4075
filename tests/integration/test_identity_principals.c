/* test_identity_principals.c - tries to break the life of a principal (real batond, real PostgreSQL): bad input, key rotation, disabling, handles shaped like ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "baton/v1/identity.pb-c.h"
#include "fixture.h"
#include "harness.h"
#include "registry.h"

/* People single cases create and change (the group teardown closes them). */
static fixture_person rotator, leaver, shield;

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
	long events = registry_event_count(), orgs = registry_sqln("SELECT count(*) FROM org");
	long people = registry_sqln("SELECT count(*) FROM principal");
	int unclear = 0;
	baton_result res;
	(void)state;

	for (size_t i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		const bad_input *b = &bad_inputs[i];
		baton_status s = b->org
		    ? registry_org_add(registry.admin, b->a, b->b, b->c, b->d, msg, sizeof(msg))
		    : registry_principal_add(registry.admin, b->a, b->b, b->c, b->d, msg, sizeof(msg));
		assert_int_equal(s, b->want);
		if (strstr(msg, b->says) == NULL) {
			print_error("%s '%s': %s, but the message does not name %s: \"%s\"\n", b->org ? "AddOrg" : "AddPrincipal",
			    b->org ? b->a : b->b, baton_status_str(s), b->says, msg);
			unclear++;
		}
	}
	assert_int_equal(registry_sqln("SELECT count(*) FROM org"), orgs);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal"), people);
	assert_int_equal(registry_event_count(), events);
	assert_int_equal(registry_principal_add(registry.admin, "warsaw-nights", "wn-stolenkey", "agent",
	                     registry.wn_agent1.public_key, msg, sizeof(msg)),
	    BATON_ALREADY_EXISTS);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal"), people);

	/* A state-changing call without a signature is refused before it runs. */
	Baton__V1__AddOrgRequest unsigned_req = BATON__V1__ADD_ORG_REQUEST__INIT;
	baton_call_options no_sig = { .timeout_ms = 10000 };
	unsigned_req.name = "unsigned-org";
	unsigned_req.kind = "overflow";
	unsigned_req.time_zone = "UTC";
	assert_int_equal(registry_call(registry.admin, ADD_ORG, &unsigned_req.base, &no_sig, &res),
	    BATON_UNAUTHENTICATED);
	assert_non_null(strstr(res.message, "signature"));
	baton_result_clear(&res);
	assert_int_equal(registry_sqln("SELECT count(*) FROM org WHERE name = 'unsigned-org'"), 0);

	/* Keys. */
	assert_int_equal(registry_key_add(registry.admin, registry.wn_agent2.handle, "ed25519:AAAA", NULL, msg,
	                     sizeof(msg)), BATON_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "ed25519:AAAA"));
	assert_int_equal(registry_key_add(registry.admin, registry.wn_agent2.handle, registry.sl_agent1.public_key,
	                     NULL, msg, sizeof(msg)), BATON_ALREADY_EXISTS);
	assert_int_equal(registry_key_add(registry.admin, "nobody-at-all", registry.sl_agent1.public_key, NULL, msg,
	                     sizeof(msg)), BATON_NOT_FOUND);
	assert_int_equal(registry_key_revoke(registry.admin, "00000000-0000-0000-0000-000000000000", msg, sizeof(msg)),
	    BATON_NOT_FOUND);
	assert_int_equal(registry_event_count(), events);

	registry_fresh_public_key(pub);
	assert_int_equal(registry_key_add(registry.admin, registry.wn_agent2.handle, pub, key_id, msg, sizeof(msg)),
	    BATON_OK);
	assert_int_equal(registry_key_revoke(registry.admin, key_id, msg, sizeof(msg)), BATON_OK);
	events = registry_event_count();
	assert_int_equal(registry_key_revoke(registry.admin, key_id, msg, sizeof(msg)), BATON_FAILED_PRECONDITION);
	assert_non_null(strstr(msg, "already revoked"));
	assert_int_equal(registry_key_revoke(registry.admin, pub, msg, sizeof(msg)), BATON_FAILED_PRECONDITION);

	/* Nobody disables themselves. */
	assert_int_equal(registry_principal_disable(registry.admin, "admin", NULL, msg, sizeof(msg)),
	    BATON_FAILED_PRECONDITION);
	assert_non_null(strstr(msg, "yourself"));
	assert_int_equal(registry_principal_disable(registry.admin, registry.admin_id, NULL, msg, sizeof(msg)),
	    BATON_FAILED_PRECONDITION);
	assert_int_equal(registry_principal_disable(registry.wn_mgr.client, registry.wn_mgr.handle, NULL, msg,
	                     sizeof(msg)), BATON_FAILED_PRECONDITION);
	assert_int_equal(registry_principal_disable(registry.admin, "", NULL, msg, sizeof(msg)),
	    BATON_INVALID_ARGUMENT);
	assert_int_equal(registry_event_count(), events);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal"
	                               " WHERE disabled_at IS NOT NULL AND id IN ('%s', '%s')",
	                     registry.admin_id, registry.wn_mgr.id), 0);
	assert_int_equal(registry_whoami(registry.wn_mgr.client, NULL), BATON_OK);
	assert_int_equal(unclear, 0);
}

/* ---- 12. key rotation -------------------------------------------------------------- */

static void key_rotation_locks_out_the_old_key(void **state)
{
	char new_file[420], new_pub[BATON_PUBLIC_KEY_TEXT], new_key_id[40], msg[512];
	Baton__V1__WhoamiReply *me;
	baton_client *fresh, *old_again;
	(void)state;

	assert_int_equal(registry_person_add(registry.wn_mgr.client, "warsaw-nights", "wn-rotator", "agent", &rotator),
	    0);
	snprintf(new_file, sizeof(new_file), "%s/wn-rotator-2.key", registry.pg.dir);
	assert_int_equal(harness_keygen(new_file, new_pub), 0);

	/* Self-service: AddKey with no principal means the caller. */
	assert_int_equal(registry_key_add(rotator.client, "", new_pub, new_key_id, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal_key WHERE id = '%s' AND principal_id = '%s'",
	                     new_key_id, rotator.id), 1);
	fresh = registry_client_for(&registry.srv, new_file);
	assert_int_equal(registry_whoami(fresh, &me), BATON_OK);
	assert_string_equal(me->principal->id, rotator.id);
	assert_string_equal(me->key_id, new_key_id);
	assert_int_equal(me->principal->n_keys, 2);
	baton__v1__whoami_reply__free_unpacked(me, NULL);

	/* The new key revokes the old one. */
	assert_int_equal(registry_key_revoke(fresh, rotator.key_id, msg, sizeof(msg)), BATON_OK);
	assert_int_equal(registry_whoami(rotator.client, NULL), BATON_UNAUTHENTICATED);
	assert_int_equal(registry_ping(rotator.client), BATON_UNAUTHENTICATED);
	assert_int_equal(registry_key_add(rotator.client, "", new_pub, NULL, msg, sizeof(msg)), BATON_UNAUTHENTICATED);
	old_again = registry_client_for(&registry.srv, rotator.key_file);
	assert_int_equal(registry_whoami(old_again, NULL), BATON_UNAUTHENTICATED);
	assert_int_equal(registry_whoami(fresh, &me), BATON_OK);
	assert_string_equal(me->key_id, new_key_id);
	baton__v1__whoami_reply__free_unpacked(me, NULL);
	assert_int_equal(registry_sqln("SELECT count(*) FROM principal_key"
	                               " WHERE principal_id = '%s' AND revoked_at IS NULL", rotator.id), 1);
	/* Nobody else can rotate someone's key for them. */
	registry_fresh_public_key(new_pub);
	assert_int_equal(registry_key_add(registry.wn_agent1.client, rotator.handle, new_pub, NULL, msg, sizeof(msg)),
	    BATON_PERMISSION_DENIED);
}

/* ---- disabling -------------------------------------------------------------------- */

static void disabled_principal_is_locked_out_at_once(void **state)
{
	Baton__V1__DisablePrincipalReply *rep;
	Baton__V1__ListPrincipalsReply *l;
	char msg[512], pub[BATON_PUBLIC_KEY_TEXT];
	(void)state;

	assert_int_equal(registry_person_add(registry.wn_mgr.client, "warsaw-nights", "wn-leaver", "agent", &leaver),
	    0);
	assert_int_equal(registry_whoami(leaver.client, NULL), BATON_OK);
	assert_int_equal(registry_principal_disable(registry.wn_mgr.client, leaver.handle, &rep, msg, sizeof(msg)),
	    BATON_OK);
	assert_string_equal(rep->principal->id, leaver.id);
	assert_true(rep->principal->disabled_unix_ms > 0);
	baton__v1__disable_principal_reply__free_unpacked(rep, NULL);

	assert_int_equal(registry_whoami(leaver.client, NULL), BATON_UNAUTHENTICATED);
	assert_int_equal(registry_whoami(registry_client_for(&registry.srv, leaver.key_file), NULL),
	    BATON_UNAUTHENTICATED);
	assert_int_equal(registry_principal_disable(registry.wn_mgr.client, leaver.handle, NULL, msg, sizeof(msg)),
	    BATON_FAILED_PRECONDITION);
	registry_fresh_public_key(pub);
	assert_int_equal(registry_key_add(registry.wn_mgr.client, leaver.handle, pub, NULL, msg, sizeof(msg)),
	    BATON_FAILED_PRECONDITION);

	assert_int_equal(registry_principals_list(registry.wn_mgr.client, "", false, &l, NULL, 0), BATON_OK);
	assert_false(registry_listed(l, "wn-leaver"));
	baton__v1__list_principals_reply__free_unpacked(l, NULL);
	assert_int_equal(registry_principals_list(registry.wn_mgr.client, "", true, &l, NULL, 0), BATON_OK);
	assert_true(registry_listed(l, "wn-leaver"));
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

	assert_int_equal(registry_person_add(registry.admin, "warsaw-nights", "wn-shield", "manager", &shield), 0);
	added = registry_principal_add(shield.client, "warsaw-nights", shield.id, "agent", NULL, msg, sizeof(msg));
	/* Refusing such a handle is a fine answer too. */
	assert_true(added == BATON_OK || added == BATON_INVALID_ARGUMENT);

	who = registry_whoami(shield.client, NULL);
	by_handle = registry_principal_disable(registry.admin, shield.handle, &rep, by_handle_msg,
	    sizeof(by_handle_msg));
	if (by_handle != BATON_OK) {
		by_id = registry_principal_disable(registry.admin, shield.id, NULL, by_id_msg, sizeof(by_id_msg));
		revoke = registry_key_revoke(registry.admin, shield.key_id, revoke_msg, sizeof(revoke_msg));
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
	assert_int_equal(registry_whoami(shield.client, NULL), BATON_UNAUTHENTICATED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(bad_input_is_refused_clearly_and_changes_nothing, registry_cleanup),
		cmocka_unit_test_teardown(key_rotation_locks_out_the_old_key, registry_cleanup),
		cmocka_unit_test_teardown(disabled_principal_is_locked_out_at_once, registry_cleanup),
		cmocka_unit_test_teardown(handle_shaped_like_an_id_cannot_shield_a_principal, registry_cleanup),
	};
	return cmocka_run_group_tests_name("integration: identity, principals", tests, registry_setup,
	    registry_teardown);
}
