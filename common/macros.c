#include "macros.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void *
check(void *p)
{
    if (!p) {
        fputs("out of memory\n", stderr);
        abort();
    }
    return p;
}

void *
xmalloc(size_t n)
{
    return check(malloc(n ? n : 1));
}

void *
xcalloc(size_t n, size_t size)
{
    return check(calloc(n ? n : 1, size ? size : 1));
}

void *
xrealloc(void *p, size_t n)
{
    return check(realloc(p, n ? n : 1));
}

char *
xstrdup(const char *s)
{
    return s ? check(strdup(s)) : NULL;
}

char *
xstrndup(const char *s, size_t n)
{
    return s ? check(strndup(s, n)) : NULL;
}

char *
xasprintf(const char *fmt, ...)
{
    va_list ap;
    char *s;

    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0)
        s = NULL;
    va_end(ap);
    return check(s);
}
