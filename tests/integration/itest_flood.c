/* SPDX-License-Identifier: ISC */
/*
 * itest_flood.c: many connections at once, for the descriptor-limit
 * test (t_fdlimit.sh). It opens N non-blocking connections to the
 * daemon's Unix socket as fast as it can, sends a Hello on each
 * (producer NAME-i, so that none fences another), prints
 *
 *   flood connected C of N
 *
 * and then, for SECS seconds, reads what the daemon answers on each: a
 * Welcome, an Error frame, or the end of the connection (EOF or reset:
 * closed without a word). Then it prints
 *
 *   flood opened N connect_failed F welcomed W errors E closed C
 *   unanswered U first_answer_ms A last_answer_ms L
 *
 * (F: connect() refused, e.g. the listen backlog was full; a Welcome
 * that is followed by the close counts as welcomed; U: no answer at all
 * within SECS; A and L: the first and the last answer after the start),
 * closes everything and exits 0. It never retries. It raises its own
 * descriptor limit to the hard limit when N needs it.
 *
 * usage: itest_flood --connect unix:PATH --producer NAME --count N
 *	      --hold SECS
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"

#define FLOOD_MAX	100000
#define FLOOD_IN_MAX	4096	/* a Welcome or an Error fits */

enum flood_state {
	FLOOD_WAITING = 0,	/* connected, nothing heard */
	FLOOD_WELCOMED,
	FLOOD_ERROR,		/* an Error frame */
	FLOOD_CLOSED,		/* EOF or reset without a frame */
	FLOOD_FAILED		/* connect() or the Hello failed */
};

struct flood_conn {
	int		 fc_fd;
	int		 fc_state;	/* FLOOD_* */
	size_t		 fc_inlen;
	uint8_t		 fc_in[FLOOD_IN_MAX];
};

/* Returns CLOCK_MONOTONIC in ms. */
static double
flood_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Encodes a Hello of producer name into buf (len bytes); its size, or 0. */
static size_t
flood_hello(const char *name, uint8_t *buf, size_t len)
{
	Algaudit__V1__ClientFrame cf = ALGAUDIT__V1__CLIENT_FRAME__INIT;
	Algaudit__V1__Hello h = ALGAUDIT__V1__HELLO__INIT;
	size_t n;

	h.has_protocol_version = 1;
	h.protocol_version = 1;
	h.producer_id = (char *)(uintptr_t)name;
	h.client_version = (char *)(uintptr_t)"itest_flood";
	cf.msg_case = ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO;
	cf.hello = &h;
	if ((n = frame_size(&cf.base)) > len)
		return 0;
	frame_encode(&cf.base, buf);
	return n;
}

/*
 * Opens a non-blocking connection to path and sends the Hello of
 * producer name; sets fc's state. Returns 0 when connected.
 */
static int
flood_open(struct flood_conn *fc, const char *path, const char *name)
{
	struct sockaddr_un sun;
	uint8_t hello[512];
	size_t hlen;
	ssize_t n;

	fc->fc_state = FLOOD_FAILED;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fc->fc_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0))
	    == -1)
		return -1;
	/* A Unix socket connects at once or fails (EAGAIN: backlog full). */
	if (connect(fc->fc_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fc->fc_fd);
		fc->fc_fd = -1;
		return -1;
	}
	fc->fc_state = FLOOD_WAITING;
	if ((hlen = flood_hello(name, hello, sizeof(hello))) == 0)
		return -1;
	n = send(fc->fc_fd, hello, hlen, MSG_NOSIGNAL);
	if (n == -1 && (errno == EPIPE || errno == ECONNRESET))
		fc->fc_state = FLOOD_CLOSED;	/* closed before the Hello */
	else if (n != (ssize_t)hlen)
		fc->fc_state = FLOOD_FAILED;
	return 0;
}

/* Reads what fc has; sets its state once the daemon said something. */
static void
flood_read(struct flood_conn *fc)
{
	Algaudit__V1__ServerFrame *sf;
	struct frame_alloc fa;
	uint32_t len;
	ssize_t n;

	n = recv(fc->fc_fd, fc->fc_in + fc->fc_inlen,
	    sizeof(fc->fc_in) - fc->fc_inlen, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0 || fc->fc_inlen + (size_t)n == sizeof(fc->fc_in)) {
		/* EOF, reset, or more than an answer: the end of it. */
		fc->fc_state = FLOOD_CLOSED;
		return;
	}
	fc->fc_inlen += (size_t)n;
	if (fc->fc_inlen < FRAME_HEADER_LEN)
		return;
	len = frame_body_len(fc->fc_in);
	if (len > sizeof(fc->fc_in) - FRAME_HEADER_LEN) {
		fc->fc_state = FLOOD_CLOSED;
		return;
	}
	if (fc->fc_inlen < FRAME_HEADER_LEN + len)
		return;
	frame_alloc_init(&fa, frame_unpack_cap(len));
	sf = frame_unpack_server(&fa, fc->fc_in + FRAME_HEADER_LEN, len);
	if (sf != NULL && sf->msg_case ==
	    ALGAUDIT__V1__SERVER_FRAME__MSG_WELCOME)
		fc->fc_state = FLOOD_WELCOMED;
	else if (sf != NULL && sf->msg_case ==
	    ALGAUDIT__V1__SERVER_FRAME__MSG_ERROR)
		fc->fc_state = FLOOD_ERROR;
	else
		fc->fc_state = FLOOD_CLOSED;
	if (sf != NULL)
		frame_free_server(&fa, sf);
	else
		frame_alloc_release(&fa);
}

/* Raises the soft descriptor limit to fit n connections. */
static void
flood_rlimit(size_t n)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= n + 16)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > n + 16 ?
	    n + 16 : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1)
		perror("itest_flood: setrlimit");
}

static void __attribute__((noreturn))
flood_usage(void)
{
	fprintf(stderr, "usage: itest_flood --connect unix:PATH --producer "
	    "NAME --count N --hold SECS\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "producer", required_argument, NULL, 'p' },
		{ "count", required_argument, NULL, 'n' },
		{ "hold", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct flood_conn *fc;
	struct pollfd *pfd;
	const char *endpoint = NULL, *name = NULL;
	char pname[160];
	size_t n = 0, i, k, nconn = 0, count[FLOOD_FAILED + 1];
	double hold = 0, start, end, now, first = -1, last = -1;
	int ch, waiting;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': endpoint = optarg; break;
		case 'p': name = optarg; break;
		case 'n': n = strtoul(optarg, NULL, 10); break;
		case 'h': hold = strtod(optarg, NULL); break;
		default: flood_usage();
		}
	}
	if (endpoint == NULL || strncmp(endpoint, "unix:", 5) != 0 ||
	    name == NULL || strlen(name) > 100 || n == 0 || n > FLOOD_MAX ||
	    hold <= 0)
		flood_usage();
	flood_rlimit(n);
	if ((fc = calloc(n, sizeof(*fc))) == NULL ||
	    (pfd = calloc(n, sizeof(*pfd))) == NULL) {
		perror("itest_flood");
		return 1;
	}
	start = flood_now_ms();
	for (i = 0; i < n; i++) {
		snprintf(pname, sizeof(pname), "%s-%zu", name, i);
		if (flood_open(&fc[i], endpoint + 5, pname) == 0)
			nconn++;
	}
	printf("flood connected %zu of %zu\n", nconn, n);
	fflush(stdout);
	end = start + hold * 1000;
	while ((now = flood_now_ms()) < end) {
		waiting = 0;
		for (i = 0; i < n; i++) {
			pfd[i].fd = fc[i].fc_state == FLOOD_WAITING ?
			    fc[i].fc_fd : -1;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
			waiting += fc[i].fc_state == FLOOD_WAITING;
		}
		if (waiting == 0)
			break;
		if (poll(pfd, n, (int)(end - now) + 1) == -1 &&
		    errno != EINTR) {
			perror("itest_flood: poll");
			return 1;
		}
		for (i = 0; i < n; i++) {
			if (pfd[i].fd == -1 || pfd[i].revents == 0)
				continue;
			flood_read(&fc[i]);
			if (fc[i].fc_state != FLOOD_WAITING) {
				last = flood_now_ms() - start;
				if (first < 0)
					first = last;
			}
		}
	}
	/* Stay connected until the hold ends, as the test measures then. */
	if ((now = flood_now_ms()) < end)
		usleep((useconds_t)((end - now) * 1000));
	memset(count, 0, sizeof(count));
	for (i = 0; i < n; i++) {
		count[fc[i].fc_state]++;
		if (fc[i].fc_fd != -1)
			close(fc[i].fc_fd);
	}
	k = count[FLOOD_FAILED];
	printf("flood opened %zu connect_failed %zu welcomed %zu errors %zu "
	    "closed %zu unanswered %zu first_answer_ms %.0f last_answer_ms "
	    "%.0f\n", n, k, count[FLOOD_WELCOMED], count[FLOOD_ERROR],
	    count[FLOOD_CLOSED], count[FLOOD_WAITING], first, last);
	free(pfd);
	free(fc);
	return 0;
}
