/* UUIDs: 16 raw bytes, written as 8-4-4-4-12 lowercase hex. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

typedef struct Uuid {
    uint8_t bytes[16];
} Uuid;

#define UUID_STRING_LEN 37 /* with the NUL */

/* A random version 4 UUID from getrandom(). */
void uuid_generate(Uuid *ret_uuid);
/* Accepts the canonical form and, like libvirt, hex digits with '-' and
 * spaces anywhere, 32 digits in all. Returns 0 or -EINVAL. */
int uuid_parse(const char *s, Uuid *ret_uuid);
/* Writes the canonical form into @buf (UUID_STRING_LEN bytes) and returns it. */
char *uuid_format(const Uuid *uuid, char buf[static UUID_STRING_LEN]);
bool uuid_equal(const Uuid *a, const Uuid *b);
bool uuid_is_null(const Uuid *uuid);
