/* jsonlines.c - a small JSON syntax checker for batonctl's --json output (see jsonlines.h). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "jsonlines.h"

static const char *value(const char *p, int depth);

/* White space within a line: the output puts no newline inside a value. */
static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r')
		p++;
	return p;
}

static const char *string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (p[i] == '\0' || !strchr("0123456789abcdefABCDEF", p[i]))
						return NULL;
				p += 4;
			} else if (*p == '\0' || !strchr("\"\\/bfnrt", *p)) {
				return NULL;
			}
		}
	}
	return p + 1;
}

static const char *items(const char *p, char close, bool keyed, int depth)
{
	p = ws(p + 1);
	if (*p == close)
		return p + 1;
	for (;;) {
		if (keyed) {
			if ((p = string(p)) == NULL || *(p = ws(p)) != ':')
				return NULL;
			p++;
		}
		if ((p = value(p, depth + 1)) == NULL)
			return NULL;
		p = ws(p);
		if (*p == close)
			return p + 1;
		if (*p++ != ',')
			return NULL;
		p = ws(p);
	}
}

static const char *value(const char *p, int depth)
{
	p = ws(p);
	if (depth > 32)
		return NULL;
	if (*p == '{')
		return items(p, '}', true, depth);
	if (*p == '[')
		return items(p, ']', false, depth);
	if (*p == '"')
		return string(p);
	if (strncmp(p, "true", 4) == 0 || strncmp(p, "null", 4) == 0)
		return p + 4;
	if (strncmp(p, "false", 5) == 0)
		return p + 5;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		char *end;
		(void)strtod(p, &end);
		return end > p ? end : NULL;
	}
	return NULL;
}

int jsonlines_count(const char *s)
{
	int n = 0;

	for (const char *p = s; *p != '\0'; n++) {
		const char *end = *p == '{' ? value(p, 0) : NULL;
		if (end == NULL || (*(end = ws(end)) != '\n' && *end != '\0'))
			return -1;
		p = *end == '\n' ? end + 1 : end;
	}
	return n;
}
