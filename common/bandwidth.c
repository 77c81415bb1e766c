#include "bandwidth.h"

#include <errno.h>
#include <limits.h>
#include <string.h>

#include "macros.h"

static int
parse_value(const xmlNode *node, const char *attr, bool *present, uint64_t *ret, Error *error)
{
    auto_cleanup(free_ptr) char *v = xml_prop(node, attr);
    unsigned long long n;

    *present = v != NULL;
    if (!v)
        return 0;
    if (xml_parse_ull(v, 10, ULLONG_MAX, &n) < 0)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: could not convert bandwidth %s value '%s'",
                         attr, v);
    *ret = n;
    return 0;
}

static int
parse_rate(const xmlNode *node, BandwidthRate *rate, Error *error)
{
    bool has_average, has_peak, has_burst, has_floor;
    int r;

    r = parse_value(node, "average", &has_average, &rate->average, error);
    if (r >= 0)
        r = parse_value(node, "peak", &has_peak, &rate->peak, error);
    if (r >= 0)
        r = parse_value(node, "burst", &has_burst, &rate->burst, error);
    if (r >= 0)
        r = parse_value(node, "floor", &has_floor, &rate->floor, error);
    if (r < 0)
        return r;
    if (!has_average && !has_floor)
        return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL,
                         "Missing mandatory average or floor attributes");
    if ((has_peak || has_burst) && !has_average)
        return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                         "unsupported configuration: 'peak' and 'burst' require 'average' "
                         "attribute");
    rate->set = true;
    return 0;
}

int
bandwidth_parse(const xmlNode *parent, bool allow_floor, Bandwidth *bw, Error *error)
{
    const xmlNode *node = xml_child(parent, "bandwidth"), *in = NULL, *out = NULL;
    int r;

    memset(bw, 0, sizeof(*bw));
    if (!node)
        return 0;
    for (const xmlNode *c = node->children; c; c = c->next) {
        if (xml_node_is(c, "inbound") || xml_node_is(c, "outbound")) {
            const xmlNode **slot = xml_node_is(c, "inbound") ? &in : &out;
            if (*slot)
                return error_set(error, -EINVAL, VIR_ERR_XML_DETAIL,
                                 "Only one child <%s> element allowed",
                                 (const char *) c->name);
            *slot = c;
        }
        /* Other elements are ignored, as libvirt does. */
    }
    if (in) {
        r = parse_rate(in, &bw->in, error);
        if (r < 0)
            return r;
        if (bw->in.floor && !allow_floor)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: floor attribute is not supported "
                             "for this config");
    }
    if (out) {
        r = parse_rate(out, &bw->out, error);
        if (r < 0)
            return r;
        if (bw->out.floor)
            return error_set(error, -EINVAL, VIR_ERR_CONFIG_UNSUPPORTED,
                             "unsupported configuration: 'floor' attribute allowed only in "
                             "<inbound> element");
    }
    return 0;
}

static void
format_rate(XmlWriter *w, const BandwidthRate *rate, const char *name)
{
    if (!rate->set || (!rate->average && !rate->floor))
        return;
    xml_writer_start(w, name);
    if (rate->average)
        xml_writer_attrf(w, "average", "%llu", (unsigned long long) rate->average);
    if (rate->peak)
        xml_writer_attrf(w, "peak", "%llu", (unsigned long long) rate->peak);
    if (rate->floor)
        xml_writer_attrf(w, "floor", "%llu", (unsigned long long) rate->floor);
    if (rate->burst)
        xml_writer_attrf(w, "burst", "%llu", (unsigned long long) rate->burst);
    xml_writer_end(w);
}

void
bandwidth_format(XmlWriter *w, const Bandwidth *bw)
{
    if (!bw->in.set && !bw->out.set)
        return;
    xml_writer_start(w, "bandwidth");
    format_rate(w, &bw->in, "inbound");
    format_rate(w, &bw->out, "outbound");
    xml_writer_end(w);
}
