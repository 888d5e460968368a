/* lib/audit.c: placeholder, being written */
