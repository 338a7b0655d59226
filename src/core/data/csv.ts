// A streaming RFC 4180 parser: quoted fields, doubled quotes, newlines inside quotes, CRLF, a
// leading byte-order mark, and any one-character delimiter. Text arrives in chunks of any size;
// every record comes out with the physical line it started on, so errors can point at it.

export interface CsvRecord {
  fields: string[];
  /** 1-based line of the record's first character. */
  line: number;
}

export class CsvSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const enum State {
  FieldStart,
  Unquoted,
  Quoted,
  QuoteInQuoted,
}

export class CsvParser {
  private state = State.FieldStart;
  private field = '';
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  private quoteLine = 1;
  private sawCarriageReturn = false;
  private previousWasCarriageReturn = false;
  private atStart = true;

  constructor(readonly delimiter: string) {
    if (delimiter.length !== 1 || delimiter === '"' || delimiter === '\n' || delimiter === '\r') {
      throw new Error(`invalid CSV delimiter ${JSON.stringify(delimiter)}`);
    }
  }

  /** Parses a chunk; returns the records it completed. */
  push(chunk: string): CsvRecord[] {
    const records: CsvRecord[] = [];
    let i = 0;
    // The byte-order mark is the first character of the first non-empty chunk.
    if (this.atStart && chunk.length > 0) {
      this.atStart = false;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    const d = this.delimiter;
    for (; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.sawCarriageReturn) {
        this.sawCarriageReturn = false;
        if (c === '\n') continue; // the \n of a \r\n was already counted
      }
      switch (this.state) {
        case State.FieldStart:
          if (c === '"') {
            this.state = State.Quoted;
            this.quoteLine = this.line;
          } else if (c === d) this.fields.push('');
          else if (c === '\n' || c === '\r') this.endRecord(records, c);
          else {
            this.field = c;
            this.state = State.Unquoted;
          }
          break;
        case State.Unquoted: {
          // Fast path: copy the run of ordinary characters at once.
          let j = i;
          while (j < chunk.length) {
            const cj = chunk[j];
            if (cj === d || cj === '\n' || cj === '\r') break;
            j++;
          }
          this.field += chunk.slice(i, j);
          i = j - 1;
          if (j < chunk.length) {
            const cj = chunk[j];
            i = j;
            if (cj === d) {
              this.fields.push(this.field);
              this.field = '';
              this.state = State.FieldStart;
            } else this.endRecord(records, cj);
          }
          break;
        }
        case State.Quoted: {
          let j = i;
          while (j < chunk.length && chunk[j] !== '"') {
            // Count \n, \r and \r\n as one line each, even when a chunk ends between \r and \n.
            const cj = chunk[j];
            if (cj === '\r' || (cj === '\n' && !this.previousWasCarriageReturn)) this.line++;
            this.previousWasCarriageReturn = cj === '\r';
            j++;
          }
          this.field += chunk.slice(i, j);
          i = j;
          if (j < chunk.length) this.state = State.QuoteInQuoted;
          break;
        }
        case State.QuoteInQuoted:
          if (c === '"') {
            this.field += '"';
            this.state = State.Quoted;
          } else if (c === d) {
            this.fields.push(this.field);
            this.field = '';
            this.state = State.FieldStart;
          } else if (c === '\n' || c === '\r') this.endRecord(records, c);
          else {
            // `"abc"def`: not RFC 4180. Python's csv keeps the characters; so do we.
            this.field += c;
            this.state = State.Unquoted;
          }
          break;
      }
    }
    return records;
  }

  /** Flushes the last record; throws when a quoted field was never closed. */
  end(): CsvRecord[] {
    if (this.state === State.Quoted) {
      throw new CsvSyntaxError('a quoted field starts here and is never closed (a missing `"`?)', this.quoteLine);
    }
    const records: CsvRecord[] = [];
    if (this.state !== State.FieldStart || this.fields.length > 0) {
      this.fields.push(this.field);
      records.push({ fields: this.fields, line: this.recordLine });
    }
    this.fields = [];
    this.field = '';
    this.state = State.FieldStart;
    return records;
  }

  private endRecord(records: CsvRecord[], newline: string): void {
    if (this.state !== State.FieldStart || this.fields.length > 0) {
      this.fields.push(this.field);
      records.push({ fields: this.fields, line: this.recordLine });
    } // else: a blank line, skipped as pandas and `datasets` do
    this.fields = [];
    this.field = '';
    this.state = State.FieldStart;
    this.line++;
    this.recordLine = this.line;
    if (newline === '\r') this.sawCarriageReturn = true;
  }
}

/** Parses a whole string (tests, small inputs). */
export function parseCsv(text: string, delimiter = ','): CsvRecord[] {
  const parser = new CsvParser(delimiter);
  return [...parser.push(text), ...parser.end()];
}

/**
 * The delimiter of a `.csv` file, from its first line: the most frequent of `,` `;` `\t` `|`
 * outside quotes (ties go to the comma).
 */
export function sniffDelimiter(firstLine: string): string {
  const candidates = [',', ';', '\t', '|'];
  const counts = new Map(candidates.map((c) => [c, 0]));
  let quoted = false;
  for (const c of firstLine) {
    if (c === '"') quoted = !quoted;
    else if (!quoted && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  let best = ',';
  for (const c of candidates) if (counts.get(c)! > counts.get(best)!) best = c;
  return best;
}
