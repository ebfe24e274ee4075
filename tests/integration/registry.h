/* registry.h - the registry every test_identity_* program starts from (the in-house roles, two partner organizations and their people) and the calls and queries their cases share. */
#ifndef BATON_TESTS_REGISTRY_H
#define BATON_TESTS_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

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

/*
 * What registry_setup builds through the real RPCs: organizations
 * "warsaw-nights" (after hours, pl and en, Europe/Warsaw) and "sol-latino"
 * (language, es, America/Bogota) beside the in-house one, and one person per
 * role, each with a key file under pg.dir and an open client on srv.
 */
typedef struct registry_group {
	harness_pg     pg;
	harness_batond srv;
	baton_client  *admin; /* the first admin's client */
	char           admin_id[40], in_house_id[40], wn_id[40], sl_id[40];
	fixture_person lead, integ, hq_mgr;          /* in-house: hq-lead, hq-integration, hq-manager */
	fixture_person wn_mgr, wn_agent1, wn_agent2; /* warsaw-nights: wn-manager, wn-agent1, wn-agent2 */
	fixture_person sl_mgr, sl_agent1, sl_agent2; /* sol-latino: sl-manager, sl-agent1, sl-agent2 */
	fixture_person admin_p; /* the first admin as a target: no client of its own (admin is it) */
} registry_group;

extern registry_group registry;

/* ---- set-up -------------------------------------------------------------- */

/* cmocka group setup: starts PostgreSQL and srv and builds the registry.
 * 0 on success, -1 with the reason printed. */
int registry_setup(void **state);
/* cmocka group teardown: registry_cleanup, then closes every person
 * registry_person_add added and admin, stops srv and removes PostgreSQL.
 * -1 if srv did not exit cleanly or a sanitizer reported in a log. */
int registry_teardown(void **state);
/* cmocka per-case teardown: closes the clients of registry_client_for and
 * stops the batonds of registry_extra_start that still run. -1 if a
 * sanitizer reported in one of their logs. */
int registry_cleanup(void **state);

/* Starts one more batond against conninfo (in pg.dir, so with srv's keys)
 * with the NULL-terminated flags (may be NULL), waiting until it serves when
 * wait says so; fails the case if it does not start. registry_cleanup stops
 * it. */
harness_batond *registry_extra_start(const char *conninfo, const char *const *flags, bool wait);
/* registry_extra_start with its own folder dir (so its own key files). */
harness_batond *registry_extra_start_in(const char *dir, const char *conninfo, const char *const *flags, bool wait);
/* A client of b for the key in key_file (NULL: the first admin's); fails the
 * case if it does not open. registry_cleanup closes it. */
baton_client *registry_client_for(const harness_batond *b, const char *key_file);
/* Adds handle with role in org (name or id) as as, with a fresh key, and
 * opens its client on srv (fixture_person_add). 0 on success, -1 with the
 * reason printed. registry_teardown closes p, so p must outlive the group. */
int registry_person_add(baton_client *as, const char *org, const char *handle, const char *role, fixture_person *p);

/* ---- the database --------------------------------------------------------- */

/* Runs the query (after fmt) as batond's in-house scope, which sees every
 * row; the first column of the first row goes to out. 0 on success. */
int registry_sqlf(char *out, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A number from registry_sqlf, or -1 on error. */
long registry_sqln(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* registry_sqlf as batond scopes a partner's transaction: only org_id's rows. */
int registry_sql_as_org(const char *org_id, char *out, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* How many events the database holds. */
long registry_event_count(void);

/* ---- Identity calls ------------------------------------------------------- */

/* Packs msg and calls method through c; opts NULL means a fresh request id,
 * signed if the method changes state. res gets the result (caller clears). */
baton_status registry_call(baton_client *c, const char *method, const ProtobufCMessage *msg,
    const baton_call_options *opts, baton_result *res);
/* AddOrg with one language lang (none if NULL); the call's message goes to
 * msg (may be NULL). Returns the call's status. */
baton_status registry_org_add(baton_client *c, const char *name, const char *kind, const char *lang,
    const char *tz, char *msg, size_t msg_len);
/* AddPrincipal with public_key as its first key (NULL: none). As
 * registry_org_add for msg and the result. */
baton_status registry_principal_add(baton_client *c, const char *org, const char *handle, const char *role,
    const char *public_key, char *msg, size_t msg_len);
/* DisablePrincipal of who (handle or id); on OK and when out is not NULL, the
 * reply (caller frees). */
baton_status registry_principal_disable(baton_client *c, const char *who, Baton__V1__DisablePrincipalReply **out,
    char *msg, size_t msg_len);
/* AddKey to who (handle or id; "" for the caller); on OK the new key's id
 * goes to key_id (40 bytes, may be NULL). */
baton_status registry_key_add(baton_client *c, const char *who, const char *public_key, char *key_id,
    char *msg, size_t msg_len);
/* RevokeKey of key (id or public key). */
baton_status registry_key_revoke(baton_client *c, const char *key, char *msg, size_t msg_len);
/* WhoAmI; on OK and when out is not NULL, the reply (caller frees). */
baton_status registry_whoami(baton_client *c, Baton__V1__WhoamiReply **out);
/* ListOrgs; on OK the reply goes to *out (caller frees). */
baton_status registry_orgs_list(baton_client *c, Baton__V1__ListOrgsReply **out);
/* ListPrincipals of org ("" for the caller's); on OK the reply goes to *out
 * (caller frees). */
baton_status registry_principals_list(baton_client *c, const char *org, bool include_disabled,
    Baton__V1__ListPrincipalsReply **out, char *msg, size_t msg_len);
/* Ping; returns its status. */
baton_status registry_ping(baton_client *c);
/* A fresh printable public key that nobody registered. */
void registry_fresh_public_key(char out[BATON_PUBLIC_KEY_TEXT]);
/* Whether l lists handle. */
bool registry_listed(const Baton__V1__ListPrincipalsReply *l, const char *handle);

#endif
