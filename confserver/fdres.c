// SPDX-License-Identifier: GPL-2.0
/*
 * The descriptor reserve: call-home gateways, one descriptor each (plus
 * their link's wake), may not take the process's last descriptors, or the
 * portal API (libmicrohttpd) could accept nothing and the operator could
 * not reach a server full of gateways. A call-home connection arriving when
 * the open descriptors are within call-home-fd-reserve of RLIMIT_NOFILE is
 * closed at once, counted (/metrics) and logged once per interval.
 *
 * Counting /proc/self/fd costs a directory read of every open descriptor,
 * so it is done at most once a second, or ten times a second near the
 * limit; in between, accepted connections are added to the last count, two
 * descriptors each (the socket, and its link's wake once it is a gateway);
 * closes only make that estimate high, which errs on the refusing side.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "confserver.h"

#define CS_FDRES_RECOUNT_MS	1000	/* far from the limit */
#define CS_FDRES_NEAR_MS	100	/* within the reserve: refusals re-check this often */
#define CS_FDRES_LOG_MS		10000	/* refusals are logged this often at most */

void cs_fdres_raise(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return;
	if (rl.rlim_cur >= rl.rlim_max)
		return;
	rl.rlim_cur = rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		cs_log(CS_LOG_WARN, "cannot raise the open files limit to %llu: %m",
		       (unsigned long long)rl.rlim_max);
}

int cs_fdres_count(void)
{
	struct dirent *e;
	int n = 0;
	DIR *d;

	d = opendir("/proc/self/fd");
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n - 1;	/* not the directory's own */
}

void cs_fdres_init(struct cs_fdres *r, unsigned int reserve)
{
	struct rlimit rl;

	memset(r, 0, sizeof(*r));
	r->reserve = reserve;
	r->limit = getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY ?
		   UINT64_MAX : rl.rlim_cur;
}

bool cs_fdres_admit(struct cs_fdres *r, int64_t now)
{
	uint64_t open = r->open + r->since;
	bool near = open + r->reserve >= r->limit;
	int n;

	if (!r->counted || now - r->counted_at >= (near ? CS_FDRES_NEAR_MS : CS_FDRES_RECOUNT_MS)) {
		n = cs_fdres_count();
		if (n >= 0) {
			r->open = n;
			r->since = 0;
			r->counted_at = now;
			r->counted = true;
			open = n;
			near = open + r->reserve >= r->limit;
		}
	}
	/* open already holds the connection being decided on, not yet the
	 * wake of the link it would become */
	if (open + 1 + r->reserve <= r->limit) {
		/* its socket, and the wake of the link it becomes */
		r->since += 2;
		return true;
	}
	cs_metrics_callhome_refused();
	r->refused++;
	if (now - r->logged_at >= CS_FDRES_LOG_MS || !r->logged_at) {
		cs_log(CS_LOG_WARN,
		       "call-home: %llu connection(s) refused: %llu descriptors open, the limit "
		       "is %llu and call-home-fd-reserve %u keeps the rest for the API",
		       (unsigned long long)r->refused, (unsigned long long)open,
		       (unsigned long long)r->limit, r->reserve);
		r->refused = 0;
		r->logged_at = now;
	}
	return false;
}
