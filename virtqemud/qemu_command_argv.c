/* The argument vector being built (Cmd) and QEMU's option syntax: escaping
 * into it, reading it back for QMP, and showing an argv as a shell line. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "fileutil.h"
#include "qemu_command.h"
#include "qemu_command_argv.h"

/* ---- argv builder ---- */

void
cmd_take(Cmd *c, char *s)
{
    if (c->n + 2 > c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->argv = xrealloc(c->argv, c->cap * sizeof(char *));
    }
    c->argv[c->n++] = s;
    c->argv[c->n] = NULL;
}

void
cmd_add(Cmd *c, const char *s)
{
    cmd_take(c, xstrdup(s));
}

/* "-opt" "value" */
void
cmd_opt(Cmd *c, const char *opt, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    cmd_add(c, opt);
    cmd_take(c, s);
}

/* "-opt" and @value in JSON, which QEMU reads for -blockdev and -device
 * as for QMP (@value is stolen). */
void
cmd_json(Cmd *c, const char *opt, json_t *value)
{
    char *s = json_dumps(value, JSON_COMPACT);

    if (!s)
        abort();
    json_decref(value);
    cmd_add(c, opt);
    cmd_take(c, s);
}

/* Escaped for QEMU's option syntax; valid until cmd_clear(). */
const char *
opt_escape(Cmd *c, const char *s)
{
    char *e = qemu_escape_option(s ? s : "");

    c->tmp = xrealloc(c->tmp, (c->n_tmp + 1) * sizeof(char *));
    c->tmp[c->n_tmp++] = e;
    return e;
}

/* A formatted scratch string; valid until cmd_clear(). */
const char *
scratch_printf(Cmd *c, const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        abort();
    va_end(ap);
    c->tmp = xrealloc(c->tmp, (c->n_tmp + 1) * sizeof(char *));
    c->tmp[c->n_tmp++] = s;
    return s;
}

void
cmd_clear(Cmd *c)
{
    strv_free(c->argv);
    for (size_t i = 0; i < c->n_tmp; i++)
        free(c->tmp[i]);
    free(c->tmp);
    memset(c, 0, sizeof(*c));
}

char *
qemu_escape_option(const char *value)
{
    size_t n = 0;
    char *out, *o;

    for (const char *p = value; *p; p++)
        n += *p == ',' ? 2 : 1;
    out = o = xmalloc(n + 1);
    for (const char *p = value; *p; p++) {
        *o++ = *p;
        if (*p == ',')
            *o++ = ',';
    }
    *o = '\0';
    return out;
}

json_t *
qemu_option_to_json(const char *opts, const char *implied_key)
{
    json_t *obj = json_object();
    const char *p = opts;

    while (*p) {
        /* One "key=value" up to a single comma; ",," is a comma of the value. */
        auto_cleanup(free_ptr) char *item = xmalloc(strlen(p) + 1);
        size_t n = 0;
        char *eq;

        while (*p && !(*p == ',' && p[1] != ',')) {
            if (*p == ',')
                p++;
            item[n++] = *p++;
        }
        item[n] = '\0';
        if (*p == ',')
            p++;
        eq = strchr(item, '=');
        if (eq) {
            *eq = '\0';
            json_object_set_new(obj, item, json_string(eq + 1));
        } else if (implied_key && json_object_size(obj) == 0) {
            json_object_set_new(obj, implied_key, json_string(item));
        } else {
            json_object_set_new(obj, item, json_string("on"));
        }
    }
    return obj;
}

/* ---- display ---- */

static bool
shell_safe(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                    "_-+=/.,:@%", *s))
            return false;
    return true;
}

static void
append_quoted(char **buf, size_t *len, const char *s)
{
    size_t need = strlen(s) * 4 + 3;

    *buf = xrealloc(*buf, *len + need + 1);
    if (shell_safe(s)) {
        *len += (size_t) sprintf(*buf + *len, "%s", s);
        return;
    }
    (*buf)[(*len)++] = '\'';
    for (; *s; s++) {
        if (*s == '\'') {
            memcpy(*buf + *len, "'\\''", 4);
            *len += 4;
        } else {
            (*buf)[(*len)++] = *s;
        }
    }
    (*buf)[(*len)++] = '\'';
    (*buf)[*len] = '\0';
}

static void
append_raw(char **buf, size_t *len, const char *s)
{
    size_t n = strlen(s);

    *buf = xrealloc(*buf, *len + n + 1);
    memcpy(*buf + *len, s, n + 1);
    *len += n;
}

char *
qemu_command_to_string(char *const *argv, char *const *env)
{
    char *buf = xstrdup("");
    size_t len = 0;

    for (size_t i = 0; env && env[i]; i++) {
        const char *eq = strchr(env[i], '=');

        if (eq) {
            char *name = xstrndup(env[i], (size_t) (eq - env[i]));

            append_raw(&buf, &len, name);
            append_raw(&buf, &len, "=");
            append_quoted(&buf, &len, eq + 1);
            free(name);
        } else {
            append_quoted(&buf, &len, env[i]);
        }
        append_raw(&buf, &len, " \\\n");
    }
    for (size_t i = 0; argv && argv[i]; i++) {
        append_quoted(&buf, &len, argv[i]);
        /* "-opt value" on one line, as libvirt's .args files. */
        if (argv[i][0] == '-' && argv[i + 1] && argv[i + 1][0] != '-') {
            append_raw(&buf, &len, " ");
            append_quoted(&buf, &len, argv[++i]);
        }
        append_raw(&buf, &len, argv[i + 1] ? " \\\n" : "\n");
    }
    return buf;
}
