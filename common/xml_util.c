#include "xml_util.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>

/* What the SAX hooks and the error handler record while one document is
 * parsed; reached through ctxt->_private. */
typedef struct ParseState {
    int line;          /* line of the first fatal error, 0 if none */
    char *message;     /* libxml2's first fatal error message, newline stripped */
    char *context;     /* the text of the line it is on */
    size_t column;     /* where on that line the parser stopped */
    bool has_dtd;      /* a DOCTYPE or entity declaration was seen */
    int dtd_line;
} ParseState;

static void
parse_refuse_dtd(xmlParserCtxt *ctxt)
{
    ParseState *st = ctxt->_private;

    if (!st->has_dtd) {
        st->has_dtd = true;
        st->dtd_line = xmlSAX2GetLineNumber(ctxt);
    }
    /* Stop right here: nothing declared in the subset is ever parsed. */
    xmlStopParser(ctxt);
}

static void
sax_internal_subset(void *ctx, const xmlChar *name, const xmlChar *external_id,
                    const xmlChar *system_id)
{
    parse_refuse_dtd(ctx);
}

static void
sax_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                const xmlChar *system_id, xmlChar *content)
{
    parse_refuse_dtd(ctx);
}

static xmlParserInputPtr
sax_resolve_entity(void *ctx, const xmlChar *public_id, const xmlChar *system_id)
{
    parse_refuse_dtd(ctx);
    return NULL;
}

/* libvirt reports the first fatal error with the line it is on and a
 * pointer under the place the parser stopped; later errors are its
 * consequences, and non-fatal ones do not stop the parse. */
static void
parse_structured_error(void *user_data, xmlError *err)
{
    xmlParserCtxt *ctxt = user_data;
    const xmlChar *cur, *base, *end;
    ParseState *st;
    size_t n;

    if (!ctxt || !err || err->level != XML_ERR_FATAL || !ctxt->input)
        return;
    st = ctxt->_private;
    if (!st || st->message)
        return;
    st->line = err->line;
    st->message = xstrdup(err->message ? err->message : "unknown error");
    n = strlen(st->message);
    while (n > 0 && (st->message[n - 1] == '\n' || st->message[n - 1] == ' '))
        st->message[--n] = '\0';
    base = ctxt->input->base;
    cur = ctxt->input->cur;
    /* Back over line ends to the line the error is on, then to its start. */
    while (cur > base && (*cur == '\n' || *cur == '\r'))
        cur--;
    while (cur > base && *cur != '\n' && *cur != '\r')
        cur--;
    if (*cur == '\n' || *cur == '\r')
        cur++;
    st->column = (size_t) (ctxt->input->cur - cur);
    for (end = cur; *end && *end != '\n' && *end != '\r'; end++)
        ;
    st->context = xstrndup((const char *) cur, (size_t) (end - cur));
}

/* The name libvirt gives a document in its parse errors, by root element. */
static const char *
document_name(const char *root_name)
{
    static const char *const names[][2] = {
        { "domain", "(domain_definition)" },
        { "network", "(network_definition)" },
        { "pool", "(storage_pool_definition)" },
        { "volume", "(storage_volume_definition)" },
        { "device", "(node_device_definition)" },
        { "secret", "(definition_of_secret)" },
        { "filter", "(nwfilter_definition)" },
        { "interface", "(interface_definition)" },
    };

    for (size_t i = 0; root_name && i < sizeof(names) / sizeof(names[0]); i++)
        if (strcmp(root_name, names[i][0]) == 0)
            return names[i][1];
    return "(xml_document)";
}

/* libvirt's VIR_ERR_XML_DETAIL message: "(domain_definition):1: Couldn't
 * find end of Start Tag domain line 1\n<domain\n-------^". */
static int
parse_error(const ParseState *st, const char *name, Error *error)
{
    const char *ctx = st->context ? st->context : "";
    size_t len = strlen(ctx), col = st->column < len ? st->column : len;
    auto_cleanup(free_ptr) char *pointer = xmalloc(col + 2);

    for (size_t i = 0; i < col; i++)
        pointer[i] = ctx[i] == '\t' ? '\t' : '-';
    pointer[col] = '^';
    pointer[col + 1] = '\0';
    return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL, "%s:%d: %s\n%s\n%s", name, st->line,
                     st->message, ctx, pointer);
}

int
xml_parse_document(const char *xml, size_t max_bytes, const char *root_name,
                   xmlDoc **ret_doc, Error *error)
{
    return xml_parse_document_as(xml, max_bytes, root_name, document_name(root_name), ret_doc,
                                 error);
}

int
xml_parse_document_as(const char *xml, size_t max_bytes, const char *root_name,
                      const char *doc_name, xmlDoc **ret_doc, Error *error)
{
    ParseState st = { 0 };
    xmlParserCtxt *ctxt = NULL;
    xmlDoc *doc = NULL;
    xmlNode *root;
    size_t len;
    int r = 0;

    if (!xml)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR, "XML error: no XML document given");
    len = strnlen(xml, max_bytes + 1);
    if (len > max_bytes)
        return error_set(error, -EFBIG, VIR_ERR_XML_ERROR,
                         "XML error: document is larger than the limit of %zu bytes",
                         max_bytes);
    if (len > INT_MAX)
        return error_set(error, -EFBIG, VIR_ERR_XML_ERROR, "XML error: document too large");

    ctxt = xmlNewParserCtxt();
    if (!ctxt)
        abort();
    ctxt->_private = &st;
    ctxt->sax->internalSubset = sax_internal_subset;
    ctxt->sax->externalSubset = sax_internal_subset;
    ctxt->sax->entityDecl = sax_entity_decl;
    ctxt->sax->resolveEntity = sax_resolve_entity;
    ctxt->sax->serror = parse_structured_error;
    ctxt->sax->warning = NULL;
    ctxt->sax->error = NULL;
    ctxt->sax->fatalError = NULL;
    ctxt->vctxt.error = NULL;
    ctxt->vctxt.warning = NULL;

    /* No NOENT, DTDLOAD, DTDATTR or XINCLUDE: nothing is substituted or
     * fetched. NONET for good measure. */
    doc = xmlCtxtReadMemory(ctxt, xml, (int) len, doc_name, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOWARNING | XML_PARSE_NOERROR);

    if (st.has_dtd) {
        r = error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                      "XML error: at line %d: DTD and entity declarations are not allowed",
                      st.dtd_line);
    } else if (!doc || !ctxt->wellFormed) {
        if (st.message)
            r = parse_error(&st, doc_name, error);
        else
            r = error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                          "XML error: document is not well formed");
    } else if (!(root = xmlDocGetRootElement(doc))) {
        r = error_set(error, -EINVAL, VIR_ERR_XML_ERROR, "XML error: document has no root element");
    } else if (root_name && !xml_node_is(root, root_name)) {
        r = error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                      "XML error: expecting root element of '%s', not '%s'",
                      root_name, (const char *) root->name);
    }

    free(st.message);
    free(st.context);
    ctxt->_private = NULL;
    xmlFreeParserCtxt(ctxt);
    if (r < 0) {
        if (doc)
            xmlFreeDoc(doc);
        return r;
    }
    *ret_doc = doc;
    return 0;
}

bool
xml_node_is(const xmlNode *node, const char *name)
{
    return node && node->type == XML_ELEMENT_NODE && !node->ns &&
           strcmp((const char *) node->name, name) == 0;
}

xmlNode *
xml_child(const xmlNode *node, const char *name)
{
    xml_foreach_child(c, node) {
        if (xml_node_is(c, name))
            return c;
    }
    return NULL;
}

char *
xml_prop(const xmlNode *node, const char *name)
{
    xmlChar *v;
    char *s;

    if (!node)
        return NULL;
    v = xmlGetNoNsProp(node, (const xmlChar *) name);
    if (!v)
        return NULL;
    s = xstrdup((const char *) v);
    xmlFree(v);
    return s;
}

char *
xml_content(const xmlNode *node)
{
    xmlChar *v;
    char *s;

    if (!node)
        return NULL;
    v = xmlNodeGetContent(node);
    s = xstrdup(v ? (const char *) v : "");
    xmlFree(v);
    return s;
}

char *
xml_child_content(const xmlNode *node, const char *name)
{
    return xml_content(xml_child(node, name));
}

int
xml_parse_ull(const char *s, int base, unsigned long long max, unsigned long long *ret)
{
    unsigned long long v;
    char *end;

    if (!s)
        return -EINVAL;
    while (isspace((unsigned char) *s))
        s++;
    if (!*s || *s == '-' || *s == '+')
        return -EINVAL;
    errno = 0;
    v = strtoull(s, &end, base);
    if (end == s)
        return -EINVAL;
    while (isspace((unsigned char) *end))
        end++;
    if (*end)
        return -EINVAL;
    if (errno == ERANGE || v > max)
        return -ERANGE;
    *ret = v;
    return 0;
}

int
xml_parse_ll(const char *s, int base, long long min, long long max, long long *ret)
{
    long long v;
    char *end;

    if (!s)
        return -EINVAL;
    while (isspace((unsigned char) *s))
        s++;
    if (!*s)
        return -EINVAL;
    errno = 0;
    v = strtoll(s, &end, base);
    if (end == s)
        return -EINVAL;
    while (isspace((unsigned char) *end))
        end++;
    if (*end)
        return -EINVAL;
    if (errno == ERANGE || v < min || v > max)
        return -ERANGE;
    *ret = v;
    return 0;
}

int
xml_parse_bool(const char *s, bool *ret)
{
    if (!s)
        return -EINVAL;
    if (STREQ(s, "yes") || STREQ(s, "on")) {
        *ret = true;
        return 0;
    }
    if (STREQ(s, "no") || STREQ(s, "off")) {
        *ret = false;
        return 0;
    }
    return -EINVAL;
}

static int
prop_invalid(const xmlNode *node, const char *name, const char *value, Error *error)
{
    /* libvirt's virXMLPropUInt() and friends word it this way. */
    return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                     "XML error: Invalid value for attribute '%s' in element '%s': '%s'.",
                     name, (const char *) node->name, value);
}

int
xml_prop_uint(const xmlNode *node, const char *name, int base, unsigned max,
              unsigned *ret, Error *error)
{
    auto_cleanup(free_ptr) char *v = xml_prop(node, name);
    unsigned long long n;

    if (!v)
        return 0;
    if (xml_parse_ull(v, base, max, &n) < 0)
        return prop_invalid(node, name, v, error);
    *ret = (unsigned) n;
    return 1;
}

int
xml_prop_int(const xmlNode *node, const char *name, int min, int max, int *ret, Error *error)
{
    auto_cleanup(free_ptr) char *v = xml_prop(node, name);
    long long n;

    if (!v)
        return 0;
    if (xml_parse_ll(v, 10, min, max, &n) < 0)
        return prop_invalid(node, name, v, error);
    *ret = (int) n;
    return 1;
}

int
xml_prop_bool(const xmlNode *node, const char *name, bool *ret, Error *error)
{
    auto_cleanup(free_ptr) char *v = xml_prop(node, name);

    if (!v)
        return 0;
    if (xml_parse_bool(v, ret) < 0)
        return prop_invalid(node, name, v, error);
    return 1;
}

int
xml_scale_integer(unsigned long long *value, const char *unit,
                  unsigned long long default_scale, unsigned long long limit, Error *error)
{
    unsigned long long scale;

    if (!unit || !*unit) {
        scale = default_scale;
        unit = "";
    } else if (strcasecmp(unit, "b") == 0 || strcasecmp(unit, "byte") == 0 ||
               strcasecmp(unit, "bytes") == 0) {
        scale = 1;
    } else {
        unsigned long long base;
        int power;

        if (!unit[1] || strcasecmp(unit + 1, "iB") == 0)
            base = 1024;
        else if (strcasecmp(unit + 1, "B") == 0)
            base = 1000;
        else
            goto invalid;
        switch (tolower((unsigned char) unit[0])) {
        case 'k': power = 1; break;
        case 'm': power = 2; break;
        case 'g': power = 3; break;
        case 't': power = 4; break;
        case 'p': power = 5; break;
        case 'e': power = 6; break;
        default: goto invalid;
        }
        scale = 1;
        while (power--)
            scale *= base;
    }

    if (*value && *value > limit / scale)
        return error_set(error, -ERANGE, VIR_ERR_OVERFLOW, "value too large: %llu%s",
                         *value, unit);
    *value *= scale;
    return 0;

invalid:
    return error_set(error, -EINVAL, VIR_ERR_INVALID_ARG, "invalid argument: unknown suffix '%s'",
                     unit);
}

int
xml_parse_memory(const xmlNode *node, const char *what, unsigned long long *ret_kib,
                 Error *error)
{
    auto_cleanup(free_ptr) char *text = xml_content(node);
    auto_cleanup(free_ptr) char *unit = xml_prop(node, "unit");
    unsigned long long bytes, kib;
    const unsigned long long max = LLONG_MAX; /* libvirt's bound on 64-bit hosts */
    int r;

    if (xml_parse_ull(text, 10, ULLONG_MAX, &bytes) < 0)
        return error_set(error, -EINVAL, VIR_ERR_XML_ERROR,
                         "XML error: could not parse element %s value '%s'", what, text);
    r = xml_scale_integer(&bytes, unit, 1024, max, error);
    if (r < 0)
        return r;
    kib = bytes / 1024 + (bytes % 1024 ? 1 : 0);
    if (kib >= max / 1024 + 1)
        return error_set(error, -ERANGE, VIR_ERR_OVERFLOW, "size value too large: %llu KiB",
                         kib);
    *ret_kib = kib;
    return 0;
}

/* Drops whitespace-only text nodes so that libxml2 indents the dump itself
 * and the text does not depend on where the element stood in its file. */
static void
strip_blanks(xmlNode *node)
{
    xmlNode *c = node->children;

    while (c) {
        xmlNode *next = c->next;

        if (c->type == XML_TEXT_NODE && xmlIsBlankNode(c)) {
            xmlUnlinkNode(c);
            xmlFreeNode(c);
        } else if (c->type == XML_ELEMENT_NODE) {
            strip_blanks(c);
        }
        c = next;
    }
}

static void
dump_node(xmlBuffer *buf, xmlNode *node)
{
    xmlDoc *tmp = xmlNewDoc((const xmlChar *) "1.0");
    xmlNode *copy = xmlDocCopyNode(node, tmp, 1);

    if (!tmp || !copy)
        abort();
    xmlDocSetRootElement(tmp, copy);
    strip_blanks(copy);
    xmlNodeDump(buf, tmp, copy, 0, 1);
    xmlBufferCCat(buf, "\n");
    xmlFreeDoc(tmp);
}

char *
xml_inner_xml(xmlNode *node)
{
    xmlBuffer *buf = xmlBufferCreate();
    char *s = NULL;
    bool any = false;

    if (!buf)
        abort();
    xml_foreach_child(c, node) {
        dump_node(buf, c);
        any = true;
    }
    if (any)
        s = xstrdup((const char *) xmlBufferContent(buf));
    xmlBufferFree(buf);
    return s;
}

char *
xml_node_xml(xmlNode *node)
{
    xmlBuffer *buf = xmlBufferCreate();
    char *s;

    if (!buf)
        abort();
    dump_node(buf, node);
    s = xstrdup((const char *) xmlBufferContent(buf));
    xmlBufferFree(buf);
    return s;
}

/* The writer. */

static void
writer_append(XmlWriter *w, const char *s, size_t n)
{
    if (w->len + n + 1 > w->cap) {
        size_t cap = w->cap ? w->cap : 1024;

        while (w->len + n + 1 > cap)
            cap *= 2;
        w->data = xrealloc(w->data, cap);
        w->cap = cap;
    }
    memcpy(w->data + w->len, s, n);
    w->len += n;
    w->data[w->len] = '\0';
}

static void
writer_puts(XmlWriter *w, const char *s)
{
    writer_append(w, s, strlen(s));
}

static void
writer_indent(XmlWriter *w)
{
    for (int i = 0; i < w->depth; i++)
        writer_append(w, "  ", 2);
}

/* Ends an open start tag with ">" before content is written. */
static void
writer_close_start(XmlWriter *w, bool newline)
{
    if (!w->in_start)
        return;
    writer_puts(w, newline ? ">\n" : ">");
    w->in_start = false;
}

void
xml_writer_escaped(XmlWriter *w, const char *s)
{
    for (const char *p = s; *p; p++) {
        switch (*p) {
        case '&': writer_puts(w, "&amp;"); break;
        case '<': writer_puts(w, "&lt;"); break;
        case '>': writer_puts(w, "&gt;"); break;
        case '\'': writer_puts(w, "&apos;"); break;
        case '"': writer_puts(w, "&quot;"); break;
        default:
            /* As libvirt: control characters other than tab and newlines
             * cannot be represented in XML 1.0 and are dropped. */
            if ((unsigned char) *p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r')
                break;
            writer_append(w, p, 1);
        }
    }
}

void
xml_writer_start(XmlWriter *w, const char *name)
{
    writer_close_start(w, true);
    if ((size_t) w->depth >= ARRAY_SIZE(w->stack))
        abort();
    writer_indent(w);
    writer_puts(w, "<");
    writer_puts(w, name);
    w->stack[w->depth++] = name;
    w->in_start = true;
    w->has_text = false;
}

void
xml_writer_attr(XmlWriter *w, const char *name, const char *value)
{
    if (!value || !w->in_start)
        return;
    writer_puts(w, " ");
    writer_puts(w, name);
    writer_puts(w, "='");
    xml_writer_escaped(w, value);
    writer_puts(w, "'");
}

void
xml_writer_attrf(XmlWriter *w, const char *name, const char *fmt, ...)
{
    va_list ap;
    char *v;

    va_start(ap, fmt);
    if (vasprintf(&v, fmt, ap) < 0)
        abort();
    va_end(ap);
    xml_writer_attr(w, name, v);
    free(v);
}

void
xml_writer_text(XmlWriter *w, const char *text)
{
    writer_close_start(w, false);
    xml_writer_escaped(w, text);
    w->has_text = true;
}

void
xml_writer_end(XmlWriter *w)
{
    const char *name;

    if (w->depth <= 0)
        abort();
    name = w->stack[--w->depth];
    if (w->in_start) {
        writer_puts(w, "/>\n");
        w->in_start = false;
    } else {
        if (!w->has_text)
            writer_indent(w);
        writer_puts(w, "</");
        writer_puts(w, name);
        writer_puts(w, ">\n");
    }
    w->has_text = false;
}

void
xml_writer_element_text(XmlWriter *w, const char *name, const char *text)
{
    if (!text)
        return;
    xml_writer_start(w, name);
    xml_writer_text(w, text);
    xml_writer_end(w);
}

void
xml_writer_raw(XmlWriter *w, const char *xml)
{
    const char *p = xml;

    if (!xml)
        return;
    writer_close_start(w, true);
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t) (nl - p) : strlen(p);

        if (n > 0) {
            writer_indent(w);
            writer_append(w, p, n);
        }
        writer_append(w, "\n", 1);
        p += n + (nl ? 1 : 0);
        if (!nl)
            break;
    }
}

char *
xml_writer_steal(XmlWriter *w)
{
    char *s = w->data ? w->data : xstrdup("");

    w->data = NULL;
    w->len = w->cap = 0;
    w->depth = 0;
    w->in_start = w->has_text = false;
    return s;
}

void
xml_writer_clear(XmlWriter *w)
{
    free(w->data);
    w->data = NULL;
    w->len = w->cap = 0;
    w->depth = 0;
    w->in_start = w->has_text = false;
}

static void
writer_qname(XmlWriter *w, const xmlNs *ns, const xmlChar *name)
{
    if (ns && ns->prefix) {
        writer_puts(w, (const char *) ns->prefix);
        writer_puts(w, ":");
    }
    writer_puts(w, (const char *) name);
}

void
xml_writer_node(XmlWriter *w, const xmlNode *node)
{
    bool has_elements = false;
    bool has_text = false;

    writer_close_start(w, true);
    writer_indent(w);
    writer_puts(w, "<");
    writer_qname(w, node->ns, node->name);
    for (const xmlNs *ns = node->nsDef; ns; ns = ns->next) {
        writer_puts(w, ns->prefix ? " xmlns:" : " xmlns");
        if (ns->prefix)
            writer_puts(w, (const char *) ns->prefix);
        writer_puts(w, "='");
        xml_writer_escaped(w, (const char *) ns->href);
        writer_puts(w, "'");
    }
    for (const xmlAttr *a = node->properties; a; a = a->next) {
        xmlChar *v = xmlNodeListGetString(node->doc, a->children, 1);

        writer_puts(w, " ");
        writer_qname(w, a->ns, a->name);
        writer_puts(w, "='");
        xml_writer_escaped(w, v ? (const char *) v : "");
        writer_puts(w, "'");
        xmlFree(v);
    }
    for (const xmlNode *c = node->children; c; c = c->next) {
        if (c->type == XML_ELEMENT_NODE)
            has_elements = true;
        else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) &&
                 !xmlIsBlankNode((xmlNode *) c))
            has_text = true;
    }
    if (!has_elements && !has_text) {
        writer_puts(w, "/>\n");
        return;
    }
    writer_puts(w, ">");
    if (has_elements) {
        /* Mixed content is not something a domain definition has: elements
         * win and text between them is dropped. */
        writer_puts(w, "\n");
        w->depth++;
        for (const xmlNode *c = node->children; c; c = c->next)
            if (c->type == XML_ELEMENT_NODE)
                xml_writer_node(w, c);
        w->depth--;
        writer_indent(w);
    } else {
        xmlChar *text = xmlNodeGetContent(node);

        xml_writer_escaped(w, text ? (const char *) text : "");
        xmlFree(text);
    }
    writer_puts(w, "</");
    writer_qname(w, node->ns, node->name);
    writer_puts(w, ">\n");
}
