/** The JSON value, or null (a JSON.parse error message quotes the text it could not read). */
export function parseJsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
