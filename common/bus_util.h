/* Small pieces every daemon's bus layer needs. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "error.h"

/* For a method handler: fills @bus_error from @error (which is cleared) and
 * returns what the handler returns. */
int bus_reply_error(sd_bus_error *bus_error, Error *error, int r);

/* For an asynchronous handler's completion: replies to @m with @error
 * (@r when @error carries no errno). */
int bus_reply_method_error(sd_bus_message *m, const Error *error, int r);

/* Replies "ao" with @paths. */
/* A host CPU map as D-Bus carries it ("ab", one boolean per CPU): append
 * @n of them; read one into a new array. */
int bus_append_bools(sd_bus_message *m, const bool *v, size_t n);
int bus_read_bools(sd_bus_message *m, bool **ret, size_t *ret_n);
int bus_reply_paths(sd_bus_message *m, char *const *paths, size_t n);

/* Replies "ao" with the object path found at @path_offset (a char *) in each
 * of @objects: bus_reply_object_paths(m, (void **) doms, n,
 * offsetof(Domain, path)). */
int bus_reply_object_paths(sd_bus_message *m, void *const *objects, size_t n,
                           size_t path_offset);

/* Learns the effective uid of @m's sender without blocking the loop: from
 * the message when the bus attached credentials (then @fn runs before this
 * returns), else by asking the bus driver (GetConnectionUnixUser), when @fn
 * runs from the loop. @fn gets the uid, or a negative errno when the bus
 * cannot tell; @m stays referenced until @fn has run. With @ret_slot the
 * caller owns the pending query and may cancel it by unreferencing the slot
 * (then @fn never runs); without, the bus owns it. Returns 0, or a negative
 * errno when the question could not be asked (and @fn never runs). */
typedef void (*BusCallerFn)(sd_bus_message *m, int64_t uid, void *userdata);
int bus_query_caller_uid(sd_bus_message *m, BusCallerFn fn, void *userdata,
                         sd_bus_slot **ret_slot);

/* Whether @uid may change things: root, or the user the daemon runs as (a
 * --session daemon serves its own user). */
bool bus_uid_is_privileged(int64_t uid);

/* One interface a daemon serves: its name and vtable. Each daemon's bus
 * layer lists its interfaces in a table ending with { NULL, NULL }, which
 * tests/test_bus_contract.c compares with the XML in api/. */
typedef struct BusInterfaceSpec {
    const char *name;
    const sd_bus_vtable *vtable;
} BusInterfaceSpec;
