/* domain_def_parse: being written. */
