/* batonctl.c - the command-line client: one verb per task, --help on each, --json for programs. */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "client/ctl.h"
#include "common/clock.h"
#include "common/textbuf.h"

typedef ctl_globals globals;

static const char usage_main[] =
    "Usage: batonctl [OPTIONS] VERB [ARGS]\n"
    "Talks to batond, Baton's RPC server, over its secure channel.\n"
    "\n"
    "Verbs:\n"
    "  keygen              make a key pair file for a person or integration\n"
    "  whoami              who the key speaks for, and the session\n"
    "  org add|list        organizations (the in-house one and partners)\n"
    "  principal add|list|disable\n"
    "                      people and integrations of an organization\n"
    "  key add|revoke|rotate\n"
    "                      a principal's keys\n"
    "  slot add|publish|list|show|edit|cancel\n"
    "                      shift slots: seats per queue and language, once or weekly\n"
    "  slot claim|release|claims\n"
    "                      take and give back seats; who holds which\n"
    "  swap offer|take|approve|reject|withdraw|undo|list\n"
    "                      hand a held seat to someone else\n"
    "  oncall rotation add|list, oncall override add, oncall who\n"
    "                      on-call rotation of in-house leads; who is on call when\n"
    "  coverage            seats wanted vs claimed per hour, and the gaps\n"
    "  ticket create|reply-customer|list|show|take|pass|reply|note|pending|resolve|reopen\n"
    "                      tickets: intake, the queue, single ownership, the story\n"
    "  ticket policy set|list\n"
    "                      how long an owner may leave a ticket untouched\n"
    "  ticket sla          a ticket's SLA clocks: deadlines, open time used, state\n"
    "  sla set|show|due    SLA contracts: targets per priority, business hours, holidays\n"
    "  escalate            ask the in-house lead on call to step in on a ticket\n"
    "  escalation list|show|approve|reject\n"
    "                      escalations and the leads' decisions\n"
    "  watch               follow events live; resume from a saved cursor\n"
    "  audit export|verify save the sealed audit trail to a file; check one offline\n"
    "  report              month-end figures per organization and agent: a table, --json\n"
    "                      or --csv\n"
    "  ping                round trip to the server (no database involved)\n"
    "  health              is the server serving? (exit 0 only if SERVING; needs no key)\n"
    "  info                server version, schema version, database id and clock\n"
    "\n"
    "Options (before the verb):\n"
    "  --url URL           server address (env BATON_URL; default tcp://127.0.0.1:7400)\n"
    "  --key FILE          your key file, from `batonctl keygen` (env BATON_KEY)\n"
    "  --server-key KEY    the server's public key to pin: ed25519:... or a file holding\n"
    "                      it, like batond's var/batond.key.pub (env BATON_SERVER_KEY)\n"
    "  --config FILE       settings file (env BATON_CONFIG; default\n"
    "                      ~/.config/baton/batonctl.conf if it exists) with lines\n"
    "                      url = ..., key = ..., server-key = ..., timeout-ms = ...\n"
    "  --timeout-ms MS     deadline of each call (env BATON_TIMEOUT_MS; default 5000)\n"
    "  --json              print results as one JSON object per line\n"
    "  --help              this help; `batonctl VERB --help` for a verb's\n"
    "  --version           print the version\n"
    "Flags win over environment variables, which win over the settings file.\n"
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

int ctl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "batonctl: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'batonctl --help'.\n");
	return EXIT_USAGE;
}

bool ctl_parse_int(const char *s, long long min, long long max, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

int ctl_report_failure(const globals *g, const char *verb, const baton_result *res)
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

baton_client *ctl_connect(const globals *g, const char *verb, bool need_key)
{
	baton_client_options o = { .default_timeout_ms = g->timeout_ms };
	uint8_t server_pk[BATON_PUBLIC_KEY_BYTES];
	baton_client *c = NULL;
	baton_result res;
	baton_key key;
	baton_status s;

	memset(&res, 0, sizeof(res));
	if (need_key && (g->key_file == NULL || g->server_key == NULL)) {
		res.status = BATON_UNAUTHENTICATED;
		snprintf(res.message, sizeof(res.message),
		    "%s needs a key and the server's key: give --key FILE and --server-key KEY "
		    "(or BATON_KEY / BATON_SERVER_KEY, or a --config file)", verb);
		ctl_report_failure(g, verb, &res);
		return NULL;
	}
	if (g->key_file != NULL && g->server_key != NULL) {
		s = baton_key_file_read(g->key_file, &key, res.message, sizeof(res.message));
		if (s == BATON_OK)
			s = baton_public_key_load(g->server_key, server_pk, res.message, sizeof(res.message));
		if (s != BATON_OK) {
			res.status = s;
			baton_key_wipe(&key);
			ctl_report_failure(g, verb, &res);
			return NULL;
		}
		o.key = &key;
		o.server_public_key = server_pk;
	}
	s = baton_client_open(&c, g->url, &o, &res);
	if (o.key != NULL)
		baton_key_wipe(&key);
	if (s != BATON_OK) {
		ctl_report_failure(g, verb, &res);
		return NULL;
	}
	return c;
}

int ctl_call(const globals *g, const char *verb, baton_client *c, const char *method,
    const ProtobufCMessage *msg, bool changes_state, const ProtobufCMessageDescriptor *reply_desc,
    ProtobufCMessage **reply)
{
	baton_call_options o = { .timeout_ms = g->timeout_ms, .changes_state = changes_state };
	size_t len = protobuf_c_message_get_packed_size(msg);
	uint8_t *buf = malloc(len ? len : 1);
	baton_result res;
	baton_status s;
	int rc = 0;

	*reply = NULL;
	if (buf == NULL)
		return ctl_usage_error("%s: out of memory", verb);
	protobuf_c_message_pack(msg, buf);
	for (int attempt = 1;; attempt++) {
		s = baton_call(c, method, buf, len, &o, &res);
		/* The outcome is unknown: send it again under the same request
		 * id, so the server acts at most once. */
		if (!changes_state || attempt == 3 || (s != BATON_UNAVAILABLE && s != BATON_DEADLINE_EXCEEDED))
			break;
		fprintf(stderr, "batonctl %s: %s (%s); sending again with the same request id\n", verb,
		    baton_status_str(s), res.message);
		o.has_request_id = true;
		memcpy(o.request_id, res.request_id, sizeof(o.request_id));
		baton_result_clear(&res);
	}
	free(buf);
	if (s != BATON_OK) {
		rc = ctl_report_failure(g, verb, &res);
	} else if ((*reply = protobuf_c_message_unpack(reply_desc, NULL, res.payload_len, res.payload)) == NULL) {
		res.status = BATON_INTERNAL;
		snprintf(res.message, sizeof(res.message), "the reply is not a %s", reply_desc->name);
		rc = ctl_report_failure(g, verb, &res);
	}
	baton_result_clear(&res);
	return rc;
}

int ctl_cols(const char *s, int width)
{
	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xC0) == 0x80)
			width++;
	return width;
}

void ctl_time(int64_t unix_ms, char *buf, size_t len)
{
	time_t secs = (time_t)(unix_ms / 1000);
	struct tm tm;

	if (unix_ms == 0) {
		snprintf(buf, len, "-");
		return;
	}
	gmtime_r(&secs, &tm);
	strftime(buf, len, "%Y-%m-%d %H:%MZ", &tm);
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
			if (!ctl_parse_int(optarg, 1, 1000000, &count))
				return ctl_usage_error("ping: --count must be 1..1000000, not '%s'", optarg);
			break;
		case 's':
			if (!ctl_parse_int(optarg, 0, 1048576, &size))
				return ctl_usage_error("ping: --size must be 0..1048576, not '%s'", optarg);
			break;
		case 'p':
			payload = optarg;
			break;
		case 'h':
			fputs(usage_ping, stdout);
			return 0;
		default:
			return ctl_usage_error("ping: unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ctl_usage_error("ping: unexpected argument '%s'", argv[optind]);
	if (payload != NULL && size != 0)
		return ctl_usage_error("ping: give --size or --payload, not both");
	if (payload == NULL) {
		if ((filled = malloc((size_t)size + 1)) == NULL)
			return ctl_usage_error("ping: out of memory");
		memset(filled, 'x', (size_t)size);
		filled[size] = '\0';
		payload = filled;
	}
	size_t len = strlen(payload);

	baton_client *c = ctl_connect(g, "ping", true);
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
			rc = ctl_report_failure(g, "ping", &res);
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
			return ctl_usage_error("health: unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ctl_usage_error("health: unexpected argument '%s'", argv[optind]);

	baton_client *c = ctl_connect(g, "health", false);
	if (c == NULL)
		return EXIT_RPC;
	if (baton_health_check(c, service, g->timeout_ms, &serving, &res) != BATON_OK) {
		rc = ctl_report_failure(g, "health", &res);
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
		return ctl_usage_error("info: unexpected argument '%s'", argv[1]);
	baton_client *c = ctl_connect(g, "info", true);
	if (c == NULL)
		return EXIT_RPC;
	if (baton_server_info_get(c, g->timeout_ms, &info, &res) != BATON_OK) {
		rc = ctl_report_failure(g, "info", &res);
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

/* Settings from a file, each value kept in its own buffer. */
typedef struct file_settings {
	char url[512], key[512], server_key[512], timeout[32];
} file_settings;

/*
 * Reads "name = value" lines ('#' comments, blank lines). A missing file
 * is fine only when it was not asked for (required false). Returns 0, or
 * EXIT_USAGE after saying what is wrong.
 */
static int read_settings(const char *path, bool required, file_settings *fs)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	int n = 0;

	if (f == NULL) {
		if (!required && errno == ENOENT)
			return 0;
		return ctl_usage_error("cannot read settings file %s: %s", path, strerror(errno));
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *name = line, *value, *end;
		n++;
		while (*name == ' ' || *name == '\t')
			name++;
		if (*name == '#' || *name == '\n' || *name == '\0')
			continue;
		if ((value = strchr(name, '=')) == NULL) {
			fclose(f);
			return ctl_usage_error("%s:%d: expected 'name = value'", path, n);
		}
		for (end = value; end > name && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		for (value++; *value == ' ' || *value == '\t'; value++)
			;
		for (end = value + strlen(value); end > value && (end[-1] == '\n' || end[-1] == '\r' ||
		                                                  end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		char *dst = strcmp(name, "url") == 0 ? fs->url : strcmp(name, "key") == 0 ? fs->key
		    : strcmp(name, "server-key") == 0 ? fs->server_key : strcmp(name, "timeout-ms") == 0 ? fs->timeout : NULL;
		if (dst == NULL) {
			fclose(f);
			return ctl_usage_error("%s:%d: unknown setting '%s' (url, key, server-key, timeout-ms)", path, n, name);
		}
		snprintf(dst, 512, "%s", value);
	}
	fclose(f);
	return 0;
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *v = getenv(name);
	return v != NULL && v[0] != '\0' ? v : fallback;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "url", required_argument, NULL, 'u' },
		{ "key", required_argument, NULL, 'k' },
		{ "server-key", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "timeout-ms", required_argument, NULL, 't' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static file_settings fs;
	const char *flag_url = NULL, *flag_key = NULL, *flag_server_key = NULL, *flag_timeout = NULL;
	const char *config = NULL, *timeout;
	char default_config[600];
	globals g = { .json = false };
	long long v;
	int opt, rc;

	while ((opt = getopt_long(argc, argv, "+u:k:s:c:t:jhV", longopts, NULL)) != -1) {
		switch (opt) {
		case 'u':
			flag_url = optarg;
			break;
		case 'k':
			flag_key = optarg;
			break;
		case 's':
			flag_server_key = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 't':
			flag_timeout = optarg;
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
			return ctl_usage_error("unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	/* Settings file, then environment, then flags. */
	if (config == NULL)
		config = env_or("BATON_CONFIG", NULL);
	if (config != NULL) {
		if ((rc = read_settings(config, true, &fs)) != 0)
			return rc;
	} else if (getenv("HOME") != NULL) {
		snprintf(default_config, sizeof(default_config), "%s/.config/baton/batonctl.conf", getenv("HOME"));
		if ((rc = read_settings(default_config, false, &fs)) != 0)
			return rc;
	}
	g.url = flag_url ? flag_url : env_or("BATON_URL", fs.url[0] ? fs.url : "tcp://127.0.0.1:7400");
	g.key_file = flag_key ? flag_key : env_or("BATON_KEY", fs.key[0] ? fs.key : NULL);
	g.server_key = flag_server_key ? flag_server_key : env_or("BATON_SERVER_KEY", fs.server_key[0] ? fs.server_key : NULL);
	timeout = flag_timeout ? flag_timeout : env_or("BATON_TIMEOUT_MS", fs.timeout[0] ? fs.timeout : "5000");
	if (!ctl_parse_int(timeout, 1, 3600000, &v))
		return ctl_usage_error("timeout-ms must be 1..3600000, not '%s'", timeout);
	g.timeout_ms = v;

	if (optind >= argc)
		return ctl_usage_error("no verb given");
	const char *verb = argv[optind];
	int vargc = argc - optind;
	char **vargv = argv + optind;
	static const struct {
		const char *name;
		int (*run)(const globals *, int, char **);
	} verbs[] = {
		{ "ping", cmd_ping }, { "health", cmd_health }, { "info", cmd_info },
		{ "keygen", ctl_keygen }, { "whoami", ctl_whoami }, { "org", ctl_org },
		{ "principal", ctl_principal }, { "key", ctl_key }, { "slot", ctl_slot }, { "swap", ctl_swap },
		{ "oncall", ctl_oncall }, { "coverage", ctl_coverage }, { "ticket", ctl_ticket },
		{ "watch", ctl_watch }, { "sla", ctl_sla }, { "escalate", ctl_escalate },
		{ "escalation", ctl_escalation }, { "audit", ctl_audit }, { "report", ctl_report },
	};
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verb, verbs[i].name) == 0)
			return verbs[i].run(&g, vargc, vargv);
	if (strcmp(verb, "help") == 0) {
		fputs(usage_main, stdout);
		return 0;
	}
	return ctl_usage_error("unknown verb '%s'", verb);
}
