/* lib/version.c: the version of the running library */
#include "config.h"

#include <govpki/version.h>

const char *
gp_version(void)
{
	return PACKAGE_VERSION;
}
