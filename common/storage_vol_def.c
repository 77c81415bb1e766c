/* Storage volume XML: parse, validate, format (see storage_vol_def.h). */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "storage_vol_def.h"
#include "xml_util.h"

#define VOL_XML_MAX (1024 * 1024)

static const char *const vol_format_names[] = {
    [STORAGE_VOL_FORMAT_RAW] = "raw",
    [STORAGE_VOL_FORMAT_QCOW2] = "qcow2",
};

const char *
storage_vol_format_to_string(StorageVolFormat f)
{
    if ((unsigned) f >= ARRAY_SIZE(vol_format_names))
        return NULL;
    return vol_format_names[f];
}

int
storage_vol_format_from_string(const char *s)
{
    for (size_t i = 0; s && i < ARRAY_SIZE(vol_format_names); i++)
        if (STREQ(s, vol_format_names[i]))
            return (int) i;
    return -1;
}

int
storage_vol_name_check(const char *name, Error *error)
{
    if (!name || !*name)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "volume name cannot be empty");
    if (strchr(name, '/'))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "volume name '%s' cannot contain '/'", name);
    if (name[0] == '.')
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "volume name '%s' cannot start with '.'", name);
    if (strchr(name, '\n'))
        return error_set(error, -EINVAL, VIR_ERR_OPERATION_INVALID,
                         "volume name cannot contain a newline");
    return 0;
}

void
storage_vol_def_free(StorageVolDef *def)
{
    if (!def)
        return;
    free(def->name);
    free(def->key);
    free(def->target_path);
    free(def->backing_path);
    free(def);
}

/* 1 and *ret when <@name> is there, 0 when absent. */
static int
parse_size(xmlNode *root, const char *name, unsigned long long *ret, Error *error)
{
    xmlNode *node = xml_child(root, name);
    auto_cleanup(free_ptr) char *text = NULL;
    auto_cleanup(free_ptr) char *unit = NULL;
    unsigned long long v;
    int r;

    if (!node)
        return 0;
    text = xml_content(node);
    /* An empty element is no value, as libvirt reads it: <allocation/>. */
    if (!text || !text[strspn(text, " \t\r\n")])
        return 0;
    unit = xml_prop(node, "unit");
    r = xml_parse_ull(text, 10, ULLONG_MAX, &v);
    if (r == -ERANGE)
        return error_set(error, -ERANGE, VIR_ERR_OVERFLOW, "value too large: %s", text);
    if (r < 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "malformed %s element: '%s'", name, text ? text : "");
    r = xml_scale_integer(&v, unit, 1, STORAGE_VOL_SIZE_MAX, error);
    if (r < 0)
        return r;
    *ret = v;
    return 1;
}

static int
parse_format(xmlNode *parent, StorageVolFormat *ret, Error *error)
{
    auto_cleanup(free_ptr) char *type = xml_prop(xml_child(parent, "format"), "type");
    int f;

    if (!type)
        return 0;
    f = storage_vol_format_from_string(type);
    if (f < 0)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: unknown volume format type %s", type);
    *ret = f;
    return 1;
}

static int
parse_vol(xmlNode *root, unsigned flags, StorageVolDef *def, Error *error)
{
    auto_cleanup(free_ptr) char *type = xml_prop(root, "type");
    xmlNode *target, *backing;
    int r;

    if (type && !STREQ(type, "file"))
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: volume type '%s' is not supported in a "
                         "directory pool", type);
    def->name = xml_child_content(root, "name");
    if (!def->name || !*def->name)
        return error_set(error, -EINVAL, VIR_ERR_NO_NAME, "missing volume name element");

    r = parse_size(root, "capacity", &def->capacity, error);
    if (r < 0)
        return r;
    def->has_capacity = r > 0;
    if (!def->has_capacity && !(flags & STORAGE_VOL_DEF_PARSE_NO_CAPACITY))
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR, "missing capacity element");
    r = parse_size(root, "allocation", &def->allocation, error);
    if (r < 0)
        return r;
    def->has_allocation = r > 0;
    if (def->has_allocation && def->has_capacity && def->allocation > def->capacity)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "allocation %llu of volume '%s' is larger than its capacity %llu",
                         def->allocation, def->name, def->capacity);
    if (!def->has_allocation)
        def->allocation = def->capacity;
    r = parse_size(root, "physical", &def->physical, error);
    if (r < 0)
        return r;

    target = xml_child(root, "target");
    r = parse_format(target, &def->format, error);
    if (r < 0)
        return r;
    def->has_format = r > 0;
    r = storage_perms_parse(xml_child(target, "permissions"), &def->perms, error);
    if (r < 0)
        return r;

    backing = xml_child(root, "backingStore");
    if (backing) {
        auto_cleanup(free_ptr) char *path = xml_child_content(backing, "path");

        if (!path || !*path)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "missing path in backingStore of volume '%s'", def->name);
        def->backing_path = storage_path_clean(path);
        if (!def->backing_path)
            return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                             "backing store path '%s' must be absolute, without '.' or '..'",
                             path);
        r = parse_format(backing, &def->backing_format, error);
        if (r < 0)
            return r;
        def->has_backing_format = r > 0;
    }
    return 0;
}

int
storage_vol_def_parse(const char *xml, unsigned flags, StorageVolDef **ret_def, Error *error)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;
    auto_cleanup(storage_vol_def_freep) StorageVolDef *def = NULL;
    int r;

    r = xml_parse_document(xml, VOL_XML_MAX, "volume", &doc, error);
    if (r < 0)
        return r;
    def = xcalloc(1, sizeof(*def));
    def->perms = (StoragePerms) STORAGE_PERMS_INIT;
    r = parse_vol(xmlDocGetRootElement(doc), flags, def, error);
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

static void
write_format(XmlWriter *w, StorageVolFormat f)
{
    xml_writer_start(w, "format");
    xml_writer_attr(w, "type", storage_vol_format_to_string(f));
    xml_writer_end(w);
}

char *
storage_vol_def_format(const StorageVolDef *def)
{
    XmlWriter w = XML_WRITER_INIT;

    xml_writer_start(&w, "volume");
    xml_writer_attr(&w, "type", "file");
    xml_writer_element_text(&w, "name", def->name);
    xml_writer_element_text(&w, "key", def->key);
    write_size(&w, "capacity", def->capacity);
    write_size(&w, "allocation", def->allocation);
    if (def->physical)
        write_size(&w, "physical", def->physical);
    xml_writer_start(&w, "target");
    xml_writer_element_text(&w, "path", def->target_path);
    write_format(&w, def->format);
    storage_perms_format(&w, &def->perms);
    xml_writer_end(&w);
    if (def->backing_path) {
        xml_writer_start(&w, "backingStore");
        xml_writer_element_text(&w, "path", def->backing_path);
        if (def->has_backing_format)
            write_format(&w, def->backing_format);
        xml_writer_end(&w);
    }
    xml_writer_end(&w);
    return xml_writer_steal(&w);
}
