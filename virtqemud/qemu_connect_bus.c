/* qemu_connect_bus: being written. */
