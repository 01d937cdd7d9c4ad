/* SPDX-License-Identifier: ISC */
/*
 * check_client.c: unit tests of a whole handle (client.c and io.c)
 * against a fake daemon that lives in the test.
 *
 * The fake daemon listens on a Unix socket in the fixture's temporary
 * directory and speaks protocol v1 with protobuf-c: Hello/Welcome,
 * Batch/Ack with the duplicate rule, and on request the failures a real
 * daemon can show (a connection closed with batches in flight, part of
 * a batch committed, a refused batch, a fence, no acks at all). It keeps
 * every stored record so that a test can check that each logged record
 * arrived exactly once. It honours the Hello's acknowledgement level
 * and leaf-hash request with made-up leaf hashes (fake_leaf()) and a
 * checkpoint size equal to the log size, or, on request, breaks them.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "algaudit.h"
#include "client.h"
#include "frame.h"

#define FAKE_MAX_RECORDS	200000

struct fake {
	pthread_t	 f_thread;
	pthread_mutex_t	 f_lock;
	int		 f_listen;
	_Atomic int	 f_stop;
	char		 f_path[100];
	/* behaviour */
	int		 f_reject_batch;	/* batch number from 1 */
	int		 f_fence_at_batch;
	int		 f_drop_at_batch;	/* close instead of acking */
	int		 f_drop_keep;		/* records of it committed */
	int		 f_drop_times;		/* how many times to drop */
	_Atomic int	 f_hold;		/* read but never ack */
	uint32_t	 f_max_frame;		/* 0: the default */
	int		 f_ack_delay_us;	/* a slow daemon */
	int		 f_bad_leaves;		/* one leaf hash byte short */
	int		 f_no_ckpt;	/* 1: Acks lack it, 2: the Welcome */
	/* what the last Hello asked for */
	int		 f_hello_level;
	int		 f_hello_leaves;
	/* state */
	uint64_t	 f_durable;
	uint64_t	 f_log_size;
	int		 f_batches;
	int		 f_conns;
	uint64_t	*f_seqs;
	char		**f_decisions;
	uint64_t	*f_lost;
	size_t		 f_n;
	uint64_t	 f_lost_total;
	int		 f_bad_order;
};

static char test_dir[64];
static struct fake *fk;

/* Creates a fresh temporary directory for each test. */
static void
setup(void)
{
	snprintf(test_dir, sizeof(test_dir), "/tmp/check_client.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(test_dir));
}

/* Removes the temporary directory. */
static void
teardown(void)
{
	char cmd[300];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "teardown: %s failed\n", cmd);
}

/* Reads exactly len bytes, polling the stop flag; -1 on EOF/stop. */
static int
fake_read_all(struct fake *f, int fd, uint8_t *buf, size_t len)
{
	struct pollfd p;
	ssize_t n;

	while (len > 0) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 50) == 0) {
			if (atomic_load(&f->f_stop))
				return -1;
			continue;
		}
		n = read(fd, buf, len);
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Sends a ServerFrame. */
static void
fake_send(int fd, Algaudit__V1__ServerFrame *sf)
{
	uint8_t *buf;
	size_t n;

	if ((buf = malloc(frame_size(&sf->base))) == NULL)
		return;
	n = frame_encode(&sf->base, buf);
	/* A client that went away is what some tests want. */
	(void)send(fd, buf, n, MSG_NOSIGNAL);
	free(buf);
}

/* The fake's leaf hash of log index i: 0xa5 bytes, i in the first 8. */
static void
fake_leaf(uint64_t i, uint8_t *out)
{
	int k;

	memset(out, 0xa5, 32);
	for (k = 0; k < 8; k++)
		out[k] = (uint8_t)(i >> (56 - 8 * k));
}

/* Sends an Error frame. */
static void
fake_error(int fd, int code, const char *msg, int fatal)
{
	Algaudit__V1__ServerFrame sf = ALGAUDIT__V1__SERVER_FRAME__INIT;
	Algaudit__V1__Error e = ALGAUDIT__V1__ERROR__INIT;

	e.has_code = 1;
	e.code = code;
	e.message = (char *)(uintptr_t)msg;
	e.has_fatal = 1;
	e.fatal = fatal;
	sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_ERROR;
	sf.error = &e;
	fake_send(fd, &sf);
}

/* Stores record r (not a duplicate); caller holds f_lock. */
static void
fake_store(struct fake *f, const Algaudit__V1__DecisionRecord *r)
{
	if (f->f_n >= FAKE_MAX_RECORDS)
		return;
	f->f_seqs[f->f_n] = r->producer_seq;
	f->f_decisions[f->f_n] = r->decision != NULL ? strdup(r->decision) :
	    NULL;
	f->f_lost[f->f_n] = r->has_lost_records ? r->lost_records : 0;
	f->f_lost_total += f->f_lost[f->f_n];
	f->f_n++;
	f->f_log_size++;
	f->f_durable = r->producer_seq;
}

/* Serves one connection; returns when it ends. */
static void
fake_serve(struct fake *f, int fd)
{
	Algaudit__V1__ServerFrame sf = ALGAUDIT__V1__SERVER_FRAME__INIT;
	Algaudit__V1__Welcome w = ALGAUDIT__V1__WELCOME__INIT;
	Algaudit__V1__Ack a = ALGAUDIT__V1__ACK__INIT;
	Algaudit__V1__ClientFrame *cf;
	Algaudit__V1__Batch *b;
	uint8_t hdr[4], *body, *leaves = NULL;
	uint32_t len;
	uint64_t last_seq = 0, first_index, stored, dups;
	size_t i;
	int batch, keep, level = 0, want_leaves = 0;

	for (;;) {
		if (fake_read_all(f, fd, hdr, 4) == -1)
			break;
		len = frame_body_len(hdr);
		if ((body = malloc(len + 1)) == NULL ||
		    fake_read_all(f, fd, body, len) == -1) {
			free(body);
			break;
		}
		cf = algaudit__v1__client_frame__unpack(NULL, len, body);
		free(body);
		if (cf == NULL)
			break;
		if (cf->msg_case == ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO) {
			level = cf->hello->has_ack_level ?
			    (int)cf->hello->ack_level : 0;
			want_leaves = cf->hello->has_want_leaf_hashes &&
			    cf->hello->want_leaf_hashes;
			pthread_mutex_lock(&f->f_lock);
			f->f_hello_level = level;
			f->f_hello_leaves = want_leaves;
			w.has_checkpoint_size = level == 1 &&
			    f->f_no_ckpt != 2;
			w.checkpoint_size = f->f_log_size;
			w.has_protocol_version = 1;
			w.protocol_version = 1;
			w.has_durable_seq = 1;
			w.durable_seq = f->f_durable;
			w.has_log_size = 1;
			w.log_size = f->f_log_size;
			w.has_max_frame = 1;
			w.max_frame = f->f_max_frame != 0 ? f->f_max_frame :
			    FRAME_MAX_DEFAULT;
			pthread_mutex_unlock(&f->f_lock);
			sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_WELCOME;
			sf.welcome = &w;
			fake_send(fd, &sf);
			algaudit__v1__client_frame__free_unpacked(cf, NULL);
			continue;
		}
		b = cf->batch;
		pthread_mutex_lock(&f->f_lock);
		batch = ++f->f_batches;
		if (f->f_fence_at_batch == batch) {
			pthread_mutex_unlock(&f->f_lock);
			fake_error(fd, ALGAUDIT__V1__ERROR_CODE__ERROR_FENCED,
			    "fenced by a newer connection", 1);
			algaudit__v1__client_frame__free_unpacked(cf, NULL);
			break;
		}
		if (f->f_reject_batch == batch) {
			pthread_mutex_unlock(&f->f_lock);
			fake_error(fd,
			    ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD,
			    "record seq 1: decision: test refusal", 0);
			algaudit__v1__client_frame__free_unpacked(cf, NULL);
			continue;
		}
		first_index = f->f_log_size;
		stored = dups = 0;
		keep = f->f_drop_at_batch == batch && f->f_drop_times > 0 ?
		    f->f_drop_keep : (int)b->n_records;
		for (i = 0; i < b->n_records && (int)i < keep; i++) {
			if (b->records[i]->producer_seq <= last_seq)
				f->f_bad_order++;
			last_seq = b->records[i]->producer_seq;
			if (b->records[i]->producer_seq <= f->f_durable) {
				dups++;
				continue;
			}
			fake_store(f, b->records[i]);
			stored++;
		}
		if (f->f_drop_at_batch == batch && f->f_drop_times > 0) {
			f->f_drop_times--;
			f->f_drop_at_batch = batch + 3;
			pthread_mutex_unlock(&f->f_lock);
			algaudit__v1__client_frame__free_unpacked(cf, NULL);
			break;
		}
		a.has_producer_seq = 1;
		a.producer_seq = f->f_durable > last_seq ? f->f_durable :
		    last_seq;
		a.has_log_size = 1;
		a.log_size = f->f_log_size;
		a.has_first_index = stored > 0;
		a.first_index = first_index;
		a.has_stored = 1;
		a.stored = (uint32_t)stored;
		a.has_duplicates = 1;
		a.duplicates = (uint32_t)dups;
		a.has_checkpoint_size = level == 1 && f->f_no_ckpt != 1;
		a.checkpoint_size = f->f_log_size;
		a.has_leaf_hashes = want_leaves;
		if (want_leaves) {
			leaves = calloc(stored + 1, 32);
			if (leaves == NULL)
				abort();
			for (i = 0; i < stored; i++)
				fake_leaf(first_index + i, leaves + 32 * i);
			a.leaf_hashes.data = leaves;
			a.leaf_hashes.len = stored * 32 -
			    (f->f_bad_leaves && stored > 0);
		}
		pthread_mutex_unlock(&f->f_lock);
		algaudit__v1__client_frame__free_unpacked(cf, NULL);
		while (atomic_load(&f->f_hold) && !atomic_load(&f->f_stop))
			usleep(1000);
		if (f->f_ack_delay_us > 0)
			usleep((useconds_t)f->f_ack_delay_us);
		sf.msg_case = ALGAUDIT__V1__SERVER_FRAME__MSG_ACK;
		sf.ack = &a;
		fake_send(fd, &sf);
		free(leaves);
		leaves = NULL;
	}
	close(fd);
}

/* The fake daemon's accept loop. */
static void *
fake_main(void *arg)
{
	struct fake *f = arg;
	struct pollfd p;
	int fd;

	while (!atomic_load(&f->f_stop)) {
		p.fd = f->f_listen;
		p.events = POLLIN;
		if (poll(&p, 1, 50) <= 0)
			continue;
		if ((fd = accept(f->f_listen, NULL, NULL)) == -1)
			continue;
		pthread_mutex_lock(&f->f_lock);
		f->f_conns++;
		pthread_mutex_unlock(&f->f_lock);
		fake_serve(f, fd);
	}
	return NULL;
}

/* Creates a fake daemon (not listening yet). */
static struct fake *
fake_new(void)
{
	struct fake *f;

	f = calloc(1, sizeof(*f));
	ck_assert_ptr_nonnull(f);
	pthread_mutex_init(&f->f_lock, NULL);
	f->f_seqs = calloc(FAKE_MAX_RECORDS, sizeof(*f->f_seqs));
	f->f_decisions = calloc(FAKE_MAX_RECORDS, sizeof(*f->f_decisions));
	f->f_lost = calloc(FAKE_MAX_RECORDS, sizeof(*f->f_lost));
	ck_assert(f->f_seqs != NULL && f->f_decisions != NULL &&
	    f->f_lost != NULL);
	f->f_listen = -1;
	snprintf(f->f_path, sizeof(f->f_path), "%s/sock", test_dir);
	return f;
}

/* Starts listening and serving. */
static void
fake_start(struct fake *f)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, f->f_path, strlen(f->f_path) + 1);
	unlink(f->f_path);
	f->f_listen = socket(AF_UNIX, SOCK_STREAM, 0);
	ck_assert_int_ne(f->f_listen, -1);
	ck_assert_int_eq(bind(f->f_listen, (struct sockaddr *)&sun,
	    sizeof(sun)), 0);
	ck_assert_int_eq(listen(f->f_listen, 8), 0);
	atomic_store(&f->f_stop, 0);
	ck_assert_int_eq(pthread_create(&f->f_thread, NULL, fake_main, f),
	    0);
}

/* Stops serving (the state is kept; fake_start() serves again). */
static void
fake_stop(struct fake *f)
{
	atomic_store(&f->f_stop, 1);
	pthread_join(f->f_thread, NULL);
	close(f->f_listen);
	f->f_listen = -1;
	unlink(f->f_path);
}

/* Frees a fake daemon (stopped or never started). */
static void
fake_free(struct fake *f)
{
	size_t i;

	for (i = 0; i < f->f_n; i++)
		free(f->f_decisions[i]);
	free(f->f_decisions);
	free(f->f_seqs);
	free(f->f_lost);
	pthread_mutex_destroy(&f->f_lock);
	free(f);
}

/* Returns the endpoint string of the fake. */
static const char *
fake_endpoint(struct fake *f)
{
	static char ep[300];

	snprintf(ep, sizeof(ep), "unix:%s", f->f_path);
	return ep;
}

/* Checks that decisions "d<i>" for i < n are each stored exactly once. */
static void
fake_check_exactly_once(struct fake *f, int n)
{
	unsigned char *seen;
	size_t i;
	int k;

	seen = calloc((size_t)n, 1);
	ck_assert_ptr_nonnull(seen);
	pthread_mutex_lock(&f->f_lock);
	for (i = 0; i < f->f_n; i++) {
		if (f->f_decisions[i] == NULL)
			continue;	/* a loss record */
		ck_assert_int_eq(sscanf(f->f_decisions[i], "d%d", &k), 1);
		ck_assert_int_ge(k, 0);
		ck_assert_int_lt(k, n);
		ck_assert_msg(seen[k] == 0, "record d%d stored twice", k);
		seen[k] = 1;
		if (i > 0)
			ck_assert_uint_gt(f->f_seqs[i], f->f_seqs[i - 1]);
	}
	for (k = 0; k < n; k++)
		ck_assert_msg(seen[k] == 1, "record d%d missing", k);
	ck_assert_int_eq(f->f_bad_order, 0);
	pthread_mutex_unlock(&f->f_lock);
	free(seen);
}

/* Prints the library's diagnostics when ALGAUDIT_TEST_LOG is set. */
static void
print_log(int level, const char *msg, void *arg)
{
	(void)arg;
	fprintf(stderr, "algaudit[%d]: %s\n", level, msg);
}

/* Options for fast tests: short linger and backoff. */
static struct algaudit_options *
test_options(void)
{
	struct algaudit_options *o;

	ck_assert_int_eq(algaudit_options_new(&o), 0);
	if (getenv("ALGAUDIT_TEST_LOG") != NULL)
		ck_assert_int_eq(algaudit_options_set_log(o, print_log, NULL),
		    0);
	ck_assert_int_eq(algaudit_options_set_batch(o, 64, 200), 0);
	ck_assert_int_eq(algaudit_options_set_backoff(o, 10, 40), 0);
	ck_assert_int_eq(algaudit_options_set_close_timeout(o, 5000), 0);
	return o;
}

/* Logs decision "d<i>". */
static int
log_one(struct algaudit_client *c, struct algaudit_record *r, int i)
{
	char d[32];

	/* No ck_assert here: Check writes a file per passing assertion. */
	algaudit_record_reset(r);
	snprintf(d, sizeof(d), "d%d", i);
	if (algaudit_record_set_algorithm(r, "credit", "1") != 0 ||
	    algaudit_record_set_decision(r, d) != 0 ||
	    algaudit_record_set_data_class(r, ALGAUDIT_CLASS_ORDINARY) != 0)
		abort();
	return algaudit_log(c, r);
}

struct logger_arg {
	struct algaudit_client	*c;
	int			 from;
	int			 n;
};

/* A thread logging records from..from+n-1. */
static void *
logger(void *arg)
{
	struct logger_arg *la = arg;
	struct algaudit_record *r;
	int i;

	if (algaudit_record_new(&r) != 0)
		abort();
	for (i = 0; i < la->n; i++)
		if (log_one(la->c, r, la->from + i) != 0)
			abort();
	algaudit_record_free(r);
	return NULL;
}

/* Logs n records from four threads. */
static void
log_threads(struct algaudit_client *c, int n)
{
	pthread_t t[4];
	struct logger_arg la[4];
	int i;

	for (i = 0; i < 4; i++) {
		la[i].c = c;
		la[i].from = i * (n / 4);
		la[i].n = n / 4;
		ck_assert_int_eq(pthread_create(&t[i], NULL, logger, &la[i]),
		    0);
	}
	for (i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
}

START_TEST(test_log_flush_exactly_once)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;

	fk = fake_new();
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	log_threads(c, 20000);
	ck_assert_int_eq(algaudit_flush(c, 10000), 0);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_QUEUED), 20000);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_ACKED), 20000);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_SENT), 20000);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_PENDING), 0);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_REJECTED), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_check_exactly_once(fk, 20000);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_log_sync_receipt)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	struct algaudit_record *r;
	struct algaudit_receipt *rc;
	uint8_t leaf[32];
	uint64_t idx;

	fk = fake_new();
	fk->f_durable = 0;
	fk->f_log_size = 100;	/* the log holds others' entries */
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	ck_assert_int_eq(algaudit_record_new(&r), 0);
	ck_assert_int_eq(algaudit_receipt_new(&rc), 0);
	ck_assert_int_eq(log_one(c, r, 0), 0);
	ck_assert_int_eq(algaudit_record_set_decision(r, "d1"), 0);
	ck_assert_int_eq(algaudit_log_sync(c, r, 5000, rc), 0);
	ck_assert_uint_gt(algaudit_receipt_seq(rc), 0);
	ck_assert_int_eq(algaudit_receipt_index(rc, &idx), 0);
	ck_assert_uint_eq(idx, 101);
	ck_assert_uint_eq(algaudit_receipt_log_size(rc), 102);
	/* Durable level, no leaf hashes asked for. */
	ck_assert_int_eq(algaudit_receipt_leaf_hash(rc, leaf),
	    ALGAUDIT_ENOTFOUND);
	ck_assert_uint_eq(algaudit_receipt_checkpoint_size(rc), 0);
	ck_assert_int_eq(algaudit_receipt_leaf_hash(NULL, leaf),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_receipt_leaf_hash(rc, NULL),
	    ALGAUDIT_EINVAL);
	ck_assert_uint_eq(algaudit_receipt_checkpoint_size(NULL), 0);
	pthread_mutex_lock(&fk->f_lock);
	ck_assert_int_eq(fk->f_hello_level, 0);
	ck_assert_int_eq(fk->f_hello_leaves, 0);
	pthread_mutex_unlock(&fk->f_lock);
	ck_assert_int_eq(algaudit_close(c), 0);
	pthread_mutex_lock(&fk->f_lock);
	ck_assert_uint_eq(fk->f_seqs[1], algaudit_receipt_seq(rc));
	pthread_mutex_unlock(&fk->f_lock);
	algaudit_receipt_free(rc);
	algaudit_record_free(r);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_receipt_leaf_and_checkpoint)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	struct algaudit_record *r;
	struct algaudit_receipt *rc;
	uint8_t leaf[32], want[32];
	uint64_t idx;
	int i;

	ck_assert_int_eq(algaudit_options_set_ack_level(o,
	    ALGAUDIT_ACK_CHECKPOINTED), 0);
	ck_assert_int_eq(algaudit_options_set_receipts(o, 1), 0);
	fk = fake_new();
	fk->f_log_size = 100;
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	ck_assert_int_eq(algaudit_record_new(&r), 0);
	ck_assert_int_eq(algaudit_receipt_new(&rc), 0);
	for (i = 0; i < 3; i++) {
		ck_assert_int_eq(log_one(c, r, i), 0);
		ck_assert_int_eq(algaudit_log_sync(c, r, 5000, rc), 0);
		ck_assert_int_eq(algaudit_receipt_index(rc, &idx), 0);
		ck_assert_int_eq(algaudit_receipt_leaf_hash(rc, leaf), 0);
		fake_leaf(idx, want);
		ck_assert_mem_eq(leaf, want, 32);
		ck_assert_uint_gt(algaudit_receipt_checkpoint_size(rc), idx);
		ck_assert_uint_eq(algaudit_receipt_checkpoint_size(rc),
		    algaudit_receipt_log_size(rc));
	}
	ck_assert_uint_eq(idx, 105);
	pthread_mutex_lock(&fk->f_lock);
	ck_assert_int_eq(fk->f_hello_level, 1);
	ck_assert_int_eq(fk->f_hello_leaves, 1);
	pthread_mutex_unlock(&fk->f_lock);
	ck_assert_int_eq(algaudit_close(c), 0);
	algaudit_receipt_free(rc);
	algaudit_record_free(r);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

/* A log callback that counts messages containing "EPROTO". */
static void
count_eproto(int level, const char *msg, void *arg)
{
	(void)level;
	if (strstr(msg, "ALGAUDIT_EPROTO") != NULL)
		atomic_fetch_add((_Atomic int *)arg, 1);
}

/*
 * An Ack that breaks the promise of the Hello (leaf hashes of the wrong
 * length, no checkpoint size at the checkpointed level) is a protocol
 * error: the Ack resolves nothing and the connection is dropped. The
 * next Welcome's durable mark then resolves the records, without an
 * index or a leaf hash (the Welcome does not say them). A Welcome
 * without a checkpoint size at the checkpointed level is refused too.
 */
START_TEST(test_receipt_bad_acks)
{
	struct algaudit_options *o;
	struct algaudit_client *c;
	struct algaudit_record *r;
	struct algaudit_receipt *rc;
	_Atomic int eproto;
	uint8_t leaf[32];
	uint64_t idx;
	int round;

	for (round = 0; round < 3; round++) {
		o = test_options();
		atomic_init(&eproto, 0);
		ck_assert_int_eq(algaudit_options_set_log(o, count_eproto,
		    &eproto), 0);
		if (round == 0)
			ck_assert_int_eq(algaudit_options_set_receipts(o, 1),
			    0);
		else
			ck_assert_int_eq(algaudit_options_set_ack_level(o,
			    ALGAUDIT_ACK_CHECKPOINTED), 0);
		fk = fake_new();
		fk->f_bad_leaves = round == 0;
		fk->f_no_ckpt = round;
		if (round == 2)
			ck_assert_int_eq(algaudit_options_set_close_timeout(o,
			    100), 0);
		fake_start(fk);
		ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c),
		    0);
		ck_assert_int_eq(algaudit_record_new(&r), 0);
		ck_assert_int_eq(algaudit_receipt_new(&rc), 0);
		ck_assert_int_eq(log_one(c, r, 0), 0);
		if (round == 2) {
			ck_assert_int_eq(algaudit_log_sync(c, r, 300, rc),
			    ALGAUDIT_ETIMEDOUT);
			ck_assert_int_gt(atomic_load(&eproto), 0);
			ck_assert_int_eq(algaudit_close(c), ALGAUDIT_ETIMEDOUT);
			goto next;
		}
		ck_assert_int_eq(algaudit_log_sync(c, r, 5000, rc), 0);
		ck_assert_int_gt(atomic_load(&eproto), 0);
		ck_assert_uint_ge(algaudit_counter(c,
		    ALGAUDIT_COUNTER_RECONNECTS), 1);
		ck_assert_int_eq(algaudit_receipt_index(rc, &idx),
		    ALGAUDIT_ENOTFOUND);
		ck_assert_int_eq(algaudit_receipt_leaf_hash(rc, leaf),
		    ALGAUDIT_ENOTFOUND);
		/* At the checkpointed level the Welcome's size covers it. */
		ck_assert_uint_eq(algaudit_receipt_checkpoint_size(rc),
		    round == 1 ? 2 : 0);
		ck_assert_int_eq(algaudit_close(c), 0);
next:
		algaudit_receipt_free(rc);
		algaudit_record_free(r);
		fake_stop(fk);
		fake_free(fk);
		algaudit_options_free(o);
	}
}
END_TEST

START_TEST(test_reconnect_resend)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;

	fk = fake_new();
	/* Batch 3 is committed in full but the connection drops. */
	fk->f_drop_at_batch = 3;
	fk->f_drop_keep = 1000;
	fk->f_drop_times = 2;
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	log_threads(c, 8000);
	ck_assert_int_eq(algaudit_flush(c, 10000), 0);
	ck_assert_uint_ge(algaudit_counter(c, ALGAUDIT_COUNTER_RECONNECTS), 2);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_ACKED), 8000);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_check_exactly_once(fk, 8000);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_durable_mark_in_middle)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;

	fk = fake_new();
	/* Half of batch 2 is committed, then the connection drops. */
	fk->f_drop_at_batch = 2;
	fk->f_drop_keep = 20;
	fk->f_drop_times = 3;
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	log_threads(c, 4000);
	ck_assert_int_eq(algaudit_flush(c, 10000), 0);
	ck_assert_uint_gt(algaudit_counter(c, ALGAUDIT_COUNTER_RETRIED), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_check_exactly_once(fk, 4000);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

/* A log callback that counts errors. */
static void
count_log(int level, const char *msg, void *arg)
{
	_Atomic int *n = arg;

	(void)msg;
	if (level == ALGAUDIT_LOG_ERROR)
		atomic_fetch_add(n, 1);
}

START_TEST(test_invalid_record_refusal)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	struct algaudit_record *r;
	_Atomic int errors = 0;
	int rc;

	ck_assert_int_eq(algaudit_options_set_log(o, count_log, &errors), 0);
	fk = fake_new();
	fk->f_reject_batch = 1;
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	ck_assert_int_eq(algaudit_record_new(&r), 0);
	ck_assert_int_eq(log_one(c, r, 0), 0);
	rc = algaudit_log_sync(c, r, 5000, NULL);
	/* The first batch holds d0 and maybe this one. */
	if (rc == ALGAUDIT_EREJECTED)
		ck_assert_uint_eq(algaudit_counter(c,
		    ALGAUDIT_COUNTER_REJECTED), 2);
	else {
		ck_assert_int_eq(rc, 0);
		ck_assert_uint_eq(algaudit_counter(c,
		    ALGAUDIT_COUNTER_REJECTED), 1);
	}
	ck_assert_int_eq(algaudit_log_sync(c, r, 5000, NULL), 0);
	ck_assert_int_ge(atomic_load(&errors), 1);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_PENDING), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	algaudit_record_free(r);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_record_above_frame_limit)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	struct algaudit_record *r;
	char big[2001];

	memset(big, 'x', 2000);
	big[2000] = '\0';
	fk = fake_new();
	fk->f_max_frame = 1024;
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	ck_assert_int_eq(algaudit_record_new(&r), 0);
	ck_assert_int_eq(log_one(c, r, 0), 0);
	ck_assert_int_eq(algaudit_record_add_input_text(r, "big", big, 1), 0);
	ck_assert_int_eq(algaudit_log_sync(c, r, 5000, NULL),
	    ALGAUDIT_EREJECTED);
	ck_assert_int_eq(log_one(c, r, 1), 0);
	ck_assert_int_eq(algaudit_flush(c, 5000), 0);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_REJECTED), 1);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_ACKED), 2);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_PENDING), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_check_exactly_once(fk, 2);
	algaudit_record_free(r);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_fenced)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	struct algaudit_record *r;
	int i, rc = 0;

	fk = fake_new();
	fk->f_fence_at_batch = 1;
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	ck_assert_int_eq(algaudit_record_new(&r), 0);
	ck_assert_int_eq(log_one(c, r, 0), 0);
	ck_assert_int_eq(algaudit_flush(c, 5000), ALGAUDIT_EFENCED);
	for (i = 0; i < 100 && rc == 0; i++)
		rc = log_one(c, r, 1);
	ck_assert_int_eq(rc, ALGAUDIT_EFENCED);
	ck_assert_int_eq(algaudit_close(c), ALGAUDIT_EFENCED);
	algaudit_record_free(r);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_daemon_late)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;

	fk = fake_new();
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	log_threads(c, 2000);
	ck_assert_int_eq(algaudit_flush(c, 100), ALGAUDIT_ETIMEDOUT);
	usleep(300 * 1000);
	fake_start(fk);
	ck_assert_int_eq(algaudit_flush(c, 10000), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_check_exactly_once(fk, 2000);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_spool_restart)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	char dir[300];

	snprintf(dir, sizeof(dir), "%s/spool", test_dir);
	ck_assert_int_eq(algaudit_options_set_spool(o, dir, 0), 0);
	ck_assert_int_eq(algaudit_options_set_close_timeout(o, 100), 0);
	fk = fake_new();
	/* The daemon already has small seqs of this producer. */
	fk->f_durable = 5;
	/* No daemon: everything goes to the spool at close. */
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p@1", o, &c), 0);
	log_threads(c, 4000);
	ck_assert_int_eq(algaudit_close(c), 0);
	/* A second process adds more while the daemon is still away. */
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p@1", o, &c), 0);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_PENDING), 4000);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_start(fk);
	ck_assert_int_eq(algaudit_options_set_close_timeout(o, 5000), 0);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p@1", o, &c), 0);
	ck_assert_int_eq(algaudit_flush(c, 10000), 0);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_ACKED), 4000);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_check_exactly_once(fk, 4000);
	pthread_mutex_lock(&fk->f_lock);
	ck_assert_uint_gt(fk->f_seqs[0], 5);
	pthread_mutex_unlock(&fk->f_lock);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_spool_overflow_while_down)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	char dir[300];

	/* A queue much smaller than what is logged: the spool takes it. */
	snprintf(dir, sizeof(dir), "%s/spool", test_dir);
	ck_assert_int_eq(algaudit_options_set_spool(o, dir, 0), 0);
	ck_assert_int_eq(algaudit_options_set_queue(o, 256, 64 * 1024), 0);
	ck_assert_int_eq(algaudit_options_set_overflow(o,
	    ALGAUDIT_OVERFLOW_SPOOL, 5000), 0);
	fk = fake_new();
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	log_threads(c, 8000);
	ck_assert_uint_ge(algaudit_counter(c, ALGAUDIT_COUNTER_SPOOLED), 7000);
	fake_start(fk);
	ck_assert_int_eq(algaudit_flush(c, 20000), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_check_exactly_once(fk, 8000);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_spool_policy_slow_daemon)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	char dir[300];

	/* Connected, but slower than the application: the spool absorbs. */
	snprintf(dir, sizeof(dir), "%s/spool", test_dir);
	ck_assert_int_eq(algaudit_options_set_spool(o, dir, 0), 0);
	ck_assert_int_eq(algaudit_options_set_queue(o, 256, 64 * 1024), 0);
	ck_assert_int_eq(algaudit_options_set_overflow(o,
	    ALGAUDIT_OVERFLOW_SPOOL, 5000), 0);
	fk = fake_new();
	fk->f_ack_delay_us = 2000;
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	log_threads(c, 8000);
	ck_assert_uint_gt(algaudit_counter(c, ALGAUDIT_COUNTER_SPOOLED), 0);
	ck_assert_int_eq(algaudit_flush(c, 30000), 0);
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_ACKED), 8000);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_check_exactly_once(fk, 8000);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_block_efull)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	struct algaudit_record *r;
	struct timespec a, b;
	int i, rc = 0;
	long ms;

	ck_assert_int_eq(algaudit_options_set_queue(o, 64, 64 * 1024), 0);
	ck_assert_int_eq(algaudit_options_set_overflow(o,
	    ALGAUDIT_OVERFLOW_BLOCK, 200), 0);
	ck_assert_int_eq(algaudit_options_set_close_timeout(o, 100), 0);
	fk = fake_new();
	atomic_store(&fk->f_hold, 1);
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	ck_assert_int_eq(algaudit_record_new(&r), 0);
	for (i = 0; i < 65 && rc == 0; i++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		rc = log_one(c, r, i);
		clock_gettime(CLOCK_MONOTONIC, &b);
	}
	ck_assert_int_eq(rc, ALGAUDIT_EFULL);
	ck_assert_int_eq(i, 65);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	ck_assert_int_ge(ms, 190);
	ck_assert_int_eq(algaudit_close(c), ALGAUDIT_ETIMEDOUT);
	atomic_store(&fk->f_hold, 0);
	algaudit_record_free(r);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_drop_loss_record)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	struct algaudit_record *r;
	uint64_t dropped;
	int i;

	ck_assert_int_eq(algaudit_options_set_queue(o, 64, 64 * 1024), 0);
	ck_assert_int_eq(algaudit_options_set_overflow(o,
	    ALGAUDIT_OVERFLOW_DROP, 0), 0);
	fk = fake_new();
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	ck_assert_int_eq(algaudit_record_new(&r), 0);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(log_one(c, r, i), 0);
	dropped = algaudit_counter(c, ALGAUDIT_COUNTER_DROPPED);
	ck_assert_uint_eq(dropped, 36);
	fake_start(fk);
	ck_assert_int_eq(algaudit_flush(c, 5000), 0);
	/* The loss record was queued when room came back. */
	usleep(100 * 1000);
	ck_assert_int_eq(algaudit_flush(c, 5000), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	pthread_mutex_lock(&fk->f_lock);
	ck_assert_uint_eq(fk->f_lost_total, dropped);
	ck_assert_uint_eq(fk->f_n, 64 + 1);
	pthread_mutex_unlock(&fk->f_lock);
	algaudit_record_free(r);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_fork_child)
{
	struct algaudit_options *o = test_options();
	struct algaudit_client *c;
	struct algaudit_record *r;
	pid_t pid;
	int status;

	fk = fake_new();
	fake_start(fk);
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", o, &c), 0);
	ck_assert_int_eq(algaudit_record_new(&r), 0);
	ck_assert_int_eq(log_one(c, r, 0), 0);
	pid = fork();
	ck_assert_int_ne(pid, -1);
	if (pid == 0) {
		int ok = log_one(c, r, 1) == ALGAUDIT_EFORKED &&
		    algaudit_flush(c, 10) == ALGAUDIT_EFORKED &&
		    algaudit_close(c) == ALGAUDIT_EFORKED;
		/* Nothing leaks in the child either (valgrind). */
		algaudit_record_free(r);
		algaudit_options_free(o);
		_exit(ok ? 0 : 1);
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_int_eq(log_one(c, r, 1), 0);
	ck_assert_int_eq(algaudit_flush(c, 5000), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_check_exactly_once(fk, 2);
	algaudit_record_free(r);
	fake_stop(fk);
	fake_free(fk);
	algaudit_options_free(o);
}
END_TEST

/* A log callback that keeps the last message. */
static void
keep_log(int level, const char *msg, void *arg)
{
	(void)level;
	snprintf(arg, 256, "%s", msg);
}

START_TEST(test_open_bad_args)
{
	struct algaudit_client *c = NULL;
	struct algaudit_options *o = test_options();
	char dir[300], last[256] = "";

	/* The log callback says what is wrong. */
	ck_assert_int_eq(algaudit_options_set_log(o, keep_log, last), 0);
	ck_assert_int_eq(algaudit_open("udp:x", "p1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_str_eq(last, "endpoint 'udp:x': expected unix:PATH, "
	    "tcp:HOST:PORT or tls:HOST:PORT");
	ck_assert_int_eq(algaudit_open("unix:/x", "p 1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_str_eq(last, "producer_id: byte 1 is not printable ASCII");
	ck_assert_int_eq(algaudit_options_set_log(o, NULL, NULL), 0);

	ck_assert_int_eq(algaudit_open("http://x", "p1", NULL, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("unix:", "p1", NULL, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("tcp:host", "p1", NULL, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("tcp:host:0", "p1", NULL, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("tcp:host:70000", "p1", NULL, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("unix:/x", "", NULL, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("unix:/x", "a b", NULL, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("unix:/x", NULL, NULL, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_open("unix:/x", "p1", NULL, NULL),
	    ALGAUDIT_EINVAL);
	/* The spool policy needs a spool directory. */
	ck_assert_int_eq(algaudit_options_set_overflow(o,
	    ALGAUDIT_OVERFLOW_SPOOL, 10), 0);
	ck_assert_int_eq(algaudit_options_set_log(o, keep_log, last), 0);
	ck_assert_int_eq(algaudit_open("unix:/x", "p1", o, &c),
	    ALGAUDIT_EINVAL);
	ck_assert_str_eq(last, "overflow policy spool: no spool directory "
	    "set");
	ck_assert_int_eq(algaudit_options_set_log(o, NULL, NULL), 0);
	/* A spool directory that cannot be created. */
	snprintf(dir, sizeof(dir), "%s/no/such/dir", test_dir);
	ck_assert_int_eq(algaudit_options_set_spool(o, dir, 0), 0);
	ck_assert_int_eq(algaudit_open("unix:/x", "p1", o, &c),
	    ALGAUDIT_ESPOOL);
	ck_assert_ptr_null(c);
	/* Two handles cannot share one spool. */
	snprintf(dir, sizeof(dir), "%s/sp", test_dir);
	ck_assert_int_eq(algaudit_options_set_spool(o, dir, 0), 0);
	ck_assert_int_eq(algaudit_open("unix:/x", "p1", o, &c), 0);
	{
		struct algaudit_client *c2 = NULL;

		ck_assert_int_eq(algaudit_open("unix:/x", "p1", o, &c2),
		    ALGAUDIT_ESPOOL);
		ck_assert_ptr_null(c2);
	}
	ck_assert_int_eq(algaudit_options_set_close_timeout(o, 0), 0);
	ck_assert_int_eq(algaudit_close(c), 0);
	ck_assert_int_eq(algaudit_close(NULL), 0);
	ck_assert_int_eq(algaudit_log(NULL, NULL), ALGAUDIT_EINVAL);
	ck_assert_int_eq(algaudit_flush(NULL, 0), ALGAUDIT_EINVAL);
	ck_assert_uint_eq(algaudit_counter(NULL, 0), 0);
	algaudit_options_free(o);
}
END_TEST

START_TEST(test_log_invalid_record)
{
	struct algaudit_client *c;
	struct algaudit_record *r;

	fk = fake_new();
	ck_assert_int_eq(algaudit_open(fake_endpoint(fk), "p1", NULL, &c), 0);
	ck_assert_int_eq(algaudit_record_new(&r), 0);
	ck_assert_int_eq(algaudit_log(c, r), ALGAUDIT_EINVAL);
	ck_assert_str_eq(algaudit_record_error(r),
	    "algorithm.id: required, missing or empty");
	ck_assert_int_eq(algaudit_record_set_algorithm(r, "a", NULL), 0);
	ck_assert_int_eq(algaudit_log(c, r), ALGAUDIT_EINVAL);
	ck_assert_str_eq(algaudit_record_error(r),
	    "decision: required, missing or empty");
	ck_assert_int_eq(algaudit_record_set_decision(r, "x"), 0);
	ck_assert_int_eq(algaudit_log(c, r), ALGAUDIT_EINVAL);
	ck_assert_str_eq(algaudit_record_error(r), "data_class: required, "
	    "unspecified (ordinary, important or core)");
	ck_assert_uint_eq(algaudit_counter(c, ALGAUDIT_COUNTER_QUEUED), 0);
	algaudit_record_free(r);
	ck_assert_int_eq(algaudit_close(c), 0);
	fake_free(fk);
}
END_TEST

static Suite *
client_suite(void)
{
	Suite *s = suite_create("client");
	TCase *tc;

	tc = tcase_create("log");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_log_flush_exactly_once);
	tcase_add_test(tc, test_log_sync_receipt);
	tcase_add_test(tc, test_receipt_leaf_and_checkpoint);
	tcase_add_test(tc, test_receipt_bad_acks);
	tcase_add_test(tc, test_log_invalid_record);
	tcase_add_test(tc, test_open_bad_args);
	suite_add_tcase(s, tc);

	tc = tcase_create("failures");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_reconnect_resend);
	tcase_add_test(tc, test_durable_mark_in_middle);
	tcase_add_test(tc, test_invalid_record_refusal);
	tcase_add_test(tc, test_record_above_frame_limit);
	tcase_add_test(tc, test_fenced);
	tcase_add_test(tc, test_daemon_late);
	tcase_add_test(tc, test_fork_child);
	suite_add_tcase(s, tc);

	tc = tcase_create("overflow");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_spool_restart);
	tcase_add_test(tc, test_spool_overflow_while_down);
	tcase_add_test(tc, test_spool_policy_slow_daemon);
	tcase_add_test(tc, test_block_efull);
	tcase_add_test(tc, test_drop_loss_record);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	SRunner *sr = srunner_create(client_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
