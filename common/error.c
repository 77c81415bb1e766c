#include "error.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const struct {
    int code;
    const char *name;
} error_table[] = {
#define X(sym, num, name) { num, name },
    ERROR_CODES(X)
#undef X
};

static int error_setv(Error *error, int r, int code, const char *suffix, const char *fmt,
                      va_list ap) __attribute__((format(printf, 5, 0)));

static int
error_setv(Error *error, int r, int code, const char *suffix, const char *fmt, va_list ap)
{
    char *msg;

    if (!error || error->code != 0)
        return r;
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    if (suffix) {
        char *full = xasprintf("%s: %s", msg, suffix);
        free(msg);
        msg = full;
    }
    error->code = code ? code : VIR_ERR_INTERNAL_ERROR;
    error->message = msg;
    return r;
}

int
error_set(Error *error, int r, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_setv(error, r, code, NULL, fmt, ap);
    va_end(ap);
    return r;
}

int
error_set_errno(Error *error, int r, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    error_setv(error, r, code, strerror(r < 0 ? -r : r), fmt, ap);
    va_end(ap);
    return r;
}

bool
error_is_set(const Error *error)
{
    return error && error->code != 0;
}

void
error_clear(Error *error)
{
    if (!error)
        return;
    free(error->message);
    error->message = NULL;
    error->code = 0;
}

void
error_move(Error *to, Error *from)
{
    if (to && to->code == 0 && from->code != 0) {
        *to = *from;
        from->message = NULL;
        from->code = 0;
        return;
    }
    error_clear(from);
}

const char *
error_code_to_name(int code)
{
    for (size_t i = 0; i < ARRAY_SIZE(error_table); i++)
        if (error_table[i].code == code)
            return error_table[i].name;
    return NULL;
}

int
error_code_from_name(const char *name)
{
    if (!name)
        return -1;
    if (strncmp(name, ERROR_BUS_PREFIX, strlen(ERROR_BUS_PREFIX)) == 0)
        name += strlen(ERROR_BUS_PREFIX);
    for (size_t i = 0; i < ARRAY_SIZE(error_table); i++)
        if (strcmp(error_table[i].name, name) == 0)
            return error_table[i].code;
    return -1;
}

int
error_to_bus(const Error *error, int r, sd_bus_error *bus_error)
{
    char name[128];
    const char *n;

    if (r >= 0)
        r = -EIO;
    if (!error_is_set(error)) {
        return sd_bus_error_setf(bus_error, ERROR_BUS_PREFIX "InternalError",
                                 "internal error: %s", strerror(-r));
    }
    n = error_code_to_name(error->code);
    snprintf(name, sizeof(name), ERROR_BUS_PREFIX "%s", n ? n : "InternalError");
    sd_bus_error_set(bus_error, name, error->message);
    return r;
}

int
error_from_bus(Error *error, const sd_bus_error *bus_error)
{
    int code = error_code_from_name(bus_error->name);
    int r = sd_bus_error_get_errno(bus_error);

    if (code <= 0)
        code = VIR_ERR_INTERNAL_ERROR;
    if (r <= 0)
        r = EIO;
    if (code == VIR_ERR_INTERNAL_ERROR && bus_error->name &&
        strncmp(bus_error->name, ERROR_BUS_PREFIX, strlen(ERROR_BUS_PREFIX)) != 0)
        return error_set(error, -r, code, "%s: %s", bus_error->name,
                         bus_error->message ? bus_error->message : "");
    return error_set(error, -r, code, "%s", bus_error->message ? bus_error->message : "");
}
