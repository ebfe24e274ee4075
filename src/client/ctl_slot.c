/* ctl_slot.c - batonctl slot: publish, list, show, edit and cancel shift slots; claim and release seats. */
#include <stdio.h>
#include <string.h>

#include "baton/v1/shifts.pb-c.h"
#include "client/ctl.h"
#include "common/clock.h"
#include "common/textbuf.h"

static const char usage_slot[] =
    "Usage: batonctl slot add --queue Q --language L --seats N\n"
    "           (--start T --end T | --on DAY --from HH:MM --to HH:MM --tz ZONE) [SLOT-OPTIONS]\n"
    "       batonctl slot publish --queue Q --language L --seats N --days DAYS --from HH:MM\n"
    "           --to HH:MM --tz ZONE --weeks N [--first-day DAY] [SLOT-OPTIONS]\n"
    "       batonctl slot list [--from T] [--to T] [--queue Q] [--language L] [--free] [--mine]\n"
    "           [--cancelled] [--series ID] [--limit N]\n"
    "       batonctl slot show SLOT\n"
    "       batonctl slot edit SLOT [--queue Q] [--language L] [--start T --end T] [--seats N]\n"
    "           [SLOT-OPTIONS]\n"
    "       batonctl slot cancel SLOT [--reason TEXT] [--rest-of-series]\n"
    "       batonctl slot claim SLOT [--for HANDLE]\n"
    "       batonctl slot release CLAIM|SLOT [--for HANDLE] [--reason TEXT]\n"
    "       batonctl slot claims [--for HANDLE|'*'] [--from T] [--to T] [--released] [--limit N]\n"
    "  add      (lead, admin) a slot of N seats (1..1000) for [start, end): two times T, or a\n"
    "           local DAY and wall-clock times in ZONE (an end at or before the start is on\n"
    "           the next day). L: a BCP 47 language tag (pl, es-419).\n"
    "  publish  (lead, admin) a slot on each of DAYS (mon..sun, comma-separated: fri,sat) for\n"
    "           N weeks (1..52) from DAY (default: today in ZONE). Times are wall clock in\n"
    "           ZONE (IANA: Europe/Warsaw), so each slot keeps its local hours across DST.\n"
    "  list     slots overlapping [--from, --to) (default: from now on), by start: --free with\n"
    "           a free seat, --mine where you hold a seat, --cancelled cancelled ones too,\n"
    "           --series one weekly publication; --limit 1..1000 (default 200).\n"
    "           Partners see only the slots open to them.\n"
    "  show     every field of a slot, the claims you may see and its swaps.\n"
    "  edit     (lead, admin) changes only what is given; --start and --end go together.\n"
    "           Holders are told through events.\n"
    "  cancel   (lead, admin) releases every seat (holders are told). --rest-of-series also\n"
    "           cancels the later slots of its weekly publication that have not started.\n"
    "  claim    takes a seat for yourself; a manager --for a person of their organization.\n"
    "  release  gives a seat back (CLAIM, or SLOT with your or --for HANDLE's seat) until the\n"
    "           slot's release cut-off; after it only a lead or admin, or a swap.\n"
    "  claims   seats held by you, --for HANDLE, or '*' (a manager: your organization; a lead\n"
    "           or admin: everyone), overlapping [--from, --to); --released: released ones too.\n"
    "SLOT-OPTIONS (add, publish, edit):\n"
    "  --open-to ORG[,ORG]        only these partner organizations may claim\n"
    "  --open-to-kind KIND[,KIND] only organizations of these kinds (after_hours, seasonal,\n"
    "                             language, overflow). Neither: every partner organization.\n"
    "                             In edit, either one replaces both lists ('' for none).\n"
    "  --swap-approval WHO        who approves a swap: none (default), manager (the holder's)\n"
    "                             or lead\n"
    "  --release-cutoff-h H|none  holders may release until H hours (0..720) before the\n"
    "                             start; 0 or none: until the start (default: the server's\n"
    "                             --release-cutoff-hours)\n"
    "  --note TEXT\n"
    "Times T: now, now+90m, now-1h, now+3d, or ISO 8601 with Z or an offset:\n"
    "2026-11-27T18:00Z, '2026-11-27 18:00+01:00'. DAY: YYYY-MM-DD. Tables show UTC.\n";

#define MAX_ORGS  64
#define MAX_KINDS 8

/* What add, publish and edit share. */
typedef struct slot_opts {
	const char *queue, *language, *seats_text, *open_to, *open_to_kind, *approval, *cutoff;
	const char *note;
	bool        open_to_given, open_to_kind_given;
	char        orgs_text[2048], kinds_text[256];
	char       *orgs[MAX_ORGS], *kinds[MAX_KINDS];
	size_t      n_orgs, n_kinds;
	int32_t     seats;
	int64_t     cutoff_s;
} slot_opts;

#define SLOT_OPTION_FLAGS(o) \
	{ "queue", &(o).queue, NULL }, { "language", &(o).language, NULL }, \
	{ "seats", &(o).seats_text, NULL }, { "open-to", &(o).open_to, &(o).open_to_given }, \
	{ "open-to-kind", &(o).open_to_kind, &(o).open_to_kind_given }, \
	{ "swap-approval", &(o).approval, NULL }, { "release-cutoff-h", &(o).cutoff, NULL }, \
	{ "note", &(o).note, NULL }

#define N_FLAGS(a) (sizeof(a) / sizeof((a)[0]))

/* Turns the texts into values; with required, --queue, --language and
 * --seats must be there (add, publish). */
static int slot_opts_finish(const char *verb, slot_opts *o, bool required)
{
	int rc;

	if (required && (o->queue == NULL || o->language == NULL || o->seats_text == NULL))
		return ctl_usage_error("%s: --queue, --language and --seats are required", verb);
	if (o->seats_text != NULL && (rc = ctl_flag_int(verb, "seats", o->seats_text, 1, 1000, &o->seats)) != 0)
		return rc;
	if (o->approval != NULL && (rc = ctl_flag_approval(verb, o->approval)) != 0)
		return rc;
	if (o->cutoff != NULL && (rc = ctl_flag_cutoff(verb, o->cutoff, &o->cutoff_s)) != 0)
		return rc;
	snprintf(o->orgs_text, sizeof(o->orgs_text), "%s", o->open_to ? o->open_to : "");
	snprintf(o->kinds_text, sizeof(o->kinds_text), "%s", o->open_to_kind ? o->open_to_kind : "");
	if ((rc = ctl_flag_list(verb, "open-to", o->orgs_text, o->orgs, MAX_ORGS, &o->n_orgs)) != 0)
		return rc;
	return ctl_flag_list(verb, "open-to-kind", o->kinds_text, o->kinds, MAX_KINDS, &o->n_kinds);
}

static const char *or_empty(const char *s)
{
	return s != NULL ? s : "";
}

/* The slot fields that AddSlot, PublishWeekly and EditSlot requests share,
 * from the parsed options (empty where not given). */
#define SLOT_OPTS_TO_REQUEST(req, o)                              \
	do {                                                          \
		(req).queue = (char *)or_empty((o).queue);                \
		(req).language = (char *)or_empty((o).language);          \
		(req).seats = (o).seats;                                  \
		(req).open_to_orgs = (o).orgs;                            \
		(req).n_open_to_orgs = (o).n_orgs;                        \
		(req).open_to_kinds = (o).kinds;                          \
		(req).n_open_to_kinds = (o).n_kinds;                      \
		(req).swap_approval = (char *)or_empty((o).approval);     \
		(req).release_cutoff_s = (o).cutoff_s;                    \
		(req).note = (char *)or_empty((o).note);                  \
	} while (0)

/* ---- add, publish ----------------------------------------------------------- */

/* --start/--end, or --on/--from/--to/--tz, into req. */
static int slot_add_when(Baton__V1__AddSlotRequest *req, const char *start, const char *end, const char *on,
    const char *from, const char *to, const char *tz)
{
	int64_t now = clock_realtime_ms();
	int rc;

	if ((start || end) && (on || from || to || tz))
		return ctl_usage_error("slot add: give --start/--end or --on/--from/--to/--tz, not both");
	if (start || end) {
		if (!start || !end)
			return ctl_usage_error("slot add: give --start T and --end T together");
		if ((rc = ctl_flag_when("slot add", "start", start, now, &req->starts_unix_ms)) != 0 ||
		    (rc = ctl_flag_when("slot add", "end", end, now, &req->ends_unix_ms)) != 0)
			return rc;
		if (req->ends_unix_ms <= req->starts_unix_ms)
			return ctl_usage_error("slot add: --end must be after --start");
		return 0;
	}
	if (!on || !from || !to || !tz)
		return ctl_usage_error("slot add: give --start T --end T, or --on DAY --from HH:MM --to HH:MM "
		    "--tz ZONE");
	if (!ctl_local_day_ok(on))
		return ctl_usage_error("slot add: --on must be a day YYYY-MM-DD, not '%s'", on);
	if (!ctl_local_hhmm_ok(from) || !ctl_local_hhmm_ok(to))
		return ctl_usage_error("slot add: --from and --to must be wall-clock HH:MM (18:00)");
	req->local_day = (char *)on;
	req->local_start = (char *)from;
	req->local_end = (char *)to;
	req->time_zone = (char *)tz;
	return 0;
}

static int slot_add(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__AddSlotRequest req = BATON__V1__ADD_SLOT_REQUEST__INIT;
	Baton__V1__AddSlotReply *rep;
	const char *start = NULL, *end = NULL, *on = NULL, *from = NULL, *to = NULL, *tz = NULL;
	slot_opts o = { .queue = NULL };
	const ctl_flag flags[] = {
		SLOT_OPTION_FLAGS(o),
		{ "start", &start, NULL }, { "end", &end, NULL }, { "on", &on, NULL },
		{ "from", &from, NULL }, { "to", &to, NULL }, { "tz", &tz, NULL },
	};
	int rc;

	if ((rc = ctl_flags_parse("slot add", argc, argv, flags, N_FLAGS(flags), usage_slot, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = slot_opts_finish("slot add", &o, true)) != 0 ||
	    (rc = slot_add_when(&req, start, end, on, from, to, tz)) != 0)
		return rc;
	SLOT_OPTS_TO_REQUEST(req, o);
	if ((rc = ctl_connect_call(g, "slot add", "/baton.v1.Shifts/AddSlot", &req.base, true,
	         &baton__v1__add_slot_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_slots(g, &rep->slot, 1);
	baton__v1__add_slot_reply__free_unpacked(rep, NULL);
	return 0;
}

/* "fri,sat" in place into days[]; each of mon..sun at most once. */
static int publish_days(char *text, char **days, size_t *n)
{
	static const char *const names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
	unsigned seen = 0;
	int rc;

	if ((rc = ctl_flag_list("slot publish", "days", text, days, 7, n)) != 0)
		return rc;
	if (*n == 0)
		return ctl_usage_error("slot publish: --days needs at least one of mon..sun");
	for (size_t i = 0; i < *n; i++) {
		size_t d = 0;
		while (d < 7 && strcmp(days[i], names[d]) != 0)
			d++;
		if (d == 7)
			return ctl_usage_error("slot publish: --days takes mon, tue, wed, thu, fri, sat, sun; "
			    "not '%s'", days[i]);
		if (seen & (1u << d))
			return ctl_usage_error("slot publish: --days names %s twice", days[i]);
		seen |= 1u << d;
	}
	return 0;
}

static void print_publish(const ctl_globals *g, const Baton__V1__PublishWeeklyReply *rep)
{
	textbuf t;

	if (!g->json) {
		printf("series %s: %zu slot%s\n", rep->series_id, rep->n_slots, rep->n_slots == 1 ? "" : "s");
		ctl_print_slots(g, rep->slots, rep->n_slots);
		return;
	}
	ctl_out_begin(&t);
	textbuf_puts(&t, "{\"series_id\":");
	textbuf_json_str(&t, rep->series_id);
	textbuf_puts(&t, ",\"slots\":[");
	for (size_t i = 0; i < rep->n_slots; i++) {
		if (i)
			textbuf_putc(&t, ',');
		ctl_json_slot(&t, rep->slots[i]);
		ctl_out_flush(&t);
	}
	textbuf_puts(&t, "]}");
	ctl_out_end(&t);
}

static int slot_publish(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__PublishWeeklyRequest req = BATON__V1__PUBLISH_WEEKLY_REQUEST__INIT;
	Baton__V1__PublishWeeklyReply *rep;
	const char *days = NULL, *from = NULL, *to = NULL, *tz = NULL, *weeks = NULL, *first = NULL;
	char days_text[128], *day_list[7];
	slot_opts o = { .queue = NULL };
	const ctl_flag flags[] = {
		SLOT_OPTION_FLAGS(o),
		{ "days", &days, NULL }, { "from", &from, NULL }, { "to", &to, NULL }, { "tz", &tz, NULL },
		{ "weeks", &weeks, NULL }, { "first-day", &first, NULL },
	};
	int rc;

	if ((rc = ctl_flags_parse("slot publish", argc, argv, flags, N_FLAGS(flags), usage_slot, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = slot_opts_finish("slot publish", &o, true)) != 0)
		return rc;
	if (!days || !from || !to || !tz || !weeks)
		return ctl_usage_error("slot publish: --days, --from, --to, --tz and --weeks are required");
	if (!ctl_local_hhmm_ok(from) || !ctl_local_hhmm_ok(to))
		return ctl_usage_error("slot publish: --from and --to must be wall-clock HH:MM (18:00)");
	if (first != NULL && !ctl_local_day_ok(first))
		return ctl_usage_error("slot publish: --first-day must be a day YYYY-MM-DD, not '%s'", first);
	snprintf(days_text, sizeof(days_text), "%s", days);
	if ((rc = publish_days(days_text, day_list, &req.n_days)) != 0 ||
	    (rc = ctl_flag_int("slot publish", "weeks", weeks, 1, 52, &req.weeks)) != 0)
		return rc;
	req.days = day_list;
	req.local_start = (char *)from;
	req.local_end = (char *)to;
	req.time_zone = (char *)tz;
	req.first_day = (char *)or_empty(first);
	SLOT_OPTS_TO_REQUEST(req, o);
	if ((rc = ctl_connect_call(g, "slot publish", "/baton.v1.Shifts/PublishWeekly", &req.base, true,
	         &baton__v1__publish_weekly_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	print_publish(g, rep);
	baton__v1__publish_weekly_reply__free_unpacked(rep, NULL);
	return 0;
}

/* ---- list, show --------------------------------------------------------------- */

static int slot_list(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ListSlotsRequest req = BATON__V1__LIST_SLOTS_REQUEST__INIT;
	Baton__V1__ListSlotsReply *rep;
	const char *from = NULL, *to = NULL, *queue = "", *language = "", *series = "", *limit = NULL;
	bool only_free = false, mine = false, cancelled = false;
	const ctl_flag flags[] = {
		{ "from", &from, NULL }, { "to", &to, NULL }, { "queue", &queue, NULL },
		{ "language", &language, NULL }, { "free", NULL, &only_free }, { "mine", NULL, &mine },
		{ "cancelled", NULL, &cancelled }, { "series", &series, NULL }, { "limit", &limit, NULL },
	};
	int64_t now = clock_realtime_ms();
	int rc;

	if ((rc = ctl_flags_parse("slot list", argc, argv, flags, N_FLAGS(flags), usage_slot, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((from && (rc = ctl_flag_when("slot list", "from", from, now, &req.from_unix_ms)) != 0) ||
	    (to && (rc = ctl_flag_when("slot list", "to", to, now, &req.to_unix_ms)) != 0) ||
	    (limit && (rc = ctl_flag_int("slot list", "limit", limit, 1, 1000, &req.limit)) != 0))
		return rc;
	if (from && to && req.to_unix_ms <= req.from_unix_ms)
		return ctl_usage_error("slot list: --to must be after --from");
	req.queue = (char *)queue;
	req.language = (char *)language;
	req.series_id = (char *)series;
	req.only_free = only_free;
	req.mine = mine;
	req.include_cancelled = cancelled;
	if ((rc = ctl_connect_call(g, "slot list", "/baton.v1.Shifts/ListSlots", &req.base, false,
	         &baton__v1__list_slots_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_slots(g, rep->slots, rep->n_slots);
	baton__v1__list_slots_reply__free_unpacked(rep, NULL);
	return 0;
}

static int slot_show(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ShowSlotRequest req = BATON__V1__SHOW_SLOT_REQUEST__INIT;
	Baton__V1__ShowSlotReply *rep;
	const char *slot;
	int rc;

	if ((rc = ctl_flags_parse("slot show", argc, argv, NULL, 0, usage_slot, "SLOT", &slot)) != 0)
		return rc < 0 ? 0 : rc;
	req.slot = (char *)slot;
	if ((rc = ctl_connect_call(g, "slot show", "/baton.v1.Shifts/ShowSlot", &req.base, false,
	         &baton__v1__show_slot_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	if (rep->slot != NULL)
		ctl_print_slot_detail(g, rep->slot, rep->swaps, rep->n_swaps);
	baton__v1__show_slot_reply__free_unpacked(rep, NULL);
	return 0;
}

/* ---- edit, cancel ------------------------------------------------------------- */

static int slot_edit(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__EditSlotRequest req = BATON__V1__EDIT_SLOT_REQUEST__INIT;
	Baton__V1__EditSlotReply *rep;
	const char *slot, *start = NULL, *end = NULL;
	char *change[8];
	slot_opts o = { .queue = NULL };
	const ctl_flag flags[] = {
		SLOT_OPTION_FLAGS(o), { "start", &start, NULL }, { "end", &end, NULL },
	};
	int64_t now = clock_realtime_ms();
	int rc;

	if ((rc = ctl_flags_parse("slot edit", argc, argv, flags, N_FLAGS(flags), usage_slot, "SLOT", &slot)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = slot_opts_finish("slot edit", &o, false)) != 0)
		return rc;
	if ((start != NULL) != (end != NULL))
		return ctl_usage_error("slot edit: give --start T and --end T together");
	if (start && ((rc = ctl_flag_when("slot edit", "start", start, now, &req.starts_unix_ms)) != 0 ||
	              (rc = ctl_flag_when("slot edit", "end", end, now, &req.ends_unix_ms)) != 0))
		return rc;
	if (start && req.ends_unix_ms <= req.starts_unix_ms)
		return ctl_usage_error("slot edit: --end must be after --start");
	/* The change mask names exactly the fields given. */
	if (o.queue)
		change[req.n_change++] = "queue";
	if (o.language)
		change[req.n_change++] = "language";
	if (start)
		change[req.n_change++] = "time";
	if (o.seats_text)
		change[req.n_change++] = "seats";
	if (o.open_to_given || o.open_to_kind_given)
		change[req.n_change++] = "open_to";
	if (o.approval)
		change[req.n_change++] = "swap_approval";
	if (o.cutoff)
		change[req.n_change++] = "release_cutoff";
	if (o.note)
		change[req.n_change++] = "note";
	if (req.n_change == 0)
		return ctl_usage_error("slot edit: give at least one field to change");
	req.change = change;
	req.slot = (char *)slot;
	SLOT_OPTS_TO_REQUEST(req, o);
	if ((rc = ctl_connect_call(g, "slot edit", "/baton.v1.Shifts/EditSlot", &req.base, true,
	         &baton__v1__edit_slot_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_slots(g, &rep->slot, 1);
	baton__v1__edit_slot_reply__free_unpacked(rep, NULL);
	return 0;
}

static int slot_cancel(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__CancelSlotRequest req = BATON__V1__CANCEL_SLOT_REQUEST__INIT;
	Baton__V1__CancelSlotReply *rep;
	const char *slot, *reason = "";
	bool rest = false;
	const ctl_flag flags[] = { { "reason", &reason, NULL }, { "rest-of-series", NULL, &rest } };
	textbuf t;
	int rc;

	if ((rc = ctl_flags_parse("slot cancel", argc, argv, flags, N_FLAGS(flags), usage_slot, "SLOT", &slot)) != 0)
		return rc < 0 ? 0 : rc;
	req.slot = (char *)slot;
	req.reason = (char *)reason;
	req.rest_of_series = rest;
	if ((rc = ctl_connect_call(g, "slot cancel", "/baton.v1.Shifts/CancelSlot", &req.base, true,
	         &baton__v1__cancel_slot_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	if (g->json) {
		ctl_out_begin(&t);
		textbuf_printf(&t, "{\"claims_released\":%d,\"slots\":[", rep->claims_released);
		for (size_t i = 0; i < rep->n_slots; i++) {
			if (i)
				textbuf_putc(&t, ',');
			ctl_json_slot(&t, rep->slots[i]);
			ctl_out_flush(&t);
		}
		textbuf_puts(&t, "]}");
		ctl_out_end(&t);
	} else {
		printf("cancelled %zu slot%s; %d seat%s released\n", rep->n_slots, rep->n_slots == 1 ? "" : "s",
		    rep->claims_released, rep->claims_released == 1 ? "" : "s");
		ctl_print_slots(g, rep->slots, rep->n_slots);
	}
	baton__v1__cancel_slot_reply__free_unpacked(rep, NULL);
	return 0;
}

/* ---- claim, release, claims ----------------------------------------------------- */

static int slot_claim(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ClaimSeatRequest req = BATON__V1__CLAIM_SEAT_REQUEST__INIT;
	Baton__V1__ClaimSeatReply *rep;
	const char *slot, *who = "";
	const ctl_flag flags[] = { { "for", &who, NULL } };
	int rc;

	if ((rc = ctl_flags_parse("slot claim", argc, argv, flags, N_FLAGS(flags), usage_slot, "SLOT", &slot)) != 0)
		return rc < 0 ? 0 : rc;
	req.slot = (char *)slot;
	req.for_principal = (char *)who;
	if ((rc = ctl_connect_call(g, "slot claim", "/baton.v1.Shifts/ClaimSeat", &req.base, true,
	         &baton__v1__claim_seat_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_claims(g, &rep->claim, rep->claim != NULL);
	baton__v1__claim_seat_reply__free_unpacked(rep, NULL);
	return 0;
}

static int slot_release(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ReleaseSeatRequest req = BATON__V1__RELEASE_SEAT_REQUEST__INIT;
	Baton__V1__ReleaseSeatReply *rep;
	const char *claim, *who = "", *reason = "";
	const ctl_flag flags[] = { { "for", &who, NULL }, { "reason", &reason, NULL } };
	int rc;

	if ((rc = ctl_flags_parse("slot release", argc, argv, flags, N_FLAGS(flags), usage_slot, "CLAIM or SLOT",
	         &claim)) != 0)
		return rc < 0 ? 0 : rc;
	req.claim = (char *)claim;
	req.for_principal = (char *)who;
	req.reason = (char *)reason;
	if ((rc = ctl_connect_call(g, "slot release", "/baton.v1.Shifts/ReleaseSeat", &req.base, true,
	         &baton__v1__release_seat_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_claims(g, &rep->claim, rep->claim != NULL);
	baton__v1__release_seat_reply__free_unpacked(rep, NULL);
	return 0;
}

static int slot_claims(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ListClaimsRequest req = BATON__V1__LIST_CLAIMS_REQUEST__INIT;
	Baton__V1__ListClaimsReply *rep;
	const char *who = "", *from = NULL, *to = NULL, *limit = NULL;
	bool released = false;
	const ctl_flag flags[] = {
		{ "for", &who, NULL }, { "from", &from, NULL }, { "to", &to, NULL },
		{ "released", NULL, &released }, { "limit", &limit, NULL },
	};
	int64_t now = clock_realtime_ms();
	int rc;

	if ((rc = ctl_flags_parse("slot claims", argc, argv, flags, N_FLAGS(flags), usage_slot, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if ((from && (rc = ctl_flag_when("slot claims", "from", from, now, &req.from_unix_ms)) != 0) ||
	    (to && (rc = ctl_flag_when("slot claims", "to", to, now, &req.to_unix_ms)) != 0) ||
	    (limit && (rc = ctl_flag_int("slot claims", "limit", limit, 1, 1000, &req.limit)) != 0))
		return rc;
	if (from && to && req.to_unix_ms <= req.from_unix_ms)
		return ctl_usage_error("slot claims: --to must be after --from");
	req.principal = (char *)who;
	req.include_released = released;
	if ((rc = ctl_connect_call(g, "slot claims", "/baton.v1.Shifts/ListClaims", &req.base, false,
	         &baton__v1__list_claims_reply__descriptor, (ProtobufCMessage **)&rep)) != 0)
		return rc;
	ctl_print_claims(g, rep->claims, rep->n_claims);
	baton__v1__list_claims_reply__free_unpacked(rep, NULL);
	return 0;
}

int ctl_slot(const ctl_globals *g, int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*run)(const ctl_globals *, int, char **);
	} actions[] = {
		{ "add", slot_add }, { "publish", slot_publish }, { "list", slot_list }, { "show", slot_show },
		{ "edit", slot_edit }, { "cancel", slot_cancel }, { "claim", slot_claim },
		{ "release", slot_release }, { "claims", slot_claims },
	};

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_slot, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	for (size_t i = 0; i < N_FLAGS(actions); i++)
		if (strcmp(argv[1], actions[i].name) == 0)
			return actions[i].run(g, argc - 1, argv + 1);
	return ctl_usage_error("slot: unknown action '%s' (add, publish, list, show, edit, cancel, claim, "
	    "release, claims)", argv[1]);
}
