/* lib/x509util.c: placeholder, being written */
