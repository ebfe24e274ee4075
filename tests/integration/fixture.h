/* fixture.h - builds a registry for integration tests through the real RPCs: organizations, principals, keys. */
#ifndef BATON_TESTS_FIXTURE_H
#define BATON_TESTS_FIXTURE_H

#include <baton/client.h>
#include <baton/keys.h>

#include "baton/v1/identity.pb-c.h"
#include "harness.h"

/* A principal the fixture registered, with its own key file and client. */
typedef struct fixture_person {
	char          handle[64];
	char          id[40];
	char          org_id[40];
	char          key_id[40];
	char          key_file[400];
	char          public_key[BATON_PUBLIC_KEY_TEXT];
	baton_client *client; /* opened by fixture_person_add; close with fixture_person_close */
} fixture_person;

/*
 * Calls method with msg through c (signed when changes_state) and, on OK,
 * unpacks the reply as reply_desc into *reply (caller frees with
 * protobuf_c_message_free_unpacked(*reply, NULL)); reply may be NULL.
 * Returns the call's status; res (may be NULL) gets the result.
 */
baton_status fixture_call(baton_client *c, const char *method, const ProtobufCMessage *msg,
    bool changes_state, const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
    baton_result *res);

/* AddOrg: kind "after_hours" etc., languages comma-separated ("pl,en").
 * Stores the new org's id in org_id (40 bytes). */
baton_status fixture_org_add(baton_client *admin, const char *name, const char *kind,
    const char *languages, const char *time_zone, char *org_id, baton_result *res);

/*
 * AddPrincipal in org (name or id) with a fresh key written to
 * dir/<handle>.key, then opens a client for it on b. as is the caller
 * (admin or manager). Returns the call's status (BATON_OK with p filled).
 */
baton_status fixture_person_add(baton_client *as, const harness_batond *b, const char *dir,
    const char *org, const char *handle, const char *role, fixture_person *p, baton_result *res);

void fixture_person_close(fixture_person *p);

#endif
