# t_tamper.sh: tampering with a real store is detected (issue 4). The
# daemon writes a store through the real client and stops; each case
# edits a copy (cp -a) with itest_tamper, straight in LMDB, as an
# operator with write access could, and `algaudit verify` must exit 3
# naming the right index and reason: one byte of an entry flipped, an
# entry deleted, two entries swapped, a forged entry inserted (in the
# middle, renumbering the rest, and past the end), the tail truncated
# below a checkpoint, a checkpoint replaced by one signed by another key,
# a checkpoint re-signed with the log's own key over another root, a
# producer mark changed, a leaf hash and an upper tile hash changed. A
# proof or a receipt with one hash changed fails verify-receipt (and
# Go's tlog.CheckRecord when Go is there). The untouched copy verifies.
. "$(dirname "$0")/lib.sh"

TAMPER="$BUILD/tests/itest_tamper"
GOPKG=/usr/share/gocode/src/golang.org/x/mod/sumdb
GOV=""

# copy NAME: a fresh copy of the stopped store at $T/NAME.
copy() {
	rm -rf "${T:?}/$1"
	cp -a "$STORE" "$T/$1"
}

# tampered NAME PATTERN: verify of copy NAME must exit 3 and print an
# error matching PATTERN (grep -E).
tampered() {
	local rc
	set +e
	"$AUDIT" verify --store "$T/$1" --quiet > "$T/$1.out" 2> "$T/$1.err"
	rc=$?
	set -e
	echo "$1: exit $rc: $(cat "$T/$1.err")"
	[ $rc -eq 3 ] || fail "$1: verify exited $rc, expected 3"
	grep -Eq "$2" "$T/$1.err" || fail "$1: no '$2' in the error"
}

# flip_hash FILE: flips the first hex digit of the first proof hash.
flip_hash() {
	local h new
	h=$(awk '/"proof"/ { p = 1; next }
	    p && /"[0-9a-f]+"/ { gsub(/[ ",]/, ""); print; exit }' "$1")
	[ -n "$h" ] || fail "no proof hash in $1"
	if [ "${h:0:1}" = 0 ]; then new="1${h:1}"; else new="0${h:1}"; fi
	sed -i "s/$h/$new/" "$1"
}

say "a store written by the daemon: 2 producers, checkpoints every 400"
start_daemon --origin tamper.example/log --checkpoint-entries 400 \
    --checkpoint-interval 3600000
"$PRODUCER" --connect "$EP" --producer t1 --count 1000 --threads 2 \
    > /dev/null
"$PRODUCER" --connect "$EP" --producer t2 --count 1000 > /dev/null
stop_daemon TERM
N=3000
VKEY=$("$AUDIT" key --store "$STORE")
"$AUDIT" checkpoint --store "$STORE" --list > "$T/sizes"
LATEST=$(tail -n 1 "$T/sizes")
[ "$LATEST" -eq $N ] || fail "latest checkpoint $LATEST, not $N"
C1=$(sed -n 2p "$T/sizes")
copy clean
"$AUDIT" verify --store "$T/clean" --quiet || fail "the copy does not verify"

say "flip one byte of an entry"
copy flip
"$TAMPER" "$T/flip" get entries u64:1234 "$T/e.bin"
off=$(grep -obUa "subject-" "$T/e.bin" | head -n 1 | cut -d: -f1)
[ -n "$off" ] || fail "no subject in entry 1234"
printf 'S' | dd of="$T/e.bin" bs=1 seek="$off" conv=notrunc 2> /dev/null
"$TAMPER" "$T/flip" put entries u64:1234 "$T/e.bin"
tampered flip "entry 1234: content changed"

say "flip one byte so that the entry no longer decodes"
copy garble
"$TAMPER" "$T/garble" get entries u64:77 "$T/e.bin"
printf '\377' | dd of="$T/e.bin" bs=1 seek=0 conv=notrunc 2> /dev/null
"$TAMPER" "$T/garble" put entries u64:77 "$T/e.bin"
tampered garble "entry 77: content changed: .*do not decode"

say "delete an entry"
copy del
"$TAMPER" "$T/del" del entries u64:2000
tampered del "entry 2000: entry missing"

say "swap two entries"
copy swap
"$TAMPER" "$T/swap" get entries u64:100 "$T/a.bin"
"$TAMPER" "$T/swap" get entries u64:2500 "$T/b.bin"
"$TAMPER" "$T/swap" put entries u64:100 "$T/b.bin"
"$TAMPER" "$T/swap" put entries u64:2500 "$T/a.bin"
tampered swap "entry 100: order changed: entries 100 and 2500 are swapped"

say "insert a forged entry at 2995, the rest renumbered"
copy insert
for i in 2999 2998 2997 2996 2995; do
	"$TAMPER" "$T/insert" get entries "u64:$i" "$T/e.bin"
	"$TAMPER" "$T/insert" put entries "u64:$((i + 1))" "$T/e.bin"
done
"$TAMPER" "$T/insert" get entries u64:2995 "$T/e.bin"
off=$(grep -obUa "subject-" "$T/e.bin" | head -n 1 | cut -d: -f1)
printf 'F' | dd of="$T/e.bin" bs=1 seek="$off" conv=notrunc 2> /dev/null
"$TAMPER" "$T/insert" put entries u64:2995 "$T/e.bin"
tampered insert \
    "entry 2995: entry inserted: a forged entry sits at index 2995"

say "append a forged entry past the tree"
copy append
"$TAMPER" "$T/append" get entries u64:2999 "$T/e.bin"
"$TAMPER" "$T/append" put entries u64:3000 "$T/e.bin"
tampered append \
    "entry 3000: entry inserted: .* 3001 entries but the Merkle tree only 3000"

say "truncate the tail below a checkpoint"
copy trunc
for i in $(seq 2950 2999); do
	"$TAMPER" "$T/trunc" del entries "u64:$i"
done
tampered trunc "entry 2950: tail truncated below a checkpoint"

say "replace a checkpoint with one signed by another key"
copy otherkey
"$TAMPER" keygen tamper.example/log "$T/other.key"
"$AUDIT" checkpoint --store "$STORE" --size "$C1" > "$T/c1.note"
"$TAMPER" sign "$T/other.key" "$C1" "$(sed -n 3p "$T/c1.note")" \
    > "$T/forged.note"
"$TAMPER" "$T/otherkey" put checkpoints "u64:$C1" "$T/forged.note"
tampered otherkey "checkpoint at size $C1: checkpoint signature invalid"

say "re-sign a checkpoint with the log's own key over another root"
copy reroot
"$AUDIT" checkpoint --store "$STORE" --size "$(head -n 1 "$T/sizes")" \
    > "$T/c0.note"
"$TAMPER" sign "$STORE/signer.key" "$C1" "$(sed -n 3p "$T/c0.note")" \
    > "$T/reroot.note"
"$TAMPER" "$T/reroot" put checkpoints "u64:$C1" "$T/reroot.note"
tampered reroot "checkpoint at size $C1: checkpoint root mismatch"

say "change a producer mark"
copy mark
"$TAMPER" "$T/mark" get producers str:t2 "$T/m.bin"
# The first 8 bytes are the durable seq (1000): make it 999.
printf '\000\000\000\000\000\000\003\347' |
    dd of="$T/m.bin" bs=1 seek=0 conv=notrunc 2> /dev/null
"$TAMPER" "$T/mark" put producers str:t2 "$T/m.bin"
tampered mark "producer mark mismatch: producer 't2' has 1000 entries up to \
seq 1000, its mark says 1000 entries up to seq 999"

say "change a leaf hash in the tiles"
copy leaf
"$TAMPER" "$T/leaf" get tiles tile:0:3 "$T/t.bin"
printf 'X' | dd of="$T/t.bin" bs=1 seek=$((32 * 10)) conv=notrunc \
    2> /dev/null
"$TAMPER" "$T/leaf" put tiles tile:0:3 "$T/t.bin"
tampered leaf "entry 778: content changed"

say "change an upper tile hash"
copy tile1
"$TAMPER" "$T/tile1" get tiles tile:1:0 "$T/t.bin"
printf 'X' | dd of="$T/t.bin" bs=1 seek=$((32 * 5 + 7)) conv=notrunc \
    2> /dev/null
"$TAMPER" "$T/tile1" put tiles tile:1:0 "$T/t.bin"
tampered tile1 "entry 1280: tree tile corrupted: hash 5 of tile 1/0"

say "a proof and a receipt with one hash changed"
"$AUDIT" prove --store "$STORE" --index 1234 > "$T/p.json"
"$AUDIT" verify-receipt "$T/p.json" --key "$VKEY" > /dev/null ||
    fail "the untouched proof does not verify"
cp "$T/p.json" "$T/pbad.json"
flip_hash "$T/pbad.json"
cmp -s "$T/p.json" "$T/pbad.json" && fail "the proof did not change"
set +e
"$AUDIT" verify-receipt "$T/pbad.json" --key "$VKEY" 2> "$T/pbad.err"
rc=$?
set -e
cat "$T/pbad.err"
[ $rc -eq 3 ] || fail "changed proof: exit $rc"
grep -q "inclusion proof of leaf 1234 does not lead to the root" \
    "$T/pbad.err" || fail "changed proof: wrong reason"
"$AUDIT" receipt --store "$STORE" --index 1234 > "$T/r.json"
"$AUDIT" verify-receipt "$T/r.json" --key "$VKEY" > /dev/null ||
    fail "the untouched receipt does not verify"
c=$(grep -o 'index 1234\\n.' "$T/r.json" | tail -c 2)
if [ "$c" = A ]; then d=B; else d=A; fi
sed "s/index 1234\\\\n$c/index 1234\\\\n$d/" "$T/r.json" > "$T/rbad.json"
cmp -s "$T/r.json" "$T/rbad.json" && fail "the receipt did not change"
set +e
"$AUDIT" verify-receipt "$T/rbad.json" --key "$VKEY" 2> "$T/rbad.err"
rc=$?
set -e
cat "$T/rbad.err"
[ $rc -eq 3 ] || fail "changed receipt proof: exit $rc"
grep -q "inclusion proof of entry 1234 does not lead to the root" \
    "$T/rbad.err" || fail "changed receipt proof: wrong reason"
if command -v go > /dev/null 2>&1 && [ -d "$GOPKG/tlog" ]; then
	(cd "$(dirname "$0")/../.." &&
	    GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
	    GOCACHE="$BUILD/interop/gocache" \
	    go build -o "$BUILD/interop/verify_go" tests/interop/verify.go) ||
	    fail "go build"
	GOV="$BUILD/interop/verify_go"
	"$GOV" cli "$VKEY" "$T/p.json" "$T/r.json"
	for f in pbad rbad; do
		set +e
		"$GOV" cli "$VKEY" "$T/$f.json"
		rc=$?
		set -e
		[ $rc -eq 1 ] || fail "Go accepted $f.json"
	done
fi
"$AUDIT" verify --store "$T/clean" --quiet > /dev/null ||
    fail "the clean copy no longer verifies"
echo "t_tamper: ok"
