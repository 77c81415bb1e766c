#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "bus_util.h"
#include "macros.h"

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
bus_reply_method_error(sd_bus_message *m, const Error *error, int r)
{
    sd_bus_error be = SD_BUS_ERROR_NULL;

    error_to_bus(error, r, &be);
    r = sd_bus_reply_method_error(m, &be);
    sd_bus_error_free(&be);
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

typedef struct CallerQuery {
    sd_bus_message *m;
    BusCallerFn fn;
    void *userdata;
} CallerQuery;

static void
caller_query_free(void *userdata)
{
    CallerQuery *q = userdata;

    sd_bus_message_unref(q->m);
    free(q);
}

static int
caller_uid_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error)
{
    CallerQuery *q = userdata;
    uint32_t uid;
    int r;

    if (sd_bus_message_is_method_error(reply, NULL))
        r = -sd_bus_message_get_errno(reply) ?: -EACCES;
    else
        r = sd_bus_message_read(reply, "u", &uid);
    q->fn(q->m, r > 0 ? (int64_t) uid : (r < 0 ? r : -EBADMSG), q->userdata);
    return 0;
}

int
bus_query_caller_uid(sd_bus_message *m, BusCallerFn fn, void *userdata, sd_bus_slot **ret_slot)
{
    sd_bus_creds *creds = sd_bus_message_get_creds(m);
    const char *sender = sd_bus_message_get_sender(m);
    sd_bus_slot *slot = NULL;
    CallerQuery *q;
    uid_t uid;
    int r;

    if (creds && sd_bus_creds_get_euid(creds, &uid) >= 0) {
        fn(m, uid, userdata);
        return 0;
    }
    if (!sender)
        return -ENXIO;
    q = xcalloc(1, sizeof(*q));
    q->m = sd_bus_message_ref(m);
    q->fn = fn;
    q->userdata = userdata;
    r = sd_bus_call_method_async(sd_bus_message_get_bus(m), &slot, "org.freedesktop.DBus",
                                 "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                 "GetConnectionUnixUser", caller_uid_reply, q, "s", sender);
    if (r < 0) {
        caller_query_free(q);
        return r;
    }
    sd_bus_slot_set_destroy_callback(slot, caller_query_free);
    if (ret_slot)
        *ret_slot = slot;
    else {
        sd_bus_slot_set_floating(slot, 1);
        sd_bus_slot_unref(slot);
    }
    return 0;
}

bool
bus_uid_is_privileged(int64_t uid)
{
    return uid == 0 || (uid > 0 && (uid_t) uid == geteuid());
}

int
bus_append_bools(sd_bus_message *m, const bool *v, size_t n)
{
    int r = sd_bus_message_open_container(m, 'a', "b");

    for (size_t i = 0; r >= 0 && i < n; i++)
        r = sd_bus_message_append(m, "b", (int) v[i]);
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    return r;
}

int
bus_read_bools(sd_bus_message *m, bool **ret, size_t *ret_n)
{
    bool *v = NULL;
    size_t n = 0;
    int on, r = sd_bus_message_enter_container(m, 'a', "b");

    while (r > 0 && (r = sd_bus_message_read_basic(m, 'b', &on)) > 0) {
        v = xrealloc(v, (n + 1) * sizeof(*v));
        v[n++] = on;
    }
    if (r >= 0)
        r = sd_bus_message_exit_container(m);
    if (r < 0) {
        free(v);
        return r;
    }
    *ret = v;
    *ret_n = n;
    return 0;
}
