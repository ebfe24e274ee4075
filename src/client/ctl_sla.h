/* ctl_sla.h - what the SLA and escalation verbs share (ctl_reply.c): any reply as JSON, verbs as data, time used. */
#ifndef BATON_CLIENT_CTL_SLA_H
#define BATON_CLIENT_CTL_SLA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "baton/v1/sla.pb-c.h"
#include "client/ctl.h"
#include "common/textbuf.h"

/* ---- JSON (ctl_reply.c) ---------------------------------------------------------- */

/*
 * Writes m as one JSON object: every field under its proto name, in field
 * number order; integers as numbers, repeated fields as arrays, nested
 * messages as objects (null when absent), an Event as ctl_json_event
 * writes it (the same shape as `batonctl watch --json`).
 */
void ctl_json_proto(textbuf *t, const ProtobufCMessage *m);
/* ctl_json_proto of m as one line on stdout. */
void ctl_print_json_proto(const ProtobufCMessage *m);

/* ---- verbs as data (ctl_reply.c) ------------------------------------------------------ */

/* One call a verb makes: its name for messages, the method, whether it
 * changes state (signed, sent again with its request id when the outcome
 * is unknown), the reply's type and how to print the reply. */
typedef struct ctl_rpc {
	const char                       *verb;
	const char                       *method;
	bool                              changes_state;
	const ProtobufCMessageDescriptor *reply_desc;
	/* Prints the reply (people or --json); returns the exit status. */
	int (*print)(const ctl_globals *g, const ProtobufCMessage *reply);
} ctl_rpc;

/* Connects, calls r->method with req, prints the reply through r->print
 * and frees it. Returns the exit status (EXIT_RPC after reporting a
 * failed call). */
int ctl_rpc_run(const ctl_globals *g, const ctl_rpc *r, const ProtobufCMessage *req);

/* An action of a verb with actions ("sla set"): argv[0] is the action. */
typedef struct ctl_action {
	const char *name;
	int (*run)(const ctl_globals *g, int argc, char **argv);
} ctl_action;

/* Runs the action argv[1] of verb: `VERB --help` prints usage (exit 0),
 * no action prints it to stderr (EXIT_USAGE), an unknown one is a usage
 * error that names the actions. */
int ctl_action_run(const ctl_globals *g, const char *verb, const ctl_action *actions, size_t n,
    const char *usage, int argc, char **argv);

/* ---- for people (ctl_reply.c) ------------------------------------------------------ */

/* Seconds (fractions dropped) as "45s", "12m30s", "2h05m", "1d03h": two units at most. */
void ctl_used_format(double seconds, char *buf, size_t len);

#endif
