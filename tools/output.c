/* SPDX-License-Identifier: ISC */
/*
 * output.c: formatting shared by the subcommands: RFC 3339 times (out
 * and in), numbers that read back exactly, display widths of UTF-8 text,
 * aligned tables for people and RFC 4180 CSV for programs.
 *
 * Tables are for terminals: cells are sanitized (control characters,
 * C1 controls and bidirectional overrides become '?', so a record cannot
 * move the cursor or reorder what a reviewer sees) and cut with an
 * ellipsis at a character boundary. A table decides its column widths
 * from its first page of rows and streams every later row with those
 * widths, so its memory does not grow with the number of rows. CSV is
 * for programs: values are written whole and unchanged.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tools.h"

#define OUTPUT_NS	1000000000LL
#define OUTPUT_ELLIPSIS	"\xe2\x80\xa6"	/* U+2026, one column */
#define OUTPUT_GAP	"  "		/* between table columns */
#define OUTPUT_MAXCOLS	64

struct output_table {
	FILE				*ot_fp;
	const struct output_column	*ot_cols;
	size_t				 ot_ncols;
	size_t				 ot_page;	/* rows for widths */
	size_t				*ot_width;
	char				**ot_cells;	/* page * ncols */
	size_t				*ot_cellw;	/* their widths */
	size_t				 ot_rows;	/* rows in ot_cells */
	int				 ot_streaming;	/* widths decided */
};

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
output_days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Returns the number of days of month m (1..12) of year y. */
static int
output_month_days(int y, int m)
{
	static const int days[12] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)))
		return 29;
	return days[m - 1];
}

/*
 * Formats ns (since the epoch) as RFC 3339 into buf: UTC with "Z" when
 * utc is set, else local time with its offset. digits (0, 3, 6 or 9)
 * fraction digits are kept, truncated. Returns 0, or -1 when digits is
 * not one of those, the time cannot be converted or buf is too small.
 */
int
output_time_format(char *buf, size_t len, int64_t ns, int digits, int utc)
{
	struct tm tm;
	time_t secs;
	int64_t rem, frac, div;
	long off;
	int n, i;
	char zone[8];

	if (digits != 0 && digits != 3 && digits != 6 && digits != 9)
		return -1;
	rem = ns % OUTPUT_NS;
	secs = (time_t)(ns / OUTPUT_NS);
	if (rem < 0) {
		rem += OUTPUT_NS;
		secs--;
	}
	if (utc) {
		if (gmtime_r(&secs, &tm) == NULL)
			return -1;
		off = 0;
	} else {
		if (localtime_r(&secs, &tm) == NULL)
			return -1;
		off = tm.tm_gmtoff;
		if (off % 60 != 0) {
			/* RFC 3339 has no offset seconds (old LMT zones). */
			if (gmtime_r(&secs, &tm) == NULL)
				return -1;
			utc = 1;
			off = 0;
		}
	}
	if (utc)
		snprintf(zone, sizeof(zone), "Z");
	else
		snprintf(zone, sizeof(zone), "%c%02d:%02d",
		    off < 0 ? '-' : '+', (int)(labs(off) / 3600 % 100),
		    (int)(labs(off) % 3600 / 60));
	div = 1;
	for (i = digits; i < 9; i++)
		div *= 10;
	frac = rem / div;
	if (digits > 0)
		n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%0*lld%s",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, digits, (long long)frac, zone);
	else
		n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d%s",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, zone);
	if (n < 0 || (size_t)n >= len)
		return -1;
	return 0;
}

/* Parses exactly n decimal digits at *sp into *v; advances *sp. */
static int
output_digits(const char **sp, int n, int *v)
{
	const char *s = *sp;
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	*sp = s + n;
	return 0;
}

/*
 * Parses an RFC 3339 date-time ("2024-05-01T12:00:00.5+08:00", "T" or
 * "t" or a space, "Z" or "z" or an offset, up to 9 fraction digits) into
 * ns since the epoch. Leap seconds (:60) are refused: the result could
 * not be formatted back. Returns 0, or -1 for anything else.
 */
int
output_time_parse(const char *s, int64_t *ns)
{
	int y, mo, d, h, mi, sec, oh, om, sign, nd;
	int64_t frac, days, t;

	if (output_digits(&s, 4, &y) == -1 || *s++ != '-' ||
	    output_digits(&s, 2, &mo) == -1 || *s++ != '-' ||
	    output_digits(&s, 2, &d) == -1 ||
	    (*s != 'T' && *s != 't' && *s != ' '))
		return -1;
	s++;
	if (output_digits(&s, 2, &h) == -1 || *s++ != ':' ||
	    output_digits(&s, 2, &mi) == -1 || *s++ != ':' ||
	    output_digits(&s, 2, &sec) == -1)
		return -1;
	frac = 0;
	if (*s == '.') {
		s++;
		for (nd = 0; *s >= '0' && *s <= '9'; nd++, s++) {
			if (nd == 9)
				return -1;
			frac = frac * 10 + (*s - '0');
		}
		if (nd == 0)
			return -1;
		for (; nd < 9; nd++)
			frac *= 10;
	}
	if (*s == 'Z' || *s == 'z') {
		sign = 0;
		oh = om = 0;
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if (output_digits(&s, 2, &oh) == -1 || *s++ != ':' ||
		    output_digits(&s, 2, &om) == -1 || oh > 23 || om > 59)
			return -1;
	} else
		return -1;
	if (*s != '\0')
		return -1;
	/* int64 ns reach from 1677-09-21 to 2262-04-11. */
	if (y < 1678 || y > 2261 || mo < 1 || mo > 12 || d < 1 ||
	    d > output_month_days(y, mo) || h > 23 || mi > 59 || sec > 59)
		return -1;
	days = output_days_from_civil(y, mo, d);
	t = ((days * 24 + h) * 60 + mi) * 60 + sec;
	t -= (int64_t)sign * (oh * 3600 + om * 60);
	*ns = t * OUTPUT_NS + frac;
	return 0;
}

/* Returns the current time in ns since the epoch (0 if unavailable). */
int64_t
output_now_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_REALTIME, &ts) == -1)
		return 0;
	return (int64_t)ts.tv_sec * OUTPUT_NS + ts.tv_nsec;
}

/*
 * Returns the fewest significant digits (1 to 17) with which "%.*g"
 * reads back as exactly v, but at least the digits of v's integer part
 * below 1e16, so that 100 is "100" and not "1e+02".
 */
int
output_double_digits(double v)
{
	char buf[OUTPUT_NUMLEN];
	double a;
	int p;

	if (!isfinite(v))
		return 17;
	a = fabs(v);
	for (p = 1; p < 16 && a >= 10; p++)
		a /= 10;
	if (fabs(v) >= 1e16)
		p = 1;
	for (; p < 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, v);
		if (strtod(buf, NULL) == v)
			return p;
	}
	return 17;
}

/* Formats v in the shortest "%g" form that reads back exactly. */
void
output_double(char *buf, size_t len, double v)
{
	snprintf(buf, len, "%.*g", output_double_digits(v), v);
}

/*
 * Decodes the UTF-8 character at s (len bytes left, len > 0) into *cp
 * and returns its length; an invalid sequence is one byte with *cp -1.
 */
size_t
output_utf8(const unsigned char *s, size_t len, long *cp)
{
	size_t n, i;
	long c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 1;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 2;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 3;
		c = s[0] & 0x07;
	} else {
		*cp = -1;
		return 1;
	}
	if (len <= n) {
		*cp = -1;
		return 1;
	}
	for (i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*cp = -1;
			return 1;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	if ((n == 2 && c < 0x800) || (n == 3 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
		*cp = -1;
		return 1;
	}
	*cp = c;
	return n + 1;
}

/*
 * Returns 1 for characters a table must not show as they are: C0 and
 * C1 controls, DEL, and the bidirectional embeddings, overrides and
 * isolates (which would reorder the text around them).
 */
static int
output_unsafe(long c)
{
	return c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069);
}

/*
 * Returns the terminal columns of character c: 0 for combining marks
 * and zero-width characters, 2 for East Asian wide and fullwidth
 * characters, else 1. An approximation of wcwidth() that does not
 * depend on the locale.
 */
static int
output_char_width(long c)
{
	if ((c >= 0x0300 && c <= 0x036f) || (c >= 0x1ab0 && c <= 0x1aff) ||
	    (c >= 0x1dc0 && c <= 0x1dff) || (c >= 0x200b && c <= 0x200f) ||
	    (c >= 0x20d0 && c <= 0x20ff) || (c >= 0xfe00 && c <= 0xfe0f) ||
	    (c >= 0xfe20 && c <= 0xfe2f) || c == 0xfeff)
		return 0;
	if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0x303e) ||
	    (c >= 0x3041 && c <= 0x33ff) || (c >= 0x3400 && c <= 0x4dbf) ||
	    (c >= 0x4e00 && c <= 0x9fff) || (c >= 0xa000 && c <= 0xa4cf) ||
	    (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
	    (c >= 0xffe0 && c <= 0xffe6) ||
	    (c >= 0x1f300 && c <= 0x1f64f) ||
	    (c >= 0x1f900 && c <= 0x1f9ff) ||
	    (c >= 0x20000 && c <= 0x2fffd) || (c >= 0x30000 && c <= 0x3fffd))
		return 2;
	return 1;
}

/* Returns the terminal columns that output_cell() would show s in. */
size_t
output_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len, n, w = 0;
	long c;

	len = strlen(s);
	while (len > 0) {
		n = output_utf8(p, len, &c);
		w += c < 0 || output_unsafe(c) ? 1 : output_char_width(c);
		p += n;
		len -= n;
	}
	return w;
}

/*
 * Makes a table cell of src (NULL is ""): unsafe characters and invalid
 * UTF-8 become '?'; when wider than max columns, it is cut at a
 * character boundary and ends in an ellipsis, max columns in all.
 * Returns a string the caller frees, with its width in *width, or NULL
 * (ENOMEM).
 */
char *
output_cell(const char *src, size_t max, size_t *width)
{
	const unsigned char *p;
	size_t len, n, w, cw, keep;
	char *dst, *q;
	long c;

	if (src == NULL)
		src = "";
	len = strlen(src);
	if ((dst = malloc(len + sizeof(OUTPUT_ELLIPSIS))) == NULL)
		return NULL;
	/* Leave one column for the ellipsis if src does not fit. */
	keep = output_width(src) > max ? (max > 0 ? max - 1 : 0) : max;
	p = (const unsigned char *)src;
	q = dst;
	w = 0;
	while (len > 0) {
		n = output_utf8(p, len, &c);
		if (c < 0 || output_unsafe(c))
			cw = 1;
		else
			cw = output_char_width(c);
		if (w + cw > keep)
			break;
		if (c < 0 || output_unsafe(c))
			*q++ = '?';
		else {
			memcpy(q, p, n);
			q += n;
		}
		w += cw;
		p += n;
		len -= n;
	}
	if (len > 0 && max > 0) {
		memcpy(q, OUTPUT_ELLIPSIS, sizeof(OUTPUT_ELLIPSIS) - 1);
		q += sizeof(OUTPUT_ELLIPSIS) - 1;
		w++;
	}
	*q = '\0';
	*width = w;
	return dst;
}

/*
 * Writes one CSV field (RFC 4180): quoted when it holds a comma, a
 * quote, CR or LF, with quotes doubled; preceded by a comma unless
 * first. s NULL is an empty field. Write errors show in ferror(fp).
 */
void
output_csv_field(FILE *fp, const char *s, int first)
{
	if (!first)
		fputc(',', fp);
	if (s == NULL)
		return;
	if (strpbrk(s, ",\"\r\n") == NULL) {
		fputs(s, fp);
		return;
	}
	fputc('"', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	fputc('"', fp);
}

/* Ends a CSV record with CRLF, as RFC 4180 asks. */
void
output_csv_end(FILE *fp)
{
	fputs("\r\n", fp);
}

/*
 * Creates a table writing to fp with ncols columns (cols must outlive
 * it) whose widths are decided by its first page rows. The caller frees
 * it with output_table_free(). Returns 0, EINVAL (no columns or more
 * than OUTPUT_MAXCOLS) or ENOMEM.
 */
int
output_table_new(struct output_table **out, FILE *fp,
    const struct output_column *cols, size_t ncols, size_t page)
{
	struct output_table *t;
	size_t i;

	if (ncols == 0 || ncols > OUTPUT_MAXCOLS)
		return EINVAL;
	if (page == 0)
		page = 1;
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return ENOMEM;
	t->ot_fp = fp;
	t->ot_cols = cols;
	t->ot_ncols = ncols;
	t->ot_page = page;
	if ((t->ot_width = calloc(ncols, sizeof(*t->ot_width))) == NULL ||
	    (t->ot_cells = calloc(page * ncols, sizeof(*t->ot_cells))) ==
	    NULL ||
	    (t->ot_cellw = calloc(page * ncols, sizeof(*t->ot_cellw))) ==
	    NULL) {
		output_table_free(t);
		return ENOMEM;
	}
	for (i = 0; i < ncols; i++)
		t->ot_width[i] = output_width(cols[i].oc_name);
	*out = t;
	return 0;
}

/*
 * Makes column col at least width columns wide, for values known to
 * come after the first page (e.g. the largest index). Call it before
 * the first row.
 */
void
output_table_min_width(struct output_table *t, size_t col, size_t width)
{
	if (col < t->ot_ncols && t->ot_width[col] < width)
		t->ot_width[col] = width;
}

/* Writes one row of cells with their widths, padded to the columns. */
static void
output_table_put(struct output_table *t, const char *const *cells,
    const size_t *w)
{
	size_t i, pad, n;

	/* Stop after the last non-empty cell: no trailing blanks. */
	for (n = t->ot_ncols; n > 0 && cells[n - 1][0] == '\0'; n--)
		;
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputs(OUTPUT_GAP, t->ot_fp);
		pad = t->ot_width[i] > w[i] ? t->ot_width[i] - w[i] : 0;
		if (t->ot_cols[i].oc_right)
			fprintf(t->ot_fp, "%*s", (int)pad, "");
		fputs(cells[i], t->ot_fp);
		if (!t->ot_cols[i].oc_right && i + 1 < n)
			fprintf(t->ot_fp, "%*s", (int)pad, "");
	}
	fputc('\n', t->ot_fp);
}

/* Decides the widths from the buffered page, writes header and page. */
static void
output_table_flush(struct output_table *t)
{
	const char *names[OUTPUT_MAXCOLS];
	size_t nw[OUTPUT_MAXCOLS];
	size_t r, i, k;

	for (r = 0; r < t->ot_rows; r++)
		for (i = 0; i < t->ot_ncols; i++) {
			k = r * t->ot_ncols + i;
			if (t->ot_cellw[k] > t->ot_width[i])
				t->ot_width[i] = t->ot_cellw[k];
		}
	for (i = 0; i < t->ot_ncols; i++) {
		names[i] = t->ot_cols[i].oc_name;
		nw[i] = output_width(names[i]);
	}
	output_table_put(t, names, nw);
	for (r = 0; r < t->ot_rows; r++) {
		output_table_put(t,
		    (const char *const *)(t->ot_cells + r * t->ot_ncols),
		    t->ot_cellw + r * t->ot_ncols);
		for (i = 0; i < t->ot_ncols; i++) {
			free(t->ot_cells[r * t->ot_ncols + i]);
			t->ot_cells[r * t->ot_ncols + i] = NULL;
		}
	}
	t->ot_rows = 0;
	t->ot_streaming = 1;
}

/*
 * Adds a row of ncols cells (NULL cells are empty). Rows of the first
 * page are kept until the widths are decided; later rows are written at
 * once, cut to those widths. Returns 0 or ENOMEM; write errors show in
 * ferror() of the stream.
 */
int
output_table_row(struct output_table *t, const char *const *cells)
{
	char *row[OUTPUT_MAXCOLS];
	size_t w[OUTPUT_MAXCOLS];
	size_t i, max, base;
	int rc = 0;

	base = t->ot_rows * t->ot_ncols;
	for (i = 0; i < t->ot_ncols; i++) {
		/* Columns without a maximum (numbers) are never cut. */
		max = t->ot_cols[i].oc_max;
		if (t->ot_streaming && max != SIZE_MAX)
			max = t->ot_width[i];
		if ((row[i] = output_cell(cells[i], max, &w[i])) == NULL) {
			rc = ENOMEM;
			break;
		}
	}
	if (rc != 0) {
		while (i-- > 0)
			free(row[i]);
		return rc;
	}
	if (t->ot_streaming) {
		output_table_put(t, (const char *const *)row, w);
		for (i = 0; i < t->ot_ncols; i++)
			free(row[i]);
		return 0;
	}
	for (i = 0; i < t->ot_ncols; i++) {
		t->ot_cells[base + i] = row[i];
		t->ot_cellw[base + i] = w[i];
	}
	if (++t->ot_rows == t->ot_page)
		output_table_flush(t);
	return 0;
}

/*
 * Ends the table: writes the header and the buffered rows if the first
 * page was not full. The header is written even for no rows. Returns 0,
 * or EIO when a write to the stream failed.
 */
int
output_table_end(struct output_table *t)
{
	if (!t->ot_streaming)
		output_table_flush(t);
	return ferror(t->ot_fp) ? EIO : 0;
}

/* Frees a table and the rows it still holds; NULL is allowed. */
void
output_table_free(struct output_table *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->ot_cells != NULL)
		for (i = 0; i < t->ot_page * t->ot_ncols; i++)
			free(t->ot_cells[i]);
	free(t->ot_cells);
	free(t->ot_cellw);
	free(t->ot_width);
	free(t);
}
