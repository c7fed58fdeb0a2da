import { mkdtemp, open, readdir, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { fromFloat32 } from '../../main/tensors/convert.ts'
import { ioError, openSafetensorsFile, readFileChecked, writeSafetensorsFile } from '../../main/disk/safetensorsFile.ts'
import { encodeSafetensorsHeader, readSafetensors } from '../../main/checkpoints/safetensors'
import { expectCheckpointErrorAsync } from './helpers/expectError'

const ref = 'test/fixtures/biggan-pytorch/reference.safetensors'
let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'biggan-files-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

describe('safetensors files on disk', () => {
  it('opens the reference file by header and reads tensors by offset, equal to the in-memory reader', async () => {
    const file = await openSafetensorsFile(ref)
    try {
      const whole = readSafetensors(await readFile(ref)).tensors
      expect(file.entries.map((e) => e.name)).toEqual([...whole.keys()])
      expect(file.metadata.format).toBe('zip')
      for (const name of ['eval.classes', 'eval.image_nchw', 'train.d_loss']) {
        const [t, w] = [await file.read(name), whole.get(name)!]
        expect({ dtype: t.dtype, shape: t.shape }).toEqual({ dtype: w.dtype, shape: w.shape })
        expect(Buffer.from(t.data).equals(w.data)).toBe(true) // deep toEqual on 200 KB of bytes takes seconds
      }
      expect(file.has('nope')).toBe(false)
      await expectCheckpointErrorAsync(() => file.read('nope'), 'missing-key', /tensor 'nope'/)
    } finally {
      await file.close()
    }
  })

  it('never reads a 4 GB sparse file whole: the header and a small tensor only', async () => {
    const path = join(dir, 'huge.safetensors')
    const { header } = encodeSafetensorsHeader([
      { name: 'small', dtype: 'F32', shape: [2] },
      { name: 'big', dtype: 'F32', shape: [2 ** 30] },
    ])
    await writeFile(path, header)
    const small = new Uint8Array(new Float32Array([1.5, -2]).buffer)
    const fh = await open(path, 'r+')
    await fh.write(small, 0, 8, header.byteLength)
    await fh.close()
    await truncate(path, header.byteLength + 8 + 4 * 2 ** 30)
    const before = process.memoryUsage().arrayBuffers
    const file = await openSafetensorsFile(path)
    expect(file.entries[1].end - file.entries[1].begin).toBe(4 * 2 ** 30)
    expect([...new Float32Array((await file.read('small')).data.slice().buffer)]).toEqual([1.5, -2])
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20)
    await file.close()
  })

  it('reports a file cut short after it was opened (checks bytesRead on every read)', async () => {
    const path = join(dir, 'cut.safetensors')
    await writeFile(path, await readFile(ref))
    const file = await openSafetensorsFile(path)
    await truncate(path, file.entries[2].begin + 10)
    await expectCheckpointErrorAsync(() => file.read('eval.image_nchw'), 'truncated', /changed or cut short/)
    await file.close()
  })

  it('refuses a file whose header runs past its end, closing the handle', async () => {
    const path = join(dir, 'bad.safetensors')
    await writeFile(path, Uint8Array.from([200, 0, 0, 0, 0, 0, 0, 0, 0x7b]))
    await expectCheckpointErrorAsync(() => openSafetensorsFile(path), 'truncated', /bad\.safetensors: header length 200/)
    await expectCheckpointErrorAsync(() => openSafetensorsFile(join(dir, 'missing')), 'io', /file not found/)
  })

  it('writes atomically and reads back what it wrote, from raw tensors and from lazy ones', async () => {
    const path = join(dir, 'model.safetensors')
    const a = fromFloat32([2], Float32Array.from([1, 2]))
    await writeSafetensorsFile(path, { step: '1' }, [['a', a]])
    await writeSafetensorsFile(path, { step: '2' }, [
      { name: 'a', dtype: 'F32', shape: [2], data: () => a.data },
      { name: 'b', dtype: 'F32', shape: [1], data: async () => fromFloat32([1], Float32Array.from([3])).data },
    ])
    const back = readSafetensors(await readFile(path))
    expect(back.metadata.step).toBe('2')
    expect([...back.tensors.keys()]).toEqual(['a', 'b'])
    expect(await readdir(dir)).toEqual(['model.safetensors'])
  })

  it('leaves the old file untouched and no temporary file when writing fails midway', async () => {
    const path = join(dir, 'model.safetensors')
    const a = fromFloat32([2], Float32Array.from([1, 2]))
    await writeSafetensorsFile(path, { step: '1' }, [['a', a]])
    const old = await readFile(path)
    await expectCheckpointErrorAsync(() => writeSafetensorsFile(path, { step: '2' }, [
      { name: 'a', dtype: 'F32', shape: [2], data: () => a.data },
      { name: 'b', dtype: 'F32', shape: [1], data: () => { throw Object.assign(new Error('disk on fire'), { code: 'EIO' }) } },
    ]), 'io', /cannot write the safetensors file: disk on fire \(EIO\)/)
    await expectCheckpointErrorAsync(() => writeSafetensorsFile(path, undefined, [
      { name: 'a', dtype: 'F32', shape: [3], data: () => a.data },
    ]), 'shape-mismatch', /tensor 'a': F32 \[3\] needs 12 bytes but 8/)
    expect(await readFile(path)).toEqual(old)
    expect(await readdir(dir)).toEqual(['model.safetensors'])
  })
})

describe('reading whole files', () => {
  it('says "file not found" for a missing path and names a folder passed as a file', async () => {
    await expectCheckpointErrorAsync(() => readFileChecked(join(dir, 'nope.bin')), 'io', /nope\.bin: cannot read the checkpoint: file not found/)
    await expectCheckpointErrorAsync(() => readFileChecked(dir), 'io', /folder, not a file/)
    expect((await readFileChecked(ref)).byteLength).toBe((await stat(ref)).size)
  })

  it('turns permission and disk errors into io errors that say what to do', () => {
    const err = (code: string): string => ioError(Object.assign(new Error('x'), { code }), '/m/G.pth', 'read the checkpoint').message
    expect(err('EACCES')).toBe('/m/G.pth: cannot read the checkpoint: permission denied; check the file permissions (EACCES)')
    expect(err('ENOSPC')).toMatch(/disk is full/)
    expect(ioError(Object.assign(new Error('x'), { code: 'ERR_FS_FILE_TOO_LARGE' }), 'f', 'read').code).toBe('too-large')
  })
})
