/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemons' configuration files (rgmd.conf, confserver.conf): one
 * "key = value" per line, '#' starts a comment, blank lines are skipped,
 * blanks around key and value do not count. Anything else -- a line
 * without '=', an empty key or value, a NUL byte, a line longer than the
 * maximum -- is refused with "PATH:LINE: why".
 */
#ifndef RGM_CONF_H
#define RGM_CONF_H

#include <stddef.h>

/* Takes one setting: 0, -ENOENT for an unknown key, or another -errno with
 * a message in msg (the reader prefixes PATH:LINE). */
typedef int (*rgm_conf_key_fn)(void *priv, const char *key, const char *val,
			       unsigned int line, char *msg, size_t msglen);

/* Reads path, calling fn for every setting in order. 0, or -1 with err. */
int rgm_conf_read(const char *path, size_t line_max, rgm_conf_key_fn fn, void *priv,
		  char *err, size_t errlen);

/* Blanks (and a line end) off both ends, in place. */
char *rgm_conf_trim(char *s);

#endif /* RGM_CONF_H */
