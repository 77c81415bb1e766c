/* libvirt's typed parameters (remote_typed_param) and D-Bus's a{sv}, both
 * ways: the daemons speak libvirt-dbus's a{sv}, clients the XDR lists. And
 * CPU maps: "ab" on the bus, a byte per eight CPUs on the wire. */
#include <errno.h>
#include <string.h>

#include "proxy.h"

/* a{sv} into typed parameters (strings malloc'd). Values of a type the
 * protocol has no typed parameter for are skipped. */
int
proxy_params_read(sd_bus_message *reply, remote_typed_param **ret, u_int *ret_n)
{
    remote_typed_param *params = NULL;
    size_t n = 0, cap = 0;
    int r;

    r = sd_bus_message_enter_container(reply, 'a', "{sv}");
    while (r > 0 && (r = sd_bus_message_enter_container(reply, 'e', "sv")) > 0) {
        const char *key, *contents;
        char type;
        remote_typed_param *p;

        r = sd_bus_message_read_basic(reply, 's', &key);
        if (r >= 0)
            r = sd_bus_message_peek_type(reply, &type, &contents);
        if (r < 0)
            break;
        if (n == cap) {
            cap = cap ? cap * 2 : 16;
            params = xrealloc(params, cap * sizeof(*params));
        }
        p = &params[n];
        memset(p, 0, sizeof(*p));
        r = sd_bus_message_enter_container(reply, 'v', contents);
        if (r < 0)
            break;
        switch (contents[0]) {
        case 'i': p->value.type = REMOTE_TYPED_PARAM_INT;
            r = sd_bus_message_read_basic(reply, 'i', &p->value.remote_typed_param_value_u.i);
            break;
        case 'u': p->value.type = REMOTE_TYPED_PARAM_UINT;
            r = sd_bus_message_read_basic(reply, 'u', &p->value.remote_typed_param_value_u.ui);
            break;
        case 'x': p->value.type = REMOTE_TYPED_PARAM_LLONG;
            r = sd_bus_message_read_basic(reply, 'x', &p->value.remote_typed_param_value_u.l);
            break;
        case 't': p->value.type = REMOTE_TYPED_PARAM_ULLONG;
            r = sd_bus_message_read_basic(reply, 't', &p->value.remote_typed_param_value_u.ul);
            break;
        case 'd': p->value.type = REMOTE_TYPED_PARAM_DOUBLE;
            r = sd_bus_message_read_basic(reply, 'd', &p->value.remote_typed_param_value_u.d);
            break;
        case 'b': p->value.type = REMOTE_TYPED_PARAM_BOOLEAN;
            r = sd_bus_message_read_basic(reply, 'b', &p->value.remote_typed_param_value_u.b);
            break;
        case 's': {
            const char *s;
            p->value.type = REMOTE_TYPED_PARAM_STRING;
            r = sd_bus_message_read_basic(reply, 's', &s);
            if (r >= 0)
                p->value.remote_typed_param_value_u.s = xstrdup(s);
            break;
        }
        default:
            p->value.type = 0;
            r = sd_bus_message_skip(reply, contents);
            break;
        }
        if (r >= 0)
            r = sd_bus_message_exit_container(reply);
        if (r >= 0)
            r = sd_bus_message_exit_container(reply);
        if (r < 0)
            break;
        if (p->value.type) {
            p->field = xstrdup(key);
            n++;
        }
        r = 1;
    }
    if (r < 0) {
        proxy_params_free(params, n);
        return r;
    }
    *ret = params;
    *ret_n = n;
    return 0;
}

void
proxy_params_free(remote_typed_param *params, size_t n)
{
    for (size_t i = 0; i < n; i++)
        xdr_free((xdrproc_t) xdr_remote_typed_param, &params[i]);
    free(params);
}

const remote_typed_param *
proxy_param_find(const remote_typed_param *p, size_t n, const char *field)
{
    for (size_t i = 0; i < n; i++)
        if (STREQ(p[i].field, field))
            return &p[i];
    return NULL;
}

uint64_t
proxy_param_u64(const remote_typed_param *p, size_t n, const char *field, uint64_t def)
{
    const remote_typed_param *tp = proxy_param_find(p, n, field);

    if (!tp)
        return def;
    switch (tp->value.type) {
    case REMOTE_TYPED_PARAM_INT: return tp->value.remote_typed_param_value_u.i;
    case REMOTE_TYPED_PARAM_UINT: return tp->value.remote_typed_param_value_u.ui;
    case REMOTE_TYPED_PARAM_LLONG: return tp->value.remote_typed_param_value_u.l;
    case REMOTE_TYPED_PARAM_ULLONG: return tp->value.remote_typed_param_value_u.ul;
    default: return def;
    }
}

const char *
proxy_param_str(const remote_typed_param *p, size_t n, const char *field)
{
    const remote_typed_param *tp = proxy_param_find(p, n, field);

    return tp && tp->value.type == REMOTE_TYPED_PARAM_STRING
           ? tp->value.remote_typed_param_value_u.s : NULL;
}

int
proxy_params_append(sd_bus_message *m, const remote_typed_param *p, size_t n)
{
    int r = sd_bus_message_open_container(m, 'a', "{sv}");

    for (size_t i = 0; r >= 0 && i < n; i++) {
        const remote_typed_param_value *v = &p[i].value;

        r = sd_bus_message_open_container(m, 'e', "sv");
        if (r >= 0)
            r = sd_bus_message_append_basic(m, 's', p[i].field);
        if (r < 0)
            break;
        switch (v->type) {
        case REMOTE_TYPED_PARAM_INT:
            r = sd_bus_message_append(m, "v", "i", v->remote_typed_param_value_u.i);
            break;
        case REMOTE_TYPED_PARAM_UINT:
            r = sd_bus_message_append(m, "v", "u", v->remote_typed_param_value_u.ui);
            break;
        case REMOTE_TYPED_PARAM_LLONG:
            r = sd_bus_message_append(m, "v", "x", (int64_t) v->remote_typed_param_value_u.l);
            break;
        case REMOTE_TYPED_PARAM_ULLONG:
            r = sd_bus_message_append(m, "v", "t", (uint64_t) v->remote_typed_param_value_u.ul);
            break;
        case REMOTE_TYPED_PARAM_DOUBLE:
            r = sd_bus_message_append(m, "v", "d", v->remote_typed_param_value_u.d);
            break;
        case REMOTE_TYPED_PARAM_BOOLEAN:
            r = sd_bus_message_append(m, "v", "b", v->remote_typed_param_value_u.b ? 1 : 0);
            break;
        case REMOTE_TYPED_PARAM_STRING:
            r = sd_bus_message_append(m, "v", "s", v->remote_typed_param_value_u.s);
            break;
        default:
            r = -EINVAL;
            break;
        }
        if (r >= 0)
            r = sd_bus_message_close_container(m);
    }
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    return r;
}

int
proxy_params_reply(sd_bus_message *reply, int nparams, unsigned flags,
                   remote_typed_param **ret_val, u_int *ret_len, int *ret_count, Error *error)
{
    remote_typed_param *p = NULL;
    u_int n = 0, kept = 0;
    int r = proxy_params_read(reply, &p, &n);

    if (r < 0)
        return error_set_errno(error, r, VIR_ERR_RPC, "cannot read typed parameters");
    if (nparams == 0) {
        /* The caller asks how many there are. */
        if (ret_count)
            *ret_count = (int) n;
        proxy_params_free(p, n);
        return 0;
    }
    for (u_int i = 0; i < n; i++) {
        /* As libvirtd: strings only for a caller that said it takes them,
         * and no more than it has room for. */
        bool keep = kept < (u_int) nparams &&
                    (p[i].value.type != REMOTE_TYPED_PARAM_STRING ||
                     (flags & TYPED_PARAM_STRING_OKAY));
        if (keep)
            p[kept++] = p[i];
        else
            xdr_free((xdrproc_t) xdr_remote_typed_param, &p[i]);
    }
    *ret_val = p;
    *ret_len = kept;
    if (ret_count)
        *ret_count = (int) kept;
    return 0;
}

int
proxy_read_cpumap(sd_bus_message *m, char *bits, size_t maplen)
{
    int on, r = sd_bus_message_enter_container(m, 'a', "b");

    for (size_t c = 0; r > 0 && (r = sd_bus_message_read_basic(m, 'b', &on)) > 0; c++)
        if (bits && on && c < maplen * 8)
            bits[c / 8] |= (char) (1 << (c % 8));
    if (r >= 0)
        r = sd_bus_message_exit_container(m);
    return r;
}

int
proxy_append_cpumap(sd_bus_message *m, const char *bits, size_t maplen)
{
    int r = sd_bus_message_open_container(m, 'a', "b");

    for (size_t c = 0; r >= 0 && c < maplen * 8; c++)
        r = sd_bus_message_append(m, "b", (int) ((bits[c / 8] >> (c % 8)) & 1));
    if (r >= 0)
        r = sd_bus_message_close_container(m);
    return r;
}
