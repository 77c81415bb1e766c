/* Safe libxml2 helpers shared by every XML definition (domain, network,
 * storage pool and volume, ...): parsing with limits, typed attribute
 * access with libvirt's error messages, and a small indenting writer.
 *
 * Parsing never touches the network, never loads or expands a DTD and
 * refuses any document that has a DOCTYPE or an entity declaration, so an
 * entity bomb is refused before anything is expanded. libxml2's errors go
 * through a structured handler bound to the parser context (nothing is
 * printed to stderr). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "error.h"

/* Parses @xml (NUL-terminated, at most @max_bytes long, else refused before
 * parsing) and checks the root element is <@root_name> (when not NULL).
 * Returns 0 and a new document in @ret_doc, or a negative errno: a document
 * that is not well formed gets libvirt's VIR_ERR_XML_DETAIL, naming the
 * document as libvirt does, the line, libxml2's first fatal error, the text
 * of that line and a pointer under the place: "(domain_definition):1:
 * Couldn't find end of Start Tag domain line 1\n<domain\n-------^"; the
 * other refusals are VIR_ERR_XML_ERROR. */
int xml_parse_document(const char *xml, size_t max_bytes, const char *root_name,
                       xmlDoc **ret_doc, Error *error);
/* As xml_parse_document, with the name libvirt gives the document in its
 * parse errors ("network_update_xml"). */
int xml_parse_document_as(const char *xml, size_t max_bytes, const char *root_name,
                          const char *doc_name, xmlDoc **ret_doc, Error *error);
DEFINE_FREEP(xmlDoc, xmlFreeDoc)

/* True when @node is an element named @name in no namespace. */
bool xml_node_is(const xmlNode *node, const char *name);
/* The first child element named @name (no namespace), or NULL. Borrowed. */
xmlNode *xml_child(const xmlNode *node, const char *name);
/* Walks the element children of @node. */
#define xml_foreach_child(child, node) \
    for (xmlNode *child = (node) ? (node)->children : NULL; child; child = child->next) \
        if (child->type == XML_ELEMENT_NODE)

/* A new string with the value of attribute @name, or NULL when absent. */
char *xml_prop(const xmlNode *node, const char *name);
/* A new string with the text content of @node, or NULL when @node is NULL. */
char *xml_content(const xmlNode *node);
/* The text content of the first child element @name, or NULL. New string. */
char *xml_child_content(const xmlNode *node, const char *name);

/* Strict number parsing: the whole string (surrounding spaces allowed) must
 * be a number in @base (0: 0x.. hex, 0.. octal, else decimal). Unsigned
 * refuses a sign. Returns 0, -EINVAL (not a number) or -ERANGE (over @max /
 * outside [@min, @max]). */
int xml_parse_ull(const char *s, int base, unsigned long long max, unsigned long long *ret);
int xml_parse_ll(const char *s, int base, long long min, long long max, long long *ret);
/* "yes"/"on" -> true, "no"/"off" -> false; else -EINVAL. */
int xml_parse_bool(const char *s, bool *ret);

/* Attribute helpers: return 1 and set *ret when the attribute is present and
 * valid, 0 when absent (*ret untouched), or a negative errno with
 * VIR_ERR_XML_ERROR "XML error: Invalid value for attribute 'slot' in element
 * 'address': 'zz'." (out of range included), as libvirt. */
int xml_prop_uint(const xmlNode *node, const char *name, int base, unsigned max,
                  unsigned *ret, Error *error);
int xml_prop_int(const xmlNode *node, const char *name, int min, int max, int *ret,
                 Error *error);
int xml_prop_bool(const xmlNode *node, const char *name, bool *ret, Error *error);

/* libvirt's virScaleInteger: multiplies *value by the unit named @unit
 * ("b", "bytes", "k", "KiB", "KB" = 1000, "M", "MiB", "MB", "G", ... "E",
 * case-insensitive; NULL or "" means @default_scale). Refuses a result over
 * @limit with VIR_ERR_OVERFLOW and an unknown unit with VIR_ERR_INVALID_ARG. */
int xml_scale_integer(unsigned long long *value, const char *unit,
                      unsigned long long default_scale, unsigned long long limit,
                      Error *error);
/* libvirt's virDomainParseMemory for element @node (named @what in errors):
 * number in the content, unit in unit='', default KiB; the result in KiB,
 * rounded up. Returns 0 or a negative errno. */
int xml_parse_memory(const xmlNode *node, const char *what, unsigned long long *ret_kib,
                     Error *error);

/* The children of @node (elements only, blank text dropped) as XML text,
 * one child after the other, each indented from column 0 by two spaces per
 * level, with the namespaces they use declared on them. New string, or NULL
 * when there is no element child. */
char *xml_inner_xml(xmlNode *node);
/* @node itself as XML text, formatted the same way. New string. */
char *xml_node_xml(xmlNode *node);

/* The writer: builds indented XML text the way libvirt's virBuffer does,
 * two spaces per level, attributes in single quotes and escaped. */
typedef struct XmlWriter {
    char *data;
    size_t len, cap;
    int depth;
    bool in_start;   /* "<name attr='..'" written, not yet closed */
    bool has_text;   /* the open element got text: close on the same line */
    const char *stack[64]; /* borrowed element names */
} XmlWriter;

#define XML_WRITER_INIT { 0 }

/* Opens <@name (borrowed until its end). */
void xml_writer_start(XmlWriter *w, const char *name);
/* Adds name='value' to the open start tag; NULL @value writes nothing. */
void xml_writer_attr(XmlWriter *w, const char *name, const char *value);
void xml_writer_attrf(XmlWriter *w, const char *name, const char *fmt, ...) _printf_(3, 4);
/* Escaped text content; the end tag then follows on the same line. */
void xml_writer_text(XmlWriter *w, const char *text);
/* Closes the innermost element: "/>" when it has no content. */
void xml_writer_end(XmlWriter *w);
/* <@name>text</@name> on one line; nothing when @text is NULL. */
void xml_writer_element_text(XmlWriter *w, const char *name, const char *text);
/* Raw XML lines (from xml_inner_xml()), indented at the current depth. */
void xml_writer_raw(XmlWriter *w, const char *xml);
/* @node and its subtree, written as this writer writes (single quotes,
 * indented), with the namespace declarations it carries. */
void xml_writer_node(XmlWriter *w, const xmlNode *node);
/* Returns the text (a new string) and empties the writer. */
char *xml_writer_steal(XmlWriter *w);
void xml_writer_clear(XmlWriter *w);

/* Appends @s to the writer's buffer with XML escaping (&, <, >, ', "). */
void xml_writer_escaped(XmlWriter *w, const char *s);
