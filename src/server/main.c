/* main.c - batond: load settings, migrate the database, serve until SIGTERM/SIGINT, drain, exit. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "common/clock.h"
#include "server/bootstrap.h"
#include "server/config.h"
#include "server/db.h"
#include "server/event_bell.h"
#include "server/log.h"
#include "server/maint.h"
#include "server/metrics_http.h"
#include "server/migrate.h"
#include "server/services.h"
#include "server/transport.h"
#include "server/version.h"

/* Waits up to ms for SIGTERM/SIGINT; returns the signal, or 0 on timeout. */
static int wait_signal(const sigset_t *set, int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	int sig;

	if (ms < 0) {
		while ((sig = sigwaitinfo(set, NULL)) < 0 && errno == EINTR)
			;
		return sig < 0 ? 0 : sig;
	}
	while ((sig = sigtimedwait(set, NULL, &ts)) < 0 && errno == EINTR)
		;
	return sig < 0 ? 0 : sig;
}

/* Row-level security is how the database keeps partners apart; a role that
 * bypasses it would silently turn that off. */
static baton_status check_role(db_conn *c, status_msg *m)
{
	PGresult *res;
	baton_status s;

	s = db_exec(c, &res, "SELECT current_user, rolsuper OR rolbypassrls FROM pg_roles WHERE rolname = current_user",
	    0, NULL, m);
	if (s != BATON_OK)
		return s;
	if (PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "t") == 0) {
		s = status_set(m, BATON_FAILED_PRECONDITION,
		    "database role '%s' is a superuser or has BYPASSRLS, so row-level security (partner "
		    "isolation) would not apply; connect as an ordinary role that owns the database",
		    PQgetvalue(res, 0, 0));
	}
	PQclear(res);
	return s;
}

/* Connects and migrates, retrying until db_wait_ms runs out. */
static baton_status prepare_database(const batond_config *cfg, const sigset_t *signals)
{
	uint64_t give_up = clock_monotonic_ns() + (uint64_t)cfg->db_wait_ms * 1000000u;
	db_conn *c = db_conn_new(cfg->database_url);
	int schema_version = 0, applied = 0;
	status_msg m;
	baton_status s;

	if (c == NULL) {
		log_error("startup_failed", LOG_S("reason", "out of memory"));
		return BATON_INTERNAL;
	}
	for (int attempt = 1;; attempt++) {
		if ((s = db_connect(c, &m)) == BATON_OK)
			break;
		if (clock_monotonic_ns() >= give_up) {
			log_error("database_unreachable", LOG_S("reason", m.text),
			    LOG_I("waited_ms", cfg->db_wait_ms));
			goto out;
		}
		if (attempt == 1)
			log_warn("database_waiting", LOG_S("reason", m.text));
		if (wait_signal(signals, 500) != 0) {
			log_info("stopped_before_start");
			s = BATON_CANCELLED;
			goto out;
		}
	}
	PGconn *pg = db_pg(c);
	log_info("database_connected", LOG_S("host", PQhost(pg)), LOG_S("dbname", PQdb(pg)),
	    LOG_I("server_version", PQserverVersion(pg)));
	if ((s = check_role(c, &m)) != BATON_OK) {
		log_error("database_role_refused", LOG_S("reason", m.text));
		goto out;
	}
	if ((s = migrate_apply(c, migrations, migrations_count, &schema_version, &applied, &m)) != BATON_OK) {
		log_error("migration_failed", LOG_S("status", baton_status_str(s)), LOG_S("reason", m.text));
		goto out;
	}
	log_info("schema_ready", LOG_I("schema_version", schema_version), LOG_I("applied_now", applied));
	bool created;
	char admin_pub[BATON_PUBLIC_KEY_TEXT];
	if ((s = bootstrap_admin(c, cfg->admin_key_file, &created, admin_pub, &m)) != BATON_OK) {
		log_error("bootstrap_failed", LOG_S("reason", m.text));
		goto out;
	}
	if (created)
		log_info("bootstrap_admin_created", LOG_S("handle", "admin"), LOG_S("key_file", cfg->admin_key_file),
		    LOG_S("public_key", admin_pub),
		    LOG_S("next", "use this key file with batonctl --key, then register people and partners"));
out:
	db_conn_free(c);
	return s;
}

int main(int argc, char **argv)
{
	static batond_config cfg;
	static rpc_server server;
	const rpc_service_impl *services[] = BATON_SERVICES;
	transport *t = NULL;
	maint *mt = NULL;
	metrics_http *mh = NULL;
	event_bell *bell = NULL;
	baton_key key;
	bool key_created;
	char pub[BATON_PUBLIC_KEY_TEXT];
	char err[512];
	sigset_t signals;
	status_msg m;
	int sig, rc = 1;

	switch (config_load(&cfg, argc, argv, stdout, err, sizeof(err))) {
	case CONFIG_RUN:
		break;
	case CONFIG_EXIT_OK:
		return 0;
	case CONFIG_ERROR:
		fprintf(stderr, "batond: %s\n", err);
		return 2;
	}
	log_setup((log_level)cfg.log_level, (log_format)cfg.log_format);

	/* Block the shutdown signals before any thread exists (nng and the
	 * workers inherit the mask); only main waits for them. SIGPIPE is
	 * ignored: a peer that hangs up must not kill the server. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &signals, NULL) != 0 || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
		log_error("startup_failed", LOG_S("reason", "cannot set the signal mask"));
		return 1;
	}
	if (sodium_init() < 0) {
		log_error("startup_failed", LOG_S("reason", "libsodium could not initialise"));
		return 1;
	}

	if (bootstrap_server_key(cfg.key_file, &key, &key_created, &m) != BATON_OK) {
		log_error("startup_failed", LOG_S("reason", m.text));
		return 1;
	}
	memcpy(server.public_key, key.public_key, sizeof(server.public_key));
	memcpy(server.secret_key, key.secret_key, sizeof(server.secret_key));
	baton_key_wipe(&key);
	baton_public_key_format(server.public_key, pub);
	log_info(key_created ? "server_key_created" : "server_key_loaded", LOG_S("key_file", cfg.key_file),
	    LOG_S("public_key", pub));
	server.session_ttl_ms = cfg.session_ttl_s * 1000;
	server.handshake_window_ms = cfg.handshake_window_ms;
	server.release_cutoff_s = cfg.release_cutoff_hours * 3600;
	server.watch_waiters_max = cfg.watch_waiters;
	atomic_init(&server.watch_waiting, 0);
	if ((server.sessions = session_store_new((size_t)cfg.max_sessions, (size_t)cfg.max_sessions_per_principal)) == NULL ||
	    (server.handshake_limit = ratelimit_new(cfg.handshake_failures_per_minute)) == NULL) {
		log_error("startup_failed", LOG_S("reason", "out of memory"));
		goto out;
	}
	server.max_call_ms = cfg.max_call_ms;
	server.started_ns = clock_monotonic_ns();
	atomic_init(&server.draining, false);
	if (rpc_table_build(&server.table, services, sizeof(services) / sizeof(services[0]), &m) != BATON_OK) {
		log_error("startup_failed", LOG_S("reason", m.text));
		goto out;
	}

	log_info("starting", LOG_S("version", BATON_VERSION), LOG_I("workers", cfg.workers),
	    LOG_I("methods", (int64_t)server.table.n));
	/* Before the database: a port in use stops batond at once, and
	 * /healthz says "starting" while it waits for the database. */
	if (strcmp(cfg.metrics_listen, "off") != 0) {
		if ((server.metrics = metrics_new(&server.table, cfg.workers, cfg.maintenance_ms)) == NULL) {
			log_error("startup_failed", LOG_S("reason", "out of memory"));
			goto out;
		}
		if (metrics_http_start(&mh, cfg.metrics_listen, &server, &m) != BATON_OK) {
			log_error("startup_failed", LOG_S("reason", m.text));
			goto out;
		}
		log_info("metrics_listening", LOG_S("url", cfg.metrics_listen),
		    LOG_S("paths", "/metrics /healthz"));
	}
	switch (prepare_database(&cfg, &signals)) {
	case BATON_OK:
		break;
	case BATON_CANCELLED:
		rc = 0;
		goto out;
	default:
		goto out;
	}
	/* The bell before the transport: a Watch must never find it gone. */
	if (event_bell_start(&bell, cfg.database_url, &m) != BATON_OK) {
		log_error("startup_failed", LOG_S("reason", m.text));
		goto out;
	}
	server.bell = bell;
	if (maint_start(&mt, &server, &cfg, server.secret_key, server.public_key, &m) != BATON_OK ||
	    transport_start(&t, &server, &cfg, &m) != BATON_OK) {
		log_error("startup_failed", LOG_S("reason", m.text));
		goto out;
	}
	log_info("listening", LOG_S("url", cfg.listen));
	metrics_serving(server.metrics);

	sig = wait_signal(&signals, -1);
	log_info("draining", LOG_S("signal", sig == SIGINT ? "SIGINT" : "SIGTERM"),
	    LOG_I("drain_ms", cfg.drain_ms));
	atomic_store(&server.draining, true);
	/* Waiting Watch calls answer now rather than hold the shutdown. */
	event_bell_interrupt(bell);
	/* New calls are refused during the drain; a second signal ends it early. */
	if (cfg.drain_ms > 0 && wait_signal(&signals, cfg.drain_ms) != 0)
		log_info("drain_cut_short");
	transport_stop(t);
	t = NULL;
	log_info("stopped");
	rc = 0;
out:
	transport_stop(t);
	/* /healthz answered 503 through the drain; after it no scrape reads
	 * the sessions or the counters any more. */
	metrics_http_stop(mh);
	/* After the transport: no Watch can be waiting on the bell any more. */
	server.bell = NULL;
	event_bell_stop(bell);
	maint_stop(mt);
	/* Last, once neither the workers nor the maintenance pass count. */
	metrics_free(server.metrics);
	server.metrics = NULL;
	rpc_table_free(&server.table);
	session_store_free(server.sessions);
	ratelimit_free(server.handshake_limit);
	sodium_memzero(server.secret_key, sizeof(server.secret_key));
	return rc;
}
