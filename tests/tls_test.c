// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of lib/rgm_tls.c: real TLS 1.3 handshakes between the two
 * ends over a socketpair, with a PKI made by certtool at test time. Every
 * refusal must fail the handshake itself, with a reason, and leave no peer
 * identity behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "kselftest_harness.h"
#include "rgm_secret.h"
#include "rgm_tls.h"
#include "pki.h"

/* The same PKI as selftests/rgmd_tls_test.sh, made once. */
static int make_pki(void)
{
	static const char body[] =
		"ca ca 'rgm test CA'; ca other 'rgm other CA'\n"
		"leaf gw gw1.rgm.test ca 'expiration_days = 30'\n"
		"leaf srv cfg.rgm.test ca 'expiration_days = 30'\n"
		"leaf rogue cfg.rgm.test other 'expiration_days = 30'\n"
		"leaf expired cfg.rgm.test ca 'activation_date = \"2020-01-01 00:00:00\"' 'expiration_date = \"2021-01-01 00:00:00\"'\n"
		"leaf future cfg.rgm.test ca 'activation_date = \"2035-01-01 00:00:00\"' 'expiration_date = \"2036-01-01 00:00:00\"'\n"
		"leaf stranger intruder.rgm.test ca 'expiration_days = 30'\n"
		/* allow-listed name, but only good for a TLS server */
		"k srvonly; printf 'cn = \"cfg.rgm.test\"\\norganization = \"rgm-test\"\\ntls_www_server\\n"
		"signing_key\\nexpiration_days = 30\\n' >srvonly.t; certtool --generate-certificate"
		" --load-privkey srvonly.key --load-ca-certificate ca.pem --load-ca-privkey ca.key"
		" --template srvonly.t --outfile srvonly.pem 2>/dev/null\n";

	return pki_make("rgm-tls-test", body);
}

struct end {
	struct rgm_tls *tls;
	struct rgm_tls_conn *c;
	int fd, ret;
	bool done;
};

static struct rgm_tls *mk_tls(const char *who, const char *allow1, const char *allow2)
{
	struct rgm_tls_opts o = { 0 };
	char err[256];
	struct rgm_tls *t;

	o.cert = pki_path(who, "pem");
	o.key = pki_path(who, "key");
	o.ca = pki_path("ca", "pem");
	if (allow1)
		o.allow[o.n_allow++] = allow1;
	if (allow2)
		o.allow[o.n_allow++] = allow2;
	t = rgm_tls_new(&o, err, sizeof(err));
	if (!t)
		fprintf(stderr, "# rgm_tls_new(%s): %s\n", who, err);
	return t;
}

/* Drives both handshakes to an end over a non-blocking socketpair. */
static void handshake(struct end *srv, struct end *cli)
{
	int sv[2], i;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		abort();
	srv->fd = sv[0];
	cli->fd = sv[1];
	if (rgm_tls_conn_new(srv->tls, true, srv->fd, &srv->c) ||
	    rgm_tls_conn_new(cli->tls, false, cli->fd, &cli->c))
		abort();
	srv->done = cli->done = false;
	for (i = 0; i < 1000 && !(srv->done && cli->done); i++) {
		struct end *e[2] = { cli, srv };
		int k;

		for (k = 0; k < 2; k++) {
			if (e[k]->done)
				continue;
			e[k]->ret = rgm_tls_conn_handshake(e[k]->c);
			if (e[k]->ret != -EAGAIN)
				e[k]->done = true;
		}
		/* One side failing closes its socket: the other sees it. */
		if (srv->done && srv->ret && !cli->done)
			shutdown(srv->fd, SHUT_RDWR);
		if (cli->done && cli->ret && !srv->done)
			shutdown(cli->fd, SHUT_RDWR);
		poll(NULL, 0, 1);
	}
}

static void end_free(struct end *e)
{
	rgm_tls_conn_free(e->c);
	rgm_tls_put(e->tls);
	close(e->fd);
}

FIXTURE(tls) {
	struct end srv, cli;
	char srv_pin[128], gw_pin[128];
};

FIXTURE_SETUP(tls)
{
	memset(&self->srv, 0, sizeof(self->srv));
	memset(&self->cli, 0, sizeof(self->cli));
	ASSERT_EQ(0, make_pki());
	read_pin("srv", self->srv_pin, sizeof(self->srv_pin));
	read_pin("gw", self->gw_pin, sizeof(self->gw_pin));
	ASSERT_EQ(0, strncmp(self->srv_pin, "pin-sha256:", 11));
	/* The gateway side: accepts cfg.rgm.test by subject. */
	self->srv.tls = mk_tls("gw", "subject CN=cfg.rgm.test,O=rgm-test", NULL);
	ASSERT_NE(NULL, self->srv.tls);
}

FIXTURE_TEARDOWN(tls)
{
	end_free(&self->srv);
	end_free(&self->cli);
}

TEST_F(tls, good_peer_by_subject_and_data_flows)
{
	char buf[16];
	ssize_t n;
	int i;

	self->cli.tls = mk_tls("srv", self->gw_pin, NULL);
	ASSERT_NE(NULL, self->cli.tls);
	handshake(&self->srv, &self->cli);
	ASSERT_EQ(0, self->srv.ret);
	ASSERT_EQ(0, self->cli.ret);
	EXPECT_STREQ("CN=cfg.rgm.test,O=rgm-test", rgm_tls_conn_peer(self->srv.c));
	EXPECT_STREQ(self->gw_pin, rgm_tls_conn_peer(self->cli.c));
	EXPECT_NE(NULL, strstr(rgm_tls_conn_desc(self->srv.c), "TLS1.3"));
	ASSERT_EQ(5, rgm_tls_conn_send(self->cli.c, "hello", 5));
	for (i = 0, n = -EAGAIN; i < 100 && n == -EAGAIN; i++) {
		n = rgm_tls_conn_recv(self->srv.c, buf, sizeof(buf));
		poll(NULL, 0, 1);
	}
	ASSERT_EQ(5, n);
	EXPECT_EQ(0, memcmp(buf, "hello", 5));
}

TEST_F(tls, good_peer_by_pin)
{
	rgm_tls_put(self->srv.tls);
	self->srv.tls = mk_tls("gw", self->srv_pin, NULL);
	self->cli.tls = mk_tls("srv", NULL, NULL);
	handshake(&self->srv, &self->cli);
	ASSERT_EQ(0, self->srv.ret);
	EXPECT_STREQ(self->srv_pin, rgm_tls_conn_peer(self->srv.c));
}

/* refused(WHO, REASON): the gateway refuses WHO's certificate. */
#define REFUSED(who, reason) do {						\
	self->cli.tls = mk_tls(who, NULL, NULL);				\
	ASSERT_NE(NULL, self->cli.tls);						\
	handshake(&self->srv, &self->cli);					\
	EXPECT_EQ(-EACCES, self->srv.ret);					\
	EXPECT_EQ(NULL, rgm_tls_conn_peer(self->srv.c));			\
	EXPECT_NE(NULL, strstr(rgm_tls_conn_error(self->srv.c), reason))	\
		TH_LOG("reason: %s", rgm_tls_conn_error(self->srv.c));		\
} while (0)

TEST_F(tls, refuses_other_ca)
{
	REFUSED("rogue", "issuer is unknown");
}

TEST_F(tls, refuses_expired)
{
	REFUSED("expired", "expired");
}

TEST_F(tls, refuses_not_yet_valid)
{
	REFUSED("future", "not yet valid");
}

TEST_F(tls, refuses_identity_not_allowed)
{
	REFUSED("stranger", "identity not on the allow list: subject 'CN=intruder.rgm.test");
}

TEST_F(tls, refuses_certificate_for_the_wrong_role)
{
	REFUSED("srvonly", "intended purpose");
}

TEST_F(tls, client_refuses_wrong_server_pin)
{
	self->cli.tls = mk_tls("srv", self->srv_pin, NULL);	/* not the gateway's */
	handshake(&self->srv, &self->cli);
	EXPECT_EQ(-EACCES, self->cli.ret);
	EXPECT_EQ(NULL, rgm_tls_conn_peer(self->cli.c));
	EXPECT_NE(0, self->srv.ret);
	EXPECT_EQ(NULL, rgm_tls_conn_peer(self->srv.c));
}

TEST_F(tls, refuses_no_client_certificate)
{
	gnutls_certificate_credentials_t cred;
	gnutls_session_t s;
	int sv[2], i, ret = GNUTLS_E_AGAIN;

	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	self->srv.fd = sv[0];
	self->cli.fd = sv[1];
	ASSERT_EQ(0, rgm_tls_conn_new(self->srv.tls, true, sv[0], &self->srv.c));
	ASSERT_EQ(0, gnutls_certificate_allocate_credentials(&cred));
	ASSERT_LE(1, gnutls_certificate_set_x509_trust_file(cred, pki_path("ca", "pem"),
							     GNUTLS_X509_FMT_PEM));
	ASSERT_EQ(0, gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK));
	gnutls_set_default_priority(s);
	gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
	gnutls_transport_set_int(s, sv[1]);
	self->srv.ret = -EAGAIN;
	for (i = 0; i < 1000 && self->srv.ret == -EAGAIN; i++) {
		if (ret == GNUTLS_E_AGAIN || ret == GNUTLS_E_INTERRUPTED)
			ret = gnutls_handshake(s);
		self->srv.ret = rgm_tls_conn_handshake(self->srv.c);
		poll(NULL, 0, 1);
	}
	EXPECT_EQ(-EACCES, self->srv.ret);
	EXPECT_STREQ("peer sent no certificate", rgm_tls_conn_error(self->srv.c));
	EXPECT_EQ(NULL, rgm_tls_conn_peer(self->srv.c));
	gnutls_deinit(s);
	gnutls_certificate_free_credentials(cred);
}

TEST(allow_syntax)
{
	char err[256];

	EXPECT_EQ(0, rgm_tls_allow_parse("subject CN=a,O=b", err, sizeof(err)));
	EXPECT_EQ(0, rgm_tls_allow_parse("pin-sha256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
					 err, sizeof(err)));
	EXPECT_EQ(-EINVAL, rgm_tls_allow_parse("pin-sha256:AAAA", err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "SHA-256"));
	EXPECT_EQ(-EINVAL, rgm_tls_allow_parse("pin-sha256:!!!", err, sizeof(err)));
	EXPECT_EQ(-EINVAL, rgm_tls_allow_parse("subject ", err, sizeof(err)));
	EXPECT_EQ(-EINVAL, rgm_tls_allow_parse("CN=a", err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "neither"));
}

TEST(load_errors)
{
	struct rgm_tls_opts o = { 0 };
	char err[256];

	ASSERT_EQ(0, make_pki());
	o.cert = pki_path("gw", "pem");
	o.key = pki_path("srv", "key");		/* not gw's key */
	o.ca = pki_path("ca", "pem");
	EXPECT_EQ(NULL, rgm_tls_new(&o, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "cannot load certificate"));
	o.key = pki_path("gw", "key");
	o.ca = pki_path("gw", "key");		/* no certificate in it */
	EXPECT_EQ(NULL, rgm_tls_new(&o, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "cannot load CA"));
	o.ca = pki_path("ca", "pem");
	o.priority = "NORMAL:+BOGUS-THING";
	EXPECT_EQ(NULL, rgm_tls_new(&o, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "bad tls-priority"));
	o.priority = NULL;
	o.allow[0] = "nonsense";
	o.n_allow = 1;
	EXPECT_EQ(NULL, rgm_tls_new(&o, err, sizeof(err)));
}

/* The private key is a secret file (lib/rgm_secret.h): a key others can
 * read, a symbolic link to a key, a key that is not a file are refused with
 * a message naming the file and the fix; 0600 loads. */
TEST(key_file_rules)
{
	struct rgm_tls_opts o = { 0 };
	char err[512], key[160], want[400], lnk[160];
	struct rgm_tls *t;

	ASSERT_EQ(0, make_pki());
	/* a copy: the shared PKI stays as it is for the other tests */
	snprintf(key, sizeof(key), "%s/modes.key", pki);
	snprintf(lnk, sizeof(lnk), "%s/link.key", pki);
	{
		char cmd[512];

		snprintf(cmd, sizeof(cmd), "cp %s %s", pki_path("gw", "key"), key);
		ASSERT_EQ(0, system(cmd));
	}
	o.cert = pki_path("gw", "pem");
	o.ca = pki_path("ca", "pem");
	o.key = key;

	ASSERT_EQ(0, chmod(key, 0644));
	EXPECT_EQ(NULL, rgm_tls_new(&o, err, sizeof(err)));
	snprintf(want, sizeof(want), "%s: mode 0644 lets group or others at a secret "
		 "(chmod 600 %s)", key, key);
	EXPECT_STREQ(want, err);
	ASSERT_EQ(0, chmod(key, 0640));		/* group alone is refused too */
	EXPECT_EQ(NULL, rgm_tls_new(&o, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "mode 0640")) TH_LOG("%s", err);

	ASSERT_EQ(0, chmod(key, 0600));
	ASSERT_EQ(0, symlink(key, lnk));
	o.key = lnk;
	EXPECT_EQ(NULL, rgm_tls_new(&o, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "a symbolic link")) TH_LOG("%s", err);
	EXPECT_NE(NULL, strstr(err, lnk)) TH_LOG("%s", err);
	unlink(lnk);

	o.key = pki;				/* a directory */
	EXPECT_EQ(NULL, rgm_tls_new(&o, err, sizeof(err)));
	EXPECT_NE(NULL, strstr(err, "not a regular file")) TH_LOG("%s", err);

	o.key = key;				/* 0600: loads */
	t = rgm_tls_new(&o, err, sizeof(err));
	EXPECT_NE(NULL, t) TH_LOG("%s", err);
	if (t)
		rgm_tls_put(t);
	/* the same rule for any secret read whole: a token file */
	{
		size_t len = 0;
		char *buf = rgm_secret_read(key, 16, &len, err, sizeof(err));

		EXPECT_EQ(NULL, buf);
		EXPECT_EQ(EFBIG, errno);
		buf = rgm_secret_read(key, 64 * 1024, &len, err, sizeof(err));
		EXPECT_NE(NULL, buf) TH_LOG("%s", err);
		EXPECT_LT(16, len);
		rgm_secret_free(buf, len);
	}
	unlink(key);
}

/* Made once in the parent: the harness forks each test, and its children
 * leave with _exit(), so only the parent removes it. */
static void __attribute__((constructor)) setup_pki(void)
{
	if (make_pki())
		fprintf(stderr, "# certtool could not make the test PKI\n");
}

static void __attribute__((destructor)) cleanup_pki(void)
{
	pki_remove();
}

TEST_HARNESS_MAIN
