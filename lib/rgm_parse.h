/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Pure parsing helpers for rgmctl's command line and batch files: numbers,
 * addresses, ADDR:PORT, keyword prefixes, and whole "mapping add" argument
 * lists and selectors. No I/O, no netlink: unit tested on the host
 * (tests/rgmctl_parse_test.c).
 *
 * Every function returns 0 or a negative errno (-EINVAL malformed, -ERANGE
 * out of range); the ones taking err/errlen also write a message there that
 * names the offending word.
 */
#ifndef RGM_PARSE_H
#define RGM_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h>

#include "rgm_nl.h"

/* Decimal, or 0x hex for the u64 (owner cookies). No sign, no blanks. */
int rgm_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out);
int rgm_parse_u64(const char *s, uint64_t *out);
/* 1..65535 */
int rgm_parse_port(const char *s, uint16_t *out);
/* Dotted quad; "any" gives INADDR_ANY only when allow_any. */
int rgm_parse_addr(const char *s, bool allow_any, struct in_addr *out);
/* ADDR:PORT; with port_optional a bare ADDR gives *port = 0. */
int rgm_parse_addr_port(const char *s, bool allow_any, bool port_optional,
			struct in_addr *addr, uint16_t *port);
/*
 * An endpoint of either family: ADDR:PORT for IPv4, [ADDR6]:PORT for IPv6;
 * with port_optional also a bare ADDR, [ADDR6] or ADDR6 (*port = 0). Sets
 * *family to AF_INET or AF_INET6 and fills a4 or a6; "any" (allow_any)
 * gives *family = 0.
 */
int rgm_parse_endpoint(const char *s, bool allow_any, bool port_optional, uint8_t *family,
		       struct in_addr *a4, struct in6_addr *a6, uint16_t *port);
/* ADDR6/LEN[,ADDR6/LEN...], LEN 1..128, at most max, no duplicates; "none"
 * gives *n = 0. -E2BIG too many, -EEXIST duplicate, -EINVAL malformed. */
int rgm_parse_prefix6_list(const char *s, struct rgm_prefix6 *p, unsigned int max,
			   unsigned int *n);
/* MIN-MAX, both ports, MIN <= MAX. */
int rgm_parse_port_range(const char *s, uint16_t *min, uint16_t *max);
/* ADDR[,ADDR...], at most max, no duplicates; "none" gives *n = 0. */
int rgm_parse_addr_list(const char *s, struct in_addr *addrs, unsigned int max,
			unsigned int *n);

/*
 * Unique-prefix keyword lookup in a NULL-terminated table: an exact match
 * wins, else the one keyword word is a prefix of. -ENOENT unknown, -EINVAL
 * ambiguous (or empty word).
 */
int rgm_keyword(const char *word, const char *const *keywords);
/* True if word is a non-empty prefix of keyword (iproute2's matches()). */
bool rgm_matches(const char *word, const char *keyword);

/*
 * Splits line in place at blanks into at most max words; '#' starts a
 * comment. Returns the number of words, or -E2BIG.
 */
int rgm_split_line(char *line, char **argv, int max);

/*
 * "proto P [stream S] global A:P local A:P [server A[:P]] lease S
 *  [owner C]", keywords in any order, each once. Fills m (zeroed first).
 * An IPv6 local endpoint ([ADDR6]:PORT) makes an IPv6 pinhole: global is
 * then optional (the kernel requires it to equal local), and every
 * address given must be IPv6.
 */
int rgm_parse_mapping(int argc, char **argv, struct rgm_map *m, char *err, size_t errlen);

/*
 * A selector "id ID" | "proto P global A:P" | "owner C" | "all" at the start
 * of argv, restricted to the kinds in allowed (bit 1 << enum rgm_sel_kind).
 * Consumes only selector words, returns how many in *used; the caller
 * handles the rest (e.g. "lease S").
 */
#define RGM_SEL_ALLOW(kind)	(1U << (kind))
int rgm_parse_sel(int argc, char **argv, unsigned int allowed, struct rgm_sel *sel,
		  int *used, char *err, size_t errlen);

/* Formats a message into err (if any) and returns ret: the error idiom of
 * every parser here. */
int rgm_parse_err(char *err, size_t errlen, int ret, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

#endif /* RGM_PARSE_H */
