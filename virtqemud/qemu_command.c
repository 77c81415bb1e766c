/* qemu_command: being written. */
