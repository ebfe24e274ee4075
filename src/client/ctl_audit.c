/* ctl_audit.c - batonctl audit export|verify: the sealed audit trail saved to a file, and checked offline against the server key. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "client/ctl.h"
#include "client/ctl_sla.h"
#include "common/audit_verify.h"
#include "common/textbuf.h"

#define EXPORT_PAGE_EVENTS 1000
#define EXIT_TAMPERED      1

static const char usage_audit[] =
    "Usage: batonctl audit export [-o FILE]\n"
    "       batonctl audit verify FILE [--server-key PUBFILE]\n"
    "The audit trail: every event in commit order, chained by hash behind the writes,\n"
    "with checkpoints batond signs (docs/audit.md).\n"
    "  export   saves the whole chain, its checkpoints and every registered key to a file\n"
    "           (in-house leads and admins)\n"
    "  verify   checks a saved export offline and names the first bad event\n";

static const char usage_export[] =
    "Usage: batonctl audit export [-o FILE]\n"
    "Saves every sealed event, every checkpoint and every registered key, page by page,\n"
    "to FILE (mode 0600, replaced atomically). In-house leads and admins only.\n"
    "Prints how many events, checkpoints and keys it wrote, and how many events were\n"
    "written but not sealed yet (they are sealed within a maintenance interval; export\n"
    "again later to include them).\n"
    "  -o, --out FILE   where to write (default: baton-audit-<UTC time>.export here)\n";

static const char usage_verify[] =
    "Usage: batonctl audit verify FILE [--server-key PUBFILE]\n"
    "Checks an export offline, without asking the server anything:\n"
    "  - the chain runs seq 1, 2, ... with no gap and no event missing (deleted);\n"
    "  - each event's hash is the hash of the one before it and of every field of the\n"
    "    event (altered, reordered or removed rows change it);\n"
    "  - each checkpoint matches the chain at its seq and is signed by the server key;\n"
    "  - each actor signature verifies against the key registered for it, valid at\n"
    "    the event's time.\n"
    "Prints what it checked and exits 0; at the first bad event it names it and exits 1.\n"
    "Exits 2 for a file that cannot be read or is not a whole export.\n"
    "  --server-key PUBFILE  the server's public key (ed25519:... or a file holding it);\n"
    "                        default: the one batonctl pins (--server-key before the verb,\n"
    "                        BATON_SERVER_KEY or the settings file)\n";

/* ---- export ---------------------------------------------------------------------- */

typedef struct export_counts {
	long long events, checkpoints, keys, pages, sealed_seq, unsealed;
} export_counts;

/* Writes one page: its length, then the message. */
static int page_write(ctl_file *f, const ProtobufCMessage *page)
{
	size_t len = protobuf_c_message_get_packed_size(page);
	uint8_t head[4] = { (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8), (uint8_t)len };
	uint8_t *buf;
	int rc;

	if (len > AUDIT_EXPORT_PAGE_MAX || (buf = malloc(len ? len : 1)) == NULL) {
		fprintf(stderr, "batonctl audit export: a page of %zu bytes is too big to save\n", len);
		ctl_file_discard(f);
		return EXIT_RPC;
	}
	protobuf_c_message_pack(page, buf);
	if ((rc = ctl_file_write(f, head, sizeof(head))) == 0)
		rc = ctl_file_write(f, buf, len);
	free(buf);
	return rc;
}

/* Asks for every page after seq 0 and writes each to f. */
static int export_pages(const ctl_globals *g, baton_client *c, ctl_file *f, export_counts *n)
{
	int64_t after = 0;
	int rc;

	for (;;) {
		Baton__V1__ExportAuditRequest req = BATON__V1__EXPORT_AUDIT_REQUEST__INIT;
		Baton__V1__ExportAuditReply *rep = NULL;

		req.after_seq = after;
		req.max_events = EXPORT_PAGE_EVENTS;
		if ((rc = ctl_call(g, "audit export", c, "/baton.v1.Audit/ExportAudit", &req.base, false,
		         &baton__v1__export_audit_reply__descriptor, (ProtobufCMessage **)&rep)) != 0) {
			ctl_file_discard(f);
			return rc;
		}
		rc = page_write(f, &rep->base);
		n->pages++;
		n->events += (long long)rep->n_events;
		n->checkpoints += (long long)rep->n_checkpoints;
		n->keys += (long long)rep->n_keys;
		n->sealed_seq = rep->sealed_seq;
		n->unsealed = rep->unsealed_events;
		bool more = rep->more;
		int64_t last = rep->n_events > 0 ? rep->events[rep->n_events - 1]->seq : after;
		baton__v1__export_audit_reply__free_unpacked(rep, NULL);
		if (rc != 0 || !more)
			return rc;
		/* Never ask for the same page twice. */
		if (last <= after) {
			fprintf(stderr, "batonctl audit export: the server says more follows seq %lld but sent nothing "
			                "after it\n", (long long)after);
			ctl_file_discard(f);
			return EXIT_RPC;
		}
		after = last;
	}
}

static int audit_export(const ctl_globals *g, int argc, char **argv)
{
	const char *out = NULL;
	const ctl_flag flags[] = { { "out", &out, NULL } };
	export_counts n = { 0 };
	char default_out[64];
	baton_client *c;
	ctl_file f;
	int rc;

	/* "-o FILE" is "--out FILE". */
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "-o") == 0)
			argv[i] = (char *)"--out";
	if ((rc = ctl_flags_parse("audit export", argc, argv, flags, 1, usage_export, NULL, NULL)) != 0)
		return rc < 0 ? 0 : rc;
	if (out == NULL) {
		time_t now = time(NULL);
		struct tm tm;
		gmtime_r(&now, &tm);
		strftime(default_out, sizeof(default_out), "baton-audit-%Y%m%dT%H%M%SZ.export", &tm);
		out = default_out;
	}
	if ((c = ctl_connect(g, "audit export", true)) == NULL)
		return EXIT_RPC;
	if ((rc = ctl_file_begin(&f, "audit export", out)) == 0 &&
	    (rc = ctl_file_write(&f, AUDIT_EXPORT_MAGIC, AUDIT_EXPORT_MAGIC_LEN)) == 0 &&
	    (rc = export_pages(g, c, &f, &n)) == 0)
		rc = ctl_file_commit(&f);
	baton_client_close(c);
	if (rc != 0)
		return rc;
	if (g->json) {
		textbuf t;
		ctl_out_begin(&t);
		textbuf_puts(&t, "{\"status\":\"OK\",\"file\":");
		textbuf_json_str(&t, out);
		textbuf_printf(&t, ",\"events\":%lld,\"checkpoints\":%lld,\"keys\":%lld,\"pages\":%lld,\"sealed_seq\":%lld,"
		                   "\"unsealed_events\":%lld}", n.events, n.checkpoints, n.keys, n.pages, n.sealed_seq,
		    n.unsealed);
		ctl_out_end(&t);
	} else {
		printf("wrote %s: %lld events, %lld checkpoints, %lld keys (%lld pages)\n", out, n.events, n.checkpoints,
		    n.keys, n.pages);
		if (n.unsealed > 0)
			printf("%lld events were written but not sealed yet; they are not in this export (export again "
			       "after the next maintenance pass)\n", n.unsealed);
		else
			printf("every event was sealed\n");
	}
	return 0;
}

/* ---- verify ---------------------------------------------------------------------- */

/* A file that cannot be read or is not a whole export: says why; exit 2. */
static int file_refused(const ctl_globals *g, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int file_refused(const ctl_globals *g, const char *path, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "batonctl audit verify: %s: %s\n", path, why);
	if (g->json) {
		textbuf t;
		ctl_out_begin(&t);
		textbuf_puts(&t, "{\"status\":\"INVALID_ARGUMENT\",\"message\":");
		textbuf_json_str(&t, why);
		textbuf_putc(&t, '}');
		ctl_out_end(&t);
	}
	return EXIT_USAGE;
}

/* What was checked (rc 0), or the first problem and what verified before it (rc 1). */
static void report(const ctl_globals *g, const char *path, const char *server_pk_text, const audit_verify_result *r,
    int rc)
{
	long long uncovered = (long long)(r->last_seq - r->last_checkpoint_seq);
	char at[40], hex[2 * AUDIT_HASH_BYTES + 1];
	textbuf t;

	sodium_bin2hex(hex, sizeof(hex), r->last_checkpoint_hash, sizeof(r->last_checkpoint_hash));
	ctl_time_iso(r->last_checkpoint_at_us / 1000, at, sizeof(at));
	if (rc != 0)
		fprintf(stderr, "batonctl audit verify: %s: %s\n(before it: %lld events and %lld checkpoints verified)\n",
		    path, r->message, r->events, r->checkpoints);
	if (g->json) {
		ctl_out_begin(&t);
		textbuf_printf(&t, "{\"status\":\"%s\"", rc == 0 ? "OK" : "TAMPERED");
		if (rc != 0) {
			textbuf_printf(&t, ",\"bad_seq\":%lld,\"bad_event_id\":%lld,\"message\":", (long long)r->bad_seq,
			    (long long)r->bad_event_id);
			textbuf_json_str(&t, r->message);
		}
		textbuf_puts(&t, ",\"file\":");
		textbuf_json_str(&t, path);
		textbuf_printf(&t, ",\"pages\":%lld,\"events\":%lld,\"last_seq\":%lld,\"signed_events\":%lld,\"keys\":%zu,"
		                   "\"checkpoints\":%lld,\"last_checkpoint_seq\":%lld,\"last_checkpoint_hash\":\"%s\","
		                   "\"uncovered_events\":%lld,\"unsealed_events\":%lld,\"server_key\":\"%s\"}",
		    r->pages, r->events, (long long)r->last_seq, r->signed_events, r->keys, r->checkpoints,
		    (long long)r->last_checkpoint_seq, r->checkpoints ? hex : "", uncovered, r->unsealed_events,
		    server_pk_text);
		ctl_out_end(&t);
		return;
	}
	if (rc != 0)
		return;
	printf("%s: the audit trail verifies\n", path);
	printf("  chain:        %lld events, seq 1..%lld, every hash matches, none missing\n", r->events,
	    (long long)r->last_seq);
	printf("  signatures:   %lld actor signatures verified against %zu registered keys\n", r->signed_events,
	    r->keys);
	printf("  checkpoints:  %lld, each matching the chain and signed by %s\n", r->checkpoints, server_pk_text);
	if (r->checkpoints > 0)
		printf("  last checkpoint: seq %lld at %s, hash %s\n", (long long)r->last_checkpoint_seq, at, hex);
	if (uncovered > 0)
		printf("  not covered by a checkpoint yet: %lld events (seq %lld..%lld)\n", uncovered,
		    (long long)r->last_checkpoint_seq + 1, (long long)r->last_seq);
	if (r->unsealed_events > 0)
		printf("  not sealed when exported (not in this file): %lld events\n", r->unsealed_events);
}

static int audit_verify(const ctl_globals *g, int argc, char **argv)
{
	const char *key = NULL, *path = NULL;
	const ctl_flag flags[] = { { "server-key", &key, NULL } };
	uint8_t server_pk[AUDIT_PK_BYTES];
	char msg[512], server_pk_text[BATON_PUBLIC_KEY_TEXT];
	audit_verify_result r;
	FILE *f;
	int rc;

	if ((rc = ctl_flags_parse("audit verify", argc, argv, flags, 1, usage_verify, "FILE", &path)) != 0)
		return rc < 0 ? 0 : rc;
	if (key == NULL && (key = g->server_key) == NULL)
		return ctl_usage_error("audit verify: give --server-key PUBFILE (or pin the server key with --server-key "
		                       "before the verb, BATON_SERVER_KEY or the settings file)");
	if (baton_public_key_load(key, server_pk, msg, sizeof(msg)) != BATON_OK)
		return ctl_usage_error("audit verify: --server-key: %s", msg);
	baton_public_key_format(server_pk, server_pk_text);
	if ((f = fopen(path, "rb")) == NULL)
		return file_refused(g, path, "cannot read it: %s", strerror(errno));
	rc = audit_verify_stream(f, server_pk, &r);
	fclose(f);
	if (rc == AUDIT_VERIFY_REFUSED)
		return file_refused(g, path, "%s", r.message);
	report(g, path, server_pk_text, &r, rc);
	return rc == AUDIT_VERIFY_OK ? 0 : EXIT_TAMPERED;
}

int ctl_audit(const ctl_globals *g, int argc, char **argv)
{
	static const ctl_action actions[] = { { "export", audit_export }, { "verify", audit_verify } };

	return ctl_action_run(g, "audit", actions, sizeof(actions) / sizeof(actions[0]), usage_audit, argc, argv);
}
