/* What the parts of domain_def_parse() share (domain_def_parse.c and
 * domain_def_parse_tune.c); not for the rest of the project. */
#pragma once

#include <errno.h>

#include <libxml/tree.h>

#include "domain_def.h"
#include "error.h"

#define xml_error(error, fmt, ...) \
    error_set(error, -EINVAL, VIR_ERR_XML_ERROR, "XML error: " fmt, ##__VA_ARGS__)

/* Numbers and switches (domain_def_parse.c). */
int parse_uint_content(const xmlNode *node, const char *what, unsigned long long max,
                       unsigned long long *ret, Error *error);
int parse_int_content(const xmlNode *node, const char *what, long long min, long long max,
                      long long *ret, Error *error);
int parse_tristate(const xmlNode *node, const char *name, int *ret, Error *error);

/* Tuning, NUMA and perf (domain_def_parse_tune.c). */
int parse_cputune(const xmlNode *node, DomainCputune *t, Error *error);
int parse_numa(const xmlNode *numa, DomainCpu *cpu, Error *error);
int parse_perf(const xmlNode *perf, DomainDef *def, Error *error);
int parse_memtune(const xmlNode *node, DomainMemtune *t, Error *error);
int parse_blkiotune(const xmlNode *node, DomainBlkiotune *t, Error *error);
int parse_numatune(const xmlNode *node, DomainNumatune *t, Error *error);
int parse_iothreads(xmlNode *root, DomainDef *def, Error *error);
