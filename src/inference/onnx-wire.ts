/**
 * A reader of the protobuf wire format, for the walks over ONNX files that
 * must not decode them whole (serving/external-tensors.ts,
 * runtime/graph-ops.ts): it moves from field header to field header and
 * skips every payload by its length, never copying a byte.
 */

/** The bytes are not an ONNX ModelProto a walk over the wire format can read. */
export class MalformedOnnx extends Error {}

export const WIRE_VARINT = 0;
export const WIRE_I64 = 1;
export const WIRE_LEN = 2;
export const WIRE_I32 = 5;

/** Reads the fields of one protobuf message, buf[pos, end). */
export class Fields {
  /** The current field's number. */
  field = 0;
  /** The current field's wire type. */
  wire = 0;
  /** The value of a varint field (beyond 2^53 only approximate: such a value is skipped, never used as a length). */
  value = 0;
  /** The payload of a length-delimited field: buf[start, pos). */
  start = 0;

  constructor(
    private readonly buf: Uint8Array,
    private pos = 0,
    private readonly end = buf.length,
  ) {}

  /** Moves to the next field; false at the end of the message; throws MalformedOnnx for bytes protobuf would refuse. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const tag = this.varint();
    this.field = Math.floor(tag / 8);
    this.wire = tag % 8;
    if (this.field === 0) throw new MalformedOnnx('field number 0');
    switch (this.wire) {
      case WIRE_VARINT:
        this.value = this.varint();
        return true;
      case WIRE_I64:
        return this.skip(8);
      case WIRE_I32:
        return this.skip(4);
      case WIRE_LEN: {
        const length = this.varint();
        this.start = this.pos;
        return this.skip(length);
      }
      default:
        // Groups (3, 4) are not used by ONNX; 6 and 7 do not exist.
        throw new MalformedOnnx(`wire type ${this.wire}`);
    }
  }

  /** The payload of the current length-delimited field (a view, not a copy). */
  bytes(): Uint8Array {
    return this.buf.subarray(this.start, this.pos);
  }

  /** A reader of the message in the current length-delimited field. */
  inner(): Fields {
    return new Fields(this.buf, this.start, this.pos);
  }

  private skip(length: number): boolean {
    if (length > this.end - this.pos) throw new MalformedOnnx('a field runs past the end of its message');
    this.pos += length;
    return true;
  }

  private varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10 && this.pos < this.end; i++) {
      const b = this.buf[this.pos++]!;
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
      scale *= 128;
    }
    throw new MalformedOnnx('truncated varint');
  }
}
