// SPDX-License-Identifier: GPL-2.0
/* "key = value" configuration files (rgm_conf.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgm_conf.h"

char *rgm_conf_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int rgm_conf_read(const char *path, size_t line_max, rgm_conf_key_fn fn, void *priv,
		  char *err, size_t errlen)
{
	unsigned int lineno = 0;
	char *line, msg[512];
	int ret = -1, rc;
	FILE *f;

	line = malloc(line_max + 2);
	if (!line) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -1;
	}
	f = fopen(path, "re");
	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		free(line);
		return -1;
	}
	while (fgets(line, (int)line_max + 2, f)) {
		char *s, *eq, *key, *val;
		size_t n = strlen(line);

		lineno++;
		if (n == line_max + 1 && line[n - 1] != '\n') {
			snprintf(err, errlen, "%s:%u: line longer than %zu bytes", path, lineno,
				 line_max);
			goto out;
		}
		/* fgets stops at a newline, not at a NUL: what follows would be lost */
		if ((!n || line[n - 1] != '\n') && !feof(f)) {
			snprintf(err, errlen, "%s:%u: NUL byte in the line", path, lineno);
			goto out;
		}
		s = strchr(line, '#');
		if (s)
			*s = '\0';
		s = rgm_conf_trim(line);
		if (!*s)
			continue;
		eq = strchr(s, '=');
		if (!eq) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
			goto out;
		}
		*eq = '\0';
		key = rgm_conf_trim(s);
		val = rgm_conf_trim(eq + 1);
		if (!*key || !*val) {
			snprintf(err, errlen, "%s:%u: expected 'key = value'", path, lineno);
			goto out;
		}
		msg[0] = '\0';
		rc = fn(priv, key, val, lineno, msg, sizeof(msg));
		if (rc == -ENOENT) {
			snprintf(err, errlen, "%s:%u: unknown key '%s'", path, lineno, key);
			goto out;
		}
		if (rc) {
			snprintf(err, errlen, "%s:%u: %s", path, lineno,
				 msg[0] ? msg : "invalid value");
			goto out;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: read error", path);
		goto out;
	}
	ret = 0;
out:
	fclose(f);
	free(line);
	return ret;
}
