/* Calls to the daemons: an RPC call becomes an asynchronous D-Bus call, and
 * its reply (or error) becomes the RPC reply. */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>

#include "log.h"
#include "proxy.h"

typedef struct BusCall {
    Call *call;
    BusReplyFn fn;
} BusCall;

int
proxy_error_absent(const MirrorService *svc, Error *error)
{
    /* libvirt answers a call whose driver is not there with NO_CONNECT ("no
     * connection driver available"); the message names the daemon. */
    return error_set(error, -ENOTCONN, VIR_ERR_NO_CONNECT, "%s is not running (%s has no owner)",
                     svc->daemon_name, svc->bus_name);
}

static int
on_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    BusCall *bc = userdata;
    Call *call = bc->call;
    Error error = ERROR_INIT;
    const sd_bus_error *e = sd_bus_message_get_error(reply);
    int r = 0;

    if (e) {
        r = error_from_bus(&error, e);
        /* The daemon went away while it held the call. */
        if (sd_bus_error_has_names(e, SD_BUS_ERROR_SERVICE_UNKNOWN, SD_BUS_ERROR_NAME_HAS_NO_OWNER,
                                   SD_BUS_ERROR_NO_REPLY, SD_BUS_ERROR_DISCONNECTED)) {
            error_clear(&error);
            r = error_set(&error, -ENOTCONN, VIR_ERR_NO_CONNECT, "%s",
                          e->message ? e->message : "the daemon did not answer");
        }
    } else if (bc->fn) {
        r = bc->fn(call, reply, call->ret, &error);
        if (r < 0 && !error_is_set(&error))
            error_set_errno(&error, r, VIR_ERR_INTERNAL_ERROR, "cannot read the reply to %s",
                            proxy_proc_api_name(call->hdr.proc));
    }
    call_finish(call, r, &error);
    error_clear(&error);
    free(bc);
    return 0;
}

int
proxy_bus_new_call(Call *call, MirrorService *svc, const char *path, const char *iface,
                   const char *member, sd_bus_message **ret, Error *error)
{
    int r;

    if (!svc->owner)
        return proxy_error_absent(svc, error);
    r = sd_bus_message_new_method_call(call_proxy(call)->bus, ret, svc->bus_name, path, iface,
                                       member);
    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR, "cannot build the call %s.%s",
                               iface, member);
    return 0;
}

int
proxy_bus_send(Call *call, MirrorService *svc, sd_bus_message *m, BusReplyFn fn, Error *error)
{
    BusCall *bc = xcalloc(1, sizeof(*bc));
    int r;

    bc->call = call;
    bc->fn = fn;
    /* No timeout of ours: the daemons answer long jobs (a guest booting)
     * when they end; the bus's default (25 s) would cut them. The slot is
     * floating: a client that hangs up keeps its Call (and a reference)
     * until the reply comes, then the reply is dropped. */
    r = sd_bus_call_async(call_proxy(call)->bus, NULL, m, on_reply, bc, UINT64_MAX - 1);
    if (r < 0) {
        free(bc);
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR, "cannot call %s.%s on %s",
                               sd_bus_message_get_interface(m), sd_bus_message_get_member(m),
                               svc->bus_name);
    }
    return 1;
}

int
proxy_bus_call(Call *call, MirrorService *svc, const char *path, const char *iface,
               const char *member, BusReplyFn fn, Error *error, const char *types, ...)
{
    sd_bus_message *m = NULL;
    va_list ap;
    int r;

    r = proxy_bus_new_call(call, svc, path, iface, member, &m, error);
    if (r < 0)
        return r;
    if (types) {
        va_start(ap, types);
        r = sd_bus_message_appendv(m, types, ap);
        va_end(ap);
    }
    if (r < 0) {
        sd_bus_message_unref(m);
        return error_set_errno(error, r, VIR_ERR_INTERNAL_ERROR, "cannot build the call %s.%s",
                               iface, member);
    }
    r = proxy_bus_send(call, svc, m, fn, error);
    sd_bus_message_unref(m);
    return r;
}

const char *
proxy_opt_str(remote_string s)
{
    return s ? *s : "";
}

remote_string
proxy_opt_string(const char *s)
{
    remote_string r;

    if (!s || !*s)
        return NULL;
    r = xmalloc(sizeof(*r));
    *r = xstrdup(s);
    return r;
}

int
proxy_string_reply(Call *call, sd_bus_message *reply, void *ret, Error *error)
{
    const char *s;
    int r = sd_bus_message_read_basic(reply, 's', &s);

    if (r < 0)
        return r;
    /* Every string-only ret struct is one remote_nonnull_string. */
    *(char **) ret = xstrdup(s);
    return 0;
}
