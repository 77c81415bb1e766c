/* The error model: a libvirt error code and one sentence a person reads.
 *
 * Functions that can fail return a negative errno and fill the Error passed
 * last. The first error set wins; callers pass the return value up. */
#pragma once

#include <stdbool.h>
#include <systemd/sd-bus.h>

#include "macros.h"

/* libvirt's virErrorNumber, with the same numbers (virterror.h). The second
 * column is the D-Bus name, org.libvirt.Error.<Name>. */
#define ERROR_CODES(X) \
    X(VIR_ERR_OK, 0, "Ok") \
    X(VIR_ERR_INTERNAL_ERROR, 1, "InternalError") \
    X(VIR_ERR_NO_MEMORY, 2, "NoMemory") \
    X(VIR_ERR_NO_SUPPORT, 3, "NoSupport") \
    X(VIR_ERR_NO_CONNECT, 5, "NoConnect") \
    X(VIR_ERR_INVALID_CONN, 6, "InvalidConn") \
    X(VIR_ERR_INVALID_DOMAIN, 7, "InvalidDomain") \
    X(VIR_ERR_INVALID_ARG, 8, "InvalidArg") \
    X(VIR_ERR_OPERATION_FAILED, 9, "OperationFailed") \
    X(VIR_ERR_OS_TYPE, 16, "OsType") \
    X(VIR_ERR_NO_SOURCE, 19, "NoSource") \
    X(VIR_ERR_NO_TARGET, 20, "NoTarget") \
    X(VIR_ERR_NO_NAME, 21, "NoName") \
    X(VIR_ERR_NO_OS, 22, "NoOs") \
    X(VIR_ERR_NO_DEVICE, 23, "NoDevice") \
    X(VIR_ERR_XML_ERROR, 27, "XmlError") \
    X(VIR_ERR_DOM_EXIST, 28, "DomExist") \
    X(VIR_ERR_OPERATION_DENIED, 29, "OperationDenied") \
    X(VIR_ERR_OPEN_FAILED, 30, "OpenFailed") \
    X(VIR_ERR_READ_FAILED, 31, "ReadFailed") \
    X(VIR_ERR_PARSE_FAILED, 32, "ParseFailed") \
    X(VIR_ERR_CONF_SYNTAX, 33, "ConfSyntax") \
    X(VIR_ERR_WRITE_FAILED, 34, "WriteFailed") \
    X(VIR_ERR_XML_DETAIL, 35, "XmlDetail") \
    X(VIR_ERR_INVALID_NETWORK, 36, "InvalidNetwork") \
    X(VIR_ERR_NETWORK_EXIST, 37, "NetworkExist") \
    X(VIR_ERR_SYSTEM_ERROR, 38, "SystemError") \
    X(VIR_ERR_RPC, 39, "Rpc") \
    X(VIR_ERR_NO_DOMAIN, 42, "NoDomain") \
    X(VIR_ERR_NO_NETWORK, 43, "NoNetwork") \
    X(VIR_ERR_INVALID_MAC, 44, "InvalidMac") \
    X(VIR_ERR_AUTH_FAILED, 45, "AuthFailed") \
    X(VIR_ERR_INVALID_STORAGE_POOL, 46, "InvalidStoragePool") \
    X(VIR_ERR_INVALID_STORAGE_VOL, 47, "InvalidStorageVol") \
    X(VIR_ERR_NO_STORAGE_POOL, 49, "NoStoragePool") \
    X(VIR_ERR_NO_STORAGE_VOL, 50, "NoStorageVol") \
    X(VIR_ERR_INVALID_NODE_DEVICE, 52, "InvalidNodeDevice") \
    X(VIR_ERR_NO_NODE_DEVICE, 53, "NoNodeDevice") \
    X(VIR_ERR_NO_SECURITY_MODEL, 54, "NoSecurityModel") \
    X(VIR_ERR_OPERATION_INVALID, 55, "OperationInvalid") \
    X(VIR_ERR_NO_INTERFACE, 57, "NoInterface") \
    X(VIR_ERR_BUILD_FIREWALL, 63, "BuildFirewall") \
    X(VIR_ERR_NO_SECRET, 66, "NoSecret") \
    X(VIR_ERR_CONFIG_UNSUPPORTED, 67, "ConfigUnsupported") \
    X(VIR_ERR_OPERATION_TIMEOUT, 68, "OperationTimeout") \
    X(VIR_ERR_INVALID_STREAM, 73, "InvalidStream") \
    X(VIR_ERR_ARGUMENT_UNSUPPORTED, 74, "ArgumentUnsupported") \
    X(VIR_ERR_STORAGE_PROBE_FAILED, 75, "StorageProbeFailed") \
    X(VIR_ERR_STORAGE_POOL_BUILT, 76, "StoragePoolBuilt") \
    X(VIR_ERR_OPERATION_ABORTED, 78, "OperationAborted") \
    X(VIR_ERR_AUTH_CANCELLED, 79, "AuthCancelled") \
    X(VIR_ERR_NO_DOMAIN_METADATA, 80, "NoDomainMetadata") \
    X(VIR_ERR_OVERFLOW, 82, "Overflow") \
    X(VIR_ERR_OPERATION_UNSUPPORTED, 84, "OperationUnsupported") \
    X(VIR_ERR_AGENT_UNRESPONSIVE, 86, "AgentUnresponsive") \
    X(VIR_ERR_RESOURCE_BUSY, 87, "ResourceBusy") \
    X(VIR_ERR_ACCESS_DENIED, 88, "AccessDenied") \
    X(VIR_ERR_DBUS_SERVICE, 89, "DbusService") \
    X(VIR_ERR_STORAGE_VOL_EXIST, 90, "StorageVolExist") \
    X(VIR_ERR_CPU_INCOMPATIBLE, 91, "CpuIncompatible") \
    X(VIR_ERR_XML_INVALID_SCHEMA, 92, "XmlInvalidSchema") \
    X(VIR_ERR_AUTH_UNAVAILABLE, 94, "AuthUnavailable") \
    X(VIR_ERR_DEVICE_MISSING, 99, "DeviceMissing") \
    X(VIR_ERR_INVALID_NETWORK_PORT, 105, "InvalidNetworkPort") \
    X(VIR_ERR_NETWORK_PORT_EXIST, 106, "NetworkPortExist") \
    X(VIR_ERR_NO_NETWORK_PORT, 107, "NoNetworkPort") \
    X(VIR_ERR_NO_HOSTNAME, 108, "NoHostname") \
    X(VIR_ERR_MULTIPLE_DOMAINS, 110, "MultipleDomains")

typedef enum {
#define X(sym, num, name) sym = num,
    ERROR_CODES(X)
#undef X
} ErrorCode;

#define ERROR_BUS_PREFIX "org.libvirt.Error."

typedef struct Error {
    int code;      /* VIR_ERR_*, 0 while unset */
    char *message; /* owned; NULL while unset */
} Error;

#define ERROR_INIT { 0, NULL }

/* Sets @error unless it is already set (the first error wins) and returns
 * @r, a negative errno. @error may be NULL. */
int error_set(Error *error, int r, int code, const char *fmt, ...) _printf_(4, 5);
/* As error_set(), with ": <strerror(-r)>" appended. */
int error_set_errno(Error *error, int r, int code, const char *fmt, ...) _printf_(4, 5);
bool error_is_set(const Error *error);
void error_clear(Error *error);
/* Moves @from into @to (if @to is unset) and clears @from. */
void error_move(Error *to, Error *from);

/* "NoDomain" for VIR_ERR_NO_DOMAIN; NULL for a code not in the table. */
const char *error_code_to_name(int code);
/* VIR_ERR_NO_DOMAIN for "NoDomain" or "org.libvirt.Error.NoDomain"; -1 if unknown. */
int error_code_from_name(const char *name);

/* Fills @bus_error from @error (or, when unset, an InternalError naming @r)
 * and returns the negative errno sd-bus expects from a method handler. */
int error_to_bus(const Error *error, int r, sd_bus_error *bus_error);
/* The reverse, for a client: a D-Bus error reply into an Error. Returns -EIO
 * (or the errno sd-bus gave) after setting @error. */
int error_from_bus(Error *error, const sd_bus_error *bus_error);
