/* config.c - the config table and the parser it drives. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "server/config.h"
#include "server/version.h"

typedef enum option_type {
	OPT_STRING,
	OPT_INT,
	OPT_ENUM,
} option_type;

typedef struct config_option {
	const char        *name; /* flag without "--" */
	const char        *env;
	option_type        type;
	const char        *default_value;
	int64_t            min, max; /* OPT_INT bounds */
	const char *const *choices;  /* OPT_ENUM names; the value is the index */
	const char        *unit;
	const char        *help;
	size_t             offset;
	size_t             size; /* OPT_STRING: buffer size */
	/* OPT_STRING, optional: NULL if value is well formed, otherwise what
	 * a value must look like (for the error message). */
	const char *(*check)(const char *value);
} config_option;

static const char *const log_levels[] = { "error", "warn", "info", "debug", NULL };
static const char *const log_formats[] = { "text", "json", NULL };
static const char *const off_on[] = { "off", "on", NULL }; /* the value: 0 off, 1 on */

/* Where an option's value goes; FIELD_CHECKED also names its check. */
#define FIELD_CHECKED(f, check) offsetof(batond_config, f), sizeof(((batond_config *)0)->f), (check)
#define FIELD(f)                FIELD_CHECKED(f, NULL)

/* --metrics-listen: "off", or http://host:port and nothing after it (batond
 * serves /metrics and /healthz itself), host being a name, an IPv4 address
 * or a bracketed IPv6 one. Anything else is refused here, before start-up,
 * rather than by nng later. */
static const char *metrics_listen_check(const char *v)
{
	static const char shape[] = "off or http://host:port with a port from 1 to 65535 "
	                            "(e.g. http://127.0.0.1:7480)";
	const char *host = v + strlen("http://"), *end;
	long port = 0;
	int digits = 0;

	if (strcmp(v, "off") == 0)
		return NULL;
	if (strncmp(v, "http://", strlen("http://")) != 0)
		return shape;
	if (host[0] == '[') {
		end = host + 1 + strspn(host + 1, "0123456789abcdefABCDEF:.");
		if (end == host + 1 || *end++ != ']')
			return shape;
	} else {
		end = host + strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-");
		if (end == host)
			return shape;
	}
	if (*end++ != ':')
		return shape;
	for (; *end >= '0' && *end <= '9' && digits < 6; end++, digits++)
		port = port * 10 + (*end - '0');
	return (*end != '\0' || digits == 0 || port < 1 || port > 65535) ? shape : NULL;
}

static const config_option options[] = {
	{ "listen", "BATON_LISTEN", OPT_STRING, "tcp://127.0.0.1:7400", 0, 0, NULL, "url",
	    "Address to serve RPC on (nng URL: tcp://host:port, ipc:///path).", FIELD(listen) },
	{ "metrics-listen", "BATON_METRICS_LISTEN", OPT_STRING, "http://127.0.0.1:7480", 0, 0, NULL, "url",
	    "Where to serve Prometheus `/metrics` and `/healthz` over HTTP (http://host:port), or `off`. "
	    "Unauthenticated: keep it on loopback or a private network (docs/metrics.md). A port that "
	    "cannot be bound stops batond at start.", FIELD_CHECKED(metrics_listen, metrics_listen_check) },
	{ "database-url", "BATON_DATABASE_URL", OPT_STRING, "", 0, 0, NULL, "conninfo",
	    "PostgreSQL connection string (libpq keyword=value or postgresql:// URI). "
	    "Required; `make run` starts a private cluster and sets it.",
	    FIELD(database_url) },
	{ "workers", "BATON_WORKERS", OPT_INT, "8", 1, 256, NULL, "count",
	    "Worker threads; each owns one nng context and one PostgreSQL connection.",
	    FIELD(workers) },
	{ "max-message-bytes", "BATON_MAX_MESSAGE_BYTES", OPT_INT, "4194304", 4096, 67108864, NULL,
	    "bytes", "Largest request frame accepted (NNG_OPT_RECVMAXSZ); larger ones drop the connection.",
	    FIELD(max_message_bytes) },
	{ "max-call-ms", "BATON_MAX_CALL_MS", OPT_INT, "30000", 100, 600000, NULL, "ms",
	    "Longest a call may run; also bounds the statement timeout when the caller's deadline is later or absent.",
	    FIELD(max_call_ms) },
	{ "drain-ms", "BATON_DRAIN_MS", OPT_INT, "500", 0, 60000, NULL, "ms",
	    "On SIGTERM/SIGINT: how long to keep answering new calls with UNAVAILABLE "
	    "(Health: NOT_SERVING) before closing; calls already running always finish.",
	    FIELD(drain_ms) },
	{ "db-wait-ms", "BATON_DB_WAIT_MS", OPT_INT, "30000", 0, 600000, NULL, "ms",
	    "At start-up, how long to keep trying to reach the database before giving up.",
	    FIELD(db_wait_ms) },
	{ "log-level", "BATON_LOG_LEVEL", OPT_ENUM, "info", 0, 0, log_levels, "level",
	    "Least severe level logged: error, warn, info (one line per call), debug.",
	    FIELD(log_level) },
	{ "log-format", "BATON_LOG_FORMAT", OPT_ENUM, "text", 0, 0, log_formats, "format",
	    "text (logfmt key=value) or json (one JSON object per line).", FIELD(log_format) },
	{ "key-file", "BATON_KEY_FILE", OPT_STRING, "var/batond.key", 0, 0, NULL, "path",
	    "The server's Ed25519 identity key file (mode 0600). Created on first start if missing, "
	    "with its public half beside it (.pub) for clients to pin. Instances behind one address share it.",
	    FIELD(key_file) },
	{ "admin-key-file", "BATON_ADMIN_KEY_FILE", OPT_STRING, "var/admin.key", 0, 0, NULL, "path",
	    "On the first start against an empty database, the first admin's key is created here (mode 0600).",
	    FIELD(admin_key_file) },
	{ "session-ttl-s", "BATON_SESSION_TTL_S", OPT_INT, "3600", 1, 86400, NULL, "s",
	    "How long a secure-channel session lives; clients renew it by themselves.",
	    FIELD(session_ttl_s) },
	{ "handshake-window-ms", "BATON_HANDSHAKE_WINDOW_MS", OPT_INT, "60000", 1000, 600000, NULL, "ms",
	    "Largest difference between a client's handshake time and the server clock.",
	    FIELD(handshake_window_ms) },
	{ "handshake-failures-per-minute", "BATON_HANDSHAKE_FAILURES_PER_MINUTE", OPT_INT, "30", 1, 100000,
	    NULL, "count", "Failed handshakes allowed per peer address and minute; beyond it the peer's "
	    "handshakes get RESOURCE_EXHAUSTED.", FIELD(handshake_failures_per_minute) },
	{ "max-sessions", "BATON_MAX_SESSIONS", OPT_INT, "100000", 16, 10000000, NULL, "count",
	    "Live sessions this instance holds at most.", FIELD(max_sessions) },
	{ "max-sessions-per-principal", "BATON_MAX_SESSIONS_PER_PRINCIPAL", OPT_INT, "32", 1, 100000, NULL,
	    "count", "Live sessions one principal holds at most on this instance; a new one ends its oldest "
	    "(closed clients leave their sessions until they expire).", FIELD(max_sessions_per_principal) },
	{ "request-record-hours", "BATON_REQUEST_RECORD_HOURS", OPT_INT, "48", 24, 8760, NULL, "h",
	    "How long exactly-once records (a state change's request id and reply) are kept.",
	    FIELD(request_record_hours) },
	{ "maintenance-ms", "BATON_MAINTENANCE_MS", OPT_INT, "10000", 100, 3600000, NULL, "ms",
	    "Interval of the housekeeping pass: expired sessions and records, sessions of keys revoked "
	    "on other instances, coverage gap events, tickets whose return timer or owner's shift ran out, "
	    "SLA warnings and breaches, and escalations whose time ran out (so all of those happen up to "
	    "this late).", FIELD(maintenance_ms) },
	{ "audit-seal", "BATON_AUDIT_SEAL", OPT_ENUM, "on", 0, 0, off_on, "switch",
	    "Whether this instance's maintenance pass seals the audit trail: chains new events by hash "
	    "and signs a checkpoint (docs/audit.md). Instances that seal take turns (one at a time); off "
	    "leaves sealing to the others, e.g. to keep it on one instance only. With every instance off, "
	    "new events are not sealed and `batonctl audit export` leaves them out.",
	    FIELD(audit_seal) },
	{ "release-cutoff-hours", "BATON_RELEASE_CUTOFF_HOURS", OPT_INT, "24", 0, 720, NULL, "h",
	    "Default for new slots: holders may release a seat until this long before the start; after it "
	    "only through a swap or a lead. A slot may set its own.", FIELD(release_cutoff_hours) },
	{ "coverage-horizon-hours", "BATON_COVERAGE_HORIZON_HOURS", OPT_INT, "72", 1, 1440, NULL, "h",
	    "The maintenance pass announces, as events, coverage gaps (seats or on-call) starting within "
	    "this many hours from now.", FIELD(coverage_horizon_hours) },
	{ "watch-waiters", "BATON_WATCH_WAITERS", OPT_INT, "4", 0, 255, NULL, "count",
	    "Watch calls that may wait for events at once on this instance; each holds a worker, so it must "
	    "be less than --workers (when not set, it is lowered to --workers minus 1). Beyond it Watch "
	    "answers at once and asks the caller to come back (retry_after_ms).", FIELD(watch_waiters) },
};

#define N_OPTIONS (sizeof(options) / sizeof(options[0]))

static void choices_text(const config_option *o, char *buf, size_t len)
{
	size_t used = 0;
	buf[0] = '\0';
	for (int i = 0; o->choices[i] != NULL && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? "|" : "", o->choices[i]);
}

static bool set_value(batond_config *cfg, const config_option *o, const char *value,
    const char *source, char *err, size_t errlen)
{
	char *field = (char *)cfg + o->offset;
	const char *shape;

	switch (o->type) {
	case OPT_STRING:
		if (strlen(value) >= o->size) {
			snprintf(err, errlen, "%s: value for %s is too long (%zu bytes, at most %zu)",
			    source, o->name, strlen(value), o->size - 1);
			return false;
		}
		if (o->check != NULL && (shape = o->check(value)) != NULL) {
			snprintf(err, errlen, "%s: %s must be %s, not '%s'", source, o->name, shape, value);
			return false;
		}
		memcpy(field, value, strlen(value) + 1);
		return true;
	case OPT_INT: {
		char *end;
		long long v;
		errno = 0;
		v = strtoll(value, &end, 10);
		if (errno != 0 || end == value || *end != '\0' || isspace((unsigned char)value[0])) {
			snprintf(err, errlen, "%s: %s must be a whole number, not '%s'", source, o->name,
			    value);
			return false;
		}
		if (v < o->min || v > o->max) {
			snprintf(err, errlen, "%s: %s must be between %lld and %lld, not '%s'", source,
			    o->name, (long long)o->min, (long long)o->max, value);
			return false;
		}
		memcpy(field, &(int64_t){ v }, sizeof(int64_t));
		return true;
	}
	case OPT_ENUM:
		for (int64_t i = 0; o->choices[i] != NULL; i++) {
			if (strcmp(o->choices[i], value) == 0) {
				memcpy(field, &i, sizeof(int64_t));
				return true;
			}
		}
		char list[128];
		choices_text(o, list, sizeof(list));
		snprintf(err, errlen, "%s: %s must be one of %s, not '%s'", source, o->name, list, value);
		return false;
	}
	return false;
}

void config_usage(FILE *out)
{
	fprintf(out,
	    "Usage: batond [OPTION]...\n"
	    "Baton's RPC server: partners claim shifts, own tickets and escalate to leads.\n"
	    "\n"
	    "Each option can also be set by its environment variable; a flag wins over\n"
	    "the variable, the variable over the default.\n"
	    "\n");
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const config_option *o = &options[i];
		char arg[160];
		if (o->type == OPT_ENUM) {
			char list[128];
			choices_text(o, list, sizeof(list));
			snprintf(arg, sizeof(arg), "--%s=%s", o->name, list);
		} else {
			snprintf(arg, sizeof(arg), "--%s=%s", o->name, o->unit);
		}
		fprintf(out, "  %s\n      %s\n      env %s; default '%s'", arg, o->help, o->env,
		    o->default_value);
		if (o->type == OPT_INT)
			fprintf(out, "; %lld..%lld", (long long)o->min, (long long)o->max);
		fputc('\n', out);
	}
	fprintf(out,
	    "  --help\n      Print this help and exit.\n"
	    "  --version\n      Print the version and exit.\n"
	    "  --config-reference\n      Print this table as Markdown (docs/operations.md) and exit.\n"
	    "\n"
	    "Signals: SIGTERM or SIGINT drains (see --drain-ms), finishes running calls and exits 0.\n"
	    "Exit status: 0 after a clean shutdown, 1 on a start-up failure, 2 on bad options.\n");
}

void config_markdown(FILE *out)
{
	fprintf(out, "| flag | environment | default | range | meaning |\n|---|---|---|---|---|\n");
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const config_option *o = &options[i];
		char range[128] = "";
		if (o->type == OPT_INT)
			snprintf(range, sizeof(range), "%lld..%lld %s", (long long)o->min,
			    (long long)o->max, o->unit);
		else if (o->type == OPT_ENUM)
			choices_text(o, range, sizeof(range));
		if (o->default_value[0] == '\0')
			fprintf(out, "| `--%s` | `%s` | (none) | %s | %s |\n", o->name, o->env, range, o->help);
		else
			fprintf(out, "| `--%s` | `%s` | `%s` | %s | %s |\n", o->name, o->env,
			    o->default_value, range, o->help);
	}
}

/* A waiting Watch holds a worker, so at least one worker must stay free
 * for every other call: a value set too high is refused, the default is
 * lowered to fit. */
static bool watch_waiters_fit(batond_config *cfg, const bool *given, char *err, size_t errlen)
{
	size_t i = 0;

	if (cfg->watch_waiters < cfg->workers)
		return true;
	while (i < N_OPTIONS && options[i].offset != offsetof(batond_config, watch_waiters))
		i++;
	if (i < N_OPTIONS && given[i]) {
		snprintf(err, errlen,
		    "watch-waiters must be less than workers (%lld), not '%lld': each waiting Watch holds a worker, "
		    "and at least one must stay free for other calls", (long long)cfg->workers,
		    (long long)cfg->watch_waiters);
		return false;
	}
	cfg->watch_waiters = cfg->workers - 1;
	return true;
}

config_result config_load(batond_config *cfg, int argc, char **argv, FILE *out,
    char *err, size_t errlen)
{
	struct option longopts[N_OPTIONS + 4];
	char source[96];

	bool given[N_OPTIONS] = { false };

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < N_OPTIONS; i++)
		if (!set_value(cfg, &options[i], options[i].default_value, "default", err, errlen))
			return CONFIG_ERROR;
	for (size_t i = 0; i < N_OPTIONS; i++) {
		const char *v = getenv(options[i].env);
		snprintf(source, sizeof(source), "environment %s", options[i].env);
		if (v != NULL && !set_value(cfg, &options[i], v, source, err, errlen))
			return CONFIG_ERROR;
		given[i] = given[i] || v != NULL;
	}

	for (size_t i = 0; i < N_OPTIONS; i++)
		longopts[i] = (struct option){ options[i].name, required_argument, NULL, (int)i };
	longopts[N_OPTIONS] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[N_OPTIONS + 1] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[N_OPTIONS + 2] = (struct option){ "config-reference", no_argument, NULL, 'R' };
	longopts[N_OPTIONS + 3] = (struct option){ NULL, 0, NULL, 0 };

	optind = 0; /* full re-initialisation, so config_load can run more than once */
	opterr = 0;
	for (;;) {
		int longindex = -1;
		int c = getopt_long(argc, argv, ":hV", longopts, &longindex);
		if (c == -1)
			break;
		if (c == 'h') {
			config_usage(out);
			return CONFIG_EXIT_OK;
		}
		if (c == 'R') {
			config_markdown(out);
			return CONFIG_EXIT_OK;
		}
		if (c == 'V') {
			fprintf(out, "batond %s\n", BATON_VERSION);
			return CONFIG_EXIT_OK;
		}
		if (c == '?' || c == ':') {
			/* A short option is named by optopt (optind may still point
			 * inside a cluster like -xV); for a long one optopt is 0 or
			 * its table index, and the argument itself names it. */
			char shortopt[3] = { '-', (char)optopt, '\0' };
			const char *bad = isgraph(optopt) ? shortopt : argv[optind - 1];
			snprintf(err, errlen, "%s option '%s'; see batond --help",
			    c == ':' ? "missing value for" : "unknown", bad != NULL ? bad : "?");
			return CONFIG_ERROR;
		}
		snprintf(source, sizeof(source), "flag --%s", options[c].name);
		if (!set_value(cfg, &options[c], optarg, source, err, errlen))
			return CONFIG_ERROR;
		given[c] = true;
	}
	if (optind < argc) {
		snprintf(err, errlen, "unexpected argument '%s'; see batond --help", argv[optind]);
		return CONFIG_ERROR;
	}
	if (!watch_waiters_fit(cfg, given, err, errlen))
		return CONFIG_ERROR;
	if (cfg->database_url[0] == '\0') {
		snprintf(err, errlen,
		    "no database configured: set BATON_DATABASE_URL or --database-url "
		    "(`make run` starts a private PostgreSQL under var/)");
		return CONFIG_ERROR;
	}
	return CONFIG_RUN;
}
