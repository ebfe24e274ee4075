/* status_msg.h - a status code with its human-readable message, filled where an error is found. */
#ifndef BATON_COMMON_STATUS_MSG_H
#define BATON_COMMON_STATUS_MSG_H

#include <baton/status.h>

typedef struct status_msg {
	baton_status status;
	char         text[400];
} status_msg;

/* Sets m (may be NULL) and returns s, so errors read `return status_set(m, ...)`. */
baton_status status_set(status_msg *m, baton_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void status_clear(status_msg *m)
{
	m->status = BATON_OK;
	m->text[0] = '\0';
}

#endif
