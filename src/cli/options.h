/* options.h - command-line parsing for the llm-runtime CLI.
 *
 * Flags are parsed into an ordered list of (config key, value) pairs instead
 * of being applied at once, because the config file location depends on
 * --root and --config: main() loads defaults, then the file, then applies the
 * pairs with lr_config_set(), so flags override the file.
 */
#ifndef LR_OPTIONS_H
#define LR_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "core/config.h"
#include "core/error.h"

typedef struct {
        char *key;   /* config key, e.g. "exec_timeout" */
        char *value; /* string value as given ("true" for boolean flags) */
} lr_opt_pair_t;

typedef struct {
        const char *subcommand;  /* NULL = pipe mode (the default) */
        bool help;               /* --help / -h */
        bool version;            /* --version */
        const char *root;        /* --root, NULL if not given */
        const char *config_path; /* --config, NULL if not given */
        lr_opt_pair_t *pairs;    /* every other option, in command-line order */
        size_t n_pairs;
        char **rest;             /* positional arguments after options */
        size_t n_rest;
} lr_cli_t;

/* Parse argv.  Unknown options, missing values and bad values (checked with
 * lr_config_set on a scratch config) fail with LR_E_CONFIG and a one-line
 * message naming the option. */
int lr_cli_parse(int argc, char **argv, lr_cli_t *cli, lr_error_t *err);
void lr_cli_free(lr_cli_t *cli);

/* Apply the pairs to cfg in order. */
int lr_cli_apply(const lr_cli_t *cli, lr_config_t *cfg, lr_error_t *err);

/* Print usage with every option and its default. */
void lr_cli_usage(FILE *f);

#endif
