/* virDomainSetMetadata and virDomainGetMetadata on a definition: the
 * title, the description, and the elements of <metadata>, one per
 * namespace, as libvirt keeps them. <metadata> is held as its inner XML
 * (DomainDef.metadata); a change parses it, swaps one element and writes it
 * back. */
#include <errno.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/valid.h>

#include "domain_def.h"
#include "xml_util.h"

/* The largest element a caller may set (libvirt has no limit of its own;
 * the definition's limit applies in the end). */
#define METADATA_MAX_BYTES (256 * 1024)

int
domain_metadata_check(int type, const char *metadata, const char *key, const char *uri,
                      bool set, Error *error)
{
    const char *api = set ? "virDomainSetMetadata" : "virDomainGetMetadata";

    switch (type) {
    case DOMAIN_METADATA_TITLE:
        if (set && metadata && strchr(metadata, '\n'))
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: metadata title can't contain newlines");
        /* fall through */
    case DOMAIN_METADATA_DESCRIPTION:
        if (uri)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: uri in %s must be NULL", api);
        if (key)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: key in %s must be NULL", api);
        return 0;
    case DOMAIN_METADATA_ELEMENT:
        if (!uri)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: uri in %s must not be NULL", api);
        if (set && metadata && !key)
            return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                             "invalid argument: key in %s must not be NULL", api);
        return 0;
    default:
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: unknown metadata type '%d'", type);
    }
}

/* <metadata> with the definition's elements, as a document of its own. */
static xmlDoc *
metadata_doc(const DomainDef *def)
{
    auto_cleanup(free_ptr) char *xml =
        xasprintf("<metadata>%s</metadata>", str_or_empty(def->metadata));
    xmlDoc *doc = NULL;

    if (xml_parse_document(xml, strlen(xml), "metadata", &doc, NULL) < 0)
        return NULL;
    return doc;
}

static bool
node_has_ns(const xmlNode *n, const char *uri)
{
    return n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
           strcmp((const char *) n->ns->href, uri) == 0;
}

/* Puts @ns on @node and every element below it, as libvirt does, so that
 * the caller's element lives in the namespace whatever it was written in. */
static void
set_ns(xmlNode *node, xmlNs *ns)
{
    for (xmlNode *c = node; c; c = c->next) {
        if (c->type != XML_ELEMENT_NODE)
            continue;
        c->ns = ns;
        set_ns(c->children, ns);
    }
}

/* The element in @uri without its namespace, as the caller wrote it. */
static char *
element_without_ns(xmlNode *node, const char *uri)
{
    xmlDoc *tmp = xmlNewDoc((const xmlChar *) "1.0");
    xmlNode *copy = xmlDocCopyNode(node, tmp, 1);
    xmlNs **prev;
    char *s;

    if (!tmp || !copy)
        abort();
    xmlDocSetRootElement(tmp, copy);
    set_ns(copy, NULL);
    for (prev = &copy->nsDef; *prev; prev = &(*prev)->next) {
        if ((*prev)->href && strcmp((const char *) (*prev)->href, uri) == 0) {
            xmlNs *gone = *prev;
            *prev = gone->next;
            gone->next = NULL;
            xmlFreeNs(gone);
            break;
        }
    }
    s = xml_node_xml(copy);
    if (*s && s[strlen(s) - 1] == '\n')
        s[strlen(s) - 1] = '\0';
    xmlFreeDoc(tmp);
    return s;
}

int
domain_def_get_metadata(const DomainDef *def, int type, const char *uri, char **ret,
                        Error *error)
{
    char *s = NULL;

    switch (type) {
    case DOMAIN_METADATA_DESCRIPTION:
        s = def->description ? xstrdup(def->description) : NULL;
        break;
    case DOMAIN_METADATA_TITLE:
        s = def->title ? xstrdup(def->title) : NULL;
        break;
    case DOMAIN_METADATA_ELEMENT:
        if (def->metadata) {
            xmlDoc *doc = metadata_doc(def);
            xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL;

            for (xmlNode *c = root ? root->children : NULL; c && !s; c = c->next)
                if (node_has_ns(c, uri))
                    s = element_without_ns(c, uri);
            xmlFreeDoc(doc);
        }
        break;
    default:
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: unknown metadata type '%d'", type);
    }
    if (!s)
        return error_set(error, -ENOENT, VIR_ERR_NO_DOMAIN_METADATA,
                         "metadata not found: Requested metadata element is not present");
    *ret = s;
    return 0;
}

static int
set_element(DomainDef *def, const char *metadata, const char *key, const char *uri,
            Error *error)
{
    auto_cleanup(xmlFreeDocp) xmlDoc *doc = metadata_doc(def);
    auto_cleanup(xmlFreeDocp) xmlDoc *user = NULL;
    xmlNode *root = doc ? xmlDocGetRootElement(doc) : NULL, *next;
    auto_cleanup(free_ptr) char *inner = NULL;

    if (!root)
        return error_set(error, -EIO, VIR_ERR_INTERNAL_ERROR,
                         "internal error: the domain's <metadata> cannot be read");
    if (metadata) {
        xmlNode *elem, *copy;
        xmlNs *ns;
        int r = xml_parse_document_as(metadata, METADATA_MAX_BYTES, NULL, "(metadata_xml)",
                                      &user, error);

        if (r < 0)
            return r;
        if (xmlValidateNCName((const xmlChar *) key, 1) != 0)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: failed to validate prefix for a new XML "
                             "namespace");
        elem = xmlDocGetRootElement(user);
        ns = xmlNewNs(elem, (const xmlChar *) uri, (const xmlChar *) key);
        if (!ns)
            return error_set(error, -EINVAL, VIR_ERR_INTERNAL_ERROR,
                             "internal error: failed to create a new XML namespace");
        set_ns(elem, ns);
        for (xmlNode *c = root->children; c; c = next) {
            next = c->next;
            if (node_has_ns(c, uri)) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
        }
        copy = xmlDocCopyNode(elem, doc, 1);
        if (!copy || !xmlAddChild(root, copy))
            abort();
    } else {
        for (xmlNode *c = root->children; c; c = next) {
            next = c->next;
            if (node_has_ns(c, uri)) {
                xmlUnlinkNode(c);
                xmlFreeNode(c);
            }
        }
    }
    inner = xml_inner_xml(root);
    free(def->metadata);
    def->metadata = steal_ptr(inner);
    return 0;
}

int
domain_def_set_metadata(DomainDef *def, int type, const char *metadata, const char *key,
                        const char *uri, Error *error)
{
    /* As libvirt: an empty title or description removes it. */
    const char *text = metadata && *metadata ? metadata : NULL;

    switch (type) {
    case DOMAIN_METADATA_DESCRIPTION:
        free(def->description);
        def->description = text ? xstrdup(text) : NULL;
        return 0;
    case DOMAIN_METADATA_TITLE:
        free(def->title);
        def->title = text ? xstrdup(text) : NULL;
        return 0;
    case DOMAIN_METADATA_ELEMENT:
        return set_element(def, metadata, key, uri, error);
    default:
        return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG,
                         "invalid argument: unknown metadata type '%d'", type);
    }
}
