/* Dispatch: one CALL from a client to its procedure's handler, and the
 * libvirt errors for what is refused before any handler runs. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "proxy.h"

#define MAX_PROC 512

static const ProcDef *table[MAX_PROC];
static bool table_ready;

static void
table_add(const ProcDef *defs)
{
    for (const ProcDef *d = defs; d->proc; d++)
        if (d->proc > 0 && d->proc < MAX_PROC)
            table[d->proc] = d;
}

const ProcDef *
dispatch_find(int proc)
{
    if (!table_ready) {
        table_add(connect_procs);
        table_add(domain_procs);
        table_add(device_procs);
        table_add(tuning_procs);
        table_add(stats_procs);
        table_add(console_procs);
        table_add(agent_procs);
        table_add(event_procs);
        table_add(network_procs);
        table_add(storage_procs);
        table_add(nodedev_procs);
        table_ready = true;
    }
    if (proc <= 0 || proc >= MAX_PROC)
        return NULL;
    return table[proc];
}

static int
no_support(Error *error, int proc, const char *api)
{
    if (!api)
        return error_set(error, -ENOSYS, VIR_ERR_RPC, "unknown procedure: %d", proc);
    return error_set(error, -ENOTSUP, VIR_ERR_NO_SUPPORT,
                     "this function is not supported by the connection driver: %s", api);
}

int
proxy_error_no_support(Error *error, int proc)
{
    return no_support(error, proc, proxy_proc_api_name(proc));
}

static const ProcDef *
qemu_find(int proc)
{
    for (const ProcDef *d = qemu_procs; d->proc; d++)
        if (d->proc == proc)
            return d;
    for (const ProcDef *d = qemu_event_procs; d->proc; d++)
        if (d->proc == proc)
            return d;
    return NULL;
}

int
proxy_error_read_only(Error *error, const char *what)
{
    return error_set(error, -EPERM, VIR_ERR_OPERATION_DENIED,
                     "operation forbidden: read only access prevents %s", what);
}

Proxy *
call_proxy(const Call *call)
{
    return call->client->proxy;
}

/* An error for a call that has no ProcDef: answered at once. */
static void
reply_error_now(Client *c, const RpcHeader *hdr, Error *error)
{
    RpcHeader h = *hdr;
    void *buf = NULL;
    size_t len = 0;

    h.type = REMOTE_MESSAGE_CALL;
    if (rpc_encode_error(&h, error, &buf, &len) >= 0)
        client_send_frame(c, buf, len);
    proxy_spin_kick(c->proxy);
}

int
dispatch_check(const RpcHeader *hdr, size_t nfds, bool opened, bool readonly,
               const ProcDef **ret_def, Error *error)
{
    bool qemu = hdr->prog == RPC_QEMU_PROGRAM && hdr->vers == RPC_QEMU_PROTOCOL_VERSION;
    const ProcDef *def;
    const char *api;

    if (!qemu && (hdr->prog != REMOTE_PROGRAM || hdr->vers != REMOTE_PROTOCOL_VERSION))
        return error_set(error, -EINVAL, VIR_ERR_RPC, "Cannot find program %u version %u",
                         hdr->prog, hdr->vers);
    if (hdr->status != REMOTE_MESSAGE_OK)
        return error_set(error, -EINVAL, VIR_ERR_RPC, "Unexpected message status %d",
                         hdr->status);
    /* FD_PASSING is answered 0: no client sends descriptors. */
    if (hdr->type == REMOTE_MESSAGE_CALL_WITH_FDS && nfds > 0)
        return error_set(error, -EINVAL, VIR_ERR_RPC,
                         "file descriptor passing is not supported");
    /* libvirt's order: an unknown procedure, a connection not open, a
     * read-only client calling what writes, and only then one not served. */
    def = qemu ? qemu_find(hdr->proc) : dispatch_find(hdr->proc);
    api = qemu ? proxy_qemu_proc_api_name(hdr->proc) : proxy_proc_api_name(hdr->proc);
    if (!api && !def)
        return no_support(error, hdr->proc, api);
    if (!opened && !(def && (def->flags & PROC_NO_OPEN)))
        return error_set(error, -ENOTCONN, VIR_ERR_INTERNAL_ERROR, "connection not open");
    if (readonly && (qemu || proxy_proc_writes(hdr->proc)))
        return proxy_error_read_only(error, api);
    if (!def || !def->handler)
        return no_support(error, hdr->proc, api);
    *ret_def = def;
    return 0;
}

void
dispatch_call(Client *c, const RpcMessage *msg)
{
    const RpcHeader *hdr = &msg->header;
    Error error = ERROR_INIT;
    const ProcDef *def = NULL;
    Call *call;
    int r;

    if (dispatch_check(hdr, msg->nfds, c->opened, c->readonly, &def, &error) < 0)
        goto fail;

    call = xcalloc(1, sizeof(*call));
    call->client = client_ref(c);
    call->def = def;
    call->hdr = *hdr;
    call->hdr.type = REMOTE_MESSAGE_CALL;
    call->args = def->args_size ? xcalloc(1, def->args_size) : NULL;
    call->ret = def->ret_size ? xcalloc(1, def->ret_size) : NULL;
    c->in_flight++;
    client_pause_if_busy(c);

    if (def->args_proc) {
        r = rpc_message_decode_body(msg, def->args_proc, call->args, &error);
        if (r < 0) {
            /* A payload over its limits or beyond its frame is hostile: it
             * costs the client its connection. */
            free(steal_ptr(call->args));
            log_info("client %u: procedure %d: %s", c->id, hdr->proc, error.message);
            call_finish(call, r, &error);
            error_clear(&error);
            client_close_after_flush(c);
            return;
        }
    }
    r = def->handler(call, call->args, call->ret, &error);
    if (r != 1)
        call_finish(call, r, &error);
    error_clear(&error);
    return;

fail:
    log_debug("client %u: procedure %d refused: %s", c->id, hdr->proc, error.message);
    reply_error_now(c, hdr, &error);
    error_clear(&error);
}
