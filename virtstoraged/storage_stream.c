/* Upload and download: a volume's bytes over one end of a socketpair, moved
 * by a thread of the stream's own so that neither the loop nor the worker
 * pool waits on a slow client. The protocol is documented in
 * api/org.virtstack.Storage.xml; this file is its daemon side.
 *
 * The loop marks the volume busy, opens the file and the socketpair, and
 * starts the thread; the thread moves the bytes, closes the file and wakes
 * the loop (uv_async), which joins it, probes the volume again, releases it,
 * and only then writes the status line and closes the socket: a client that
 * has read "OK" finds the volume free. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "storage_driver.h"

#define STREAM_CHUNK (256 * 1024)

struct StorageStream {
    uv_async_t async;        /* first: the close callback frees the Stream */
    uv_thread_t thread;
    StorageVol *vol;         /* borrowed: busy until the stream ends */
    bool status_due;         /* the thread finished its part: the loop sends the line */
    bool upload;
    int file_fd;             /* owned by the thread once started */
    int sock_fd;
    uint64_t offset;
    uint64_t max;            /* upload: most bytes accepted; download: N */
    uint64_t done;           /* bytes moved */
    bool finished;           /* the loop has ended it (stream_finish) */
    int r;
    Error error;
};
typedef struct StorageStream Stream;

static int
send_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;

    while (len) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        p += n;
        len -= n;
    }
    return 0;
}

static void
send_status(Stream *s)
{
    char line[1200];

    if (s->r >= 0) {
        snprintf(line, sizeof(line), "OK\n");
    } else {
        snprintf(line, sizeof(line), "ERROR %d %s\n",
                 s->error.code ? s->error.code : VIR_ERR_INTERNAL_ERROR,
                 s->error.message ? s->error.message : "stream failed");
        /* One line: a message never holds a newline of its own. */
        for (char *c = line; c[0] && c[1]; c++)
            if (*c == '\n')
                *c = ' ';
    }
    send_all(s->sock_fd, line, strlen(line));
}

static void
run_upload(Stream *s)
{
    auto_cleanup(free_ptr) char *buf = xmalloc(STREAM_CHUNK);
    const char *path = s->vol->def->target_path; /* constant while busy */

    for (;;) {
        ssize_t n = read(s->sock_fd, buf, STREAM_CHUNK);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            s->r = error_set_errno(&s->error, -errno, VIR_ERR_READ_FAILED,
                                   "upload to volume '%s' was cut", path);
            return;
        }
        if (n == 0)
            break;
        if ((uint64_t) n > s->max - s->done) {
            s->r = error_set(&s->error, -EFBIG, VIR_ERR_INVALID_ARG,
                             "upload to volume '%s' goes past %" PRIu64 " bytes", path,
                             s->max);
            return;
        }
        for (ssize_t off = 0; off < n;) {
            ssize_t w = pwrite(s->file_fd, buf + off, n - off,
                               (off_t) (s->offset + s->done + off));

            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                s->r = error_set_errno(&s->error, w < 0 ? -errno : -EIO, VIR_ERR_SYSTEM_ERROR,
                                       "cannot write to volume '%s'", path);
                return;
            }
            off += w;
        }
        s->done += n;
    }
    if (fsync(s->file_fd) < 0)
        s->r = error_set_errno(&s->error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot write to volume '%s'", path);
}

static void
run_download(Stream *s)
{
    const char *path = s->vol->def->target_path;
    uint8_t hdr[8];
    off_t pos = (off_t) s->offset;
    int r;

    for (int i = 0; i < 8; i++)
        hdr[i] = (uint8_t) (s->max >> (56 - 8 * i));
    r = send_all(s->sock_fd, hdr, sizeof(hdr));
    while (r >= 0 && s->done < s->max) {
        size_t want = s->max - s->done < STREAM_CHUNK * 4 ? s->max - s->done : STREAM_CHUNK * 4;
        ssize_t n = sendfile(s->sock_fd, s->file_fd, &pos, want);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET)) {
            /* The client went away: nobody to tell. */
            s->r = error_set_errno(&s->error, -errno, VIR_ERR_WRITE_FAILED,
                                   "download of volume '%s' was cut", path);
            return;
        }
        if (n <= 0) {
            /* The file failed (or shrank): keep the framing, then say so. */
            auto_cleanup(free_ptr) char *zeros = xcalloc(1, STREAM_CHUNK);

            s->r = n < 0 ? error_set_errno(&s->error, -errno, VIR_ERR_READ_FAILED,
                                           "cannot read volume '%s'", path)
                         : error_set(&s->error, -EIO, VIR_ERR_READ_FAILED,
                                     "volume '%s' ended before %" PRIu64 " bytes", path,
                                     s->max);
            while (r >= 0 && s->done < s->max) {
                size_t z = s->max - s->done < STREAM_CHUNK ? s->max - s->done : STREAM_CHUNK;
                r = send_all(s->sock_fd, zeros, z);
                s->done += z;
            }
            break;
        }
        s->done += n;
    }
    if (r < 0 && s->r >= 0)
        s->r = error_set_errno(&s->error, r, VIR_ERR_WRITE_FAILED,
                               "download of volume '%s' was cut", path);
    else if (r >= 0)
        s->status_due = true;
}

static void
stream_thread(void *arg)
{
    Stream *s = arg;

    if (s->upload) {
        run_upload(s);
        s->status_due = true;
    } else {
        run_download(s);
    }
    /* EOF is the loop's to send, once the volume is free again: a client
     * that sees EOF and then calls Delete finds the volume idle. */
    close(s->file_fd);
    uv_async_send(&s->async);
}

static void
stream_closed(uv_handle_t *h)
{
    Stream *s = (Stream *) h;

    error_clear(&s->error);
    free(s);
}

/* The loop's part of the end, once the thread is done or about to be:
 * joins it, releases the volume, and only then sends the status line and
 * closes the socket. */
static void
stream_finish(Stream *s)
{
    if (s->finished)
        return;
    s->finished = true;
    uv_thread_join(&s->thread);
    if (s->r < 0)
        log_warn("%s", s->error.message);
    else
        log_debug("%s of %" PRIu64 " bytes of volume '%s' done", s->upload ? "upload" : "download",
                  s->done, s->vol->def->name);
    s->vol->stream = NULL;
    storage_vol_end_busy(s->vol);
    /* The status line comes once the volume is free: a client that reads
     * "OK" may use the volume at once. */
    if (s->status_due)
        send_status(s);
    shutdown(s->sock_fd, SHUT_RDWR);
    close(s->sock_fd);
    uv_close((uv_handle_t *) &s->async, stream_closed);
}

static void
stream_ended(uv_async_t *a)
{
    stream_finish((Stream *) a);
}

void
storage_stream_settle(StorageVol *vol)
{
    struct pollfd p = { .fd = vol->stream ? vol->stream->sock_fd : -1 };

    /* POLLHUP: the peer closed (an upload's normal end, a shutdown of the
     * peer's write side alone, gives only POLLRDHUP). The thread then ends
     * promptly: its send fails with EPIPE or its read sees EOF. */
    if (vol->stream && poll(&p, 1, 0) == 1 && (p.revents & POLLHUP))
        stream_finish(vol->stream);
}

static int
stream_start(StorageVol *vol, bool upload, uint64_t offset, uint64_t length, unsigned flags,
             int *ret_fd, Error *error)
{
    const char *func = upload ? "Upload" : "Download";
    auto_cleanup(close_fdp) int fd = -1;
    int sv[2];
    uint64_t size, max;
    struct stat st;
    Stream *s;
    int r;

    if (flags)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "unsupported flags (0x%x) in function %s", flags, func);
    r = storage_pool_check_active(vol->pool, error);
    if (r < 0)
        return r;
    storage_stream_settle(vol);
    if (vol->busy || vol->building || vol->readers)
        return error_set(error, -EBUSY, VIR_ERR_OPERATION_INVALID,
                         "storage volume '%s' is busy with another operation", vol->def->name);
    fd = open(vol->def->target_path,
              (upload ? O_WRONLY : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 || fstat(fd, &st) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR, "cannot open volume '%s'",
                               vol->def->target_path);
    size = st.st_size;
    if (upload) {
        /* A raw volume keeps its size; an image file may be replaced whole. */
        uint64_t end = vol->def->format == STORAGE_VOL_FORMAT_RAW ? size : UINT64_MAX;

        if (offset > end)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "offset %" PRIu64 " is past the end of volume '%s'", offset,
                             vol->def->name);
        max = end - offset;
        if (length && length < max)
            max = length;
    } else {
        if (offset > size)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "offset %" PRIu64 " is past the end of volume '%s'", offset,
                             vol->def->name);
        max = size - offset;
        if (length && length < max)
            max = length;
    }
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
        return error_set_errno(error, -errno, VIR_ERR_SYSTEM_ERROR,
                               "cannot make a socket for volume '%s'", vol->def->name);

    s = xcalloc(1, sizeof(*s));
    s->vol = vol;
    s->upload = upload;
    s->file_fd = steal_fd(fd);
    s->sock_fd = sv[0];
    s->offset = offset;
    s->max = max;
    uv_async_init(vol->pool->drv->loop, &s->async, stream_ended);
    r = storage_vol_begin_busy(vol, upload ? "upload" : "download", error);
    if (r >= 0) {
        r = uv_thread_create(&s->thread, stream_thread, s);
        if (r >= 0)
            vol->stream = s;
        if (r < 0) {
            storage_vol_end_busy(vol);
            r = error_set(error, r, VIR_ERR_INTERNAL_ERROR, "cannot start a thread: %s",
                          uv_strerror(r));
        }
    }
    if (r < 0) {
        close(s->file_fd);
        close(sv[0]);
        close(sv[1]);
        uv_close((uv_handle_t *) &s->async, stream_closed);
        return r;
    }
    *ret_fd = sv[1];
    return 0;
}

int
storage_vol_upload(StorageVol *vol, uint64_t offset, uint64_t length, unsigned flags,
                   int *ret_fd, Error *error)
{
    return stream_start(vol, true, offset, length, flags, ret_fd, error);
}

int
storage_vol_download(StorageVol *vol, uint64_t offset, uint64_t length, unsigned flags,
                     int *ret_fd, Error *error)
{
    return stream_start(vol, false, offset, length, flags, ret_fd, error);
}
