"""PropertiesChanged carries what changed and only that, and the
org.virtstack.DomainState properties (State, Reason, Pid, Vcpus, MaxMemory,
Memory) follow the guest, so that no client has to poll."""

import harness
from harness import check, check_eq, qemu_pids, PROPS_IFACE, DOMAIN_IFACE, ST_PAUSED, ST_RUNNING

STATE_IFACE = "org.virtstack.DomainState"


def changes(col, path, iface):
    """The list of changed-property dicts seen for @iface on @path."""
    col.flush()
    return [s.args[1] for s in col.signals if s.path == path and s.args[0] == iface]


def state_props(fx, path):
    return fx.client.call(path, PROPS_IFACE, "GetAll", "s", STATE_IFACE)


def test_state_properties_follow_the_guest(fx):
    c = fx.client
    path = fx.define("props", memory_mib=128)
    p = state_props(fx, path)
    check_eq(p["Pid"], 0, "Pid of an inactive domain")
    check_eq(p["MaxMemory"], 128 * 1024, "MaxMemory")
    check_eq(p["Memory"], 128 * 1024, "Memory")
    check_eq(p["Vcpus"], 1, "Vcpus")

    events = c.domain_events()
    fx.domain(path, "Create", "u", 0)
    events.wait_event(path, harness.EV_STARTED)
    p = state_props(fx, path)
    check_eq(p["State"], ST_RUNNING, "State")
    pids = qemu_pids(fx.root)
    check_eq([p["Pid"]], pids, "Pid is the QEMU process")


def test_only_what_changed_is_announced(fx):
    c = fx.client
    path = c.connect("DomainLookupByName", "s", "props")
    props = c.collect(PROPS_IFACE, "PropertiesChanged")

    fx.domain(path, "Suspend")
    fx.domain(path, "Resume")
    fx.domain(path, "SetMemory", "tu", 64 * 1024, 0)
    # Memory is what the balloon reached, as QEMU reports it on the way, not
    # the target: it gets there once the guest's balloon driver has given
    # the memory back.
    props.wait(lambda s: s.path == path and s.args[0] == STATE_IFACE and
               s.args[1].get("Memory") == 64 * 1024, what="Memory reaching 64 MiB")

    dom_changes = changes(props, path, DOMAIN_IFACE)
    check_eq(dom_changes, [], "org.libvirt.Domain changes while only the state moved")
    st = changes(props, path, STATE_IFACE)
    check(len(st) >= 3, "announcements (suspend, resume, balloon): %r" % st)
    # Running/booted (1) to paused/user (1): the reason number stays.
    check_eq(st[0], {"State": ST_PAUSED}, "suspend announces State alone")
    check_eq(st[1], {"State": ST_RUNNING, "Reason": 5}, "resume announces State and Reason")
    check(all(list(c) == ["Memory"] for c in st[2:]), "the balloon announces Memory alone: %r"
          % st[2:])
    check_eq(state_props(fx, path)["Memory"], 64 * 1024, "Memory after SetMemory")

    # Setting Autostart to what it is announces nothing; changing it, itself.
    c.call(path, PROPS_IFACE, "Set", "ssv", DOMAIN_IFACE, "Autostart", False)
    c.call(path, PROPS_IFACE, "Set", "ssv", DOMAIN_IFACE, "Autostart", True)
    state_props(fx, path)
    check_eq(changes(props, path, DOMAIN_IFACE), [{"Autostart": True}], "Autostart change")

    events = c.domain_events()
    fx.domain(path, "Destroy", "u", 0)
    events.wait_event(path, harness.EV_STOPPED)
    last = changes(props, path, STATE_IFACE)[-1]
    check_eq(last.get("Pid"), 0, "Pid after destroy")
    check("Memory" in last, "Memory goes back to the definition's after destroy: %r" % last)


harness.main(globals())
