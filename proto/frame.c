/* SPDX-License-Identifier: ISC */
/*
 * frame.c: length-prefix framing and bounded protobuf unpacking.
 *
 * This file decides whether a buffer holds a whole frame, writes frame
 * headers, and unpacks untrusted frame bodies with an allocator that
 * refuses to grow past a cap. It never reads or writes a descriptor and
 * never allocates a buffer sized by a peer: the caller checks the
 * announced length here, against its maximum, before it reads a body.
 */
#include <stdlib.h>
#include <string.h>

#include "frame.h"

/*
 * Looks at the bytes received so far. Returns FRAME_OK when buf holds a
 * whole frame (*need is then its total length, header included),
 * FRAME_NEED_MORE when more bytes are needed (*need is the total length
 * known to be needed so far), or FRAME_TOO_LARGE when the header
 * announces a body longer than max (*need is the announced total).
 */
int
frame_decode(const uint8_t *buf, size_t len, size_t max, size_t *need)
{
	uint32_t body;

	if (len < FRAME_HEADER_LEN) {
		*need = FRAME_HEADER_LEN;
		return FRAME_NEED_MORE;
	}
	body = frame_body_len(buf);
	*need = (size_t)FRAME_HEADER_LEN + body;
	if (body > max)
		return FRAME_TOO_LARGE;
	if (len < *need)
		return FRAME_NEED_MORE;
	return FRAME_OK;
}

/* Returns the body length announced by a 4-byte frame header. */
uint32_t
frame_body_len(const uint8_t *hdr)
{
	return (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | (uint32_t)hdr[3];
}

/* Writes a 4-byte big-endian frame header announcing len body bytes. */
void
frame_put_header(uint8_t *hdr, uint32_t len)
{
	hdr[0] = (uint8_t)(len >> 24);
	hdr[1] = (uint8_t)(len >> 16);
	hdr[2] = (uint8_t)(len >> 8);
	hdr[3] = (uint8_t)len;
}

/*
 * Each block carries its size in front so that the free callback can
 * give the budget back; max_align_t keeps the payload aligned.
 */
union frame_block {
	size_t		fb_size;
	max_align_t	fb_align;
};

/* protobuf-c allocation callback: refuses once the cap is reached. */
static void *
frame_alloc_cb(void *data, size_t size)
{
	struct frame_alloc *fa = data;
	union frame_block *b;

	if (size > fa->fa_cap - fa->fa_used)
		return NULL;
	if ((b = malloc(sizeof(*b) + size)) == NULL)
		return NULL;
	b->fb_size = size;
	fa->fa_used += size;
	return b + 1;
}

/* protobuf-c free callback: returns the block's size to the budget. */
static void
frame_free_cb(void *data, void *p)
{
	struct frame_alloc *fa = data;
	union frame_block *b;

	if (p == NULL)
		return;
	b = (union frame_block *)p - 1;
	fa->fa_used -= b->fb_size;
	free(b);
}

/* Prepares an allocator that hands out at most cap bytes in all. */
void
frame_alloc_init(struct frame_alloc *fa, size_t cap)
{
	fa->fa_pb.alloc = frame_alloc_cb;
	fa->fa_pb.free = frame_free_cb;
	fa->fa_pb.allocator_data = fa;
	fa->fa_used = 0;
	fa->fa_cap = cap;
}

/* Returns the unpack budget for a body of len encoded bytes. */
size_t
frame_unpack_cap(size_t len)
{
	return len * FRAME_UNPACK_FACTOR + FRAME_UNPACK_SLACK;
}

/* Returns the size of msg as a frame, header included. */
size_t
frame_size(const ProtobufCMessage *msg)
{
	return FRAME_HEADER_LEN + protobuf_c_message_get_packed_size(msg);
}

/*
 * Writes msg as a frame into out, which must hold frame_size(msg)
 * bytes. Returns the number of bytes written.
 */
size_t
frame_encode(const ProtobufCMessage *msg, uint8_t *out)
{
	size_t n;

	n = protobuf_c_message_pack(msg, out + FRAME_HEADER_LEN);
	frame_put_header(out, (uint32_t)n);
	return FRAME_HEADER_LEN + n;
}

/*
 * Unpacks a ClientFrame body with the bounded allocator fa (initialised
 * by the caller). Returns NULL when the bytes are not a valid message
 * or would take more memory than fa allows.
 */
Algaudit__V1__ClientFrame *
frame_unpack_client(struct frame_alloc *fa, const uint8_t *body, size_t len)
{
	return algaudit__v1__client_frame__unpack(&fa->fa_pb, len, body);
}

/* Unpacks a ServerFrame body; see frame_unpack_client(). */
Algaudit__V1__ServerFrame *
frame_unpack_server(struct frame_alloc *fa, const uint8_t *body, size_t len)
{
	return algaudit__v1__server_frame__unpack(&fa->fa_pb, len, body);
}

/* Frees a message from frame_unpack_client(); NULL is allowed. */
void
frame_free_client(struct frame_alloc *fa, Algaudit__V1__ClientFrame *m)
{
	if (m != NULL)
		algaudit__v1__client_frame__free_unpacked(m, &fa->fa_pb);
}

/* Frees a message from frame_unpack_server(); NULL is allowed. */
void
frame_free_server(struct frame_alloc *fa, Algaudit__V1__ServerFrame *m)
{
	if (m != NULL)
		algaudit__v1__server_frame__free_unpacked(m, &fa->fa_pb);
}

/* Returns the protocol name of an ErrorCode, e.g. "INVALID_RECORD". */
const char *
frame_strerror_code(int code)
{
	switch (code) {
	case ALGAUDIT__V1__ERROR_CODE__ERROR_PROTOCOL:
		return "PROTOCOL";
	case ALGAUDIT__V1__ERROR_CODE__ERROR_FRAME_TOO_LARGE:
		return "FRAME_TOO_LARGE";
	case ALGAUDIT__V1__ERROR_CODE__ERROR_INVALID_RECORD:
		return "INVALID_RECORD";
	case ALGAUDIT__V1__ERROR_CODE__ERROR_UNAUTHORIZED:
		return "UNAUTHORIZED";
	case ALGAUDIT__V1__ERROR_CODE__ERROR_STORE_FULL:
		return "STORE_FULL";
	case ALGAUDIT__V1__ERROR_CODE__ERROR_SHUTTING_DOWN:
		return "SHUTTING_DOWN";
	case ALGAUDIT__V1__ERROR_CODE__ERROR_VERSION:
		return "VERSION";
	case ALGAUDIT__V1__ERROR_CODE__ERROR_FENCED:
		return "FENCED";
	case ALGAUDIT__V1__ERROR_CODE__ERROR_STORE_FAILED:
		return "STORE_FAILED";
	case ALGAUDIT__V1__ERROR_CODE__ERROR_INTERNAL:
		return "INTERNAL";
	default:
		return "UNKNOWN";
	}
}
