/* qemu_capabilities: being written. */
