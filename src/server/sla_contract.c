/* sla_contract.c - SLA contract versions: SetSlaContract (checked, then a new version), ShowSlaContract, SlaDeadline. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/textbuf.h"
#include "server/event.h"
#include "server/sla.h"
#include "server/tickets.h"
#include "server/validate.h"

#define TARGET_MAX_S     2592000 /* 30 days, as sla_target's CHECKs say */
#define OWNERSHIP_MAX_S  604800  /* 7 days */
#define ESCALATION_MAX_S 2592000 /* 30 days */
#define HOURS_MAX        50
#define HOLIDAYS_MAX     400
#define HOLIDAY_NAME_MAX 100
#define NOTE_MAX         500
#define ZONE_MAX         64
#define FROM_MAX_MS      253402300799999LL /* 9999-12-31T23:59:59.999Z */

/* Serialises the versions written at once (SetSlaContract, SetTicketPolicy
 * through baton_sla_contract_copy), which each take max(version) + 1. */
#define CONTRACT_LOCK "SELECT pg_advisory_xact_lock(hashtext('baton.sla_contract'))"

/* ---- Contract rows to messages ------------------------------------------- */

#define CONTRACT_COLS \
	"c.id, coalesce(co.name, ''), c.version, c.time_zone, c.always_open, c.warn_percent," \
	" extract(epoch FROM c.ownership_timeout)::bigint, extract(epoch FROM c.escalation_normal)::bigint," \
	" extract(epoch FROM c.escalation_urgent)::bigint, c.note, coalesce(cb.handle, ''), " SQL_MS("c.created_at")
#define CONTRACT_FROM \
	"sla_contract c LEFT JOIN org co ON co.id = c.org_id LEFT JOIN principal cb ON cb.id = c.created_by"

/* Hours ('h'), holidays ('d') and targets ('t') of a version in one
 * result, in the order the message lists them. */
#define CONTRACT_PARTS \
	"SELECT 'h', weekday, to_char(opens, 'HH24:MI'), to_char(closes, 'HH24:MI'), 0::bigint, 0::bigint, 0::bigint" \
	"  FROM sla_hours WHERE contract_id = $1::uuid" \
	" UNION ALL" \
	" SELECT 'd', 0, to_char(day, 'YYYY-MM-DD'), name, 0, 0, 0 FROM sla_holiday WHERE contract_id = $1::uuid" \
	" UNION ALL" \
	" SELECT 't', priority, '', '', extract(epoch FROM first_response)::bigint," \
	"        extract(epoch FROM next_response)::bigint, extract(epoch FROM resolution)::bigint" \
	"  FROM sla_target WHERE contract_id = $1::uuid" \
	" ORDER BY 1, 2, 3"

static baton_status contract_parts(rpc_call *call, const char *id, Baton__V1__SlaContract *c)
{
	const char *params[1] = { id };
	size_t n[3] = { 0, 0, 0 }; /* d, h, t */
	PGresult *res;
	baton_status s;
	int rows;

	if ((s = db_exec_prepared(call->db, &res, CONTRACT_PARTS, 1, params, &call->status)) != BATON_OK)
		return s;
	rows = PQntuples(res);
	for (int r = 0; r < rows; r++) {
		const char k = PQgetvalue(res, r, 0)[0];
		n[k == 'd' ? 0 : k == 'h' ? 1 : 2]++;
	}
	c->holidays = arena_alloc(call->arena, (n[0] + 1) * sizeof(*c->holidays));
	c->hours = arena_alloc(call->arena, (n[1] + 1) * sizeof(*c->hours));
	c->targets = arena_alloc(call->arena, (n[2] + 1) * sizeof(*c->targets));
	if (c->holidays == NULL || c->hours == NULL || c->targets == NULL)
		goto oom;
	for (int r = 0; r < rows; r++) {
		const char k = PQgetvalue(res, r, 0)[0];
		if (k == 'h') {
			Baton__V1__SlaHours *h = arena_alloc(call->arena, sizeof(*h));
			if (h == NULL)
				goto oom;
			baton__v1__sla_hours__init(h);
			h->weekday = (int32_t)shifts_int(res, r, 1);
			h->opens = shifts_col(call, res, r, 2);
			h->closes = shifts_col(call, res, r, 3);
			if (h->opens == NULL || h->closes == NULL)
				goto oom;
			c->hours[c->n_hours++] = h;
		} else if (k == 'd') {
			Baton__V1__SlaHoliday *d = arena_alloc(call->arena, sizeof(*d));
			if (d == NULL)
				goto oom;
			baton__v1__sla_holiday__init(d);
			d->day = shifts_col(call, res, r, 2);
			d->name = shifts_col(call, res, r, 3);
			if (d->day == NULL || d->name == NULL)
				goto oom;
			c->holidays[c->n_holidays++] = d;
		} else {
			Baton__V1__SlaTarget *t = arena_alloc(call->arena, sizeof(*t));
			if (t == NULL)
				goto oom;
			baton__v1__sla_target__init(t);
			t->priority = (int32_t)shifts_int(res, r, 1);
			t->first_response_s = shifts_int(res, r, 4);
			t->next_response_s = shifts_int(res, r, 5);
			t->resolution_s = shifts_int(res, r, 6);
			c->targets[c->n_targets++] = t;
		}
	}
	PQclear(res);
	return BATON_OK;
oom:
	PQclear(res);
	return shifts_oom(call);
}

baton_status sla_contract_read(rpc_call *call, const char *contract_id, Baton__V1__SlaContract **out)
{
	const char *params[1] = { contract_id };
	Baton__V1__SlaContract *c;
	PGresult *res;
	baton_status s;

	if ((s = db_exec_prepared(call->db, &res, "SELECT " CONTRACT_COLS " FROM " CONTRACT_FROM " WHERE c.id = $1::uuid",
	         1, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no SLA contract version %s", contract_id);
	}
	if ((c = arena_alloc(call->arena, sizeof(*c))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	baton__v1__sla_contract__init(c);
	c->id = shifts_col(call, res, 0, 0);
	c->org = shifts_col(call, res, 0, 1);
	c->version = (int32_t)shifts_int(res, 0, 2);
	c->time_zone = shifts_col(call, res, 0, 3);
	c->always_open = PQgetvalue(res, 0, 4)[0] == 't';
	c->warn_percent = (int32_t)shifts_int(res, 0, 5);
	c->ownership_timeout_s = shifts_int(res, 0, 6);
	c->escalation_normal_s = shifts_int(res, 0, 7);
	c->escalation_urgent_s = shifts_int(res, 0, 8);
	c->note = shifts_col(call, res, 0, 9);
	c->created_by = shifts_col(call, res, 0, 10);
	c->created_unix_ms = shifts_int(res, 0, 11);
	PQclear(res);
	if (c->id == NULL || c->org == NULL || c->time_zone == NULL || c->note == NULL || c->created_by == NULL)
		return shifts_oom(call);
	if ((s = contract_parts(call, c->id, c)) != BATON_OK)
		return s;
	*out = c;
	return BATON_OK;
}

/* The contract as JSON, in call->arena (NULL: out of memory): for the
 * INSERT of a new version (jsonb_to_recordset reads hours, holidays and
 * targets from it) and for the body of sla.contract_set. */
static char *contract_json(rpc_call *call, const Baton__V1__SlaContract *c)
{
	size_t cap = 1024 + 6 * (strlen(c->org) + strlen(c->time_zone) + strlen(c->note) + strlen(c->created_by)) +
	             80 * c->n_hours + 120 * c->n_targets;
	char *buf;
	textbuf b;

	for (size_t i = 0; i < c->n_holidays; i++)
		cap += 64 + 6 * (strlen(c->holidays[i]->day) + strlen(c->holidays[i]->name));
	for (size_t i = 0; i < c->n_hours; i++)
		cap += 6 * (strlen(c->hours[i]->opens) + strlen(c->hours[i]->closes));
	if ((buf = arena_alloc(call->arena, cap)) == NULL)
		return NULL;
	textbuf_init(&b, buf, cap);
	textbuf_puts(&b, "{\"id\":");
	textbuf_json_str(&b, c->id != NULL && c->id[0] != '\0' ? c->id : NULL);
	textbuf_puts(&b, ",\"org\":");
	textbuf_json_str(&b, c->org[0] != '\0' ? c->org : NULL);
	textbuf_printf(&b, ",\"version\":%d,\"time_zone\":", (int)c->version);
	textbuf_json_str(&b, c->time_zone);
	textbuf_printf(&b, ",\"always_open\":%s,\"hours\":[", c->always_open ? "true" : "false");
	for (size_t i = 0; i < c->n_hours; i++) {
		textbuf_printf(&b, "%s{\"weekday\":%d,\"opens\":", i ? "," : "", (int)c->hours[i]->weekday);
		textbuf_json_str(&b, c->hours[i]->opens);
		textbuf_puts(&b, ",\"closes\":");
		textbuf_json_str(&b, c->hours[i]->closes);
		textbuf_putc(&b, '}');
	}
	textbuf_puts(&b, "],\"holidays\":[");
	for (size_t i = 0; i < c->n_holidays; i++) {
		textbuf_puts(&b, i ? ",{\"day\":" : "{\"day\":");
		textbuf_json_str(&b, c->holidays[i]->day);
		textbuf_puts(&b, ",\"name\":");
		textbuf_json_str(&b, c->holidays[i]->name);
		textbuf_putc(&b, '}');
	}
	textbuf_puts(&b, "],\"targets\":[");
	for (size_t i = 0; i < c->n_targets; i++)
		textbuf_printf(&b,
		    "%s{\"priority\":%d,\"first_response_s\":%lld,\"next_response_s\":%lld,\"resolution_s\":%lld}",
		    i ? "," : "", (int)c->targets[i]->priority, (long long)c->targets[i]->first_response_s,
		    (long long)c->targets[i]->next_response_s, (long long)c->targets[i]->resolution_s);
	textbuf_printf(&b,
	    "],\"warn_percent\":%d,\"ownership_timeout_s\":%lld,\"escalation_normal_s\":%lld,"
	    "\"escalation_urgent_s\":%lld,\"note\":",
	    (int)c->warn_percent, (long long)c->ownership_timeout_s, (long long)c->escalation_normal_s,
	    (long long)c->escalation_urgent_s);
	textbuf_json_str(&b, c->note);
	textbuf_puts(&b, ",\"created_by\":");
	textbuf_json_str(&b, c->created_by[0] != '\0' ? c->created_by : NULL);
	textbuf_putc(&b, '}');
	return b.truncated ? NULL : buf;
}

/* ---- Checks ------------------------------------------------------------------ */

/* "HH:MM" as minutes after midnight; 24:00 (1440) only when end is true. */
static bool clock_minutes(const char *s, bool end, int *out)
{
	if (strlen(s) != 5 || s[2] != ':')
		return false;
	for (int i = 0; i < 5; i++)
		if (i != 2 && (s[i] < '0' || s[i] > '9'))
			return false;
	int h = (s[0] - '0') * 10 + (s[1] - '0'), m = (s[3] - '0') * 10 + (s[4] - '0');
	if (m > 59 || h > 24 || (h == 24 && (m != 0 || !end)))
		return false;
	*out = h * 60 + m;
	return true;
}

/* A real date written "YYYY-MM-DD"; *key orders and compares dates. */
static bool date_ok(const char *s, long *key)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > days[m - 1] + (m == 2 && leap))
		return false;
	*key = (long)y * 10000 + m * 100 + d;
	return true;
}

/* Free text that may be empty: at most max characters, no control
 * characters but newline and tab. */
static baton_status text_ok(rpc_call *call, const char *field, const char *text, size_t max)
{
	return text[0] == '\0' ? BATON_OK : tickets_text_ok(call, field, text, max);
}

static baton_status check_hours(rpc_call *call, const Baton__V1__SlaContract *c)
{
	int from[HOURS_MAX], to[HOURS_MAX];

	if (c->always_open && c->n_hours > 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "a 24/7 contract (always_open) takes no opening hours; give one or the other");
	if (!c->always_open && c->n_hours == 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "give the opening hours, or always_open for a 24/7 contract");
	if (c->n_hours > HOURS_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "%zu rows of opening hours; at most %d",
		    c->n_hours, HOURS_MAX);
	for (size_t i = 0; i < c->n_hours; i++) {
		const Baton__V1__SlaHours *h = c->hours[i];
		if (h->weekday < 1 || h->weekday > 7)
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "hours: weekday %d is not 1 (Monday) to 7 (Sunday)", (int)h->weekday);
		if (!clock_minutes(h->opens, false, &from[i]))
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "hours: opens '%.20s' is not a time HH:MM from 00:00 to 23:59", h->opens);
		if (!clock_minutes(h->closes, true, &to[i]))
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "hours: closes '%.20s' is not a time HH:MM from 00:00 to 24:00", h->closes);
		if (to[i] <= from[i])
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "hours: on weekday %d, closes %s is not after opens %s", (int)h->weekday, h->closes, h->opens);
		for (size_t j = 0; j < i; j++)
			if (c->hours[j]->weekday == h->weekday && from[j] < to[i] && from[i] < to[j])
				return status_set(&call->status, BATON_INVALID_ARGUMENT,
				    "hours: on weekday %d, %s-%s overlaps %s-%s", (int)h->weekday, h->opens, h->closes,
				    c->hours[j]->opens, c->hours[j]->closes);
	}
	return BATON_OK;
}

static baton_status check_holidays(rpc_call *call, const Baton__V1__SlaContract *c)
{
	long *keys;
	baton_status s;

	if (c->n_holidays > HOLIDAYS_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "%zu holidays; at most %d", c->n_holidays,
		    HOLIDAYS_MAX);
	if ((keys = arena_alloc(call->arena, (c->n_holidays + 1) * sizeof(*keys))) == NULL)
		return shifts_oom(call);
	for (size_t i = 0; i < c->n_holidays; i++) {
		const Baton__V1__SlaHoliday *d = c->holidays[i];
		if (!date_ok(d->day, &keys[i]))
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "holidays: '%.20s' is not a date YYYY-MM-DD", d->day);
		if ((s = text_ok(call, "holiday name", d->name, HOLIDAY_NAME_MAX)) != BATON_OK)
			return s;
		for (size_t j = 0; j < i; j++)
			if (keys[j] == keys[i])
				return status_set(&call->status, BATON_INVALID_ARGUMENT, "holidays: %s is given twice", d->day);
	}
	return BATON_OK;
}

static baton_status check_targets(rpc_call *call, const Baton__V1__SlaContract *c)
{
	bool seen[5] = { false, false, false, false, false };

	for (size_t i = 0; i < c->n_targets; i++) {
		const Baton__V1__SlaTarget *t = c->targets[i];
		const int64_t v[3] = { t->first_response_s, t->next_response_s, t->resolution_s };
		static const char *const what[3] = { "first_response_s", "next_response_s", "resolution_s" };
		if (t->priority < 1 || t->priority > 4)
			return status_set(&call->status, BATON_INVALID_ARGUMENT, "targets: priority %d is not 1 to 4",
			    (int)t->priority);
		if (seen[t->priority])
			return status_set(&call->status, BATON_INVALID_ARGUMENT, "targets: P%d is given twice",
			    (int)t->priority);
		seen[t->priority] = true;
		for (int k = 0; k < 3; k++)
			if (v[k] < 1 || v[k] > TARGET_MAX_S)
				return status_set(&call->status, BATON_INVALID_ARGUMENT,
				    "targets: P%d %s %lld is not 1 to %d (30 days)", (int)t->priority, what[k], (long long)v[k],
				    TARGET_MAX_S);
	}
	for (int p = 1; p <= 4; p++)
		if (!seen[p])
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "targets: P%d is missing; give exactly one target per priority 1 to 4", p);
	return BATON_OK;
}

static baton_status check_numbers(rpc_call *call, const Baton__V1__SlaContract *c)
{
	if (c->warn_percent < 1 || c->warn_percent > 99)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "warn_percent %d is not 1 to 99",
		    (int)c->warn_percent);
	if (c->ownership_timeout_s < 1 || c->ownership_timeout_s > OWNERSHIP_MAX_S)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "ownership_timeout_s %lld is not 1 to %d (7 days)",
		    (long long)c->ownership_timeout_s, OWNERSHIP_MAX_S);
	if (c->escalation_normal_s < 1 || c->escalation_normal_s > ESCALATION_MAX_S)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "escalation_normal_s %lld is not 1 to %d (30 days)",
		    (long long)c->escalation_normal_s, ESCALATION_MAX_S);
	if (c->escalation_urgent_s < 1 || c->escalation_urgent_s > ESCALATION_MAX_S)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "escalation_urgent_s %lld is not 1 to %d (30 days)",
		    (long long)c->escalation_urgent_s, ESCALATION_MAX_S);
	return BATON_OK;
}

static baton_status check_zone(rpc_call *call, const char *zone)
{
	if (zone[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "time_zone is required (IANA, like Europe/Warsaw)");
	if (strlen(zone) > ZONE_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "time_zone '%.64s...' is longer than %d bytes", zone,
		    ZONE_MAX);
	return shifts_check_time_zone(call, zone);
}

/* ---- Organizations ------------------------------------------------------------ */

/* org "" is the default (org_id ""); otherwise the organization by name or
 * id as the caller may see it. */
static baton_status org_of(rpc_call *call, const char *org, char org_id[40], char org_name[64])
{
	baton_status s;

	org_id[0] = org_name[0] = '\0';
	if (org[0] == '\0')
		return BATON_OK;
	if ((s = tickets_org_find(call, org, org_id, org_name)) == BATON_NOT_FOUND && !call->caller.in_house)
		return status_set(&call->status, BATON_NOT_FOUND,
		    "no organization '%.80s' that you may see: partners see their own organization's contract and the"
		    " default",
		    org);
	return s;
}

/* ---- SetSlaContract ----------------------------------------------------------- */

#define CONTRACT_INSERT \
	"WITH c AS (" \
	"  INSERT INTO sla_contract (org_id, version, time_zone, always_open, warn_percent, ownership_timeout," \
	"                            escalation_normal, escalation_urgent, note, created_by)" \
	"  SELECT $1::uuid, coalesce(max(version), 0) + 1, $2, $3::boolean, $4::int, make_interval(secs => $5::bigint)," \
	"         make_interval(secs => $6::bigint), make_interval(secs => $7::bigint), $8, $9::uuid" \
	"    FROM sla_contract WHERE org_id IS NOT DISTINCT FROM $1::uuid" \
	"  RETURNING id)," \
	" t AS (" \
	"  INSERT INTO sla_target (contract_id, priority, first_response, next_response, resolution)" \
	"  SELECT c.id, x.priority, make_interval(secs => x.first_response_s), make_interval(secs => x.next_response_s)," \
	"         make_interval(secs => x.resolution_s)" \
	"    FROM c, jsonb_to_recordset($10::jsonb -> 'targets')" \
	"         AS x(priority int, first_response_s bigint, next_response_s bigint, resolution_s bigint))," \
	" h AS (" \
	"  INSERT INTO sla_hours (contract_id, weekday, opens, closes)" \
	"  SELECT c.id, x.weekday, x.opens::time, x.closes::time" \
	"    FROM c, jsonb_to_recordset($10::jsonb -> 'hours') AS x(weekday int, opens text, closes text))," \
	" d AS (" \
	"  INSERT INTO sla_holiday (contract_id, day, name)" \
	"  SELECT c.id, x.day::date, x.name FROM c, jsonb_to_recordset($10::jsonb -> 'holidays') AS x(day text, name text))" \
	" SELECT id FROM c"

baton_status sla_contract_set(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__SetSlaContractRequest *req = (const Baton__V1__SetSlaContractRequest *)request;
	Baton__V1__SetSlaContractReply *rep = (Baton__V1__SetSlaContractReply *)reply;
	const Baton__V1__SlaContract *c = req->contract;
	char org_id[40], org_name[64], nums[4][24], *json, *body, *id;
	Baton__V1__SlaContract *stored;
	PGresult *res;
	baton_status s;

	if (!call->caller.in_house) /* the method table allows admins; a partner's may not */
		return status_set(&call->status, BATON_PERMISSION_DENIED, "SLA contracts are set by in-house admins");
	if (c == NULL)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "contract is required");
	if ((s = check_hours(call, c)) != BATON_OK || (s = check_holidays(call, c)) != BATON_OK ||
	    (s = check_targets(call, c)) != BATON_OK || (s = check_numbers(call, c)) != BATON_OK ||
	    (s = text_ok(call, "note", c->note, NOTE_MAX)) != BATON_OK || (s = check_zone(call, c->time_zone)) != BATON_OK ||
	    (s = org_of(call, c->org, org_id, org_name)) != BATON_OK)
		return s;
	if ((json = contract_json(call, c)) == NULL)
		return shifts_oom(call);
	snprintf(nums[0], sizeof(nums[0]), "%d", (int)c->warn_percent);
	snprintf(nums[1], sizeof(nums[1]), "%lld", (long long)c->ownership_timeout_s);
	snprintf(nums[2], sizeof(nums[2]), "%lld", (long long)c->escalation_normal_s);
	snprintf(nums[3], sizeof(nums[3]), "%lld", (long long)c->escalation_urgent_s);
	const char *params[10] = { org_id[0] != '\0' ? org_id : NULL, c->time_zone, c->always_open ? "true" : "false",
		nums[0], nums[1], nums[2], nums[3], c->note, call->caller.principal_id, json };
	if ((s = db_exec_prepared(call->db, NULL, CONTRACT_LOCK, 0, NULL, &call->status)) != BATON_OK ||
	    (s = db_exec_prepared(call->db, &res, CONTRACT_INSERT, 10, params, &call->status)) != BATON_OK)
		return s;
	id = PQntuples(res) == 1 ? shifts_col(call, res, 0, 0) : NULL;
	PQclear(res);
	if (id == NULL)
		return shifts_oom(call);
	if ((s = sla_contract_read(call, id, &stored)) != BATON_OK)
		return s;
	const char *q_org = org_name[0] != '\0' ? tickets_json_quote(call, org_name) : "null";
	if (q_org == NULL || (json = contract_json(call, stored)) == NULL ||
	    (body = tickets_printf(call, "{\"org\":%s,\"version\":%d,\"contract\":%s}", q_org, (int)stored->version,
	         json)) == NULL)
		return shifts_oom(call);
	if ((s = event_append(call, org_id[0] != '\0' ? org_id : NULL, "sla.contract_set", stored->id, body)) != BATON_OK)
		return s;
	rep->contract = stored;
	return BATON_OK;
}

/* ---- ShowSlaContract ------------------------------------------------------------ */

baton_status sla_contract_show(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__ShowSlaContractRequest *req = (const Baton__V1__ShowSlaContractRequest *)request;
	Baton__V1__ShowSlaContractReply *rep = (Baton__V1__ShowSlaContractReply *)reply;
	char org_id[40], org_name[64], version[16], id[40] = "";
	PGresult *res;
	baton_status s;

	if (req->version < 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "version %d is not 1 or more (0: the latest)",
		    (int)req->version);
	if ((s = org_of(call, req->org, org_id, org_name)) != BATON_OK)
		return s;
	snprintf(version, sizeof(version), "%d", (int)req->version);
	/* The organization's own (version 0: its latest), else, for the latest
	 * only, the default's, which it inherits. */
	const char *params[2] = { org_id[0] != '\0' ? org_id : NULL, version };
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT id FROM sla_contract WHERE org_id IS NOT DISTINCT FROM $1::uuid"
	         "   AND ($2::int = 0 OR version = $2::int) ORDER BY version DESC LIMIT 1",
	         2, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) == 1)
		snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	if (id[0] == '\0' && req->version != 0)
		return status_set(&call->status, BATON_NOT_FOUND, "%s%s%s has no SLA contract version %d",
		    org_id[0] != '\0' ? "organization '" : "the default", org_name, org_id[0] != '\0' ? "'" : "",
		    (int)req->version);
	if (id[0] == '\0' && org_id[0] != '\0') {
		if ((s = db_exec_prepared(call->db, &res,
		         "SELECT id FROM sla_contract WHERE org_id IS NULL ORDER BY version DESC LIMIT 1", 0, NULL,
		         &call->status)) != BATON_OK)
			return s;
		if (PQntuples(res) == 1)
			snprintf(id, sizeof(id), "%s", PQgetvalue(res, 0, 0));
		PQclear(res);
		rep->inherited = true;
	}
	if (id[0] == '\0')
		return status_set(&call->status, BATON_NOT_FOUND, "there is no default SLA contract");
	return sla_contract_read(call, id, &rep->contract);
}

/* ---- SlaDeadline ------------------------------------------------------------------ */

baton_status sla_deadline(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__SlaDeadlineRequest *req = (const Baton__V1__SlaDeadlineRequest *)request;
	Baton__V1__SlaDeadlineReply *rep = (Baton__V1__SlaDeadlineReply *)reply;
	char org_id[40], org_name[64], from[24], secs[24];
	PGresult *res;
	baton_status s;

	if (req->from_unix_ms <= 0 || req->from_unix_ms > FROM_MAX_MS)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "from_unix_ms %lld is not a time (ms since 1970, after 0, before the year 10000)",
		    (long long)req->from_unix_ms);
	if (req->seconds < 0 || req->seconds > TARGET_MAX_S)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "seconds %lld is not 0 to %d (30 days)",
		    (long long)req->seconds, TARGET_MAX_S);
	if ((s = org_of(call, req->org, org_id, org_name)) != BATON_OK)
		return s;
	snprintf(from, sizeof(from), "%lld", (long long)req->from_unix_ms);
	snprintf(secs, sizeof(secs), "%lld", (long long)req->seconds);
	const char *params[3] = { org_id[0] != '\0' ? org_id : NULL, from, secs };
	if ((s = db_exec_prepared(call->db, &res,
	         "SELECT c.id, c.version, c.time_zone, coalesce(" SQL_MS("baton_sla_add(c.id, f.at, $3::numeric)") ", 0)"
	         "  FROM (SELECT to_timestamp($2::bigint / 1000.0) AS at) f"
	         "  JOIN sla_contract c ON c.id = baton_sla_contract($1::uuid, f.at)",
	         3, params, &call->status)) != BATON_OK)
		return s;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return status_set(&call->status, BATON_NOT_FOUND, "no SLA contract applies to %s",
		    org_id[0] != '\0' ? org_name : "the default");
	}
	rep->contract_id = shifts_col(call, res, 0, 0);
	rep->version = (int32_t)shifts_int(res, 0, 1);
	rep->time_zone = shifts_col(call, res, 0, 2);
	rep->due_unix_ms = shifts_int(res, 0, 3);
	PQclear(res);
	if (rep->contract_id == NULL || rep->time_zone == NULL)
		return shifts_oom(call);
	return BATON_OK;
}
