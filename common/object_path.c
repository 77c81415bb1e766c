#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "macros.h"
#include "object_path.h"

static const char hex[] = "0123456789abcdef";

int
object_path_uuid_into(const char *prefix, const Uuid *uuid, char *buf, size_t size)
{
    size_t lp = strlen(prefix);
    char *p = buf;

    /* prefix, "/_", 32 digits and 4 '_', NUL */
    if (lp + 2 + 36 + 1 > size)
        return -ENAMETOOLONG;
    memcpy(p, prefix, lp);
    p += lp;
    *p++ = '/';
    *p++ = '_';
    for (size_t i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '_';
        *p++ = hex[uuid->bytes[i] >> 4];
        *p++ = hex[uuid->bytes[i] & 15];
    }
    *p = '\0';
    return 0;
}

char *
object_path_from_uuid(const char *prefix, const Uuid *uuid)
{
    size_t size = strlen(prefix) + 2 + 36 + 1;
    char *path = xmalloc(size);

    (void) object_path_uuid_into(prefix, uuid, path, size);
    return path;
}

int
object_path_to_uuid(const char *path, Uuid *ret_uuid)
{
    const char *s = strrchr(path, '/');
    Uuid uuid;

    /* "_" then 8-4-4-4-12 hex digits with '_' between the groups. */
    if (!s || s[1] != '_' || strlen(s + 2) != 36)
        return -EINVAL;
    s += 2;
    for (size_t j = 0, n = 0; j < 36; j++) {
        int v;

        if (j == 8 || j == 13 || j == 18 || j == 23) {
            if (s[j] != '_')
                return -EINVAL;
            continue;
        }
        v = hex_digit_value(s[j]);
        if (v < 0)
            return -EINVAL;
        if (n % 2 == 0)
            uuid.bytes[n / 2] = (uint8_t) (v << 4);
        else
            uuid.bytes[n / 2] |= (uint8_t) v;
        n++;
    }
    *ret_uuid = uuid;
    return 0;
}

char *
object_path_escape(const char *name)
{
    char *out = xmalloc(strlen(name) * 3 + 2), *o = out;

    if (!*name) {
        strcpy(out, "_");
        return out;
    }
    for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')) {
            *o++ = (char) *p;
        } else {
            *o++ = '_';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

char *
object_path_unescape(const char *segment)
{
    auto_cleanup(free_ptr) char *out = xmalloc(strlen(segment) + 1);
    char *o = out;

    if (STREQ(segment, "_"))
        return xstrdup("");
    for (const char *p = segment; *p; p++) {
        int hi, lo;

        if (*p != '_') {
            if (*p == '/')
                return NULL;
            *o++ = *p;
            continue;
        }
        hi = hex_digit_value(p[1]);
        lo = hi >= 0 ? hex_digit_value(p[2]) : -1;
        if (lo < 0 || (hi == 0 && lo == 0))
            return NULL;
        *o++ = (char) (hi << 4 | lo);
        p += 2;
    }
    *o = '\0';
    return steal_ptr(out);
}

char *
object_path_from_name(const char *prefix, const char *name)
{
    auto_cleanup(free_ptr) char *esc = object_path_escape(name);

    return xasprintf("%s/%s", prefix, esc);
}

int
object_path_has_prefix(const char *path, const char *prefix)
{
    size_t lp = strlen(prefix);

    return strncmp(path, prefix, lp) == 0 && path[lp] == '/' && path[lp + 1] &&
           !strchr(path + lp + 1, '/');
}
