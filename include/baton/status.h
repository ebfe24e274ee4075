/* status.h - the one status code set of Baton, shared by server, client and wire. */
#ifndef BATON_STATUS_H
#define BATON_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Mirrors gRPC's canonical status codes, with the same fixed numbers. The
 * same numbers travel on the wire (baton.v1.StatusCode in wire.proto).
 * Never renumber; add new codes only if gRPC does.
 */
typedef enum baton_status {
	BATON_OK                  = 0,
	BATON_CANCELLED           = 1,
	BATON_UNKNOWN             = 2,
	BATON_INVALID_ARGUMENT    = 3,
	BATON_DEADLINE_EXCEEDED   = 4,
	BATON_NOT_FOUND           = 5,
	BATON_ALREADY_EXISTS      = 6,
	BATON_PERMISSION_DENIED   = 7,
	BATON_RESOURCE_EXHAUSTED  = 8,
	BATON_FAILED_PRECONDITION = 9,
	BATON_ABORTED             = 10,
	BATON_OUT_OF_RANGE        = 11,
	BATON_UNIMPLEMENTED       = 12,
	BATON_INTERNAL            = 13,
	BATON_UNAVAILABLE         = 14,
	BATON_DATA_LOSS           = 15,
	BATON_UNAUTHENTICATED     = 16,
} baton_status;

#define BATON_STATUS_MAX BATON_UNAUTHENTICATED

/*
 * The canonical upper-case name of a status ("OK", "NOT_FOUND", ...).
 * Returns "UNKNOWN_STATUS" for a number outside the enum. Never NULL; the
 * string is static.
 */
const char *baton_status_str(int status);

/*
 * Parses a canonical name back to its code. Returns 0 and sets *out on
 * success, -1 if the name is not a status.
 */
int baton_status_from_str(const char *name, baton_status *out);

#ifdef __cplusplus
}
#endif
#endif
