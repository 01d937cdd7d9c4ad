/* SPDX-License-Identifier: ISC */
/*
 * log.c: where the daemon's messages go.
 *
 * One sink for the whole process, chosen once by log_init(): stderr with
 * a UTC timestamp and a level in the foreground, syslog otherwise.
 * libevent's own diagnostics are routed here too. The functions are
 * safe to call from the writer thread (each message is formatted into a
 * local buffer and written with one call) and never change errno. This
 * file holds the only logging globals; apart from main.c nothing else in
 * the daemon keeps global state.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"

#define LOG_IDENT	"algauditd"
#define LOG_LINE_MAX	8192

static int	 log_foreground = 1;
static atomic_int log_verbose;	/* set by the loop (SIGHUP), read by all */
static int	 log_event_debug;	/* libevent's debug logging is on */

static void	 log_vlog(int, int, const char *, va_list)
		    __attribute__((format(printf, 3, 0)));

/* Returns the word printed on stderr for a syslog priority. */
static const char *
log_level_name(int pri)
{
	switch (pri) {
	case LOG_CRIT:
		return "fatal";
	case LOG_WARNING:
		return "warn";
	case LOG_DEBUG:
		return "debug";
	default:
		return "info";
	}
}

/* Writes one finished message at priority pri to the sink. */
static void
log_emit(int pri, const char *msg)
{
	struct timespec now;
	struct tm tm;
	char ts[32];
	long ms = 0;

	if (!log_foreground) {
		syslog(pri, "%s", msg);
		return;
	}
	if (clock_gettime(CLOCK_REALTIME, &now) == 0 &&
	    gmtime_r(&now.tv_sec, &tm) != NULL &&
	    strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm) != 0)
		ms = now.tv_nsec / 1000000;
	else
		snprintf(ts, sizeof(ts), "(no time)");
	fprintf(stderr, "%s.%03ldZ %s: %s\n", ts, ms, log_level_name(pri),
	    msg);
}

/*
 * Formats and writes a message at priority pri, followed by
 * ": strerror(code)" when code is not 0. Keeps errno.
 */
static void
log_vlog(int pri, int code, const char *fmt, va_list ap)
{
	char msg[LOG_LINE_MAX], ebuf[128];
	int saved_errno = errno;
	size_t len;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (code != 0) {
		if (strerror_r(code, ebuf, sizeof(ebuf)) != 0)
			snprintf(ebuf, sizeof(ebuf), "error %d", code);
		len = strlen(msg);
		snprintf(msg + len, sizeof(msg) - len, ": %s", ebuf);
	}
	log_emit(pri, msg);
	errno = saved_errno;
}

/* Routes one libevent diagnostic into our log at a matching level. */
static void
log_event_cb(int severity, const char *msg)
{
	switch (severity) {
	case EVENT_LOG_DEBUG:
		log_debug("libevent: %s", msg);
		break;
	case EVENT_LOG_MSG:
		log_info("libevent: %s", msg);
		break;
	default:
		log_warnx("libevent: %s", msg);
		break;
	}
}

/*
 * Chooses the sink: stderr when debug is non-zero (foreground), else
 * syslog with the given facility. Also routes libevent's log here.
 */
void
log_init(int debug, int facility)
{
	int saved_errno = errno;

	log_foreground = debug;
	if (!log_foreground)
		openlog(LOG_IDENT, LOG_PID | LOG_NDELAY, facility);
	tzset();
	event_set_log_callback(log_event_cb);
	errno = saved_errno;
}

/*
 * Sets the verbosity: 0 logs warnings and information, 1 (-v) adds
 * debug messages, 2 (-vv) adds libevent's own debug messages. libevent
 * allows its debug logging to be switched on only before the first
 * event base exists: a later call with 2 or more switches on ours only.
 */
void
log_setverbose(int v)
{
	atomic_store(&log_verbose, v);
	if (v >= 2 && !log_event_debug) {
		event_enable_debug_logging(EVENT_DBG_ALL);
		log_event_debug = 1;
	}
}

/* Returns the verbosity set by log_setverbose(). */
int
log_getverbose(void)
{
	return atomic_load(&log_verbose);
}

/* Logs a warning followed by strerror(errno). */
void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, errno, fmt, ap);
	va_end(ap);
}

/* Logs a warning. */
void
log_warnx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

/* Logs an informational message. */
void
log_info(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

/* Logs a debug message when the verbosity is at least 1. */
void
log_debug(const char *fmt, ...)
{
	va_list ap;

	if (atomic_load(&log_verbose) < 1)
		return;
	va_start(ap, fmt);
	log_vlog(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

/* Logs a message followed by strerror(errno) and exits with status 1. */
void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, errno, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Logs a message and exits with status 1. */
void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
