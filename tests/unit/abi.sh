#!/bin/sh
# abi.sh: checks that the shared client library exports only the public
# API: every dynamic symbol it defines starts with algaudit_, and every
# function of client/include/algaudit.h is exported.
#
#	tests/unit/abi.sh [build/libalgaudit.so]
set -eu

lib=${1:-build/libalgaudit.so}
hdr=client/include/algaudit.h
[ -f "$lib" ] || { echo "abi.sh: $lib: not found" >&2; exit 1; }

bad=$(nm -D --defined-only "$lib" | awk '{ print $3 }' |
    grep -v '^algaudit_' || true)
if [ -n "$bad" ]; then
	echo "abi.sh: $lib exports symbols outside algaudit_*:" >&2
	echo "$bad" >&2
	exit 1
fi
missing=""
for f in $(sed -n 's/.*ALGAUDIT_API [^(]*[ *]\(algaudit_[a-z_]*\)(.*/\1/p' \
    "$hdr"); do
	nm -D --defined-only "$lib" | awk '{ print $3 }' | grep -qx "$f" ||
	    missing="$missing $f"
done
if [ -n "$missing" ]; then
	echo "abi.sh: declared in $hdr but not exported:$missing" >&2
	exit 1
fi
soname=$(objdump -p "$lib" | awk '/SONAME/ { print $2 }')
if [ "$soname" != "libalgaudit.so.0" ]; then
	echo "abi.sh: soname is '$soname', expected libalgaudit.so.0" >&2
	exit 1
fi
echo "abi: $lib exports only algaudit_* ($(nm -D --defined-only "$lib" |
    wc -l) symbols), soname $soname"
