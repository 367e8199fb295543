import { changeDetail } from '../../../src/admin/change-detail';
import { translator } from '../../../src/http/i18n';

test('an admin change reads in words: known fields by their label, values as people read them, nothing hidden', () => {
  const t = translator('id');
  expect(
    changeDetail(
      { baseUrl: 'https://llm.bpsdm.example/v1', model: 'llama3.1:8b', key: true, lenses: ['cermin', 'kritik'] },
      t,
      'id',
    ),
  ).toBe('Alamat API: https://llm.bpsdm.example/v1 · Model: llama3.1:8b · Kunci API: ya · lenses: cermin, kritik');
  expect(changeDetail({ total: 3, skipped: null, at: new Date('2026-12-06T03:00:00Z') }, translator('en'), 'en')).toBe(
    'Total: 3 · Skipped: – · at: 6 Dec 2026, 10:00 WIB',
  );
  expect(changeDetail({}, t, 'id')).toBe('–');
  expect(changeDetail({ days: { aiTurns: 30 } }, t, 'id')).toBe('days: aiTurns: 30');
});
