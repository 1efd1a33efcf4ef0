// SPDX-License-Identifier: GPL-2.0
/*
 * The portal's HTML pages: the title list (GET /) and one page per title
 * (GET /titles/ID) saying what an appliance sends to watch it, and on both
 * the viewer's controls: pair this browser with an appliance, play a title
 * on one (portal/web/viewer.js does the requests and shows the progress).
 * Every string that comes from elsewhere (the media server's catalog) goes
 * through portal_page_esc(): a title named "<script>" shows as text. The
 * replies carry a Content-Security-Policy that allows only the portal's
 * own script and style sheet, no inline script or style (http.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portal.h"

static void portal_page_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

/* A member as text ("" when absent): strings as they are, numbers printed. */
static const char *portal_page_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || json_object_is_type(v, json_type_null))
		return "";
	if (json_object_is_type(v, json_type_object) || json_object_is_type(v, json_type_array))
		return "";
	return json_object_get_string(v);
}

static FILE *portal_page_open(char **buf, size_t *len, const char *title)
{
	FILE *f = open_memstream(buf, len);

	if (!f)
		return NULL;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>", f);
	portal_page_esc(f, title);
	fputs("</title>\n<link rel=\"stylesheet\" href=\"/static/viewer.css\">\n"
	      "<script src=\"/static/viewer.js\" defer></script>\n</head>\n<body>\n"
	      "<header><a href=\"/\" class=\"brand\">rgm portal</a></header>\n<main>\n", f);
	return f;
}

/* buf is open_memstream()'s: set by fclose(). */
static char *portal_page_close(FILE *f, char **buf)
{
	bool bad;

	fputs("</main>\n</body>\n</html>\n", f);
	bad = ferror(f);
	if (fclose(f) || bad) {
		free(*buf);
		return NULL;
	}
	return *buf;
}

static void portal_page_duration(FILE *f, struct json_object *t)
{
	struct json_object *v;

	if (json_object_object_get_ex(t, "duration_ms", &v))
		fprintf(f, "%.1f s", json_object_get_int64(v) / 1000.0);
}

static size_t portal_page_n_streams(struct json_object *t)
{
	struct json_object *a;

	return json_object_object_get_ex(t, "streams", &a) ? json_object_array_length(a) : 0;
}

/* The browser's appliances and the pairing form. */
static void portal_page_apps(FILE *f, const struct portal_viewer_app *apps, unsigned int n)
{
	unsigned int i;

	fputs("<section id=\"appliances\" aria-labelledby=\"apps-h\">\n"
	      "<h2 id=\"apps-h\">Your appliances</h2>\n", f);
	if (!n)
		fputs("<p>No appliance is paired with this browser yet. Your appliance shows a "
		      "six-digit code when it is waiting for a title: enter it here.</p>\n", f);
	else
		fputs("<ul class=\"apps\">\n", f);
	for (i = 0; i < n; i++) {
		fputs("<li>", f);
		portal_page_esc(f, apps[i].id);
		fprintf(f, " <span class=\"%s\">%s</span></li>\n", apps[i].online ? "on" : "off",
			apps[i].online ? "online" : "offline");
	}
	if (n)
		fputs("</ul>\n", f);
	fputs("<form id=\"pair\" action=\"/v1/pair\" method=\"post\">\n"
	      "<label for=\"code\">Pairing code shown on your appliance</label>\n"
	      "<input id=\"code\" name=\"code\" inputmode=\"numeric\" pattern=\"[0-9]{6}\" "
	      "maxlength=\"6\" autocomplete=\"off\" required>\n"
	      "<button type=\"submit\">Pair</button>\n</form>\n</section>\n"
	      "<div id=\"status\" role=\"status\" aria-live=\"polite\"></div>\n", f);
}

/* One "Play on X" button per appliance of this browser. */
static void portal_page_play(FILE *f, const char *id, const struct portal_viewer_app *apps,
			     unsigned int n)
{
	unsigned int i;

	if (!n)
		return;
	fputs("<p class=\"actions\">", f);
	for (i = 0; i < n; i++) {
		fputs("<button type=\"button\" class=\"play\" data-title=\"", f);
		portal_page_esc(f, id);
		fputs("\" data-appliance=\"", f);
		portal_page_esc(f, apps[i].id);
		/* the title's heading describes the button */
		fputs("\" aria-describedby=\"t-", f);
		portal_page_esc(f, id);
		fputs("\"", f);
		if (!apps[i].online)
			fputs(" disabled", f);
		fputs(">Play on ", f);
		portal_page_esc(f, apps[i].id);
		fputs(apps[i].online ? "" : " (offline)", f);
		fputs("</button> ", f);
	}
	fputs("</p>\n", f);
}

/* "video (MP2T/33), audio": the kinds of a title's streams */
static void portal_page_kinds(FILE *f, struct json_object *t)
{
	struct json_object *streams;
	size_t i, n = portal_page_n_streams(t);

	json_object_object_get_ex(t, "streams", &streams);
	for (i = 0; i < n; i++) {
		fputs(i ? ", " : ": ", f);
		portal_page_esc(f, portal_page_field(json_object_array_get_idx(streams, i), "kind"));
	}
}

char *portal_page_index(struct json_object *catalog, const struct portal_viewer_app *apps,
			unsigned int n_apps)
{
	struct json_object *titles, *t;
	char *buf = NULL;
	size_t len, i, n = 0;
	FILE *f;

	f = portal_page_open(&buf, &len, "rgm portal: titles");
	if (!f)
		return NULL;
	fputs("<h1>Titles</h1>\n", f);
	portal_page_apps(f, apps, n_apps);
	fputs("<h2>Catalog</h2>\n", f);
	if (json_object_object_get_ex(catalog, "titles", &titles))
		n = json_object_array_length(titles);
	if (!n)
		fputs("<p>The media server offers no title.</p>\n", f);
	else
		fputs("<ul class=\"titles\">\n", f);
	for (i = 0; i < n; i++) {
		const char *id, *name;

		t = json_object_array_get_idx(titles, i);
		id = portal_page_field(t, "id");
		name = *portal_page_field(t, "name") ? portal_page_field(t, "name") : id;
		fputs("<li class=\"title\"><h3 id=\"t-", f);
		portal_page_esc(f, id);
		fputs("\"><a href=\"/titles/", f);
		portal_page_esc(f, id);
		fputs("\">", f);
		portal_page_esc(f, name);
		fputs("</a></h3>\n<p>", f);
		portal_page_duration(f, t);
		fprintf(f, ", %zu stream%s", portal_page_n_streams(t),
			portal_page_n_streams(t) == 1 ? "" : "s");
		portal_page_kinds(f, t);
		fputs("</p>\n", f);
		portal_page_play(f, id, apps, n_apps);
		fputs("</li>\n", f);
	}
	if (n)
		fputs("</ul>\n", f);
	fputs("<p>An appliance watches a title with <code>POST /v1/watch</code>; "
	      "each title's page says what to send.</p>\n", f);
	return portal_page_close(f, &buf);
}

char *portal_page_title(struct json_object *t, const struct portal_viewer_app *apps,
			unsigned int n_apps)
{
	struct json_object *streams, *s;
	const char *id = portal_page_field(t, "id");
	const char *name = portal_page_field(t, "name");
	char *buf = NULL;
	size_t len, i, n;
	FILE *f;

	f = portal_page_open(&buf, &len, *name ? name : id);
	if (!f)
		return NULL;
	fputs("<h1 id=\"t-", f);
	portal_page_esc(f, id);
	fputs("\">", f);
	portal_page_esc(f, *name ? name : id);
	fputs("</h1>\n<p>Title <code>", f);
	portal_page_esc(f, id);
	fputs("</code>, ", f);
	portal_page_duration(f, t);
	fputs(".</p>\n", f);
	portal_page_play(f, id, apps, n_apps);
	portal_page_apps(f, apps, n_apps);
	fputs("<h2>Streams</h2>\n<div class=\"scroll\"><table>\n<tr><th>stream</th><th>kind</th><th>payload type</th>"
	      "<th>RTP packets</th><th>bytes</th><th>SHA-256</th></tr>\n", f);
	n = portal_page_n_streams(t);
	json_object_object_get_ex(t, "streams", &streams);
	for (i = 0; i < n; i++) {
		static const char *const cols[] = {
			"kind", "payload_type", "packets", "bytes", "sha256"
		};

		s = json_object_array_get_idx(streams, i);
		fprintf(f, "<tr><td>%zu</td>", i);
		for (size_t k = 0; k < sizeof(cols) / sizeof(cols[0]); k++) {
			fputs("<td>", f);
			portal_page_esc(f, portal_page_field(s, cols[k]));
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table></div>\n<h2>Watching it without a browser</h2>\n", f);
	fprintf(f, "<p>Give one even local UDP port per stream (%zu here): RTP arrives on it, "
		"RTCP on the next one. The portal answers with the session, the gateway's "
		"global ports and what each stream must add up to.</p>\n", n);
	fputs("<pre>POST /v1/watch\n{\"appliance\": \"YOUR-ID\", \"title\": \"", f);
	portal_page_esc(f, id);
	fputs("\", \"local_addr\": \"YOUR-LAN-ADDRESS\",\n \"ports\": [", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%zu", i ? ", " : "", 5004 + 2 * i);
	fputs("], \"gateway_type\": \"YOUR-GATEWAY-TYPE\"}</pre>\n", f);
	fputs("<p>or, with the rgm appliance:</p>\n<pre>rgm-appliance --portal URL --id YOUR-ID "
	      "--addr YOUR-LAN-ADDRESS watch ", f);
	portal_page_esc(f, id);
	fputs(" --ports ", f);
	for (i = 0; i < n; i++)
		fprintf(f, "%s%zu", i ? "," : "", 5004 + 2 * i);
	fputs("</pre>\n<p><a href=\"/\">All titles</a></p>\n", f);
	return portal_page_close(f, &buf);
}

char *portal_page_error(unsigned int status, const char *msg)
{
	char *buf = NULL, head[32];
	size_t len;
	FILE *f;

	snprintf(head, sizeof(head), "Error %u", status);
	f = portal_page_open(&buf, &len, head);
	if (!f)
		return NULL;
	fprintf(f, "<h1>%s</h1>\n<p>", head);
	portal_page_esc(f, msg);
	fputs("</p>\n<p><a href=\"/\">All titles</a></p>\n", f);
	return portal_page_close(f, &buf);
}
