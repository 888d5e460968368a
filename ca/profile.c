/* ca/profile.c: placeholder, being written */
