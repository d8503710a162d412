/** Where a command writes: data to stdout, logs and progress to stderr. */
export interface Output {
  /** True with `--json`: data is printed as JSON. */
  readonly json: boolean;
  /** Prints data: JSON when `--json`, else the human text. */
  data(value: unknown, human: () => string): void;
  /** A log line on stderr. */
  log(line: string): void;
}

/** The real output on the process streams. */
export function processOutput(json: boolean): Output {
  return {
    json,
    data(value, human) {
      process.stdout.write(json ? `${JSON.stringify(value, bigintReplacer, 2)}\n` : `${human()}\n`);
    },
    log(line) {
      process.stderr.write(`${line}\n`);
    },
  };
}

/** JSON.stringify replacer that writes bigint as a decimal string. */
export function bigintReplacer(_key: string, v: unknown): unknown {
  return typeof v === 'bigint' ? v.toString() : v;
}

/** Renders rows as an aligned text table. */
export function table(headers: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  return cells
    .map((r) =>
      r
        .map((c, i) => String(c).padEnd(widths[i] ?? 0))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}
