/**
 * Mtr boundaries found by an earlier framing of the same log (a look-ahead
 * that frames without checking CRCs, ReadMtrOptions.checksums false). A later
 * framing with CRC checks (ReadMtrOptions.known) takes an mtr's length from
 * here instead of walking its record headers again, and accepts the mtr only
 * if its terminator carries the expected sequence bit and its CRC-32C matches
 * (section 3): a boundary that is wrong, or bytes that changed since, fail
 * that check (but for a 2^-32 chance of a CRC collision; record decoding then
 * still finds records that do not end at the terminator), and framing falls
 * back to the walk. Entries are taken in LSN order and consumed as framing
 * passes them: the LSNs asked for must not decrease (an earlier LSN finds no
 * entry and is walked). At most `maxEntries` are held (12 bytes each): the
 * boundaries of a run added beyond that are dropped, and those mtrs walked.
 */
export class KnownMtrs {
  private starts = new Float64Array(1 << 14);
  private lengths = new Uint32Array(1 << 14);
  private head = 0;
  private count = 0;

  /** `maxEntries`: a power of two (at least 2^14), or Infinity. */
  constructor(private readonly maxEntries = Infinity) {}

  /** Entries not consumed yet. */
  get size(): number {
    return this.count - this.head;
  }

  /**
   * Adds mtrs `base + starts[i] .. base + ends[i]` for i < n (ascending, after
   * every entry added before). False, nothing added, if they do not fit in
   * maxEntries with those not consumed yet.
   */
  add(base: number, starts: Uint32Array, ends: Uint32Array, n: number): boolean {
    if (this.count - this.head + n > this.maxEntries) return false;
    if (this.count + n > this.starts.length) this.makeRoom(n);
    const s = this.starts;
    const l = this.lengths;
    let c = this.count;
    for (let i = 0; i < n; i++) {
      s[c] = base + starts[i]!;
      l[c] = ends[i]! - starts[i]!;
      c++;
    }
    this.count = c;
    return true;
  }

  /**
   * The length of the mtr known to start at `lsn` (CRC included), or 0.
   * Consumes every entry starting before `lsn`.
   */
  lengthAt(lsn: number): number {
    const s = this.starts;
    let h = this.head;
    const c = this.count;
    while (h < c && s[h]! < lsn) h++;
    this.head = h;
    return h < c && s[h] === lsn ? this.lengths[h]! : 0;
  }

  private makeRoom(n: number): void {
    // Compacting moves the live entries: only when they fill at most half, so that it stays rare.
    const live = this.count - this.head;
    let cap = this.starts.length;
    while (2 * (live + n) > cap && cap < this.maxEntries) cap *= 2;
    if (cap === this.starts.length) {
      this.starts.copyWithin(0, this.head, this.count);
      this.lengths.copyWithin(0, this.head, this.count);
    } else {
      const s = new Float64Array(cap);
      s.set(this.starts.subarray(this.head, this.count));
      const l = new Uint32Array(cap);
      l.set(this.lengths.subarray(this.head, this.count));
      this.starts = s;
      this.lengths = l;
    }
    this.head = 0;
    this.count = live;
  }
}
