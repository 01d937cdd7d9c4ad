/* SPDX-License-Identifier: ISC */
/*
 * itest_raw.c: a deliberately misbehaving producer for the bad-input
 * integration tests. It speaks the wire protocol by hand (frame.h and
 * protobuf-c, not the client library, which refuses to send bad data),
 * sends one kind of bad input, and prints every answer of the daemon as
 * one line, so the test can check the Error code and that the
 * connection stayed usable:
 *
 *   welcome durable_seq=N
 *   ack producer_seq=N stored=N duplicates=N
 *   error code=INVALID_RECORD fatal=0 seq=N message=...
 *   closed
 *
 * usage: itest_raw --connect unix:PATH|tcp:HOST:PORT --producer NAME MODE
 * Modes are the branches of raw_mode() below. "big:N" sends a Hello
 * and one valid record padded with text inputs so that its frame is at
 * least N bytes, whatever max_frame the Welcome announced (for the
 * --max-frame tests).
 *
 * Modes for the limits tests (t_slowloris.sh): "no-hello" sends
 * nothing; "stall-mid-frame" stops halfway through a frame after the
 * Welcome; "idle-quiet" stores one record and then says nothing;
 * "delay-good:SECS" connects, waits SECS seconds, then does "good" (a
 * Hello checked against allow rules reloaded after the accept).
 * "slowloris:N:SECS" keeps N connections open for SECS seconds, each
 * sending one byte of a Hello per second and reopened when the daemon
 * closes it, and prints
 *
 *   slowloris opened O closed C errors E min_life S max_life S
 *
 * (E: closes that came with an Error{PROTOCOL}). "hog:N:BYTES" sends a
 * Hello on N connections (producers NAME-0, NAME-1, ...), then on each
 * the header of a frame of BYTES and as much of its body as the daemon
 * takes (all but the last byte), prints "hog accepted TOTAL" once the
 * sockets stay full, and then "hog closed K" once the daemon closed
 * them (or after 60 s).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <netdb.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "record.h"

static int raw_fd = -1;
static const char *raw_producer;
static const char *raw_path;	/* unix: */
static char raw_host[256];	/* tcp: */
static const char *raw_port;

/* Returns a new socket connected to the daemon at raw_path, or exits. */
static int
raw_dial(void)
{
	struct sockaddr_un sun;
	struct addrinfo hints, *ai;
	int fd;

	if (raw_path == NULL) {
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		if (getaddrinfo(raw_host, raw_port, &hints, &ai) != 0) {
			fprintf(stderr, "itest_raw: cannot resolve %s\n",
			    raw_host);
			exit(1);
		}
		if ((fd = socket(ai->ai_family, SOCK_STREAM, 0)) == -1 ||
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
			perror("itest_raw: connect");
			exit(1);
		}
		freeaddrinfo(ai);
		return fd;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, raw_path, sizeof(sun.sun_path) - 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("itest_raw: connect");
		exit(1);
	}
	return fd;
}

/* Connects to the daemon's unix socket at raw_path, or exits. */
static void
raw_connect(void)
{
	struct timeval tv = { 5, 0 };

	raw_fd = raw_dial();
	setsockopt(raw_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
}

/* Returns the monotonic time in seconds. */
static double
raw_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Writes all of buf or exits. */
static void
raw_write(const void *buf, size_t len)
{
	const uint8_t *p = buf;
	ssize_t n;

	while (len > 0) {
		n = send(raw_fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			printf("write failed: %s\n", strerror(errno));
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

/* Sends a ClientFrame as one frame. */
static void
raw_send(const Algaudit__V1__ClientFrame *cf)
{
	size_t n = frame_size(&cf->base);
	uint8_t *buf = malloc(n);

	if (buf == NULL)
		exit(1);
	frame_encode(&cf->base, buf);
	raw_write(buf, n);
	free(buf);
}

/*
 * Encodes a Hello with the given protocol version into buf (len bytes);
 * returns the frame's size.
 */
static size_t
raw_hello_frame(uint32_t version, uint8_t *buf, size_t len)
{
	Algaudit__V1__ClientFrame cf = ALGAUDIT__V1__CLIENT_FRAME__INIT;
	Algaudit__V1__Hello h = ALGAUDIT__V1__HELLO__INIT;
	size_t n;

	h.has_protocol_version = 1;
	h.protocol_version = version;
	h.producer_id = (char *)(uintptr_t)raw_producer;
	h.client_version = (char *)(uintptr_t)"itest_raw";
	cf.msg_case = ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO;
	cf.hello = &h;
	if ((n = frame_size(&cf.base)) > len)
		exit(1);
	frame_encode(&cf.base, buf);
	return n;
}

/* Sends a Hello with the given protocol version. */
static void
raw_hello(uint32_t version)
{
	uint8_t buf[512];

	raw_write(buf, raw_hello_frame(version, buf, sizeof(buf)));
}

/* Storage for one valid record that a mode then spoils. */
struct raw_rec {
	Algaudit__V1__DecisionRecord	 r;
	Algaudit__V1__Algorithm		 a;
	Algaudit__V1__Input		 in;
	Algaudit__V1__Input		*inp;
};

/* Fills a valid record with the given seq. */
static void
raw_rec_init(struct raw_rec *rr, uint64_t seq)
{
	algaudit__v1__decision_record__init(&rr->r);
	algaudit__v1__algorithm__init(&rr->a);
	algaudit__v1__input__init(&rr->in);
	rr->a.id = (char *)(uintptr_t)"raw.algo";
	rr->a.version = (char *)(uintptr_t)"1";
	rr->in.name = (char *)(uintptr_t)"x";
	rr->in.value_case = ALGAUDIT__V1__INPUT__VALUE_NUMBER;
	rr->in.number = 1.5;
	rr->in.has_data_class = 1;
	rr->in.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
	rr->inp = &rr->in;
	rr->r.has_producer_seq = 1;
	rr->r.producer_seq = seq;
	rr->r.has_event_time_ns = 1;
	rr->r.event_time_ns = (int64_t)time(NULL) * 1000000000;
	rr->r.algorithm = &rr->a;
	rr->r.decision = (char *)(uintptr_t)"approve";
	rr->r.subject = (char *)(uintptr_t)"s1";
	rr->r.n_inputs = 1;
	rr->r.inputs = &rr->inp;
	rr->r.has_data_class = 1;
	rr->r.data_class = ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
}

/* Sends a Batch of n records. */
static void
raw_batch(struct raw_rec *rrs, size_t n)
{
	Algaudit__V1__ClientFrame cf = ALGAUDIT__V1__CLIENT_FRAME__INIT;
	Algaudit__V1__Batch b = ALGAUDIT__V1__BATCH__INIT;
	Algaudit__V1__DecisionRecord *ptrs[16];
	size_t i;

	for (i = 0; i < n; i++)
		ptrs[i] = &rrs[i].r;
	b.n_records = n;
	b.records = ptrs;
	cf.msg_case = ALGAUDIT__V1__CLIENT_FRAME__MSG_BATCH;
	cf.batch = &b;
	raw_send(&cf);
}

/* Sends a valid one-record batch with seq. */
static void
raw_good(uint64_t seq)
{
	struct raw_rec rr;

	raw_rec_init(&rr, seq);
	raw_batch(&rr, 1);
}

#define RAW_BIG_TEXT	4000	/* bytes of each text input of "big:N" */

/*
 * Sends one valid record (seq 1) whose frame is at least n bytes: text
 * inputs of RAW_BIG_TEXT bytes each, as many as that takes.
 */
static void
raw_big(size_t n)
{
	Algaudit__V1__Input *in, **inp;
	struct raw_rec rr;
	char *text, (*names)[16];
	size_t i, k;

	k = n / RAW_BIG_TEXT + 1;
	if (k > RECORD_MAX_INPUTS) {
		fprintf(stderr, "itest_raw: big: %zu bytes is too big\n", n);
		exit(2);
	}
	in = calloc(k, sizeof(*in));
	inp = calloc(k, sizeof(*inp));
	names = calloc(k, sizeof(*names));
	text = malloc(RAW_BIG_TEXT + 1);
	if (in == NULL || inp == NULL || names == NULL || text == NULL)
		exit(1);
	memset(text, 'x', RAW_BIG_TEXT);
	text[RAW_BIG_TEXT] = '\0';
	raw_rec_init(&rr, 1);
	for (i = 0; i < k; i++) {
		algaudit__v1__input__init(&in[i]);
		snprintf(names[i], sizeof(names[i]), "t%zu", i);
		in[i].name = names[i];
		in[i].value_case = ALGAUDIT__V1__INPUT__VALUE_TEXT;
		in[i].text = text;
		in[i].has_data_class = 1;
		in[i].data_class =
		    ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY;
		inp[i] = &in[i];
	}
	rr.r.n_inputs = k;
	rr.r.inputs = inp;
	raw_batch(&rr, 1);
	free(text);
	free(names);
	free(inp);
	free(in);
}

/* Reads exactly len bytes; returns 0, or -1 on EOF/error/timeout. */
static int
raw_read(uint8_t *buf, size_t len)
{
	ssize_t n;

	while (len > 0) {
		n = recv(raw_fd, buf, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * Reads and prints up to max answers; stops at EOF ("closed") or after a
 * read timeout ("timeout"). Returns the number of answers printed.
 */
static int
raw_answers(int max)
{
	Algaudit__V1__ServerFrame *sf;
	struct frame_alloc fa;
	uint8_t hdr[4], *body;
	uint32_t len;
	int i;

	for (i = 0; i < max; i++) {
		if (raw_read(hdr, 4) == -1) {
			printf(errno == EAGAIN ? "timeout\n" : "closed\n");
			return i;
		}
		len = frame_body_len(hdr);
		if (len > FRAME_MAX_DEFAULT || (body = malloc(len + 1)) ==
		    NULL) {
			printf("bad frame from daemon\n");
			exit(1);
		}
		if (raw_read(body, len) == -1) {
			printf("closed mid-frame\n");
			exit(1);
		}
		frame_alloc_init(&fa, frame_unpack_cap(len));
		if ((sf = frame_unpack_server(&fa, body, len)) == NULL) {
			printf("undecodable frame from daemon\n");
			exit(1);
		}
		switch (sf->msg_case) {
		case ALGAUDIT__V1__SERVER_FRAME__MSG_WELCOME:
			printf("welcome durable_seq=%" PRIu64 "\n",
			    sf->welcome->durable_seq);
			break;
		case ALGAUDIT__V1__SERVER_FRAME__MSG_ACK:
			printf("ack producer_seq=%" PRIu64 " stored=%u "
			    "duplicates=%u\n", sf->ack->producer_seq,
			    sf->ack->stored, sf->ack->duplicates);
			break;
		case ALGAUDIT__V1__SERVER_FRAME__MSG_ERROR:
			printf("error code=%s fatal=%d seq=%" PRIu64
			    " message=%s\n", frame_strerror_code(
			    sf->error->code), sf->error->fatal,
			    sf->error->producer_seq, sf->error->message ?
			    sf->error->message : "");
			break;
		default:
			printf("unknown answer\n");
		}
		fflush(stdout);
		frame_free_server(&fa, sf);
		free(body);
	}
	return i;
}

/* Sends raw bytes. */
static void
raw_bytes(const char *s, size_t len)
{
	raw_write(s, len);
}

#define RAW_SLOW_MAX	1024	/* slowloris connections at most */

/* One slowloris connection. */
struct raw_slow {
	int		 rs_fd;		/* -1: to be opened */
	double		 rs_t0;		/* when it was opened */
	size_t		 rs_sent;	/* bytes of the Hello sent */
	uint8_t		 rs_in[256];	/* what the daemon sent */
	size_t		 rs_inlen;
};

/* Returns 1 when buf (len bytes) starts with an Error frame of code. */
static int
raw_is_error(const uint8_t *buf, size_t len, int code)
{
	Algaudit__V1__ServerFrame *sf;
	struct frame_alloc fa;
	size_t need;
	int rc;

	if (frame_decode(buf, len, FRAME_MAX_DEFAULT, &need) != FRAME_OK)
		return 0;
	frame_alloc_init(&fa, frame_unpack_cap(need - FRAME_HEADER_LEN));
	sf = frame_unpack_server(&fa, buf + FRAME_HEADER_LEN,
	    need - FRAME_HEADER_LEN);
	if (sf == NULL)
		return 0;
	rc = sf->msg_case == ALGAUDIT__V1__SERVER_FRAME__MSG_ERROR &&
	    (int)sf->error->code == code;
	frame_free_server(&fa, sf);
	return rc;
}

/*
 * slowloris:N:SECS: n connections, each sending one byte of a Hello a
 * second, reopened when closed, for secs seconds; prints how many were
 * closed and how long they lived.
 */
static void
raw_slowloris(const char *arg)
{
	struct raw_slow *rs;
	struct pollfd *pfd;
	uint8_t hello[512];
	size_t hlen, n, i, opened = 0, closed = 0, errors = 0;
	double secs, start, now, next_tick, life, lmin = 1e9, lmax = 0;
	ssize_t r;
	char *end;

	n = strtoul(arg, &end, 10);
	if (*end != ':' || n == 0 || n > RAW_SLOW_MAX) {
		fprintf(stderr, "itest_raw: slowloris:N:SECS\n");
		exit(2);
	}
	secs = strtod(end + 1, NULL);
	hlen = raw_hello_frame(1, hello, sizeof(hello));
	if ((rs = calloc(n, sizeof(*rs))) == NULL ||
	    (pfd = calloc(n, sizeof(*pfd))) == NULL)
		exit(1);
	for (i = 0; i < n; i++)
		rs[i].rs_fd = -1;
	start = raw_now();
	next_tick = start;
	while ((now = raw_now()) < start + secs) {
		if (now >= next_tick) {
			for (i = 0; i < n; i++) {
				if (rs[i].rs_fd == -1) {
					rs[i].rs_fd = raw_dial();
					rs[i].rs_t0 = now;
					rs[i].rs_sent = 0;
					rs[i].rs_inlen = 0;
					opened++;
				}
				/* One byte a second, never the whole Hello. */
				if (rs[i].rs_sent + 1 < hlen &&
				    send(rs[i].rs_fd, hello + rs[i].rs_sent, 1,
				    MSG_NOSIGNAL | MSG_DONTWAIT) == 1)
					rs[i].rs_sent++;
			}
			next_tick += 1.0;
		}
		for (i = 0; i < n; i++) {
			pfd[i].fd = rs[i].rs_fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, n, (int)((next_tick - now) * 1000) + 1) == -1 &&
		    errno != EINTR)
			exit(1);
		for (i = 0; i < n; i++) {
			if (rs[i].rs_fd == -1 || pfd[i].revents == 0)
				continue;
			r = recv(rs[i].rs_fd, rs[i].rs_in + rs[i].rs_inlen,
			    sizeof(rs[i].rs_in) - rs[i].rs_inlen,
			    MSG_DONTWAIT);
			if (r > 0) {
				rs[i].rs_inlen += (size_t)r;
				if (rs[i].rs_inlen < sizeof(rs[i].rs_in))
					continue;
			} else if (r < 0 && errno == EAGAIN)
				continue;
			/* EOF or an error: the daemon closed it. */
			life = raw_now() - rs[i].rs_t0;
			lmin = life < lmin ? life : lmin;
			lmax = life > lmax ? life : lmax;
			closed++;
			errors += (size_t)raw_is_error(rs[i].rs_in,
			    rs[i].rs_inlen,
			    ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL);
			close(rs[i].rs_fd);
			rs[i].rs_fd = -1;
		}
	}
	for (i = 0; i < n; i++)
		if (rs[i].rs_fd != -1)
			close(rs[i].rs_fd);
	printf("slowloris opened %zu closed %zu errors %zu min_life %.2f "
	    "max_life %.2f\n", opened, closed, errors, closed ? lmin : 0.0,
	    lmax);
	free(pfd);
	free(rs);
}

/*
 * hog:N:BYTES: n connections that each announce a frame of bytes after
 * their Hello and send all of it but the last byte, as far as the
 * daemon reads; prints what it took, then how many it closed.
 */
static void
raw_hog(const char *arg)
{
	static uint8_t chunk[64 * 1024];
	struct timeval tv = { 5, 0 };
	uint8_t hdr[FRAME_HEADER_LEN], buf[512];
	const char *base = raw_producer;
	char name[RECORD_MAX_PRODUCER_ID + 1];
	struct pollfd *pfd;
	size_t n, i, bytes, total = 0, *sent, closed = 0;
	double last;
	ssize_t r;
	char *end;
	int *fds;

	n = strtoul(arg, &end, 10);
	bytes = *end == ':' ? strtoul(end + 1, NULL, 10) : 0;
	if (n == 0 || n > RAW_SLOW_MAX || bytes < 2 ||
	    bytes > FRAME_MAX_LIMIT) {
		fprintf(stderr, "itest_raw: hog:N:BYTES\n");
		exit(2);
	}
	fds = calloc(n, sizeof(*fds));
	sent = calloc(n, sizeof(*sent));
	pfd = calloc(n, sizeof(*pfd));
	if (fds == NULL || sent == NULL || pfd == NULL)
		exit(1);
	frame_put_header(hdr, (uint32_t)bytes);
	for (i = 0; i < n; i++) {
		/* NAME-0, NAME-1, ...: one producer id would fence. */
		snprintf(name, sizeof(name), "%.100s-%zu", base, i);
		raw_producer = name;
		raw_fd = fds[i] = raw_dial();
		setsockopt(raw_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		raw_hello(1);
		/* The Welcome: the daemon reads the frame that follows. */
		if (recv(raw_fd, buf, sizeof(buf), 0) <= 0) {
			printf("hog: no Welcome on connection %zu\n", i);
			exit(1);
		}
		raw_write(hdr, sizeof(hdr));
	}
	/* Fill every socket until none took a byte for a second. */
	last = raw_now();
	while (raw_now() - last < 1.0) {
		for (i = 0; i < n; i++) {
			if (sent[i] + 1 >= bytes)
				continue;
			r = send(fds[i], chunk, sent[i] + 1 + sizeof(chunk) >
			    bytes ? bytes - 1 - sent[i] : sizeof(chunk),
			    MSG_NOSIGNAL | MSG_DONTWAIT);
			if (r > 0) {
				sent[i] += (size_t)r;
				total += (size_t)r;
				last = raw_now();
			}
		}
		usleep(1000);
	}
	printf("hog accepted %zu\n", total);
	fflush(stdout);
	/* Wait for the daemon to close them (the idle timeout). */
	last = raw_now();
	while (closed < n && raw_now() - last < 60) {
		for (i = 0; i < n; i++) {
			pfd[i].fd = fds[i];
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, n, 1000) == -1 && errno != EINTR)
			exit(1);
		for (i = 0; i < n; i++) {
			if (fds[i] == -1 || pfd[i].revents == 0)
				continue;
			r = recv(fds[i], buf, sizeof(buf), MSG_DONTWAIT);
			if (r > 0 || (r < 0 && errno == EAGAIN))
				continue;
			close(fds[i]);
			fds[i] = -1;
			closed++;
		}
	}
	printf("hog closed %zu\n", closed);
	for (i = 0; i < n; i++)
		if (fds[i] != -1)
			close(fds[i]);
	raw_fd = -1;
	free(pfd);
	free(sent);
	free(fds);
}

/* Each mode: hello (if any), the bad input, then read the answers. */
static void
raw_mode(const char *mode)
{
	struct raw_rec rr[3];
	uint8_t hdr[4];
	char *big;
	size_t i;

	if (strcmp(mode, "good") == 0) {
		raw_hello(1);
		raw_good(1);
		raw_answers(2);
	} else if (strncmp(mode, "big:", 4) == 0) {
		raw_hello(1);
		raw_answers(1);
		raw_big(strtoul(mode + 4, NULL, 10));
		raw_answers(1);
	} else if (strcmp(mode, "garbage") == 0) {
		/* An HTTP request: its first 4 bytes read as a huge length. */
		raw_bytes("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 27);
		raw_answers(2);
	} else if (strcmp(mode, "garbage-body") == 0) {
		raw_hello(1);
		raw_answers(1);
		frame_put_header(hdr, 8);
		raw_write(hdr, 4);
		raw_bytes("\xff\xff\xff\xff\xff\xff\xff\xff", 8);
		raw_answers(2);
	} else if (strcmp(mode, "oversize") == 0) {
		raw_hello(1);
		raw_answers(1);
		frame_put_header(hdr, FRAME_MAX_DEFAULT + 1);
		raw_write(hdr, 4);
		raw_answers(2);
	} else if (strcmp(mode, "empty-frame") == 0) {
		frame_put_header(hdr, 0);
		raw_write(hdr, 4);
		raw_answers(2);
	} else if (strcmp(mode, "truncated") == 0) {
		/* Half a frame, then hang up: nothing to answer. */
		raw_hello(1);
		raw_answers(1);
		frame_put_header(hdr, 100);
		raw_write(hdr, 4);
		raw_bytes("\x0a\x10half", 6);
		shutdown(raw_fd, SHUT_WR);
		raw_answers(1);
	} else if (strcmp(mode, "no-hello") == 0) {
		raw_answers(2);
	} else if (strcmp(mode, "stall-mid-frame") == 0) {
		/* Half a frame after the Welcome, then nothing. */
		raw_hello(1);
		raw_answers(1);
		frame_put_header(hdr, 100);
		raw_write(hdr, 4);
		raw_bytes("\x0a\x10half", 6);
		raw_answers(2);
	} else if (strcmp(mode, "idle-quiet") == 0) {
		raw_hello(1);
		raw_good(1);
		raw_answers(2);
		raw_answers(1);
	} else if (strncmp(mode, "delay-good:", 11) == 0) {
		sleep((unsigned)strtoul(mode + 11, NULL, 10));
		raw_hello(1);
		raw_good(1);
		raw_answers(2);
	} else if (strncmp(mode, "slowloris:", 10) == 0) {
		raw_slowloris(mode + 10);
	} else if (strncmp(mode, "hog:", 4) == 0) {
		raw_hog(mode + 4);
	} else if (strcmp(mode, "version") == 0) {
		raw_hello(2);
		raw_answers(2);
	} else if (strcmp(mode, "batch-before-hello") == 0) {
		raw_good(1);
		raw_answers(2);
	} else if (strcmp(mode, "second-hello") == 0) {
		raw_hello(1);
		raw_hello(1);
		raw_answers(3);
	} else if (strcmp(mode, "bad-producer-id") == 0) {
		raw_producer = "has space";
		raw_hello(1);
		raw_answers(2);
	} else if (strcmp(mode, "hole-new-session") == 0) {
		/*
		 * Run with ALGAUDIT_STORE_FAULT=commit:2:eio. Seq 1 commits,
		 * seq 2's commit fails; the producer "dies" without resending
		 * it, and its successor starts far above: it must be served.
		 */
		raw_hello(1);
		raw_good(1);
		raw_answers(2);
		raw_good(2);
		raw_answers(1);
		close(raw_fd);
		printf("reconnect\n");
		raw_connect();
		raw_hello(1);
		raw_answers(1);
		raw_good(65537);
		raw_answers(1);
	} else if (strncmp(mode, "invalid-", 8) == 0) {
		/*
		 * A batch of three records whose second is invalid, then a
		 * valid batch on the same connection: the first is refused
		 * whole, the second acknowledged.
		 */
		raw_hello(1);
		raw_answers(1);
		for (i = 0; i < 3; i++)
			raw_rec_init(&rr[i], 101 + i);
		mode += 8;
		if (strcmp(mode, "no-algorithm") == 0)
			rr[1].r.algorithm = NULL;
		else if (strcmp(mode, "empty-decision") == 0)
			rr[1].r.decision = (char *)(uintptr_t)"";
		else if (strcmp(mode, "no-class") == 0)
			rr[1].r.has_data_class = 0;
		else if (strcmp(mode, "input-class") == 0)
			rr[1].in.has_data_class = 0;
		else if (strcmp(mode, "seq-order") == 0)
			rr[1].r.producer_seq = 101;
		else if (strcmp(mode, "utf8") == 0)
			rr[1].r.subject = (char *)(uintptr_t)"caf\xc3";
		else if (strcmp(mode, "too-long") == 0) {
			if ((big = malloc(5000)) == NULL)
				exit(1);
			memset(big, 'a', 4999);
			big[4999] = '\0';
			rr[1].r.purpose = big;
		} else if (strcmp(mode, "nan-score") == 0) {
			rr[1].r.has_score = 1;
			rr[1].r.score = 0.0 / 0.0;
		} else if (strcmp(mode, "zero-seq") == 0)
			rr[1].r.producer_seq = 0;
		else {
			fprintf(stderr, "itest_raw: unknown mode\n");
			exit(2);
		}
		raw_batch(rr, 3);
		if (rr[1].r.purpose != NULL)
			free(rr[1].r.purpose);
		raw_good(200);
		raw_answers(2);
	} else {
		fprintf(stderr, "itest_raw: unknown mode %s\n", mode);
		exit(2);
	}
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "connect", required_argument, NULL, 'c' },
		{ "producer", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 }
	};
	const char *ep = NULL, *colon;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': ep = optarg; break;
		case 'p': raw_producer = optarg; break;
		default: exit(2);
		}
	}
	if (ep != NULL && strncmp(ep, "tcp:", 4) == 0 &&
	    (colon = strrchr(ep + 4, ':')) != NULL &&
	    (size_t)(colon - ep - 4) < sizeof(raw_host)) {
		memcpy(raw_host, ep + 4, (size_t)(colon - ep - 4));
		raw_port = colon + 1;
	} else if (ep != NULL && strncmp(ep, "unix:", 5) == 0)
		raw_path = ep + 5;
	else
		ep = NULL;
	if (ep == NULL || raw_producer == NULL || optind != argc - 1) {
		fprintf(stderr, "usage: itest_raw --connect unix:PATH|"
		    "tcp:HOST:PORT --producer NAME MODE\n");
		exit(2);
	}
	/* The multi-connection modes open their own. */
	if (strncmp(argv[optind], "slowloris:", 10) != 0 &&
	    strncmp(argv[optind], "hog:", 4) != 0)
		raw_connect();
	raw_mode(argv[optind]);
	if (raw_fd != -1)
		close(raw_fd);
	return 0;
}
