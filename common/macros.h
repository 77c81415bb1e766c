/* Small helpers every file uses: scope-bound cleanup and ownership hand-over. */
#pragma once

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define auto_cleanup(fn) __attribute__((cleanup(fn)))

static inline void
free_ptr(void *p)
{
    free(*(void **) p);
}

static inline void
close_fdp(int *fd)
{
    if (*fd >= 0)
        close(*fd);
}

#define DEFINE_FREEP(T, fn) \
    static inline void fn##p(T **p) { if (*p) fn(*p); }

/* Hand over: the variable forgets it, the receiver owns it. */
#define steal_ptr(p) ({ __typeof__(p) p_ = (p); (p) = NULL; p_; })
#define steal_fd(fd) ({ int fd_ = (fd); (fd) = -1; fd_; })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* Grows @arr of @n elements by one zeroed element and returns it. */
#define ARRAY_APPEND(arr, n) \
    ({ \
        (arr) = xrealloc((arr), ((n) + 1) * sizeof(*(arr))); \
        memset(&(arr)[(n)], 0, sizeof(*(arr))); \
        &(arr)[(n)++]; \
    })
#define STREQ(a, b) (strcmp((a), (b)) == 0)
#define STREQ_NULL(a, b) streq_null((a), (b))

#define _printf_(a, b) __attribute__((format(printf, a, b)))

/* Equal strings, or both NULL. */
static inline bool
streq_null(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* @s, or "" for NULL (a message's %s). */
static inline const char *
str_or_empty(const char *s)
{
    return s ? s : "";
}
#define _unused_ __attribute__((unused))

/* The value of a hex digit (either case), or -1. */
static inline int
hex_digit_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Allocation failure is not recoverable in a daemon: abort loudly. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) _printf_(1, 2);
