# t_tls.sh: producers over TLS 1.3 with client certificates against the
# real daemon (issue 6), with certificates made here by the openssl CLI:
# a CA, another CA, the daemon's certificate (subjectAltName IP
# 127.0.0.1), and client certificates: valid (CN=prod-a, clientAuth),
# expired, without clientAuth, and from the other CA. With
# --tls-client-ca: no client certificate, the other CA, expired, wrong
# key usage and a TLS 1.2-only client (openssl s_client -tls1_2) are
# refused at the handshake, each shown in the client's log and exit
# status and logged by the daemon, nothing of them stored; the valid
# certificate is accepted and its subject recorded in the entries'
# peer; `allow = cn:prod-a producers=prod-a*` refuses another producer
# id with UNAUTHORIZED; the client refuses a daemon whose certificate
# does not name the address it dials. A producer killed -9 while its
# spool streams over TLS is an EOF to the daemon (no TLS error), which
# keeps serving; restarted with the spool, it resends what was not
# acknowledged, and every record is stored exactly once, in order.
# SIGHUP rotates the daemon's certificate for new connections without
# dropping a producer connected across it, and a rotation to files that
# do not load keeps the previous certificate.
. "$(dirname "$0")/lib.sh"

command -v openssl > /dev/null || skip "SKIP: the openssl command is missing"

PORT=$((20000 + ($$ * 7) % 20000))
TEP="tls:127.0.0.1:$PORT"
P="$T/pki"
mkdir -p "$P/ca/newcerts"

# newkey NAME: an EC P-256 key in $P/NAME.key.
newkey() {
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$P/$1.key" 2> /dev/null
}

# selfca NAME CN: a self-signed CA certificate $P/NAME.pem.
selfca() {
	newkey "$1"
	openssl req -x509 -new -key "$P/$1.key" -out "$P/$1.pem" -days 365 \
	    -subj "/CN=$2" -addext "basicConstraints=critical,CA:TRUE" \
	    -addext "keyUsage=critical,keyCertSign,cRLSign" 2> /dev/null
}

# issue NAME CN CA EXTENSIONS: $P/NAME.pem for CN, signed by CA, with
# the extensions given one per line.
issue() {
	newkey "$1"
	openssl req -new -key "$P/$1.key" -subj "/CN=$2" -out "$P/$1.csr" \
	    2> /dev/null
	printf '%b\n' "$4" > "$P/$1.ext"
	openssl x509 -req -in "$P/$1.csr" -CA "$P/$3.pem" \
	    -CAkey "$P/$3.key" -CAcreateserial -days 365 -sha256 \
	    -extfile "$P/$1.ext" -out "$P/$1.pem" 2> /dev/null
}

say "certificates (openssl $(openssl version | cut -d' ' -f2))"
selfca ca "algaudit test CA"
selfca other "another CA"
issue server algauditd ca "basicConstraints=CA:FALSE
subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
CLIENT_EXT="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
issue client prod-a ca "$CLIENT_EXT"
issue foreign prod-a other "$CLIENT_EXT"
issue wrongku prod-a ca "basicConstraints=CA:FALSE
extendedKeyUsage=serverAuth"
# Expired: OpenSSL 3.0's x509 cannot backdate; its ca command can.
newkey expired
openssl req -new -key "$P/expired.key" -subj "/CN=prod-a" \
    -out "$P/expired.csr" 2> /dev/null
: > "$P/ca/index.txt"
echo 1000 > "$P/ca/serial"
cat > "$P/ca.cnf" <<EOF
[ca]
default_ca = test_ca
[test_ca]
database = $P/ca/index.txt
new_certs_dir = $P/ca/newcerts
serial = $P/ca/serial
default_md = sha256
policy = any
[any]
commonName = supplied
[client]
basicConstraints = CA:FALSE
extendedKeyUsage = clientAuth
EOF
openssl ca -batch -config "$P/ca.cnf" -cert "$P/ca.pem" -keyfile "$P/ca.key" \
    -in "$P/expired.csr" -out "$P/expired.pem" -extensions client \
    -startdate 20200101000000Z -enddate 20200201000000Z -notext \
    2> /dev/null
for c in server client foreign wrongku expired; do
	[ -s "$P/$c.pem" ] || fail "certificate $c not made"
done
out=$(openssl verify -CAfile "$P/ca.pem" "$P/expired.pem" 2>&1 || true)
grep -q "certificate has expired" <<< "$out" || fail "expired.pem: $out"

cat > "$T/algauditd.conf" <<EOF
[daemon]
store = $STORE
listen = $EP
listen = $TEP

[tls]
tls-cert = $P/server.pem
tls-key = $P/server.key
tls-client-ca = $P/ca.pem

[access]
allow = cn:prod-a producers=prod-a*
allow = uid:root producers=*
EOF
"$AUDITD" -n -f "$T/algauditd.conf" > /dev/null || fail "-n refused the file"
"$AUDITD" -f "$T/algauditd.conf" -d -v >> "$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
wait_ready
grep -q "tls: certificate .*client certificates required" "$DAEMON_LOG" ||
    fail "the daemon did not log its TLS context"

# produce NAME CERT [ARGS]: itest_producer over TLS with client
# certificate CERT ("" for none); output in $T/NAME.out, status in RC.
produce() {
	local name="$1" cert="$2"
	local certargs=()
	shift 2
	[ -n "$cert" ] && certargs=(--tls-cert "$P/$cert.pem" --tls-key \
	    "$P/$cert.key")
	set +e
	"$PRODUCER" --connect "$TEP" --producer "$name" --tls-ca "$P/ca.pem" \
	    "${certargs[@]}" "$@" > "$T/$name.out" 2>&1
	RC=$?
	set -e
}

# refused NAME CERT CLIENT_PATTERN DAEMON_PATTERN: a producer with CERT
# fails: its status is not 0, its log says CLIENT_PATTERN and the daemon
# logged DAEMON_PATTERN.
refused() {
	produce "$1" "$2" --count 20 --flush-timeout 1
	[ "$RC" -ne 0 ] || { cat "$T/$1.out"; fail "$1: exit 0"; }
	grep -q -- "$3" "$T/$1.out" || {
		cat "$T/$1.out"
		fail "$1: the client's log lacks '$3'"
	}
	grep -q -- "$4" "$DAEMON_LOG" || fail "$1: the daemon did not log '$4'"
	grep -m 1 -- "$3" "$T/$1.out"
}

say "no client certificate: refused"
refused nocert "" "libalgaudit: .*alert certificate required" \
    "TLS handshake with 127.0.0.1:[0-9]* failed: peer did not return a \
certificate"

say "a certificate from another CA: refused"
refused foreign-1 foreign "libalgaudit: .*alert unknown ca" \
    "TLS handshake with .* failed: .*unable to get local issuer certificate"

say "an expired certificate: refused"
refused expired-1 expired "libalgaudit: .*alert certificate expired" \
    "TLS handshake with .* failed: .*certificate has expired"

say "a certificate without clientAuth: refused"
refused wrongku-1 wrongku "libalgaudit: .*alert unsupported certificate" \
    "TLS handshake with .* failed: .*unsuitable certificate purpose"

say "a TLS 1.2-only client: refused"
set +e
timeout 10 openssl s_client -tls1_2 -connect "127.0.0.1:$PORT" \
    -CAfile "$P/ca.pem" -cert "$P/client.pem" -key "$P/client.key" \
    < /dev/null > "$T/s_client.out" 2>&1
RC=$?
set -e
[ "$RC" -ne 0 ] || { cat "$T/s_client.out"; fail "s_client -tls1_2: exit 0"; }
grep -q "alert protocol version" "$T/s_client.out" || {
	cat "$T/s_client.out"
	fail "s_client -tls1_2: no protocol version alert"
}
grep -q "TLS handshake with .* failed: .*unsupported protocol" \
    "$DAEMON_LOG" || fail "the daemon did not log the TLS 1.2 refusal"

say "the daemon's certificate must name the address dialled"
"$PRODUCER" --connect "$TEP" --producer prod-a-name --tls-ca "$P/ca.pem" \
    --tls-cert "$P/client.pem" --tls-key "$P/client.key" \
    --tls-server-name audit.example --count 5 --flush-timeout 1 \
    > "$T/name.out" 2>&1 && fail "a wrong server name was accepted"
grep -q "libalgaudit: $TEP: tls: certificate verify failed: hostname \
mismatch" "$T/name.out" || { cat "$T/name.out"; fail "no hostname mismatch"; }
"$PRODUCER" --connect "$TEP" --producer prod-a-ca --tls-ca "$P/other.pem" \
    --tls-cert "$P/client.pem" --tls-key "$P/client.key" --count 5 \
    --flush-timeout 1 > "$T/ca.out" 2>&1 && fail "an unknown CA was accepted"
# (The daemon sends tls-cert's chain as given: its certificate alone.)
grep -q "certificate verify failed: unable to get local issuer \
certificate" "$T/ca.out" || { cat "$T/ca.out"; fail "no unknown CA"; }

say "the valid certificate: accepted, its subject recorded"
produce prod-a-1 client --count 5000 --threads 2
[ "$RC" -eq 0 ] || { cat "$T/prod-a-1.out"; fail "prod-a-1: exit $RC"; }
j='{"algorithm":{"id":"credit"},"data_class":"ordinary","decision":'
printf '%s\n' "$j\"approve\"}" "$j\"deny\"}" |
    "$AUDIT" log --connect "$TEP" --producer prod-a-log \
    --tls-ca "$P/ca.pem" --tls-cert "$P/client.pem" \
    --tls-key "$P/client.key" || fail "algaudit log over TLS failed"

say "allow = cn:prod-a producers=prod-a*: another producer id is refused"
produce other-1 client --count 20 --flush-timeout 1
[ "$RC" -ne 0 ] || { cat "$T/other-1.out"; fail "other-1: exit 0"; }
grep -q "daemon error UNAUTHORIZED: .*'other-1'" "$T/other-1.out" || {
	cat "$T/other-1.out"
	fail "other-1: no UNAUTHORIZED in the client's log"
}
grep -q "UNAUTHORIZED: .*'other-1'" "$DAEMON_LOG" ||
    fail "the daemon did not log other-1's refusal"

# served_cn: the subject of the certificate the daemon serves now.
served_cn() {
	openssl s_client -connect "127.0.0.1:$PORT" -CAfile "$P/ca.pem" \
	    -cert "$P/client.pem" -key "$P/client.key" < /dev/null \
	    2> /dev/null | openssl x509 -noout -subject 2> /dev/null
}

say "SIGHUP: a new certificate for new connections, none dropped"
produce prod-a-hup client --count 20000 --rate 4000 &
hup=$!
BG_PIDS+=("$hup")
issue server2 algauditd-2 ca "basicConstraints=CA:FALSE
subjectAltName=IP:127.0.0.1
extendedKeyUsage=serverAuth"
grep -q "CN *= *algauditd$" <<< "$(served_cn)" ||
    fail "served before the rotation: $(served_cn)"
cp "$P/server2.pem" "$P/server.pem"
cp "$P/server2.key" "$P/server.key"
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 100); do
	grep -q "SIGHUP: tls: certificates read again" "$DAEMON_LOG" && break
	sleep 0.05
done
grep -q "SIGHUP: tls: certificates read again" "$DAEMON_LOG" ||
    fail "the reload did not read the certificates again"
grep -q "CN *= *algauditd-2$" <<< "$(served_cn)" ||
    fail "served after the rotation: $(served_cn)"
echo "not a certificate" > "$P/server.pem"
kill -HUP "$DAEMON_PID"
for _ in $(seq 1 100); do
	grep -q "new TLS connections keep the previous" "$DAEMON_LOG" && break
	sleep 0.05
done
grep -q "SIGHUP: tls-cert: $P/server.pem: cannot load the certificate \
chain: .*; new TLS connections keep the previous" "$DAEMON_LOG" ||
    fail "a broken certificate file was not reported"
grep -q "CN *= *algauditd-2$" <<< "$(served_cn)" ||
    fail "served after a failed rotation: $(served_cn)"
cp "$P/server2.pem" "$P/server.pem"
wait "$hup" || { cat "$T/prod-a-hup.out"; fail "prod-a-hup failed"; }
grep -q "reconnects 0" "$T/prod-a-hup.out" || {
	cat "$T/prod-a-hup.out"
	fail "the producer connected across the reloads reconnected"
}

say "kill -9 mid-stream over TLS, then the spool is resent"
stop_daemon
# The daemon is away: the producer's records go to its spool.
"$PRODUCER" --connect "$TEP" --producer prod-a-kill --tls-ca "$P/ca.pem" \
    --tls-cert "$P/client.pem" --tls-key "$P/client.key" \
    --count 150000 --queue 4000 --spool "$T/spool" --flush-timeout 60 \
    > "$T/kill1.out" 2>&1 &
victim=$!
BG_PIDS+=("$victim")
for _ in $(seq 1 200); do
	kb=$(du -sk "$T/spool" 2> /dev/null | cut -f1 || true)
	[ "${kb:-0}" -gt 20000 ] && break
	sleep 0.05
done
spooled_kb=$(du -sk "$T/spool" | cut -f1)
[ "$spooled_kb" -gt 20000 ] || fail "only $spooled_kb KiB spooled"
"$AUDITD" -f "$T/algauditd.conf" -d -v >> "$DAEMON_LOG" 2>&1 &
DAEMON_PID=$!
wait_ready
# Kill it once the daemon has stored part of what it streams.
for _ in $(seq 1 400); do
	n=$("$AUDIT" query --store "$STORE" --producer prod-a-kill --count \
	    2> /dev/null || true)
	[ "${n:-0}" -gt 2000 ] && break
	sleep 0.02
done
kill -0 "$victim" 2> /dev/null || fail "the producer finished before the kill"
kill -9 "$victim"
wait "$victim" 2> /dev/null || true
[ "${n:-0}" -gt 0 ] || fail "nothing of prod-a-kill stored before the kill"
n_at_kill=$("$AUDIT" query --store "$STORE" --producer prod-a-kill --count)
conn=$(grep "producer 'prod-a-kill'" "$DAEMON_LOG" | tail -n 1 |
    sed -n 's/.*conn \([0-9]*\):.*/\1/p')
[ -n "$conn" ] || fail "no connection of prod-a-kill in the daemon log"
for _ in $(seq 1 100); do
	grep -q "conn $conn: peer closed" "$DAEMON_LOG" && break
	sleep 0.05
done
grep -q "conn $conn: peer closed" "$DAEMON_LOG" || {
	grep "conn $conn:" "$DAEMON_LOG" | tail -n 5
	fail "the daemon did not see the kill as an end of stream"
}
if grep -q "conn $conn: TLS error" "$DAEMON_LOG"; then
	fail "the daemon logged the kill as a TLS error"
fi
kill -0 "$DAEMON_PID" || fail "the daemon died"
say "restart with the spool ($n_at_kill stored at the kill)"
"$PRODUCER" --connect "$TEP" --producer prod-a-kill --tls-ca "$P/ca.pem" \
    --tls-cert "$P/client.pem" --tls-key "$P/client.key" --count 0 \
    --spool "$T/spool" --flush-timeout 30 > "$T/kill2.out" 2>&1 || {
	cat "$T/kill2.out"
	fail "the restarted producer failed"
}
cat "$T/kill2.out"
acked=$(sed -n 's/.* acked \([0-9]*\) .*/\1/p' "$T/kill2.out")
[ "${acked:-0}" -gt 0 ] || fail "the restarted producer resent nothing"
stop_daemon
[ "$DAEMON_RC" -eq 0 ] || fail "daemon exit $DAEMON_RC"

say "what was stored: each record once, nothing of the refused"
"$CHECKER" --store "$STORE" --expect prod-a-1:2:5000 \
    --expect prod-a-hup:1:20000 \
    --expect prod-a-kill:1:prefix > "$T/check.out" || {
	cat "$T/check.out"
	fail "itest_check"
}
cat "$T/check.out"
total=$(sed -n 's/itest_check: prod-a-kill: \([0-9]*\) records.*/\1/p' \
    "$T/check.out")
[ "${total:-0}" -gt "$n_at_kill" ] ||
    fail "prod-a-kill: $total records, no more than the $n_at_kill before"
"$AUDIT" query --store "$STORE" --format jsonl > "$T/all.jsonl"
for p in nocert foreign-1 expired-1 wrongku-1 prod-a-name prod-a-ca \
    other-1; do
	if grep -q "\"producer_id\":\"$p\"" "$T/all.jsonl"; then
		fail "$p was refused but has entries"
	fi
done
n=$(grep '"producer_id":"prod-a-1"' "$T/all.jsonl" |
    grep -c '"tls_subject":"CN=prod-a"')
[ "$n" -eq 10000 ] || fail "$n of prod-a-1's 10000 entries carry CN=prod-a"
n=$(grep '"producer_id":"prod-a-log"' "$T/all.jsonl" |
    grep -c '"tls_subject":"CN=prod-a"')
[ "$n" -eq 2 ] || fail "$n of algaudit log's 2 entries carry CN=prod-a"
"$AUDIT" verify --store "$STORE" > /dev/null || fail "verify failed"
