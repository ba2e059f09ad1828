// Bad input on the command line: one line, exit 2. Its own small module, so the command
// line can tell it apart without loading the commands that throw it.
export class UsageError extends Error {}
