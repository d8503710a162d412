import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A second, empty host of libvirt's in-process test driver: writes a minimal `<node>` file to a
 * fresh temporary directory and returns its `test:///PATH` URI. `test:///default` and this URI
 * are two hosts with separate domains, so a driver's migration failure paths (a taken name, a
 * refused option, an aborted signal, the test driver's refusal to migrate) run without a lab.
 */
export function secondTestDriverHostUri(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'virtmig-testhost-')), 'node.xml');
  writeFileSync(
    file,
    '<node><cpu><nodes>1</nodes><sockets>1</sockets><cores>2</cores><threads>1</threads><active>2</active><mhz>1000</mhz></cpu><memory>8388608</memory></node>\n',
  );
  return `test://${file}`;
}
