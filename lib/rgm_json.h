/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Strict JSON checks that json-c does not make, shared by the codecs that
 * read JSON from the network (rgm_proto for rgmd, rgm_api for the
 * configuration server, rgm_portal_api for the portal), and the field
 * readers of the HTTP request codecs (rgm_api, rgm_portal_api).
 */
#ifndef RGM_JSON_H
#define RGM_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>
#include <json-c/json.h>

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

/* HTTP request codecs */

#define RGM_JSON_MSG_MAX 256

/*
 * Why a request body was refused: an HTTP status (400 not the JSON asked
 * for: unknown, repeated, missing or mistyped field; 413 too large; 422 a
 * value out of range; 500 out of memory) and a message naming the field by
 * its full path ("streams[1].local_port").
 */
struct rgm_json_error {
	unsigned int status;
	char msg[RGM_JSON_MSG_MAX];
};

/* Fills err; returns -1. */
int rgm_json_err(struct rgm_json_error *err, unsigned int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * body as exactly one JSON object: at most max bytes (else 413), no NUL,
 * json-c strict mode with UTF-8 validation and depth, nothing after it,
 * then rgm_json_scan() with fields (else 400). 0 with *out (the caller
 * puts it), or -1 with err.
 */
int rgm_json_parse_object(const char *body, size_t len, size_t max, int depth,
			  const char *const *fields, unsigned int n_fields,
			  struct json_object **out, struct rgm_json_error *err);

/* Closed objects: a key of o not in allowed (NULL-terminated) is 400,
 * named as prefix + key (printable ASCII only). */
int rgm_json_check_fields(struct json_object *o, const char *prefix,
			  const char *const *allowed, struct rgm_json_error *err);

/*
 * Field readers: key is the name in o, path the full name for messages.
 * Return 1 found, 0 absent and optional, -1 with err: absent and required,
 * wrong JSON type (400), bad value (422). what says what the value must be.
 */
int rgm_json_get(struct json_object *o, const char *key, const char *path, bool required,
		 enum json_type type, const char *what, struct json_object **out,
		 struct rgm_json_error *err);
/* A JSON integer (not 3.0, not "3") min..max; v itself, for array items. */
int rgm_json_uint(struct json_object *v, const char *path, uint32_t min, uint32_t max,
		  uint32_t *out, struct rgm_json_error *err);
int rgm_json_get_uint(struct json_object *o, const char *key, const char *path, bool required,
		      uint32_t min, uint32_t max, uint32_t *out, struct rgm_json_error *err);
int rgm_json_get_bool(struct json_object *o, const char *key, const char *path, bool *out,
		      struct rgm_json_error *err);
/* A string without NUL inside; *out points into o. */
int rgm_json_get_string(struct json_object *o, const char *key, const char *path, bool required,
			const char **out, struct rgm_json_error *err);
/* A string that valid() accepts and that fits size, copied into buf. */
int rgm_json_get_checked(struct json_object *o, const char *key, const char *path, bool required,
			 bool (*valid)(const char *), const char *what, char *buf, size_t size,
			 struct rgm_json_error *err);
/* A strict dotted quad (inet_pton: no "10.1", no octal) of a unicast IPv4
 * address: not 0.0.0.0, multicast, broadcast or 240/4. */
int rgm_json_get_addr(struct json_object *o, const char *key, const char *path, bool required,
		      struct in_addr *out, struct rgm_json_error *err);

#endif /* RGM_JSON_H */
