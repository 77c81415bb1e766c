/* Consoles and channels: a stream to a guest's character device.
 *
 * The caller (virtproxyd, or any D-Bus client) gets one end of a socketpair;
 * virtqemud relays the bytes between the other end and the device: the
 * guest's pty for a console (virDomainOpenConsole), QEMU's listening unix
 * socket for a channel (virDomainOpenChannel). virtqemud keeps the relay,
 * rather than handing out the device itself, so that it knows which devices
 * are open: a second open of the same device is refused, or with FORCE
 * takes it over, as libvirt's virChrdevOpen does; the stream taken over sees
 * its end of data. A relay ends when either side closes, and when the guest
 * stops (its pty goes away).
 *
 * Each direction has one buffer: while it holds bytes, its source is not
 * read and its destination is watched for room. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "log.h"
#include "qemu_driver_priv.h"

#define RELAY_BUF (64 * 1024)

typedef struct Pipe {
    uint8_t buf[RELAY_BUF];
    size_t len, off;    /* bytes held, bytes already written */
} Pipe;

struct QemuRelay {
    struct QemuRelay *next;
    Domain *dom;            /* borrowed: the domain closes its relays first */
    char *source;           /* the device: its pty or socket path */
    uv_poll_t dev_poll, peer_poll;
    int dev_fd, peer_fd;
    unsigned open_handles;
    bool closing;
    Pipe to_dev, to_peer;
};

static void relay_poll(uv_poll_t *p, int status, int events);

static void
relay_free(uv_handle_t *h)
{
    QemuRelay *r = h->data;

    if (--r->open_handles)
        return;
    close(r->dev_fd);
    close(r->peer_fd);
    free(r->source);
    free(r);
}

static void
relay_close(QemuRelay *r)
{
    QemuRelay **pp;

    if (r->closing)
        return;
    r->closing = true;
    for (pp = &r->dom->consoles; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    log_debug("domain %s: stream of %s closed", r->dom->def->name, r->source);
    uv_close((uv_handle_t *) &r->dev_poll, relay_free);
    uv_close((uv_handle_t *) &r->peer_poll, relay_free);
}

/* What each fd waits for: to be read while its outgoing pipe is empty, to
 * be written while its incoming pipe holds bytes. */
static void
relay_arm(QemuRelay *r)
{
    int dev = (r->to_peer.len ? 0 : UV_READABLE) | (r->to_dev.len ? UV_WRITABLE : 0);
    int peer = (r->to_dev.len ? 0 : UV_READABLE) | (r->to_peer.len ? UV_WRITABLE : 0);

    uv_poll_start(&r->dev_poll, dev, relay_poll);
    uv_poll_start(&r->peer_poll, peer, relay_poll);
}

/* Reads what @fd has into @p. Returns false at its end (EOF, or the
 * guest's pty gone: EIO). */
static bool
pipe_fill(Pipe *p, int fd)
{
    ssize_t n;

    do
        n = read(fd, p->buf, sizeof(p->buf));
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        return true;
    if (n <= 0)
        return false;
    p->len = (size_t) n;
    p->off = 0;
    return true;
}

static bool
pipe_drain(Pipe *p, int fd)
{
    while (p->off < p->len) {
        ssize_t n = write(fd, p->buf + p->off, p->len - p->off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return true;
        if (n < 0)
            return false;
        p->off += (size_t) n;
    }
    p->len = p->off = 0;
    return true;
}

static void
relay_poll(uv_poll_t *handle, int status, int events)
{
    QemuRelay *r = handle->data;
    bool dev = handle == &r->dev_poll;
    int fd = dev ? r->dev_fd : r->peer_fd;
    Pipe *out = dev ? &r->to_peer : &r->to_dev;   /* filled from this fd */
    Pipe *in = dev ? &r->to_dev : &r->to_peer;    /* written to this fd */
    bool ok = status >= 0;

    if (r->closing)
        return;
    if (ok && (events & UV_WRITABLE))
        ok = pipe_drain(in, fd);
    if (ok && (events & UV_READABLE) && !out->len) {
        ok = pipe_fill(out, fd);
        /* Straight on to the other side: most writes take it all. */
        if (ok && out->len)
            ok = pipe_drain(out, dev ? r->peer_fd : r->dev_fd);
    }
    if (!ok) {
        relay_close(r);
        return;
    }
    relay_arm(r);
}

/* ---- opening ------------------------------------------------------------ */

static int
open_pty(const char *path, Error *error)
{
    struct termios t;
    int fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "Unable to open '%s'", path);
    /* Raw, as libvirt's virFDStreamOpenPTY leaves it: the guest echoes. */
    if (tcgetattr(fd, &t) == 0) {
        cfmakeraw(&t);
        tcsetattr(fd, TCSADRAIN, &t);
    }
    return fd;
}

static int
open_unix(const char *path, Error *error)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    int fd, r;

    if (strlen(path) >= sizeof(sa.sun_path))
        return error_set(error, -ENAMETOOLONG, VIR_ERR_INTERNAL_ERROR,
                         "UNIX socket path '%s' too long", path);
    strcpy(sa.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "%s",
                               "Unable to create UNIX socket");
    /* QEMU listens: a local connect does not wait. */
    if (connect(fd, (struct sockaddr *) &sa, sizeof(sa)) < 0) {
        r = -errno;
        close(fd);
        return error_set_errno(error, r, VIR_ERR_SYSTEM_ERROR,
                               "failed to connect socket to '%s'", path);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    return fd;
}

static QemuRelay *
relay_find(Domain *dom, const char *source)
{
    for (QemuRelay *r = dom->consoles; r; r = r->next)
        if (STREQ(r->source, source))
            return r;
    return NULL;
}

/* Whether @r's caller has closed its end, though the loop has not seen it
 * yet: a client that left and comes straight back finds the device free. */
static bool
peer_gone(const QemuRelay *r)
{
    struct pollfd p = { .fd = r->peer_fd, .events = POLLRDHUP };

    return poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Opens a relay to @chr; returns the caller's end. */
static int
relay_open(Domain *dom, const DomainChr *chr, bool force, const char *busy, Error *error)
{
    QemuRelay *r, *old = relay_find(dom, chr->source_path);
    int sv[2], dev_fd;

    if (old && !force && peer_gone(old)) {
        relay_close(old);
        old = NULL;
    }
    if (old && !force)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_FAILED, "operation failed: %s", busy);
    dev_fd = chr->type == CHR_TYPE_PTY ? open_pty(chr->source_path, error)
                                  : open_unix(chr->source_path, error);
    if (dev_fd < 0)
        return dev_fd;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
        int e = -errno;
        close(dev_fd);
        return error_set_errno(error, e, VIR_ERR_SYSTEM_ERROR, "%s",
                               "cannot create the stream's socket pair");
    }
    /* The caller's end blocks as a plain fd would; ours does not. */
    fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) & ~O_NONBLOCK);
    if (old)
        relay_close(old);   /* taken over: its stream ends */
    r = xcalloc(1, sizeof(*r));
    r->dom = dom;
    r->source = xstrdup(chr->source_path);
    r->dev_fd = dev_fd;
    r->peer_fd = sv[0];
    uv_poll_init(dom->drv->loop, &r->dev_poll, dev_fd);
    uv_poll_init(dom->drv->loop, &r->peer_poll, sv[0]);
    r->dev_poll.data = r->peer_poll.data = r;
    r->open_handles = 2;
    r->next = dom->consoles;
    dom->consoles = r;
    relay_arm(r);
    log_debug("domain %s: stream of %s open%s", dom->def->name, r->source,
              old ? ", taken over" : "");
    return sv[1];
}

static const DomainChr *
find_alias(const DomainChr *list, size_t n, const char *alias)
{
    for (size_t i = 0; i < n; i++)
        if (list[i].alias && STREQ(list[i].alias, alias))
            return &list[i];
    return NULL;
}

int
qemu_domain_open_console(Domain *dom, const char *dev_name, unsigned flags, Error *error)
{
    const DomainDef *live = dom->live;
    const DomainChr *chr = NULL;

    if (flags & ~(DOMAIN_CONSOLE_FORCE | DOMAIN_CONSOLE_SAFE))
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainOpenConsole",
                         flags & ~(DOMAIN_CONSOLE_FORCE | DOMAIN_CONSOLE_SAFE));
    if (!qemu_domain_is_active(dom) || !live)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    if (dev_name) {
        chr = find_alias(live->consoles, live->n_consoles, dev_name);
        if (!chr)
            chr = find_alias(live->serials, live->n_serials, dev_name);
    } else if (live->n_consoles) {
        chr = &live->consoles[0];
    } else if (live->n_serials) {
        chr = &live->serials[0];
    }
    if (!chr)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                         "internal error: cannot find character device %s",
                         dev_name ? dev_name : "<null>");
    /* Console 0 on a serial target is serial 0: its pty is the serial's. */
    if (chr->device == CHR_DEVICE_CONSOLE && chr->target_type == CHR_TARGET_SERIAL &&
        chr == &live->consoles[0] && live->n_serials && !chr->source_path)
        chr = &live->serials[0];
    if (chr->type != CHR_TYPE_PTY || !chr->source_path)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: character device %s is not using a PTY",
                         dev_name ? dev_name : chr->alias ? chr->alias : "<null>");
    return relay_open(dom, chr, flags & DOMAIN_CONSOLE_FORCE,
                      "Active console session exists for this domain", error);
}

int
qemu_domain_open_channel(Domain *dom, const char *name, unsigned flags, Error *error)
{
    const DomainDef *live = dom->live;
    const DomainChr *chr = NULL;

    if (flags & ~DOMAIN_CHANNEL_FORCE)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainOpenChannel",
                         flags & ~DOMAIN_CHANNEL_FORCE);
    if (!qemu_domain_is_active(dom) || !live)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "Requested operation is not valid: domain is not running");
    for (size_t i = 0; name && !chr && i < live->n_channels; i++) {
        const DomainChr *c = &live->channels[i];
        if ((c->alias && STREQ(c->alias, name)) ||
            (c->target_type == CHR_TARGET_VIRTIO && c->target_name &&
             STREQ(c->target_name, name)))
            chr = c;
    }
    if (!name && live->n_channels)
        chr = &live->channels[0];
    if (!chr)
        return error_set(error, -ENOENT, VIR_ERR_INTERNAL_ERROR,
                         "internal error: cannot find channel %s", name ? name : "<null>");
    if (chr->type != CHR_TYPE_UNIX || !chr->source_path)
        return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                         "internal error: channel %s is not using a UNIX socket",
                         name ? name : chr->alias ? chr->alias : "<null>");
    return relay_open(dom, chr, flags & DOMAIN_CHANNEL_FORCE,
                      "Active channel stream exists for this domain", error);
}

void
qemu_console_close_all(Domain *dom)
{
    while (dom->consoles)
        relay_close(dom->consoles);
}
