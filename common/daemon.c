/* daemon: being written. */
