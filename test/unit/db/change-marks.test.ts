/** A value cached until its scope's change mark moves: read once, re-read after a change, here at once and elsewhere within the recheck time. */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { MARK_RECHECK_MS, MarkedValue } from '../../../src/db/change-marks';
import { testDatabaseUri } from '../../support/stack';

beforeAll(async () => {
  await mongoose.connect(testDatabaseUri(`cermin_marks_${crypto.randomBytes(4).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});

test('loaded once while the mark stands; this instance sees its own change at once, another one within the recheck time', async () => {
  let stored = 'v1';
  let loads = 0;
  const load = async () => {
    loads += 1;
    return stored;
  };
  const here = new MarkedValue('test-scope', load);
  const elsewhere = new MarkedValue('test-scope', load);
  expect(await here.get()).toBe('v1');
  expect(await elsewhere.get()).toBe('v1');
  expect(await here.get()).toBe('v1');
  expect(loads).toBe(2);

  stored = 'v2';
  await here.changed();
  expect(await here.get()).toBe('v2');
  expect(await elsewhere.get()).toBe('v1'); // trusted for MARK_RECHECK_MS
  await new Promise((r) => setTimeout(r, MARK_RECHECK_MS + 50));
  expect(await elsewhere.get()).toBe('v2');
  expect(loads).toBe(4);
  // Past the recheck time with no change: the mark is read again, the value is not.
  await new Promise((r) => setTimeout(r, MARK_RECHECK_MS + 50));
  expect(await here.get()).toBe('v2');
  expect(loads).toBe(4);
});
