/* batonctl.c - the command-line client: one verb per task, --help on each, --json for programs. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <baton/client.h>

#include "common/clock.h"
#include "common/textbuf.h"

#define EXIT_RPC   1 /* the call failed: status and message on stderr */
#define EXIT_USAGE 2

typedef struct globals {
	const char *url;
	int64_t     timeout_ms;
	bool        json;
} globals;

static const char usage_main[] =
    "Usage: batonctl [--url URL] [--timeout-ms MS] [--json] VERB [ARGS]\n"
    "Talks to batond, Baton's RPC server.\n"
    "\n"
    "Verbs:\n"
    "  ping      round trip to the server (no database involved)\n"
    "  health    is the server serving? (exit 0 only if SERVING)\n"
    "  info      server version, schema version, database id and clock\n"
    "\n"
    "Options (before the verb):\n"
    "  --url URL         server address (env BATON_URL; default tcp://127.0.0.1:7400)\n"
    "  --timeout-ms MS   deadline of each call (env BATON_TIMEOUT_MS; default 5000)\n"
    "  --json            print results as one JSON object per line\n"
    "  --help            this help; `batonctl VERB --help` for a verb's\n"
    "  --version         print the version\n"
    "\n"
    "Exit status: 0 on OK; 1 when a call fails (the status name and message go to\n"
    "stderr, and with --json also to stdout as {\"status\":...,\"message\":...});\n"
    "2 on bad usage.\n";

static const char usage_ping[] =
    "Usage: batonctl ping [--count N] [--size BYTES | --payload TEXT]\n"
    "Sends Ping calls one after another and prints each round-trip time.\n"
    "  --count N       how many (1..1000000; default 1)\n"
    "  --size BYTES    payload of BYTES 'x' characters (0..1048576; default 0)\n"
    "  --payload TEXT  payload to echo; the echo must match it\n";

static const char usage_health[] =
    "Usage: batonctl health [--service NAME]\n"
    "Asks /baton.v1.Health/Check; prints SERVING or NOT_SERVING.\n"
    "Exits 0 only when SERVING (usable as a container health check).\n"
    "  --service NAME  ask about one service (e.g. baton.v1.System); default: the server\n";

static const char usage_info[] =
    "Usage: batonctl info\n"
    "Prints the server's version, schema version, database id, database clock and uptime.\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "batonctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'batonctl --help'.\n");
	return EXIT_USAGE;
}

static bool parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

/* Prints a failed call and returns the exit status for it. */
static int report_failure(const globals *g, const char *verb, const baton_result *res)
{
	fprintf(stderr, "batonctl %s: %s: %s\n", verb, baton_status_str(res->status), res->message);
	if (g->json) {
		char line[1024];
		textbuf t;
		textbuf_init(&t, line, sizeof(line));
		textbuf_printf(&t, "{\"status\":\"%s\",\"message\":", baton_status_str(res->status));
		textbuf_json_str(&t, res->message);
		textbuf_putc(&t, '}');
		puts(line);
	}
	return EXIT_RPC;
}

static baton_client *connect_or_report(const globals *g, const char *verb)
{
	baton_client_options o = { .default_timeout_ms = g->timeout_ms };
	baton_client *c = NULL;
	baton_result res;

	if (baton_client_open(&c, g->url, &o, &res) != BATON_OK) {
		report_failure(g, verb, &res);
		return NULL;
	}
	return c;
}

static int cmd_ping(const globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "count", required_argument, NULL, 'c' },
		{ "size", required_argument, NULL, 's' },
		{ "payload", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long long count = 1, size = 0;
	const char *payload = NULL;
	char *filled = NULL;
	int opt, rc = 0;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+c:s:p:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'c':
			if (!parse_int(optarg, 1, 1000000, &count))
				return usage_error("ping: --count must be 1..1000000, not '%s'", optarg);
			break;
		case 's':
			if (!parse_int(optarg, 0, 1048576, &size))
				return usage_error("ping: --size must be 0..1048576, not '%s'", optarg);
			break;
		case 'p':
			payload = optarg;
			break;
		case 'h':
			fputs(usage_ping, stdout);
			return 0;
		default:
			return usage_error("ping: unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("ping: unexpected argument '%s'", argv[optind]);
	if (payload != NULL && size != 0)
		return usage_error("ping: give --size or --payload, not both");
	if (payload == NULL) {
		if ((filled = malloc((size_t)size + 1)) == NULL)
			return usage_error("ping: out of memory");
		memset(filled, 'x', (size_t)size);
		filled[size] = '\0';
		payload = filled;
	}
	size_t len = strlen(payload);

	baton_client *c = connect_or_report(g, "ping");
	if (c == NULL) {
		free(filled);
		return EXIT_RPC;
	}
	for (long long i = 0; i < count; i++) {
		baton_result res;
		uint64_t t0 = clock_monotonic_ns();
		baton_status s = baton_ping(c, payload, len, g->timeout_ms, &res);
		double ms = (double)(clock_monotonic_ns() - t0) / 1e6;
		if (s == BATON_OK && (res.payload_len != len || memcmp(res.payload, payload, len) != 0)) {
			res.status = BATON_DATA_LOSS;
			snprintf(res.message, sizeof(res.message), "the echo differs from what was sent");
		}
		if (res.status != BATON_OK) {
			rc = report_failure(g, "ping", &res);
			baton_result_clear(&res);
			break;
		}
		if (g->json)
			printf("{\"status\":\"OK\",\"seq\":%lld,\"bytes\":%zu,\"rtt_ms\":%.3f}\n", i + 1, len, ms);
		else
			printf("pong from %s: seq=%lld bytes=%zu time=%.3f ms\n", g->url, i + 1, len, ms);
		baton_result_clear(&res);
	}
	baton_client_close(c);
	free(filled);
	return rc;
}

static int cmd_health(const globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "service", required_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *service = "";
	baton_serving serving;
	baton_result res;
	int opt, rc;

	optind = 1;
	while ((opt = getopt_long(argc, argv, "+s:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			service = optarg;
			break;
		case 'h':
			fputs(usage_health, stdout);
			return 0;
		default:
			return usage_error("health: unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return usage_error("health: unexpected argument '%s'", argv[optind]);

	baton_client *c = connect_or_report(g, "health");
	if (c == NULL)
		return EXIT_RPC;
	if (baton_health_check(c, service, g->timeout_ms, &serving, &res) != BATON_OK) {
		rc = report_failure(g, "health", &res);
	} else {
		if (g->json)
			printf("{\"status\":\"OK\",\"serving\":\"%s\"}\n", baton_serving_str(serving));
		else
			printf("%s\n", baton_serving_str(serving));
		rc = serving == BATON_SERVING ? 0 : EXIT_RPC;
	}
	baton_result_clear(&res);
	baton_client_close(c);
	return rc;
}

static int cmd_info(const globals *g, int argc, char **argv)
{
	baton_server_info info;
	baton_result res;
	int rc = 0;

	if (argc > 1 && strcmp(argv[1], "--help") == 0) {
		fputs(usage_info, stdout);
		return 0;
	}
	if (argc > 1)
		return usage_error("info: unexpected argument '%s'", argv[1]);
	baton_client *c = connect_or_report(g, "info");
	if (c == NULL)
		return EXIT_RPC;
	if (baton_server_info_get(c, g->timeout_ms, &info, &res) != BATON_OK) {
		rc = report_failure(g, "info", &res);
	} else if (g->json) {
		char line[1024];
		textbuf t;
		textbuf_init(&t, line, sizeof(line));
		textbuf_puts(&t, "{\"status\":\"OK\",\"server_version\":");
		textbuf_json_str(&t, info.server_version);
		textbuf_printf(&t, ",\"schema_version\":%d,\"database_id\":", info.schema_version);
		textbuf_json_str(&t, info.database_id);
		textbuf_printf(&t, ",\"database_time_unix_ms\":%lld,\"uptime_seconds\":%lld}",
		    (long long)info.database_time_unix_ms, (long long)info.uptime_seconds);
		puts(line);
	} else {
		time_t secs = (time_t)(info.database_time_unix_ms / 1000);
		struct tm tm;
		char when[32];
		gmtime_r(&secs, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%SZ", &tm);
		printf("server version:  %s\nschema version:  %d\ndatabase id:     %s\n"
		       "database clock:  %s\nuptime:          %lld s\n",
		    info.server_version, info.schema_version, info.database_id, when,
		    (long long)info.uptime_seconds);
	}
	baton_result_clear(&res);
	baton_client_close(c);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	globals g = { .url = "tcp://127.0.0.1:7400", .timeout_ms = 5000, .json = false };
	const char *env;
	long long v;
	int opt;

	if ((env = getenv("BATON_URL")) != NULL && env[0] != '\0')
		g.url = env;
	if ((env = getenv("BATON_TIMEOUT_MS")) != NULL && env[0] != '\0') {
		if (!parse_int(env, 1, 3600000, &v))
			return usage_error("BATON_TIMEOUT_MS must be 1..3600000, not '%s'", env);
		g.timeout_ms = v;
	}
	while ((opt = getopt_long(argc, argv, "+u:t:jhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			g.url = optarg;
			break;
		case 't':
			if (!parse_int(optarg, 1, 3600000, &v))
				return usage_error("--timeout-ms must be 1..3600000, not '%s'", optarg);
			g.timeout_ms = v;
			break;
		case 'j':
			g.json = true;
			break;
		case 'h':
			fputs(usage_main, stdout);
			return 0;
		case 'V':
			puts("batonctl 0.1.0");
			return 0;
		default:
			return usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return usage_error("no verb given");
	const char *verb = argv[optind];
	int vargc = argc - optind;
	char **vargv = argv + optind;
	if (strcmp(verb, "ping") == 0)
		return cmd_ping(&g, vargc, vargv);
	if (strcmp(verb, "health") == 0)
		return cmd_health(&g, vargc, vargv);
	if (strcmp(verb, "info") == 0)
		return cmd_info(&g, vargc, vargv);
	if (strcmp(verb, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	return usage_error("unknown verb '%s'", verb);
}
