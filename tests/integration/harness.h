/* harness.h - starts and stops the real parts integration tests need: a private PostgreSQL and batond. */
#ifndef BATON_TESTS_HARNESS_H
#define BATON_TESTS_HARNESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <baton/client.h>
#include <baton/keys.h>
#include <nng/nng.h>

/* A PostgreSQL cluster in a temp folder, unix socket only (deploy/devdb.sh). */
typedef struct harness_pg {
	char dir[256];
	char conninfo[512];
} harness_pg;

/* Creates and starts a cluster; 0 on success. */
int harness_pg_start(harness_pg *pg);
/* Stops it (keeps the data); 0 on success. */
int harness_pg_stop(harness_pg *pg);
/* Starts it again after harness_pg_stop; 0 on success. */
int harness_pg_restart(harness_pg *pg);
/* Stops it and removes the folder. */
void harness_pg_destroy(harness_pg *pg);
/* Runs one SQL statement through libpq on the cluster's database dbname
 * (NULL = "baton"). Returns the first column of the first row in out (may
 * be NULL), 0 on success, -1 with the error printed. */
int harness_sql(const harness_pg *pg, const char *dbname, const char *sql, char *out, size_t outlen);
/* One cluster for a whole cmocka group: the group's setup starts it, its
 * teardown destroys it (for cmocka_run_group_tests_name). */
extern harness_pg harness_group_pg;
int harness_group_pg_setup(void **state);
int harness_group_pg_teardown(void **state);
/* conninfo of another database on the same cluster. */
void harness_pg_conninfo_for(const harness_pg *pg, const char *dbname, char *out, size_t len);

/* A batond child process. */
typedef struct harness_batond {
	pid_t pid;
	int   port;
	char  url[64];
	char  log_path[320];
	char  key_file[320];       /* the server's key; its public half is key_file.pub */
	char  admin_key_file[320]; /* the first admin's key, written at first start */
	int   metrics_port;        /* /metrics and /healthz on 127.0.0.1; 0: off */
} harness_batond;

/* A loopback TCP port that was free a moment ago. */
int harness_free_port(void);

/*
 * Starts $BUILD/batond on 127.0.0.1 on a free port against conninfo, with
 * extra (NULL-terminated, may be NULL) flags and --log-format=json, logging
 * to a file in dir. With wait_serving, waits (up to 20 s) until Health says
 * SERVING. Returns 0 on success.
 */
int harness_batond_start(harness_batond *b, const char *dir, const char *conninfo,
    const char *const *extra, bool wait_serving);

/* As harness_batond_start, and serves /metrics and /healthz on a free
 * loopback port (b->metrics_port). harness_batond_start turns them off
 * (--metrics-listen=off), so tests can run many servers at once. */
int harness_batond_start_metrics(harness_batond *b, const char *dir, const char *conninfo,
    const char *const *extra, bool wait_serving);

/* Opens a client of b that speaks for the principal whose key file is
 * key_path (NULL: the first admin's) and pins b's server key. 0 on success. */
int harness_client(const harness_batond *b, const char *key_path, baton_client **out);

/* Writes a fresh key pair to path (0600) and its printable public key to
 * pub. 0 on success. */
int harness_keygen(const char *path, char pub[BATON_PUBLIC_KEY_TEXT]);

/* Sends sig (SIGTERM normally) and waits up to timeout_ms for the exit.
 * Returns the exit status (0..255), 128+signal if killed by a signal, or
 * -1 if it had to be SIGKILLed after the timeout. */
int harness_batond_stop(harness_batond *b, int sig, int timeout_ms);

/* Waits up to timeout_ms for the process to exit by itself (as
 * harness_batond_stop, without sending anything first). */
int harness_batond_wait(harness_batond *b, int timeout_ms);

/* Counts the lines of b's log that contain every one of the NULL-terminated
 * needles. */
int harness_log_count(const harness_batond *b, const char *const *needles);

/* Copies the last lines of b's log to stderr (why a server did not serve:
 * CI keeps only the test's output, not its temporary folder). */
void harness_log_print(const harness_batond *b);

/*
 * A scripted peer for client tests: opens an nng rep0 socket with a 100 ms
 * receive timeout (so its loop can notice a stop) and listens on
 * tcp://127.0.0.1:port (port <= 0: a free one), writing the URL to url.
 * 0 on success.
 */
int harness_rep0_listen(nng_socket *sock, int port, char *url, size_t url_len);

/* Runs a shell command, capturing stdout and stderr (each may be NULL) into
 * buffers; returns the exit status or -1. */
int harness_run(const char *cmd, char *out, size_t outlen, char *err, size_t errlen);

/* Path of a built program ("batond", "batonctl") under $BUILD. */
const char *harness_bin(const char *name);

/* Milliseconds of monotonic time. */
int64_t harness_now_ms(void);
void    harness_sleep_ms(int ms);

#endif
