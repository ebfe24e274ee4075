/* metrics.h - batond's counters and gauges: updated lock-free where things happen, read by /metrics and /healthz. */
#ifndef BATON_SERVER_METRICS_H
#define BATON_SERVER_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/textbuf.h"

struct rpc_table;

/*
 * One instance's numbers, all in memory: every update is a relaxed C11
 * atomic (no lock, no allocation), and reading them never touches the
 * database, so a scrape can neither block nor wait on PostgreSQL.
 *
 * Every function accepts a NULL metrics and then does nothing (batond
 * with --metrics-listen=off keeps none; unit tests run without).
 */
typedef struct metrics metrics;

/*
 * Counters for the methods of table (labelled "Service.Method", e.g.
 * "System.Ping", plus "unknown" for calls whose method is not in it), for
 * an instance with db_connections worker connections and a maintenance
 * pass every maintenance_ms. The labels are copied: table may go first.
 * NULL if out of memory. Free with metrics_free() once nothing updates or
 * reads it any more.
 */
metrics *metrics_new(const struct rpc_table *table, int64_t db_connections, int64_t maintenance_ms);
void metrics_free(metrics *mx);

/* method: the index of the call's method in the table given to
 * metrics_new(), or any larger number (SIZE_MAX) for an unknown one.
 * status: a baton_status; duration_ns: from the frame's arrival to its
 * answer. Counts baton_rpc_calls_total and the duration histogram. */
void metrics_call_record(metrics *mx, size_t method, int status, uint64_t duration_ns);

/* A worker's database connection as the worker last reported it (owned
 * by the worker, zeroed at start), so that only changes touch the shared
 * gauges. */
typedef struct metrics_db_seen {
	bool     reported;
	bool     ok;
	uint64_t connects;
} metrics_db_seen;

/* The worker's connection is usable now (ok) and has been established
 * connects times so far (db_conn_connects()): moves baton_db_connections_ok
 * and counts every connect after a worker's first as a reconnect. */
void metrics_db_report(metrics *mx, metrics_db_seen *seen, bool ok, uint64_t connects);

/* A worker's connection starts (+1) or ends (-1) serving a call. */
void metrics_db_busy(metrics *mx, int delta);

/* What one maintenance pass did. */
typedef struct metrics_pass {
	bool     ok;          /* every step succeeded */
	bool     reached_db;  /* false: a step could not reach the database (UNAVAILABLE) */
	uint64_t duration_ns;
	int64_t  sla_lag_ms;  /* the SLA worker's lag the pass measured; < 0: not measured */
} metrics_pass;

void metrics_pass_record(metrics *mx, const metrics_pass *pass);

/* batond listens for calls now: /healthz may say ok from here on. */
void metrics_serving(metrics *mx);

/* What the server knows at the moment of a scrape, outside metrics. */
typedef struct metrics_state {
	size_t sessions; /* live secure-channel sessions */
	bool   draining; /* shutting down */
} metrics_state;

/* Appends the Prometheus text exposition (format 0.0.4) of every family
 * to out; out->truncated says when the buffer was too small. */
void metrics_render(metrics *mx, const metrics_state *state, textbuf *out);

/*
 * The /healthz verdict at monotonic time now_ns: true when batond serves;
 * false with a one-line reason (no newline) in reason[0..len) when it is
 * starting, draining for shutdown, its last maintenance pass could not
 * reach the database, or no pass reached it for 3 maintenance intervals
 * (at least 30 s) since it began serving.
 */
bool metrics_health(metrics *mx, const metrics_state *state, uint64_t now_ns, char *reason, size_t len);

#endif
