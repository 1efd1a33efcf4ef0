// SPDX-License-Identifier: GPL-2.0
/*
 * The epoch hello reports: a random 64-bit value that changes whenever the
 * gateway may have lost mappings, so that a configuration server seeing a
 * new one knows to push its sessions again (as PCP's epoch time).
 *
 * It lives in STATE_DIR/epoch (default /run/rgmd, tmpfs: gone on reboot).
 * At start rgmd keeps the stored value only if the file is valid AND the
 * kernel still holds at least one mapping with a non-zero owner cookie (a
 * session's). Otherwise a new value is drawn and stored. So: reboot (file
 * gone), module reload (table empty), or a gateway that lost everything for
 * any other reason gets a new epoch; restarting rgmd alone does not.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/random.h>
#include <sys/stat.h>

#include "engine_epoch.h"
#include "engine_int.h"

static int rgmd_epoch_read(const char *path, uint64_t *out)
{
	char buf[32], *end;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n != 17 || buf[16] != '\n')
		return -EINVAL;
	buf[16] = '\0';
	errno = 0;
	*out = strtoull(buf, &end, 16);
	if (*end || errno || !*out)
		return -EINVAL;
	return 0;
}

/* Written to a temporary file and renamed, so a crash never leaves half. */
static int rgmd_epoch_write(const char *dir, const char *path, uint64_t epoch)
{
	char tmp[300], buf[32];
	int fd, len, ret = 0;

	if (mkdir(dir, 0700) && errno != EEXIST)
		return -errno;
	snprintf(tmp, sizeof(tmp), "%s/.epoch.tmp", dir);
	len = snprintf(buf, sizeof(buf), "%016" PRIx64 "\n", epoch);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != len || fsync(fd))
		ret = -EIO;
	if (close(fd) && !ret)
		ret = -EIO;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int rgmd_epoch_setup(struct rgmd_engine *e, bool state_kept, char *err, size_t errlen)
{
	char path[300];
	uint64_t epoch, old = 0;
	int ret;

	snprintf(path, sizeof(path), "%s/epoch", e->state_dir);
	if (!rgmd_epoch_read(path, &old) && state_kept) {
		e->epoch = old;
		return 0;
	}
	do {
		if (getrandom(&epoch, sizeof(epoch), 0) != sizeof(epoch)) {
			snprintf(err, errlen, "epoch: getrandom: %s", strerror(errno));
			return -EIO;
		}
	} while (!epoch || epoch == old);
	ret = rgmd_epoch_write(e->state_dir, path, epoch);
	if (ret) {
		snprintf(err, errlen, "epoch: cannot write %s: %s", path, strerror(-ret));
		return ret;
	}
	e->epoch = epoch;
	return 0;
}
