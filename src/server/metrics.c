/* metrics.c - the counters behind /metrics and /healthz, and their Prometheus text. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <baton/status.h>

#include "common/clock.h"
#include "server/metrics.h"
#include "server/rpc.h"
#include "server/version.h"

/* Upper bounds of the call duration buckets: in ns, and as their le label. */
static const uint64_t bucket_ns[] = { 500000, 1000000, 2500000, 5000000, 10000000, 25000000, 50000000,
	100000000, 250000000, 500000000, 1000000000, 2500000000u, 5000000000u, 10000000000u };
static const char *const bucket_le[] = { "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05",
	"0.1", "0.25", "0.5", "1", "2.5", "5", "10" };
#define N_BUCKETS  (sizeof(bucket_ns) / sizeof(bucket_ns[0]))
#define N_STATUSES (BATON_STATUS_MAX + 1)

/* /healthz: the longest time without a maintenance pass that reached the
 * database, in intervals, and never less than STALE_MIN_NS (a pass may
 * legitimately take seconds when a short interval is configured). */
#define STALE_INTERVALS 3
#define STALE_MIN_NS    (30 * 1000000000ull)

#define METHOD_LABEL_BYTES 96

typedef _Atomic uint64_t counter;

/* One method's series. A bucket counts only the calls that fell into it
 * (the text makes them cumulative), so a call is one increment; the last
 * bucket is +Inf. */
typedef struct method_series {
	counter calls[N_STATUSES];
	counter buckets[N_BUCKETS + 1];
	counter sum_ns;
} method_series;

struct metrics {
	size_t          n_methods; /* series[n_methods] is "unknown" */
	char          (*labels)[METHOD_LABEL_BYTES];
	method_series  *series;
	int64_t         db_connections;
	uint64_t        stale_ns;
	/* Database pool */
	_Atomic int64_t db_busy;
	_Atomic int64_t db_ok;
	counter         db_reconnects;
	/* Maintenance */
	counter          passes_ok;
	counter          passes_error;
	_Atomic int64_t  last_pass_unix_ms; /* 0: no pass yet */
	counter          last_pass_duration_ns;
	_Atomic int64_t  sla_lag_ms;        /* < 0: never measured */
	_Atomic bool     last_pass_reached_db;
	_Atomic uint64_t reached_db_ns;     /* monotonic: serving began, or the last pass that reached the database */
	_Atomic bool     serving;
};

metrics *metrics_new(const struct rpc_table *table, int64_t db_connections, int64_t maintenance_ms)
{
	metrics *mx = calloc(1, sizeof(*mx));

	if (mx == NULL)
		return NULL;
	mx->n_methods = table->n;
	/* calloc'ed zero bytes are valid initial values of these atomics. */
	if ((mx->labels = calloc(table->n + 1, sizeof(*mx->labels))) == NULL ||
	    (mx->series = calloc(table->n + 1, sizeof(*mx->series))) == NULL) {
		metrics_free(mx);
		return NULL;
	}
	for (size_t i = 0; i < table->n; i++)
		snprintf(mx->labels[i], sizeof(mx->labels[i]), "%s.%s", table->methods[i].service->short_name,
		    table->methods[i].desc->name);
	snprintf(mx->labels[table->n], sizeof(mx->labels[table->n]), "unknown");
	mx->db_connections = db_connections;
	mx->stale_ns = (uint64_t)maintenance_ms * 1000000u * STALE_INTERVALS;
	if (mx->stale_ns < STALE_MIN_NS)
		mx->stale_ns = STALE_MIN_NS;
	atomic_init(&mx->sla_lag_ms, -1);
	return mx;
}

void metrics_free(metrics *mx)
{
	if (mx == NULL)
		return;
	free(mx->labels);
	free(mx->series);
	free(mx);
}

static void count(counter *c, uint64_t n)
{
	atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static uint64_t read_counter(counter *c)
{
	return atomic_load_explicit(c, memory_order_relaxed);
}

void metrics_call_record(metrics *mx, size_t method, int status, uint64_t duration_ns)
{
	method_series *ms;
	size_t b = 0;

	if (mx == NULL)
		return;
	ms = &mx->series[method < mx->n_methods ? method : mx->n_methods];
	if (status < 0 || status > BATON_STATUS_MAX)
		status = BATON_UNKNOWN;
	while (b < N_BUCKETS && duration_ns > bucket_ns[b])
		b++;
	count(&ms->calls[status], 1);
	count(&ms->buckets[b], 1);
	count(&ms->sum_ns, duration_ns);
}

void metrics_db_report(metrics *mx, metrics_db_seen *seen, bool ok, uint64_t connects)
{
	if (mx == NULL)
		return;
	if (!seen->reported || ok != seen->ok) {
		if (ok)
			atomic_fetch_add_explicit(&mx->db_ok, 1, memory_order_relaxed);
		else if (seen->reported)
			atomic_fetch_sub_explicit(&mx->db_ok, 1, memory_order_relaxed);
	}
	/* The first connection a worker makes is not a reconnect. */
	if (connects > seen->connects)
		count(&mx->db_reconnects, connects - seen->connects - (seen->connects == 0 ? 1 : 0));
	seen->reported = true;
	seen->ok = ok;
	seen->connects = connects;
}

void metrics_db_busy(metrics *mx, int delta)
{
	if (mx != NULL)
		atomic_fetch_add_explicit(&mx->db_busy, delta, memory_order_relaxed);
}

void metrics_pass_record(metrics *mx, const metrics_pass *pass)
{
	if (mx == NULL)
		return;
	count(pass->ok ? &mx->passes_ok : &mx->passes_error, 1);
	atomic_store_explicit(&mx->last_pass_duration_ns, pass->duration_ns, memory_order_relaxed);
	if (pass->sla_lag_ms >= 0)
		atomic_store_explicit(&mx->sla_lag_ms, pass->sla_lag_ms, memory_order_relaxed);
	if (pass->reached_db)
		atomic_store(&mx->reached_db_ns, clock_monotonic_ns());
	atomic_store(&mx->last_pass_reached_db, pass->reached_db);
	atomic_store(&mx->last_pass_unix_ms, clock_realtime_ms());
}

void metrics_serving(metrics *mx)
{
	if (mx == NULL)
		return;
	atomic_store(&mx->reached_db_ns, clock_monotonic_ns());
	atomic_store(&mx->serving, true);
}

/* ---- text exposition ------------------------------------------------------ */

static void family(textbuf *out, const char *name, const char *type, const char *help)
{
	textbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* Seconds with every nanosecond, no floating point on the way. */
static void put_seconds(textbuf *out, uint64_t ns)
{
	textbuf_printf(out, "%llu.%09llu", (unsigned long long)(ns / 1000000000u),
	    (unsigned long long)(ns % 1000000000u));
}

static void render_calls(metrics *mx, textbuf *out)
{
	family(out, "baton_rpc_calls_total", "counter",
	    "Calls answered, by method (Service.Method, or unknown) and Baton status; "
	    "only pairs seen at least once appear.");
	for (size_t i = 0; i <= mx->n_methods; i++)
		for (int s = 0; s < N_STATUSES; s++) {
			uint64_t n = read_counter(&mx->series[i].calls[s]);
			if (n != 0)
				textbuf_printf(out, "baton_rpc_calls_total{method=\"%s\",status=\"%s\"} %llu\n",
				    mx->labels[i], baton_status_str(s), (unsigned long long)n);
		}

	family(out, "baton_rpc_call_duration_seconds", "histogram",
	    "Time from a call's arrival to its answer, by method; only methods called at least once appear.");
	for (size_t i = 0; i <= mx->n_methods; i++) {
		method_series *ms = &mx->series[i];
		uint64_t in_bucket[N_BUCKETS + 1], total = 0;

		for (size_t b = 0; b <= N_BUCKETS; b++)
			total += in_bucket[b] = read_counter(&ms->buckets[b]);
		if (total == 0)
			continue;
		/* _count is the +Inf bucket, so the two always agree. */
		uint64_t cumulative = 0;
		for (size_t b = 0; b <= N_BUCKETS; b++) {
			cumulative += in_bucket[b];
			textbuf_printf(out, "baton_rpc_call_duration_seconds_bucket{method=\"%s\",le=\"%s\"} %llu\n",
			    mx->labels[i], b < N_BUCKETS ? bucket_le[b] : "+Inf", (unsigned long long)cumulative);
		}
		textbuf_printf(out, "baton_rpc_call_duration_seconds_sum{method=\"%s\"} ", mx->labels[i]);
		put_seconds(out, read_counter(&ms->sum_ns));
		textbuf_printf(out, "\nbaton_rpc_call_duration_seconds_count{method=\"%s\"} %llu\n", mx->labels[i],
		    (unsigned long long)total);
	}
}

static void render_db(metrics *mx, textbuf *out)
{
	family(out, "baton_db_connections", "gauge",
	    "PostgreSQL connections of the worker pool: one per worker (--workers).");
	textbuf_printf(out, "baton_db_connections %lld\n", (long long)mx->db_connections);
	family(out, "baton_db_connections_busy", "gauge", "Worker connections serving a call right now.");
	textbuf_printf(out, "baton_db_connections_busy %lld\n", (long long)atomic_load(&mx->db_busy));
	family(out, "baton_db_connections_ok", "gauge",
	    "Worker connections that were usable after their worker's last call (or first connect).");
	textbuf_printf(out, "baton_db_connections_ok %lld\n", (long long)atomic_load(&mx->db_ok));
	family(out, "baton_db_reconnects_total", "counter",
	    "Connections the workers re-established after losing one (or failing the first).");
	textbuf_printf(out, "baton_db_reconnects_total %llu\n", (unsigned long long)read_counter(&mx->db_reconnects));
}

static void render_maintenance(metrics *mx, textbuf *out)
{
	int64_t last_ms = atomic_load(&mx->last_pass_unix_ms), lag_ms = atomic_load(&mx->sla_lag_ms);

	family(out, "baton_maintenance_passes_total", "counter",
	    "Maintenance passes finished, by result: ok when every step succeeded, error otherwise.");
	textbuf_printf(out, "baton_maintenance_passes_total{result=\"ok\"} %llu\n",
	    (unsigned long long)read_counter(&mx->passes_ok));
	textbuf_printf(out, "baton_maintenance_passes_total{result=\"error\"} %llu\n",
	    (unsigned long long)read_counter(&mx->passes_error));
	family(out, "baton_maintenance_last_pass_timestamp_seconds", "gauge",
	    "When the last maintenance pass ended (Unix time); 0 before the first.");
	textbuf_printf(out, "baton_maintenance_last_pass_timestamp_seconds %lld.%03lld\n", (long long)(last_ms / 1000),
	    (long long)(last_ms % 1000));
	family(out, "baton_maintenance_pass_duration_seconds", "gauge", "How long the last maintenance pass took.");
	textbuf_puts(out, "baton_maintenance_pass_duration_seconds ");
	put_seconds(out, read_counter(&mx->last_pass_duration_ns));
	textbuf_putc(out, '\n');
	family(out, "baton_sla_worker_lag_seconds", "gauge",
	    "Age of the oldest SLA warning, breach or escalation expiry that is due and not yet fired, "
	    "as the last maintenance pass that could measure it found (0: none); absent before the first.");
	if (lag_ms >= 0)
		textbuf_printf(out, "baton_sla_worker_lag_seconds %lld.%03lld\n", (long long)(lag_ms / 1000),
		    (long long)(lag_ms % 1000));
}

void metrics_render(metrics *mx, const metrics_state *state, textbuf *out)
{
	if (mx == NULL)
		return;
	family(out, "baton_up", "gauge", "1 while batond answers scrapes.");
	textbuf_puts(out, "baton_up 1\n");
	family(out, "baton_build_info", "gauge", "batond's version as a label; always 1.");
	textbuf_printf(out, "baton_build_info{version=\"%s\"} 1\n", BATON_VERSION);
	family(out, "baton_draining", "gauge", "1 while batond drains for shutdown, else 0.");
	textbuf_printf(out, "baton_draining %d\n", state->draining ? 1 : 0);
	family(out, "baton_sessions", "gauge", "Live secure-channel sessions on this instance.");
	textbuf_printf(out, "baton_sessions %zu\n", state->sessions);
	render_calls(mx, out);
	render_db(mx, out);
	render_maintenance(mx, out);
}

bool metrics_health(metrics *mx, const metrics_state *state, uint64_t now_ns, char *reason, size_t len)
{
	uint64_t since;

	if (state->draining) {
		snprintf(reason, len, "draining for shutdown");
		return false;
	}
	if (mx == NULL)
		return true;
	if (!atomic_load(&mx->serving)) {
		snprintf(reason, len, "starting: not serving calls yet");
		return false;
	}
	if (atomic_load(&mx->last_pass_unix_ms) != 0 && !atomic_load(&mx->last_pass_reached_db)) {
		snprintf(reason, len, "the last maintenance pass could not reach the database");
		return false;
	}
	since = atomic_load(&mx->reached_db_ns);
	if (now_ns > since && now_ns - since > mx->stale_ns) {
		snprintf(reason, len, "no maintenance pass reached the database in the last %llu s",
		    (unsigned long long)((now_ns - since) / 1000000000u));
		return false;
	}
	return true;
}
