/**
 * Two parallel int32 columns that grow by doubling. Index entries are kept this way rather
 * than as objects so a full 1 GiB segment's index costs ~2 MB and no per-entry allocation.
 */
export class GrowableInt32Pairs {
  private as = new Int32Array(64);
  private bs = new Int32Array(64);
  private n = 0;

  get length(): number {
    return this.n;
  }

  a(i: number): number {
    return this.as[i]!;
  }

  b(i: number): number {
    return this.bs[i]!;
  }

  push(a: number, b: number): void {
    if (this.n === this.as.length) {
      const na = new Int32Array(this.n * 2);
      na.set(this.as);
      this.as = na;
      const nb = new Int32Array(this.n * 2);
      nb.set(this.bs);
      this.bs = nb;
    }
    this.as[this.n] = a;
    this.bs[this.n] = b;
    this.n++;
  }

  clear(): void {
    this.n = 0;
  }

  /** Index of the last entry whose a <= key (a is sorted ascending), or -1. */
  floorIndexOfA(key: number): number {
    let lo = 0;
    let hi = this.n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.as[mid]! <= key) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Index of the last pair whose b is <= key (b must be increasing), or -1. */
  floorIndexOfB(key: number): number {
    let lo = 0;
    let hi = this.n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.bs[mid]! <= key) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
