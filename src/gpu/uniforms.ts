// Static uniform blocks: a kernel's sizes and hyperparameters, packed once when
// a dispatch is built. Fields are 4-byte scalars in declaration order, matching a
// WGSL struct of u32/i32/f32 members; the block is padded to 16 bytes.

export type UniformField = ['u32' | 'i32' | 'f32', number];

export function packUniform(fields: readonly UniformField[]): Uint8Array {
  const words = Math.max(4, Math.ceil(fields.length / 4) * 4);
  const buf = new ArrayBuffer(words * 4);
  const view = new DataView(buf);
  fields.forEach(([type, value], i) => {
    if (type === 'f32') view.setFloat32(i * 4, value, true);
    else if (type === 'i32') view.setInt32(i * 4, value, true);
    else {
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`uniform field ${i}: ${value} is not a u32`);
      view.setUint32(i * 4, value, true);
    }
  });
  return new Uint8Array(buf);
}
