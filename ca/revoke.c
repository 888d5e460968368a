/* ca/revoke.c: placeholder, being written */
