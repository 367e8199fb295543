/** Cermin's page addresses inside a course, spelled once. Every link carries the ltik. */
export function coursePath(courseKey: string): string {
  return `/lti/app/courses/${encodeURIComponent(courseKey)}`;
}

export function activityPath(courseKey: string, activityId: string): string {
  return `${coursePath(courseKey)}/activities/${encodeURIComponent(activityId)}`;
}

export function entryPath(courseKey: string, activityId: string, key: string): string {
  return `${activityPath(courseKey, activityId)}/entries/${encodeURIComponent(key)}`;
}

export function withLtik(path: string, ltik: string, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...extra, ltik });
  return `${path}${path.includes('?') ? '&' : '?'}${q.toString()}`;
}

/** A path inside this course to return to after a form, or undefined for anything else (no open redirects). */
export function safeBack(courseKey: string, back: unknown): string | undefined {
  return typeof back === 'string' && back.startsWith(`${coursePath(courseKey)}/`) && !/\/\/|\.\.|[#?\\]/.test(back)
    ? back
    : undefined;
}
