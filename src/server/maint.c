/* maint.c - the housekeeping pass, every --maintenance-ms, on its own thread and connection. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "server/audit_seal.h"
#include "server/coverage_notice.h"
#include "server/log.h"
#include "server/maint.h"
#include "server/ticket_timers.h"

struct maint {
	rpc_server     *server;
	db_conn        *db;
	int64_t         interval_ms;
	int64_t         record_hours;
	int64_t         window_ms;
	int64_t         ttl_ms;
	int64_t         horizon_hours; /* coverage gaps announced this far ahead */
	bool            seal;          /* --audit-seal: off leaves sealing to other instances */
	uint8_t         secret_key[AUDIT_SK_BYTES]; /* the server's, for audit checkpoints; wiped at stop */
	uint8_t         public_key[AUDIT_PK_BYTES];
	pthread_t       thread;
	pthread_mutex_t mtx;
	pthread_cond_t  cv; /* CLOCK_MONOTONIC */
	bool            stop;
};

static void step_done(metrics_pass *result, baton_status s)
{
	if (s != BATON_OK)
		result->ok = false;
	if (s == BATON_UNAVAILABLE)
		result->reached_db = false;
}

/*
 * Old rows and sessions. Deleting old rows is idempotent, so several
 * instances may run it at once. Sessions of keys revoked (or principals
 * disabled) through another instance end here; the instance that made the
 * change ends them at once, and every database-backed call checks its key
 * anyway.
 */
static baton_status sweep(maint *mt)
{
	db_scope all = { .all = true };
	char hours[24], window_s[24], since_s[24];
	PGresult *res = NULL;
	status_msg m;
	baton_status s;
	size_t expired, ended = 0;

	expired = session_sweep(mt->server->sessions, clock_realtime_ms());
	snprintf(hours, sizeof(hours), "%lld", (long long)mt->record_hours);
	snprintf(window_s, sizeof(window_s), "%lld", (long long)(2 * mt->window_ms / 1000 + 1));
	snprintf(since_s, sizeof(since_s), "%lld", (long long)((mt->ttl_ms + 2 * mt->interval_ms) / 1000 + 1));
	const char *p_hours[1] = { hours }, *p_window[1] = { window_s }, *p_since[1] = { since_s };

	if ((s = db_tx_begin_scoped(mt->db, 60000, &all, &m)) != BATON_OK ||
	    (s = db_exec(mt->db, NULL,
	        "DELETE FROM request_record WHERE created_at < now() - make_interval(hours => $1::int)",
	        1, p_hours, &m)) != BATON_OK ||
	    (s = db_exec(mt->db, NULL,
	        "DELETE FROM handshake_seen WHERE seen_at < now() - make_interval(secs => $1::int)",
	        1, p_window, &m)) != BATON_OK ||
	    (s = db_exec(mt->db, &res,
	        "SELECT 'k', id::text FROM principal_key WHERE revoked_at > now() - make_interval(secs => $1::int)"
	        " UNION ALL"
	        " SELECT 'p', id::text FROM principal WHERE disabled_at > now() - make_interval(secs => $1::int)",
	        1, p_since, &m)) != BATON_OK ||
	    (s = db_tx_commit(mt->db, &m)) != BATON_OK) {
		db_tx_rollback(mt->db);
		PQclear(res);
		log_warn("maintenance_failed", LOG_S("reason", m.text));
		return s;
	}
	for (int r = 0; r < PQntuples(res); r++)
		ended += PQgetvalue(res, r, 0)[0] == 'k' ? session_drop_key(mt->server->sessions, PQgetvalue(res, r, 1))
		                                          : session_drop_principal(mt->server->sessions, PQgetvalue(res, r, 1));
	PQclear(res);
	if (expired + ended > 0)
		log_info("sessions_swept", LOG_I("expired", (int64_t)expired), LOG_I("revoked", (int64_t)ended),
		    LOG_I("sessions", (int64_t)session_count(mt->server->sessions)));
	return BATON_OK;
}

/* Separate from the sweep, so that neither's failure holds up the other. */
static baton_status announce_gaps(maint *mt)
{
	int64_t events;
	status_msg m;
	baton_status s;

	if ((s = coverage_notice_announce(mt->db, mt->horizon_hours, &events, &m)) != BATON_OK)
		log_warn("coverage_notice_failed", LOG_S("reason", m.text));
	else if (events > 0)
		log_info("coverage_gaps_announced", LOG_I("events", events));
	return s;
}

/* Tickets whose owner went idle or whose shift ended go back to a queue;
 * SLA warnings, then breaches (each raising an escalation), fire; open
 * escalations nobody decided in time move up a level. Each timer on its
 * own, so one failing holds up neither the others nor the steps above. */
static void expire_ticket_timers(maint *mt, metrics_pass *result)
{
	static const struct {
		ticket_timer which;
		const char  *done; /* the log event when it acted */
		const char  *what; /* what it counts */
	} timers[] = {
		{ TICKET_TIMER_RETURN, "tickets_returned", "tickets" },
		{ TICKET_TIMER_SHIFT_END, "tickets_handed_off", "tickets" },
		{ TICKET_TIMER_SLA_WARNING, "sla_warnings_fired", "clocks" },
		{ TICKET_TIMER_SLA_BREACH, "sla_breaches_fired", "clocks" },
		{ TICKET_TIMER_ESCALATION_EXPIRY, "escalations_expired", "escalations" },
	};
	int64_t acted;
	status_msg m;
	baton_status s;

	for (size_t i = 0; i < sizeof(timers) / sizeof(timers[0]); i++) {
		if ((s = ticket_timers_expire(mt->db, timers[i].which, &acted, &m)) != BATON_OK)
			log_warn("ticket_timers_failed", LOG_S("timer", ticket_timer_name(timers[i].which)),
			    LOG_S("reason", m.text), LOG_I(timers[i].what, acted));
		else if (acted > 0)
			log_info(timers[i].done, LOG_I(timers[i].what, acted));
		step_done(result, s);
	}
	/* After the timers fired: what is still due is what they could not
	 * keep up with. */
	if ((s = ticket_timers_lag(mt->db, &result->sla_lag_ms, &m)) != BATON_OK) {
		log_warn("sla_lag_unmeasured", LOG_S("reason", m.text));
		result->sla_lag_ms = -1;
	}
	step_done(result, s);
}

/* After the timers, so that the events they wrote in this pass are
 * sealed in this pass too. Another instance sealing now: nothing to do. */
static baton_status seal_audit(maint *mt)
{
	int64_t sealed;
	status_msg m;
	baton_status s;

	if ((s = audit_seal_pass(mt->db, mt->secret_key, mt->public_key, &sealed, &m)) != BATON_OK)
		log_warn("audit_seal_failed", LOG_S("reason", m.text), LOG_I("events", sealed));
	else if (sealed > 0)
		log_info("audit_sealed", LOG_I("events", sealed));
	return s;
}

/* Every step runs whatever the others did; the pass's result (for
 * /metrics and /healthz) remembers whether any failed, and whether any
 * could not reach the database at all. */
static void pass(maint *mt)
{
	uint64_t t0 = clock_monotonic_ns();
	metrics_pass result = { .ok = true, .reached_db = true, .sla_lag_ms = -1 };

	step_done(&result, sweep(mt));
	step_done(&result, announce_gaps(mt));
	expire_ticket_timers(mt, &result);
	if (mt->seal)
		step_done(&result, seal_audit(mt));
	result.duration_ns = clock_monotonic_ns() - t0;
	metrics_pass_record(mt->server->metrics, &result);
}

static void *run(void *arg)
{
	maint *mt = arg;
	struct timespec at;

	pthread_mutex_lock(&mt->mtx);
	while (!mt->stop) {
		clock_gettime(CLOCK_MONOTONIC, &at);
		at.tv_sec += mt->interval_ms / 1000;
		at.tv_nsec += (mt->interval_ms % 1000) * 1000000;
		if (at.tv_nsec >= 1000000000) {
			at.tv_sec++;
			at.tv_nsec -= 1000000000;
		}
		while (!mt->stop && pthread_cond_timedwait(&mt->cv, &mt->mtx, &at) != ETIMEDOUT)
			;
		if (mt->stop)
			break;
		pthread_mutex_unlock(&mt->mtx);
		pass(mt);
		pthread_mutex_lock(&mt->mtx);
	}
	pthread_mutex_unlock(&mt->mtx);
	return NULL;
}

/* Frees a maint that start() built (its thread not running), wiping the key. */
static void maint_free(maint *mt)
{
	db_conn_free(mt->db);
	sodium_memzero(mt->secret_key, sizeof(mt->secret_key));
	free(mt);
}

baton_status maint_start(maint **out, rpc_server *server, const batond_config *cfg,
    const uint8_t secret_key[AUDIT_SK_BYTES], const uint8_t public_key[AUDIT_PK_BYTES], status_msg *m)
{
	maint *mt = calloc(1, sizeof(*mt));
	pthread_condattr_t ca;

	*out = NULL;
	if (mt == NULL || (mt->db = db_conn_new(cfg->database_url)) == NULL) {
		free(mt);
		return status_set(m, BATON_INTERNAL, "out of memory");
	}
	mt->server = server;
	mt->interval_ms = cfg->maintenance_ms;
	mt->record_hours = cfg->request_record_hours;
	mt->window_ms = cfg->handshake_window_ms;
	mt->ttl_ms = cfg->session_ttl_s * 1000;
	mt->horizon_hours = cfg->coverage_horizon_hours;
	mt->seal = cfg->audit_seal != 0;
	memcpy(mt->secret_key, secret_key, sizeof(mt->secret_key));
	memcpy(mt->public_key, public_key, sizeof(mt->public_key));
	if (pthread_mutex_init(&mt->mtx, NULL) != 0) {
		maint_free(mt);
		return status_set(m, BATON_INTERNAL, "pthread_mutex_init failed");
	}
	if (pthread_condattr_init(&ca) != 0 || pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&mt->cv, &ca) != 0) {
		pthread_mutex_destroy(&mt->mtx);
		maint_free(mt);
		return status_set(m, BATON_INTERNAL, "pthread_cond_init failed");
	}
	pthread_condattr_destroy(&ca);
	if (pthread_create(&mt->thread, NULL, run, mt) != 0) {
		pthread_cond_destroy(&mt->cv);
		pthread_mutex_destroy(&mt->mtx);
		maint_free(mt);
		return status_set(m, BATON_INTERNAL, "cannot start the maintenance thread");
	}
	*out = mt;
	return BATON_OK;
}

void maint_stop(maint *mt)
{
	if (mt == NULL)
		return;
	pthread_mutex_lock(&mt->mtx);
	mt->stop = true;
	pthread_cond_broadcast(&mt->cv);
	pthread_mutex_unlock(&mt->mtx);
	pthread_join(mt->thread, NULL);
	pthread_cond_destroy(&mt->cv);
	pthread_mutex_destroy(&mt->mtx);
	maint_free(mt);
}
