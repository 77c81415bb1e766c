/* Perf events of a running guest (qemu_perf.c). */
#pragma once

#include "qemu_driver.h"
#include "typed_params.h"

/* At start, QEMU's pid known: the live <perf>'s enabled events, or libvirt's
 * refusal (the start fails, as libvirt's). */
int qemu_perf_start(Domain *dom, Error *error);
/* After a daemon restart: the same, a refusal only logged. */
void qemu_perf_reconnect(Domain *dom);
/* QEMU is gone: the counters close. */
void qemu_perf_stop(Domain *dom);
/* The "perf" statistics group: perf.NAME of each open counter. */
void qemu_perf_stats(Domain *dom, TypedParams *tp);
