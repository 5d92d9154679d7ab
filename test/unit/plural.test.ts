// Counts in messages read as English (issue 10: "1 leads", "1 connections").
import { describe, expect, it } from 'vitest';
import { count } from '../../src/plural.ts';

describe('count', () => {
  it.each([
    [0, 'lead', '0 leads'],
    [1, 'lead', '1 lead'],
    [2, 'lead', '2 leads'],
    [1, 'person', '1 person'],
    [3, 'person', '3 people'],
    [1, 'retry', '1 retry'],
    [2, 'retry', '2 retries'],
    [1, 'connection', '1 connection'],
  ] as const)('%i %s: %s', (n, noun, text) => {
    expect(count(n, noun)).toBe(text);
  });
});
