/* svc_identity.c - baton.v1.Identity: organizations, principals and keys (add, list, disable, rotate, revoke). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include <baton/keys.h>

#include "baton/v1/identity.pb-c.h"
#include "server/event.h"
#include "server/log.h"
#include "server/services.h"
#include "server/shifts.h"
#include "server/validate.h"

#define ORG_COLS \
	"o.id, o.name, o.kind, array_to_string(o.languages, ','), o.time_zone," \
	" (extract(epoch FROM o.created_at) * 1000)::bigint"
#define PRINCIPAL_COLS \
	"p.id, p.handle, p.display_name, p.role, p.org_id, o.name," \
	" coalesce((extract(epoch FROM p.disabled_at) * 1000)::bigint, 0), coalesce(p.disabled_reason, '')," \
	" (extract(epoch FROM p.created_at) * 1000)::bigint"
#define KEY_COLS \
	"k.id, encode(k.public_key, 'hex'), k.principal_id," \
	" (extract(epoch FROM k.created_at) * 1000)::bigint," \
	" coalesce((extract(epoch FROM k.revoked_at) * 1000)::bigint, 0), coalesce(k.revoked_reason, '')"
#define N_PRINCIPAL_COLS 9

static baton_status oom(rpc_call *call)
{
	return status_set(&call->status, BATON_RESOURCE_EXHAUSTED, "out of memory");
}

static char *col(rpc_call *call, PGresult *res, int row, int c)
{
	return arena_strndup(call->arena, PQgetvalue(res, row, c), (size_t)PQgetlength(res, row, c));
}

static baton_status org_from_row(rpc_call *call, PGresult *res, int row, Baton__V1__Org **out)
{
	Baton__V1__Org *o = arena_alloc(call->arena, sizeof(*o));

	if (o == NULL)
		return oom(call);
	baton__v1__org__init(o);
	o->id = col(call, res, row, 0);
	o->name = col(call, res, row, 1);
	o->kind = col(call, res, row, 2);
	o->languages = arena_split(call->arena, PQgetvalue(res, row, 3), &o->n_languages);
	o->time_zone = col(call, res, row, 4);
	o->created_unix_ms = strtoll(PQgetvalue(res, row, 5), NULL, 10);
	if (o->id == NULL || o->name == NULL || o->kind == NULL || o->languages == NULL || o->time_zone == NULL)
		return oom(call);
	*out = o;
	return BATON_OK;
}

/* Key columns start at column c. */
static baton_status key_from_row(rpc_call *call, PGresult *res, int row, int c, Baton__V1__Key **out)
{
	Baton__V1__Key *k = arena_alloc(call->arena, sizeof(*k));
	uint8_t pk[BATON_PUBLIC_KEY_BYTES];
	char *text = arena_alloc(call->arena, BATON_PUBLIC_KEY_TEXT);

	if (k == NULL || text == NULL)
		return oom(call);
	baton__v1__key__init(k);
	if (sodium_hex2bin(pk, sizeof(pk), PQgetvalue(res, row, c + 1), (size_t)PQgetlength(res, row, c + 1),
	        NULL, NULL, NULL) != 0)
		return status_set(&call->status, BATON_INTERNAL, "stored public key is not hex");
	baton_public_key_format(pk, text);
	k->id = col(call, res, row, c);
	k->public_key = text;
	k->principal_id = col(call, res, row, c + 2);
	k->created_unix_ms = strtoll(PQgetvalue(res, row, c + 3), NULL, 10);
	k->revoked_unix_ms = strtoll(PQgetvalue(res, row, c + 4), NULL, 10);
	k->revoked_reason = col(call, res, row, c + 5);
	if (k->id == NULL || k->principal_id == NULL || k->revoked_reason == NULL)
		return oom(call);
	*out = k;
	return BATON_OK;
}

static baton_status principal_from_row(rpc_call *call, PGresult *res, int row, Baton__V1__Principal **out)
{
	Baton__V1__Principal *p = arena_alloc(call->arena, sizeof(*p));

	if (p == NULL)
		return oom(call);
	baton__v1__principal__init(p);
	p->id = col(call, res, row, 0);
	p->handle = col(call, res, row, 1);
	p->display_name = col(call, res, row, 2);
	p->role = col(call, res, row, 3);
	p->org_id = col(call, res, row, 4);
	p->org_name = col(call, res, row, 5);
	p->disabled_unix_ms = strtoll(PQgetvalue(res, row, 6), NULL, 10);
	p->disabled_reason = col(call, res, row, 7);
	p->created_unix_ms = strtoll(PQgetvalue(res, row, 8), NULL, 10);
	if (p->id == NULL || p->handle == NULL || p->display_name == NULL || p->role == NULL ||
	    p->org_id == NULL || p->org_name == NULL || p->disabled_reason == NULL)
		return oom(call);
	*out = p;
	return BATON_OK;
}

/*
 * Loads principals matching where (an SQL condition over p and o with
 * params) together with their keys. Row-level security already hides
 * other organizations from partner callers.
 */
static baton_status load_principals(rpc_call *call, const char *where, int nparams,
    const char *const *params, Baton__V1__Principal ***out, size_t *n)
{
	char sql[1024];
	PGresult *res;
	baton_status s;
	int rows;

	snprintf(sql, sizeof(sql),
	    "SELECT " PRINCIPAL_COLS ", " KEY_COLS
	    "  FROM principal p JOIN org o ON o.id = p.org_id"
	    "  LEFT JOIN principal_key k ON k.principal_id = p.id"
	    " WHERE %s ORDER BY p.handle, k.created_at, k.id", where);
	if ((s = db_exec(call->db, &res, sql, nparams, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	*n = 0;
	if ((*out = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(**out))) == NULL) {
		PQclear(res);
		return oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++) {
		Baton__V1__Principal *p = *n > 0 ? (*out)[*n - 1] : NULL;
		if (p == NULL || strcmp(p->id, PQgetvalue(res, r, 0)) != 0) {
			if ((s = principal_from_row(call, res, r, &p)) != BATON_OK)
				break;
			if ((p->keys = arena_alloc(call->arena, (size_t)rows * sizeof(*p->keys))) == NULL) {
				s = oom(call);
				break;
			}
			(*out)[(*n)++] = p;
		}
		if (!PQgetisnull(res, r, N_PRINCIPAL_COLS))
			s = key_from_row(call, res, r, N_PRINCIPAL_COLS, &p->keys[p->n_keys++]);
	}
	PQclear(res);
	return s;
}

/* Resolves an org by name or id; NOT_FOUND if the caller cannot see it. */
static baton_status find_org(rpc_call *call, const char *name_or_id, char id[40], char kind[32])
{
	const char *params[1] = { name_or_id };
	PGresult *res;
	baton_status s;

	s = db_exec(call->db, &res, validate_uuid_shaped(name_or_id)
	    ? "SELECT id, kind FROM org WHERE id = $1::uuid" : "SELECT id, kind FROM org WHERE name = $1",
	    1, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no organization '%s'", name_or_id);
	}
	snprintf(id, 40, "%s", PQgetvalue(res, 0, 0));
	snprintf(kind, 32, "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	return BATON_OK;
}

/* Resolves a principal by handle or id (empty: the caller). */
static baton_status find_principal(rpc_call *call, const char *handle_or_id,
    Baton__V1__Principal **out)
{
	const char *params[1] = { handle_or_id[0] ? handle_or_id : call->caller.principal_id };
	Baton__V1__Principal **list;
	size_t n;
	baton_status s;

	s = load_principals(call, validate_uuid_shaped(params[0]) ? "p.id = $1::uuid" : "p.handle = $1", 1, params,
	    &list, &n);
	if (s != BATON_OK)
		return s;
	if (n != 1)
		return status_set(&call->status, BATON_NOT_FOUND, "no principal '%s'", params[0]);
	*out = list[0];
	return BATON_OK;
}

/*
 * Who may manage principal p (disable it, add or revoke its keys): an
 * admin anyone; a manager the agents and managers of their own
 * organization; everyone themselves when self_ok.
 */
static baton_status may_manage(rpc_call *call, const Baton__V1__Principal *p, bool self_ok)
{
	const session_caller *me = &call->caller;
	unsigned target = session_role_from_str(p->role);

	if (self_ok && strcmp(p->id, me->principal_id) == 0)
		return BATON_OK;
	if (me->role == ROLE_ADMIN)
		return BATON_OK;
	if (me->role == ROLE_MANAGER && strcmp(p->org_id, me->org_id) == 0 &&
	    (target == ROLE_AGENT || target == ROLE_MANAGER))
		return BATON_OK;
	return status_set(&call->status, BATON_PERMISSION_DENIED,
	    "a %s may not manage %s (%s of %s)", session_role_str(me->role), p->handle, p->role, p->org_name);
}

static baton_status add_org(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__AddOrgRequest *req = (const Baton__V1__AddOrgRequest *)request;
	Baton__V1__AddOrgReply *rep = (Baton__V1__AddOrgReply *)reply;
	char langs[1024] = "{";
	PGresult *res;
	baton_status s;

	static const char *const kinds[] = { "after_hours", "seasonal", "language", "overflow" };
	bool kind_ok = false;

	if (strcmp(req->kind, "in_house") == 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "the in-house organization exists from the first start; add partners "
		    "(after_hours, seasonal, language, overflow)");
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		kind_ok = kind_ok || strcmp(req->kind, kinds[i]) == 0;
	if (!kind_ok)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "kind '%.40s' is not one of after_hours, seasonal, language, overflow", req->kind);
	if (!validate_name(req->name, "._-"))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "organization name '%.80s' must be 1 to 63 lower-case letters, digits, '.', '_' or '-', "
		    "starting with a letter or digit, and not look like an id", req->name);
	for (size_t i = 0; i < req->n_languages; i++) {
		size_t used = strlen(langs);
		if (!validate_language(req->languages[i]))
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "language '%.40s' is not a BCP 47 tag (like pl, es-419 or pt-BR)", req->languages[i]);
		snprintf(langs + used, sizeof(langs) - used, "%s%s", i ? "," : "", req->languages[i]);
	}
	if (strlen(langs) >= sizeof(langs) - 2)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "too many languages");
	strcat(langs, "}");
	if ((s = shifts_check_time_zone(call, req->time_zone)) != BATON_OK)
		return s;
	const char *params[4] = { req->name, req->kind, langs, req->time_zone };
	s = db_exec(call->db, &res,
	    "INSERT INTO org AS o (name, kind, languages, time_zone) VALUES ($1, $2, $3::text[], $4)"
	    " RETURNING " ORG_COLS, 4, params, &call->status);
	if (s == BATON_ALREADY_EXISTS)
		return status_set(&call->status, s, "an organization named '%s' exists", req->name);
	if (s == BATON_FAILED_PRECONDITION)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "bad organization: name is lower-case letters, digits, '.', '_', '-' (up to 63); kind is "
		    "after_hours, seasonal, language or overflow; languages are BCP 47 tags like pl or pt-BR");
	if (s != BATON_OK)
		return s;
	s = org_from_row(call, res, 0, &rep->org);
	PQclear(res);
	if (s != BATON_OK)
		return s;
	const char *body[1] = { rep->org->id };
	PGresult *j;
	if ((s = db_exec(call->db, &j, "SELECT to_jsonb(o) FROM org o WHERE id = $1", 1, body,
	         &call->status)) != BATON_OK)
		return s;
	s = event_append(call, rep->org->id, "org.added", rep->org->id, PQgetvalue(j, 0, 0));
	PQclear(j);
	return s;
}

static baton_status list_orgs(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	Baton__V1__ListOrgsReply *rep = (Baton__V1__ListOrgsReply *)reply;
	PGresult *res;
	baton_status s;
	int rows;

	(void)request;
	if ((s = db_exec(call->db, &res, "SELECT " ORG_COLS " FROM org o ORDER BY o.kind <> 'in_house', o.name",
	         0, NULL, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	if ((rep->orgs = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->orgs))) == NULL) {
		PQclear(res);
		return oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = org_from_row(call, res, r, &rep->orgs[rep->n_orgs++]);
	PQclear(res);
	return s;
}

/* Inserts a key for principal p; NOT_FOUND-free: p was resolved. */
static baton_status insert_key(rpc_call *call, const Baton__V1__Principal *p, const char *printable,
    Baton__V1__Key **out)
{
	uint8_t pk[BATON_PUBLIC_KEY_BYTES];
	char hex[2 * BATON_PUBLIC_KEY_BYTES + 1];
	PGresult *res;
	baton_status s;

	if (baton_public_key_parse(printable, pk) != BATON_OK)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "'%s' is not a public key (ed25519:... as printed by batonctl keygen)", printable);
	sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
	const char *params[3] = { p->id, p->org_id, hex };
	s = db_exec(call->db, &res,
	    "INSERT INTO principal_key AS k (principal_id, org_id, public_key) VALUES ($1, $2, decode($3, 'hex'))"
	    " RETURNING " KEY_COLS, 3, params, &call->status);
	if (s == BATON_ALREADY_EXISTS)
		return status_set(&call->status, s, "this public key is already registered");
	if (s != BATON_OK)
		return s;
	s = key_from_row(call, res, 0, 0, out);
	PQclear(res);
	if (s != BATON_OK)
		return s;
	char body[256];
	snprintf(body, sizeof(body), "{\"principal_id\": \"%s\", \"public_key\": \"%s\"}", p->id, (*out)->public_key);
	return event_append(call, p->org_id, "key.added", (*out)->id, body);
}

static baton_status add_principal(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__AddPrincipalRequest *req = (const Baton__V1__AddPrincipalRequest *)request;
	Baton__V1__AddPrincipalReply *rep = (Baton__V1__AddPrincipalReply *)reply;
	unsigned role = session_role_from_str(req->role);
	char org_id[40], kind[32];
	PGresult *res;
	baton_status s;

	if (role == 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "role '%.40s' is not one of agent, manager, lead, admin, integration", req->role);
	if (!validate_name(req->handle, "._-@"))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "handle '%.80s' must be 1 to 63 lower-case letters, digits, '.', '_', '-' or '@', "
		    "starting with a letter or digit, and not look like an id", req->handle);
	if (req->display_name[0] == '\0' || strlen(req->display_name) > 200)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "display name must be 1 to 200 characters");
	if ((s = find_org(call, req->org, org_id, kind)) != BATON_OK)
		return s;
	if (call->caller.role == ROLE_MANAGER) {
		if (strcmp(org_id, call->caller.org_id) != 0)
			return status_set(&call->status, BATON_PERMISSION_DENIED,
			    "managers add people to their own organization only");
		if (role != ROLE_AGENT && role != ROLE_MANAGER)
			return status_set(&call->status, BATON_PERMISSION_DENIED,
			    "managers add agents and managers only");
	}
	if (strcmp(kind, "in_house") != 0 && role != ROLE_AGENT && role != ROLE_MANAGER)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "a partner organization has agents and managers; %s is an in-house role", req->role);
	const char *params[4] = { org_id, req->handle, req->display_name, req->role };
	s = db_exec(call->db, &res,
	    "INSERT INTO principal (org_id, handle, display_name, role) VALUES ($1, $2, $3, $4) RETURNING id",
	    4, params, &call->status);
	if (s == BATON_ALREADY_EXISTS)
		return status_set(&call->status, s, "handle '%s' is taken", req->handle);
	if (s == BATON_FAILED_PRECONDITION)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "bad principal: handle is lower-case letters, digits, '.', '_', '-', '@' (up to 63); "
		    "display name 1 to 200 characters");
	if (s != BATON_OK)
		return s;
	char *id = col(call, res, 0, 0);
	PQclear(res);
	if (id == NULL)
		return oom(call);
	if ((s = find_principal(call, id, &rep->principal)) != BATON_OK)
		return s;
	char body[512];
	snprintf(body, sizeof(body), "{\"handle\": \"%s\", \"role\": \"%s\", \"org_id\": \"%s\"}",
	    rep->principal->handle, rep->principal->role, org_id);
	if ((s = event_append(call, org_id, "principal.added", id, body)) != BATON_OK)
		return s;
	if (req->public_key[0] != '\0') {
		if ((rep->principal->keys = arena_alloc(call->arena, sizeof(*rep->principal->keys))) == NULL)
			return oom(call);
		rep->principal->n_keys = 1;
		return insert_key(call, rep->principal, req->public_key, &rep->principal->keys[0]);
	}
	return BATON_OK;
}

static baton_status list_principals(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ListPrincipalsRequest *req = (const Baton__V1__ListPrincipalsRequest *)request;
	Baton__V1__ListPrincipalsReply *rep = (Baton__V1__ListPrincipalsReply *)reply;
	char org_id[40] = "", kind[32];
	baton_status s;

	if (req->org[0] != '\0' && (s = find_org(call, req->org, org_id, kind)) != BATON_OK)
		return s;
	const char *params[2] = { org_id, req->include_disabled ? "t" : "f" };
	return load_principals(call, "($1 = '' OR p.org_id::text = $1) AND ($2::boolean OR p.disabled_at IS NULL)",
	    2, params, &rep->principals, &rep->n_principals);
}

static void end_principal_sessions(rpc_call *call, bool committed, void *arg)
{
	if (committed) {
		size_t n = session_drop_principal(call->server->sessions, arg);
		log_info("sessions_ended", LOG_S("principal_id", arg), LOG_I("sessions", (int64_t)n));
	}
}

static void end_key_sessions(rpc_call *call, bool committed, void *arg)
{
	if (committed) {
		size_t n = session_drop_key(call->server->sessions, arg);
		log_info("sessions_ended", LOG_S("key_id", arg), LOG_I("sessions", (int64_t)n));
	}
}

static baton_status disable_principal(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__DisablePrincipalRequest *req = (const Baton__V1__DisablePrincipalRequest *)request;
	Baton__V1__DisablePrincipalReply *rep = (Baton__V1__DisablePrincipalReply *)reply;
	Baton__V1__Principal *p;
	baton_status s;

	if (req->principal[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "name the principal to disable");
	if ((s = find_principal(call, req->principal, &p)) != BATON_OK)
		return s;
	if (strcmp(p->id, call->caller.principal_id) == 0)
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "you cannot disable yourself; ask another admin or manager");
	if ((s = may_manage(call, p, false)) != BATON_OK)
		return s;
	const char *params[2] = { p->id, req->reason };
	PGresult *res;
	/* The condition is in the UPDATE, so that of concurrent disables one
	 * wins and the others see it disabled. */
	if ((s = db_exec(call->db, &res,
	         "UPDATE principal SET disabled_at = now(), disabled_reason = nullif($2, '')"
	         " WHERE id = $1 AND disabled_at IS NULL RETURNING id",
	         2, params, &call->status)) != BATON_OK)
		return s;
	bool changed = PQntuples(res) == 1;
	PQclear(res);
	if (!changed)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "%s is already disabled", p->handle);
	if ((s = find_principal(call, p->id, &rep->principal)) != BATON_OK)
		return s;
	char body[512];
	snprintf(body, sizeof(body), "{\"handle\": \"%s\"}", p->handle);
	if ((s = event_append(call, p->org_id, "principal.disabled", p->id, body)) != BATON_OK)
		return s;
	call->after_tx = end_principal_sessions;
	call->after_tx_arg = rep->principal->id;
	return BATON_OK;
}

static baton_status add_key(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__AddKeyRequest *req = (const Baton__V1__AddKeyRequest *)request;
	Baton__V1__AddKeyReply *rep = (Baton__V1__AddKeyReply *)reply;
	Baton__V1__Principal *p;
	baton_status s;

	if ((s = find_principal(call, req->principal, &p)) != BATON_OK)
		return s;
	if ((s = may_manage(call, p, true)) != BATON_OK)
		return s;
	/* FOR SHARE waits for a concurrent disable and then sees it. */
	const char *params[1] = { p->id };
	PGresult *res;
	if ((s = db_exec(call->db, &res, "SELECT 1 FROM principal WHERE id = $1 AND disabled_at IS NULL FOR SHARE",
	         1, params, &call->status)) != BATON_OK)
		return s;
	bool enabled = PQntuples(res) == 1;
	PQclear(res);
	if (!enabled)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "%s is disabled", p->handle);
	return insert_key(call, p, req->public_key, &rep->key);
}

static baton_status revoke_key(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__RevokeKeyRequest *req = (const Baton__V1__RevokeKeyRequest *)request;
	Baton__V1__RevokeKeyReply *rep = (Baton__V1__RevokeKeyReply *)reply;
	uint8_t pk[BATON_PUBLIC_KEY_BYTES];
	char hex[2 * BATON_PUBLIC_KEY_BYTES + 1] = "";
	Baton__V1__Principal *p;
	PGresult *res;
	baton_status s;

	if (baton_public_key_parse(req->key, pk) == BATON_OK)
		sodium_bin2hex(hex, sizeof(hex), pk, sizeof(pk));
	const char *params[2] = { req->key, hex };
	if ((s = db_exec(call->db, &res,
	         "SELECT principal_id FROM principal_key WHERE id::text = $1 OR public_key = decode($2, 'hex')",
	         2, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no key '%s'", req->key);
	}
	char *owner = col(call, res, 0, 0);
	PQclear(res);
	if (owner == NULL)
		return oom(call);
	if ((s = find_principal(call, owner, &p)) != BATON_OK)
		return s;
	if ((s = may_manage(call, p, true)) != BATON_OK)
		return s;
	const char *upd[3] = { req->key, hex, req->reason };
	if ((s = db_exec(call->db, &res,
	         "UPDATE principal_key AS k SET revoked_at = now(), revoked_reason = nullif($3, '')"
	         " WHERE (id::text = $1 OR public_key = decode($2, 'hex')) AND revoked_at IS NULL"
	         " RETURNING " KEY_COLS, 3, upd, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "key '%s' is already revoked", req->key);
	}
	s = key_from_row(call, res, 0, 0, &rep->key);
	PQclear(res);
	if (s != BATON_OK)
		return s;
	char body[256];
	snprintf(body, sizeof(body), "{\"principal_id\": \"%s\", \"public_key\": \"%s\"}", p->id,
	    rep->key->public_key);
	if ((s = event_append(call, p->org_id, "key.revoked", rep->key->id, body)) != BATON_OK)
		return s;
	call->after_tx = end_key_sessions;
	call->after_tx_arg = rep->key->id;
	return BATON_OK;
}

static baton_status who_am_i(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	Baton__V1__WhoamiReply *rep = (Baton__V1__WhoamiReply *)reply;
	baton_status s;

	(void)request;
	if ((s = find_principal(call, call->caller.principal_id, &rep->principal)) != BATON_OK)
		return s;
	rep->key_id = call->caller.key_id;
	rep->session_expires_unix_ms = call->session_expires_unix_ms;
	return BATON_OK;
}

static const rpc_method_impl methods[] = {
	{ "AddOrg", add_org, RPC_MUTATION, ROLE_ADMIN },
	{ "ListOrgs", list_orgs, RPC_TX, ROLES_ANY },
	{ "AddPrincipal", add_principal, RPC_MUTATION, ROLE_ADMIN | ROLE_MANAGER },
	{ "ListPrincipals", list_principals, RPC_TX, ROLES_ANY },
	{ "DisablePrincipal", disable_principal, RPC_MUTATION, ROLE_ADMIN | ROLE_MANAGER },
	{ "AddKey", add_key, RPC_MUTATION, ROLES_ANY },
	{ "RevokeKey", revoke_key, RPC_MUTATION, ROLES_ANY },
	{ "WhoAmI", who_am_i, RPC_TX, ROLES_ANY },
};

const rpc_service_impl svc_identity = {
	&baton__v1__identity__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
