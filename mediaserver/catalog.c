// SPDX-License-Identifier: GPL-2.0
/*
 * The content catalog: DIR/catalog.json and the TS files it names, read
 * into memory at start-up and checked against it (size, sha256, packet
 * count), with each file's send schedule computed once.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/crypto.h>

#include "ms.h"
#include "rgm_ts.h"

#define CATALOG_MAX	(1 << 20)
#define MEDIA_MAX	(256u << 20)

/* Reads a whole regular file of at most max bytes. */
static int read_file(const char *path, size_t max, uint8_t **data, size_t *len)
{
	struct stat st;
	ssize_t n;
	size_t off = 0;
	uint8_t *buf;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || (size_t)st.st_size > max) {
		close(fd);
		return -EFBIG;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (off < (size_t)st.st_size) {
		n = read(fd, buf + off, (size_t)st.st_size - off);
		if (n <= 0) {
			free(buf);
			close(fd);
			return n < 0 ? -errno : -EIO;
		}
		off += (size_t)n;
	}
	close(fd);
	buf[off] = 0;
	*data = buf;
	*len = off;
	return 0;
}

static bool name_ok(const char *s, size_t max)
{
	size_t n = strlen(s);

	if (n == 0 || n >= max || s[0] == '.' || s[0] == '-')
		return false;
	return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.") == n;
}

static const char *get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static bool get_u64(json_object *o, const char *key, uint64_t *out)
{
	json_object *v;
	int64_t x;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	x = json_object_get_int64(v);
	if (x < 0)
		return false;
	*out = (uint64_t)x;
	return true;
}

static int media_load(struct ms_media *m, const char *dir, json_object *o, uint64_t dur_ms)
{
	const char *kind = get_str(o, "kind"), *file = get_str(o, "file");
	const char *sha = get_str(o, "sha256");
	uint64_t bytes, packets, pt;
	unsigned char dig[32];
	char path[4096], hex[65];
	int ret, i;

	if (!kind || !name_ok(kind, sizeof(m->kind)))
		return fprintf(stderr, "catalog: stream: bad or missing \"kind\"\n"), -EINVAL;
	if (!file || !name_ok(file, sizeof(m->file)))
		return fprintf(stderr, "catalog: %s: bad or missing \"file\"\n", kind), -EINVAL;
	if (!sha || strlen(sha) != 64)
		return fprintf(stderr, "catalog: %s: bad or missing \"sha256\"\n", file), -EINVAL;
	if (!get_u64(o, "bytes", &bytes) || !get_u64(o, "packets", &packets) ||
	    !get_u64(o, "payload_type", &pt) || pt != 33)
		return fprintf(stderr, "catalog: %s: bytes, packets, payload_type 33 needed\n",
			       file), -EINVAL;
	snprintf(m->kind, sizeof(m->kind), "%s", kind);
	snprintf(m->file, sizeof(m->file), "%s", file);
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	ret = read_file(path, MEDIA_MAX, &m->data, &m->bytes);
	if (ret)
		return fprintf(stderr, "catalog: %s: %s\n", path, strerror(-ret)), ret;
	if (m->bytes != bytes)
		return fprintf(stderr, "catalog: %s: %zu bytes, catalog says %llu\n", path,
			       m->bytes, (unsigned long long)bytes), -EINVAL;
	if (rgm_ts_check(m->data, m->bytes))
		return fprintf(stderr, "catalog: %s: not an MPEG-TS file\n", path), -EINVAL;
	m->packets = rgm_ts_rtp_packets(m->bytes);
	if (m->packets != packets)
		return fprintf(stderr, "catalog: %s: %zu RTP packets, catalog says %llu\n", path,
			       m->packets, (unsigned long long)packets), -EINVAL;
	gnutls_hash_fast(GNUTLS_DIG_SHA256, m->data, m->bytes, dig);
	for (i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", dig[i]);
	if (strcmp(hex, sha))
		return fprintf(stderr, "catalog: %s: sha256 %s, catalog says %s\n", path, hex,
			       sha), -EINVAL;
	memcpy(m->sha256, hex, sizeof(hex));
	ret = rgm_ts_schedule(m->data, m->bytes, dur_ms * 1000000ULL, &m->at, &m->duration_ns);
	if (ret)
		return fprintf(stderr, "catalog: %s: no schedule\n", path), ret;
	return 0;
}

static int title_load(struct ms_title *t, const char *dir, json_object *o)
{
	const char *id = get_str(o, "id"), *name = get_str(o, "name");
	json_object *streams;
	uint64_t dur;
	size_t i, n;
	int ret;

	if (!id || !name_ok(id, sizeof(t->id)))
		return fprintf(stderr, "catalog: title: bad or missing \"id\"\n"), -EINVAL;
	if (!name || strlen(name) >= sizeof(t->name))
		return fprintf(stderr, "catalog: %s: bad or missing \"name\"\n", id), -EINVAL;
	if (!get_u64(o, "duration_ms", &dur) || dur == 0 || dur > 24 * 3600 * 1000)
		return fprintf(stderr, "catalog: %s: bad or missing \"duration_ms\"\n", id),
		       -EINVAL;
	if (!json_object_object_get_ex(o, "streams", &streams) ||
	    !json_object_is_type(streams, json_type_array))
		return fprintf(stderr, "catalog: %s: \"streams\" array missing\n", id), -EINVAL;
	n = json_object_array_length(streams);
	if (n == 0 || n > MS_MAX_MEDIA)
		return fprintf(stderr, "catalog: %s: 1 to %d streams\n", id, MS_MAX_MEDIA),
		       -EINVAL;
	snprintf(t->id, sizeof(t->id), "%s", id);
	snprintf(t->name, sizeof(t->name), "%s", name);
	t->duration_ms = (unsigned int)dur;
	for (i = 0; i < n; i++) {
		ret = media_load(&t->media[i], dir, json_object_array_get_idx(streams, i), dur);
		t->n_media = (unsigned int)i + 1;
		if (ret)
			return ret;
	}
	return 0;
}

int ms_catalog_load(struct ms_catalog *c, const char *dir)
{
	json_object *root = NULL, *titles;
	char path[4096];
	uint8_t *text;
	size_t len, i, n;
	int ret;

	memset(c, 0, sizeof(*c));
	snprintf(path, sizeof(path), "%s/catalog.json", dir);
	ret = read_file(path, CATALOG_MAX, &text, &len);
	if (ret) {
		fprintf(stderr, "catalog: %s: %s\n", path, strerror(-ret));
		return ret;
	}
	root = json_tokener_parse((char *)text);
	free(text);
	if (!root || !json_object_object_get_ex(root, "titles", &titles) ||
	    !json_object_is_type(titles, json_type_array)) {
		fprintf(stderr, "catalog: %s: not JSON with a \"titles\" array\n", path);
		json_object_put(root);
		return -EINVAL;
	}
	n = json_object_array_length(titles);
	if (n == 0 || n > MS_MAX_TITLES) {
		fprintf(stderr, "catalog: %s: 1 to %d titles\n", path, MS_MAX_TITLES);
		json_object_put(root);
		return -EINVAL;
	}
	c->titles = calloc(n, sizeof(*c->titles));
	if (!c->titles) {
		json_object_put(root);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		c->n_titles = (unsigned int)i + 1;
		ret = title_load(&c->titles[i], dir, json_object_array_get_idx(titles, i));
		if (ret)
			break;
		if (ms_catalog_find(c, c->titles[i].id) != &c->titles[i]) {
			fprintf(stderr, "catalog: title %s given twice\n", c->titles[i].id);
			ret = -EINVAL;
			break;
		}
	}
	json_object_put(root);
	if (ret)
		ms_catalog_free(c);
	return ret;
}

void ms_catalog_free(struct ms_catalog *c)
{
	unsigned int i, j;

	for (i = 0; i < c->n_titles; i++)
		for (j = 0; j < c->titles[i].n_media; j++) {
			free(c->titles[i].media[j].data);
			free(c->titles[i].media[j].at);
		}
	free(c->titles);
	memset(c, 0, sizeof(*c));
}

const struct ms_title *ms_catalog_find(const struct ms_catalog *c, const char *id)
{
	unsigned int i;

	for (i = 0; i < c->n_titles; i++)
		if (!strcmp(c->titles[i].id, id))
			return &c->titles[i];
	return NULL;
}

json_object *ms_catalog_json(const struct ms_catalog *c)
{
	json_object *root = json_object_new_object(), *arr = json_object_new_array();
	unsigned int i, j;

	for (i = 0; i < c->n_titles; i++) {
		const struct ms_title *t = &c->titles[i];
		json_object *to = json_object_new_object(), *sa = json_object_new_array();

		json_object_object_add(to, "id", json_object_new_string(t->id));
		json_object_object_add(to, "name", json_object_new_string(t->name));
		json_object_object_add(to, "duration_ms", json_object_new_int64(t->duration_ms));
		for (j = 0; j < t->n_media; j++) {
			const struct ms_media *m = &t->media[j];
			json_object *so = json_object_new_object();

			json_object_object_add(so, "kind", json_object_new_string(m->kind));
			json_object_object_add(so, "payload_type", json_object_new_int(33));
			json_object_object_add(so, "bytes",
					       json_object_new_int64((int64_t)m->bytes));
			json_object_object_add(so, "packets",
					       json_object_new_int64((int64_t)m->packets));
			json_object_object_add(so, "sha256", json_object_new_string(m->sha256));
			json_object_array_add(sa, so);
		}
		json_object_object_add(to, "streams", sa);
		json_object_array_add(arr, to);
	}
	json_object_object_add(root, "titles", arr);
	return root;
}
