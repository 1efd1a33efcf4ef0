// SPDX-License-Identifier: GPL-2.0
/*
 * Parsing of rgmctl words. Strict on purpose: "40000x", " 1", "+1", "1.2.3"
 * and "0x" are errors, not whatever strtoul makes of them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rgm_parse.h"

int rgm_parse_err(char *err, size_t errlen, int ret, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return ret;
}

/* Digits only (hex digits after 0x when hex), at least one. */
static int rgm_parse_ull(const char *s, bool hex_ok, unsigned long long *out)
{
	const char *p = s;
	char *end;
	int base = 10;

	if (!s || !*s)
		return -EINVAL;
	if (hex_ok && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
		if (!isxdigit((unsigned char)*p))
			return -EINVAL;
	} else if (!isdigit((unsigned char)*p)) {
		return -EINVAL;
	}
	errno = 0;
	*out = strtoull(p, &end, base);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE)
		return -ERANGE;
	return 0;
}

int rgm_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out)
{
	unsigned long long v;
	int ret;

	ret = rgm_parse_ull(s, false, &v);
	if (ret)
		return ret;
	if (v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int rgm_parse_u64(const char *s, uint64_t *out)
{
	unsigned long long v;
	int ret;

	ret = rgm_parse_ull(s, true, &v);
	if (ret)
		return ret;
	*out = v;
	return 0;
}

int rgm_parse_port(const char *s, uint16_t *out)
{
	uint32_t v;
	int ret;

	ret = rgm_parse_u32(s, 1, 65535, &v);
	if (ret)
		return ret;
	*out = v;
	return 0;
}

int rgm_parse_addr(const char *s, bool allow_any, struct in_addr *out)
{
	if (!s)
		return -EINVAL;
	if (allow_any && !strcmp(s, "any")) {
		out->s_addr = htonl(INADDR_ANY);
		return 0;
	}
	/* inet_pton() takes only the full dotted quad, unlike inet_aton(). */
	return inet_pton(AF_INET, s, out) == 1 ? 0 : -EINVAL;
}

int rgm_parse_addr_port(const char *s, bool allow_any, bool port_optional,
			struct in_addr *addr, uint16_t *port)
{
	char buf[INET_ADDRSTRLEN + 8];
	const char *colon;
	size_t len;
	int ret;

	if (!s)
		return -EINVAL;
	colon = strchr(s, ':');
	if (!colon) {
		if (!port_optional)
			return -EINVAL;
		ret = rgm_parse_addr(s, allow_any, addr);
		if (!ret)
			*port = 0;
		return ret;
	}
	len = colon - s;
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	ret = rgm_parse_addr(buf, allow_any, addr);
	if (ret)
		return ret;
	return rgm_parse_port(colon + 1, port);
}

int rgm_parse_endpoint(const char *s, bool allow_any, bool port_optional, uint8_t *family,
		       struct in_addr *a4, struct in6_addr *a6, uint16_t *port)
{
	char buf[INET6_ADDRSTRLEN + 1];
	const char *end;
	size_t len;
	int ret;

	if (!s)
		return -EINVAL;
	/* "any" or "any:PORT": no address, fits either family. */
	if (allow_any && !strncmp(s, "any", 3) && (!s[3] || s[3] == ':')) {
		*family = 0;
		*port = 0;
		return s[3] ? rgm_parse_port(s + 4, port) : 0;
	}
	if (s[0] != '[') {
		/* More than one colon and no brackets: a bare IPv6 address. */
		if (strchr(s, ':') != strrchr(s, ':')) {
			if (!port_optional || inet_pton(AF_INET6, s, a6) != 1)
				return -EINVAL;
			*family = AF_INET6;
			*port = 0;
			return 0;
		}
		ret = rgm_parse_addr_port(s, false, port_optional, a4, port);
		if (!ret)
			*family = AF_INET;
		return ret;
	}
	end = strchr(s, ']');
	if (!end)
		return -EINVAL;
	len = end - s - 1;
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s + 1, len);
	buf[len] = '\0';
	if (inet_pton(AF_INET6, buf, a6) != 1)
		return -EINVAL;
	if (!end[1]) {
		if (!port_optional)
			return -EINVAL;
		*port = 0;
	} else if (end[1] != ':' || rgm_parse_port(end + 2, port)) {
		return -EINVAL;
	}
	*family = AF_INET6;
	return 0;
}

int rgm_parse_prefix6_list(const char *s, struct rgm_prefix6 *p, unsigned int max,
			   unsigned int *n)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct rgm_prefix6 x;
	unsigned int count = 0, i;
	uint32_t len;
	const char *comma;
	char *slash;
	size_t l;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "none")) {
		*n = 0;
		return 0;
	}
	for (;;) {
		comma = strchr(s, ',');
		l = comma ? (size_t)(comma - s) : strlen(s);
		if (!l || l >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, s, l);
		buf[l] = '\0';
		slash = strchr(buf, '/');
		if (!slash)
			return -EINVAL;
		*slash = '\0';
		memset(&x, 0, sizeof(x));
		if (inet_pton(AF_INET6, buf, &x.addr) != 1 ||
		    rgm_parse_u32(slash + 1, 1, 128, &len))
			return -EINVAL;
		x.len = len;
		if (count == max)
			return -E2BIG;
		for (i = 0; i < count; i++)
			if (p[i].len == x.len && !memcmp(&p[i].addr, &x.addr, sizeof(x.addr)))
				return -EEXIST;
		p[count++] = x;
		if (!comma)
			break;
		s = comma + 1;
	}
	*n = count;
	return 0;
}

int rgm_parse_port_range(const char *s, uint16_t *min, uint16_t *max)
{
	char buf[16];
	const char *dash;
	uint16_t lo, hi;
	size_t len;
	int ret;

	if (!s)
		return -EINVAL;
	dash = strchr(s, '-');
	if (!dash)
		return -EINVAL;
	len = dash - s;
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	ret = rgm_parse_port(buf, &lo);
	if (ret)
		return ret;
	ret = rgm_parse_port(dash + 1, &hi);
	if (ret)
		return ret;
	if (lo > hi)
		return -ERANGE;
	*min = lo;
	*max = hi;
	return 0;
}

int rgm_parse_addr_list(const char *s, struct in_addr *addrs, unsigned int max,
			unsigned int *n)
{
	char buf[INET_ADDRSTRLEN];
	unsigned int count = 0, i;
	const char *p = s, *comma;
	struct in_addr a;
	size_t len;

	if (!s || !*s)
		return -EINVAL;
	if (!strcmp(s, "none")) {
		*n = 0;
		return 0;
	}
	for (;;) {
		comma = strchr(p, ',');
		len = comma ? (size_t)(comma - p) : strlen(p);
		if (!len || len >= sizeof(buf))
			return -EINVAL;
		memcpy(buf, p, len);
		buf[len] = '\0';
		if (rgm_parse_addr(buf, false, &a))
			return -EINVAL;
		if (count >= max)
			return -E2BIG;
		for (i = 0; i < count; i++)
			if (addrs[i].s_addr == a.s_addr)
				return -EEXIST;
		addrs[count++] = a;
		if (!comma)
			break;
		p = comma + 1;
	}
	*n = count;
	return 0;
}

bool rgm_matches(const char *word, const char *keyword)
{
	size_t len = word ? strlen(word) : 0;

	return len && len <= strlen(keyword) && !strncmp(word, keyword, len);
}

int rgm_keyword(const char *word, const char *const *keywords)
{
	int i, found = -ENOENT;

	if (!word || !*word)
		return -EINVAL;
	for (i = 0; keywords[i]; i++) {
		if (!strcmp(word, keywords[i]))
			return i;
		if (rgm_matches(word, keywords[i]))
			found = found == -ENOENT ? i : -EINVAL;
	}
	return found;
}

int rgm_split_line(char *line, char **argv, int max)
{
	int argc = 0;
	char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p || *p == '#')
			break;
		if (argc >= max)
			return -E2BIG;
		argv[argc++] = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '#')
			p++;
		if (*p == '#') {
			*p = '\0';
			break;
		}
		if (*p)
			*p++ = '\0';
	}
	return argc;
}

/* ---- mapping add arguments ---- */

enum { MK_PROTO, MK_STREAM, MK_GLOBAL, MK_LOCAL, MK_SERVER, MK_LEASE, MK_OWNER };
static const char *const rgm_map_keywords[] = {
	[MK_PROTO] = "proto", [MK_STREAM] = "stream", [MK_GLOBAL] = "global",
	[MK_LOCAL] = "local", [MK_SERVER] = "server", [MK_LEASE] = "lease",
	[MK_OWNER] = "owner", NULL
};

/* Shared message for a keyword lookup that failed. */
static int rgm_keyword_err(char *err, size_t errlen, const char *word, int ret)
{
	if (ret == -EINVAL)
		return rgm_parse_err(err, errlen, -EINVAL, "ambiguous keyword \"%s\"", word);
	return rgm_parse_err(err, errlen, -EINVAL, "unknown keyword \"%s\"", word);
}

int rgm_parse_mapping(int argc, char **argv, struct rgm_map *m, char *err, size_t errlen)
{
	uint8_t gfam = 0, lfam = 0, sfam = 0;
	unsigned int seen = 0;
	const char *kw, *val;
	int i, k, v;

	memset(m, 0, sizeof(*m));
	for (i = 0; i < argc; i += 2) {
		k = rgm_keyword(argv[i], rgm_map_keywords);
		if (k < 0)
			return rgm_keyword_err(err, errlen, argv[i], k);
		kw = rgm_map_keywords[k];
		if (seen & (1U << k))
			return rgm_parse_err(err, errlen, -EINVAL, "\"%s\" given twice", kw);
		seen |= 1U << k;
		if (i + 1 >= argc)
			return rgm_parse_err(err, errlen, -EINVAL, "\"%s\" needs an argument", kw);
		val = argv[i + 1];

		switch (k) {
		case MK_PROTO:
			v = rgm_proto_parse(val);
			if (v < 0)
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad proto \"%s\" (udp or tcp)", val);
			m->proto = v;
			break;
		case MK_STREAM:
			v = rgm_stream_parse(val);
			if (v < 0)
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad stream \"%s\" (tcp, udp or rtp)", val);
			m->stream = v;
			break;
		case MK_GLOBAL:
			if (rgm_parse_endpoint(val, false, false, &gfam, &m->global_addr,
					       &m->global_addr6, &m->global_port))
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad global \"%s\" (ADDR:PORT or [ADDR6]:PORT, port 1..65535)",
						     val);
			break;
		case MK_LOCAL:
			if (rgm_parse_endpoint(val, false, false, &lfam, &m->local_addr,
					       &m->local_addr6, &m->local_port))
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad local \"%s\" (ADDR:PORT or [ADDR6]:PORT, port 1..65535)",
						     val);
			break;
		case MK_SERVER:
			if (rgm_parse_endpoint(val, true, true, &sfam, &m->server_addr,
					       &m->server_addr6, &m->server_port))
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad server \"%s\" (ADDR[:PORT] or [ADDR6][:PORT], port 1..65535)",
						     val);
			break;
		case MK_LEASE:
			if (rgm_parse_u32(val, 0, UINT32_MAX, &m->lease))
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad lease \"%s\" (seconds)", val);
			break;
		case MK_OWNER:
			if (rgm_parse_u64(val, &m->owner))
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad owner \"%s\" (a number, 0x for hex)", val);
			break;
		}
	}
	/* The local endpoint decides the family; the others must follow it. */
	if (lfam == AF_INET6) {
		m->family = AF_INET6;
		if (gfam == AF_INET)
			return rgm_parse_err(err, errlen, -EINVAL,
					     "global is IPv4 but local is IPv6");
	} else if (gfam == AF_INET6) {
		return rgm_parse_err(err, errlen, -EINVAL,
				     lfam ? "global is IPv6 but local is IPv4" :
				     "an IPv6 pinhole needs \"local\"");
	}
	if (sfam && lfam && sfam != lfam)
		return rgm_parse_err(err, errlen, -EINVAL,
				     "server and local are of different address families");
	for (k = MK_PROTO; k <= MK_LEASE; k++) {
		if (k == MK_STREAM || k == MK_SERVER)
			continue;
		/* A pinhole's global endpoint is its local one. */
		if (k == MK_GLOBAL && m->family == AF_INET6)
			continue;
		if (!(seen & (1U << k)))
			return rgm_parse_err(err, errlen, -EINVAL, "missing \"%s\"",
					     rgm_map_keywords[k]);
	}
	return 0;
}

/* ---- selectors ---- */

enum { SK_ID, SK_PROTO, SK_GLOBAL, SK_OWNER, SK_ALL };
static const char *const rgm_sel_keywords[] = {
	[SK_ID] = "id", [SK_PROTO] = "proto", [SK_GLOBAL] = "global",
	[SK_OWNER] = "owner", [SK_ALL] = "all", NULL
};

int rgm_parse_sel(int argc, char **argv, unsigned int allowed, struct rgm_sel *sel,
		  int *used, char *err, size_t errlen)
{
	unsigned int seen = 0, kinds = 0;
	const char *kw, *val;
	int i = 0, k, v;

	memset(sel, 0, sizeof(*sel));
	while (i < argc) {
		k = rgm_keyword(argv[i], rgm_sel_keywords);
		if (k < 0)
			break;	/* not ours: the caller's word */
		kw = rgm_sel_keywords[k];
		if (seen & (1U << k))
			return rgm_parse_err(err, errlen, -EINVAL, "\"%s\" given twice", kw);
		seen |= 1U << k;
		if (k == SK_ALL) {
			sel->kind = RGM_SEL_ALL;
			kinds |= RGM_SEL_ALLOW(RGM_SEL_ALL);
			i++;
			continue;
		}
		if (i + 1 >= argc)
			return rgm_parse_err(err, errlen, -EINVAL, "\"%s\" needs an argument", kw);
		val = argv[i + 1];
		switch (k) {
		case SK_ID:
			if (rgm_parse_u32(val, 1, UINT32_MAX, &sel->id))
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad id \"%s\" (1..4294967295)", val);
			sel->kind = RGM_SEL_ID;
			kinds |= RGM_SEL_ALLOW(RGM_SEL_ID);
			break;
		case SK_PROTO:
			v = rgm_proto_parse(val);
			if (v < 0)
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad proto \"%s\" (udp or tcp)", val);
			sel->proto = v;
			sel->kind = RGM_SEL_KEY;
			kinds |= RGM_SEL_ALLOW(RGM_SEL_KEY);
			break;
		case SK_GLOBAL:
			if (rgm_parse_endpoint(val, false, false, &sel->family, &sel->global_addr,
					       &sel->global_addr6, &sel->global_port))
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad global \"%s\" (ADDR:PORT or [ADDR6]:PORT, port 1..65535)",
						     val);
			sel->kind = RGM_SEL_KEY;
			kinds |= RGM_SEL_ALLOW(RGM_SEL_KEY);
			break;
		case SK_OWNER:
			if (rgm_parse_u64(val, &sel->owner))
				return rgm_parse_err(err, errlen, -EINVAL,
						     "bad owner \"%s\" (a number, 0x for hex)", val);
			sel->kind = RGM_SEL_OWNER;
			kinds |= RGM_SEL_ALLOW(RGM_SEL_OWNER);
			break;
		}
		i += 2;
	}
	*used = i;
	if (!kinds)
		return rgm_parse_err(err, errlen, -EINVAL, i < argc ?
				     "unknown selector \"%s\"" : "missing selector%s",
				     i < argc ? argv[i] : "");
	if (kinds & (kinds - 1))
		return rgm_parse_err(err, errlen, -EINVAL,
				     "give exactly one of id, proto+global, owner, all");
	if (sel->kind == RGM_SEL_KEY && (seen & ((1U << SK_PROTO) | (1U << SK_GLOBAL))) !=
	    ((1U << SK_PROTO) | (1U << SK_GLOBAL)))
		return rgm_parse_err(err, errlen, -EINVAL, "a key needs both proto and global");
	if (!(allowed & kinds))
		return rgm_parse_err(err, errlen, -EINVAL, "selector \"%s\" not allowed here",
				     argv[0]);
	return 0;
}
