/* shiftfix.h - what the shift tests share: Shifts calls by name, slots and seats in a few words, people beyond the registry, racing threads, counts in SQL. */
#ifndef BATON_TESTS_SHIFTFIX_H
#define BATON_TESTS_SHIFTFIX_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <baton/client.h>

#include "baton/v1/shifts.pb-c.h"
#include "fixture.h"
#include "registry.h"

#define SH_ADD_SLOT       "/baton.v1.Shifts/AddSlot"
#define SH_PUBLISH_WEEKLY "/baton.v1.Shifts/PublishWeekly"
#define SH_LIST_SLOTS     "/baton.v1.Shifts/ListSlots"
#define SH_SHOW_SLOT      "/baton.v1.Shifts/ShowSlot"
#define SH_EDIT_SLOT      "/baton.v1.Shifts/EditSlot"
#define SH_CANCEL_SLOT    "/baton.v1.Shifts/CancelSlot"
#define SH_CLAIM_SEAT     "/baton.v1.Shifts/ClaimSeat"
#define SH_RELEASE_SEAT   "/baton.v1.Shifts/ReleaseSeat"
#define SH_LIST_CLAIMS    "/baton.v1.Shifts/ListClaims"
#define SH_COVERAGE       "/baton.v1.Shifts/Coverage"
#define SH_OFFER_SWAP     "/baton.v1.Shifts/OfferSwap"

#define SH_MINUTE_MS ((int64_t)60 * 1000)
#define SH_HOUR_MS   ((int64_t)3600 * 1000)
#define SH_DAY_MS    ((int64_t)24 * SH_HOUR_MS)

/* ---- calls ------------------------------------------------------------------ */

/* Packs req, calls method through c (signed with a fresh request id when
 * the method changes state) and on OK unpacks the reply as reply_desc into
 * *reply (may be NULL; caller frees with protobuf_c_message_free_unpacked).
 * The server's message goes to msg (may be NULL). Returns the status. */
baton_status shiftfix_call(baton_client *c, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply, char *msg, size_t msg_len);

/* Whether method (of any service the tests call) changes state, so is
 * signed and exactly-once. */
bool shiftfix_changes_state(const char *method);

/* req packed into a malloc'ed buffer (caller frees). */
uint8_t *shiftfix_pack(const ProtobufCMessage *req, size_t *len);

/* ---- slots and seats -------------------------------------------------------- */

/* An AddSlot by instants in a few words; NULL/0 fields take the defaults
 * noted. */
typedef struct shiftfix_slot {
	const char *queue;    /* NULL: "billing" */
	const char *language; /* NULL: "en" */
	int64_t     starts_ms, ends_ms;
	int32_t     seats;    /* 0: 1 */
	const char *orgs;     /* open_to_orgs, comma-separated names; NULL: none */
	const char *kinds;    /* open_to_kinds, comma-separated; NULL: none */
	int64_t     cutoff_s; /* release_cutoff_s as sent */
	const char *swap_approval;
	const char *note;
} shiftfix_slot;

/* AddSlot as c; on OK the new slot's id goes to id (40 bytes, may be NULL). */
baton_status shiftfix_slot_add(baton_client *c, const shiftfix_slot *spec, char *id, char *msg, size_t msg_len);
/* shiftfix_slot_add that fails the case unless OK. */
void shiftfix_slot_must(baton_client *c, const shiftfix_slot *spec, char id[40]);

/* ClaimSeat of slot for for_principal ("" or NULL: the caller); on OK the
 * claim's id goes to claim_id (40 bytes, may be NULL). */
baton_status shiftfix_claim(baton_client *c, const char *slot, const char *for_principal, char *claim_id,
    char *msg, size_t msg_len);
/* shiftfix_claim that fails the case unless OK. */
void shiftfix_claim_must(baton_client *c, const char *slot, const char *for_principal, char claim_id[40]);

/* ReleaseSeat of claim (an id, or a slot id with for_principal). */
baton_status shiftfix_release(baton_client *c, const char *claim, const char *for_principal, char *msg,
    size_t msg_len);

/* CancelSlot; on OK and when out is not NULL the reply (caller frees). */
baton_status shiftfix_cancel(baton_client *c, const char *slot, bool rest_of_series,
    Baton__V1__CancelSlotReply **out, char *msg, size_t msg_len);

/* ShowSlot; on OK and when out is not NULL the reply (caller frees). */
baton_status shiftfix_show(baton_client *c, const char *slot, Baton__V1__ShowSlotReply **out, char *msg,
    size_t msg_len);

/* ListSlots overlapping [from, to) (include_cancelled as said); on OK the
 * reply (caller frees). */
baton_status shiftfix_list(baton_client *c, int64_t from_ms, int64_t to_ms, bool include_cancelled,
    Baton__V1__ListSlotsReply **out, char *msg, size_t msg_len);
bool shiftfix_listed(const Baton__V1__ListSlotsReply *l, const char *slot_id);

/* ---- time --------------------------------------------------------------------- */

int64_t shiftfix_now_ms(void);
/* The start of a fresh stretch of time, on the hour, at least four days
 * from now and 30 h after the previous stretch: slots a case puts in its
 * first 24 h overlap no other case's. */
int64_t shiftfix_window(void);

/* ---- people and clients -------------------------------------------------------- */

/* Adds handle with role in org as as (a fresh key and an open client whose
 * session is already open); fails the case otherwise. shiftfix_teardown
 * closes it. */
fixture_person *shiftfix_person(baton_client *as, const char *org, const char *handle, const char *role);
/* The races' agents, alternately of cap-north and cap-south (both speak
 * English; handles cap-n-00, cap-s-00, ...), each with its own client; made
 * on first use, closed by shiftfix_teardown. */
enum { SHIFTFIX_RACERS = 24 };
fixture_person *const *shiftfix_racers(void);

/* One more client speaking for p (its own session, already open); the
 * per-case shiftfix_cleanup closes it. */
baton_client *shiftfix_client_of(const fixture_person *p);

/* Organizations shiftfix_setup adds beside the registry's: cap-north
 * (overflow, en) and cap-south (seasonal, en and es), for races and
 * cross-organization claims on one slot, and madrid-es (language, es-ES). */
extern char shiftfix_north_id[40], shiftfix_south_id[40], shiftfix_madrid_id[40];

/* cmocka group setup: registry_setup, the organizations above, and English
 * for the in-house organization (which has no language of its own), so an
 * in-house manager's seat can fail for one reason at a time. */
int shiftfix_setup(void **state);
/* cmocka per-case teardown: closes shiftfix_client_of's clients, then
 * registry_cleanup. */
int shiftfix_cleanup(void **state);
/* cmocka group teardown: shiftfix_cleanup, closes shiftfix_person's people,
 * then registry_teardown. */
int shiftfix_teardown(void **state);

/* ---- racing threads --------------------------------------------------------------- */

/* One call of a race: client, method and packed request in; status and
 * result out (the caller clears res). With same_id, request_id is sent. */
typedef struct shiftfix_racer {
	baton_client  *client;
	const char    *method;
	const uint8_t *request;
	size_t         request_len;
	bool           same_id;
	uint8_t        request_id[16];
	baton_status   status;
	baton_result   res;
	pthread_t      thread;
	pthread_barrier_t *start;
} shiftfix_racer;

/* Sets r up to call method with req through c (a fresh request id);
 * returns the packed request, which the caller frees after the race. */
uint8_t *shiftfix_racer_init(shiftfix_racer *r, baton_client *c, const char *method, const ProtobufCMessage *req);

/* Opens every racer's session, then runs the n calls from n threads
 * released together by one barrier, and joins them all. */
void shiftfix_race(shiftfix_racer *r, int n);

/* ---- checks ------------------------------------------------------------------------- */

/* Fails the case (saying what, got and msg) unless got is want and, when
 * says is not NULL, msg contains says. */
void shiftfix_expect(const char *what, baton_status got, const char *msg, baton_status want, const char *says);

/* ---- the database ------------------------------------------------------------------ */

/* A fingerprint of every slot, claim and event row (out: 256 bytes): equal
 * fingerprints mean nothing was written in between. */
void shiftfix_snapshot(char out[256]);

/* Active claims of slot, and its seat counter. */
long shiftfix_active_on(const char *slot);
long shiftfix_seats_taken(const char *slot);

/* Events of kind about subject (NULL: any) by actor_id (NULL: any) that
 * carry a 64-byte signature. */
long shiftfix_events_signed(const char *kind, const char *subject, const char *actor_id);
/* Active claims of slot, and its seat counter. */
long shiftfix_active_on(const char *slot);
long shiftfix_seats_taken(const char *slot);

/* Checks, as an auditor would from the rows alone, that every event of kind
 * about subject is signed by actor_id's registered key over the request
 * that caused it (method, request id, payload, session binding). Returns
 * how many events it checked; fails the case on a bad one. */
long shiftfix_events_verify(const char *kind, const char *subject, const char *actor_id);

/* Events of kind about subject whose org_id is org_id ("" : NULL). */
long shiftfix_events_of_org(const char *kind, const char *subject, const char *org_id);

/* Runs sql as the database owner with row-level security scope 'all', in
 * one transaction. Returns 0 if it succeeded, else 1 with the SQLSTATE in
 * sqlstate (6 bytes) and the message, constraint name and context in why. */
int shiftfix_sql_refused(const char *sql, char sqlstate[6], char *why, size_t why_len);

#endif
