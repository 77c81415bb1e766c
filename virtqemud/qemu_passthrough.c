/* QEMU's monitor handed to the caller (virDomainQemuMonitorCommand), and
 * the taint it leaves: a domain something was done to behind virtqemud's
 * back says so in its log, once per reason, as libvirt's
 * virDomainObjTaint does. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "qemu_driver_priv.h"

void
qemu_domain_taint(Domain *dom, DomainTaint why)
{
    static const char *const names[] = {
        [DOMAIN_TAINT_CUSTOM_MONITOR] = "custom-monitor",
        [DOMAIN_TAINT_CUSTOM_GA_COMMAND] = "custom-ga-command",
    };
    char stamp[64], line[256];
    struct timespec ts;
    struct tm tm;
    int fd, n;

    if (dom->proc.taints & (1u << why))
        return;
    dom->proc.taints |= 1u << why;
    log_info("domain '%s' (id %d) is tainted: %s", dom->def->name, dom->id, names[why]);
    if (!dom->proc.log_path)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    n = snprintf(line, sizeof(line), "%s.%03ld+0000: Domain id=%d is tainted: %s\n", stamp,
                 ts.tv_nsec / 1000000, dom->id, names[why]);
    fd = open(dom->proc.log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd >= 0) {
        if (write(fd, line, (size_t) n) < 0)
            log_debug("cannot write the taint to '%s'", dom->proc.log_path);
        close(fd);
    }
}

typedef struct MonitorCall {
    Domain *dom;        /* a reference */
    bool hmp;
    DomainTextCb cb;
    void *userdata;
} MonitorCall;

static void
monitor_reply(QmpConn *c, json_t *reply, const Error *error, void *userdata)
{
    MonitorCall *mc = userdata;
    char *text = NULL;

    if (!error && mc->hmp) {
        /* HMP's answer is the text human-monitor-command returns. */
        json_t *ret = json_object_get(reply, "return");
        text = xstrdup(json_is_string(ret) ? json_string_value(ret) : "");
        if (json_object_get(reply, "error")) {
            const char *desc = json_string_value(
                json_object_get(json_object_get(reply, "error"), "desc"));
            Error e = ERROR_INIT;
            error_set(&e, -EIO, VIR_ERR_INTERNAL_ERROR,
                      "internal error: unable to execute QEMU command 'human-monitor-command': "
                      "%s", desc ? desc : "unknown error");
            mc->cb(mc->dom, NULL, &e, mc->userdata);
            error_clear(&e);
            goto out;
        }
    } else if (!error) {
        text = json_dumps(reply, JSON_COMPACT | JSON_PRESERVE_ORDER);
    }
    mc->cb(mc->dom, text, error, mc->userdata);
out:
    free(text);
    domain_unref(mc->dom);
    free(mc);
}

int
qemu_domain_monitor_command(Domain *dom, const char *cmd, unsigned flags, DomainTextCb cb,
                            void *userdata, Error *error)
{
    json_t *obj = NULL, *args = NULL;
    const char *name;
    MonitorCall *mc;
    int r;

    if (flags & ~(unsigned) DOMAIN_QEMU_MONITOR_COMMAND_HMP)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainQemuMonitorCommand",
                         flags & ~(unsigned) DOMAIN_QEMU_MONITOR_COMMAND_HMP);
    if (!qemu_domain_is_active(dom) || !dom->monitor.conn)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    if (flags & DOMAIN_QEMU_MONITOR_COMMAND_HMP) {
        name = "human-monitor-command";
        args = json_pack("{s:s}", "command-line", cmd);
    } else {
        obj = json_loads(cmd, 0, NULL);
        name = json_string_value(json_object_get(obj, "execute"));
        if (!json_is_object(obj) || !name) {
            json_decref(obj);
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: cannot parse json %s", cmd);
        }
        args = json_incref(json_object_get(obj, "arguments"));
    }
    mc = xcalloc(1, sizeof(*mc));
    domain_ref(dom);
    mc->dom = dom;
    mc->hmp = flags & DOMAIN_QEMU_MONITOR_COMMAND_HMP;
    mc->cb = cb;
    mc->userdata = userdata;
    r = qmp_command_raw(dom->monitor.conn, name, args, monitor_reply, mc, error);
    json_decref(obj);
    if (r < 0) {
        domain_unref(dom);
        free(mc);
        return r;
    }
    qemu_domain_taint(dom, DOMAIN_TAINT_CUSTOM_MONITOR);
    return 0;
}
