// SPDX-License-Identifier: GPL-2.0
/*
 * Client of the "rgm" generic netlink family, on libnl-genl-3.
 *
 * One request at a time per handle: rgm_nl_request() sends a message and
 * reads until the kernel's ACK, error or NLMSG_DONE, so the socket is always
 * drained before the next request. The kernel's extack text is kept for
 * rgm_nl_errmsg().
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <linux/netlink.h>

#include <netlink/netlink.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include <netlink/socket.h>
#include <netlink/handlers.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>

#include "rgm_nl.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

/* A reply that takes longer than this means something is wrong: fail the
 * request rather than hang the caller. */
#define RGM_NL_TIMEOUT_SEC	10
/* Large enough for a dump skb and a burst of events. */
#define RGM_NL_RCVBUF		(1 << 20)
/* How often an interrupted dump is retried before giving up. */
#define RGM_NL_DUMP_RETRIES	8

struct rgm_nl {
	struct nl_sock *sk;
	int family;
	int events_grp;		/* multicast group id, events handles only */
	char errmsg[256];
};

/* State of one request while its replies are read. */
struct rgm_req {
	struct rgm_nl *nl;
	/* Called for each reply message of the family; tb is the parsed
	 * top level. A non-zero return is kept in ->stop and no further
	 * messages are handed to it (the rest are still read and dropped). */
	int (*parse)(struct nlattr **tb, uint8_t cmd, void *arg);
	void *arg;
	int err;		/* negative errno from the kernel or parsing */
	int stop;		/* non-zero return of parse */
	int done;
	int intr;		/* NLM_F_DUMP_INTR was seen */
};

static int rgm_nl_set_err(struct rgm_nl *nl, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int rgm_nl_set_err(struct rgm_nl *nl, int err, const char *fmt, ...)
{
	va_list ap;

	if (!fmt) {
		snprintf(nl->errmsg, sizeof(nl->errmsg), "%s", strerror(-err));
		return err;
	}
	va_start(ap, fmt);
	vsnprintf(nl->errmsg, sizeof(nl->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

const char *rgm_nl_errmsg(const struct rgm_nl *nl)
{
	return nl ? nl->errmsg : "no netlink handle";
}

/* libnl has its own error space; callers of this API get errnos. */
static int rgm_nl_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS:	return 0;
	case NLE_INTR:		return -EINTR;
	case NLE_BAD_SOCK:	return -EBADF;
	case NLE_AGAIN:		return -EAGAIN;
	case NLE_NOMEM:		return -ENOMEM;
	case NLE_EXIST:		return -EEXIST;
	case NLE_INVAL:		return -EINVAL;
	case NLE_RANGE:		return -ERANGE;
	case NLE_MSGSIZE:	return -EMSGSIZE;
	case NLE_OPNOTSUPP:	return -EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:	return -EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:	return -ENOENT;
	case NLE_NOATTR:	return -ENOENT;
	case NLE_PERM:		return -EPERM;
	case NLE_BUSY:		return -EBUSY;
	case NLE_NOADDR:	return -EADDRNOTAVAIL;
	case NLE_NODEV:		return -ENODEV;
	case NLE_MSG_TRUNC:	return -EMSGSIZE;
	case NLE_DUMP_INTR:	return -EINTR;
	default:		return -EIO;
	}
}

/* ---- extended ACK ---- */

static const struct nla_policy rgm_extack_policy[NLMSGERR_ATTR_MAX + 1] = {
	[NLMSGERR_ATTR_MSG]	= { .type = NLA_STRING },
	[NLMSGERR_ATTR_OFFS]	= { .type = NLA_U32 },
};

/*
 * Attribute names, for errors. The kernel's policy checks (length, type,
 * flag mask) report which attribute failed as its offset in the request
 * (NLMSGERR_ATTR_OFFS) with a generic message, as netlink does for every
 * family; like ynl, we turn the offset back into a name.
 */
struct rgm_attr_names {
	const char *const *name;
	unsigned int max;
	const struct rgm_attr_names *const *nest;	/* per type, or NULL */
};

static const char *const rgm_map_names[RGM_MAP_A_MAX + 1] = {
	[RGM_MAP_A_ID] = "id", [RGM_MAP_A_PROTO] = "proto", [RGM_MAP_A_STREAM] = "stream",
	[RGM_MAP_A_SERVER_ADDR] = "server address", [RGM_MAP_A_SERVER_PORT] = "server port",
	[RGM_MAP_A_GLOBAL_ADDR] = "global address", [RGM_MAP_A_GLOBAL_PORT] = "global port",
	[RGM_MAP_A_LOCAL_ADDR] = "local address", [RGM_MAP_A_LOCAL_PORT] = "local port",
	[RGM_MAP_A_LEASE] = "lease", [RGM_MAP_A_OWNER] = "owner",
	[RGM_MAP_A_EXPIRES] = "expires", [RGM_MAP_A_PACKETS_IN] = "packets_in",
	[RGM_MAP_A_BYTES_IN] = "bytes_in", [RGM_MAP_A_PACKETS_OUT] = "packets_out",
	[RGM_MAP_A_BYTES_OUT] = "bytes_out", [RGM_MAP_A_DROPS] = "drops",
	[RGM_MAP_A_FAMILY] = "family", [RGM_MAP_A_SERVER_ADDR6] = "server address",
	[RGM_MAP_A_GLOBAL_ADDR6] = "global address", [RGM_MAP_A_LOCAL_ADDR6] = "local address",
};
static const struct rgm_attr_names rgm_map_attrs = { rgm_map_names, RGM_MAP_A_MAX, NULL };

static const char *const rgm_mappings_names[RGM_A_MAPPING + 1] = {
	[RGM_A_MAPPING] = "mapping",
};
static const struct rgm_attr_names *const rgm_mappings_nest[RGM_A_MAPPING + 1] = {
	[RGM_A_MAPPING] = &rgm_map_attrs,
};
static const struct rgm_attr_names rgm_mappings_attrs = {
	rgm_mappings_names, RGM_A_MAPPING, rgm_mappings_nest
};

static const char *const rgm_addrs_names[RGM_CFG_A_ADDR + 1] = {
	[RGM_CFG_A_ADDR] = "global address",
};
static const struct rgm_attr_names rgm_addrs_attrs = { rgm_addrs_names, RGM_CFG_A_ADDR, NULL };

static const char *const rgm_cfg_names[RGM_CFG_A_MAX + 1] = {
	[RGM_CFG_A_GLOBAL_ADDRS] = "global addresses", [RGM_CFG_A_ADDR] = "global address",
	[RGM_CFG_A_PORT_MIN] = "port_min", [RGM_CFG_A_PORT_MAX] = "port_max",
	[RGM_CFG_A_MAX_MAPPINGS] = "max_mappings", [RGM_CFG_A_LEASE_MAX] = "lease_max",
	[RGM_CFG_A_LAN6_PREFIXES] = "lan6 prefixes", [RGM_CFG_A_PREFIX6] = "lan6 prefix",
	[RGM_CFG_A_ADDR6] = "lan6 prefix address", [RGM_CFG_A_PREFIX_LEN] = "lan6 prefix length",
};
static const struct rgm_attr_names rgm_cfg_attrs;
static const struct rgm_attr_names *const rgm_cfg_nest[RGM_CFG_A_MAX + 1] = {
	[RGM_CFG_A_GLOBAL_ADDRS] = &rgm_addrs_attrs,
	[RGM_CFG_A_LAN6_PREFIXES] = &rgm_cfg_attrs, [RGM_CFG_A_PREFIX6] = &rgm_cfg_attrs,
};
static const struct rgm_attr_names rgm_cfg_attrs = { rgm_cfg_names, RGM_CFG_A_MAX, rgm_cfg_nest };

static const char *const rgm_top_names[RGM_A_MAX + 1] = {
	[RGM_A_MAPPINGS] = "mappings", [RGM_A_MAPPING] = "mapping", [RGM_A_MAP_ID] = "id",
	[RGM_A_KEY] = "key", [RGM_A_OWNER] = "owner", [RGM_A_ALL] = "all",
	[RGM_A_LEASE] = "lease", [RGM_A_PROTO] = "proto", [RGM_A_COUNT] = "count",
	[RGM_A_FLAGS] = "flags", [RGM_A_GLOBAL_ADDR] = "global address",
	[RGM_A_PORTS] = "ports", [RGM_A_PORT] = "port", [RGM_A_CONFIG] = "config",
	[RGM_A_STATS] = "stats", [RGM_A_REASON] = "reason",
};
static const struct rgm_attr_names *const rgm_top_nest[RGM_A_MAX + 1] = {
	[RGM_A_MAPPINGS] = &rgm_mappings_attrs, [RGM_A_MAPPING] = &rgm_map_attrs,
	[RGM_A_KEY] = &rgm_map_attrs, [RGM_A_CONFIG] = &rgm_cfg_attrs,
};
static const struct rgm_attr_names rgm_top_attrs = { rgm_top_names, RGM_A_MAX, rgm_top_nest };

/* Names the attribute starting at byte off of the TLV run [p, p + len). */
static const char *rgm_nl_attr_at(const struct rgm_attr_names *t, const char *p, int len,
				  unsigned int off)
{
	const struct nlattr *a;
	int rem;

	nla_for_each_attr(a, (const struct nlattr *)p, len, rem) {
		unsigned int start = (const char *)a - p;
		unsigned int type = nla_type(a);

		if (off < start || off >= start + nla_total_size(nla_len(a)))
			continue;
		if (type > t->max)
			return "unknown attribute";
		if (off == start)
			return t->name[type] ? t->name[type] : "unknown attribute";
		if (off >= start + NLA_HDRLEN && t->nest && t->nest[type])
			return rgm_nl_attr_at(t->nest[type], nla_data(a), nla_len(a),
					      off - start - NLA_HDRLEN);
		return t->name[type];
	}
	return NULL;
}

const char *rgm_nl_attr_name(const void *req, size_t req_len, unsigned int off)
{
	const unsigned int hdr = NLMSG_HDRLEN + GENL_HDRLEN;

	if (!req || req_len <= hdr || off < hdr || off >= req_len)
		return NULL;
	return rgm_nl_attr_at(&rgm_top_attrs, (const char *)req + hdr, req_len - hdr, off - hdr);
}

/*
 * Copies NLMSGERR_ATTR_MSG out of the TLVs at [attrs, attrs + len), and
 * names the attribute NLMSGERR_ATTR_OFFS points at in the echoed request
 * (req, req_len bytes; NULL when the kernel capped the echo).
 */
static int rgm_nl_extack(struct rgm_nl *nl, const void *attrs, int len,
			 const struct nlmsghdr *req, unsigned int req_len)
{
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	const char *name = NULL;
	size_t n;

	if (len <= 0)
		return 0;
	if (nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)attrs, len,
		      rgm_extack_policy) < 0)
		return 0;
	if (tb[NLMSGERR_ATTR_MSG] && nla_len(tb[NLMSGERR_ATTR_MSG]) > 0)
		nla_strlcpy(nl->errmsg, tb[NLMSGERR_ATTR_MSG], sizeof(nl->errmsg));
	if (tb[NLMSGERR_ATTR_OFFS])
		name = rgm_nl_attr_name(req, req_len, nla_get_u32(tb[NLMSGERR_ATTR_OFFS]));
	if (name && !strstr(nl->errmsg, name)) {
		n = strlen(nl->errmsg);
		snprintf(nl->errmsg + n, sizeof(nl->errmsg) - n, "%sattribute \"%s\"",
			 n ? ": " : "", name);
	}
	return nl->errmsg[0] != '\0';
}

static int rgm_nl_err_cb(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	/* libnl hands us nlmsg_data() of the error message and has checked
	 * that it holds a whole struct nlmsgerr. */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct rgm_req *req = arg;
	size_t off = sizeof(*e);
	int err = e->error > 0 ? -e->error : e->error;

	req->done = 1;
	if (!err)
		err = -EPROTO;
	req->err = err;
	snprintf(req->nl->errmsg, sizeof(req->nl->errmsg), "%s", strerror(-err));

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return NL_STOP;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED)) {
		if (e->msg.nlmsg_len < NLMSG_HDRLEN ||
		    e->msg.nlmsg_len > nlh->nlmsg_len - NLMSG_HDRLEN - sizeof(*e))
			return NL_STOP;
		off += e->msg.nlmsg_len - NLMSG_HDRLEN;
	}
	off = NLMSG_ALIGN(off);
	if (off >= nlh->nlmsg_len - NLMSG_HDRLEN)
		return NL_STOP;
	rgm_nl_extack(req->nl, (char *)e + off, nlh->nlmsg_len - NLMSG_HDRLEN - off,
		      nlh->nlmsg_flags & NLM_F_CAPPED ? NULL : &e->msg, e->msg.nlmsg_len);
	return NL_STOP;
}

static int rgm_nl_ack_cb(struct nl_msg *msg, void *arg)
{
	struct rgm_req *req = arg;

	req->done = 1;
	return NL_STOP;
}

/* NLMSG_DONE carries the dump's final errno, and extack TLVs after it. */
static int rgm_nl_finish_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct rgm_req *req = arg;
	int len = nlmsg_datalen(nlh);
	int err;

	req->done = 1;
	if (len < (int)sizeof(int))
		return NL_STOP;
	memcpy(&err, nlmsg_data(nlh), sizeof(err));
	if (err >= 0)
		return NL_STOP;
	req->err = err;
	snprintf(req->nl->errmsg, sizeof(req->nl->errmsg), "%s", strerror(-err));
	if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
		rgm_nl_extack(req->nl, (char *)nlmsg_data(nlh) + NLMSG_ALIGN(sizeof(int)),
			      len - (int)NLMSG_ALIGN(sizeof(int)), NULL, 0);
	return NL_STOP;
}

static int rgm_nl_intr_cb(struct nl_msg *msg, void *arg)
{
	struct rgm_req *req = arg;

	/* Keep reading: the dump must be drained up to NLMSG_DONE. */
	req->intr = 1;
	return NL_OK;
}

static const struct nla_policy rgm_top_policy[RGM_A_MAX + 1] = {
	[RGM_A_MAPPINGS]	= { .type = NLA_NESTED },
	[RGM_A_MAPPING]		= { .type = NLA_NESTED },
	[RGM_A_MAP_ID]		= { .type = NLA_U32 },
	[RGM_A_KEY]		= { .type = NLA_NESTED },
	[RGM_A_OWNER]		= { .type = NLA_U64 },
	[RGM_A_ALL]		= { .type = NLA_FLAG },
	[RGM_A_LEASE]		= { .type = NLA_U32 },
	[RGM_A_PROTO]		= { .type = NLA_U8 },
	[RGM_A_COUNT]		= { .type = NLA_U32 },
	[RGM_A_FLAGS]		= { .type = NLA_U32 },
	[RGM_A_GLOBAL_ADDR]	= { .type = NLA_U32 },
	[RGM_A_PORTS]		= { .type = NLA_NESTED },
	[RGM_A_PORT]		= { .type = NLA_U16 },
	[RGM_A_CONFIG]		= { .type = NLA_NESTED },
	[RGM_A_STATS]		= { .type = NLA_NESTED },
	[RGM_A_REASON]		= { .type = NLA_U8 },
};

static int rgm_nl_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct rgm_req *req = arg;
	struct nlattr *tb[RGM_A_MAX + 1];
	struct genlmsghdr *gnlh;
	int ret;

	if (nlh->nlmsg_type != req->nl->family)
		return NL_SKIP;
	if (req->err || req->stop || !req->parse)
		return NL_SKIP;
	if (!genlmsg_valid_hdr(nlh, 0) ||
	    genlmsg_parse(nlh, 0, tb, RGM_A_MAX, (struct nla_policy *)rgm_top_policy) < 0) {
		req->err = rgm_nl_set_err(req->nl, -EPROTO,
					  "malformed message from the kernel");
		return NL_SKIP;
	}
	gnlh = genlmsg_hdr(nlh);
	ret = req->parse(tb, gnlh->cmd, req->arg);
	if (ret)
		req->stop = ret;
	return NL_OK;
}

/* A private copy of the socket's callbacks (which hold its sequence
 * number check); nl_socket_get_cb() takes a reference. */
static struct nl_cb *rgm_nl_cb_clone(struct rgm_nl *nl)
{
	struct nl_cb *s = nl_socket_get_cb(nl->sk);
	struct nl_cb *cb = nl_cb_clone(s);

	nl_cb_put(s);
	return cb;
}

static struct nl_cb *rgm_nl_cb_alloc(struct rgm_req *req)
{
	struct nl_cb *cb = rgm_nl_cb_clone(req->nl);

	if (!cb)
		return NULL;
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, rgm_nl_valid_cb, req);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, rgm_nl_ack_cb, req);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, rgm_nl_finish_cb, req);
	nl_cb_set(cb, NL_CB_DUMP_INTR, NL_CB_CUSTOM, rgm_nl_intr_cb, req);
	nl_cb_err(cb, NL_CB_CUSTOM, rgm_nl_err_cb, req);
	return cb;
}

/* Sends msg (consumed) and reads until the ACK, the error or NLMSG_DONE. */
static int rgm_nl_request(struct rgm_nl *nl, struct nl_msg *msg, struct rgm_req *req)
{
	struct nl_cb *cb;
	int ret;

	req->nl = nl;
	req->err = req->stop = req->done = req->intr = 0;
	nl->errmsg[0] = '\0';
	if (!nl->sk) {		/* a handle whose open failed */
		nlmsg_free(msg);
		return rgm_nl_set_err(nl, -ENOTCONN, "netlink handle is not open");
	}

	cb = rgm_nl_cb_alloc(req);
	if (!cb) {
		nlmsg_free(msg);
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	}
	ret = nl_send_auto(nl->sk, msg);
	nlmsg_free(msg);
	if (ret < 0) {
		ret = rgm_nl_errno(ret);
		goto out;
	}
	while (!req->done) {
		ret = nl_recvmsgs_report(nl->sk, cb);
		if (req->done)
			break;
		if (ret < 0 && ret != -NLE_AGAIN) {
			ret = rgm_nl_errno(ret);
			goto out;
		}
		if (ret <= 0) {
			/* SO_RCVTIMEO expired (EAGAIN). */
			ret = rgm_nl_set_err(nl, -ETIMEDOUT,
					     "no reply from the kernel within %d s",
					     RGM_NL_TIMEOUT_SEC);
			goto out;
		}
	}
	ret = req->err ? req->err : req->stop;
out:
	nl_cb_put(cb);
	if (ret < 0 && !nl->errmsg[0])
		rgm_nl_set_err(nl, ret, NULL);
	return ret;
}

static struct nl_msg *rgm_nl_msg(struct rgm_nl *nl, uint8_t cmd, int flags, size_t size)
{
	struct nl_msg *msg;

	if (size < (size_t)getpagesize())
		size = getpagesize();
	msg = nlmsg_alloc_size(size);
	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0, flags, cmd,
			 RGM_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/* ---- open / close ---- */

static int rgm_nl_setup(struct rgm_nl *nl)
{
	struct timeval tv = { .tv_sec = RGM_NL_TIMEOUT_SEC };
	int one = 1;
	int fd, ret;

	nl->sk = nl_socket_alloc();
	if (!nl->sk)
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	ret = genl_connect(nl->sk);
	if (ret < 0)
		return rgm_nl_set_err(nl, rgm_nl_errno(ret),
				      "cannot open a generic netlink socket: %s",
				      nl_geterror(ret));
	fd = nl_socket_get_fd(nl->sk);
	/* Error messages from the kernel's strict policy are the point of
	 * extack; the echoed request is not needed (CAP_ACK). */
	if (setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one)) < 0)
		return rgm_nl_set_err(nl, -errno, "NETLINK_EXT_ACK: %s", strerror(errno));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) < 0)
		return rgm_nl_set_err(nl, -errno, "SO_RCVTIMEO: %s", strerror(errno));
	nl_socket_set_buffer_size(nl->sk, RGM_NL_RCVBUF, 0);
	/* Peek so that a message larger than a page is never truncated. */
	nl_socket_enable_msg_peek(nl->sk);

	nl->family = genl_ctrl_resolve(nl->sk, RGM_GENL_NAME);
	if (nl->family < 0) {
		ret = nl->family;
		if (ret == -NLE_OBJ_NOTFOUND)
			return rgm_nl_set_err(nl, -ENOENT,
					      "generic netlink family \"%s\" not found: is the rgm module loaded?",
					      RGM_GENL_NAME);
		return rgm_nl_set_err(nl, rgm_nl_errno(ret),
				      "cannot resolve the \"%s\" family: %s",
				      RGM_GENL_NAME, nl_geterror(ret));
	}
	return 0;
}

static int rgm_nl_alloc(struct rgm_nl **out)
{
	struct rgm_nl *nl = calloc(1, sizeof(*nl));

	*out = nl;
	return nl ? 0 : -ENOMEM;
}

/* On failure the socket is gone but *out (unless NULL: no memory) is kept
 * so that rgm_nl_errmsg() can say why; rgm_nl_close() frees it. */
static int rgm_nl_setup_failed(struct rgm_nl *nl, int ret)
{
	if (nl->sk)
		nl_socket_free(nl->sk);
	nl->sk = NULL;
	return ret;
}

int rgm_nl_open(struct rgm_nl **out)
{
	int ret;

	ret = rgm_nl_alloc(out);
	if (ret)
		return ret;
	ret = rgm_nl_setup(*out);
	if (ret)
		return rgm_nl_setup_failed(*out, ret);
	return 0;
}

void rgm_nl_close(struct rgm_nl *nl)
{
	if (!nl)
		return;
	if (nl->sk)
		nl_socket_free(nl->sk);
	free(nl);
}

/* ---- mappings: encoding ---- */

static int rgm_nl_put_mapping(struct nl_msg *msg, const struct rgm_map *m)
{
	struct nlattr *nest = nla_nest_start(msg, RGM_A_MAPPING);

	if (!nest)
		return -EMSGSIZE;
	if (m->family == AF_INET6) {
		/* A version 1 request stays byte for byte as it was. */
		if (nla_put_u8(msg, RGM_MAP_A_FAMILY, AF_INET6) ||
		    (!IN6_IS_ADDR_UNSPECIFIED(&m->server_addr6) &&
		     nla_put(msg, RGM_MAP_A_SERVER_ADDR6, 16, &m->server_addr6)) ||
		    (!IN6_IS_ADDR_UNSPECIFIED(&m->global_addr6) &&
		     nla_put(msg, RGM_MAP_A_GLOBAL_ADDR6, 16, &m->global_addr6)) ||
		    (m->global_port && nla_put_u16(msg, RGM_MAP_A_GLOBAL_PORT, m->global_port)) ||
		    nla_put(msg, RGM_MAP_A_LOCAL_ADDR6, 16, &m->local_addr6))
			return -EMSGSIZE;
	} else if ((m->server_addr.s_addr != INADDR_ANY &&
		    nla_put(msg, RGM_MAP_A_SERVER_ADDR, 4, &m->server_addr.s_addr)) ||
		   nla_put(msg, RGM_MAP_A_GLOBAL_ADDR, 4, &m->global_addr.s_addr) ||
		   nla_put_u16(msg, RGM_MAP_A_GLOBAL_PORT, m->global_port) ||
		   nla_put(msg, RGM_MAP_A_LOCAL_ADDR, 4, &m->local_addr.s_addr)) {
		return -EMSGSIZE;
	}
	if (nla_put_u8(msg, RGM_MAP_A_PROTO, m->proto) ||
	    (m->stream && nla_put_u8(msg, RGM_MAP_A_STREAM, m->stream)) ||
	    (m->server_port && nla_put_u16(msg, RGM_MAP_A_SERVER_PORT, m->server_port)) ||
	    nla_put_u16(msg, RGM_MAP_A_LOCAL_PORT, m->local_port) ||
	    nla_put_u32(msg, RGM_MAP_A_LEASE, m->lease) ||
	    (m->owner && nla_put_u64(msg, RGM_MAP_A_OWNER, m->owner)))
		return -EMSGSIZE;
	nla_nest_end(msg, nest);
	return 0;
}

static int rgm_nl_put_sel(struct nl_msg *msg, const struct rgm_sel *sel)
{
	struct nlattr *nest;

	switch (sel->kind) {
	case RGM_SEL_ID:
		return nla_put_u32(msg, RGM_A_MAP_ID, sel->id) ? -EMSGSIZE : 0;
	case RGM_SEL_KEY:
		nest = nla_nest_start(msg, RGM_A_KEY);
		if (!nest ||
		    nla_put_u8(msg, RGM_MAP_A_PROTO, sel->proto) ||
		    (sel->family == AF_INET6 ?
		     nla_put_u8(msg, RGM_MAP_A_FAMILY, AF_INET6) ||
		     nla_put(msg, RGM_MAP_A_GLOBAL_ADDR6, 16, &sel->global_addr6) :
		     nla_put(msg, RGM_MAP_A_GLOBAL_ADDR, 4, &sel->global_addr.s_addr)) ||
		    nla_put_u16(msg, RGM_MAP_A_GLOBAL_PORT, sel->global_port))
			return -EMSGSIZE;
		nla_nest_end(msg, nest);
		return 0;
	case RGM_SEL_OWNER:
		return nla_put_u64(msg, RGM_A_OWNER, sel->owner) ? -EMSGSIZE : 0;
	case RGM_SEL_ALL:
		return nla_put_flag(msg, RGM_A_ALL) ? -EMSGSIZE : 0;
	}
	return -EINVAL;
}

/* ---- mappings: decoding ---- */

static const struct nla_policy rgm_map_policy[RGM_MAP_A_MAX + 1] = {
	[RGM_MAP_A_ID]		= { .type = NLA_U32 },
	[RGM_MAP_A_PROTO]	= { .type = NLA_U8 },
	[RGM_MAP_A_STREAM]	= { .type = NLA_U8 },
	[RGM_MAP_A_SERVER_ADDR]	= { .type = NLA_U32 },
	[RGM_MAP_A_SERVER_PORT]	= { .type = NLA_U16 },
	[RGM_MAP_A_GLOBAL_ADDR]	= { .type = NLA_U32 },
	[RGM_MAP_A_GLOBAL_PORT]	= { .type = NLA_U16 },
	[RGM_MAP_A_LOCAL_ADDR]	= { .type = NLA_U32 },
	[RGM_MAP_A_LOCAL_PORT]	= { .type = NLA_U16 },
	[RGM_MAP_A_LEASE]	= { .type = NLA_U32 },
	[RGM_MAP_A_OWNER]	= { .type = NLA_U64 },
	[RGM_MAP_A_EXPIRES]	= { .type = NLA_U32 },
	[RGM_MAP_A_PACKETS_IN]	= { .type = NLA_U64 },
	[RGM_MAP_A_BYTES_IN]	= { .type = NLA_U64 },
	[RGM_MAP_A_PACKETS_OUT]	= { .type = NLA_U64 },
	[RGM_MAP_A_BYTES_OUT]	= { .type = NLA_U64 },
	[RGM_MAP_A_DROPS]	= { .type = NLA_U64 },
	[RGM_MAP_A_FAMILY]	= { .type = NLA_U8 },
	[RGM_MAP_A_SERVER_ADDR6] = { .type = NLA_UNSPEC, .minlen = 16, .maxlen = 16 },
	[RGM_MAP_A_GLOBAL_ADDR6] = { .type = NLA_UNSPEC, .minlen = 16, .maxlen = 16 },
	[RGM_MAP_A_LOCAL_ADDR6]	= { .type = NLA_UNSPEC, .minlen = 16, .maxlen = 16 },
};

static uint64_t rgm_get_u64(const struct nlattr *a)
{
	return a ? nla_get_u64((struct nlattr *)a) : 0;
}

static struct in_addr rgm_get_addr(const struct nlattr *a)
{
	struct in_addr addr = { .s_addr = INADDR_ANY };

	if (a)
		memcpy(&addr.s_addr, nla_data(a), sizeof(addr.s_addr));
	return addr;
}

static struct in6_addr rgm_get_addr6(const struct nlattr *a)
{
	struct in6_addr addr = IN6ADDR_ANY_INIT;

	/* The policy holds the length to exactly 16. */
	if (a)
		memcpy(&addr, nla_data(a), sizeof(addr));
	return addr;
}

static int rgm_nl_parse_mapping(struct rgm_nl *nl, struct nlattr *attr, struct rgm_map *m)
{
	struct nlattr *tb[RGM_MAP_A_MAX + 1];
	uint8_t family;

	if (nla_parse_nested(tb, RGM_MAP_A_MAX, attr, (struct nla_policy *)rgm_map_policy) < 0)
		return rgm_nl_set_err(nl, -EPROTO, "malformed mapping from the kernel");
	/* A version 1 kernel sends no family: IPv4. */
	family = tb[RGM_MAP_A_FAMILY] ? nla_get_u8(tb[RGM_MAP_A_FAMILY]) : AF_INET;
	if (family != AF_INET && family != AF_INET6)
		return rgm_nl_set_err(nl, -EPROTO, "mapping of unknown family %u from the kernel",
				      family);
	if (!tb[RGM_MAP_A_PROTO] || !tb[RGM_MAP_A_GLOBAL_PORT] ||
	    !tb[family == AF_INET6 ? RGM_MAP_A_GLOBAL_ADDR6 : RGM_MAP_A_GLOBAL_ADDR])
		return rgm_nl_set_err(nl, -EPROTO, "mapping from the kernel lacks its key");

	memset(m, 0, sizeof(*m));
	m->family = family;
	m->server_addr6 = rgm_get_addr6(tb[RGM_MAP_A_SERVER_ADDR6]);
	m->global_addr6 = rgm_get_addr6(tb[RGM_MAP_A_GLOBAL_ADDR6]);
	m->local_addr6 = rgm_get_addr6(tb[RGM_MAP_A_LOCAL_ADDR6]);
	m->id = tb[RGM_MAP_A_ID] ? nla_get_u32(tb[RGM_MAP_A_ID]) : 0;
	m->proto = nla_get_u8(tb[RGM_MAP_A_PROTO]);
	m->stream = tb[RGM_MAP_A_STREAM] ? nla_get_u8(tb[RGM_MAP_A_STREAM]) : 0;
	m->server_addr = rgm_get_addr(tb[RGM_MAP_A_SERVER_ADDR]);
	m->server_port = tb[RGM_MAP_A_SERVER_PORT] ? nla_get_u16(tb[RGM_MAP_A_SERVER_PORT]) : 0;
	m->global_addr = rgm_get_addr(tb[RGM_MAP_A_GLOBAL_ADDR]);
	m->global_port = nla_get_u16(tb[RGM_MAP_A_GLOBAL_PORT]);
	m->local_addr = rgm_get_addr(tb[RGM_MAP_A_LOCAL_ADDR]);
	m->local_port = tb[RGM_MAP_A_LOCAL_PORT] ? nla_get_u16(tb[RGM_MAP_A_LOCAL_PORT]) : 0;
	m->lease = tb[RGM_MAP_A_LEASE] ? nla_get_u32(tb[RGM_MAP_A_LEASE]) : 0;
	m->owner = rgm_get_u64(tb[RGM_MAP_A_OWNER]);
	m->expires = tb[RGM_MAP_A_EXPIRES] ? nla_get_u32(tb[RGM_MAP_A_EXPIRES]) : 0;
	m->packets_in = rgm_get_u64(tb[RGM_MAP_A_PACKETS_IN]);
	m->bytes_in = rgm_get_u64(tb[RGM_MAP_A_BYTES_IN]);
	m->packets_out = rgm_get_u64(tb[RGM_MAP_A_PACKETS_OUT]);
	m->bytes_out = rgm_get_u64(tb[RGM_MAP_A_BYTES_OUT]);
	m->drops = rgm_get_u64(tb[RGM_MAP_A_DROPS]);
	return 0;
}

/* ---- MAP_ADD ---- */

struct rgm_add_ctx {
	struct rgm_nl *nl;
	struct rgm_map *maps;
	unsigned int n, got;
};

static int rgm_add_parse(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct rgm_add_ctx *ctx = arg;
	struct rgm_map m;
	struct nlattr *a;
	int rem, ret;

	if (!tb[RGM_A_MAPPINGS])
		return rgm_nl_set_err(ctx->nl, -EPROTO, "MAP_ADD reply without mappings");
	nla_for_each_nested(a, tb[RGM_A_MAPPINGS], rem) {
		if (nla_type(a) != RGM_A_MAPPING)
			continue;
		if (ctx->got >= ctx->n)
			return rgm_nl_set_err(ctx->nl, -EPROTO,
					      "MAP_ADD reply has more mappings than requested");
		ret = rgm_nl_parse_mapping(ctx->nl, a, &m);
		if (ret)
			return ret;
		ctx->maps[ctx->got++] = m;
	}
	return 0;
}

int rgm_nl_map_add(struct rgm_nl *nl, struct rgm_map *maps, unsigned int n)
{
	struct rgm_add_ctx ctx = { .nl = nl, .maps = maps, .n = n };
	struct rgm_req req = { .parse = rgm_add_parse, .arg = &ctx };
	struct rgm_map *tmp;
	struct nlattr *nest;
	struct nl_msg *msg;
	unsigned int i;
	int ret;

	if (!n)
		return rgm_nl_set_err(nl, -EINVAL, "no mapping to add");
	/* The kernel bounds a batch; this only bounds our allocation. */
	if (n > 16 * RGM_BATCH_MAX)
		return rgm_nl_set_err(nl, -E2BIG, "%u mappings in one batch, at most %u",
				      n, RGM_BATCH_MAX);
	/* Parse into a copy: maps is only updated if all of it succeeded. */
	tmp = calloc(n, sizeof(*tmp));
	if (!tmp)
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	ctx.maps = tmp;

	msg = rgm_nl_msg(nl, RGM_CMD_MAP_ADD, 0, 512 + (size_t)n * 160);
	if (!msg) {
		ret = rgm_nl_set_err(nl, -ENOMEM, NULL);
		goto out;
	}
	nest = nla_nest_start(msg, RGM_A_MAPPINGS);
	if (!nest) {
		nlmsg_free(msg);
		ret = rgm_nl_set_err(nl, -EMSGSIZE, NULL);
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (rgm_nl_put_mapping(msg, &maps[i])) {
			nlmsg_free(msg);
			ret = rgm_nl_set_err(nl, -EMSGSIZE, NULL);
			goto out;
		}
	}
	nla_nest_end(msg, nest);

	ret = rgm_nl_request(nl, msg, &req);
	if (ret)
		goto out;
	if (ctx.got != n) {
		ret = rgm_nl_set_err(nl, -EPROTO, "MAP_ADD reply has %u mappings, expected %u",
				     ctx.got, n);
		goto out;
	}
	memcpy(maps, tmp, n * sizeof(*tmp));
out:
	free(tmp);
	return ret;
}

/* ---- MAP_DEL, MAP_RENEW ---- */

static int rgm_count_parse(struct nlattr **tb, uint8_t cmd, void *arg)
{
	uint32_t *count = arg;

	if (tb[RGM_A_COUNT])
		*count = nla_get_u32(tb[RGM_A_COUNT]);
	return 0;
}

static int rgm_nl_sel_cmd(struct rgm_nl *nl, uint8_t cmd, const struct rgm_sel *sel,
			  const uint32_t *lease, uint32_t *count)
{
	uint32_t n = 0;
	struct rgm_req req = { .parse = rgm_count_parse, .arg = &n };
	struct nl_msg *msg;
	int ret;

	msg = rgm_nl_msg(nl, cmd, 0, 0);
	if (!msg)
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	ret = rgm_nl_put_sel(msg, sel);
	if (!ret && lease && nla_put_u32(msg, RGM_A_LEASE, *lease))
		ret = -EMSGSIZE;
	if (ret) {
		nlmsg_free(msg);
		return rgm_nl_set_err(nl, ret, "bad selector");
	}
	ret = rgm_nl_request(nl, msg, &req);
	if (!ret && count)
		*count = n;
	return ret;
}

int rgm_nl_map_del(struct rgm_nl *nl, const struct rgm_sel *sel, uint32_t *count)
{
	return rgm_nl_sel_cmd(nl, RGM_CMD_MAP_DEL, sel, NULL, count);
}

int rgm_nl_map_renew(struct rgm_nl *nl, const struct rgm_sel *sel, uint32_t lease,
		     uint32_t *count)
{
	return rgm_nl_sel_cmd(nl, RGM_CMD_MAP_RENEW, sel, &lease, count);
}

/* ---- MAP_GET ---- */

struct rgm_get_ctx {
	struct rgm_nl *nl;
	struct rgm_map *out;
	int got;
};

static int rgm_get_parse(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct rgm_get_ctx *ctx = arg;
	int ret;

	if (!tb[RGM_A_MAPPING])
		return rgm_nl_set_err(ctx->nl, -EPROTO, "MAP_GET reply without a mapping");
	ret = rgm_nl_parse_mapping(ctx->nl, tb[RGM_A_MAPPING], ctx->out);
	if (!ret)
		ctx->got = 1;
	return ret;
}

int rgm_nl_map_get(struct rgm_nl *nl, const struct rgm_sel *sel, struct rgm_map *out)
{
	struct rgm_map m;
	struct rgm_get_ctx ctx = { .nl = nl, .out = &m };
	struct rgm_req req = { .parse = rgm_get_parse, .arg = &ctx };
	struct nl_msg *msg;
	int ret;

	if (sel->kind != RGM_SEL_ID && sel->kind != RGM_SEL_KEY)
		return rgm_nl_set_err(nl, -EINVAL, "get needs an id or a key");
	msg = rgm_nl_msg(nl, RGM_CMD_MAP_GET, 0, 0);
	if (!msg)
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	ret = rgm_nl_put_sel(msg, sel);
	if (ret) {
		nlmsg_free(msg);
		return rgm_nl_set_err(nl, ret, NULL);
	}
	ret = rgm_nl_request(nl, msg, &req);
	if (ret)
		return ret;
	if (!ctx.got)
		return rgm_nl_set_err(nl, -EPROTO, "no reply to MAP_GET");
	*out = m;
	return 0;
}

/* ---- MAP_GET dump ---- */

struct rgm_dump_ctx {
	struct rgm_nl *nl;
	rgm_map_cb cb;
	void *arg;
};

static int rgm_dump_parse(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct rgm_dump_ctx *ctx = arg;
	struct rgm_map m;
	int ret;

	if (!tb[RGM_A_MAPPING])
		return rgm_nl_set_err(ctx->nl, -EPROTO, "dumped message without a mapping");
	ret = rgm_nl_parse_mapping(ctx->nl, tb[RGM_A_MAPPING], &m);
	if (ret)
		return ret;
	return ctx->cb(&m, ctx->arg);
}

int rgm_nl_map_dump(struct rgm_nl *nl, const uint64_t *owner, rgm_map_cb cb,
		    void (*restart)(void *arg), void *arg)
{
	struct rgm_dump_ctx ctx = { .nl = nl, .cb = cb, .arg = arg };
	struct rgm_req req = { .parse = rgm_dump_parse, .arg = &ctx };
	struct nl_msg *msg;
	int tries, ret;

	for (tries = 0; tries < RGM_NL_DUMP_RETRIES; tries++) {
		if (tries && restart)
			restart(arg);
		msg = rgm_nl_msg(nl, RGM_CMD_MAP_GET, NLM_F_DUMP, 0);
		if (!msg)
			return rgm_nl_set_err(nl, -ENOMEM, NULL);
		if (owner && nla_put_u64(msg, RGM_A_OWNER, *owner)) {
			nlmsg_free(msg);
			return rgm_nl_set_err(nl, -EMSGSIZE, NULL);
		}
		ret = rgm_nl_request(nl, msg, &req);
		/* An error or the caller's stop wins over a restart. */
		if (ret || !req.intr)
			return ret;
	}
	return rgm_nl_set_err(nl, -EAGAIN,
			      "mapping dump interrupted by changes %d times in a row",
			      RGM_NL_DUMP_RETRIES);
}

/* ---- PORTS_FREE ---- */

struct rgm_ports_ctx {
	struct rgm_nl *nl;
	uint16_t *ports;
	uint32_t count;
	uint32_t flags;
	uint32_t got;
};

static int rgm_ports_parse(struct nlattr **tb, uint8_t cmd, void *arg)
{
	struct rgm_ports_ctx *ctx = arg;
	uint16_t prev = 0, port;
	uint32_t total = 0;
	struct nlattr *a;
	int rem;

	if (!tb[RGM_A_PORTS])
		return rgm_nl_set_err(ctx->nl, -EPROTO, "PORTS_FREE reply without ports");
	nla_for_each_nested(a, tb[RGM_A_PORTS], rem) {
		if (nla_type(a) != RGM_A_PORT)
			continue;
		if (nla_len(a) < (int)sizeof(uint16_t))
			return rgm_nl_set_err(ctx->nl, -EPROTO, "short port attribute");
		port = nla_get_u16(a);
		total++;
		/* With pairs the kernel may list only the even ports or
		 * the even and odd ones: keep the even ones. */
		if ((ctx->flags & RGM_PORTS_F_PAIRS) && (port & 1)) {
			if (port != prev + 1)
				return rgm_nl_set_err(ctx->nl, -EPROTO,
						      "odd port %u without its pair", port);
			continue;
		}
		if (ctx->got >= ctx->count)
			return rgm_nl_set_err(ctx->nl, -EPROTO,
					      "PORTS_FREE reply has more ports than asked");
		ctx->ports[ctx->got++] = port;
		prev = port;
	}
	if (!total)
		return rgm_nl_set_err(ctx->nl, -EPROTO, "PORTS_FREE reply is empty");
	return 0;
}

int rgm_nl_ports_free(struct rgm_nl *nl, uint8_t proto, const struct in_addr *global_addr,
		      uint32_t count, uint32_t flags, uint16_t *ports)
{
	struct rgm_ports_ctx ctx = { .nl = nl, .count = count, .flags = flags };
	struct rgm_req req = { .parse = rgm_ports_parse, .arg = &ctx };
	struct nl_msg *msg;
	uint16_t *tmp;
	int ret;

	/* Bound our buffer; the kernel checks the real limit itself. */
	if (count > 0x10000)
		return rgm_nl_set_err(nl, -EINVAL, "count %u is too large", count);
	tmp = calloc(count ? count : 1, sizeof(*tmp));
	if (!tmp)
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	ctx.ports = tmp;

	msg = rgm_nl_msg(nl, RGM_CMD_PORTS_FREE, 0, 0);
	if (!msg) {
		free(tmp);
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	}
	if (nla_put_u8(msg, RGM_A_PROTO, proto) ||
	    nla_put_u32(msg, RGM_A_COUNT, count) ||
	    (flags && nla_put_u32(msg, RGM_A_FLAGS, flags)) ||
	    (global_addr && nla_put(msg, RGM_A_GLOBAL_ADDR, 4, &global_addr->s_addr))) {
		nlmsg_free(msg);
		free(tmp);
		return rgm_nl_set_err(nl, -EMSGSIZE, NULL);
	}
	ret = rgm_nl_request(nl, msg, &req);
	if (!ret && ctx.got != count)
		ret = rgm_nl_set_err(nl, -EPROTO, "PORTS_FREE reply has %u ports, asked %u",
				     ctx.got, count);
	if (!ret)
		memcpy(ports, tmp, count * sizeof(*tmp));
	free(tmp);
	return ret;
}

/* ---- CONFIG ---- */

static const struct nla_policy rgm_cfg_policy[RGM_CFG_A_MAX + 1] = {
	[RGM_CFG_A_GLOBAL_ADDRS] = { .type = NLA_NESTED },
	[RGM_CFG_A_ADDR]	= { .type = NLA_U32 },
	[RGM_CFG_A_PORT_MIN]	= { .type = NLA_U16 },
	[RGM_CFG_A_PORT_MAX]	= { .type = NLA_U16 },
	[RGM_CFG_A_MAX_MAPPINGS] = { .type = NLA_U32 },
	[RGM_CFG_A_LEASE_MAX]	= { .type = NLA_U32 },
	[RGM_CFG_A_LAN6_PREFIXES] = { .type = NLA_NESTED },
};

static const struct nla_policy rgm_prefix6_policy[RGM_CFG_A_MAX + 1] = {
	[RGM_CFG_A_ADDR6]	= { .type = NLA_UNSPEC, .minlen = 16, .maxlen = 16 },
	[RGM_CFG_A_PREFIX_LEN]	= { .type = NLA_U8 },
};

struct rgm_cfg_ctx {
	struct rgm_nl *nl;
	struct rgm_config *cfg;
	int got;
};

static int rgm_cfg_parse(struct nlattr **top, uint8_t cmd, void *arg)
{
	struct rgm_cfg_ctx *ctx = arg;
	struct rgm_config *cfg = ctx->cfg;
	struct nlattr *tb[RGM_CFG_A_MAX + 1];
	struct nlattr *a;
	int rem;

	if (!top[RGM_A_CONFIG])
		return rgm_nl_set_err(ctx->nl, -EPROTO, "CONFIG_GET reply without config");
	if (nla_parse_nested(tb, RGM_CFG_A_MAX, top[RGM_A_CONFIG],
			     (struct nla_policy *)rgm_cfg_policy) < 0)
		return rgm_nl_set_err(ctx->nl, -EPROTO, "malformed config from the kernel");
	memset(cfg, 0, sizeof(*cfg));
	if (tb[RGM_CFG_A_GLOBAL_ADDRS]) {
		nla_for_each_nested(a, tb[RGM_CFG_A_GLOBAL_ADDRS], rem) {
			if (nla_type(a) != RGM_CFG_A_ADDR)
				continue;
			if (nla_len(a) != 4)
				return rgm_nl_set_err(ctx->nl, -EPROTO, "bad address length");
			if (cfg->n_addrs >= RGM_GLOBAL_ADDRS_MAX)
				return rgm_nl_set_err(ctx->nl, -EPROTO,
						      "more than %d global addresses",
						      RGM_GLOBAL_ADDRS_MAX);
			cfg->addrs[cfg->n_addrs++] = rgm_get_addr(a);
		}
		cfg->set |= RGM_CFG_SET_ADDRS;
	}
	if (tb[RGM_CFG_A_LAN6_PREFIXES]) {
		nla_for_each_nested(a, tb[RGM_CFG_A_LAN6_PREFIXES], rem) {
			struct nlattr *pt[RGM_CFG_A_MAX + 1];

			if (nla_type(a) != RGM_CFG_A_PREFIX6)
				continue;
			if (nla_parse_nested(pt, RGM_CFG_A_MAX, a,
					     (struct nla_policy *)rgm_prefix6_policy) < 0 ||
			    !pt[RGM_CFG_A_ADDR6] || !pt[RGM_CFG_A_PREFIX_LEN])
				return rgm_nl_set_err(ctx->nl, -EPROTO, "malformed LAN prefix");
			if (cfg->n_prefixes6 >= RGM_LAN6_PREFIXES_MAX)
				return rgm_nl_set_err(ctx->nl, -EPROTO,
						      "more than %d LAN prefixes",
						      RGM_LAN6_PREFIXES_MAX);
			cfg->prefixes6[cfg->n_prefixes6].addr = rgm_get_addr6(pt[RGM_CFG_A_ADDR6]);
			cfg->prefixes6[cfg->n_prefixes6++].len =
				nla_get_u8(pt[RGM_CFG_A_PREFIX_LEN]);
		}
		cfg->set |= RGM_CFG_SET_PREFIXES6;
	}
	if (tb[RGM_CFG_A_PORT_MIN]) {
		cfg->port_min = nla_get_u16(tb[RGM_CFG_A_PORT_MIN]);
		cfg->set |= RGM_CFG_SET_PORT_MIN;
	}
	if (tb[RGM_CFG_A_PORT_MAX]) {
		cfg->port_max = nla_get_u16(tb[RGM_CFG_A_PORT_MAX]);
		cfg->set |= RGM_CFG_SET_PORT_MAX;
	}
	if (tb[RGM_CFG_A_MAX_MAPPINGS]) {
		cfg->max_mappings = nla_get_u32(tb[RGM_CFG_A_MAX_MAPPINGS]);
		cfg->set |= RGM_CFG_SET_MAX_MAPPINGS;
	}
	if (tb[RGM_CFG_A_LEASE_MAX]) {
		cfg->lease_max = nla_get_u32(tb[RGM_CFG_A_LEASE_MAX]);
		cfg->set |= RGM_CFG_SET_LEASE_MAX;
	}
	ctx->got = 1;
	return 0;
}

int rgm_nl_config_get(struct rgm_nl *nl, struct rgm_config *cfg)
{
	struct rgm_config c;
	struct rgm_cfg_ctx ctx = { .nl = nl, .cfg = &c };
	struct rgm_req req = { .parse = rgm_cfg_parse, .arg = &ctx };
	struct nl_msg *msg;
	int ret;

	msg = rgm_nl_msg(nl, RGM_CMD_CONFIG_GET, 0, 0);
	if (!msg)
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	ret = rgm_nl_request(nl, msg, &req);
	if (ret)
		return ret;
	if (!ctx.got)
		return rgm_nl_set_err(nl, -EPROTO, "no reply to CONFIG_GET");
	*cfg = c;
	return 0;
}

int rgm_nl_config_set(struct rgm_nl *nl, const struct rgm_config *cfg)
{
	struct rgm_req req = { 0 };
	struct nlattr *nest, *addrs;
	struct nl_msg *msg;
	unsigned int i;

	if (cfg->n_addrs > RGM_GLOBAL_ADDRS_MAX)
		return rgm_nl_set_err(nl, -EINVAL, "at most %d global addresses",
				      RGM_GLOBAL_ADDRS_MAX);
	if (cfg->n_prefixes6 > RGM_LAN6_PREFIXES_MAX)
		return rgm_nl_set_err(nl, -EINVAL, "at most %d LAN prefixes",
				      RGM_LAN6_PREFIXES_MAX);
	msg = rgm_nl_msg(nl, RGM_CMD_CONFIG_SET, 0, 0);
	if (!msg)
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	nest = nla_nest_start(msg, RGM_A_CONFIG);
	if (!nest)
		goto nospace;
	/*
	 * libnl's nla_nest_end() trims an empty nest away, but an empty list
	 * is how "none" is said: put the bare header instead.
	 */
	if ((cfg->set & RGM_CFG_SET_ADDRS) && !cfg->n_addrs &&
	    nla_put(msg, RGM_CFG_A_GLOBAL_ADDRS | NLA_F_NESTED, 0, NULL))
		goto nospace;
	if ((cfg->set & RGM_CFG_SET_PREFIXES6) && !cfg->n_prefixes6 &&
	    nla_put(msg, RGM_CFG_A_LAN6_PREFIXES | NLA_F_NESTED, 0, NULL))
		goto nospace;
	if ((cfg->set & RGM_CFG_SET_ADDRS) && cfg->n_addrs) {
		addrs = nla_nest_start(msg, RGM_CFG_A_GLOBAL_ADDRS);
		if (!addrs)
			goto nospace;
		for (i = 0; i < cfg->n_addrs; i++)
			if (nla_put(msg, RGM_CFG_A_ADDR, 4, &cfg->addrs[i].s_addr))
				goto nospace;
		nla_nest_end(msg, addrs);
	}
	if ((cfg->set & RGM_CFG_SET_PREFIXES6) && cfg->n_prefixes6) {
		addrs = nla_nest_start(msg, RGM_CFG_A_LAN6_PREFIXES);
		if (!addrs)
			goto nospace;
		for (i = 0; i < cfg->n_prefixes6; i++) {
			struct nlattr *pfx = nla_nest_start(msg, RGM_CFG_A_PREFIX6);

			if (!pfx ||
			    nla_put(msg, RGM_CFG_A_ADDR6, 16, &cfg->prefixes6[i].addr) ||
			    nla_put_u8(msg, RGM_CFG_A_PREFIX_LEN, cfg->prefixes6[i].len))
				goto nospace;
			nla_nest_end(msg, pfx);
		}
		nla_nest_end(msg, addrs);
	}
	if (((cfg->set & RGM_CFG_SET_PORT_MIN) &&
	     nla_put_u16(msg, RGM_CFG_A_PORT_MIN, cfg->port_min)) ||
	    ((cfg->set & RGM_CFG_SET_PORT_MAX) &&
	     nla_put_u16(msg, RGM_CFG_A_PORT_MAX, cfg->port_max)) ||
	    ((cfg->set & RGM_CFG_SET_MAX_MAPPINGS) &&
	     nla_put_u32(msg, RGM_CFG_A_MAX_MAPPINGS, cfg->max_mappings)) ||
	    ((cfg->set & RGM_CFG_SET_LEASE_MAX) &&
	     nla_put_u32(msg, RGM_CFG_A_LEASE_MAX, cfg->lease_max)))
		goto nospace;
	nla_nest_end(msg, nest);
	return rgm_nl_request(nl, msg, &req);

nospace:
	nlmsg_free(msg);
	return rgm_nl_set_err(nl, -EMSGSIZE, NULL);
}

/* ---- STATS ---- */

struct rgm_stats_ctx {
	struct rgm_nl *nl;
	struct rgm_stats *st;
	int got;
};

static int rgm_stats_parse(struct nlattr **top, uint8_t cmd, void *arg)
{
	struct rgm_stats_ctx *ctx = arg;
	struct nlattr *a;
	int rem, type;

	if (!top[RGM_A_STATS])
		return rgm_nl_set_err(ctx->nl, -EPROTO, "STATS_GET reply without stats");
	memset(ctx->st, 0, sizeof(*ctx->st));
	nla_for_each_nested(a, top[RGM_A_STATS], rem) {
		type = nla_type(a);
		if (type <= RGM_STATS_A_UNSPEC || type > RGM_STATS_A_MAX ||
		    type == RGM_STATS_A_PAD)
			continue;
		if (nla_len(a) != sizeof(uint64_t))
			return rgm_nl_set_err(ctx->nl, -EPROTO, "bad length of statistic %d",
					      type);
		ctx->st->v[type] = nla_get_u64(a);
	}
	ctx->got = 1;
	return 0;
}

int rgm_nl_stats_get(struct rgm_nl *nl, struct rgm_stats *st)
{
	struct rgm_stats s;
	struct rgm_stats_ctx ctx = { .nl = nl, .st = &s };
	struct rgm_req req = { .parse = rgm_stats_parse, .arg = &ctx };
	struct nl_msg *msg;
	int ret;

	msg = rgm_nl_msg(nl, RGM_CMD_STATS_GET, 0, 0);
	if (!msg)
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	ret = rgm_nl_request(nl, msg, &req);
	if (ret)
		return ret;
	if (!ctx.got)
		return rgm_nl_set_err(nl, -EPROTO, "no reply to STATS_GET");
	*st = s;
	return 0;
}

/* ---- events ---- */

int rgm_nl_events_open(struct rgm_nl **out)
{
	struct rgm_nl *nl;
	int ret;

	ret = rgm_nl_alloc(out);
	if (ret)
		return ret;
	nl = *out;
	ret = rgm_nl_setup(nl);
	if (ret)
		return rgm_nl_setup_failed(nl, ret);
	nl->events_grp = genl_ctrl_resolve_grp(nl->sk, RGM_GENL_NAME, RGM_MCGRP_EVENTS);
	if (nl->events_grp < 0) {
		ret = rgm_nl_set_err(nl, rgm_nl_errno(nl->events_grp),
				     "cannot resolve the \"%s\" multicast group: %s",
				     RGM_MCGRP_EVENTS, nl_geterror(nl->events_grp));
		return rgm_nl_setup_failed(nl, ret);
	}
	/* Notifications carry sequence number 0. */
	nl_socket_disable_seq_check(nl->sk);
	ret = nl_socket_add_membership(nl->sk, nl->events_grp);
	if (ret < 0) {
		ret = rgm_nl_set_err(nl, rgm_nl_errno(ret), "cannot join the \"%s\" group: %s",
				     RGM_MCGRP_EVENTS, nl_geterror(ret));
		return rgm_nl_setup_failed(nl, ret);
	}
	ret = nl_socket_set_nonblocking(nl->sk);
	if (ret < 0) {
		ret = rgm_nl_set_err(nl, rgm_nl_errno(ret), "O_NONBLOCK: %s", nl_geterror(ret));
		return rgm_nl_setup_failed(nl, ret);
	}
	return 0;
}

int rgm_nl_events_fd(const struct rgm_nl *nl)
{
	if (!nl || !nl->sk)
		return -EBADF;
	return nl_socket_get_fd(nl->sk);
}

struct rgm_event_ctx {
	struct rgm_nl *nl;
	rgm_event_cb cb;
	void *arg;
	int err;
};

static int rgm_event_valid_cb(struct nl_msg *msg, void *arg)
{
	struct nlmsghdr *nlh = nlmsg_hdr(msg);
	struct rgm_event_ctx *ctx = arg;
	struct nlattr *tb[RGM_A_MAX + 1];
	struct genlmsghdr *gnlh;
	struct rgm_map m;
	uint8_t reason = 0;

	if (nlh->nlmsg_type != ctx->nl->family || !genlmsg_valid_hdr(nlh, 0))
		return NL_SKIP;
	gnlh = genlmsg_hdr(nlh);
	if (gnlh->cmd != RGM_CMD_MAP_NEW && gnlh->cmd != RGM_CMD_MAP_GONE)
		return NL_SKIP;
	if (genlmsg_parse(nlh, 0, tb, RGM_A_MAX, (struct nla_policy *)rgm_top_policy) < 0 ||
	    !tb[RGM_A_MAPPING] || rgm_nl_parse_mapping(ctx->nl, tb[RGM_A_MAPPING], &m)) {
		/* One bad notification must not hide the others. */
		ctx->err = rgm_nl_set_err(ctx->nl, -EPROTO, "malformed event from the kernel");
		return NL_SKIP;
	}
	if (tb[RGM_A_REASON])
		reason = nla_get_u8(tb[RGM_A_REASON]);
	ctx->cb(gnlh->cmd, &m, reason, ctx->arg);
	return NL_OK;
}

int rgm_nl_events_recv(struct rgm_nl *nl, rgm_event_cb cb, void *arg)
{
	struct rgm_event_ctx ctx = { .nl = nl, .cb = cb, .arg = arg };
	struct nl_cb *ncb;
	int i, ret = 0;

	nl->errmsg[0] = '\0';
	if (!nl->sk || !nl->events_grp)
		return rgm_nl_set_err(nl, -ENOTCONN, "not an open events handle");
	ncb = rgm_nl_cb_clone(nl);
	if (!ncb)
		return rgm_nl_set_err(nl, -ENOMEM, NULL);
	nl_cb_set(ncb, NL_CB_VALID, NL_CB_CUSTOM, rgm_event_valid_cb, &ctx);

	/* Bounded: what is queued now, then back to the caller's poll. */
	for (i = 0; i < 256; i++) {
		ret = nl_recvmsgs_report(nl->sk, ncb);
		if (ret <= 0)
			break;
	}
	nl_cb_put(ncb);
	if (ret == -NLE_AGAIN)	/* drained */
		ret = 0;
	if (ret == -NLE_NOMEM)	/* nl_recv() maps ENOBUFS to NLE_NOMEM */
		return rgm_nl_set_err(nl, -ENOBUFS,
				      "events lost: the socket receive buffer overflowed");
	if (ret < 0)
		return rgm_nl_set_err(nl, rgm_nl_errno(ret), "receiving events: %s",
				      nl_geterror(ret));
	return ctx.err;
}

/* ---- names ---- */

static const char *const rgm_stream_names[] = {
	[RGM_STREAM_TCP] = "tcp",
	[RGM_STREAM_UDP] = "udp",
	[RGM_STREAM_RTP] = "rtp",
};

const char *rgm_stream_name(uint8_t stream)
{
	if (stream >= sizeof(rgm_stream_names) / sizeof(rgm_stream_names[0]))
		return NULL;
	return rgm_stream_names[stream];
}

int rgm_stream_parse(const char *s)
{
	unsigned int i;

	for (i = 0; i < sizeof(rgm_stream_names) / sizeof(rgm_stream_names[0]); i++)
		if (rgm_stream_names[i] && s && !strcmp(s, rgm_stream_names[i]))
			return i;
	return -1;
}

const char *rgm_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:	return "tcp";
	case IPPROTO_UDP:	return "udp";
	}
	return NULL;
}

int rgm_proto_parse(const char *s)
{
	if (!s)
		return -1;
	if (!strcmp(s, "tcp"))
		return IPPROTO_TCP;
	if (!strcmp(s, "udp"))
		return IPPROTO_UDP;
	return -1;
}

const char *rgm_reason_name(uint8_t reason)
{
	switch (reason) {
	case RGM_REASON_DELETED:	return "deleted";
	case RGM_REASON_FLUSHED:	return "flushed";
	case RGM_REASON_EXPIRED:	return "expired";
	}
	return NULL;
}

static const char *const rgm_stats_names[RGM_STATS_A_MAX + 1] = {
	[RGM_STATS_A_MAPPINGS]		= "mappings",
	[RGM_STATS_A_ADDED]		= "added",
	[RGM_STATS_A_DELETED]		= "deleted",
	[RGM_STATS_A_EXPIRED]		= "expired",
	[RGM_STATS_A_TRANSLATED]	= "translated",
	[RGM_STATS_A_DROP_NO_MAPPING]	= "drop_no_mapping",
	[RGM_STATS_A_DROP_WRONG_SERVER]	= "drop_wrong_server",
	[RGM_STATS_A_DROP_NOT_RTP]	= "drop_not_rtp",
	[RGM_STATS_A_DROP_UNTRACKED]	= "drop_untracked",
};

const char *rgm_stats_name(unsigned int attr)
{
	if (attr > RGM_STATS_A_MAX)
		return NULL;
	return rgm_stats_names[attr];
}
