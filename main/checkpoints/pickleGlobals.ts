// The allowlist: the only Python names a checkpoint pickle may mention, and what "calling" each one means here.
// Every call builds an inert JS record after checking its arguments; no name is ever turned into code.
// A strict subset of torch's weights_only unpickler (torch/_weights_only_unpickler.py).

import { quoted, type CheckpointErrorCode } from '../tensors/errors.ts'
import {
  isTuple, NumpyDType, PickleGlobal, StorageRef, TensorRef, tuple, type PickleValue,
} from './pickleValues'
import { checkedNumel, type DType } from '../tensors/tensor.ts'

export interface PickleContext {
  file?: string
  /** storages seen so far by key: a key named twice must describe the same storage */
  storages: Map<string, StorageRef>
  fail(code: CheckpointErrorCode, message: string): never
}

const storageTypes: Record<string, DType> = {
  FloatStorage: 'F32', DoubleStorage: 'F64', HalfStorage: 'F16', BFloat16Storage: 'BF16', LongStorage: 'I64',
  IntStorage: 'I32', ShortStorage: 'I16', CharStorage: 'I8', ByteStorage: 'U8', BoolStorage: 'BOOL',
}

// numpy appears only because BigGAN-PyTorch's state_dict.pth stores best_IS/best_FID as numpy scalars.
const numpyScalar = new Set(['numpy.core.multiarray.scalar', 'numpy._core.multiarray.scalar'])

const allowed = new Set([
  'collections.OrderedDict',
  'torch._utils._rebuild_tensor_v2',
  'torch._utils._rebuild_parameter',
  'torch.Size',
  '_codecs.encode',
  'numpy.dtype',
  ...numpyScalar,
  ...Object.keys(storageTypes).map((s) => `torch.${s}`),
])

/** GLOBAL / STACK_GLOBAL: refuse anything off the allowlist at the moment it is named, before any call. */
export function resolveGlobal(module: string, name: string, ctx: PickleContext): PickleGlobal {
  const qualified = `${module}.${name}`
  if (!allowed.has(qualified)) {
    ctx.fail(
      'unsafe-pickle',
      `the pickle imports ${quoted(qualified)}, which a weights-only checkpoint never needs; it may be trying ` +
        'to run code. Refusing to load it (nothing was executed). Only load checkpoints from sources you trust, ' +
        'or convert them to safetensors with a trusted tool',
    )
  }
  return new PickleGlobal(module, name)
}

export function storageDType(g: PickleValue): DType | undefined {
  return g instanceof PickleGlobal && g.module === 'torch' ? storageTypes[g.name] : undefined
}

/** BINPERSID: `('storage', torch.FloatStorage, key, location, numel)` (zip) or the legacy 6-tuple with view None. */
export function storageFromPid(pid: PickleValue, ctx: PickleContext): StorageRef {
  if (!isTuple(pid) || pid[0] !== 'storage') {
    return ctx.fail('unsafe-pickle', "persistent id is not a ('storage', …) tuple; only tensor storages may be referenced")
  }
  if (pid.length !== 5 && pid.length !== 6) {
    return ctx.fail('bad-header', `storage persistent id has ${pid.length} fields; expected 5 (zip) or 6 (legacy)`)
  }
  const [, type, key, location, count, view] = pid
  const dtype = storageDType(type)
  if (!dtype) return ctx.fail('bad-header', 'storage persistent id does not name a torch storage type')
  if (typeof key !== 'string' || !/^[0-9A-Za-z_]{1,64}$/.test(key)) {
    return ctx.fail('bad-header', `storage key ${quoted(String(key))} must be 1–64 letters, digits or '_'`)
  }
  if (typeof location !== 'string') return ctx.fail('bad-header', `storage ${key}: location must be a string`)
  if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) {
    return ctx.fail('too-large', `storage ${key}: element count ${String(count)} is not a size this reader can hold`)
  }
  if (pid.length === 6 && view !== null) {
    return ctx.fail('unsupported', `storage ${key} is a storage view (torch < 0.4); re-save the checkpoint with a newer torch`)
  }
  const known = ctx.storages.get(key)
  if (known) {
    if (known.dtype !== dtype || known.numel !== count) {
      return ctx.fail('bad-header', `storage ${key} is declared twice with different types or sizes`)
    }
    return known
  }
  const ref = new StorageRef(key, dtype, location, count)
  ctx.storages.set(key, ref)
  return ref
}

function intList(v: PickleValue, what: string, ctx: PickleContext): number[] {
  if (!Array.isArray(v)) return ctx.fail('bad-header', `${what} must be a tuple of integers`)
  return v.map((d) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      return ctx.fail('bad-header', `${what} entry ${String(d)} must be a non-negative integer`)
    }
    return d
  })
}

function emptyHooks(v: PickleValue | undefined, ctx: PickleContext): void {
  if (!(v instanceof Map) || v.size !== 0) {
    ctx.fail('unsafe-pickle', 'tensor backward_hooks must be an empty OrderedDict; hooks are code and are never loaded')
  }
}

/** `_rebuild_tensor_v2(storage, offset, size, stride, requires_grad, backward_hooks[, metadata])`. */
function rebuildTensor(args: PickleValue[], ctx: PickleContext): TensorRef {
  if (args.length !== 6 && args.length !== 7) {
    return ctx.fail('bad-header', `_rebuild_tensor_v2 takes 6 or 7 arguments, got ${args.length}`)
  }
  const [storage, offset, sizeArg, strideArg, requiresGrad, hooks, metadata] = args
  if (!(storage instanceof StorageRef)) return ctx.fail('bad-header', '_rebuild_tensor_v2 needs a storage as its first argument')
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    return ctx.fail('bad-header', `tensor storage offset ${String(offset)} must be a non-negative integer`)
  }
  const shape = intList(sizeArg, 'tensor size', ctx)
  const stride = intList(strideArg, 'tensor stride', ctx)
  if (stride.length !== shape.length) {
    return ctx.fail('bad-header', `tensor size [${shape}] and stride [${stride}] differ in length`)
  }
  if (typeof requiresGrad !== 'boolean') return ctx.fail('bad-header', 'tensor requires_grad must be a bool')
  emptyHooks(hooks, ctx)
  if (metadata !== undefined && metadata !== null && !(metadata instanceof Map && metadata.size === 0)) {
    return ctx.fail('unsupported', 'tensor carries extra Python attributes (metadata); save a plain state_dict instead')
  }
  const count = checkedNumel(shape)
  if (count === null) return ctx.fail('too-large', `tensor size [${shape}] has more than 2^53 elements`)
  checkExtent(storage, offset, shape, stride, count, ctx)
  return new TensorRef(storage, offset, shape, stride, requiresGrad)
}

/** The view must lie inside its storage and must not repeat elements (which would let a tiny file claim gigabytes). */
function checkExtent(
  storage: StorageRef, offset: number, shape: number[], stride: number[], count: number, ctx: PickleContext,
): void {
  const where = `tensor (offset ${offset}, size [${shape}], stride [${stride}]) on storage ${storage.key} of ${storage.numel} elements`
  if (count === 0) {
    if (offset > storage.numel) ctx.fail('bad-header', `${where} starts past the storage end`)
    return
  }
  let last = offset
  shape.forEach((d, i) => {
    if (stride[i] === 0 && d > 1) ctx.fail('bad-header', `${where} has a zero stride, which repeats elements`)
    last += (d - 1) * stride[i]
  })
  if (last >= storage.numel) ctx.fail('bad-header', `${where} reaches past the storage end`)
  if (count > storage.numel) ctx.fail('bad-header', `${where} has more elements than its storage`)
  // Strides must not let two indices meet: sorted by stride, each must step past everything the smaller ones span.
  const dims = shape.map((d, i) => ({ d, s: stride[i] })).filter((x) => x.d > 1).sort((a, b) => a.s - b.s)
  let span = 1
  for (const { d, s } of dims) {
    if (s < span) ctx.fail('bad-header', `${where} has overlapping strides`)
    span = s * (d - 1) + span
  }
}

/** REDUCE: call an allowlisted global with a tuple of arguments, producing data. */
export function callGlobal(fn: PickleValue, args: PickleValue, ctx: PickleContext): PickleValue {
  if (!(fn instanceof PickleGlobal)) return ctx.fail('unsafe-pickle', 'REDUCE calls something that is not an allowlisted global')
  if (!isTuple(args)) return ctx.fail('bad-header', `REDUCE arguments for ${fn.qualified} must be a tuple`)
  const q = fn.qualified
  if (q === 'collections.OrderedDict') {
    if (args.length !== 0) return ctx.fail('unsupported', 'OrderedDict(...) with arguments is not supported')
    return new Map()
  }
  if (q === 'torch._utils._rebuild_tensor_v2') return rebuildTensor(args, ctx)
  if (q === 'torch._utils._rebuild_parameter') {
    const [data, requiresGrad, hooks] = args
    if (args.length !== 3 || !(data instanceof TensorRef) || typeof requiresGrad !== 'boolean') {
      return ctx.fail('bad-header', '_rebuild_parameter takes (tensor, requires_grad, backward_hooks)')
    }
    emptyHooks(hooks, ctx)
    return new TensorRef(data.storage, data.offset, data.shape, data.stride, requiresGrad)
  }
  if (q === 'torch.Size') {
    if (args.length !== 1) return ctx.fail('bad-header', 'torch.Size takes one tuple')
    return tuple(intList(args[0], 'torch.Size', ctx))
  }
  if (q === '_codecs.encode') return latin1Encode(args, ctx)
  if (q === 'numpy.dtype') {
    const [code] = args
    if (typeof code !== 'string' || !(code in numpyReaders)) {
      return ctx.fail('unsupported', `numpy dtype ${quoted(String(code))} is not a supported scalar type`)
    }
    return new NumpyDType(code)
  }
  if (numpyScalar.has(q)) return numpyScalarValue(args, ctx)
  return ctx.fail('unsafe-pickle', `${q} cannot be called; it is only valid inside a storage persistent id`)
}

/** `_codecs.encode(str, 'latin1')` is how protocol 2 stores Python 3 bytes. */
function latin1Encode(args: readonly PickleValue[], ctx: PickleContext): Uint8Array {
  const [text, encoding] = args
  if (args.length !== 2 || typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1')) {
    return ctx.fail('unsupported', "_codecs.encode is only allowed as encode(str, 'latin1')")
  }
  const out = new Uint8Array(text.length)
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c > 0xff) return ctx.fail('bad-header', '_codecs.encode: character outside latin1')
    out[i] = c
  }
  return out
}

const numpyReaders: Record<string, [number, (v: DataView) => number | bigint]> = {
  f8: [8, (v) => v.getFloat64(0, true)], f4: [4, (v) => v.getFloat32(0, true)],
  i8: [8, (v) => v.getBigInt64(0, true)], u8: [8, (v) => v.getBigUint64(0, true)],
  i4: [4, (v) => v.getInt32(0, true)], u4: [4, (v) => v.getUint32(0, true)],
  i2: [2, (v) => v.getInt16(0, true)], u2: [2, (v) => v.getUint16(0, true)],
  i1: [1, (v) => v.getInt8(0)], u1: [1, (v) => v.getUint8(0)], b1: [1, (v) => v.getUint8(0)],
}

/** `numpy.core.multiarray.scalar(dtype, bytes)` decoded as a number, never as a numpy object. */
function numpyScalarValue(args: readonly PickleValue[], ctx: PickleContext): PickleValue {
  const [dtype, raw] = args
  if (args.length !== 2 || !(dtype instanceof NumpyDType)) {
    return ctx.fail('bad-header', 'numpy scalar needs (dtype, bytes)')
  }
  const bytes = typeof raw === 'string' ? latin1Encode([raw, 'latin1'], ctx) : raw
  const [size, read] = numpyReaders[dtype.code]
  if (!(bytes instanceof Uint8Array) || bytes.byteLength !== size) {
    return ctx.fail('bad-header', `numpy ${dtype.code} scalar needs ${size} bytes`)
  }
  const v = read(new DataView(bytes.buffer, bytes.byteOffset, size))
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v
  return dtype.code === 'b1' ? v !== 0 : v
}

/** NEWOBJ `cls.__new__(cls, *args)`: only an empty OrderedDict. */
export function newObject(cls: PickleValue, args: PickleValue, ctx: PickleContext): PickleValue {
  if (cls instanceof PickleGlobal && cls.qualified === 'collections.OrderedDict' && isTuple(args) && args.length === 0) {
    return new Map()
  }
  const name = cls instanceof PickleGlobal ? cls.qualified : 'a non-class value'
  return ctx.fail('unsafe-pickle', `NEWOBJ of ${name} is not allowed; only plain containers may be constructed`)
}

/** BUILD: set state on an object. OrderedDict state (`_metadata`) is ignored; numpy dtypes check byte order. */
export function buildObject(obj: PickleValue, state: PickleValue, ctx: PickleContext): void {
  if (obj instanceof Map) {
    if (state !== null && !(state instanceof Map)) ctx.fail('bad-header', 'BUILD state for a dict must be a dict')
    return
  }
  if (obj instanceof NumpyDType) {
    const order = isTuple(state) ? state[1] : undefined
    if (order === '>') ctx.fail('unsupported', 'big-endian numpy scalar; re-save the checkpoint on a little-endian machine')
    if (order !== '<' && order !== '|' && order !== '=') ctx.fail('bad-header', 'numpy dtype state has no byte order')
    obj.byteOrder = order as string
    return
  }
  ctx.fail('unsafe-pickle', 'BUILD is only allowed on OrderedDict and numpy dtypes; it would set attributes on an object')
}
