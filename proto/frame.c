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

/* A chunk of the arena; the payload follows, max_align_t aligned. */
struct frame_chunk {
	struct frame_chunk	*fc_next;
	max_align_t		 fc_align[];
};

#define FRAME_CHUNK_MIN		(16u * 1024)
#define FRAME_CHUNK_MAX		(1024u * 1024)
#define FRAME_ALIGN		(sizeof(max_align_t))

/* protobuf-c allocation callback: bump-allocates, refuses past the cap. */
static void *
frame_alloc_cb(void *data, size_t size)
{
	struct frame_alloc *fa = data;
	struct frame_chunk *c;
	size_t csize;
	void *p;

	size = (size + FRAME_ALIGN - 1) & ~(FRAME_ALIGN - 1);
	if (size == 0)
		size = FRAME_ALIGN;
	if (size > fa->fa_cap - fa->fa_used)
		return NULL;
	if (size > fa->fa_left) {
		csize = fa->fa_chunk_size;
		if (csize < size)
			csize = size;
		if ((c = malloc(sizeof(*c) + csize)) == NULL)
			return NULL;
		c->fc_next = fa->fa_chunks;
		fa->fa_chunks = c;
		fa->fa_next = (uint8_t *)c->fc_align;
		fa->fa_left = csize;
		if (fa->fa_chunk_size < FRAME_CHUNK_MAX)
			fa->fa_chunk_size *= 2;
	}
	p = fa->fa_next;
	fa->fa_next += size;
	fa->fa_left -= size;
	fa->fa_used += size;
	return p;
}

/*
 * protobuf-c free callback: nothing to do, the arena is released whole
 * by frame_alloc_release().
 */
static void
frame_free_cb(void *data, void *p)
{
	(void)data;
	(void)p;
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
	fa->fa_chunks = NULL;
	fa->fa_next = NULL;
	fa->fa_left = 0;
	fa->fa_chunk_size = FRAME_CHUNK_MIN;
}

/* Frees everything the allocator handed out; it may be reused. */
void
frame_alloc_release(struct frame_alloc *fa)
{
	struct frame_chunk *c, *next;

	for (c = fa->fa_chunks; c != NULL; c = next) {
		next = c->fc_next;
		free(c);
	}
	fa->fa_chunks = NULL;
	fa->fa_next = NULL;
	fa->fa_left = 0;
	fa->fa_used = 0;
	fa->fa_chunk_size = FRAME_CHUNK_MIN;
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
	Algaudit__V1__ClientFrame *m;

	if ((m = algaudit__v1__client_frame__unpack(&fa->fa_pb, len, body)) ==
	    NULL)
		frame_alloc_release(fa);
	return m;
}

/* Unpacks a ServerFrame body; see frame_unpack_client(). */
Algaudit__V1__ServerFrame *
frame_unpack_server(struct frame_alloc *fa, const uint8_t *body, size_t len)
{
	Algaudit__V1__ServerFrame *m;

	if ((m = algaudit__v1__server_frame__unpack(&fa->fa_pb, len, body)) ==
	    NULL)
		frame_alloc_release(fa);
	return m;
}

/*
 * Frees a message from frame_unpack_client() by releasing its arena; no
 * walk over the message is needed. NULL is allowed.
 */
void
frame_free_client(struct frame_alloc *fa, Algaudit__V1__ClientFrame *m)
{
	(void)m;
	frame_alloc_release(fa);
}

/* Frees a message from frame_unpack_server(); see frame_free_client(). */
void
frame_free_server(struct frame_alloc *fa, Algaudit__V1__ServerFrame *m)
{
	(void)m;
	frame_alloc_release(fa);
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
