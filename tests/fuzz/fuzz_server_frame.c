/* SPDX-License-Identifier: ISC */
/*
 * fuzz_server_frame.c: libFuzzer harness for the client library's
 * handling of what a (possibly hostile) daemon sends: io_read() cutting
 * frames out of the socket's bytes, frame_unpack_server() with the
 * bounded allocator, and io_on_welcome(), io_on_ack(), io_on_error()
 * acting on them against real in-flight batches, down to the receipts
 * of sync waiters (client_resolve(), which copies leaf hashes out of
 * the Ack).
 *
 * Those functions are static in client/io.c and client/client.c, so
 * both files are compiled into this harness (the archive's client.o
 * and io.o are then not linked). The handle is set up as
 * algaudit_open() does, but without the I/O thread: this harness plays
 * the thread's loop itself, single-threaded and with a fake clock, so
 * a run depends on the input alone. The daemon's end is a socketpair.
 *
 * Input: byte 0 chooses the handle (bit 0: checkpointed acks; bit 1:
 * leaf hashes; bits 2-3: batch size - 1; bits 4-6: records logged
 * before the connection, 0 to 7; bit 7: each through a sync waiter),
 * byte 1 the size of the chunks the daemon's bytes arrive in (0: one
 * frame at a time), and the rest is what the daemon sends. Before each
 * chunk the client sends what it has (batches leave before the daemon
 * answers them); when it drops the connection, it reconnects (up to
 * FUZZ_SF_CONNECTS_MAX connections in all) and the next chunk goes to
 * the new one; at the end the daemon closes.
 *
 * What it checks besides the sanitizers: the client never resolves
 * more records than were logged, and resolved waiters are within them.
 */
#include "../../client/client.c"
#include "../../client/io.c"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_SF_RECORDS_MAX	7
#define FUZZ_SF_CONNECTS_MAX	8	/* then the daemon stays away */
#define FUZZ_SF_STEP_US		100000	/* per chunk: past any linger */
#define FUZZ_SF_EVENT_TIME	INT64_C(1714564800000000000)

/* One run: the handle, the daemon's end, the sync waiters. */
struct fuzz_sf {
	struct algaudit_client	*fs_c;
	int			 fs_peer;
	int			 fs_connects;
	uint64_t		 fs_now;
	uint64_t		 fs_logged;
	size_t			 fs_nwait;
	struct client_waiter	 fs_wait[FUZZ_SF_RECORDS_MAX];
};

/* Stops the run on a broken invariant: libFuzzer saves the input. */
static void
fuzz_sf_fail(const char *what)
{
	fprintf(stderr, "fuzz_server_frame: %s\n", what);
	abort();
}

/*
 * The application's log callback: reads the message, and prints it
 * when FUZZ_VERBOSE is set (to see what a seed makes the client do).
 */
static void
fuzz_sf_log(int level, const char *msg, void *arg)
{
	(void)arg;
	if (level < ALGAUDIT_LOG_ERROR || level > ALGAUDIT_LOG_DEBUG ||
	    strlen(msg) >= 768)
		fuzz_sf_fail("log callback: bad level or message");
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "client log %d: %s\n", level, msg);
}

/*
 * Creates the handle as algaudit_open() does, minus the I/O thread and
 * the spool, with the options flags asks for.
 */
static struct algaudit_client *
fuzz_sf_open(unsigned flags)
{
	struct algaudit_options o;
	struct algaudit_client *c;
	pthread_condattr_t ca;

	options_defaults(&o);
	o.o_queue_records = 64;
	o.o_queue_bytes = OPTIONS_QUEUE_BYTES_MIN;
	o.o_ack_level = (flags & 0x01) ? ALGAUDIT_ACK_CHECKPOINTED :
	    ALGAUDIT_ACK_DURABLE;
	o.o_leaf_hashes = (flags & 0x02) != 0;
	o.o_batch_records = 1 + ((flags >> 2) & 0x03);
	o.o_log_fn = fuzz_sf_log;
	if ((c = calloc(1, sizeof(*c))) == NULL ||
	    options_copy(&c->c_opts, &o) != 0 ||
	    (c->c_endpoint = strdup("unix:/nonexistent/fuzz.sock")) == NULL ||
	    (c->c_producer = strdup("fuzz-producer")) == NULL)
		fuzz_sf_fail("out of memory");
	c->c_gen = atomic_load(&client_fork_gen);
	if (pthread_mutex_init(&c->c_lock, NULL) != 0 ||
	    pthread_condattr_init(&ca) != 0 ||
	    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&c->c_done, &ca) != 0)
		fuzz_sf_fail("pthread init");
	pthread_condattr_destroy(&ca);
	if (queue_new(c->c_opts.o_queue_records, c->c_opts.o_queue_bytes,
	    &c->c_q) != 0 ||
	    io_new(c, c->c_endpoint, c->c_producer, &c->c_opts, c->c_q, NULL,
	    0, &c->c_io) != 0)
		fuzz_sf_fail("queue_new or io_new");
	/* io_new() seeds the jitter from the clock; a run must not vary. */
	backoff_init(&c->c_io->io_backoff, c->c_opts.o_backoff_initial_ms,
	    c->c_opts.o_backoff_max_ms, UINT64_C(0x9e3779b97f4a7c15));
	return c;
}

/* Logs n records, each through a sync waiter when sync is set. */
static void
fuzz_sf_log_records(struct fuzz_sf *fs, unsigned n, int sync)
{
	struct algaudit_record *rec;
	char subject[32];
	unsigned i;

	if (algaudit_record_new(&rec) != 0)
		fuzz_sf_fail("algaudit_record_new");
	for (i = 0; i < n; i++) {
		algaudit_record_reset(rec);
		snprintf(subject, sizeof(subject), "subject-%u", i);
		if (algaudit_record_set_event_time(rec, FUZZ_SF_EVENT_TIME +
		    i) != 0 ||
		    algaudit_record_set_algorithm(rec, "credit", "1.0") != 0 ||
		    algaudit_record_set_decision(rec, "approve") != 0 ||
		    algaudit_record_set_subject(rec, subject) != 0 ||
		    algaudit_record_set_data_class(rec,
		    ALGAUDIT_CLASS_ORDINARY) != 0)
			fuzz_sf_fail("record setters");
		if (client_enqueue(fs->fs_c, rec, sync ?
		    &fs->fs_wait[fs->fs_nwait] : NULL) != 0)
			fuzz_sf_fail("client_enqueue");
		if (sync)
			fs->fs_nwait++;
		fs->fs_logged++;
	}
	algaudit_record_free(rec);
}

/* Removes a sync waiter, as algaudit_log_sync() does when it returns. */
static void
fuzz_sf_unwait(struct algaudit_client *c, struct client_waiter *w)
{
	pthread_mutex_lock(&c->c_lock);
	if (w->w_prev != NULL)
		w->w_prev->w_next = w->w_next;
	else
		c->c_sync = w->w_next;
	if (w->w_next != NULL)
		w->w_next->w_prev = w->w_prev;
	atomic_fetch_sub(&c->c_nsync, 1);
	atomic_fetch_sub(&c->c_nwaiters, 1);
	pthread_mutex_unlock(&c->c_lock);
}

/* Connects the client to a new daemon end, as io_connect() does. */
static void
fuzz_sf_connect(struct fuzz_sf *fs)
{
	struct io *io = fs->fs_c->c_io;
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0, sv) == -1)
		fuzz_sf_fail("socketpair");
	io->io_fd = sv[0];
	fs->fs_peer = sv[1];
	fs->fs_connects++;
	io_hello(io, fs->fs_now);
}

/* Reads and drops what the client sent (its Hello and batches). */
static void
fuzz_sf_drain(struct fuzz_sf *fs)
{
	uint8_t buf[16384];

	while (fs->fs_peer != -1 && recv(fs->fs_peer, buf, sizeof(buf), 0) >
	    0)
		continue;
}

/*
 * What io_main() does between two reads: send what is pending, fill
 * batches, and once the linger time has passed (a timer wakeup) fill
 * again, so that batches are in flight before the daemon answers.
 */
static void
fuzz_sf_send(struct fuzz_sf *fs)
{
	struct io *io = fs->fs_c->c_io;

	if (io->io_fd != -1 && io->io_out_len > 0)
		(void)io_write(io, fs->fs_now);
	io_fill(io, fs->fs_now);
	fs->fs_now += FUZZ_SF_STEP_US;
	io_fill(io, fs->fs_now);
	fuzz_sf_drain(fs);
}

/*
 * The daemon sends len bytes and the client reads them. When the client
 * dropped the connection, it reconnects (unless fenced) as it would
 * once its backoff ran out.
 */
static void
fuzz_sf_receive(struct fuzz_sf *fs, const uint8_t *buf, size_t len)
{
	struct io *io = fs->fs_c->c_io;
	size_t off = 0;
	ssize_t n;

	while (off < len && io->io_fd != -1) {
		n = send(fs->fs_peer, buf + off, len - off, MSG_NOSIGNAL);
		if (n == -1 && errno != EAGAIN)
			fuzz_sf_fail("send to the client");
		if (n > 0)
			off += (size_t)n;
		io_read(io, fs->fs_now);
	}
	if (io->io_fd == -1) {
		close(fs->fs_peer);
		fs->fs_peer = -1;
		if (io->io_state != IO_FENCED &&
		    fs->fs_connects < FUZZ_SF_CONNECTS_MAX)
			fuzz_sf_connect(fs);
	}
}

/*
 * Returns the length of the next chunk of the daemon's bytes: chunk
 * bytes, or with chunk 0 one whole frame as its header announces.
 */
static size_t
fuzz_sf_chunk(const uint8_t *buf, size_t len, size_t chunk)
{
	size_t n;

	if (chunk == 0) {
		if (len < FRAME_HEADER_LEN)
			return len;
		n = (size_t)FRAME_HEADER_LEN + frame_body_len(buf);
	} else
		n = chunk;
	return n < len ? n : len;
}

/* Checks what the client resolved against what was logged. */
static void
fuzz_sf_check(struct fuzz_sf *fs)
{
	struct algaudit_client *c = fs->fs_c;
	uint64_t done;
	size_t i;

	done = atomic_load(&c->c_counters[ALGAUDIT_COUNTER_ACKED]) +
	    atomic_load(&c->c_counters[ALGAUDIT_COUNTER_REJECTED]);
	if (c->c_done_pos > fs->fs_logged || done > fs->fs_logged)
		fuzz_sf_fail("resolved more records than were logged");
	for (i = 0; i < fs->fs_nwait; i++)
		if (fs->fs_wait[i].w_done &&
		    fs->fs_wait[i].w_pos >= c->c_done_pos)
			fuzz_sf_fail("a waiter was resolved out of order");
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "logged %llu, resolved %llu: acked %llu, "
		    "rejected %llu; sent %llu, retried %llu, reconnects %llu\n",
		    (unsigned long long)fs->fs_logged,
		    (unsigned long long)c->c_done_pos,
		    (unsigned long long)atomic_load(
		    &c->c_counters[ALGAUDIT_COUNTER_ACKED]),
		    (unsigned long long)atomic_load(
		    &c->c_counters[ALGAUDIT_COUNTER_REJECTED]),
		    (unsigned long long)atomic_load(
		    &c->c_counters[ALGAUDIT_COUNTER_SENT]),
		    (unsigned long long)atomic_load(
		    &c->c_counters[ALGAUDIT_COUNTER_RETRIED]),
		    (unsigned long long)atomic_load(
		    &c->c_counters[ALGAUDIT_COUNTER_RECONNECTS]));
}

/* libFuzzer entry point: see the file comment for the input. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_sf fs;
	size_t off, chunk, n;
	unsigned flags;
	size_t i;

	if (size < 2)
		return 0;
	flags = data[0];
	chunk = data[1];
	memset(&fs, 0, sizeof(fs));
	fs.fs_peer = -1;
	fs.fs_now = 1000000;
	fs.fs_c = fuzz_sf_open(flags);
	fuzz_sf_log_records(&fs, (flags >> 4) & 0x07, (flags & 0x80) != 0);
	fuzz_sf_connect(&fs);
	for (off = 2; off < size && fs.fs_peer != -1; off += n) {
		fuzz_sf_send(&fs);
		n = fuzz_sf_chunk(data + off, size - off, chunk);
		fuzz_sf_receive(&fs, data + off, n);
	}
	/* The daemon closes: the client sees the end of its input. */
	if (fs.fs_peer != -1) {
		fuzz_sf_send(&fs);
		close(fs.fs_peer);
		fs.fs_peer = -1;
		if (fs.fs_c->c_io->io_fd != -1)
			io_read(fs.fs_c->c_io, fs.fs_now);
	}
	fuzz_sf_check(&fs);
	for (i = 0; i < fs.fs_nwait; i++)
		fuzz_sf_unwait(fs.fs_c, &fs.fs_wait[i]);
	client_free(fs.fs_c);
	return 0;
}
