/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The daemons' log: one line per event on stderr, "PROG: LEVEL: message",
 * or under systemd (JOURNAL_STREAM set) "<N>message", the sd-daemon
 * priority prefix, so the journal keeps severities and adds the time.
 * One fprintf per line: stdio locks the stream, so lines of concurrent
 * threads never mix.
 */
#ifndef RGM_LOG_H
#define RGM_LOG_H

#include <stdarg.h>
#include <syslog.h>	/* the LOG_* priorities */

/* The program name lines start with (default "rgm"); call once, first. */
void rgm_log_setup(const char *prog);
void rgm_vlog(int prio, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
void rgm_log(int prio, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif /* RGM_LOG_H */
