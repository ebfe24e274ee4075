/* validate.c - the shapes of names, ids and language tags that requests carry. */
#include <ctype.h>
#include <string.h>

#include "server/validate.h"

/* The text form of a UUID (any case): ids are looked up as ids, and never
 * accepted as names, so a name can never shadow an id. */
bool validate_uuid_shaped(const char *s)
{
	if (strlen(s) != 36)
		return false;
	for (int i = 0; i < 36; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? s[i] != '-' : !isxdigit((unsigned char)s[i]))
			return false;
	}
	return true;
}

/* Names and handles: a lower-case letter or digit, then up to 62 of those
 * or extra (".-_" plus "@" for handles); never UUID-shaped. */
bool validate_name(const char *s, const char *extra)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || validate_uuid_shaped(s) || !(islower((unsigned char)s[0]) || isdigit((unsigned char)s[0])))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!islower((unsigned char)s[i]) && !isdigit((unsigned char)s[i]) && strchr(extra, s[i]) == NULL)
			return false;
	return true;
}

/* BCP 47 in its common shape: 2-3 lower-case letters, then subtags of 2-8
 * letters or digits ("pl", "es-419", "pt-BR", "sr-Latn-RS"). */
bool validate_language(const char *s)
{
	size_t i = 0, run = 0;

	while (islower((unsigned char)s[i]))
		i++;
	if (i < 2 || i > 3)
		return false;
	for (; s[i] != '\0'; i++) {
		if (s[i] == '-') {
			if (i > 0 && s[i - 1] == '-')
				return false;
			run = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) || ++run > 8)
			return false;
		if (s[i + 1] == '\0' || s[i + 1] == '-')
			if (run < 2)
				return false;
	}
	return s[i - 1] != '-';
}
