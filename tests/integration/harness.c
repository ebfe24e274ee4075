/* harness.c - process control for integration tests: PostgreSQL via deploy/devdb.sh, batond via fork/exec. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include <baton/client.h>
#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>

#include "harness.h"

int64_t harness_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void harness_sleep_ms(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

const char *harness_bin(const char *name)
{
	static __thread char path[300];
	const char *build = getenv("BUILD");
	snprintf(path, sizeof(path), "%s/%s", build != NULL && build[0] ? build : "build", name);
	return path;
}

static void read_all(int fd, char *buf, size_t len)
{
	size_t used = 0;
	ssize_t n;
	char sink[512];

	for (;;) {
		if (buf != NULL && used + 1 < len)
			n = read(fd, buf + used, len - 1 - used);
		else
			n = read(fd, sink, sizeof(sink));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		if (buf != NULL && used + 1 < len)
			used += (size_t)n;
	}
	if (buf != NULL && len > 0)
		buf[used] = '\0';
}

int harness_run(const char *cmd, char *out, size_t outlen, char *err, size_t errlen)
{
	char errfile[] = "/tmp/baton-harness-err.XXXXXX";
	int errfd = mkstemp(errfile);
	int pipefd[2];
	pid_t pid;
	int status;

	if (errfd < 0 || pipe(pipefd) != 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		/* Only 0, 1 and 2 may reach the command: a daemon it starts
		 * (the postmaster) must not hold our pipe open. */
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(errfd, STDERR_FILENO);
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	read_all(pipefd[0], out, outlen);
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	lseek(errfd, 0, SEEK_SET);
	read_all(errfd, err, errlen);
	close(errfd);
	unlink(errfile);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int devdb(harness_pg *pg, const char *verb)
{
	char cmd[600], out[512], err[2048];
	snprintf(cmd, sizeof(cmd), "BATON_PG_FAST=1 sh deploy/devdb.sh %s '%s'", verb, pg->dir);
	int rc = harness_run(cmd, out, sizeof(out), err, sizeof(err));
	if (rc != 0) {
		fprintf(stderr, "harness: devdb.sh %s failed (%d): %s\n", verb, rc, err);
		return -1;
	}
	if (strcmp(verb, "start") == 0) {
		out[strcspn(out, "\n")] = '\0';
		snprintf(pg->conninfo, sizeof(pg->conninfo), "%s", out);
	}
	return 0;
}

int harness_pg_start(harness_pg *pg)
{
	snprintf(pg->dir, sizeof(pg->dir), "/tmp/baton-test.XXXXXX");
	if (mkdtemp(pg->dir) == NULL) {
		perror("harness: mkdtemp");
		return -1;
	}
	return devdb(pg, "start");
}

int harness_pg_stop(harness_pg *pg)
{
	return devdb(pg, "stop");
}

int harness_pg_restart(harness_pg *pg)
{
	return devdb(pg, "start");
}

void harness_pg_destroy(harness_pg *pg)
{
	char cmd[600];
	if (pg->dir[0] == '\0')
		return;
	devdb(pg, "stop");
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", pg->dir);
	harness_run(cmd, NULL, 0, NULL, 0);
	pg->dir[0] = '\0';
}

harness_pg harness_group_pg;

int harness_group_pg_setup(void **state)
{
	(void)state;
	return harness_pg_start(&harness_group_pg);
}

int harness_group_pg_teardown(void **state)
{
	(void)state;
	harness_pg_destroy(&harness_group_pg);
	return 0;
}

void harness_pg_conninfo_for(const harness_pg *pg, const char *dbname, char *out, size_t len)
{
	snprintf(out, len, "host=%s/run port=5432 user=baton dbname=%s", pg->dir, dbname);
}

int harness_sql(const harness_pg *pg, const char *dbname, const char *sql, char *out, size_t outlen)
{
	char conninfo[600];
	PGconn *c;
	PGresult *r;
	int rc = -1;

	harness_pg_conninfo_for(pg, dbname ? dbname : "baton", conninfo, sizeof(conninfo));
	c = PQconnectdb(conninfo);
	if (PQstatus(c) != CONNECTION_OK) {
		fprintf(stderr, "harness: connect: %s", PQerrorMessage(c));
		PQfinish(c);
		return -1;
	}
	r = PQexec(c, sql);
	if (PQresultStatus(r) == PGRES_TUPLES_OK || PQresultStatus(r) == PGRES_COMMAND_OK) {
		rc = 0;
		if (out != NULL && outlen > 0) {
			out[0] = '\0';
			if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0)
				snprintf(out, outlen, "%s", PQgetvalue(r, 0, 0));
		}
	} else {
		fprintf(stderr, "harness: SQL failed: %s: %s", sql, PQerrorMessage(c));
	}
	PQclear(r);
	PQfinish(c);
	return rc;
}

int harness_free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static bool wait_serving(const harness_batond *b, int timeout_ms)
{
	int64_t give_up = harness_now_ms() + timeout_ms;

	while (harness_now_ms() < give_up) {
		baton_client *c = NULL;
		baton_result res;
		baton_serving serving = BATON_SERVING_UNKNOWN;
		if (baton_client_open(&c, b->url, NULL, &res) == BATON_OK) {
			if (baton_health_check(c, NULL, 1000, &serving, &res) == BATON_OK &&
			    serving == BATON_SERVING) {
				baton_client_close(c);
				return true;
			}
			baton_client_close(c);
		}
		if (waitpid(b->pid, NULL, WNOHANG) == b->pid)
			return false; /* it exited */
		harness_sleep_ms(50);
	}
	return false;
}

/*
 * Every batond a test starts is tracked until it is reaped, and killed when
 * the test program exits: a failed assertion jumps out of a test before its
 * own stop, and must not leave a server running.
 */
#define MAX_TRACKED 64
static pid_t tracked[MAX_TRACKED];

static void kill_leftovers(void)
{
	for (int i = 0; i < MAX_TRACKED; i++) {
		if (tracked[i] <= 0)
			continue;
		fprintf(stderr, "harness: batond %d was still running at exit; killing it\n", (int)tracked[i]);
		kill(tracked[i], SIGKILL);
		waitpid(tracked[i], NULL, 0);
		tracked[i] = 0;
	}
}

static void track(pid_t pid)
{
	static bool registered;

	if (!registered)
		registered = atexit(kill_leftovers) == 0;
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] <= 0) {
			tracked[i] = pid;
			return;
		}
}

static void untrack(pid_t pid)
{
	for (int i = 0; i < MAX_TRACKED; i++)
		if (tracked[i] == pid)
			tracked[i] = 0;
}

static int batond_start(harness_batond *b, const char *dir, const char *conninfo,
    const char *const *extra, bool wait, bool metrics)
{
	static int serial;
	char listen[80], metrics_listen[80] = "--metrics-listen=off", dburl[700], keyf[400], adminf[400];
	const char *argv[40];
	int argc = 0;

	memset(b, 0, sizeof(*b));
	if ((b->port = harness_free_port()) < 0 || (metrics && (b->metrics_port = harness_free_port()) < 0))
		return -1;
	if (metrics)
		snprintf(metrics_listen, sizeof(metrics_listen), "--metrics-listen=http://127.0.0.1:%d", b->metrics_port);
	snprintf(b->url, sizeof(b->url), "tcp://127.0.0.1:%d", b->port);
	snprintf(b->log_path, sizeof(b->log_path), "%s/batond-%d-%d.log", dir, (int)getpid(), ++serial);
	snprintf(listen, sizeof(listen), "--listen=%s", b->url);
	snprintf(dburl, sizeof(dburl), "--database-url=%s", conninfo);
	/* Keys live in the test's folder, never under the repository's var/. */
	snprintf(b->key_file, sizeof(b->key_file), "%s/batond.key", dir);
	snprintf(b->admin_key_file, sizeof(b->admin_key_file), "%s/admin.key", dir);
	snprintf(keyf, sizeof(keyf), "--key-file=%s", b->key_file);
	snprintf(adminf, sizeof(adminf), "--admin-key-file=%s", b->admin_key_file);

	argv[argc++] = harness_bin("batond");
	argv[argc++] = listen;
	argv[argc++] = metrics_listen; /* before extra: a test's own flag wins */
	argv[argc++] = dburl;
	argv[argc++] = "--log-format=json";
	argv[argc++] = "--db-wait-ms=10000";
	argv[argc++] = keyf;
	argv[argc++] = adminf;
	for (int i = 0; extra != NULL && extra[i] != NULL && argc < 38; i++)
		argv[argc++] = extra[i];
	argv[argc] = NULL;

	fflush(NULL);
	if ((b->pid = fork()) < 0)
		return -1;
	if (b->pid == 0) {
		int fd = open(b->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, STDERR_FILENO);
			dup2(fd, STDOUT_FILENO);
		}
		for (int i = 3; i < 1024; i++)
			close(i);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	track(b->pid);
	if (wait && !wait_serving(b, 20000)) {
		fprintf(stderr, "harness: batond did not become SERVING\n");
		harness_log_print(b);
		harness_batond_stop(b, SIGKILL, 5000);
		return -1;
	}
	return 0;
}

int harness_batond_start(harness_batond *b, const char *dir, const char *conninfo,
    const char *const *extra, bool wait)
{
	return batond_start(b, dir, conninfo, extra, wait, false);
}

int harness_batond_start_metrics(harness_batond *b, const char *dir, const char *conninfo,
    const char *const *extra, bool wait)
{
	return batond_start(b, dir, conninfo, extra, wait, true);
}

int harness_batond_wait(harness_batond *b, int timeout_ms)
{
	int64_t give_up = harness_now_ms() + timeout_ms;
	int status;

	if (b->pid <= 0)
		return -1;
	for (;;) {
		pid_t r = waitpid(b->pid, &status, WNOHANG);
		if (r == b->pid)
			break;
		if (r < 0 && errno != EINTR) {
			untrack(b->pid);
			b->pid = 0;
			return -1;
		}
		if (harness_now_ms() >= give_up) {
			kill(b->pid, SIGKILL);
			waitpid(b->pid, &status, 0);
			untrack(b->pid);
			b->pid = 0;
			return -1;
		}
		harness_sleep_ms(20);
	}
	untrack(b->pid);
	b->pid = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}

int harness_batond_stop(harness_batond *b, int sig, int timeout_ms)
{
	if (b->pid <= 0)
		return -1;
	kill(b->pid, sig);
	return harness_batond_wait(b, timeout_ms);
}

int harness_log_count(const harness_batond *b, const char *const *needles)
{
	FILE *f = fopen(b->log_path, "r");
	char line[4096];
	int n = 0;

	if (f == NULL)
		return 0;
	while (fgets(line, sizeof(line), f) != NULL) {
		bool all = true;
		for (int i = 0; needles[i] != NULL && all; i++)
			all = strstr(line, needles[i]) != NULL;
		n += all;
	}
	fclose(f);
	return n;
}

void harness_log_print(const harness_batond *b)
{
	enum { KEEP = 40 };
	static char lines[KEEP][1024];
	FILE *f = fopen(b->log_path, "r");
	int n = 0;

	if (f == NULL) {
		fprintf(stderr, "harness: no log at %s\n", b->log_path);
		return;
	}
	while (fgets(lines[n % KEEP], sizeof(lines[0]), f) != NULL)
		n++;
	fclose(f);
	fprintf(stderr, "harness: last lines of %s (batond pid %d):\n", b->log_path, (int)b->pid);
	for (int i = n > KEEP ? n - KEEP : 0; i < n; i++)
		fprintf(stderr, "  | %s", lines[i % KEEP]);
}

int harness_client(const harness_batond *b, const char *key_path, baton_client **out)
{
	baton_client_options o = { .default_timeout_ms = 10000 };
	uint8_t server_pk[BATON_PUBLIC_KEY_BYTES];
	char why[400], pub[450];
	baton_result res;
	baton_key key;
	baton_status s;

	*out = NULL;
	snprintf(pub, sizeof(pub), "%s.pub", b->key_file);
	if (baton_public_key_load(pub, server_pk, why, sizeof(why)) != BATON_OK ||
	    baton_key_file_read(key_path != NULL ? key_path : b->admin_key_file, &key, why, sizeof(why)) != BATON_OK) {
		fprintf(stderr, "harness: %s\n", why);
		return -1;
	}
	o.key = &key;
	o.server_public_key = server_pk;
	s = baton_client_open(out, b->url, &o, &res);
	baton_key_wipe(&key);
	if (s != BATON_OK) {
		fprintf(stderr, "harness: client for %s: %s\n", b->url, res.message);
		return -1;
	}
	return 0;
}

int harness_keygen(const char *path, char pub[BATON_PUBLIC_KEY_TEXT])
{
	baton_key key;
	char why[400];
	baton_status s;

	if (baton_key_generate(&key) != BATON_OK)
		return -1;
	s = baton_key_file_write(path, &key, NULL, why, sizeof(why));
	baton_public_key_format(key.public_key, pub);
	baton_key_wipe(&key);
	if (s != BATON_OK) {
		fprintf(stderr, "harness: %s\n", why);
		return -1;
	}
	return 0;
}

int harness_rep0_listen(nng_socket *sock, int port, char *url, size_t url_len)
{
	int rv;

	snprintf(url, url_len, "tcp://127.0.0.1:%d", port > 0 ? port : harness_free_port());
	if ((rv = nng_rep0_open(sock)) != 0) {
		fprintf(stderr, "harness: nng_rep0_open: %s\n", nng_strerror(rv));
		return -1;
	}
	if ((rv = nng_socket_set_ms(*sock, NNG_OPT_RECVTIMEO, 100)) != 0 ||
	    (rv = nng_listen(*sock, url, NULL, 0)) != 0) {
		fprintf(stderr, "harness: listening on %s: %s\n", url, nng_strerror(rv));
		nng_close(*sock);
		return -1;
	}
	return 0;
}
