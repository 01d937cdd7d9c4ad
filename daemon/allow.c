/* SPDX-License-Identifier: ISC */
/*
 * allow.c: the allowlist of who may write as which producer.
 *
 * An allow rule maps an identity, a local uid or gid (a name or a
 * number, as the configuration file gives it) or the common name of a
 * TLS client certificate, to the producer ids it may use:
 *
 *   allow = uid:1000 producers=credit-api,ranker-*
 *   allow = gid:audit producers=*
 *   allow = cn:credit-api.example.org producers=credit-api
 *
 * A peer of a Unix socket matches a uid rule when its SO_PEERCRED uid
 * is the rule's, and a gid rule when the rule's group is its primary
 * group or one of its supplementary groups (SO_PEERGROUPS). A TLS peer
 * whose certificate the daemon verified matches a cn rule when the
 * CN of the certificate's subject is the rule's, byte for byte (a CN
 * with blanks cannot be named). Neither kind matches the other. A producer
 * pattern is a producer id in which '*' stands for any run of bytes,
 * the empty one included; "*" alone allows every id. A peer may use a
 * producer id when a rule it matches has a pattern that matches the id.
 *
 * Names are resolved when the rule is parsed (at start, at -n and at
 * every SIGHUP), so a rule naming a user or group that does not exist
 * is an error in the configuration, not a rule that never matches.
 * Pure apart from that: no libevent, no sockets, no logging, so the
 * parser and the matcher are unit-tested on their own (check_allow.c);
 * conn.c asks them at accept and at the Hello.
 */
#include <errno.h>
#include <grp.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon.h"

#define ALLOW_PRODUCERS		"producers="
#define ALLOW_NAMEBUF_MIN	1024	/* getpwnam_r() buffer, at least */
#define ALLOW_NAMEBUF_MAX	(1024 * 1024)	/* and at most */

static int	 allow_fail(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* Formats an error message into err; returns -1 for convenience. */
static int
allow_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && errlen > 0) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/*
 * Parses a decimal id of at most 10 digits into *id. The all-ones
 * value is (uid_t)-1, "no id", and refused. Returns 0, or -1 when s is
 * not such a number.
 */
static int
allow_parse_id(const char *s, uint32_t *id)
{
	uint64_t v = 0;
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (s[i] < '0' || s[i] > '9' || i >= 10)
			return -1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (i == 0 || v >= UINT32_MAX)
		return -1;
	*id = (uint32_t)v;
	return 0;
}

/* Returns the size of the buffer getpwnam_r() or getgrnam_r() wants. */
static size_t
allow_namebuf_size(int which)
{
	long n = sysconf(which);

	if (n < ALLOW_NAMEBUF_MIN)
		return ALLOW_NAMEBUF_MIN;
	return (size_t)n;
}

/*
 * Resolves a user (is_group 0) or group name, or a decimal id. Returns
 * 0 with *id set, or -1 with a message naming what in err. The lookup's
 * buffer starts at what sysconf() suggests and doubles on ERANGE.
 */
static int
allow_name_id(const char *name, int is_group, uint32_t *id, char *err,
    size_t errlen)
{
	const char *what = is_group ? "group" : "user";
	struct passwd pw, *pwres = NULL;
	struct group gr, *grres = NULL;
	size_t len;
	char *buf;
	int rc, found;

	if (allow_parse_id(name, id) == 0)
		return 0;
	if (name[0] == '\0')
		return allow_fail(err, errlen, "empty %s name", what);
	len = allow_namebuf_size(is_group ? _SC_GETGR_R_SIZE_MAX :
	    _SC_GETPW_R_SIZE_MAX);
	for (;;) {
		if ((buf = malloc(len)) == NULL)
			return allow_fail(err, errlen, "%s '%s': %s", what,
			    name, strerror(errno));
		rc = is_group ? getgrnam_r(name, &gr, buf, len, &grres) :
		    getpwnam_r(name, &pw, buf, len, &pwres);
		if (rc != ERANGE || len >= ALLOW_NAMEBUF_MAX)
			break;
		free(buf);
		len *= 2;
	}
	found = is_group ? grres != NULL : pwres != NULL;
	if (rc == 0 && found)
		*id = is_group ? (uint32_t)gr.gr_gid : (uint32_t)pw.pw_uid;
	free(buf);
	if (rc != 0)
		return allow_fail(err, errlen, "%s '%s': cannot look it up: "
		    "%s", what, name, strerror(rc));
	if (!found)
		return allow_fail(err, errlen, "no %s named '%s' (give a name "
		    "known to this host or a number)", what, name);
	return 0;
}

/*
 * Resolves a user name or a decimal uid. Returns 0 with *uid set, or -1
 * with a message naming what in err.
 */
int
allow_user_id(const char *name, uint32_t *uid, char *err, size_t errlen)
{
	return allow_name_id(name, 0, uid, err, errlen);
}

/*
 * Resolves a group name or a decimal gid. Returns 0 with *gid set, or
 * -1 with a message naming what in err.
 */
int
allow_group_id(const char *name, uint32_t *gid, char *err, size_t errlen)
{
	return allow_name_id(name, 1, gid, err, errlen);
}

/* Returns 1 for the blanks that separate the parts of a rule. */
static int
allow_blank(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Checks the comma-separated producer patterns of list (len bytes) of
 * rule text. Returns 0, or -1 with a message naming the pattern.
 */
static int
allow_check_patterns(const char *text, const char *list, size_t len,
    char *err, size_t errlen)
{
	const char *p, *comma, *end = list + len;
	size_t plen, i;
	int n = 0;

	if (len == 0)
		return allow_fail(err, errlen, "'%s': empty producer list "
		    "(use producers=* to allow every id)", text);
	for (p = list; p <= end; p = comma + 1) {
		n++;
		if ((comma = memchr(p, ',', (size_t)(end - p))) == NULL)
			comma = end;
		plen = (size_t)(comma - p);
		if (plen == 0)
			return allow_fail(err, errlen, "'%s': producer pattern "
			    "%d is empty", text, n);
		if (plen > RECORD_MAX_PRODUCER_ID)
			return allow_fail(err, errlen, "'%s': producer pattern "
			    "%d is %zu bytes, longer than a producer id (%d)",
			    text, n, plen, RECORD_MAX_PRODUCER_ID);
		for (i = 0; i < plen; i++)
			if (p[i] < 0x21 || p[i] > 0x7e)
				return allow_fail(err, errlen, "'%s': producer "
				    "pattern %d: byte %zu is not printable "
				    "ASCII", text, n, i + 1);
	}
	return 0;
}

/*
 * Parses one rule, "uid:WHO producers=P1,P2,...", "gid:WHO ..." or
 * "cn:NAME ...", into r, resolving WHO. Returns 0, or -1 with a message
 * quoting text in err; r is then unspecified.
 */
int
allow_parse(const char *text, struct allow_rule *r, char *err,
    size_t errlen)
{
	const char *p, *who, *list;
	char name[ALLOW_TEXT_MAX], msg[256];
	size_t len, wlen, llen;
	int rc;

	memset(r, 0, sizeof(*r));
	len = strlen(text);
	if (len >= ALLOW_TEXT_MAX)
		return allow_fail(err, errlen, "'%.32s...': %zu bytes, longer "
		    "than the limit of %d", text, len, ALLOW_TEXT_MAX - 1);
	for (p = text; *p != '\0'; p++)
		if ((*p < 0x20 || *p > 0x7e) && *p != '\t')
			return allow_fail(err, errlen, "'%s': byte %zu is not "
			    "printable ASCII", text, (size_t)(p - text) + 1);
	memcpy(r->ar_text, text, len + 1);
	if (strncmp(text, "uid:", 4) == 0)
		r->ar_kind = ALLOW_UID;
	else if (strncmp(text, "gid:", 4) == 0)
		r->ar_kind = ALLOW_GID;
	else if (strncmp(text, "cn:", 3) == 0)
		r->ar_kind = ALLOW_CN;
	else
		return allow_fail(err, errlen, "'%s': a rule starts with "
		    "uid:USER or gid:GROUP (a name or a number) or cn:NAME (a "
		    "TLS client certificate's common name), e.g. uid:1000 "
		    "producers=credit-api,ranker-*", text);
	who = text + (r->ar_kind == ALLOW_CN ? 3 : 4);
	for (wlen = 0; who[wlen] != '\0' && !allow_blank(who[wlen]); wlen++)
		;
	if (wlen == 0)
		return allow_fail(err, errlen, "'%s': no %s after '%.*s'",
		    text, r->ar_kind == ALLOW_UID ? "user" :
		    r->ar_kind == ALLOW_GID ? "group" : "common name",
		    (int)(who - text), text);
	memcpy(name, who, wlen);
	name[wlen] = '\0';
	for (p = who + wlen; allow_blank(*p); p++)
		;
	if (p == who + wlen || strncmp(p, ALLOW_PRODUCERS,
	    strlen(ALLOW_PRODUCERS)) != 0)
		return allow_fail(err, errlen, "'%s': expected ' producers=' "
		    "after '%.*s', e.g. uid:1000 producers=credit-api,"
		    "ranker-*", text, (int)(who - text + (long)wlen), text);
	list = p + strlen(ALLOW_PRODUCERS);
	for (llen = 0; list[llen] != '\0' && !allow_blank(list[llen]); llen++)
		;
	for (p = list + llen; allow_blank(*p); p++)
		;
	if (*p != '\0')
		return allow_fail(err, errlen, "'%s': unexpected '%s' after "
		    "the producer list (patterns are separated by commas, "
		    "without spaces)", text, p);
	if (allow_check_patterns(text, list, llen, err, errlen) == -1)
		return -1;
	r->ar_pats = (size_t)(list - text);
	r->ar_npats = llen;
	if (r->ar_kind == ALLOW_CN) {
		r->ar_cn = (size_t)(who - text);
		r->ar_ncn = wlen;
		return 0;
	}
	if (r->ar_kind == ALLOW_UID)
		rc = allow_user_id(name, &r->ar_id, msg, sizeof(msg));
	else
		rc = allow_group_id(name, &r->ar_id, msg, sizeof(msg));
	if (rc == -1)
		return allow_fail(err, errlen, "'%s': %s", text, msg);
	return 0;
}

/*
 * Returns 1 when producer id id matches pattern pat (plen bytes), in
 * which '*' matches any run of bytes, the empty one included.
 */
int
allow_pattern_match(const char *pat, size_t plen, const char *id)
{
	const char *star = NULL, *resume = NULL;
	size_t i = 0;

	while (*id != '\0') {
		if (i < plen && pat[i] == '*') {
			/* Remember the star; first try it as empty. */
			star = pat + i++;
			resume = id;
		} else if (i < plen && pat[i] == *id) {
			i++;
			id++;
		} else if (star != NULL) {
			/* Let the last star take one more byte. */
			i = (size_t)(star - pat) + 1;
			id = ++resume;
		} else
			return 0;
	}
	while (i < plen && pat[i] == '*')
		i++;
	return i == plen;
}

/* Returns 1 when peer p is the identity rule r names. */
static int
allow_rule_matches(const struct allow_rule *r, const struct allow_peer *p)
{
	size_t i;

	if (r->ar_kind == ALLOW_CN)
		return p->ap_cn != NULL && strlen(p->ap_cn) == r->ar_ncn &&
		    memcmp(p->ap_cn, r->ar_text + r->ar_cn, r->ar_ncn) == 0;
	if (p->ap_cn != NULL)
		return 0;
	if (r->ar_kind == ALLOW_UID)
		return p->ap_uid == r->ar_id;
	if (p->ap_gid == r->ar_id)
		return 1;
	for (i = 0; i < p->ap_ngroups; i++)
		if (p->ap_groups[i] == r->ar_id)
			return 1;
	return 0;
}

/*
 * Returns the number of the n rules that peer p matches: 0 means the
 * peer may not write at all.
 */
size_t
allow_match_peer(const struct allow_rule *rules, size_t n,
    const struct allow_peer *p)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += (size_t)allow_rule_matches(&rules[i], p);
	return k;
}

/*
 * Returns 1 when peer p may write as producer id: some rule p matches
 * has a pattern that matches id; 0 otherwise.
 */
int
allow_match_producer(const struct allow_rule *rules, size_t n,
    const struct allow_peer *p, const char *id)
{
	const char *pat, *end, *comma;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!allow_rule_matches(&rules[i], p))
			continue;
		pat = rules[i].ar_text + rules[i].ar_pats;
		end = pat + rules[i].ar_npats;
		for (; pat < end; pat = comma + 1) {
			if ((comma = memchr(pat, ',', (size_t)(end - pat))) ==
			    NULL)
				comma = end;
			if (allow_pattern_match(pat, (size_t)(comma - pat),
			    id))
				return 1;
		}
	}
	return 0;
}
