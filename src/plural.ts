// Counts in messages read as English: "1 lead", "2 leads", "1 person", "3 people".
const IRREGULAR: Record<string, string> = { person: 'people', retry: 'retries' };

/** `count(1, 'lead')` is "1 lead", `count(2, 'lead')` "2 leads"; nouns in the singular. */
export function count(n: number, noun: string): string {
  return `${n} ${n === 1 ? noun : (IRREGULAR[noun] ?? `${noun}s`)}`;
}
