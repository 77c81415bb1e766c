#include "bus_util.h"

int
bus_reply_error(sd_bus_error *bus_error, Error *error, int r)
{
    r = error_to_bus(error, r, bus_error);
    error_clear(error);
    return r;
}

static int
reply_paths(sd_bus_message *m, char *const *paths, void *const *objects, size_t n,
            size_t path_offset)
{
    sd_bus_message *reply = NULL;
    int r;

    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "o");
    for (size_t i = 0; r >= 0 && i < n; i++) {
        const char *path = paths ? paths[i]
                                 : *(char *const *) ((const char *) objects[i] + path_offset);
        r = sd_bus_message_append_basic(reply, 'o', path);
    }
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    return r;
}

int
bus_reply_paths(sd_bus_message *m, char *const *paths, size_t n)
{
    return reply_paths(m, paths, NULL, n, 0);
}

int
bus_reply_object_paths(sd_bus_message *m, void *const *objects, size_t n, size_t path_offset)
{
    return reply_paths(m, NULL, objects, n, path_offset);
}
