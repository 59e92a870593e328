import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CacheFormatError } from '../../src/cache/errors.js';
import type { DType, Tensor } from '../../src/cache/safetensors.js';
import {
  decodeSafetensors,
  decodeSafetensorsHeader,
  dtypeSize,
  encodeSafetensors,
  leBytesToFloat32,
  leBytesToUint16,
} from '../../src/cache/safetensors.js';

const ascii = (s: string): number[] => [...s].map((c) => c.charCodeAt(0));

/** A safetensors file from a literal header string and data bytes, padded like the spec says (or not). */
function rawFile(header: string, data: number[] | Uint8Array, { pad = true, length }: { pad?: boolean; length?: bigint } = {}): Uint8Array {
  let json = new TextEncoder().encode(header);
  if (pad) {
    const padded = new Uint8Array(Math.ceil((8 + json.length) / 8) * 8 - 8).fill(0x20);
    padded.set(json);
    json = padded;
  }
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors golden bytes', () => {
  it('decodes a file written byte by byte from the format description', () => {
    // Header keys deliberately unsorted and unpadded: files from other writers must read too.
    const header = '{"t":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"__metadata__":{"k":"v","n":"1"}}';
    const bytes = [
      ...[header.length, 0, 0, 0, 0, 0, 0, 0],
      ...ascii(header),
      ...[0x00, 0x00, 0x80, 0x3f], // 1.0f little-endian
      ...[0x00, 0x00, 0x20, 0xc0], // -2.5f
    ];
    const file = decodeSafetensors(Uint8Array.from(bytes));
    expect({ ...file.metadata }).toEqual({ k: 'v', n: '1' });
    const t = file.tensors.get('t');
    expect(t?.dtype).toBe('F32');
    expect(t?.shape).toEqual([1, 2]);
    expect([...leBytesToFloat32(t!.data)]).toEqual([1, -2.5]);
  });

  it('encodes to exactly the expected bytes: sorted keys, compact JSON, space padding to 8', () => {
    const bytes = encodeSafetensors(
      {
        b: { dtype: 'U8', shape: [2], data: Uint8Array.of(1, 2) },
        a: { dtype: 'F16', shape: [1], data: Uint8Array.of(0x00, 0x3c) },
        '10': { dtype: 'U8', shape: [0], data: new Uint8Array(0) },
      },
      { z: '1', a: '2' },
    );
    const json =
      '{"10":{"data_offsets":[0,0],"dtype":"U8","shape":[0]},"__metadata__":{"a":"2","z":"1"},' +
      '"a":{"data_offsets":[0,2],"dtype":"F16","shape":[1]},"b":{"data_offsets":[2,4],"dtype":"U8","shape":[2]}}';
    const n = Math.ceil((8 + json.length) / 8) * 8 - 8;
    const expected = [
      ...new Uint8Array(new BigUint64Array([BigInt(n)]).buffer),
      ...ascii(json.padEnd(n, ' ')),
      ...[0x00, 0x3c, 1, 2],
    ];
    expect([...bytes]).toEqual(expected);
    expect((8 + n) % 8).toBe(0);
  });

  it('is byte-deterministic whatever the insertion order', () => {
    const t = { dtype: 'U8' as const, shape: [1], data: Uint8Array.of(7) };
    const one = encodeSafetensors({ x: t, y: t }, { b: '1', a: '2' });
    const two = encodeSafetensors(new Map([['y', t], ['x', t]]), { a: '2', b: '1' });
    expect(Buffer.from(one).equals(Buffer.from(two))).toBe(true);
  });
});

describe('safetensors decoder refuses hostile input with CacheFormatError', () => {
  const f32 = (n: number) => new Uint8Array(n * 4);
  const ok = '{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
  const cases: Array<[string, Uint8Array]> = [
    ['empty', new Uint8Array(0)],
    ['7 bytes', new Uint8Array(7)],
    ['header length 2^63', rawFile(ok, f32(2), { length: 2n ** 63n })],
    ['header length 2^64-1', rawFile(ok, f32(2), { length: 2n ** 64n - 1n })],
    ['header length past the end', rawFile(ok, f32(2), { length: 4096n })],
    ['header length 0', rawFile('', [], { pad: false, length: 0n })],
    ['invalid UTF-8', rawFile('{"t\xff":1}', [])],
    ['invalid JSON', rawFile('{"t":', [])],
    ['JSON array', rawFile('[1,2]', [])],
    ['JSON string', rawFile('"abc"', [])],
    ['JSON number', rawFile('12345', [])],
    ['JSON null', rawFile('null', [])],
    ['tensor not an object', rawFile('{"t":[1]}', [])],
    ['unknown tensor field', rawFile('{"t":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}}', [0])],
    ['unknown dtype', rawFile('{"t":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}', [0, 0])],
    ['dtype not a string', rawFile('{"t":{"dtype":4,"shape":[1],"data_offsets":[0,4]}}', f32(1))],
    ['missing dtype', rawFile('{"t":{"shape":[1],"data_offsets":[0,4]}}', f32(1))],
    ['negative shape', rawFile('{"t":{"dtype":"U8","shape":[-1],"data_offsets":[0,0]}}', [])],
    ['fractional shape', rawFile('{"t":{"dtype":"U8","shape":[1.5],"data_offsets":[0,1]}}', [0])],
    ['string shape', rawFile('{"t":{"dtype":"U8","shape":"1","data_offsets":[0,1]}}', [0])],
    ['shape rank 9', rawFile(`{"t":{"dtype":"U8","shape":[${Array(9).fill(1).join(',')}],"data_offsets":[0,1]}}`, [0])],
    ['huge shape product', rawFile('{"t":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,8]}}', f32(2))],
    ['shape disagrees with bytes', rawFile('{"t":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', f32(2))],
    ['offsets not a pair', rawFile('{"t":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', f32(2))],
    ['offsets not integers', rawFile('{"t":{"dtype":"F32","shape":[2],"data_offsets":[0,"8"]}}', f32(2))],
    ['negative offset', rawFile('{"t":{"dtype":"F32","shape":[2],"data_offsets":[-8,0]}}', f32(2))],
    ['end before begin', rawFile('{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', f32(2))],
    ['offset out of range', rawFile('{"t":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}}', f32(2))],
    ['leading gap', rawFile('{"t":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', f32(2))],
    ['trailing bytes', rawFile('{"t":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', f32(2))],
    [
      'overlap',
      rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', f32(3)),
    ],
    [
      'gap between tensors',
      rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}', f32(3)),
    ],
    ['metadata not an object', rawFile('{"__metadata__":["a"]}', [])],
    ['metadata number value', rawFile('{"__metadata__":{"a":1}}', [])],
    ['metadata null value', rawFile('{"__metadata__":{"a":null}}', [])],
    ['metadata object value', rawFile('{"__metadata__":{"a":{"b":"c"}}}', [])],
  ];

  it.each(cases)('%s', (_name, bytes) => {
    expect(() => decodeSafetensors(bytes)).toThrow(CacheFormatError);
  });

  it('honours a smaller header limit', () => {
    const bytes = rawFile(ok, f32(2));
    expect(() => decodeSafetensors(bytes, { maxHeaderBytes: 16 })).toThrow(/exceeds the 16-byte limit/);
  });

  it('keeps __proto__ as a plain metadata key', () => {
    const file = decodeSafetensors(rawFile('{"__metadata__":{"__proto__":"x","a":"b"}}', []));
    expect(Object.getPrototypeOf(file.metadata)).toBe(null);
    expect(file.metadata['__proto__']).toBe('x');
  });

  it('accepts zero-size tensors sharing an offset', () => {
    const file = decodeSafetensors(
      rawFile('{"a":{"dtype":"U8","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"U8","shape":[1,0],"data_offsets":[0,0]}}', []),
    );
    expect(file.tensors.size).toBe(2);
  });
});

describe('safetensors views and copies', () => {
  it('returns a Float32Array view over aligned data and a copy over unaligned data', () => {
    const values = Float32Array.of(1.5, -3, 1e-20);
    const file = encodeSafetensors({ v: { dtype: 'F32', shape: [3], data: new Uint8Array(values.buffer) } });
    const aligned = decodeSafetensors(file).tensors.get('v')!;
    const view = leBytesToFloat32(aligned.data);
    expect(view.buffer).toBe(file.buffer);
    expect([...view]).toEqual([...values]);

    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const unaligned = decodeSafetensors(shifted.subarray(1)).tensors.get('v')!;
    const copy = leBytesToFloat32(unaligned.data);
    expect(copy.buffer).not.toBe(shifted.buffer);
    expect([...copy]).toEqual([...values]);
    expect([...leBytesToUint16(unaligned.data.subarray(0, 4))]).toEqual([...new Uint16Array(values.buffer, 0, 2)]);
  });

  it('reads only the header from a prefix, or asks for more', () => {
    const file = encodeSafetensors({ v: { dtype: 'U8', shape: [1000], data: new Uint8Array(1000) } }, { encoding: 'f32' });
    const headerEnd = file.length - 1000;
    expect(decodeSafetensorsHeader(file.subarray(0, 4), file.length)).toBeUndefined();
    expect(decodeSafetensorsHeader(file.subarray(0, headerEnd - 1), file.length)).toBeUndefined();
    const header = decodeSafetensorsHeader(file.subarray(0, headerEnd), file.length);
    expect(header?.metadata['encoding']).toBe('f32');
    expect(header?.tensors.get('v')).toEqual({ dtype: 'U8', shape: [1000] });
  });

  it('refuses to encode data that disagrees with the shape', () => {
    expect(() => encodeSafetensors({ v: { dtype: 'F32', shape: [2], data: new Uint8Array(4) } })).toThrow(RangeError);
    expect(() => encodeSafetensors({ v: { dtype: 'I64' as DType, shape: [1], data: new Uint8Array(8) } })).toThrow(TypeError);
  });
});

describe('safetensors properties', () => {
  const tensorArb = fc
    .record({
      dtype: fc.constantFrom<DType>('F32', 'F16', 'U8'),
      shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
      seed: fc.integer(),
    })
    .map(({ dtype, shape, seed }): Tensor => {
      const n = shape.reduce((a, b) => a * b, 1) * dtypeSize(dtype);
      const data = new Uint8Array(n);
      for (let i = 0; i < n; i++) data[i] = (seed + i * 31) & 0xff;
      return { dtype, shape, data };
    });
  const nameArb = fc.string({ minLength: 0, maxLength: 12 }).filter((s) => s !== '__metadata__');
  const fileArb = fc.record({
    tensors: fc.dictionary(nameArb, tensorArb, { maxKeys: 4 }),
    metadata: fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }), { maxKeys: 5 }),
  });

  it('round-trips any tensors and metadata, aligned and deterministically', () => {
    fc.assert(
      fc.property(fileArb, ({ tensors, metadata }) => {
        const bytes = encodeSafetensors(tensors, metadata);
        const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
        expect((8 + n) % 8).toBe(0);
        expect(Buffer.from(encodeSafetensors(tensors, metadata)).equals(Buffer.from(bytes))).toBe(true);
        const decoded = decodeSafetensors(bytes);
        expect({ ...decoded.metadata }).toEqual({ ...metadata });
        expect(decoded.tensors.size).toBe(Object.keys(tensors).length);
        for (const [name, t] of Object.entries(tensors)) {
          const d = decoded.tensors.get(name)!;
          expect(d.dtype).toBe(t.dtype);
          expect(d.shape).toEqual(t.shape);
          expect([...d.data]).toEqual([...t.data]);
        }
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  it('throws only CacheFormatError on any mutation of a valid file', () => {
    const base = encodeSafetensors(
      { a: { dtype: 'F32', shape: [2, 2], data: new Uint8Array(16) }, b: { dtype: 'U8', shape: [3], data: Uint8Array.of(1, 2, 3) } },
      { k: 'v' },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }),
        fc.nat(base.length),
        (edits, cut) => {
          const bytes = base.slice(0, cut);
          for (const [at, value] of edits) if (at < bytes.length) bytes[at] = value;
          try {
            decodeSafetensors(bytes);
          } catch (err) {
            expect(err).toBeInstanceOf(CacheFormatError);
          }
        },
      ),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe('decoding from a Node Buffer at an odd offset', () => {
  it('gives the right values (a Buffer slice is a view, not a copy)', () => {
    const bytes = encodeSafetensors(new Map([['t', { dtype: 'F32' as const, shape: [3], data: new Uint8Array(new Float32Array([1.5, -2, 3.25]).buffer) }]]));
    const padded = Buffer.alloc(bytes.byteLength + 1);
    padded.set(bytes, 1);
    const { tensors } = decodeSafetensors(padded.subarray(1));
    expect(Array.from(leBytesToFloat32(tensors.get('t')!.data))).toEqual([1.5, -2, 3.25]);
  });
});
