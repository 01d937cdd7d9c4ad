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
 * usage: itest_raw --connect unix:PATH --producer NAME MODE
 * Modes are the branches of raw_mode() below. "big:N" sends a Hello
 * and one valid record padded with text inputs so that its frame is at
 * least N bytes, whatever max_frame the Welcome announced (for the
 * --max-frame tests).
 */
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "frame.h"
#include "record.h"

static int raw_fd = -1;
static const char *raw_producer;
static const char *raw_path;

/* Connects to the daemon's unix socket at raw_path, or exits. */
static void
raw_connect(void)
{
	struct sockaddr_un sun;
	struct timeval tv = { 5, 0 };

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strncpy(sun.sun_path, raw_path, sizeof(sun.sun_path) - 1);
	if ((raw_fd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    connect(raw_fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		perror("itest_raw: connect");
		exit(1);
	}
	setsockopt(raw_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
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

/* Sends a Hello with the given protocol version. */
static void
raw_hello(uint32_t version)
{
	Algaudit__V1__ClientFrame cf = ALGAUDIT__V1__CLIENT_FRAME__INIT;
	Algaudit__V1__Hello h = ALGAUDIT__V1__HELLO__INIT;

	h.has_protocol_version = 1;
	h.protocol_version = version;
	h.producer_id = (char *)(uintptr_t)raw_producer;
	h.client_version = (char *)(uintptr_t)"itest_raw";
	cf.msg_case = ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO;
	cf.hello = &h;
	raw_send(&cf);
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
	const char *ep = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': ep = optarg; break;
		case 'p': raw_producer = optarg; break;
		default: exit(2);
		}
	}
	if (ep == NULL || raw_producer == NULL || optind != argc - 1 ||
	    strncmp(ep, "unix:", 5) != 0) {
		fprintf(stderr, "usage: itest_raw --connect unix:PATH "
		    "--producer NAME MODE\n");
		exit(2);
	}
	raw_path = ep + 5;
	raw_connect();
	raw_mode(argv[optind]);
	close(raw_fd);
	return 0;
}
