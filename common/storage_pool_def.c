/* Storage pool XML: parse, validate, format (see storage_pool_def.h). */
#include <errno.h>
#include <string.h>

#include "storage_pool_def.h"
#include "xml_util.h"

#define POOL_XML_MAX (1024 * 1024)

static const char *const pool_type_names[] = {
    [STORAGE_POOL_DIR] = "dir",
};

const char *
storage_pool_type_to_string(StoragePoolType type)
{
    if ((unsigned) type >= ARRAY_SIZE(pool_type_names))
        return NULL;
    return pool_type_names[type];
}

char *
storage_path_clean(const char *path)
{
    char *out, *o;
    const char *p = path;

    if (!path || path[0] != '/')
        return NULL;
    out = xmalloc(strlen(path) + 2);
    o = out;
    while (*p) {
        const char *start, *end;
        size_t len;

        while (*p == '/')
            p++;
        if (!*p)
            break;
        start = p;
        end = strchr(start, '/');
        if (!end)
            end = start + strlen(start);
        len = end - start;
        if ((len == 1 && start[0] == '.') || (len == 2 && start[0] == '.' && start[1] == '.')) {
            free(out);
            return NULL;
        }
        *o++ = '/';
        memcpy(o, start, len);
        o += len;
        p = end;
    }
    if (o == out)
        *o++ = '/';
    *o = '\0';
    return out;
}

static int
parse_id(xmlNode *perms, const char *name, long long *ret, Error *error)
{
    auto_cleanup(free_ptr) char *s = xml_child_content(perms, name);
    long long v;

    if (!s)
        return 0;
    if (xml_parse_ll(s, 10, -1, 0xffffffffLL, &v) < 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR, "malformed %s element", name);
    *ret = v;
    return 0;
}

int
storage_perms_parse(xmlNode *node, StoragePerms *perms, Error *error)
{
    auto_cleanup(free_ptr) char *mode = NULL;
    int r;

    if (!node)
        return 0;
    mode = xml_child_content(node, "mode");
    if (mode) {
        unsigned long long m;

        if (xml_parse_ull(mode, 8, 07777, &m) < 0)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR, "malformed octal mode");
        perms->mode = (int) m;
    }
    r = parse_id(node, "owner", &perms->uid, error);
    if (r >= 0)
        r = parse_id(node, "group", &perms->gid, error);
    return r;
}

void
storage_perms_format(struct XmlWriter *w, const StoragePerms *perms)
{
    if (perms->mode < 0 && perms->uid < 0 && perms->gid < 0)
        return;
    xml_writer_start(w, "permissions");
    if (perms->mode >= 0) {
        auto_cleanup(free_ptr) char *m = xasprintf("%04o", (unsigned) perms->mode);
        xml_writer_element_text(w, "mode", m);
    }
    if (perms->uid >= 0) {
        auto_cleanup(free_ptr) char *u = xasprintf("%lld", perms->uid);
        xml_writer_element_text(w, "owner", u);
    }
    if (perms->gid >= 0) {
        auto_cleanup(free_ptr) char *g = xasprintf("%lld", perms->gid);
        xml_writer_element_text(w, "group", g);
    }
    xml_writer_end(w);
}

void
storage_pool_def_free(StoragePoolDef *def)
{
    if (!def)
        return;
    free(def->name);
    free(def->target_path);
    free(def);
}

/* libvirt's virStoragePoolType names: another is not a pool type at all. */
static const char *const libvirt_pool_types[] = {
    "dir", "fs", "netfs", "logical", "disk", "iscsi", "iscsi-direct", "scsi", "mpath", "rbd",
    "sheepdog", "gluster", "zfs", "vstorage", NULL,
};

static bool
str_in_list(const char *s, const char *const *list)
{
    for (size_t i = 0; list[i]; i++)
        if (STREQ(s, list[i]))
            return true;
    return false;
}

static int
parse_pool(xmlNode *root, StoragePoolDef *def, Error *error)
{
    auto_cleanup(free_ptr) char *type = xml_prop(root, "type");
    auto_cleanup(free_ptr) char *uuid = NULL;
    auto_cleanup(free_ptr) char *path = NULL;
    xmlNode *target;

    if (!type)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR, "storage pool missing type attribute");
    if (!str_in_list(type, libvirt_pool_types))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: Invalid value for attribute 'type' in element 'pool': "
                         "'%s'.", type);
    if (!STREQ(type, "dir"))
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: storage pool type '%s' is not supported",
                         type);
    def->type = STORAGE_POOL_DIR;

    def->name = xml_child_content(root, "name");
    if (!def->name || !*def->name)
        return error_set(error, -EINVAL, VIR_ERR_NO_NAME, "missing pool source name element");
    if (strchr(def->name, '/'))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "name '%s' cannot contain '/'", def->name);
    if (STREQ(def->name, ".") || STREQ(def->name, "..") || strchr(def->name, '\n'))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "invalid storage pool name '%s'", def->name);

    uuid = xml_child_content(root, "uuid");
    if (uuid) {
        if (uuid_parse(uuid, &def->uuid) < 0)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR, "malformed uuid element");
    } else {
        uuid_generate(&def->uuid);
        def->uuid_generated = true;
    }

    target = xml_child(root, "target");
    path = xml_child_content(target, "path");
    if (!path || !*path)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR, "missing storage pool target path");
    def->target_path = storage_path_clean(path);
    if (!def->target_path)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "storage pool target path '%s' must be absolute, without '.' or '..'",
                         path);
    if (STREQ(def->target_path, "/"))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "storage pool target path '%s' cannot be the root folder", path);
    return storage_perms_parse(xml_child(target, "permissions"), &def->perms, error);
}

int
storage_pool_def_parse(const char *xml, StoragePoolDef **ret_def, Error *error)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    auto_cleanup(storage_pool_def_freep) StoragePoolDef *def = NULL;
    int r;

    r = xml_parse_document(xml, POOL_XML_MAX, "pool", &doc, error);
    if (r < 0)
        return r;
    def = xcalloc(1, sizeof(*def));
    def->perms = (StoragePerms) STORAGE_PERMS_INIT;
    r = parse_pool(xmlDocGetRootElement(doc), def, error);
    if (r < 0)
        return r;
    *ret_def = steal_ptr(def);
    return 0;
}

static void
write_size(XmlWriter *w, const char *name, unsigned long long v)
{
    auto_cleanup(free_ptr) char *s = xasprintf("%llu", v);

    xml_writer_start(w, name);
    xml_writer_attr(w, "unit", "bytes");
    xml_writer_text(w, s);
    xml_writer_end(w);
}

char *
storage_pool_def_format(const StoragePoolDef *def)
{
    XmlWriter w = XML_WRITER_INIT;
    char uuid[UUID_STRING_LEN];

    xml_writer_start(&w, "pool");
    xml_writer_attr(&w, "type", storage_pool_type_to_string(def->type));
    xml_writer_element_text(&w, "name", def->name);
    xml_writer_element_text(&w, "uuid", uuid_format(&def->uuid, uuid));
    write_size(&w, "capacity", def->capacity);
    write_size(&w, "allocation", def->allocation);
    write_size(&w, "available", def->available);
    /* libvirt writes an empty <source> for a dir pool; kept for diffs. */
    xml_writer_start(&w, "source");
    xml_writer_end(&w);
    xml_writer_start(&w, "target");
    xml_writer_element_text(&w, "path", def->target_path);
    storage_perms_format(&w, &def->perms);
    xml_writer_end(&w);
    xml_writer_end(&w);
    return xml_writer_steal(&w);
}

StoragePoolDef *
storage_pool_def_copy(const StoragePoolDef *def)
{
    StoragePoolDef *c = xmalloc(sizeof(*c));

    *c = *def;
    c->name = xstrdup(def->name);
    c->target_path = xstrdup(def->target_path);
    return c;
}
