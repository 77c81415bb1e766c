/* What a person at the guest's screen would do: take a screenshot, press
 * keys, press the NMI button.
 *
 * A screenshot is QMP screendump into a file in the domain's runtime
 * folder (QEMU writes it as its own user), read whole in the worker pool,
 * then sent to the caller over one end of a socketpair in the framing of a
 * download stream (api/org.virtstack.DomainState.xml): an 8-byte
 * big-endian length, the bytes, "OK\n". A screenshot is not a job, as
 * libvirt's is a query: it does not wait behind one. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "log.h"
#include "qemu_driver_priv.h"
#include "qemu_keycodes.h"
#include "qemu_monitor.h"

#define SEND_KEY_MAX 16   /* VIR_DOMAIN_SEND_KEY_MAX_KEYS */

/* ---- the bytes to the caller -------------------------------------------- */

typedef struct BlobSender {
    uv_poll_t poll;
    int fd;
    uint8_t *data;   /* header, image, status line */
    size_t len, off;
} BlobSender;

static void
sender_closed(uv_handle_t *h)
{
    BlobSender *s = h->data;

    close(s->fd);
    free(s->data);
    free(s);
}

static void
sender_poll(uv_poll_t *p, int status, int events)
{
    BlobSender *s = p->data;

    while (status >= 0 && s->off < s->len) {
        ssize_t n = send(s->fd, s->data + s->off, s->len - s->off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0)
            break;  /* the caller left: nothing more to do */
        s->off += (size_t) n;
    }
    uv_close((uv_handle_t *) &s->poll, sender_closed);
}

/* Frames @data (stolen) for the caller; returns the caller's end. */
static int
blob_stream(uv_loop_t *loop, uint8_t *data, size_t len, Error *error)
{
    static const char ok[] = "OK\n";
    BlobSender *s;
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0) {
        free(data);
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "%s",
                               "cannot create the stream's socket pair");
    }
    fcntl(sv[1], F_SETFL, fcntl(sv[1], F_GETFL) & ~O_NONBLOCK);
    s = xcalloc(1, sizeof(*s));
    s->fd = sv[0];
    s->len = 8 + len + strlen(ok);
    s->data = xmalloc(s->len);
    for (int i = 0; i < 8; i++)
        s->data[i] = (uint8_t) ((uint64_t) len >> (56 - 8 * i));
    memcpy(s->data + 8, data, len);
    memcpy(s->data + 8 + len, ok, strlen(ok));
    free(data);
    uv_poll_init(loop, &s->poll, s->fd);
    s->poll.data = s;
    uv_poll_start(&s->poll, UV_WRITABLE, sender_poll);
    return sv[1];
}

/* ---- screenshot ---------------------------------------------------------- */

typedef struct Shot {
    uv_work_t work;
    Domain *dom;            /* a reference */
    char *path;
    const char *mime;
    ScreenshotCb cb;
    void *userdata;
    uint8_t *data;
    size_t len;
    int r;
    Error error;
} Shot;

static void
shot_finish(Shot *s, int fd)
{
    s->cb(s->dom, s->mime, fd, fd < 0 ? &s->error : NULL, s->userdata);
    error_clear(&s->error);
    domain_unref(s->dom);
    free(s->data);
    free(s->path);
    free(s);
}

static void
shot_read(uv_work_t *w)
{
    Shot *s = w->data;
    char *buf = NULL;
    size_t len = 0;

    s->r = file_read_all(s->path, 64u << 20, &buf, &len, &s->error);
    unlink(s->path);
    s->data = (uint8_t *) buf;
    s->len = len;
}

static void
shot_read_done(uv_work_t *w, int status)
{
    Shot *s = w->data;
    int fd;

    if (s->r < 0 || status < 0) {
        if (!s->error.message)
            error_set(&s->error, -EIO, VIR_ERR_OPERATION_FAILED, "%s",
                      "operation failed: unable to open stream");
        shot_finish(s, -1);
        return;
    }
    fd = blob_stream(s->dom->drv->loop, steal_ptr(s->data), s->len, &s->error);
    shot_finish(s, fd);
}

static void
screendump_reply(QmpConn *c, json_t *ret, const Error *error, void *userdata)
{
    Shot *s = userdata;

    if (error) {
        error_set(&s->error, -EIO, error->code, "%s", error->message);
        unlink(s->path);
        shot_finish(s, -1);
        return;
    }
    s->work.data = s;
    if (uv_queue_work(s->dom->drv->loop, &s->work, shot_read, shot_read_done) < 0) {
        error_set(&s->error, -EIO, VIR_ERR_OPERATION_FAILED, "%s",
                  "operation failed: unable to open stream");
        unlink(s->path);
        shot_finish(s, -1);
    }
}

int
qemu_domain_screenshot(Domain *dom, unsigned screen, unsigned flags, ScreenshotCb cb,
                       void *userdata, Error *error)
{
    static unsigned serial;
    const DomainDef *live = dom->live;
    const char *video = NULL;
    bool png = qemu_driver_qemu_version(dom->drv) >= 7001000;  /* screendump's format */
    json_t *args;
    Shot *s;
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainScreenshot", flags);
    r = qemu_job_check_active(dom, error);
    if (r < 0)
        return r;
    if (!live->n_videos)
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID, "%s",
                         "Requested operation is not valid: no screens to take screenshot from");
    if (screen) {
        size_t i;

        for (i = 0; i < live->n_videos; i++) {
            unsigned heads = live->videos[i].heads ? live->videos[i].heads : 1;
            if (screen < heads) {
                video = live->videos[i].alias;
                break;
            }
            screen -= heads;
        }
        if (i == live->n_videos)
            return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID, "%s",
                             "Requested operation is not valid: no such screen ID");
    }
    s = xcalloc(1, sizeof(*s));
    s->dom = dom;
    domain_ref(dom);
    s->path = xasprintf("%s/domain-%d/screendump-%u", dom->drv->run_dir, dom->id, ++serial);
    s->mime = png ? "image/png" : "image/x-portable-pixmap";
    s->cb = cb;
    s->userdata = userdata;
    args = json_pack("{s:s}", "filename", s->path);
    if (video) {
        json_object_set_new(args, "device", json_string(video));
        json_object_set_new(args, "head", json_integer(screen));
    }
    if (png)
        json_object_set_new(args, "format", json_string("png"));
    r = qmp_command(dom->monitor.conn, "screendump", args, screendump_reply, s, error);
    if (r < 0) {
        domain_unref(dom);
        free(s->path);
        free(s);
    }
    return r;
}

/* ---- keys and NMI ---------------------------------------------------------- */

/* libvirt's column for each virKeycodeSet (XT is AT set 1, by libvirt's
 * own admission a mistake kept for compatibility). */
static const int keycode_column[_KEYCODE_SET_MAX] = {
    [KEYCODE_SET_LINUX] = KC_LINUX,   [KEYCODE_SET_XT] = KC_ATSET1,
    [KEYCODE_SET_ATSET1] = KC_ATSET1, [KEYCODE_SET_ATSET2] = KC_ATSET2,
    [KEYCODE_SET_ATSET3] = KC_ATSET3, [KEYCODE_SET_OSX] = KC_OSX,
    [KEYCODE_SET_XT_KBD] = KC_XTKBD,  [KEYCODE_SET_USB] = KC_USB,
    [KEYCODE_SET_WIN32] = KC_WIN32,   [KEYCODE_SET_QNUM] = KC_QNUM,
};

static const char *const keycode_set_names[_KEYCODE_SET_MAX] = {
    "linux", "xt", "atset1", "atset2", "atset3", "os_x", "xt_kbd", "usb", "win32", "qnum",
};

int
qemu_keycode_to_qnum(unsigned codeset, unsigned code)
{
    int col;

    if (codeset >= _KEYCODE_SET_MAX)
        return -1;
    col = keycode_column[codeset];
    if (col == KC_QNUM)
        return (int) code;
    for (size_t i = 0; i < ARRAY_SIZE(qemu_keycodes); i++)
        if (qemu_keycodes[i][col] == code)
            return qemu_keycodes[i][KC_QNUM];
    return -1;
}

int
qemu_domain_send_key(Domain *dom, unsigned codeset, unsigned holdtime, const uint32_t *codes,
                     size_t n, unsigned flags, DomainDoneCb cb, void *userdata, Error *error)
{
    json_t *keys, *args;

    /* virDomainSendKey's own checks first, for callers on the bus. */
    if (codeset >= _KEYCODE_SET_MAX)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: Unsupported codeset '%u'", codeset);
    if (n == 0)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "%s",
                         "invalid argument: nkeycodes in virDomainSendKey must be greater "
                         "than zero");
    if (n > SEND_KEY_MAX)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: nkeycodes must be <= %d", SEND_KEY_MAX);
    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainSendKey", flags);
    keys = json_array();
    for (size_t i = 0; i < n; i++) {
        int q = qemu_keycode_to_qnum(codeset, codes[i]);

        if (q < 0) {
            json_decref(keys);
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: cannot translate keycode %u of %s codeset to "
                             "qnum keycode", codes[i], keycode_set_names[codeset]);
        }
        if (q > 0xffff) {
            json_decref(keys);
            return error_set(error, -EINVAL, VIR_ERR_OPERATION_FAILED,
                             "operation failed: keycode %zu is invalid: 0x%X", i, q);
        }
        json_array_append_new(keys, json_pack("{s:s,s:i}", "type", "number", "data", q));
    }
    args = json_pack("{s:o}", "keys", keys);
    if (holdtime)   /* as libvirt: no hold time is QEMU's default */
        json_object_set_new(args, "hold-time", json_integer(holdtime));
    return qemu_job_modify(dom, "send-key", args, NULL, cb, userdata, error);
}

int
qemu_domain_inject_nmi(Domain *dom, unsigned flags, DomainDoneCb cb, void *userdata,
                       Error *error)
{
    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function qemuDomainInjectNMI", flags);
    return qemu_job_modify(dom, "inject-nmi", NULL, NULL, cb, userdata, error);
}
