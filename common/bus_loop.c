/* bus_loop: being written. */
