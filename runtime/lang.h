// gun's language commands in the lean gun-lang (lang.c), for entry.c and Go.

#ifndef GUN_LANG_H
#define GUN_LANG_H

// gun_lang executes gun-lang, beside gun's executable, with argv and envp
// when argv names one of its commands and that gun-lang is the one built
// with this gun (GUN_LANG_BUILDID). Otherwise, or when anything on the way
// fails, it returns and gun runs the command itself.
void gun_lang(int argc, char **argv, char **envp);

// gun_lang_command returns the index in argv (argv[0] the program) of the
// command it names, past the global flags before it, or -1 (as Go's
// internal/cmdline.Command).
int gun_lang_command(int argc, char **argv);

// gun_lang_lean says whether gun-lang has the command name.
int gun_lang_lean(const char *name);

#endif
