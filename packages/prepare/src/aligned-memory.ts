/**
 * Memory that page writes with O_DIRECT can use. O_DIRECT needs each buffer
 * to start on the device's logical block (512 bytes on most disks, 4 KiB on
 * some); JavaScript cannot see an ArrayBuffer's address, but a WebAssembly
 * memory always starts on an OS page (4 KiB), so buffers taken from one are
 * known to be aligned. Physical memory is taken only as it is touched.
 */
export const DIRECT_ALIGN = 4096;

const WASM_PAGE = 65536;

/** The one WebAssembly API used here (the compiler's libs here have no WebAssembly types). */
declare const WebAssembly: {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => { readonly buffer: ArrayBuffer | SharedArrayBuffer };
};
const aligned = new WeakSet<ArrayBufferLike>();

/**
 * A buffer of at least `bytes` starting on a DIRECT_ALIGN boundary; `shared`:
 * a SharedArrayBuffer. V8 reserves ~10 GiB of address space (not memory) per
 * WebAssembly memory; where that is refused (a ulimit -v), a plain buffer is
 * returned, which isAligned() rejects: its pages are written buffered.
 */
export function alignedBuffer(bytes: number, shared: boolean): ArrayBuffer | SharedArrayBuffer {
  const pages = Math.max(1, Math.ceil(bytes / WASM_PAGE));
  let b: ArrayBuffer | SharedArrayBuffer;
  try {
    b = new WebAssembly.Memory(shared ? { initial: pages, maximum: pages, shared: true } : { initial: pages }).buffer;
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    return shared ? new SharedArrayBuffer(pages * WASM_PAGE) : new ArrayBuffer(pages * WASM_PAGE);
  }
  aligned.add(b);
  return b;
}

/** Marks a buffer made by alignedBuffer in another thread (a SharedArrayBuffer posted here is a new object). */
export function markAligned(b: SharedArrayBuffer): void {
  aligned.add(b);
}

/** True when `v` can be written with O_DIRECT: it starts and ends on DIRECT_ALIGN boundaries of aligned memory. */
export function isAligned(v: Uint8Array): boolean {
  return aligned.has(v.buffer) && v.byteOffset % DIRECT_ALIGN === 0 && v.byteLength % DIRECT_ALIGN === 0;
}
