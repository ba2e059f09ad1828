// What `broken-mta send` sends unless told otherwise. Its own small module, so that the
// command line can offer these as defaults without loading the sender.
export const SEND_DEFAULTS = {
  host: '127.0.0.1',
  from: 'sender@client.example.test',
  rcpt: 'rcpt@example.test',
  helo: 'client.example.test',
  timeoutMs: 15_000,
} as const;
