/* SPDX-License-Identifier: ISC */
/*
 * wire.c: the few protobuf encodings the I/O thread writes by hand.
 *
 * Records sit in the queue encoded without producer_seq (the seq is
 * assigned later, by the I/O thread). A Batch is written directly from
 * those bytes: each record becomes the Batch field-1 element
 *
 *	0x0a varint(len + 1 + varint_len(seq)) <record bytes> 0x08 varint(seq)
 *
 * that is, the seq (DecisionRecord field 1, varint) appended after the
 * record's other fields, which protobuf parsers accept in any order.
 * The frame around it is the 4-byte length, the ClientFrame field-2 tag
 * 0x12 and the Batch length. Pure functions; no I/O.
 */
#include <string.h>

#include "client.h"
#include "frame.h"

/* Returns the encoded length of a varint. */
size_t
wire_varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Writes a varint; returns its length. */
size_t
wire_varint_put(uint8_t *out, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		out[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[n++] = (uint8_t)v;
	return n;
}

/* Returns the length of the Batch element of a len-byte record. */
size_t
wire_element_len(size_t len, uint64_t seq)
{
	size_t body = len + 1 + wire_varint_len(seq);

	return 1 + wire_varint_len(body) + body;
}

/* Writes the Batch element of a record with its seq; returns its length. */
size_t
wire_element_put(uint8_t *out, const uint8_t *rec, size_t len, uint64_t seq)
{
	size_t body = len + 1 + wire_varint_len(seq), n;

	out[0] = 0x0a;
	n = 1 + wire_varint_put(out + 1, body);
	memcpy(out + n, rec, len);
	n += len;
	out[n++] = 0x08;
	n += wire_varint_put(out + n, seq);
	return n;
}

/*
 * Completes a batch frame. buf holds WIRE_BATCH_PREFIX bytes of room
 * followed by len bytes of elements. Writes the frame header, the
 * ClientFrame tag and the Batch length right-aligned in the room and
 * returns the offset in buf where the frame starts; the frame is
 * WIRE_BATCH_PREFIX - offset + len bytes long.
 */
size_t
wire_batch_close(uint8_t *buf, size_t len)
{
	size_t vlen = wire_varint_len(len), start;

	start = WIRE_BATCH_PREFIX - 1 - vlen - FRAME_HEADER_LEN;
	frame_put_header(buf + start, (uint32_t)(1 + vlen + len));
	buf[start + FRAME_HEADER_LEN] = 0x12;
	wire_varint_put(buf + start + FRAME_HEADER_LEN + 1, len);
	return start;
}

/*
 * Writes the Hello frame for producer into out (room bytes), asking for
 * acknowledgement level ack_level (ALGAUDIT_ACK_*; the durable default
 * is left out) and, when leaves is set, for the leaf hashes. Returns
 * its length, or 0 if it does not fit.
 */
size_t
wire_hello(uint8_t *out, size_t room, const char *producer, int ack_level,
    int leaves)
{
	Algaudit__V1__ClientFrame cf = ALGAUDIT__V1__CLIENT_FRAME__INIT;
	Algaudit__V1__Hello h = ALGAUDIT__V1__HELLO__INIT;

	h.has_protocol_version = 1;
	h.protocol_version = FRAME_PROTOCOL_VERSION;
	h.producer_id = (char *)(uintptr_t)producer;
	h.client_version = (char *)(uintptr_t)"libalgaudit/"
	    ALGAUDIT_VERSION_STRING;
	if (ack_level == ALGAUDIT_ACK_CHECKPOINTED) {
		h.has_ack_level = 1;
		h.ack_level = ALGAUDIT__V1__ACK_LEVEL__ACK_LEVEL_CHECKPOINTED;
	}
	if (leaves) {
		h.has_want_leaf_hashes = 1;
		h.want_leaf_hashes = 1;
	}
	cf.msg_case = ALGAUDIT__V1__CLIENT_FRAME__MSG_HELLO;
	cf.hello = &h;
	if (frame_size(&cf.base) > room)
		return 0;
	return frame_encode(&cf.base, out);
}
