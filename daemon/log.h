/* SPDX-License-Identifier: ISC */
/*
 * log.h: the daemon's logging. In the foreground (-d) messages go to
 * stderr with a timestamp and a level; otherwise to syslog. Every
 * function keeps errno as it found it, so a caller may log and then
 * still look at errno. log_warn() appends strerror(errno), log_warnx()
 * does not; fatal() and fatalx() log and exit with status 1, and are
 * for start-up and broken internal invariants only.
 */
#ifndef ALGAUDIT_LOG_H
#define ALGAUDIT_LOG_H

#include <stdarg.h>

void	 log_init(int, int);
void	 log_setverbose(int);
int	 log_getverbose(void);
void	 log_warn(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_warnx(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_info(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 log_debug(const char *, ...)
	    __attribute__((format(printf, 1, 2)));
void	 fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	 fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif /* ALGAUDIT_LOG_H */
