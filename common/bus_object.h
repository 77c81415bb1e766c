/* The bus side of an object kind, written once: the Lookup* and List*
 * methods of org.libvirt.Connect and the find and enumerate callbacks of a
 * kind's fallback vtable. Each macro defines one static function for a
 * daemon whose bus structure (Bus) has a `drv` member, the driver the
 * calls go to.
 *
 *   BUS_LOOKUP_METHOD(bus_lookup_by_name, NetworkBus, Network, "s", const char *,
 *                     network_driver_lookup_name, path)
 *
 * reads one argument of D-Bus type @sig into a @CType, calls
 * lookup(drv, arg, &obj, &error) and replies obj->@path_member ("o"), or
 * the driver's error. */
#pragma once

#include <stddef.h>
#include <systemd/sd-bus.h>

#include "bus_util.h"
#include "error.h"
#include "macros.h"

#define BUS_LOOKUP_METHOD(fn, Bus, Obj, sig, CType, lookup, path_member) \
    static int \
    fn(sd_bus_message *m, void *userdata, sd_bus_error *bus_error) \
    { \
        Bus *bus_ = userdata; \
        Error error_ = ERROR_INIT; \
        Obj *obj_ = NULL; \
        CType arg_; \
        int r_ = sd_bus_message_read(m, sig, &arg_); \
        if (r_ < 0) \
            return r_; \
        r_ = lookup(bus_->drv, arg_, &obj_, &error_); \
        if (r_ < 0) \
            return bus_reply_error(bus_error, &error_, r_); \
        return sd_bus_reply_method_return(m, "o", obj_->path_member); \
    }

/* List*: reads the flags ("u"), calls list(drv, flags, &objs, &n, &error)
 * (a new array of borrowed objects) and replies their paths ("ao"). */
#define BUS_LIST_METHOD(fn, Bus, Obj, list, path_member) \
    static int \
    fn(sd_bus_message *m, void *userdata, sd_bus_error *bus_error) \
    { \
        Bus *bus_ = userdata; \
        Error error_ = ERROR_INIT; \
        auto_cleanup(free_ptr) Obj **objs_ = NULL; \
        uint32_t flags_; \
        size_t n_; \
        int r_ = sd_bus_message_read(m, "u", &flags_); \
        if (r_ < 0) \
            return r_; \
        r_ = list(bus_->drv, flags_, &objs_, &n_, &error_); \
        if (r_ < 0) \
            return bus_reply_error(bus_error, &error_, r_); \
        return bus_reply_object_paths(m, (void *const *) objs_, n_, offsetof(Obj, path_member)); \
    }

/* A fallback vtable's find callback: find(drv, path) returns the object
 * (NULL: no such object), which the methods get as their userdata. */
#define BUS_FIND_CALLBACK(fn, Bus, find) \
    static int \
    fn(sd_bus *bus, const char *path, const char *interface, void *userdata, \
       void **ret_found, sd_bus_error *bus_error) \
    { \
        Bus *bus_ = userdata; \
        void *obj_ = find(bus_->drv, path); \
        if (!obj_) \
            return 0; \
        *ret_found = obj_; \
        return 1; \
    }

/* A node enumerator: the paths of the count(drv) objects nth(drv, i). */
#define BUS_ENUMERATE_CALLBACK(fn, Bus, count, nth, path_member) \
    static int \
    fn(sd_bus *bus, const char *prefix, void *userdata, char ***ret_nodes, \
       sd_bus_error *bus_error) \
    { \
        Bus *bus_ = userdata; \
        size_t n_ = count(bus_->drv); \
        char **nodes_ = xcalloc(n_ + 1, sizeof(*nodes_)); \
        for (size_t i_ = 0; i_ < n_; i_++) \
            nodes_[i_] = xstrdup(nth(bus_->drv, i_)->path_member); \
        *ret_nodes = nodes_; \
        return 0; \
    }
