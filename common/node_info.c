/* node_info: being written. */
