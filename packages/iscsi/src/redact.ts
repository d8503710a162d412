/** Placeholder written where a secret was. */
export const REDACTED = '***';

/**
 * Replaces every occurrence of each secret in `text` with `***`. Longer secrets are replaced
 * first so a secret that contains another is not left half visible.
 */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...secrets].filter((x) => x.length > 0).sort((a, b) => b.length - a.length)) {
    out = out.split(s).join(REDACTED);
  }
  return out;
}

/** {@link redact} applied to each element. */
export function redactAll(items: readonly string[], secrets: readonly string[]): string[] {
  return items.map((i) => redact(i, secrets));
}
