// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for rgm-mediaserver's catalog reader
 * (mediaserver/catalog.c): the input is catalog.json, in a directory that
 * also holds one small MPEG-TS file, a.ts (seven null packets), for
 * streams to name. Every input must either be refused or give titles
 * within the limits (1-64 titles, unique ids, 1-4 streams each, a
 * schedule per RTP packet) that serialize as JSON, and be freed whole.
 * Seed corpus: fuzz/corpus/catalog_fuzz/.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ms.h"

static char dir[] = "/tmp/rgm-catalog-fuzz.XXXXXX";
static char path[sizeof(dir) + 16];

static int write_file(const char *name, const uint8_t *data, size_t len)
{
	char p[sizeof(dir) + 32];
	int fd;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (len && write(fd, data, len) != (ssize_t)len) {
		close(fd);
		return -1;
	}
	return close(fd);
}

static void cleanup(void)
{
	char p[sizeof(dir) + 32];

	snprintf(p, sizeof(p), "%s/a.ts", dir);
	unlink(p);
	unlink(path);
	rmdir(dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t ts[7 * 188];
	unsigned int i;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/catalog.json", dir);
	atexit(cleanup);
	memset(ts, 0xff, sizeof(ts));
	for (i = 0; i < 7; i++)
		memcpy(ts + 188 * i, "\x47\x1f\xff\x10", 4);	/* null packets, PID 0x1fff */
	if (write_file("a.ts", ts, sizeof(ts)))
		abort();
	/* catalog.c says on stderr why it refuses each input: not here
	 * (libFuzzer keeps its own stream, sanitizers write to fd 2) */
	stderr = fopen("/dev/null", "w");
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ms_catalog c;
	json_object *o;
	unsigned int i, j;

	if (write_file("catalog.json", data, size))
		abort();
	if (ms_catalog_load(&c, dir)) {
		if (c.n_titles || c.titles)
			abort();
		return 0;
	}
	if (!c.n_titles || c.n_titles > MS_MAX_TITLES)
		abort();
	for (i = 0; i < c.n_titles; i++) {
		const struct ms_title *t = &c.titles[i];

		if (ms_catalog_find(&c, t->id) != t || !t->n_media || t->n_media > MS_MAX_MEDIA ||
		    !t->duration_ms)
			abort();
		for (j = 0; j < t->n_media; j++)
			if (!t->media[j].data || !t->media[j].at || !t->media[j].packets)
				abort();
	}
	o = ms_catalog_json(&c);
	if (!o || !json_object_to_json_string(o))
		abort();
	json_object_put(o);
	ms_catalog_free(&c);
	return 0;
}
