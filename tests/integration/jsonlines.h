/* jsonlines.h - checks batonctl's --json output: one well-formed JSON object per line. */
#ifndef BATON_TESTS_JSONLINES_H
#define BATON_TESTS_JSONLINES_H

/* How many lines s has, each one JSON object (RFC 8259 syntax, nesting up
 * to 32 deep) and nothing else; -1 if a line is anything else. "" is 0. */
int jsonlines_count(const char *s);

#endif
