/* domain_def: being written. */
