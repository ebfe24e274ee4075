/* client_internal.h - what libbaton's own files share (not installed). */
#ifndef BATON_CLIENT_INTERNAL_H
#define BATON_CLIENT_INTERNAL_H

#include <baton/client.h>

/* Sets res's status and message (printf-style) and returns s. */
baton_status client_fail(baton_result *res, baton_status s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
