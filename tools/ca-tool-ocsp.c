/* tools/ca-tool-ocsp.c: ca-tool's ocsp commands (none yet) */
#include "config.h"

#include "ca-tool.h"

const command ca_tool_ocsp_commands[] = {
	{ NULL, NULL, NULL, NULL, 0 }
};
