// SPDX-License-Identifier: GPL-2.0
/*
 * Secret files opened under one rule (see rgm_secret.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rgm_secret.h"

static int rgm_secret_fail(int e, char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int rgm_secret_fail(int e, char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	errno = e;
	return -1;
}

static int rgm_secret_stat(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;

	if (fstat(fd, &st))
		return rgm_secret_fail(errno, err, errlen, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return rgm_secret_fail(EINVAL, err, errlen, "%s: not a regular file", path);
	if (st.st_mode & 077)
		return rgm_secret_fail(EPERM, err, errlen,
				       "%s: mode %04o lets group or others at a secret "
				       "(chmod 600 %s)", path, (unsigned int)(st.st_mode & 07777),
				       path);
	if (st.st_uid != geteuid() && st.st_uid != 0)
		return rgm_secret_fail(EPERM, err, errlen,
				       "%s: owned by uid %u, not by this user (uid %u) or root "
				       "(chown it)", path, (unsigned int)st.st_uid,
				       (unsigned int)geteuid());
	return 0;
}

int rgm_secret_open(const char *path, char *err, size_t errlen)
{
	int fd, e;

	/* O_NONBLOCK: a FIFO planted there does not hang us before fstat */
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		if (e == ELOOP)
			return rgm_secret_fail(e, err, errlen,
					       "%s: a symbolic link; name the file itself", path);
		return rgm_secret_fail(e, err, errlen, "%s: %s", path, strerror(e));
	}
	if (rgm_secret_stat(fd, path, err, errlen)) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* a regular file: blocking reads again */
	fcntl(fd, F_SETFL, 0);
	return fd;
}

int rgm_secret_check(const char *path, char *err, size_t errlen)
{
	int fd = rgm_secret_open(path, err, errlen);

	if (fd < 0)
		return -1;
	close(fd);
	return 0;
}

char *rgm_secret_read(const char *path, size_t max, size_t *len, char *err, size_t errlen)
{
	size_t n = 0, cap = 0;
	char *buf = NULL;
	ssize_t r;
	int fd, e;

	fd = rgm_secret_open(path, err, errlen);
	if (fd < 0)
		return NULL;
	cap = max + 1;
	buf = malloc(cap);
	if (!buf) {
		e = ENOMEM;
		rgm_secret_fail(e, err, errlen, "%s: out of memory", path);
		goto fail;
	}
	/* one byte more than allowed tells a file too long */
	while (n < cap) {
		r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			e = errno;
			rgm_secret_fail(e, err, errlen, "%s: %s", path, strerror(e));
			goto fail;
		}
		if (!r)
			break;
		n += r;
	}
	if (n > max) {
		e = EFBIG;
		rgm_secret_fail(e, err, errlen, "%s: longer than %zu bytes", path, max);
		goto fail;
	}
	close(fd);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
fail:
	close(fd);
	rgm_secret_free(buf, n);
	errno = e;
	return NULL;
}

void rgm_secret_free(char *buf, size_t len)
{
	if (!buf)
		return;
	/* explicit_bzero: the compiler may not drop a wipe before free */
	explicit_bzero(buf, len);
	free(buf);
}
