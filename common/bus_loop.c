/* sd-bus driven by a libuv loop: a uv_poll on the bus fd, a uv_timer for
 * sd-bus's own deadlines (method call timeouts, queued messages), and a
 * uv_prepare that re-arms both before the loop blocks, so that messages
 * queued by any libuv callback are written out in the same iteration. */
#include "bus_loop.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <stdint.h>
#include <time.h>

#include "log.h"
#include "macros.h"

struct BusLoop {
    sd_bus *bus;
    uv_loop_t *loop;      /* borrowed */
    uv_poll_t poll;
    uv_timer_t timer;
    uv_prepare_t prepare;
    void (*on_disconnect)(void *userdata);
    void *userdata;
    int fd;               /* our dup of the bus fd, closed when the BusLoop is freed */
    int poll_events;      /* UV_* events the poll handle is armed with; -1: stopped */
    uint64_t timer_due;   /* CLOCK_MONOTONIC usec the timer is armed for; UINT64_MAX: none */
    unsigned open_handles;
    bool poll_started;
    bool disconnected;
    bool closing;
};

int
bus_open(BusKind kind, const char *address, const char *description, sd_bus **ret_bus,
         Error *error)
{
    sd_bus *bus = NULL;
    int r;

    switch (kind) {
    case BUS_KIND_SYSTEM:
        r = description ? sd_bus_open_system_with_description(&bus, description)
                        : sd_bus_open_system(&bus);
        if (r < 0)
            return error_set_errno(error, r, VIR_ERR_DBUS_SERVICE,
                                   "cannot connect to the system bus");
        break;
    case BUS_KIND_SESSION:
        r = description ? sd_bus_open_user_with_description(&bus, description)
                        : sd_bus_open_user(&bus);
        if (r < 0)
            return error_set_errno(error, r, VIR_ERR_DBUS_SERVICE,
                                   "cannot connect to the session bus");
        break;
    case BUS_KIND_ADDRESS:
        if (!address || !*address)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "no bus address given");
        r = sd_bus_new(&bus);
        if (r < 0)
            return error_set_errno(error, r, VIR_ERR_DBUS_SERVICE,
                                   "cannot create a bus connection");
        r = sd_bus_set_address(bus, address);
        if (r >= 0)
            r = sd_bus_set_bus_client(bus, 1);
        if (r >= 0 && description)
            r = sd_bus_set_description(bus, description);
        if (r >= 0)
            r = sd_bus_negotiate_fds(bus, 1);
        if (r >= 0)
            r = sd_bus_start(bus);
        if (r < 0) {
            sd_bus_unref(bus);
            return error_set_errno(error, r, VIR_ERR_DBUS_SERVICE,
                                   "cannot connect to the bus at '%s'", address);
        }
        break;
    default:
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "unknown bus kind %d", (int) kind);
    }

    *ret_bus = bus;
    return 0;
}

static uint64_t
now_monotonic_usec(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

static void bus_loop_poll_cb(uv_poll_t *handle, int status, int events);
static void bus_loop_timer_cb(uv_timer_t *handle);

static void
bus_loop_stop_watching(BusLoop *bl)
{
    if (bl->poll_started) {
        uv_poll_stop(&bl->poll);
        bl->poll_started = false;
    }
    bl->poll_events = -1;
    uv_timer_stop(&bl->timer);
    bl->timer_due = UINT64_MAX;
    uv_prepare_stop(&bl->prepare);
}

static void
bus_loop_disconnected(BusLoop *bl)
{
    if (bl->disconnected)
        return;
    bl->disconnected = true;
    log_debug("bus connection lost");
    if (!bl->closing)
        bus_loop_stop_watching(bl);
    if (bl->on_disconnect)
        bl->on_disconnect(bl->userdata);
}

/* Points the poll handle and the timer at what sd-bus waits for now. */
static void
bus_loop_arm(BusLoop *bl)
{
    uint64_t due = UINT64_MAX;
    int events, uv_events = 0, r;

    if (bl->closing || bl->disconnected)
        return;
    if (sd_bus_is_open(bl->bus) <= 0) {
        bus_loop_disconnected(bl);
        return;
    }

    events = sd_bus_get_events(bl->bus);
    if (events < 0) {
        bus_loop_disconnected(bl);
        return;
    }
    if (events & POLLIN)
        uv_events |= UV_READABLE;
    if (events & POLLOUT)
        uv_events |= UV_WRITABLE;
    /* Always watch for input: a hangup must wake us even while sd-bus
     * only wants to write. */
    uv_events |= UV_READABLE | UV_DISCONNECT;
    if (uv_events != bl->poll_events) {
        r = uv_poll_start(&bl->poll, uv_events, bus_loop_poll_cb);
        if (r < 0) {
            log_debug("cannot watch the bus fd %d: %s", bl->fd, uv_strerror(r));
            bus_loop_disconnected(bl);
            return;
        }
        bl->poll_started = true;
        bl->poll_events = uv_events;
    }

    r = sd_bus_get_timeout(bl->bus, &due);
    if (r < 0)
        due = UINT64_MAX;
    if (due != bl->timer_due || due == 0) {
        uint64_t now, ms;

        uv_timer_stop(&bl->timer);
        bl->timer_due = due;
        if (due != UINT64_MAX) {
            now = now_monotonic_usec();
            /* Round up: firing a little early would just re-arm for the rest. */
            ms = due > now ? (due - now + 999) / 1000 : 0;
            uv_timer_start(&bl->timer, bus_loop_timer_cb, ms, 0);
        }
    }
}

/* Lets sd-bus read, write and dispatch until it has nothing left to do. */
static void
bus_loop_process(BusLoop *bl)
{
    int r;

    if (bl->closing || bl->disconnected)
        return;
    /* A handler may detach us; the memory stays valid until the close
     * callbacks run, after we return. */
    for (;;) {
        r = sd_bus_process(bl->bus, NULL);
        if (r < 0) {
            if (r != -ENOTCONN && r != -ECONNRESET && r != -EPIPE)
                log_debug("sd_bus_process failed: %s", strerror(-r));
            bus_loop_disconnected(bl);
            return;
        }
        if (r == 0 || bl->closing)
            break;
    }
    bus_loop_arm(bl);
}

static void
bus_loop_poll_cb(uv_poll_t *handle, int status, int events)
{
    BusLoop *bl = handle->data;

    /* On a poll error, sd_bus_process() finds out what is wrong. */
    bus_loop_process(bl);
}

static void
bus_loop_timer_cb(uv_timer_t *handle)
{
    BusLoop *bl = handle->data;

    bl->timer_due = UINT64_MAX;
    bus_loop_process(bl);
}

static void
bus_loop_prepare_cb(uv_prepare_t *handle)
{
    BusLoop *bl = handle->data;

    /* Something may have been queued since we last looked (a reply sent
     * from a timer, a call started from a child's exit callback): make
     * sure the poll watches for POLLOUT and the timer fires for queued
     * input before the loop blocks. */
    bus_loop_arm(bl);
}

int
bus_loop_attach(sd_bus *bus, uv_loop_t *loop, void (*on_disconnect)(void *userdata),
                void *userdata, BusLoop **ret, Error *error)
{
    BusLoop *bl;
    int fd, r;

    fd = sd_bus_get_fd(bus);
    if (fd < 0)
        return error_set_errno(error, fd, VIR_ERR_DBUS_SERVICE,
                               "cannot get the bus connection's file descriptor");

    /* Watch our own duplicate: sd-bus closes its fd as soon as the
     * connection drops, and libuv must never be left holding an fd number
     * that something else may reuse. */
    fd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    if (fd < 0)
        return error_set_errno(error, -errno, VIR_ERR_INTERNAL_ERROR,
                               "cannot duplicate the bus connection's file descriptor");

    bl = xcalloc(1, sizeof(*bl));
    r = uv_poll_init(loop, &bl->poll, fd);
    if (r < 0) {
        close(fd);
        free(bl);
        return error_set(error, -EIO, VIR_ERR_INTERNAL_ERROR,
                         "cannot watch bus file descriptor %d: %s", fd, uv_strerror(r));
    }
    uv_timer_init(loop, &bl->timer);
    uv_prepare_init(loop, &bl->prepare);
    bl->poll.data = bl;
    bl->timer.data = bl;
    bl->prepare.data = bl;
    bl->open_handles = 3;
    bl->bus = sd_bus_ref(bus);
    bl->loop = loop;
    bl->fd = fd;
    bl->on_disconnect = on_disconnect;
    bl->userdata = userdata;
    bl->poll_events = -1;
    bl->timer_due = UINT64_MAX;

    uv_prepare_start(&bl->prepare, bus_loop_prepare_cb);
    bus_loop_arm(bl);

    *ret = bl;
    return 0;
}

static void
bus_loop_close_cb(uv_handle_t *handle)
{
    BusLoop *bl = handle->data;

    if (--bl->open_handles > 0)
        return;
    sd_bus_unref(bl->bus);
    close(bl->fd);
    free(bl);
}

void
bus_loop_detach(BusLoop *bl)
{
    if (!bl || bl->closing)
        return;
    bl->closing = true;
    bus_loop_stop_watching(bl);
    uv_close((uv_handle_t *) &bl->poll, bus_loop_close_cb);
    uv_close((uv_handle_t *) &bl->timer, bus_loop_close_cb);
    uv_close((uv_handle_t *) &bl->prepare, bus_loop_close_cb);
}
