/* ctl_identity.c - batonctl verbs for the registry: whoami, org, principal; shared printing. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <baton/keys.h>

#include "baton/v1/identity.pb-c.h"
#include "client/ctl.h"
#include "common/textbuf.h"

static const char usage_whoami[] =
    "Usage: batonctl whoami\n"
    "Opens a session with your key and prints who it speaks for.\n";

static const char usage_org[] =
    "Usage: batonctl org add NAME --kind KIND --languages TAGS --time-zone TZ\n"
    "       batonctl org list\n"
    "  add    (admin) registers a partner organization. KIND: after_hours, seasonal,\n"
    "         language or overflow. TAGS: BCP 47 language tags, comma-separated\n"
    "         (pl,en). TZ: IANA time zone (Europe/Warsaw).\n"
    "  list   the organizations you may see (partners see only their own).\n";

static const char usage_principal[] =
    "Usage: batonctl principal add HANDLE --org ORG --role ROLE [--name TEXT] [--public-key KEY]\n"
    "       batonctl principal list [--org ORG] [--all]\n"
    "       batonctl principal disable HANDLE [--reason TEXT]\n"
    "  add      (admin; a manager for their own organization, agents and managers)\n"
    "           ROLE: agent, manager, or in-house only: lead, admin, integration.\n"
    "           KEY: the person's public key (ed25519:... or a .pub/key file).\n"
    "  list     people you may see, with their keys; --all includes disabled ones.\n"
    "  disable  (admin; a manager for their own organization) ends their sessions.\n";

/* Handles --help and rejects options for verbs that take none. */
static bool wants_help(int argc, char **argv, const char *usage)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return true;
		}
	return false;
}

void ctl_print_json_ok(const char *key, const char *value)
{
	char line[1024];
	textbuf t;

	textbuf_init(&t, line, sizeof(line));
	textbuf_printf(&t, "{\"status\":\"OK\",\"%s\":", key);
	textbuf_json_str(&t, value);
	textbuf_putc(&t, '}');
	puts(line);
}

/* ---- printing ------------------------------------------------------------ */

static void json_org(textbuf *t, const Baton__V1__Org *o)
{
	textbuf_puts(t, "{\"id\":");
	textbuf_json_str(t, o->id);
	textbuf_puts(t, ",\"name\":");
	textbuf_json_str(t, o->name);
	textbuf_puts(t, ",\"kind\":");
	textbuf_json_str(t, o->kind);
	textbuf_puts(t, ",\"languages\":[");
	for (size_t i = 0; i < o->n_languages; i++) {
		if (i)
			textbuf_putc(t, ',');
		textbuf_json_str(t, o->languages[i]);
	}
	textbuf_puts(t, "],\"time_zone\":");
	textbuf_json_str(t, o->time_zone);
	textbuf_printf(t, ",\"created_unix_ms\":%lld}", (long long)o->created_unix_ms);
}

static void print_orgs(const ctl_globals *g, Baton__V1__Org *const *orgs, size_t n)
{
	char line[4096];
	textbuf t;

	if (!g->json)
		printf("%-24s %-12s %-16s %-22s %s\n", "NAME", "KIND", "LANGUAGES", "TIME ZONE", "ID");
	for (size_t i = 0; i < n; i++) {
		const Baton__V1__Org *o = orgs[i];
		textbuf_init(&t, line, sizeof(line));
		if (g->json) {
			json_org(&t, o);
			puts(line);
			continue;
		}
		for (size_t k = 0; k < o->n_languages; k++)
			textbuf_printf(&t, "%s%s", k ? "," : "", o->languages[k]);
		printf("%-24s %-12s %-16s %-22s %s\n", o->name, o->kind, o->n_languages ? line : "-",
		    o->time_zone, o->id);
	}
}

void ctl_json_key(textbuf *t, const Baton__V1__Key *k)
{
	textbuf_puts(t, "{\"id\":");
	textbuf_json_str(t, k->id);
	textbuf_puts(t, ",\"public_key\":");
	textbuf_json_str(t, k->public_key);
	textbuf_printf(t, ",\"created_unix_ms\":%lld,\"revoked_unix_ms\":%lld,\"revoked_reason\":",
	    (long long)k->created_unix_ms, (long long)k->revoked_unix_ms);
	textbuf_json_str(t, k->revoked_reason);
	textbuf_putc(t, '}');
}

void ctl_print_key_line(const Baton__V1__Key *k)
{
	char when[32];

	ctl_time(k->revoked_unix_ms, when, sizeof(when));
	printf("    key %s  %s%s%s\n", k->id, k->public_key, k->revoked_unix_ms ? "  revoked " : "",
	    k->revoked_unix_ms ? when : "");
}

static void print_principals(const ctl_globals *g, Baton__V1__Principal *const *ps, size_t n)
{
	char line[16384];
	textbuf t;

	if (!g->json)
		printf("%-24s %-12s %-20s %-28s %s\n", "HANDLE", "ROLE", "ORGANIZATION", "NAME", "STATE");
	for (size_t i = 0; i < n; i++) {
		const Baton__V1__Principal *p = ps[i];
		if (g->json) {
			textbuf_init(&t, line, sizeof(line));
			textbuf_puts(&t, "{\"id\":");
			textbuf_json_str(&t, p->id);
			textbuf_puts(&t, ",\"handle\":");
			textbuf_json_str(&t, p->handle);
			textbuf_puts(&t, ",\"display_name\":");
			textbuf_json_str(&t, p->display_name);
			textbuf_puts(&t, ",\"role\":");
			textbuf_json_str(&t, p->role);
			textbuf_puts(&t, ",\"org_id\":");
			textbuf_json_str(&t, p->org_id);
			textbuf_puts(&t, ",\"org_name\":");
			textbuf_json_str(&t, p->org_name);
			textbuf_printf(&t, ",\"disabled_unix_ms\":%lld,\"keys\":[", (long long)p->disabled_unix_ms);
			for (size_t k = 0; k < p->n_keys; k++) {
				if (k)
					textbuf_putc(&t, ',');
				ctl_json_key(&t, p->keys[k]);
			}
			textbuf_puts(&t, "]}");
			puts(line);
			continue;
		}
		printf("%-24s %-12s %-20s %-*s %s\n", p->handle, p->role, p->org_name, ctl_cols(p->display_name, 28),
		    p->display_name, p->disabled_unix_ms ? "disabled" : "enabled");
		for (size_t k = 0; k < p->n_keys; k++)
			ctl_print_key_line(p->keys[k]);
	}
}

/* ---- whoami --------------------------------------------------------------- */

int ctl_whoami(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__WhoamiRequest req = BATON__V1__WHOAMI_REQUEST__INIT;
	Baton__V1__WhoamiReply *rep;
	baton_client *c;
	int rc;

	if (wants_help(argc, argv, usage_whoami))
		return 0;
	if (argc > 1)
		return ctl_usage_error("whoami: unexpected argument '%s'", argv[1]);
	if ((c = ctl_connect(g, "whoami", true)) == NULL)
		return EXIT_RPC;
	rc = ctl_call(g, "whoami", c, "/baton.v1.Identity/WhoAmI", &req.base, false,
	    &baton__v1__whoami_reply__descriptor, (ProtobufCMessage **)&rep);
	if (rc == 0) {
		char when[32];
		ctl_time(rep->session_expires_unix_ms, when, sizeof(when));
		if (g->json) {
			print_principals(g, &rep->principal, 1);
		} else {
			printf("%s (%s), %s of %s\nkey %s; session until %s\n", rep->principal->handle,
			    rep->principal->display_name, rep->principal->role, rep->principal->org_name,
			    rep->key_id, when);
		}
		baton__v1__whoami_reply__free_unpacked(rep, NULL);
	}
	baton_client_close(c);
	return rc;
}

/* ---- org ------------------------------------------------------------------ */

/* Splits "pl,en" in place into tags[0..*n). */
static int split_tags(char *s, char **tags, size_t max, size_t *n)
{
	char *save = NULL;

	*n = 0;
	for (char *t = strtok_r(s, ", ", &save); t != NULL; t = strtok_r(NULL, ", ", &save)) {
		if (*n == max)
			return ctl_usage_error("org add: at most %zu languages", max);
		tags[(*n)++] = t;
	}
	return 0;
}

static int org_add(const ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "kind", required_argument, NULL, 'k' },
		{ "languages", required_argument, NULL, 'l' },
		{ "time-zone", required_argument, NULL, 'z' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Baton__V1__AddOrgRequest req = BATON__V1__ADD_ORG_REQUEST__INIT;
	Baton__V1__AddOrgReply *rep;
	char langs[512] = "", *tags[32];
	baton_client *c;
	int opt, rc;

	optind = 0;
	req.kind = "";
	req.time_zone = "";
	while ((opt = getopt_long(argc, argv, "k:l:z:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'k':
			req.kind = optarg;
			break;
		case 'l':
			snprintf(langs, sizeof(langs), "%s", optarg);
			break;
		case 'z':
			req.time_zone = optarg;
			break;
		case 'h':
			fputs(usage_org, stdout);
			return 0;
		default:
			return ctl_usage_error("org add: unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return ctl_usage_error("org add: give exactly one NAME");
	if (req.kind[0] == '\0' || req.time_zone[0] == '\0')
		return ctl_usage_error("org add: --kind and --time-zone are required");
	req.name = argv[optind];
	req.languages = tags;
	if ((rc = split_tags(langs, tags, 32, &req.n_languages)) != 0)
		return rc;
	if ((c = ctl_connect(g, "org add", true)) == NULL)
		return EXIT_RPC;
	rc = ctl_call(g, "org add", c, "/baton.v1.Identity/AddOrg", &req.base, true,
	    &baton__v1__add_org_reply__descriptor, (ProtobufCMessage **)&rep);
	if (rc == 0) {
		print_orgs(g, &rep->org, 1);
		baton__v1__add_org_reply__free_unpacked(rep, NULL);
	}
	baton_client_close(c);
	return rc;
}

static int org_list(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__ListOrgsRequest req = BATON__V1__LIST_ORGS_REQUEST__INIT;
	Baton__V1__ListOrgsReply *rep;
	baton_client *c;
	int rc;

	if (argc > 1)
		return ctl_usage_error("org list: unexpected argument '%s'", argv[1]);
	if ((c = ctl_connect(g, "org list", true)) == NULL)
		return EXIT_RPC;
	rc = ctl_call(g, "org list", c, "/baton.v1.Identity/ListOrgs", &req.base, false,
	    &baton__v1__list_orgs_reply__descriptor, (ProtobufCMessage **)&rep);
	if (rc == 0) {
		print_orgs(g, rep->orgs, rep->n_orgs);
		baton__v1__list_orgs_reply__free_unpacked(rep, NULL);
	}
	baton_client_close(c);
	return rc;
}

int ctl_org(const ctl_globals *g, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_org, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "add") == 0)
		return org_add(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return wants_help(argc - 1, argv + 1, usage_org) ? 0 : org_list(g, argc - 1, argv + 1);
	return ctl_usage_error("org: unknown action '%s' (add, list)", argv[1]);
}

/* ---- principal ------------------------------------------------------------ */

/* A public key given as text or as a file holding it, as printable text. */
int ctl_public_key_arg(const char *verb, const char *arg, char out[BATON_PUBLIC_KEY_TEXT])
{
	uint8_t pk[BATON_PUBLIC_KEY_BYTES];
	char why[512];

	if (baton_public_key_load(arg, pk, why, sizeof(why)) != BATON_OK)
		return ctl_usage_error("%s: %s", verb, why);
	baton_public_key_format(pk, out);
	return 0;
}

static int principal_add(const ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "role", required_argument, NULL, 'r' },
		{ "name", required_argument, NULL, 'n' },
		{ "public-key", required_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Baton__V1__AddPrincipalRequest req = BATON__V1__ADD_PRINCIPAL_REQUEST__INIT;
	Baton__V1__AddPrincipalReply *rep;
	char pub[BATON_PUBLIC_KEY_TEXT] = "";
	baton_client *c;
	int opt, rc;

	optind = 0;
	req.org = req.role = req.display_name = "";
	while ((opt = getopt_long(argc, argv, "o:r:n:k:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			req.org = optarg;
			break;
		case 'r':
			req.role = optarg;
			break;
		case 'n':
			req.display_name = optarg;
			break;
		case 'k':
			if ((rc = ctl_public_key_arg("principal add", optarg, pub)) != 0)
				return rc;
			break;
		case 'h':
			fputs(usage_principal, stdout);
			return 0;
		default:
			return ctl_usage_error("principal add: unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return ctl_usage_error("principal add: give exactly one HANDLE");
	if (req.org[0] == '\0' || req.role[0] == '\0')
		return ctl_usage_error("principal add: --org and --role are required");
	req.handle = argv[optind];
	if (req.display_name[0] == '\0')
		req.display_name = req.handle;
	req.public_key = pub;
	if ((c = ctl_connect(g, "principal add", true)) == NULL)
		return EXIT_RPC;
	rc = ctl_call(g, "principal add", c, "/baton.v1.Identity/AddPrincipal", &req.base, true,
	    &baton__v1__add_principal_reply__descriptor, (ProtobufCMessage **)&rep);
	if (rc == 0) {
		print_principals(g, &rep->principal, 1);
		baton__v1__add_principal_reply__free_unpacked(rep, NULL);
	}
	baton_client_close(c);
	return rc;
}

static int principal_list(const ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "org", required_argument, NULL, 'o' },
		{ "all", no_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	Baton__V1__ListPrincipalsRequest req = BATON__V1__LIST_PRINCIPALS_REQUEST__INIT;
	Baton__V1__ListPrincipalsReply *rep;
	baton_client *c;
	int opt, rc;

	optind = 0;
	req.org = "";
	while ((opt = getopt_long(argc, argv, "o:ah", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			req.org = optarg;
			break;
		case 'a':
			req.include_disabled = true;
			break;
		case 'h':
			fputs(usage_principal, stdout);
			return 0;
		default:
			return ctl_usage_error("principal list: unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ctl_usage_error("principal list: unexpected argument '%s'", argv[optind]);
	if ((c = ctl_connect(g, "principal list", true)) == NULL)
		return EXIT_RPC;
	rc = ctl_call(g, "principal list", c, "/baton.v1.Identity/ListPrincipals", &req.base, false,
	    &baton__v1__list_principals_reply__descriptor, (ProtobufCMessage **)&rep);
	if (rc == 0) {
		print_principals(g, rep->principals, rep->n_principals);
		baton__v1__list_principals_reply__free_unpacked(rep, NULL);
	}
	baton_client_close(c);
	return rc;
}

/* Parses "ARG [--reason TEXT]" or "ARG [--principal HANDLE]" shapes. */
int ctl_one_arg_with(const char *verb, int argc, char **argv, const char *flag, const char **arg,
    const char **value, const char *usage)
{
	const struct option longopts[] = {
		{ flag, required_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "v:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'v':
			*value = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return -1;
		default:
			return ctl_usage_error("%s: unknown or incomplete option '%s'", verb, argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return ctl_usage_error("%s: give exactly one argument", verb);
	*arg = argv[optind];
	return 0;
}

static int principal_disable(const ctl_globals *g, int argc, char **argv)
{
	Baton__V1__DisablePrincipalRequest req = BATON__V1__DISABLE_PRINCIPAL_REQUEST__INIT;
	Baton__V1__DisablePrincipalReply *rep;
	const char *handle = NULL, *reason = "";
	baton_client *c;
	int rc;

	if ((rc = ctl_one_arg_with("principal disable", argc, argv, "reason", &handle, &reason, usage_principal)) != 0)
		return rc < 0 ? 0 : rc;
	req.principal = (char *)handle;
	req.reason = (char *)reason;
	if ((c = ctl_connect(g, "principal disable", true)) == NULL)
		return EXIT_RPC;
	rc = ctl_call(g, "principal disable", c, "/baton.v1.Identity/DisablePrincipal", &req.base, true,
	    &baton__v1__disable_principal_reply__descriptor, (ProtobufCMessage **)&rep);
	if (rc == 0) {
		print_principals(g, &rep->principal, 1);
		baton__v1__disable_principal_reply__free_unpacked(rep, NULL);
	}
	baton_client_close(c);
	return rc;
}

int ctl_principal(const ctl_globals *g, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_principal, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "add") == 0)
		return principal_add(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "list") == 0)
		return principal_list(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "disable") == 0)
		return principal_disable(g, argc - 1, argv + 1);
	return ctl_usage_error("principal: unknown action '%s' (add, list, disable)", argv[1]);
}
