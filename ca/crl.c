/* ca/crl.c: placeholder, being written */
