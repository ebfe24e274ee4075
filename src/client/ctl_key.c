/* ctl_key.c - batonctl verbs for key pairs: keygen, key add, key revoke, key rotate. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <baton/keys.h>

#include "baton/v1/identity.pb-c.h"
#include "client/ctl.h"
#include "common/textbuf.h"

static const char usage_keygen[] =
    "Usage: batonctl keygen --out FILE\n"
    "Writes a new Ed25519 key pair to FILE (mode 0600; never overwrites) and prints\n"
    "its public key (ed25519:...). Give the public key to an admin or your manager\n"
    "to register (`batonctl principal add ... --public-key KEY`); keep FILE secret.\n";

static const char usage_key[] =
    "Usage: batonctl key add KEY [--principal HANDLE]\n"
    "       batonctl key revoke KEY-ID|PUBLIC-KEY [--reason TEXT]\n"
    "       batonctl key rotate --out NEW-FILE\n"
    "  add     registers another key (yours unless --principal; KEY: ed25519:... or a file).\n"
    "  revoke  ends a key and its live sessions at once.\n"
    "  rotate  makes a new key pair in NEW-FILE, registers it with your current key,\n"
    "          then revokes the current key using the new one. Use NEW-FILE from then on.\n";

int ctl_keygen(const ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	char pub[BATON_PUBLIC_KEY_TEXT], why[512];
	baton_key key;
	baton_status s;
	int opt;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(usage_keygen, stdout);
			return 0;
		default:
			return ctl_usage_error("keygen: unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return ctl_usage_error("keygen: unexpected argument '%s'", argv[optind]);
	if (out == NULL)
		return ctl_usage_error("keygen: --out FILE is required");
	if (baton_key_generate(&key) != BATON_OK)
		return ctl_usage_error("keygen: libsodium could not initialise");
	s = baton_key_file_write(out, &key, "Baton key pair made by batonctl keygen", why, sizeof(why));
	baton_public_key_format(key.public_key, pub);
	baton_key_wipe(&key);
	if (s != BATON_OK) {
		fprintf(stderr, "batonctl keygen: %s: %s\n", baton_status_str(s), why);
		return EXIT_RPC;
	}
	if (g->json)
		ctl_print_json_ok("public_key", pub);
	else
		printf("%s\n", pub);
	return 0;
}

/* ---- key ------------------------------------------------------------------ */

static void print_key(const ctl_globals *g, const Baton__V1__Key *k)
{
	char line[1024];
	textbuf t;

	if (g->json) {
		textbuf_init(&t, line, sizeof(line));
		ctl_json_key(&t, k);
		puts(line);
	} else {
		ctl_print_key_line(k);
	}
}

static int key_add_as(const ctl_globals *g, baton_client *c, const char *principal, const char *pub)
{
	Baton__V1__AddKeyRequest req = BATON__V1__ADD_KEY_REQUEST__INIT;
	Baton__V1__AddKeyReply *rep;
	int rc;

	req.principal = (char *)principal;
	req.public_key = (char *)pub;
	rc = ctl_call(g, "key add", c, "/baton.v1.Identity/AddKey", &req.base, true,
	    &baton__v1__add_key_reply__descriptor, (ProtobufCMessage **)&rep);
	if (rc == 0) {
		print_key(g, rep->key);
		baton__v1__add_key_reply__free_unpacked(rep, NULL);
	}
	return rc;
}

static int key_revoke_as(const ctl_globals *g, baton_client *c, const char *key, const char *reason)
{
	Baton__V1__RevokeKeyRequest req = BATON__V1__REVOKE_KEY_REQUEST__INIT;
	Baton__V1__RevokeKeyReply *rep;
	int rc;

	req.key = (char *)key;
	req.reason = (char *)reason;
	rc = ctl_call(g, "key revoke", c, "/baton.v1.Identity/RevokeKey", &req.base, true,
	    &baton__v1__revoke_key_reply__descriptor, (ProtobufCMessage **)&rep);
	if (rc == 0) {
		print_key(g, rep->key);
		baton__v1__revoke_key_reply__free_unpacked(rep, NULL);
	}
	return rc;
}

static int key_add(const ctl_globals *g, int argc, char **argv)
{
	const char *arg = NULL, *principal = "";
	char pub[BATON_PUBLIC_KEY_TEXT];
	baton_client *c;
	int rc;

	if ((rc = ctl_one_arg_with("key add", argc, argv, "principal", &arg, &principal, usage_key)) != 0)
		return rc < 0 ? 0 : rc;
	if ((rc = ctl_public_key_arg("key add", arg, pub)) != 0)
		return rc;
	if ((c = ctl_connect(g, "key add", true)) == NULL)
		return EXIT_RPC;
	rc = key_add_as(g, c, principal, pub);
	baton_client_close(c);
	return rc;
}

static int key_revoke(const ctl_globals *g, int argc, char **argv)
{
	const char *key = NULL, *reason = "";
	baton_client *c;
	int rc;

	if ((rc = ctl_one_arg_with("key revoke", argc, argv, "reason", &key, &reason, usage_key)) != 0)
		return rc < 0 ? 0 : rc;
	if ((c = ctl_connect(g, "key revoke", true)) == NULL)
		return EXIT_RPC;
	rc = key_revoke_as(g, c, key, reason);
	baton_client_close(c);
	return rc;
}

/*
 * New key in a new file; registered with the current key; then the current
 * key is revoked through a session of the new one, which proves the new
 * key works before the old one stops.
 */
static int key_rotate(const ctl_globals *g, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	char new_pub[BATON_PUBLIC_KEY_TEXT], old_pub[BATON_PUBLIC_KEY_TEXT], why[512];
	baton_key key;
	baton_client *c;
	baton_status s;
	int opt, rc;

	optind = 0;
	while ((opt = getopt_long(argc, argv, "o:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'o':
			out = optarg;
			break;
		case 'h':
			fputs(usage_key, stdout);
			return 0;
		default:
			return ctl_usage_error("key rotate: unknown or incomplete option '%s'", argv[optind - 1]);
		}
	}
	if (out == NULL || optind < argc)
		return ctl_usage_error("key rotate: give --out NEW-FILE and nothing else");
	if (g->key_file == NULL)
		return ctl_usage_error("key rotate: give the current key with --key FILE");
	if ((s = baton_key_file_read(g->key_file, &key, why, sizeof(why))) != BATON_OK) {
		fprintf(stderr, "batonctl key rotate: %s: %s\n", baton_status_str(s), why);
		return EXIT_RPC;
	}
	baton_public_key_format(key.public_key, old_pub);
	baton_key_wipe(&key);
	if ((c = ctl_connect(g, "key rotate", true)) == NULL)
		return EXIT_RPC;
	if (baton_key_generate(&key) != BATON_OK) {
		baton_client_close(c);
		return ctl_usage_error("key rotate: libsodium could not initialise");
	}
	s = baton_key_file_write(out, &key, "Baton key pair made by batonctl key rotate", why, sizeof(why));
	baton_public_key_format(key.public_key, new_pub);
	baton_key_wipe(&key);
	if (s != BATON_OK) {
		baton_client_close(c);
		fprintf(stderr, "batonctl key rotate: %s: %s\n", baton_status_str(s), why);
		return EXIT_RPC;
	}
	rc = key_add_as(g, c, "", new_pub);
	baton_client_close(c);
	if (rc != 0) {
		fprintf(stderr, "batonctl key rotate: the new key in %s was not registered; the current key "
		                "still works\n", out);
		return rc;
	}
	ctl_globals with_new = *g;
	with_new.key_file = out;
	if ((c = ctl_connect(&with_new, "key rotate", true)) == NULL)
		return EXIT_RPC;
	rc = key_revoke_as(&with_new, c, old_pub, "rotated");
	baton_client_close(c);
	if (rc != 0) {
		fprintf(stderr, "batonctl key rotate: the new key works but the old one (%s) is still valid; "
		                "revoke it with `batonctl --key %s key revoke %s`\n", old_pub, out, old_pub);
		return rc;
	}
	if (!g->json)
		printf("rotated: use %s from now on (%s); the old key is revoked\n", out, new_pub);
	return 0;
}

int ctl_key(const ctl_globals *g, int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		fputs(usage_key, argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_USAGE : 0;
	}
	if (strcmp(argv[1], "add") == 0)
		return key_add(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "revoke") == 0)
		return key_revoke(g, argc - 1, argv + 1);
	if (strcmp(argv[1], "rotate") == 0)
		return key_rotate(g, argc - 1, argv + 1);
	return ctl_usage_error("key: unknown action '%s' (add, revoke, rotate)", argv[1]);
}
