/* Small pieces every daemon's bus layer needs. */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

#include "error.h"

/* For a method handler: fills @bus_error from @error (which is cleared) and
 * returns what the handler returns. */
int bus_reply_error(sd_bus_error *bus_error, Error *error, int r);

/* Replies "ao" with @paths. */
int bus_reply_paths(sd_bus_message *m, char *const *paths, size_t n);

/* Replies "ao" with the object path found at @path_offset (a char *) in each
 * of @objects: bus_reply_object_paths(m, (void **) doms, n,
 * offsetof(Domain, path)). */
int bus_reply_object_paths(sd_bus_message *m, void *const *objects, size_t n,
                           size_t path_offset);
