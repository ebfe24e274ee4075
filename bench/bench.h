/* bench.h - what baton_bench's files share: option parsing, the run's time bounds, latency samples and their report, keys. */
#ifndef BATON_BENCH_H
#define BATON_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <baton/client.h>
#include <baton/keys.h>

#define BENCH_EXIT_USAGE 2

/* Every wait for one call is bounded by this. */
#define BENCH_CALL_TIMEOUT_MS 5000

/* A client run, from its set-up to its report, must end within warm-up +
 * duration + this; otherwise the process exits with status 1. Covers the
 * last calls' bounded waits and the handshake loop's dials and closes. */
#define BENCH_RUN_GRACE_S 60

/* Prints "baton_bench: <message>" and the --help hint to stderr; returns
 * BENCH_EXIT_USAGE. */
int bench_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whole number / seconds in [min, max]; false (out untouched) otherwise. */
/* A load thread's failures: counts one more in *errors and keeps the first
 * one's text in first[0..len) (later ones are only counted). */
void bench_error_note(uint64_t *errors, char *first, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

bool bench_parse_long(const char *s, long min, long max, long *out);
bool bench_parse_seconds(const char *s, double min, double max, double *out);

/* Bounds the rest of the run: unless it has ended within seconds, the
 * process says so and exits with status 1. A later call replaces it. */
void bench_run_bound(unsigned seconds);
/* Bounds nng's shutdown (nng 1.5.2's nng_close can block for good after
 * a lost connection, nanomsg/nng#1543): 5 s, then exit status 1. */
void bench_shutdown_bound(void);

/* Latency samples in nanoseconds; zero-initialised is empty. */
typedef struct bench_samples {
	uint64_t *ns;
	size_t    n, cap;
} bench_samples;

/* Keeps one sample; false if out of memory. */
bool bench_samples_add(bench_samples *s, uint64_t ns);
/* Frees the samples (the struct itself is the caller's). */
void bench_samples_free(bench_samples *s);

/*
 * Merges sets[0..n_sets) and prints `<prefix>mean_us`, `p50_us`, `p90_us`,
 * `p99_us`, `p999_us` and `max_us` lines (nearest-rank percentiles). The
 * number of samples goes to *n_out (may be NULL). False if out of memory.
 */
bool bench_latency_print(const bench_samples *const *sets, size_t n_sets, const char *prefix, size_t *n_out);

/* Reads the principal's key file and the server key to pin (a .pub file or
 * the printable text); false with the reason on stderr. Wipe key after. */
bool bench_keys_load(const char *key_file, const char *server_key, baton_key *key,
    uint8_t server_public[BATON_PUBLIC_KEY_BYTES]);

/* `baton_bench tickets-setup ...` and `baton_bench tickets ...`
 * (bench_tickets.c); argv[1] is the mode word, getopt starts at argv[2]. */
int bench_tickets_setup_main(int argc, char **argv);
/* Their lines of `baton_bench --help`. */
extern const char bench_tickets_usage[];
int bench_tickets_main(int argc, char **argv);

/* `baton_bench reports ...` (bench_reports.c) and its lines of --help. */
int bench_reports_main(int argc, char **argv);
extern const char bench_reports_usage[];

#endif
