/* SPDX-License-Identifier: ISC */
/*
 * tools.h: the private header of the algaudit command, one section per
 * file of tools/. Subcommands read the store through store.h (read-only)
 * or send records through the client library (algaudit.h); nothing here
 * includes <lmdb.h> or libevent. Only main.c and the cmd_*() handlers
 * may end the process; everything else returns errors.
 */
#ifndef ALGAUDIT_TOOLS_H
#define ALGAUDIT_TOOLS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "algaudit.h"
#include "algaudit.pb-c.h"
#include "store.h"

/* Exit codes of every subcommand, documented in `algaudit --help`. */
#define TOOLS_EXIT_OK		0	/* success */
#define TOOLS_EXIT_FAIL		1	/* runtime failure */
#define TOOLS_EXIT_USAGE	2	/* usage error, bad input */
#define TOOLS_EXIT_VERIFY	3	/* verification failed (verify cmds) */

/* Synopses, shared by the command table and the usage errors. */
#define CMD_LOG_USAGE	"log --connect unix:PATH --producer NAME " \
			"[--timeout SEC] [--spool DIR] [-v]"
#define CMD_QUERY_USAGE	"query --store DIR [--from-index N] " \
			"[--to-index M] [--limit N] " \
			"[--format table|jsonl|csv] [--utc]"
#define CMD_STATS_USAGE	"stats --store DIR [--format table|json] [--utc]"

/* cli.c: messages, usage errors and option values of the subcommands. */
void	 cli_warnx(const char *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	 cli_usage(const char *, const char *, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	 cli_bad_option(const char *, int, char **)
	    __attribute__((noreturn));
uint64_t cli_number(const char *, const char *, const char *, uint64_t,
	    uint64_t);
void	 cli_help(const char *, const char *)
	    __attribute__((noreturn));

/* output.c: time, number, table and CSV formatting. */
#define OUTPUT_TIMELEN	48	/* fits every output_time_format() result */
#define OUTPUT_NUMLEN	32	/* fits every output_double() result */

struct output_column {
	const char	*oc_name;	/* header */
	size_t		 oc_max;	/* widest the column may get */
	int		 oc_right;	/* align right (numbers) */
};

struct output_table;

int	 output_time_format(char *, size_t, int64_t, int, int);
int	 output_time_parse(const char *, int64_t *);
int64_t	 output_now_ns(void);
int	 output_double_digits(double);
void	 output_double(char *, size_t, double);
size_t	 output_width(const char *);
char	*output_cell(const char *, size_t, size_t *);
void	 output_csv_field(FILE *, const char *, int);
void	 output_csv_end(FILE *);
int	 output_table_new(struct output_table **, FILE *,
	    const struct output_column *, size_t, size_t);
void	 output_table_min_width(struct output_table *, size_t, size_t);
int	 output_table_row(struct output_table *, const char *const *);
int	 output_table_end(struct output_table *);
void	 output_table_free(struct output_table *);

/* json_record.c: JSON <-> DecisionRecord / Entry. */
#define JSON_RECORD_ERRLEN	512

int	 json_record_parse(struct algaudit_record *, const char *, size_t,
	    int64_t, char *, size_t);
json_t	*json_record_from_entry(const Algaudit__V1__Entry *, char *, size_t);
int	 json_record_write(FILE *, const Algaudit__V1__Entry *, char *,
	    size_t);

/* cmd_log.c */
int	 cmd_log(int, char **);

/* cmd_query.c */
enum cmd_query_format {
	CMD_QUERY_TABLE = 0,
	CMD_QUERY_JSONL,
	CMD_QUERY_CSV
};

struct cmd_query_opts {
	uint64_t	 cq_from;	/* first index */
	uint64_t	 cq_to;		/* last index, inclusive */
	uint64_t	 cq_limit;	/* most entries to print */
	int		 cq_format;	/* enum cmd_query_format */
	int		 cq_utc;	/* times in UTC, not local time */
};

int	 cmd_query(int, char **);
int	 cmd_query_run(struct store *, const struct cmd_query_opts *, FILE *);

/* cmd_stats.c */
enum cmd_stats_format {
	CMD_STATS_TABLE = 0,
	CMD_STATS_JSON
};

int	 cmd_stats(int, char **);
int	 cmd_stats_run(struct store *, int, int, FILE *);

#endif /* ALGAUDIT_TOOLS_H */
