/* audit_verify.c - the reader and the checks of an audit export file (the contract is in audit_verify.h, the rules in docs/audit.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "baton/keys.h"
#include "common/audit_verify.h"
#include "common/chan.h"

/* Unpacked pages live within this many bytes (the first page, kept for its
 * keys, and the current one). A real page unpacks to little more than its
 * size; a crafted one of empty events would unpack to ~100 times it. */
#define PAGE_MEMORY_MAX (4 * (size_t)AUDIT_EXPORT_PAGE_MAX)
/* Reading a page's bytes starts with this much and grows as they arrive,
 * so a length the file does not hold costs no memory. */
#define PAGE_READ_FIRST ((size_t)1 << 20)

typedef struct budget {
	size_t used;
	bool   exceeded;
} budget;

typedef struct verifier {
	FILE                *file;
	const uint8_t       *server_pk;
	char                 server_pk_text[BATON_PUBLIC_KEY_TEXT];
	audit_verify_result *r;
	budget               memory;
	ProtobufCAllocator   allocator;
	/* The first page, kept for its keys, which are sorted by key id. */
	Baton__V1__ExportAuditReply *first;
	Baton__V1__AuditKey        **keys;
	size_t                       n_keys;
	/* The chain's end so far. */
	uint8_t hash[AUDIT_HASH_BYTES];
} verifier;

/* ---- memory ---------------------------------------------------------------------- */

/* Each block carries its size in front, so free can give it back to the budget. */
typedef union block_head {
	size_t      size;
	max_align_t align;
} block_head;

static void *budget_alloc(void *data, size_t size)
{
	budget *b = data;
	block_head *h;

	if (size > PAGE_MEMORY_MAX - b->used || (h = malloc(sizeof(*h) + size)) == NULL) {
		b->exceeded = true;
		return NULL;
	}
	h->size = size;
	b->used += size;
	return h + 1;
}

static void budget_free(void *data, void *p)
{
	budget *b = data;
	block_head *h;

	if (p == NULL)
		return;
	h = (block_head *)p - 1;
	b->used -= h->size;
	free(h);
}

static void page_free(verifier *v, Baton__V1__ExportAuditReply *p)
{
	if (p != NULL)
		baton__v1__export_audit_reply__free_unpacked(p, &v->allocator);
}

/* ---- reading the file ------------------------------------------------------------ */

/* A file that is not a whole export: says why. */
static int refused(verifier *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int refused(verifier *v, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->r->message, sizeof(v->r->message), fmt, ap);
	va_end(ap);
	return AUDIT_VERIFY_REFUSED;
}

/* Up to len bytes into a malloc'd *out (caller frees), grown as they
 * arrive; *got is how many there were. -1 when out of memory. */
static int bytes_read(FILE *f, size_t len, uint8_t **out, size_t *got)
{
	size_t cap = len < PAGE_READ_FIRST ? len : PAGE_READ_FIRST, n = 0;
	uint8_t *buf = malloc(cap ? cap : 1), *grown;

	*out = NULL;
	*got = 0;
	if (buf == NULL)
		return -1;
	for (;;) {
		n += fread(buf + n, 1, cap - n, f);
		if (n < cap || cap == len)
			break;
		cap = len - cap < cap ? len : 2 * cap;
		if ((grown = realloc(buf, cap)) == NULL) {
			free(buf);
			return -1;
		}
		buf = grown;
	}
	*out = buf;
	*got = n;
	return 0;
}

/* The next page into *page (NULL at the clean end of the file), or REFUSED. */
static int page_read(verifier *v, Baton__V1__ExportAuditReply **page)
{
	long long number = v->r->pages + 1;
	uint8_t head[4], *buf;
	size_t got;
	uint32_t len;

	*page = NULL;
	got = fread(head, 1, sizeof(head), v->file);
	if (got == 0 && !ferror(v->file))
		return 0;
	if (got < sizeof(head))
		return ferror(v->file) ? refused(v, "cannot read it: %s", strerror(errno))
		                       : refused(v, "truncated: it ends inside the length of page %lld", number);
	len = (uint32_t)head[0] << 24 | (uint32_t)head[1] << 16 | (uint32_t)head[2] << 8 | head[3];
	if (len > AUDIT_EXPORT_PAGE_MAX)
		return refused(v, "page %lld claims %u bytes, more than a page may have (%u): damaged, or not an audit "
		                  "export", number, len, AUDIT_EXPORT_PAGE_MAX);
	if (bytes_read(v->file, len, &buf, &got) != 0)
		return refused(v, "out of memory for page %lld (%u bytes)", number, len);
	if (got < len) {
		free(buf);
		return refused(v, "truncated: page %lld needs %u bytes, only %zu remain", number, len, got);
	}
	v->memory.exceeded = false;
	*page = baton__v1__export_audit_reply__unpack(&v->allocator, len, buf);
	free(buf);
	if (*page == NULL && v->memory.exceeded)
		return refused(v, "page %lld needs more than %zu MiB of memory to read: damaged, or not an audit export",
		    number, PAGE_MEMORY_MAX >> 20);
	if (*page == NULL)
		return refused(v, "page %lld is not an ExportAuditReply: damaged", number);
	v->r->pages++;
	return 0;
}

/* ---- the checks ------------------------------------------------------------------ */

/* Records the first problem; returns TAMPERED. */
static int tampered(verifier *v, int64_t seq, int64_t event_id, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int tampered(verifier *v, int64_t seq, int64_t event_id, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->r->message, sizeof(v->r->message), fmt, ap);
	va_end(ap);
	v->r->bad_seq = seq;
	v->r->bad_event_id = event_id;
	return AUDIT_VERIFY_TAMPERED;
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
	v->r->signed_events++;
	return 0;
}

/* One event, the next in the chain. */
static int event_check(verifier *v, const Baton__V1__AuditEvent *e)
{
	int64_t seq = v->r->last_seq;
	uint8_t h[AUDIT_HASH_BYTES];
	int rc;

	if (e->seq <= seq)
		return tampered(v, e->seq, e->event_id, "seq %lld follows seq %lld: out of order", (long long)e->seq,
		    (long long)seq);
	/* e->seq > seq >= 0 from here, so e->seq - 1 cannot overflow. */
	if (e->seq - 1 != seq) {
		if (seq == 0)
			return tampered(v, e->seq, e->event_id, "the chain starts at seq %lld: seq 1 missing",
			    (long long)e->seq);
		if (e->seq - 2 == seq)
			return tampered(v, e->seq, e->event_id, "seq %lld follows seq %lld: seq %lld missing",
			    (long long)e->seq, (long long)seq, (long long)seq + 1);
		return tampered(v, e->seq, e->event_id, "seq %lld follows seq %lld: seqs %lld..%lld missing",
		    (long long)e->seq, (long long)seq, (long long)seq + 1, (long long)e->seq - 1);
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
	v->r->last_seq = e->seq;
	v->r->events++;
	return 0;
}

/* A checkpoint at the chain's current end (r->last_seq, v->hash). */
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
	v->r->checkpoints++;
	v->r->last_checkpoint_seq = cp->seq;
	v->r->last_checkpoint_at_us = cp->at_unix_us;
	memcpy(v->r->last_checkpoint_hash, cp->hash.data, AUDIT_HASH_BYTES);
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

	/* An empty repeated field is NULL, which qsort may not be given. */
	if (p->n_checkpoints > 1)
		qsort(p->checkpoints, p->n_checkpoints, sizeof(*p->checkpoints), checkpoint_cmp);
	for (size_t i = 0; i < p->n_events; i++) {
		if ((rc = event_check(v, p->events[i])) != 0)
			return rc;
		for (; next < p->n_checkpoints && p->checkpoints[next]->seq <= v->r->last_seq; next++) {
			if (p->checkpoints[next]->seq < v->r->last_seq)
				return tampered(v, p->checkpoints[next]->seq, 0, "checkpoint at seq %lld: no event at that seq "
				    "in its page", (long long)p->checkpoints[next]->seq);
			if ((rc = checkpoint_check(v, p->checkpoints[next])) != 0)
				return rc;
		}
	}
	if (next < p->n_checkpoints)
		return tampered(v, p->checkpoints[next]->seq, 0, "checkpoint at seq %lld is beyond the chain's end (seq "
		    "%lld): chain rows were removed", (long long)p->checkpoints[next]->seq, (long long)v->r->last_seq);
	v->r->unsealed_events = p->unsealed_events;
	v->r->sealed_seq = p->sealed_seq;
	return 0;
}

/* Every page of the file, in order. */
static int pages_check(verifier *v)
{
	Baton__V1__ExportAuditReply *p = NULL;
	char magic[AUDIT_EXPORT_MAGIC_LEN];
	bool more = true;
	int rc;

	if (fread(magic, 1, sizeof(magic), v->file) != sizeof(magic) ||
	    memcmp(magic, AUDIT_EXPORT_MAGIC, sizeof(magic)) != 0)
		return refused(v, "not an audit export (it does not start with BATONAUDIT1)");
	for (;;) {
		if ((rc = page_read(v, &p)) != 0)
			return rc;
		if (p == NULL)
			break;
		if (!more) {
			page_free(v, p);
			return refused(v, "page %lld follows the last page: damaged", v->r->pages);
		}
		more = p->more;
		if (v->first == NULL) {
			v->first = p;
			v->n_keys = v->r->keys = p->n_keys;
			v->keys = p->keys;
			if (v->n_keys > 1)
				qsort(v->keys, v->n_keys, sizeof(*v->keys), key_cmp);
		}
		rc = page_check(v, p);
		if (p != v->first)
			page_free(v, p);
		if (rc != 0)
			return rc;
	}
	if (v->r->pages == 0)
		return refused(v, "truncated: it holds no page");
	if (more)
		return refused(v, "truncated: it ends after page %lld, which says more pages follow", v->r->pages);
	return 0;
}

int audit_verify_stream(FILE *f, const uint8_t server_pk[AUDIT_PK_BYTES], audit_verify_result *r)
{
	verifier v;
	int rc;

	memset(r, 0, sizeof(*r));
	memset(&v, 0, sizeof(v));
	v.file = f;
	v.server_pk = server_pk;
	v.r = r;
	v.allocator = (ProtobufCAllocator){ .alloc = budget_alloc, .free = budget_free, .allocator_data = &v.memory };
	baton_public_key_format(server_pk, v.server_pk_text);
	rc = pages_check(&v);
	page_free(&v, v.first);
	return rc;
}
