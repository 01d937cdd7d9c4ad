/* SPDX-License-Identifier: ISC */
/*
 * bundle.c: the format of the export bundle (docs/BUNDLE.md), the part
 * that `algaudit export` writes and `algaudit verify-bundle` checks, so
 * that both sides apply one definition:
 *
 * - the disclosure rule: each unit's data class (an input's own, the
 *   record's for every other unit), the policy (core never, important
 *   only when allowed, --disclose patterns, subjects pseudonymised) and
 *   the reason a unit is withheld; bundle_assign() applies it to a
 *   whole entry, bundle_check() re-evaluates it on a record line;
 * - the canonical values of leaf format v1 (docs/VERIFIABLE.md 4.2),
 *   checked wherever the rule needs a value (an input's class, the
 *   record's class, the algorithm id) and on every disclosed value;
 * - one line of records.jsonl, written without jansson and parsed by a
 *   strict single-pass reader (jansson costs ~50 us a line here, ten
 *   times the budget of a record);
 * - the streaming multi-proof walk over the RFC 6962 tree, and the
 *   manifest's counts and signed text.
 *
 * Pure: no store, no files, no globals; output goes to the caller's
 * buffers. The commitments and the leaf hash are leaf.c's, the proof
 * hashes merkle.c's, the JSON forms of units are the receipt's.
 */
#define OPENSSL_SUPPRESS_DEPRECATED 1	/* SHA256_*: see leaf.c */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "leaf.h"
#include "merkle.h"
#include "note.h"
#include "record.h"
#include "tools.h"

#define BUNDLE_HASH_LEN		32
#define BUNDLE_BPS		64	/* path entries kept per record */
#define BUNDLE_KEY_ID_TAG	"algaudit/v1/pseudonym-key-id"

/* One field of a MESSAGE unit: its number and canonical type. */
struct bundle_field {
	uint8_t		 bf_num;
	uint8_t		 bf_type;
};

/* One unit path of leaf format v1 (docs/VERIFIABLE.md 4.1). */
struct bundle_path {
	const char	*bp_name;	/* the path, or its part before [i] */
	size_t		 bp_len;	/* strlen(bp_name) */
	int		 bp_repeated;	/* name[i] */
	uint8_t		 bp_type;	/* LEAF_T_* */
	int		 bp_kind;	/* enum bundle_kind */
	const struct bundle_field *bp_fields;	/* MESSAGE: 0-ended */
	unsigned	 bp_filter;	/* the BUNDLE_F_* filter it answers */
};

static const struct bundle_field bundle_peer[] = {
	{ 1, LEAF_T_UINT }, { 2, LEAF_T_UINT }, { 3, LEAF_T_UINT },
	{ 4, LEAF_T_STRING }, { 5, LEAF_T_STRING }, { 0, 0 }
};
static const struct bundle_field bundle_algorithm[] = {
	{ 1, LEAF_T_STRING }, { 2, LEAF_T_STRING }, { 3, LEAF_T_ENUM },
	{ 4, LEAF_T_STRING }, { 5, LEAF_T_BYTES }, { 0, 0 }
};
static const struct bundle_field bundle_input[] = {
	{ 1, LEAF_T_STRING }, { 2, LEAF_T_STRING }, { 3, LEAF_T_DOUBLE },
	{ 4, LEAF_T_BOOL }, { 5, LEAF_T_ENUM }, { 0, 0 }
};
static const struct bundle_field bundle_attribution[] = {
	{ 1, LEAF_T_STRING }, { 2, LEAF_T_DOUBLE }, { 0, 0 }
};
static const struct bundle_field bundle_label[] = {
	{ 1, LEAF_T_STRING }, { 2, LEAF_T_STRING }, { 0, 0 }
};

/* In leaf order. */
#define BUNDLE_NAME(s)	(s), sizeof(s) - 1
static const struct bundle_path bundle_paths[] = {
	{ BUNDLE_NAME("entry.receive_time_ns"), 0, LEAF_T_INT,
	    BUNDLE_K_RECORD, NULL, 0 },
	{ BUNDLE_NAME("entry.producer_id"), 0, LEAF_T_STRING,
	    BUNDLE_K_RECORD, NULL, BUNDLE_F_PRODUCER },
	{ BUNDLE_NAME("entry.peer"), 0, LEAF_T_MESSAGE,
	    BUNDLE_K_RECORD, bundle_peer, 0 },
	{ BUNDLE_NAME("entry.clock_skewed"), 0, LEAF_T_BOOL,
	    BUNDLE_K_RECORD, NULL, BUNDLE_F_CLOCK_SKEWED },
	{ BUNDLE_NAME("producer_seq"), 0, LEAF_T_UINT,
	    BUNDLE_K_RECORD, NULL, 0 },
	{ BUNDLE_NAME("event_time_ns"), 0, LEAF_T_INT,
	    BUNDLE_K_RECORD, NULL, BUNDLE_F_TIME },
	{ BUNDLE_NAME("algorithm"), 0, LEAF_T_MESSAGE,
	    BUNDLE_K_ALGORITHM, bundle_algorithm, BUNDLE_F_ALGORITHM },
	{ BUNDLE_NAME("subject"), 0, LEAF_T_STRING,
	    BUNDLE_K_SUBJECT, NULL, BUNDLE_F_SUBJECT },
	{ BUNDLE_NAME("decision"), 0, LEAF_T_STRING,
	    BUNDLE_K_RECORD, NULL, BUNDLE_F_DECISION },
	{ BUNDLE_NAME("score"), 0, LEAF_T_DOUBLE,
	    BUNDLE_K_RECORD, NULL, BUNDLE_F_SCORE },
	{ BUNDLE_NAME("inputs"), 1, LEAF_T_MESSAGE,
	    BUNDLE_K_INPUT, bundle_input, 0 },
	{ BUNDLE_NAME("input_digest"), 0, LEAF_T_BYTES,
	    BUNDLE_K_RECORD, NULL, 0 },
	{ BUNDLE_NAME("explanation.attributions"), 1, LEAF_T_MESSAGE,
	    BUNDLE_K_RECORD, bundle_attribution, 0 },
	{ BUNDLE_NAME("explanation.reason_codes"), 1, LEAF_T_STRING,
	    BUNDLE_K_RECORD, NULL, 0 },
	{ BUNDLE_NAME("explanation.text"), 0, LEAF_T_STRING,
	    BUNDLE_K_RECORD, NULL, 0 },
	{ BUNDLE_NAME("automation"), 0, LEAF_T_ENUM,
	    BUNDLE_K_RECORD, NULL, 0 },
	{ BUNDLE_NAME("reviewer"), 0, LEAF_T_STRING,
	    BUNDLE_K_RECORD, NULL, BUNDLE_F_REVIEWER },
	{ BUNDLE_NAME("data_class"), 0, LEAF_T_ENUM,
	    BUNDLE_K_CLASS, NULL, 0 },
	{ BUNDLE_NAME("jurisdiction"), 0, LEAF_T_STRING,
	    BUNDLE_K_RECORD, NULL, 0 },
	{ BUNDLE_NAME("purpose"), 0, LEAF_T_STRING,
	    BUNDLE_K_RECORD, NULL, 0 },
	{ BUNDLE_NAME("trace_id"), 0, LEAF_T_STRING,
	    BUNDLE_K_RECORD, NULL, BUNDLE_F_TRACE },
	{ BUNDLE_NAME("decision_id"), 0, LEAF_T_STRING,
	    BUNDLE_K_RECORD, NULL, BUNDLE_F_DECISION_ID },
	{ BUNDLE_NAME("labels"), 1, LEAF_T_MESSAGE,
	    BUNDLE_K_RECORD, bundle_label, BUNDLE_F_LABEL },
	{ BUNDLE_NAME("lost_records"), 0, LEAF_T_UINT,
	    BUNDLE_K_RECORD, NULL, 0 }
};
#undef BUNDLE_NAME
#define BUNDLE_NPATHS	(sizeof(bundle_paths) / sizeof(bundle_paths[0]))

static const char *const bundle_class_names[BUNDLE_CLASS_MAX] = {
	"ordinary", "important", "core", "unclassified"
};

static const char *const bundle_reason_names[BUNDLE_REASON_MAX] = {
	"disclosed", "core", "important", "unclassified", "excluded",
	"pseudonymised"
};

/* A keyed pseudonym function: HMAC-SHA-256 with its pads hashed once. */
struct bundle_pseudo {
	SHA256_CTX	 ps_inner;
	SHA256_CTX	 ps_outer;
};

/* Formats the message into err (if any) and returns code. */
static int
bundle_fail(char *err, size_t errlen, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int
bundle_fail(char *err, size_t errlen, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return code;
}

/* The name of a bundle class ("ordinary"), or "?". */
const char *
bundle_class_name(int c)
{
	if (c < 0 || c >= BUNDLE_CLASS_MAX)
		return "?";
	return bundle_class_names[c];
}

/* The name of a reason ("core", ..., "disclosed"), or "?". */
const char *
bundle_reason_name(int r)
{
	if (r < 0 || r >= BUNDLE_REASON_MAX)
		return "?";
	return bundle_reason_names[r];
}

/* The reason named by s (len bytes), withheld ones only; or -1. */
int
bundle_reason_parse(const char *s, size_t len)
{
	int r;

	for (r = BUNDLE_W_CORE; r < BUNDLE_REASON_MAX; r++)
		if (len > 0 && s[0] == bundle_reason_names[r][0] &&
		    strlen(bundle_reason_names[r]) == len &&
		    memcmp(bundle_reason_names[r], s, len) == 0)
			return r;
	return -1;
}

/*
 * The bundle class of a DataClass value: has is whether the field is
 * present. Anything but ordinary, important and core is unclassified.
 */
int
bundle_class_of(int has, int v)
{
	if (!has)
		return BUNDLE_CLASS_UNCLASSIFIED;
	switch (v) {
	case ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_ORDINARY:
		return BUNDLE_CLASS_ORDINARY;
	case ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_IMPORTANT:
		return BUNDLE_CLASS_IMPORTANT;
	case ALGAUDIT__V1__DATA_CLASS__DATA_CLASS_CORE:
		return BUNDLE_CLASS_CORE;
	default:
		return BUNDLE_CLASS_UNCLASSIFIED;
	}
}

/*
 * Whether the n bytes at a and b are equal: for the short names of
 * paths and keys, where a call to memcmp() costs more than the loop.
 */
static int
bundle_eq(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* Whether path (len bytes) is a path of entry bp of bundle_paths. */
static int
bundle_path_is(const struct bundle_path *bp, const char *path, size_t len)
{
	size_t nl = bp->bp_len, j;

	if (path[0] != bp->bp_name[0] || len < nl ||
	    (!bp->bp_repeated && len != nl) ||
	    !bundle_eq(path, bp->bp_name, nl))
		return 0;
	if (!bp->bp_repeated)
		return 1;
	/* name[i]: i decimal, no leading zero. */
	if (len < nl + 3 || path[nl] != '[' || path[len - 1] != ']')
		return 0;
	if (path[nl + 1] == '0' && len != nl + 3)
		return 0;
	for (j = nl + 1; j < len - 1; j++)
		if (path[j] < '0' || path[j] > '9')
			return 0;
	return len - nl - 2 <= 10;
}

/*
 * The entry of the path (len bytes) in bundle_paths, or NULL. *hint is
 * where the search starts (then wraps around) and is set to where it
 * found it: an entry's units come in table order, so with one hint per
 * pass over them, each is found in a step or two.
 */
static const struct bundle_path *
bundle_path_find(const char *path, size_t len, size_t *hint)
{
	size_t i, k;

	if (len == 0)
		return NULL;
	for (k = 0; k < BUNDLE_NPATHS; k++) {
		i = (*hint + k) % BUNDLE_NPATHS;
		if (bundle_path_is(&bundle_paths[i], path, len)) {
			*hint = i;
			return &bundle_paths[i];
		}
	}
	return NULL;
}

/*
 * The kind (enum bundle_kind) of the unit at path (len bytes) into
 * *kind. Returns 0, or -1 if path is not a unit path of format v1.
 */
int
bundle_path_kind(const char *path, size_t len, int *kind)
{
	const struct bundle_path *bp;
	size_t hint = 0;

	if ((bp = bundle_path_find(path, len, &hint)) == NULL)
		return -1;
	*kind = bp->bp_kind;
	return 0;
}

/* Reads a big-endian unsigned integer of n bytes. */
static uint64_t
bundle_be(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * Checks one canonical value of type at *pp (before end) and moves *pp
 * past it; *body and *bodylen are its payload (after the tag, and after
 * the length of STRING, BYTES and MESSAGE). Returns NULL, or what is
 * wrong.
 */
static const char *
bundle_scalar(uint8_t type, const uint8_t **pp, const uint8_t *end,
    const uint8_t **body, size_t *bodylen)
{
	const uint8_t *p = *pp;
	size_t avail = (size_t)(end - p), n;

	if (avail < 1)
		return "value missing";
	if (*p != type)
		return "wrong type tag";
	p++;
	avail--;
	switch (type) {
	case LEAF_T_STRING:
	case LEAF_T_BYTES:
	case LEAF_T_MESSAGE:
		if (avail < 4)
			return "length cut short";
		n = (size_t)bundle_be(p, 4);
		p += 4;
		avail -= 4;
		if (n > avail)
			return "length beyond the value";
		if (type == LEAF_T_STRING &&
		    !record_utf8_valid((const char *)p, n))
			return "a string that is not UTF-8";
		break;
	case LEAF_T_UINT:
	case LEAF_T_INT:
	case LEAF_T_DOUBLE:
		n = 8;
		break;
	case LEAF_T_BOOL:
		n = 1;
		if (avail >= 1 && p[0] > 1)
			return "a BOOL that is neither 0 nor 1";
		break;
	case LEAF_T_ENUM:
		n = 4;
		break;
	default:
		return "unknown type";
	}
	if (n > avail)
		return "value cut short";
	*body = p;
	*bodylen = n;
	*pp = p + n;
	return NULL;
}

static int	 bundle_value_bp(const struct bundle_path *, const char *,
		    size_t, const uint8_t *, size_t, int *, const char **,
		    size_t *, char *, size_t);

/*
 * Checks that value (len bytes) is the canonical value of a unit at
 * path (docs/VERIFIABLE.md 4.2): a known path, the path's type tag,
 * lengths that match, fields of a MESSAGE in increasing order with
 * their types, at most one of an input's text, number and flag.
 * @param[out] cls	if not NULL: for inputs[i] the class of its
 *			data_class (field 5), for data_class its class;
 *			else left alone.
 * @param[out] alg	if not NULL: for algorithm its id (field 1, a
 *			view into value, *alglen bytes) or NULL if absent.
 * @return 0 or BUNDLE_EMALFORMED with err naming the path.
 */
int
bundle_value_check(const char *path, size_t pathlen, const uint8_t *value,
    size_t len, int *cls, const char **alg, size_t *alglen, char *err,
    size_t errlen)
{
	const struct bundle_path *bp;
	size_t hint = 0;

	if ((bp = bundle_path_find(path, pathlen, &hint)) == NULL)
		return bundle_fail(err, errlen, BUNDLE_EMALFORMED, "'%.*s' is "
		    "not a unit path of leaf format v1", (int)pathlen, path);
	return bundle_value_bp(bp, path, pathlen, value, len, cls, alg,
	    alglen, err, errlen);
}

/* bundle_value_check() of a unit whose path entry bp is known. */
static int
bundle_value_bp(const struct bundle_path *bp, const char *path,
    size_t pathlen, const uint8_t *value, size_t len, int *cls,
    const char **alg, size_t *alglen, char *err, size_t errlen)
{
	const struct bundle_field *f;
	const uint8_t *p = value, *end = value + len, *body, *fb;
	const char *why;
	size_t bodylen, fl;
	int last = 0, oneof = 0, has_class = 0, class_v = 0;

	if ((why = bundle_scalar(bp->bp_type, &p, end, &body, &bodylen)) !=
	    NULL)
		goto bad;
	if (p != end) {
		why = "bytes after the value";
		goto bad;
	}
	if (alg != NULL && bp->bp_kind == BUNDLE_K_ALGORITHM)
		*alg = NULL;
	if (bp->bp_type == LEAF_T_ENUM && bp->bp_kind == BUNDLE_K_CLASS &&
	    cls != NULL)
		*cls = bundle_class_of(1, (int32_t)bundle_be(body, 4));
	if (bp->bp_type != LEAF_T_MESSAGE)
		return 0;
	p = body;
	end = body + bodylen;
	while (p < end) {
		if (*p <= last) {
			why = "message fields not in increasing order";
			goto bad;
		}
		for (f = bp->bp_fields; f->bf_num != 0; f++)
			if (f->bf_num == *p)
				break;
		if (f->bf_num == 0) {
			why = "unknown message field";
			goto bad;
		}
		last = *p++;
		if ((why = bundle_scalar(f->bf_type, &p, end, &fb, &fl)) !=
		    NULL)
			goto bad;
		if (bp->bp_kind == BUNDLE_K_INPUT && last >= 2 && last <= 4 &&
		    oneof++ > 0) {
			why = "more than one of an input's text, number, flag";
			goto bad;
		}
		if (bp->bp_kind == BUNDLE_K_INPUT && last == 5) {
			has_class = 1;
			class_v = (int32_t)bundle_be(fb, 4);
		}
		if (bp->bp_kind == BUNDLE_K_ALGORITHM && last == 1 &&
		    alg != NULL) {
			*alg = (const char *)fb;
			*alglen = fl;
		}
	}
	if (bp->bp_kind == BUNDLE_K_INPUT && cls != NULL)
		*cls = bundle_class_of(has_class, class_v);
	return 0;
bad:
	return bundle_fail(err, errlen, BUNDLE_EMALFORMED, "%.*s: not a "
	    "canonical value: %s", (int)pathlen, path, why);
}

/* Empties a policy: every unit by pattern, no important, pseudonyms. */
void
bundle_policy_init(struct bundle_policy *p)
{
	memset(p, 0, sizeof(*p));
}

/*
 * Whether pattern pat ('*' matches any run of characters, everything
 * else itself) matches the whole of path (len bytes). 1 yes, 0 no.
 */
int
bundle_pattern_match(const char *pat, const char *path, size_t len)
{
	const char *star = NULL;
	size_t i = 0, mark = 0;

	while (i < len) {
		if (*pat == '*') {
			star = pat++;
			mark = i;
		} else if (*pat != '\0' && *pat == path[i]) {
			pat++;
			i++;
		} else if (star != NULL) {
			pat = star + 1;
			i = ++mark;
		} else
			return 0;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/*
 * Whether pattern pat could match a unit path of format v1: it is
 * matched against each path with index 0, after every number in
 * brackets of the pattern is read as 0.
 */
static int
bundle_pattern_known(const char *pat)
{
	char norm[BUNDLE_PATTERN_MAX], one[LEAF_PATH_MAX];
	const char *p;
	size_t i, n = 0;

	for (p = pat; *p != '\0' && n < sizeof(norm) - 1; p++) {
		if (*p >= '0' && *p <= '9' && p > pat && p[-1] == '[') {
			norm[n++] = '0';
			while (p[1] >= '0' && p[1] <= '9')
				p++;
		} else
			norm[n++] = *p;
	}
	norm[n] = '\0';
	for (i = 0; i < BUNDLE_NPATHS; i++) {
		snprintf(one, sizeof(one), "%s%s", bundle_paths[i].bp_name,
		    bundle_paths[i].bp_repeated ? "[0]" : "");
		if (bundle_pattern_match(norm, one, strlen(one)))
			return 1;
	}
	return 0;
}

/*
 * Adds the patterns of a --disclose list (comma-separated, each of
 * printable ASCII, '*' a wildcard) to p. Returns 0, or -1 with err
 * naming the pattern: empty, too long, not printable, matching no unit
 * path of format v1, or one too many.
 */
int
bundle_policy_disclose(struct bundle_policy *p, const char *arg, char *err,
    size_t errlen)
{
	const char *s = arg, *comma;
	char pat[BUNDLE_PATTERN_MAX];
	size_t len, i;

	for (;;) {
		comma = strchr(s, ',');
		len = comma != NULL ? (size_t)(comma - s) : strlen(s);
		if (len == 0)
			return bundle_fail(err, errlen, -1, "--disclose: '%s' "
			    "has an empty pattern", arg);
		if (len >= sizeof(pat))
			return bundle_fail(err, errlen, -1, "--disclose: "
			    "pattern '%.*s' is longer than %d bytes", (int)len,
			    s, BUNDLE_PATTERN_MAX - 1);
		memcpy(pat, s, len);
		pat[len] = '\0';
		for (i = 0; i < len; i++)
			if (pat[i] <= ' ' || pat[i] > '~')
				return bundle_fail(err, errlen, -1,
				    "--disclose: pattern '%s' is not printable "
				    "ASCII without spaces", pat);
		if (!bundle_pattern_known(pat))
			return bundle_fail(err, errlen, -1, "--disclose: "
			    "pattern '%s' matches no unit path (like "
			    "decision, inputs[*], explanation.*; see "
			    "docs/BUNDLE.md)", pat);
		for (i = 0; i < p->bp_npatterns; i++)
			if (strcmp(p->bp_patterns[i], pat) == 0)
				break;
		if (i == p->bp_npatterns) {
			if (p->bp_npatterns == BUNDLE_PATTERNS_MAX)
				return bundle_fail(err, errlen, -1,
				    "--disclose: more than %d patterns",
				    BUNDLE_PATTERNS_MAX);
			memcpy(p->bp_patterns[p->bp_npatterns++], pat,
			    len + 1);
		}
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

/* Whether path (len bytes) is one p lets through its patterns. */
int
bundle_policy_match(const struct bundle_policy *p, const char *path,
    size_t len)
{
	size_t i;

	if (p->bp_npatterns == 0)
		return 1;
	for (i = 0; i < p->bp_npatterns; i++)
		if (bundle_pattern_match(p->bp_patterns[i], path, len))
			return 1;
	return 0;
}

/*
 * The disclosure rule: what becomes of a unit at path (len bytes) of
 * kind kind and class cls under policy p. The class decides first
 * (core, unclassified, important without --allow-important), then the
 * --disclose patterns (never for data_class), then subjects.
 * @return BUNDLE_DISCLOSED or a BUNDLE_W_* reason.
 */
int
bundle_decide(const struct bundle_policy *p, const char *path, size_t len,
    int kind, int cls)
{
	if (cls == BUNDLE_CLASS_CORE)
		return BUNDLE_W_CORE;
	if (cls != BUNDLE_CLASS_ORDINARY && cls != BUNDLE_CLASS_IMPORTANT)
		return BUNDLE_W_UNCLASSIFIED;
	if (cls == BUNDLE_CLASS_IMPORTANT && !p->bp_allow_important)
		return BUNDLE_W_IMPORTANT;
	if (kind != BUNDLE_K_CLASS && !bundle_policy_match(p, path, len))
		return BUNDLE_W_EXCLUDED;
	if (kind == BUNDLE_K_SUBJECT && !p->bp_reveal_subjects)
		return BUNDLE_W_PSEUDONYMISED;
	return BUNDLE_DISCLOSED;
}

/* Notes in info what the withheld unit of path entry bp hides. */
static void
bundle_info_withheld(struct bundle_info *info, const struct bundle_path *bp,
    int reason)
{
	if (bp->bp_kind == BUNDLE_K_SUBJECT && reason == BUNDLE_W_PSEUDONYMISED)
		info->bi_pseudonym = 1;
	else
		info->bi_withheld |= bp->bp_filter;
	if (bp->bp_kind == BUNDLE_K_ALGORITHM)
		info->bi_alg = 1;
}

/*
 * The exporter's side: sets bu_reason of each of the n units of one
 * entry (every unit with its value, salt and commitment, as leaf.c
 * computed them) by the rule, and fills info.
 * @return 0, or BUNDLE_EMALFORMED (a path or value leaf.c would never
 *	produce) with err naming it.
 */
int
bundle_assign(const struct bundle_policy *p, struct bundle_unit *u,
    size_t n, struct bundle_info *info, char *err, size_t errlen)
{
	const struct bundle_path *bp, *bps[BUNDLE_BPS];
	const char *alg = NULL;
	size_t i, alglen = 0, hint = 0;
	int cls, rc;

	memset(info, 0, sizeof(*info));
	info->bi_class = BUNDLE_CLASS_UNCLASSIFIED;
	for (i = 0; i < n; i++) {
		if ((bp = bundle_path_find(u[i].bu_path, u[i].bu_pathlen,
		    &hint)) == NULL)
			return bundle_fail(err, errlen, BUNDLE_EMALFORMED,
			    "unit %zu: '%.*s' is not a unit path of leaf "
			    "format v1", i, (int)u[i].bu_pathlen,
			    u[i].bu_path);
		if (i < BUNDLE_BPS)
			bps[i] = bp;
		if (bp->bp_kind == BUNDLE_K_CLASS &&
		    (rc = bundle_value_bp(bp, u[i].bu_path, u[i].bu_pathlen,
		    u[i].bu_value, u[i].bu_valuelen, &info->bi_class, NULL,
		    NULL, err, errlen)) != 0)
			return rc;
	}
	hint = 0;
	for (i = 0; i < n; i++) {
		bp = i < BUNDLE_BPS ? bps[i] : bundle_path_find(u[i].bu_path,
		    u[i].bu_pathlen, &hint);
		cls = info->bi_class;
		if ((bp->bp_kind == BUNDLE_K_INPUT ||
		    bp->bp_kind == BUNDLE_K_ALGORITHM) &&
		    (rc = bundle_value_bp(bp, u[i].bu_path, u[i].bu_pathlen,
		    u[i].bu_value, u[i].bu_valuelen, &cls, &alg, &alglen, err,
		    errlen)) != 0)
			return rc;
		u[i].bu_reason = bundle_decide(p, u[i].bu_path,
		    u[i].bu_pathlen, bp->bp_kind, cls);
		if (u[i].bu_reason != BUNDLE_DISCLOSED)
			bundle_info_withheld(info, bp, u[i].bu_reason);
		else if (bp->bp_kind == BUNDLE_K_ALGORITHM) {
			info->bi_alg = 2;
			info->bi_alg_id = alg != NULL ? alg : "";
			info->bi_alg_idlen = alg != NULL ? alglen : 0;
		}
	}
	return 0;
}

/* The message of a disclosed unit that rule r would have withheld. */
static const char *
bundle_violation(int r)
{
	switch (r) {
	case BUNDLE_W_CORE:
		return "is core data and is disclosed";
	case BUNDLE_W_IMPORTANT:
		return "is important data, disclosed although the manifest "
		    "does not allow important data";
	case BUNDLE_W_UNCLASSIFIED:
		return "has no valid data class and is disclosed";
	case BUNDLE_W_EXCLUDED:
		return "is disclosed but matches none of the manifest's "
		    "--disclose patterns";
	default:
		return "is disclosed although the manifest pseudonymises "
		    "subjects";
	}
}

/*
 * The record's class as a verifier finds it from its data_class unit
 * u: disclosed (its value) or withheld (its reason).
 */
static int
bundle_check_class(const struct bundle_path *bp, const struct bundle_unit *u,
    size_t i, int *cls, char *err, size_t errlen)
{
	if (u->bu_reason == BUNDLE_DISCLOSED)
		return bundle_value_bp(bp, u->bu_path, u->bu_pathlen,
		    u->bu_value, u->bu_valuelen, cls, NULL, NULL, err, errlen);
	switch (u->bu_reason) {
	case BUNDLE_W_CORE:
		*cls = BUNDLE_CLASS_CORE;
		return 0;
	case BUNDLE_W_IMPORTANT:
		*cls = BUNDLE_CLASS_IMPORTANT;
		return 0;
	case BUNDLE_W_UNCLASSIFIED:
		*cls = BUNDLE_CLASS_UNCLASSIFIED;
		return 0;
	default:
		return bundle_fail(err, errlen, BUNDLE_EMALFORMED, "unit %zu "
		    "(data_class) is withheld as '%s': only its class (core, "
		    "important, unclassified) can withhold it", i,
		    bundle_reason_name(u->bu_reason));
	}
}

/* What a withheld unit's reason should have been, as words. */
static const char *
bundle_should(int want)
{
	switch (want) {
	case BUNDLE_DISCLOSED:
		return "discloses it";
	case BUNDLE_W_CORE:
		return "gives 'core'";
	case BUNDLE_W_IMPORTANT:
		return "gives 'important'";
	case BUNDLE_W_UNCLASSIFIED:
		return "gives 'unclassified'";
	case BUNDLE_W_EXCLUDED:
		return "gives 'excluded'";
	default:
		return "gives 'pseudonymised'";
	}
}

/*
 * The verifier's side: re-evaluates the rule of policy p on the n units
 * of one record line (disclosed with value and salt, withheld with
 * commitment and reason) and its pseudonym (has_pseudonym), and fills
 * info. The record's class is its data_class unit's (its value, or the
 * class its reason names), unclassified without one. The class of a
 * withheld input cannot be known: its reason must only be possible.
 * @return 0; BUNDLE_EMALFORMED (a path or disclosed value that is not
 *	canonical); EPERM (the policy is broken: a core unit disclosed,
 *	...). err names the unit and what is wrong.
 */
int
bundle_check(const struct bundle_policy *p, const struct bundle_unit *u,
    size_t n, int has_pseudonym, struct bundle_info *info, char *err,
    size_t errlen)
{
	const struct bundle_path *bp, *bps[BUNDLE_BPS];
	const char *alg;
	size_t i, alglen, hint = 0;
	int cls, want, r, rc;

	memset(info, 0, sizeof(*info));
	info->bi_class = BUNDLE_CLASS_UNCLASSIFIED;
	for (i = 0; i < n; i++) {
		if ((bp = bundle_path_find(u[i].bu_path, u[i].bu_pathlen,
		    &hint)) == NULL)
			return bundle_fail(err, errlen, BUNDLE_EMALFORMED,
			    "unit %zu: '%.*s' is not a unit path of leaf "
			    "format v1", i, (int)u[i].bu_pathlen,
			    u[i].bu_path);
		if (i < BUNDLE_BPS)
			bps[i] = bp;
		if (bp->bp_kind == BUNDLE_K_CLASS &&
		    (rc = bundle_check_class(bp, &u[i], i, &info->bi_class,
		    err, errlen)) != 0)
			return rc;
	}
	hint = 0;
	for (i = 0; i < n; i++) {
		bp = i < BUNDLE_BPS ? bps[i] : bundle_path_find(u[i].bu_path,
		    u[i].bu_pathlen, &hint);
		r = u[i].bu_reason;
		cls = info->bi_class;
		if (r == BUNDLE_DISCLOSED) {
			alg = NULL;
			alglen = 0;
			if ((rc = bundle_value_bp(bp, u[i].bu_path,
			    u[i].bu_pathlen, u[i].bu_value, u[i].bu_valuelen,
			    &cls, &alg, &alglen, err, errlen)) != 0)
				return rc;
			if (bp->bp_kind == BUNDLE_K_CLASS)
				cls = info->bi_class;
			want = bundle_decide(p, u[i].bu_path,
			    u[i].bu_pathlen, bp->bp_kind, cls);
			if (want != BUNDLE_DISCLOSED)
				return bundle_fail(err, errlen, EPERM,
				    "unit %zu (%.*s, class %s) %s", i,
				    (int)u[i].bu_pathlen, u[i].bu_path,
				    bundle_class_name(cls),
				    bundle_violation(want));
			if (bp->bp_kind == BUNDLE_K_ALGORITHM) {
				info->bi_alg = 2;
				info->bi_alg_id = alg != NULL ? alg : "";
				info->bi_alg_idlen = alglen;
			}
			continue;
		}
		if (bp->bp_kind != BUNDLE_K_INPUT) {
			want = bundle_decide(p, u[i].bu_path,
			    u[i].bu_pathlen, bp->bp_kind, cls);
			if (want != r)
				return bundle_fail(err, errlen, EPERM,
				    "unit %zu (%.*s) is withheld as '%s', "
				    "but the manifest's policy on a record of "
				    "class %s %s", i, (int)u[i].bu_pathlen,
				    u[i].bu_path, bundle_reason_name(r),
				    bundle_class_name(cls),
				    bundle_should(want));
		} else if (r == BUNDLE_W_PSEUDONYMISED ||
		    (r == BUNDLE_W_IMPORTANT && p->bp_allow_important) ||
		    (r == BUNDLE_W_EXCLUDED &&
		    bundle_policy_match(p, u[i].bu_path, u[i].bu_pathlen)))
			return bundle_fail(err, errlen, EPERM, "unit %zu "
			    "(%.*s) is withheld as '%s', which the manifest's "
			    "policy "
			    "never gives an input that %s", i,
			    (int)u[i].bu_pathlen, u[i].bu_path,
			    bundle_reason_name(r),
			    r == BUNDLE_W_PSEUDONYMISED ? "is not a subject" :
			    r == BUNDLE_W_IMPORTANT ? "is important (allowed)" :
			    "matches its --disclose patterns");
		bundle_info_withheld(info, bp, r);
	}
	if (info->bi_pseudonym && !has_pseudonym)
		return bundle_fail(err, errlen, EPERM, "the subject is "
		    "pseudonymised but the record has no subject_pseudonym");
	if (!info->bi_pseudonym && has_pseudonym)
		return bundle_fail(err, errlen, EPERM, "a subject_pseudonym is "
		    "given but the record has no pseudonymised subject");
	return 0;
}

/*
 * The policy as the manifest states it: {"disclose": [patterns],
 * "allow_important": bool, "subjects": "pseudonymised" | "revealed"}.
 * @return a new reference, or NULL without memory.
 */
json_t *
bundle_policy_json(const struct bundle_policy *p)
{
	json_t *o, *a;
	size_t i;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((a = json_array()) == NULL ||
	    json_object_set_new(o, "disclose", a) == -1)
		goto fail;
	if (p->bp_npatterns == 0 &&
	    json_array_append_new(a, json_string("*")) == -1)
		goto fail;
	for (i = 0; i < p->bp_npatterns; i++)
		if (json_array_append_new(a,
		    json_string(p->bp_patterns[i])) == -1)
			goto fail;
	if (json_object_set_new(o, "allow_important",
	    json_boolean(p->bp_allow_important)) == -1 ||
	    json_object_set_new(o, "subjects", json_string(
	    p->bp_reveal_subjects ? "revealed" : "pseudonymised")) == -1)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/*
 * Reads the policy o (as bundle_policy_json() writes it) into p.
 * @return 0, or BUNDLE_EMALFORMED with err naming the field.
 */
int
bundle_policy_from_json(json_t *o, struct bundle_policy *p, char *err,
    size_t errlen)
{
	json_t *a, *v;
	const char *s;
	char perr[BUNDLE_ERRLEN];
	size_t i;

	bundle_policy_init(p);
	if (!json_is_object(o))
		return bundle_fail(err, errlen, BUNDLE_EMALFORMED,
		    "\"policy\": missing or not an object");
	a = json_object_get(o, "disclose");
	if (!json_is_array(a) || json_array_size(a) == 0)
		return bundle_fail(err, errlen, BUNDLE_EMALFORMED, "\"policy\"."
		    "\"disclose\": missing or not a non-empty array");
	json_array_foreach(a, i, v) {
		if (!json_is_string(v) ||
		    strlen(json_string_value(v)) != json_string_length(v))
			return bundle_fail(err, errlen, BUNDLE_EMALFORMED,
			    "\"policy\".\"disclose\"[%zu]: not a string", i);
		if (bundle_policy_disclose(p, json_string_value(v), perr,
		    sizeof(perr)) == -1)
			return bundle_fail(err, errlen, BUNDLE_EMALFORMED,
			    "\"policy\".\"disclose\"[%zu]: %s", i, perr);
	}
	/* "*" alone is every unit, as no pattern is. */
	if (p->bp_npatterns == 1 && strcmp(p->bp_patterns[0], "*") == 0)
		p->bp_npatterns = 0;
	v = json_object_get(o, "allow_important");
	if (!json_is_boolean(v))
		return bundle_fail(err, errlen, BUNDLE_EMALFORMED, "\"policy\"."
		    "\"allow_important\": missing or not true or false");
	p->bp_allow_important = json_is_true(v);
	v = json_object_get(o, "subjects");
	s = json_is_string(v) ? json_string_value(v) : "";
	if (strcmp(s, "revealed") == 0)
		p->bp_reveal_subjects = 1;
	else if (strcmp(s, "pseudonymised") != 0)
		return bundle_fail(err, errlen, BUNDLE_EMALFORMED, "\"policy\"."
		    "\"subjects\": neither \"pseudonymised\" nor "
		    "\"revealed\"");
	return 0;
}

/* Makes room for more bytes after bb_len. Returns 0 or ENOMEM. */
int
bundle_buf_reserve(struct bundle_buf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->bb_cap - b->bb_len >= more)
		return 0;
	if (more > SIZE_MAX / 2 - b->bb_len)
		return ENOMEM;
	cap = b->bb_cap > 0 ? b->bb_cap : 4096;
	while (cap - b->bb_len < more)
		cap *= 2;
	if ((p = realloc(b->bb_data, cap)) == NULL)
		return ENOMEM;
	b->bb_data = p;
	b->bb_cap = cap;
	return 0;
}

/* Frees the buffer's bytes and empties it. */
void
bundle_buf_free(struct bundle_buf *b)
{
	free(b->bb_data);
	memset(b, 0, sizeof(*b));
}

/* Appends len bytes; room was reserved. */
static void
bundle_put(struct bundle_buf *b, const void *p, size_t len)
{
	memcpy(b->bb_data + b->bb_len, p, len);
	b->bb_len += len;
}

/* Appends a string constant; room was reserved. */
static void
bundle_puts(struct bundle_buf *b, const char *s)
{
	bundle_put(b, s, strlen(s));
}

/* Appends the lower-case hex of n bytes; room was reserved. */
static void
bundle_puthex(struct bundle_buf *b, const uint8_t *p, size_t n)
{
	static const char pairs[] =
	    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
	    "202122232425262728292a2b2c2d2e2f303132333435363738393a3b3c3d3e3f"
	    "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f"
	    "606162636465666768696a6b6c6d6e6f707172737475767778797a7b7c7d7e7f"
	    "808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f"
	    "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	    "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf"
	    "e0e1e2e3e4e5e6e7e8e9eaebecedeeeff0f1f2f3f4f5f6f7f8f9fafbfcfdfeff";
	char *o = b->bb_data + b->bb_len;
	size_t i;

	for (i = 0; i < n; i++)
		memcpy(o + 2 * i, pairs + 2 * p[i], 2);
	b->bb_len += 2 * n;
}

/*
 * Formats one line of records.jsonl into b (replacing what it held):
 * {"index", "leaf_hash", "units": [{"path", "value", "salt"} or
 * {"path", "commitment", "withheld"}], "subject_pseudonym" if pseudonym
 * is not NULL}, then a newline. Paths are printable ASCII without '"'
 * or '\' (format v1's are).
 * @return 0 or ENOMEM.
 */
int
bundle_record_format(struct bundle_buf *b, uint64_t index,
    const uint8_t *leaf, const struct bundle_unit *u, size_t n,
    const uint8_t *pseudonym)
{
	char num[24];
	size_t i, need;

	need = 128 + 2 * BUNDLE_HASH_LEN + 2 * BUNDLE_PSEUDO_LEN;
	for (i = 0; i < n; i++)
		need += 64 + u[i].bu_pathlen + (u[i].bu_reason ==
		    BUNDLE_DISCLOSED ? 2 * (u[i].bu_valuelen + LEAF_SALT_LEN) :
		    2 * LEAF_COMMIT_LEN + 16);
	b->bb_len = 0;
	if (bundle_buf_reserve(b, need) != 0)
		return ENOMEM;
	snprintf(num, sizeof(num), "%" PRIu64, index);
	bundle_puts(b, "{\"index\":");
	bundle_puts(b, num);
	bundle_puts(b, ",\"leaf_hash\":\"");
	bundle_puthex(b, leaf, BUNDLE_HASH_LEN);
	bundle_puts(b, "\",\"units\":[");
	for (i = 0; i < n; i++) {
		bundle_puts(b, i > 0 ? ",{\"path\":\"" : "{\"path\":\"");
		bundle_put(b, u[i].bu_path, u[i].bu_pathlen);
		if (u[i].bu_reason == BUNDLE_DISCLOSED) {
			bundle_puts(b, "\",\"value\":\"");
			bundle_puthex(b, u[i].bu_value, u[i].bu_valuelen);
			bundle_puts(b, "\",\"salt\":\"");
			bundle_puthex(b, u[i].bu_salt, LEAF_SALT_LEN);
		} else {
			bundle_puts(b, "\",\"commitment\":\"");
			bundle_puthex(b, u[i].bu_commit, LEAF_COMMIT_LEN);
			bundle_puts(b, "\",\"withheld\":\"");
			bundle_puts(b, bundle_reason_name(u[i].bu_reason));
		}
		bundle_puts(b, "\"}");
	}
	bundle_puts(b, "]");
	if (pseudonym != NULL) {
		bundle_puts(b, ",\"subject_pseudonym\":\"");
		bundle_puthex(b, pseudonym, BUNDLE_PSEUDO_LEN);
		bundle_puts(b, "\"");
	}
	bundle_puts(b, "}\n");
	return 0;
}

/* A reader over one line of JSON. */
struct bundle_json {
	char		*bj_p;
	char		*bj_end;
	char		*bj_start;
	char		*bj_err;
	size_t		 bj_errlen;
};

/* Reports a syntax or schema error at the reader's column. */
static int
bundle_json_fail(struct bundle_json *j, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bundle_json_fail(struct bundle_json *j, const char *fmt, ...)
{
	char msg[BUNDLE_ERRLEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bundle_fail(j->bj_err, j->bj_errlen, BUNDLE_EMALFORMED,
	    "column %zu: %s", (size_t)(j->bj_p - j->bj_start) + 1, msg);
}

/* Skips JSON white space. */
static void
bundle_json_ws(struct bundle_json *j)
{
	while (j->bj_p < j->bj_end && (*j->bj_p == ' ' || *j->bj_p == '\t' ||
	    *j->bj_p == '\r' || *j->bj_p == '\n'))
		j->bj_p++;
}

/* Expects character c after white space. */
static int
bundle_json_expect(struct bundle_json *j, char c)
{
	bundle_json_ws(j);
	if (j->bj_p >= j->bj_end || *j->bj_p != c)
		return bundle_json_fail(j, "expected '%c'", c);
	j->bj_p++;
	return 0;
}

/* The value of hex digit c, or -1. */
static int
bundle_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Reads a JSON string after white space, unescaping it in place: *s is
 * its bytes (NUL-terminated, *len without the NUL). Our strings are
 * ASCII: anything else, a control character or a bad escape is an
 * error.
 */
static int
bundle_json_string(struct bundle_json *j, char **s, size_t *len)
{
	char *w, *r;
	int c, k, v;

	bundle_json_ws(j);
	if (j->bj_p >= j->bj_end || *j->bj_p != '"')
		return bundle_json_fail(j, "expected a string");
	r = w = ++j->bj_p;
	*s = w;
	for (;;) {
		if (r >= j->bj_end) {
			j->bj_p = r;
			return bundle_json_fail(j, "unterminated string");
		}
		c = (unsigned char)*r;
		if (c == '"')
			break;
		if (c < 0x20 || c > 0x7e) {
			j->bj_p = r;
			return bundle_json_fail(j, "a string holds a byte "
			    "that is not printable ASCII (0x%02x)", c);
		}
		if (c != '\\') {
			*w++ = *r++;
			continue;
		}
		if (r + 1 >= j->bj_end) {
			j->bj_p = r;
			return bundle_json_fail(j, "unterminated escape");
		}
		switch (r[1]) {
		case '"':
		case '\\':
		case '/':
			*w++ = r[1];
			r += 2;
			continue;
		case 'u':
			break;
		default:
			j->bj_p = r;
			return bundle_json_fail(j, "escape '\\%c' of a "
			    "control character or unknown", r[1]);
		}
		if (j->bj_end - r < 6) {
			j->bj_p = r;
			return bundle_json_fail(j, "short \\u escape");
		}
		for (v = 0, k = 2; k < 6; k++) {
			if (bundle_hexval((unsigned char)r[k]) == -1) {
				j->bj_p = r;
				return bundle_json_fail(j, "bad \\u escape");
			}
			v = v << 4 | bundle_hexval((unsigned char)r[k]);
		}
		if (v < 0x20 || v > 0x7e) {
			j->bj_p = r;
			return bundle_json_fail(j, "\\u%04x is not printable "
			    "ASCII", (unsigned)v);
		}
		*w++ = (char)v;
		r += 6;
	}
	j->bj_p = r + 1;
	*len = (size_t)(w - *s);
	*w = '\0';
	return 0;
}

/* Whether the string s (len bytes) is the constant k. */
static int
bundle_is(const char *s, size_t len, const char *k)
{
	return strlen(k) == len && memcmp(s, k, len) == 0;
}

/*
 * Reads a JSON string after white space as bundle_json_string() does,
 * but without copying one of plain printable ASCII (keys, paths,
 * reasons): then *s is a view into the line, not NUL-terminated.
 * Callers use *len.
 */
static int
bundle_json_raw(struct bundle_json *j, char **s, size_t *len)
{
	char *p;

	bundle_json_ws(j);
	if (j->bj_p >= j->bj_end || *j->bj_p != '"')
		return bundle_json_fail(j, "expected a string");
	for (p = j->bj_p + 1; p < j->bj_end && *p != '"' && *p != '\\' &&
	    *p >= 0x20 && *p <= 0x7e; p++)
		;
	if (p >= j->bj_end || *p != '"')
		return bundle_json_string(j, s, len);
	*s = j->bj_p + 1;
	*len = (size_t)(p - *s);
	j->bj_p = p + 1;
	return 0;
}

/*
 * Reads an object key after white space: *which is its index among the
 * n keys, or n for another one (*key, *klen are then what it is). The
 * keys as we write them are matched in place, before any scanning.
 */
static int
bundle_json_key(struct bundle_json *j, const char *const *keys, size_t n,
    size_t *which, char **key, size_t *klen)
{
	size_t i, l;
	char *p;

	bundle_json_ws(j);
	p = j->bj_p;
	if (p + 1 < j->bj_end && *p == '"')
		for (i = 0; i < n; i++) {
			if (p[1] != keys[i][0])
				continue;
			l = strlen(keys[i]);
			if ((size_t)(j->bj_end - p) > l + 1 &&
			    bundle_eq(p + 1, keys[i], l) && p[l + 1] == '"') {
				j->bj_p = p + l + 2;
				*which = i;
				*key = p + 1;
				*klen = l;
				return 0;
			}
		}
	if (bundle_json_raw(j, key, klen) != 0)
		return BUNDLE_EMALFORMED;
	for (i = 0; i < n; i++)
		if (bundle_is(*key, *klen, keys[i]))
			break;
	*which = i;
	return 0;
}

/*
 * Reads a JSON string of hex digits after white space into out (room
 * for max bytes), *n bytes, in one pass over the line; a string with an
 * escape takes the general way. what names the field in errors.
 */
static int
bundle_json_hex(struct bundle_json *j, const char *what, uint8_t *out,
    size_t max, size_t *n)
{
	char *s;
	size_t used, len;

	bundle_json_ws(j);
	if (j->bj_p >= j->bj_end || *j->bj_p != '"')
		return bundle_json_fail(j, "%s: expected a string", what);
	used = receipt_unhex_span(j->bj_p + 1, (size_t)(j->bj_end - j->bj_p -
	    1), out, max, n);
	s = j->bj_p + 1 + used;
	if (s < j->bj_end && *s == '"') {
		j->bj_p = s + 1;
		return 0;
	}
	if (s < j->bj_end && *s == '\\') {
		if (bundle_json_string(j, &s, &len) != 0)
			return BUNDLE_EMALFORMED;
		if (receipt_unhexn(s, len, out, max, n) == 0)
			return 0;
		return bundle_json_fail(j, "%s: not hex, or longer than %zu "
		    "bytes", what, max);
	}
	j->bj_p = s;
	return bundle_json_fail(j, "%s: not hex, or longer than %zu bytes",
	    what, max);
}


/* Reads a JSON integer in [0, MERKLE_SIZE_MAX] after white space. */
static int
bundle_json_index(struct bundle_json *j, uint64_t *v)
{
	char *p;

	bundle_json_ws(j);
	p = j->bj_p;
	if (p >= j->bj_end || *p < '0' || *p > '9')
		return bundle_json_fail(j, "\"index\": not a non-negative "
		    "integer");
	*v = 0;
	while (p < j->bj_end && *p >= '0' && *p <= '9') {
		if (*v > (MERKLE_SIZE_MAX - (uint64_t)(*p - '0')) / 10)
			return bundle_json_fail(j, "\"index\": above 2^63 - 1");
		*v = *v * 10 + (uint64_t)(*p - '0');
		p++;
	}
	if ((p - j->bj_p > 1 && *j->bj_p == '0') || (p < j->bj_end &&
	    (*p == '.' || *p == 'e' || *p == 'E')))
		return bundle_json_fail(j, "\"index\": not an integer without "
		    "leading zeros, fraction or exponent");
	j->bj_p = p;
	return 0;
}

/*
 * Reads a string of exactly 2 * n hex digits into out (n bytes); what
 * names the field.
 */
static int
bundle_json_hexn(struct bundle_json *j, const char *what, uint8_t *out,
    size_t n)
{
	size_t got;

	if (bundle_json_hex(j, what, out, n, &got) != 0)
		return BUNDLE_EMALFORMED;
	if (got != n)
		return bundle_json_fail(j, "%s: not the hex of %zu bytes",
		    what, n);
	return 0;
}

/* Makes room for one more unit in r. */
static int
bundle_record_grow(struct bundle_record *r)
{
	struct bundle_unit *u;
	struct leaf_claim *c;
	size_t cap;

	if (r->br_n < r->br_cap)
		return 0;
	cap = r->br_cap > 0 ? 2 * r->br_cap : 32;
	if ((u = realloc(r->br_units, cap * sizeof(*u))) == NULL)
		return ENOMEM;
	r->br_units = u;
	if ((c = realloc(r->br_claims, cap * sizeof(*c))) == NULL)
		return ENOMEM;
	r->br_claims = c;
	r->br_cap = cap;
	return 0;
}

/* Field bits of a unit object. */
#define BUNDLE_U_PATH		0x01
#define BUNDLE_U_VALUE		0x02
#define BUNDLE_U_SALT		0x04
#define BUNDLE_U_COMMIT		0x08
#define BUNDLE_U_WITHHELD	0x10

/*
 * Reads one unit object into the next unit and claim of r, its bytes
 * at *bytes (moved past them).
 */
static int
bundle_json_unit(struct bundle_json *j, struct bundle_record *r,
    uint8_t **bytes)
{
	static const char *const keys[] = {	/* by BUNDLE_U_* bit */
		"path", "value", "salt", "commitment", "withheld"
	};
	struct bundle_unit *u;
	struct leaf_claim *c;
	unsigned seen = 0, bit;
	char *key, *s;
	size_t klen, len, got, want, which;
	int rc;

	if ((rc = bundle_record_grow(r)) != 0)
		return rc;
	u = &r->br_units[r->br_n];
	c = &r->br_claims[r->br_n];
	memset(u, 0, sizeof(*u));
	memset(c, 0, sizeof(*c));
	if (bundle_json_expect(j, '{') != 0)
		return BUNDLE_EMALFORMED;
	bundle_json_ws(j);
	if (j->bj_p < j->bj_end && *j->bj_p == '}')
		return bundle_json_fail(j, "unit %zu: empty object", r->br_n);
	for (;;) {
		if (bundle_json_key(j, keys, 5, &which, &key, &klen) != 0 ||
		    bundle_json_expect(j, ':') != 0)
			return BUNDLE_EMALFORMED;
		if (which == 5)
			return bundle_json_fail(j, "unit %zu: unknown key "
			    "\"%.*s\"", r->br_n, (int)klen, key);
		bit = 1u << which;
		if (seen & bit)
			return bundle_json_fail(j, "unit %zu: key \"%.*s\" "
			    "given twice", r->br_n, (int)klen, key);
		seen |= bit;
		switch (bit) {
		case BUNDLE_U_PATH:
			if (bundle_json_raw(j, &s, &len) != 0)
				return BUNDLE_EMALFORMED;
			if (len == 0 || len >= LEAF_PATH_MAX)
				return bundle_json_fail(j, "unit %zu: path "
				    "empty or longer than %d bytes", r->br_n,
				    LEAF_PATH_MAX - 1);
			u->bu_path = s;
			u->bu_pathlen = len;
			break;
		case BUNDLE_U_VALUE:
			if (bundle_json_hex(j, "value", *bytes, SIZE_MAX,
			    &got) != 0)
				return BUNDLE_EMALFORMED;
			u->bu_value = *bytes;
			u->bu_valuelen = got;
			*bytes += got;
			break;
		case BUNDLE_U_SALT:
		case BUNDLE_U_COMMIT:
			want = bit == BUNDLE_U_SALT ? LEAF_SALT_LEN :
			    LEAF_COMMIT_LEN;
			if (bundle_json_hex(j, bit == BUNDLE_U_SALT ? "salt" :
			    "commitment", *bytes, want, &got) != 0)
				return BUNDLE_EMALFORMED;
			if (got != want)
				return bundle_json_fail(j, "unit %zu: %s: not "
				    "the hex of %zu bytes", r->br_n,
				    bit == BUNDLE_U_SALT ? "salt" :
				    "commitment", want);
			if (bit == BUNDLE_U_SALT)
				u->bu_salt = *bytes;
			else
				u->bu_commit = *bytes;
			*bytes += got;
			break;
		default:
			if (bundle_json_raw(j, &s, &len) != 0)
				return BUNDLE_EMALFORMED;
			if ((u->bu_reason = bundle_reason_parse(s, len)) ==
			    -1)
				return bundle_json_fail(j, "unit %zu: "
				    "withheld: unknown reason '%.*s' (core, "
				    "important, unclassified, excluded or "
				    "pseudonymised)", r->br_n, (int)len, s);
			break;
		}
		bundle_json_ws(j);
		if (j->bj_p < j->bj_end && *j->bj_p == ',') {
			j->bj_p++;
			continue;
		}
		if (bundle_json_expect(j, '}') != 0)
			return BUNDLE_EMALFORMED;
		break;
	}
	if (seen == (BUNDLE_U_PATH | BUNDLE_U_VALUE | BUNDLE_U_SALT))
		u->bu_reason = BUNDLE_DISCLOSED;
	else if (seen != (BUNDLE_U_PATH | BUNDLE_U_COMMIT | BUNDLE_U_WITHHELD))
		return bundle_json_fail(j, "unit %zu%s%.*s%s: give \"path\" "
		    "with \"value\" and \"salt\" (disclosed), or with "
		    "\"commitment\" and \"withheld\"", r->br_n,
		    u->bu_path != NULL ? " (" : "", (int)u->bu_pathlen,
		    u->bu_path != NULL ? u->bu_path : "",
		    u->bu_path != NULL ? ")" : "");
	c->lc_path = u->bu_path;
	c->lc_pathlen = u->bu_pathlen;
	c->lc_value = u->bu_value;
	c->lc_valuelen = u->bu_valuelen;
	c->lc_salt = u->bu_salt;
	c->lc_commit = u->bu_commit;
	r->br_n++;
	return 0;
}

/* Top-level keys of a record line. */
#define BUNDLE_R_INDEX		0x01
#define BUNDLE_R_LEAF		0x02
#define BUNDLE_R_UNITS		0x04
#define BUNDLE_R_PSEUDONYM	0x08

/* Reads the "units" array of a record line. */
static int
bundle_json_units(struct bundle_json *j, struct bundle_record *r,
    uint8_t **bytes)
{
	int rc;

	if (bundle_json_expect(j, '[') != 0)
		return BUNDLE_EMALFORMED;
	bundle_json_ws(j);
	if (j->bj_p < j->bj_end && *j->bj_p == ']') {
		j->bj_p++;
		return 0;
	}
	for (;;) {
		if ((rc = bundle_json_unit(j, r, bytes)) != 0)
			return rc;
		bundle_json_ws(j);
		if (j->bj_p < j->bj_end && *j->bj_p == ',') {
			j->bj_p++;
			continue;
		}
		return bundle_json_expect(j, ']');
	}
}

/*
 * Parses one line of records.jsonl (len bytes, without its newline;
 * modified in place: strings are unescaped where they are) into r. The
 * units and claims are views into line and into r, valid until the
 * next parse into r or bundle_record_free(). Keys may come in any
 * order; an unknown or repeated key is an error.
 * @return 0; BUNDLE_EMALFORMED with err giving the column and what is
 *	wrong; ENOMEM.
 */
int
bundle_record_parse(struct bundle_record *r, char *line, size_t len,
    char *err, size_t errlen)
{
	static const char *const keys[] = {	/* by BUNDLE_R_* bit */
		"index", "leaf_hash", "units", "subject_pseudonym"
	};
	struct bundle_json j;
	unsigned seen = 0, bit;
	uint8_t *bytes, *p;
	char *key;
	size_t klen, which;
	int rc;

	r->br_n = 0;
	r->br_has_pseudonym = 0;
	/* Decoded hex never exceeds half the line. */
	if (r->br_bytescap < len / 2 + 1) {
		if ((p = realloc(r->br_bytes, len / 2 + 1)) == NULL)
			return ENOMEM;
		r->br_bytes = p;
		r->br_bytescap = len / 2 + 1;
	}
	bytes = r->br_bytes;
	j.bj_p = j.bj_start = line;
	j.bj_end = line + len;
	j.bj_err = err;
	j.bj_errlen = errlen;
	if (bundle_json_expect(&j, '{') != 0)
		return BUNDLE_EMALFORMED;
	bundle_json_ws(&j);
	if (j.bj_p < j.bj_end && *j.bj_p == '}')
		return bundle_json_fail(&j, "empty object");
	for (;;) {
		if (bundle_json_key(&j, keys, 4, &which, &key, &klen) != 0 ||
		    bundle_json_expect(&j, ':') != 0)
			return BUNDLE_EMALFORMED;
		if (which == 4)
			return bundle_json_fail(&j, "unknown key \"%.*s\"",
			    (int)klen, key);
		bit = 1u << which;
		if (seen & bit)
			return bundle_json_fail(&j, "key \"%.*s\" given twice",
			    (int)klen, key);
		seen |= bit;
		switch (bit) {
		case BUNDLE_R_INDEX:
			rc = bundle_json_index(&j, &r->br_index);
			break;
		case BUNDLE_R_LEAF:
			rc = bundle_json_hexn(&j, "\"leaf_hash\"", r->br_leaf,
			    BUNDLE_HASH_LEN);
			break;
		case BUNDLE_R_UNITS:
			rc = bundle_json_units(&j, r, &bytes);
			break;
		default:
			rc = bundle_json_hexn(&j, "\"subject_pseudonym\"",
			    r->br_pseudonym, BUNDLE_PSEUDO_LEN);
			r->br_has_pseudonym = 1;
			break;
		}
		if (rc != 0)
			return rc;
		bundle_json_ws(&j);
		if (j.bj_p < j.bj_end && *j.bj_p == ',') {
			j.bj_p++;
			continue;
		}
		if (bundle_json_expect(&j, '}') != 0)
			return BUNDLE_EMALFORMED;
		break;
	}
	bundle_json_ws(&j);
	if (j.bj_p != j.bj_end)
		return bundle_json_fail(&j, "text after the object");
	if ((seen & (BUNDLE_R_INDEX | BUNDLE_R_LEAF | BUNDLE_R_UNITS)) !=
	    (BUNDLE_R_INDEX | BUNDLE_R_LEAF | BUNDLE_R_UNITS))
		return bundle_fail(err, errlen, BUNDLE_EMALFORMED, "missing "
		    "\"%s\"", !(seen & BUNDLE_R_INDEX) ? "index" :
		    !(seen & BUNDLE_R_LEAF) ? "leaf_hash" : "units");
	return 0;
}

/* Frees what r holds; r may be reused after bundle_record_free(). */
void
bundle_record_free(struct bundle_record *r)
{
	free(r->br_units);
	free(r->br_claims);
	free(r->br_bytes);
	memset(r, 0, sizeof(*r));
}

/* Zeroes c and makes its algorithm table. Returns 0 or ENOMEM. */
int
bundle_counts_init(struct bundle_counts *c)
{
	memset(c, 0, sizeof(*c));
	if ((c->bc_algorithms = json_object()) == NULL)
		return ENOMEM;
	return 0;
}

/*
 * Counts one record at index (after the previous one) with its n units
 * and what the rule found (info). Returns 0 or ENOMEM.
 */
int
bundle_counts_add(struct bundle_counts *c, uint64_t index,
    const struct bundle_unit *u, size_t n, const struct bundle_info *info)
{
	json_t *v;
	size_t i;

	if (c->bc_records == 0)
		c->bc_first = index;
	c->bc_last = index;
	c->bc_records++;
	c->bc_class[info->bi_class]++;
	c->bc_units += n;
	for (i = 0; i < n; i++) {
		if (u[i].bu_reason == BUNDLE_DISCLOSED)
			c->bc_disclosed++;
		else
			c->bc_withheld[u[i].bu_reason]++;
	}
	c->bc_pseudonyms += info->bi_pseudonym ? 1 : 0;
	if (info->bi_alg == 0)
		c->bc_alg_absent++;
	else if (info->bi_alg == 1)
		c->bc_alg_withheld++;
	else {
		v = json_object_getn(c->bc_algorithms, info->bi_alg_id,
		    info->bi_alg_idlen);
		if (v != NULL)
			return json_integer_set(v, json_integer_value(v) + 1) ==
			    0 ? 0 : ENOMEM;
		if (json_object_setn_new(c->bc_algorithms, info->bi_alg_id,
		    info->bi_alg_idlen, json_integer(1)) == -1)
			return ENOMEM;
	}
	return 0;
}

/* Frees the algorithm table; NULL-safe on a zeroed struct. */
void
bundle_counts_free(struct bundle_counts *c)
{
	json_decref(c->bc_algorithms);
	c->bc_algorithms = NULL;
}

/* A JSON integer of v. */
static json_t *
bundle_int(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/*
 * The "counts" object of the manifest.
 * @return a new reference, or NULL without memory.
 */
json_t *
bundle_counts_json(const struct bundle_counts *c)
{
	json_t *o, *cl, *w;
	int i;

	if ((o = json_object()) == NULL)
		return NULL;
	if ((cl = json_object()) == NULL ||
	    json_object_set_new(o, "records", bundle_int(c->bc_records)) ==
	    -1 ||
	    json_object_set_new(o, "by_class", cl) == -1)
		goto fail;
	for (i = 0; i < BUNDLE_CLASS_MAX; i++)
		if (json_object_set_new(cl, bundle_class_names[i],
		    bundle_int(c->bc_class[i])) == -1)
			goto fail;
	if (json_object_set_new(o, "by_algorithm",
	    json_deep_copy(c->bc_algorithms)) == -1 ||
	    json_object_set_new(o, "algorithm_withheld",
	    bundle_int(c->bc_alg_withheld)) == -1 ||
	    json_object_set_new(o, "algorithm_absent",
	    bundle_int(c->bc_alg_absent)) == -1 ||
	    json_object_set_new(o, "units", bundle_int(c->bc_units)) == -1 ||
	    json_object_set_new(o, "units_disclosed",
	    bundle_int(c->bc_disclosed)) == -1 ||
	    (w = json_object()) == NULL ||
	    json_object_set_new(o, "units_withheld", w) == -1)
		goto fail;
	for (i = BUNDLE_W_CORE; i < BUNDLE_REASON_MAX; i++)
		if (json_object_set_new(w, bundle_reason_names[i],
		    bundle_int(c->bc_withheld[i])) == -1)
			goto fail;
	if (json_object_set_new(o, "subject_pseudonyms",
	    bundle_int(c->bc_pseudonyms)) == -1 ||
	    json_object_set_new(o, "first_index", c->bc_records > 0 ?
	    bundle_int(c->bc_first) : json_null()) == -1 ||
	    json_object_set_new(o, "last_index", c->bc_records > 0 ?
	    bundle_int(c->bc_last) : json_null()) == -1 ||
	    json_object_set_new(o, "proof_hashes",
	    bundle_int(c->bc_hashes)) == -1)
		goto fail;
	return o;
fail:
	json_decref(o);
	return NULL;
}

/*
 * Names in err the first place where mine (what the bundle holds) and
 * theirs (what the manifest says) differ, under the name at; returns
 * 1 if they differ, 0 if not.
 */
static int
bundle_json_diff(json_t *mine, json_t *theirs, const char *at, char *err,
    size_t errlen)
{
	char sub[256], a[64], b[64];
	const char *key;
	json_t *v;

	if (json_is_object(mine) && json_is_object(theirs)) {
		json_object_foreach(mine, key, v) {
			snprintf(sub, sizeof(sub), "%s.%s", at, key);
			if (bundle_json_diff(v, json_object_get(theirs, key),
			    sub, err, errlen))
				return 1;
		}
		json_object_foreach(theirs, key, v)
			if (json_object_get(mine, key) == NULL) {
				snprintf(err, errlen, "%s.%s: the manifest "
				    "counts it, records.jsonl has none", at,
				    key);
				return 1;
			}
		return 0;
	}
	if (json_equal(mine, theirs))
		return 0;
	if (json_is_integer(mine))
		snprintf(a, sizeof(a), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(mine));
	else
		snprintf(a, sizeof(a), "%s", json_is_null(mine) ? "none" :
		    "something else");
	if (theirs == NULL)
		snprintf(b, sizeof(b), "nothing");
	else if (json_is_integer(theirs))
		snprintf(b, sizeof(b), "%" JSON_INTEGER_FORMAT,
		    json_integer_value(theirs));
	else
		snprintf(b, sizeof(b), "%s", json_is_null(theirs) ? "none" :
		    "something else");
	snprintf(err, errlen, "%s: the manifest says %s, the bundle holds %s",
	    at, b, a);
	return 1;
}

/*
 * Compares the counts of what the bundle holds (c, with its multi-proof
 * hashes) with the manifest's "counts" object.
 * @return 0; EPERM with err naming the first count that differs;
 *	ENOMEM.
 */
int
bundle_counts_compare(const struct bundle_counts *c, json_t *theirs,
    char *err, size_t errlen)
{
	json_t *mine;
	int rc;

	if ((mine = bundle_counts_json(c)) == NULL)
		return ENOMEM;
	if (!json_is_object(theirs))
		rc = bundle_fail(err, errlen, EPERM, "counts: missing or not "
		    "an object");
	else
		rc = bundle_json_diff(mine, theirs, "counts", err, errlen) ?
		    EPERM : 0;
	json_decref(mine);
	return rc;
}

/* The largest power of two strictly below n (n >= 2). */
static uint64_t
bundle_split(uint64_t n)
{
	uint64_t k = 1;

	while (k << 1 < n)
		k <<= 1;
	return k;
}

/* The RFC 6962 hash of node [lo, hi) (hi > lo) into out, recursively. */
static int
bundle_mp_node(const struct bundle_mp_ops *ops, uint64_t lo, uint64_t hi,
    uint8_t *out)
{
	uint8_t left[BUNDLE_HASH_LEN], right[BUNDLE_HASH_LEN];
	uint64_t next, k;
	int rc;

	next = ops->mo_peek(ops->mo_arg);
	if (next < lo)
		return BUNDLE_EORDER;
	if (next >= hi)
		return ops->mo_piece(ops->mo_arg, lo, hi, out);
	if (hi - lo == 1)
		return ops->mo_leaf(ops->mo_arg, lo, out);
	k = bundle_split(hi - lo);
	if ((rc = bundle_mp_node(ops, lo, lo + k, left)) != 0 ||
	    (rc = bundle_mp_node(ops, lo + k, hi, right)) != 0)
		return rc;
	merkle_hash_node(left, right, out);
	return 0;
}

/*
 * Walks the tree of size leaves left to right (docs/BUNDLE.md, "The
 * multi-proof"): every node that holds no selected leaf is one piece
 * (ops->mo_piece), every selected leaf is ops->mo_leaf, and their
 * hashes combine into *root. The selected indexes (ops->mo_peek) must
 * increase strictly; the walk stops at the first one not below size,
 * which the caller finds with mo_peek afterwards. Recursion depth is at
 * most 64; memory is that of the stack.
 * @return 0; BUNDLE_EORDER (an index not above the previous one); what
 *	a callback returned.
 */
int
bundle_mp_walk(uint64_t size, const struct bundle_mp_ops *ops, uint8_t *root)
{
	if (size == 0) {
		merkle_hash_empty(root);
		return 0;
	}
	return bundle_mp_node(ops, 0, size, root);
}

/*
 * The text the manifest's signature signs (docs/BUNDLE.md), into buf
 * (len bytes, NUL-terminated): the format line, "origin O", "sha256
 * H" of the manifest's bytes, each ending in a newline. The second line
 * is never a number, so the note can never pass for a checkpoint.
 * @return its length, or -1 if buf is too small.
 */
int
bundle_sig_text(const char *origin, const uint8_t *sha, char *buf,
    size_t len)
{
	char hex[2 * BUNDLE_HASH_LEN + 1];
	int n;

	receipt_hex(sha, BUNDLE_HASH_LEN, hex);
	n = snprintf(buf, len, "%s\norigin %s\nsha256 %s\n", BUNDLE_SIG_FORMAT,
	    origin, hex);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return n;
}

/*
 * Checks the manifest signature note (len bytes) with v: a valid
 * signature by v's key, over exactly the text of bundle_sig_text() for
 * origin and the manifest's hash sha.
 * @return 0; NOTE_E* (the signature); EPERM (it signs another text);
 *	err says which.
 */
int
bundle_sig_check(const struct note_verifier *v, const char *note,
    size_t len, const char *origin, const uint8_t *sha, char *err,
    size_t errlen)
{
	char want[NOTE_NAME_MAX + 256], nerr[256];
	size_t textlen, n;
	const char *nl;
	int rc, wl;

	nerr[0] = '\0';
	if ((rc = note_open(v, note, len, &textlen, nerr, sizeof(nerr))) != 0)
		return bundle_fail(err, errlen, rc, "signature invalid for key "
		    "%s: %s%s%s", note_verifier_name(v), note_strerror(rc),
		    nerr[0] != '\0' ? ": " : "", nerr);
	if ((wl = bundle_sig_text(origin, sha, want, sizeof(want))) == -1)
		return bundle_fail(err, errlen, EPERM, "origin too long");
	if ((size_t)wl == textlen && memcmp(want, note, textlen) == 0)
		return 0;
	nl = memchr(note, '\n', textlen);
	n = nl != NULL ? (size_t)(nl - note) : textlen;
	if (n != strlen(BUNDLE_SIG_FORMAT) ||
	    memcmp(note, BUNDLE_SIG_FORMAT, n) != 0)
		return bundle_fail(err, errlen, EPERM, "signs something that "
		    "is not a bundle manifest (first line not \"%s\")",
		    BUNDLE_SIG_FORMAT);
	if (textlen < (size_t)wl - 2 * BUNDLE_HASH_LEN - 1 ||
	    memcmp(note, want, (size_t)wl - 2 * BUNDLE_HASH_LEN - 1) != 0)
		return bundle_fail(err, errlen, EPERM, "signs a manifest of "
		    "another log (origin line not \"origin %s\")", origin);
	return bundle_fail(err, errlen, EPERM, "signs another manifest: "
	    "manifest.json's SHA-256 is not the signed one (manifest.json "
	    "was changed)");
}

/*
 * A pseudonym function of key (len bytes, BUNDLE_PSEUDO_KEY_MIN to
 * BUNDLE_PSEUDO_KEY_MAX): HMAC-SHA-256 (RFC 2104) with its pads hashed
 * once. @return 0; EINVAL (key length); ENOMEM. Free with
 * bundle_pseudo_free().
 */
int
bundle_pseudo_new(struct bundle_pseudo **pp, const uint8_t *key, size_t len)
{
	struct bundle_pseudo *p;
	uint8_t k[SHA256_CBLOCK], pad[SHA256_CBLOCK];
	size_t i;

	*pp = NULL;
	if (len < BUNDLE_PSEUDO_KEY_MIN || len > BUNDLE_PSEUDO_KEY_MAX)
		return EINVAL;
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return ENOMEM;
	memset(k, 0, sizeof(k));
	if (len > SHA256_CBLOCK)
		SHA256(key, len, k);
	else
		memcpy(k, key, len);
	for (i = 0; i < SHA256_CBLOCK; i++)
		pad[i] = k[i] ^ 0x36;
	SHA256_Init(&p->ps_inner);
	SHA256_Update(&p->ps_inner, pad, sizeof(pad));
	for (i = 0; i < SHA256_CBLOCK; i++)
		pad[i] = k[i] ^ 0x5c;
	SHA256_Init(&p->ps_outer);
	SHA256_Update(&p->ps_outer, pad, sizeof(pad));
	OPENSSL_cleanse(k, sizeof(k));
	OPENSSL_cleanse(pad, sizeof(pad));
	*pp = p;
	return 0;
}

/* Wipes and frees a pseudonym function; NULL is allowed. */
void
bundle_pseudo_free(struct bundle_pseudo *p)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
}

/* out = HMAC-SHA-256(key, data of len bytes), BUNDLE_PSEUDO_LEN bytes. */
void
bundle_pseudo(const struct bundle_pseudo *p, const void *data, size_t len,
    uint8_t *out)
{
	uint8_t inner[BUNDLE_PSEUDO_LEN];
	SHA256_CTX c;

	c = p->ps_inner;
	SHA256_Update(&c, data, len);
	SHA256_Final(inner, &c);
	c = p->ps_outer;
	SHA256_Update(&c, inner, sizeof(inner));
	SHA256_Final(out, &c);
	OPENSSL_cleanse(&c, sizeof(c));
}

/*
 * The key's public id, BUNDLE_KEY_ID_LEN bytes: the start of its
 * pseudonym of "algaudit/v1/pseudonym-key-id". Two bundles whose ids
 * are equal used the same key, so their pseudonyms compare.
 */
void
bundle_pseudo_key_id(const struct bundle_pseudo *p, uint8_t *out)
{
	uint8_t h[BUNDLE_PSEUDO_LEN];

	bundle_pseudo(p, BUNDLE_KEY_ID_TAG, strlen(BUNDLE_KEY_ID_TAG), h);
	memcpy(out, h, BUNDLE_KEY_ID_LEN);
}

/* "CODE_NAME: explanation" for BUNDLE_E*, else strerror(). */
const char *
bundle_strerror(int err)
{
	switch (err) {
	case BUNDLE_EMALFORMED:
		return "BUNDLE_EMALFORMED: a line or file breaks the bundle "
		    "format";
	case BUNDLE_EORDER:
		return "BUNDLE_EORDER: record indexes do not increase "
		    "strictly";
	default:
		if (err > 0)
			return strerror(err);
		return "unknown bundle error";
	}
}

/*
 * Reads the whole file name of directory dirfd (at most max bytes) into
 * a new buffer (NUL-terminated). Returns 0 or an errno: EFBIG above
 * max, EINVAL for a file that is not regular.
 */
int
bundle_read_file(int dirfd, const char *name, size_t max, char **p, size_t *len)
{
	struct stat sb;
	char *buf = NULL;
	ssize_t n;
	size_t have = 0;
	int fd, rc;

	*p = NULL;
	*len = 0;
	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC)) == -1)
		return errno;
	if (fstat(fd, &sb) == -1) {
		rc = errno;
		goto fail;
	}
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > max) {
		rc = S_ISREG(sb.st_mode) ? EFBIG : EINVAL;
		goto fail;
	}
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL) {
		rc = ENOMEM;
		goto fail;
	}
	while (have < (size_t)sb.st_size) {
		n = read(fd, buf + have, (size_t)sb.st_size - have);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n == 0 ? EIO : errno;
			goto fail;
		}
		have += (size_t)n;
	}
	close(fd);
	buf[have] = '\0';
	*p = buf;
	*len = have;
	return 0;
fail:
	free(buf);
	close(fd);
	return rc;
}
