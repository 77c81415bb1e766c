/* <bandwidth> of an interface or a network, as libvirt reads and writes
 * it: an <inbound> and an <outbound> rate, each of average, peak and burst,
 * and a guaranteed inbound floor (only an interface on a network may ask
 * for one). Rates are in KiB/s, bursts in KiB. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include <libxml/tree.h>

#include "error.h"
#include "xml_util.h"

typedef struct BandwidthRate {
    bool set;                /* the element was there */
    uint64_t average, peak, burst, floor;
} BandwidthRate;

typedef struct Bandwidth {
    BandwidthRate in, out;
} Bandwidth;

/* Reads the <bandwidth> child of @parent into @bw (left all unset when
 * there is none). @allow_floor: an inbound floor is allowed (an interface
 * of type network). libvirt's refusals and codes. */
int bandwidth_parse(const xmlNode *parent, bool allow_floor, Bandwidth *bw, Error *error);
/* Writes <bandwidth> when @bw has a rate, as libvirt formats it. */
void bandwidth_format(XmlWriter *w, const Bandwidth *bw);

/* bandwidth_tc.c, blocking (a worker thread's): @bw on the tap @dev, the
 * guest's inbound as the tap's egress shaping and its outbound as ingress
 * policing, after clear() removed what was there. */
int bandwidth_set_tap(const char *dev, const Bandwidth *bw, Error *error);
int bandwidth_clear(const char *dev, Error *error);

static inline bool
bandwidth_has_floor(const Bandwidth *bw)
{
    return bw->in.set && bw->in.floor > 0;
}
