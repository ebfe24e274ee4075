/* ctl_sla.c - batonctl sla set|show|due and ticket sla: contracts, calendars, deadlines, a ticket's clocks. */
#include <assert.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "baton/v1/sla.pb-c.h"
#include "client/ctl.h"
#include "client/ctl_sla.h"
#include "client/ctl_ticket.h"
#include "common/clock.h"
#include "common/textbuf.h"

static const char usage_sla[] =
    "Usage: batonctl sla set [--org ORG] [--always-open | --hours 'DAYS HH:MM-HH:MM[,HH:MM-HH:MM]' ...]\n"
    "           [--holiday YYYY-MM-DD[=NAME] ... | --no-holidays] [--time-zone TZ]\n"
    "           [--target P1=FIRST/NEXT/RESOLUTION ...] [--warn-percent N] [--ownership-timeout DUR]\n"
    "           [--escalation-normal DUR] [--escalation-urgent DUR] [--note TEXT]\n"
    "       batonctl sla show [--org ORG] [--version N]\n"
    "       batonctl sla due [--org ORG] --from TIME --target DUR\n"
    "       batonctl ticket sla ID [--recompute]\n"
    "  set     (admin) a new version of ORG's contract (without --org: the in-house default,\n"
    "          which every organization without its own uses). It starts from the version in\n"
    "          force for ORG (its own, else the default's), changes what is given and sends the\n"
    "          whole contract; tickets created from then on use it, older ones keep theirs.\n"
    "            --always-open          24/7: no hours, no holidays play a part\n"
    "            --hours 'DAYS RANGES'  opening hours, wall clock in the contract's zone. DAYS:\n"
    "                                   mon..sun, ranges (mon-fri) and lists (mon,wed,fri);\n"
    "                                   RANGES: 09:00-18:00, several split a day\n"
    "                                   (09:00-12:00,13:00-17:00; 24:00 ends the day). Give\n"
    "                                   --hours once per line of the week; any --hours replaces\n"
    "                                   all hours and ends 24/7.\n"
    "            --holiday DAY[=NAME]   a local day the hours do not open; any --holiday\n"
    "                                   replaces all holidays (--no-holidays: none)\n"
    "            --time-zone TZ         IANA zone (Europe/Warsaw)\n"
    "            --target P1=1h/2h/8h   first response / next response / resolution for\n"
    "                                   priority P1..P4 (the ticket's severity), in open time;\n"
    "                                   45s, 30m, 2h, 1d or seconds, 1s..30d; other priorities\n"
    "                                   keep theirs\n"
    "            --warn-percent N       warn when N%% of a target is used (1..99)\n"
    "            --ownership-timeout D  the return timer of assigned tickets (1s..7d)\n"
    "            --escalation-normal D, --escalation-urgent D\n"
    "                                   how long the lead an escalation went to has before it\n"
    "                                   moves up a level (1s..30d)\n"
    "            --note TEXT            why this version (up to 500 characters)\n"
    "  show    the version in force for ORG (or the default), or --version N of it.\n"
    "  due     when a target of DUR (0s..30d) started at TIME falls due in ORG's calendar:\n"
    "          TIME is now, now+90m, now-1h, now+3d or ISO 8601 with a zone\n"
    "          (2026-11-27T17:30+01:00).\n"
    "  ticket sla  a ticket's clocks: deadline, open time used, state; --recompute also\n"
    "          replays the ticket's events and says whether they give the same clocks.\n"
    "Times in tables are UTC. With --json each verb prints its reply as one JSON object.\n";

#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_HOURS 64
#define MAX_HOLIDAYS 400
#define TARGET_MAX_S (30 * 86400)

static const char *const weekdays[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };

/* ---- a contract for people -------------------------------------------------------- */

/* The ranges of weekday day (1..7), sorted: "09:00-12:00,13:00-17:00" ("" if closed). */
static void day_ranges(const Baton__V1__SlaContract *c, int day, char *buf, size_t len)
{
	const Baton__V1__SlaHours *h[MAX_HOURS];
	size_t n = 0;
	textbuf t;

	for (size_t i = 0; i < c->n_hours && n < MAX_HOURS; i++)
		if (c->hours[i]->weekday == day)
			h[n++] = c->hours[i];
	/* A handful per day: insertion sort. */
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && strcmp(h[k - 1]->opens, h[k]->opens) > 0; k--) {
			const Baton__V1__SlaHours *x = h[k];
			h[k] = h[k - 1];
			h[k - 1] = x;
		}
	textbuf_init(&t, buf, len);
	for (size_t i = 0; i < n; i++)
		textbuf_printf(&t, "%s%s-%s", i ? "," : "", h[i]->opens, h[i]->closes);
}

/* Weekly hours as `--hours` takes them, runs of days with the same hours
 * together: "mon-fri 09:00-18:00". */
static void print_hours(const Baton__V1__SlaContract *c)
{
	char ranges[8][256];
	int day = 1;

	for (int d = 1; d <= 7; d++)
		day_ranges(c, d, ranges[d], sizeof(ranges[d]));
	printf("%-18s", "hours");
	for (bool first = true; day <= 7;) {
		int last = day;
		if (ranges[day][0] == '\0') {
			day++;
			continue;
		}
		while (last < 7 && strcmp(ranges[last + 1], ranges[day]) == 0)
			last++;
		printf("%*s%s%s%s %s\n", first ? 0 : 18, "", weekdays[day - 1], last > day ? "-" : "",
		    last > day ? weekdays[last - 1] : "", ranges[day]);
		first = false;
		day = last + 1;
	}
	printf("%*s(closed at all other times)\n", c->n_hours ? 18 : 0, "");
}

static void print_contract(const Baton__V1__SlaContract *c, bool inherited)
{
	char fr[32], nr[32], res[32], when[32];

	if (inherited)
		printf("%-18sthe organization has no contract of its own: inherited from the default\n", "inherited");
	printf("%-18s%s version %d\n", "contract", c->org[0] ? c->org : "(default)", c->version);
	printf("%-18s%s\n", "id", c->id);
	printf("%-18s%s\n", "time zone", c->time_zone);
	if (c->always_open)
		printf("%-18s24/7 (always open; hours and holidays play no part)\n", "hours");
	else
		print_hours(c);
	printf("%-18s%s\n", "holidays", c->n_holidays == 0 ? "none" : "");
	for (size_t i = 0; i < c->n_holidays; i++) {
		printf("  %s  ", c->holidays[i]->day);
		ctl_text_put(c->holidays[i]->name, true, 80, "");
		putchar('\n');
	}
	printf("%-18s%-6s%-16s%-16s%s\n", "targets", "PRIO", "FIRST RESPONSE", "NEXT RESPONSE", "RESOLUTION");
	for (size_t i = 0; i < c->n_targets; i++) {
		const Baton__V1__SlaTarget *k = c->targets[i];
		ctl_duration_format(k->first_response_s, fr, sizeof(fr));
		ctl_duration_format(k->next_response_s, nr, sizeof(nr));
		ctl_duration_format(k->resolution_s, res, sizeof(res));
		printf("%18sP%-5d%-16s%-16s%s\n", "", k->priority, fr, nr, res);
	}
	printf("%-18s%d%% of a target\n", "warn at", c->warn_percent);
	ctl_duration_format(c->ownership_timeout_s, fr, sizeof(fr));
	printf("%-18s%s\n", "ownership timeout", fr);
	ctl_duration_format(c->escalation_normal_s, nr, sizeof(nr));
	ctl_duration_format(c->escalation_urgent_s, res, sizeof(res));
	printf("%-18snormal %s, urgent %s at each level\n", "escalations", nr, res);
	printf("%-18s", "note");
	ctl_text_put(c->note[0] ? c->note : "-", true, 0, "");
	ctl_time(c->created_unix_ms, when, sizeof(when));
	printf("\n%-18s%s by %s\n", "created", when, c->created_by[0] ? c->created_by : "(batond)");
}

/* ---- flags of sla set ----------------------------------------------------------------- */

/* The weekday (1..7) named by the three letters at p (before end), or 0. */
static int weekday_at(const char *p, const char *end)
{
	for (int d = 0; d < 7 && end - p >= 3; d++)
		if (strncasecmp(p, weekdays[d], 3) == 0)
			return d + 1;
	return 0;
}

/* "mon", "mon-fri" (wrapping: "fri-mon") or a list of them into days[1..7]. */
static int parse_days(const char *text, size_t len, bool days[8])
{
	const char *p = text, *end = text + len;

	while (p < end) {
		int from = weekday_at(p, end), to = from;
		if (from == 0)
			return -1;
		p += 3;
		if (p < end && *p == '-') {
			if ((to = weekday_at(++p, end)) == 0)
				return -1;
			p += 3;
		}
		for (int d = from;; d = d % 7 + 1) {
			days[d] = true;
			if (d == to)
				break;
		}
		if (p < end && *p++ != ',')
			return -1;
	}
	return 0;
}

/* Opening hours being built: the strings live here. */
typedef struct hours_list {
	Baton__V1__SlaHours  rows[MAX_HOURS];
	Baton__V1__SlaHours *ptrs[MAX_HOURS];
	char                 times[MAX_HOURS][2][6];
	size_t               n;
} hours_list;

/* One --hours: "DAYS RANGE[,RANGE...]" added to l. */
static int hours_add(hours_list *l, const char *text)
{
	static const char verb[] = "sla set";
	const char *sp = strchr(text, ' '), *p;
	bool days[8] = { false };

	if (sp == NULL || parse_days(text, (size_t)(sp - text), days) != 0)
		return ctl_usage_error("%s: --hours '%s': start with days (mon, mon-fri, mon,wed,fri) and a space, "
		    "then HH:MM-HH:MM", verb, text);
	for (p = sp; *p == ' '; p++)
		;
	while (*p != '\0') {
		char opens[6], closes[6];
		size_t n = strcspn(p, ",");
		if (n != 11 || p[5] != '-')
			return ctl_usage_error("%s: --hours '%s': '%.*s' is not HH:MM-HH:MM", verb, text, (int)n, p);
		snprintf(opens, sizeof(opens), "%.5s", p);
		snprintf(closes, sizeof(closes), "%.5s", p + 6);
		if (!ctl_local_hhmm_ok(opens) || (!ctl_local_hhmm_ok(closes) && strcmp(closes, "24:00") != 0))
			return ctl_usage_error("%s: --hours '%s': times are 00:00..23:59 (24:00 may close a day)", verb,
			    text);
		if (strcmp(opens, closes) >= 0)
			return ctl_usage_error("%s: --hours '%s': %s-%s closes before it opens", verb, text, opens, closes);
		for (int d = 1; d <= 7; d++) {
			if (!days[d])
				continue;
			for (size_t i = 0; i < l->n; i++)
				if (l->rows[i].weekday == d && strcmp(l->times[i][0], closes) < 0 &&
				    strcmp(opens, l->times[i][1]) < 0)
					return ctl_usage_error("%s: --hours: %s %s-%s overlaps %s-%s", verb, weekdays[d - 1],
					    opens, closes, l->times[i][0], l->times[i][1]);
			if (l->n == MAX_HOURS)
				return ctl_usage_error("%s: --hours: at most %d opening ranges in a week", verb, MAX_HOURS);
			Baton__V1__SlaHours *h = &l->rows[l->n];
			baton__v1__sla_hours__init(h);
			memcpy(l->times[l->n][0], opens, sizeof(opens));
			memcpy(l->times[l->n][1], closes, sizeof(closes));
			h->weekday = d;
			h->opens = l->times[l->n][0];
			h->closes = l->times[l->n][1];
			l->ptrs[l->n++] = h;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

typedef struct holiday_list {
	Baton__V1__SlaHoliday  rows[MAX_HOLIDAYS];
	Baton__V1__SlaHoliday *ptrs[MAX_HOLIDAYS];
	char                   days[MAX_HOLIDAYS][11];
	size_t                 n;
} holiday_list;

/* One --holiday: "YYYY-MM-DD[=NAME]"; the name points into text. */
static int holiday_add(holiday_list *l, const char *text)
{
	const char *eq = strchr(text, '=');
	size_t n = eq != NULL ? (size_t)(eq - text) : strlen(text);
	char day[16];

	snprintf(day, sizeof(day), "%.*s", (int)(n < 15 ? n : 15), text);
	if (n != 10 || !ctl_local_day_ok(day))
		return ctl_usage_error("sla set: --holiday '%s': give a real day YYYY-MM-DD, and =NAME if you like",
		    text);
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->days[i], day) == 0)
			return ctl_usage_error("sla set: --holiday %s is given twice", day);
	if (l->n == MAX_HOLIDAYS)
		return ctl_usage_error("sla set: at most %d holidays", MAX_HOLIDAYS);
	baton__v1__sla_holiday__init(&l->rows[l->n]);
	memcpy(l->days[l->n], day, sizeof(l->days[l->n]));
	l->rows[l->n].day = l->days[l->n];
	l->rows[l->n].name = (char *)(eq != NULL ? eq + 1 : "");
	l->ptrs[l->n] = &l->rows[l->n];
	l->n++;
	return 0;
}

/* One --target: "P1=1h/2h/8h" (also "1=..."), into targets[priority - 1]. */
static int target_set(Baton__V1__SlaTarget targets[4], bool set[4], const char *text)
{
	const char *p = text + (text[0] == 'P' || text[0] == 'p');
	int64_t *fields[3];
	char part[3][32], why[200];
	int prio;

	if (p[0] < '1' || p[0] > '4' || p[1] != '=' ||
	    sscanf(p + 2, "%31[^/]/%31[^/]/%31s", part[0], part[1], part[2]) != 3)
		return ctl_usage_error("sla set: --target '%s': give P1..P4=FIRST/NEXT/RESOLUTION, like P1=1h/2h/8h", text);
	prio = p[0] - '0';
	if (set[prio - 1])
		return ctl_usage_error("sla set: --target P%d is given twice", prio);
	fields[0] = &targets[prio - 1].first_response_s;
	fields[1] = &targets[prio - 1].next_response_s;
	fields[2] = &targets[prio - 1].resolution_s;
	for (int i = 0; i < 3; i++)
		if (ctl_duration_parse(part[i], 1, TARGET_MAX_S, fields[i], why, sizeof(why)) != 0)
			return ctl_usage_error("sla set: --target '%s': %s", text, why);
	targets[prio - 1].priority = prio;
	set[prio - 1] = true;
	return 0;
}

/* What sla set was given. */
typedef struct sla_change {
	const char  *org, *zone, *warn, *ownership, *normal, *urgent, *note;
	bool         always_open, no_holidays, any_target;
	hours_list   hours;
	holiday_list holidays;
	Baton__V1__SlaTarget targets[4];
	bool         target_set[4];
	int64_t      ownership_s, normal_s, urgent_s; /* of the flags above, once checked */
} sla_change;

static int set_parse(int argc, char **argv, sla_change *ch)
{
	enum { O_ORG = 256, O_ALWAYS, O_HOURS, O_HOLIDAY, O_NO_HOLIDAYS, O_ZONE, O_TARGET, O_WARN, O_OWNERSHIP,
		O_NORMAL, O_URGENT, O_NOTE };
	static const struct option longopts[] = {
		{ "org", required_argument, NULL, O_ORG }, { "always-open", no_argument, NULL, O_ALWAYS },
		{ "hours", required_argument, NULL, O_HOURS }, { "holiday", required_argument, NULL, O_HOLIDAY },
		{ "no-holidays", no_argument, NULL, O_NO_HOLIDAYS }, { "time-zone", required_argument, NULL, O_ZONE },
		{ "target", required_argument, NULL, O_TARGET }, { "warn-percent", required_argument, NULL, O_WARN },
		{ "ownership-timeout", required_argument, NULL, O_OWNERSHIP },
		{ "escalation-normal", required_argument, NULL, O_NORMAL },
		{ "escalation-urgent", required_argument, NULL, O_URGENT }, { "note", required_argument, NULL, O_NOTE },
		{ "help", no_argument, NULL, 'h' }, { NULL, 0, NULL, 0 },
	};
	const char **text[] = { [O_ORG - 256] = &ch->org, [O_ZONE - 256] = &ch->zone, [O_WARN - 256] = &ch->warn,
		[O_OWNERSHIP - 256] = &ch->ownership, [O_NORMAL - 256] = &ch->normal, [O_URGENT - 256] = &ch->urgent,
		[O_NOTE - 256] = &ch->note };
	int opt, rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		rc = 0;
		if (opt == 'h') {
			fputs(usage_sla, stdout);
			return -1;
		} else if (opt == O_ALWAYS) {
			ch->always_open = true;
		} else if (opt == O_NO_HOLIDAYS) {
			ch->no_holidays = true;
		} else if (opt == O_HOURS) {
			rc = hours_add(&ch->hours, optarg);
		} else if (opt == O_HOLIDAY) {
			rc = holiday_add(&ch->holidays, optarg);
		} else if (opt == O_TARGET) {
			rc = target_set(ch->targets, ch->target_set, optarg);
			ch->any_target = true;
		} else if (opt >= 256 && opt - 256 < (int)N_ITEMS(text) && text[opt - 256] != NULL) {
			*text[opt - 256] = optarg;
		} else {
			return ctl_usage_error("sla set: unknown or incomplete option '%s'", argv[optind - 1]);
		}
		if (rc != 0)
			return rc;
	}
	if (optind < argc)
		return ctl_usage_error("sla set: unexpected argument '%s'", argv[optind]);
	if (ch->always_open && ch->hours.n > 0)
		return ctl_usage_error("sla set: give --always-open or --hours, not both");
	if (ch->no_holidays && ch->holidays.n > 0)
		return ctl_usage_error("sla set: give --holiday or --no-holidays, not both");
	if (!ch->always_open && ch->hours.n == 0 && !ch->no_holidays && ch->holidays.n == 0 && !ch->any_target &&
	    ch->zone == NULL && ch->warn == NULL && ch->ownership == NULL && ch->normal == NULL && ch->urgent == NULL &&
	    ch->note == NULL)
		return ctl_usage_error("sla set: nothing to change: give --always-open, --hours, --holiday, "
		    "--time-zone, --target, --warn-percent, --ownership-timeout, --escalation-normal, "
		    "--escalation-urgent or --note");
	return 0;
}

/* A duration flag into *out (unchanged when the flag was not given). */
static int duration_flag(const char *flag, const char *text, int64_t max_s, int64_t *out)
{
	char why[200];

	if (text != NULL && ctl_duration_parse(text, 1, max_s, out, why, sizeof(why)) != 0)
		return ctl_usage_error("sla set: --%s: %s", flag, why);
	return 0;
}

/* ---- sla set, show, due -------------------------------------------------------------------- */

/* The reply of SetSlaContract or ShowSlaContract: { contract = 1; [inherited = 2;] }. */
static int print_contract_reply(const ctl_globals *g, const ProtobufCMessage *m)
{
	const ProtobufCFieldDescriptor *fc = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "contract");
	const ProtobufCFieldDescriptor *fi = protobuf_c_message_descriptor_get_field_by_name(m->descriptor, "inherited");
	const Baton__V1__SlaContract *c;

	assert(fc != NULL && fc->descriptor == &baton__v1__sla_contract__descriptor);
	c = *(Baton__V1__SlaContract *const *)(const void *)((const char *)m + fc->offset);
	if (g->json)
		ctl_print_json_proto(m);
	else if (c != NULL)
		print_contract(c, fi != NULL && *(const protobuf_c_boolean *)(const void *)((const char *)m + fi->offset));
	return 0;
}

static int sla_set(const ctl_globals *g, int argc, char **argv)
{
	static const ctl_rpc set = { "sla set", "/baton.v1.Sla/SetSlaContract", true,
		&baton__v1__set_sla_contract_reply__descriptor, print_contract_reply };
	static sla_change ch; /* big: the lists' storage */
	Baton__V1__ShowSlaContractRequest show = BATON__V1__SHOW_SLA_CONTRACT_REQUEST__INIT;
	Baton__V1__ShowSlaContractReply *now = NULL;
	Baton__V1__SetSlaContractRequest req = BATON__V1__SET_SLA_CONTRACT_REQUEST__INIT;
	Baton__V1__SlaContract c;
	Baton__V1__SlaTarget *target_ptrs[4];
	int32_t warn = 0;
	int rc;

	memset(&ch, 0, sizeof(ch));
	ch.org = "";
	for (int i = 0; i < 4; i++)
		baton__v1__sla_target__init(&ch.targets[i]);
	if ((rc = set_parse(argc, argv, &ch)) != 0)
		return rc < 0 ? 0 : rc;
	if ((ch.warn != NULL && (rc = ctl_flag_int("sla set", "warn-percent", ch.warn, 1, 99, &warn)) != 0) ||
	    (rc = duration_flag("ownership-timeout", ch.ownership, 7 * 86400, &ch.ownership_s)) != 0 ||
	    (rc = duration_flag("escalation-normal", ch.normal, TARGET_MAX_S, &ch.normal_s)) != 0 ||
	    (rc = duration_flag("escalation-urgent", ch.urgent, TARGET_MAX_S, &ch.urgent_s)) != 0)
		return rc;
	/* The version in force (the organization's, else the default's) is
	 * where the change starts. */
	show.org = (char *)ch.org;
	if ((rc = ctl_connect_call(g, "sla set", "/baton.v1.Sla/ShowSlaContract", &show.base, false,
	         &baton__v1__show_sla_contract_reply__descriptor, (ProtobufCMessage **)&now)) != 0)
		return rc;
	if (now->contract == NULL) {
		rc = ctl_usage_error("sla set: the server showed no contract in force to start from");
		goto out;
	}
	c = *now->contract;
	c.org = (char *)ch.org;
	if (ch.zone != NULL)
		c.time_zone = (char *)ch.zone;
	if (ch.always_open) {
		c.always_open = true;
		c.n_hours = 0;
		c.hours = NULL;
	} else if (ch.hours.n > 0) {
		c.always_open = false;
		c.n_hours = ch.hours.n;
		c.hours = ch.hours.ptrs;
	}
	if (ch.no_holidays || ch.holidays.n > 0) {
		c.n_holidays = ch.holidays.n;
		c.holidays = ch.holidays.ptrs;
	}
	/* Every priority: given ones from the flags, the rest as they were. */
	for (int p = 1; p <= 4; p++) {
		target_ptrs[p - 1] = ch.target_set[p - 1] ? &ch.targets[p - 1] : NULL;
		for (size_t i = 0; i < c.n_targets && target_ptrs[p - 1] == NULL; i++)
			if (c.targets[i]->priority == p)
				target_ptrs[p - 1] = c.targets[i];
		if (target_ptrs[p - 1] == NULL) {
			rc = ctl_usage_error("sla set: the contract in force has no P%d target: give --target P%d=...", p,
			    p);
			goto out;
		}
	}
	c.n_targets = 4;
	c.targets = target_ptrs;
	if (ch.warn != NULL)
		c.warn_percent = warn;
	if (ch.ownership != NULL)
		c.ownership_timeout_s = ch.ownership_s;
	if (ch.normal != NULL)
		c.escalation_normal_s = ch.normal_s;
	if (ch.urgent != NULL)
		c.escalation_urgent_s = ch.urgent_s;
	/* A note says why this version: it is not carried over. */
	c.note = (char *)(ch.note != NULL ? ch.note : "");
	req.contract = &c;
	rc = ctl_rpc_run(g, &set, &req.base);
out:
	baton__v1__show_sla_contract_reply__free_unpacked(now, NULL);
	return rc;
}

static int sla_show(const ctl_globals *g, int argc, char **argv)
{
	static const ctl_rpc r = { "sla show", "/baton.v1.Sla/ShowSlaContract", false,
		&baton__v1__show_sla_contract_reply__descriptor, print_contract_reply };
	Baton__V1__ShowSlaContractRequest req = BATON__V1__SHOW_SLA_CONTRACT_REQUEST__INIT;
	const char *org = "", *version = NULL;
	const ctl_flag flags[] = { { "org", &org, NULL }, { "version", &version, NULL } };
	int rc;

	if ((rc = ctl_flags_parse(r.verb, argc, argv, flags, N_ITEMS(flags), usage_sla, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (version != NULL && (rc = ctl_flag_int(r.verb, "version", version, 1, 1000000, &req.version)) != 0)
		return rc;
	req.org = (char *)org;
	return ctl_rpc_run(g, &r, &req.base);
}

/* sla due's start, for its printer (batonctl makes one call at a time). */
static int64_t due_from_ms;

/* An instant in UTC and as wall-clock time in zone, both from tz
 * databases (glibc's here, PostgreSQL's in batond), never from offsets
 * worked out by hand. */
static void print_instant(const char *label, int64_t unix_ms, const char *zone)
{
	char utc[32], local[64];

	ctl_time(unix_ms, utc, sizeof(utc));
	if (ctl_time_in_zone(unix_ms, zone, CTL_ZONE_NAMED, local, sizeof(local)) != 0)
		snprintf(local, sizeof(local), "(zone %s is not in this machine's tz database)", zone);
	printf("%-10s%s = %s\n", label, utc, local);
}

static int print_due(const ctl_globals *g, const ProtobufCMessage *m)
{
	const Baton__V1__SlaDeadlineReply *rep = (const Baton__V1__SlaDeadlineReply *)m;

	if (g->json) {
		ctl_print_json_proto(m);
		return 0;
	}
	printf("%-10sversion %d (%s), time zone %s\n", "contract", rep->version, rep->contract_id, rep->time_zone);
	print_instant("from", due_from_ms, rep->time_zone);
	if (rep->due_unix_ms == 0)
		printf("%-10snever: the calendar does not open that long within two years\n", "due");
	else
		print_instant("due", rep->due_unix_ms, rep->time_zone);
	return 0;
}

static int sla_due(const ctl_globals *g, int argc, char **argv)
{
	static const ctl_rpc r = { "sla due", "/baton.v1.Sla/SlaDeadline", false,
		&baton__v1__sla_deadline_reply__descriptor, print_due };
	Baton__V1__SlaDeadlineRequest req = BATON__V1__SLA_DEADLINE_REQUEST__INIT;
	const char *org = "", *from = NULL, *target = NULL;
	const ctl_flag flags[] = { { "org", &org, NULL }, { "from", &from, NULL }, { "target", &target, NULL } };
	char why[200];
	int rc;

	if ((rc = ctl_flags_parse(r.verb, argc, argv, flags, N_ITEMS(flags), usage_sla, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (from == NULL || target == NULL)
		return ctl_usage_error("sla due: give --from TIME and --target DUR");
	if ((rc = ctl_flag_when(r.verb, "from", from, clock_realtime_ms(), &req.from_unix_ms)) != 0)
		return rc;
	if (ctl_duration_parse(target, 0, TARGET_MAX_S, &req.seconds, why, sizeof(why)) != 0)
		return ctl_usage_error("sla due: --target: %s", why);
	req.org = (char *)org;
	due_from_ms = req.from_unix_ms;
	return ctl_rpc_run(g, &r, &req.base);
}

/* ---- ticket sla ------------------------------------------------------------------------------ */

#define CLOCK_ROW "%-15s %5s  %-8s %-17s %-18s %-18s %s\n"

static void print_clocks(const Baton__V1__TicketSlaReply *r)
{
	char cycle[16], used[64], a[32], b[32], due[40], warned[32], breached[32];

	printf("%-13s%s\n", "ticket", r->ticket);
	printf("%-13s%s: contract version %d (%s), time zone %s%s\n", "responsible",
	    r->responsible_org[0] ? r->responsible_org : "-", r->contract_version, r->contract_id, r->time_zone,
	    r->paused ? "; paused: pending on the customer" : "");
	printf(CLOCK_ROW, "CLOCK", "CYCLE", "STATE", "USED/TARGET", "DUE/ENDED (UTC)", "WARNED", "BREACHED");
	for (size_t i = 0; i < r->n_clocks; i++) {
		const Baton__V1__SlaClock *k = r->clocks[i];
		snprintf(cycle, sizeof(cycle), "%d", k->cycle);
		ctl_used_format(k->used_s, a, sizeof(a));
		ctl_duration_format(k->target_s, b, sizeof(b));
		snprintf(used, sizeof(used), "%s/%s", a, b);
		if (k->ended_unix_ms != 0) {
			ctl_time(k->ended_unix_ms, a, sizeof(a));
			snprintf(due, sizeof(due), "ended %s", a);
		} else {
			ctl_time(k->due_unix_ms, due, sizeof(due));
		}
		ctl_time(k->warned_unix_ms, warned, sizeof(warned));
		ctl_time(k->breached_unix_ms, breached, sizeof(breached));
		printf(CLOCK_ROW, k->clock, cycle, k->state, used, due, warned, breached);
	}
	if (r->recomputed)
		printf("recomputed from events: %s\n", r->recomputed_matches ? "same" : "DIFFERS");
}

static int print_ticket_sla(const ctl_globals *g, const ProtobufCMessage *m)
{
	const Baton__V1__TicketSlaReply *rep = (const Baton__V1__TicketSlaReply *)m;

	if (g->json)
		ctl_print_json_proto(m);
	else
		print_clocks(rep);
	/* A replay that disagrees is worth an exit status of its own. */
	if (!rep->recomputed || rep->recomputed_matches)
		return 0;
	fprintf(stderr, "batonctl ticket sla: the clocks recomputed from the events differ from the stored ones\n");
	return EXIT_RPC;
}

int ctl_ticket_sla(const ctl_globals *g, int argc, char **argv)
{
	static const ctl_rpc r = { "ticket sla", "/baton.v1.Sla/TicketSla", false,
		&baton__v1__ticket_sla_reply__descriptor, print_ticket_sla };
	Baton__V1__TicketSlaRequest req = BATON__V1__TICKET_SLA_REQUEST__INIT;
	bool recompute = false;
	const ctl_flag flag = { "recompute", NULL, &recompute };
	const char *id;
	int rc;

	if ((rc = ctl_flags_parse(r.verb, argc, argv, &flag, 1, usage_sla, "ID", &id)) != 0)
		return rc < 0 ? 0 : rc;
	req.ticket = (char *)id;
	req.recompute = recompute;
	return ctl_rpc_run(g, &r, &req.base);
}

int ctl_sla(const ctl_globals *g, int argc, char **argv)
{
	static const ctl_action actions[] = { { "set", sla_set }, { "show", sla_show }, { "due", sla_due } };

	return ctl_action_run(g, "sla", actions, N_ITEMS(actions), usage_sla, argc, argv);
}
