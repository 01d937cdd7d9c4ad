# t_export.sh: the export bundle and its offline verifier (issue 7), on
# a store the real daemon wrote from records sent through the real
# client (`algaudit log`), ordinary, important and core records with
# inputs of every class, checkpoints signed on a short cadence:
# bundles with every kind of withholding verify (plain, --tar extracted,
# --allow-important --reveal-subjects, --disclose with a pseudonym key);
# each tampering fails with its message and exit 3 (a disclosed value
# changed, a record dropped, one added, a commitment swapped, a manifest
# count edited, the checkpoint re-signed with another log's key, a proof
# hash changed); core data never appears in any bundle or tar, raw, hex
# or base64; --since-bundle proves consistency, and is refused for a
# bundle of another log; a selection past the latest checkpoint is
# refused with what to do; usage errors exit 2.
. "$(dirname "$0")/lib.sh"

ORIGIN="test.example/export"
SECRET="CORE-SECRET-9b1d4e"	# seeded into every core unit
TAMPER="$BUILD/tests/itest_tamper"

# expect_rc RC CMD...: CMD must exit RC; its stderr is in $T/err.
expect_rc() {
	local want="$1" rc
	shift
	set +e
	"$@" > "$T/out" 2> "$T/err"
	rc=$?
	set -e
	[ "$rc" -eq "$want" ] ||
	    { cat "$T/err"; fail "$* exited $rc, expected $want"; }
}

# verify_ok BUNDLE [ARGS]: verify-bundle must pass.
verify_ok() {
	local b="$1"
	shift
	"$AUDIT" verify-bundle "$b" --key "$VKEY" "$@" > "$T/vout" 2> "$T/verr" ||
	    { cat "$T/verr"; fail "verify-bundle $b failed"; }
	grep -q "OK: " "$T/vout" || fail "verify-bundle $b: no OK line"
}

# tampered NAME MESSAGE: BUNDLE $T/tb must fail with MESSAGE and exit 3.
tampered() {
	expect_rc 3 "$AUDIT" verify-bundle "$T/tb" --key "$VKEY"
	grep -qF -- "$2" "$T/err" ||
	    { cat "$T/err"; fail "$1: no '$2'"; }
	grep -q "FAILED" "$T/err" || fail "$1: no verdict"
	say "tampering detected: $1"
}

# fresh: $T/tb is a fresh copy of bundle $T/b1.
fresh() {
	rm -rf "$T/tb"
	cp -a "$T/b1" "$T/tb"
}

# records FIRST COUNT: JSON lines for algaudit log; record i cycles
# through ordinary (with an ordinary, a core and an important input),
# important, core (every field a secret) and ordinary without inputs.
records() {
	awk -v first="$1" -v n="$2" -v s="$SECRET" 'BEGIN {
	for (i = first; i < first + n; i++) {
		k = i % 4
		if (k == 0)
			printf "{\"algorithm\":{\"id\":\"credit\",\"version\":" \
			    "\"2\"},\"subject\":\"u-%d\",\"decision\":" \
			    "\"approve\",\"score\":0.%d,\"data_class\":" \
			    "\"ordinary\",\"inputs\":[{\"name\":\"income\"," \
			    "\"value\":%d,\"data_class\":\"ordinary\"}," \
			    "{\"name\":\"node\",\"value\":\"%s-input-%d\"," \
			    "\"data_class\":\"core\"},{\"name\":\"health\"," \
			    "\"value\":true,\"data_class\":\"important\"}]," \
			    "\"labels\":{\"channel\":\"app\"}}\n", i % 7,
			    i % 10, 40000 + i, s, i
		else if (k == 1)
			printf "{\"algorithm\":{\"id\":\"credit\"},\"subject\":" \
			    "\"u-%d\",\"decision\":\"deny\",\"data_class\":" \
			    "\"important\",\"reviewer\":\"alice\"}\n", i % 7
		else if (k == 2)
			printf "{\"algorithm\":{\"id\":\"grid-%s\"},\"subject\":" \
			    "\"%s-subject\",\"decision\":\"%s-decision\"," \
			    "\"data_class\":\"core\",\"purpose\":\"%s\"," \
			    "\"inputs\":[{\"name\":\"load\",\"value\":\"%s-load\"}]}\n",
			    s, s, s, s, s
		else
			printf "{\"algorithm\":{\"id\":\"rank\"},\"subject\":" \
			    "\"u-%d\",\"decision\":\"show\",\"data_class\":" \
			    "\"ordinary\",\"trace_id\":\"t-%d\"}\n", i % 7, i
	} }'
}

# no_core FILE...: none of the files holds the secret, raw, in hex
# (either case) or in base64 at any alignment.
no_core() {
	local f hex HEX b0 b1 b2
	hex=$(printf '%s' "$SECRET" | od -An -tx1 | tr -d ' \n')
	HEX=$(printf '%s' "$hex" | tr a-f A-F)
	# Base64 of the secret after 0, 1, 2 bytes, without the edges that
	# depend on the bytes around it.
	b0=$(printf '%s' "$SECRET" | base64 -w0 | cut -c5-20)
	b1=$(printf 'x%s' "$SECRET" | base64 -w0 | cut -c5-20)
	b2=$(printf 'xx%s' "$SECRET" | base64 -w0 | cut -c5-20)
	for f in "$@"; do
		for pat in "$SECRET" "$hex" "$HEX" "$b0" "$b1" "$b2"; do
			if grep -qaF -- "$pat" "$f"; then
				fail "$f holds core data ('$pat')"
			fi
		done
	done
}

say "ingest through the real client, checkpoints every 40 entries or 100 ms"
start_daemon --origin "$ORIGIN" --checkpoint-entries 40 \
    --checkpoint-interval 100
records 0 400 > "$T/in1.jsonl"
"$AUDIT" log --connect "$EP" --producer shell < "$T/in1.jsonl" > /dev/null
"$PRODUCER" --connect "$EP" --producer bulk --count 600 > /dev/null
VKEY=$("$AUDIT" key --store "$STORE")
# The daemon stores the secrets: the test is about them not leaving.
"$AUDIT" query --store "$STORE" --class core --limit 1 --format jsonl |
    grep -q "$SECRET" || fail "no core record stored"

say "an old bundle while the daemon runs (the latest checkpoint's range)"
sleep 0.3
"$AUDIT" export --store "$STORE" --out "$T/old" --quiet > "$T/old.out"
grep -q "verify with: algaudit verify-bundle $T/old --key $VKEY" \
    "$T/old.out" || fail "no verify line: $(cat "$T/old.out")"
verify_ok "$T/old"
OLDSIZE=$(sed -n 2p "$T/old/checkpoint")

records 1000 400 > "$T/in2.jsonl"
"$AUDIT" log --connect "$EP" --producer shell < "$T/in2.jsonl" > /dev/null

say "a selection past the latest checkpoint is refused while uncovered"
stop_daemon TERM
start_daemon --checkpoint-entries 1000000 --checkpoint-interval 3600000
# The first commit after a start is checkpointed at once, the next not.
records 2000 5 > "$T/in3.jsonl"
head -n 1 "$T/in3.jsonl" |
    "$AUDIT" log --connect "$EP" --producer late > /dev/null
sed 1d "$T/in3.jsonl" |
    "$AUDIT" log --connect "$EP" --producer later > /dev/null
expect_rc 1 "$AUDIT" export --store "$STORE" --out "$T/late" \
    --to-index 100000000 --quiet
grep -q "is selected but the latest signed checkpoint (size [0-9]*) does \
not cover it: wait for the next checkpoint" "$T/err" ||
    fail "uncovered: $(cat "$T/err")"
[ ! -e "$T/late" ] || fail "a refused export left $T/late"
"$AUDIT" export --store "$STORE" --out "$T/cut" > "$T/out" 2> "$T/err"
grep -q "not covered by a signed checkpoint yet and are left out" \
    "$T/err" || fail "no note on the cut: $(cat "$T/err")"
stop_daemon TERM
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit status $DAEMON_RC"
N=$(sed -n 2p <("$AUDIT" checkpoint --store "$STORE"))
[ "$N" -eq 1405 ] || fail "the final checkpoint is at $N, not 1405"

say "the default bundle: every kind of withholding, and it verifies"
"$AUDIT" export --store "$STORE" --out "$T/b1" > "$T/b1.out"
cat "$T/b1.out"
verify_ok "$T/b1"
cat "$T/vout"
grep -q "OK: 1405 records (entries 0 to 1404)" "$T/vout" ||
    fail "not 1405 records: $(cat "$T/vout")"
for r in core important pseudonymised; do
	grep -q "\"withheld\":\"$r\"" "$T/b1/records.jsonl" ||
	    fail "no unit withheld as $r"
done
grep -q '"subject_pseudonym":"' "$T/b1/records.jsonl" ||
    fail "no pseudonym"
grep -q '"records": 1405' "$T/b1/manifest.json" || fail "manifest records"
grep -q '"allow_important": false' "$T/b1/manifest.json" ||
    fail "manifest policy"
ls -ld "$T/b1" | grep -q '^drwx------' || fail "bundle mode"

say "--allow-important --reveal-subjects --tar, extracted, verifies"
"$AUDIT" export --store "$STORE" --out "$T/b2" --allow-important \
    --reveal-subjects --tar --quiet > /dev/null
[ -f "$T/b2.tar" ] || fail "no tar"
tar -tf "$T/b2.tar" | grep -q "^b2/manifest.sig$" || fail "tar layout"
mkdir "$T/x"
tar -xf "$T/b2.tar" -C "$T/x"
verify_ok "$T/x/b2"
grep -q "\"withheld\":\"important\"" "$T/b2/records.jsonl" &&
    fail "important withheld with --allow-important"
grep -q '"allow_important": true' "$T/b2/manifest.json" ||
    fail "--allow-important not in the manifest"
grep -q "u-3" "$T/b2/records.jsonl" && fail "subjects are hex, not raw"
grep -q "$(printf 'u-3' | od -An -tx1 | tr -d ' \n')" \
    "$T/b2/records.jsonl" || fail "subject not revealed"

say "--disclose with a pseudonym key, and a filter"
head -c 32 /dev/urandom > "$T/pkey"
chmod 600 "$T/pkey"
"$AUDIT" export --store "$STORE" --out "$T/b3" --quiet \
    --disclose 'decision,inputs[*]' --disclose score \
    --pseudonym-key "$T/pkey" --algorithm credit > /dev/null
verify_ok "$T/b3"
grep -q '"withheld":"excluded"' "$T/b3/records.jsonl" ||
    fail "nothing excluded"
grep -q '"source": "file"' "$T/b3/manifest.json" || fail "key source"
"$AUDIT" export --store "$STORE" --out "$T/b4" --quiet \
    --pseudonym-key "$T/pkey" --algorithm credit > /dev/null
verify_ok "$T/b4"
id3=$(grep '"id"' "$T/b3/manifest.json")
[ "$id3" = "$(grep '"id"' "$T/b4/manifest.json")" ] ||
    fail "one key, two key ids"
p4=$(grep -o '"subject_pseudonym":"[0-9a-f]*"' "$T/b4/records.jsonl" |
    sort -u | wc -l)
[ "$p4" -eq 7 ] || fail "7 subjects, $p4 pseudonyms"

say "core data never leaves: no bundle and no tar holds it"
"$AUDIT" export --store "$STORE" --out "$T/b5" --quiet --class core \
    --allow-important --reveal-subjects --tar > /dev/null
verify_ok "$T/b5"
grep -q '"records": 201' "$T/b5/manifest.json" ||
    fail "core records: $(grep '"core"' "$T/b5/manifest.json")"
no_core "$T"/b1/* "$T"/b2/* "$T"/b3/* "$T"/b4/* "$T"/b5/* "$T"/old/* \
    "$T/b2.tar" "$T/b5.tar"

say "tampering"
fresh
sed -i '1s/617070726f7665/617070726f7666/' "$T/tb/records.jsonl"
tampered "a disclosed value changed" \
    "records.jsonl line 1 (entry 0): its units do not give its leaf_hash"
fresh
sed -i '6d' "$T/tb/records.jsonl"
tampered "a record dropped" \
    "counts.records: the manifest says 1405, the bundle holds 1404"
grep -q "a record of that range was dropped" "$T/err" ||
    fail "the dropped record's range is not named"
fresh
sed -n 3p "$T/b1/records.jsonl" >> "$T/tb/records.jsonl"
tampered "a record added" "line 1406 (entry 2): not after the previous record"
fresh
# Swap the first two commitments of record 0.
awk 'NR == 1 {
	n = 0; s = $0
	while (match(s, /"commitment":"[0-9a-f]*"/)) {
		c[++n] = substr(s, RSTART, RLENGTH)
		s = substr(s, RSTART + RLENGTH)
	}
	i = index($0, c[1]); j = index($0, c[2])
	$0 = substr($0, 1, i - 1) c[2] substr($0, i + length(c[1]), \
	    j - i - length(c[1])) c[1] substr($0, j + length(c[2]))
} { print }' "$T/b1/records.jsonl" > "$T/tb/records.jsonl"
cmp -s "$T/b1/records.jsonl" "$T/tb/records.jsonl" && fail "no swap"
tampered "a commitment swapped" \
    "records.jsonl line 1 (entry 0): its units do not give its leaf_hash"
fresh
sed -i 's/"records": 1405/"records": 1406/' "$T/tb/manifest.json"
tampered "a manifest count edited" "manifest.sig: signs another manifest"
grep -q "counts.records: the manifest says 1406, the bundle holds 1405" \
    "$T/err" || fail "the edited count is not named"
fresh
cp -a "$STORE" "$T/other-key"
rm "$T/other-key/signer.key"
OTHERKEY=$("$AUDIT" keygen --store "$T/other-key" 2> /dev/null)
"$TAMPER" sign "$T/other-key/signer.key" "$(sed -n 2p "$T/b1/checkpoint")" \
    "$(sed -n 3p "$T/b1/checkpoint")" > "$T/tb/checkpoint"
tampered "the checkpoint re-signed with another key" \
    "checkpoint: signature invalid for key $ORIGIN"
expect_rc 3 "$AUDIT" verify-bundle "$T/tb" --key "$OTHERKEY"
grep -q "manifest.sig: signature invalid for key" "$T/err" ||
    fail "the other key passed the manifest: $(cat "$T/err")"
"$AUDIT" export --store "$STORE" --out "$T/b6" --quiet --from-index 100 \
    --to-index 300 > /dev/null
verify_ok "$T/b6"
rm -rf "$T/tb"
cp -a "$T/b6" "$T/tb"
sed -i '3y/0123456789abcdef/123456789abcdef0/' "$T/tb/multiproof.txt"
cmp -s "$T/b6/multiproof.txt" "$T/tb/multiproof.txt" && fail "no change"
tampered "a proof hash changed" "do not lead to the checkpoint's root"

say "--since-bundle: consistency with the older bundle"
"$AUDIT" export --store "$STORE" --out "$T/b7" --quiet --since-bundle \
    "$T/old" --from-index 1500 > /dev/null
verify_ok "$T/b7" --since-bundle "$T/old"
grep -q "the log only grew since the checkpoint at size $OLDSIZE" \
    "$T/vout" || fail "consistency not said: $(cat "$T/vout")"
"$AUDIT" verify-receipt "$T/b7/consistency.json" --key "$VKEY" > /dev/null ||
    fail "verify-receipt on consistency.json"
say "... and a bundle of another log is refused"
STORE="$T/store2"
start_daemon --origin "$ORIGIN"
records 0 50 > "$T/in4.jsonl"
"$AUDIT" log --connect "$EP" --producer shell < "$T/in4.jsonl" > /dev/null
stop_daemon TERM
"$AUDIT" export --store "$STORE" --out "$T/foreign" --quiet > /dev/null
STORE="$T/store"
expect_rc 3 "$AUDIT" export --store "$STORE" --out "$T/b8" --quiet \
    --since-bundle "$T/foreign"
grep -q "does not verify with this log's key.*OLD is not a bundle of this \
log" "$T/err" || fail "foreign OLD: $(cat "$T/err")"
[ ! -e "$T/b8" ] || fail "a refused export left $T/b8"
expect_rc 3 "$AUDIT" verify-bundle "$T/b7" --key "$VKEY" --since-bundle \
    "$T/foreign"
grep -q "consistency.json: starts from another checkpoint" "$T/err" ||
    fail "verify --since-bundle foreign: $(cat "$T/err")"

say "a store whose entries do not match its tree gives no bundle"
cp -a "$STORE" "$T/bad"
"$TAMPER" "$T/bad" get entries u64:5 "$T/e5"
"$TAMPER" "$T/bad" put entries u64:6 "$T/e5"
expect_rc 3 "$AUDIT" export --store "$T/bad" --out "$T/bb" --quiet
grep -q "do not give the root of its checkpoint at size 1405: run \
\`algaudit verify\`" "$T/err" || fail "bad store: $(cat "$T/err")"
[ ! -e "$T/bb" ] || fail "a failed export left $T/bb"

say "never overwrite; usage errors"
expect_rc 1 "$AUDIT" export --store "$STORE" --out "$T/b1" --quiet
grep -q "exists; refusing to overwrite" "$T/err" || fail "overwrite"
touch "$T/b9.tar"
expect_rc 1 "$AUDIT" export --store "$STORE" --out "$T/b9" --tar --quiet
[ ! -e "$T/b9" ] || fail "export wrote b9 although b9.tar exists"
expect_rc 2 "$AUDIT" export --store "$STORE"
expect_rc 2 "$AUDIT" export --store "$STORE" --out "$T/b9" \
    --disclose decison
grep -q "'decison' matches no unit path" "$T/err" || fail "--disclose typo"
expect_rc 2 "$AUDIT" export --store "$STORE" --out "$T/b9" \
    --reveal-subjects --pseudonym-key "$T/pkey"
expect_rc 2 "$AUDIT" export --store "$STORE" --out "$T/b9" --since x
chmod 644 "$T/pkey"
expect_rc 1 "$AUDIT" export --store "$STORE" --out "$T/b9" \
    --pseudonym-key "$T/pkey"
grep -q "readable by group or others" "$T/err" || fail "key mode"
expect_rc 2 "$AUDIT" verify-bundle "$T/b1"
expect_rc 2 "$AUDIT" verify-bundle "$T/b1" --key not-a-key
expect_rc 1 "$AUDIT" verify-bundle "$T/nothing" --key "$VKEY"
echo "t_export: OK"
