// SPDX-License-Identifier: GPL-2.0
#include <stdbool.h>
#include <stdint.h>
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
