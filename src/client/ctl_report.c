/* ctl_report.c - batonctl report: the month-end figures per organization and agent, as a table, JSON lines or CSV. */
#include <stdio.h>
#include <string.h>

#include "baton/v1/reports.pb-c.h"
#include "client/ctl.h"
#include "client/ctl_sla.h"
#include "common/clock.h"
#include "common/textbuf.h"

static const char usage_report[] =
    "Usage: batonctl [--json] report --from TIME --to TIME [--org ORG] [--by agent] [--csv]\n"
    "The figures of each organization for the period [--from, --to): tickets taken and\n"
    "resolved, first responses and resolutions within SLA, first-contact resolutions,\n"
    "replies per resolved ticket, hand-offs and hand-offs without progress (the \"hot\n"
    "potato\"), escalations raised, approved, rejected and expired, SLA breaches, and\n"
    "shift coverage promised, held and missing. docs/reports.md defines each figure.\n"
    "  --from TIME, --to TIME  now, now-30d, now+1h or ISO 8601 with a zone\n"
    "                          (2026-11-01T00:00Z); the end is not included; at most 400 days\n"
    "  --org ORG               one organization (name or id); default: every one you may see\n"
    "                          (partners and in-house agents and managers: their own only)\n"
    "  --by agent              also a row per person of the organization who did anything\n"
    "                          counted, indented under its organization's row\n"
    "  --csv                   for spreadsheets: a header line, then one line per row\n"
    "                          (RFC 4180: CRLF line ends, text quoted when it must be)\n"
    "With --json (before the verb): one JSON object per row, fields as in ReportRow.\n"
    "Shares are percentages in the table and fractions (0..1) in JSON and CSV; hours are\n"
    "seat-hours. Times in the table are UTC.\n";

#define N_ITEMS(a) (sizeof(a) / sizeof((a)[0]))

/* The printer's mode (batonctl makes one call at a time). */
static bool report_csv;

/* ---- CSV ---------------------------------------------------------------------------- */

/* A text field, quoted when RFC 4180 wants it (a comma, quote, CR or LF). */
static void csv_text(textbuf *t, const char *s)
{
	if (strpbrk(s, ",\"\r\n") == NULL) {
		textbuf_puts(t, s);
		return;
	}
	textbuf_putc(t, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"')
			textbuf_putc(t, '"');
		textbuf_putc(t, *s);
	}
	textbuf_putc(t, '"');
}

/* One CSV line of m's fields (a ReportRow: text, integers and doubles),
 * or with header the fields' names. */
static void csv_line(const ProtobufCMessage *m, bool header)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	char line[4096];
	textbuf t;

	textbuf_init(&t, line, sizeof(line));
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const void *p = (const char *)m + f->offset;
		if (i)
			textbuf_putc(&t, ',');
		if (header)
			csv_text(&t, f->name);
		else if (f->type == PROTOBUF_C_TYPE_STRING)
			csv_text(&t, *(char *const *)p);
		else if (f->type == PROTOBUF_C_TYPE_INT64)
			textbuf_printf(&t, "%lld", (long long)*(const int64_t *)p);
		else if (f->type == PROTOBUF_C_TYPE_DOUBLE)
			textbuf_printf(&t, "%.15g", *(const double *)p);
	}
	textbuf_puts(&t, "\r\n");
	fputs(line, stdout);
}

/* ---- the table ---------------------------------------------------------------------- */

/* "66.7% (2/3)": a share of part in whole; "-" when whole is 0. */
static void share_format(int64_t part, int64_t whole, double share, char *buf, size_t len)
{
	if (whole == 0)
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f%% (%lld/%lld)", share * 100.0, (long long)part, (long long)whole);
}

/* A row's label: the organization, or its agent indented under it. */
static void row_label(const Baton__V1__ReportRow *r, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s", r->agent[0] ? "  " : "", r->agent[0] ? r->agent : r->org);
}

static void print_table(const Baton__V1__ReportReply *rep)
{
	char from[32], to[32], label[80], a[48], b[48];
	int w = (int)strlen("ORGANIZATION/AGENT");

	ctl_time(rep->from_unix_ms, from, sizeof(from));
	ctl_time(rep->to_unix_ms, to, sizeof(to));
	printf("report %s to %s (UTC; the end not included)\n", from, to);
	for (size_t i = 0; i < rep->n_rows; i++) {
		row_label(rep->rows[i], label, sizeof(label));
		if ((int)strlen(label) > w)
			w = (int)strlen(label);
	}

	printf("\ntickets (touches: customer replies per resolved ticket)\n%-*s %7s %9s %17s %8s %10s %11s\n", w,
	    "ORGANIZATION/AGENT", "TAKEN", "RESOLVED", "FIRST CONTACT", "TOUCHES", "HAND-OFFS", "HOT POTATO");
	for (size_t i = 0; i < rep->n_rows; i++) {
		const Baton__V1__ReportRow *r = rep->rows[i];
		row_label(r, label, sizeof(label));
		share_format(r->first_contact_resolutions, r->tickets_resolved, r->first_contact_resolution_rate, a,
		    sizeof(a));
		printf("%-*s %7lld %9lld %17s %8.2f %10lld %11lld\n", w, label, (long long)r->tickets_taken,
		    (long long)r->tickets_resolved, r->tickets_resolved ? a : "0", r->touches_per_resolved,
		    (long long)r->handoffs, (long long)r->handoffs_without_progress);
	}

	printf("\nSLA and escalations (shares: met of the clocks that ended)\n%-*s %18s %18s %8s %8s %8s %8s %8s\n",
	    w, "ORGANIZATION/AGENT", "FIRST RESPONSE", "RESOLUTION", "BREACHES", "RAISED", "APPROVED", "REJECTED",
	    "EXPIRED");
	for (size_t i = 0; i < rep->n_rows; i++) {
		const Baton__V1__ReportRow *r = rep->rows[i];
		row_label(r, label, sizeof(label));
		share_format(r->first_responses_met, r->first_responses_met + r->first_responses_missed,
		    r->first_response_within_sla, a, sizeof(a));
		share_format(r->resolutions_met, r->resolutions_met + r->resolutions_missed, r->resolution_within_sla, b,
		    sizeof(b));
		printf("%-*s %18s %18s %8lld %8lld %8lld %8lld %8lld\n", w, label, a, b, (long long)r->sla_breaches,
		    (long long)r->escalations_raised, (long long)r->escalations_approved,
		    (long long)r->escalations_rejected, (long long)r->escalations_expired);
	}

	printf("\nshift coverage (seat-hours)\n%-*s %10s %10s %10s\n", w, "ORGANIZATION/AGENT", "PROMISED", "HELD",
	    "GAP");
	for (size_t i = 0; i < rep->n_rows; i++) {
		const Baton__V1__ReportRow *r = rep->rows[i];
		row_label(r, label, sizeof(label));
		/* Gaps belong to organizations: an agent's row has none to show. */
		if (r->agent[0])
			snprintf(a, sizeof(a), "-");
		else
			snprintf(a, sizeof(a), "%.2f", r->coverage_gap_hours);
		printf("%-*s %10.2f %10.2f %10s\n", w, label, r->coverage_promised_hours, r->coverage_held_hours, a);
	}
}

static int print_report(const ctl_globals *g, const ProtobufCMessage *m)
{
	const Baton__V1__ReportReply *rep = (const Baton__V1__ReportReply *)m;
	Baton__V1__ReportRow header = BATON__V1__REPORT_ROW__INIT;

	if (report_csv) {
		csv_line(&header.base, true);
		for (size_t i = 0; i < rep->n_rows; i++)
			csv_line(&rep->rows[i]->base, false);
	} else if (g->json) {
		for (size_t i = 0; i < rep->n_rows; i++)
			ctl_print_json_proto(&rep->rows[i]->base);
	} else {
		print_table(rep);
	}
	return 0;
}

int ctl_report(const ctl_globals *g, int argc, char **argv)
{
	static const ctl_rpc r = { "report", "/baton.v1.Reports/Report", false, &baton__v1__report_reply__descriptor,
		print_report };
	Baton__V1__ReportRequest req = BATON__V1__REPORT_REQUEST__INIT;
	const char *from = NULL, *to = NULL, *org = "", *by = NULL;
	bool csv = false;
	const ctl_flag flags[] = { { "from", &from, NULL }, { "to", &to, NULL }, { "org", &org, NULL },
		{ "by", &by, NULL }, { "csv", NULL, &csv } };
	int64_t now = clock_realtime_ms();
	int rc;

	if ((rc = ctl_flags_parse(r.verb, argc, argv, flags, N_ITEMS(flags), usage_report, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (from == NULL || to == NULL)
		return ctl_usage_error("report: give --from TIME and --to TIME");
	if ((rc = ctl_flag_when(r.verb, "from", from, now, &req.from_unix_ms)) != 0 ||
	    (rc = ctl_flag_when(r.verb, "to", to, now, &req.to_unix_ms)) != 0)
		return rc;
	if (req.to_unix_ms <= req.from_unix_ms)
		return ctl_usage_error("report: --to must come after --from");
	if (by != NULL && strcmp(by, "agent") != 0)
		return ctl_usage_error("report: --by takes 'agent' (a row per person), not '%s'", by);
	if (csv && g->json)
		return ctl_usage_error("report: give --json or --csv, not both");
	req.org = (char *)org;
	req.by_agent = by != NULL;
	report_csv = csv;
	return ctl_rpc_run(g, &r, &req.base);
}
