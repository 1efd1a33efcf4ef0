// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "rgm_json.h"

static int rgm_json_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static int rgm_json_field(const char *name, const char *const *fields, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n && i < 32; i++)
		if (!strcmp(name, fields[i]))
			return i;
	return -1;
}

/*
 * Decodes the string starting after the opening quote at s[*i] into name
 * (truncated names are "unknown"), leaving *i on the closing quote. Only
 * what a field name needs: escapes of ASCII characters.
 */
static bool rgm_json_string(const char *s, size_t len, size_t *i, char *name, size_t size)
{
	bool known = true;
	size_t n = 0, p;
	int k, v, j;

	for (p = *i + 1; p < len && s[p] != '"'; p++) {
		char c = s[p];

		if (c == '\\' && p + 1 < len) {
			switch (s[++p]) {
			case 'u':
				v = 0;
				for (j = 1; j <= 4 && p + j < len; j++) {
					k = rgm_json_hexval(s[p + j]);
					v = v * 16 + (k < 0 ? 0 : k);
				}
				p += 4;
				c = v;
				if (v == 0 || v > 0x7f)
					known = false;
				break;
			case 'b': c = '\b'; break;
			case 'f': c = '\f'; break;
			case 'n': c = '\n'; break;
			case 'r': c = '\r'; break;
			case 't': c = '\t'; break;
			default: c = s[p]; break;
			}
		}
		if (n + 1 < size)
			name[n++] = c;
		else
			known = false;
	}
	name[n] = '\0';
	*i = p;
	return known;
}

int rgm_json_scan(const char *s, size_t len, const char *const *fields,
		  unsigned int n_fields, const char **dup)
{
	uint32_t seen[RGM_JSON_DEPTH_LIMIT];
	bool is_obj[RGM_JSON_DEPTH_LIMIT];
	bool want_name[RGM_JSON_DEPTH_LIMIT];
	char name[32];
	size_t i;
	int d = -1, k;
	bool known;

	*dup = NULL;
	for (i = 0; i < len; i++) {
		switch (s[i]) {
		case '{':
		case '[':
			if (++d >= RGM_JSON_DEPTH_LIMIT)
				return -1;
			seen[d] = 0;
			is_obj[d] = s[i] == '{';
			want_name[d] = is_obj[d];
			break;
		case '}':
		case ']':
			if (--d < -1)
				return -1;
			break;
		case '\'':		/* outside a string: json-c's extension */
			return -1;
		case ',':
			if (d >= 0 && is_obj[d])
				want_name[d] = true;
			break;
		case '"':
			known = rgm_json_string(s, len, &i, name, sizeof(name));
			if (d < 0 || !is_obj[d] || !want_name[d])
				break;
			want_name[d] = false;
			k = known ? rgm_json_field(name, fields, n_fields) : -1;
			if (k < 0)
				break;
			if (seen[d] & (1U << k)) {
				*dup = fields[k];
				return 0;
			}
			seen[d] |= 1U << k;
			break;
		}
	}
	return d == -1 ? 0 : -1;
}

/* HTTP request codecs */

int rgm_json_err(struct rgm_json_error *err, unsigned int status, const char *fmt, ...)
{
	va_list ap;

	err->status = status;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* Whether the first non-blank byte is '{' (body is not NUL-terminated). */
static bool rgm_json_starts_object(const char *body, size_t len)
{
	size_t i = 0;

	while (i < len && strchr(" \t\r\n", body[i]))
		i++;
	return i < len && body[i] == '{';
}

int rgm_json_parse_object(const char *body, size_t len, size_t max, int depth,
			  const char *const *fields, unsigned int n_fields,
			  struct json_object **out, struct rgm_json_error *err)
{
	enum json_tokener_error jerr;
	struct json_tokener *tok;
	struct json_object *o;
	const char *dup;
	int ret = -1;

	*out = NULL;
	if (len > max)
		return rgm_json_err(err, 413, "request body is %zu bytes, at most %zu are accepted",
				    len, max);
	if (!len)
		return rgm_json_err(err, 400, "empty request body");
	/* json-c would stop at a NUL and leave the rest unread */
	if (memchr(body, '\0', len))
		return rgm_json_err(err, 400, "NUL byte in the request body");

	tok = json_tokener_new_ex(depth);
	if (!tok)
		return rgm_json_err(err, 500, "out of memory");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, body, len);
	jerr = json_tokener_get_error(tok);
	if (!o || jerr != json_tokener_success) {
		/* json-c's null is NULL with success */
		if (jerr == json_tokener_success)
			rgm_json_err(err, 400, "the request body must be a JSON object");
		else if (jerr == json_tokener_continue && !rgm_json_starts_object(body, len))
			/* a bare scalar: json-c waits for a delimiter after it */
			rgm_json_err(err, 400, "the request body must be a JSON object");
		else if (jerr == json_tokener_continue)
			rgm_json_err(err, 400, "invalid JSON: truncated");
		else
			rgm_json_err(err, 400, "invalid JSON: %s", json_tokener_error_desc(jerr));
	} else if (json_tokener_get_parse_end(tok) != len) {
		rgm_json_err(err, 400, "invalid JSON: data after the object");
	} else if (!json_object_is_type(o, json_type_object)) {
		rgm_json_err(err, 400, "the request body must be a JSON object");
	} else if (rgm_json_scan(body, len, fields, n_fields, &dup)) {
		rgm_json_err(err, 400, "invalid JSON: strings and names take double quotes");
	} else if (dup) {
		rgm_json_err(err, 400, "field '%s' given twice", dup);
	} else {
		*out = o;
		o = NULL;
		ret = 0;
	}
	json_object_put(o);
	json_tokener_free(tok);
	return ret;
}

int rgm_json_check_fields(struct json_object *o, const char *prefix,
			  const char *const *allowed, struct rgm_json_error *err)
{
	char shown[65];
	unsigned int i;

	json_object_object_foreach(o, key, val) {
		(void)val;
		for (i = 0; allowed[i]; i++)
			if (!strcmp(key, allowed[i]))
				break;
		if (allowed[i])
			continue;
		/* echo printable ASCII only: the message goes into logs and a
		 * JSON reply, and a cut UTF-8 sequence would be invalid there */
		for (i = 0; key[i] && i < sizeof(shown) - 1; i++)
			shown[i] = key[i] >= 0x20 && key[i] < 0x7f && key[i] != '\'' ? key[i] : '?';
		shown[i] = '\0';
		return rgm_json_err(err, 400, "unknown field '%s%s'", prefix, shown);
	}
	return 0;
}

int rgm_json_get(struct json_object *o, const char *key, const char *path, bool required,
		 enum json_type type, const char *what, struct json_object **out,
		 struct rgm_json_error *err)
{
	if (!json_object_object_get_ex(o, key, out)) {
		if (required)
			return rgm_json_err(err, 400, "missing field '%s'", path);
		return 0;
	}
	if (!json_object_is_type(*out, type))
		return rgm_json_err(err, 400, "'%s' must be %s", path, what);
	return 1;
}

int rgm_json_uint(struct json_object *v, const char *path, uint32_t min, uint32_t max,
		  uint32_t *out, struct rgm_json_error *err)
{
	int64_t i;

	if (!json_object_is_type(v, json_type_int))
		return rgm_json_err(err, 400, "'%s' must be an integer", path);
	/* json-c clamps what does not fit in int64 to INT64_MAX/MIN */
	i = json_object_get_int64(v);
	if (i < min || i > max)
		return rgm_json_err(err, 422, "'%s' must be %" PRIu32 "..%" PRIu32, path, min, max);
	*out = i;
	return 1;
}

int rgm_json_get_uint(struct json_object *o, const char *key, const char *path, bool required,
		      uint32_t min, uint32_t max, uint32_t *out, struct rgm_json_error *err)
{
	struct json_object *v;
	int ret;

	ret = rgm_json_get(o, key, path, required, json_type_int, "an integer", &v, err);
	if (ret <= 0)
		return ret;
	return rgm_json_uint(v, path, min, max, out, err);
}

int rgm_json_get_bool(struct json_object *o, const char *key, const char *path, bool *out,
		      struct rgm_json_error *err)
{
	struct json_object *v;
	int ret;

	ret = rgm_json_get(o, key, path, false, json_type_boolean, "true or false", &v, err);
	if (ret > 0)
		*out = json_object_get_boolean(v);
	return ret;
}

int rgm_json_get_string(struct json_object *o, const char *key, const char *path, bool required,
			const char **out, struct rgm_json_error *err)
{
	struct json_object *v;
	int ret;

	ret = rgm_json_get(o, key, path, required, json_type_string, "a string", &v, err);
	if (ret <= 0)
		return ret;
	*out = json_object_get_string(v);
	/* a NUL inside ("a\u0000b") would make the C string lie about the value */
	if (strlen(*out) != (size_t)json_object_get_string_len(v))
		return rgm_json_err(err, 422, "'%s' contains a NUL character", path);
	return 1;
}

int rgm_json_get_checked(struct json_object *o, const char *key, const char *path, bool required,
			 bool (*valid)(const char *), const char *what, char *buf, size_t size,
			 struct rgm_json_error *err)
{
	const char *s;
	int ret;

	ret = rgm_json_get_string(o, key, path, required, &s, err);
	if (ret <= 0)
		return ret;
	if (!valid(s) || strlen(s) >= size)
		return rgm_json_err(err, 422, "'%s' must be %s", path, what);
	strcpy(buf, s);
	return 1;
}

int rgm_json_get_addr(struct json_object *o, const char *key, const char *path, bool required,
		      struct in_addr *out, struct rgm_json_error *err)
{
	const char *s;
	uint32_t h;
	int ret;

	ret = rgm_json_get_string(o, key, path, required, &s, err);
	if (ret <= 0)
		return ret;
	if (inet_pton(AF_INET, s, out) != 1)
		return rgm_json_err(err, 422, "'%s' must be an IPv4 address A.B.C.D", path);
	h = ntohl(out->s_addr);
	if (!h || h >= 0xe0000000)
		return rgm_json_err(err, 422, "'%s' must be a unicast IPv4 address", path);
	return 1;
}
