import os from 'node:os';

/** This process, as job claims and digest leases name their owner. */
export const INSTANCE = `${os.hostname()}:${process.pid}`;
