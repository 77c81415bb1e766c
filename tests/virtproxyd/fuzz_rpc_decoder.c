/* libFuzzer target for the RPC frame decoder: the bytes a client sends, fed
 * to rpc_decoder_feed() in chunks, each whole message checked as the server
 * checks it (rpc_check_from_client) and its payload decoded with the
 * procedure's args and ret routines from the dispatch table. What decodes
 * must encode back to the same number of bytes (XDR is canonical up to the
 * padding's content), and nothing may crash, leak or allocate beyond what
 * the bytes justify (run under ASan and UBSan with -Dfuzzing=true).
 *
 * Input: the first byte picks the chunk size (1..256 bytes, 0 = all at
 * once); the rest is the byte stream. fuzz_driver.c runs it over
 * fuzz-corpus/ as a plain unit test. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include "proxy.h"
#include "rpc_message.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Smaller than the protocol's 32 MiB so the fuzzer spends its time on
 * structure, not on filling buffers. */
#define FUZZ_MESSAGE_MAX (1u << 20)

static void
roundtrip(const RpcMessage *m, xdrproc_t proc, size_t size)
{
    void *value = calloc(1, size);
    RpcHeader h = m->header;
    void *buf = NULL;
    size_t len = 0;

    if (rpc_message_decode_body(m, proc, value, NULL) == 0) {
        if (rpc_encode(&h, proc, value, &buf, &len, NULL) < 0 ||
            len - RPC_LEN_WORD - RPC_HEADER_LEN != m->body_len)
            abort();  /* decoded, but does not encode back to its size */
        free(buf);
        xdr_free(proc, value);
    }
    free(value);
}

static void
check_message(const RpcMessage *m)
{
    const ProcDef *def;
    int64_t hole;

    if (rpc_check_from_client(&m->header, NULL) < 0)
        return;
    if (m->header.prog != REMOTE_PROGRAM)
        return;
    if (m->header.type == REMOTE_MESSAGE_STREAM_HOLE) {
        (void) rpc_decode_stream_hole(m, &hole, NULL);
        return;
    }
    def = dispatch_find(m->header.proc);
    if (!def)
        return;
    if (def->args_proc)
        roundtrip(m, def->args_proc, def->args_size);
    if (def->ret_proc)
        roundtrip(m, def->ret_proc, def->ret_size);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    RpcDecoder *d;
    size_t chunk, off = 1;

    if (size < 1)
        return 0;
    chunk = data[0] ? data[0] : size;
    d = rpc_decoder_new(FUZZ_MESSAGE_MAX);
    while (off < size) {
        size_t n = size - off < chunk ? size - off : chunk;

        while (n > 0) {
            RpcMessage *m = NULL;
            size_t used = 0;
            int r = rpc_decoder_feed(d, data + off, n, &used, &m, NULL);

            if (r < 0 || used == 0 || used > n)
                goto out;  /* the server drops such a client */
            off += used;
            n -= used;
            if (r > 0) {
                check_message(m);
                rpc_message_free(m);
            }
        }
    }
out:
    rpc_decoder_free(d);
    return 0;
}
