/* config.h - batond's settings: one table gives flag, environment variable, default, bounds and help. */
#ifndef BATON_SERVER_CONFIG_H
#define BATON_SERVER_CONFIG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct batond_config {
	char    listen[256];
	char    metrics_listen[256]; /* "off" or http://host:port */
	char    database_url[1024]; /* may hold a password: never log it */
	int64_t workers;
	int64_t max_message_bytes;
	int64_t max_call_ms;
	int64_t drain_ms;
	int64_t db_wait_ms;
	int64_t log_level;  /* log_level */
	int64_t log_format; /* log_format */
	char    key_file[512];       /* the server's Ed25519 identity */
	char    admin_key_file[512]; /* where the first admin key is written */
	int64_t session_ttl_s;
	int64_t handshake_window_ms;
	int64_t handshake_failures_per_minute;
	int64_t max_sessions;
	int64_t max_sessions_per_principal;
	int64_t request_record_hours;
	int64_t maintenance_ms;
	int64_t audit_seal;             /* 1: the maintenance pass seals the audit trail; 0: it leaves it to others */
	int64_t release_cutoff_hours;   /* default for new slots */
	int64_t coverage_horizon_hours; /* gaps announced as events */
	int64_t watch_waiters;          /* Watch calls that may wait at once; < workers */
} batond_config;

typedef enum config_result {
	CONFIG_RUN,     /* settings loaded: run */
	CONFIG_EXIT_OK, /* --help or --version was printed: exit 0 */
	CONFIG_ERROR,   /* err holds the reason (quoting the bad value): exit 2 */
} config_result;

/*
 * Fills cfg from, in rising precedence: the table's defaults, BATON_*
 * environment variables, then argv flags (--name=value or --name value).
 * Help and version go to out.
 */
config_result config_load(batond_config *cfg, int argc, char **argv, FILE *out,
    char *err, size_t errlen);

/* Prints the usage text generated from the table. */
void config_usage(FILE *out);

/* Prints the table as a Markdown reference (docs/operations.md). */
void config_markdown(FILE *out);

#endif
