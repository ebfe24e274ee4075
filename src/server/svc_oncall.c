/* svc_oncall.c - baton.v1.OnCall: rotations of in-house leads, overrides, and who is on call when. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "baton/v1/oncall.pb-c.h"
#include "common/clock.h"
#include "server/event.h"
#include "server/services.h"
#include "server/shifts.h"
#include "server/validate.h"

/* A request's ms since the epoch as a timestamptz, exactly (no float). */
#define SQL_AT(p) "('epoch'::timestamptz + " p "::bigint * interval '1 millisecond')"
/* A timestamptz as ISO 8601 UTC text, whatever the session's time zone. */
#define SQL_ISO(x) "to_char((" x ") AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

#define DAY_MS          (24 * 3600 * 1000LL)
#define MAX_RANGE_MS    (62 * DAY_MS) /* baton_oncall_spans answers at most 62 days at a time */
#define MAX_OVERRIDE_MS (366 * DAY_MS)
#define MAX_MEMBERS     100
#define MAX_TURN_HOURS  672 /* 28 days, as the rotation table allows */

/* Columns of a rotation aliased r (N_ROTATION_COLS of them). */
#define ROTATION_COLS \
	"r.id, r.name, r.level, r.time_zone, to_char(r.starts_local, 'YYYY-MM-DD HH24:MI')," \
	" (extract(epoch FROM r.turn) / 3600)::int, " SQL_MS("r.created_at")
#define N_ROTATION_COLS 7

/* FROM clause and columns of an override aliased o (N_OVERRIDE_COLS). */
#define OVERRIDE_FROM \
	"rotation_override o JOIN rotation r ON r.id = o.rotation_id JOIN principal op ON op.id = o.principal_id" \
	" LEFT JOIN principal orp ON orp.id = o.replacement_id LEFT JOIN principal ocb ON ocb.id = o.created_by"
#define OVERRIDE_COLS \
	"o.id, r.name, o.action, op.handle, coalesce(orp.handle, ''), " SQL_MS("lower(o.during)") "," \
	" " SQL_MS("upper(o.during)") ", o.note, coalesce(ocb.handle, ''), " SQL_MS("o.created_at")
#define N_OVERRIDE_COLS 10

static baton_status in_house_only(rpc_call *call)
{
	if (!call->caller.in_house)
		return status_set(&call->status, BATON_PERMISSION_DENIED, "on-call rotations are in-house");
	return BATON_OK;
}

/* Only these go on call; the trigger baton_oncall_member_check says the same. */
static bool may_be_on_call(const shifts_person *p)
{
	return (p->role == ROLE_LEAD || p->role == ROLE_ADMIN) && strcmp(p->org_kind, "in_house") == 0 &&
	       !p->disabled;
}

/* Why p may not be on call, for messages. */
static const char *why_not_on_call(const shifts_person *p)
{
	if (p->disabled)
		return "disabled";
	if (strcmp(p->org_kind, "in_house") != 0)
		return "a partner's";
	return session_role_str(p->role);
}

/* Characters of UTF-8 text, as PostgreSQL's length() counts them. */
static size_t utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static baton_status override_from_row(rpc_call *call, const PGresult *res, int row, Baton__V1__Override **out)
{
	Baton__V1__Override *o = arena_alloc(call->arena, sizeof(*o));

	if (o == NULL)
		return shifts_oom(call);
	baton__v1__override__init(o);
	o->id = shifts_col(call, res, row, 0);
	o->rotation = shifts_col(call, res, row, 1);
	o->action = shifts_col(call, res, row, 2);
	o->principal = shifts_col(call, res, row, 3);
	o->replacement = shifts_col(call, res, row, 4);
	o->from_unix_ms = shifts_int(res, row, 5);
	o->to_unix_ms = shifts_int(res, row, 6);
	o->note = shifts_col(call, res, row, 7);
	o->created_by = shifts_col(call, res, row, 8);
	o->created_unix_ms = shifts_int(res, row, 9);
	if (o->id == NULL || o->rotation == NULL || o->action == NULL || o->principal == NULL ||
	    o->replacement == NULL || o->note == NULL || o->created_by == NULL)
		return shifts_oom(call);
	*out = o;
	return BATON_OK;
}

/* A rotation's own columns; members and overrides are added by the caller. */
static baton_status rotation_from_row(rpc_call *call, const PGresult *res, int row, int members,
    Baton__V1__Rotation **out)
{
	Baton__V1__Rotation *r = arena_alloc(call->arena, sizeof(*r));

	if (r == NULL)
		return shifts_oom(call);
	baton__v1__rotation__init(r);
	r->id = shifts_col(call, res, row, 0);
	r->name = shifts_col(call, res, row, 1);
	r->level = (int32_t)shifts_int(res, row, 2);
	r->time_zone = shifts_col(call, res, row, 3);
	r->starts_local = shifts_col(call, res, row, 4);
	r->turn_hours = (int32_t)shifts_int(res, row, 5);
	r->created_unix_ms = shifts_int(res, row, 6);
	r->members = arena_alloc(call->arena, (size_t)members * sizeof(*r->members));
	if (r->id == NULL || r->name == NULL || r->time_zone == NULL || r->starts_local == NULL || r->members == NULL)
		return shifts_oom(call);
	*out = r;
	return BATON_OK;
}

/* Attaches the overrides not yet ended to rotations list[0..n). */
static baton_status attach_overrides(rpc_call *call, const char *where, int nparams, const char *const *params,
    Baton__V1__Rotation **list, size_t n)
{
	char sql[2048];
	PGresult *res;
	baton_status s;
	int rows;

	snprintf(sql, sizeof(sql),
	    "SELECT " OVERRIDE_COLS ", o.rotation_id FROM " OVERRIDE_FROM
	    " WHERE upper(o.during) > now() AND (%s) ORDER BY lower(o.during), o.created_at, o.id", where);
	if ((s = db_exec(call->db, &res, sql, nparams, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	for (size_t i = 0; i < n && s == BATON_OK; i++) {
		size_t count = 0;
		for (int r = 0; r < rows; r++)
			count += strcmp(PQgetvalue(res, r, N_OVERRIDE_COLS), list[i]->id) == 0;
		if (count == 0)
			continue;
		if ((list[i]->overrides = arena_alloc(call->arena, count * sizeof(*list[i]->overrides))) == NULL) {
			s = shifts_oom(call);
			break;
		}
		for (int r = 0; r < rows && s == BATON_OK; r++)
			if (strcmp(PQgetvalue(res, r, N_OVERRIDE_COLS), list[i]->id) == 0)
				s = override_from_row(call, res, r, &list[i]->overrides[list[i]->n_overrides++]);
	}
	PQclear(res);
	return s;
}

/*
 * Loads the rotations matching where (an SQL condition over r with
 * params), by level and name, with member handles in turn order and the
 * overrides that have not ended yet.
 */
static baton_status load_rotations(rpc_call *call, const char *where, int nparams, const char *const *params,
    Baton__V1__Rotation ***out, size_t *n)
{
	char sql[1024];
	PGresult *res;
	baton_status s;
	int rows;

	snprintf(sql, sizeof(sql),
	    "SELECT " ROTATION_COLS ", coalesce(p.handle, m.id::text), cardinality(r.members)"
	    "  FROM rotation r CROSS JOIN LATERAL unnest(r.members) WITH ORDINALITY AS m(id, n)"
	    "  LEFT JOIN principal p ON p.id = m.id"
	    " WHERE %s ORDER BY r.level, r.name, m.n", where);
	if ((s = db_exec(call->db, &res, sql, nparams, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	*n = 0;
	if ((*out = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(**out))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++) {
		Baton__V1__Rotation *rot = *n > 0 ? (*out)[*n - 1] : NULL;
		if (rot == NULL || strcmp(rot->id, PQgetvalue(res, r, 0)) != 0) {
			if ((s = rotation_from_row(call, res, r, (int)shifts_int(res, r, N_ROTATION_COLS + 1), &rot)) != BATON_OK)
				break;
			(*out)[(*n)++] = rot;
		}
		if ((rot->members[rot->n_members++] = shifts_col(call, res, r, N_ROTATION_COLS)) == NULL)
			s = shifts_oom(call);
	}
	PQclear(res);
	if (s != BATON_OK)
		return s;
	return attach_overrides(call, where, nparams, params, *out, *n);
}

/* "YYYY-MM-DD HH:MM" with plausible fields; PostgreSQL checks the day of the month. */
static bool local_time_shaped(const char *s)
{
	static const char shape[] = "dddd-dd-dd dd:dd";

	if (strlen(s) != sizeof(shape) - 1)
		return false;
	for (size_t i = 0; shape[i]; i++)
		if (shape[i] == 'd' ? !(s[i] >= '0' && s[i] <= '9') : s[i] != shape[i])
			return false;
	int month = atoi(s + 5), day = atoi(s + 8), hour = atoi(s + 11), minute = atoi(s + 14);
	return month >= 1 && month <= 12 && day >= 1 && day <= 31 && hour <= 23 && minute <= 59;
}

static baton_status check_starts_local(rpc_call *call, const char *starts_local)
{
	const char *params[1] = { starts_local };
	baton_status s;

	if (!local_time_shaped(starts_local) ||
	    (s = db_exec(call->db, NULL, "SELECT $1::timestamp", 1, params, &call->status)) == BATON_INVALID_ARGUMENT)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "starts_local '%.40s' is not a date and time as YYYY-MM-DD HH:MM (like 2026-11-23 09:00)",
		    starts_local);
	return s;
}

/*
 * Resolves members[0..n) (handles or ids) into a uuid[] literal in arena
 * text, refusing anyone who may not be on call, all of them named.
 */
static baton_status resolve_members(rpc_call *call, char *const *members, size_t n, char **array)
{
	char bad[300] = "";
	size_t used = 0, len = 2 + n * 37;
	char *out = arena_alloc(call->arena, len + 1);
	baton_status s;

	if (out == NULL)
		return shifts_oom(call);
	out[used++] = '{';
	for (size_t i = 0; i < n; i++) {
		shifts_person p;
		if ((s = shifts_person_find(call, members[i], &p)) != BATON_OK)
			return s;
		if (!may_be_on_call(&p)) {
			size_t b = strlen(bad);
			snprintf(bad + b, sizeof(bad) - b, "%s%s (%s)", b ? ", " : "", p.handle, why_not_on_call(&p));
		}
		used += (size_t)snprintf(out + used, len + 1 - used, "%s%s", i ? "," : "", p.id);
	}
	out[used++] = '}';
	out[used] = '\0';
	if (bad[0] != '\0')
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "only enabled in-house leads and admins go on call; not: %s", bad);
	*array = out;
	return BATON_OK;
}

/* Appends 'rotation.added': the rotation as stored, members as handles. */
static baton_status rotation_added_event(rpc_call *call, const char *rotation_id)
{
	const char *params[1] = { rotation_id };
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "SELECT jsonb_build_object('name', r.name, 'level', r.level, 'time_zone', r.time_zone,"
	         " 'starts_local', to_char(r.starts_local, 'YYYY-MM-DD HH24:MI'),"
	         " 'turn_hours', (extract(epoch FROM r.turn) / 3600)::int,"
	         " 'members', (SELECT jsonb_agg(p.handle ORDER BY m.n) FROM unnest(r.members) WITH ORDINALITY AS m(id, n)"
	         "             JOIN principal p ON p.id = m.id),"
	         " 'member_ids', to_jsonb(r.members))::text"
	         " FROM rotation r WHERE r.id = $1::uuid",
	         1, params, &call->status)) != BATON_OK)
		return s;
	s = event_append(call, NULL, "rotation.added", rotation_id, PQgetvalue(res, 0, 0));
	PQclear(res);
	return s;
}

static baton_status add_rotation(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__AddRotationRequest *req = (const Baton__V1__AddRotationRequest *)request;
	Baton__V1__AddRotationReply *rep = (Baton__V1__AddRotationReply *)reply;
	int32_t level = req->level == 0 ? 1 : req->level;
	char level_s[16], turn_s[16], *members = NULL;
	Baton__V1__Rotation **list;
	PGresult *res;
	baton_status s;
	size_t n;

	if (!validate_name(req->name, "._-"))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "rotation name '%.80s' must be 1 to 63 lower-case letters, digits, '.', '_' or '-', "
		    "starting with a letter or digit, and not look like an id", req->name);
	if (level < 1 || level > 9)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "level %d is not 1 to 9 (1 is asked first; 0 means 1)", (int)req->level);
	if (req->turn_hours < 1 || req->turn_hours > MAX_TURN_HOURS)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "turn_hours %d is not 1 to %d (28 days)", (int)req->turn_hours, MAX_TURN_HOURS);
	if (req->n_members < 1 || req->n_members > MAX_MEMBERS)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "a rotation has 1 to %d members, not %zu", MAX_MEMBERS, req->n_members);
	if ((s = shifts_check_time_zone(call, req->time_zone)) != BATON_OK ||
	    (s = check_starts_local(call, req->starts_local)) != BATON_OK ||
	    (s = resolve_members(call, req->members, req->n_members, &members)) != BATON_OK)
		return s;
	snprintf(level_s, sizeof(level_s), "%d", (int)level);
	snprintf(turn_s, sizeof(turn_s), "%d", (int)req->turn_hours);
	const char *params[7] = { req->name, level_s, req->time_zone, req->starts_local, turn_s, members,
		call->caller.principal_id };
	s = db_exec(call->db, &res,
	    "INSERT INTO rotation (name, level, time_zone, starts_local, turn, members, created_by)"
	    " VALUES ($1, $2::int, $3, $4::timestamp, make_interval(hours => $5::int), $6::uuid[], $7::uuid)"
	    " RETURNING id",
	    7, params, &call->status);
	if (s == BATON_ALREADY_EXISTS)
		return status_set(&call->status, s, "a rotation named '%s' exists", req->name);
	if (s != BATON_OK)
		return s;
	char *id = shifts_col(call, res, 0, 0);
	PQclear(res);
	if (id == NULL)
		return shifts_oom(call);
	const char *by_id[1] = { id };
	if ((s = load_rotations(call, "r.id = $1::uuid", 1, by_id, &list, &n)) != BATON_OK)
		return s;
	if (n != 1)
		return status_set(&call->status, BATON_INTERNAL, "rotation %s vanished after its insert", id);
	rep->rotation = list[0];
	return rotation_added_event(call, id);
}

static baton_status list_rotations(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	Baton__V1__ListRotationsReply *rep = (Baton__V1__ListRotationsReply *)reply;
	baton_status s;

	(void)request;
	if ((s = in_house_only(call)) != BATON_OK)
		return s;
	return load_rotations(call, "true", 0, NULL, &rep->rotations, &rep->n_rotations);
}

/* A rotation by name or id: its id, name and whether person_id is a member. */
static baton_status find_rotation(rpc_call *call, const char *name_or_id, const char *person_id, char id[40],
    char name[64], bool *member)
{
	const char *params[2] = { name_or_id, person_id };
	PGresult *res;
	baton_status s;

	if (name_or_id[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "name the rotation");
	s = db_exec(call->db, &res,
	    validate_uuid_shaped(name_or_id)
	        ? "SELECT id, name, $2::uuid = ANY (members) FROM rotation WHERE id = $1::uuid"
	        : "SELECT id, name, $2::uuid = ANY (members) FROM rotation WHERE name = $1",
	    2, params, &call->status);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no rotation '%.80s'", name_or_id);
	}
	snprintf(id, 40, "%s", PQgetvalue(res, 0, 0));
	snprintf(name, 64, "%s", PQgetvalue(res, 0, 1));
	*member = PQgetvalue(res, 0, 2)[0] == 't';
	PQclear(res);
	return BATON_OK;
}

/* The checks of AddOverride that need no database. */
static baton_status check_override_request(rpc_call *call, const Baton__V1__AddOverrideRequest *req)
{
	bool replace = strcmp(req->action, "replace") == 0;

	if (!replace && strcmp(req->action, "add") != 0 && strcmp(req->action, "remove") != 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "action '%.40s' is not one of add, remove, replace", req->action);
	if (req->principal[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "name the principal the override is about");
	if (replace && req->replacement[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "a replace override needs a replacement");
	if (!replace && req->replacement[0] != '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "only a replace override has a replacement (this one is '%s')", req->action);
	if (req->to_unix_ms <= req->from_unix_ms)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "the override must end after it starts");
	if (req->to_unix_ms <= clock_realtime_ms())
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "the override ends in the past");
	if ((uint64_t)req->to_unix_ms - (uint64_t)req->from_unix_ms > (uint64_t)MAX_OVERRIDE_MS)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "an override lasts at most 366 days");
	if (utf8_chars(req->note) > 500)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "the note is longer than 500 characters");
	return BATON_OK;
}

/* Appends 'rotation.override_added' for the override stored as id. */
static baton_status override_added_event(rpc_call *call, const char *id)
{
	const char *params[1] = { id };
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "SELECT jsonb_build_object('rotation', r.name, 'rotation_id', r.id, 'action', o.action,"
	         " 'principal', op.handle, 'principal_id', o.principal_id, 'replacement', orp.handle,"
	         " 'replacement_id', o.replacement_id, 'from', " SQL_ISO("lower(o.during)") ","
	         " 'to', " SQL_ISO("upper(o.during)") ", 'note', o.note)::text"
	         " FROM " OVERRIDE_FROM " WHERE o.id = $1::uuid",
	         1, params, &call->status)) != BATON_OK)
		return s;
	s = event_append(call, NULL, "rotation.override_added", id, PQgetvalue(res, 0, 0));
	PQclear(res);
	return s;
}

static baton_status add_override(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__AddOverrideRequest *req = (const Baton__V1__AddOverrideRequest *)request;
	Baton__V1__AddOverrideReply *rep = (Baton__V1__AddOverrideReply *)reply;
	bool add = strcmp(req->action, "add") == 0, replace = strcmp(req->action, "replace") == 0, member = false;
	char rotation_id[40], rotation_name[64], from_s[24], to_s[24];
	shifts_person principal, replacement = { .id = "" };
	PGresult *res;
	baton_status s;

	if ((s = check_override_request(call, req)) != BATON_OK ||
	    (s = shifts_person_find(call, req->principal, &principal)) != BATON_OK ||
	    (replace && (s = shifts_person_find(call, req->replacement, &replacement)) != BATON_OK) ||
	    (s = find_rotation(call, req->rotation, principal.id, rotation_id, rotation_name, &member)) != BATON_OK)
		return s;
	if (!add && !member)
		return status_set(&call->status, BATON_FAILED_PRECONDITION, "%s is not in rotation %s", principal.handle,
		    rotation_name);
	if (replace && strcmp(replacement.id, principal.id) == 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "%s cannot replace themself", principal.handle);
	const shifts_person *joining = add ? &principal : replace ? &replacement : NULL;
	if (joining != NULL && !may_be_on_call(joining))
		return status_set(&call->status, BATON_FAILED_PRECONDITION,
		    "only enabled in-house leads and admins go on call; not: %s (%s)", joining->handle,
		    why_not_on_call(joining));
	snprintf(from_s, sizeof(from_s), "%lld", (long long)req->from_unix_ms);
	snprintf(to_s, sizeof(to_s), "%lld", (long long)req->to_unix_ms);
	const char *params[8] = { rotation_id, from_s, to_s, req->action, principal.id,
		replace ? replacement.id : NULL, req->note, call->caller.principal_id };
	if ((s = db_exec(call->db, &res,
	         "WITH o AS (INSERT INTO rotation_override"
	         "   (rotation_id, during, action, principal_id, replacement_id, note, created_by)"
	         "   VALUES ($1::uuid, tstzrange(" SQL_AT("$2") ", " SQL_AT("$3") "), $4, $5::uuid, $6::uuid, $7, $8::uuid)"
	         "   RETURNING *)"
	         " SELECT " OVERRIDE_COLS " FROM o JOIN rotation r ON r.id = o.rotation_id"
	         " JOIN principal op ON op.id = o.principal_id LEFT JOIN principal orp ON orp.id = o.replacement_id"
	         " LEFT JOIN principal ocb ON ocb.id = o.created_by",
	         8, params, &call->status)) != BATON_OK)
		return s;
	s = override_from_row(call, res, 0, &rep->override);
	PQclear(res);
	if (s != BATON_OK)
		return s;
	return override_added_event(call, rep->override->id);
}

static baton_status span_from_row(rpc_call *call, const PGresult *res, int row, Baton__V1__OnCallSpan **out)
{
	Baton__V1__OnCallSpan *sp = arena_alloc(call->arena, sizeof(*sp));

	if (sp == NULL)
		return shifts_oom(call);
	baton__v1__on_call_span__init(sp);
	sp->rotation = shifts_col(call, res, row, 0);
	sp->level = (int32_t)shifts_int(res, row, 1);
	sp->principal_id = shifts_col(call, res, row, 2);
	sp->handle = shifts_col(call, res, row, 3);
	sp->display_name = shifts_col(call, res, row, 4);
	sp->from_unix_ms = shifts_int(res, row, 5);
	sp->to_unix_ms = shifts_int(res, row, 6);
	if (sp->rotation == NULL || sp->principal_id == NULL || sp->handle == NULL || sp->display_name == NULL)
		return shifts_oom(call);
	*out = sp;
	return BATON_OK;
}

/*
 * The window asked for: [at - 31 days, at + 31 days) around a moment
 * (keeping what contains it), or [at, to). Hours, not days: '31 days'
 * would follow the session's DST and could make the window longer than
 * baton_oncall_spans answers.
 */
#define WHO_WINDOW \
	"WITH a AS (SELECT " SQL_AT("$1") " AS t, " SQL_AT("$2") " AS upto, $2::bigint = 0 AS moment)," \
	" w AS (SELECT CASE WHEN moment THEN t - interval '744 hours' ELSE t END AS f," \
	"              CASE WHEN moment THEN t + interval '744 hours' ELSE upto END AS u, t, moment FROM a)"

static baton_status who_spans(rpc_call *call, const char *const *params, Baton__V1__WhoReply *rep)
{
	PGresult *res;
	baton_status s;
	int rows;

	if ((s = db_exec(call->db, &res,
	         WHO_WINDOW
	         " SELECT r.name, r.level, p.id, p.handle, p.display_name, " SQL_MS("lower(s.during)") ","
	         "        " SQL_MS("upper(s.during)")
	         "   FROM w CROSS JOIN LATERAL baton_oncall_spans(w.f, w.u) AS s"
	         "   JOIN rotation r ON r.id = s.rotation_id JOIN principal p ON p.id = s.principal_id"
	         "  WHERE NOT w.moment OR s.during @> w.t"
	         "  ORDER BY r.level, r.name, lower(s.during), p.handle",
	         2, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	if ((rep->on_call = arena_alloc(call->arena, (size_t)rows * sizeof(*rep->on_call))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = span_from_row(call, res, r, &rep->on_call[rep->n_on_call++]);
	PQclear(res);
	return s;
}

static baton_status who_gaps(rpc_call *call, const char *const *params, Baton__V1__WhoReply *rep)
{
	PGresult *res;
	baton_status s;
	int rows;

	if ((s = db_exec(call->db, &res,
	         WHO_WINDOW
	         " SELECT " SQL_MS("lower(g.during)") ", " SQL_MS("upper(g.during)")
	         "   FROM w CROSS JOIN LATERAL baton_oncall_gaps(w.f, w.u) AS g"
	         "  WHERE NOT w.moment OR g.during @> w.t"
	         "  ORDER BY lower(g.during)",
	         2, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	if ((rep->gaps = arena_alloc(call->arena, (size_t)rows * sizeof(*rep->gaps))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows; r++) {
		Baton__V1__TimeRange *g = arena_alloc(call->arena, sizeof(*g));
		if (g == NULL) {
			PQclear(res);
			return shifts_oom(call);
		}
		baton__v1__time_range__init(g);
		g->from_unix_ms = shifts_int(res, r, 0);
		g->to_unix_ms = shifts_int(res, r, 1);
		rep->gaps[rep->n_gaps++] = g;
	}
	PQclear(res);
	return BATON_OK;
}

static baton_status who(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__WhoRequest *req = (const Baton__V1__WhoRequest *)request;
	Baton__V1__WhoReply *rep = (Baton__V1__WhoReply *)reply;
	int64_t at = req->at_unix_ms != 0 ? req->at_unix_ms : clock_realtime_ms();
	char at_s[24], to_s[24];
	baton_status s;

	if ((s = in_house_only(call)) != BATON_OK)
		return s;
	if (req->to_unix_ms != 0 && req->to_unix_ms <= at)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "to (%lld) must be after at (%lld); leave it 0 to ask about one moment", (long long)req->to_unix_ms,
		    (long long)at);
	if (req->to_unix_ms != 0 && (uint64_t)req->to_unix_ms - (uint64_t)at > (uint64_t)MAX_RANGE_MS)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "ask about at most 62 days at a time");
	snprintf(at_s, sizeof(at_s), "%lld", (long long)at);
	snprintf(to_s, sizeof(to_s), "%lld", (long long)req->to_unix_ms);
	const char *params[2] = { at_s, to_s };
	if ((s = who_spans(call, params, rep)) != BATON_OK)
		return s;
	return who_gaps(call, params, rep);
}

static const rpc_method_impl methods[] = {
	{ "AddRotation", add_rotation, RPC_MUTATION, ROLE_LEAD | ROLE_ADMIN },
	{ "ListRotations", list_rotations, RPC_TX, ROLES_ANY },
	{ "AddOverride", add_override, RPC_MUTATION, ROLE_LEAD | ROLE_ADMIN },
	{ "Who", who, RPC_TX, ROLES_ANY },
};

const rpc_service_impl svc_oncall = {
	&baton__v1__on_call__descriptor,
	methods,
	sizeof(methods) / sizeof(methods[0]),
};
