/**
 * The outbox's two promises on a real database: a new score is stamped after every second the
 * delivery has used (queued, sent or refused), even with a clock behind another instance's; and a
 * lease is held by exactly one of many callers at once.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import { testDatabaseUri } from '../../support/stack';
import { GradeOutbox } from '../../../src/grades/outbox';
import { Leases } from '../../../src/grades/lease';
import { Delivery, OutboxItem, deliveryIdOf, outboxIdOf } from '../../../src/grades/models';

beforeAll(async () => {
  await mongoose.connect(testDatabaseUri(`cermin_outbox_${crypto.randomBytes(4).toString('hex')}`));
});
afterAll(async () => {
  await mongoose.connection.db?.dropDatabase();
  await mongoose.disconnect();
});

const NOW = Date.parse('2026-11-25T08:00:00Z');
const input = (userId: string, score = 80) => ({
  courseKey: 'course-1',
  activityId: 'act-1',
  userId,
  kind: 'grade' as const,
  by: { id: 'coach' },
  payload: {
    scoreGiven: score,
    scoreMaximum: 100,
    activityProgress: 'Completed' as const,
    gradingProgress: 'FullyGraded' as const,
  },
});

test('scores queued within one second get consecutive seconds', async () => {
  const outbox = new GradeOutbox(() => NOW);
  const seconds = [];
  for (let i = 0; i < 3; i++) seconds.push((await outbox.enqueue(input('u-1', 70 + i))).second);
  expect(seconds).toEqual([NOW / 1000, NOW / 1000 + 1, NOW / 1000 + 2]);
  expect(await OutboxItem.countDocuments({ deliveryId: deliveryIdOf('act-1', 'u-1') })).toBe(3);
});

test('a new score comes after a second sent or queued by an instance whose clock is ahead', async () => {
  const behind = new GradeOutbox(() => NOW);
  const id = deliveryIdOf('act-1', 'u-2');
  await Delivery.create({
    _id: id,
    courseKey: 'course-1',
    activityId: 'act-1',
    userId: 'u-2',
    sentSecond: NOW / 1000 + 100,
    attempts: 0,
    history: [],
  });
  expect((await behind.enqueue(input('u-2'))).second).toBe(NOW / 1000 + 101);
  await OutboxItem.create({
    _id: outboxIdOf(id, NOW / 1000 + 300),
    deliveryId: id,
    courseKey: 'course-1',
    activityId: 'act-1',
    userId: 'u-2',
    kind: 'grade',
    second: NOW / 1000 + 300,
    payload: input('u-2').payload,
    by: { id: 'coach' },
  });
  expect((await behind.enqueue(input('u-2'))).second).toBe(NOW / 1000 + 301);
  await Delivery.updateOne(
    { _id: id },
    {
      $set: {
        failed: {
          second: NOW / 1000 + 500,
          kind: 'grade',
          payload: input('u-2').payload,
          by: { id: 'coach' },
          reason: 'x',
          at: new Date(),
        },
      },
    },
  );
  expect((await behind.enqueue(input('u-2'))).second).toBe(NOW / 1000 + 501);
});

test('of many callers racing for a lease, exactly one holds it; released, it can be taken again', async () => {
  const callers = Array.from({ length: 8 }, (_, i) => new Leases(`owner-${i}`, 10_000, () => NOW + 2_000));
  const held = (await Promise.all(callers.map((l) => l.acquire('delivery-x')))).filter((h) => h !== null);
  expect(held).toHaveLength(1);
  // Slots 0 and 1 of 10 s from NOW+2 s: held until the end of the next slot.
  expect(held[0]?.heldUntil).toBe((Math.floor((NOW + 2_000) / 10_000) + 2) * 10_000);
  expect(await callers[0].acquire('delivery-x')).toBeNull();
  await held[0]?.release();
  expect(await callers[3].acquire('delivery-x')).not.toBeNull();
});

test('a caller in the next slot cannot take a delivery whose holder pre-claimed that slot', async () => {
  const holder = new Leases('holder', 10_000, () => NOW);
  const later = new Leases('later', 10_000, () => NOW + 10_000);
  expect(await holder.acquire('delivery-y')).not.toBeNull();
  expect(await later.acquire('delivery-y')).toBeNull();
  const muchLater = new Leases('much-later', 10_000, () => NOW + 20_000);
  expect(await muchLater.acquire('delivery-y')).not.toBeNull(); // the holder died: the delivery resumes
});
