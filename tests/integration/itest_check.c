/* SPDX-License-Identifier: ISC */
/*
 * itest_check.c: proves what the integration tests claim about a store:
 * every record itest_producer logged is present exactly once, each
 * producer's records appear in the order they were logged, producer_seq
 * strictly increases per producer, and log indexes are dense from 0.
 * Reads the store directly, read-only, like the tools do.
 *
 * usage: itest_check --store DIR --expect NAME:THREADS:COUNT ...
 * COUNT "prefix" accepts any number of records >= 1, as long as they are
 * 1..k, each once, in order (what survives of a killed producer).
 * Exit 0 when everything holds, 1 with the first violation named.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "algaudit.pb-c.h"
#include "store.h"

#define CHECK_MAX_PRODUCERS	32
#define CHECK_MAX_THREADS	64
#define CHECK_PREFIX		UINT64_MAX	/* any count from 1 */

struct check_producer {
	char		 cp_name[128];
	int		 cp_threads;
	uint64_t	 cp_count;
	uint64_t	 cp_next[CHECK_MAX_THREADS];	/* next expected n */
	uint64_t	 cp_last_seq;
};

/* Says how many records were expected, for a message. */
static const char *
check_count_text(const struct check_producer *cp)
{
	static char buf[32];

	if (cp->cp_count == CHECK_PREFIX)
		return "at least 1";
	snprintf(buf, sizeof(buf), "%" PRIu64, cp->cp_count);
	return buf;
}

/* Finds a producer by name; NULL if not expected. */
static struct check_producer *
check_find(struct check_producer *ps, int n, const char *name)
{
	int i;

	for (i = 0; i < n; i++)
		if (strcmp(ps[i].cp_name, name) == 0)
			return &ps[i];
	return NULL;
}

static void __attribute__((noreturn))
check_usage(void)
{
	fprintf(stderr, "usage: itest_check --store DIR --expect "
	    "NAME:THREADS:COUNT ...\n");
	exit(2);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "store", required_argument, NULL, 's' },
		{ "expect", required_argument, NULL, 'e' },
		{ NULL, 0, NULL, 0 }
	};
	struct check_producer ps[CHECK_MAX_PRODUCERS], *cp;
	struct store *s = NULL;
	struct store_iter *it = NULL;
	Algaudit__V1__Entry *e;
	const void *buf;
	const char *dir = NULL;
	char pname[128];
	size_t len;
	uint64_t idx, expect_idx = 0, n, total = 0;
	int ch, np = 0, tid, rc, i, t;

	memset(ps, 0, sizeof(ps));
	while ((ch = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (ch) {
		case 's':
			dir = optarg;
			break;
		case 'e':
			if (np == CHECK_MAX_PRODUCERS)
				check_usage();
			if (sscanf(optarg, "%127[^:]:%d:%" SCNu64,
			    ps[np].cp_name, &ps[np].cp_threads,
			    &ps[np].cp_count) != 3 &&
			    sscanf(optarg, "%127[^:]:%d:prefix",
			    ps[np].cp_name, &ps[np].cp_threads) == 2)
				ps[np].cp_count = CHECK_PREFIX;
			else if (sscanf(optarg, "%127[^:]:%d:%" SCNu64,
			    ps[np].cp_name, &ps[np].cp_threads,
			    &ps[np].cp_count) != 3)
				check_usage();
			if (ps[np].cp_threads < 1 ||
			    ps[np].cp_threads > CHECK_MAX_THREADS)
				check_usage();
			for (t = 0; t < CHECK_MAX_THREADS; t++)
				ps[np].cp_next[t] = 1;
			np++;
			break;
		default:
			check_usage();
		}
	}
	if (dir == NULL || np == 0)
		check_usage();

	if ((rc = store_open(&s, dir, STORE_RDONLY, NULL)) != 0) {
		fprintf(stderr, "itest_check: %s: %s\n", dir,
		    store_strerror(rc));
		return 1;
	}
	if ((rc = store_iter_open(s, 0, &it)) != 0) {
		fprintf(stderr, "itest_check: iter: %s\n", store_strerror(rc));
		return 1;
	}
	while ((rc = store_iter_next(it, &idx, &buf, &len)) == 0) {
		if (idx != expect_idx) {
			fprintf(stderr, "itest_check: index %" PRIu64 " where %"
			    PRIu64 " was expected: log not dense\n", idx,
			    expect_idx);
			return 1;
		}
		expect_idx++;
		e = algaudit__v1__entry__unpack(NULL, len, buf);
		if (e == NULL || e->record == NULL || !e->has_index ||
		    e->index != idx) {
			fprintf(stderr, "itest_check: entry %" PRIu64 ": does "
			    "not decode or carries the wrong index\n", idx);
			return 1;
		}
		if (e->record->decision_id == NULL ||
		    sscanf(e->record->decision_id, "%127[^/]/%d/%" SCNu64,
		    pname, &tid, &n) != 3) {
			algaudit__v1__entry__free_unpacked(e, NULL);
			continue;	/* not ours (e.g. a loss record) */
		}
		if ((cp = check_find(ps, np, pname)) == NULL ||
		    strcmp(cp->cp_name, e->producer_id) != 0 ||
		    tid < 0 || tid >= cp->cp_threads) {
			fprintf(stderr, "itest_check: entry %" PRIu64 ": "
			    "unexpected record %s from producer %s\n", idx,
			    e->record->decision_id, e->producer_id);
			return 1;
		}
		if (n != cp->cp_next[tid]) {
			fprintf(stderr, "itest_check: entry %" PRIu64 ": %s: "
			    "expected n=%" PRIu64 " (%s)\n", idx,
			    e->record->decision_id, cp->cp_next[tid],
			    n < cp->cp_next[tid] ? "duplicate or reordered" :
			    "records missing before it");
			return 1;
		}
		if (e->record->producer_seq <= cp->cp_last_seq) {
			fprintf(stderr, "itest_check: entry %" PRIu64 ": "
			    "producer_seq %" PRIu64 " not above %" PRIu64 "\n",
			    idx, e->record->producer_seq, cp->cp_last_seq);
			return 1;
		}
		cp->cp_last_seq = e->record->producer_seq;
		cp->cp_next[tid]++;
		total++;
		algaudit__v1__entry__free_unpacked(e, NULL);
	}
	if (rc != STORE_ENOTFOUND) {
		fprintf(stderr, "itest_check: iter: %s\n", store_strerror(rc));
		return 1;
	}
	store_iter_close(it);
	store_close(s);
	for (i = 0; i < np; i++)
		for (t = 0; t < ps[i].cp_threads; t++)
			if (ps[i].cp_count == CHECK_PREFIX ?
			    ps[i].cp_next[t] < 2 :
			    ps[i].cp_next[t] != ps[i].cp_count + 1) {
				fprintf(stderr, "itest_check: %s thread %d: %"
				    PRIu64 " records present, %s expected\n",
				    ps[i].cp_name, t, ps[i].cp_next[t] - 1,
				    check_count_text(&ps[i]));
				return 1;
			}
	for (i = 0; i < np; i++)
		printf("itest_check: %s: %" PRIu64 " records per thread\n",
		    ps[i].cp_name, ps[i].cp_next[0] - 1);
	printf("itest_check: %" PRIu64 " records present exactly once, in "
	    "order; %" PRIu64 " entries\n", total, expect_idx);
	return 0;
}
