/* sd-bus driven by a libuv loop.
 *
 * sd-bus has sd_bus_attach_event() for sd-event; the daemons run libuv
 * (docs/architecture.md), so this file does the same job on a uv_loop_t. Everything here
 * runs on the loop's thread. Blocking sd_bus_call() must never be used on a
 * daemon's loop: use sd_bus_call_async(). */
#pragma once

#include <systemd/sd-bus.h>
#include <uv.h>

#include "error.h"

typedef enum {
    BUS_KIND_SYSTEM,
    BUS_KIND_SESSION,
    BUS_KIND_ADDRESS,
} BusKind;

/* Opens a bus connection: the system or session bus, or @address (e.g.
 * "unix:path=/tmp/x/bus", only for BUS_KIND_ADDRESS). @description names the
 * connection in sd-bus debug output and may be NULL. The connection is not yet
 * attached to any loop. On success *ret_bus holds a new reference. */
int bus_open(BusKind kind, const char *address, const char *description, sd_bus **ret_bus,
             Error *error);

/* Drives @bus from @loop: a uv_poll on sd_bus_get_fd() with
 * sd_bus_get_events(), a uv_timer for sd_bus_get_timeout(), and
 * sd_bus_process() until it returns 0 on every wakeup; re-arms poll events and
 * timer after each round, and (through a uv_prepare handle) before the loop
 * blocks, so that a message queued from any libuv callback is written out
 * without waiting. When the connection drops, calls @on_disconnect(@userdata)
 * once (may be NULL); the BusLoop stays attached until bus_loop_detach().
 * Takes a reference on @bus, dropped when the BusLoop is freed. */
typedef struct BusLoop BusLoop;
int bus_loop_attach(sd_bus *bus, uv_loop_t *loop, void (*on_disconnect)(void *userdata),
                    void *userdata, BusLoop **ret, Error *error);
/* Detaches; frees from the uv close callbacks (the loop must run once more
 * for the memory to be released). Does not close the bus: it only drops the
 * reference bus_loop_attach() took. Accepts NULL. */
void bus_loop_detach(BusLoop *bl);
