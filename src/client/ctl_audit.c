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
#include "common/audit.h"
#include "common/chan.h"
#include "common/textbuf.h"

/* The export file (docs/protocol.md, "Audit export file"): the magic, then
 * pages, each a u32 big-endian length and that many bytes of an
 * ExportAuditReply, in the order the server sent them. */
static const char AUDIT_MAGIC[] = "BATONAUDIT1\n";
#define AUDIT_MAGIC_LEN   (sizeof(AUDIT_MAGIC) - 1)
#define PAGE_MAX_BYTES    (64u << 20) /* a page the server could never send (its replies are smaller) */
#define EXPORT_PAGE_EVENTS 1000
#define EXIT_TAMPERED     1

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

	if (len > PAGE_MAX_BYTES || (buf = malloc(len ? len : 1)) == NULL) {
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
	    (rc = ctl_file_write(&f, AUDIT_MAGIC, AUDIT_MAGIC_LEN)) == 0 &&
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

/* ---- verify: reading the file ---------------------------------------------------- */

typedef struct verifier {
	const ctl_globals *g;
	const char        *path;
	FILE              *file;
	uint8_t            server_pk[AUDIT_PK_BYTES];
	char               server_pk_text[BATON_PUBLIC_KEY_TEXT];
	/* The first page, kept for its keys, which are sorted by key id. */
	Baton__V1__ExportAuditReply *first;
	Baton__V1__AuditKey        **keys;
	size_t                       n_keys;
	/* Where the chain is. */
	int64_t seq;
	uint8_t hash[AUDIT_HASH_BYTES];
	/* What was checked. */
	long long pages, events, signed_events, checkpoints, unsealed, sealed_seq;
	int64_t   last_checkpoint_seq, last_checkpoint_at_us;
	uint8_t   last_checkpoint_hash[AUDIT_HASH_BYTES];
	/* The first problem. */
	int64_t bad_seq, bad_event_id;
	char    problem[640];
} verifier;

/* A file that is not a whole export: says why; exit 2. */
static int file_refused(const verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int file_refused(const verifier *v, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	fprintf(stderr, "batonctl audit verify: %s: %s\n", v->path, why);
	if (v->g->json) {
		textbuf t;
		ctl_out_begin(&t);
		textbuf_puts(&t, "{\"status\":\"INVALID_ARGUMENT\",\"message\":");
		textbuf_json_str(&t, why);
		textbuf_putc(&t, '}');
		ctl_out_end(&t);
	}
	return EXIT_USAGE;
}

/* Reads exactly len bytes; how many it got. */
static size_t read_some(FILE *f, void *buf, size_t len)
{
	return fread(buf, 1, len, f);
}

/* The next page into *page (NULL at the clean end of the file), or exit 2. */
static int page_read(verifier *v, Baton__V1__ExportAuditReply **page)
{
	uint8_t head[4], *buf;
	size_t got;
	uint32_t len;

	*page = NULL;
	got = read_some(v->file, head, sizeof(head));
	if (got == 0 && !ferror(v->file))
		return 0;
	if (got < sizeof(head))
		return ferror(v->file) ? file_refused(v, "cannot read it: %s", strerror(errno))
		                       : file_refused(v, "truncated: it ends inside the length of page %lld", v->pages + 1);
	len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
	if (len > PAGE_MAX_BYTES)
		return file_refused(v, "page %lld claims %u bytes, more than a page may have (%u): damaged, or not an "
		                       "audit export", v->pages + 1, len, PAGE_MAX_BYTES);
	if ((buf = malloc(len ? len : 1)) == NULL)
		return file_refused(v, "out of memory for page %lld (%u bytes)", v->pages + 1, len);
	if ((got = read_some(v->file, buf, len)) < len) {
		free(buf);
		return file_refused(v, "truncated: page %lld needs %u bytes, only %zu remain", v->pages + 1, len, got);
	}
	*page = baton__v1__export_audit_reply__unpack(NULL, len, buf);
	free(buf);
	if (*page == NULL)
		return file_refused(v, "page %lld is not an ExportAuditReply: damaged", v->pages + 1);
	v->pages++;
	return 0;
}

/* ---- verify: the checks ---------------------------------------------------------- */

/* Records the first problem; returns EXIT_TAMPERED. */
static int tampered(verifier *v, int64_t seq, int64_t event_id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int tampered(verifier *v, int64_t seq, int64_t event_id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->problem, sizeof(v->problem), fmt, ap);
	va_end(ap);
	v->bad_seq = seq;
	v->bad_event_id = event_id;
	return EXIT_TAMPERED;
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp((*(Baton__V1__AuditKey *const *)a)->key_id, (*(Baton__V1__AuditKey *const *)b)->key_id);
}

static const Baton__V1__AuditKey *key_find(const verifier *v, const char *key_id)
{
	Baton__V1__AuditKey probe = BATON__V1__AUDIT_KEY__INIT, *p = &probe, **hit;

	probe.key_id = (char *)key_id;
	hit = v->n_keys ? bsearch(&p, v->keys, v->n_keys, sizeof(*v->keys), key_cmp) : NULL;
	return hit != NULL ? *hit : NULL;
}

/* The actor signature of a signed event (chan.h, "Request signature"). */
static int signature_check(verifier *v, const Baton__V1__AuditEvent *e)
{
	const Baton__V1__AuditKey *k;
	uint8_t payload_hash[CHAN_HASH_BYTES];

#define BAD(...) tampered(v, e->seq, e->event_id, "event %lld (seq %lld, %s): " __VA_ARGS__)
	if (!e->has_actor_key_id || !e->has_method || !e->has_request_id || !e->has_session_binding)
		return BAD("signed, but without its key, method, request id or session binding",
		    (long long)e->event_id, (long long)e->seq, e->kind);
	if (e->signature.len != CHAN_SIG_BYTES || e->request_id.len != CHAN_REQUEST_ID_BYTES ||
	    e->session_binding.len != CHAN_HASH_BYTES)
		return BAD("its signature, request id or session binding has the wrong length",
		    (long long)e->event_id, (long long)e->seq, e->kind);
	if ((k = key_find(v, e->actor_key_id)) == NULL)
		return BAD("signed with key %s, which is not among the registered keys", (long long)e->event_id,
		    (long long)e->seq, e->kind, e->actor_key_id);
	if (k->public_key.len != AUDIT_PK_BYTES)
		return BAD("key %s is not a 32-byte public key", (long long)e->event_id, (long long)e->seq, e->kind,
		    e->actor_key_id);
	if (e->at_unix_us < k->created_unix_us)
		return BAD("signed with key %s (%s) before it was registered", (long long)e->event_id, (long long)e->seq,
		    e->kind, k->key_id, k->handle);
	if (k->revoked_unix_us != 0 && e->at_unix_us >= k->revoked_unix_us)
		return BAD("signed with key %s (%s) after it was revoked", (long long)e->event_id, (long long)e->seq,
		    e->kind, k->key_id, k->handle);
	chan_payload_hash(e->request_payload.data, e->request_payload.len, payload_hash);
	if (chan_request_verify(k->public_key.data, e->session_binding.data, e->method, e->request_id.data,
	        payload_hash, e->signature.data) != CHAN_OK)
		return BAD("actor signature does not verify (key %s, %s)", (long long)e->event_id, (long long)e->seq,
		    e->kind, k->key_id, k->handle);
#undef BAD
	v->signed_events++;
	return 0;
}

/* One event, the next in the chain. */
static int event_check(verifier *v, const Baton__V1__AuditEvent *e)
{
	uint8_t h[AUDIT_HASH_BYTES];
	int rc;

	if (e->seq != v->seq + 1) {
		if (e->seq <= v->seq)
			return tampered(v, e->seq, e->event_id, "seq %lld follows seq %lld: out of order",
			    (long long)e->seq, (long long)v->seq);
		if (v->seq == 0)
			return tampered(v, e->seq, e->event_id, "the chain starts at seq %lld: seq 1 missing",
			    (long long)e->seq);
		if (e->seq == v->seq + 2)
			return tampered(v, e->seq, e->event_id, "seq %lld follows seq %lld: seq %lld missing",
			    (long long)e->seq, (long long)v->seq, (long long)v->seq + 1);
		return tampered(v, e->seq, e->event_id, "seq %lld follows seq %lld: seqs %lld..%lld missing",
		    (long long)e->seq, (long long)v->seq, (long long)v->seq + 1, (long long)e->seq - 1);
	}
	if (e->missing)
		return tampered(v, e->seq, e->event_id, "seq %lld: event %lld is missing (deleted)", (long long)e->seq,
		    (long long)e->event_id);
	if (e->has_signature && (rc = signature_check(v, e)) != 0)
		return rc;
	if (e->hash.len != AUDIT_HASH_BYTES || audit_event_hash(v->hash, e, h) != 0 ||
	    memcmp(h, e->hash.data, AUDIT_HASH_BYTES) != 0)
		return tampered(v, e->seq, e->event_id,
		    "event %lld (seq %lld, %s): hash does not match (altered, reordered or a row before it changed)",
		    (long long)e->event_id, (long long)e->seq, e->kind);
	memcpy(v->hash, h, sizeof(h));
	v->seq = e->seq;
	v->events++;
	return 0;
}

/* A checkpoint at the chain's current end (v->seq, v->hash). */
static int checkpoint_check(verifier *v, const Baton__V1__AuditCheckpoint *cp)
{
	char named[BATON_PUBLIC_KEY_TEXT];

	if (cp->hash.len != AUDIT_HASH_BYTES || cp->signature.len != AUDIT_SIG_BYTES ||
	    cp->server_public_key.len != AUDIT_PK_BYTES)
		return tampered(v, cp->seq, 0, "checkpoint at seq %lld: a hash, key or signature of the wrong length",
		    (long long)cp->seq);
	if (memcmp(cp->hash.data, v->hash, AUDIT_HASH_BYTES) != 0)
		return tampered(v, cp->seq, 0, "checkpoint at seq %lld: its hash is not the chain's at that seq (the "
		                               "chain was changed and sealed again)", (long long)cp->seq);
	if (audit_checkpoint_verify(v->server_pk, cp->seq, cp->hash.data, cp->at_unix_us, cp->signature.data) != 0)
		return tampered(v, cp->seq, 0, "checkpoint at seq %lld: signature does not verify with the server key %s",
		    (long long)cp->seq, v->server_pk_text);
	if (memcmp(cp->server_public_key.data, v->server_pk, AUDIT_PK_BYTES) != 0) {
		baton_public_key_format(cp->server_public_key.data, named);
		return tampered(v, cp->seq, 0, "checkpoint at seq %lld: names server key %s, not %s", (long long)cp->seq,
		    named, v->server_pk_text);
	}
	v->checkpoints++;
	v->last_checkpoint_seq = cp->seq;
	v->last_checkpoint_at_us = cp->at_unix_us;
	memcpy(v->last_checkpoint_hash, cp->hash.data, AUDIT_HASH_BYTES);
	return 0;
}

static int checkpoint_cmp(const void *a, const void *b)
{
	int64_t x = (*(Baton__V1__AuditCheckpoint *const *)a)->seq, y = (*(Baton__V1__AuditCheckpoint *const *)b)->seq;
	return x < y ? -1 : x > y;
}

/* A page's events in order, each followed by the checkpoints at its seq.
 * A checkpoint at a seq the page has no event for is a problem: on the
 * last page one past the end means chain rows were removed. */
static int page_check(verifier *v, Baton__V1__ExportAuditReply *p)
{
	size_t next = 0;
	int rc;

	qsort(p->checkpoints, p->n_checkpoints, sizeof(*p->checkpoints), checkpoint_cmp);
	for (size_t i = 0; i < p->n_events; i++) {
		if ((rc = event_check(v, p->events[i])) != 0)
			return rc;
		for (; next < p->n_checkpoints && p->checkpoints[next]->seq <= v->seq; next++) {
			if (p->checkpoints[next]->seq < v->seq)
				return tampered(v, p->checkpoints[next]->seq, 0, "checkpoint at seq %lld: no event at that seq "
				    "in its page", (long long)p->checkpoints[next]->seq);
			if ((rc = checkpoint_check(v, p->checkpoints[next])) != 0)
				return rc;
		}
	}
	if (next < p->n_checkpoints)
		return tampered(v, p->checkpoints[next]->seq, 0, "checkpoint at seq %lld is beyond the chain's end (seq "
		    "%lld): chain rows were removed", (long long)p->checkpoints[next]->seq, (long long)v->seq);
	v->unsealed = p->unsealed_events;
	v->sealed_seq = p->sealed_seq;
	return 0;
}

/* Every page of the file, in order. */
static int pages_check(verifier *v)
{
	Baton__V1__ExportAuditReply *p = NULL;
	char magic[AUDIT_MAGIC_LEN];
	bool more = true;
	int rc;

	if (read_some(v->file, magic, sizeof(magic)) != sizeof(magic) || memcmp(magic, AUDIT_MAGIC, sizeof(magic)) != 0)
		return file_refused(v, "not an audit export (it does not start with BATONAUDIT1)");
	for (;;) {
		if ((rc = page_read(v, &p)) != 0)
			return rc;
		if (p == NULL)
			break;
		if (!more) {
			baton__v1__export_audit_reply__free_unpacked(p, NULL);
			return file_refused(v, "page %lld follows the last page: damaged", v->pages);
		}
		more = p->more;
		if (v->first == NULL) {
			v->first = p;
			v->n_keys = p->n_keys;
			v->keys = p->keys;
			qsort(v->keys, v->n_keys, sizeof(*v->keys), key_cmp);
		}
		rc = page_check(v, p);
		if (p != v->first)
			baton__v1__export_audit_reply__free_unpacked(p, NULL);
		if (rc != 0)
			return rc;
	}
	if (v->pages == 0)
		return file_refused(v, "truncated: it holds no page");
	if (more)
		return file_refused(v, "truncated: it ends after page %lld, which says more pages follow", v->pages);
	return 0;
}

/* ---- verify: the report ---------------------------------------------------------- */

static void report(const verifier *v, int rc)
{
	long long uncovered = (long long)(v->seq - v->last_checkpoint_seq);
	char at[40], hex[2 * AUDIT_HASH_BYTES + 1];
	textbuf t;

	sodium_bin2hex(hex, sizeof(hex), v->last_checkpoint_hash, sizeof(v->last_checkpoint_hash));
	ctl_time_iso(v->last_checkpoint_at_us / 1000, at, sizeof(at));
	if (rc != 0)
		fprintf(stderr, "batonctl audit verify: %s: %s\n(before it: %lld events and %lld checkpoints verified)\n",
		    v->path, v->problem, v->events, v->checkpoints);
	if (v->g->json) {
		ctl_out_begin(&t);
		textbuf_printf(&t, "{\"status\":\"%s\"", rc == 0 ? "OK" : "TAMPERED");
		if (rc != 0) {
			textbuf_printf(&t, ",\"bad_seq\":%lld,\"bad_event_id\":%lld,\"message\":", (long long)v->bad_seq,
			    (long long)v->bad_event_id);
			textbuf_json_str(&t, v->problem);
		}
		textbuf_puts(&t, ",\"file\":");
		textbuf_json_str(&t, v->path);
		textbuf_printf(&t, ",\"pages\":%lld,\"events\":%lld,\"last_seq\":%lld,\"signed_events\":%lld,\"keys\":%zu,"
		                   "\"checkpoints\":%lld,\"last_checkpoint_seq\":%lld,\"last_checkpoint_hash\":\"%s\","
		                   "\"uncovered_events\":%lld,\"unsealed_events\":%lld,\"server_key\":\"%s\"}",
		    v->pages, v->events, (long long)v->seq, v->signed_events, v->n_keys, v->checkpoints,
		    (long long)v->last_checkpoint_seq, v->checkpoints ? hex : "", uncovered, v->unsealed, v->server_pk_text);
		ctl_out_end(&t);
		return;
	}
	if (rc != 0)
		return;
	printf("%s: the audit trail verifies\n", v->path);
	printf("  chain:        %lld events, seq 1..%lld, every hash matches, none missing\n", v->events,
	    (long long)v->seq);
	printf("  signatures:   %lld actor signatures verified against %zu registered keys\n", v->signed_events,
	    v->n_keys);
	printf("  checkpoints:  %lld, each matching the chain and signed by %s\n", v->checkpoints, v->server_pk_text);
	if (v->checkpoints > 0)
		printf("  last checkpoint: seq %lld at %s, hash %s\n", (long long)v->last_checkpoint_seq, at, hex);
	if (uncovered > 0)
		printf("  not covered by a checkpoint yet: %lld events (seq %lld..%lld)\n", uncovered,
		    (long long)v->last_checkpoint_seq + 1, (long long)v->seq);
	if (v->unsealed > 0)
		printf("  not sealed when exported (not in this file): %lld events\n", v->unsealed);
}

static int audit_verify(const ctl_globals *g, int argc, char **argv)
{
	const char *key = NULL;
	const ctl_flag flags[] = { { "server-key", &key, NULL } };
	char msg[512];
	verifier v;
	int rc;

	memset(&v, 0, sizeof(v));
	v.g = g;
	if ((rc = ctl_flags_parse("audit verify", argc, argv, flags, 1, usage_verify, "FILE", &v.path)) != 0)
		return rc < 0 ? 0 : rc;
	if (key == NULL && (key = g->server_key) == NULL)
		return ctl_usage_error("audit verify: give --server-key PUBFILE (or pin the server key with --server-key "
		                       "before the verb, BATON_SERVER_KEY or the settings file)");
	if (baton_public_key_load(key, v.server_pk, msg, sizeof(msg)) != BATON_OK)
		return ctl_usage_error("audit verify: --server-key: %s", msg);
	baton_public_key_format(v.server_pk, v.server_pk_text);
	if ((v.file = fopen(v.path, "rb")) == NULL)
		return file_refused(&v, "cannot read it: %s", strerror(errno));
	rc = pages_check(&v);
	fclose(v.file);
	if (rc != EXIT_USAGE)
		report(&v, rc);
	baton__v1__export_audit_reply__free_unpacked(v.first, NULL);
	return rc;
}

int ctl_audit(const ctl_globals *g, int argc, char **argv)
{
	static const ctl_action actions[] = { { "export", audit_export }, { "verify", audit_verify } };

	return ctl_action_run(g, "audit", actions, sizeof(actions) / sizeof(actions[0]), usage_audit, argc, argv);
}
