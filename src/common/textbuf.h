/* textbuf.h - append text to a fixed buffer, with JSON and logfmt quoting. */
#ifndef BATON_COMMON_TEXTBUF_H
#define BATON_COMMON_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Writes into caller memory and never allocates, so log lines and JSON
 * output on hot paths cost no malloc. When the buffer is full the text is
 * cut (at a UTF-8 boundary we do not guarantee) and `truncated` is set;
 * the buffer always stays NUL-terminated.
 */
typedef struct textbuf {
	char  *buf;
	size_t cap; /* including the NUL */
	size_t len;
	bool   truncated;
} textbuf;

static inline void textbuf_init(textbuf *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->truncated = false;
	if (cap > 0)
		buf[0] = '\0';
}

void textbuf_putn(textbuf *t, const char *s, size_t n);
void textbuf_puts(textbuf *t, const char *s);
void textbuf_putc(textbuf *t, char c);
void textbuf_printf(textbuf *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Lower-case hex of data[0..n). */
void textbuf_hex(textbuf *t, const uint8_t *data, size_t n);
/* A JSON string literal, quotes included; NULL becomes null. */
void textbuf_json_str(textbuf *t, const char *s);
/* A logfmt value: bare if it has no space, quote, '=' or control byte,
 * otherwise quoted and escaped like JSON. */
void textbuf_logfmt_str(textbuf *t, const char *s);

#endif
