/* domain_def_format: being written. */
