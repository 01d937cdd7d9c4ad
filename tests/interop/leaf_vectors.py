#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
#
# leaf_vectors.py: an independent implementation of the commitment leaf
# (docs/VERIFIABLE.md, "Commitment leaf") written from the document
# alone, in Python with no protobuf: it prints the worked vectors that
# the document shows and tests/unit/check_leaf.c checks. If this script
# and store/leaf.c disagree, one of them does not follow the document.
#
# Usage: python3 tests/interop/leaf_vectors.py   (needs `cryptography`
# for AES; prints one "name value" line per item)
import hashlib
import hmac
import struct
import sys

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

STRING, BYTES, UINT, INT, DOUBLE, BOOL, ENUM, MESSAGE = range(1, 9)


def enc(t, v):
    """Canonical value: type tag, then the payload."""
    if t in (STRING, BYTES):
        b = v.encode() if t == STRING else v
        return bytes([t]) + struct.pack(">I", len(b)) + b
    if t == UINT:
        return bytes([t]) + struct.pack(">Q", v)
    if t == INT:
        return bytes([t]) + struct.pack(">q", v)
    if t == DOUBLE:
        return bytes([t]) + struct.pack(">d", v)
    if t == BOOL:
        return bytes([t, 1 if v else 0])
    if t == ENUM:
        return bytes([t]) + struct.pack(">i", v)
    if t == MESSAGE:  # v: list of (field number, type, value)
        body = b"".join(bytes([n]) + enc(ft, fv) for n, ft, fv in v)
        return bytes([t]) + struct.pack(">I", len(body)) + body
    raise ValueError(t)


def entry_secret(master, index):
    return hmac.new(master, b"algaudit/v1/entry" + struct.pack(">Q", index),
                    hashlib.sha256).digest()


def salts(secret, n):
    aes = Cipher(algorithms.AES(secret), modes.ECB()).encryptor()
    blocks = b"".join(b"algaudit" + struct.pack(">Q", j) for j in range(n))
    out = aes.update(blocks) + aes.finalize()
    return [out[16 * j:16 * j + 16] for j in range(n)]


def commit(salt, value):
    return hashlib.sha256(b"\x02" + salt + value).digest()


def leaf(index, units):
    """units: list of (path, commitment) in leaf order."""
    b = b"algaudit/v1/leaf" + struct.pack(">QI", index, len(units))
    for path, c in units:
        p = path.encode()
        b += bytes([len(p)]) + p + c
    return b


def vector(name, master, index, units):
    """units: list of (path, canonical value bytes) in leaf order."""
    sec = entry_secret(master, index)
    ss = salts(sec, len(units))
    out = [(name + ".entry_secret", sec.hex())]
    pcs = []
    for j, (path, val) in enumerate(units):
        c = commit(ss[j], val)
        pcs.append((path, c))
        out.append((name + ".unit." + path + ".salt", ss[j].hex()))
        out.append((name + ".unit." + path + ".value", val.hex()))
        out.append((name + ".unit." + path + ".commitment", c.hex()))
    lb = leaf(index, pcs)
    out.append((name + ".leaf_bytes", lb.hex()))
    out.append((name + ".leaf_hash", hashlib.sha256(b"\x00" + lb).hexdigest()))
    return out


MASTER = bytes(range(32))

# Vector 1: a typical credit decision (21 units).
V1 = [
    ("entry.receive_time_ns", enc(INT, 1700000000123456789)),
    ("entry.producer_id", enc(STRING, "credit-api@host-7")),
    ("entry.peer", enc(MESSAGE, [(1, UINT, 1000), (2, UINT, 1000),
                                 (3, UINT, 4242), (5, STRING, "unix")])),
    ("producer_seq", enc(UINT, 7)),
    ("event_time_ns", enc(INT, 1700000000000000000)),
    ("algorithm", enc(MESSAGE, [(1, STRING, "credit-score"),
                                (2, STRING, "2.3.1"), (3, ENUM, 5),
                                (4, STRING, "CN-ALG-2024-0042")])),
    ("subject", enc(STRING, "s:9f2c5e0a41b7d3c8")),
    ("decision", enc(STRING, "approve")),
    ("score", enc(DOUBLE, 0.82)),
    ("inputs[0]", enc(MESSAGE, [(1, STRING, "income"), (3, DOUBLE, 52000.0),
                                (5, ENUM, 2)])),
    ("inputs[1]", enc(MESSAGE, [(1, STRING, "region"), (2, STRING, "north"),
                                (5, ENUM, 1)])),
    ("inputs[2]", enc(MESSAGE, [(1, STRING, "has_default"),
                                (4, BOOL, False), (5, ENUM, 1)])),
    ("explanation.attributions[0]", enc(MESSAGE, [(1, STRING, "income"),
                                                  (2, DOUBLE, 0.41)])),
    ("explanation.attributions[1]", enc(MESSAGE, [(1, STRING, "region"),
                                                  (2, DOUBLE, -0.05)])),
    ("explanation.reason_codes[0]", enc(STRING, "R01")),
    ("automation", enc(ENUM, 1)),
    ("data_class", enc(ENUM, 2)),
    ("jurisdiction", enc(STRING, "CN")),
    ("purpose", enc(STRING, "credit-limit")),
    ("trace_id", enc(STRING, "4bf92f3577b34da6")),
    ("labels[0]", enc(MESSAGE, [(1, STRING, "channel"), (2, STRING, "app")])),
]

# Vector 2: every other type and edge (empty string, -0.0, negative
# int, bytes, text, loss record); no peer, no algorithm.
V2 = [
    ("entry.producer_id", enc(STRING, "batch-job")),
    ("producer_seq", enc(UINT, 18446744073709551615)),
    ("event_time_ns", enc(INT, -1)),
    ("subject", enc(STRING, "")),
    ("score", enc(DOUBLE, -0.0)),
    ("input_digest", enc(BYTES, bytes([0xde, 0xad, 0xbe, 0xef]))),
    ("explanation.text", enc(STRING, "收入高于阈值")),
    ("reviewer", enc(STRING, "alice")),
    ("decision_id", enc(STRING, "d-1")),
    ("lost_records", enc(UINT, 3)),
]

# Vector 3: a record whose event time is an hour ahead of its receipt,
# flagged by the daemon (entry.clock_skewed after the other daemon
# units); the peer is a TLS client.
V3 = [
    ("entry.receive_time_ns", enc(INT, 1700000000000000000)),
    ("entry.producer_id", enc(STRING, "fraud@edge-3")),
    ("entry.peer", enc(MESSAGE, [(4, STRING, "CN=edge-3"),
                                 (5, STRING, "10.0.0.3:50212")])),
    ("entry.clock_skewed", enc(BOOL, True)),
    ("producer_seq", enc(UINT, 1)),
    ("event_time_ns", enc(INT, 1700003600000000000)),
    ("algorithm", enc(MESSAGE, [(1, STRING, "fraud-block"),
                                (2, STRING, "1")])),
    ("decision", enc(STRING, "block")),
    ("data_class", enc(ENUM, 1)),
]

for k, v in (vector("v1", MASTER, 42, V1) + vector("v2", MASTER, 0, V2) +
             vector("v3", MASTER, 7, V3)):
    print(k, v)
