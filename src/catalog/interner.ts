/**
 * Returns one shared copy of each distinct string it is given. The catalog repeats a few dozen regions,
 * sources and dates and a thousand type names across ~90,000 prices, and a string read from the database
 * or parsed from an AWS answer is a new copy every time: shared, the strings of a whole catalog take a
 * few hundred kB instead of ~20 MiB.
 */
export class Interner {
  private readonly seen = new Map<string, string>()

  /** An interner that already holds `strings` (the catalog's type names, which every price repeats). */
  static holding(strings: Iterable<string>): Interner {
    const interner = new Interner()
    for (const s of strings) interner.intern(s)
    return interner
  }

  intern(s: string): string {
    const known = this.seen.get(s)
    if (known !== undefined) return known
    this.seen.set(s, s)
    return s
  }
}
