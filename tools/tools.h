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
#include "query.h"
#include "record.h"
#include "store.h"

/* Exit codes of every subcommand, documented in `algaudit --help`. */
#define TOOLS_EXIT_OK		0	/* success */
#define TOOLS_EXIT_FAIL		1	/* runtime failure */
#define TOOLS_EXIT_USAGE	2	/* usage error, bad input */
#define TOOLS_EXIT_VERIFY	3	/* verification failed (verify cmds) */

/* Synopses, shared by the command table and the usage errors. */
#define CMD_LOG_USAGE	"log --connect unix:PATH --producer NAME " \
			"[--timeout SEC] [--spool DIR] [-v] " \
			"[--tls-ca FILE] [--tls-cert FILE --tls-key FILE] " \
			"[--tls-server-name NAME]"
#define CMD_QUERY_USAGE	"query --store DIR [FILTERS] [--reverse] " \
			"[--limit N] [--after-index N] [--count] " \
			"[--format table|jsonl|csv] [--utc] [--follow]"
#define CMD_SUBJECT_USAGE "subject ID --store DIR [FILTERS] " \
			"[--format table|json] [--utc]"
#define CMD_STATS_USAGE	"stats --store DIR [--by algorithm|version|" \
			"decision|class|producer|day|hour] [FILTERS] " \
			"[--format table|json] [--utc]"
#define CMD_REINDEX_USAGE "reindex --store DIR [--index-label KEY]... " \
			"[--no-index-labels] [--block-bits N] [--quiet]"
#define CMD_REPORT_USAGE "report --store DIR --algorithm ID[@VERSION] " \
			"--out FILE [--format html|json] [--group-by INPUT|" \
			"label:KEY] [--favourable D[,D...]] [FILTERS]"
#define CMD_KEYGEN_USAGE "keygen --store DIR [--origin NAME]"
#define CMD_KEY_USAGE	"key --store DIR"
#define CMD_CHECKPOINT_USAGE "checkpoint --store DIR [--size N | --list]"
#define CMD_PROVE_USAGE	"prove --store DIR (--index I | --consistency OLD) " \
			"[--size N]"
#define CMD_VERIFY_USAGE "verify --store DIR [--key VERIFIERKEY] [--quiet]"
#define CMD_RECEIPT_USAGE "receipt --store DIR --index I [--size N]"
#define CMD_VERIFY_RECEIPT_USAGE "verify-receipt FILE --key VERIFIERKEY"
#define CMD_BACKUP_USAGE "backup --store DIR --out DIR2"
#define CMD_EXPORT_USAGE "export --store DIR --out BUNDLE [FILTERS] " \
			"[--disclose UNITS]... [--allow-important] " \
			"[--reveal-subjects | --pseudonym-key FILE] " \
			"[--since-bundle OLD] [--tar] [--quiet]"
#define CMD_VERIFY_BUNDLE_USAGE "verify-bundle BUNDLE --key VERIFIERKEY " \
			"[--since-bundle OLD] [--quiet]"

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
int	 cli_store_open(const char *, const char *, struct store **,
	    struct store_view **);

/*
 * filter.c: the selection options of query, stats and subject, parsed
 * into a struct query_filter, and the selection run over a view.
 */
#define FILTER_ERRLEN	1024

/* getopt_long() values of the filter options (FILTER_LONGOPTS). */
enum filter_opt {
	FILTER_OPT_MIN = 0x1000,
	FILTER_OPT_ALGORITHM = FILTER_OPT_MIN,
	FILTER_OPT_SUBJECT,
	FILTER_OPT_DECISION,
	FILTER_OPT_SINCE,
	FILTER_OPT_UNTIL,
	FILTER_OPT_TRACE,
	FILTER_OPT_DECISION_ID,
	FILTER_OPT_CLASS,
	FILTER_OPT_PRODUCER,
	FILTER_OPT_LABEL,
	FILTER_OPT_MIN_SCORE,
	FILTER_OPT_MAX_SCORE,
	FILTER_OPT_REVIEWED,
	FILTER_OPT_FROM_INDEX,
	FILTER_OPT_TO_INDEX,
	FILTER_OPT_CLOCK_SKEWED,	/* no value */
	FILTER_OPT_MAX
};
#define FILTER_NOPTS	(FILTER_OPT_MAX - FILTER_OPT_MIN)

/* The filter options, for a subcommand's struct option array. */
#define FILTER_LONGOPTS \
	{ "algorithm", required_argument, NULL, FILTER_OPT_ALGORITHM }, \
	{ "subject", required_argument, NULL, FILTER_OPT_SUBJECT }, \
	{ "decision", required_argument, NULL, FILTER_OPT_DECISION }, \
	{ "since", required_argument, NULL, FILTER_OPT_SINCE }, \
	{ "until", required_argument, NULL, FILTER_OPT_UNTIL }, \
	{ "trace", required_argument, NULL, FILTER_OPT_TRACE }, \
	{ "decision-id", required_argument, NULL, FILTER_OPT_DECISION_ID }, \
	{ "class", required_argument, NULL, FILTER_OPT_CLASS }, \
	{ "producer", required_argument, NULL, FILTER_OPT_PRODUCER }, \
	{ "label", required_argument, NULL, FILTER_OPT_LABEL }, \
	{ "min-score", required_argument, NULL, FILTER_OPT_MIN_SCORE }, \
	{ "max-score", required_argument, NULL, FILTER_OPT_MAX_SCORE }, \
	{ "reviewed", required_argument, NULL, FILTER_OPT_REVIEWED }, \
	{ "from-index", required_argument, NULL, FILTER_OPT_FROM_INDEX }, \
	{ "to-index", required_argument, NULL, FILTER_OPT_TO_INDEX }, \
	{ "clock-skewed", no_argument, NULL, FILTER_OPT_CLOCK_SKEWED }

/* The filter options' part of a subcommand's --help text. */
#define FILTER_HELP \
"filters (all given must hold; each once, --label repeatable):\n" \
"  --algorithm ID[@VERSION]  that algorithm (any version without @)\n" \
"  --subject S        decisions about subject S\n" \
"  --decision D       with outcome D\n" \
"  --since T          event time at or after T (inclusive)\n" \
"  --until T          event time before T (exclusive); T is RFC 3339\n" \
"                     (2024-05-01T12:00:00Z, +08:00) or relative to\n" \
"                     now: -90s, -30m, -24h, -7d\n" \
"  --trace ID         with trace id ID\n" \
"  --decision-id ID   with decision id ID\n" \
"  --class C          data class ordinary, important or core\n" \
"  --producer P       delivered by producer id P\n" \
"  --label K=V        with label K of value V (up to 16)\n" \
"  --min-score X      score >= X (records without a score never match)\n" \
"  --max-score X      score <= X\n" \
"  --reviewed yes|no  a human reviewer is named, or not\n" \
"  --from-index N     log index N or above\n" \
"  --to-index M       log index M or below (inclusive)\n" \
"  --clock-skewed     only records the daemon flagged for clock skew\n" \
"                     (event time further from the receive time than\n" \
"                     its --clock-skew when it received them)\n" \
"A selection is answered from the indexes: at least one filter must\n" \
"have an index (all but the scores, --reviewed, --clock-skewed and\n" \
"undeclared labels), unless only the index range is given.\n"

/*
 * The parsed options. fl_q points into the struct and into the
 * command line: do not copy a struct filter (copying its fl_q is fine
 * while the struct lives).
 */
struct filter {
	struct query_filter	 fl_q;
	int64_t			 fl_now_ns;	/* for relative times */
	unsigned		 fl_given;	/* bit per FILTER_OPT_* */
	const char		*fl_args[FILTER_NOPTS];	/* as given */
	char			 fl_algorithm[RECORD_MAX_ID + 1];
	char			 fl_version[RECORD_MAX_VERSION + 1];
	char			 fl_lkey[QUERY_LABELS_MAX][RECORD_MAX_NAME + 1];
	char			 fl_lvalue[QUERY_LABELS_MAX]
				    [RECORD_MAX_LABEL_VALUE + 1];
};

struct filter_sel;

const char *filter_option_name(int);
void	 filter_init(struct filter *, int64_t);
int	 filter_time_parse(const char *, int64_t, int64_t *);
int	 filter_option(struct filter *, int, const char *, char *, size_t);
int	 filter_finish(struct filter *, char *, size_t);
int	 filter_cli_option(const char *, struct filter *, int, const char *);
void	 filter_cli_finish(const char *, struct filter *);
int	 filter_has_terms(const struct query_filter *);
int	 filter_sel_open(struct store_view *, const struct query_filter *,
	    struct filter_sel **, char *, size_t);
int	 filter_sel_next(struct filter_sel *, uint64_t *,
	    const Algaudit__V1__Entry **);
int	 filter_sel_count(struct filter_sel *, uint64_t *);
void	 filter_sel_close(struct filter_sel *);
int	 filter_sel_error(const char *, const char *, int, uint64_t,
	    const char *, const struct query_filter *);

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
size_t	 output_utf8(const unsigned char *, size_t, long *);
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
int	 json_record_precision(const Algaudit__V1__DecisionRecord *);
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
	struct query_filter cq_filter;	/* the selection, order, cursor */
	uint64_t	 cq_limit;	/* most entries to print */
	int		 cq_format;	/* enum cmd_query_format */
	int		 cq_utc;	/* times in UTC, not local time */
	int		 cq_count;	/* print the number only */
	int		 cq_follow;	/* then wait for new entries */
	unsigned	 cq_poll_ms;	/* --follow's pause; 0: 200 ms */
};

int	 cmd_query(int, char **);
int	 cmd_query_run(struct store *, const struct cmd_query_opts *, FILE *);

/* cmd_stats.c */
enum cmd_stats_format {
	CMD_STATS_TABLE = 0,
	CMD_STATS_JSON
};

/* Groups of stats --by. */
enum cmd_stats_by {
	CMD_STATS_BY_NONE = 0,
	CMD_STATS_BY_ALGORITHM,
	CMD_STATS_BY_VERSION,
	CMD_STATS_BY_DECISION,
	CMD_STATS_BY_CLASS,
	CMD_STATS_BY_PRODUCER,
	CMD_STATS_BY_DAY,
	CMD_STATS_BY_HOUR
};

struct cmd_stats_opts {
	struct query_filter cs_filter;	/* the selection */
	int		 cs_by;		/* enum cmd_stats_by */
	int		 cs_format;	/* enum cmd_stats_format */
	int		 cs_utc;	/* days, hours and times in UTC */
};

int	 cmd_stats(int, char **);
int	 cmd_stats_run(struct store *, int, int, FILE *);
int	 cmd_stats_select(struct store *, const struct cmd_stats_opts *,
	    FILE *);

/* cmd_subject.c */
enum cmd_subject_format {
	CMD_SUBJECT_TABLE = 0,
	CMD_SUBJECT_JSON
};

struct cmd_subject_opts {
	struct query_filter sj_filter;	/* qf_subject set; more filters */
	int		 sj_format;	/* enum cmd_subject_format */
	int		 sj_utc;	/* table times in UTC */
};

int	 cmd_subject(int, char **);
int	 cmd_subject_run(struct store *, const struct cmd_subject_opts *,
	    FILE *);

/* cmd_reindex.c */
int	 cmd_reindex(int, char **);

/* cmd_report.c (its interface with report_html.c is report.h) */
int	 cmd_report(int, char **);

/* receipt.c: JSON forms of proofs and receipts, offline verification. */
#define RECEIPT_FORMAT		"algaudit-receipt/v1"
#define RECEIPT_TLOG_PROOF_HEADER "c2sp.org/tlog-proof@v1"

enum receipt_error {
	RECEIPT_EMALFORMED = -31500,	/* not a receipt or proof, bad field */
	RECEIPT_ESIG,		/* a checkpoint does not verify with the key */
	RECEIPT_EPROOF,		/* a proof does not lead to the signed root */
	RECEIPT_EMISMATCH,	/* its parts disagree (index, size, units) */
	RECEIPT_EMAX
};

enum receipt_kind {
	RECEIPT_KIND_RECEIPT = 1,
	RECEIPT_KIND_INCLUSION,
	RECEIPT_KIND_CONSISTENCY
};

/* One disclosed unit of a receipt (views; the caller owns them). */
struct receipt_unit {
	const char	*ru_path;
	const uint8_t	*ru_value;
	size_t		 ru_valuelen;
	const uint8_t	*ru_salt;	/* LEAF_SALT_LEN bytes */
};

/* What receipt_check() verified. */
struct receipt_result {
	int		 rr_kind;	/* enum receipt_kind */
	uint64_t	 rr_index;	/* receipt, inclusion */
	uint64_t	 rr_old_size;	/* consistency */
	uint64_t	 rr_size;	/* the (newer) checkpoint's size */
	uint8_t		 rr_leaf[32];	/* receipt, inclusion */
	size_t		 rr_units;	/* receipt */
	char		 rr_origin[256];
};

struct note_verifier;
struct note_checkpoint;

void	 receipt_hex(const uint8_t *, size_t, char *);
int	 receipt_unhex(const char *, uint8_t *, size_t, size_t *);
int	 receipt_unhexn(const char *, size_t, uint8_t *, size_t, size_t *);
size_t	 receipt_unhex_span(const char *, size_t, uint8_t *, size_t,
	    size_t *);
json_t	*receipt_inclusion_json(uint64_t, uint64_t, const uint8_t *,
	    const uint8_t *, size_t, const char *, size_t);
json_t	*receipt_consistency_json(uint64_t, uint64_t, const uint8_t *, size_t,
	    const char *, size_t, const char *, size_t);
char	*receipt_tlog_proof(uint64_t, const uint8_t *, size_t, const char *,
	    size_t);
int	 receipt_tlog_proof_parse(const char *, size_t, uint64_t *, uint8_t *,
	    size_t *, const char **, size_t *, char *, size_t);
json_t	*receipt_json(uint64_t, const uint8_t *, const struct receipt_unit *,
	    size_t, json_t *, const uint8_t *, size_t, const char *);
int	 receipt_check(const struct note_verifier *, json_t *,
	    struct receipt_result *, char *, size_t);

/* cmd_key.c */
int	 cmd_key(int, char **);
int	 cmd_key_gen(int, char **);

/* cmd_checkpoint.c */
int	 cmd_checkpoint(int, char **);

/* cmd_prove.c */
int	 cmd_prove(int, char **);

/* cmd_verify.c */
int	 cmd_verify(int, char **);

/* cmd_receipt.c */
int	 cmd_receipt(int, char **);
int	 cmd_receipt_verify(int, char **);

/* cmd_backup.c */
int	 cmd_backup(int, char **);

/* vlog.c: what the verifiable-log commands share. */
int	 vlog_checkpoint_at(struct store_view *, const char *, uint64_t, int,
	    const char **, size_t *, uint64_t *);
int	 vlog_read_key(const char *, const char *, char *, size_t);
const char *vlog_strerror(int);
int	 vlog_checkpoint_body(const char *, const char *, size_t,
	    struct note_checkpoint *);

/*
 * bundle.c: the export bundle's format (docs/BUNDLE.md), shared by
 * export and verify-bundle: the disclosure rule per unit, the record
 * lines, the multi-proof walk, the manifest's counts and signature.
 */
#define BUNDLE_FORMAT		"algaudit-bundle/v1"
#define BUNDLE_PROOF_FORMAT	"algaudit-multiproof/v1"
#define BUNDLE_SIG_FORMAT	"algaudit-bundle-manifest/v1"
#define BUNDLE_MANIFEST		"manifest.json"
#define BUNDLE_SIG		"manifest.sig"
#define BUNDLE_RECORDS		"records.jsonl"
#define BUNDLE_PROOF		"multiproof.txt"
#define BUNDLE_CHECKPOINT	"checkpoint"
#define BUNDLE_KEY		"verifier.key"
#define BUNDLE_CONSISTENCY	"consistency.json"
#define BUNDLE_PATTERNS_MAX	64	/* --disclose patterns */
#define BUNDLE_PATTERN_MAX	64	/* bytes of one, with its NUL */
#define BUNDLE_ERRLEN		512
#define BUNDLE_PSEUDO_LEN	32	/* HMAC-SHA-256 */
#define BUNDLE_PSEUDO_KEY_MIN	32	/* bytes of a pseudonym key */
#define BUNDLE_PSEUDO_KEY_MAX	4096
#define BUNDLE_KEY_ID_LEN	8	/* bytes of a pseudonym key's id */

enum bundle_error {
	BUNDLE_EMALFORMED = -31800,	/* a line or file breaks the format */
	BUNDLE_EORDER,		/* record indexes not strictly increasing */
	BUNDLE_EMAX
};

/* Data classes of units (DataClass values 1 to 3, then the rest). */
enum bundle_class {
	BUNDLE_CLASS_ORDINARY = 0,
	BUNDLE_CLASS_IMPORTANT,
	BUNDLE_CLASS_CORE,
	BUNDLE_CLASS_UNCLASSIFIED,	/* absent, unspecified or unknown */
	BUNDLE_CLASS_MAX
};

/* What happens to a unit: disclosed, or withheld for a reason. */
enum bundle_reason {
	BUNDLE_DISCLOSED = 0,
	BUNDLE_W_CORE,
	BUNDLE_W_IMPORTANT,		/* without --allow-important */
	BUNDLE_W_UNCLASSIFIED,
	BUNDLE_W_EXCLUDED,		/* not matched by --disclose */
	BUNDLE_W_PSEUDONYMISED,		/* subject without --reveal-subjects */
	BUNDLE_REASON_MAX
};

/* How a unit's class is found. */
enum bundle_kind {
	BUNDLE_K_RECORD = 0,	/* the record's data class */
	BUNDLE_K_INPUT,		/* inputs[i]: its own data_class */
	BUNDLE_K_CLASS,		/* data_class: the record's, never excluded */
	BUNDLE_K_SUBJECT,	/* subject: the record's, pseudonymised */
	BUNDLE_K_ALGORITHM	/* algorithm: the record's, counted by id */
};

struct bundle_pseudo;
struct leaf_claim;

/* The disclosure policy of an export. */
struct bundle_policy {
	char		 bp_patterns[BUNDLE_PATTERNS_MAX][BUNDLE_PATTERN_MAX];
	size_t		 bp_npatterns;	/* 0: every unit ("*") */
	int		 bp_allow_important;
	int		 bp_reveal_subjects;
};

/* One unit of a record line (views; the caller owns them). */
struct bundle_unit {
	const char	*bu_path;
	size_t		 bu_pathlen;
	const uint8_t	*bu_value;	/* disclosed: value and salt */
	size_t		 bu_valuelen;
	const uint8_t	*bu_salt;
	const uint8_t	*bu_commit;	/* withheld: the commitment */
	int		 bu_reason;	/* enum bundle_reason */
};

/* What the disclosure rule found out about one record. */
struct bundle_info {
	int		 bi_class;	/* enum bundle_class of the record */
	int		 bi_alg;	/* 0 absent, 1 withheld, 2 disclosed */
	const char	*bi_alg_id;	/* disclosed: the id (not NUL-ended) */
	size_t		 bi_alg_idlen;
	int		 bi_pseudonym;	/* the subject is pseudonymised */
	unsigned	 bi_withheld;	/* bit per BUNDLE_F_* of filters */
};

/* Units a selection filter tests, for the manifest (bi_withheld). */
#define BUNDLE_F_ALGORITHM	0x001
#define BUNDLE_F_SUBJECT	0x002	/* withheld other than pseudonymised */
#define BUNDLE_F_DECISION	0x004
#define BUNDLE_F_TIME		0x008
#define BUNDLE_F_TRACE		0x010
#define BUNDLE_F_DECISION_ID	0x020
#define BUNDLE_F_PRODUCER	0x040
#define BUNDLE_F_LABEL		0x080
#define BUNDLE_F_SCORE		0x100
#define BUNDLE_F_REVIEWER	0x200
#define BUNDLE_F_CLOCK_SKEWED	0x400

/* The counts of a bundle, as the manifest states them. */
struct bundle_counts {
	uint64_t	 bc_records;
	uint64_t	 bc_class[BUNDLE_CLASS_MAX];
	uint64_t	 bc_units;
	uint64_t	 bc_disclosed;
	uint64_t	 bc_withheld[BUNDLE_REASON_MAX];
	uint64_t	 bc_pseudonyms;
	uint64_t	 bc_alg_withheld;
	uint64_t	 bc_alg_absent;
	json_t		*bc_algorithms;	/* id -> records */
	uint64_t	 bc_first;	/* with bc_records > 0 */
	uint64_t	 bc_last;
	uint64_t	 bc_hashes;	/* multi-proof hashes */
};

/* A growable byte buffer. */
struct bundle_buf {
	char		*bb_data;
	size_t		 bb_len;
	size_t		 bb_cap;
};

/* A parsed record line; its views live until the next parse. */
struct bundle_record {
	uint64_t	 br_index;
	uint8_t		 br_leaf[32];
	int		 br_has_pseudonym;
	uint8_t		 br_pseudonym[BUNDLE_PSEUDO_LEN];
	struct bundle_unit *br_units;
	struct leaf_claim *br_claims;
	size_t		 br_n;
	size_t		 br_cap;
	uint8_t		*br_bytes;	/* decoded hex */
	size_t		 br_bytescap;
};

/*
 * The multi-proof walk over the tree of a checkpoint: mo_peek gives the
 * next selected index (UINT64_MAX when none is left), mo_leaf consumes
 * it and gives its leaf hash, mo_piece gives the hash of the node over
 * [lo, hi), which holds no selected leaf. Non-zero returns stop it.
 */
struct bundle_mp_ops {
	uint64_t	(*mo_peek)(void *);
	int		(*mo_leaf)(void *, uint64_t, uint8_t *);
	int		(*mo_piece)(void *, uint64_t, uint64_t, uint8_t *);
	void		*mo_arg;
};

const char *bundle_class_name(int);
const char *bundle_reason_name(int);
int	 bundle_reason_parse(const char *, size_t);
int	 bundle_class_of(int, int);
int	 bundle_path_kind(const char *, size_t, int *);
int	 bundle_read_file(int, const char *, size_t, char **, size_t *);
int	 bundle_value_check(const char *, size_t, const uint8_t *, size_t,
	    int *, const char **, size_t *, char *, size_t);
void	 bundle_policy_init(struct bundle_policy *);
int	 bundle_policy_disclose(struct bundle_policy *, const char *, char *,
	    size_t);
int	 bundle_pattern_match(const char *, const char *, size_t);
int	 bundle_policy_match(const struct bundle_policy *, const char *,
	    size_t);
int	 bundle_decide(const struct bundle_policy *, const char *, size_t,
	    int, int);
int	 bundle_assign(const struct bundle_policy *, struct bundle_unit *,
	    size_t, struct bundle_info *, char *, size_t);
int	 bundle_check(const struct bundle_policy *, const struct bundle_unit *,
	    size_t, int, struct bundle_info *, char *, size_t);
json_t	*bundle_policy_json(const struct bundle_policy *);
int	 bundle_policy_from_json(json_t *, struct bundle_policy *, char *,
	    size_t);
int	 bundle_buf_reserve(struct bundle_buf *, size_t);
void	 bundle_buf_free(struct bundle_buf *);
int	 bundle_record_format(struct bundle_buf *, uint64_t, const uint8_t *,
	    const struct bundle_unit *, size_t, const uint8_t *);
int	 bundle_record_parse(struct bundle_record *, char *, size_t, char *,
	    size_t);
void	 bundle_record_free(struct bundle_record *);
int	 bundle_counts_init(struct bundle_counts *);
int	 bundle_counts_add(struct bundle_counts *, uint64_t,
	    const struct bundle_unit *, size_t, const struct bundle_info *);
void	 bundle_counts_free(struct bundle_counts *);
json_t	*bundle_counts_json(const struct bundle_counts *);
int	 bundle_counts_compare(const struct bundle_counts *, json_t *, char *,
	    size_t);
int	 bundle_mp_walk(uint64_t, const struct bundle_mp_ops *, uint8_t *);
int	 bundle_sig_text(const char *, const uint8_t *, char *, size_t);
int	 bundle_sig_check(const struct note_verifier *, const char *, size_t,
	    const char *, const uint8_t *, char *, size_t);
int	 bundle_pseudo_new(struct bundle_pseudo **, const uint8_t *, size_t);
void	 bundle_pseudo_free(struct bundle_pseudo *);
void	 bundle_pseudo(const struct bundle_pseudo *, const void *, size_t,
	    uint8_t *);
void	 bundle_pseudo_key_id(const struct bundle_pseudo *, uint8_t *);
const char *bundle_strerror(int);

/* cmd_export.c */
int	 cmd_export(int, char **);

/* cmd_verify_bundle.c */
int	 cmd_verify_bundle(int, char **);
int	 cmd_verify_bundle_run(const char *, const char *, const char *, int,
	    FILE *, FILE *);

#endif /* ALGAUDIT_TOOLS_H */
