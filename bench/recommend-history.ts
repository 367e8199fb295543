/**
 * `npm run bench -- recommend-history`: how long the journal takes to read a participant's
 * recommendation history as a deployment grows — one history record per participant and course,
 * read by `_id` (what Cermin does), against the baseline of one record per participant and item,
 * filtered by course and person (what it did before). Both hold the same events, in the same
 * database, measured in the same run. FerretDB scans for every filter, by `_id` too (in SQLite,
 * stopping at the match), so what counts is how many records a read walks past.
 */
import crypto from 'node:crypto';
import mongoose from 'mongoose';
import {
  historyId,
  historyOf,
  LegacyItemEvents,
  RecommendHistory,
  type HistoryDoc,
  type LegacyItemEventsDoc,
} from '../src/recommend/store';
import { BenchError, parseFlags, percentile, round, runBench, table, withDbName, type CommonOptions } from './harness';

const USAGE =
  'Usage: npm run bench -- recommend-history [--sizes 1000,10000,50000] [--per-person 25] [--reads 40] [--timeout SECONDS]';
const COURSES = 10;

interface Options extends CommonOptions {
  sizes: number[];
  perPerson: number;
  reads: number;
}

function parseOptions(argv: string[]): Options {
  const at = argv.indexOf('--sizes');
  const sizesText = at >= 0 ? (argv[at + 1] ?? '') : '1000,10000,50000';
  const rest = at >= 0 ? [...argv.slice(0, at), ...argv.slice(at + 2)] : argv;
  const { num, nodeEnv, profileDir } = parseFlags(rest, ['per-person', 'reads']);
  const sizes = sizesText.split(',').map((s) => Number(s.trim()));
  if (!sizes.length || sizes.some((n) => !Number.isInteger(n) || n < 100))
    throw new BenchError('--sizes: whole numbers of events ≥ 100, comma-separated');
  return {
    sizes: sizes.sort((a, b) => a - b),
    perPerson: num('per-person', 25, 1),
    reads: num('reads', 40, 5),
    timeoutSeconds: num('timeout', 900, 30),
    nodeEnv,
    profileDir,
  };
}

/** Milliseconds of each read, sorted. */
async function timed(reads: number, read: (i: number) => Promise<unknown>): Promise<number[]> {
  const ms: number[] = [];
  for (let i = 0; i < reads; i++) {
    const started = process.hrtime.bigint();
    await read(i);
    ms.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  return ms.sort((a, b) => a - b);
}

const personOf = (n: number) => ({ courseKey: `course-${n % COURSES}`, userId: `user-${n}` });

export async function main(argv: string[]): Promise<number> {
  return runBench<Options>({
    bench: 'recommend-history',
    usage: USAGE,
    argv,
    parse: parseOptions,
    scripts: [],
    profileNote: () => '',
    body: async (run, opts) => {
      const { progress, guard } = run;
      const tmpDir = run.tempDir('cermin-bench-rhistory-');
      const { serverUri, dbKind } = await run.database(tmpDir);
      const dbUri = withDbName(serverUri, `cermin_rhistory_${crypto.randomBytes(4).toString('hex')}`);
      run.dropAtEnd([dbUri]);
      await guard(mongoose.connect(dbUri, { serverSelectionTimeoutMS: 10_000 }));
      run.cleanup('disconnect', () => mongoose.disconnect());
      progress(`database: ${dbKind}`);
      const rows: Array<Array<string | number>> = [];
      const json: Record<string, number | string> = { bench: 'recommend-history', per_person: opts.perPerson };
      let people = 0;
      let last = { history: 1, perItem: 1 };
      for (const size of opts.sizes) {
        const target = Math.ceil(size / opts.perPerson);
        progress(`${size} events: writing the events of ${target - people} more participants, both ways`);
        for (let first = people; first < target; first += 200) {
          const batch = Array.from({ length: Math.min(200, target - first) }, (_, i) => first + i);
          const at = new Date();
          const perItem: LegacyItemEventsDoc[] = batch.flatMap((n) =>
            Array.from({ length: opts.perPerson }, (_, k) => ({
              _id: `${historyId(personOf(n).courseKey, personOf(n).userId)}.${k}`,
              ...personOf(n),
              itemId: `item-${k}`,
              shownAt: at,
            })),
          );
          const histories: HistoryDoc[] = batch.map((n) => ({
            _id: historyId(personOf(n).courseKey, personOf(n).userId),
            ...personOf(n),
            updatedAt: at,
            items: Array.from({ length: opts.perPerson }, (_, k) => ({ itemId: `item-${k}`, shownAt: at })),
          }));
          await guard(LegacyItemEvents.insertMany(perItem, { lean: true }));
          await guard(RecommendHistory.insertMany(histories, { lean: true }));
        }
        people = target;
        // Participants spread over the whole collection (a read's cost depends on where its record lies).
        const who = (i: number) => personOf((i * 7919) % people);
        const history = await guard(timed(opts.reads, (i) => historyOf(who(i).courseKey, who(i).userId)));
        const perItem = await guard(timed(opts.reads, (i) => LegacyItemEvents.find(who(i)).lean()));
        const check = await historyOf(who(1).courseKey, who(1).userId);
        const checkItems = await LegacyItemEvents.find(who(1)).lean();
        if (check.size !== opts.perPerson || checkItems.length !== opts.perPerson)
          throw new BenchError(
            `read ${check.size} / ${checkItems.length} events of a participant, expected ${opts.perPerson}`,
          );
        const [h50, h99, p50, p99] = [
          percentile(history, 50),
          percentile(history, 99),
          percentile(perItem, 50),
          percentile(perItem, 99),
        ];
        rows.push([
          people * opts.perPerson,
          people,
          round(h50, 2),
          round(h99, 2),
          round(p50, 1),
          round(p99, 1),
          round(p50 / h50, 0),
        ]);
        Object.assign(json, {
          [`history_p50_ms_${size}`]: round(h50, 2),
          [`history_p99_ms_${size}`]: round(h99, 2),
          [`per_item_p50_ms_${size}`]: round(p50, 2),
          [`per_item_p99_ms_${size}`]: round(p99, 2),
        });
        last = { history: h50, perItem: p50 };
      }
      run.report = [
        '',
        `A participant's recommendation history (${opts.perPerson} items each), ${opts.reads} reads per size, ${dbKind}`,
        table(
          [
            'events',
            'participants',
            'history p50 ms',
            'history p99 ms',
            'per-item filter p50 ms (before)',
            'p99 ms',
            'before/now',
          ],
          rows,
        ),
        '',
        JSON.stringify({ ...json, p50_ms: round(last.history, 2), ratio: round(last.perItem / last.history, 1) }),
      ].join('\n');
      return 0;
    },
  });
}
