/* Logging to stderr (or a file), with a level set by the daemon's flags. */
#pragma once

#include "macros.h"

typedef enum {
    LOG_LEVEL_DEBUG,
    LOG_LEVEL_INFO,
    LOG_LEVEL_WARN,
    LOG_LEVEL_ERROR,
} LogLevel;

void log_set_level(LogLevel level);
LogLevel log_get_level(void);
/* The program name written in front of each line. Borrowed: a literal. */
void log_set_ident(const char *ident);
void log_write(LogLevel level, const char *fmt, ...) _printf_(2, 3);

#define log_debug(...) \
    do { if (log_get_level() <= LOG_LEVEL_DEBUG) log_write(LOG_LEVEL_DEBUG, __VA_ARGS__); } while (0)
#define log_info(...) log_write(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_error(...) log_write(LOG_LEVEL_ERROR, __VA_ARGS__)
