/* validate.h - the shapes of names, ids and language tags that requests carry. */
#ifndef BATON_SERVER_VALIDATE_H
#define BATON_SERVER_VALIDATE_H

#include <stdbool.h>

/* The text form of a UUID (any case). Ids are looked up as ids and never
 * accepted as names, so a name can never shadow an id. */
bool validate_uuid_shaped(const char *s);

/* Names and handles: a lower-case letter or digit, then up to 62 of those
 * or of extra (".-_", plus "@" for handles); never UUID-shaped. */
bool validate_name(const char *s, const char *extra);

/* A BCP 47 tag in its common shape: 2-3 lower-case letters, then subtags
 * of 2-8 letters or digits ("pl", "es-419", "pt-BR", "sr-Latn-RS"). */
bool validate_language(const char *s);

#endif
