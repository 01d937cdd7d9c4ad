/* SPDX-License-Identifier: ISC */
/*
 * listener.c: the sockets algauditd accepts producers on.
 *
 * One evconnlistener per --listen endpoint (a TCP host that resolves to
 * several addresses gets one per address). A Unix socket is created
 * with mode 0600 and then given --socket-group and --socket-mode
 * (default 0660) before it listens; a stale socket file left by a dead
 * daemon is removed, a live one means another algauditd is running and
 * start-up fails. The socket file is removed again at shutdown.
 * A tls: endpoint is a TCP listener whose connections conn.c wraps in
 * TLS (tls.c). Plain tcp: endpoints must be on loopback addresses
 * unless --tcp-allow-remote says otherwise.
 * Accepted sockets are handed to conn.c with the peer's identity:
 * SO_PEERCRED uid/gid/pid on a Unix socket, "ip:port" on TCP; conn.c
 * checks it against the allow rules (listener_peer_groups() gives it
 * the peer's supplementary groups). When accept() runs out of
 * descriptors (EMFILE, ENFILE) a reserve descriptor is given up to
 * accept one waiting peer and close it at once, so that peers are told
 * rather than left hanging, and the listeners pause for a second
 * instead of spinning; beyond --max-connections new sockets are closed
 * at once. This file never reads or writes a connection.
 */
#define _GNU_SOURCE		/* struct ucred for SO_PEERCRED */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#include "daemon.h"
#include "log.h"

#define LISTENER_BACKLOG	512
#define LISTENER_PAUSE_SEC	1	/* back-off after EMFILE/ENFILE */
#define LISTENER_GROUPS		64	/* supplementary groups, first try */
#define LISTENER_SHED_MAX	1024	/* peers closed per EMFILE */
#define LISTENER_WARN_MS	60000	/* EMFILE warning at most this often */

struct listener {
	TAILQ_ENTRY(listener)	 l_entry;
	struct daemon		*l_d;
	const struct cfg_endpoint *l_ep;
	struct evconnlistener	*l_evl;
	char			 l_name[CFG_ENDPOINT_MAX + 64];
	int			 l_unix;
	int			 l_tls;		/* a tls: endpoint */
	int			 l_unlink;	/* we created l_ep->ep_path */
	dev_t			 l_dev;		/* the socket file we made */
	ino_t			 l_ino;
};

static void	 listener_reserve(struct daemon *);

/*
 * Reads the supplementary groups of the peer of Unix socket fd, as the
 * kernel recorded them at connect (SO_PEERGROUPS), into a new array.
 * Returns 0 with *groups (caller frees; NULL when *n is 0) and *n set,
 * or -1 with errno set.
 */
int
listener_peer_groups(int fd, uint32_t **groups, size_t *n)
{
	gid_t small[LISTENER_GROUPS], *buf = small;
	socklen_t len = sizeof(small);
	size_t i, k;
	int rc;

	*groups = NULL;
	*n = 0;
	rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, &len);
	if (rc == -1 && errno == ERANGE) {
		/* len is now what the peer's groups need. */
		if ((buf = malloc(len > 0 ? len : 1)) == NULL)
			return -1;
		rc = getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, buf, &len);
	}
	if (rc == -1)
		goto out;
	k = len / sizeof(gid_t);
	if (k > 0) {
		if ((*groups = calloc(k, sizeof(**groups))) == NULL) {
			rc = -1;
			goto out;
		}
		for (i = 0; i < k; i++)
			(*groups)[i] = (uint32_t)buf[i];
		*n = k;
	}
out:
	if (buf != small)
		free(buf);
	return rc == -1 ? -1 : 0;
}

/* Fills p from an accepted socket: credentials or "ip:port". */
static void
listener_peer(struct listener *l, int fd, const struct sockaddr *sa,
    struct peer *p)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	struct ucred uc;
	socklen_t len = sizeof(uc);
	char host[INET6_ADDRSTRLEN];

	memset(p, 0, sizeof(*p));
	if (l->l_unix) {
		snprintf(p->p_addr, sizeof(p->p_addr), "unix");
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0) {
			p->p_has_cred = 1;
			p->p_uid = (uint32_t)uc.uid;
			p->p_gid = (uint32_t)uc.gid;
			p->p_pid = (uint32_t)uc.pid;
		} else
			log_warn("%s: SO_PEERCRED", l->l_name);
		return;
	}
	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		inet_ntop(AF_INET, &sin->sin_addr, host, sizeof(host));
		snprintf(p->p_addr, sizeof(p->p_addr), "%s:%u", host,
		    ntohs(sin->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof(host));
		snprintf(p->p_addr, sizeof(p->p_addr), "[%s]:%u", host,
		    ntohs(sin6->sin6_port));
	} else
		snprintf(p->p_addr, sizeof(p->p_addr), "unknown");
}

/* A new socket: hand it to conn.c, or close it beyond the limit. */
static void
listener_accept_cb(struct evconnlistener *evl, evutil_socket_t fd,
    struct sockaddr *sa, int salen, void *arg)
{
	struct listener *l = arg;
	struct daemon *d = l->l_d;
	struct peer p;
	char who[64];

	(void)evl;
	(void)salen;
	if (d->d_accept_logged) {
		log_info("%s: accepting again", l->l_name);
		d->d_accept_logged = 0;
	}
	listener_peer(l, fd, sa, &p);
	p.p_tls = l->l_tls;
	if (d->d_nconns >= d->d_cfg.cf_max_conns) {
		if (!d->d_refusing) {
			if (p.p_has_cred)
				snprintf(who, sizeof(who), "uid %u pid %u",
				    p.p_uid, p.p_pid);
			else
				snprintf(who, sizeof(who), "%s", p.p_addr);
			log_warnx("%s: %zu connections open, the limit of "
			    "--max-connections; closing new ones (first: "
			    "%s)", l->l_name, d->d_nconns, who);
		}
		d->d_refusing = 1;
		evutil_closesocket(fd);
		return;
	}
	if (d->d_refusing) {
		log_info("%s: below --max-connections again; accepting",
		    l->l_name);
		d->d_refusing = 0;
	}
	conn_accept(d, fd, &p);
}

/* Enables or disables accepting on every listener. */
static void
listener_set_all(struct daemon *d, int on)
{
	struct listener *l;

	TAILQ_FOREACH(l, &d->d_listeners, l_entry) {
		if (l->l_evl == NULL)
			continue;
		if (on)
			evconnlistener_enable(l->l_evl);
		else
			evconnlistener_disable(l->l_evl);
	}
}

/* The back-off timer ran out: accept again (unless shutting down). */
static void
listener_resume_cb(evutil_socket_t fd, short events, void *arg)
{
	struct daemon *d = arg;

	(void)fd;
	(void)events;
	d->d_accept_paused = 0;
	if (d->d_stopping)
		return;
	listener_reserve(d);
	log_debug("listener: accepting again after the back-off");
	listener_set_all(d, 1);
}

/*
 * Takes the reserve descriptor (listener_shed() gives it up when
 * descriptors run out) unless it is held. Failing is logged once and
 * retried when accepting resumes.
 */
static void
listener_reserve(struct daemon *d)
{
	if (d->d_reserve_fd != -1)
		return;
	d->d_reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (d->d_reserve_fd == -1 && !d->d_reserve_logged) {
		log_warn("listener: cannot take back the reserve descriptor; "
		    "peers wait for the accept pause to end until it is");
		d->d_reserve_logged = 1;
	} else if (d->d_reserve_fd != -1)
		d->d_reserve_logged = 0;
}

/*
 * Out of descriptors: frees the reserve descriptor and with it accepts
 * the peers waiting in the backlog one at a time, closing each at once
 * (a peer sees its connection end and retries later, rather than hang
 * until it gives up), then takes the reserve back. At most
 * LISTENER_SHED_MAX per call; best effort: the reserve may be gone.
 */
static void
listener_shed(struct listener *l)
{
	struct daemon *d = l->l_d;
	int fd, i;

	if (d->d_reserve_fd == -1)
		return;
	close(d->d_reserve_fd);
	d->d_reserve_fd = -1;
	for (i = 0; i < LISTENER_SHED_MAX; i++) {
		fd = accept4(evconnlistener_get_fd(l->l_evl), NULL, NULL,
		    SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd == -1)
			break;
		close(fd);
		d->d_shed++;
	}
	listener_reserve(d);
}

/* Returns a monotonic clock in ms (never 0 in practice). */
static uint64_t
listener_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * accept() failed with an error that retrying will not fix soon: out of
 * descriptors or memory. Sheds one waiting peer and pauses every
 * listener for a second.
 */
static void
listener_error_cb(struct evconnlistener *evl, void *arg)
{
	struct listener *l = arg;
	struct daemon *d = l->l_d;
	struct timeval tv = { LISTENER_PAUSE_SEC, 0 };
	int err = EVUTIL_SOCKET_ERROR();
	uint64_t now;

	(void)evl;
	if (err != EMFILE && err != ENFILE && err != ENOBUFS &&
	    err != ENOMEM) {
		errno = err;
		log_warn("%s: accept", l->l_name);
		return;
	}
	if (d->d_accept_paused)
		return;
	listener_shed(l);
	errno = err;
	/*
	 * Once per episode, and episodes that flap (a descriptor freed,
	 * one accept, out again) at most once a minute; else at debug.
	 */
	now = listener_mono_ms();
	if (!d->d_accept_logged && (d->d_accept_warn_ms == 0 ||
	    now - d->d_accept_warn_ms >= LISTENER_WARN_MS)) {
		log_warn("%s: accept failed; pausing accepts for %d s at a "
		    "time until descriptors are free (waiting peers are "
		    "closed)", l->l_name, LISTENER_PAUSE_SEC);
		d->d_accept_logged = 1;
		d->d_accept_warn_ms = now;
	} else
		log_debug("%s: accept still failing; pausing again",
		    l->l_name);
	d->d_accept_paused = 1;
	listener_set_all(d, 0);
	if (evtimer_add(d->d_accept_timer, &tv) == -1) {
		log_warnx("listener: cannot arm the back-off timer; "
		    "accepting again now");
		d->d_accept_paused = 0;
		listener_set_all(d, 1);
	}
}

/*
 * Checks an existing Unix socket path: a stale socket (nobody answers)
 * is removed; a live daemon, or a file that is not a socket, is an
 * error. Returns 0 when the path is free, -1 after logging.
 */
static int
listener_unix_stale(const char *path, const struct sockaddr_un *sun)
{
	struct stat st;
	int fd, rc, err;

	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		log_warn("unix:%s: stat", path);
		return -1;
	}
	if (!S_ISSOCK(st.st_mode)) {
		log_warnx("unix:%s: exists and is not a socket; not touching "
		    "it", path);
		return -1;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1) {
		log_warn("unix:%s: socket", path);
		return -1;
	}
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	err = errno;
	close(fd);
	if (rc == 0) {
		log_warnx("unix:%s: another algauditd is already running "
		    "(it answers on this socket)", path);
		return -1;
	}
	if (err != ECONNREFUSED) {
		errno = err;
		log_warn("unix:%s: cannot tell whether a daemon answers",
		    path);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		log_warn("unix:%s: cannot remove the stale socket", path);
		return -1;
	}
	log_info("unix:%s: removed a stale socket", path);
	return 0;
}

/*
 * Gives the socket file just bound its group (--socket-group) and mode
 * (--socket-mode). Until then it is 0600, so nobody else could connect
 * in between. Returns 0, or -1 after logging.
 */
static int
listener_unix_access(struct listener *l)
{
	const struct cfg *cf = &l->l_d->d_cfg;
	const char *path = l->l_ep->ep_path;
	char err[256], group[CFG_GROUP_MAX + 32];
	uint32_t gid;

	group[0] = '\0';
	if (cf->cf_socket_group[0] != '\0') {
		/* Resolved again: the name may have changed since -n. */
		if (allow_group_id(cf->cf_socket_group, &gid, err,
		    sizeof(err)) == -1) {
			log_warnx("%s: --socket-group: %s", l->l_name, err);
			return -1;
		}
		if (chown(path, (uid_t)-1, (gid_t)gid) == -1) {
			log_warn("%s: cannot give the socket group %s (gid "
			    "%u)", l->l_name, cf->cf_socket_group, gid);
			return -1;
		}
		snprintf(group, sizeof(group), ", group %s (gid %u)",
		    cf->cf_socket_group, gid);
	}
	if (chmod(path, (mode_t)cf->cf_socket_mode) == -1) {
		log_warn("%s: cannot give the socket mode %04o", l->l_name,
		    (unsigned)cf->cf_socket_mode);
		return -1;
	}
	log_info("%s: socket mode %04o%s", l->l_name,
	    (unsigned)cf->cf_socket_mode, group);
	return 0;
}

/*
 * Creates, binds and listens on a Unix socket, with the configured
 * mode and group.
 */
static int
listener_open_unix(struct listener *l)
{
	const char *path = l->l_ep->ep_path;
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, path, strlen(path) + 1);
	if (listener_unix_stale(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) == -1) {
		log_warn("%s: socket", l->l_name);
		return -1;
	}
	/* The umask makes the file 0600 from its creation on. */
	old = umask(0177);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1) {
		log_warn("%s: bind", l->l_name);
		close(fd);
		return -1;
	}
	l->l_unlink = 1;
	if (stat(path, &st) == 0) {
		l->l_dev = st.st_dev;
		l->l_ino = st.st_ino;
	}
	if (listener_unix_access(l) == -1) {
		close(fd);
		return -1;
	}
	l->l_evl = evconnlistener_new(l->l_d->d_base, listener_accept_cb, l,
	    LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, LISTENER_BACKLOG,
	    fd);
	if (l->l_evl == NULL) {
		log_warn("%s: listen", l->l_name);
		close(fd);
		return -1;
	}
	return 0;
}

/* Returns 1 when sa is a loopback address (127/8, ::1, ::ffff:127/104). */
static int
listener_is_loopback(const struct sockaddr *sa)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	const uint8_t *a;

	if (sa->sa_family == AF_INET) {
		sin = (const struct sockaddr_in *)(const void *)sa;
		return (ntohl(sin->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)(const void *)sa;
		a = sin6->sin6_addr.s6_addr;
		if (IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr))
			return 1;
		return IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr) && a[12] == 127;
	}
	return 0;
}

/* Allocates a listener for ep with a printable name, linked into d. */
static struct listener *
listener_new(struct daemon *d, const struct cfg_endpoint *ep,
    const char *name)
{
	struct listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL) {
		log_warn("%s", name);
		return NULL;
	}
	l->l_d = d;
	l->l_ep = ep;
	l->l_unix = ep->ep_type == CFG_EP_UNIX;
	snprintf(l->l_name, sizeof(l->l_name), "%s", name);
	TAILQ_INSERT_TAIL(&d->d_listeners, l, l_entry);
	return l;
}

/*
 * Binds every address a tcp:HOST:PORT or tls:HOST:PORT endpoint
 * resolves to. Plain TCP beyond loopback only with --tcp-allow-remote,
 * and then with a warning.
 */
static int
listener_open_tcp(struct daemon *d, const struct cfg_endpoint *ep)
{
	struct addrinfo hints, *res, *ai;
	struct listener *l;
	char host[NI_MAXHOST], serv[NI_MAXSERV], name[CFG_ENDPOINT_MAX + 64];
	int rc, n = 0;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((rc = getaddrinfo(ep->ep_host, ep->ep_port, &hints, &res)) != 0) {
		log_warnx("%s: cannot resolve '%s': %s", ep->ep_text,
		    ep->ep_host, gai_strerror(rc));
		return -1;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		if (getnameinfo(ai->ai_addr, ai->ai_addrlen, host, sizeof(host),
		    serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
			snprintf(host, sizeof(host), "?");
		snprintf(name, sizeof(name), ai->ai_family == AF_INET6 ?
		    "%.3s:[%s]:%s" : "%.3s:%s:%s", ep->ep_text, host,
		    ep->ep_port);
		if (ep->ep_type == CFG_EP_TCP &&
		    !listener_is_loopback(ai->ai_addr) &&
		    !d->d_cfg.cf_tcp_remote) {
			log_warnx("%s: not a loopback address: plain TCP would "
			    "carry records unencrypted and unauthenticated; "
			    "use tls:%s:%s, or set tcp-allow-remote", name,
			    ep->ep_host, ep->ep_port);
			n = -1;
			break;
		}
		if ((l = listener_new(d, ep, name)) == NULL)
			break;
		l->l_tls = ep->ep_type == CFG_EP_TLS;
		l->l_evl = evconnlistener_new_bind(d->d_base,
		    listener_accept_cb, l, LEV_OPT_CLOSE_ON_FREE |
		    LEV_OPT_CLOSE_ON_EXEC | LEV_OPT_REUSEABLE |
		    (ai->ai_family == AF_INET6 ? LEV_OPT_BIND_IPV6ONLY : 0),
		    LISTENER_BACKLOG, ai->ai_addr, (int)ai->ai_addrlen);
		if (l->l_evl == NULL) {
			log_warn("%s: bind", name);
			n = -1;
			break;
		}
		if (!l->l_tls && !listener_is_loopback(ai->ai_addr))
			log_warnx("%s: not a loopback address; records travel "
			    "unencrypted and unauthenticated "
			    "(tcp-allow-remote)", name);
		n++;
	}
	freeaddrinfo(res);
	return n > 0 ? 0 : -1;
}

/*
 * Logs who may write: loudly when no allow rule restricts the Unix
 * sockets, and that TCP peers are never checked against the rules. At
 * start and after every SIGHUP.
 */
void
listener_log_access(const struct daemon *d)
{
	const struct cfg *cf = &d->d_cfg;
	size_t i;
	int tcp = 0, unx = 0, tls = 0;

	for (i = 0; i < cf->cf_nlisten; i++) {
		if (cf->cf_listen[i].ep_type == CFG_EP_TCP)
			tcp = 1;
		else if (cf->cf_listen[i].ep_type == CFG_EP_TLS)
			tls = 1;
		else
			unx = 1;
	}
	if (tls && cf->cf_tls_client_ca[0] == '\0' && cf->cf_nallow == 0)
		log_warnx("access: TLS peers are not authenticated (no "
		    "tls-client-ca): any process that reaches a tls: listener "
		    "may write as any producer id");
	else if (tls && cf->cf_tls_client_ca[0] == '\0')
		log_warnx("access: TLS peers cannot be identified (no "
		    "tls-client-ca) and allow rules are in force: every TLS "
		    "peer is refused");
	else if (tls && cf->cf_nallow == 0)
		log_warnx("access: no allow rules: any TLS peer with a "
		    "certificate from %s may write as any producer id "
		    "(restrict it with cn: allow rules)",
		    cf->cf_tls_client_ca);
	else if (tls)
		log_info("access: a TLS peer whose certificate's common name "
		    "matches no cn: allow rule is refused, and may use only "
		    "the producer ids of the rules it matches");
	if (unx && cf->cf_nallow == 0)
		log_warnx("access: no allow rules: any local process that can "
		    "connect to the Unix socket may write as any producer id "
		    "(restrict it with allow rules; docs/OPERATIONS.md)");
	else if (unx)
		log_info("access: %zu allow rules; a Unix socket peer that "
		    "matches none is refused, and may use only the producer "
		    "ids of the rules it matches", cf->cf_nallow);
	if (tcp && cf->cf_nallow == 0)
		log_warnx("access: TCP peers are not authenticated: any "
		    "process that reaches a TCP listener may write as any "
		    "producer id; keep plain TCP on loopback");
	else if (tcp)
		log_warnx("access: TCP peers cannot be identified and allow "
		    "rules are in force: every plain TCP peer is refused (use "
		    "the Unix socket, or TLS with client certificates)");
}

/*
 * Opens every configured endpoint and starts accepting (once the loop
 * runs). Returns 0, or -1 after logging; then listener_free_all()
 * cleans up what was opened.
 */
int
listener_start_all(struct daemon *d)
{
	const struct cfg_endpoint *ep;
	struct listener *l;
	size_t i;

	/* Given up when descriptors run out: listener_shed(). */
	listener_reserve(d);
	if (d->d_reserve_fd == -1)
		return -1;
	d->d_accept_timer = evtimer_new(d->d_base, listener_resume_cb, d);
	if (d->d_accept_timer == NULL) {
		log_warnx("listener: cannot create the back-off timer");
		return -1;
	}
	for (i = 0; i < d->d_cfg.cf_nlisten; i++) {
		ep = &d->d_cfg.cf_listen[i];
		if (ep->ep_type == CFG_EP_TCP || ep->ep_type == CFG_EP_TLS) {
			if (listener_open_tcp(d, ep) == -1)
				return -1;
			continue;
		}
		if ((l = listener_new(d, ep, ep->ep_text)) == NULL ||
		    listener_open_unix(l) == -1)
			return -1;
	}
	TAILQ_FOREACH(l, &d->d_listeners, l_entry)
		evconnlistener_set_error_cb(l->l_evl, listener_error_cb);
	listener_log_access(d);
	return 0;
}

/* Writes "unix:... tcp:..." (what we listen on) into buf. */
void
listener_describe(const struct daemon *d, char *buf, size_t len)
{
	const struct listener *l;
	size_t off = 0;
	int n;

	buf[0] = '\0';
	TAILQ_FOREACH(l, &d->d_listeners, l_entry) {
		n = snprintf(buf + off, len - off, "%s%s", off ? " " : "",
		    l->l_name);
		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
}

/* Stops accepting on every listener (shutdown); sockets stay open. */
void
listener_stop_all(struct daemon *d)
{
	if (d->d_accept_timer != NULL)
		evtimer_del(d->d_accept_timer);
	listener_set_all(d, 0);
}

/*
 * Closes every listener and removes the Unix socket files we created
 * (only if the file is still ours: same device and inode).
 */
void
listener_free_all(struct daemon *d)
{
	struct listener *l;
	struct stat st;

	while ((l = TAILQ_FIRST(&d->d_listeners)) != NULL) {
		TAILQ_REMOVE(&d->d_listeners, l, l_entry);
		if (l->l_evl != NULL)
			evconnlistener_free(l->l_evl);
		if (l->l_unlink && stat(l->l_ep->ep_path, &st) == 0 &&
		    st.st_dev == l->l_dev && st.st_ino == l->l_ino &&
		    unlink(l->l_ep->ep_path) == -1)
			log_warn("%s: unlink", l->l_name);
		free(l);
	}
	if (d->d_accept_timer != NULL) {
		event_free(d->d_accept_timer);
		d->d_accept_timer = NULL;
	}
	if (d->d_reserve_fd != -1)
		close(d->d_reserve_fd);
	d->d_reserve_fd = -1;
}
