// SPDX-License-Identifier: GPL-2.0
/*
 * Text and JSON output through one set of calls. JSON is built as a json-c
 * tree and written by rgm_print_flush(), so a command that fails half way
 * prints no half document.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <json-c/json.h>

#include "rgm_print.h"

#define RGM_PRINT_DEPTH	16

static struct {
	bool json, pretty;
	json_object *root;
	json_object *stack[RGM_PRINT_DEPTH];
	int depth;
} rgm_out;

void rgm_print_setup(bool json, bool pretty)
{
	rgm_print_teardown();
	rgm_out.json = json;
	rgm_out.pretty = pretty;
}

bool rgm_print_is_json(void)
{
	return rgm_out.json;
}

void rgm_print_teardown(void)
{
	if (rgm_out.root)
		json_object_put(rgm_out.root);
	rgm_out.root = NULL;
	rgm_out.depth = 0;
}

void rgm_print_flush(void)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	if (rgm_out.json && rgm_out.root) {
		flags |= rgm_out.pretty ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
					: JSON_C_TO_STRING_PLAIN;
		fputs(json_object_to_json_string_ext(rgm_out.root, flags), stdout);
		fputc('\n', stdout);
		rgm_print_teardown();
	}
	fflush(stdout);
}

static void rgm_print_push(json_object *obj);

/* Adds v under key to the open container, opening an object if none is. */
static void rgm_print_add(const char *key, json_object *v)
{
	json_object *top;

	if (!rgm_out.depth)
		rgm_print_push(json_object_new_object());
	top = rgm_out.stack[rgm_out.depth - 1];
	if (json_object_is_type(top, json_type_array))
		json_object_array_add(top, v);
	else
		json_object_object_add(top, key ? key : "", v);
}

static void rgm_print_push(json_object *obj)
{
	if (!obj)
		return;
	if (!rgm_out.depth) {
		/* A second document without a flush: write the first. */
		if (rgm_out.root)
			rgm_print_flush();
		rgm_out.root = obj;
		rgm_out.stack[rgm_out.depth++] = obj;
		return;
	}
	if (rgm_out.depth >= RGM_PRINT_DEPTH) {
		json_object_put(obj);
		return;
	}
	rgm_print_add(NULL, obj);
	rgm_out.stack[rgm_out.depth++] = obj;
}

void rgm_print_open_object(const char *key)
{
	json_object *obj;

	if (!rgm_out.json)
		return;
	obj = json_object_new_object();
	if (rgm_out.depth && obj && rgm_out.depth < RGM_PRINT_DEPTH) {
		rgm_print_add(key, obj);
		rgm_out.stack[rgm_out.depth++] = obj;
		return;
	}
	rgm_print_push(obj);
}

void rgm_print_open_array(const char *key)
{
	json_object *arr;

	if (!rgm_out.json)
		return;
	arr = json_object_new_array();
	if (rgm_out.depth && arr && rgm_out.depth < RGM_PRINT_DEPTH) {
		rgm_print_add(key, arr);
		rgm_out.stack[rgm_out.depth++] = arr;
		return;
	}
	rgm_print_push(arr);
}

void rgm_print_close_object(void)
{
	if (rgm_out.json && rgm_out.depth)
		rgm_out.depth--;
}

void rgm_print_close_array(void)
{
	rgm_print_close_object();
}

/* The formats come from our callers, one conversion each, like iproute2's
 * print helpers. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"

void rgm_print_uint(enum rgm_print_type t, const char *key, const char *fmt, unsigned int v)
{
	if (rgm_out.json) {
		if (t & RGM_PRINT_JSON)
			rgm_print_add(key, json_object_new_int64(v));
	} else if ((t & RGM_PRINT_FP) && fmt) {
		printf(fmt, v);
	}
}

void rgm_print_u64(enum rgm_print_type t, const char *key, const char *fmt, uint64_t v)
{
	if (rgm_out.json) {
		if (t & RGM_PRINT_JSON)
			rgm_print_add(key, json_object_new_uint64(v));
	} else if ((t & RGM_PRINT_FP) && fmt) {
		printf(fmt, v);
	}
}

void rgm_print_string(enum rgm_print_type t, const char *key, const char *fmt,
		      const char *v)
{
	if (rgm_out.json) {
		if (t & RGM_PRINT_JSON)
			rgm_print_add(key, v ? json_object_new_string(v) : NULL);
	} else if ((t & RGM_PRINT_FP) && fmt) {
		printf(fmt, v ? v : "");
	}
}

void rgm_print_bool(enum rgm_print_type t, const char *key, const char *fmt, bool v)
{
	if (rgm_out.json) {
		if (t & RGM_PRINT_JSON)
			rgm_print_add(key, json_object_new_boolean(v));
	} else if ((t & RGM_PRINT_FP) && fmt) {
		printf(fmt, v ? "true" : "false");
	}
}

#pragma GCC diagnostic pop

void rgm_print_null(enum rgm_print_type t, const char *key, const char *fmt)
{
	if (rgm_out.json) {
		if (t & RGM_PRINT_JSON)
			rgm_print_add(key, NULL);
	} else if ((t & RGM_PRINT_FP) && fmt) {
		fputs(fmt, stdout);
	}
}

void rgm_print_addr(enum rgm_print_type t, const char *key, const char *fmt,
		    struct in_addr a)
{
	char buf[INET_ADDRSTRLEN];

	if (!inet_ntop(AF_INET, &a, buf, sizeof(buf)))
		buf[0] = '\0';
	rgm_print_string(t, key, fmt, buf);
}

void rgm_print_addr6(enum rgm_print_type t, const char *key, const char *fmt,
		     const struct in6_addr *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(AF_INET6, a, buf, sizeof(buf)))
		buf[0] = '\0';
	rgm_print_string(t, key, fmt, buf);
}

void rgm_print_nl(void)
{
	if (!rgm_out.json)
		fputc('\n', stdout);
}
