/* Serial ports plugged into and out of a running guest, as libvirt does it:
 * the character backend with chardev-add (a pty's path comes back in the
 * reply), then the port's device_add (pci-serial and usb-serial plug; QEMU
 * refuses an isa-serial, in its own words); the detach is device_del,
 * DEVICE_DELETED, then chardev-remove. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "qemu_command.h"
#include "qemu_driver_priv.h"
#include "qemu_hotplug.h"
#include "qemu_monitor.h"

/* chardev-add's backend for @chr, as -chardev has it. */
static json_t *
chardev_backend(const DomainChr *chr, Error *error)
{
    bool server;

    switch (chr->type) {
    case CHR_TYPE_PTY:
        return json_pack("{s:s,s:{}}", "type", "pty", "data");
    case CHR_TYPE_NULL:
        return json_pack("{s:s,s:{}}", "type", "null", "data");
    case CHR_TYPE_FILE:
        if (!chr->source_path)
            break;
        return json_pack("{s:s,s:{s:s,s:b}}", "type", "file", "data", "out", chr->source_path,
                         "append", chr->append);
    case CHR_TYPE_UNIX:
        if (!chr->source_path)
            break;
        server = chr->source_mode != CHR_MODE_CONNECT;
        return json_pack("{s:s,s:{s:{s:s,s:{s:s}},s:b,s:b}}", "type", "socket", "data", "addr",
                         "type", "unix", "data", "path", chr->source_path, "server", server,
                         "wait", false);
    case CHR_TYPE_TCP:
        if (!chr->source_service)
            break;
        server = chr->source_mode == CHR_MODE_BIND;
        return json_pack("{s:s,s:{s:{s:s,s:{s:s,s:s}},s:b,s:b}}", "type", "socket", "data",
                         "addr", "type", "inet", "data", "host",
                         chr->source_host ? chr->source_host : "127.0.0.1", "port",
                         chr->source_service, "server", server, "wait", false);
    default:
        error_set(error, -EOPNOTSUPP, VIR_ERR_CONFIG_UNSUPPORTED,
                  "unsupported configuration: character device type '%s' cannot be hot "
                  "plugged", str_or_empty(chr_type_to_string(chr->type)));
        return NULL;
    }
    error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
              "XML error: character device '%s' has no source", str_or_empty(chr->alias));
    return NULL;
}

static void
move_serial(DomainDef *to, DomainDef *from, size_t i)
{
    *ARRAY_APPEND(to->serials, to->n_serials) = from->serials[i];
    memmove(&from->serials[i], &from->serials[i + 1],
            (from->n_serials - i - 1) * sizeof(*from->serials));
    from->n_serials--;
}

void
qemu_hotplug_serial_remove(DomainDef *def, size_t i)
{
    DomainDef *gone = xcalloc(1, sizeof(*gone));

    move_serial(gone, def, i);
    domain_def_free(gone);
}

/* libvirt's virDomainChrFind: the same target type and, if given, port. */
ssize_t
qemu_hotplug_serial_find(const DomainDef *def, const DomainChr *chr, Error *error)
{
    for (size_t i = 0; i < def->n_serials; i++) {
        const DomainChr *s = &def->serials[i];
        bool same_type = s->target_type == chr->target_type ||
                         chr->target_type == CHR_TARGET_UNSET;

        if (same_type && (chr->target_port < 0 || s->target_port == chr->target_port))
            return (ssize_t) i;
    }
    return error_set(error, -ENOENT, VIR_ERR_DEVICE_MISSING,
                     "device not found: device not present in domain configuration");
}

/* ---- attach ------------------------------------------------------------ */

typedef struct SerialCall {
    Domain *dom;
    DomainDef *cand;     /* the live definition with the port at its end */
    char *alias;
    DomainDef *config;
    bool chardev_added;
} SerialCall;

static void
serial_call_free(SerialCall *call)
{
    domain_def_free(call->cand);
    domain_def_free(call->config);
    free(call->alias);
    free(call);
}

static void
serial_failed(SerialCall *call, const Error *error)
{
    Domain *dom = call->dom;
    Error failed = ERROR_INIT;

    /* What was added goes again. */
    if (call->chardev_added && dom->monitor.conn) {
        char *id = xasprintf("char%s", call->alias);
        qmp_command(dom->monitor.conn, "chardev-remove", json_pack("{s:s}", "id", id), NULL,
                    NULL, NULL);
        free(id);
    }
    error_set(&failed, -EIO, error ? error->code : VIR_ERR_OPERATION_FAILED, "%s",
              error ? error->message : "operation failed: domain is no longer running");
    qemu_job_end(dom, &failed);
    error_clear(&failed);
    serial_call_free(call);
}

static void
serial_added(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    SerialCall *call = userdata;
    Domain *dom = call->dom;

    if (error || !dom->live) {
        serial_failed(call, error);
        return;
    }
    move_serial(dom->live, call->cand, call->cand->n_serials - 1);
    qemu_hotplug_finish(dom, &call->config, call->alias, NULL);
    serial_call_free(call);
}

static void
chardev_added(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    SerialCall *call = userdata;
    Domain *dom = call->dom;
    DomainChr *s = &call->cand->serials[call->cand->n_serials - 1];
    const char *pty = json_string_value(json_object_get(ret, "pty"));
    Error failed = ERROR_INIT;
    json_t *device = NULL;

    if (error || !dom->live) {
        serial_failed(call, error);
        return;
    }
    call->chardev_added = true;
    if (pty) {
        free(s->source_path);
        s->source_path = xstrdup(pty);
    }
    if (qemu_command_build_device(call->cand, call->alias, &device, &failed) < 0 ||
        qmp_command(dom->monitor.conn, "device_add", device, serial_added, call, &failed) < 0) {
        serial_failed(call, &failed);
        error_clear(&failed);
    }
}

static char *
next_serial_alias(const DomainDef *def)
{
    unsigned next = 0;

    for (size_t i = 0; i < def->n_serials; i++)
        next = qemu_hotplug_next_alias("serial", def->serials[i].alias, next);
    return xasprintf("serial%u", next);
}

/* The lowest port no serial of @def has. */
static int
free_port(const DomainDef *def)
{
    for (int port = 0;; port++) {
        bool used = false;
        for (size_t i = 0; i < def->n_serials; i++)
            used = used || def->serials[i].target_port == port;
        if (!used)
            return port;
    }
}

int
qemu_hotplug_serial_attach_live(Domain *dom, DomainDef *dev, DomainDef **config,
                                DomainDoneCb cb, void *userdata, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *cand = NULL;
    DomainChr *s;
    SerialCall *call;
    json_t *backend;
    char *id;
    int r;

    if ((r = qemu_job_check_active(dom, error)) < 0 || (r = qemu_job_check_idle(dom, error)) < 0)
        return r;
    if (dev->serials[0].target_port < 0)
        dev->serials[0].target_port = free_port(dom->live);
    for (size_t i = 0; i < dom->live->n_serials; i++)
        if (dom->live->serials[i].target_port == dev->serials[0].target_port)
            return error_set(error, -EEXIST, VIR_ERR_OPERATION_INVALID,
                             "Requested operation is not valid: chardev already exists");
    cand = domain_def_copy(dom->live);
    move_serial(cand, dev, 0);
    if ((r = qemu_hotplug_prepare(cand, error)) < 0)
        return r;
    s = &cand->serials[cand->n_serials - 1];
    free(s->alias);
    s->alias = next_serial_alias(dom->live);
    backend = chardev_backend(s, error);
    if (!backend)
        return -EINVAL;
    call = xcalloc(1, sizeof(*call));
    call->dom = dom;
    call->alias = xstrdup(s->alias);
    call->cand = steal_ptr(cand);
    call->config = steal_ptr(*config);
    id = xasprintf("char%s", call->alias);
    qemu_job_begin(dom, DOMAIN_JOB_MODIFY, cb, userdata);
    r = qmp_command(dom->monitor.conn, "chardev-add",
                    json_pack("{s:s,s:o}", "id", id, "backend", backend), chardev_added, call,
                    error);
    free(id);
    if (r < 0) {
        serial_call_free(call);
        qemu_job_cancel(dom);
    }
    return r;
}

int
qemu_hotplug_serial_config_attach(Domain *dom, DomainDef *dev, DomainDef **ret, Error *error)
{
    auto_cleanup(domain_def_freep) DomainDef *def = domain_def_copy(dom->def);
    int r;

    if (dev->serials[0].target_port < 0)
        dev->serials[0].target_port = free_port(def);
    move_serial(def, dev, 0);
    if ((r = qemu_hotplug_prepare(def, error)) < 0)
        return r;
    *ret = steal_ptr(def);
    return 0;
}

/* ---- the guest let go of it -------------------------------------------- */

bool
qemu_hotplug_serial_removed(Domain *dom, const char *alias)
{
    DomainDef *live = dom->live;

    for (size_t i = 0; live && i < live->n_serials; i++) {
        char *id;

        if (!STREQ_NULL(live->serials[i].alias, alias))
            continue;
        id = xasprintf("char%s", alias);
        qmp_command(dom->monitor.conn, "chardev-remove", json_pack("{s:s}", "id", id), NULL,
                    NULL, NULL);
        free(id);
        qemu_hotplug_serial_remove(live, i);
        qemu_hotplug_removed(dom, alias);
        return true;
    }
    return false;
}
