// Preloaded (node --import) into the `fleetplane serve` processes of tests that must see every
// cluster write the engine makes: subscribes to the engine's write events (engine/clusters.ts
// WRITES_CHANNEL) and appends each as one JSON line to FLEETPLANE_TEST_WRITES_FILE. Lines are
// written synchronously, so a SIGKILL loses at most the line being written. Test equipment: the
// product never writes these events anywhere by itself.
import { channel } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';
import { WRITES_CHANNEL } from '../../src/engine/clusters.ts';

const file = process.env.FLEETPLANE_TEST_WRITES_FILE;
// Held at module level: a subscription lives as long as its channel object.
const writes = channel(WRITES_CHANNEL);
if (file) writes.subscribe((e) => appendFileSync(file, `${JSON.stringify(e)}\n`));
