/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Static files of the web pages (scripts, style sheets), built into the
 * program by scripts/mkassets.sh: nothing is read from disk at run time.
 */
#ifndef RGM_ASSET_H
#define RGM_ASSET_H

#include <stddef.h>
#include <string.h>

struct rgm_asset {
	const char *path;	/* the URL path it is served at */
	const char *type;	/* Content-Type */
	const char *data;
	size_t len;
};

/* The entry of table (ended by a NULL path) served at path, or NULL. */
static inline const struct rgm_asset *rgm_asset_find(const struct rgm_asset *table,
						     const char *path)
{
	for (; table->path; table++)
		if (!strcmp(table->path, path))
			return table;
	return NULL;
}

#endif /* RGM_ASSET_H */
