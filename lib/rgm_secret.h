/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Secret files: private keys, bearer tokens, the configuration server's
 * database. Every program opens them through here, so that one rule holds
 * everywhere (and --check-config reports it before a start does):
 *
 *   - the last component is not a symbolic link (O_NOFOLLOW): a link planted
 *     in a writable directory cannot point a daemon at another file;
 *   - it is a regular file;
 *   - no permission bit for group or others (mode & 077 == 0);
 *   - it belongs to the process's effective user or to root.
 *
 * A refusal names the file, what is wrong and the fix, e.g.
 *   "/etc/rgm/gw.key: mode 0644 lets group or others read a secret
 *    (chmod 600 /etc/rgm/gw.key)".
 */
#ifndef RGM_SECRET_H
#define RGM_SECRET_H

#include <stddef.h>

/* Opens path read-only (plus O_NOFOLLOW | O_CLOEXEC) and applies the rules
 * to what was opened (fstat, no race with a rename). A descriptor, or -1
 * with errno set and a message in err. */
int rgm_secret_open(const char *path, char *err, size_t errlen);

/* The same rules on path without keeping it open, for files another library
 * opens itself (SQLite's database). 0, or -1 with errno and err. */
int rgm_secret_check(const char *path, char *err, size_t errlen);

/* The whole file (at most max bytes), NUL-terminated, in a new buffer; *len
 * (if not NULL) gets its length. NULL with errno and err. Free it with
 * rgm_secret_free. */
char *rgm_secret_read(const char *path, size_t max, size_t *len, char *err, size_t errlen);

/* Wipes len bytes of buf, then frees it (NULL is fine). */
void rgm_secret_free(char *buf, size_t len);

#endif /* RGM_SECRET_H */
