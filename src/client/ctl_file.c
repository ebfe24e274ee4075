/* ctl_file.c - files batonctl replaces atomically: a temporary file beside the target, mode 0600, written, flushed and renamed over it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client/ctl.h"

/* "batonctl <verb>: <what> '<path>': <errno text>"; returns EXIT_RPC. */
static int file_fail(const ctl_file *f, const char *what, const char *path, int err)
{
	fprintf(stderr, "batonctl %s: %s '%s': %s\n", f->verb, what, path, strerror(err));
	return EXIT_RPC;
}

/* Flushes the folder holding path, so that the rename lasts. */
static int dir_sync(const char *path)
{
	char dir[4096];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (slash == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int ctl_file_begin(ctl_file *f, const char *verb, const char *path)
{
	f->fd = -1;
	f->verb = verb;
	f->path = path;
	if ((size_t)snprintf(f->tmp, sizeof(f->tmp), "%s.tmp%ld", path, (long)getpid()) >= sizeof(f->tmp))
		return file_fail(f, "the name is too long for a temporary file beside", path, ENAMETOOLONG);
	if ((f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0)
		return file_fail(f, "cannot write", f->tmp, errno);
	/* The umask cannot widen 0600, but a stale file of that name could be
	 * wider: make sure. */
	if (fchmod(f->fd, 0600) != 0) {
		file_fail(f, "cannot set the mode of", f->tmp, errno);
		ctl_file_discard(f);
		return EXIT_RPC;
	}
	return 0;
}

int ctl_file_write(ctl_file *f, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t w = write(f->fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			file_fail(f, "cannot write", f->path, w < 0 ? errno : EIO);
			ctl_file_discard(f);
			return EXIT_RPC;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int ctl_file_commit(ctl_file *f)
{
	int err;

	if (fsync(f->fd) != 0) {
		file_fail(f, "cannot flush", f->path, errno);
		ctl_file_discard(f);
		return EXIT_RPC;
	}
	err = close(f->fd);
	f->fd = -1;
	if (err != 0 || rename(f->tmp, f->path) != 0) {
		file_fail(f, "cannot replace", f->path, errno);
		ctl_file_discard(f);
		return EXIT_RPC;
	}
	if (dir_sync(f->path) != 0)
		return file_fail(f, "cannot flush the folder of", f->path, errno);
	return 0;
}

void ctl_file_discard(ctl_file *f)
{
	if (f == NULL || f->path == NULL)
		return;
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
	unlink(f->tmp);
	f->path = NULL;
}

int ctl_file_replace(const char *verb, const char *path, const void *data, size_t len)
{
	ctl_file f;
	int rc;

	if ((rc = ctl_file_begin(&f, verb, path)) != 0 || (rc = ctl_file_write(&f, data, len)) != 0)
		return rc;
	return ctl_file_commit(&f);
}
