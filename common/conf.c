/* Config files in libvirtd.conf syntax (libvirt's virconf subset). */
#include "conf.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fileutil.h"

/* libvirt refuses config files over 10 MiB too. */
#define CONF_MAX_FILE_SIZE (10 * 1024 * 1024)

typedef enum {
    CONF_VALUE_STRING,
    CONF_VALUE_INT,
    CONF_VALUE_LIST,
} ConfValueType;

typedef struct ConfValue ConfValue;
struct ConfValue {
    ConfValueType type;
    char *str;                /* STRING */
    bool negative;            /* INT: the number is -magnitude */
    unsigned long long magnitude;
    ConfValue *items;         /* LIST */
    size_t n_items;
};

typedef struct ConfEntry {
    char *key;
    ConfValue value;
} ConfEntry;

struct Conf {
    char *filename;           /* for messages; "configuration" when unnamed */
    ConfEntry *entries;       /* in file order, duplicates kept */
    size_t n_entries;
    char **keys;              /* distinct keys in file order (strv) */
};

typedef struct Parser {
    const char *filename;
    const char *cur;
    unsigned line;
    Error *error;
} Parser;

static void
conf_value_clear(ConfValue *v)
{
    free(v->str);
    for (size_t i = 0; i < v->n_items; i++)
        conf_value_clear(&v->items[i]);
    free(v->items);
    memset(v, 0, sizeof(*v));
}

Conf *
conf_new_empty(void)
{
    Conf *conf = xcalloc(1, sizeof(*conf));

    conf->keys = xcalloc(1, sizeof(char *));
    return conf;
}

void
conf_free(Conf *conf)
{
    if (!conf)
        return;
    for (size_t i = 0; i < conf->n_entries; i++) {
        free(conf->entries[i].key);
        conf_value_clear(&conf->entries[i].value);
    }
    free(conf->entries);
    strv_free(conf->keys);
    free(conf->filename);
    free(conf);
}

static int _printf_(2, 3)
parse_error(Parser *p, const char *fmt, ...)
{
    auto_cleanup(free_ptr) char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        abort();
    va_end(ap);
    if (p->filename)
        return error_set(p->error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                         "configuration file syntax error: %s:%u: %s",
                         p->filename, p->line, msg);
    return error_set(p->error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                     "configuration file syntax error: line %u: %s", p->line, msg);
}

static bool
is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

static bool
is_eol(char c)
{
    return c == '\n' || c == '\r';
}

static void
skip_blanks(Parser *p)
{
    while (is_blank(*p->cur))
        p->cur++;
}

static void
skip_comment(Parser *p)
{
    if (*p->cur == '#')
        while (*p->cur && !is_eol(*p->cur))
            p->cur++;
}

/* Blanks, line ends and comments: between statements and inside lists. */
static void
skip_space(Parser *p)
{
    for (;;) {
        skip_blanks(p);
        skip_comment(p);
        if (*p->cur == '\n')
            p->line++;
        else if (*p->cur != '\r')
            return;
        p->cur++;
    }
}

static bool
is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static int
parse_string(Parser *p, ConfValue *v)
{
    const char *start;

    if (strncmp(p->cur, "\"\"\"", 3) == 0) {
        unsigned first_line = p->line;
        const char *end;

        start = p->cur + 3;
        end = strstr(start, "\"\"\"");
        if (!end) {
            p->line = first_line;
            return parse_error(p, "unterminated string");
        }
        for (const char *c = start; c < end; c++)
            if (*c == '\n')
                p->line++;
        v->type = CONF_VALUE_STRING;
        v->str = xstrndup(start, end - start);
        p->cur = end + 3;
        return 0;
    }

    char quote = *p->cur;

    start = ++p->cur;
    while (*p->cur && *p->cur != quote && !is_eol(*p->cur))
        p->cur++;
    if (*p->cur != quote)
        return parse_error(p, "unterminated string");
    v->type = CONF_VALUE_STRING;
    v->str = xstrndup(start, p->cur - start);
    p->cur++;
    return 0;
}

static int
parse_number(Parser *p, ConfValue *v)
{
    unsigned long long n = 0;
    bool negative = false;

    if (*p->cur == '-' || *p->cur == '+') {
        negative = *p->cur == '-';
        p->cur++;
    }
    if (!is_digit(*p->cur))
        return parse_error(p, "unterminated number");
    while (is_digit(*p->cur)) {
        unsigned d = *p->cur - '0';

        if (n > (ULLONG_MAX - d) / 10)
            return parse_error(p, "number out of range");
        n = n * 10 + d;
        p->cur++;
    }
    if (negative && n > (unsigned long long) LLONG_MAX + 1)
        return parse_error(p, "number out of range");
    if (is_alpha(*p->cur) || *p->cur == '_' || *p->cur == '.')
        return parse_error(p, "expecting a separator");
    v->type = CONF_VALUE_INT;
    v->negative = negative && n != 0;
    v->magnitude = n;
    return 0;
}

static int parse_value(Parser *p, ConfValue *v, bool in_list);

static int
parse_list(Parser *p, ConfValue *v)
{
    unsigned first_line = p->line;
    int r;

    v->type = CONF_VALUE_LIST;
    p->cur++; /* '[' */
    skip_space(p);
    while (*p->cur != ']') {
        if (!*p->cur) {
            p->line = first_line;
            return parse_error(p, "list is not closed with ]");
        }
        v->items = xrealloc(v->items, (v->n_items + 1) * sizeof(ConfValue));
        memset(&v->items[v->n_items], 0, sizeof(ConfValue));
        r = parse_value(p, &v->items[v->n_items++], true);
        if (r < 0)
            return r;
        skip_space(p);
        if (*p->cur == ',') {
            p->cur++;
            skip_space(p);
        } else if (*p->cur && *p->cur != ']') {
            return parse_error(p, "expecting a separator in list");
        }
    }
    p->cur++; /* ']' */
    return 0;
}

static int
parse_value(Parser *p, ConfValue *v, bool in_list)
{
    char c;

    skip_blanks(p);
    c = *p->cur;
    if (c == '"' || c == '\'')
        return parse_string(p, v);
    if (c == '[') {
        if (in_list)
            return parse_error(p, "nested lists are not supported");
        return parse_list(p, v);
    }
    if (is_digit(c) || c == '-' || c == '+')
        return parse_number(p, v);
    return parse_error(p, "expecting a value");
}

static void
conf_add(Conf *conf, char *key, ConfValue *value)
{
    bool seen = false;

    for (size_t i = 0; i < conf->n_entries && !seen; i++)
        seen = STREQ(conf->entries[i].key, key);
    if (!seen)
        strv_push(&conf->keys, xstrdup(key));

    conf->entries = xrealloc(conf->entries, (conf->n_entries + 1) * sizeof(ConfEntry));
    conf->entries[conf->n_entries].key = key;
    conf->entries[conf->n_entries].value = *value;
    conf->n_entries++;
    memset(value, 0, sizeof(*value));
}

static int
parse_statement(Parser *p, Conf *conf)
{
    auto_cleanup(free_ptr) char *key = NULL;
    ConfValue value = { 0 };
    const char *start;
    int r;

    start = p->cur;
    if (!is_alpha(*p->cur))
        return parse_error(p, "expecting a name");
    while (is_alpha(*p->cur) || is_digit(*p->cur) || *p->cur == '_')
        p->cur++;
    key = xstrndup(start, p->cur - start);

    skip_blanks(p);
    if (*p->cur != '=')
        return parse_error(p, "expecting an assignment");
    p->cur++;
    skip_blanks(p);

    r = parse_value(p, &value, false);
    if (r < 0) {
        conf_value_clear(&value);
        return r;
    }

    /* After the value: blanks, maybe a comment, then a line end, ';' or the
     * end of the text. */
    skip_blanks(p);
    skip_comment(p);
    if (*p->cur == ';') {
        p->cur++;
    } else if (*p->cur && !is_eol(*p->cur)) {
        conf_value_clear(&value);
        return parse_error(p, "expecting a separator");
    }
    conf_add(conf, steal_ptr(key), &value);
    return 0;
}

int
conf_parse_string(const char *text, const char *filename, Conf **ret_conf, Error *error)
{
    auto_cleanup(conf_freep) Conf *conf = conf_new_empty();
    Parser p = {
        .filename = filename,
        .cur = text,
        .line = 1,
        .error = error,
    };
    int r;

    conf->filename = xstrdup(filename ? filename : "configuration");
    for (;;) {
        skip_space(&p);
        if (!*p.cur)
            break;
        r = parse_statement(&p, conf);
        if (r < 0)
            return r;
    }

    *ret_conf = steal_ptr(conf);
    return 0;
}

int
conf_parse_file(const char *path, Conf **ret_conf, Error *error)
{
    auto_cleanup(free_ptr) char *text = NULL;
    size_t len;
    int r;

    r = file_read_all(path, CONF_MAX_FILE_SIZE, &text, &len, error);
    if (r < 0)
        return r;
    if (strlen(text) != len)
        return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                         "configuration file syntax error: %s: file contains a NUL byte",
                         path);
    return conf_parse_string(text, path, ret_conf, error);
}

static const ConfValue *
conf_lookup(const Conf *conf, const char *key)
{
    if (!conf)
        return NULL;
    for (size_t i = 0; i < conf->n_entries; i++)
        if (STREQ(conf->entries[i].key, key))
            return &conf->entries[i].value;
    return NULL;
}

bool
conf_has(const Conf *conf, const char *key)
{
    return conf_lookup(conf, key) != NULL;
}

static const char *
conf_name(const Conf *conf)
{
    return conf->filename ? conf->filename : "configuration";
}

int
conf_get_string(const Conf *conf, const char *key, const char **ret, Error *error)
{
    const ConfValue *v = conf_lookup(conf, key);

    if (!v)
        return 0;
    if (v->type != CONF_VALUE_STRING)
        return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                         "%s: '%s' must be a string", conf_name(conf), key);
    *ret = v->str;
    return 0;
}

int
conf_get_int(const Conf *conf, const char *key, long long *ret, Error *error)
{
    const ConfValue *v = conf_lookup(conf, key);

    if (!v)
        return 0;
    if (v->type != CONF_VALUE_INT)
        return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                         "%s: '%s' must be a number", conf_name(conf), key);
    if (v->negative) {
        *ret = v->magnitude == (unsigned long long) LLONG_MAX + 1 ?
               LLONG_MIN : -(long long) v->magnitude;
        return 0;
    }
    if (v->magnitude > LLONG_MAX)
        return error_set(error, -ERANGE, VIR_ERR_CONF_SYNTAX,
                         "%s: '%s' must be a number in range %lld:%lld",
                         conf_name(conf), key, LLONG_MIN, LLONG_MAX);
    *ret = (long long) v->magnitude;
    return 0;
}

int
conf_get_uint(const Conf *conf, const char *key, unsigned *ret, Error *error)
{
    const ConfValue *v = conf_lookup(conf, key);

    if (!v)
        return 0;
    if (v->type != CONF_VALUE_INT)
        return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                         "%s: '%s' must be a number", conf_name(conf), key);
    if (v->negative || v->magnitude > UINT_MAX)
        return error_set(error, -ERANGE, VIR_ERR_CONF_SYNTAX,
                         "%s: '%s' must be a number in range 0:%u",
                         conf_name(conf), key, UINT_MAX);
    *ret = (unsigned) v->magnitude;
    return 0;
}

int
conf_get_bool(const Conf *conf, const char *key, bool *ret, Error *error)
{
    const ConfValue *v = conf_lookup(conf, key);

    if (!v)
        return 0;
    if (v->type != CONF_VALUE_INT || v->negative || v->magnitude > 1)
        return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                         "%s: '%s' must be 0 or 1", conf_name(conf), key);
    *ret = v->magnitude == 1;
    return 0;
}

int
conf_get_string_list(const Conf *conf, const char *key, char ***ret, Error *error)
{
    const ConfValue *v = conf_lookup(conf, key);
    char **list;

    if (!v)
        return 0;
    if (v->type == CONF_VALUE_STRING) {
        list = xcalloc(2, sizeof(char *));
        list[0] = xstrdup(v->str);
        *ret = list;
        return 0;
    }
    if (v->type != CONF_VALUE_LIST)
        return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                         "%s: '%s' must be a string or a list of strings",
                         conf_name(conf), key);
    for (size_t i = 0; i < v->n_items; i++)
        if (v->items[i].type != CONF_VALUE_STRING)
            return error_set(error, -EINVAL, VIR_ERR_CONF_SYNTAX,
                             "%s: '%s' must be a list of strings", conf_name(conf), key);

    list = xcalloc(v->n_items + 1, sizeof(char *));
    for (size_t i = 0; i < v->n_items; i++)
        list[i] = xstrdup(v->items[i].str);
    *ret = list;
    return 0;
}

size_t
conf_n_keys(const Conf *conf)
{
    return conf ? strv_length(conf->keys) : 0;
}

const char *
conf_key_at(const Conf *conf, size_t i)
{
    if (!conf || i >= conf_n_keys(conf))
        return NULL;
    return conf->keys[i];
}
