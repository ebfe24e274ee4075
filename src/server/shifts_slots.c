/* shifts_slots.c - publishing slots (AddSlot, PublishWeekly) and the checks of slot fields that EditSlot shares. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/event.h"
#include "server/shifts_internal.h"
#include "server/validate.h"

#define MAX_OPEN_TO_ORGS 100

static const char *const org_kinds[] = { "in_house", "after_hours", "seasonal", "language", "overflow" };
#define N_ORG_KINDS (sizeof(org_kinds) / sizeof(org_kinds[0]))

/* "2026-11-27T18:00:00Z" */
static void utc_text(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000 - (ms % 1000 < 0));
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "%lld ms", (long long)ms);
}

baton_status shifts_check_queue(rpc_call *call, const char *queue)
{
	if (!validate_name(queue, "._-"))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "queue '%.80s' must be 1 to 63 lower-case letters, digits, '.', '_' or '-', "
		    "starting with a letter or digit, and not look like an id", queue);
	return BATON_OK;
}

baton_status shifts_check_language(rpc_call *call, const char *language)
{
	if (!validate_language(language))
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "language '%.40s' is not a BCP 47 tag (like pl, es-419 or pt-BR)", language);
	return BATON_OK;
}

baton_status shifts_check_seats(rpc_call *call, int32_t seats)
{
	if (seats < 1 || seats > 1000)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "seats %d must be 1 to 1000", (int)seats);
	return BATON_OK;
}

baton_status shifts_check_note(rpc_call *call, const char *what, const char *text)
{
	size_t n = strlen(text);

	if (n > SHIFTS_TEXT_MAX)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "%s is %zu bytes; at most %d", what, n,
		    SHIFTS_TEXT_MAX);
	return BATON_OK;
}

baton_status shifts_check_swap_approval(rpc_call *call, const char *approval, const char **out)
{
	static const char *const ok[] = { "none", "manager", "lead" };

	if (approval[0] == '\0') {
		*out = ok[0];
		return BATON_OK;
	}
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(approval, ok[i]) == 0) {
			*out = ok[i];
			return BATON_OK;
		}
	return status_set(&call->status, BATON_INVALID_ARGUMENT,
	    "swap_approval '%.40s' is not one of none, manager, lead", approval);
}

baton_status shifts_check_cutoff(rpc_call *call, int64_t cutoff_s, int64_t *out_s)
{
	if (cutoff_s == 0)
		*out_s = call->server != NULL ? call->server->release_cutoff_s : 0;
	else if (cutoff_s == -1)
		*out_s = 0;
	else if (cutoff_s >= 1 && cutoff_s <= SHIFTS_CUTOFF_MAX_S)
		*out_s = cutoff_s;
	else
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "release_cutoff_s %lld must be 0 (the server's default), -1 (no cut-off) or 1 to %lld seconds "
		    "(30 days)", (long long)cutoff_s, SHIFTS_CUTOFF_MAX_S);
	if (*out_s < 0 || *out_s > SHIFTS_CUTOFF_MAX_S) /* a server default out of bounds */
		*out_s = *out_s < 0 ? 0 : SHIFTS_CUTOFF_MAX_S;
	return BATON_OK;
}

baton_status shifts_check_time_zone(rpc_call *call, const char *tz)
{
	const char *params[1] = { tz };
	PGresult *res;
	baton_status s;
	bool known;

	if (tz[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "time_zone is needed (like Europe/Warsaw)");
	if ((s = db_exec(call->db, &res, "SELECT 1 FROM pg_timezone_names WHERE name = $1", 1, params,
	         &call->status)) != BATON_OK)
		return s;
	known = PQntuples(res) > 0;
	PQclear(res);
	if (!known)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "time zone '%.80s' is not an IANA time zone (like Europe/Warsaw)", tz);
	return BATON_OK;
}

baton_status shifts_check_instants(rpc_call *call, int64_t starts_ms, int64_t ends_ms)
{
	char from[32], to[32];
	PGresult *res;
	baton_status s;
	int64_t now_ms;

	utc_text(starts_ms, from);
	utc_text(ends_ms, to);
	if (starts_ms <= 0 || ends_ms <= 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "starts and ends are both needed (ms since the epoch)");
	if (ends_ms <= starts_ms)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "the slot must end after it starts (%s to %s)",
		    from, to);
	if (ends_ms - starts_ms > 24 * 3600 * 1000LL)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "a slot lasts at most 24 h; %s to %s is %.1f h", from, to, (double)(ends_ms - starts_ms) / 3.6e6);
	if ((s = db_exec(call->db, &res, "SELECT " SQL_MS("now()"), 0, NULL, &call->status)) != BATON_OK)
		return s;
	now_ms = shifts_int(res, 0, 0);
	PQclear(res);
	if (ends_ms <= now_ms)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "the slot would already have ended (%s to %s)", from, to);
	return BATON_OK;
}

baton_status shifts_open_to(rpc_call *call, char *const *orgs, size_t n_orgs, char *const *kinds,
    size_t n_kinds, char **orgs_literal, char **kinds_literal)
{
	size_t cap = 2 + n_orgs * 40, klen = 0, olen;
	char *names, *ids, *ks;
	PGresult *res;
	baton_status s;

	if (n_orgs > MAX_OPEN_TO_ORGS)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "open_to_orgs names %zu organizations; at most %d",
		    n_orgs, MAX_OPEN_TO_ORGS);
	if ((ks = arena_alloc(call->arena, 2 + N_ORG_KINDS * 16)) == NULL ||
	    (names = arena_alloc(call->arena, 2 + n_orgs * 70)) == NULL || (ids = arena_alloc(call->arena, cap)) == NULL)
		return shifts_oom(call);
	ks[klen++] = '{';
	for (size_t i = 0; i < n_kinds; i++) {
		size_t k = 0;
		while (k < N_ORG_KINDS && strcmp(kinds[i], org_kinds[k]) != 0)
			k++;
		if (k == N_ORG_KINDS)
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "open_to_kinds '%.40s' is not one of in_house, after_hours, seasonal, language, overflow",
			    kinds[i]);
		bool seen = false;
		for (size_t j = 0; j < i; j++)
			seen = seen || strcmp(kinds[j], kinds[i]) == 0;
		if (!seen)
			klen += (size_t)sprintf(ks + klen, "%s%s", klen > 1 ? "," : "", org_kinds[k]);
	}
	strcpy(ks + klen, "}");
	*kinds_literal = ks;

	/* Names and ids have no character that needs escaping in an array
	 * literal once their shape is checked; quoted so "null" stays a name. */
	olen = 0;
	names[olen++] = '{';
	for (size_t i = 0; i < n_orgs; i++) {
		if (!validate_name(orgs[i], "._-") && !validate_uuid_shaped(orgs[i]))
			return status_set(&call->status, BATON_NOT_FOUND, "no organization '%.80s'", orgs[i]);
		olen += (size_t)sprintf(names + olen, "%s\"%s\"", i ? "," : "", orgs[i]);
	}
	strcpy(names + olen, "}");
	const char *params[1] = { names };
	if ((s = db_exec(call->db, &res,
	         "SELECT u.n, o.id FROM unnest($1::text[]) WITH ORDINALITY AS u(n, i)"
	         "  LEFT JOIN org o ON CASE WHEN baton_uuid_shaped(u.n) THEN o.id = u.n::uuid ELSE o.name = u.n END"
	         " ORDER BY u.i",
	         1, params, &call->status)) != BATON_OK)
		return s;
	olen = 0;
	ids[olen++] = '{';
	ids[olen] = '\0';
	for (int r = 0; r < PQntuples(res); r++) {
		const char *id = PQgetvalue(res, r, 1);
		if (PQgetisnull(res, r, 1)) {
			s = status_set(&call->status, BATON_NOT_FOUND, "no organization '%.80s'", PQgetvalue(res, r, 0));
			break;
		}
		if (strstr(ids, id) == NULL && strlen(id) < 40)
			olen += (size_t)sprintf(ids + olen, "%s%s", olen > 1 ? "," : "", id);
	}
	PQclear(res);
	strcpy(ids + olen, "}");
	*orgs_literal = ids;
	return s;
}

/* The fields every new slot has, checked, as text parameters. */
typedef struct slot_fields {
	const char *queue;
	const char *language;
	char        seats[16];
	char       *orgs;  /* uuid[] literal */
	char       *kinds; /* text[] literal */
	const char *approval;
	char        cutoff_s[24];
	const char *note;
} slot_fields;

static baton_status fields_check(rpc_call *call, const char *queue, const char *language, int32_t seats,
    char *const *orgs, size_t n_orgs, char *const *kinds, size_t n_kinds, const char *approval, int64_t cutoff_s,
    const char *note, slot_fields *f)
{
	int64_t cut;
	baton_status s;

	if ((s = shifts_check_queue(call, queue)) != BATON_OK || (s = shifts_check_language(call, language)) != BATON_OK ||
	    (s = shifts_check_seats(call, seats)) != BATON_OK ||
	    (s = shifts_check_swap_approval(call, approval, &f->approval)) != BATON_OK ||
	    (s = shifts_check_cutoff(call, cutoff_s, &cut)) != BATON_OK ||
	    (s = shifts_check_note(call, "note", note)) != BATON_OK)
		return s;
	f->queue = queue;
	f->language = language;
	f->note = note;
	snprintf(f->seats, sizeof(f->seats), "%d", (int)seats);
	snprintf(f->cutoff_s, sizeof(f->cutoff_s), "%lld", (long long)cut);
	return shifts_open_to(call, orgs, n_orgs, kinds, n_kinds, &f->orgs, &f->kinds);
}

/* "2026-11-27": a real calendar day from 1970 on. */
static bool day_ok(const char *s)
{
	static const int days_in[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int y, m, d;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	y = atoi(s);
	m = atoi(s + 5);
	d = atoi(s + 8);
	if (y < 1970 || m < 1 || m > 12 || d < 1)
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return d <= days_in[m - 1] + (m == 2 && leap);
}

/* "18:00": 00:00 to 23:59. */
static bool clock_ok(const char *s)
{
	if (strlen(s) != 5 || s[2] != ':' || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	    !isdigit((unsigned char)s[3]) || !isdigit((unsigned char)s[4]))
		return false;
	return atoi(s) <= 23 && atoi(s + 3) <= 59;
}

static baton_status check_clock(rpc_call *call, const char *what, const char *value)
{
	if (!clock_ok(value))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "%s '%.40s' is not a time (HH:MM, 00:00 to 23:59)",
		    what, value);
	return BATON_OK;
}

/* The local form of AddSlot to instants: PostgreSQL's time-zone database
 * does the DST arithmetic. */
static baton_status local_instants(rpc_call *call, const Baton__V1__AddSlotRequest *req, int64_t *starts,
    int64_t *ends)
{
	const char *params[4] = { req->local_day, req->local_start, req->local_end, req->time_zone };
	PGresult *res;
	baton_status s;

	if (req->local_day[0] == '\0' || req->local_start[0] == '\0' || req->local_end[0] == '\0' ||
	    req->time_zone[0] == '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "local_day, local_start, local_end and time_zone are all needed for a local time");
	if (!day_ok(req->local_day))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "local_day '%.40s' is not a date (YYYY-MM-DD)",
		    req->local_day);
	if ((s = check_clock(call, "local_start", req->local_start)) != BATON_OK ||
	    (s = check_clock(call, "local_end", req->local_end)) != BATON_OK ||
	    (s = shifts_check_time_zone(call, req->time_zone)) != BATON_OK)
		return s;
	if ((s = db_exec(call->db, &res,
	         "SELECT " SQL_MS("($1::date + $2::time) AT TIME ZONE $4") ","
	         " " SQL_MS("(($1::date + CASE WHEN $3::time <= $2::time THEN 1 ELSE 0 END) + $3::time) AT TIME ZONE $4"),
	         4, params, &call->status)) != BATON_OK)
		return s;
	*starts = shifts_int(res, 0, 0);
	*ends = shifts_int(res, 0, 1);
	PQclear(res);
	return BATON_OK;
}

baton_status shifts_add_slot(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__AddSlotRequest *req = (const Baton__V1__AddSlotRequest *)request;
	Baton__V1__AddSlotReply *rep = (Baton__V1__AddSlotReply *)reply;
	bool instants = req->starts_unix_ms != 0 || req->ends_unix_ms != 0;
	bool local = req->local_day[0] || req->local_start[0] || req->local_end[0] || req->time_zone[0];
	int64_t starts = req->starts_unix_ms, ends = req->ends_unix_ms;
	char from[24], to[24];
	slot_fields f;
	PGresult *res;
	baton_status s;

	if ((s = fields_check(call, req->queue, req->language, req->seats, req->open_to_orgs, req->n_open_to_orgs,
	         req->open_to_kinds, req->n_open_to_kinds, req->swap_approval, req->release_cutoff_s, req->note, &f)) !=
	    BATON_OK)
		return s;
	if (instants && local)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "give either starts and ends or local_day, local_start, local_end and time_zone, not both");
	if (!instants && !local)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "give the slot's time: starts and ends, or local_day, local_start, local_end and time_zone");
	if (local && (s = local_instants(call, req, &starts, &ends)) != BATON_OK)
		return s;
	if ((s = shifts_check_instants(call, starts, ends)) != BATON_OK)
		return s;
	snprintf(from, sizeof(from), "%lld", (long long)starts);
	snprintf(to, sizeof(to), "%lld", (long long)ends);
	const char *params[11] = { f.queue, f.language, from, to, f.seats, f.orgs, f.kinds, f.approval, f.cutoff_s,
		f.note, call->caller.principal_id };
	if ((s = db_exec(call->db, &res,
	         "WITH ins AS (INSERT INTO slot (queue, language, during, seats, open_to_orgs, open_to_kinds,"
	         "                               swap_approval, release_cutoff, note, created_by)"
	         "  VALUES ($1, $2, tstzrange(to_timestamp($3::bigint / 1000.0), to_timestamp($4::bigint / 1000.0)),"
	         "          $5::int, $6::uuid[], $7::text[], $8, $9::bigint * interval '1 second', $10, $11::uuid)"
	         "  RETURNING *)"
	         " SELECT " SHIFTS_SLOT_COLS ", to_jsonb(s)::text FROM ins s",
	         11, params, &call->status)) != BATON_OK)
		return s;
	if ((s = shifts_slot_from_row(call, res, 0, 0, &rep->slot)) == BATON_OK)
		s = event_append(call, NULL, "slot.added", rep->slot->id, PQgetvalue(res, 0, SHIFTS_N_SLOT_COLS));
	PQclear(res);
	return s;
}

/* "mon".."sun" or full names, any case, to ISO days of the week (1..7),
 * as an int[] literal and a text[] literal of the short names. */
static baton_status parse_days(rpc_call *call, char *const *days, size_t n, char dows[32], char names[64])
{
	static const char *const full[] = { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
		"sunday" };
	bool seen[7] = { false };
	size_t dl = 0, nl = 0;

	if (n == 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "name at least one day (mon .. sun)");
	dows[dl++] = '{';
	names[nl++] = '{';
	for (size_t i = 0; i < n; i++) {
		int d = 0;
		while (d < 7 && strcasecmp(days[i], full[d]) != 0 &&
		       !(strlen(days[i]) == 3 && strncasecmp(days[i], full[d], 3) == 0))
			d++;
		if (d == 7)
			return status_set(&call->status, BATON_INVALID_ARGUMENT,
			    "day '%.40s' is not one of mon, tue, wed, thu, fri, sat, sun", days[i]);
		if (seen[d])
			return status_set(&call->status, BATON_INVALID_ARGUMENT, "day '%.40s' is named twice", days[i]);
		seen[d] = true;
		dl += (size_t)snprintf(dows + dl, 32 - dl, "%s%d", dl > 1 ? "," : "", d + 1);
		nl += (size_t)snprintf(names + nl, 64 - nl, "%s%.3s", nl > 1 ? "," : "", full[d]);
	}
	snprintf(dows + dl, 32 - dl, "}");
	snprintf(names + nl, 64 - nl, "}");
	return BATON_OK;
}

/* The pattern's local fields, checked; first_day ("" is today in the zone)
 * resolved into day. */
static baton_status weekly_check(rpc_call *call, const Baton__V1__PublishWeeklyRequest *req, char day[16])
{
	PGresult *res;
	baton_status s;

	if ((s = check_clock(call, "local_start", req->local_start)) != BATON_OK ||
	    (s = check_clock(call, "local_end", req->local_end)) != BATON_OK)
		return s;
	if (req->weeks < 1 || req->weeks > 52)
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "weeks %d must be 1 to 52", (int)req->weeks);
	if (req->first_day[0] != '\0' && !day_ok(req->first_day))
		return status_set(&call->status, BATON_INVALID_ARGUMENT, "first_day '%.40s' is not a date (YYYY-MM-DD)",
		    req->first_day);
	if ((s = shifts_check_time_zone(call, req->time_zone)) != BATON_OK)
		return s;
	if (req->first_day[0] != '\0') {
		snprintf(day, 16, "%s", req->first_day);
		return BATON_OK;
	}
	const char *params[1] = { req->time_zone };
	if ((s = db_exec(call->db, &res, "SELECT (now() AT TIME ZONE $1)::date::text", 1, params, &call->status)) !=
	    BATON_OK)
		return s;
	snprintf(day, 16, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return BATON_OK;
}

/* Refuses a pattern none of whose slots is still ahead, or one that makes
 * a slot of no or more than 24 hours on some day (DST gaps). */
static baton_status weekly_instants_check(rpc_call *call, const char *const pattern[6])
{
	PGresult *res;
	baton_status s;

	if ((s = db_exec(call->db, &res,
	         "SELECT count(*) FILTER (WHERE w.ends > now()),"
	         "       min(w.local_day::text) FILTER (WHERE w.ends > now() AND (w.ends <= w.starts"
	         "                                     OR w.ends - w.starts > interval '24 hours')),"
	         "       count(*)"
	         "  FROM baton_weekly_instants($1::date, $2::int, $3::int[], $4::time, $5::time, $6) w",
	         6, pattern, &call->status)) != BATON_OK)
		return s;
	long long ahead = shifts_int(res, 0, 0), total = shifts_int(res, 0, 2);
	char bad[16];
	snprintf(bad, sizeof(bad), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	if (bad[0] != '\0')
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "on %s, %s to %s in %s would not be a slot of more than 0 and at most 24 hours", bad, pattern[3],
		    pattern[4], pattern[5]);
	if (ahead == 0)
		return status_set(&call->status, BATON_INVALID_ARGUMENT,
		    "the pattern makes %lld slots from %s for %s weeks and every one would already have ended", total,
		    pattern[0], pattern[1]);
	return BATON_OK;
}

static baton_status weekly_event(rpc_call *call, const Baton__V1__PublishWeeklyRequest *req,
    const char *const pattern[6], const char *day_names, const char *series_id, size_t n_slots)
{
	char count[16];
	PGresult *res;
	baton_status s;

	snprintf(count, sizeof(count), "%zu", n_slots);
	const char *params[10] = { req->queue, req->language, day_names, pattern[3], pattern[4], pattern[5],
		pattern[0], pattern[1], count, series_id };
	if ((s = db_exec(call->db, &res,
	         "SELECT jsonb_build_object('queue', $1::text, 'language', $2::text, 'days', $3::text[],"
	         "  'local_start', $4::text, 'local_end', $5::text, 'time_zone', $6::text, 'first_day', $7::text,"
	         "  'weeks', $8::int, 'slot_count', $9::int,"
	         "  'slot_ids', (SELECT jsonb_agg(s.id ORDER BY lower(s.during)) FROM slot s WHERE s.series_id = $10::uuid))::text",
	         10, params, &call->status)) != BATON_OK)
		return s;
	s = event_append(call, NULL, "slot.published", series_id, PQgetvalue(res, 0, 0));
	PQclear(res);
	return s;
}

baton_status shifts_publish_weekly(rpc_call *call, const ProtobufCMessage *request, ProtobufCMessage *reply)
{
	const Baton__V1__PublishWeeklyRequest *req = (const Baton__V1__PublishWeeklyRequest *)request;
	Baton__V1__PublishWeeklyReply *rep = (Baton__V1__PublishWeeklyReply *)reply;
	char dows[32], day_names[64], day[16], weeks[16];
	slot_fields f;
	PGresult *res;
	baton_status s;

	if ((s = fields_check(call, req->queue, req->language, req->seats, req->open_to_orgs, req->n_open_to_orgs,
	         req->open_to_kinds, req->n_open_to_kinds, req->swap_approval, req->release_cutoff_s, req->note, &f)) !=
	        BATON_OK ||
	    (s = parse_days(call, req->days, req->n_days, dows, day_names)) != BATON_OK ||
	    (s = weekly_check(call, req, day)) != BATON_OK)
		return s;
	snprintf(weeks, sizeof(weeks), "%d", (int)req->weeks);
	const char *pattern[6] = { day, weeks, dows, req->local_start, req->local_end, req->time_zone };
	if ((s = weekly_instants_check(call, pattern)) != BATON_OK)
		return s;

	const char *series[7] = { dows, req->local_start, req->local_end, req->time_zone, day, weeks,
		call->caller.principal_id };
	if ((s = db_exec(call->db, &res,
	         "INSERT INTO slot_series (days, local_start, local_end, time_zone, first_day, weeks, created_by)"
	         " VALUES ($1::int[], $2::time, $3::time, $4, $5::date, $6::int, $7::uuid) RETURNING id",
	         7, series, &call->status)) != BATON_OK)
		return s;
	rep->series_id = shifts_col(call, res, 0, 0);
	PQclear(res);
	if (rep->series_id == NULL)
		return shifts_oom(call);

	const char *params[16] = { rep->series_id, f.queue, f.language, f.seats, f.orgs, f.kinds, f.approval,
		f.cutoff_s, f.note, call->caller.principal_id, day, weeks, dows, req->local_start, req->local_end,
		req->time_zone };
	if ((s = db_exec(call->db, &res,
	         "WITH ins AS (INSERT INTO slot (series_id, queue, language, during, seats, open_to_orgs, open_to_kinds,"
	         "                               swap_approval, release_cutoff, note, created_by)"
	         "  SELECT $1::uuid, $2, $3, tstzrange(w.starts, w.ends), $4::int, $5::uuid[], $6::text[], $7,"
	         "         $8::bigint * interval '1 second', $9, $10::uuid"
	         "    FROM baton_weekly_instants($11::date, $12::int, $13::int[], $14::time, $15::time, $16) w"
	         "   WHERE w.ends > now()"
	         "  RETURNING *)"
	         " SELECT " SHIFTS_SLOT_COLS " FROM ins s ORDER BY lower(s.during), s.id",
	         16, params, &call->status)) != BATON_OK)
		return s;
	int rows = PQntuples(res);
	if ((rep->slots = arena_alloc(call->arena, (size_t)(rows + 1) * sizeof(*rep->slots))) == NULL) {
		PQclear(res);
		return shifts_oom(call);
	}
	for (int r = 0; r < rows && s == BATON_OK; r++)
		s = shifts_slot_from_row(call, res, r, 0, &rep->slots[rep->n_slots++]);
	PQclear(res);
	if (s != BATON_OK)
		return s;
	return weekly_event(call, req, pattern, day_names, rep->series_id, rep->n_slots);
}
