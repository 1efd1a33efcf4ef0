// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of rgm-confserver's configuration file (confserver/conf.c),
 * through `rgm-confserver -c FILE --check-config` as an operator runs it:
 * a good file passes (exit 0), and every kind of mistake is refused
 * (exit 1) with "FILE:LINE: message" naming the line, or "FILE: message"
 * for what is missing. Certificates are made with certtool in a scratch
 * directory. Run from the top of the tree after `make user`.
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define BIN "./confserver/rgm-confserver"
#define TOKEN_HASH "sha256:2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b"

FIXTURE(conf) {
	char dir[64];
	char path[128];
	char out[4096];
	char want[512];
};

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

FIXTURE_SETUP(conf)
{
	strcpy(self->dir, "/tmp/confserver_conf_test.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	snprintf(self->path, sizeof(self->path), "%s/cs.conf", self->dir);
	/* a CA and one certificate it signed; a second key that is not its */
	ASSERT_EQ(0, sh("cd %s && certtool --generate-privkey --key-type ecdsa --outfile ca.key "
			"2>/dev/null && printf 'cn = \"t\"\\nca\\ncert_signing_key\\n"
			"expiration_days = 2\\n' >ca.tmpl && certtool --generate-self-signed "
			"--load-privkey ca.key --template ca.tmpl --outfile ca.pem 2>/dev/null && "
			"certtool --generate-privkey --key-type ecdsa --outfile s.key 2>/dev/null && "
			"printf 'cn = \"s\"\\ntls_www_server\\ntls_www_client\\nexpiration_days = 2"
			"\\n' >s.tmpl && certtool --generate-certificate --load-privkey s.key "
			"--load-ca-certificate ca.pem --load-ca-privkey ca.key --template s.tmpl "
			"--outfile s.pem 2>/dev/null && certtool --generate-privkey --key-type ecdsa "
			"--outfile other.key 2>/dev/null", self->dir));
}

FIXTURE_TEARDOWN(conf)
{
	sh("rm -rf %s", self->dir);
}

/*
 * Writes the base file without the lines starting with drop (NULL: none),
 * then extra (NULL: none); returns extra's line number.
 */
static int write_conf(FIXTURE_DATA(conf) *self, const char *drop, const char *extra)
{
	char base[16][256];
	int n = 0, line = 0, i;
	FILE *f;

	snprintf(base[n++], 256, "# confserver_conf_test");
	snprintf(base[n++], 256, "db = %s/cs.db", self->dir);
	snprintf(base[n++], 256, "listen = 127.0.0.1:28443   # comment after a value");
	snprintf(base[n++], 256, "http-cert = %s/s.pem", self->dir);
	snprintf(base[n++], 256, "http-key = %s/s.key", self->dir);
	snprintf(base[n++], 256, "token = portal-1 portal %s", TOKEN_HASH);
	snprintf(base[n++], 256, "gateway-cert = %s/s.pem", self->dir);
	snprintf(base[n++], 256, "gateway-key = %s/s.key", self->dir);
	snprintf(base[n++], 256, "gateway-ca = %s/ca.pem", self->dir);
	base[n++][0] = '\0';
	snprintf(base[n++], 256, "gateway-type = homebox driver rgm strategy propose");
	f = fopen(self->path, "w");
	if (!f)
		return -1;
	for (i = 0; i < n; i++) {
		if (drop && !strncmp(base[i], drop, strlen(drop)))
			continue;
		fprintf(f, "%s\n", base[i]);
		line++;
	}
	if (extra)
		fprintf(f, "%s\n", extra);
	fclose(f);
	return line + 1;
}

/* Runs --check-config; exit code, output (stdout and stderr) in self->out. */
static int check_config(FIXTURE_DATA(conf) *self)
{
	char cmd[512];
	size_t len;
	FILE *p;
	int st;

	snprintf(cmd, sizeof(cmd), BIN " -c %s --check-config 2>&1", self->path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	len = fread(self->out, 1, sizeof(self->out) - 1, p);
	self->out[len] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The file with extra added (and drop removed) is refused with a message
 * starting "FILE:LINE: " + what (line < 0: "FILE: " + what). */
#define REFUSED(drop, extra, at_line, what) do {					\
	const char *_e = (extra), *_d = (drop);						\
	int _l = write_conf(self, _d, _e);						\
	if ((at_line) >= 0)								\
		snprintf(self->want, sizeof(self->want), "%s:%d: %s", self->path,	\
			 (at_line) ? (at_line) : _l, what);				\
	else										\
		snprintf(self->want, sizeof(self->want), "%s: %s", self->path, what);	\
	EXPECT_EQ(1, check_config(self)) TH_LOG("%s accepted", _e ? _e : _d);		\
	EXPECT_EQ(0, strncmp(self->out, self->want, strlen(self->want)))		\
		TH_LOG("got '%s', want '%s...'", self->out, self->want);			\
} while (0)

TEST_F(conf, good_file_passes)
{
	write_conf(self, NULL, "portal-ca = s.pem");
	/* a relative portal-ca needs its portal-cert: refused without */
	EXPECT_EQ(1, check_config(self));
	write_conf(self, NULL, NULL);
	EXPECT_EQ(0, check_config(self)) TH_LOG("%s", self->out);
	EXPECT_NE(NULL, strstr(self->out, "ok")) TH_LOG("%s", self->out);
}

TEST_F(conf, unknown_key_and_syntax)
{
	REFUSED(NULL, "colour = blue", 0, "unknown key 'colour'");
	REFUSED(NULL, "listen 127.0.0.1:1", 0, "expected 'key = value'");
	REFUSED(NULL, "listen =", 0, "expected 'key = value'");
	REFUSED(NULL, "listen = 127.0.0.1:2", 0, "listen given twice (first on line 3)");
}

TEST_F(conf, bad_values)
{
	REFUSED(NULL, "request-timeout = 0", 0, "request-timeout: '0' is not a number in 1..600");
	REFUSED(NULL, "connect-timeout = 5s", 0, "connect-timeout: '5s' is not a number");
	REFUSED(NULL, "max-connections = -1", 0, "max-connections: '-1' is not a number");
	REFUSED(NULL, "idle-timeout = 99999999999999999999", 0, "idle-timeout:");
	REFUSED("listen", "listen = localhost:8443", 0, "listen: 'localhost:8443' is not ADDR:PORT");
	REFUSED("listen", "listen = 127.0.0.1:0", 0, "listen: '127.0.0.1:0' is not ADDR:PORT");
	REFUSED(NULL, "insecure-http = maybe", 0, "insecure-http: 'maybe' is not yes or no");
	REFUSED(NULL, "call-home-listen = 10.0.0.1", 0, "call-home-listen: '10.0.0.1' is not");
}

TEST_F(conf, tokens)
{
	REFUSED(NULL, "token = portal-2 portal sha256:abc", 0,
		"token: 'sha256:abc' is not sha256: and 64 hex digits");
	REFUSED(NULL, "token = portal-2 portal sha256:zbb80d537b1da3e38bd30361aa855686bde0eacd"
		      "7162fef6a25fe97bf527a25b", 0, "token: 'sha256:zbb");
	REFUSED(NULL, "token = portal-2 admin " TOKEN_HASH, 0,
		"token: role 'admin' is not portal or operator");
	REFUSED(NULL, "token = portal-1 operator " TOKEN_HASH, 0,
		"token: name 'portal-1' is given twice");
	REFUSED(NULL, "token = -x portal " TOKEN_HASH, 0, "token: name '-x' must be");
	REFUSED(NULL, "token = portal-2 portal", 0, "token: 'portal-2 portal' is not");
}

TEST_F(conf, portal_certs)
{
	REFUSED(NULL, "portal-cert = portal subject CN=p", -1, "portal-cert needs portal-ca");
	REFUSED(NULL, "portal-cert = king subject CN=p", 0, "portal-cert: role 'king'");
	REFUSED(NULL, "portal-cert = portal CN=p", 0, "portal-cert: allow: 'CN=p' is neither");
	REFUSED(NULL, "portal-cert = operator pin-sha256:AAAA", 0,
		"portal-cert: allow: 'pin-sha256:AAAA' is not the base64");
	REFUSED(NULL, "portal-cert = portal", 0, "portal-cert: 'portal' is not");
}

TEST_F(conf, gateway_types)
{
	REFUSED(NULL, "gateway-type = homebox driver rgm", 0,
		"gateway-type: type 'homebox' is given twice");
	REFUSED(NULL, "gateway-type = other driver upnp", 0,
		"gateway-type: no driver 'upnp' (known: rgm");
	REFUSED(NULL, "gateway-type = other driver rgm strategy fastest", 0,
		"gateway-type: strategy 'fastest' is not");
	REFUSED(NULL, "gateway-type = other rgm", 0, "gateway-type: 'other rgm' is not");
	write_conf(self, NULL, "gateway-type = cheapbox driver rgm");
	EXPECT_EQ(0, check_config(self)) TH_LOG("%s", self->out);
}

TEST_F(conf, missing_required)
{
	REFUSED("listen", NULL, -1, "listen is required");
	REFUSED("http-key", NULL, -1, "http-cert and http-key are required");
	REFUSED("gateway-ca", NULL, -1, "gateway-cert, gateway-key and gateway-ca are required");
	REFUSED("token", NULL, -1, "no token and no portal-cert");
}

TEST_F(conf, insecure_http_only_on_loopback)
{
	int l;

	write_conf(self, "http-", "insecure-http = yes");
	EXPECT_EQ(0, check_config(self)) TH_LOG("%s", self->out);
	l = write_conf(self, "listen", "listen = 192.0.2.1:8080");
	/* the line of insecure-http is named, not the one of listen */
	write_conf(self, "listen", NULL);
	{
		FILE *f = fopen(self->path, "a");

		ASSERT_NE(NULL, f);
		fprintf(f, "insecure-http = yes\nlisten = 192.0.2.1:8080\n");
		fclose(f);
	}
	snprintf(self->want, sizeof(self->want), "%s:%d: insecure-http needs a loopback",
		 self->path, l);
	EXPECT_EQ(1, check_config(self));
	EXPECT_EQ(0, strncmp(self->out, self->want, strlen(self->want)))
		TH_LOG("got '%s', want '%s'", self->out, self->want);
	write_conf(self, "listen", "listen = [::1]:8080\ninsecure-http = yes");
	EXPECT_EQ(0, check_config(self)) TH_LOG("%s", self->out);
}

TEST_F(conf, files_are_loaded)
{
	char line[256];

	/* a certificate that is not there: the line of http-cert */
	snprintf(line, sizeof(line), "http-cert = %s/nothing.pem", self->dir);
	REFUSED("http-cert", line, 0, "");
	EXPECT_NE(NULL, strstr(self->out, "nothing.pem")) TH_LOG("%s", self->out);
	/* a key that does not go with the certificate */
	snprintf(line, sizeof(line), "gateway-key = %s/other.key", self->dir);
	REFUSED("gateway-key", line, 7, "");
	EXPECT_NE(NULL, strstr(self->out, "cannot load it with key")) TH_LOG("%s", self->out);
	/* a CA file without a certificate */
	snprintf(line, sizeof(line), "gateway-ca = %s/s.key", self->dir);
	REFUSED("gateway-ca", line, 0, "");
	EXPECT_EQ(1, check_config(self));
}

/* Keys and the database are secret files (lib/rgm_secret.h): readable by
 * group or others, or a symbolic link, --check-config refuses them on
 * their line, with the fix; 0600 passes. */
TEST_F(conf, secret_files)
{
	char path[128], want[700], line[300];

	snprintf(path, sizeof(path), "%s/s.key", self->dir);
	ASSERT_EQ(0, chmod(path, 0644));
	/* http-key, line 5, is the first to name it */
	snprintf(want, sizeof(want), "%s:5: %s: mode 0644 lets group or others at a secret "
		 "(chmod 600 %s)", self->path, path, path);
	write_conf(self, NULL, NULL);
	EXPECT_EQ(1, check_config(self));
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("got '%s', want '%s'", self->out, want);
	ASSERT_EQ(0, chmod(path, 0600));
	write_conf(self, NULL, NULL);
	EXPECT_EQ(0, check_config(self)) TH_LOG("%s", self->out);

	/* a link to a good key: refused on gateway-key's line */
	ASSERT_EQ(0, sh("cd %s && ln -s s.key link.key", self->dir));
	snprintf(line, sizeof(line), "gateway-key = %s/link.key", self->dir);
	REFUSED("gateway-key", line, 0, "");
	EXPECT_NE(NULL, strstr(self->out, "link.key: a symbolic link")) TH_LOG("%s", self->out);

	/* the database, once it exists */
	snprintf(path, sizeof(path), "%s/cs.db", self->dir);
	ASSERT_EQ(0, sh("touch %s && chmod 644 %s", path, path));
	write_conf(self, NULL, NULL);
	EXPECT_EQ(1, check_config(self));
	snprintf(want, sizeof(want), "%s:2: %s: mode 0644", self->path, path);
	EXPECT_NE(NULL, strstr(self->out, want)) TH_LOG("%s", self->out);
	ASSERT_EQ(0, chmod(path, 0600));
	write_conf(self, NULL, NULL);
	EXPECT_EQ(0, check_config(self)) TH_LOG("%s", self->out);
}

TEST_F(conf, no_such_file)
{
	strcat(self->path, ".missing");
	EXPECT_EQ(1, check_config(self));
	EXPECT_NE(NULL, strstr(self->out, "No such file")) TH_LOG("%s", self->out);
}

TEST_HARNESS_MAIN
