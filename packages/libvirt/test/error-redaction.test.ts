import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { Connection, LibvirtError } from '../src/index.js';

const SECRET = 'SECRET-hunter2-7f3a';

async function openError(uri: string): Promise<LibvirtError> {
  const e = await Connection.open(uri).then(
    () => new Error(`${uri} opened`),
    (err: unknown) => err,
  );
  expect(e).to.be.instanceOf(LibvirtError);
  return e as LibvirtError;
}

/** Everything an error shows: message, fields, details, stack and its JSON. */
const everything = (e: LibvirtError): string =>
  [e.message, e.libvirtMessage, e.stack, JSON.stringify(e), JSON.stringify(e.details)].join('\n');

describe("libvirt errors never quote a file's content", () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'virtmig-redact-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('an XML parse error of a non-XML node file keeps code, domain and location, not the line', async () => {
    const file = join(dir, 'shadow');
    writeFileSync(file, `root:${SECRET}:19000:0:99999:7:::\n`);
    const e = await openError(`test://${file}`);
    expect(everything(e)).not.to.contain(SECRET);
    expect(e.libvirtCodeName).to.equal('VIR_ERR_XML_DETAIL');
    expect(e.libvirtDomainName).to.equal('VIR_FROM_TEST');
    expect(e.message).to.contain(`${file}:1`).and.to.contain('XML parse error');
  });

  it("a parse error naming the document's tags does not repeat them", async () => {
    const file = join(dir, 'tags.xml');
    writeFileSync(file, `<${SECRET}>\n</other>\n`);
    expect(everything(await openError(`test://${file}`))).not.to.contain(SECRET);
  });

  it("an XML error quoting the document's root element does not repeat it", async () => {
    const file = join(dir, 'root.xml');
    writeFileSync(file, `<${SECRET}>x</${SECRET}>\n`);
    const e = await openError(`test://${file}`);
    expect(e.libvirtCodeName).to.equal('VIR_ERR_XML_ERROR');
    expect(everything(e)).not.to.contain(SECRET);
    expect(e.message).to.contain('expecting root element');
  });
});
