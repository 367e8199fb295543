/** Indonesian first, English second: strings live in locales/<lang>.json, one key per string. */
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../core/paths';
import type { Locale } from '../domain/launch';

export type Translate = (key: string, vars?: Record<string, string | number>) => string;

const catalogs: Record<Locale, Record<string, string>> = {
  id: JSON.parse(fs.readFileSync(path.join(projectRoot, 'locales', 'id.json'), 'utf8')) as Record<string, string>,
  en: JSON.parse(fs.readFileSync(path.join(projectRoot, 'locales', 'en.json'), 'utf8')) as Record<string, string>,
};

export function hasMessage(key: string, locale: Locale = 'id'): boolean {
  return key in catalogs[locale];
}

export function messageKeys(locale: Locale): string[] {
  return Object.keys(catalogs[locale]);
}

export function translator(locale: Locale): Translate {
  return (key, vars) => {
    // A missing English string falls back to Indonesian; a missing key shows itself, visibly.
    const text = catalogs[locale][key] ?? catalogs.id[key] ?? key;
    return vars ? text.replace(/\{(\w+)\}/g, (m, name: string) => (name in vars ? String(vars[name]) : m)) : text;
  };
}

/** The page's language: an explicit ?lang=, else the launch's, else the browser's, else Indonesian. */
export function pickLocale(query: unknown, launchLocale?: Locale, acceptLanguage?: string): Locale {
  if (query === 'en' || query === 'id') return query;
  if (launchLocale) return launchLocale;
  return acceptLanguage && /^en\b/i.test(acceptLanguage.trim()) ? 'en' : 'id';
}
