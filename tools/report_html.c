/* SPDX-License-Identifier: ISC */
/*
 * report_html.c: renders the report document of cmd_report.c as one
 * self-contained HTML page: inline SVG charts (bars, stacked bars,
 * lines, each with axes, tick labels, a title and a legend where there
 * is more than one series), tables with the exact numbers, a print
 * stylesheet, no script, no external resource. It reads the document
 * only and computes nothing but layout, so the page shows the numbers
 * of `--format json`, rounded for reading.
 *
 * Every string of the document may come from a record and is hostile
 * until escaped: report_html_text() escapes the five HTML specials and
 * replaces control characters and bidirectional overrides (which would
 * reorder what a reviewer reads) and invalid UTF-8 with U+FFFD. The
 * page is also well-formed XML (every element closed, no named entity
 * but the XML ones), which the tests check with xmllint.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "tools.h"

#define REPORT_HTML_W		860	/* chart width, px */
#define REPORT_HTML_ML		64	/* left margin of vertical charts */
#define REPORT_HTML_MR		20
#define REPORT_HTML_ROW		24	/* row height of horizontal charts */
#define REPORT_HTML_LABEL	210	/* label column of horizontal charts */
#define REPORT_HTML_CHARW	7.0	/* estimated px per character */
#define REPORT_HTML_SERIES	8	/* most series in one chart */
#define REPORT_HTML_COLS	8	/* most decision columns in a table */
#define REPORT_HTML_CUT		28	/* columns of a chart label */
#define REPORT_HTML_CELL	200	/* columns of a table cell */
#define REPORT_HTML_FFFD	"\xef\xbf\xbd"
#define REPORT_HTML_FLAG	"#c0392b"	/* flagged: red */
#define REPORT_HTML_BAR		"#0072b2"	/* plain: blue */
#define REPORT_HTML_REF		"#009e73"	/* reference: green */
#define REPORT_HTML_GREY	"#999999"

/* Okabe-Ito: distinguishable with every common colour blindness. */
static const char *const report_html_palette[REPORT_HTML_SERIES] = {
	"#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00",
	"#f0e442", "#000000"
};

/* Dash patterns of line series, so that lines on top of each other show. */
static const char *const report_html_dashes[REPORT_HTML_SERIES] = {
	"none", "7 4", "2 3", "10 3 2 3", "4 4", "1 5", "12 6", "6 2 2 2"
};

/* A bucket size of the volume series, and its round label steps. */
struct report_html_level {
	const char	*hl_name;	/* as cmd_report.c names it */
	int64_t		 hl_ns;		/* width; 0: a month */
	int		 hl_nice[8];	/* label every so many buckets */
};

static const struct report_html_level report_html_levels[] = {
	{ "second", 1000000000LL, { 1, 2, 5, 10, 15, 30, 60, 120 } },
	{ "10s", 10000000000LL, { 1, 3, 6, 12, 30, 60, 180, 360 } },
	{ "minute", 60000000000LL, { 1, 5, 10, 15, 30, 60, 120, 180 } },
	{ "hour", 3600000000000LL, { 1, 2, 3, 6, 12, 24, 48, 72 } },
	{ "day", 86400000000000LL, { 1, 2, 7, 14, 28, 56, 91, 182 } },
	{ "month", 0, { 1, 2, 3, 6, 12, 24, 60, 120 } },
	{ NULL, 0, { 1, 2, 5, 10, 20, 50, 100, 200 } }
};

/* One horizontal bar. */
struct report_html_hbar {
	const char	*hb_label;
	double		 hb_value;
	const char	*hb_color;
	char		 hb_text[96];	/* shown right of the bar */
};

static const char report_html_style[] =
"body{font:14px/1.45 \"DejaVu Sans\",\"Noto Sans\",Arial,sans-serif;"
"color:#1a1a1a;max-width:900px;margin:24px auto;padding:0 16px}\n"
"h1{font-size:24px;margin:0 0 4px}\n"
"h2{font-size:18px;border-bottom:1px solid #bbb;margin:28px 0 8px;"
"padding-bottom:2px}\n"
"h3{font-size:15px;margin:16px 0 4px}\n"
"p{margin:6px 0}\n"
"table{border-collapse:collapse;margin:6px 0 12px}\n"
"th,td{border-bottom:1px solid #ddd;padding:3px 10px 3px 0;"
"text-align:left;vertical-align:top}\n"
"th{font-weight:600;border-bottom:1px solid #888}\n"
".n{text-align:right;font-variant-numeric:tabular-nums;"
"white-space:nowrap}\n"
".wrap{word-break:break-word;overflow-wrap:anywhere}\n"
".flag{color:#c0392b;font-weight:600}\n"
"td.flag{white-space:nowrap}\n"
".ok{color:#1b7a3d}\n"
".muted,.note{color:#555}\n"
".note{font-size:13px}\n"
".kpis{display:flex;flex-wrap:wrap;gap:8px;margin:12px 0}\n"
".kpi{border:1px solid #bbb;border-radius:4px;padding:6px 10px;"
"min-width:118px}\n"
".kpi b{display:block;font-size:20px}\n"
".kpi span{font-size:12px;color:#555}\n"
"pre{background:#f4f4f4;border:1px solid #ddd;padding:8px;"
"white-space:pre-wrap;word-break:break-all;font-size:12px}\n"
"code{font-size:12px}\n"
"figure{margin:8px 0 12px}\n"
"figcaption{font-size:13px;color:#444}\n"
"svg{display:block;width:100%;max-width:860px;height:auto}\n"
"svg text{font-family:\"DejaVu Sans\",\"Noto Sans\",Arial,sans-serif;"
"font-size:12px;fill:#333}\n"
"svg .title{font-size:13px;font-weight:bold;fill:#1a1a1a}\n"
"svg .halo{paint-order:stroke;stroke:#ffffff;stroke-width:3px;"
"stroke-linejoin:round}\n"
"dt{font-weight:600;margin-top:6px}\n"
"dd{margin:0 0 0 18px}\n"
"footer{margin-top:32px;font-size:12px;color:#555}\n"
"@media print{\n"
"@page{size:A4;margin:14mm}\n"
"body{max-width:none;margin:0;padding:0;font-size:10pt}\n"
"*{-webkit-print-color-adjust:exact;print-color-adjust:exact}\n"
"h2{break-after:avoid;page-break-after:avoid}\n"
"h3{break-after:avoid;page-break-after:avoid}\n"
"figure,table,.kpis,pre,dl{break-inside:avoid;page-break-inside:avoid}\n"
"svg{max-width:100%}\n"
"}\n";

/* The member key of object o (NULL when absent or o not an object). */
static const json_t *
report_html_get(const json_t *o, const char *key)
{
	return json_is_object(o) ? json_object_get(o, key) : NULL;
}

/* The number at o[key] (integer or real), or d when absent or null. */
static double
report_html_num(const json_t *o, const char *key, double d)
{
	const json_t *v = report_html_get(o, key);

	return json_is_number(v) ? json_number_value(v) : d;
}

/* The integer at o[key], or 0. */
static uint64_t
report_html_int(const json_t *o, const char *key)
{
	const json_t *v = report_html_get(o, key);

	return json_is_integer(v) && json_integer_value(v) > 0 ?
	    (uint64_t)json_integer_value(v) : 0;
}

/* The string at o[key], or NULL. */
static const char *
report_html_str(const json_t *o, const char *key)
{
	return json_string_value(report_html_get(o, key));
}

/* Whether o[key] is true. */
static int
report_html_true(const json_t *o, const char *key)
{
	return json_is_true(report_html_get(o, key));
}

/*
 * Writes s as HTML text (also fit for an attribute value): & < > " '
 * escaped; controls (newline kept when nl is set), DEL, C1, the
 * bidirectional embeddings, overrides and isolates, non-characters
 * U+FFFE/U+FFFF and invalid UTF-8 become U+FFFD. NULL writes nothing.
 */
static void
report_html_textn(FILE *fp, const char *s, size_t len, int nl)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;
	long c;

	if (s == NULL)
		return;
	while (len > 0) {
		n = output_utf8(p, len, &c);
		if (c == '&')
			fputs("&amp;", fp);
		else if (c == '<')
			fputs("&lt;", fp);
		else if (c == '>')
			fputs("&gt;", fp);
		else if (c == '"')
			fputs("&quot;", fp);
		else if (c == '\'')
			fputs("&#39;", fp);
		else if (c == '\n' && nl)
			fputc('\n', fp);
		else if (c < 0x20 || (c >= 0x7f && c <= 0x9f) ||
		    (c >= 0x202a && c <= 0x202e) ||
		    (c >= 0x2066 && c <= 0x2069) || c == 0xfffe ||
		    c == 0xffff)
			fputs(REPORT_HTML_FFFD, fp);
		else
			fwrite(p, 1, n, fp);
		p += n;
		len -= n;
	}
}

/* report_html_textn() of a NUL-terminated string, newlines replaced. */
static void
report_html_text(FILE *fp, const char *s)
{
	report_html_textn(fp, s, s != NULL ? strlen(s) : 0, 0);
}

/*
 * Writes s cut to max columns (output_cell(): unsafe characters become
 * '?', an ellipsis ends a cut) and escaped. NULL writes "(none)".
 */
static void
report_html_cut(FILE *fp, const char *s, size_t max)
{
	size_t w;
	char *c;

	if (s == NULL)
		s = "(none)";
	if ((c = output_cell(s, max, &w)) == NULL) {
		report_html_text(fp, "?");
		return;
	}
	report_html_text(fp, c);
	free(c);
}

/* Estimated width in px of s cut to max columns. */
static double
report_html_textw(const char *s, size_t max)
{
	size_t w;

	if (s == NULL)
		return 6 * REPORT_HTML_CHARW;
	w = output_width(s);
	return (double)(w > max ? max : w) * REPORT_HTML_CHARW;
}

/* Formats a count with thousands separators. */
static const char *
report_html_count(char *buf, size_t len, uint64_t n)
{
	char tmp[32];
	size_t i, j = 0, k;

	k = (size_t)snprintf(tmp, sizeof(tmp), "%" PRIu64, n);
	for (i = 0; i < k && j + 2 < len; i++) {
		if (i > 0 && (k - i) % 3 == 0)
			buf[j++] = ',';
		buf[j++] = tmp[i];
	}
	buf[j] = '\0';
	return buf;
}

/* Formats a share 0..1 as a percentage with one decimal, or "n/a". */
static const char *
report_html_pct(char *buf, size_t len, const json_t *v)
{
	if (!json_is_number(v))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.1f%%", 100 * json_number_value(v));
	return buf;
}

/* Formats a number with up to 4 significant digits, or "n/a". */
static const char *
report_html_g(char *buf, size_t len, const json_t *v)
{
	if (!json_is_number(v))
		snprintf(buf, len, "n/a");
	else
		snprintf(buf, len, "%.4g", json_number_value(v));
	return buf;
}

/* Formats ns as a duration: 1.5 s, 12 min, 3.2 h, 2 d. */
static const char *
report_html_duration(char *buf, size_t len, double ns)
{
	double s = ns / 1e9;

	if (s < 120)
		snprintf(buf, len, "%.3g s", s);
	else if (s < 7200)
		snprintf(buf, len, "%.3g min", s / 60);
	else if (s < 172800)
		snprintf(buf, len, "%.3g h", s / 3600);
	else
		snprintf(buf, len, "%.3g d", s / 86400);
	return buf;
}

/*
 * A round step for an axis from 0 to max with about n ticks: 1, 2, 2.5
 * or 5 times a power of ten (integers only when integral is set).
 */
static double
report_html_step(double max, int n, int integral)
{
	double x, e, f, s;

	if (!(max > 0))
		return 1;
	x = max / n;
	e = pow(10, floor(log10(x)));
	f = x / e;
	s = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * e;
	if (integral && s < 1)
		s = 1;
	if (integral && s != floor(s))
		s = ceil(s);
	return s;
}

/* Formats an axis value: integers plainly, else up to 4 digits. */
static void
report_html_tick(char *buf, size_t len, double v, int pct)
{
	if (pct)
		snprintf(buf, len, "%.0f%%", v * 100);
	else if (v == floor(v) && fabs(v) < 1e15)
		report_html_count(buf, len, (uint64_t)v);
	else
		snprintf(buf, len, "%.4g", v);
}

/* Opens an SVG of height h with its accessible title. */
static void
report_html_svg_open(FILE *fp, double h, const char *title)
{
	fprintf(fp, "<svg xmlns=\"http://www.w3.org/2000/svg\" "
	    "viewBox=\"0 0 %d %.0f\" width=\"%d\" height=\"%.0f\" "
	    "role=\"img\">\n<title>", REPORT_HTML_W, h, REPORT_HTML_W, h);
	report_html_text(fp, title);
	fprintf(fp, "</title>\n<text class=\"title\" x=\"%d\" y=\"16\">",
	    REPORT_HTML_ML);
	report_html_text(fp, title);
	fputs("</text>\n", fp);
}

/*
 * Draws a vertical axis from 0 to top (step apart) on the left of the
 * plot (x0..x1 wide, y0 top, y1 bottom) with grid lines and its title.
 */
static void
report_html_yaxis(FILE *fp, double x0, double x1, double y0, double y1,
    double top, double step, int pct, const char *title)
{
	char buf[32];
	double v, y;

	for (v = 0; v <= top + step / 2; v += step) {
		y = y1 - (y1 - y0) * v / top;
		report_html_tick(buf, sizeof(buf), v, pct);
		fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"1\"/>\n", x0, y,
		    x1, y, v == 0 ? "#333333" : "#e2e2e2");
		fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">"
		    "%s</text>\n", x0 - 6, y + 4, buf);
	}
	fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
	    "stroke=\"#333333\"/>\n", x0, y0, x0, y1);
	fprintf(fp, "<text x=\"14\" y=\"%.1f\" text-anchor=\"middle\" "
	    "transform=\"rotate(-90 14 %.1f)\">", (y0 + y1) / 2,
	    (y0 + y1) / 2);
	report_html_text(fp, title);
	fputs("</text>\n", fp);
}

/* The rows report_html_legend() takes for n names from x. */
static size_t
report_html_legend_rows(double x, size_t n, const char *const *names)
{
	double x0 = x, w;
	size_t i, rows = 1;

	for (i = 0; i < n; i++) {
		w = 16 + report_html_textw(names[i], 24) + 18;
		if (x + w > REPORT_HTML_W - REPORT_HTML_MR && x > x0) {
			x = x0;
			rows++;
		}
		x += w;
	}
	return rows;
}

/*
 * Draws a legend of n coloured keys from (x, y), wrapping at the chart
 * width: squares, or line samples with their dash patterns when dashes
 * is not NULL. Returns the y below it.
 */
static double
report_html_legend(FILE *fp, double x, double y, size_t n,
    const char *const *names, const char *const *colors,
    const char *const *dashes)
{
	double x0 = x, w;
	size_t i;

	for (i = 0; i < n; i++) {
		w = 16 + report_html_textw(names[i], 24) + 18;
		if (x + w > REPORT_HTML_W - REPORT_HTML_MR && x > x0) {
			x = x0;
			y += 18;
		}
		if (dashes != NULL)
			fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" "
			    "x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
			    "stroke-width=\"2\" stroke-dasharray=\"%s\"/>\n",
			    x - 6, y - 4, x + 12, y - 4, colors[i], dashes[i]);
		else
			fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" "
			    "width=\"11\" height=\"11\" fill=\"%s\"/>\n",
			    x, y - 10, colors[i]);
		fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\">", x + 16, y);
		report_html_cut(fp, names[i], 24);
		fputs("</text>\n", fp);
		x += w;
	}
	return y + 12;
}

/*
 * A vertical bar chart of n values with a label per bar: the volume
 * series. Labels are shown on the bars whose key (the bucket's number
 * since the epoch) is a multiple of the smallest of the nice steps
 * (ascending, nnice of them) that keeps them from overlapping, so they
 * fall on round times.
 */
static void
report_html_vbars(FILE *fp, const char *title, const char *xtitle,
    const char *ytitle, size_t n, const double *v, const char *const *labels,
    const int64_t *keys, const int *nice, size_t nnice)
{
	double h = 300, x0 = REPORT_HTML_ML;
	double x1 = REPORT_HTML_W - REPORT_HTML_MR;
	double y0 = 34, y1 = 240, max = 0, top, step, bw, slot, x, y, lw = 0;
	size_t i, every;

	for (i = 0; i < n; i++) {
		if (v[i] > max)
			max = v[i];
		if (report_html_textw(labels[i], 20) > lw)
			lw = report_html_textw(labels[i], 20);
	}
	step = report_html_step(max, 5, 1);
	top = max > 0 ? ceil(max / step) * step : step;
	report_html_svg_open(fp, h, title);
	report_html_yaxis(fp, x0, x1, y0, y1, top, step, 0, ytitle);
	slot = (x1 - x0) / (double)(n > 0 ? n : 1);
	bw = slot > 3 ? slot * 0.8 : slot;
	if (bw > 60)
		bw = 60;	/* a few buckets: bars, not walls */
	every = (size_t)ceil((lw + 14) / slot);
	if (every < 1)
		every = 1;
	for (i = 0; i < nnice; i++)
		if ((size_t)nice[i] >= every) {
			every = (size_t)nice[i];
			break;
		}
	for (i = 0; i < n; i++) {
		x = x0 + slot * (double)i + (slot - bw) / 2;
		y = y1 - (y1 - y0) * v[i] / top;
		if (v[i] > 0)
			fprintf(fp, "<rect x=\"%.2f\" y=\"%.2f\" "
			    "width=\"%.2f\" height=\"%.2f\" fill=\"%s\">"
			    "<title>", x, y, bw, y1 - y, REPORT_HTML_BAR);
		if (v[i] > 0) {
			report_html_text(fp, labels[i]);
			fprintf(fp, ": %.0f</title></rect>\n", v[i]);
		}
		if ((uint64_t)keys[i] % every != 0)
			continue;
		x = x0 + slot * ((double)i + 0.5);
		fprintf(fp, "<line x1=\"%.2f\" y1=\"%.1f\" x2=\"%.2f\" "
		    "y2=\"%.1f\" stroke=\"#333333\"/>\n<text x=\"%.2f\" "
		    "y=\"%.1f\" text-anchor=\"middle\">", x, y1, x, y1 + 4, x,
		    y1 + 17);
		report_html_cut(fp, labels[i], 20);
		fputs("</text>\n", fp);
	}
	fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
	    (x0 + x1) / 2, h - 22);
	report_html_text(fp, xtitle);
	fputs("</text>\n", fp);
	if (n == 0 || max == 0) {
		fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\" class=\"title\">no records"
		    "</text>\n", (x0 + x1) / 2, (y0 + y1) / 2);
	}
	fputs("</svg>\n", fp);
}

/*
 * A horizontal bar chart: one row per bar, label on the left, value
 * text on the right; axis from 0 to max (percentages when pct), and a
 * dashed reference line at ref (none when ref < 0) named reflabel.
 */
static void
report_html_hbars(FILE *fp, const char *title, const char *xtitle,
    const struct report_html_hbar *b, size_t n, double max, int pct,
    double ref, const char *reflabel)
{
	double x0 = REPORT_HTML_LABEL + 12, x1, tw = 0;
	double y0 = 40, y1, h, top, step, v, x, y;
	char buf[32];
	size_t i;

	/* Room on the right for the longest value text. */
	for (i = 0; i < n; i++)
		if (report_html_textw(b[i].hb_text, 40) > tw)
			tw = report_html_textw(b[i].hb_text, 40);
	x1 = REPORT_HTML_W - REPORT_HTML_MR - tw - 8;
	y1 = y0 + REPORT_HTML_ROW * (double)(n > 0 ? n : 1);
	h = y1 + 48;
	step = pct ? (max > 0.5 ? 0.2 : report_html_step(max, 5, 0)) :
	    report_html_step(max, 5, 1);
	top = max > 0 ? ceil(max / step - 1e-9) * step : step;
	report_html_svg_open(fp, h, title);
	for (v = 0; v <= top + step / 2; v += step) {
		x = x0 + (x1 - x0) * v / top;
		report_html_tick(buf, sizeof(buf), v, pct);
		fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\">%s</text>\n", x, y0 - 4, x, y1,
		    v == 0 ? "#333333" : "#e2e2e2", x, y1 + 16, buf);
	}
	if (ref >= 0 && ref <= top) {
		x = x0 + (x1 - x0) * ref / top;
		fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"%s\" stroke-width=\"2\" "
		    "stroke-dasharray=\"5 3\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\" fill=\"%s\">", x, y0 - 8, x, y1,
		    REPORT_HTML_FLAG, x, y0 - 12, REPORT_HTML_FLAG);
		report_html_text(fp, reflabel);
		fputs("</text>\n", fp);
	}
	for (i = 0; i < n; i++) {
		y = y0 + REPORT_HTML_ROW * (double)i;
		fprintf(fp, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
		    REPORT_HTML_LABEL, y + 16);
		report_html_cut(fp, b[i].hb_label, REPORT_HTML_CUT);
		fputs("</text>\n", fp);
		x = (x1 - x0) * (b[i].hb_value > 0 ? b[i].hb_value : 0) / top;
		fprintf(fp, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" "
		    "height=\"%d\" fill=\"%s\"/>\n<text x=\"%.1f\" y=\"%.1f\" "
		    "class=\"halo\">",
		    x0, y + 4, x, REPORT_HTML_ROW - 8, b[i].hb_color,
		    x0 + x + 5, y + 16);
		report_html_text(fp, b[i].hb_text);
		fputs("</text>\n", fp);
	}
	fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">",
	    (x0 + x1) / 2, h - 10);
	report_html_text(fp, xtitle);
	fputs("</text>\n</svg>\n", fp);
}

/* The display name of a version object. */
static const char *
report_html_version(const json_t *v)
{
	if (report_html_true(v, "other"))
		return "(other versions)";
	if (report_html_str(v, "version") == NULL)
		return "(no version)";
	return report_html_str(v, "version");
}

/* The display name of a decision object. */
static const char *
report_html_decision(const json_t *d)
{
	if (report_html_true(d, "other"))
		return "(other decisions)";
	if (report_html_str(d, "decision") == NULL)
		return "(none)";
	return report_html_str(d, "decision");
}

/*
 * The column of decision d among the first cols of the overall
 * decisions array ds (the last column collects the rest), or cols - 1.
 */
static size_t
report_html_column(const json_t *ds, size_t cols, const json_t *d)
{
	const char *name = report_html_decision(d);
	size_t i;

	for (i = 0; i + 1 < cols || (i < cols && cols ==
	    json_array_size(ds)); i++)
		if (strcmp(report_html_decision(json_array_get(ds, i)),
		    name) == 0 && report_html_true(json_array_get(ds, i),
		    "other") == report_html_true(d, "other"))
			return i;
	return cols - 1;
}

/*
 * A 100% stacked horizontal bar per version, a segment per decision
 * (the columns of the overall decisions, the rest as "other"), with a
 * legend.
 */
static void
report_html_stacked(FILE *fp, const json_t *r)
{
	const json_t *ds = report_html_get(r, "decisions");
	const json_t *vs = report_html_get(r, "versions");
	const char *names[REPORT_HTML_COLS], *colors[REPORT_HTML_COLS];
	double share[REPORT_HTML_COLS], x0 = REPORT_HTML_LABEL + 12;
	double x1 = REPORT_HTML_W - REPORT_HTML_MR, y0, y, x, w, h, tot;
	const json_t *v, *d;
	size_t cols, nv, i, j, k;

	cols = json_array_size(ds);
	if (cols > REPORT_HTML_COLS)
		cols = REPORT_HTML_COLS;
	nv = json_array_size(vs);
	for (k = 0; k < cols; k++) {
		names[k] = k + 1 == cols && json_array_size(ds) > cols ?
		    "(other decisions)" :
		    report_html_decision(json_array_get(ds, k));
		colors[k] = k + 1 == cols && json_array_size(ds) > cols ?
		    REPORT_HTML_GREY : report_html_palette[k];
	}
	/* Height: title, legend, bars, axis with its title. */
	h = 42 + 18 * (double)report_html_legend_rows(REPORT_HTML_ML, cols,
	    names) + REPORT_HTML_ROW * (double)nv + 44;
	report_html_svg_open(fp, h, "Decisions per version (share of the "
	    "version's records)");
	y0 = report_html_legend(fp, REPORT_HTML_ML, 40, cols, names, colors,
	    NULL);
	y0 += 8;
	for (i = 0; i < nv; i++) {
		v = json_array_get(vs, i);
		y = y0 + REPORT_HTML_ROW * (double)i;
		fprintf(fp, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
		    REPORT_HTML_LABEL, y + 16);
		report_html_cut(fp, report_html_version(v), REPORT_HTML_CUT);
		fputs("</text>\n", fp);
		memset(share, 0, sizeof(share));
		tot = report_html_num(v, "records", 0);
		for (j = 0; j < json_array_size(report_html_get(v,
		    "decisions")); j++) {
			d = json_array_get(report_html_get(v, "decisions"), j);
			if (cols > 0 && tot > 0)
				share[report_html_column(ds, cols, d)] +=
				    report_html_num(d, "records", 0) / tot;
		}
		x = x0;
		for (k = 0; k < cols; k++) {
			w = (x1 - x0) * share[k];
			if (w <= 0)
				continue;
			fprintf(fp, "<rect x=\"%.2f\" y=\"%.1f\" "
			    "width=\"%.2f\" height=\"%d\" fill=\"%s\">"
			    "<title>", x, y + 3, w, REPORT_HTML_ROW - 6,
			    colors[k]);
			report_html_text(fp, names[k]);
			fprintf(fp, ": %.1f%%</title></rect>\n",
			    100 * share[k]);
			if (w >= 40)
				fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" "
				    "text-anchor=\"middle\" style=\"fill:%s\">"
				    "%.0f%%</text>\n", x + w / 2, y + 16,
				    k == 0 || k == 7 ? "#ffffff" : "#000000",
				    100 * share[k]);
			x += w;
		}
	}
	y = y0 + REPORT_HTML_ROW * (double)nv;
	for (k = 0; k <= 5; k++) {
		x = x0 + (x1 - x0) * (double)k / 5;
		fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#333333\"/>\n<text x=\"%.1f\" "
		    "y=\"%.1f\" text-anchor=\"middle\">%zu%%</text>\n", x, y,
		    x, y + 4, x, y + 17, k * 20);
	}
	fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">share "
	    "of the version's records</text>\n</svg>\n", (x0 + x1) / 2,
	    h - 6);
}

/*
 * A line per version: the share of its scored records in each chart
 * bin of the scores, with a legend.
 */
static void
report_html_scores_chart(FILE *fp, const json_t *r)
{
	const json_t *sc = report_html_get(r, "scores");
	const json_t *vs = report_html_get(r, "versions"), *v, *hist;
	const char *names[REPORT_HTML_SERIES], *colors[REPORT_HTML_SERIES];
	const json_t *series[REPORT_HTML_SERIES];
	double lo, bw, x0 = REPORT_HTML_ML, x1 = REPORT_HTML_W - REPORT_HTML_MR;
	double y0, y1, h = 330, max = 0, top, step, slot, x, y, sh, n;
	size_t nbins, ns = 0, i, j, every;
	char buf[32];

	nbins = (size_t)report_html_int(sc, "bins");
	lo = report_html_num(sc, "bins_lo", 0);
	bw = report_html_num(sc, "bin_width", 1);
	for (i = 0; i < json_array_size(vs) && ns < REPORT_HTML_SERIES; i++) {
		v = json_array_get(vs, i);
		if (!json_is_object(report_html_get(v, "score")))
			continue;
		series[ns] = v;
		names[ns] = report_html_version(v);
		colors[ns] = report_html_palette[ns];
		hist = report_html_get(report_html_get(v, "score"),
		    "histogram");
		n = report_html_num(report_html_get(v, "score"), "scored", 1);
		for (j = 0; j < json_array_size(hist); j++) {
			sh = json_number_value(json_array_get(hist, j)) / n;
			if (sh > max)
				max = sh;
		}
		ns++;
	}
	report_html_svg_open(fp, h, "Score distribution per version (share "
	    "of the version's scored records per bin)");
	y0 = report_html_legend(fp, x0 + 6, 40, ns, names, colors,
	    report_html_dashes) + 10;
	y1 = h - 62;
	step = report_html_step(max, 5, 0);
	if (step < 0.01)
		step = 0.01;
	top = max > 0 ? ceil(max / step - 1e-9) * step : step;
	report_html_yaxis(fp, x0, x1, y0, y1, top, step, 1, "share");
	slot = (x1 - x0) / (double)(nbins > 0 ? nbins : 1);
	every = (size_t)ceil(56 / slot);
	if (every < 1)
		every = 1;
	for (i = 0; i <= nbins; i++) {
		if (i % every != 0 && i != nbins)
			continue;
		if (i == nbins && i % every != 0 && slot * (double)(i % every)
		    < 48)
			continue;
		x = x0 + slot * (double)i;
		snprintf(buf, sizeof(buf), "%.6g", lo + bw * (double)i);
		fprintf(fp, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		    "y2=\"%.1f\" stroke=\"#333333\"/>\n<text x=\"%.1f\" "
		    "y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", x, y1, x,
		    y1 + 4, x, y1 + 17, buf);
	}
	for (i = 0; i < ns; i++) {
		hist = report_html_get(report_html_get(series[i], "score"),
		    "histogram");
		n = report_html_num(report_html_get(series[i], "score"),
		    "scored", 1);
		fprintf(fp, "<polyline fill=\"none\" stroke=\"%s\" "
		    "stroke-width=\"2\" stroke-dasharray=\"%s\" points=\"",
		    colors[i], report_html_dashes[i]);
		for (j = 0; j < json_array_size(hist); j++) {
			x = x0 + slot * ((double)j + 0.5);
			y = y1 - (y1 - y0) * json_number_value(
			    json_array_get(hist, j)) / n / top;
			fprintf(fp, "%s%.1f,%.1f", j > 0 ? " " : "", x, y);
		}
		fputs("\"/>\n", fp);
		for (j = 0; j < json_array_size(hist); j++) {
			x = x0 + slot * ((double)j + 0.5);
			y = y1 - (y1 - y0) * json_number_value(
			    json_array_get(hist, j)) / n / top;
			fprintf(fp, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"3\" "
			    "fill=\"%s\"/>\n", x, y, colors[i]);
		}
	}
	fprintf(fp, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">score "
	    "(bins of width %.6g)</text>\n</svg>\n", (x0 + x1) / 2, h - 22,
	    bw);
}

/* Opens a section with its heading. */
static void
report_html_section(FILE *fp, const char *id, const char *title)
{
	fprintf(fp, "<section id=\"%s\">\n<h2>%s</h2>\n", id, title);
}

/* Writes a key figure box. */
static void
report_html_kpi(FILE *fp, const char *value, const char *label, int flag)
{
	fprintf(fp, "<div class=\"kpi\"><b%s>", flag ? " class=\"flag\"" : "");
	report_html_text(fp, value);
	fputs("</b><span>", fp);
	report_html_text(fp, label);
	fputs("</span></div>\n", fp);
}

/* The title, the lead paragraph and the key figures. */
static void
report_html_head(FILE *fp, const json_t *r)
{
	const json_t *sel = report_html_get(r, "selection");
	const json_t *ck = report_html_get(r, "checkpoint");
	const json_t *cov = report_html_get(r, "covered");
	const json_t *hu = report_html_get(r, "human");
	const json_t *g = report_html_get(r, "groups");
	const json_t *ov = report_html_get(hu, "override");
	const json_t *sk = report_html_get(r, "clock_skew");
	const json_t *lo = report_html_get(r, "loss");
	char a[32], b[32];

	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n"
	    "<meta charset=\"utf-8\"/>\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\"/>\n"
	    "<title>Accountability report: ", fp);
	report_html_text(fp, report_html_str(sel, "algorithm"));
	fprintf(fp, "</title>\n<style>\n%s</style>\n</head>\n<body>\n"
	    "<header>\n<h1>Accountability report: <span class=\"wrap\">",
	    report_html_style);
	report_html_text(fp, report_html_str(sel, "algorithm"));
	fputs("</span></h1>\n<p>", fp);
	if (report_html_str(sel, "version") != NULL) {
		fputs("Version <b class=\"wrap\">", fp);
		report_html_text(fp, report_html_str(sel, "version"));
		fputs("</b> only. ", fp);
	}
	fprintf(fp, "<b>%s</b> decision records, ", report_html_count(a,
	    sizeof(a), report_html_int(r, "records")));
	if (json_is_integer(report_html_get(cov, "first_index")))
		fprintf(fp, "log indexes %s to %s, ", report_html_count(a,
		    sizeof(a), report_html_int(cov, "first_index")),
		    report_html_count(b, sizeof(b), report_html_int(cov,
		    "last_index")));
	fprintf(fp, "counted below the signed checkpoint of tree size "
	    "<b>%s</b> of the log <span class=\"wrap\">",
	    report_html_count(a, sizeof(a), report_html_int(ck, "size")));
	report_html_text(fp, report_html_str(ck, "origin"));
	fputs("</span>. Generated ", fp);
	report_html_text(fp, report_html_str(r, "generated"));
	fputs(" by ", fp);
	report_html_text(fp, report_html_str(r, "tool"));
	fputs(". All times are UTC.</p>\n</header>\n<div class=\"kpis\">\n",
	    fp);
	report_html_kpi(fp, report_html_count(a, sizeof(a),
	    report_html_int(r, "records")), "records", 0);
	report_html_kpi(fp, report_html_pct(a, sizeof(a),
	    report_html_get(report_html_get(r, "favourable"), "rate")),
	    "favourable outcomes", 0);
	report_html_kpi(fp, report_html_pct(a, sizeof(a),
	    report_html_get(hu, "review_rate")), "reviewed by a person", 0);
	report_html_kpi(fp, report_html_pct(a, sizeof(a),
	    report_html_get(ov, "rate")), "of reviews overridden", 0);
	if (json_is_object(g) && report_html_true(g, "rates"))
		report_html_kpi(fp, report_html_count(a, sizeof(a),
		    report_html_int(g, "flagged")), "groups under 4/5 of the "
		    "reference", report_html_int(g, "flagged") > 0);
	report_html_kpi(fp, report_html_count(a, sizeof(a),
	    report_html_int(sk, "flagged")), "clock-skew flags",
	    report_html_int(sk, "flagged") > 0);
	report_html_kpi(fp, report_html_count(a, sizeof(a),
	    report_html_int(lo, "lost_records")), "records lost by producers",
	    report_html_int(lo, "lost_records") > 0);
	fputs("</div>\n", fp);
}

/* Section: what was counted and the checkpoint it ties to. */
static void
report_html_scope(FILE *fp, const json_t *r)
{
	const json_t *sel = report_html_get(r, "selection");
	const json_t *ck = report_html_get(r, "checkpoint");
	const json_t *ev = report_html_get(r, "event_time");
	const json_t *opts = report_html_get(sel, "options"), *p;
	char a[32], b[32];
	size_t i;

	report_html_section(fp, "scope", "Scope and provenance");
	fputs("<table>\n<tr><th>Selection</th><td class=\"wrap\">", fp);
	for (i = 0; i < json_array_size(opts); i++) {
		p = json_array_get(opts, i);
		fputs(i > 0 ? "<br/><code>" : "<code>", fp);
		report_html_cut(fp, json_string_value(json_array_get(p, 0)),
		    40);
		if (json_array_size(p) > 1) {
			fputs(" ", fp);
			report_html_cut(fp, json_string_value(
			    json_array_get(p, 1)), REPORT_HTML_CELL);
		}
		fputs("</code>", fp);
	}
	fputs("</td></tr>\n<tr><th>Event times</th><td>", fp);
	if (report_html_str(ev, "first") != NULL) {
		report_html_text(fp, report_html_str(ev, "first"));
		fputs(" to ", fp);
		report_html_text(fp, report_html_str(ev, "last"));
	} else
		fputs("none", fp);
	fprintf(fp, "</td></tr>\n<tr><th>Log indexes searched</th><td>");
	if (json_is_integer(report_html_get(sel, "to_index")))
		fprintf(fp, "%s to %s", report_html_count(a, sizeof(a),
		    report_html_int(sel, "from_index")), report_html_count(b,
		    sizeof(b), report_html_int(sel, "to_index")));
	else
		fputs("none (the checkpoint covers none of the range)", fp);
	fprintf(fp, "</td></tr>\n<tr><th>Checkpoint</th><td>tree size %s, "
	    "root <code class=\"wrap\">", report_html_count(a, sizeof(a),
	    report_html_int(ck, "size")));
	report_html_text(fp, report_html_str(ck, "root_hex"));
	fputs("</code><br/>origin <span class=\"wrap\">", fp);
	report_html_text(fp, report_html_str(ck, "origin"));
	fprintf(fp, "</span>; its root is the root of the store's Merkle tree "
	    "at that size</td></tr>\n<tr><th>Not counted</th><td>%s "
	    "entries appended after the checkpoint (the log has %s)</td>"
	    "</tr>\n</table>\n", report_html_count(a, sizeof(a),
	    report_html_int(ck, "entries_after")), report_html_count(b,
	    sizeof(b), report_html_int(ck, "log_size")));
	fputs("<p>Every number in this report is computed over log entries "
	    "below the checkpoint's tree size only. The signed checkpoint, "
	    "exactly as stored:</p>\n<pre>", fp);
	report_html_textn(fp, report_html_str(ck, "note"),
	    strlen(report_html_str(ck, "note") != NULL ?
	    report_html_str(ck, "note") : ""), 1);
	fprintf(fp, "</pre>\n<p class=\"note\">To check: <code>algaudit "
	    "checkpoint --store DIR --size %s</code> prints the same note; "
	    "<code>algaudit verify --store DIR --key KEY</code> checks the "
	    "signature and that every entry is in the tree; <code>algaudit "
	    "query --store DIR --algorithm ... --to-index %s --count</code> "
	    "counts the same records.</p>\n</section>\n",
	    report_html_count(a, sizeof(a), report_html_int(ck, "size")),
	    json_is_integer(report_html_get(sel, "to_index")) ?
	    report_html_count(b, sizeof(b), report_html_int(sel,
	    "to_index")) : "N");
}

/* Formats the label of a volume bucket start (RFC 3339) for bucket. */
static void
report_html_bucket_label(char *buf, size_t len, const char *t,
    const char *bucket)
{
	if (t == NULL || strlen(t) < 19)
		snprintf(buf, len, "?");
	else if (strcmp(bucket, "second") == 0 || strcmp(bucket, "10s") == 0)
		snprintf(buf, len, "%.8s", t + 11);
	else if (strcmp(bucket, "minute") == 0)
		snprintf(buf, len, "%.5s", t + 11);
	else if (strcmp(bucket, "hour") == 0)
		snprintf(buf, len, "%.5s %.2sh", t + 5, t + 11);
	else if (strcmp(bucket, "day") == 0)
		snprintf(buf, len, "%.10s", t);
	else
		snprintf(buf, len, "%.7s", t);
}

/* Section: records per time bucket. */
static int
report_html_volume(FILE *fp, const json_t *r)
{
	const json_t *vo = report_html_get(r, "volume");
	const json_t *bs = report_html_get(vo, "buckets"), *b;
	const char *bucket = report_html_str(vo, "bucket"), *t;
	char (*lab)[32] = NULL, xt[96];
	const char **labels = NULL;
	const struct report_html_level *l;
	int64_t *keys = NULL;
	double *v = NULL;
	size_t i, n = json_array_size(bs);

	if (bucket == NULL)
		bucket = "day";
	for (l = report_html_levels; l->hl_name != NULL; l++)
		if (strcmp(l->hl_name, bucket) == 0)
			break;
	if ((v = calloc(n + 1, sizeof(*v))) == NULL ||
	    (keys = calloc(n + 1, sizeof(*keys))) == NULL ||
	    (lab = calloc(n + 1, sizeof(*lab))) == NULL ||
	    (labels = calloc(n + 1, sizeof(*labels))) == NULL) {
		free(v);
		free(keys);
		free(lab);
		return ENOMEM;
	}
	for (i = 0; i < n; i++) {
		b = json_array_get(bs, i);
		v[i] = report_html_num(b, "records", 0);
		t = report_html_str(b, "start");
		report_html_bucket_label(lab[i], sizeof(lab[i]), t, bucket);
		labels[i] = lab[i];
		/* Buckets since the epoch; months from the date; days
		 * counted from the first, as no round day is the norm. */
		if (l->hl_ns > 0 && l->hl_ns < 86400 * 1000000000LL)
			keys[i] = (int64_t)report_html_int(b, "start_ns") /
			    l->hl_ns;
		else if (l->hl_ns == 0 && t != NULL && strlen(t) >= 7)
			keys[i] = strtol(t, NULL, 10) * 12 +
			    strtol(t + 5, NULL, 10) - 1;
		else
			keys[i] = (int64_t)i;
	}
	report_html_section(fp, "volume", "Volume over time");
	snprintf(xt, sizeof(xt), "event time (UTC), one bar per %s",
	    strcmp(bucket, "10s") == 0 ? "10 seconds" : bucket);
	fputs("<figure>\n", fp);
	report_html_vbars(fp, "Decision records per time bucket", xt,
	    "records", n, v, labels, keys, l->hl_nice,
	    sizeof(l->hl_nice) / sizeof(l->hl_nice[0]));
	fputs("<figcaption>", fp);
	if (n > 0) {
		fputs("From ", fp);
		report_html_text(fp, report_html_str(json_array_get(bs, 0),
		    "start"));
		fputs(" to the bucket starting ", fp);
		report_html_text(fp, report_html_str(json_array_get(bs,
		    n - 1), "start"));
		fprintf(fp, "; %zu bucket%s. ", n, n == 1 ? "" : "s");
	}
	fputs("Records without an event time are not shown (see Data "
	    "quality).</figcaption>\n</figure>\n</section>\n", fp);
	free(v);
	free(keys);
	free(lab);
	free(labels);
	return 0;
}

/* Section: decisions overall and per version. */
static void
report_html_decisions(FILE *fp, const json_t *r)
{
	const json_t *ds = report_html_get(r, "decisions");
	const json_t *vs = report_html_get(r, "versions"), *d, *v, *vd;
	int fav = json_is_object(report_html_get(r, "favourable"));
	uint64_t cells[REPORT_HTML_COLS];
	char a[32], b[32];
	size_t i, j, cols;

	report_html_section(fp, "decisions", "Decisions");
	fputs("<table>\n<tr><th>Decision</th><th class=\"n\">Records</th>"
	    "<th class=\"n\">Share</th>", fp);
	if (fav)
		fputs("<th>Favourable</th>", fp);
	fputs("</tr>\n", fp);
	for (i = 0; i < json_array_size(ds); i++) {
		d = json_array_get(ds, i);
		fputs("<tr><td class=\"wrap\">", fp);
		report_html_cut(fp, report_html_decision(d), REPORT_HTML_CELL);
		fprintf(fp, "</td><td class=\"n\">%s</td><td class=\"n\">%s"
		    "</td>", report_html_count(a, sizeof(a),
		    report_html_int(d, "records")), report_html_pct(b,
		    sizeof(b), report_html_get(d, "share")));
		if (fav)
			fprintf(fp, "<td>%s</td>", report_html_true(d,
			    "is_favourable") ? "yes" : "");
		fputs("</tr>\n", fp);
	}
	if (json_array_size(ds) == 0)
		fprintf(fp, "<tr><td colspan=\"%d\">no records</td></tr>\n",
		    fav ? 4 : 3);
	fputs("</table>\n", fp);
	if (json_array_size(vs) == 0) {
		fputs("</section>\n", fp);
		return;
	}
	fputs("<figure>\n", fp);
	report_html_stacked(fp, r);
	fputs("<figcaption>Versions in the order they first appear in the "
	    "log.</figcaption>\n</figure>\n", fp);
	cols = json_array_size(ds);
	if (cols > REPORT_HTML_COLS)
		cols = REPORT_HTML_COLS;
	fputs("<table>\n<tr><th>Version</th><th class=\"n\">Records</th>"
	    "<th class=\"n\">First index</th>", fp);
	if (fav)
		fputs("<th class=\"n\">Favourable</th>", fp);
	for (j = 0; j < cols; j++) {
		fputs("<th class=\"n wrap\">", fp);
		report_html_cut(fp, j + 1 == cols && json_array_size(ds) >
		    cols ? "(other)" : report_html_decision(json_array_get(ds,
		    j)), 24);
		fputs("</th>", fp);
	}
	fputs("</tr>\n", fp);
	for (i = 0; i < json_array_size(vs); i++) {
		v = json_array_get(vs, i);
		memset(cells, 0, sizeof(cells));
		for (j = 0; j < json_array_size(report_html_get(v,
		    "decisions")); j++) {
			vd = json_array_get(report_html_get(v, "decisions"), j);
			cells[report_html_column(ds, cols, vd)] +=
			    report_html_int(vd, "records");
		}
		fputs("<tr><td class=\"wrap\">", fp);
		report_html_cut(fp, report_html_version(v), REPORT_HTML_CELL);
		fprintf(fp, "</td><td class=\"n\">%s</td><td class=\"n\">%s"
		    "</td>", report_html_count(a, sizeof(a),
		    report_html_int(v, "records")), report_html_count(b,
		    sizeof(b), report_html_int(v, "first_index")));
		if (fav)
			fprintf(fp, "<td class=\"n\">%s</td>",
			    report_html_pct(a, sizeof(a), report_html_get(v,
			    "favourable_rate")));
		for (j = 0; j < cols; j++)
			fprintf(fp, "<td class=\"n\">%s</td>",
			    report_html_count(a, sizeof(a), cells[j]));
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n</section>\n", fp);
}

/* Section: score distributions per version. */
static void
report_html_scores(FILE *fp, const json_t *r)
{
	const json_t *sc = report_html_get(r, "scores");
	const json_t *vs = report_html_get(r, "versions"), *v, *s;
	char a[32], b[32], c[32], d[32], e[32], f[32];
	size_t i;

	report_html_section(fp, "scores", "Scores");
	if (report_html_int(sc, "scored") == 0) {
		fprintf(fp, "<p>No selected record has a score (%s without)."
		    "</p>\n</section>\n", report_html_count(a, sizeof(a),
		    report_html_int(sc, "unscored")));
		return;
	}
	fputs("<figure>\n", fp);
	report_html_scores_chart(fp, r);
	if (json_array_size(vs) > REPORT_HTML_SERIES)
		fprintf(fp, "<figcaption>The chart shows the first %d "
		    "versions; the table has all.</figcaption>\n",
		    REPORT_HTML_SERIES);
	fputs("</figure>\n<table>\n<tr><th>Version</th><th class=\"n\">"
	    "Scored</th><th class=\"n\">Min</th><th class=\"n\">Median</th>"
	    "<th class=\"n\">p90</th><th class=\"n\">Max</th><th class=\"n\">"
	    "&#177; (half a bin)</th></tr>\n", fp);
	for (i = 0; i < json_array_size(vs); i++) {
		v = json_array_get(vs, i);
		s = report_html_get(v, "score");
		fputs("<tr><td class=\"wrap\">", fp);
		report_html_cut(fp, report_html_version(v), REPORT_HTML_CELL);
		if (!json_is_object(s)) {
			fputs("</td><td class=\"n\">0</td><td colspan=\"5\">"
			    "no scores</td></tr>\n", fp);
			continue;
		}
		fprintf(fp, "</td><td class=\"n\">%s</td><td class=\"n\">%s"
		    "</td><td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "<td class=\"n\">%s</td><td class=\"n\">%.3g</td></tr>\n",
		    report_html_count(a, sizeof(a), report_html_int(s,
		    "scored")), report_html_g(b, sizeof(b),
		    report_html_get(s, "min")), report_html_g(c, sizeof(c),
		    report_html_get(s, "median")), report_html_g(d, sizeof(d),
		    report_html_get(s, "p90")), report_html_g(e, sizeof(e),
		    report_html_get(s, "max")),
		    report_html_num(s, "resolution", 0) / 2);
	}
	fprintf(fp, "</table>\n<p class=\"note\">%s records without a score. "
	    "Method: ", report_html_count(f, sizeof(f), report_html_int(sc,
	    "unscored")));
	report_html_text(fp, report_html_str(sc, "method"));
	fputs(".</p>\n</section>\n", fp);
}

/* The chart and table of outcome rates per group. */
static int
report_html_rates(FILE *fp, const json_t *g)
{
	const json_t *gs = report_html_get(g, "groups"), *x;
	struct report_html_hbar *b;
	double ref = report_html_num(g, "reference_rate", -1), max = 0;
	double th = report_html_num(g, "threshold", 0.8);
	char a[32], c[32], d[32], title[160], reflabel[64];
	size_t i, n = json_array_size(gs);

	if ((b = calloc(n + 1, sizeof(*b))) == NULL)
		return ENOMEM;
	for (i = 0; i < n; i++) {
		x = json_array_get(gs, i);
		b[i].hb_label = report_html_str(x, "label");
		b[i].hb_value = report_html_num(x, "rate", 0);
		if (b[i].hb_value > max)
			max = b[i].hb_value;
		b[i].hb_color = report_html_true(x, "flag") ? REPORT_HTML_FLAG :
		    report_html_true(x, "reference") ? REPORT_HTML_REF :
		    report_html_true(x, "small") ? REPORT_HTML_GREY :
		    REPORT_HTML_BAR;
		snprintf(b[i].hb_text, sizeof(b[i].hb_text), "%.1f%% (n=%s)%s",
		    100 * b[i].hb_value, report_html_count(a, sizeof(a),
		    report_html_int(x, "records")), report_html_true(x,
		    "flag") ? " below 4/5" : report_html_true(x, "reference") ?
		    " reference" : "");
	}
	snprintf(title, sizeof(title), "Favourable rate per group");
	snprintf(reflabel, sizeof(reflabel), "4/5 of reference: %.1f%%",
	    100 * th * ref);
	fputs("<figure>\n", fp);
	report_html_hbars(fp, title, "favourable rate", b, n, max > 0 ? max :
	    1, 1, ref >= 0 ? th * ref : -1, reflabel);
	fputs("<figcaption>Bars: blue a group, green the reference group, "
	    "red a group whose disparate-impact ratio is under 0.8, grey a "
	    "group under the minimum size (not flagged). The dashed line is "
	    "four fifths of the reference rate.</figcaption>\n</figure>\n"
	    "<table>\n<tr><th>Group</th><th class=\"n\">Records</th>"
	    "<th class=\"n\">Favourable</th><th class=\"n\">Rate</th>"
	    "<th class=\"n\">Parity difference</th><th class=\"n\">"
	    "Disparate impact</th><th>Flag</th></tr>\n", fp);
	for (i = 0; i < n; i++) {
		x = json_array_get(gs, i);
		fputs("<tr><td class=\"wrap\">", fp);
		report_html_cut(fp, report_html_str(x, "label"),
		    REPORT_HTML_CELL);
		fprintf(fp, "</td><td class=\"n\">%s</td><td class=\"n\">%s"
		    "</td><td class=\"n\">%s</td>", report_html_count(a,
		    sizeof(a), report_html_int(x, "records")),
		    report_html_count(c, sizeof(c), report_html_int(x,
		    "favourable")), report_html_pct(d, sizeof(d),
		    report_html_get(x, "rate")));
		if (json_is_number(report_html_get(x, "spd")))
			fprintf(fp, "<td class=\"n\">%+.1f pp</td>",
			    100 * report_html_num(x, "spd", 0));
		else
			fputs("<td class=\"n\">n/a</td>", fp);
		if (json_is_number(report_html_get(x, "di")))
			fprintf(fp, "<td class=\"n\">%.2f</td>",
			    report_html_num(x, "di", 0));
		else
			fputs("<td class=\"n\">n/a</td>", fp);
		if (report_html_true(x, "flag"))
			fputs("<td class=\"flag\">under 4/5</td>", fp);
		else if (report_html_true(x, "reference"))
			fputs("<td>reference</td>", fp);
		else if (report_html_true(x, "small"))
			fputs("<td class=\"muted\">too small</td>", fp);
		else
			fputs("<td class=\"ok\">ok</td>", fp);
		fputs("</tr>\n", fp);
	}
	fputs("</table>\n", fp);
	free(b);
	return 0;
}

/* Section: outcome rates per group and the fairness metrics. */
static int
report_html_groups(FILE *fp, const json_t *r)
{
	const json_t *g = report_html_get(r, "groups");
	const json_t *gs = report_html_get(g, "groups"), *x;
	char a[32], b[32];
	size_t i;
	int rc;

	report_html_section(fp, "groups", "Outcomes by group");
	if (!json_is_object(g)) {
		fputs("<p>No <code>--group-by</code> was given: no outcome "
		    "rates per group.</p>\n</section>\n", fp);
		return 0;
	}
	if (json_array_size(gs) == 0) {
		fputs("<p>No records to group.</p>\n</section>\n", fp);
		return 0;
	}
	fprintf(fp, "<p>Grouped by %s <code class=\"wrap\">",
	    strcmp(report_html_str(g, "by") != NULL ?
	    report_html_str(g, "by") : "", "label") == 0 ? "the label" :
	    "the input");
	report_html_text(fp, report_html_str(g, "name"));
	fputs("</code>. ", fp);
	if (!report_html_true(g, "rates")) {
		fputs("No <code>--favourable</code> decisions were given, so "
		    "no outcome rates or fairness metrics are computed; the "
		    "groups' sizes:</p>\n<table>\n<tr><th>Group</th>"
		    "<th class=\"n\">Records</th></tr>\n", fp);
		for (i = 0; i < json_array_size(gs); i++) {
			x = json_array_get(gs, i);
			fputs("<tr><td class=\"wrap\">", fp);
			report_html_cut(fp, report_html_str(x, "label"),
			    REPORT_HTML_CELL);
			fprintf(fp, "</td><td class=\"n\">%s</td></tr>\n",
			    report_html_count(a, sizeof(a),
			    report_html_int(x, "records")));
		}
		fputs("</table>\n</section>\n", fp);
		return 0;
	}
	if (report_html_str(g, "reference") != NULL) {
		fputs("Reference group: <b class=\"wrap\">", fp);
		report_html_cut(fp, report_html_str(g, "reference"),
		    REPORT_HTML_CELL);
		fprintf(fp, "</b>, the group of at least %s records with the "
		    "highest favourable rate (%s). ", report_html_count(a,
		    sizeof(a), report_html_int(g, "min_group")),
		    report_html_pct(b, sizeof(b), report_html_get(g,
		    "reference_rate")));
	} else
		fprintf(fp, "No group has %s records or more, so there is no "
		    "reference group and no parity metric. ",
		    report_html_count(a, sizeof(a), report_html_int(g,
		    "min_group")));
	fprintf(fp, "<b%s>%s</b> group(s) flagged under the four-fifths "
	    "rule.</p>\n", report_html_int(g, "flagged") > 0 ?
	    " class=\"flag\"" : "", report_html_count(a, sizeof(a),
	    report_html_int(g, "flagged")));
	if (report_html_get(g, "reference_rate") != NULL &&
	    report_html_num(g, "reference_rate", -1) == 0)
		fputs("<p>The reference rate is 0: disparate impact is not "
		    "defined.</p>\n", fp);
	if ((rc = report_html_rates(fp, g)) != 0)
		return rc;
	if (!report_html_true(g, "allow_important"))
		fputs("<p class=\"note\">Values of important-class data are "
		    "withheld (<code>--allow-important</code> shows them); "
		    "values of core-class data are never shown.</p>\n", fp);
	fputs("</section>\n", fp);
	return 0;
}

/* Section: automation, review and overrides. */
static int
report_html_human(FILE *fp, const json_t *r)
{
	const json_t *hu = report_html_get(r, "human");
	const json_t *au = report_html_get(hu, "automation"), *x;
	const json_t *ov = report_html_get(hu, "override");
	struct report_html_hbar b[4];
	char a[32], c[32], d[32];
	size_t i, n = json_array_size(au);

	if (n > 4)
		n = 4;
	report_html_section(fp, "human", "Human involvement");
	for (i = 0; i < n; i++) {
		x = json_array_get(au, i);
		b[i].hb_label = report_html_str(x, "level");
		b[i].hb_value = report_html_num(x, "share", 0);
		b[i].hb_color = REPORT_HTML_BAR;
		snprintf(b[i].hb_text, sizeof(b[i].hb_text), "%s (%s)",
		    report_html_pct(a, sizeof(a), report_html_get(x,
		    "share")), report_html_count(c, sizeof(c),
		    report_html_int(x, "records")));
	}
	fputs("<figure>\n", fp);
	report_html_hbars(fp, "Automation level (share of records)",
	    "share of records", b, n, 1, 1, -1, NULL);
	fputs("</figure>\n", fp);
	fprintf(fp, "<table>\n<tr><th>Reviewed by a named person</th>"
	    "<td class=\"n\">%s</td><td class=\"n\">%s</td></tr>\n",
	    report_html_count(a, sizeof(a), report_html_int(hu, "reviewed")),
	    report_html_pct(c, sizeof(c), report_html_get(hu,
	    "review_rate")));
	fputs("<tr><th>Overridden (of reviewed)</th>", fp);
	if (json_is_number(report_html_get(ov, "rate")))
		fprintf(fp, "<td class=\"n\">%s</td><td class=\"n\">%s</td>"
		    "</tr>\n", report_html_count(a, sizeof(a),
		    report_html_int(ov, "overridden")), report_html_pct(c,
		    sizeof(c), report_html_get(ov, "rate")));
	else
		fputs("<td class=\"n\">n/a</td><td class=\"n\">n/a</td>"
		    "</tr>\n", fp);
	fputs("</table>\n<p class=\"note\">The record schema has no override "
	    "field. A record counts as overridden when it carries the label "
	    "<code class=\"wrap\">", fp);
	report_html_text(fp, report_html_str(ov, "label_key"));
	fputs("=", fp);
	report_html_text(fp, report_html_str(ov, "label_value"));
	fprintf(fp, "</code>; the rate is overridden records with a named "
	    "reviewer over all records with a named reviewer. %s selected "
	    "records carry the label key", report_html_count(a, sizeof(a),
	    report_html_int(ov, "carrying")));
	if (report_html_int(ov, "carrying") == 0)
		fputs(", so the rate cannot be computed and shows n/a rather "
		    "than 0", fp);
	fprintf(fp, ". %s overridden record(s) name no reviewer.</p>\n"
	    "</section>\n", report_html_count(d, sizeof(d),
	    report_html_int(ov, "overridden_unreviewed")));
	return 0;
}

/* Section: the most frequent reason codes. */
static int
report_html_codes(FILE *fp, const json_t *r)
{
	const json_t *rc = report_html_get(r, "reason_codes");
	const json_t *top = report_html_get(rc, "top"), *x;
	struct report_html_hbar *b;
	char a[32], c[32];
	size_t i, n = json_array_size(top);
	double max = 0;

	report_html_section(fp, "codes", "Top reason codes");
	fprintf(fp, "<p>%s records carry at least one reason code; %s "
	    "distinct codes%s. A record counts once per code.</p>\n",
	    report_html_count(a, sizeof(a), report_html_int(rc,
	    "records_with_codes")), report_html_count(c, sizeof(c),
	    report_html_int(rc, "distinct")), report_html_true(rc,
	    "distinct_capped") ? " (and more, not counted apart)" : "");
	if (n == 0) {
		fputs("</section>\n", fp);
		return 0;
	}
	if ((b = calloc(n, sizeof(*b))) == NULL)
		return ENOMEM;
	for (i = 0; i < n; i++) {
		x = json_array_get(top, i);
		b[i].hb_label = report_html_str(x, "code");
		b[i].hb_value = report_html_num(x, "share", 0);
		if (b[i].hb_value > max)
			max = b[i].hb_value;
		b[i].hb_color = REPORT_HTML_BAR;
		snprintf(b[i].hb_text, sizeof(b[i].hb_text), "%s (%s)",
		    report_html_pct(a, sizeof(a), report_html_get(x,
		    "share")), report_html_count(c, sizeof(c),
		    report_html_int(x, "records")));
	}
	fputs("<figure>\n", fp);
	report_html_hbars(fp, "Reason codes (share of records)",
	    "share of records", b, n, max, 1, -1, NULL);
	fputs("</figure>\n</section>\n", fp);
	free(b);
	return 0;
}

/* Section: clock skew, loss records, producers. */
static void
report_html_quality(FILE *fp, const json_t *r)
{
	const json_t *sk = report_html_get(r, "clock_skew");
	const json_t *lo = report_html_get(r, "loss");
	const json_t *ps = report_html_get(lo, "producers"), *ex, *p;
	char a[32], b[32], c[32], d[32];
	size_t i;

	report_html_section(fp, "quality", "Data quality");
	fprintf(fp, "<h3>Clock skew</h3>\n<p>Records the daemon flagged for "
	    "clock skew when it received them, their event time (the "
	    "producer's clock) being further from their receive time (the "
	    "daemon's clock) than the daemon's <code>--clock-skew</code> "
	    "threshold in force at that moment; the flag is stored in the "
	    "entry and covered by the log's hashes: <b%s>%s</b>",
	    report_html_int(sk, "flagged") > 0 ? " class=\"flag\"" : "",
	    report_html_count(b, sizeof(b), report_html_int(sk, "flagged")));
	fprintf(fp, " (%s with the event after its receipt, a producer clock "
	    "ahead; ", report_html_count(a, sizeof(a), report_html_int(sk,
	    "event_after_receive")));
	fprintf(fp, "%s with the event before, a clock behind or a late "
	    "delivery).</p>\n", report_html_count(a, sizeof(a),
	    report_html_int(sk, "event_before_receive")));
	fprintf(fp, "<p>Computed now from the two times, at this report's "
	    "threshold of %s (entries written before the daemon flagged "
	    "skew carry no flag, and count here): %s further apart. Largest "
	    "difference: %s. ", report_html_duration(a, sizeof(a),
	    report_html_num(sk, "report_threshold_ns", 0)),
	    report_html_count(b, sizeof(b), report_html_int(sk,
	    "beyond_report_threshold")), report_html_duration(c, sizeof(c),
	    report_html_num(sk, "max_abs_ns", 0)));
	fprintf(fp, "Without an event time: %s; without a receive time: "
	    "%s.</p>\n", report_html_count(c, sizeof(c), report_html_int(sk,
	    "no_event_time")), report_html_count(d, sizeof(d),
	    report_html_int(sk, "no_receive_time")));
	ex = report_html_get(sk, "examples");
	if (json_array_size(ex) > 0) {
		fputs("<p>First flagged log indexes: ", fp);
		for (i = 0; i < json_array_size(ex); i++)
			fprintf(fp, "%s%" PRIu64, i > 0 ? ", " : "",
			    (uint64_t)json_integer_value(json_array_get(ex,
			    i)));
		fputs(" (<code>algaudit query --store DIR --from-index I "
		    "--limit 1</code> shows one).</p>\n", fp);
	}
	fputs("<h3>Loss records</h3>\n<p>A producer that had to drop records "
	    "sends a loss record with their number. A loss record names no "
	    "algorithm, so these are the losses of the producers that "
	    "delivered this report's records, in the same time window", fp);
	if (report_html_str(lo, "since") != NULL) {
		fputs(" (", fp);
		report_html_text(fp, report_html_str(lo, "since"));
		fputs(" to ", fp);
		report_html_text(fp, report_html_str(lo, "until"));
		fputs(")", fp);
	}
	fprintf(fp, ": an upper bound of what this algorithm lost. <b%s>%s"
	    "</b> records lost in %s loss records.</p>\n",
	    report_html_int(lo, "lost_records") > 0 ? " class=\"flag\"" : "",
	    report_html_count(a, sizeof(a), report_html_int(lo,
	    "lost_records")), report_html_count(b, sizeof(b),
	    report_html_int(lo, "loss_records")));
	fputs("<table>\n<tr><th>Producer</th><th class=\"n\">Records of this "
	    "report</th><th class=\"n\">Loss records</th><th class=\"n\">"
	    "Records lost</th></tr>\n", fp);
	for (i = 0; i < json_array_size(ps); i++) {
		p = json_array_get(ps, i);
		fputs("<tr><td class=\"wrap\">", fp);
		report_html_cut(fp, report_html_str(p, "producer"),
		    REPORT_HTML_CELL);
		fprintf(fp, "</td><td class=\"n\">%s</td><td class=\"n\">%s"
		    "</td><td class=\"n%s\">%s</td></tr>\n",
		    report_html_count(a, sizeof(a), report_html_int(p,
		    "records")), report_html_count(b, sizeof(b),
		    report_html_int(p, "loss_records")),
		    report_html_int(p, "lost_records") > 0 ? " flag" : "",
		    report_html_count(c, sizeof(c), report_html_int(p,
		    "lost_records")));
	}
	fputs("</table>\n", fp);
	if (report_html_true(lo, "producers_capped"))
		fputs("<p class=\"note\">More producers delivered records "
		    "than the report looks up; the others' losses are not "
		    "counted.</p>\n", fp);
	fputs("</section>\n", fp);
}

/* Section: what the terms mean. */
static void
report_html_definitions(FILE *fp, const json_t *r)
{
	const json_t *g = report_html_get(r, "groups");
	char a[32];

	report_html_section(fp, "definitions", "Definitions");
	fprintf(fp, "<dl>\n<dt>Favourable outcome</dt><dd>A record whose "
	    "decision is one of the <code>--favourable</code> decisions; "
	    "the favourable rate of a group is its favourable records over "
	    "its records.</dd>\n<dt>Reference group</dt><dd>Among the "
	    "groups of real values (not missing, withheld or other) with "
	    "at least %s records, the one with the highest favourable "
	    "rate.</dd>\n<dt>Statistical parity difference</dt><dd>A "
	    "group's favourable rate minus the reference group's, in "
	    "percentage points; 0 is parity, negative is less "
	    "favourable.</dd>\n<dt>Disparate impact</dt><dd>A group's "
	    "favourable rate divided by the reference group's. Under 0.8 "
	    "is flagged (the four-fifths rule of the US EEOC Uniform "
	    "Guidelines, a screening threshold, not a finding). Groups "
	    "under the minimum size are shown but not flagged.</dd>\n",
	    report_html_count(a, sizeof(a), json_is_object(g) ?
	    report_html_int(g, "min_group") : REPORT_MIN_GROUP_DEFAULT));
	fputs("<dt>Human review</dt><dd>A record that names a reviewer. "
	    "Automation levels are as the producer recorded them.</dd>\n"
	    "<dt>Clock skew</dt><dd>The difference between a record's event "
	    "time and the time the daemon received it. The daemon flags a "
	    "record in its stored entry when the difference is more than "
	    "its <code>--clock-skew</code> at that moment; a flag is never "
	    "a reason to refuse a record, and the log's order is its "
	    "index.</dd>\n<dt>Checkpoint"
	    "</dt><dd>A signed statement of the log's size and Merkle root. "
	    "Entries below its size cannot be changed or removed without "
	    "the change being detectable with the log's verifier key.</dd>\n"
	    "</dl>\n</section>\n", fp);
}

/* Writes the report document r as one HTML page to fp. */
int
report_html_write(FILE *fp, const json_t *r)
{
	const char *fmt = report_html_str(r, "format");
	int rc;

	if (fmt == NULL || strcmp(fmt, REPORT_FORMAT) != 0 ||
	    !json_is_object(report_html_get(r, "selection")) ||
	    !json_is_object(report_html_get(r, "checkpoint")))
		return EINVAL;
	report_html_head(fp, r);
	report_html_scope(fp, r);
	if ((rc = report_html_volume(fp, r)) != 0)
		return rc;
	report_html_decisions(fp, r);
	report_html_scores(fp, r);
	if ((rc = report_html_groups(fp, r)) != 0 ||
	    (rc = report_html_human(fp, r)) != 0 ||
	    (rc = report_html_codes(fp, r)) != 0)
		return rc;
	report_html_quality(fp, r);
	report_html_definitions(fp, r);
	fputs("<footer>", fp);
	report_html_text(fp, report_html_str(r, "tool"));
	fputs(", report format ", fp);
	report_html_text(fp, fmt);
	fputs(". The same numbers in JSON: <code>algaudit report ... "
	    "--format json</code>.</footer>\n</body>\n</html>\n", fp);
	return ferror(fp) ? EIO : 0;
}
