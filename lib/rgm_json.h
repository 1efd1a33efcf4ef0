/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strict JSON checks that json-c does not make, shared by the codecs that
 * read JSON from the network (rgm_proto for rgmd, rgm_api for the
 * configuration server).
 */
#ifndef RGM_JSON_H
#define RGM_JSON_H

#include <stddef.h>

/* Deepest nesting rgm_json_scan() follows; callers set json-c's tokener
 * depth at or below it. */
#define RGM_JSON_DEPTH_LIMIT 16

/*
 * Scans text json-c has already accepted in strict mode for what RFC 8259
 * and our codecs refuse but json-c takes:
 *  - a field name given twice in one object (json-c keeps the last, another
 *    reader may keep the first): *dup is set to that name, out of fields[]
 *    (at most 32 names; unknown names are refused by the codecs anyway);
 *  - single-quoted strings or names ({'a':1}), unbalanced or too deep
 *    nesting: returns -1.
 * Returns 0 otherwise (*dup NULL when no known name repeats). Names are
 * compared decoded: "lease" and "\u006cease" are one field.
 */
int rgm_json_scan(const char *s, size_t len, const char *const *fields,
		  unsigned int n_fields, const char **dup);

#endif /* RGM_JSON_H */
