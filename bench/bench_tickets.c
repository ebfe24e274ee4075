/* bench_tickets.c - `make bench`'s tickets part: partner agents on a live shift (tickets-setup), then take/pass, queue lists and Ping through each agent's own client (tickets). */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <baton/client.h>
#include <baton/keys.h>
#include <nng/nng.h>

#include "baton/v1/identity.pb-c.h"
#include "baton/v1/shifts.pb-c.h"
#include "baton/v1/tickets.pb-c.h"
#include "bench.h"
#include "common/clock.h"

/* The agents the runs speak for: handles and key files bench-agent-01 ... */
#define AGENT_PREFIX "bench-agent-"
#define MAX_AGENTS   64

/* People without keys who own the bulk tickets that are assigned or
 * pending: "<org>-staff-1" ... per partner organization, and
 * "bench-hq-staff-1" ... in the in-house one. bench/tickets_gen.sql finds
 * them by these handles. */
#define STAFF_PER_ORG 4

/* The setup's calls, the agents' handshakes and claims included. */
#define SETUP_BOUND_S 120

/* Most ticket ids a run reads from its file. */
#define MAX_IDS 1000000

#define PAGE_SIZE   50
#define PING_BYTES  128

#define M_ADD_ORG       "/baton.v1.Identity/AddOrg"
#define M_ADD_PRINCIPAL "/baton.v1.Identity/AddPrincipal"
#define M_WHOAMI        "/baton.v1.Identity/WhoAmI"
#define M_ADD_SLOT      "/baton.v1.Shifts/AddSlot"
#define M_CLAIM_SEAT    "/baton.v1.Shifts/ClaimSeat"
#define M_TAKE          "/baton.v1.Tickets/TakeTicket"
#define M_PASS          "/baton.v1.Tickets/PassTicket"
#define M_LIST          "/baton.v1.Tickets/ListTickets"

/* The partner organizations. The first is the agents': its queue is the
 * one the runs list and take from, and the slot is in its language.
 * bench/tickets_gen.sql spreads the bulk tickets over these names and the
 * in-house queue. */
static const struct bench_org {
	const char *name, *kind, *language, *time_zone;
} bench_orgs[] = {
	{ "bench-en", "after_hours", "en", "Europe/Warsaw" },
	{ "bench-es", "language", "es", "America/Bogota" },
	{ "bench-pl", "after_hours", "pl", "Europe/Warsaw" },
};
#define N_BENCH_ORGS (sizeof(bench_orgs) / sizeof(bench_orgs[0]))

const char bench_tickets_usage[] =
    "  baton_bench tickets-setup -u URL -k ADMIN_KEY -p SERVER_KEY -a DIR [-n AGENTS]\n"
    "  baton_bench tickets -m MODE -u URL -p SERVER_KEY -a DIR [-c CLIENTS] [-d SECONDS]\n"
    "                      [-w WARMUP_SECONDS] [-i IDS_FILE] [-q QUEUE]\n"
    "\n"
    "tickets-setup: as the admin, adds the partner organizations bench-en (en), bench-es\n"
    "  (es) and bench-pl (pl), 4 keyless staff per organization (the in-house one too)\n"
    "  to own bulk tickets, a slot in English open to bench-en from a minute ago for 12 h\n"
    "  with AGENTS seats (default 8, 1..64), and AGENTS agents of bench-en\n"
    "  (bench-agent-01 ...), each with a fresh key in DIR/<handle>.key, who claim a seat\n"
    "  on it themselves. Prints `slot: ID` and `agents: N`.\n"
    "tickets: CLIENTS threads (default 8, 1..AGENTS), thread i with its own client opened\n"
    "  as bench-agent-<i> (session opened before the clock starts), one call in flight\n"
    "  each, closed loop, for WARMUP_SECONDS (default 1) and then SECONDS (default 5).\n"
    "  MODE is one of:\n"
    "  ping:      sealed baton_ping (128 bytes), the echo checked: the baseline.\n"
    "  take-pass: thread i cycles through the ids of IDS_FILE (one ticket id a line) at\n"
    "             positions i, i + CLIENTS, ...: TakeTicket (must come back assigned to\n"
    "             the agent), then PassTicket back to QUEUE with a note (must come back\n"
    "             queued). Both are signed, exactly-once mutations; both count as calls.\n"
    "             take_* and pass_* lines give each one's latency.\n"
    "  list:      ListTickets of QUEUE (default bench-en), queued, first page of 50,\n"
    "             which must hold 50 queued tickets of QUEUE in priority order.\n";

/* ---- calls ------------------------------------------------------------------ */

/* Packs req, calls method (signed with a fresh request id when
 * changes_state) and on OK unpacks the reply as reply_desc into *reply
 * (caller frees; may be NULL). why gets the server's message. */
static baton_status call(baton_client *c, const char *method, const ProtobufCMessage *req, bool changes_state,
    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply, char *why, size_t why_len)
{
	baton_call_options opts = { .timeout_ms = BENCH_CALL_TIMEOUT_MS, .changes_state = changes_state };
	size_t len = protobuf_c_message_get_packed_size(req);
	uint8_t *buf = malloc(len ? len : 1);
	baton_result res;
	baton_status s;

	memset(&res, 0, sizeof(res));
	if (reply != NULL)
		*reply = NULL;
	if (buf == NULL) {
		snprintf(why, why_len, "out of memory");
		return BATON_INTERNAL;
	}
	protobuf_c_message_pack(req, buf);
	s = baton_call(c, method, buf, len, &opts, &res);
	free(buf);
	snprintf(why, why_len, "%s", res.message);
	if (s == BATON_OK && reply != NULL) {
		*reply = protobuf_c_message_unpack(reply_desc, NULL, res.payload_len, res.payload);
		if (*reply == NULL) {
			snprintf(why, why_len, "the reply of %s does not unpack", method);
			s = BATON_INTERNAL;
		}
	}
	baton_result_clear(&res);
	return s;
}

/* Opens a client as key_file with the pinned server key and its session. */
static baton_client *agent_client_open(const char *url, const char *key_file, const char *server_key)
{
	baton_client_options opts;
	baton_client *c = NULL;
	baton_key key;
	uint8_t server_public[BATON_PUBLIC_KEY_BYTES];
	baton_result res;

	memset(&opts, 0, sizeof(opts));
	memset(&res, 0, sizeof(res));
	if (!bench_keys_load(key_file, server_key, &key, server_public))
		return NULL;
	opts.key = &key;
	opts.server_public_key = server_public;
	if (baton_client_open(&c, url, &opts, &res) != BATON_OK) {
		fprintf(stderr, "baton_bench: baton_client_open %s as %s: %s: %s\n", url, key_file,
		    baton_status_str(res.status), res.message);
		c = NULL;
	} else if (baton_session_open(c, BENCH_CALL_TIMEOUT_MS, &res) != BATON_OK) {
		fprintf(stderr, "baton_bench: baton_session_open as %s: %s: %s\n", key_file,
		    baton_status_str(res.status), res.message);
		baton_client_close(c);
		c = NULL;
	}
	baton_result_clear(&res);
	baton_key_wipe(&key); /* the client keeps its own copy */
	return c;
}

/* ---- tickets-setup ------------------------------------------------------------ */

static bool org_add(baton_client *admin, const struct bench_org *o)
{
	Baton__V1__AddOrgRequest req = BATON__V1__ADD_ORG_REQUEST__INIT;
	char *langs[1] = { (char *)o->language };
	char why[512];
	baton_status s;

	req.name = (char *)o->name;
	req.kind = (char *)o->kind;
	req.languages = langs;
	req.n_languages = 1;
	req.time_zone = (char *)o->time_zone;
	if ((s = call(admin, M_ADD_ORG, &req.base, true, NULL, NULL, why, sizeof(why))) != BATON_OK) {
		fprintf(stderr, "baton_bench: AddOrg %s: %s: %s\n", o->name, baton_status_str(s), why);
		return false;
	}
	return true;
}

/* AddPrincipal of handle (role agent) in org with public_key (NULL: no key). */
static bool person_add(baton_client *admin, const char *org, const char *handle, const char *public_key)
{
	Baton__V1__AddPrincipalRequest req = BATON__V1__ADD_PRINCIPAL_REQUEST__INIT;
	char why[512];
	baton_status s;

	req.org = (char *)org;
	req.handle = (char *)handle;
	req.display_name = (char *)handle;
	req.role = "agent";
	req.public_key = (char *)(public_key != NULL ? public_key : "");
	if ((s = call(admin, M_ADD_PRINCIPAL, &req.base, true, NULL, NULL, why, sizeof(why))) != BATON_OK) {
		fprintf(stderr, "baton_bench: AddPrincipal %s in %s: %s: %s\n", handle, org, baton_status_str(s), why);
		return false;
	}
	return true;
}

/* The in-house organization's id: the admin's own. */
static bool in_house_id(baton_client *admin, char out[40])
{
	Baton__V1__WhoamiRequest req = BATON__V1__WHOAMI_REQUEST__INIT;
	Baton__V1__WhoamiReply *rep;
	char why[512];
	baton_status s;

	s = call(admin, M_WHOAMI, &req.base, false, &baton__v1__whoami_reply__descriptor, (ProtobufCMessage **)&rep,
	    why, sizeof(why));
	if (s != BATON_OK || rep->principal == NULL) {
		fprintf(stderr, "baton_bench: WhoAmI: %s: %s\n", baton_status_str(s), why);
		if (rep != NULL)
			baton__v1__whoami_reply__free_unpacked(rep, NULL);
		return false;
	}
	snprintf(out, 40, "%s", rep->principal->org_id);
	baton__v1__whoami_reply__free_unpacked(rep, NULL);
	return true;
}

/* A slot in the agents' language, open to their organization, from a
 * minute ago for 12 h: every agent who claims a seat is on shift now. */
static bool slot_add(baton_client *admin, long seats, char slot_id[40])
{
	Baton__V1__AddSlotRequest req = BATON__V1__ADD_SLOT_REQUEST__INIT;
	Baton__V1__AddSlotReply *rep;
	char *orgs[1] = { (char *)bench_orgs[0].name };
	char why[512];
	int64_t now = clock_realtime_ms();
	baton_status s;

	req.queue = "bench";
	req.language = (char *)bench_orgs[0].language;
	req.starts_unix_ms = now - 60 * 1000;
	req.ends_unix_ms = now + 12 * 3600 * 1000LL;
	req.seats = (int32_t)seats;
	req.open_to_orgs = orgs;
	req.n_open_to_orgs = 1;
	req.release_cutoff_s = -1;
	req.note = "make bench";
	s = call(admin, M_ADD_SLOT, &req.base, true, &baton__v1__add_slot_reply__descriptor,
	    (ProtobufCMessage **)&rep, why, sizeof(why));
	if (s != BATON_OK || rep->slot == NULL) {
		fprintf(stderr, "baton_bench: AddSlot: %s: %s\n", baton_status_str(s), why);
		if (rep != NULL)
			baton__v1__add_slot_reply__free_unpacked(rep, NULL);
		return false;
	}
	snprintf(slot_id, 40, "%s", rep->slot->id);
	baton__v1__add_slot_reply__free_unpacked(rep, NULL);
	return true;
}

/* A new agent of the first organization with a fresh key in dir, who then
 * claims a seat on slot_id through their own client. */
static bool agent_add(baton_client *admin, const char *url, const char *server_key, const char *dir, long i,
    const char *slot_id)
{
	Baton__V1__ClaimSeatRequest req = BATON__V1__CLAIM_SEAT_REQUEST__INIT;
	char handle[64], path[4096], public_text[BATON_PUBLIC_KEY_TEXT], why[512];
	baton_client *c;
	baton_key key;
	baton_status s;

	snprintf(handle, sizeof(handle), AGENT_PREFIX "%02ld", i);
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.key", dir, handle) >= sizeof(path)) {
		fprintf(stderr, "baton_bench: the folder name %s is too long\n", dir);
		return false;
	}
	if (baton_key_generate(&key) != BATON_OK) {
		fprintf(stderr, "baton_bench: cannot make a key\n");
		return false;
	}
	s = baton_key_file_write(path, &key, "make bench agent", why, sizeof(why));
	baton_public_key_format(key.public_key, public_text);
	baton_key_wipe(&key);
	if (s != BATON_OK) {
		fprintf(stderr, "baton_bench: %s\n", why);
		return false;
	}
	if (!person_add(admin, bench_orgs[0].name, handle, public_text))
		return false;
	if ((c = agent_client_open(url, path, server_key)) == NULL)
		return false;
	req.slot = (char *)slot_id;
	s = call(c, M_CLAIM_SEAT, &req.base, true, NULL, NULL, why, sizeof(why));
	baton_client_close(c);
	if (s != BATON_OK) {
		fprintf(stderr, "baton_bench: ClaimSeat of slot %s by %s: %s: %s\n", slot_id, handle, baton_status_str(s),
		    why);
		return false;
	}
	return true;
}

int bench_tickets_setup_main(int argc, char **argv)
{
	const char *url = NULL, *admin_key = NULL, *server_key = NULL, *dir = NULL;
	long n_agents = 8;
	baton_client *admin = NULL;
	char slot_id[40], hq_id[40], handle[64];
	int opt, status = 1;

	while ((opt = getopt(argc, argv, "u:k:p:a:n:")) != -1) {
		switch (opt) {
		case 'u': url = optarg; break;
		case 'k': admin_key = optarg; break;
		case 'p': server_key = optarg; break;
		case 'a': dir = optarg; break;
		case 'n':
			if (!bench_parse_long(optarg, 1, MAX_AGENTS, &n_agents))
				return bench_usage_error("-n must be 1..%d, not '%s'", MAX_AGENTS, optarg);
			break;
		default:
			return bench_usage_error("tickets-setup: unknown or incomplete option");
		}
	}
	if (optind < argc)
		return bench_usage_error("tickets-setup: unexpected argument '%s'", argv[optind]);
	if (url == NULL || admin_key == NULL || server_key == NULL || dir == NULL)
		return bench_usage_error("tickets-setup needs -u URL, -k ADMIN_KEY, -p SERVER_KEY and -a DIR");

	bench_run_bound(SETUP_BOUND_S);
	if ((admin = agent_client_open(url, admin_key, server_key)) == NULL)
		goto out;
	if (!in_house_id(admin, hq_id))
		goto out;
	for (size_t o = 0; o < N_BENCH_ORGS; o++) {
		if (!org_add(admin, &bench_orgs[o]))
			goto out;
		for (int k = 1; k <= STAFF_PER_ORG; k++) {
			snprintf(handle, sizeof(handle), "%s-staff-%d", bench_orgs[o].name, k);
			if (!person_add(admin, bench_orgs[o].name, handle, NULL))
				goto out;
		}
	}
	for (int k = 1; k <= STAFF_PER_ORG; k++) {
		snprintf(handle, sizeof(handle), "bench-hq-staff-%d", k);
		if (!person_add(admin, hq_id, handle, NULL))
			goto out;
	}
	if (!slot_add(admin, n_agents, slot_id))
		goto out;
	for (long i = 1; i <= n_agents; i++)
		if (!agent_add(admin, url, server_key, dir, i, slot_id))
			goto out;
	printf("slot: %s\nagents: %ld\nqueue: %s\n", slot_id, n_agents, bench_orgs[0].name);
	status = fflush(stdout) == 0 ? 0 : 1;
out:
	bench_shutdown_bound();
	baton_client_close(admin);
	nng_fini();
	return status;
}

/* ---- tickets: the load ------------------------------------------------------ */

typedef enum { TK_PING, TK_TAKE_PASS, TK_LIST } tickets_mode;

static const char *const tickets_mode_names[] = { "ping", "take-pass", "list" };

#define N_TICKETS_MODES (sizeof(tickets_mode_names) / sizeof(tickets_mode_names[0]))

/* One agent: its own client, one call in flight at a time. */
typedef struct agent_thread {
	tickets_mode  mode;
	baton_client *client;
	char          handle[64];
	const char   *queue;
	char *const  *ids;    /* take-pass: every id of the file */
	size_t        n_ids;  /* ... of which this thread's are first, first + stride, ... */
	size_t        first, stride;
	uint8_t       payload[PING_BYTES];
	uint64_t      t_record; /* record calls started at or after this */
	uint64_t      t_end;    /* start no call (take-pass: no cycle) at or after this */
	bench_samples latency;  /* per call; take-pass: the takes */
	bench_samples pass;     /* take-pass: the passes */
	uint64_t      calls, errors;
	char          first_error[512];
	char          failure[256];
	pthread_t     thread;
} agent_thread;

/* One more failure of t; the first one's text is kept. */
#define note_error(t, ...) bench_error_note(&(t)->errors, (t)->first_error, sizeof((t)->first_error), __VA_ARGS__)

static bool ping_call(agent_thread *t)
{
	baton_result res;
	baton_status s = baton_ping(t->client, t->payload, sizeof(t->payload), BENCH_CALL_TIMEOUT_MS, &res);
	bool ok = s == BATON_OK && res.payload_len == sizeof(t->payload) &&
	          memcmp(res.payload, t->payload, sizeof(t->payload)) == 0;

	if (s != BATON_OK)
		note_error(t, "baton_ping: %s: %s", baton_status_str(s), res.message);
	else if (!ok)
		note_error(t, "baton_ping: the echo differs from the request");
	baton_result_clear(&res);
	return ok;
}

static bool take_call(agent_thread *t, const char *id)
{
	Baton__V1__TakeTicketRequest req = BATON__V1__TAKE_TICKET_REQUEST__INIT;
	Baton__V1__TakeTicketReply *rep;
	char why[512];
	baton_status s;
	bool ok;

	req.ticket = (char *)id;
	s = call(t->client, M_TAKE, &req.base, true, &baton__v1__take_ticket_reply__descriptor,
	    (ProtobufCMessage **)&rep, why, sizeof(why));
	if (s != BATON_OK) {
		note_error(t, "TakeTicket %s as %s: %s: %s", id, t->handle, baton_status_str(s), why);
		return false;
	}
	ok = rep->ticket != NULL && strcmp(rep->ticket->status, "assigned") == 0 &&
	     strcmp(rep->ticket->owner, t->handle) == 0;
	if (!ok)
		note_error(t, "TakeTicket %s as %s: OK, but the ticket is %s, owned by '%s'", id, t->handle,
		    rep->ticket != NULL ? rep->ticket->status : "missing", rep->ticket != NULL ? rep->ticket->owner : "");
	baton__v1__take_ticket_reply__free_unpacked(rep, NULL);
	return ok;
}

static bool pass_call(agent_thread *t, const char *id)
{
	Baton__V1__PassTicketRequest req = BATON__V1__PASS_TICKET_REQUEST__INIT;
	Baton__V1__PassTicketReply *rep;
	char why[512];
	baton_status s;
	bool ok;

	req.ticket = (char *)id;
	req.to_queue = (char *)t->queue;
	req.note = "make bench: back to the queue";
	s = call(t->client, M_PASS, &req.base, true, &baton__v1__pass_ticket_reply__descriptor,
	    (ProtobufCMessage **)&rep, why, sizeof(why));
	if (s != BATON_OK) {
		note_error(t, "PassTicket %s to %s as %s: %s: %s", id, t->queue, t->handle, baton_status_str(s), why);
		return false;
	}
	ok = rep->ticket != NULL && strcmp(rep->ticket->status, "queued") == 0 && rep->ticket->owner[0] == '\0' &&
	     strcmp(rep->ticket->queue, t->queue) == 0;
	if (!ok)
		note_error(t, "PassTicket %s to %s as %s: OK, but the ticket is %s in %s, owned by '%s'", id, t->queue,
		    t->handle, rep->ticket != NULL ? rep->ticket->status : "missing",
		    rep->ticket != NULL ? rep->ticket->queue : "", rep->ticket != NULL ? rep->ticket->owner : "");
	baton__v1__pass_ticket_reply__free_unpacked(rep, NULL);
	return ok;
}

/* The first page of the queue: full, all queued in it, highest priority first. */
static bool list_call(agent_thread *t)
{
	Baton__V1__ListTicketsRequest req = BATON__V1__LIST_TICKETS_REQUEST__INIT;
	Baton__V1__ListTicketsReply *rep;
	char why[512];
	baton_status s;
	bool ok;

	req.queue = (char *)t->queue;
	req.page_size = PAGE_SIZE;
	s = call(t->client, M_LIST, &req.base, false, &baton__v1__list_tickets_reply__descriptor,
	    (ProtobufCMessage **)&rep, why, sizeof(why));
	if (s != BATON_OK) {
		note_error(t, "ListTickets of %s as %s: %s: %s", t->queue, t->handle, baton_status_str(s), why);
		return false;
	}
	ok = rep->n_tickets == PAGE_SIZE && rep->next_page_token[0] != '\0';
	if (!ok)
		note_error(t, "ListTickets of %s: %zu tickets (next page '%s'), not a full page of %d", t->queue,
		    rep->n_tickets, rep->next_page_token, PAGE_SIZE);
	for (size_t i = 0; ok && i < rep->n_tickets; i++) {
		const Baton__V1__Ticket *k = rep->tickets[i];
		if (strcmp(k->queue, t->queue) != 0 || strcmp(k->status, "queued") != 0) {
			note_error(t, "ListTickets of %s: ticket %s is %s in %s", t->queue, k->id, k->status, k->queue);
			ok = false;
		} else if (i > 0 && k->priority > rep->tickets[i - 1]->priority) {
			note_error(t, "ListTickets of %s: ticket %zu has priority %d after %d", t->queue, i,
			    (int)k->priority, (int)rep->tickets[i - 1]->priority);
			ok = false;
		}
	}
	baton__v1__list_tickets_reply__free_unpacked(rep, NULL);
	return ok;
}

static bool keep(agent_thread *t, bench_samples *s, uint64_t ns)
{
	if (bench_samples_add(s, ns))
		return true;
	snprintf(t->failure, sizeof(t->failure), "out of memory for latency samples");
	return false;
}

static void *agent_thread_main(void *arg)
{
	agent_thread *t = arg;
	size_t k = t->first;
	uint64_t t0;

	/* Bounded: no call (take-pass: no take) starts at or after t_end and
	 * every call's wait is bounded by BENCH_CALL_TIMEOUT_MS. A taken
	 * ticket is always passed back, so the queue stays as it was. */
	while ((t0 = clock_monotonic_ns()) < t->t_end) {
		bool record = t0 >= t->t_record, ok;

		if (t->mode == TK_TAKE_PASS) {
			const char *id = t->ids[k];
			k += t->stride;
			if (k >= t->n_ids)
				k = t->first;
			ok = take_call(t, id);
			uint64_t t1 = clock_monotonic_ns();
			t->calls++;
			if (!ok)
				continue;
			ok = pass_call(t, id);
			uint64_t t2 = clock_monotonic_ns();
			t->calls++;
			if (record && (!keep(t, &t->latency, t1 - t0) || (ok && !keep(t, &t->pass, t2 - t1))))
				break;
			continue;
		}
		ok = t->mode == TK_PING ? ping_call(t) : list_call(t);
		uint64_t t1 = clock_monotonic_ns();
		t->calls++;
		if (ok && record && !keep(t, &t->latency, t1 - t0))
			break;
	}
	return NULL;
}

/* Reads one ticket id a line (blank lines skipped); false with the reason. */
static bool ids_read(const char *path, char ***out, size_t *n_out)
{
	FILE *f = fopen(path, "r");
	char line[128], **ids = NULL;
	size_t n = 0, cap = 0;
	bool ok = false;

	if (f == NULL) {
		fprintf(stderr, "baton_bench: %s: %s\n", path, strerror(errno));
		return false;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		line[strcspn(line, " \t\r\n")] = '\0';
		if (line[0] == '\0')
			continue;
		if (n == MAX_IDS) {
			fprintf(stderr, "baton_bench: %s holds more than %d ids\n", path, MAX_IDS);
			goto out;
		}
		if (n == cap) {
			size_t c = cap ? 2 * cap : 1024;
			char **v = realloc(ids, c * sizeof(*v));
			if (v == NULL)
				goto oom;
			ids = v;
			cap = c;
		}
		if ((ids[n] = strdup(line)) == NULL)
			goto oom;
		n++;
	}
	if (ferror(f)) {
		fprintf(stderr, "baton_bench: reading %s failed\n", path);
		goto out;
	}
	ok = true;
	goto out;
oom:
	fprintf(stderr, "baton_bench: out of memory reading %s\n", path);
out:
	fclose(f);
	if (!ok) {
		for (size_t i = 0; i < n; i++)
			free(ids[i]);
		free(ids);
		ids = NULL;
		n = 0;
	}
	*out = ids;
	*n_out = n;
	return ok;
}

static int tickets_report(const agent_thread *threads, long n, tickets_mode mode, double secs, double warm)
{
	const bench_samples **sets = calloc((size_t)(2 * n), sizeof(*sets));
	uint64_t calls = 0, errors = 0, handshakes = 0;
	size_t recorded = 0, n_takes = 0;
	int status = 1;

	if (sets == NULL) {
		fprintf(stderr, "baton_bench: out of memory\n");
		return 1;
	}
	for (long i = 0; i < n; i++) {
		baton_session_stats stats;
		calls += threads[i].calls;
		errors += threads[i].errors;
		recorded += threads[i].latency.n + threads[i].pass.n;
		n_takes += threads[i].latency.n;
		baton_session_stats_get(threads[i].client, &stats);
		handshakes += stats.handshakes;
	}
	printf("mode: %s\n", tickets_mode_names[mode]);
	printf("in_flight: %ld\n", n);
	printf("warmup_s: %.2f\n", warm);
	printf("duration_s: %.2f\n", secs);
	printf("calls_total: %llu\n", (unsigned long long)calls);
	printf("requests: %zu\n", recorded);
	printf("requests_per_s: %.0f\n", (double)recorded / secs);
	/* All calls together, then (take-pass) each kind alone. */
	for (long i = 0; i < n; i++) {
		sets[2 * i] = &threads[i].latency;
		sets[2 * i + 1] = &threads[i].pass;
	}
	if (!bench_latency_print(sets, (size_t)(2 * n), "", NULL))
		goto out;
	if (mode == TK_TAKE_PASS) {
		printf("cycles_per_s: %.0f\n", (double)n_takes / secs);
		for (long i = 0; i < n; i++)
			sets[i] = &threads[i].latency;
		if (!bench_latency_print(sets, (size_t)n, "take_", NULL))
			goto out;
		for (long i = 0; i < n; i++)
			sets[i] = &threads[i].pass;
		if (!bench_latency_print(sets, (size_t)n, "pass_", NULL))
			goto out;
	}
	/* n = one session per agent served every call. */
	printf("handshakes: %llu\n", (unsigned long long)handshakes);
	printf("errors: %llu\n", (unsigned long long)errors);
	for (long i = 0; i < n; i++)
		if (threads[i].first_error[0] != '\0')
			fprintf(stderr, "baton_bench: %s: %llu failed calls; first: %s\n", threads[i].handle,
			    (unsigned long long)threads[i].errors, threads[i].first_error);
	if (fflush(stdout) != 0) {
		fprintf(stderr, "baton_bench: cannot write to stdout\n");
		goto out;
	}
	status = errors == 0 && recorded > 0 ? 0 : 1;
out:
	free(sets);
	return status;
}

int bench_tickets_main(int argc, char **argv)
{
	const char *url = NULL, *server_key = NULL, *dir = NULL, *ids_file = NULL, *mode_name = NULL;
	const char *queue = bench_orgs[0].name;
	long n_clients = 8, started = 0;
	double secs = 5, warm = 1;
	tickets_mode mode;
	agent_thread *threads = NULL;
	char **ids = NULL, path[4096];
	size_t n_ids = 0;
	bool failed = false;
	int opt, rv, status = 1;

	while ((opt = getopt(argc, argv, "m:u:p:a:c:d:w:i:q:")) != -1) {
		switch (opt) {
		case 'm': mode_name = optarg; break;
		case 'u': url = optarg; break;
		case 'p': server_key = optarg; break;
		case 'a': dir = optarg; break;
		case 'i': ids_file = optarg; break;
		case 'q': queue = optarg; break;
		case 'c':
			if (!bench_parse_long(optarg, 1, MAX_AGENTS, &n_clients))
				return bench_usage_error("-c must be 1..%d, not '%s'", MAX_AGENTS, optarg);
			break;
		case 'd':
			if (!bench_parse_seconds(optarg, 0.1, 600, &secs))
				return bench_usage_error("-d must be 0.1..600 seconds, not '%s'", optarg);
			break;
		case 'w':
			if (!bench_parse_seconds(optarg, 0, 60, &warm))
				return bench_usage_error("-w must be 0..60 seconds, not '%s'", optarg);
			break;
		default:
			return bench_usage_error("tickets: unknown or incomplete option");
		}
	}
	if (optind < argc)
		return bench_usage_error("tickets: unexpected argument '%s'", argv[optind]);
	if (url == NULL || server_key == NULL || dir == NULL || mode_name == NULL)
		return bench_usage_error("tickets needs -m MODE, -u URL, -p SERVER_KEY and -a DIR");
	for (mode = TK_PING; (size_t)mode < N_TICKETS_MODES; mode++)
		if (strcmp(mode_name, tickets_mode_names[mode]) == 0)
			break;
	if ((size_t)mode == N_TICKETS_MODES)
		return bench_usage_error("tickets: -m must be ping, take-pass or list, not '%s'", mode_name);
	if ((mode == TK_TAKE_PASS) != (ids_file != NULL))
		return bench_usage_error(mode == TK_TAKE_PASS ? "tickets: -m take-pass needs -i IDS_FILE"
		                                              : "tickets: -i is for -m take-pass only");

	/* From here the whole run is bounded (handshakes included). */
	bench_run_bound((unsigned)(warm + secs) + 1 + BENCH_RUN_GRACE_S);
	if (ids_file != NULL) {
		if (!ids_read(ids_file, &ids, &n_ids))
			return 1;
		if (n_ids < (size_t)n_clients) {
			fprintf(stderr, "baton_bench: %s holds %zu ticket ids; %ld clients need at least one each\n",
			    ids_file, n_ids, n_clients);
			goto out;
		}
	}
	if ((threads = calloc((size_t)n_clients, sizeof(*threads))) == NULL) {
		fprintf(stderr, "baton_bench: out of memory\n");
		goto out;
	}
	for (long i = 0; i < n_clients; i++) {
		agent_thread *t = &threads[i];
		snprintf(t->handle, sizeof(t->handle), AGENT_PREFIX "%02ld", i + 1);
		if ((size_t)snprintf(path, sizeof(path), "%s/%s.key", dir, t->handle) >= sizeof(path)) {
			fprintf(stderr, "baton_bench: the folder name %s is too long\n", dir);
			goto out;
		}
		if ((t->client = agent_client_open(url, path, server_key)) == NULL)
			goto out;
	}

	uint64_t t_start = clock_monotonic_ns();
	for (long i = 0; i < n_clients; i++) {
		agent_thread *t = &threads[i];
		t->mode = mode;
		t->queue = queue;
		t->ids = ids;
		t->n_ids = n_ids;
		t->first = (size_t)i;
		t->stride = (size_t)n_clients;
		t->t_record = t_start + (uint64_t)(warm * 1e9);
		t->t_end = t->t_record + (uint64_t)(secs * 1e9);
		/* A pattern per thread, so a reply routed to the wrong caller
		 * would not pass the check. */
		for (size_t j = 0; j < sizeof(t->payload); j++)
			t->payload[j] = (uint8_t)('a' + ((size_t)i + j) % 26);
		if ((rv = pthread_create(&t->thread, NULL, agent_thread_main, t)) != 0) {
			fprintf(stderr, "baton_bench: pthread_create: %s\n", strerror(rv));
			failed = true;
			break;
		}
		started++;
	}
	/* Threads already started stop by themselves at t_end. */
	for (long i = 0; i < started; i++) {
		if ((rv = pthread_join(threads[i].thread, NULL)) != 0) {
			fprintf(stderr, "baton_bench: pthread_join: %s\n", strerror(rv));
			failed = true;
		}
		if (threads[i].failure[0] != '\0') {
			fprintf(stderr, "baton_bench: %s: %s\n", threads[i].handle, threads[i].failure);
			failed = true;
		}
	}
	if (!failed)
		status = tickets_report(threads, n_clients, mode, secs, warm);
out:
	bench_shutdown_bound();
	for (long i = 0; threads != NULL && i < n_clients; i++) {
		baton_client_close(threads[i].client);
		bench_samples_free(&threads[i].latency);
		bench_samples_free(&threads[i].pass);
	}
	free(threads);
	for (size_t i = 0; i < n_ids; i++)
		free(ids[i]);
	free(ids);
	nng_fini();
	return status;
}
