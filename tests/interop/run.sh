#!/bin/sh
# run.sh: interoperability test against Go's own libraries.
#
# Builds tests/interop/gen_vectors.c (our store/merkle.c, leaf.c and
# note.c) and tests/interop/verify.go (golang.org/x/mod/sumdb/note and
# sumdb/tlog from Debian's golang-golang-x-mod-dev, GOPATH mode, no
# network), generates a signed tree of 100037 commitment leaves and its
# tiles, lets Go verify checkpoints, tiles, proofs and leaves and refuse
# tampered checkpoints, then lets our code verify what Go signed and
# proved. Exit 0 if all holds, 1 if not, 77 (skip) without Go.
#
# Usage: tests/interop/run.sh   (BUILD=dir to build elsewhere, CC=...)
set -eu

GOPKG=/usr/share/gocode/src/golang.org/x/mod/sumdb
if ! command -v go >/dev/null 2>&1 || [ ! -d "$GOPKG/note" ] ||
    [ ! -d "$GOPKG/tlog" ]; then
	echo "interop: skipped: needs golang-go and golang-golang-x-mod-dev" \
	    "(scripts/install-deps installs them)" >&2
	exit 77
fi

case "$0" in
*/*)	cd "${0%/*}/../.." ;;
*)	cd ../.. ;;
esac
BUILD="${BUILD:-build}"
CC="${CC:-cc}"

OUT="$BUILD/interop"
mkdir -p "$OUT"
make -s BUILD="$BUILD" "$BUILD/gen/algaudit.pb-c.h"

WARN="-Wall -Wextra -Werror -Wformat=2 -Wshadow -Wpointer-arith
-Wcast-qual -Wstrict-prototypes -Wmissing-prototypes
-Wmissing-declarations -Wwrite-strings -Wundef
-Wdeclaration-after-statement"
# The generated protobuf code does not meet our warning set.
# shellcheck disable=SC2086
$CC -std=c11 -O2 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -I"$BUILD/gen" -c -o "$OUT/algaudit.pb-c.o" "$BUILD/gen/algaudit.pb-c.c"
# shellcheck disable=SC2086
$CC -std=c11 -O2 -g $WARN -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
    -I"$BUILD/gen" -Iproto -Istore -o "$OUT/gen_vectors" \
    tests/interop/gen_vectors.c store/merkle.c store/leaf.c store/note.c \
    "$OUT/algaudit.pb-c.o" -lcrypto -lprotobuf-c

GO111MODULE=off GOPATH=/usr/share/gocode GOFLAGS= GOPROXY=off \
    GOCACHE="$(cd "$OUT" && pwd)/gocache" \
    go build -o "$OUT/verify_go" tests/interop/verify.go

rm -rf "$OUT/vectors"
"$OUT/gen_vectors" "$OUT/vectors"
"$OUT/verify_go" "$OUT/vectors"
"$OUT/gen_vectors" verify "$OUT/vectors"
