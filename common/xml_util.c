/* xml_util: being written. */
