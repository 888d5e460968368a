/* ca/issue.c: placeholder, being written */
