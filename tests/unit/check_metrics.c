/* SPDX-License-Identifier: ISC */
/*
 * check_metrics.c: unit tests of daemon/metrics.c (Suite "metrics"):
 * the text exposition formatter on snapshots with known values (every
 * family has its # HELP and # TYPE lines before its samples, histograms
 * are cumulative and end at +Inf with _count equal to it, labels and
 * values as documented), the histogram buckets, the loop's counting
 * hooks (records and bytes received, refusals and Error frames by code,
 * out-of-range codes; clock skew is not theirs: the writer counts the
 * entries it flags, check_writer.c) through metrics_snapshot(),
 * and the loopback test that guards --metrics. No event loop and no
 * socket: the HTTP side is covered by tests/integration/t_metrics.sh.
 */
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon.h"

static char *check_text;	/* the last formatted output */
static size_t check_len;

/* Formats ms into check_text (freed by the fixture) and checks it. */
static void
check_format(const struct metrics_snap *ms)
{
	FILE *fp;

	free(check_text);
	check_text = NULL;
	ck_assert_ptr_nonnull(fp = open_memstream(&check_text, &check_len));
	ck_assert_int_eq(metrics_format(ms, fp), 0);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_uint_gt(check_len, 0);
	ck_assert_int_eq(check_text[check_len - 1], '\n');
}

/* Asserts that line (without its newline) is a line of check_text. */
static void
check_line(const char *line)
{
	const char *p = check_text;
	size_t n = strlen(line);

	while ((p = strstr(p, line)) != NULL) {
		if ((p == check_text || p[-1] == '\n') && p[n] == '\n')
			return;
		p += n;
	}
	ck_abort_msg("line '%s' not in the output:\n%s", line, check_text);
}

/* Checked fixture teardown: frees the output. */
static void
check_teardown(void)
{
	free(check_text);
	check_text = NULL;
}

/* A snapshot with a distinct value in every field that shows. */
static void
check_snap(struct metrics_snap *ms)
{
	size_t i;

	memset(ms, 0, sizeof(*ms));
	ms->ms_now_ns = 10000000000;		/* 10 s */
	ms->ms_start_ns = 2500000000;
	ms->ms_recv_bytes = 4096;
	ms->ms_recv_batches = 9;
	ms->ms_recv_records = 42;
	ms->ms_rejected[ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD] = 7;
	ms->ms_rejected[ALGAUDIT__V1__ERROR_CODE__ERROR_STORE_FULL] = 11;
	ms->ms_errors[ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD] = 2;
	ms->ms_errors[ALGAUDIT__V1__ERROR_CODE__ERROR_SHUTTING_DOWN] = 5;
	ms->ms_skew[0] = 3;
	ms->ms_skew[1] = 4;
	ms->ms_skew_s = 300;
	ms->ms_accepted = 17;
	ms->ms_shed = 3;
	ms->ms_tls_failed = 5;
	ms->ms_conns[CONN_HELLO] = 1;
	ms->ms_conns[CONN_ACTIVE] = 6;
	ms->ms_conns[CONN_DRAINING] = 2;
	ms->ms_conns[CONN_CLOSED] = 3;
	ms->ms_paused = 2;
	ms->ms_pending_bytes = 12345;
	ms->ms_pending_batches = 8;
	ms->ms_pending_limit = 268435456;
	ms->ms_scrapes = 1;
	ms->ms_w.ws_commits = 5;
	ms->ms_w.ws_batches = 9;
	ms->ms_w.ws_records = 40;
	ms->ms_w.ws_duplicates = 2;
	ms->ms_w.ws_bytes = 9999;
	ms->ms_w.ws_failures[WRITER_FAIL_IO] = 1;
	ms->ms_w.ws_failures[WRITER_FAIL_MAXSIZE] = 6;
	/* Per bucket: 1 at <= 0.5 ms, 2 at <= 2 ms, 2 above 5 s. */
	ms->ms_w.ws_lat[0] = 1;
	ms->ms_w.ws_lat[2] = 2;
	ms->ms_w.ws_lat[WRITER_LAT_NB] = 2;
	ms->ms_w.ws_lat_sum_ns = 11001500000;
	for (i = 0; i < 5; i++)
		ms->ms_w.ws_recs[i * 2]++;
	ms->ms_w.ws_recs_sum = 42;
	ms->ms_w.ws_log_size = 1040;
	ms->ms_w.ws_ckpt_size = 1024;
	ms->ms_w.ws_ckpts = 3;
	ms->ms_w.ws_ckpt_ns = 7500000000;	/* 2.5 s before now */
	ms->ms_w.ws_state = WRITER_STORE_FAILED;
	ms->ms_w.ws_free_level = HEALTH_FREE_LOW;
	ms->ms_w.ws_reopens = 2;
	ms->ms_w.ws_reopen_failures = 1;
	ms->ms_w.ws_file_bytes = 65536;
	ms->ms_w.ws_map_bytes = 67108864;
	ms->ms_w.ws_map_used = 40960;
	ms->ms_w.ws_max_size = 1048576;
	ms->ms_w.ws_fs_size = 8388608;
	ms->ms_w.ws_fs_avail = 838860;
}

START_TEST(test_format_values)
{
	struct metrics_snap ms;

	check_snap(&ms);
	check_format(&ms);
	check_line("algaudit_received_bytes_total 4096");
	check_line("algaudit_received_batches_total 9");
	check_line("algaudit_received_records_total 42");
	check_line("algaudit_rejected_records_total{code=\"INVALID_RECORD\"} "
	    "7");
	check_line("algaudit_rejected_records_total{code=\"STORE_FULL\"} 11");
	check_line("algaudit_rejected_records_total{code=\"STORE_FAILED\"} 0");
	check_line("algaudit_errors_sent_total{code=\"SHUTTING_DOWN\"} 5");
	check_line("algaudit_clock_skew_records_total{direction=\"ahead\"} 3");
	check_line("algaudit_clock_skew_records_total{direction=\"behind\"} "
	    "4");
	check_line("algaudit_clock_skew_threshold_seconds 300");
	check_line("algaudit_connections_accepted_total 17");
	check_line("algaudit_connections_shed_total 3");
	check_line("algaudit_tls_handshake_failures_total 5");
	check_line("algaudit_connections{state=\"hello\"} 1");
	check_line("algaudit_connections{state=\"active\"} 6");
	check_line("algaudit_connections{state=\"draining\"} 2");
	check_line("algaudit_connections{state=\"closed\"} 3");
	check_line("algaudit_connections_paused 2");
	check_line("algaudit_pending_batches 8");
	check_line("algaudit_pending_bytes 12345");
	check_line("algaudit_pending_bytes_limit 268435456");
	check_line("algaudit_commits_total 5");
	check_line("algaudit_committed_records_total 40");
	check_line("algaudit_committed_duplicates_total 2");
	check_line("algaudit_committed_bytes_total 9999");
	check_line("algaudit_commit_failures_total{reason=\"io\"} 1");
	check_line("algaudit_commit_failures_total{reason=\"max_size\"} 6");
	check_line("algaudit_commit_failures_total{reason=\"full\"} 0");
	check_line("algaudit_log_entries 1040");
	check_line("algaudit_checkpoint_size 1024");
	check_line("algaudit_checkpoints_total 3");
	check_line("algaudit_checkpoint_age_seconds 2.500000");
	check_line("algaudit_store_state{state=\"ok\"} 0");
	check_line("algaudit_store_state{state=\"full\"} 0");
	check_line("algaudit_store_state{state=\"failed\"} 1");
	check_line("algaudit_store_reopens_total{result=\"ok\"} 2");
	check_line("algaudit_store_reopens_total{result=\"failed\"} 1");
	check_line("algaudit_store_file_bytes 65536");
	check_line("algaudit_store_max_bytes 1048576");
	check_line("algaudit_store_map_bytes 67108864");
	check_line("algaudit_store_map_used_bytes 40960");
	check_line("algaudit_store_fs_size_bytes 8388608");
	check_line("algaudit_store_fs_avail_bytes 838860");
	check_line("algaudit_store_free_level 1");
	check_line("algaudit_start_time_seconds 2.500000");
	check_line("algaudit_scrapes_total 1");
	/* Code 0 (unknown codes) and 11.. have no series. */
	ck_assert_ptr_null(strstr(check_text, "UNKNOWN"));
}
END_TEST

START_TEST(test_format_histograms)
{
	struct metrics_snap ms;

	check_snap(&ms);
	check_format(&ms);
	/* Cumulative, ending at +Inf = _count. */
	check_line("algaudit_commit_duration_seconds_bucket{le=\"0.0005\"} 1");
	check_line("algaudit_commit_duration_seconds_bucket{le=\"0.001\"} 1");
	check_line("algaudit_commit_duration_seconds_bucket{le=\"0.002\"} 3");
	check_line("algaudit_commit_duration_seconds_bucket{le=\"5\"} 3");
	check_line("algaudit_commit_duration_seconds_bucket{le=\"+Inf\"} 5");
	check_line("algaudit_commit_duration_seconds_count 5");
	check_line("algaudit_commit_duration_seconds_sum 11.001500000");
	check_line("algaudit_commit_records_bucket{le=\"1\"} 1");
	check_line("algaudit_commit_records_bucket{le=\"2\"} 1");
	check_line("algaudit_commit_records_bucket{le=\"4\"} 2");
	check_line("algaudit_commit_records_bucket{le=\"65536\"} 5");
	check_line("algaudit_commit_records_bucket{le=\"+Inf\"} 5");
	check_line("algaudit_commit_records_count 5");
	check_line("algaudit_commit_records_sum 42.000000000");
	check_line("# TYPE algaudit_commit_duration_seconds histogram");
	check_line("# TYPE algaudit_commit_records histogram");
}
END_TEST

START_TEST(test_format_help_type)
{
	struct metrics_snap ms;
	char name[128], type[32], want[256];
	const char *p, *s;
	int families = 0;

	check_snap(&ms);
	check_format(&ms);
	for (p = check_text; (p = strstr(p, "# TYPE ")) != NULL; p++) {
		ck_assert_int_eq(sscanf(p, "# TYPE %127s %31s", name, type),
		    2);
		ck_assert_msg(strcmp(type, "counter") == 0 ||
		    strcmp(type, "gauge") == 0 ||
		    strcmp(type, "histogram") == 0, "%s: type %s", name, type);
		/* Counters end in _total; HELP comes right before TYPE. */
		if (strcmp(type, "counter") == 0)
			ck_assert_msg(strlen(name) > 6 && strcmp(name +
			    strlen(name) - 6, "_total") == 0, "%s", name);
		snprintf(want, sizeof(want), "# HELP %s ", name);
		s = strstr(check_text, want);
		ck_assert_msg(s != NULL && s < p, "%s: no HELP before TYPE",
		    name);
		/* The first sample follows the TYPE line. */
		s = strchr(p, '\n') + 1;
		ck_assert_msg(strncmp(s, name, strlen(name)) == 0,
		    "%s: TYPE not followed by its samples", name);
		families++;
	}
	ck_assert_int_eq(families, 38);
}
END_TEST

START_TEST(test_format_zero)
{
	struct metrics_snap ms;

	/* A daemon that never started its writer: all zeros, still valid. */
	memset(&ms, 0, sizeof(ms));
	check_format(&ms);
	check_line("algaudit_commit_duration_seconds_bucket{le=\"+Inf\"} 0");
	check_line("algaudit_commit_duration_seconds_count 0");
	check_line("algaudit_store_state{state=\"ok\"} 1");
	check_line("algaudit_checkpoint_age_seconds 0.000000");
}
END_TEST

START_TEST(test_format_write_error)
{
	struct metrics_snap ms;
	FILE *fp;

	check_snap(&ms);
	ck_assert_ptr_nonnull(fp = fopen("/dev/full", "w"));
	setvbuf(fp, NULL, _IONBF, 0);
	ck_assert_int_eq(metrics_format(&ms, fp), -1);
	fclose(fp);
}
END_TEST

START_TEST(test_buckets)
{
	ck_assert_uint_eq(metrics_lat_bucket(0), 0);
	ck_assert_uint_eq(metrics_lat_bucket(500000), 0);
	ck_assert_uint_eq(metrics_lat_bucket(500001), 1);
	ck_assert_uint_eq(metrics_lat_bucket(1000000000), 10);
	ck_assert_uint_eq(metrics_lat_bucket(5000000000), WRITER_LAT_NB - 1);
	ck_assert_uint_eq(metrics_lat_bucket(5000000001), WRITER_LAT_NB);
	ck_assert_uint_eq(metrics_lat_bucket(UINT64_MAX), WRITER_LAT_NB);
	ck_assert_uint_eq(metrics_rec_bucket(0), 0);
	ck_assert_uint_eq(metrics_rec_bucket(1), 0);
	ck_assert_uint_eq(metrics_rec_bucket(3), 2);
	ck_assert_uint_eq(metrics_rec_bucket(65536), WRITER_REC_NB - 1);
	ck_assert_uint_eq(metrics_rec_bucket(65537), WRITER_REC_NB);
}
END_TEST

/* A daemon with just what the hooks and the snapshot use. */
static struct daemon *
check_daemon(void)
{
	struct daemon *d;

	ck_assert_ptr_nonnull(d = calloc(1, sizeof(*d)));
	TAILQ_INIT(&d->d_conns);
	TAILQ_INIT(&d->d_dead);
	d->d_cfg.cf_clock_skew = 300;
	d->d_cfg.cf_max_pending = 1 << 20;
	ck_assert_int_eq(metrics_new(d), 0);
	ck_assert_ptr_nonnull(d->d_metrics);
	return d;
}

START_TEST(test_hooks)
{
	Algaudit__V1__DecisionRecord r[5], *rp[5];
	Algaudit__V1__Batch b = ALGAUDIT__V1__BATCH__INIT;
	struct metrics_snap ms;
	struct daemon *d = check_daemon();
	const int64_t recv = (int64_t)1000000 * 1000000000;
	const int64_t s = 1000000000;
	int64_t t[5] = { recv + 301 * s, recv - 301 * s, recv + 300 * s,
	    recv - 299 * s, recv };
	size_t i;

	for (i = 0; i < 5; i++) {
		algaudit__v1__decision_record__init(&r[i]);
		r[i].has_event_time_ns = 1;
		r[i].event_time_ns = t[i];
		rp[i] = &r[i];
	}
	b.n_records = 5;
	b.records = rp;
	metrics_frame(d, 100);
	metrics_frame(d, 23);
	metrics_batch(d, &b);
	metrics_batch(d, &b);
	metrics_rejected(d, ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD, 5);
	metrics_rejected(d, 99, 1);	/* out of range: counted as 0 */
	metrics_rejected(d, -1, 1);
	metrics_error(d, ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD);
	metrics_error(d, 1000);
	d->d_next_conn_id = 4;
	d->d_pending = 77;
	d->d_inflight = 2;
	metrics_snapshot(d, &ms);
	ck_assert_uint_eq(ms.ms_recv_bytes, 123);
	ck_assert_uint_eq(ms.ms_recv_batches, 2);
	ck_assert_uint_eq(ms.ms_recv_records, 10);
	/* Skewed records are the writer's to count, once stored. */
	ck_assert_uint_eq(ms.ms_skew[0], 0);
	ck_assert_uint_eq(ms.ms_skew[1], 0);
	ck_assert_uint_eq(ms.ms_rejected[3], 5);
	ck_assert_uint_eq(ms.ms_rejected[0], 2);
	ck_assert_uint_eq(ms.ms_errors[3], 1);
	ck_assert_uint_eq(ms.ms_errors[0], 1);
	ck_assert_uint_eq(ms.ms_accepted, 4);
	ck_assert_uint_eq(ms.ms_pending_bytes, 77);
	ck_assert_uint_eq(ms.ms_pending_batches, 2);
	ck_assert_uint_eq(ms.ms_pending_limit, 1 << 20);
	ck_assert_uint_eq(ms.ms_skew_s, 300);
	ck_assert_uint_eq(ms.ms_conns[CONN_ACTIVE], 0);
	ck_assert_int_gt(ms.ms_start_ns, 0);
	/* A reload's threshold is what the gauge shows. */
	d->d_cfg.cf_clock_skew = 1000;
	metrics_batch(d, &b);
	metrics_snapshot(d, &ms);
	ck_assert_uint_eq(ms.ms_skew_s, 1000);
	ck_assert_uint_eq(ms.ms_skew[0], 0);
	ck_assert_uint_eq(ms.ms_recv_records, 15);
	check_format(&ms);
	check_line("algaudit_received_records_total 15");
	check_line("algaudit_rejected_records_total{code=\"INVALID_RECORD\"} "
	    "5");
	metrics_free(d);
	ck_assert_ptr_null(d->d_metrics);
	metrics_free(d);	/* NULL-safe */
	/* Without counters the hooks do nothing. */
	metrics_frame(d, 1);
	metrics_batch(d, &b);
	metrics_rejected(d, 3, 1);
	metrics_error(d, 3);
	metrics_snapshot(d, &ms);
	ck_assert_uint_eq(ms.ms_recv_bytes, 0);
	free(d);
}
END_TEST

START_TEST(test_start_off)
{
	struct daemon *d = check_daemon();

	/* No --metrics: nothing to bind, no event base needed. */
	ck_assert_int_eq(metrics_start(d), 0);
	metrics_free(d);
	free(d);
}
END_TEST

/* Returns metrics_is_loopback() of an IPv4 or IPv6 address text. */
static int
check_loop(const char *addr)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	memset(&sin, 0, sizeof(sin));
	memset(&sin6, 0, sizeof(sin6));
	if (inet_pton(AF_INET, addr, &sin.sin_addr) == 1) {
		sin.sin_family = AF_INET;
		return metrics_is_loopback((struct sockaddr *)&sin);
	}
	ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
	sin6.sin6_family = AF_INET6;
	return metrics_is_loopback((struct sockaddr *)&sin6);
}

START_TEST(test_loopback)
{
	struct sockaddr_un sun;

	ck_assert_int_eq(check_loop("127.0.0.1"), 1);
	ck_assert_int_eq(check_loop("127.255.3.4"), 1);
	ck_assert_int_eq(check_loop("::1"), 1);
	ck_assert_int_eq(check_loop("::ffff:127.0.0.1"), 1);
	ck_assert_int_eq(check_loop("0.0.0.0"), 0);
	ck_assert_int_eq(check_loop("10.0.0.1"), 0);
	ck_assert_int_eq(check_loop("128.0.0.1"), 0);
	ck_assert_int_eq(check_loop("::"), 0);
	ck_assert_int_eq(check_loop("::2"), 0);
	ck_assert_int_eq(check_loop("::ffff:10.0.0.1"), 0);
	ck_assert_int_eq(check_loop("fe80::1"), 0);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	ck_assert_int_eq(metrics_is_loopback((struct sockaddr *)&sun), 0);
}
END_TEST

/* The metrics suite. */
static Suite *
metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc;

	tc = tcase_create("format");
	tcase_add_checked_fixture(tc, NULL, check_teardown);
	tcase_add_test(tc, test_format_values);
	tcase_add_test(tc, test_format_histograms);
	tcase_add_test(tc, test_format_help_type);
	tcase_add_test(tc, test_format_zero);
	tcase_add_test(tc, test_format_write_error);
	suite_add_tcase(s, tc);

	tc = tcase_create("buckets");
	tcase_add_test(tc, test_buckets);
	suite_add_tcase(s, tc);

	tc = tcase_create("hooks");
	tcase_add_checked_fixture(tc, NULL, check_teardown);
	tcase_add_test(tc, test_hooks);
	tcase_add_test(tc, test_start_off);
	suite_add_tcase(s, tc);

	tc = tcase_create("loopback");
	tcase_add_test(tc, test_loopback);
	suite_add_tcase(s, tc);
	return s;
}

/* Runs the suite; exits non-zero when a test failed. */
int
main(void)
{
	SRunner *sr = srunner_create(metrics_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
