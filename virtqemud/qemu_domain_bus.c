/* qemu_domain_bus: being written. */
