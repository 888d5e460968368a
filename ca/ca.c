/* ca/ca.c: placeholder, being written */
