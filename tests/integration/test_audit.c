/* test_audit.c - the sealed audit trail end to end (real batond, real PostgreSQL, the real batonctl): signed activity is sealed behind the writes, `audit export` then `audit verify` passes, and after each tampering a DBA could do (a body altered, a row deleted, two rows swapped, a signature replaced) verify names the event; partners cannot export, a wrong server key fails on the first checkpoint, damaged files are refused; three instances sealing at once make one chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include <baton/client.h>

#include "ctlrun.h"
#include "harness.h"
#include "registry.h"
#include "shiftfix.h"
#include "ticketfix.h"

#define SEAL_WAIT_MS 20000

/* ---- helpers ------------------------------------------------------------------------ */

/* A file under the test's folder. */
static const char *path_of(const char *name)
{
	static char path[8][400];
	static int next;
	char *p = path[next++ % 8];

	snprintf(p, sizeof(path[0]), "%s/%s", registry.pg.dir, name);
	return p;
}

/* Events the chain does not name yet. */
static long unsealed(void)
{
	return registry_sqln("SELECT count(*) FROM event e WHERE NOT EXISTS "
	                     "(SELECT 1 FROM event_chain c WHERE c.event_id = e.id)");
}

/* Waits (bounded) until every event is sealed and the chain's end is
 * checkpointed. */
static void wait_sealed(void)
{
	int64_t until = harness_now_ms() + SEAL_WAIT_MS;

	for (;;) {
		long left = unsealed();
		long covered = registry_sqln("SELECT count(*) FROM audit_checkpoint "
		                             "WHERE seq = (SELECT max(seq) FROM event_chain)");
		if (left == 0 && covered == 1)
			return;
		if (harness_now_ms() > until)
			fail_msg("after %d ms %ld events are still not sealed (checkpoint at the end: %ld)", SEAL_WAIT_MS, left,
			    covered);
		harness_sleep_ms(100);
	}
}

/* batonctl audit export as the lead into name; the file's path. */
static const char *export_to(const char *name)
{
	const char *file = path_of(name);

	ctlrun_ran(ctlrun(&registry.lead, "--json audit export -o %s", file), 0);
	ctlrun_json_str_is(ctlrun_out, "status", "OK");
	return file;
}

/* batonctl audit verify of file with the server's public key, offline
 * (no key of a person, no server address); its exit status. */
static int verify(const char *file)
{
	return ctlrun(NULL, "audit verify %s --server-key %s.pub", file, registry.srv.key_file);
}

/* The event id at seq of the chain. */
static long event_at(long seq)
{
	return registry_sqln("SELECT event_id FROM event_chain WHERE seq = %ld", seq);
}

/* Runs statements on event as its owner with the append-only trigger off
 * for them, as a DBA could. */
static void dba(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void dba(const char *fmt, ...)
{
	char sql[2048], wrapped[2400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sql, sizeof(sql), fmt, ap);
	va_end(ap);
	snprintf(wrapped, sizeof(wrapped),
	    "BEGIN; ALTER TABLE event DISABLE TRIGGER event_append_only; %s; "
	    "ALTER TABLE event ENABLE TRIGGER event_append_only; COMMIT",
	    sql);
	assert_int_equal(registry_sqlf(NULL, 0, "%s", wrapped), 0);
}

/* Verify of a fresh export fails naming what. */
static void verify_names(const char *name, const char *what)
{
	const char *file = export_to(name);

	ctlrun_ran(verify(file), 1);
	ctlrun_said(ctlrun_err, what);
}

/* A fresh export verifies. */
static void verify_passes(const char *name)
{
	const char *file = export_to(name);

	ctlrun_ran(verify(file), 0);
	ctlrun_said(ctlrun_out, "the audit trail verifies");
}

/* ---- cases ------------------------------------------------------------------------------- */

/* Tickets and a claim, every call signed by its actor; all of it sealed,
 * exported and verified, with the counts printed. */
static void an_untouched_log_verifies(void **state)
{
	char ticket[3][40], slot[40], claim[40];
	Baton__V1__Ticket *t = NULL;
	const char *file;
	struct stat st;
	(void)state;

	/* In German, so they wait in the in-house queue (test_tickets_ctl.c). */
	for (int i = 0; i < 3; i++)
		ticketfix_create_must(registry.integ.client,
		    &(ticketfix_spec){ .subject = "Audit me", .language = "de", .severity = 2, .tier = "priority" },
		    ticket[i]);
	assert_int_equal(ticketfix_take(registry.hq_mgr.client, ticket[0], &t, NULL, 0), BATON_OK);
	ticketfix_ticket_free(t);
	assert_int_equal(ticketfix_reply(registry.hq_mgr.client, ticket[0], "on it", NULL, NULL, 0), BATON_OK);
	assert_int_equal(ticketfix_note(registry.hq_mgr.client, ticket[0], "called", NULL, NULL, 0), BATON_OK);
	assert_int_equal(ticketfix_resolve(registry.hq_mgr.client, ticket[0], "replaced", "done", NULL, NULL, 0),
	    BATON_OK);
	ticketfix_on_shift(&registry.wn_agent1, registry.wn_id, "en", shiftfix_now_ms() + 3600000, slot, claim);
	assert_true(registry_sqln("SELECT count(*) FROM event WHERE signature IS NOT NULL") > 10);

	wait_sealed();
	file = export_to("untouched.export");
	assert_int_equal(ctlrun_json_int(ctlrun_out, "unsealed_events"), 0);
	assert_true(ctlrun_json_int(ctlrun_out, "events") >= 20);
	assert_true(ctlrun_json_int(ctlrun_out, "checkpoints") >= 1);
	assert_true(ctlrun_json_int(ctlrun_out, "keys") >= 10);
	assert_int_equal(stat(file, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);

	ctlrun_ran(verify(file), 0);
	ctlrun_said(ctlrun_out, "the audit trail verifies");
	ctlrun_said(ctlrun_out, "every hash matches, none missing");
	ctlrun_said(ctlrun_out, "actor signatures verified against");
	ctlrun_said(ctlrun_out, "last checkpoint: seq");
	/* As JSON, with the counts; the pinned server key is the default. */
	ctlrun_ran(ctlrun(&registry.lead, "--json audit verify %s", file), 0);
	ctlrun_json_lines(ctlrun_out);
	ctlrun_json_str_is(ctlrun_out, "status", "OK");
	assert_true(ctlrun_json_int(ctlrun_out, "events") >= 20);
	assert_true(ctlrun_json_int(ctlrun_out, "signed_events") > 10);
	assert_true(ctlrun_json_int(ctlrun_out, "checkpoints") >= 1);
	assert_int_equal(ctlrun_json_int(ctlrun_out, "uncovered_events"), 0);
	/* The default file name, in the current folder. */
	ctlrun_ran(ctlrun(&registry.lead, "audit export -o %s", path_of("people.export")), 0);
	ctlrun_said(ctlrun_out, "events");
	ctlrun_said(ctlrun_out, "checkpoints");
}

/* (a) An event's body altered in SQL. */
static void an_altered_body_is_named(void **state)
{
	long id = event_at(5);
	char name[64];
	(void)state;

	assert_true(id > 0);
	dba("CREATE TABLE audit_saved_body AS SELECT id, body FROM event WHERE id = %ld; "
	    "UPDATE event SET body = body || '{\"tampered\": true}' WHERE id = %ld", id, id);
	snprintf(name, sizeof(name), "event %ld (seq 5, ", id);
	verify_names("altered.export", name);
	ctlrun_said(ctlrun_err, "hash does not match");
	dba("UPDATE event e SET body = s.body FROM audit_saved_body s WHERE e.id = s.id; DROP TABLE audit_saved_body");
	verify_passes("altered-restored.export");
}

/* (b) An event row deleted. */
static void a_deleted_event_is_named(void **state)
{
	long id = event_at(7);
	char name[64];
	(void)state;

	assert_true(id > 0);
	dba("CREATE TABLE audit_saved_row AS SELECT * FROM event WHERE id = %ld; DELETE FROM event WHERE id = %ld", id,
	    id);
	snprintf(name, sizeof(name), "seq 7: event %ld is missing (deleted)", id);
	verify_names("deleted.export", name);
	dba("INSERT INTO event OVERRIDING SYSTEM VALUE SELECT * FROM audit_saved_row; DROP TABLE audit_saved_row");
	verify_passes("deleted-restored.export");
}

/* (c) Two events swapped: their bodies and kinds exchanged. The first of
 * them is named. */
static void swapped_events_name_the_first(void **state)
{
	long a = event_at(9), b = event_at(12);
	char name[64];
	(void)state;

	assert_true(a > 0 && b > 0);
	assert_int_equal(registry_sqln("SELECT count(*) FROM event a, event b WHERE a.id = %ld AND b.id = %ld "
	                               "AND (a.kind, a.body) IS DISTINCT FROM (b.kind, b.body)", a, b), 1);
	dba("CREATE TABLE audit_saved_swap AS SELECT id, kind, body FROM event WHERE id IN (%ld, %ld); "
	    "UPDATE event e SET kind = s.kind, body = s.body FROM audit_saved_swap s "
	    "WHERE (e.id, s.id) IN ((%ld, %ld), (%ld, %ld))", a, b, a, b, b, a);
	snprintf(name, sizeof(name), "event %ld (seq 9, ", a);
	verify_names("swapped.export", name);
	dba("UPDATE event e SET kind = s.kind, body = s.body FROM audit_saved_swap s WHERE e.id = s.id; "
	    "DROP TABLE audit_saved_swap");
	verify_passes("swapped-restored.export");
}

/* (d) One event's signature replaced by another event's. */
static void a_replaced_signature_is_named(void **state)
{
	long x = registry_sqln("SELECT max(c.seq) FROM event_chain c JOIN event e ON e.id = c.event_id "
	                       "WHERE e.signature IS NOT NULL");
	long id = event_at(x);
	long other = registry_sqln("SELECT min(id) FROM event WHERE signature IS NOT NULL AND id <> %ld", id);
	char name[80];
	(void)state;

	assert_true(x > 12 && id > 0 && other > 0);
	dba("CREATE TABLE audit_saved_sig AS SELECT id, signature FROM event WHERE id = %ld; "
	    "UPDATE event SET signature = (SELECT signature FROM event WHERE id = %ld) WHERE id = %ld", id, other, id);
	snprintf(name, sizeof(name), "event %ld (seq %ld, ", id, x);
	verify_names("signature.export", name);
	ctlrun_said(ctlrun_err, "actor signature does not verify");
	dba("UPDATE event e SET signature = s.signature FROM audit_saved_sig s WHERE e.id = s.id; "
	    "DROP TABLE audit_saved_sig");
	verify_passes("signature-restored.export");
}

/* Two bodies altered: the earlier one is named, whichever was changed first. */
static void the_first_bad_event_is_named(void **state)
{
	long early = event_at(3), late = event_at(11);
	char name[64];
	(void)state;

	dba("CREATE TABLE audit_saved_two AS SELECT id, body FROM event WHERE id IN (%ld, %ld); "
	    "UPDATE event SET body = '{\"x\": 1}' WHERE id = %ld; UPDATE event SET body = '{\"x\": 2}' WHERE id = %ld",
	    early, late, late, early);
	snprintf(name, sizeof(name), "event %ld (seq 3, ", early);
	verify_names("two.export", name);
	dba("UPDATE event e SET body = s.body FROM audit_saved_two s WHERE e.id = s.id; DROP TABLE audit_saved_two");
	/* As JSON: where it is. */
	ctlrun_ran(ctlrun(NULL, "--json audit verify %s --server-key %s.pub", path_of("two.export"),
	               registry.srv.key_file), 1);
	ctlrun_json_str_is(ctlrun_out, "status", "TAMPERED");
	assert_int_equal(ctlrun_json_int(ctlrun_out, "bad_seq"), 3);
	assert_int_equal(ctlrun_json_int(ctlrun_out, "bad_event_id"), early);
	verify_passes("two-restored.export");
}

/* Only in-house leads and admins export; partners never. */
static void partners_cannot_export(void **state)
{
	const char *file = path_of("partner.export");
	char cmd[600], out[64];
	struct stat st;
	(void)state;

	ctlrun_ran(ctlrun(&registry.wn_mgr, "audit export -o %s", file), 1);
	ctlrun_said(ctlrun_err, "PERMISSION_DENIED");
	ctlrun_ran(ctlrun(&registry.sl_agent1, "--json audit export -o %s", file), 1);
	ctlrun_json_str_is(ctlrun_out, "status", "PERMISSION_DENIED");
	assert_int_not_equal(stat(file, &st), 0);
	/* No temporary file left behind either. */
	snprintf(cmd, sizeof(cmd), "ls %s | grep -c partner.export", registry.pg.dir);
	harness_run(cmd, out, sizeof(out), NULL, 0);
	assert_string_equal(out, "0\n");
}

/* A server key that did not sign the checkpoints fails on the first one. */
static void a_wrong_server_key_fails_on_the_first_checkpoint(void **state)
{
	char other[BATON_PUBLIC_KEY_TEXT];
	long first;
	char says[64];
	const char *file;
	(void)state;

	wait_sealed();
	file = export_to("wrong-key.export");
	first = registry_sqln("SELECT min(seq) FROM audit_checkpoint");
	registry_fresh_public_key(other);
	ctlrun_ran(ctlrun(NULL, "audit verify %s --server-key %s", file, other), 1);
	snprintf(says, sizeof(says), "checkpoint at seq %ld: signature does not verify", first);
	ctlrun_said(ctlrun_err, says);
	ctlrun_said(ctlrun_err, other);
	/* A person's key file holds a public key too: still not the server's. */
	ctlrun_ran(ctlrun(NULL, "audit verify %s --server-key %s", file, registry.lead.key_file), 1);
	ctlrun_said(ctlrun_err, says);
}

/* Damaged or partial files are refused (exit 2) with a clear reason; so is bad usage. */
static void damaged_files_are_refused(void **state)
{
	const char *file = export_to("whole.export"), *cut = path_of("cut.export"), *junk = path_of("junk.export");
	char cmd[1400];
	struct stat st;
	FILE *f;
	(void)state;

	assert_int_equal(stat(file, &st), 0);
	/* Cut in the middle of a page. */
	snprintf(cmd, sizeof(cmd), "head -c %lld %s > %s", (long long)st.st_size - 10, file, cut);
	assert_int_equal(harness_run(cmd, NULL, 0, NULL, 0), 0);
	ctlrun_ran(verify(cut), 2);
	ctlrun_said(ctlrun_err, "truncated");
	/* Cut right after the header: no page at all. */
	snprintf(cmd, sizeof(cmd), "head -c 12 %s > %s", file, cut);
	assert_int_equal(harness_run(cmd, NULL, 0, NULL, 0), 0);
	ctlrun_ran(verify(cut), 2);
	ctlrun_said(ctlrun_err, "truncated");
	/* Not an export. */
	ctlrun_ran(verify(registry.srv.key_file), 2);
	ctlrun_said(ctlrun_err, "not an audit export");
	/* A page that claims 4 GiB, and a page that is not a message. */
	assert_non_null(f = fopen(junk, "wb"));
	fwrite("BATONAUDIT1\n\xff\xff\xff\xff", 1, 16, f);
	fclose(f);
	ctlrun_ran(verify(junk), 2);
	ctlrun_said(ctlrun_err, "more than a page may have");
	assert_non_null(f = fopen(junk, "wb"));
	fwrite("BATONAUDIT1\n\x00\x00\x00\x08\xff\xff\xff\xff\xff\xff\xff\xff", 1, 24, f);
	fclose(f);
	ctlrun_ran(verify(junk), 2);
	ctlrun_said(ctlrun_err, "is not an ExportAuditReply");
	ctlrun_ran(ctlrun(NULL, "--json audit verify %s --server-key %s.pub", junk, registry.srv.key_file), 2);
	ctlrun_json_str_is(ctlrun_out, "status", "INVALID_ARGUMENT");
	/* Missing, unreadable; usage. */
	ctlrun_ran(verify(path_of("no-such.export")), 2);
	ctlrun_said(ctlrun_err, "cannot read it");
	ctlrun_ran(ctlrun(NULL, "audit verify --server-key %s.pub", registry.srv.key_file), 2);
	ctlrun_ran(ctlrun(NULL, "audit verify %s", file), 2);
	ctlrun_said(ctlrun_err, "--server-key");
	ctlrun_ran(ctlrun(NULL, "audit"), 2);
	ctlrun_ran(ctlrun(NULL, "audit shred"), 2);
	ctlrun_ran(ctlrun(NULL, "audit verify --help"), 0);
	ctlrun_said(ctlrun_out, "offline");
}

/* Three instances seal at once while events keep coming (each runs the
 * maintenance pass every 200 ms): the chain has every event exactly once, its
 * sequence has no gap, no checkpoint is signed twice for one position, no
 * sealer's pass failed, and the export verifies. The advisory lock makes the
 * sealers take turns and the chain's keys refuse a second row for an event
 * or a position; without the lock, passes rarely overlap at this rate and a
 * clash shows as audit_seal_failed, which this case also counts. */
static void three_instances_seal_one_chain(void **state)
{
	const char *seal_failed[] = { "audit_seal_failed", NULL };
	harness_batond *other[2];
	baton_client *via[3] = { registry.integ.client, NULL, NULL };
	char id[40];
	(void)state;

	for (int i = 0; i < 2; i++) {
		other[i] = registry_extra_start(registry.pg.conninfo, NULL, true);
		via[i + 1] = registry_client_for(other[i], registry.integ.key_file);
	}
	/* Events keep arriving while all three seal, through every instance. */
	for (int i = 0; i < 60; i++) {
		ticketfix_create_must(via[i % 3],
		    &(ticketfix_spec){ .subject = "Sealed thrice", .language = "de", .severity = 3 }, id);
		if (i % 10 == 9)
			harness_sleep_ms(250); /* let a pass or two run between bursts */
	}
	wait_sealed();
	assert_int_equal(unsealed(), 0);
	assert_int_equal(registry_sqln("SELECT count(*) - count(DISTINCT event_id) FROM event_chain"), 0);
	assert_int_equal(registry_sqln("SELECT max(seq) - count(*) FROM event_chain"), 0);
	assert_int_equal(registry_sqln("SELECT min(seq) FROM event_chain"), 1);
	assert_int_equal(registry_sqln("SELECT count(*) - count(DISTINCT seq) FROM audit_checkpoint"), 0);
	assert_true(registry_sqln("SELECT count(*) FROM audit_checkpoint") >= 2);
	assert_int_equal(harness_log_count(&registry.srv, seal_failed), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(harness_log_count(other[i], seal_failed), 0);
	verify_passes("three-sealers.export");
}

/* Every case cleans up after itself like the ticket tests. */
#define AUDIT_CASE(f) cmocka_unit_test_teardown(f, ticketfix_cleanup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		AUDIT_CASE(an_untouched_log_verifies), AUDIT_CASE(an_altered_body_is_named),
		AUDIT_CASE(a_deleted_event_is_named), AUDIT_CASE(swapped_events_name_the_first),
		AUDIT_CASE(a_replaced_signature_is_named), AUDIT_CASE(the_first_bad_event_is_named),
		AUDIT_CASE(partners_cannot_export), AUDIT_CASE(a_wrong_server_key_fails_on_the_first_checkpoint),
		AUDIT_CASE(damaged_files_are_refused), AUDIT_CASE(three_instances_seal_one_chain),
	};

	/* The maintenance pass (the sealer among its jobs) every 200 ms. */
	setenv("BATON_MAINTENANCE_MS", "200", 1);
	return cmocka_run_group_tests_name("integration: the sealed audit trail", tests, shiftfix_setup,
	    shiftfix_teardown);
}
