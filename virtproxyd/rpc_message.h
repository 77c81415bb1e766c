/* The libvirt RPC message layer over raw bytes, independent of sockets.
 *
 * A message on the stream is a 4-byte big-endian length (counting itself),
 * the 24-byte header (RpcHeader) and an XDR payload whose type depends on
 * the header (api/remote_protocol.x). This module splits a byte stream into
 * messages (RpcDecoder), decodes payloads into the rpcgen structs and encodes
 * replies, errors, events, stream packets and keepalives into whole frames.
 *
 * Limits: a frame whose length is below 28 or whose header + payload exceed
 * the decoder's maximum is refused from its length word alone, before any
 * buffer is allocated for it; the buffer then grows only as bytes arrive.
 * Every array, string and opaque in the .x has a bound that the generated
 * XDR code checks before allocating. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rpc/rpc.h>

#include "error.h"
#include "macros.h"
#include "remote_protocol.h"

#define RPC_LEN_WORD 4u                             /* the length word */
#define RPC_HEADER_LEN 24u                          /* the header */
#define RPC_MESSAGE_MAX ((size_t) REMOTE_MESSAGE_MAX)   /* header + payload */
#define RPC_PAYLOAD_MAX ((size_t) REMOTE_MESSAGE_PAYLOAD_MAX)
/* The most stream data the daemon puts in one STREAM packet. */
#define RPC_STREAM_CHUNK ((size_t) REMOTE_MESSAGE_LEGACY_PAYLOAD_MAX)

/* libvirt's virErrorDomain: the module an error comes from (informational
 * for clients, which branch on the code). */
typedef enum {
    VIR_FROM_NONE = 0,
    VIR_FROM_DOM = 6,
    VIR_FROM_RPC = 7,
    VIR_FROM_QEMU = 10,
    VIR_FROM_REMOTE = 13,
    VIR_FROM_STORAGE = 18,
    VIR_FROM_NETWORK = 19,
    VIR_FROM_DOMAIN = 20,
    VIR_FROM_NODEDEV = 22,
    VIR_FROM_STREAMS = 38,
} ErrorDomain;

typedef struct RpcHeader {
    uint32_t prog;      /* REMOTE_PROGRAM, KEEPALIVE_PROGRAM */
    uint32_t vers;      /* 1 */
    int32_t proc;       /* REMOTE_PROC_*, KEEPALIVE_PROC_* */
    int32_t type;       /* REMOTE_MESSAGE_CALL, _REPLY, _MESSAGE, _STREAM, ... */
    uint32_t serial;
    int32_t status;     /* REMOTE_MESSAGE_OK, _ERROR, _CONTINUE */
} RpcHeader;

/* One whole message. body is the payload after the header (after the nfds
 * word for the *_WITH_FDS types); it is owned and may be NULL when empty. */
typedef struct RpcMessage {
    RpcHeader header;
    uint32_t nfds;      /* for CALL_WITH_FDS / REPLY_WITH_FDS, else 0 */
    uint8_t *body;
    size_t body_len;
} RpcMessage;

void rpc_message_free(RpcMessage *m);
DEFINE_FREEP(RpcMessage, rpc_message_free)

/*----- Framing. -----*/

typedef struct RpcDecoder RpcDecoder;

/* @max_message bounds header + payload (the length word excluded), like
 * libvirt's VIR_NET_MESSAGE_MAX; 0 means RPC_MESSAGE_MAX. */
RpcDecoder *rpc_decoder_new(size_t max_message);
void rpc_decoder_free(RpcDecoder *d);
DEFINE_FREEP(RpcDecoder, rpc_decoder_free)

/* Feeds @len bytes. Consumes bytes up to the end of at most one message and
 * stores how many in *ret_consumed (always set); call again with the rest
 * when fewer than @len were consumed. Returns 1 and a new message in *ret_msg
 * (yours: rpc_message_free) when one is complete, 0 when more bytes are
 * needed (all were consumed), or a negative errno on a protocol error (a
 * length under 28, over the maximum, a bad nfds word) with @error set
 * (VIR_ERR_RPC): the stream cannot be resynchronised, drop the peer. */
int rpc_decoder_feed(RpcDecoder *d, const void *data, size_t len, size_t *ret_consumed,
                     RpcMessage **ret_msg, Error *error);
/* True when no partial message is buffered: EOF here is a clean close. */
bool rpc_decoder_is_idle(const RpcDecoder *d);

/* libvirt's QEMU program (libvirt-qemu), served in part, and its LXC
 * program, known and not served (a CALL is answered "Cannot find
 * program"). */
#define RPC_QEMU_PROGRAM 0x20008087u
#define RPC_QEMU_PROTOCOL_VERSION 1
#define RPC_LXC_PROGRAM 0x00068000u
/* qemu_protocol.x's procedures */
enum {
    QEMU_PROC_DOMAIN_MONITOR_COMMAND = 1,
    QEMU_PROC_DOMAIN_ATTACH = 2,
    QEMU_PROC_DOMAIN_AGENT_COMMAND = 3,
    QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_REGISTER = 4,
    QEMU_PROC_CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER = 5,
    QEMU_PROC_DOMAIN_MONITOR_EVENT = 6,
    QEMU_PROC_DOMAIN_MONITOR_COMMAND_WITH_FILES = 7,
};

/* What a daemon accepts from a client, checked before anything reads the
 * payload: program REMOTE version 1 with type CALL, CALL_WITH_FDS, STREAM
 * or STREAM_HOLE; a KEEPALIVE version 1 PING or PONG of type MESSAGE; a
 * CALL to the QEMU or LXC program. Any other program, version, type, or a
 * status outside OK/ERROR/CONTINUE is a peer that does not speak the
 * protocol: -EPROTO with @error set (VIR_ERR_RPC), and the caller drops it. */
int rpc_check_from_client(const RpcHeader *h, Error *error);

/* Decodes a whole message (length word included) in one go: a convenience
 * for tests and for callers that already hold a frame. */
int rpc_message_parse(const void *frame, size_t len, size_t max_message,
                      RpcMessage **ret_msg, Error *error);

/*----- Payloads. -----*/

/* Decodes the payload into @ret_args (a zeroed rpcgen struct) with @proc.
 * On success the struct holds allocations: free them with
 * xdr_free(proc, ret_args). On failure nothing is left allocated and @error
 * says "Unable to decode message payload" (VIR_ERR_RPC), which is also what
 * a payload with bytes left over gets. A string, opaque or array whose
 * length word claims more than the bytes left in the payload is refused
 * before anything is allocated for it: memory follows the bytes received,
 * never the .x bounds. */
int rpc_message_decode_body(const RpcMessage *m, xdrproc_t proc, void *ret_args,
                            Error *error);

/* Any message: @hdr, then @body encoded with @proc (NULL proc: no payload).
 * Returns a malloc'd frame in *ret_buf (length word included). Fails with
 * -EMSGSIZE and VIR_ERR_RPC when the payload exceeds RPC_PAYLOAD_MAX (checked
 * before allocating) or -EINVAL when @proc refuses the value (an array over
 * its bound, a NULL nonnull string). */
int rpc_encode(const RpcHeader *hdr, xdrproc_t proc, const void *body, void **ret_buf,
               size_t *ret_len, Error *error);

/* A REPLY to @call (same prog, vers, proc and serial), status OK, with @ret
 * encoded by @proc (NULL for a void reply). */
int rpc_encode_reply(const RpcHeader *call, xdrproc_t proc, const void *ret, void **ret_buf,
                     size_t *ret_len, Error *error);

/* The VIR_FROM_* for an error with @code raised by procedure @proc of @prog,
 * as libvirt's daemon fills it: VIR_FROM_RPC for protocol errors and for the
 * KEEPALIVE program; for denials (OPERATION_DENIED) and NO_SUPPORT the public
 * API's module (VIR_FROM_DOMAIN, _NETWORK, _STORAGE, _NODEDEV, _NONE for
 * connection calls); otherwise the driver (VIR_FROM_QEMU for domains and
 * connection/node calls, _NETWORK, _STORAGE, _NODEDEV). */
int rpc_error_domain(uint32_t prog, int proc, int code);

/* An error answering @call: type REPLY, or STREAM when @call is a STREAM
 * packet (a stream's error carries the stream's header), status ERROR, and a
 * remote_error with @err's code and message, level ERROR, @domain (negative:
 * rpc_error_domain() of the call), str1/str2 split as libvirt does
 * ("Domain not found: %s" and the rest), int1 = int2 = -1, dom and net NULL.
 * An unset @err gives libvirt's "Library function returned error but did not
 * set virError" (INTERNAL_ERROR, VIR_FROM_RPC). A message longer than
 * REMOTE_STRING_MAX is cut. Returns 0. */
int rpc_encode_error_domain(const RpcHeader *call, const Error *err, int domain,
                            void **ret_buf, size_t *ret_len);
int rpc_encode_error(const RpcHeader *call, const Error *err, void **ret_buf, size_t *ret_len);

/* An event: type MESSAGE, serial 0, status OK, @msg encoded by @proc_fn. */
int rpc_encode_event(uint32_t prog, int proc, xdrproc_t proc_fn, const void *msg,
                     void **ret_buf, size_t *ret_len, Error *error);

/* A stream packet for the stream opened by @call (its prog, vers, proc and
 * serial), type STREAM. @status REMOTE_MESSAGE_CONTINUE carries @len raw
 * bytes of @data (@len 0 = end of data); REMOTE_MESSAGE_OK is the finish
 * handshake (no data). For an error use rpc_encode_error() with a header of
 * type STREAM. Returns -EMSGSIZE when @len exceeds RPC_PAYLOAD_MAX. */
int rpc_encode_stream(const RpcHeader *call, int status, const void *data, size_t len,
                      void **ret_buf, size_t *ret_len);
/* A STREAM_HOLE packet (sparse streams): skip @length bytes. */
int rpc_encode_stream_hole(const RpcHeader *call, int64_t length, void **ret_buf,
                           size_t *ret_len);
int rpc_decode_stream_hole(const RpcMessage *m, int64_t *ret_length, Error *error);

/* KEEPALIVE_PROC_PING or KEEPALIVE_PROC_PONG: 28 bytes, MESSAGE, serial 0. */
int rpc_encode_keepalive(int proc, void **ret_buf, size_t *ret_len);
