/* SPDX-License-Identifier: ISC */
/*
 * main.c: algauditd's entry point. It only orchestrates: load the
 * configuration (the file given with -f, then the command line), start
 * the log, open the store, check its tree and load the signing key,
 * start the writer thread and the listeners, turn signals into events,
 * run the loop, tear down in reverse order. The work is in cfg.c,
 * tlog.c, listener.c, conn.c, writer.c (with health.c) and metrics.c.
 *
 * SIGHUP reloads: the file and the command line are loaded again as at
 * start; cfg_reload() applies the options the table marks CFG_F_RELOAD
 * and keeps the others (logged as needing a restart); main.c then hands
 * the new limits to the modules that copied them (the writer thread,
 * the log level). Connections are not touched.
 *
 * Exit status: 0 after a clean shutdown (SIGTERM or SIGINT) or after
 * -n, --help and --dump-config; 1 when the daemon cannot start.
 */
#include <sys/resource.h>

#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <event2/event.h>
#include <event2/thread.h>

#include <openssl/ssl.h>

#include "daemon.h"
#include "index.h"
#include "log.h"
#include "store.h"

#define MAIN_NSIGNALS	3

static const int main_signals[MAIN_NSIGNALS] = { SIGTERM, SIGINT, SIGHUP };

/*
 * -n: the TLS files must load too (a certificate that does not match
 * its key is a configuration error). Exits 1 with the reason if not.
 */
static void
main_check_tls(const struct cfg *cf)
{
	struct ssl_ctx_st *ctx;
	char err[1024], warn[512];

	if (!tls_wanted(cf))
		return;
	if (tls_ctx_new(cf, &ctx, warn, sizeof(warn), err, sizeof(err)) ==
	    -1) {
		fprintf(stderr, "algauditd: %s\n", err);
		exit(1);
	}
	if (warn[0] != '\0')
		fprintf(stderr, "algauditd: warning: %s\n", warn);
	SSL_CTX_free(ctx);
}

/*
 * Loads the configuration file and the command line; exits for errors
 * ("FILE:LINE: message" or "algauditd: --option: message" on stderr),
 * -n, --help and --dump-config.
 */
static void
main_config(struct cfg *cf, int argc, char *argv[])
{
	char err[1024];
	int rc;

	if ((rc = cfg_load(cf, argc, argv, err, sizeof(err))) != 0) {
		if (rc == CFG_EFILE)
			fprintf(stderr, "%s\n", err);
		else
			fprintf(stderr, "algauditd: %s\n", err);
		exit(1);
	}
	switch (cf->cf_mode) {
	case CFG_MODE_HELP:
		cfg_usage(stdout);
		exit(0);
	case CFG_MODE_DUMP:
		cfg_dump(cf, stdout);
		exit(0);
	case CFG_MODE_CHECK:
		main_check_tls(cf);
		printf("configuration OK\n");
		exit(0);
	default:
		break;
	}
}

/* Logs one option that a reload changed, or could not change. */
static void
main_reload_cb(const char *name, const char *was, const char *now,
    int applied, void *arg)
{
	int *restart = arg;

	if (applied)
		log_info("SIGHUP: %s: %s -> %s", name, was, now);
	else {
		log_warnx("SIGHUP: %s: '%s' -> '%s' needs a restart; keeping "
		    "'%s'", name, was, now, was);
		(*restart)++;
	}
}

/*
 * SIGHUP: loads the file and the command line again and applies what
 * may change while running. A file that does not load changes nothing.
 */
static void
main_reload(struct daemon *d)
{
	struct cfg *next;
	char err[1024];
	int changed, restart = 0, v;

	if (d->d_cfg.cf_file[0] == '\0') {
		/* Rotated certificates are read again all the same. */
		if (d->d_tls != NULL)
			(void)tls_reload(d, &d->d_cfg);
		else
			log_info("SIGHUP: no configuration file (-f); nothing "
			    "to reload");
		return;
	}
	if ((next = malloc(sizeof(*next))) == NULL) {
		log_warn("SIGHUP: reload");
		return;
	}
	if (cfg_load(next, d->d_argc, d->d_argv, err, sizeof(err)) != 0) {
		log_warnx("SIGHUP: %s; keeping the running configuration",
		    err);
		free(next);
		return;
	}
	/*
	 * New TLS connections get the certificates as they are now, read
	 * before anything is applied: if they do not load, the TLS options
	 * keep what the context in force was built from, so that the
	 * configuration never claims a client CA that is not asked for.
	 */
	if (tls_reload(d, next) == -1) {
		memcpy(next->cf_tls_cert, d->d_cfg.cf_tls_cert,
		    sizeof(next->cf_tls_cert));
		memcpy(next->cf_tls_key, d->d_cfg.cf_tls_key,
		    sizeof(next->cf_tls_key));
		memcpy(next->cf_tls_client_ca, d->d_cfg.cf_tls_client_ca,
		    sizeof(next->cf_tls_client_ca));
	}
	changed = cfg_reload(&d->d_cfg, next, main_reload_cb, &restart);
	free(next);
	v = d->d_cfg.cf_verbose;
	if (v != log_getverbose()) {
		/* libevent's debug switch is start-up only (event.h). */
		if (v >= 2 && log_getverbose() < 2) {
			log_warnx("SIGHUP: verbose %d: libevent's own debug "
			    "messages need a restart; ours are on", v);
			v = 1;
		}
		log_setverbose(v);
	}
	writer_set_limits(d->d_writer, d->d_cfg.cf_commit_max,
	    d->d_cfg.cf_ckpt_entries, d->d_cfg.cf_ckpt_interval);
	writer_set_store_limits(d->d_writer, d->d_cfg.cf_store_full,
	    d->d_cfg.cf_max_store_size, d->d_cfg.cf_free_warn,
	    d->d_cfg.cf_free_crit);
	/* A higher --max-pending may let paused producers go on. */
	conn_after_done(d);
	/* Who may write, as the new rules say (new Hellos use them). */
	listener_log_access(d);
	log_info("SIGHUP: %s reloaded: %d options changed, %d of them need "
	    "a restart", d->d_cfg.cf_file, changed, restart);
}

/* Signal events: SIGTERM/SIGINT stop gracefully, SIGHUP reloads. */
static void
main_signal_cb(evutil_socket_t sig, short events, void *arg)
{
	struct daemon *d = arg;

	(void)events;
	if (sig == SIGHUP) {
		if (d->d_stopping)
			log_info("SIGHUP: shutting down; not reloading");
		else
			main_reload(d);
		return;
	}
	log_info("%s: shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
	listener_stop_all(d);
	writer_shutdown(d->d_writer);
	conn_stop_all(d);
}

/* Opens the store and reads its origin and log size. */
static int
main_open_store(struct daemon *d, uint64_t *log_size)
{
	struct store_info si;
	struct index_info ii;
	const char *origin;
	int rc;

	origin = d->d_cfg.cf_origin[0] != '\0' ? d->d_cfg.cf_origin : NULL;
	rc = store_open(&d->d_store, d->d_cfg.cf_store, STORE_CREATE, origin);
	if (rc != 0) {
		log_warnx("store %s: cannot open: %s%s", d->d_cfg.cf_store,
		    store_strerror(rc), rc == STORE_ELOCKED ?
		    " (is another algauditd running on it?)" : "");
		return -1;
	}
	(void)health_reader_check(d->d_store);
	if ((rc = store_info(d->d_store, &si)) != 0) {
		log_warnx("store %s: %s", d->d_cfg.cf_store,
		    store_strerror(rc));
		return -1;
	}
	snprintf(d->d_origin, sizeof(d->d_origin), "%s", si.si_origin);
	*log_size = si.si_entries;
	log_info("store %s: origin '%s', %" PRIu64 " entries, %" PRIu64
	    " producers", d->d_cfg.cf_store, d->d_origin, si.si_entries,
	    si.si_producers);
	if ((rc = store_index_info(d->d_store, &ii)) != 0) {
		log_warnx("store %s: index meta: %s", d->d_cfg.cf_store,
		    store_strerror(rc));
		return -1;
	}
	if (ii.ii_from == UINT64_MAX)
		log_warnx("store %s: a reindex did not finish; queries are "
		    "refused until `algaudit reindex --store %s` completes "
		    "(new entries are indexed meanwhile)", d->d_cfg.cf_store,
		    d->d_cfg.cf_store);
	else if (ii.ii_from > 0)
		log_warnx("store %s: the %" PRIu64 " entries written before "
		    "indexes existed are not indexed; queries are refused "
		    "until `algaudit reindex --store %s` (daemon stopped)",
		    d->d_cfg.cf_store, ii.ii_from, d->d_cfg.cf_store);
	return 0;
}

/* Warns when --max-connections exceeds the descriptors we may open. */
static void
main_check_rlimit(const struct daemon *d)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY &&
	    (uint64_t)rl.rlim_cur < d->d_cfg.cf_max_conns + 64)
		log_warnx("--max-connections is %" PRIu64 " but only %" PRIu64
		    " descriptors may be open (ulimit -n); accepting will "
		    "pause when they run out", d->d_cfg.cf_max_conns,
		    (uint64_t)rl.rlim_cur);
}

/* Starts everything, in order; returns 0, or -1 after logging why. */
static int
main_start(struct daemon *d, struct event **sigs)
{
	uint64_t log_size;
	int i;

	/*
	 * Sockets first: a second daemon fails before it touches a store.
	 * Nothing is accepted before the loop runs, by then all is ready.
	 */
	TAILQ_INIT(&d->d_listeners);
	if (conn_init(d) == -1 || tls_start(d) == -1 ||
	    listener_start_all(d) == -1 ||
	    metrics_new(d) == -1 || metrics_start(d) == -1 ||
	    main_open_store(d, &log_size) == -1 || tlog_open(d) == -1 ||
	    writer_start(d, log_size) == -1)
		return -1;
	for (i = 0; i < MAIN_NSIGNALS; i++)
		if ((sigs[i] = evsignal_new(d->d_base, main_signals[i],
		    main_signal_cb, d)) == NULL || evsignal_add(sigs[i],
		    NULL) == -1) {
			log_warnx("cannot watch signal %d", main_signals[i]);
			return -1;
		}
	main_check_rlimit(d);
	return 0;
}

/* Tears down in reverse order; each step accepts what was not made. */
static void
main_stop(struct daemon *d, struct event **sigs)
{
	int i;

	listener_free_all(d);
	writer_stop(d);
	conn_free_all(d);
	metrics_free(d);
	tls_stop(d);
	tlog_close(d);
	for (i = 0; i < MAIN_NSIGNALS; i++)
		if (sigs[i] != NULL)
			event_free(sigs[i]);
	store_close(d->d_store);
	event_base_free(d->d_base);
}

/* Runs algauditd; see the top of this file for the exit status. */
int
main(int argc, char *argv[])
{
	struct event *sigs[MAIN_NSIGNALS] = { NULL };
	struct daemon d;
	char where[2048];
	int rc = 1;

	memset(&d, 0, sizeof(d));
	d.d_reserve_fd = -1;
	d.d_argc = argc;
	d.d_argv = argv;
	main_config(&d.d_cfg, argc, argv);
	log_init(d.d_cfg.cf_foreground, LOG_DAEMON);
	log_setverbose(d.d_cfg.cf_verbose);
	if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
		fatal("signal(SIGPIPE)");
	if (evthread_use_pthreads() == -1)
		fatalx("libevent: no pthreads support");
	if ((d.d_base = event_base_new()) == NULL)
		fatalx("libevent: cannot create the event base");
	if (main_start(&d, sigs) == 0) {
		listener_describe(&d, where, sizeof(where));
		log_info("ready: listening on %s", where);
		if (event_base_dispatch(d.d_base) == 0)
			rc = 0;
		else
			log_warnx("libevent: the event loop failed");
	} else
		log_warnx("startup failed; exiting");
	main_stop(&d, sigs);
	if (rc == 0)
		log_info("shutdown complete");
	return rc;
}
