#include "macros.h"
#include "uuid.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

void
uuid_generate(Uuid *ret_uuid)
{
    size_t got = 0;

    while (got < sizeof(ret_uuid->bytes)) {
        ssize_t n = getrandom(ret_uuid->bytes + got, sizeof(ret_uuid->bytes) - got, 0);
        if (n > 0)
            got += (size_t) n;
    }
    ret_uuid->bytes[6] = (ret_uuid->bytes[6] & 0x0f) | 0x40;
    ret_uuid->bytes[8] = (ret_uuid->bytes[8] & 0x3f) | 0x80;
}

int
uuid_parse(const char *s, Uuid *ret_uuid)
{
    Uuid u;
    size_t digits = 0;

    if (!s)
        return -EINVAL;
    while (*s == ' ')
        s++;
    for (; *s; s++) {
        int v;
        if (*s == '-' || *s == ' ')
            continue;
        v = hex_digit_value(*s);
        if (v < 0 || digits >= 32)
            return -EINVAL;
        if (digits % 2 == 0)
            u.bytes[digits / 2] = (uint8_t) (v << 4);
        else
            u.bytes[digits / 2] |= (uint8_t) v;
        digits++;
    }
    if (digits != 32)
        return -EINVAL;
    *ret_uuid = u;
    return 0;
}

char *
uuid_format(const Uuid *uuid, char buf[static UUID_STRING_LEN])
{
    const uint8_t *b = uuid->bytes;

    snprintf(buf, UUID_STRING_LEN,
             "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
             b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
             b[12], b[13], b[14], b[15]);
    return buf;
}

bool
uuid_equal(const Uuid *a, const Uuid *b)
{
    return memcmp(a->bytes, b->bytes, sizeof(a->bytes)) == 0;
}

bool
uuid_is_null(const Uuid *uuid)
{
    static const Uuid zero;
    return uuid_equal(uuid, &zero);
}
