/* Storage pool XML (libvirt's <pool>): parse, validate, format.
 *
 * Only directory pools (type='dir') exist here, the type most installations
 * use. The document is libvirt's:
 *
 *   <pool type='dir'>
 *     <name>default</name>
 *     <uuid>...</uuid>
 *     <capacity unit='bytes'>N</capacity>      live values, written by the
 *     <allocation unit='bytes'>N</allocation>  daemon and ignored on input
 *     <available unit='bytes'>N</available>
 *     <source>
 *     </source>
 *     <target>
 *       <path>/var/lib/libvirt/images</path>
 *       <permissions><mode>0711</mode><owner>0</owner><group>0</group></permissions>
 *     </target>
 *   </pool>
 */
#pragma once

#include <stdbool.h>

#include <libxml/tree.h>

#include "error.h"
#include "macros.h"
#include "uuid.h"

/* Permissions of a pool's folder or a volume's file; -1 means "not given". */
typedef struct StoragePerms {
    int mode;       /* 0 .. 07777, or -1 */
    long long uid;  /* or -1 */
    long long gid;  /* or -1 */
} StoragePerms;

#define STORAGE_PERMS_INIT { -1, -1, -1 }

typedef enum {
    STORAGE_POOL_DIR,
    _STORAGE_POOL_TYPE_MAX,
} StoragePoolType;

typedef struct StoragePoolDef {
    StoragePoolType type;
    char *name;
    Uuid uuid;
    bool uuid_generated;     /* no <uuid> in the input: a random one was made */
    /* Live figures in bytes, from the file system (statvfs); 0 until refreshed.
     * Formatted always, never read back (libvirt ignores them on input too). */
    unsigned long long capacity;
    unsigned long long allocation;
    unsigned long long available;
    char *target_path;       /* absolute, clean: no "//", no trailing '/', no "." or ".." parts */
    StoragePerms perms;
} StoragePoolDef;

/* "dir" for STORAGE_POOL_DIR; NULL when out of range. */
const char *storage_pool_type_to_string(StoragePoolType type);

/* Parses and validates @xml (at most 1 MiB). Errors (negative errno):
 *   malformed XML, no <name>, a name with '/', a bad <uuid>, no target path,
 *   a relative target path, a bad <mode>/<owner>/<group>: VIR_ERR_XML_ERROR
 *   (NoName for a missing name, as libvirt),
 *   a pool type other than dir: VIR_ERR_CONFIG_UNSUPPORTED.
 * On success *ret_def is a new definition. */
int storage_pool_def_parse(const char *xml, StoragePoolDef **ret_def, Error *error);
/* The XML text of @def (a new string), two-space indented as libvirt. */
char *storage_pool_def_format(const StoragePoolDef *def);
/* A deep copy. */
StoragePoolDef *storage_pool_def_copy(const StoragePoolDef *def);
void storage_pool_def_free(StoragePoolDef *def);
DEFINE_FREEP(StoragePoolDef, storage_pool_def_free)

/* Shared with storage_vol_def.c: parses <permissions> (may be NULL: nothing
 * set) into @perms. Errors: VIR_ERR_XML_ERROR "malformed octal mode". */
int storage_perms_parse(xmlNode *node, StoragePerms *perms, Error *error);
/* Cleans an absolute path as libvirt's virFileSanitizePath does, and refuses
 * "." and ".." components. Returns a new string, or NULL when @path is not
 * absolute or has a "." or ".." component. */
char *storage_path_clean(const char *path);
/* Writes <permissions> for @perms (nothing when every field is unset). */
struct XmlWriter;
void storage_perms_format(struct XmlWriter *w, const StoragePerms *perms);
