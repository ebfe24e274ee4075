/* status.c - names of the canonical status codes. */
#include <string.h>

#include <baton/status.h>

static const char *const names[] = {
	[BATON_OK]                  = "OK",
	[BATON_CANCELLED]           = "CANCELLED",
	[BATON_UNKNOWN]             = "UNKNOWN",
	[BATON_INVALID_ARGUMENT]    = "INVALID_ARGUMENT",
	[BATON_DEADLINE_EXCEEDED]   = "DEADLINE_EXCEEDED",
	[BATON_NOT_FOUND]           = "NOT_FOUND",
	[BATON_ALREADY_EXISTS]      = "ALREADY_EXISTS",
	[BATON_PERMISSION_DENIED]   = "PERMISSION_DENIED",
	[BATON_RESOURCE_EXHAUSTED]  = "RESOURCE_EXHAUSTED",
	[BATON_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
	[BATON_ABORTED]             = "ABORTED",
	[BATON_OUT_OF_RANGE]        = "OUT_OF_RANGE",
	[BATON_UNIMPLEMENTED]       = "UNIMPLEMENTED",
	[BATON_INTERNAL]            = "INTERNAL",
	[BATON_UNAVAILABLE]         = "UNAVAILABLE",
	[BATON_DATA_LOSS]           = "DATA_LOSS",
	[BATON_UNAUTHENTICATED]     = "UNAUTHENTICATED",
};

const char *baton_status_str(int status)
{
	if (status < 0 || status > BATON_STATUS_MAX)
		return "UNKNOWN_STATUS";
	return names[status];
}

int baton_status_from_str(const char *name, baton_status *out)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i <= BATON_STATUS_MAX; i++) {
		if (strcmp(names[i], name) == 0) {
			*out = (baton_status)i;
			return 0;
		}
	}
	return -1;
}

#include <stdarg.h>
#include <stdio.h>

#include "common/status_msg.h"

baton_status status_set(status_msg *m, baton_status s, const char *fmt, ...)
{
	va_list ap;

	if (m == NULL)
		return s;
	m->status = s;
	va_start(ap, fmt);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	va_end(ap);
	return s;
}
