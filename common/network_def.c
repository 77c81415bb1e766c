/* network_def: being written. */
