/* fixture.c - registry set-up for integration tests, through libbaton and the Identity service. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fixture.h"

baton_status fixture_call(baton_client *c, const char *method, const ProtobufCMessage *msg,
    bool changes_state, const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
    baton_result *res)
{
	baton_call_options o = { .timeout_ms = 10000, .changes_state = changes_state };
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(len ? len : 1);
	baton_result local;
	baton_status s;

	if (res == NULL)
		res = &local;
	if (reply != NULL)
		*reply = NULL;
	if (buf == NULL)
		return BATON_INTERNAL;
	protobuf_c_message_pack(msg, buf);
	s = baton_call(c, method, buf, len, &o, res);
	free(buf);
	if (s == BATON_OK && reply != NULL && reply_desc != NULL) {
		*reply = protobuf_c_message_unpack(reply_desc, NULL, res->payload_len, res->payload);
		if (*reply == NULL)
			s = BATON_INTERNAL;
	}
	if (res == &local)
		baton_result_clear(&local);
	return s;
}

baton_status fixture_org_add(baton_client *admin, const char *name, const char *kind,
    const char *languages, const char *time_zone, char *org_id, baton_result *res)
{
	Baton__V1__AddOrgRequest req = BATON__V1__ADD_ORG_REQUEST__INIT;
	Baton__V1__AddOrgReply *rep;
	char copy[256], *langs[16], *save = NULL;
	baton_status s;

	snprintf(copy, sizeof(copy), "%s", languages);
	req.name = (char *)name;
	req.kind = (char *)kind;
	req.time_zone = (char *)time_zone;
	req.languages = langs;
	for (char *t = strtok_r(copy, ",", &save); t != NULL && req.n_languages < 16; t = strtok_r(NULL, ",", &save))
		langs[req.n_languages++] = t;
	s = fixture_call(admin, "/baton.v1.Identity/AddOrg", &req.base, true,
	    &baton__v1__add_org_reply__descriptor, (ProtobufCMessage **)&rep, res);
	if (s == BATON_OK) {
		snprintf(org_id, 40, "%s", rep->org->id);
		baton__v1__add_org_reply__free_unpacked(rep, NULL);
	}
	return s;
}

baton_status fixture_person_add(baton_client *as, const harness_batond *b, const char *dir,
    const char *org, const char *handle, const char *role, fixture_person *p, baton_result *res)
{
	Baton__V1__AddPrincipalRequest req = BATON__V1__ADD_PRINCIPAL_REQUEST__INIT;
	Baton__V1__AddPrincipalReply *rep;
	baton_status s;

	memset(p, 0, sizeof(*p));
	snprintf(p->handle, sizeof(p->handle), "%s", handle);
	snprintf(p->key_file, sizeof(p->key_file), "%s/%s.key", dir, handle);
	if (harness_keygen(p->key_file, p->public_key) != 0)
		return BATON_INTERNAL;
	req.org = (char *)org;
	req.handle = (char *)handle;
	req.display_name = (char *)handle;
	req.role = (char *)role;
	req.public_key = p->public_key;
	s = fixture_call(as, "/baton.v1.Identity/AddPrincipal", &req.base, true,
	    &baton__v1__add_principal_reply__descriptor, (ProtobufCMessage **)&rep, res);
	if (s != BATON_OK)
		return s;
	snprintf(p->id, sizeof(p->id), "%s", rep->principal->id);
	snprintf(p->org_id, sizeof(p->org_id), "%s", rep->principal->org_id);
	if (rep->principal->n_keys == 1)
		snprintf(p->key_id, sizeof(p->key_id), "%s", rep->principal->keys[0]->id);
	baton__v1__add_principal_reply__free_unpacked(rep, NULL);
	if (harness_client(b, p->key_file, &p->client) != 0)
		return BATON_INTERNAL;
	return BATON_OK;
}

void fixture_person_close(fixture_person *p)
{
	baton_client_close(p->client);
	p->client = NULL;
}
