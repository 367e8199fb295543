import { cached } from '../../../src/lti/cache';

test('loads once, reloads after invalidate or age, retries after a failure', async () => {
  let clock = 0;
  let loads = 0;
  let fail = false;
  const c = cached(
    async () => {
      loads++;
      if (fail) throw new Error('down');
      return loads;
    },
    1000,
    () => clock,
  );
  expect(await c.get()).toBe(1);
  expect(await c.get()).toBe(1);
  c.invalidate();
  expect(await c.get()).toBe(2);
  clock = 1500;
  expect(await c.get()).toBe(3);
  fail = true;
  c.invalidate();
  await expect(c.get()).rejects.toThrow('down');
  fail = false;
  expect(await c.get()).toBe(5);
});
