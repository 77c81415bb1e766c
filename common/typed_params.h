/* libvirt's typed parameters on D-Bus: a{sv}, each value's D-Bus type
 * standing for its libvirt type (i INT, u UINT, x LLONG, t ULLONG, d
 * DOUBLE, b BOOLEAN, s STRING), as libvirt-dbus maps them. A daemon reads a
 * caller's list, checks it against what a call takes (libvirt's
 * virTypedParamsValidate errors), and writes its answers in order. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "error.h"
#include "virt_constants.h"

typedef struct TypedParam {
    char *field;
    int type; /* TYPED_PARAM_* */
    union {
        int32_t i;
        uint32_t ui;
        int64_t l;
        uint64_t ul;
        double d;
        bool b;
        char *s;
    } v;
} TypedParam;

typedef struct TypedParams {
    TypedParam *p;
    size_t n;
} TypedParams;

/* What a call takes: a field and its type. */
typedef struct TypedParamSpec {
    const char *field;
    int type;
} TypedParamSpec;

void typed_params_add_int(TypedParams *tp, const char *field, int32_t v);
void typed_params_add_bool(TypedParams *tp, const char *field, bool v);
void typed_params_add_uint(TypedParams *tp, const char *field, uint32_t v);
void typed_params_add_llong(TypedParams *tp, const char *field, int64_t v);
void typed_params_add_ullong(TypedParams *tp, const char *field, uint64_t v);
void typed_params_add_string(TypedParams *tp, const char *field, const char *v);
void typed_params_clear(TypedParams *tp);
/* libvirt's name of a VIR_TYPED_PARAM_* type ("uint"), for its messages. */
const char *typed_param_type_name(int type);

/* Appends @tp as a{sv}; entries(): its {sv} entries into an open a{sv}. */
int typed_params_write(sd_bus_message *m, const TypedParams *tp);
int typed_params_write_entries(sd_bus_message *m, const TypedParams *tp);
/* Reads a{sv} into @tp (empty first); -EINVAL with an error for a value of
 * no typed parameter type. */
int typed_params_read(sd_bus_message *m, TypedParams *tp, Error *error);
/* libvirt's checks: each field known to @spec, of its type, once. */
int typed_params_validate(const TypedParams *tp, const TypedParamSpec *spec, size_t n_spec,
                          Error *error);
const TypedParam *typed_params_get(const TypedParams *tp, const char *field);
