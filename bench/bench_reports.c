/* bench_reports.c - `make bench`'s reports part: the Report RPC timed through libbaton, a few calls in one session, with a digest of the figures it returned. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <baton/client.h>
#include <baton/keys.h>
#include <nng/nng.h>

#include "baton/v1/reports.pb-c.h"
#include "bench.h"
#include "common/clock.h"

#define M_REPORT "/baton.v1.Reports/Report"

/* Most calls one run makes, and the longest deadline one may have. */
#define MAX_CALLS      100
#define MAX_TIMEOUT_MS 600000L

const char bench_reports_usage[] =
    "  baton_bench reports -u URL -k KEY_FILE -p SERVER_KEY -f FROM_MS -t TO_MS [-o ORG] [-b]\n"
    "                      [-n CALLS] [-T TIMEOUT_MS]\n"
    "\n"
    "reports: opens one client as KEY_FILE (session opened before any timing) and\n"
    "  calls Report for [FROM_MS, TO_MS) (ms since the epoch), ORG (default: every\n"
    "  organization the caller may see), by agent with -b, CALLS times (default 1,\n"
    "  1..100) one after the other, each with a deadline of TIMEOUT_MS (default 120000,\n"
    "  1000..600000). Prints `call_ms:` (every call), `p50_ms:`, `min_ms:`, `max_ms:`,\n"
    "  the reply's rows (org_rows, agent_rows, reply_bytes) and the sums over the\n"
    "  organization rows of the counted figures (taken, resolved, ...), so that runs\n"
    "  on the same data can be checked to agree. Exit 0 if every call was OK.\n";

/* Sums over the organization rows of the last reply. */
typedef struct report_digest {
	size_t  org_rows, agent_rows, reply_bytes;
	int64_t taken, resolved, fr_met, fr_missed, res_met, res_missed, fcr, handoffs, hot, esc_raised,
	    esc_approved, esc_rejected, esc_expired, breaches;
	double  promised, held, gap;
} report_digest;

static void digest_take(report_digest *d, const Baton__V1__ReportReply *rep, size_t bytes)
{
	memset(d, 0, sizeof(*d));
	d->reply_bytes = bytes;
	for (size_t i = 0; i < rep->n_rows; i++) {
		const Baton__V1__ReportRow *r = rep->rows[i];
		if (r->agent[0] != '\0') {
			d->agent_rows++;
			continue;
		}
		d->org_rows++;
		d->taken += r->tickets_taken;
		d->resolved += r->tickets_resolved;
		d->fr_met += r->first_responses_met;
		d->fr_missed += r->first_responses_missed;
		d->res_met += r->resolutions_met;
		d->res_missed += r->resolutions_missed;
		d->fcr += r->first_contact_resolutions;
		d->handoffs += r->handoffs;
		d->hot += r->handoffs_without_progress;
		d->esc_raised += r->escalations_raised;
		d->esc_approved += r->escalations_approved;
		d->esc_rejected += r->escalations_rejected;
		d->esc_expired += r->escalations_expired;
		d->breaches += r->sla_breaches;
		d->promised += r->coverage_promised_hours;
		d->held += r->coverage_held_hours;
		d->gap += r->coverage_gap_hours;
	}
}

static void digest_print(const report_digest *d)
{
	printf("org_rows: %zu\nagent_rows: %zu\nreply_bytes: %zu\n", d->org_rows, d->agent_rows, d->reply_bytes);
	printf("tickets_taken: %lld\ntickets_resolved: %lld\n", (long long)d->taken, (long long)d->resolved);
	printf("first_responses_met: %lld\nfirst_responses_missed: %lld\n", (long long)d->fr_met,
	    (long long)d->fr_missed);
	printf("resolutions_met: %lld\nresolutions_missed: %lld\n", (long long)d->res_met, (long long)d->res_missed);
	printf("first_contact_resolutions: %lld\n", (long long)d->fcr);
	printf("handoffs: %lld\nhandoffs_without_progress: %lld\n", (long long)d->handoffs, (long long)d->hot);
	printf("escalations_raised: %lld\nescalations_approved: %lld\nescalations_rejected: %lld\n",
	    (long long)d->esc_raised, (long long)d->esc_approved, (long long)d->esc_rejected);
	printf("escalations_expired: %lld\nsla_breaches: %lld\n", (long long)d->esc_expired, (long long)d->breaches);
	printf("coverage_promised_hours: %.2f\ncoverage_held_hours: %.2f\ncoverage_gap_hours: %.2f\n", d->promised,
	    d->held, d->gap);
}

static int ms_compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int bench_reports_main(int argc, char **argv)
{
	Baton__V1__ReportRequest req = BATON__V1__REPORT_REQUEST__INIT;
	const char *url = NULL, *key_file = NULL, *server_key = NULL;
	long n_calls = 1, timeout_ms = 120000, from = 0, to = 0;
	baton_client_options copts;
	baton_client *c = NULL;
	baton_key key;
	uint8_t server_public[BATON_PUBLIC_KEY_BYTES], *buf = NULL;
	double ms[MAX_CALLS], sorted[MAX_CALLS];
	report_digest digest;
	baton_result res;
	size_t len;
	long done = 0;
	int opt, status = 1;

	memset(&res, 0, sizeof(res));
	memset(&digest, 0, sizeof(digest));
	while ((opt = getopt(argc, argv, "u:k:p:f:t:o:bn:T:")) != -1) {
		switch (opt) {
		case 'u': url = optarg; break;
		case 'k': key_file = optarg; break;
		case 'p': server_key = optarg; break;
		case 'o': req.org = optarg; break;
		case 'b': req.by_agent = true; break;
		case 'f':
			if (!bench_parse_long(optarg, 1, INT64_MAX / 2, &from))
				return bench_usage_error("-f must be ms since the epoch, not '%s'", optarg);
			break;
		case 't':
			if (!bench_parse_long(optarg, 1, INT64_MAX / 2, &to))
				return bench_usage_error("-t must be ms since the epoch, not '%s'", optarg);
			break;
		case 'n':
			if (!bench_parse_long(optarg, 1, MAX_CALLS, &n_calls))
				return bench_usage_error("-n must be 1..%d, not '%s'", MAX_CALLS, optarg);
			break;
		case 'T':
			if (!bench_parse_long(optarg, 1000, MAX_TIMEOUT_MS, &timeout_ms))
				return bench_usage_error("-T must be 1000..%ld ms, not '%s'", MAX_TIMEOUT_MS, optarg);
			break;
		default:
			return bench_usage_error("reports: unknown or incomplete option");
		}
	}
	if (optind < argc)
		return bench_usage_error("reports: unexpected argument '%s'", argv[optind]);
	if (url == NULL || key_file == NULL || server_key == NULL || from == 0 || to == 0)
		return bench_usage_error("reports needs -u URL, -k KEY_FILE, -p SERVER_KEY, -f FROM_MS and -t TO_MS");
	req.from_unix_ms = from;
	req.to_unix_ms = to;

	/* Every call's wait is bounded by its deadline; the whole run by all of them. */
	bench_run_bound((unsigned)(n_calls * (timeout_ms / 1000 + 1)) + BENCH_RUN_GRACE_S);
	if (!bench_keys_load(key_file, server_key, &key, server_public))
		return 1;
	memset(&copts, 0, sizeof(copts));
	copts.key = &key;
	copts.server_public_key = server_public;
	copts.default_timeout_ms = timeout_ms;
	copts.max_reply_bytes = 64u << 20;
	if (baton_client_open(&c, url, &copts, &res) != BATON_OK) {
		fprintf(stderr, "baton_bench: baton_client_open %s as %s: %s: %s\n", url, key_file,
		    baton_status_str(res.status), res.message);
		c = NULL;
		goto out;
	}
	if (baton_session_open(c, BENCH_CALL_TIMEOUT_MS, &res) != BATON_OK) {
		fprintf(stderr, "baton_bench: baton_session_open as %s: %s: %s\n", key_file, baton_status_str(res.status),
		    res.message);
		goto out;
	}
	len = protobuf_c_message_get_packed_size(&req.base);
	if ((buf = malloc(len ? len : 1)) == NULL) {
		fprintf(stderr, "baton_bench: out of memory\n");
		goto out;
	}
	protobuf_c_message_pack(&req.base, buf);
	for (long i = 0; i < n_calls; i++) {
		baton_call_options o = { .timeout_ms = timeout_ms };
		Baton__V1__ReportReply *rep;
		uint64_t t0 = clock_monotonic_ns();
		baton_status s;

		baton_result_clear(&res);
		s = baton_call(c, M_REPORT, buf, len, &o, &res);
		ms[i] = (double)(clock_monotonic_ns() - t0) / 1e6;
		if (s != BATON_OK) {
			fprintf(stderr, "baton_bench: Report as %s (call %ld, %.0f ms): %s: %s\n", key_file, i + 1, ms[i],
			    baton_status_str(s), res.message);
			goto out;
		}
		if ((rep = baton__v1__report_reply__unpack(NULL, res.payload_len, res.payload)) == NULL) {
			fprintf(stderr, "baton_bench: the reply of Report does not unpack\n");
			goto out;
		}
		digest_take(&digest, rep, res.payload_len);
		baton__v1__report_reply__free_unpacked(rep, NULL);
		if (digest.org_rows == 0) {
			fprintf(stderr, "baton_bench: Report as %s gave no organization row\n", key_file);
			goto out;
		}
		done++;
	}
	memcpy(sorted, ms, (size_t)done * sizeof(*ms));
	qsort(sorted, (size_t)done, sizeof(*sorted), ms_compare);
	printf("calls: %ld\ncall_ms:", done);
	for (long i = 0; i < done; i++)
		printf(" %.1f", ms[i]);
	/* Nearest rank, as bench_latency_print. */
	printf("\np50_ms: %.1f\nmin_ms: %.1f\nmax_ms: %.1f\n", sorted[(done + 1) / 2 - 1], sorted[0], sorted[done - 1]);
	digest_print(&digest);
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	bench_shutdown_bound();
	baton_result_clear(&res);
	baton_key_wipe(&key);
	free(buf);
	baton_client_close(c);
	nng_fini();
	return status;
}
