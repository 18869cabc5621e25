/**
 * The lexical profile of an article: its distinct terms (stems, as the full-text index stems
 * them) with how often each occurs in the title and the body, the word it was first written as,
 * and whether it looks like a name or a number. It is computed once when an article is written
 * and stored, so a query never re-reads or re-tokenises a body: what can be computed at index
 * time is. Stemming belongs to the store's full-text engine; this module only
 * aligns the engine's stems with the words of the text.
 */
export interface ProfileTerm {
  stem: string;
  /** The word as first written (lower case): what a query sends, since the engine stems query words itself. */
  surface: string;
  titleCount: number;
  bodyCount: number;
  /** Occurrences among the body's first `leadTokens` tokens (the lead, which states the event), also counted in `bodyCount`. */
  leadCount: number;
  /** Written with a capital somewhere other than at the start of a sentence: likely a name. */
  capitalised: boolean;
  /** Holds a digit: a number, a date, a score. */
  digit: boolean;
}

export interface LexicalProfile {
  terms: ProfileTerm[];
  /** Tokens in title and body together (the document length BM25 uses). */
  tokens: number;
}

/** One token as the full-text engine saw it: its stem, column and position in that column. */
export interface TermOccurrence {
  stem: string;
  column: "title" | "body";
  offset: number;
}

/** A word of the text, as the engine's tokenizer splits it (letters, numbers, private use). */
interface SurfaceWord {
  word: string;
  capitalisedMidSentence: boolean;
}

/**
 * Tokens of the body (after a leading copy of the title) that count as its lead: the news lead,
 * which says who, what, where and when, and about as much as the encoder's lead passage reads
 * (`fusionConstants.encoderWindowWords`). A token count rather than the first paragraph, since
 * many feeds send bodies without paragraph breaks and pages captured from the web begin with
 * a line or two of furniture (a shorter lead measured worse: docs/evaluation.md).
 */
export const leadTokens = 90;

const wordPattern = /[\p{L}\p{N}\p{Co}]+/gu;
const sentenceEnd = /[.!?:;"\n]\s*$/;

/**
 * The body without a leading copy of the title: short wire items often begin with their
 * headline, and counting it twice would weigh those words double in BM25.
 */
export function bodyWithoutTitle(title: string, body: string): string {
  const trimmedTitle = title.trim();
  const trimmedBody = body.trim();
  return trimmedTitle !== "" && trimmedBody.startsWith(trimmedTitle) ? trimmedBody.slice(trimmedTitle.length).trim() : trimmedBody;
}

/** Splits text into words the way unicode61 does, noting capitalised words inside a sentence. */
export function splitWords(text: string): SurfaceWord[] {
  const words: SurfaceWord[] = [];
  let previousEnd = 0;
  for (const match of text.matchAll(wordPattern)) {
    const start = match.index!;
    const between = text.slice(previousEnd, start);
    const sentenceStart = words.length === 0 || sentenceEnd.test(between);
    words.push({ word: match[0], capitalisedMidSentence: !sentenceStart && /^\p{Lu}/u.test(match[0]) });
    previousEnd = start + match[0].length;
  }
  return words;
}

/**
 * Builds the profile from the engine's token stream (`occurrences`) and the text it came from.
 * Surface words are aligned by position; where the engine split a column differently from
 * `splitWords` (rare scripts), the stem stands in for the surface word.
 */
export function buildLexicalProfile(title: string, body: string, occurrences: readonly TermOccurrence[]): LexicalProfile {
  const columns = { title: splitWords(title), body: splitWords(body) };
  const counted = { title: 0, body: 0 };
  for (const occurrence of occurrences) counted[occurrence.column] = Math.max(counted[occurrence.column], occurrence.offset + 1);
  const aligned = { title: counted.title === columns.title.length, body: counted.body === columns.body.length };
  const terms = new Map<string, ProfileTerm>();
  for (const { stem, column, offset } of occurrences) {
    const word = aligned[column] ? columns[column][offset] : undefined;
    let term = terms.get(stem);
    if (term === undefined) {
      term = { stem, surface: word?.word.toLowerCase() ?? stem, titleCount: 0, bodyCount: 0, leadCount: 0, capitalised: false, digit: /\p{N}/u.test(stem) };
      terms.set(stem, term);
    }
    if (column === "title") term.titleCount++;
    else {
      term.bodyCount++;
      if (offset < leadTokens) term.leadCount++;
    }
    if (word?.capitalisedMidSentence) term.capitalised = true;
  }
  return { terms: [...terms.values()], tokens: occurrences.length };
}

/**
 * A compact JSON form for storage: [tokens, [stem, surface, titleCount, bodyCount, flags,
 * leadCount] per term, leadTokens]. The trailing `leadTokens` marks a profile that counts its
 * lead; profiles stored before it had none (`profileCountsLead`).
 */
export function encodeLexicalProfile(profile: LexicalProfile): string {
  return JSON.stringify([
    profile.tokens,
    profile.terms.map((term) => [
      term.stem,
      term.surface === term.stem ? 0 : term.surface,
      term.titleCount,
      term.bodyCount,
      (term.capitalised ? 1 : 0) | (term.digit ? 2 : 0),
      term.leadCount,
    ]),
    leadTokens,
  ]);
}

/** Decodes a stored profile; one stored before lead counts has every `leadCount` 0 (the store re-profiles those on open). */
export function decodeLexicalProfile(encoded: string): LexicalProfile {
  const [tokens, rows] = JSON.parse(encoded) as [number, [string, string | 0, number, number, number, number?][], number?];
  return {
    tokens,
    terms: rows.map(([stem, surface, titleCount, bodyCount, flags, leadCount]) => ({
      stem,
      surface: surface === 0 ? stem : surface,
      titleCount,
      bodyCount,
      leadCount: leadCount ?? 0,
      capitalised: (flags & 1) !== 0,
      digit: (flags & 2) !== 0,
    })),
  };
}

/** Whether a stored profile counts its lead with today's `leadTokens` (its trailing element). */
export function profileCountsLead(encoded: string): boolean {
  return (JSON.parse(encoded) as unknown[])[2] === leadTokens;
}
