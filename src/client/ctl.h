/* ctl.h - what batonctl's verb files share: global options, connecting, calling, reporting. */
#ifndef BATON_CLIENT_CTL_H
#define BATON_CLIENT_CTL_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include <baton/client.h>
#include <baton/keys.h>

#include "baton/v1/identity.pb-c.h"
#include "common/textbuf.h"

#define EXIT_RPC   1 /* the call failed: status and message on stderr */
#define EXIT_USAGE 2

typedef struct ctl_globals {
	const char *url;
	const char *key_file;   /* the principal's key file; NULL: none */
	const char *server_key; /* printable key or a file holding it; NULL: none */
	int64_t     timeout_ms;
	bool        json;
} ctl_globals;

/* Prints "batonctl: ..." and a hint to stderr; returns EXIT_USAGE. */
int ctl_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

bool ctl_parse_int(const char *s, long long min, long long max, long long *out);

/* Prints a failed call (stderr; with --json also a JSON line on stdout);
 * returns EXIT_RPC. */
int ctl_report_failure(const ctl_globals *g, const char *verb, const baton_result *res);

/* Opens a client; with need_key, a key and a server key must be
 * configured. NULL after reporting why. */
baton_client *ctl_connect(const ctl_globals *g, const char *verb, bool need_key);

/*
 * Calls method with msg and unpacks the reply as reply_desc into *reply
 * (caller frees with protobuf_c_message_free_unpacked). A state-changing
 * call is signed, and when its outcome is unknown (connection lost, no
 * reply in time) it is sent again with the same request id, which the
 * server answers at most once. Returns 0, or the exit status after
 * reporting the failure.
 */
int ctl_call(const ctl_globals *g, const char *verb, baton_client *c, const char *method,
    const ProtobufCMessage *msg, bool changes_state, const ProtobufCMessageDescriptor *reply_desc,
    ProtobufCMessage **reply);

/* Formats ms since the epoch as "2026-11-22 21:05Z" ("-" for 0). */
void ctl_time(int64_t unix_ms, char *buf, size_t len);

/* Shared printing and argument helpers (ctl_identity.c). */
void ctl_json_key(textbuf *t, const Baton__V1__Key *k);
void ctl_print_key_line(const Baton__V1__Key *k);
void ctl_print_json_ok(const char *key, const char *value);
/* A public key given as text or as a file holding it, as printable text
 * (out: BATON_PUBLIC_KEY_TEXT bytes); 0 or EXIT_USAGE after saying why. */
int ctl_public_key_arg(const char *verb, const char *arg, char out[BATON_PUBLIC_KEY_TEXT]);
/* Parses "ARG [--flag VALUE]"; 0, -1 after printing usage for --help, or
 * EXIT_USAGE. */
int ctl_one_arg_with(const char *verb, int argc, char **argv, const char *flag, const char **arg,
    const char **value, const char *usage);

/* Verbs (ctl_identity.c, ctl_key.c). argv[0] is the verb. */
int ctl_keygen(const ctl_globals *g, int argc, char **argv);
int ctl_whoami(const ctl_globals *g, int argc, char **argv);
int ctl_org(const ctl_globals *g, int argc, char **argv);
int ctl_principal(const ctl_globals *g, int argc, char **argv);
int ctl_key(const ctl_globals *g, int argc, char **argv);

#endif
