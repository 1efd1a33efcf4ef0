// SPDX-License-Identifier: GPL-2.0
/*
 * The sessions the portal opened, in memory: session id -> media stream,
 * appliance, the address the watch came from and the lease's end. POST
 * /v1/stop takes one out to close both ends; a timer thread forgets those
 * whose lease ended and stops their media stream (the media server was
 * told the same duration, so this is the backstop, not the rule). After a
 * restart the portal knows none: the gateway's leases and the media
 * server's durations end them anyway.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "portal.h"

#define PORTAL_TIMER_MS	1000

uint64_t portal_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int portal_media_stop(const struct portal_up *media, const char *stream, struct portal_error *e)
{
	struct json_object *req, *reply = NULL;
	char path[128];
	int ret;

	snprintf(path, sizeof(path), "/v1/streams/%s/stop", stream);
	req = json_object_new_object();
	if (!req)
		return portal_error_set(e, 500, "internal", "out of memory");
	ret = portal_up_call(media, "POST", path, req, &reply, e);
	json_object_put(req);
	json_object_put(reply);
	return ret;
}

static void *portal_sessions_timer(void *arg)
{
	struct portal_sessions *s = arg;
	struct portal_session *ended, **pp, *ps;
	struct portal_error e;
	struct timespec ts;
	uint64_t now;

	pthread_mutex_lock(&s->lock);
	while (!s->stop) {
		ended = NULL;
		now = portal_mono_ms();
		for (pp = &s->head; (ps = *pp);) {
			if (ps->expires_ms <= now) {
				*pp = ps->next;
				ps->next = ended;
				ended = ps;
				s->n--;
			} else {
				pp = &ps->next;
			}
		}
		pthread_mutex_unlock(&s->lock);
		/* upstream calls without the lock: they may take seconds */
		while ((ps = ended)) {
			ended = ps->next;
			portal_info("session %s of %s: lease ended, stopping media stream %s",
				    ps->id, ps->appliance, ps->stream);
			if (portal_media_stop(s->media, ps->stream, &e))
				portal_dbg("media stream %s: %s", ps->stream, e.msg);
			free(ps);
		}
		pthread_mutex_lock(&s->lock);
		if (s->stop)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += PORTAL_TIMER_MS / 1000;
		pthread_cond_timedwait(&s->cond, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

int portal_sessions_setup(struct portal_sessions *s, const struct portal_up *media)
{
	pthread_condattr_t ca;
	int ret;

	memset(s, 0, sizeof(*s));
	s->media = media;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->cond, &ca);
	pthread_condattr_destroy(&ca);
	ret = pthread_create(&s->timer, NULL, portal_sessions_timer, s);
	if (ret) {
		pthread_cond_destroy(&s->cond);
		pthread_mutex_destroy(&s->lock);
		return -ret;
	}
	s->running = true;
	return 0;
}

void portal_sessions_teardown(struct portal_sessions *s)
{
	struct portal_session *ps;

	if (s->running) {
		pthread_mutex_lock(&s->lock);
		s->stop = true;
		pthread_cond_signal(&s->cond);
		pthread_mutex_unlock(&s->lock);
		pthread_join(s->timer, NULL);
		s->running = false;
	}
	while ((ps = s->head)) {
		s->head = ps->next;
		free(ps);
	}
	pthread_cond_destroy(&s->cond);
	pthread_mutex_destroy(&s->lock);
}

bool portal_sessions_full(struct portal_sessions *s)
{
	bool full;

	pthread_mutex_lock(&s->lock);
	full = s->n >= PORTAL_SESSIONS_MAX;
	pthread_mutex_unlock(&s->lock);
	return full;
}

int portal_sessions_add(struct portal_sessions *s, const struct portal_session *ps)
{
	struct portal_session *n = malloc(sizeof(*n));

	if (!n)
		return -ENOMEM;
	*n = *ps;
	pthread_mutex_lock(&s->lock);
	n->next = s->head;
	s->head = n;
	s->n++;
	pthread_mutex_unlock(&s->lock);
	return 0;
}

int portal_sessions_take(struct portal_sessions *s, const char *id, struct in_addr src,
			 struct portal_session *out)
{
	struct portal_session **pp, *ps;
	int ret = -ENOENT;

	pthread_mutex_lock(&s->lock);
	for (pp = &s->head; (ps = *pp); pp = &ps->next) {
		if (strcmp(ps->id, id))
			continue;
		if (ps->src.s_addr != src.s_addr) {
			ret = -EPERM;
			break;
		}
		*pp = ps->next;
		s->n--;
		*out = *ps;
		out->next = NULL;
		free(ps);
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&s->lock);
	return ret;
}
