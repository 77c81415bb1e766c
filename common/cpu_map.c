/* libvirt's CPU map: the CPU model names of an architecture, from the map's
 * index.xml and the files it includes, in the map's order (what
 * virConnectGetCPUModelNames lists). */
#include "cpu_map.h"

#include <errno.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "fileutil.h"
#include "macros.h"
#include "xml_util.h"

#define MAP_FILE_MAX (4u << 20)

/* The map's name for a libvirt architecture whose CPU driver lists models
 * from it; "" for one whose driver lists none (ARM, s390 and RISC-V in
 * libvirt 9.0). */
static const char *
map_arch(const char *arch)
{
    static const char *const arches[][2] = {
        { "i686", "x86" },     { "x86_64", "x86" },     { "ppc64", "ppc64" },
        { "ppc64le", "ppc64" }, { "aarch64", "" },      { "armv6l", "" },
        { "armv7l", "" },      { "armv7b", "" },        { "s390", "" },
        { "s390x", "" },       { "riscv32", "" },       { "riscv64", "" },
    };

    for (size_t i = 0; i < ARRAY_SIZE(arches); i++)
        if (STREQ(arches[i][0], arch))
            return arches[i][1];
    return NULL;
}

static int
load(const char *dir, const char *name, xmlDoc **ret, Error *error)
{
    auto_cleanup(free_ptr) char *path = xasprintf("%s/%s", dir, name);
    auto_cleanup(free_ptr) char *text = NULL;
    size_t len;
    int r = file_read_all(path, MAP_FILE_MAX, &text, &len, error);

    if (r < 0)
        return r;
    return xml_parse_document(text, MAP_FILE_MAX, "cpus", ret, error);
}

int
cpu_map_models(const char *dir, const char *arch, char ***ret, Error *error)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *index = NULL;
    const char *want = map_arch(arch);
    char **models = NULL;
    int r;

    if (!want)
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: cannot find architecture %s", arch);
    *ret = NULL;
    if (!*want) {
        /* A CPU driver without models (s390, riscv): none. */
        *ret = xcalloc(1, sizeof(char *));
        return 0;
    }
    if ((r = load(dir, "index.xml", &index, error)) < 0)
        return r;
    for (xmlNode *a = xmlDocGetRootElement(index)->children; a; a = a->next) {
        auto_cleanup(free_ptr) char *name = xml_node_is(a, "arch") ? xml_prop(a, "name") : NULL;
        if (!name || !STREQ(name, want))
            continue;
        for (xmlNode *inc = a->children; inc; inc = inc->next) {
            auto_cleanup(free_ptr) char *file = xml_node_is(inc, "include")
                                                    ? xml_prop(inc, "filename") : NULL;
            auto_cleanup(xmlFreeDocp) xmlDoc *doc = NULL;

            if (!file)
                continue;
            if ((r = load(dir, file, &doc, error)) < 0) {
                strv_free(models);
                return r;
            }
            for (xmlNode *m = xmlDocGetRootElement(doc)->children; m; m = m->next) {
                char *model = xml_node_is(m, "model") ? xml_prop(m, "name") : NULL;
                if (model)
                    strv_push(&models, model);
            }
        }
    }
    *ret = models ? models : xcalloc(1, sizeof(char *));
    return 0;
}
