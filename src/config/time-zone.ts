// timezone: an IANA zone name (Asia/Shanghai, America/New_York, UTC). Abbreviations are refused:
// they are ambiguous (CST is China Standard Time to these users and US Central to the tz
// database) and fixed-offset (EST never observes daylight saving), so a job written with one
// would read its times an hour or more off without any error.

/** Abbreviations and POSIX-style names of the tz database's backward links: EST, CST6CDT, PRC. */
const ABBREVIATION = /^[A-Z]{2,5}(\d{1,2}[A-Z]{3,4})?$/;
/** Names of UTC itself, which mean one thing everywhere. */
const UTC_NAMES = new Set(['UTC', 'GMT']);

/**
 * Why `zone` cannot be a job's timezone, or undefined when it can: not a zone the runtime's tz
 * database knows, or an abbreviation (CST, EST, PRC) instead of an IANA Area/Location name.
 */
export function timeZoneProblem(zone: string): string | undefined {
  if (ABBREVIATION.test(zone) && !UTC_NAMES.has(zone))
    return `"${zone}" is an abbreviation, which names different zones (CST is China, US Central or Cuba) and ignores daylight saving: write an IANA name such as Asia/Shanghai, America/Chicago or America/New_York`;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return undefined;
  } catch {
    return `"${zone}" is not an IANA time zone such as Asia/Shanghai or America/New_York`;
  }
}
