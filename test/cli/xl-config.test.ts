import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseXlConfig, xlDomain } from '../../src/cli/xl-config.ts';

describe('xl domain configs', () => {
  it('reads strings, numbers and multi-line lists, skipping comments', () => {
    const source = [
      '# a PV guest',
      'name = "web"   # its name',
      "kernel = '/boot/vmlinuz'",
      'vcpus=2; maxvcpus = 4',
      'memory = 1024',
      'disk = [ "phy:/dev/vg/web,xvda,w",',
      '         "file:/srv/x.iso,hdc:cdrom,r" ]',
      'cpus = ["0-1", "^0"]',
      'cpu_weight = 512',
      'cap = 50',
    ].join('\n');
    const settings = parseXlConfig(source, 'web.cfg');
    assert.deepEqual(settings.get('disk'), ['phy:/dev/vg/web,xvda,w', 'file:/srv/x.iso,hdc:cdrom,r']);
    assert.deepEqual(xlDomain(settings, 'web.cfg'), {
      fields: { name: 'web', vcpus: 2, max_vcpus: 4, memory_mb: 1024, weight: 512, cap: 50 },
      cpus: ['0-1', '^0'],
      ignored: ['kernel', 'disk'],
    });
  });

  it('names the file and line of a syntax error', () => {
    assert.throws(() => parseXlConfig('name = "a"\nvcpus 2\n', 'a.cfg'), /^CliError: a\.cfg:2: expected "=" after vcpus$/);
    assert.throws(() => parseXlConfig('name = "a"\n\nmemory = [1, 2\n', 'a.cfg'), /a\.cfg:3: expected "," or "]" in a list/);
    assert.throws(() => parseXlConfig('x = @\n', 'a.cfg'), /a\.cfg:1: unexpected "@"/);
  });

  it('refuses a value of the wrong kind for a key it uses', () => {
    assert.throws(() => xlDomain(parseXlConfig('vcpus = "two"', 'a.cfg'), 'a.cfg'), /a\.cfg: vcpus must be a whole number/);
    assert.throws(() => xlDomain(parseXlConfig('name = 3', 'a.cfg'), 'a.cfg'), /a\.cfg: name must be a string/);
    assert.deepEqual(xlDomain(parseXlConfig('memory = "512"', 'a.cfg'), 'a.cfg').fields, { memory_mb: 512 });
  });
});
