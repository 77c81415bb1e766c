/* D-Bus object paths of libvirt-dbus's scheme, written once for every
 * daemon and virtproxyd.
 *
 * An object named by UUID (domain, network, pool, secret) lives at
 * PREFIX/_<uuid with '_' for '-'>; one named by a string (a volume's key, a
 * node device's name) at PREFIX/<the string with every byte other than
 * [A-Za-z0-9] written _xx in lowercase hex>. Both forms are valid object
 * path segments for any input, and both decode back exactly. */
#pragma once

#include <stddef.h>

#include "uuid.h"

/* The longest PREFIX/_<uuid> path object_path_uuid_into() writes, with its
 * NUL, for a prefix of up to 64 bytes. */
#define OBJECT_PATH_UUID_MAX (64 + 2 + UUID_STRING_LEN)

/* PREFIX/_<uuid>; a new string. */
char *object_path_from_uuid(const char *prefix, const Uuid *uuid);
/* The same into @buf of @size bytes, without allocating (a lookup's hot
 * path). Returns 0, or -ENAMETOOLONG. */
int object_path_uuid_into(const char *prefix, const Uuid *uuid, char *buf, size_t size);
/* The UUID of a path ending in /_<uuid>, whatever its prefix. Returns 0 or
 * -EINVAL. */
int object_path_to_uuid(const char *path, Uuid *ret_uuid);

/* PREFIX/<escaped @name>; a new string. */
char *object_path_from_name(const char *prefix, const char *name);
/* The escaped form of @name alone (one path segment); a new string. An
 * empty name is written "_" (a segment may not be empty). */
char *object_path_escape(const char *name);
/* The name a segment written by object_path_escape() stands for, or NULL
 * (a bad escape, an escaped NUL); a new string. */
char *object_path_unescape(const char *segment);

/* Whether @path is PREFIX/<one segment>. */
int object_path_has_prefix(const char *path, const char *prefix);
