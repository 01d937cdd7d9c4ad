# promcheck.awk: checks that its input is valid Prometheus text
# exposition (format 0.0.4), more strictly than Prometheus itself:
#
# - "# HELP name text" and "# TYPE name type" at most once per family,
#   TYPE before the family's first sample; other "#" lines are comments;
# - every sample belongs to a family with a TYPE (name, or for a
#   histogram name_bucket / name_sum / name_count); metric and label
#   names are well formed; label values are quoted with only \\, \" and
#   \n escapes; the value is a float, +Inf, -Inf or NaN; an optional
#   timestamp is an integer; empty lines are ignored, as the format says;
# - a family's samples are contiguous; no series appears twice;
# - counters and histogram samples are not negative; a histogram's
#   buckets (per label set) have increasing `le` bounds ending at +Inf
#   with cumulative counts that never decrease, and _count equals the
#   +Inf bucket, with a _sum.
#
# usage: awk -f promcheck.awk FILE   (mawk or gawk)
# Prints "promcheck: OK: F families, S samples" and exits 0, or prints
# "promcheck: line N: what is wrong" and exits 1.

function fail(msg) {
	printf("promcheck: line %d: %s\n", NR, msg)
	failed = 1
	exit 1
}

function is_name(s) {
	return s ~ /^[a-zA-Z_:][a-zA-Z0-9_:]*$/
}

function is_float(s) {
	if (s == "+Inf" || s == "-Inf" || s == "NaN")
		return 1
	return s ~ /^[-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?$/
}

function num(s) {
	if (s == "+Inf")
		return 1e308 * 10
	return s + 0
}

# Parses the label set at the start of s (just after "{"); sets LABELS
# to the canonical "k=v," text without le, LE to the le value ("" if
# none), and returns the rest of s after the closing "}".
function parse_labels(s,    c, k, v, i, seen) {
	LABELS = ""
	LE = ""
	split("", seen)
	for (;;) {
		if (substr(s, 1, 1) == "}")
			return substr(s, 2)
		if (!match(s, /^[a-zA-Z_][a-zA-Z0-9_]*/))
			fail("bad label name in '" s "'")
		k = substr(s, 1, RLENGTH)
		s = substr(s, RLENGTH + 1)
		if (k in seen)
			fail("label " k " given twice")
		seen[k] = 1
		if (substr(s, 1, 2) != "=\"")
			fail("label " k ": expected =\"")
		s = substr(s, 3)
		v = ""
		for (i = 1; ; i++) {
			c = substr(s, i, 1)
			if (c == "")
				fail("label " k ": unterminated value")
			if (c == "\"")
				break
			if (c == "\\") {
				c = substr(s, ++i, 1)
				if (c != "\\" && c != "\"" && c != "n")
					fail("label " k ": bad escape \\" c)
				v = v "\\" c
				continue
			}
			v = v c
		}
		s = substr(s, i + 1)
		if (k == "le")
			LE = v
		else
			LABELS = LABELS k "=" v ","
		if (substr(s, 1, 1) == ",")
			s = substr(s, 2)
		else if (substr(s, 1, 1) != "}")
			fail("label " k ": expected , or } after the value")
	}
}

# The family a sample name belongs to, or "".
function family_of(name,    base) {
	if (name in type)
		return name
	if (match(name, /_(bucket|sum|count)$/)) {
		base = substr(name, 1, RSTART - 1)
		if ((base in type) && (type[base] == "histogram" ||
		    (type[base] == "summary" && name !~ /_bucket$/)))
			return base
	}
	return ""
}

BEGIN {
	families = 0
	samples = 0
	current = ""
}

/^#/ {
	n = split($0, f, " ")
	if (f[2] == "HELP" || f[2] == "TYPE") {
		if (n < 3 || !is_name(f[3]))
			fail("bad metric name in " f[2] " line")
		name = f[3]
		if (f[2] == "HELP") {
			if (name in help)
				fail("second HELP for " name)
			help[name] = 1
			next
		}
		if (name in type)
			fail("second TYPE for " name)
		if (name in done || name in sampled)
			fail("TYPE for " name " after its samples")
		if (n != 4 ||
		    f[4] !~ /^(counter|gauge|histogram|summary|untyped)$/)
			fail("bad TYPE line for " name)
		type[name] = f[4]
		families++
	}
	next
}

/^[ \t]*$/ {
	next	# the format ignores empty lines
}

{
	line = $0
	if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/))
		fail("bad metric name")
	name = substr(line, 1, RLENGTH)
	rest = substr(line, RLENGTH + 1)
	LABELS = ""
	LE = ""
	if (substr(rest, 1, 1) == "{")
		rest = parse_labels(substr(rest, 2))
	if (substr(rest, 1, 1) != " ")
		fail("expected a space before the value")
	n = split(substr(rest, 2), f, " ")
	if (n < 1 || n > 2)
		fail("expected a value and an optional timestamp")
	if (!is_float(f[1]))
		fail("bad value '" f[1] "'")
	if (n == 2 && f[2] !~ /^-?[0-9]+$/)
		fail("bad timestamp '" f[2] "'")
	value = f[1]
	fam = family_of(name)
	if (fam == "")
		fail("sample " name " has no TYPE")
	if (fam != current) {
		if (fam in done)
			fail("samples of " fam " are not together")
		if (current != "")
			done[current] = 1
		current = fam
	}
	sampled[fam] = 1
	series = name "{" LABELS "le=" LE "}"
	if (series in seen_series)
		fail("series " series " twice")
	seen_series[series] = 1
	samples++
	t = type[fam]
	if ((t == "counter" || t == "histogram") && (value == "NaN" ||
	    num(value) < 0))
		fail(name ": negative or NaN value " value)
	if (t != "histogram")
		next
	key = fam SUBSEP LABELS
	hists[key] = 1
	if (name == fam "_bucket") {
		if (LE == "" || !is_float(LE))
			fail(name ": bucket without a numeric le")
		if ((key in last_le) && num(LE) <= last_le[key])
			fail(name ": le " LE " not above the previous bound")
		if ((key in last_cnt) && num(value) < last_cnt[key])
			fail(name ": bucket counts decrease at le " LE)
		if (key in inf)
			fail(name ": bucket after +Inf")
		last_le[key] = num(LE)
		last_cnt[key] = num(value)
		if (LE == "+Inf")
			inf[key] = num(value)
	} else if (name == fam "_count") {
		hcount[key] = num(value)
	} else if (name == fam "_sum") {
		hsum[key] = 1
	} else
		fail(name ": not a histogram sample name")
}

END {
	if (failed)
		exit 1
	for (key in hists) {
		split(key, k, SUBSEP)
		if (!(key in inf))
			fail("histogram " k[1] " {" k[2] "} has no +Inf bucket")
		if (!(key in hcount) || hcount[key] != inf[key])
			fail("histogram " k[1] " {" k[2] "}: bad _count")
		if (!(key in hsum))
			fail("histogram " k[1] " {" k[2] "} has no _sum")
	}
	for (name in type)
		if (!(name in sampled))
			fail("family " name " has a TYPE but no sample")
	printf("promcheck: OK: %d families, %d samples\n", families, samples)
}
