// A local SMTP server that accepts every message and discards it, for bench/digests.ts:
// run in its own process so that its work does not count against the sender's. Prints
// `listening <port>` when ready, and `accepted <n>` on each line of stdin (the bench asks).
import readline from 'node:readline';
import { SMTPServer } from 'smtp-server';

let accepted = 0;
const server = new SMTPServer({
  secure: false,
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  disableReverseLookup: true,
  logger: false,
  size: 10 * 1024 * 1024,
  onData(stream, _session, callback) {
    stream.on('end', () => {
      accepted++;
      callback();
    });
    stream.resume();
  },
});
server.on('error', () => {});
server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
readline.createInterface({ input: process.stdin }).on('line', () => process.stdout.write(`accepted ${accepted}\n`));
