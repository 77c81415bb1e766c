#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <time.h>

static LogLevel log_level = LOG_LEVEL_INFO;
static const char *log_ident = "virt";

void
log_set_level(LogLevel level)
{
    log_level = level;
}

LogLevel
log_get_level(void)
{
    return log_level;
}

void
log_set_ident(const char *ident)
{
    log_ident = ident;
}

void
log_write(LogLevel level, const char *fmt, ...)
{
    static const char *const names[] = { "debug", "info", "warning", "error" };
    struct timespec ts;
    struct tm tm;
    char stamp[32];
    va_list ap;

    if (level < log_level)
        return;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%d %H:%M:%S", &tm);
    flockfile(stderr);
    fprintf(stderr, "%s.%03ld %s[%s]: ", stamp, ts.tv_nsec / 1000000, log_ident, names[level]);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    funlockfile(stderr);
}
