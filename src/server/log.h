/* log.h - level-gated structured log lines (logfmt text or JSON lines) on stderr. */
#ifndef BATON_SERVER_LOG_H
#define BATON_SERVER_LOG_H

#include <stdbool.h>
#include <stdint.h>

typedef enum log_level {
	LOG_ERROR = 0,
	LOG_WARN  = 1,
	LOG_INFO  = 2,
	LOG_DEBUG = 3,
} log_level;

typedef enum log_format {
	LOG_FORMAT_TEXT = 0,
	LOG_FORMAT_JSON = 1,
} log_format;

typedef enum log_field_type {
	LOG_FIELD_NONE = 0,
	LOG_FIELD_STR,
	LOG_FIELD_INT,
} log_field_type;

/* One key=value of a log line. Values are copied when the line is written; a
 * string field whose value is NULL is left out of the line. */
typedef struct log_field {
	const char    *key;
	log_field_type type;
	const char    *s;
	int64_t        i;
} log_field;

#define LOG_S(k, v) ((log_field){ .key = (k), .type = LOG_FIELD_STR, .s = (v) })
#define LOG_I(k, v) ((log_field){ .key = (k), .type = LOG_FIELD_INT, .i = (int64_t)(v) })

void log_setup(log_level level, log_format format);
bool log_enabled(log_level level);

/* Writes one line: time, level, event, then the fields, with one write(2).
 * Never pass secrets as fields. */
void log_write(log_level level, const char *event, const log_field *fields, int n);

/* log_info("event", LOG_S("k", v), ...): fields are optional. */
#define LOG_AT_(lvl, event, ...)                                                   \
	do {                                                                       \
		if (log_enabled(lvl)) {                                            \
			const log_field log_f_[] = { { .key = NULL }, __VA_ARGS__ };      \
			log_write(lvl, event, log_f_ + 1,                          \
			    (int)(sizeof(log_f_) / sizeof(log_f_[0])) - 1);        \
		}                                                                  \
	} while (0)
#define log_error(...) LOG_AT_(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  LOG_AT_(LOG_WARN, __VA_ARGS__)
#define log_info(...)  LOG_AT_(LOG_INFO, __VA_ARGS__)
#define log_debug(...) LOG_AT_(LOG_DEBUG, __VA_ARGS__)

#endif
