/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One print call per value for both text and JSON output, as iproute2's
 * print_uint(PRINT_ANY, "key", "fmt", value): in text mode fmt is printed to
 * stdout with the value, in JSON mode the value is added under key to the
 * object or array being built (json-c), and rgm_print_flush() writes the
 * whole document. Not thread safe: one output per process.
 */
#ifndef RGM_PRINT_H
#define RGM_PRINT_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

enum rgm_print_type {
	RGM_PRINT_FP	= 1,	/* text only */
	RGM_PRINT_JSON	= 2,	/* JSON only */
	RGM_PRINT_ANY	= 3,	/* both */
};

void rgm_print_setup(bool json, bool pretty);
/* Writes the JSON document built so far (one line unless pretty) and
 * starts a new one; in text mode only flushes stdout. */
void rgm_print_flush(void);
/* Drops what was built (e.g. on error) without printing it. */
void rgm_print_teardown(void);
bool rgm_print_is_json(void);

/* Containers; key is ignored inside an array and for the outermost one. */
void rgm_print_open_object(const char *key);
void rgm_print_close_object(void);
void rgm_print_open_array(const char *key);
void rgm_print_close_array(void);

/* fmt is a printf format for the one value, used in text mode only. */
void rgm_print_uint(enum rgm_print_type t, const char *key, const char *fmt, unsigned int v);
/* fmt may print it in hex ("0x%" PRIx64); JSON always has the number. */
void rgm_print_u64(enum rgm_print_type t, const char *key, const char *fmt, uint64_t v);
void rgm_print_string(enum rgm_print_type t, const char *key, const char *fmt,
		      const char *v);
void rgm_print_bool(enum rgm_print_type t, const char *key, const char *fmt, bool v);
/* JSON null; in text mode fmt is printed as is (no conversions). */
void rgm_print_null(enum rgm_print_type t, const char *key, const char *fmt);
/* An IPv4 address as a dotted-quad string. */
void rgm_print_addr(enum rgm_print_type t, const char *key, const char *fmt,
		    struct in_addr a);
/* An IPv6 address in its RFC 5952 text form. */
void rgm_print_addr6(enum rgm_print_type t, const char *key, const char *fmt,
		     const struct in6_addr *a);
/* Text only: a newline (iproute2's print_nl()). */
void rgm_print_nl(void);

#endif /* RGM_PRINT_H */
