/* textbuf.c - bounded text building and string quoting. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/textbuf.h"

void textbuf_putn(textbuf *t, const char *s, size_t n)
{
	if (t->cap == 0) {
		t->truncated = true;
		return;
	}
	size_t room = t->cap - 1 - t->len;
	if (n > room) {
		n = room;
		t->truncated = true;
	}
	memcpy(t->buf + t->len, s, n);
	t->len += n;
	t->buf[t->len] = '\0';
}

void textbuf_puts(textbuf *t, const char *s)
{
	textbuf_putn(t, s, strlen(s));
}

void textbuf_putc(textbuf *t, char c)
{
	textbuf_putn(t, &c, 1);
}

void textbuf_printf(textbuf *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->cap == 0 || t->len + 1 >= t->cap) {
		t->truncated = true;
		return;
	}
	va_start(ap, fmt);
	n = vsnprintf(t->buf + t->len, t->cap - t->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= t->cap - t->len) {
		t->len = t->cap - 1;
		t->truncated = true;
	} else {
		t->len += (size_t)n;
	}
}

void textbuf_hex(textbuf *t, const uint8_t *data, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		char pair[2] = { digits[data[i] >> 4], digits[data[i] & 15] };
		textbuf_putn(t, pair, 2);
	}
}

static void escaped(textbuf *t, const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':  textbuf_puts(t, "\\\""); break;
		case '\\': textbuf_puts(t, "\\\\"); break;
		case '\n': textbuf_puts(t, "\\n"); break;
		case '\r': textbuf_puts(t, "\\r"); break;
		case '\t': textbuf_puts(t, "\\t"); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				textbuf_printf(t, "\\u%04x", *p);
			else
				textbuf_putc(t, (char)*p);
		}
	}
}

void textbuf_json_str(textbuf *t, const char *s)
{
	if (s == NULL) {
		textbuf_puts(t, "null");
		return;
	}
	textbuf_putc(t, '"');
	escaped(t, s);
	textbuf_putc(t, '"');
}

void textbuf_logfmt_str(textbuf *t, const char *s)
{
	bool bare = s[0] != '\0';
	for (const unsigned char *p = (const unsigned char *)s; *p && bare; p++)
		if (*p <= ' ' || *p == '"' || *p == '=' || *p == 0x7f || *p == '\\')
			bare = false;
	if (bare) {
		textbuf_puts(t, s);
		return;
	}
	textbuf_json_str(t, s);
}
