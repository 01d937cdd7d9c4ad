/* SPDX-License-Identifier: ISC */
/*
 * frame.h: the wire protocol constants and the length-prefix framing
 * shared by the client library and the daemon. Neither redefines them.
 *
 * A frame is a 4-byte unsigned big-endian length N followed by N bytes
 * of one protobuf message (ClientFrame or ServerFrame). Everything here
 * is pure: no I/O, no libevent, no globals, so it can be unit-tested and
 * fuzzed on its own.
 */
#ifndef ALGAUDIT_FRAME_H
#define ALGAUDIT_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "algaudit.pb-c.h"

#define FRAME_PROTOCOL_VERSION	1
#define FRAME_HEADER_LEN	4
#define FRAME_MAX_DEFAULT	(4u * 1024 * 1024)	/* 4 MiB */
#define FRAME_MAX_LIMIT		(64u * 1024 * 1024)	/* largest we allow */
#define FRAME_MIN_LIMIT		1024			/* smallest we allow */

/*
 * How much memory an unpacked message may take, as a multiple of its
 * encoded size plus a constant. protobuf-c allocates one struct per
 * sub-message and one pointer per repeated element, so a hostile frame
 * of many empty sub-messages expands; this bounds it. The factor must
 * cover the densest *valid* batch: the smallest valid record is 17
 * bytes on the wire and 352 bytes unpacked (a DecisionRecord and an
 * Algorithm struct, two short strings, a pointer: 21x); every other
 * valid element expands less (tests/unit/check_frame.c checks this).
 * A 4 MiB frame may so take up to 128 MiB while it is unpacked.
 */
#define FRAME_UNPACK_FACTOR	32
#define FRAME_UNPACK_SLACK	(64u * 1024)

enum frame_status {
	FRAME_OK = 0,		/* a whole frame is in the buffer */
	FRAME_NEED_MORE,	/* *need bytes are needed in total */
	FRAME_TOO_LARGE		/* the header announces more than max */
};

struct frame_chunk;

/*
 * An arena allocator for unpacking untrusted bytes: it refuses to hand
 * out more than its cap, and serves protobuf-c's many small allocations
 * from a few chunks, so unpacking a batch costs a handful of malloc()
 * calls and freeing it (possibly on another thread) as many free()s.
 * It must outlive the message unpacked with it; free that message with
 * frame_free_client()/frame_free_server(), which release the arena.
 * One message per allocator at a time.
 */
struct frame_alloc {
	ProtobufCAllocator	 fa_pb;		/* pass &fa_pb to protobuf-c */
	size_t			 fa_used;	/* bytes handed out */
	size_t			 fa_cap;
	struct frame_chunk	*fa_chunks;	/* newest first */
	uint8_t			*fa_next;	/* free space in the newest */
	size_t			 fa_left;
	size_t			 fa_chunk_size;	/* size of the next chunk */
};

int	 frame_decode(const uint8_t *, size_t, size_t, size_t *);
uint32_t frame_body_len(const uint8_t *);
void	 frame_put_header(uint8_t *, uint32_t);

void	 frame_alloc_init(struct frame_alloc *, size_t);
void	 frame_alloc_release(struct frame_alloc *);
size_t	 frame_unpack_cap(size_t);

size_t	 frame_size(const ProtobufCMessage *);
size_t	 frame_encode(const ProtobufCMessage *, uint8_t *);

Algaudit__V1__ClientFrame *frame_unpack_client(struct frame_alloc *,
	    const uint8_t *, size_t);
Algaudit__V1__ServerFrame *frame_unpack_server(struct frame_alloc *,
	    const uint8_t *, size_t);
void	 frame_free_client(struct frame_alloc *, Algaudit__V1__ClientFrame *);
void	 frame_free_server(struct frame_alloc *, Algaudit__V1__ServerFrame *);

const char *frame_strerror_code(int);

#endif /* ALGAUDIT_FRAME_H */
