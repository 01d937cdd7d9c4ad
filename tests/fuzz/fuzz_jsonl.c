/* SPDX-License-Identifier: ISC */
/*
 * fuzz_jsonl.c: libFuzzer harness for the JSON Lines reader of
 * `algaudit log` (tools/json_record.c), and for what the daemon makes of
 * every record that reader accepts.
 *
 * The input is what `algaudit log` reads on stdin. It is cut into lines
 * as tools/cmd_log.c does: at each newline (the last line may lack
 * one), a byte order mark dropped from the first line, blank lines
 * (spaces, tabs, CRs) skipped, a line with a NUL byte refused; each
 * line, NUL-terminated in a buffer of its own size, goes to
 * json_record_parse() with a fixed "now". As in cmd_log.c the first
 * refused line ends the input.
 *
 * A line the reader accepts is then sent the way algaudit_log() and
 * the I/O thread would: builder_prepare(), a producer_seq, one Batch
 * frame, which goes through the daemon's path (frame_decode(), the
 * bounded unpack, batch_check()). The client's checks promise that the
 * daemon takes what they let through (record.c: "the client runs the
 * same checks"), and the unpack budget claims to cover the densest
 * valid batch (frame.h, FRAME_UNPACK_FACTOR): a record refused there,
 * or one too large for a frame, stops the run as a finding.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "daemon.h"
#include "frame.h"
#include "record.h"
#include "tools.h"

int	 LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define FUZZ_JSONL_NOW		INT64_C(1714564800000000000)

/* Stops the run on a broken promise: libFuzzer saves the input. */
static void
fuzz_jsonl_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_jsonl: %s: %s\n", what, detail);
	abort();
}

/*
 * Sends the record rec as algaudit_log() would, as the only record of a
 * Batch with seq 1, through the daemon's checks. Returns 0, or -1 when
 * the library itself refuses it (algaudit_log() returns EINVAL then).
 */
static int
fuzz_jsonl_send(struct algaudit_record *rec)
{
	Algaudit__V1__ClientFrame cf = ALGAUDIT__V1__CLIENT_FRAME__INIT;
	Algaudit__V1__Batch batch = ALGAUDIT__V1__BATCH__INIT;
	Algaudit__V1__DecisionRecord m, *mp = &m;
	Algaudit__V1__ClientFrame *in;
	struct frame_alloc fa;
	char msg[512];
	uint8_t *buf;
	size_t len, need, bad;

	if (builder_prepare(rec, &m, FUZZ_JSONL_NOW) != 0)
		return -1;
	m.has_producer_seq = 1;
	m.producer_seq = 1;
	batch.n_records = 1;
	batch.records = &mp;
	cf.msg_case = ALGAUDIT__V1__CLIENT_FRAME__MSG_BATCH;
	cf.batch = &batch;
	len = frame_size(&cf.base);
	if ((buf = malloc(len)) == NULL)
		fuzz_jsonl_fail("out of memory", "frame");
	frame_encode(&cf.base, buf);
	if (frame_decode(buf, len, FRAME_MAX_DEFAULT, &need) != FRAME_OK ||
	    need != len)
		fuzz_jsonl_fail("the daemon refuses the frame",
		    "FRAME_TOO_LARGE");
	frame_alloc_init(&fa, frame_unpack_cap(len - FRAME_HEADER_LEN));
	in = frame_unpack_client(&fa, buf + FRAME_HEADER_LEN,
	    len - FRAME_HEADER_LEN);
	free(buf);
	if (in == NULL)
		fuzz_jsonl_fail("the daemon cannot unpack the batch",
		    "not a ClientFrame, or over the unpack budget");
	msg[0] = '\0';
	if (in->msg_case != ALGAUDIT__V1__CLIENT_FRAME__MSG_BATCH ||
	    batch_check(in->batch->records, in->batch->n_records, 0, 0, &bad,
	    msg, sizeof(msg)) == -1)
		fuzz_jsonl_fail("the daemon refuses a record the client "
		    "accepted", msg);
	frame_free_client(&fa, in);
	return 0;
}

/* cmd_log_blank(): spaces, tabs and CRs only. */
static int
fuzz_jsonl_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/*
 * Handles one line of len bytes as cmd_log_lines() does. Returns 0 to
 * go on, -1 when `algaudit log` would stop at this line.
 */
static int
fuzz_jsonl_line(struct algaudit_record *rec, const uint8_t *p, size_t len,
    int first)
{
	char err[JSON_RECORD_ERRLEN], *line;
	int rc = -1;

	err[0] = '\0';
	if (first && len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0) {
		p += 3;
		len -= 3;
	}
	/* Its own buffer, so that the sanitizer sees a read past it. */
	if ((line = malloc(len + 1)) == NULL)
		fuzz_jsonl_fail("out of memory", "line");
	if (len > 0)
		memcpy(line, p, len);
	line[len] = '\0';
	if (fuzz_jsonl_blank(line, len))
		rc = 0;
	else if (memchr(line, '\0', len) != NULL)
		rc = -1;
	else if (json_record_parse(rec, line, len, FUZZ_JSONL_NOW, err,
	    sizeof(err)) == -1) {
		if (err[0] == '\0' || memchr(err, '\0', sizeof(err)) == NULL)
			fuzz_jsonl_fail("refused without a message", line);
		rc = -1;
	} else if ((rc = fuzz_jsonl_send(rec)) == 0)
		snprintf(err, sizeof(err), "sent and taken by the daemon");
	else
		snprintf(err, sizeof(err), "algaudit_log: %s",
		    algaudit_record_error(rec));
	if (getenv("FUZZ_VERBOSE") != NULL)
		fprintf(stderr, "fuzz_jsonl: line of %zu bytes: %s\n", len,
		    fuzz_jsonl_blank(line, len) ? "blank" :
		    memchr(line, '\0', len) != NULL ? "NUL byte" : err);
	free(line);
	return rc;
}

/* libFuzzer entry point: the bytes of stdin. */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct algaudit_record *rec;
	const uint8_t *nl;
	size_t off = 0, len;
	int first = 1;

	if (algaudit_record_new(&rec) != 0)
		fuzz_jsonl_fail("out of memory", "record");
	while (off < size) {
		nl = memchr(data + off, '\n', size - off);
		len = nl != NULL ? (size_t)(nl - (data + off)) : size - off;
		if (fuzz_jsonl_line(rec, data + off, len, first) == -1)
			break;
		first = 0;
		off += len + 1;
	}
	algaudit_record_free(rec);
	return 0;
}
