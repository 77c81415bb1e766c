/* Typed parameters on D-Bus (see typed_params.h). */
#include <errno.h>
#include <string.h>

#include "macros.h"
#include "typed_params.h"

static TypedParam *
add(TypedParams *tp, const char *field, int type)
{
    TypedParam *p;

    tp->p = xrealloc(tp->p, (tp->n + 1) * sizeof(*tp->p));
    p = &tp->p[tp->n++];
    memset(p, 0, sizeof(*p));
    p->field = xstrdup(field);
    p->type = type;
    return p;
}

void
typed_params_add_int(TypedParams *tp, const char *field, int32_t v)
{
    add(tp, field, TYPED_PARAM_INT)->v.i = v;
}

void
typed_params_add_bool(TypedParams *tp, const char *field, bool v)
{
    add(tp, field, TYPED_PARAM_BOOLEAN)->v.b = v;
}

void
typed_params_add_uint(TypedParams *tp, const char *field, uint32_t v)
{
    add(tp, field, TYPED_PARAM_UINT)->v.ui = v;
}

void
typed_params_add_llong(TypedParams *tp, const char *field, int64_t v)
{
    add(tp, field, TYPED_PARAM_LLONG)->v.l = v;
}

void
typed_params_add_ullong(TypedParams *tp, const char *field, uint64_t v)
{
    add(tp, field, TYPED_PARAM_ULLONG)->v.ul = v;
}

void
typed_params_add_string(TypedParams *tp, const char *field, const char *v)
{
    add(tp, field, TYPED_PARAM_STRING)->v.s = xstrdup(v);
}

void
typed_params_clear(TypedParams *tp)
{
    for (size_t i = 0; i < tp->n; i++) {
        free(tp->p[i].field);
        if (tp->p[i].type == TYPED_PARAM_STRING)
            free(tp->p[i].v.s);
    }
    free(tp->p);
    tp->p = NULL;
    tp->n = 0;
}

int
typed_params_write(sd_bus_message *m, const TypedParams *tp)
{
    int r = sd_bus_message_open_container(m, 'a', "{sv}");

    if (r >= 0)
        r = typed_params_write_entries(m, tp);
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    return r;
}

int
typed_params_write_entries(sd_bus_message *m, const TypedParams *tp)
{
    int r = 0;

    for (size_t i = 0; r >= 0 && i < tp->n; i++) {
        const TypedParam *p = &tp->p[i];

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
            r = sd_bus_message_append_basic(m, 's', p->field);
        if (r < 0)
            break;
        switch (p->type) {
        case TYPED_PARAM_INT: r = sd_bus_message_append(m, "v", "i", p->v.i); break;
        case TYPED_PARAM_UINT: r = sd_bus_message_append(m, "v", "u", p->v.ui); break;
        case TYPED_PARAM_LLONG: r = sd_bus_message_append(m, "v", "x", p->v.l); break;
        case TYPED_PARAM_ULLONG: r = sd_bus_message_append(m, "v", "t", p->v.ul); break;
        case TYPED_PARAM_DOUBLE: r = sd_bus_message_append(m, "v", "d", p->v.d); break;
        case TYPED_PARAM_BOOLEAN: r = sd_bus_message_append(m, "v", "b", (int) p->v.b); break;
        default: r = sd_bus_message_append(m, "v", "s", p->v.s); break;
        }
        if (r >= 0)
            r = sd_bus_message_close_container(m);
    }
    return r;
}

static int
read_value(sd_bus_message *m, char type, TypedParam *p)
{
    int b;
    int r;

    switch (type) {
    case 'i': p->type = TYPED_PARAM_INT; return sd_bus_message_read_basic(m, 'i', &p->v.i);
    case 'u': p->type = TYPED_PARAM_UINT; return sd_bus_message_read_basic(m, 'u', &p->v.ui);
    case 'x': p->type = TYPED_PARAM_LLONG; return sd_bus_message_read_basic(m, 'x', &p->v.l);
    case 't': p->type = TYPED_PARAM_ULLONG; return sd_bus_message_read_basic(m, 't', &p->v.ul);
    case 'd': p->type = TYPED_PARAM_DOUBLE; return sd_bus_message_read_basic(m, 'd', &p->v.d);
    case 'b':
        p->type = TYPED_PARAM_BOOLEAN;
        r = sd_bus_message_read_basic(m, 'b', &b);
        p->v.b = b;
        return r;
    case 's': {
        const char *s;
        r = sd_bus_message_read_basic(m, 's', &s);
        if (r >= 0) {
            p->type = TYPED_PARAM_STRING;
            p->v.s = xstrdup(s);
        }
        return r;
    }
    default:
        return -EINVAL;
    }
}

int
typed_params_read(sd_bus_message *m, TypedParams *tp, Error *error)
{
    int r;

    typed_params_clear(tp);
    r = sd_bus_message_enter_container(m, 'a', "{sv}");
    while (r > 0 && (r = sd_bus_message_enter_container(m, 'e', "sv")) > 0) {
        const char *field, *contents;
        TypedParam p = { 0 };

        r = sd_bus_message_read_basic(m, 's', &field);
        if (r >= 0)
            r = sd_bus_message_peek_type(m, NULL, &contents);
        if (r >= 0)
            r = sd_bus_message_enter_container(m, 'v', contents);
        if (r >= 0) {
            if (!contents || strlen(contents) != 1 || (r = read_value(m, contents[0], &p)) < 0) {
                typed_params_clear(tp);
                return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                                 "invalid argument: parameter '%s' has a value of D-Bus type "
                                 "'%s', which is no typed parameter type", field,
                                 contents ? contents : "");
            }
        }
        if (r >= 0)
            r = sd_bus_message_exit_container(m);
        if (r >= 0)
            r = sd_bus_message_exit_container(m);
        if (r < 0)
            break;
        add(tp, field, p.type)->v = p.v;
        r = 1;
    }
    if (r >= 0)
        r = sd_bus_message_exit_container(m);
    if (r < 0) {
        typed_params_clear(tp);
        return error_set_errno(error, r, VIR_ERR_INVALID_ARG,
                               "invalid argument: cannot read the typed parameters");
    }
    return 0;
}

const char *
typed_param_type_name(int type)
{
    static const char *const names[] = { "", "int", "uint", "llong", "ullong", "double",
                                         "boolean", "string" };

    return type >= 0 && (size_t) type < ARRAY_SIZE(names) ? names[type] : "unknown";
}

int
typed_params_validate(const TypedParams *tp, const TypedParamSpec *spec, size_t n_spec,
                      Error *error)
{
    for (size_t i = 0; i < tp->n; i++) {
        const TypedParam *p = &tp->p[i];
        size_t j;

        for (size_t k = 0; k < i; k++)
            if (STREQ(tp->p[k].field, p->field))
                return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                                 "invalid argument: parameter '%s' occurs multiple times",
                                 p->field);
        for (j = 0; j < n_spec && !STREQ(spec[j].field, p->field); j++)
            ;
        if (j == n_spec)
            return error_set(error, -EINVAL, VIR_ERR_ARGUMENT_UNSUPPORTED,
                             "argument unsupported: parameter '%s' not supported", p->field);
        if (spec[j].type != p->type)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: invalid type '%s' for parameter '%s', "
                             "expected '%s'", typed_param_type_name(p->type), p->field,
                             typed_param_type_name(spec[j].type));
    }
    return 0;
}

const TypedParam *
typed_params_get(const TypedParams *tp, const char *field)
{
    for (size_t i = 0; i < tp->n; i++)
        if (STREQ(tp->p[i].field, field))
            return &tp->p[i];
    return NULL;
}
