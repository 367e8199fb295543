/** Indonesian first, English second: both catalogs complete, every refusal has its words. */
import fs from 'node:fs';
import path from 'node:path';
import { hasMessage, messageKeys, pickLocale, translator } from '../../../src/http/i18n';
import { ID_TOKEN_ERROR_CODES } from '../../../src/lti/id-token';
import { projectRoot } from '../../../src/core/paths';

test('Indonesian and English have the same keys, none empty', () => {
  expect(messageKeys('en').sort()).toEqual(messageKeys('id').sort());
  const t = { id: translator('id'), en: translator('en') };
  for (const key of messageKeys('id')) {
    expect(t.id(key).trim()).not.toBe('');
    expect(t.en(key).trim()).not.toBe('');
  }
});

test('every refusal code the validator can throw has a message in both languages', () => {
  const codes = [...ID_TOKEN_ERROR_CODES];
  expect(codes.length).toBeGreaterThan(20);
  for (const code of codes) {
    expect(hasMessage(`launch.${code}`, 'id')).toBe(true);
    expect(hasMessage(`launch.${code}`, 'en')).toBe(true);
  }
});

test("every t('…') key used in views and sources exists", () => {
  const root = projectRoot;
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(ejs|ts)$/.test(entry.name)) files.push(p);
    }
  };
  walk(path.join(root, 'views'));
  walk(path.join(root, 'src', 'http'));
  walk(path.join(root, 'src', 'admin'));
  walk(path.join(root, 'src', 'lti'));
  const used = new Set<string>();
  for (const f of files) {
    for (const m of fs.readFileSync(f, 'utf8').matchAll(/\bt\('([a-zA-Z]+\.[\w.]+)'/g)) used.add(m[1]);
    for (const m of fs
      .readFileSync(f, 'utf8')
      .matchAll(/'((?:error|setup|admin|participant|coach|mentor|landing|registration|launch)\.[a-zA-Z.]+)'/g))
      used.add(m[1]);
  }
  const missing = [...used].filter((k) => !hasMessage(k, 'id') && !k.endsWith('.'));
  expect(missing).toEqual([]);
});

test('language choice: ?lang= wins, then the launch, then the browser, else Indonesian', () => {
  expect(pickLocale('en', 'id', 'id')).toBe('en');
  expect(pickLocale(undefined, 'en', 'id')).toBe('en');
  expect(pickLocale(undefined, undefined, 'en-GB,en;q=0.9')).toBe('en');
  expect(pickLocale(undefined, undefined, undefined)).toBe('id');
  expect(translator('id')('error.noAudience', { roles: 'Guest' })).toContain('Guest');
});
