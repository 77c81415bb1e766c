/* The argv builder qemu_command*.c write with (qemu_command_argv.c). */
#pragma once

#include <stddef.h>

#include <jansson.h>

#include "macros.h"

typedef struct Cmd {
    char **argv;
    size_t n, cap;
    char **tmp; /* escaped strings, freed with the builder */
    size_t n_tmp;
} Cmd;

/* Appends @s (stolen), a copy of @s. */
void cmd_take(Cmd *c, char *s);
void cmd_add(Cmd *c, const char *s);
/* "-opt" "value" */
void cmd_opt(Cmd *c, const char *opt, const char *fmt, ...) _printf_(3, 4);
/* "-opt" and @value in JSON, which QEMU reads for -blockdev and -device as
 * for QMP (@value is stolen). */
void cmd_json(Cmd *c, const char *opt, json_t *value);
/* Escaped for QEMU's option syntax; valid until cmd_clear(). */
const char *opt_escape(Cmd *c, const char *s);
/* A formatted scratch string; valid until cmd_clear(). */
const char *scratch_printf(Cmd *c, const char *fmt, ...) _printf_(2, 3);
void cmd_clear(Cmd *c);
