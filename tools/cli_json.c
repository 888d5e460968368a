/* tools/cli_json.c: --json failures as JSON, for every command of ca-tool and seal-tool */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "cli.h"

/*
 * With --json a failing command prints {"error": {...}} on stdout, whatever
 * part of the program found the failure: stderr (fd 2) goes to a temporary
 * file while the command runs, and what it received is the message.  The
 * same text still reaches the real stderr at the end.  A command that
 * printed its own JSON (cli_json_printed) carries its result there, so
 * nothing is added to it.  Passphrase prompts use /dev/tty, not stderr.
 */
static FILE *captured;
static int saved_stderr = -1;
static int json_printed;
static int json_mode;      /* --json was given */

void
cli_json_printed(void)
{
	json_printed = 1;
}

int
cli_json_begin(int argc, char **argv)
{
	int i, json = 0;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (strcmp(argv[i], "--json") == 0)
			json = 1;
	if (!json)
		return 0;
	json_mode = 1;
	fflush(stderr);
	if ((captured = tmpfile()) == NULL || (saved_stderr = dup(STDERR_FILENO)) < 0 ||
	    dup2(fileno(captured), STDERR_FILENO) < 0) {
		/* not captured: the messages stay on stderr, the JSON is plainer */
		if (saved_stderr >= 0)
			close(saved_stderr);
		saved_stderr = -1;
	}
	return 1;
}

static const char *
exit_kind(int rc)
{
	switch (rc) {
	case EXIT_USAGE: return "usage";
	case EXIT_NOTFOUND: return "not found";
	case EXIT_REFUSED: return "refused";
	case EXIT_PASS: return "passphrase";
	case EXIT_BUSY: return "busy";
	case EXIT_VERIFY: return "verification failed";
	default: return "failure";
	}
}

int
cli_json_end(int rc)
{
	char *msg = NULL;
	size_t len = 0;
	json_t *j;

	if (saved_stderr >= 0) {
		long n;

		fflush(stderr);
		dup2(saved_stderr, STDERR_FILENO);
		close(saved_stderr);
		saved_stderr = -1;
		if ((n = ftell(captured)) > 0 && (msg = malloc((size_t)n + 1)) != NULL) {
			rewind(captured);
			len = fread(msg, 1, (size_t)n, captured);
			msg[len] = '\0';
			fwrite(msg, 1, len, stderr);   /* people still read it there */
		}
		fclose(captured);
		captured = NULL;
	}
	if (json_mode && rc != EXIT_OK && !json_printed) {
		/* the message without the trailing newline; several lines kept */
		while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
			msg[--len] = '\0';
		j = json_pack("{s:{s:i, s:s, s:s, s:s}}", "error", "exit", rc, "kind", exit_kind(rc),
		    "program", cli_prog, "message", len > 0 ? msg : exit_kind(rc));
		if (j == NULL || json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER) != 0)
			fprintf(stderr, "%s: cannot print the error as JSON\n", cli_prog);
		else
			putchar('\n');
		json_decref(j);
	}
	free(msg);
	fflush(stdout);
	return rc;
}
