/* ctl_oncall.c - batonctl oncall (rotations, overrides, who is on call) and coverage (seats per hour, gaps). */
#include <stdio.h>
#include <string.h>

#include "baton/v1/oncall.pb-c.h"
#include "baton/v1/shifts.pb-c.h"
#include "client/ctl.h"
#include "common/clock.h"
#include "common/textbuf.h"

static const char usage_oncall[] =
    "Usage: batonctl oncall rotation add NAME --tz ZONE --start 'YYYY-MM-DD HH:MM' --turn-hours N\n"
    "           --members A,B,C [--level N]\n"
    "       batonctl oncall rotation list\n"
    "       batonctl oncall override add ROTATION --action add|remove|replace --who HANDLE\n"
    "           [--with HANDLE] --from T --to T [--note TEXT]\n"
    "       batonctl oncall who [--at T]\n"
    "       batonctl oncall who --from T --to T\n"
    "  rotation add   (lead, admin) in-house leads or admins (handles) take turns in the order\n"
    "                 given: the first hand-off at --start, wall clock in ZONE (IANA:\n"
    "                 Europe/Warsaw), then every N hours (1..672) of wall-clock time.\n"
    "                 --level 1..9: escalation level, 1 (the default) is asked first.\n"
    "  rotation list  (in-house) rotations, with their overrides that have not ended.\n"
    "  override add   (lead, admin) for [--from, --to): add (HANDLE is on call too), remove\n"
    "                 (HANDLE is not on call), replace (--with HANDLE instead of HANDLE).\n"
    "  who            (in-house) who is on call at T (default now), or everyone on call in\n"
    "                 [--from, --to) (at most 62 days); and the stretches with nobody on call.\n"
    "Times T: now, now+90m, now-1h, now+3d, or ISO 8601 with Z or an offset:\n"
    "2026-11-27T18:00Z, '2026-11-27 18:00+01:00'. Output shows UTC.\n";

static const char usage_coverage[] =
    "Usage: batonctl coverage --from T --to T [--queue Q] [--language L] [--tz ZONE]\n"
    "(In-house) for each hour in [--from, --to) and each queue and language: the seats live\n"
    "slots want and the seats claimed. Then the gaps (hours short of seats, merged, with the\n"
    "largest shortfall and the seat-hours missing) and the stretches with no lead on call.\n"
    "Hours are aligned to and shown in ZONE (IANA: Europe/Warsaw; default UTC).\n"
    "--json prints one object: {\"hours\":[...],\"gaps\":[...],\"oncall_gaps\":[...]}.\n"
    "Times T: now, now+90m, now-1h, now+3d, or ISO 8601 with Z or an offset.\n";

#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_MEMBERS 100

/* ---- rotations and overrides ------------------------------------------------- */

static void json_override(textbuf *t, const Baton__V1__Override *o)
{
	textbuf_puts(t, "{\"id\":");
	textbuf_json_str(t, o->id);
	textbuf_puts(t, ",\"rotation\":");
	textbuf_json_str(t, o->rotation);
	textbuf_puts(t, ",\"action\":");
	textbuf_json_str(t, o->action);
	textbuf_puts(t, ",\"principal\":");
	textbuf_json_str(t, o->principal);
	textbuf_puts(t, ",\"replacement\":");
	textbuf_json_str(t, o->replacement);
	textbuf_printf(t, ",\"from_unix_ms\":%lld,\"to_unix_ms\":%lld,\"note\":", (long long)o->from_unix_ms,
	    (long long)o->to_unix_ms);
	textbuf_json_str(t, o->note);
	textbuf_puts(t, ",\"created_by\":");
	textbuf_json_str(t, o->created_by);
	textbuf_printf(t, ",\"created_unix_ms\":%lld}", (long long)o->created_unix_ms);
}

/* "  override ID: replace lena with marek, FROM - TO (note)". */
static void print_override_line(const Baton__V1__Override *o)
{
	char from[32], to[32];

	ctl_time(o->from_unix_ms, from, sizeof(from));
	ctl_time(o->to_unix_ms, to, sizeof(to));
	printf("  override %s: %s %s%s%s, %s - %s%s%s%s\n", o->id, o->action, o->principal,
	    o->replacement[0] ? " with " : "", o->replacement, from, to, o->note[0] ? " (" : "", o->note,
	    o->note[0] ? ")" : "");
}

static void print_rotations(const ctl_globals *g, Baton__V1__Rotation *const *rs, size_t n)
{
	char members[4096];
	textbuf t;

	if (!g->json)
		printf("%-20s %-5s  %-20s %-16s  %-6s %s\n", "NAME", "LEVEL", "TIME ZONE", "FIRST HAND-OFF", "TURN",
		    "MEMBERS");
	for (size_t i = 0; i < n; i++) {
		const Baton__V1__Rotation *r = rs[i];
		if (g->json) {
			ctl_out_begin(&t);
			textbuf_puts(&t, "{\"id\":");
			textbuf_json_str(&t, r->id);
			textbuf_puts(&t, ",\"name\":");
			textbuf_json_str(&t, r->name);
			textbuf_printf(&t, ",\"level\":%d,\"time_zone\":", r->level);
			textbuf_json_str(&t, r->time_zone);
			textbuf_puts(&t, ",\"starts_local\":");
			textbuf_json_str(&t, r->starts_local);
			textbuf_printf(&t, ",\"turn_hours\":%d,\"members\":[", r->turn_hours);
			for (size_t k = 0; k < r->n_members; k++) {
				if (k)
					textbuf_putc(&t, ',');
				textbuf_json_str(&t, r->members[k]);
			}
			textbuf_printf(&t, "],\"created_unix_ms\":%lld,\"overrides\":[", (long long)r->created_unix_ms);
			for (size_t k = 0; k < r->n_overrides; k++) {
				if (k)
					textbuf_putc(&t, ',');
				json_override(&t, r->overrides[k]);
				ctl_out_flush(&t);
			}
			textbuf_puts(&t, "]}");
			ctl_out_end(&t);
			continue;
		}
		textbuf_init(&t, members, sizeof(members));
		for (size_t k = 0; k < r->n_members; k++)
			textbuf_printf(&t, "%s%s", k ? "," : "", r->members[k]);
		char turn[16];
		snprintf(turn, sizeof(turn), "%dh", r->turn_hours);
		printf("%-20s %-5d  %-20s %-16s  %-6s %s\n", r->name, r->level, r->time_zone, r->starts_local, turn,
		    members);
		for (size_t k = 0; k < r->n_overrides; k++)
			print_override_line(r->overrides[k]);
	}
}

/* "YYYY-MM-DD HH:MM". */
static bool local_minute_ok(const char *s)
{
	char day[11];

	if (strlen(s) != 16 || s[10] != ' ')
		return false;
	memcpy(day, s, 10);
	day[10] = '\0';
	return ctl_local_day_ok(day) && ctl_local_hhmm_ok(s + 11);
}

static int rotation_add(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__AddRotationRequest req = BATON__V1__ADD_ROTATION_REQUEST__INIT;
	Baton__V1__AddRotationReply *rep;
	const char *name, *tz = NULL, *start = NULL, *turn = NULL, *members = NULL, *level = NULL;
	const ctl_flag flags[] = {
		{ "tz", &tz, NULL }, { "start", &start, NULL }, { "turn-hours", &turn, NULL },
		{ "members", &members, NULL }, { "level", &level, NULL },
	};
	char members_text[8192], *member_list[MAX_MEMBERS];
	int rc;

	if ((rc = ctl_flags_parse("oncall rotation add", argc, argv, flags, N_ITEMS(flags), usage_oncall, "NAME",
	         &name)) != 0)
		return rc < 0 ? 0 : rc;
	if (!tz || !start || !turn || !members)
		return ctl_usage_error("oncall rotation add: --tz, --start, --turn-hours and --members are required");
	if (!local_minute_ok(start))
		return ctl_usage_error("oncall rotation add: --start must be 'YYYY-MM-DD HH:MM' (wall clock in "
		    "--tz), not '%s'", start);
	if ((rc = ctl_flag_int("oncall rotation add", "turn-hours", turn, 1, 672, &req.turn_hours)) != 0 ||
	    (level && (rc = ctl_flag_int("oncall rotation add", "level", level, 1, 9, &req.level)) != 0))
		return rc;
	snprintf(members_text, sizeof(members_text), "%s", members);
	if ((rc = ctl_flag_list("oncall rotation add", "members", members_text, member_list, MAX_MEMBERS,
	         &req.n_members)) != 0)
		return rc;
	if (req.n_members == 0)
		return ctl_usage_error("oncall rotation add: --members needs at least one handle");
	req.name = (char *)name;
	req.time_zone = (char *)tz;
	req.starts_local = (char *)start;
	req.members = member_list;
	if ((rc = ctl_connect_call(g, "oncall rotation add", "/baton.v1.OnCall/AddRotation", &req.base, true,
	         &baton__v1__add_rotation_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	print_rotations(g, &rep->rotation, rep->rotation != NULL);
	baton__v1__add_rotation_reply__free_unpacked(rep, NULL);
	return 0;
}

static int rotation_list(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ListRotationsRequest req = BATON__V1__LIST_ROTATIONS_REQUEST__INIT;
	Baton__V1__ListRotationsReply *rep;
	int rc;

	if ((rc = ctl_flags_parse("oncall rotation list", argc, argv, NULL, 0, usage_oncall, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ctl_connect_call(g, "oncall rotation list", "/baton.v1.OnCall/ListRotations", &req.base, false,
	         &baton__v1__list_rotations_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	print_rotations(g, rep->rotations, rep->n_rotations);
	baton__v1__list_rotations_reply__free_unpacked(rep, NULL);
	return 0;
}

static int override_add(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__AddOverrideRequest req = BATON__V1__ADD_OVERRIDE_REQUEST__INIT;
	Baton__V1__AddOverrideReply *rep;
	const char *rotation, *action = NULL, *who = NULL, *with = NULL, *from = NULL, *to = NULL, *note = "";
	const ctl_flag flags[] = {
		{ "action", &action, NULL }, { "who", &who, NULL }, { "with", &with, NULL },
		{ "from", &from, NULL }, { "to", &to, NULL }, { "note", &note, NULL },
	};
	const char *verb = "oncall override add";
	int64_t now = clock_realtime_ms();
	textbuf t;
	int rc;

	if ((rc = ctl_flags_parse(verb, argc, argv, flags, N_ITEMS(flags), usage_oncall, "ROTATION", &rotation)) != 0)
		return rc < 0 ? 0 : rc;
	if (!action || !who || !from || !to)
		return ctl_usage_error("%s: --action, --who, --from and --to are required", verb);
	if (strcmp(action, "add") != 0 && strcmp(action, "remove") != 0 && strcmp(action, "replace") != 0)
		return ctl_usage_error("%s: --action must be add, remove or replace, not '%s'", verb, action);
	if ((strcmp(action, "replace") == 0) != (with != NULL))
		return ctl_usage_error("%s: --with HANDLE goes with --action replace, and only with it", verb);
	if ((rc = ctl_flag_when(verb, "from", from, now, &req.from_unix_ms)) != 0 ||
	    (rc = ctl_flag_when(verb, "to", to, now, &req.to_unix_ms)) != 0)
		return rc;
	if (req.to_unix_ms <= req.from_unix_ms)
		return ctl_usage_error("%s: --to must be after --from", verb);
	req.rotation = (char *)rotation;
	req.action = (char *)action;
	req.principal = (char *)who;
	req.replacement = (char *)(with ? with : "");
	req.note = (char *)note;
	if ((rc = ctl_connect_call(g, verb, "/baton.v1.OnCall/AddOverride", &req.base, true,
	         &baton__v1__add_override_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	if (rep->override != NULL && g->json) {
		ctl_out_begin(&t);
		json_override(&t, rep->override);
		ctl_out_end(&t);
	} else if (rep->override != NULL) {
		printf("rotation %s\n", rep->override->rotation);
		print_override_line(rep->override);
	}
	baton__v1__add_override_reply__free_unpacked(rep, NULL);
	return 0;
}

/* ---- who ------------------------------------------------------------------------ */

static void print_who(const ctl_globals *g, const Baton__V1__WhoReply *rep, int64_t at, int64_t to)
{
	char a[32], b[32];
	textbuf t;

	if (g->json) {
		ctl_out_begin(&t);
		textbuf_puts(&t, "{\"on_call\":[");
		for (size_t i = 0; i < rep->n_on_call; i++) {
			const Baton__V1__OnCallSpan *s = rep->on_call[i];
			textbuf_puts(&t, i ? ",{\"rotation\":" : "{\"rotation\":");
			textbuf_json_str(&t, s->rotation);
			textbuf_printf(&t, ",\"level\":%d,\"principal_id\":", s->level);
			textbuf_json_str(&t, s->principal_id);
			textbuf_puts(&t, ",\"handle\":");
			textbuf_json_str(&t, s->handle);
			textbuf_puts(&t, ",\"display_name\":");
			textbuf_json_str(&t, s->display_name);
			ctl_time_iso(s->from_unix_ms, a, sizeof(a));
			ctl_time_iso(s->to_unix_ms, b, sizeof(b));
			textbuf_printf(&t, ",\"from_unix_ms\":%lld,\"to_unix_ms\":%lld,\"from\":\"%s\",\"to\":\"%s\"}",
			    (long long)s->from_unix_ms, (long long)s->to_unix_ms, a, b);
			ctl_out_flush(&t);
		}
		textbuf_puts(&t, "],\"gaps\":[");
		for (size_t i = 0; i < rep->n_gaps; i++) {
			if (i)
				textbuf_putc(&t, ',');
			ctl_json_range(&t, rep->gaps[i]->from_unix_ms, rep->gaps[i]->to_unix_ms);
		}
		textbuf_puts(&t, "]}");
		ctl_out_end(&t);
		return;
	}
	ctl_time(at, a, sizeof(a));
	ctl_time(to, b, sizeof(b));
	if (rep->n_on_call == 0 && to == 0) {
		printf("nobody is on call at %s", a);
		if (rep->n_gaps > 0) {
			ctl_time(rep->gaps[0]->from_unix_ms, a, sizeof(a));
			ctl_time(rep->gaps[0]->to_unix_ms, b, sizeof(b));
			printf(" (gap %s - %s)", a, b);
		}
		printf("\n");
		return;
	}
	if (to == 0)
		printf("On call at %s:\n", a);
	else
		printf("On call %s - %s:\n", a, b);
	if (rep->n_on_call > 0)
		printf("%-20s %-5s  %-20s %-24s %-17s  %s\n", "ROTATION", "LEVEL", "HANDLE", "NAME", "FROM (UTC)", "TO");
	for (size_t i = 0; i < rep->n_on_call; i++) {
		const Baton__V1__OnCallSpan *s = rep->on_call[i];
		ctl_time(s->from_unix_ms, a, sizeof(a));
		ctl_time(s->to_unix_ms, b, sizeof(b));
		printf("%-20s %-5d  %-20s %-*s %-17s  %s\n", s->rotation, s->level, s->handle,
		    ctl_cols(s->display_name, 24), s->display_name, a, b);
	}
	if (to == 0 && rep->n_gaps == 0)
		return;
	fputs(rep->n_gaps ? "Gaps:\n" : "Gaps: none\n", stdout);
	for (size_t i = 0; i < rep->n_gaps; i++) {
		ctl_time(rep->gaps[i]->from_unix_ms, a, sizeof(a));
		ctl_time(rep->gaps[i]->to_unix_ms, b, sizeof(b));
		printf("  %s - %s\n", a, b);
	}
}

static int oncall_who(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__WhoRequest req = BATON__V1__WHO_REQUEST__INIT;
	Baton__V1__WhoReply *rep;
	const char *at = NULL, *from = NULL, *to = NULL;
	const ctl_flag flags[] = { { "at", &at, NULL }, { "from", &from, NULL }, { "to", &to, NULL } };
	int64_t now = clock_realtime_ms();
	int rc;

	if ((rc = ctl_flags_parse("oncall who", argc, argv, flags, N_ITEMS(flags), usage_oncall, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (at && (from || to))
		return ctl_usage_error("oncall who: give --at T, or --from T --to T, not both");
	if ((from != NULL) != (to != NULL))
		return ctl_usage_error("oncall who: give --from T and --to T together");
	req.at_unix_ms = now;
	if ((at && (rc = ctl_flag_when("oncall who", "at", at, now, &req.at_unix_ms)) != 0) ||
	    (from && (rc = ctl_flag_when("oncall who", "from", from, now, &req.at_unix_ms)) != 0) ||
	    (to && (rc = ctl_flag_when("oncall who", "to", to, now, &req.to_unix_ms)) != 0))
		return rc;
	if (to && req.to_unix_ms <= req.at_unix_ms)
		return ctl_usage_error("oncall who: --to must be after --from");
	if ((rc = ctl_connect_call(g, "oncall who", "/baton.v1.OnCall/Who", &req.base, false,
	         &baton__v1__who_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	print_who(g, rep, req.at_unix_ms, req.to_unix_ms);
	baton__v1__who_reply__free_unpacked(rep, NULL);
	return 0;
}

int ctl_oncall(const ctl_globals *g, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_oncall, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "who") == 0)
		return oncall_who(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "rotation") != 0 && strcmp(argv[1], "override") != 0)
		return ctl_usage_error("oncall: unknown action '%s' (rotation add|list, override add, who)", argv[1]);
	if (argc < 3 || strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0) {
		fputs(usage_oncall, argc < 3 ? stderr : stdout);
		return argc < 3 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "rotation") == 0 && strcmp(argv[2], "add") == 0)
		return rotation_add(g, argc - 2, argv + 2);
	if (strcmp(argv[1], "rotation") == 0 && strcmp(argv[2], "list") == 0)
		return rotation_list(g, argc - 2, argv + 2);
	if (strcmp(argv[1], "override") == 0 && strcmp(argv[2], "add") == 0)
		return override_add(g, argc - 2, argv + 2);
	return ctl_usage_error("oncall %s: unknown action '%s' (%s)", argv[1], argv[2],
	    strcmp(argv[1], "rotation") == 0 ? "add, list" : "add");
}

/* ---- coverage ------------------------------------------------------------------- */

/* A gap's end: just the weekday and time when it is within a week of its
 * start (the weekday then says which day), else the full date. */
static void gap_end(int64_t from_ms, int64_t to_ms, const char *zone, char *buf, size_t len)
{
	ctl_zone_style style = to_ms - from_ms < 6LL * 24 * 3600 * 1000 ? CTL_ZONE_SHORT : CTL_ZONE_LONG;
	(void)ctl_time_in_zone(to_ms, zone, style, buf, len);
}

static void print_coverage_json(const Baton__V1__CoverageReply *rep)
{
	char when[32], from[32], to[32];
	textbuf t;

	ctl_out_begin(&t);
	textbuf_puts(&t, "{\"hours\":[");
	for (size_t i = 0; i < rep->n_hours; i++) {
		const Baton__V1__CoverageHour *h = rep->hours[i];
		ctl_time_iso(h->hour_unix_ms, when, sizeof(when));
		textbuf_printf(&t, "%s{\"hour_unix_ms\":%lld,\"hour\":\"%s\",\"queue\":", i ? "," : "",
		    (long long)h->hour_unix_ms, when);
		textbuf_json_str(&t, h->queue);
		textbuf_puts(&t, ",\"language\":");
		textbuf_json_str(&t, h->language);
		textbuf_printf(&t, ",\"wanted\":%d,\"claimed\":%d,\"short\":%d}", h->wanted, h->claimed,
		    h->wanted > h->claimed ? h->wanted - h->claimed : 0);
		ctl_out_flush(&t);
	}
	textbuf_puts(&t, "],\"gaps\":[");
	for (size_t i = 0; i < rep->n_gaps; i++) {
		const Baton__V1__CoverageGap *gap = rep->gaps[i];
		textbuf_puts(&t, i ? ",{\"queue\":" : "{\"queue\":");
		textbuf_json_str(&t, gap->queue);
		textbuf_puts(&t, ",\"language\":");
		textbuf_json_str(&t, gap->language);
		ctl_time_iso(gap->from_unix_ms, from, sizeof(from));
		ctl_time_iso(gap->to_unix_ms, to, sizeof(to));
		textbuf_printf(&t, ",\"from_unix_ms\":%lld,\"to_unix_ms\":%lld,\"from\":\"%s\",\"to\":\"%s\","
		    "\"short_max\":%d,\"seat_hours_short\":%lld}", (long long)gap->from_unix_ms,
		    (long long)gap->to_unix_ms, from, to, gap->short_max, (long long)gap->seat_hours_short);
		ctl_out_flush(&t);
	}
	textbuf_puts(&t, "],\"oncall_gaps\":[");
	for (size_t i = 0; i < rep->n_oncall_gaps; i++) {
		if (i)
			textbuf_putc(&t, ',');
		ctl_json_range(&t, rep->oncall_gaps[i]->from_unix_ms, rep->oncall_gaps[i]->to_unix_ms);
		ctl_out_flush(&t);
	}
	textbuf_puts(&t, "]}");
	ctl_out_end(&t);
}

static void print_coverage(const Baton__V1__CoverageReply *rep, int64_t from, int64_t to, const char *zone)
{
	char a[48], b[48], shortfall[16], qlang[160];

	(void)ctl_time_in_zone(from, zone, CTL_ZONE_NAMED, a, sizeof(a));
	(void)ctl_time_in_zone(to, zone, CTL_ZONE_NAMED, b, sizeof(b));
	printf("Coverage %s - %s%s%s%s\n", a, b, zone[0] ? " (" : "", zone, zone[0] ? ")" : "");
	if (rep->n_hours == 0)
		printf("no slot wants seats in this range\n");
	else
		printf("%-20s  %-16s %-8s %6s %8s %6s\n", "HOUR", "QUEUE", "LANG", "WANTED", "CLAIMED", "SHORT");
	for (size_t i = 0; i < rep->n_hours; i++) {
		const Baton__V1__CoverageHour *h = rep->hours[i];
		(void)ctl_time_in_zone(h->hour_unix_ms, zone, CTL_ZONE_LONG, a, sizeof(a));
		shortfall[0] = '\0';
		if (h->wanted > h->claimed)
			snprintf(shortfall, sizeof(shortfall), "%d", h->wanted - h->claimed);
		printf("%-20s  %-16s %-8s %6d %8d %6s\n", a, h->queue, h->language, h->wanted, h->claimed, shortfall);
	}
	fputs(rep->n_gaps ? "Gaps:\n" : "Gaps: none\n", stdout);
	for (size_t i = 0; i < rep->n_gaps; i++) {
		const Baton__V1__CoverageGap *gap = rep->gaps[i];
		(void)ctl_time_in_zone(gap->from_unix_ms, zone, CTL_ZONE_LONG, a, sizeof(a));
		gap_end(gap->from_unix_ms, gap->to_unix_ms, zone, b, sizeof(b));
		snprintf(qlang, sizeof(qlang), "%s/%s", gap->queue, gap->language);
		printf("  %s  %s - %s  short up to %d (%lld seat-hour%s)\n", qlang, a, b, gap->short_max,
		    (long long)gap->seat_hours_short, gap->seat_hours_short == 1 ? "" : "s");
	}
	fputs(rep->n_oncall_gaps ? "On-call gaps:\n" : "On-call gaps: none\n", stdout);
	for (size_t i = 0; i < rep->n_oncall_gaps; i++) {
		const Baton__V1__TimeRange *r = rep->oncall_gaps[i];
		(void)ctl_time_in_zone(r->from_unix_ms, zone, CTL_ZONE_LONG, a, sizeof(a));
		gap_end(r->from_unix_ms, r->to_unix_ms, zone, b, sizeof(b));
		printf("  %s - %s\n", a, b);
	}
}

int ctl_coverage(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__CoverageRequest req = BATON__V1__COVERAGE_REQUEST__INIT;
	Baton__V1__CoverageReply *rep;
	const char *from = NULL, *to = NULL, *queue = "", *language = "", *tz = "";
	const ctl_flag flags[] = {
		{ "from", &from, NULL }, { "to", &to, NULL }, { "queue", &queue, NULL },
		{ "language", &language, NULL }, { "tz", &tz, NULL },
	};
	int64_t now = clock_realtime_ms();
	int rc;

	if ((rc = ctl_flags_parse("coverage", argc, argv, flags, N_ITEMS(flags), usage_coverage, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (!from || !to)
		return ctl_usage_error("coverage: --from T and --to T are required");
	if ((rc = ctl_flag_when("coverage", "from", from, now, &req.from_unix_ms)) != 0 ||
	    (rc = ctl_flag_when("coverage", "to", to, now, &req.to_unix_ms)) != 0)
		return rc;
	if (req.to_unix_ms <= req.from_unix_ms)
		return ctl_usage_error("coverage: --to must be after --from");
	/* The table is printed in the zone with this machine's tz database. */
	if (tz[0] != '\0' && !ctl_zone_known(tz))
		return ctl_usage_error("coverage: --tz '%s' is not a time zone this machine knows (IANA names like "
		    "Europe/Warsaw; see /usr/share/zoneinfo)", tz);
	req.queue = (char *)queue;
	req.language = (char *)language;
	req.time_zone = (char *)tz;
	if ((rc = ctl_connect_call(g, "coverage", "/baton.v1.Shifts/Coverage", &req.base, false,
	         &baton__v1__coverage_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	if (g->json)
		print_coverage_json(rep);
	else
		print_coverage(rep, req.from_unix_ms, req.to_unix_ms, tz);
	baton__v1__coverage_reply__free_unpacked(rep, NULL);
	return 0;
}
