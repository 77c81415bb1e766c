/* virtproxyd's internal types: the server (listeners), its clients, the
 * calls in flight, and the dispatch table. Everything runs on the daemon's
 * libuv loop thread; nothing here is locked.
 *
 * Ownership: a Client is reference counted. Its uv stream handle holds one
 * reference (dropped in the close callback) and every Call in flight holds
 * one, so a D-Bus reply that arrives after the client hung up finds a live
 * (closed) Client and is dropped. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <systemd/sd-bus.h>
#include <uv.h>

#include "daemon.h"
#include "list_filter.h"
#include "virt_constants.h"
#include "error.h"
#include "proxy_conf.h"
#include "proxy_mirror.h"
#include "remote_protocol.h"
#include "rpc_message.h"

typedef struct Proxy Proxy;
typedef struct Client Client;
typedef struct Call Call;
typedef struct ProcDef ProcDef;

typedef struct Listener {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_pipe_t pipe;
        uv_tcp_t tcp;
    } h;
    Proxy *proxy;
    bool readonly;
    bool tcp;
    char *path;       /* the unix socket we created (removed at exit), or NULL */
} Listener;

struct Proxy {
    Daemon *daemon;         /* borrowed */
    uv_loop_t *loop;        /* borrowed */
    sd_bus *bus;            /* borrowed */
    ProxyConfig cfg;
    Listener *listeners[8];
    size_t n_listeners;
    Client *clients;        /* doubly linked list of open clients */
    size_t n_clients;
    Mirror *mirror;
    char *hostname;
    bool stopping;
    /* After a call, the loop polls without sleeping for a moment: a client's
     * next call then costs no wakeup of ours (proxy_client.c). */
    uv_idle_t spin;
    uint64_t spin_until;    /* uv_hrtime() */
};

/* One domain event registration of a client (316, or legacy 105/167). */
typedef struct EventReg {
    int callback_id;        /* what the client was given; -1 for legacy */
    int event_id;           /* VIR_DOMAIN_EVENT_ID_* (or network/pool/nodedev) */
    int family;             /* EVENT_FAMILY_* */
    bool has_filter;
    char *filter_path;      /* the object it is limited to */
    /* EVENT_FAMILY_QEMU_MONITOR: the QMP event's name, or a regex of it */
    char *event_name;
    void *event_regex;      /* regex_t *, or NULL */
    bool nocase;
} EventReg;

enum {
    EVENT_FAMILY_DOMAIN,
    EVENT_FAMILY_DOMAIN_LEGACY,  /* 105/167: messages 107 etc. */
    EVENT_FAMILY_NETWORK,
    EVENT_FAMILY_POOL,
    EVENT_FAMILY_NODEDEV,
    EVENT_FAMILY_QEMU_MONITOR,   /* libvirt-qemu's monitor events (proc 6 of its program) */
};

struct Client {
    union {
        uv_handle_t handle;
        uv_stream_t stream;
        uv_pipe_t pipe;
        uv_tcp_t tcp;
    } h;
    uv_timer_t ka_timer;
    Proxy *proxy;           /* borrowed */
    unsigned refs;
    unsigned id;            /* for log lines */
    bool closed;            /* stream closing or closed: nothing more is sent */
    bool readonly;          /* -ro socket, or CONNECT_OPEN with VIR_CONNECT_RO */
    bool ro_socket;
    bool tcp;
    bool opened;            /* CONNECT_OPEN succeeded */
    bool close_after_flush; /* CONNECT_CLOSE answered: close once written */
    bool close_cb;          /* 360 registered */
    bool keepalive;         /* the client asked feature 10: we ping it */
    bool reading;
    unsigned ka_missed;     /* pings unanswered in a row */
    unsigned in_flight;     /* calls not yet answered */
    size_t pending_writes;  /* uv_write requests not yet completed */
    RpcDecoder *decoder;    /* framing of what the client sends */
    uint8_t *rbuf;          /* the read buffer */
    EventReg *events;
    size_t n_events;
    int next_callback_id;
    Client *prev, *next;
};

struct Call {
    Client *client;         /* a reference */
    const ProcDef *def;
    RpcHeader hdr;
    void *args;             /* decoded with def->args_proc; freed at the end */
    void *ret;              /* zeroed, def->ret_size; encoded and freed at the end */
};

/* A handler answers a decoded call. Returns 0 when *ret is filled (the
 * dispatcher replies with it), 1 when it will answer later with
 * call_finish(), or a negative errno with @error set (an error reply). */
typedef int (*ProcHandler)(Call *call, void *args, void *ret, Error *error);

enum {
    PROC_NO_OPEN = 1 << 0,   /* allowed before CONNECT_OPEN */
};

/* What a shared handler (proxy_kind.c) reads or filters on. */
typedef enum {
    PROP_NONE,
    PROP_ACTIVE,
    PROP_INACTIVE,
    PROP_PERSISTENT,
    PROP_AUTOSTART,
} ProcProp;

/* One object kind as the shared handlers see it. */
typedef struct ProxyKind {
    MirrorServiceId svc;
    const char *iface;         /* "org.libvirt.Network" */
    const char *path_kind;     /* "network": objects at ROOT/network/_<uuid>; NULL: by name */
    const char *title;         /* "Network": "Network not found: ..." */
    const char *noun;          /* "network": "... no network with matching name 'x'" */
    const char *wire_noun;     /* "network": libvirt's "Too many networks ..." */
    int no_object;             /* VIR_ERR_NO_NETWORK */
    bool always_active;        /* objects publish no Active: they all are */
    int list_max;              /* REMOTE_NETWORK_LIST_MAX */
    const char *list_max_name; /* "REMOTE_NETWORK_LIST_MAX" */
    unsigned list_flags;       /* every flag ListAll knows */
    const char *list_all_api;  /* "virConnectListAllNetworks" */
    size_t wire_size;          /* sizeof(remote_nonnull_network) */
    /* Fills the wire handle (strings malloc'd, for xdr_free). */
    void (*to_wire)(const MirrorObject *obj, void *wire);
    /* Whether @obj passes ListAll's @flags; NULL: every object does. */
    bool (*matches)(const MirrorObject *obj, unsigned flags);
} ProxyKind;

struct ProcDef {
    int proc;
    xdrproc_t args_proc;    /* NULL for none */
    size_t args_size;
    xdrproc_t ret_proc;     /* NULL for none */
    size_t ret_size;
    ProcHandler handler;
    unsigned flags;
    const ProxyKind *kind;  /* for the shared handlers of proxy_kind.c */
    ProcProp prop;
};

/* ---- proxy_client.c ---- */
/* Takes ownership of a connected stream, already initialised in @c->h by the
 * listener. Starts reading. */
void client_start(Proxy *proxy, Client *c);
Client *client_new(Proxy *proxy, bool readonly, bool tcp);
Client *client_ref(Client *c);
void client_unref(Client *c);
/* Closes the connection (idempotent): pending replies are dropped, the
 * client's registrations die with it. */
void client_close(Client *c, const char *why);
/* Keeps the loop awake for the next call (see Proxy.spin). */
void proxy_spin_kick(Proxy *proxy);
/* Closes @c once what was sent to it is written. */
void client_close_after_flush(Client *c);
/* Queues one encoded frame (takes @buf). Dropped silently when the client
 * is closed. */
int client_send_frame(Client *c, void *buf, size_t len);
/* An event MESSAGE (serial 0) of the REMOTE program. */
void client_send_event(Client *c, int proc, xdrproc_t xproc, void *msg);
/* The same for another program's event (libvirt-qemu's). */
void client_send_event_prog(Client *c, uint32_t prog, int proc, xdrproc_t xproc, void *msg);
/* Starts pinging the client every keepalive_interval seconds. */
void client_start_keepalive(Client *c);
/* Stops reading while max_client_requests calls are in flight. */
void client_pause_if_busy(Client *c);

/* Answers @call (with call->ret when @r >= 0, else @error) and frees it. */
void call_finish(Call *call, int r, Error *error);

/* ---- proxy_dispatch.c ---- */
/* Handles one complete CALL message from @c (header decoded, @payload the
 * XDR body). Never closes the client for a bad call: it answers an error. */
void dispatch_call(Client *c, const RpcMessage *msg);
/* What is refused before a handler runs, in libvirt's order: a header no
 * client sends, descriptors, an unknown procedure, a connection not open,
 * a read-only client calling what writes, a procedure not served. 0 and
 * the procedure's row, or a negative errno with libvirt's error. */
int dispatch_check(const RpcHeader *hdr, size_t nfds, bool opened, bool readonly,
                   const ProcDef **ret_def, Error *error);
const ProcDef *dispatch_find(int proc);
/* procedure tables of the proc files, each ending with .proc = 0 */
extern const ProcDef connect_procs[];
extern const ProcDef domain_procs[];
extern const ProcDef device_procs[];   /* proxy_device.c */
extern const ProcDef tuning_procs[];   /* proxy_tuning.c */
extern const ProcDef stats_procs[];    /* proxy_stats.c */
extern const ProcDef console_procs[];  /* proxy_console.c */
extern const ProcDef agent_procs[];    /* proxy_agent.c */
/* The QEMU program's tables (proxy_agent.c, proxy_events.c), by its own
 * numbers. */
extern const ProcDef qemu_procs[];
extern const ProcDef qemu_event_procs[];
extern const ProcDef event_procs[];
extern const ProcDef network_procs[];  /* proxy_network.c */
extern const ProcDef storage_procs[];  /* proxy_storage.c */
extern const ProcDef nodedev_procs[];  /* proxy_nodedev.c */
/* proxy_procnames.c: libvirt's API name of a procedure (NULL if unknown),
 * and whether a read-only client is refused it. */
const char *proxy_proc_api_name(int proc);
bool proxy_proc_writes(int proc);
/* The same for the QEMU program: every one of its calls writes. */
const char *proxy_qemu_proc_api_name(int proc);

/* The libvirt-style messages. */
int proxy_error_no_support(Error *error, int proc);
int proxy_error_read_only(Error *error, const char *what);

/* ---- proxy_stream.c: libvirt streams over a daemon's fd ---- */
typedef enum {
    PROXY_STREAM_UPLOAD,    /* client -> fd (virsh vol-upload) */
    PROXY_STREAM_DOWNLOAD,  /* fd -> client (virsh vol-download, screenshot) */
    PROXY_STREAM_DUPLEX,    /* both ways, unframed (virsh console) */
} ProxyStreamDir;
/* Opens the stream of @call (its proc and serial) over @fd, a socket from
 * a daemon speaking api/org.virtstack.Storage.xml's byte protocol, or the
 * raw bytes of a console (api/org.virtstack.DomainState.xml).
 * Takes ownership of @fd (closed on failure too). Call it from the bus
 * reply handler of the opening call: nothing is sent before the next loop
 * iteration, so the call's reply goes first. Returns 0, or a negative errno
 * with @error. */
int proxy_stream_open(Call *call, int fd, ProxyStreamDir dir, Error *error);
/* proxy_stream_open() over the descriptor that comes next in @reply (a
 * copy: the message keeps its own). */
int proxy_stream_from_reply(Call *call, sd_bus_message *reply, ProxyStreamDir dir,
                            Error *error);
/* A STREAM or STREAM_HOLE message from @c (hook in proxy_client.c). A
 * packet for no open stream is dropped, as libvirtd does. */
void proxy_stream_packet(Client *c, const RpcMessage *msg);

/* ---- proxy_storage.c ---- */
/* A signal from a daemon (the mirror's MirrorSignalFn; userdata: the
 * Proxy): org.libvirt.StoragePool.Refresh becomes the pool refresh event. */
void proxy_storage_signal(MirrorService *svc, sd_bus_message *m, void *userdata);

/* ---- proxy_server.c ---- */
int proxy_listen(Proxy *proxy, Error *error);
void proxy_close_listeners(Proxy *proxy);

/* ---- proxy_bus.c: calls to the daemons ---- */
/* Fills *ret from a method reply; 0 or a negative errno with @error. May be
 * NULL for a void reply. */
typedef int (*BusReplyFn)(Call *call, sd_bus_message *reply, void *ret, Error *error);
/* Sends a method call to @svc's daemon and answers @call from the reply
 * (with @fn), or with the daemon's error (org.libvirt.Error.X -> code X).
 * Returns 1 (answered later), or a negative errno with @error when the
 * daemon is absent ("virtnetworkd is not running ...") or the call cannot be
 * sent. @types and the varargs are sd_bus_message_append()'s. */
int proxy_bus_call(Call *call, MirrorService *svc, const char *path, const char *iface,
                   const char *member, BusReplyFn fn, Error *error, const char *types, ...);
/* The same in two steps, for a call whose arguments are built by hand: a
 * new message to @svc's daemon (0, or the absent-daemon error), then its
 * sending (1, or a negative errno with @error); the caller unrefs @m. */
int proxy_bus_new_call(Call *call, MirrorService *svc, const char *path, const char *iface,
                       const char *member, sd_bus_message **ret, Error *error);
int proxy_bus_send(Call *call, MirrorService *svc, sd_bus_message *m, BusReplyFn fn,
                   Error *error);
/* A reply of one string into a ret struct that is one remote_nonnull_string
 * (GetXMLDesc, the capabilities, ...). */
int proxy_string_reply(Call *call, sd_bus_message *reply, void *ret, Error *error);
/* An optional string of the protocol: "" for NULL, and NULL for "" (libvirt
 * sends NULL where there is no value; D-Bus has "" there). */
const char *proxy_opt_str(remote_string s);
remote_string proxy_opt_string(const char *s);
/* The error for an absent daemon. */
int proxy_error_absent(const MirrorService *svc, Error *error);

/* ---- proxy_params.c: typed parameters ---- */
/* a{sv} from @reply into a new list (strings malloc'd); values of a type
 * the protocol has none for are skipped. */
int proxy_params_read(sd_bus_message *reply, remote_typed_param **ret, u_int *ret_n);
void proxy_params_free(remote_typed_param *params, size_t n);
const remote_typed_param *proxy_param_find(const remote_typed_param *p, size_t n,
                                           const char *field);
/* A number of any integer type, or @def. */
uint64_t proxy_param_u64(const remote_typed_param *p, size_t n, const char *field,
                         uint64_t def);
const char *proxy_param_str(const remote_typed_param *p, size_t n, const char *field);
/* Appends @p as a{sv}. */
int proxy_params_append(sd_bus_message *m, const remote_typed_param *p, size_t n);
/* A Get*Parameters reply as libvirtd gives it: with @nparams 0 only the
 * count (*ret_count); else at most @nparams of them, strings only with
 * VIR_TYPED_PARAM_STRING_OKAY in @flags. @ret_count may be NULL. */
int proxy_params_reply(sd_bus_message *reply, int nparams, unsigned flags,
                       remote_typed_param **ret_val, u_int *ret_len, int *ret_count,
                       Error *error);

/* One "ab" CPU map into @maplen bytes at @bits (NULL: read and dropped),
 * and bytes into "ab". */
int proxy_read_cpumap(sd_bus_message *m, char *bits, size_t maplen);
int proxy_append_cpumap(sd_bus_message *m, const char *bits, size_t maplen);

/* ---- proxy_events.c ---- */
/* Called by the mirror for each signal that is not about properties or
 * objects (userdata: the Proxy). */
void proxy_events_signal(MirrorService *svc, sd_bus_message *m, void *userdata);
void proxy_events_client_gone(Client *c);

/* Fills a remote_nonnull_domain (strings malloc'd, for xdr_free) from a
 * mirrored domain (proxy_domain.c). */
void proxy_domain_from_object(const MirrorObject *obj, void *wire);
/* The domain the args of a per-domain procedure begin with (the mirror's
 * object), or a negative errno with libvirt's "no domain" error. */
int proxy_domain_find(Call *call, void *args, MirrorObject **ret, Error *error);
Proxy *call_proxy(const Call *call);

/* Table entries: a procedure with args and ret structs, args only, ret
 * only, or neither (named as in remote_protocol.x). Whether a read-only
 * client may call it is proxy_proc_writes()'s answer, not the table's. */
#define PROC_AR_FL(num, name, h, fl) \
    { .proc = (num), .args_proc = (xdrproc_t) xdr_remote_##name##_args, \
      .args_size = sizeof(remote_##name##_args), \
      .ret_proc = (xdrproc_t) xdr_remote_##name##_ret, .ret_size = sizeof(remote_##name##_ret), \
      .handler = (h), .flags = (fl) }
#define PROC_A_FL(num, name, h, fl) \
    { .proc = (num), .args_proc = (xdrproc_t) xdr_remote_##name##_args, \
      .args_size = sizeof(remote_##name##_args), .handler = (h), .flags = (fl) }
#define PROC_R_FL(num, name, h, fl) \
    { .proc = (num), .ret_proc = (xdrproc_t) xdr_remote_##name##_ret, \
      .ret_size = sizeof(remote_##name##_ret), .handler = (h), .flags = (fl) }
#define PROC_AR(num, name, h) PROC_AR_FL(num, name, h, 0)
#define PROC_A(num, name, h) PROC_A_FL(num, name, h, 0)
#define PROC_R(num, name, h) PROC_R_FL(num, name, h, 0)
#define PROC_0(num, h) { .proc = (num), .handler = (h) }
/* The few a client calls before CONNECT_OPEN. */
#define PROC_AR_BEFORE_OPEN(num, name, h) PROC_AR_FL(num, name, h, PROC_NO_OPEN)
#define PROC_A_BEFORE_OPEN(num, name, h) PROC_A_FL(num, name, h, PROC_NO_OPEN)
#define PROC_R_BEFORE_OPEN(num, name, h) PROC_R_FL(num, name, h, PROC_NO_OPEN)
#define PROC_0_BEFORE_OPEN(num, h) { .proc = (num), .handler = (h), .flags = PROC_NO_OPEN }

/* The rows the shared handlers answer (proxy_kind.c): a lookup, a list or
 * count (@prop: PROP_ACTIVE or PROP_INACTIVE objects), or a boolean. */
#define PROC_KIND(num, name, h, k, p) \
    { .proc = (num), .args_proc = (xdrproc_t) xdr_remote_##name##_args, \
      .args_size = sizeof(remote_##name##_args), \
      .ret_proc = (xdrproc_t) xdr_remote_##name##_ret, .ret_size = sizeof(remote_##name##_ret), \
      .handler = (h), .kind = (k), .prop = (p) }
#define PROC_KIND_R(num, name, h, k, p) \
    { .proc = (num), .ret_proc = (xdrproc_t) xdr_remote_##name##_ret, \
      .ret_size = sizeof(remote_##name##_ret), .handler = (h), .kind = (k), .prop = (p) }
#define PROC_LOOKUP_BY_NAME(num, name, k) PROC_KIND(num, name, proxy_kind_lookup_by_name, k, 0)
#define PROC_LOOKUP_BY_UUID(num, name, k) PROC_KIND(num, name, proxy_kind_lookup_by_uuid, k, 0)
#define PROC_LIST_ALL(num, name, k) PROC_KIND(num, name, proxy_kind_list_all, k, 0)
#define PROC_LIST_NAMES(num, name, k, p) PROC_KIND(num, name, proxy_kind_list_names, k, p)
#define PROC_COUNT(num, name, k, p) PROC_KIND_R(num, name, proxy_kind_count, k, p)
#define PROC_GET_BOOL(num, name, k, p) PROC_KIND(num, name, proxy_kind_get_bool, k, p)

/* ---- proxy_kind.c ---- */
int proxy_kind_lookup_by_name(Call *call, void *args, void *ret, Error *error);
int proxy_kind_lookup_by_uuid(Call *call, void *args, void *ret, Error *error);
int proxy_kind_list_all(Call *call, void *args, void *ret, Error *error);
int proxy_kind_list_names(Call *call, void *args, void *ret, Error *error);
int proxy_kind_count(Call *call, void *args, void *ret, Error *error);
int proxy_kind_get_bool(Call *call, void *args, void *ret, Error *error);
/* The kind's service, or NULL with the "not running" error. */
MirrorService *proxy_kind_present(Call *call, const ProxyKind *kind, Error *error);
/* The object a wire handle at the start of @wire names (by UUID, or by name
 * for a kind without one), or the kind's NO_* error. */
int proxy_kind_find(Call *call, const ProxyKind *kind, const void *wire, MirrorObject **ret,
                    Error *error);

/* Reads a "v" holding one basic value of @type from a Properties.Get reply. */
int proxy_bus_read_variant(sd_bus_message *reply, char type, void *ret);
