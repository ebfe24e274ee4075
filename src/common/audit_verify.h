/* audit_verify.h - reads an audit export file and checks it offline (chain, missing events, checkpoints, actor signatures), printing nothing: `batonctl audit verify` and its fuzz harness. */
#ifndef BATON_COMMON_AUDIT_VERIFY_H
#define BATON_COMMON_AUDIT_VERIFY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common/audit.h"

/* The export file (docs/audit.md, "The file"): the magic, then pages, each
 * a u32 big-endian length and that many bytes of an ExportAuditReply, in
 * the order the server sent them; the last says more = false. */
#define AUDIT_EXPORT_MAGIC     "BATONAUDIT1\n"
#define AUDIT_EXPORT_MAGIC_LEN (sizeof(AUDIT_EXPORT_MAGIC) - 1)
/* A page the server could never send (its replies are smaller). */
#define AUDIT_EXPORT_PAGE_MAX  (64u << 20)

/* What audit_verify_stream returns. */
#define AUDIT_VERIFY_OK       0 /* every check holds */
#define AUDIT_VERIFY_TAMPERED 1 /* the first problem is in message, bad_seq, bad_event_id */
#define AUDIT_VERIFY_REFUSED  2 /* not a whole export, or unreadable: why is in message */

typedef struct audit_verify_result {
	/* What was checked, up to the first problem. */
	long long pages;         /* pages read */
	long long events;        /* events whose place and hash verified */
	long long signed_events; /* of those, with an actor signature that verified */
	long long checkpoints;   /* checkpoints that verified */
	size_t    keys;          /* registered keys in the export (first page) */
	int64_t   last_seq;      /* the chain's end as verified (0: none) */
	/* From the last page checked: the chain's end when it was read, and how
	 * many events were written but not sealed yet. */
	long long sealed_seq, unsealed_events;
	/* The last checkpoint that verified (seq 0: none). */
	int64_t last_checkpoint_seq, last_checkpoint_at_us;
	uint8_t last_checkpoint_hash[AUDIT_HASH_BYTES];
	/* AUDIT_VERIFY_TAMPERED: where (event id 0 for a checkpoint). */
	int64_t bad_seq, bad_event_id;
	/* TAMPERED: the problem; REFUSED: why the file is refused; "" on OK.
	 * Always NUL-terminated. */
	char message[640];
} audit_verify_result;

/*
 * Reads an export from f (from its current position to its end) and checks
 * it against the server's Ed25519 public key, stopping at the first
 * problem. The file is untrusted: every length is checked, a page may not
 * claim more than AUDIT_EXPORT_PAGE_MAX bytes, and memory stays bounded
 * whatever the file says. f is left open (the caller closes it). *r is
 * filled on every return.
 * Returns AUDIT_VERIFY_OK, AUDIT_VERIFY_TAMPERED or AUDIT_VERIFY_REFUSED.
 */
int audit_verify_stream(FILE *f, const uint8_t server_pk[AUDIT_PK_BYTES], audit_verify_result *r)
    __attribute__((warn_unused_result));

#endif
